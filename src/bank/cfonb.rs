//! CFONB 120 ("relevé de compte 120 caractères"), the French banks'
//! fixed-width statement: one record per 120 characters, with or without
//! line breaks. Records: `01` old balance, `04` movement, `05` its
//! continuation (payer's name `NPY`, more text `LIB`, references `RCN`,
//! `REF`…), `07` new balance.
//!
//! Movement fields (1-based columns): 3–7 bank, 12–16 branch, 17–19
//! currency, 20 number of decimals, 22–32 account, 35–40 booking date
//! JJMMAA, 49–79 label, 82–88 entry number, 91–104 amount (13 digits and a
//! last character that carries the sign and the last digit: `{` and `A`–`I`
//! credit 0–9, `}` and `J`–`R` debit 0–9), 105–120 reference.

use super::{clean, Read, StatementLine};
use crate::books::dates::Date;
use crate::books::import::ImportIssue;
use crate::books::money::Currency;

const WIDTH: usize = 120;

/// Whether `text` starts like a CFONB 120 file: a first record of 120
/// characters with a record code (the others are checked when read).
pub(super) fn looks_like(text: &str) -> bool {
    records(text).first().is_some_and(|(_, r)| {
        r.len() == WIDTH && matches!(field(r, 1, 2).as_str(), "01" | "04" | "05" | "07")
    })
}

/// The records with their numbers: one per line, or cut every 120
/// characters when the file has no line breaks.
fn records(text: &str) -> Vec<(usize, Vec<char>)> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() == 1 && lines[0].chars().count() > WIDTH {
        let chars: Vec<char> = lines[0].chars().collect();
        return chars
            .chunks(WIDTH)
            .enumerate()
            .map(|(i, c)| (i + 1, c.to_vec()))
            .collect();
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        // Some banks pad with spaces, some trim them: 120 is the width.
        .map(|(i, l)| {
            let mut chars: Vec<char> = l.trim_end_matches('\r').chars().collect();
            if chars.len() < WIDTH && chars.len() > 100 {
                chars.resize(WIDTH, ' ');
            }
            (i + 1, chars)
        })
        .collect()
}

fn field(record: &[char], from: usize, to: usize) -> String {
    record[from - 1..to].iter().collect()
}

pub(super) fn parse(text: &str) -> Result<Read, Vec<ImportIssue>> {
    let mut read = Read {
        lines: Vec::new(),
        debits: 0,
    };
    let mut issues = Vec::new();
    // The movement being read, until its continuations end.
    let mut open: Option<(StatementLine, bool)> = None;
    let flush = |open: &mut Option<(StatementLine, bool)>, read: &mut Read| {
        if let Some((line, credit)) = open.take() {
            if credit {
                read.lines.push(line);
            } else {
                read.debits += 1;
            }
        }
    };
    for (number, record) in records(text) {
        if record.len() != WIDTH {
            issues.push(ImportIssue::at(
                number,
                None,
                format!("{} caractères au lieu de 120", record.len()),
            ));
            continue;
        }
        match field(&record, 1, 2).as_str() {
            "04" => {
                flush(&mut open, &mut read);
                match movement(number, &record) {
                    Ok(m) => open = Some(m),
                    Err(issue) => issues.push(issue),
                }
            }
            "05" => {
                let Some((line, _)) = open.as_mut() else {
                    issues.push(ImportIssue::at(
                        number,
                        None,
                        "enregistrement 05 sans opération 04 avant lui",
                    ));
                    continue;
                };
                let qualifier = field(&record, 46, 48);
                let info = clean(&field(&record, 49, 118));
                if info.is_empty() {
                    continue;
                }
                if qualifier == "NPY" && line.payer.is_empty() {
                    line.payer = info;
                } else {
                    if !line.remittance.is_empty() {
                        line.remittance.push(' ');
                    }
                    line.remittance.push_str(&info);
                }
            }
            "01" | "07" => flush(&mut open, &mut read),
            other => issues.push(ImportIssue::at(
                number,
                None,
                format!("code d'enregistrement « {other} » inconnu (01, 04, 05 ou 07)"),
            )),
        }
    }
    flush(&mut open, &mut read);
    if issues.is_empty() {
        Ok(read)
    } else {
        Err(issues)
    }
}

/// A movement record: the line, and whether it is a credit.
fn movement(number: usize, r: &[char]) -> Result<(StatementLine, bool), ImportIssue> {
    let at = |column: &str, message: String| ImportIssue::at(number, Some(column), message);
    let decimals = r[19]
        .to_digit(10)
        .ok_or_else(|| at("décimales", format!("« {} » n'est pas un chiffre", r[19])))?;
    let currency_code = field(r, 17, 19);
    let currency = if currency_code.trim().is_empty() {
        Currency::EUR
    } else {
        Currency::parse(&currency_code).map_err(|e| at("devise", e.to_string()))?
    };
    let date = jjmmaa(&field(r, 35, 40)).map_err(|m| at("date", m))?;
    let (units, credit) = signed_amount(&field(r, 91, 104)).map_err(|m| at("montant", m))?;
    // The amount in the record's decimals, as cents.
    let cents = match decimals {
        2 => Some(units),
        0 => units.checked_mul(100),
        1 => units.checked_mul(10),
        3 => (units % 10 == 0).then_some(units / 10),
        _ => None,
    }
    .ok_or_else(|| {
        at(
            "montant",
            format!("{decimals} décimales : montant non représentable en centimes"),
        )
    })?;
    if cents == 0 {
        return Err(at("montant", "montant nul".into()));
    }
    let account = format!(
        "{} {} {}",
        field(r, 3, 7),
        field(r, 12, 16),
        field(r, 22, 32).trim()
    );
    let entry = field(r, 82, 88).trim().to_string();
    let reference = clean(&field(r, 105, 120));
    Ok((
        StatementLine {
            line: number,
            account,
            date,
            amount_cents: cents,
            currency,
            payer: String::new(),
            remittance: [clean(&field(r, 49, 79)), reference.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            bank_ref: if entry.is_empty() { reference } else { entry },
        },
        credit,
    ))
}

/// 13 digits and a sign character: the amount in the record's unit, and
/// whether it is a credit.
fn signed_amount(text: &str) -> Result<(i64, bool), String> {
    let bad = || format!("« {text} » n'est pas un montant CFONB");
    let mut chars = text.chars();
    let last = chars.next_back().ok_or_else(bad)?;
    let digits = chars.as_str();
    if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) || !last.is_ascii() {
        return Err(bad());
    }
    let (credit, digit) = match last as u8 {
        b'{' => (true, 0),
        c @ b'A'..=b'I' => (true, c - b'A' + 1),
        b'}' => (false, 0),
        c @ b'J'..=b'R' => (false, c - b'J' + 1),
        _ => return Err(bad()),
    };
    let units: i64 = digits.parse::<i64>().map_err(|_| bad())? * 10 + i64::from(digit);
    Ok((units, credit))
}

fn jjmmaa(text: &str) -> Result<Date, String> {
    let bad = || format!("« {text} » n'est pas une date JJMMAA");
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |i: usize| text[i..i + 2].parse::<u32>().map_err(|_| bad());
    Date::from_ymd_opt(2000 + n(4)? as i32, n(2)?, n(0)?).ok_or_else(bad)
}

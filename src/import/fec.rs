//! The French FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF).
//!
//! Accepted: tab or `|` separated, UTF-8 (with or without BOM) or ISO-8859-15,
//! CR, LF or CRLF, 18 columns or 22 (cash-basis BNC extras), headers in any
//! case, `Debit`/`Credit` or `Montant`/`Sens`, fields padded with spaces.
//!
//! Only customer accounts (411…) become ledger rows. The customer is
//! `CompAuxNum`, else `CompteNum`. A debit is an invoice (an opening item in
//! the "à nouveaux" journal); a credit in an entry that books revenue (class
//! 7) or output VAT (4457) is a credit note; any other credit is a payment.
//! Lines sharing a lettering code (`EcritureLet`) are matched together. The
//! FEC has no due date: it is the piece date plus the client's terms.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::borrow::Cow;

use super::{
    text, ImportIssue, ImportKind, ImportPlan, PlannedClient, PlannedItem, PlannedPayment,
};
use crate::dates::{parse_date, Date, IsoDate};
use crate::model::InvoiceKind;
use crate::money::{parse_amount, Currency};

/// The columns Encaisse reads, by their normalised header names.
#[derive(Default)]
struct Columns {
    journal_code: usize,
    journal_lib: Option<usize>,
    ecriture_num: usize,
    compte_num: usize,
    compte_lib: usize,
    comp_aux_num: usize,
    comp_aux_lib: usize,
    piece_ref: usize,
    piece_date: usize,
    ecriture_date: Option<usize>,
    ecriture_lib: usize,
    debit: Option<usize>,
    credit: Option<usize>,
    montant: Option<usize>,
    sens: Option<usize>,
    ecriture_let: usize,
    mode_rglt: Option<usize>,
}

const REQUIRED: [&str; 11] = [
    "journalcode",
    "ecriturenum",
    "comptenum",
    "comptelib",
    "compauxnum",
    "compauxlib",
    "pieceref",
    "piecedate",
    "ecriturelib",
    "ecriturelet",
    "datelet",
];

/// Parses a FEC file into a plan. Problems are collected in `plan.issues`.
pub fn parse(file_name: &str, bytes: &[u8]) -> ImportPlan {
    // The fingerprint is computed on the other core while the lines are read.
    std::thread::scope(|scope| {
        let sha = scope.spawn(|| super::sha256_hex(bytes));
        let mut plan = parse_lines(file_name, bytes);
        plan.sha256 = sha.join().unwrap_or_default();
        plan
    })
}

/// Splits a line on an ASCII separator, into `out`.
fn split_fields<'a>(line: &'a str, sep: u8, out: &mut Vec<&'a str>) {
    out.clear();
    let mut start = 0;
    for at in memchr::memchr_iter(sep, line.as_bytes()) {
        // `sep` is ASCII: `at` is a character boundary.
        out.push(&line[start..at]);
        start = at + 1;
    }
    out.push(&line[start..]);
}

fn parse_lines(file_name: &str, bytes: &[u8]) -> ImportPlan {
    let mut plan = ImportPlan {
        kind: ImportKind::Fec,
        file_name: file_name.to_string(),
        sha256: String::new(),
        encoding: String::new(),
        lines: 0,
        clients: Vec::new(),
        items: Vec::new(),
        payments: Vec::new(),
        issues: Vec::new(),
    };
    let decoded = match text::decode(bytes, encoding_rs::ISO_8859_15) {
        Ok(d) => d,
        Err(issue) => {
            plan.issues.push(issue);
            return plan;
        }
    };
    plan.encoding = decoded.encoding.to_string();
    let mut lines = text::lines(&decoded.text).filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        plan.issues.push(ImportIssue::file("le fichier est vide"));
        return plan;
    };
    let sep = if header.contains('\t') {
        '\t'
    } else if header.contains('|') {
        '|'
    } else {
        plan.issues.push(ImportIssue::at(
            header_line,
            None,
            "séparateur inconnu : un FEC est séparé par des tabulations ou des « | »",
        ));
        return plan;
    };
    let names: Vec<String> = header.split(sep).map(|h| h.trim().to_lowercase()).collect();
    let find = |name: &str| names.iter().position(|n| n == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|n| find(n).is_none())
        .collect();
    let has_amounts = (find("debit").is_some() && find("credit").is_some())
        || (find("montant").is_some() && find("sens").is_some());
    if !missing.is_empty() || !has_amounts {
        let mut list: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        if !has_amounts {
            list.push("Debit et Credit (ou Montant et Sens)".into());
        }
        plan.issues.push(ImportIssue::at(
            header_line,
            None,
            format!(
                "ce n'est pas un FEC : colonnes manquantes : {}",
                list.join(", ")
            ),
        ));
        return plan;
    }
    let col = Columns {
        journal_code: find("journalcode").unwrap_or_default(),
        journal_lib: find("journallib"),
        ecriture_num: find("ecriturenum").unwrap_or_default(),
        compte_num: find("comptenum").unwrap_or_default(),
        compte_lib: find("comptelib").unwrap_or_default(),
        comp_aux_num: find("compauxnum").unwrap_or_default(),
        comp_aux_lib: find("compauxlib").unwrap_or_default(),
        piece_ref: find("pieceref").unwrap_or_default(),
        piece_date: find("piecedate").unwrap_or_default(),
        ecriture_date: find("ecrituredate"),
        ecriture_lib: find("ecriturelib").unwrap_or_default(),
        debit: find("debit"),
        credit: find("credit"),
        montant: find("montant"),
        sens: find("sens"),
        ecriture_let: find("ecriturelet").unwrap_or_default(),
        mode_rglt: find("modereglt").or(find("modereglement")),
    };
    let width = names.len();
    let header_names: Vec<String> = header.split(sep).map(|h| h.trim().to_string()).collect();
    let column_name = |i: usize| header_names.get(i).map(String::as_str).unwrap_or("?");

    // First pass: every line is checked for its shape; customer lines are
    // kept; entries that book revenue or output VAT are remembered. A large
    // file is read in two halves, one per core.
    let text: &str = &decoded.text;
    let passes = match split_point(text, header) {
        Some(mid) => std::thread::scope(|scope| {
            let second = scope.spawn(|| first_pass(&text[mid..], 0, sep as u8, width, &col));
            let first = first_pass(&text[..mid], header_line, sep as u8, width, &col);
            let mut second = second.join().expect("the second half is read");
            // The second half numbered its lines from 1.
            let offset = first.last_line;
            second.last_line += offset;
            for cl in &mut second.customer_lines {
                cl.line += offset;
            }
            for issue in &mut second.issues {
                issue.line += offset;
            }
            vec![first, second]
        }),
        None => vec![first_pass(text, header_line, sep as u8, width, &col)],
    };
    plan.lines = passes
        .iter()
        .map(|p| p.last_line)
        .max()
        .unwrap_or(0)
        .max(header_line);
    plan.issues = passes
        .iter()
        .flat_map(|p| p.issues.iter().cloned())
        .take(200)
        .collect();
    if !plan.issues.is_empty() {
        return plan;
    }
    // An entry's lines are usually together: its own half is looked at first.
    let is_revenue_entry = |half: usize, key: &(&str, &str, &str)| {
        passes[half].revenue.contains(key)
            || passes
                .iter()
                .enumerate()
                .any(|(i, p)| i != half && p.revenue.contains(key))
    };
    let customer_lines = passes
        .iter()
        .enumerate()
        .flat_map(|(half, p)| p.customer_lines.iter().map(move |cl| (half, cl)));
    let customer_count: usize = passes.iter().map(|p| p.customer_lines.len()).sum();
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);

    let mut clients: HashMap<String, PlannedClient> = HashMap::new();
    let mut client_order: Vec<String> = Vec::new();
    // How many times each (journal, entry, piece, client, date, amount) was seen.
    type Occurrence<'a> = (&'a str, &'a str, Cow<'a, str>, &'a str, Date, i64);
    let mut occurrences: HashMap<Occurrence, usize> = HashMap::with_capacity(customer_count);
    let mut issues = Vec::new();
    for (half, cl) in customer_lines {
        split_fields(cl.raw, sep as u8, &mut fields);
        let f = &fields;
        let aux = f[col.comp_aux_num].trim();
        let (code, name) = if aux.is_empty() {
            (f[col.compte_num].trim(), f[col.compte_lib].trim())
        } else {
            let lib = f[col.comp_aux_lib].trim();
            (aux, if lib.is_empty() { aux } else { lib })
        };
        let journal = f[col.journal_code].trim();
        let date = match parse_date(f[col.piece_date]) {
            Ok(d) => d,
            Err(_) if f[col.piece_date].trim().is_empty() => {
                match col.ecriture_date.map(|i| parse_date(f[i])) {
                    Some(Ok(d)) => d,
                    _ => {
                        issues.push(ImportIssue::at(
                            cl.line,
                            Some(column_name(col.piece_date)),
                            "date de pièce vide",
                        ));
                        continue;
                    }
                }
            }
            Err(message) => {
                issues.push(ImportIssue::at(
                    cl.line,
                    Some(column_name(col.piece_date)),
                    message,
                ));
                continue;
            }
        };
        let cents = match amount_of(f, &col) {
            Ok(c) => c,
            Err((column, message)) => {
                issues.push(ImportIssue::at(cl.line, Some(column_name(column)), message));
                continue;
            }
        };
        if cents == 0 {
            continue;
        }
        // Idevise names the currency of Montantdevise only; Debit and Credit are in
        // the accounting currency, which for a French FEC is the euro.
        let currency = Currency::EUR;
        if !clients.contains_key(code) {
            clients.insert(
                code.to_string(),
                PlannedClient {
                    code: code.to_string(),
                    name: name.to_string(),
                    email: String::new(),
                },
            );
            client_order.push(code.to_string());
        }
        let piece_ref = collapse_spaces(f[col.piece_ref]);
        let ecriture_num = f[col.ecriture_num].trim();
        let label = collapse_spaces(f[col.ecriture_lib]).into_owned();
        let letter = Some(f[col.ecriture_let].trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string);
        let n = occurrences
            .entry((journal, ecriture_num, piece_ref.clone(), code, date, cents))
            .or_insert(0);
        *n += 1;
        let source_key = format!(
            "fec:{journal}:{ecriture_num}:{piece_ref}:{code}:{}:{cents}:{n}",
            IsoDate::from(date)
        );
        let journal_lib = col.journal_lib.map(|i| f[i].trim()).unwrap_or("");
        let opening = is_opening_journal(journal, journal_lib);
        let number = if piece_ref.is_empty() {
            format!("{journal}-{ecriture_num}")
        } else {
            piece_ref.to_string()
        };
        if cents > 0 || opening || is_revenue_entry(half, &entry_key(f, &col)) {
            let kind = if opening {
                InvoiceKind::Opening
            } else if cents > 0 {
                InvoiceKind::Invoice
            } else {
                InvoiceKind::CreditNote
            };
            plan.items.push(PlannedItem {
                line: cl.line,
                source_key,
                client_code: code.to_string(),
                number,
                kind,
                issue_date: date,
                due_date: None,
                amount_cents: cents,
                currency,
                label,
                letter,
            });
        } else {
            let method = col
                .mode_rglt
                .map(|i| f[i].trim())
                .filter(|m| !m.is_empty())
                .unwrap_or(journal_lib);
            plan.payments.push(PlannedPayment {
                line: cl.line,
                source_key,
                client_code: code.to_string(),
                date,
                amount_cents: -cents,
                currency,
                method: method.chars().take(40).collect(),
                reference: if label.is_empty() {
                    piece_ref.into_owned()
                } else {
                    label
                }
                .chars()
                .take(120)
                .collect(),
                letter,
            });
        }
    }
    plan.issues = issues;
    disambiguate_numbers(&mut plan.items);
    plan.clients = client_order
        .into_iter()
        .filter_map(|c| clients.remove(&c))
        .collect();
    if plan.issues.is_empty() && plan.items.is_empty() && plan.payments.is_empty() {
        plan.issues.push(ImportIssue::file(
            "aucune ligne de compte client (411…) dans ce FEC",
        ));
    }
    plan
}

/// A customer line: its number and its text.
struct CustomerLine<'a> {
    line: usize,
    raw: &'a str,
}

/// What the first pass over (part of) a file found.
struct FirstPass<'a> {
    customer_lines: Vec<CustomerLine<'a>>,
    /// (journal, entry, piece) of entries booking revenue or output VAT.
    /// Keys borrow from the text: no allocation per line.
    revenue: HashSet<(&'a str, &'a str, &'a str)>,
    issues: Vec<ImportIssue>,
    /// Number of the last line read.
    last_line: usize,
}

/// Checks the shape of every line of `text` after line `skip_through`
/// (the header), keeps customer lines, remembers revenue entries.
fn first_pass<'a>(
    text: &'a str,
    skip_through: usize,
    sep: u8,
    width: usize,
    col: &Columns,
) -> FirstPass<'a> {
    let mut pass = FirstPass {
        customer_lines: Vec::with_capacity(text.len() / 400),
        revenue: HashSet::with_capacity(text.len() / 400),
        issues: Vec::new(),
        last_line: 0,
    };
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    for (number, raw) in text::lines(text) {
        pass.last_line = number;
        if number <= skip_through || raw.trim().is_empty() {
            continue;
        }
        split_fields(raw, sep, &mut fields);
        // A trailing separator is common and harmless.
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            if pass.issues.len() < 200 {
                pass.issues.push(ImportIssue::at(
                    number,
                    None,
                    format!("{} colonnes au lieu de {width}", fields.len()),
                ));
            }
            continue;
        }
        let account = fields[col.compte_num].trim();
        if account.starts_with("411") {
            pass.customer_lines.push(CustomerLine { line: number, raw });
        } else if account.starts_with('7') || account.starts_with("4457") {
            pass.revenue.insert(entry_key(&fields, col));
        }
    }
    pass
}

/// Where to cut a large text in two for reading on two cores: just after a
/// line feed past the middle (and past the header). `None` for a small file.
fn split_point(text: &str, header: &str) -> Option<usize> {
    const PARALLEL_FROM: usize = 4 << 20;
    if text.len() < PARALLEL_FROM {
        return None;
    }
    let header_end = header.as_ptr() as usize - text.as_ptr() as usize + header.len();
    let middle = (text.len() / 2).max(header_end);
    memchr::memchr(b'\n', &text.as_bytes()[middle..]).map(|i| middle + i + 1)
}

fn entry_key<'a>(f: &[&'a str], col: &Columns) -> (&'a str, &'a str, &'a str) {
    (
        f[col.journal_code].trim(),
        f[col.ecriture_num].trim(),
        f[col.piece_ref].trim(),
    )
}

fn is_opening_journal(code: &str, lib: &str) -> bool {
    matches!(
        code.to_ascii_uppercase().as_str(),
        "AN" | "ANO" | "RAN" | "OUV"
    ) || lib.to_lowercase().contains("nouveau")
}

fn collapse_spaces(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    // Tab, a double space or a no-break space (0xC2 0xA0 in UTF-8).
    let untidy = bytes.iter().enumerate().any(|(i, &b)| {
        b == b'\t'
            || (b == b' ' && bytes.get(i + 1) == Some(&b' '))
            || (b == 0xC2 && bytes.get(i + 1) == Some(&0xA0))
    });
    if !untidy {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Debit − credit in cents, or the faulty column and why.
fn amount_of(f: &[&str], col: &Columns) -> Result<i64, (usize, String)> {
    let read = |i: usize| -> Result<i64, (usize, String)> {
        let t = f[i].trim();
        if t.is_empty() {
            Ok(0)
        } else {
            parse_amount(t).map_err(|m| (i, m))
        }
    };
    if let (Some(d), Some(c)) = (col.debit, col.credit) {
        return Ok(read(d)? - read(c)?);
    }
    let (m, s) = (
        col.montant.unwrap_or_default(),
        col.sens.unwrap_or_default(),
    );
    let amount = read(m)?;
    match f[s].trim().to_lowercase().as_str() {
        "d" | "débit" | "debit" | "+1" | "1" => Ok(amount),
        "c" | "crédit" | "credit" | "-1" => Ok(-amount),
        other => Err((s, format!("« {other} » : le sens doit être D ou C"))),
    }
}

/// Piece references repeat across customers (opening entries "RAN") and
/// journals: an invoice number must be unique, so repeated ones name their client.
fn disambiguate_numbers(items: &mut [PlannedItem]) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for item in items.iter() {
        *count.entry(item.number.as_str()).or_default() += 1;
    }
    let repeated: HashSet<String> = count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k.to_string())
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in items.iter_mut() {
        if repeated.contains(&item.number) {
            let base = format!(
                "{} ({} {})",
                item.number,
                item.client_code,
                item.issue_date.format("%d/%m/%Y")
            );
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            item.number = if *n == 1 {
                base
            } else {
                format!("{base} #{n}")
            };
        }
    }
}

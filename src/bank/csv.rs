//! A bank's CSV export (Qonto, Shine, a BNP-like "relevé" download…): the
//! columns are found by their headers, in French or English, whatever
//! their order; the separator (`;`, `,` or tab) by the header line.
//!
//! Needed: a date, and an amount (signed, or a debit and a credit column).
//! Read when present: the payer (counterparty), the label and reference,
//! the currency, the bank's transaction id and the account.

use super::{cents_of, clean, Read, StatementLine};
use crate::books::dates::parse_date;
use crate::books::import::ImportIssue;
use crate::books::money::Currency;

/// The fields a column can hold, with the headers that name it
/// (compared without accents, case or punctuation).
const HEADERS: &[(Field, &[&str])] = &[
    (
        Field::Date,
        &[
            "date",
            "dateoperation",
            "datedeloperation",
            "datedetransaction",
            "datedelatransaction",
            "settlementdate",
            "settlementdateutc",
            "operationdate",
            "operationdateutc",
            "datecomptable",
            "bookingdate",
            "valuedate",
            "datevaleur",
            "datedevaleur",
        ],
    ),
    (
        Field::Amount,
        &[
            "montant",
            "amount",
            "montantoperation",
            "montanteur",
            "montantttc",
            "totalamount",
            "totalamountinclvat",
            "montanttotal",
        ],
    ),
    (
        Field::Credit,
        &["credit", "credits", "creditfeur", "montantcredit"],
    ),
    (Field::Debit, &["debit", "debits", "montantdebit"]),
    (
        Field::Payer,
        &[
            "contrepartie",
            "nomdelacontrepartie",
            "counterpartyname",
            "counterparty",
            "tiers",
            "beneficiaire",
            "emetteur",
            "payeur",
        ],
    ),
    (
        Field::Label,
        &[
            "libelle",
            "libelleoperation",
            "libellecourt",
            "label",
            "description",
            "reference",
            "communication",
            "motif",
            "note",
            "details",
        ],
    ),
    (Field::Currency, &["devise", "currency"]),
    (
        Field::Id,
        &[
            "transactionid",
            "iddetransaction",
            "idtransaction",
            "referencebancaire",
            "id",
        ],
    ),
    (
        Field::Account,
        &["iban", "compte", "account", "numerodecompte"],
    ),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Date,
    Amount,
    Credit,
    Debit,
    Payer,
    Label,
    Currency,
    Id,
    Account,
}

fn squeeze(header: &str) -> String {
    super::matching::squeeze(header).to_ascii_lowercase()
}

/// Whether the first line names a date and an amount column.
pub(super) fn looks_like(text: &str) -> bool {
    let Some(header) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let names = columns(header, separator(header));
    let has = |f: Field| names.iter().any(|(_, g)| *g == Some(f));
    has(Field::Date) && (has(Field::Amount) || has(Field::Credit))
}

fn separator(header: &str) -> u8 {
    [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|&s| header.bytes().filter(|&b| b == s).count())
        .unwrap_or(b';')
}

/// Each header and the field it names (the first column naming a field
/// takes it, except labels: they are all read).
fn columns(header: &str, sep: u8) -> Vec<(String, Option<Field>)> {
    let mut taken: Vec<Field> = Vec::new();
    header
        .split(sep as char)
        .map(|h| {
            let h = h.trim().trim_matches('"');
            let key = squeeze(h);
            let field = HEADERS
                .iter()
                .find(|(_, names)| names.contains(&key.as_str()))
                .map(|(f, _)| *f)
                .filter(|f| !taken.contains(f));
            // Every label column is read (a short and a long label).
            if let Some(f) = field.filter(|f| *f != Field::Label) {
                taken.push(f);
            }
            (h.to_string(), field)
        })
        .collect()
}

pub(super) fn parse(text: &str) -> Result<Read, Vec<ImportIssue>> {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let sep = separator(header);
    let names = columns(header, sep);
    let at = |f: Field| names.iter().position(|(_, g)| *g == Some(f));
    let date =
        at(Field::Date).ok_or_else(|| vec![ImportIssue::at(1, None, "aucune colonne de date")])?;
    let amount = at(Field::Amount);
    let (credit, debit) = (at(Field::Credit), at(Field::Debit));
    if amount.is_none() && credit.is_none() {
        return Err(vec![ImportIssue::at(
            1,
            None,
            "aucune colonne de montant (Montant, ou Crédit et Débit)",
        )]);
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut read = Read {
        lines: Vec::new(),
        debits: 0,
    };
    let mut issues = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                issues.push(ImportIssue::unreadable(&e));
                continue;
            }
        };
        // The line the record starts on, counted in the text: after a CRLF
        // the reader's position is at the LF, one line early.
        let line = record.position().map_or(0, |p| {
            let bytes = text.as_bytes();
            let mut at = (p.byte() as usize).min(bytes.len());
            while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
                at += 1;
            }
            bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
        });
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let column = |i: usize| names.get(i).map(|(h, _)| h.as_str());
        let day = cell(Some(date));
        let day = day
            .get(..10)
            .filter(|d| d.len() == 10 && day.len() > 10)
            .unwrap_or(day);
        let day = match parse_date(day) {
            Ok(d) => d,
            Err(m) => {
                issues.push(ImportIssue::at(line, column(date), m));
                continue;
            }
        };
        let signed = match amount {
            Some(i) => cents_of(cell(Some(i))).map_err(|m| (i, m)),
            None => {
                let money = |i: Option<usize>| match cell(i) {
                    "" => Ok(0),
                    t => cents_of(t).map(i64::abs).map_err(|m| (i.unwrap_or(0), m)),
                };
                money(credit).and_then(|c| money(debit).map(|d| c - d))
            }
        };
        let cents = match signed {
            Ok(c) => c,
            Err((i, m)) => {
                issues.push(ImportIssue::at(line, column(i), m));
                continue;
            }
        };
        if cents <= 0 {
            read.debits += usize::from(cents < 0);
            continue;
        }
        let currency = match cell(at(Field::Currency)) {
            "" => Currency::EUR,
            code => match Currency::parse(code) {
                Ok(c) => c,
                Err(e) => {
                    issues.push(ImportIssue::at(
                        line,
                        at(Field::Currency).and_then(column),
                        e.to_string(),
                    ));
                    continue;
                }
            },
        };
        read.lines.push(StatementLine {
            line,
            account: clean(cell(at(Field::Account))),
            date: day,
            amount_cents: cents,
            currency,
            payer: clean(cell(at(Field::Payer))),
            remittance: clean(
                &names
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, f))| *f == Some(Field::Label))
                    .map(|(i, _)| cell(Some(i)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            bank_ref: clean(cell(at(Field::Id))),
        });
    }
    if issues.is_empty() {
        Ok(read)
    } else {
        Err(issues)
    }
}

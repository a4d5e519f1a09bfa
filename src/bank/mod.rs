//! # The bank: payments as the bank statement shows them
//!
//! Depends on [`books`](crate::books) only. A small business knows it was
//! paid when the money is on its account, days before its accountant
//! letters the payment into the books. This domain owns:
//! - reading the statements the banks give: CAMT.053 (ISO 20022, versions
//!   02 to 08, `camt`), OFX 1 (SGML) and 2 (XML) (`ofx`), CFONB 120, the
//!   French banks' fixed-width format with its continuation records
//!   (`cfonb`), and a bank's CSV export whose columns are found by their
//!   headers (`csv`); credit lines become candidate payments, debits are
//!   counted and left;
//! - the candidate lines kept in the ledger, once each however many
//!   statements overlap, and their fate: confirmed as a payment, or set
//!   aside (`lines`);
//! - the proposals, each with its reasons and a confidence (`matching`): a
//!   pure function of the lines, the clients and their open invoices;
//! - the structured creditor reference (ISO 11649, "RF…") each
//!   communication asking for payment carries, and the invoices each sent
//!   one stands for (`reference`).
//!
//! Its tables: `bank_line`, `payment_reference`.

mod camt;
mod cfonb;
mod csv;
mod lines;
pub mod matching;
mod ofx;
pub mod reference;

use serde::Serialize;

use crate::books::dates::Date;
use crate::books::import::{text, ImportIssue};
use crate::books::money::Currency;

pub(crate) use lines::remember_reference;
pub use lines::{sure_lines, BankImport, BankLine, Confirmed, LineState};
pub use matching::{Confidence, Proposal};

/// The formats read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Format {
    Camt053,
    Ofx,
    Cfonb120,
    Csv,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Camt053 => "CAMT.053",
            Format::Ofx => "OFX",
            Format::Cfonb120 => "CFONB 120",
            Format::Csv => "CSV",
        }
    }
}

/// A credit line of a statement: money received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementLine {
    /// Where it is in the file (line, or record for CFONB).
    pub line: usize,
    /// The account credited, as the statement names it (IBAN or number).
    pub account: String,
    /// The booking date.
    pub date: Date,
    /// What was received, in cents (always > 0).
    pub amount_cents: i64,
    pub currency: Currency,
    /// Who paid, as the bank names them.
    pub payer: String,
    /// The remittance information: free text and structured references.
    pub remittance: String,
    /// The bank's own reference of the line, when it gives one.
    pub bank_ref: String,
}

/// What a statement file holds.
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    pub file_name: String,
    pub format: Option<Format>,
    pub sha256: String,
    pub lines: Vec<StatementLine>,
    /// Debit lines, read and left aside.
    pub debits: usize,
    pub issues: Vec<ImportIssue>,
}

/// Longest text kept from a statement field.
const MAX_FIELD: usize = 500;

/// Reads a bank statement in any of the formats, told apart by their
/// content (not their name). Problems are listed with where they are;
/// a statement with any problem writes nothing.
pub fn parse(file_name: &str, bytes: &[u8]) -> Statement {
    let mut statement = Statement {
        file_name: file_name.to_string(),
        format: None,
        sha256: crate::books::import::sha256_hex(bytes),
        lines: Vec::new(),
        debits: 0,
        issues: Vec::new(),
    };
    let decoded = match text::decode(bytes, encoding_rs::WINDOWS_1252) {
        Ok(d) => d,
        Err(issue) => {
            statement.issues.push(issue);
            return statement;
        }
    };
    let body = decoded.text.trim_start_matches('\u{feff}');
    let start = body.trim_start();
    let result = if start.starts_with("OFXHEADER") {
        statement.format = Some(Format::Ofx);
        ofx::parse(body)
    } else if start.starts_with('<') {
        match crate::books::xml::parse(body) {
            Ok(root) if root.name == "OFX" => {
                statement.format = Some(Format::Ofx);
                ofx::parse(body)
            }
            Ok(root) if root.name == "Document" && root.child("BkToCstmrStmt").is_some() => {
                statement.format = Some(Format::Camt053);
                camt::parse(&root)
            }
            Ok(root) => Err(vec![ImportIssue::at(
                root.line,
                None,
                format!(
                    "XML « {} » : ni un relevé CAMT.053 (BkToCstmrStmt) ni un OFX",
                    root.name
                ),
            )]),
            Err((line, message)) => Err(vec![ImportIssue::at(line, None, message)]),
        }
    } else if cfonb::looks_like(body) {
        statement.format = Some(Format::Cfonb120);
        cfonb::parse(body)
    } else if csv::looks_like(body) {
        statement.format = Some(Format::Csv);
        csv::parse(body)
    } else {
        Err(vec![ImportIssue::file(
            "format de relevé non reconnu : CAMT.053 (XML), OFX, CFONB 120 ou CSV avec une colonne de date et de montant attendus",
        )])
    };
    match result {
        Ok(read) => {
            statement.debits = read.debits;
            statement.lines = read.lines;
            if statement.lines.is_empty() && statement.debits == 0 {
                statement
                    .issues
                    .push(ImportIssue::file("aucune opération dans ce relevé"));
            }
        }
        Err(issues) => statement.issues = issues,
    }
    statement
}

/// What a format's reader returns.
struct Read {
    lines: Vec<StatementLine>,
    debits: usize,
}

/// A field as kept: control characters made spaces, spaces collapsed,
/// bounded in length.
fn clean(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > MAX_FIELD {
            let mut end = MAX_FIELD;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            break;
        }
    }
    out
}

/// An amount written with a decimal point or comma, in cents.
fn cents_of(text: &str) -> Result<i64, String> {
    crate::books::money::parse_amount(text)
}

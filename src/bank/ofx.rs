//! OFX statements: 1.x (SGML: leaf elements are not closed, a header of
//! `KEY:VALUE` lines comes first) and 2.x (XML, checked well-formed and
//! without a DTD before it comes here). Both are read by one tokenizer of
//! tags and values: `<TAG>value`, `</TAG>`.
//!
//! Read: the account (`BANKACCTFROM/ACCTID`), the currency (`CURDEF`) and
//! each transaction (`STMTTRN`): `DTPOSTED`, `TRNAMT` (signed), `FITID`
//! (the bank's unique id), `NAME` or `PAYEE/NAME`, `MEMO`.

use super::{cents_of, clean, Read, StatementLine};
use crate::books::dates::{parse_date, Date};
use crate::books::import::ImportIssue;
use crate::books::money::Currency;

/// One token: a tag opening (with the value that follows it), or closing.
struct Token<'a> {
    line: usize,
    name: &'a str,
    closing: bool,
    value: &'a str,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(open) = rest.find('<') {
        line += rest[..open].matches('\n').count();
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let tag = &after[..close];
        let tail = &after[close + 1..];
        let value_end = tail.find('<').unwrap_or(tail.len());
        let value = tail[..value_end].trim();
        if !(tag.starts_with('?') || tag.starts_with('!')) {
            let (closing, name) = match tag.strip_prefix('/') {
                Some(n) => (true, n.trim()),
                None => (false, tag.trim().trim_end_matches('/')),
            };
            let name = name.split_whitespace().next().unwrap_or("");
            out.push(Token {
                line,
                name,
                closing,
                value,
            });
        }
        line += tag.matches('\n').count();
        rest = tail;
    }
    out
}

/// The five XML entities and character references (`&#233;`, `&#xE9;`);
/// anything else is left as written.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let name = end.map(|e| &tail[1..e]);
        let resolved = match name {
            Some("lt") => Some('<'),
            Some("gt") => Some('>'),
            Some("quot") => Some('"'),
            Some("apos") => Some('\''),
            Some("amp") => Some('&'),
            Some(n) if n.starts_with("#x") || n.starts_with("#X") => {
                u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            Some(n) if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match (resolved, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Default)]
struct Transaction {
    line: usize,
    posted: String,
    amount: String,
    fitid: String,
    name: String,
    memo: String,
}

pub(super) fn parse(text: &str) -> Result<Read, Vec<ImportIssue>> {
    let mut read = Read {
        lines: Vec::new(),
        debits: 0,
    };
    let mut issues = Vec::new();
    let mut account = String::new();
    let mut currency = Currency::EUR;
    let mut current: Option<Transaction> = None;
    let mut seen_ofx = false;
    for token in tokens(text) {
        if token.closing {
            if token.name.eq_ignore_ascii_case("STMTTRN") {
                if let Some(tx) = current.take() {
                    match line_of(tx, &account, currency) {
                        Ok(Some(line)) => read.lines.push(line),
                        Ok(None) => read.debits += 1,
                        Err(issue) => issues.push(issue),
                    }
                }
            }
            continue;
        }
        let name = token.name.to_ascii_uppercase();
        let value = unescape(token.value);
        match name.as_str() {
            "OFX" => seen_ofx = true,
            "ACCTID" if account.is_empty() => account = clean(&value),
            "CURDEF" => match Currency::parse(&value) {
                Ok(c) => currency = c,
                Err(e) => issues.push(ImportIssue::at(token.line, Some("CURDEF"), e.to_string())),
            },
            "STMTTRN" => {
                // An unclosed one before (SGML without end tags) ends here.
                if let Some(tx) = current.take() {
                    match line_of(tx, &account, currency) {
                        Ok(Some(line)) => read.lines.push(line),
                        Ok(None) => read.debits += 1,
                        Err(issue) => issues.push(issue),
                    }
                }
                current = Some(Transaction {
                    line: token.line,
                    ..Default::default()
                });
            }
            _ => {
                if let Some(tx) = current.as_mut() {
                    match name.as_str() {
                        "DTPOSTED" => tx.posted = value,
                        "TRNAMT" => tx.amount = value,
                        "FITID" => tx.fitid = value,
                        "NAME" if tx.name.is_empty() => tx.name = value,
                        "MEMO" => tx.memo = value,
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(tx) = current.take() {
        issues.push(ImportIssue::at(
            tx.line,
            Some("STMTTRN"),
            "fichier tronqué : la dernière opération n'est pas fermée",
        ));
    }
    if !seen_ofx {
        issues.push(ImportIssue::file(
            "aucun élément <OFX> : ce n'est pas un relevé OFX",
        ));
    }
    if account.is_empty() && !read.lines.is_empty() {
        issues.push(ImportIssue::file("compte du relevé absent (ACCTID)"));
    }
    if issues.is_empty() {
        Ok(read)
    } else {
        Err(issues)
    }
}

/// A transaction as a credit line; `None` for a debit.
fn line_of(
    tx: Transaction,
    account: &str,
    currency: Currency,
) -> Result<Option<StatementLine>, ImportIssue> {
    let cents = cents_of(&tx.amount).map_err(|m| ImportIssue::at(tx.line, Some("TRNAMT"), m))?;
    if cents <= 0 {
        return Ok(None);
    }
    let date = ofx_date(&tx.posted).map_err(|m| ImportIssue::at(tx.line, Some("DTPOSTED"), m))?;
    Ok(Some(StatementLine {
        line: tx.line,
        account: account.to_string(),
        date,
        amount_cents: cents,
        currency,
        payer: clean(&tx.name),
        remittance: clean(&tx.memo),
        bank_ref: clean(&tx.fitid),
    }))
}

/// `AAAAMMJJ[HHMMSS[.XXX]][[-5:EST]]`: the day is the first eight digits.
fn ofx_date(text: &str) -> Result<Date, String> {
    let day = text.get(..8).unwrap_or(text);
    if day.len() != 8 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("« {text} » n'est pas une date OFX (AAAAMMJJ)"));
    }
    parse_date(day)
}

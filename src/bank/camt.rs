//! CAMT.053 (ISO 20022 BankToCustomerStatement), versions 02 to 08: the
//! elements read are the same in every version, except the debtor's name
//! (`RltdPties/Dbtr/Nm` up to 07, `RltdPties/Dbtr/Pty/Nm` in 08).
//!
//! An entry (`Ntry`) booked as a credit (`CRDT`) is one line, or one line
//! per transaction (`TxDtls`) when a batch carries several with their own
//! amounts. Pending entries (`Sts` PDNG) are not payments yet and are left.

use super::{cents_of, clean, Read, StatementLine};
use crate::books::dates::{parse_date, Date};
use crate::books::import::ImportIssue;
use crate::books::money::Currency;
use crate::books::xml::Element;

pub(super) fn parse(root: &Element) -> Result<Read, Vec<ImportIssue>> {
    let mut read = Read {
        lines: Vec::new(),
        debits: 0,
    };
    let mut issues = Vec::new();
    let statements = root.child("BkToCstmrStmt").map(|s| s.all("Stmt"));
    for stmt in statements.into_iter().flatten() {
        let account = match stmt.text_at(&["Acct", "Id", "IBAN"]) {
            "" => stmt.text_at(&["Acct", "Id", "Othr", "Id"]),
            iban => iban,
        };
        if account.is_empty() {
            issues.push(ImportIssue::at(
                stmt.line,
                Some("Acct"),
                "compte du relevé absent",
            ));
            continue;
        }
        for entry in stmt.all("Ntry") {
            match entry_lines(entry, account) {
                Ok(None) => read.debits += 1,
                Ok(Some(lines)) => read.lines.extend(lines),
                Err(issue) => issues.push(issue),
            }
        }
    }
    if issues.is_empty() {
        Ok(read)
    } else {
        Err(issues)
    }
}

/// The credit lines of one entry (none when it is not booked yet);
/// `None` for a debit.
fn entry_lines(entry: &Element, account: &str) -> Result<Option<Vec<StatementLine>>, ImportIssue> {
    let status = match entry.text_at(&["Sts"]) {
        "" => entry.text_at(&["Sts", "Cd"]),
        s => s,
    };
    if status == "PDNG" || status == "INFO" {
        // Not booked: neither a payment nor a debit yet.
        return Ok(Some(Vec::new()));
    }
    if entry.text_at(&["CdtDbtInd"]) != "CRDT" {
        return Ok(None);
    }
    let (cents, currency) = amount(entry.child("Amt"), entry.line)?;
    let date = date_of(entry, "BookgDt").or_else(|_| date_of(entry, "ValDt"))?;
    let entry_ref = match entry.text_at(&["AcctSvcrRef"]) {
        "" => entry.text_at(&["NtryRef"]),
        r => r,
    };
    let details: Vec<&Element> = entry
        .all("NtryDtls")
        .flat_map(|d| d.all("TxDtls"))
        .collect();
    let line_of = |tx: Option<&Element>, cents: i64, n: usize| {
        let tx_ref = tx
            .map(|t| match t.text_at(&["Refs", "AcctSvcrRef"]) {
                "" => t.text_at(&["Refs", "EndToEndId"]),
                r => r,
            })
            .filter(|r| !r.is_empty() && *r != "NOTPROVIDED");
        StatementLine {
            line: tx.map_or(entry.line, |t| t.line),
            account: account.to_string(),
            date,
            amount_cents: cents,
            currency,
            payer: tx.map(payer_of).unwrap_or_default(),
            remittance: tx
                .map(remittance_of)
                .unwrap_or_else(|| clean(entry.text_at(&["AddtlNtryInf"]))),
            bank_ref: match (tx_ref, entry_ref) {
                (Some(r), _) => clean(r),
                (None, "") => String::new(),
                (None, e) if n > 0 => format!("{}#{n}", clean(e)),
                (None, e) => clean(e),
            },
        }
    };
    // A batch: one line per transaction with its own amount.
    if details.len() > 1 {
        let mut lines = Vec::new();
        for (n, tx) in details.iter().enumerate() {
            let tx_amount = tx
                .child("Amt")
                .or_else(|| tx.at(&["AmtDtls", "TxAmt", "Amt"]));
            let Some(tx_amount) = tx_amount else {
                // Transactions without amounts: the entry is one payment.
                return Ok(Some(vec![line_of(details.first().copied(), cents, 0)]));
            };
            let (tx_cents, _) = amount(Some(tx_amount), tx.line)?;
            lines.push(line_of(Some(tx), tx_cents, n + 1));
        }
        return Ok(Some(lines));
    }
    Ok(Some(vec![line_of(details.first().copied(), cents, 0)]))
}

fn amount(element: Option<&Element>, line: usize) -> Result<(i64, Currency), ImportIssue> {
    let element = element.ok_or_else(|| ImportIssue::at(line, Some("Amt"), "montant absent"))?;
    let cents =
        cents_of(element.text.trim()).map_err(|m| ImportIssue::at(element.line, Some("Amt"), m))?;
    if cents <= 0 {
        return Err(ImportIssue::at(
            element.line,
            Some("Amt"),
            "montant nul ou négatif (le sens est donné par CdtDbtInd)",
        ));
    }
    let currency = Currency::parse(element.attribute("Ccy").unwrap_or("EUR"))
        .map_err(|e| ImportIssue::at(element.line, Some("Ccy"), e.to_string()))?;
    Ok((cents, currency))
}

fn date_of(entry: &Element, which: &str) -> Result<Date, ImportIssue> {
    let text = match entry.text_at(&[which, "Dt"]) {
        "" => entry.text_at(&[which, "DtTm"]),
        d => d,
    };
    let day = text.get(..10).unwrap_or(text);
    parse_date(day).map_err(|m| {
        let m = if text.is_empty() {
            "date de comptabilisation absente".to_string()
        } else {
            m
        };
        ImportIssue::at(entry.line, Some(which), m)
    })
}

fn payer_of(tx: &Element) -> String {
    let parties = tx.child("RltdPties");
    let name = parties
        .map(|p| match p.text_at(&["Dbtr", "Nm"]) {
            "" => p.text_at(&["Dbtr", "Pty", "Nm"]),
            n => n,
        })
        .unwrap_or("");
    let name = match (name, parties) {
        ("", Some(p)) => match p.text_at(&["UltmtDbtr", "Nm"]) {
            "" => p.text_at(&["UltmtDbtr", "Pty", "Nm"]),
            n => n,
        },
        (n, _) => n,
    };
    clean(name)
}

fn remittance_of(tx: &Element) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(rmt) = tx.child("RmtInf") {
        parts.extend(rmt.all("Ustrd").map(|u| u.text.trim()));
        for strd in rmt.all("Strd") {
            parts.push(strd.text_at(&["CdtrRefInf", "Ref"]));
            parts.extend(strd.all("RfrdDocInf").map(|d| d.text_at(&["Nb"])));
        }
    }
    parts.push(tx.text_at(&["AddtlTxInf"]));
    let e2e = tx.text_at(&["Refs", "EndToEndId"]);
    if e2e != "NOTPROVIDED" {
        parts.push(e2e);
    }
    clean(
        &parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

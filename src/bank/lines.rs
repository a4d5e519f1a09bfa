//! The statement lines in the ledger: kept once, proposed their invoices,
//! confirmed as payments or set aside.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::matching::{ClientRef, Confidence, Credit, Index, OpenRef, Proposal};
use super::Statement;
use crate::books::dates::{Date, IsoDate};
use crate::books::error::{Error, Result};
use crate::books::ledger::{allocate_tx, insert_payment, now_stamp, NewPayment, Source};
use crate::books::money::{Currency, Money};
use crate::books::store::Ledger;

/// What became of a statement line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum LineState {
    Pending,
    Confirmed,
    SetAside,
}

impl LineState {
    fn as_str(self) -> &'static str {
        match self {
            LineState::Pending => "pending",
            LineState::Confirmed => "confirmed",
            LineState::SetAside => "set_aside",
        }
    }

    fn from_stored(text: &str) -> LineState {
        match text {
            "confirmed" => LineState::Confirmed,
            "set_aside" => LineState::SetAside,
            _ => LineState::Pending,
        }
    }
}

/// A credit line kept in the ledger.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BankLine {
    pub id: i64,
    pub account: String,
    pub date: Date,
    pub amount: Money,
    pub payer: String,
    pub remittance: String,
    pub bank_ref: String,
    pub file_name: String,
    pub state: LineState,
    pub payment_id: Option<i64>,
    /// What the line may pay, strongest first (pending lines only).
    pub proposals: Vec<Proposal>,
}

impl BankLine {
    /// The proposal "Tout valider" would record: the strongest, when it is
    /// sure and names invoices.
    fn sure_proposal(&self) -> Option<&Proposal> {
        self.proposals
            .first()
            .filter(|p| p.confidence == Confidence::Sure && !p.invoices.is_empty())
    }
}

/// The lines "Tout valider" records, in order, with the proposal each is
/// recorded for: those whose strongest proposal is sure, but a line whose
/// invoices an earlier sure line already pays stays pending, to be looked
/// at. The button's summary and the confirmation both read this.
pub fn sure_lines(lines: &[BankLine]) -> Vec<(&BankLine, &Proposal)> {
    let mut used: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    for line in lines {
        let Some(p) = line.sure_proposal() else {
            continue;
        };
        if p.invoices.iter().any(|i| used.contains(&i.id)) {
            continue;
        }
        used.extend(p.invoices.iter().map(|i| i.id));
        out.push((line, p));
    }
    out
}

/// What importing a statement did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BankImport {
    /// Credit lines new to the ledger.
    pub added: usize,
    /// Credit lines already there (an overlapping statement, the same one).
    pub known: usize,
    /// Debit lines, left.
    pub debits: usize,
}

/// The sure matches confirmed at once.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Confirmed {
    pub payments: usize,
    pub total: Vec<Money>,
}

impl Ledger {
    /// Keeps the credit lines of `statement` as candidate payments. A
    /// statement with any problem writes nothing; a line already kept (from
    /// an overlapping statement, or this one again) is not kept twice.
    pub fn import_bank(&mut self, statement: &Statement) -> Result<BankImport> {
        if !statement.issues.is_empty() {
            return Err(Error::Import(statement.issues.clone()));
        }
        self.check_statement_account(statement)?;
        let tx = self.conn.transaction()?;
        let mut outcome = BankImport {
            debits: statement.debits,
            ..Default::default()
        };
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO bank_line (source_key, account, date, amount, currency, payer, remittance, bank_ref, file_name, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(source_key) DO NOTHING",
            )?;
            let stamp = now_stamp();
            let mut seen: std::collections::HashMap<String, usize> = Default::default();
            for line in &statement.lines {
                // The bank's reference identifies a line; without one, its
                // day, amount and texts do, numbered when repeated.
                let key = if line.bank_ref.is_empty() {
                    let base = format!(
                        "{}|{}|{}|{}|{}|{}",
                        line.account,
                        IsoDate::from(line.date),
                        line.amount_cents,
                        line.currency.as_str(),
                        line.payer,
                        line.remittance
                    );
                    let n = seen.entry(base.clone()).or_default();
                    *n += 1;
                    format!("{base}|{n}")
                } else {
                    format!("{}|ref|{}", line.account, line.bank_ref)
                };
                let n = insert.execute(params![
                    crate::books::import::sha256_hex(key.as_bytes()),
                    line.account,
                    IsoDate::from(line.date),
                    line.amount_cents,
                    line.currency.as_str(),
                    line.payer,
                    line.remittance,
                    line.bank_ref,
                    statement.file_name,
                    stamp,
                ])?;
                if n == 1 {
                    outcome.added += 1;
                } else {
                    outcome.known += 1;
                }
            }
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Keeps the credit lines of several statements: every statement is
    /// checked (its problems, its account) before any is written, so a bad
    /// one among them writes nothing.
    pub fn import_bank_statements(&mut self, statements: &[Statement]) -> Result<Vec<BankImport>> {
        for statement in statements {
            if !statement.issues.is_empty() {
                return Err(Error::Import(statement.issues.clone()));
            }
            self.check_statement_account(statement)?;
        }
        statements.iter().map(|s| self.import_bank(s)).collect()
    }

    /// Refuses a statement of an account that is not the company's (its
    /// IBAN in Paramètres): an account given as an IBAN must be it; a
    /// domestic account number (OFX, CFONB) must be part of it.
    fn check_statement_account(&self, statement: &Statement) -> Result<()> {
        let alnum = |t: &str| -> String {
            t.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect()
        };
        let iban = alnum(&self.company()?.iban);
        if iban.is_empty() {
            return Ok(());
        }
        for line in &statement.lines {
            let account = alnum(&line.account);
            let is_iban = account.len() > 4
                && account[..2].chars().all(|c| c.is_ascii_alphabetic())
                && account[2..4].chars().all(|c| c.is_ascii_digit());
            let known = account.is_empty()
                || if is_iban {
                    account == iban
                } else {
                    account.len() >= 8 && iban.contains(&account)
                };
            if !known {
                return Err(Error::Import(vec![crate::books::import::ImportIssue::at(
                    line.line,
                    Some("compte"),
                    format!(
                        "{} : relevé du compte {}, qui n'est pas le compte de l'entreprise (IBAN {} dans Paramètres › Entreprise) ; rien n'a été importé",
                        statement.file_name, line.account, iban
                    ),
                )]));
            }
        }
        Ok(())
    }

    /// The statement lines in `state` (all when `None`), oldest first; the
    /// pending ones with their proposals.
    pub fn bank_lines(&self, state: Option<LineState>) -> Result<Vec<BankLine>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, account, date, amount, currency, payer, remittance, bank_ref, file_name, state, payment_id
             FROM bank_line WHERE ?1 IS NULL OR state = ?1 ORDER BY date, id",
        )?;
        let rows = stmt.query_map([state.map(LineState::as_str)], |r| {
            let currency: String = r.get(4)?;
            let state: String = r.get(9)?;
            Ok((
                BankLine {
                    id: r.get(0)?,
                    account: r.get(1)?,
                    date: r.get(2)?,
                    amount: Money::new(r.get(3)?, Currency::EUR),
                    payer: r.get(5)?,
                    remittance: r.get(6)?,
                    bank_ref: r.get(7)?,
                    file_name: r.get(8)?,
                    state: LineState::from_stored(&state),
                    payment_id: r.get(10)?,
                    proposals: Vec::new(),
                },
                currency,
            ))
        })?;
        let mut lines = Vec::new();
        for row in rows {
            let (mut line, currency) = row?;
            line.amount.currency = Currency::from_stored(currency.as_bytes())?;
            lines.push(line);
        }
        if lines.iter().any(|l| l.state == LineState::Pending) {
            let (clients, open) = self.matching_data()?;
            let sent = self.references_named(
                lines
                    .iter()
                    .filter(|l| l.state == LineState::Pending)
                    .flat_map(|l| [l.remittance.as_str(), l.payer.as_str()]),
            )?;
            let index = Index::new(&clients, &open).with_references(&sent);
            for line in lines.iter_mut().filter(|l| l.state == LineState::Pending) {
                line.proposals = index.propose(&Credit {
                    amount_cents: line.amount.cents,
                    currency: line.amount.currency,
                    payer: &line.payer,
                    remittance: &line.remittance,
                });
            }
        }
        Ok(lines)
    }

    /// The proposals for statement lines not kept yet (a dry run).
    pub fn propose_bank_lines(&self, lines: &[super::StatementLine]) -> Result<Vec<Vec<Proposal>>> {
        let (clients, open) = self.matching_data()?;
        let sent = self.references_named(
            lines
                .iter()
                .flat_map(|l| [l.remittance.as_str(), l.payer.as_str()]),
        )?;
        let index = Index::new(&clients, &open).with_references(&sent);
        Ok(lines
            .iter()
            .map(|l| {
                index.propose(&Credit {
                    amount_cents: l.amount_cents,
                    currency: l.currency,
                    payer: &l.payer,
                    remittance: &l.remittance,
                })
            })
            .collect())
    }

    /// The communications sent to the clients whose references `texts`
    /// name.
    fn references_named<'t>(
        &self,
        texts: impl Iterator<Item = &'t str>,
    ) -> Result<Vec<super::reference::Remembered>> {
        let mut clients: Vec<i64> = texts
            .flat_map(super::reference::found_in)
            .map(|d| d.client_id)
            .collect();
        clients.sort_unstable();
        clients.dedup();
        self.remembered_references(&clients)
    }

    /// The clients and their open invoices, as matching reads them.
    pub(crate) fn matching_data(&self) -> Result<(Vec<ClientRef>, Vec<OpenRef>)> {
        let mut stmt = self.conn.prepare("SELECT id, code, name FROM client")?;
        let clients = stmt
            .query_map([], |r| {
                Ok(ClientRef {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    name: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let settled = crate::books::tally::settled_on(&self.conn, None)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, client_id, number, amount, currency, issue_date FROM invoice
             WHERE kind <> 'credit_note' AND withdrawn_by IS NULL",
        )?;
        let mut q = stmt.query([])?;
        let mut open = Vec::new();
        while let Some(r) = q.next()? {
            let id: i64 = r.get(0)?;
            let left = r.get::<_, i64>(3)? - settled.invoices.get(id);
            if left > 0 {
                let currency: String = r.get(4)?;
                open.push(OpenRef {
                    id,
                    client_id: r.get(1)?,
                    number: r.get(2)?,
                    open_cents: left,
                    currency: Currency::from_stored(currency.as_bytes())?,
                    issued: r.get(5)?,
                });
            }
        }
        Ok((clients, open))
    }

    /// Records a pending line as a payment of `client_id` and matches it to
    /// `invoice_ids` in that order, each up to what it has open (what is
    /// left stays on the payment, to match later). Returns the payment.
    pub fn confirm_bank_line(
        &mut self,
        line_id: i64,
        client_id: i64,
        invoice_ids: &[i64],
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let payment = confirm_in(&tx, line_id, client_id, invoice_ids)?;
        tx.commit()?;
        Ok(payment)
    }

    /// Confirms every pending line whose strongest proposal is sure, in one
    /// transaction; a line whose invoices another sure line already pays
    /// stays pending, to be looked at.
    pub fn confirm_sure_bank_lines(&mut self) -> Result<Confirmed> {
        let lines = self.bank_lines(Some(LineState::Pending))?;
        let tx = self.conn.transaction()?;
        let mut done = Confirmed::default();
        for (line, p) in sure_lines(&lines) {
            confirm_in(&tx, line.id, p.client_id, &p.invoice_ids())?;
            done.payments += 1;
            crate::books::ledger::add_to(&mut done.total, line.amount)?;
        }
        tx.commit()?;
        Ok(done)
    }

    /// Sets a pending line aside: it is not a customer's payment (a refund,
    /// a transfer between accounts). It stays aside, even when a later
    /// statement holds it again.
    pub fn set_aside_bank_line(&mut self, line_id: i64) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE bank_line SET state = 'set_aside' WHERE id = ?1 AND state = 'pending'",
            [line_id],
        )?;
        if n == 0 {
            return Err(not_pending(&self.conn, line_id));
        }
        Ok(())
    }
}

fn not_pending(conn: &rusqlite::Connection, line_id: i64) -> Error {
    let state: Option<String> = conn
        .query_row(
            "SELECT state FROM bank_line WHERE id = ?1",
            [line_id],
            |r| r.get(0),
        )
        .optional()
        .unwrap_or(None);
    match state {
        None => Error::invalid("ligne de relevé", format!("aucune ligne n° {line_id}")),
        Some(s) => Error::invalid(
            "ligne de relevé",
            format!(
                "la ligne n° {line_id} est déjà {}",
                if s == "confirmed" {
                    "enregistrée comme paiement"
                } else {
                    "mise de côté"
                }
            ),
        ),
    }
}

fn confirm_in(
    tx: &rusqlite::Transaction,
    line_id: i64,
    client_id: i64,
    invoice_ids: &[i64],
) -> Result<i64> {
    let line: Option<(Date, i64, String, String, String, String)> = tx
        .query_row(
            "SELECT date, amount, currency, bank_ref, remittance, state FROM bank_line WHERE id = ?1",
            [line_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let Some((date, cents, currency, bank_ref, remittance, state)) = line else {
        return Err(not_pending(tx, line_id));
    };
    if state != "pending" {
        return Err(not_pending(tx, line_id));
    }
    let reference: String = if bank_ref.is_empty() {
        remittance
    } else {
        bank_ref
    }
    .chars()
    .take(120)
    .collect();
    let payment = NewPayment {
        client_id,
        date,
        amount: Money::new(cents, Currency::from_stored(currency.as_bytes())?),
        method: "virement".into(),
        reference,
    };
    crate::books::ledger::client_tx(tx, client_id)?;
    let payment_id = insert_payment(tx, &payment)?;
    let mut left = cents;
    for &invoice in invoice_ids {
        if left == 0 {
            break;
        }
        let open = crate::books::ledger::open_cents_tx(tx, invoice)?;
        let part = left.min(open);
        if part > 0 {
            allocate_tx(tx, Source::Payment(payment_id), invoice, part, date)?;
            left -= part;
        }
    }
    tx.execute(
        "UPDATE bank_line SET state = 'confirmed', payment_id = ?2 WHERE id = ?1",
        params![line_id, payment_id],
    )?;
    Ok(payment_id)
}

/// Keeps the reference of a communication sent to `client_id` about
/// `invoice_ids` (once; the same set sent again keeps one row).
pub(crate) fn remember_reference(
    conn: &rusqlite::Connection,
    client_id: i64,
    invoice_ids: &[i64],
) -> Result<()> {
    if invoice_ids.is_empty() {
        return Ok(());
    }
    let mut ids = invoice_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    conn.execute(
        "INSERT OR IGNORE INTO payment_reference (reference, client_id, invoice_ids) VALUES (?1, ?2, ?3)",
        rusqlite::params![
            super::reference::of(client_id, &ids),
            client_id,
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ],
    )?;
    Ok(())
}

impl Ledger {
    /// The references kept for the given clients' communications.
    pub(crate) fn remembered_references(
        &self,
        clients: &[i64],
    ) -> Result<Vec<super::reference::Remembered>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT client_id, invoice_ids FROM payment_reference WHERE client_id = ?1",
        )?;
        let mut out = Vec::new();
        for &client in clients {
            let rows = stmt.query_map([client], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (client_id, ids) = row?;
                let invoice_ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
                out.push(super::reference::Remembered {
                    client_id,
                    fingerprint: super::reference::fingerprint(&invoice_ids),
                    invoice_ids,
                });
            }
        }
        Ok(out)
    }
}

//! Imports: parse → validate → one transaction.
//!
//! A parser ([`fec`], [`csv`]) turns a file into an [`ImportPlan`] and lists
//! every problem it finds with its line and column. The user looks at the
//! [`ImportPreview`], may change client payment terms, then [`Ledger::commit_import`]
//! writes everything in one transaction, or nothing. Every row carries a
//! source key, so importing the same file twice changes nothing.

pub mod csv;
pub mod fec;
pub mod text;

use std::collections::HashMap;
use std::fmt;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dates::{Date, IsoDate};
use crate::error::{Error, Result};
use crate::ledger::{now_stamp, upsert_client_tx};
use crate::model::{Client, InvoiceKind};
use crate::money::Currency;
use crate::store::Ledger;

/// A problem found in a file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportIssue {
    /// 1-based line number; 0 for the whole file.
    pub line: usize,
    /// The column's header name, when one column is at fault.
    pub column: Option<String>,
    pub message: String,
}

impl ImportIssue {
    /// A problem with the whole file.
    pub fn file(message: impl Into<String>) -> Self {
        ImportIssue {
            line: 0,
            column: None,
            message: message.into(),
        }
    }
    /// A problem on a line.
    pub fn at(line: usize, column: Option<&str>, message: impl Into<String>) -> Self {
        ImportIssue {
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (0, _) => write!(f, "{}", self.message),
            (line, Some(column)) => write!(f, "ligne {line}, colonne {column} : {}", self.message),
            (line, None) => write!(f, "ligne {line} : {}", self.message),
        }
    }
}

/// Which importer produced a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Fec,
    Csv,
}

/// A client as the file names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedClient {
    pub code: String,
    pub name: String,
    pub email: String,
}

/// An invoice, credit note or opening item to write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedItem {
    pub line: usize,
    pub source_key: String,
    pub client_code: String,
    pub number: String,
    pub kind: InvoiceKind,
    pub issue_date: Date,
    /// `None`: the issue date plus the client's payment terms.
    pub due_date: Option<Date>,
    pub amount_cents: i64,
    pub currency: Currency,
    pub label: String,
    /// Matching group (FEC lettering code, or one group per CSV invoice).
    pub letter: Option<String>,
}

/// A payment to write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedPayment {
    pub line: usize,
    pub source_key: String,
    pub client_code: String,
    pub date: Date,
    pub amount_cents: i64,
    pub currency: Currency,
    pub method: String,
    pub reference: String,
    pub letter: Option<String>,
}

/// Everything a file would write.
#[derive(Clone, Debug, Serialize)]
pub struct ImportPlan {
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub encoding: String,
    pub lines: usize,
    pub clients: Vec<PlannedClient>,
    pub items: Vec<PlannedItem>,
    pub payments: Vec<PlannedPayment>,
    pub issues: Vec<ImportIssue>,
}

/// One client in the preview, with the terms that will set its due dates.
#[derive(Clone, Debug, Serialize)]
pub struct PreviewClient {
    pub code: String,
    pub name: String,
    pub is_new: bool,
    pub terms_days: u32,
    pub items: usize,
    /// Net of the file's lines for this client (debits less credits), cents.
    pub net_cents: i64,
}

/// What the user sees before accepting an import.
#[derive(Clone, Debug, Serialize)]
pub struct ImportPreview {
    pub kind: ImportKind,
    pub file_name: String,
    pub encoding: String,
    pub lines: usize,
    pub clients: Vec<PreviewClient>,
    pub new_clients: usize,
    pub invoices: usize,
    pub credit_notes: usize,
    pub openings: usize,
    pub payments: usize,
    /// Net balance the file brings (debits less credits), per currency, cents.
    pub net_total: Vec<crate::money::Money>,
    /// Rows already in the ledger (a re-import), which will be left alone.
    pub already_present: usize,
    pub already_imported: bool,
    pub issues: Vec<ImportIssue>,
}

/// What a committed import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub clients_created: usize,
    pub invoices_created: usize,
    pub payments_created: usize,
    pub allocations_created: usize,
    pub skipped: usize,
}

/// SHA-256 of a file's bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// From this many rows, an import drops the secondary indexes and builds
/// them again at the end.
const BULK_ROWS: usize = 20_000;

/// Called with (done, total) as work advances; returning `false` cancels.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

impl Ledger {
    /// What `plan` would write, given payment-terms overrides per client code.
    pub fn preview_import(
        &self,
        plan: &ImportPlan,
        terms: &HashMap<String, u32>,
    ) -> Result<ImportPreview> {
        // One read transaction: one snapshot, and no lock taken per lookup.
        let tx = self.conn.unchecked_transaction()?;
        let mut clients: foldhash::HashMap<String, PreviewClient> = Default::default();
        for c in &plan.clients {
            let existing: Option<u32> = tx
                .query_row(
                    "SELECT terms_days FROM client WHERE code = ?1",
                    [&c.code],
                    |r| r.get(0),
                )
                .optional()?;
            clients.insert(
                c.code.clone(),
                PreviewClient {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    is_new: existing.is_none(),
                    terms_days: terms.get(&c.code).copied().or(existing).unwrap_or(30),
                    items: 0,
                    net_cents: 0,
                },
            );
        }
        let mut net_total = Vec::new();
        let mut already_present = 0;
        let (mut invoices, mut credit_notes, mut openings) = (0, 0, 0);
        let mut exists_item = tx.prepare_cached("SELECT 1 FROM invoice WHERE source_key = ?1")?;
        for item in &plan.items {
            match item.kind {
                InvoiceKind::Invoice => invoices += 1,
                InvoiceKind::CreditNote => credit_notes += 1,
                InvoiceKind::Opening => openings += 1,
            }
            if let Some(c) = clients.get_mut(&item.client_code) {
                c.items += 1;
                c.net_cents += item.amount_cents;
            }
            crate::ledger::add_to(
                &mut net_total,
                crate::money::Money::new(item.amount_cents, item.currency),
            );
            if exists_item.exists([&item.source_key])? {
                already_present += 1;
            }
        }
        let mut exists_payment =
            tx.prepare_cached("SELECT 1 FROM payment WHERE source_key = ?1")?;
        for p in &plan.payments {
            if let Some(c) = clients.get_mut(&p.client_code) {
                c.net_cents -= p.amount_cents;
            }
            crate::ledger::add_to(
                &mut net_total,
                crate::money::Money::new(-p.amount_cents, p.currency),
            );
            if exists_payment.exists([&p.source_key])? {
                already_present += 1;
            }
        }
        let already_imported: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM import WHERE sha256 = ?1)",
            [&plan.sha256],
            |r| r.get(0),
        )?;
        let mut clients: Vec<PreviewClient> = clients.into_values().collect();
        clients.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(ImportPreview {
            kind: plan.kind,
            file_name: plan.file_name.clone(),
            encoding: plan.encoding.clone(),
            lines: plan.lines,
            new_clients: clients.iter().filter(|c| c.is_new).count(),
            clients,
            invoices,
            credit_notes,
            openings,
            payments: plan.payments.len(),
            net_total,
            already_present,
            already_imported,
            issues: plan.issues.clone(),
        })
    }

    /// Writes `plan` in one transaction. `terms` overrides payment terms per
    /// client code (they set the due dates of the file's invoices). Any
    /// problem, or a cancel through `progress`, leaves the ledger untouched.
    pub fn commit_import(
        &mut self,
        plan: &ImportPlan,
        terms: &HashMap<String, u32>,
        progress: Progress,
    ) -> Result<ImportOutcome> {
        if !plan.issues.is_empty() {
            return Err(Error::Import(plan.issues.clone()));
        }
        for (code, days) in terms {
            if *days > 365 {
                return Err(Error::invalid(
                    format!("délai de paiement de {code}"),
                    "365 jours au plus",
                ));
            }
        }
        let bulk = plan.items.len() + plan.payments.len() >= BULK_ROWS;
        // Every id written below comes from a row this transaction wrote or
        // read, so the per-row foreign-key lookups are skipped (they cost a
        // third of a large import); the checkpoint waits for the commit.
        self.conn
            .execute_batch("PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0")?;
        let written = self.write_plan(plan, terms, progress, bulk);
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 1000")?;
        if written.is_ok() && bulk {
            self.checkpoint_in_background();
        }
        written
    }

    fn write_plan(
        &mut self,
        plan: &ImportPlan,
        terms: &HashMap<String, u32>,
        progress: Progress,
        bulk: bool,
    ) -> Result<ImportOutcome> {
        let tx = self.conn.transaction()?;
        if bulk {
            // Building an index once is much faster than growing it row by row.
            crate::store::drop_secondary_indexes(&tx)?;
        }
        let mut outcome = ImportOutcome::default();
        let mut issues = Vec::new();
        let total = plan.items.len() + plan.payments.len();
        let mut done = 0usize;

        // Clients: new ones are created; existing ones keep their file, except
        // the payment terms the user set in the preview.
        let mut client_ids: foldhash::HashMap<&str, (i64, u32)> = Default::default();
        for c in &plan.clients {
            let existing: Option<(i64, u32)> = tx
                .query_row(
                    "SELECT id, terms_days FROM client WHERE code = ?1",
                    [&c.code],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let entry = match existing {
                Some((id, days)) => match terms.get(&c.code) {
                    Some(&new_days) if new_days != days => {
                        tx.execute(
                            "UPDATE client SET terms_days = ?1 WHERE id = ?2",
                            params![new_days, id],
                        )?;
                        (id, new_days)
                    }
                    _ => (id, days),
                },
                None => {
                    let mut client = Client::new(&c.code, &c.name);
                    client.email = c.email.clone();
                    client.terms_days = terms.get(&c.code).copied().unwrap_or(30);
                    if let Err(e) = crate::ledger::validate_client(&client) {
                        issues.push(ImportIssue::file(format!("client {} : {e}", c.code)));
                        continue;
                    }
                    outcome.clients_created += 1;
                    (upsert_client_tx(&tx, &client)?, client.terms_days)
                }
            };
            client_ids.insert(c.code.as_str(), entry);
        }

        // Matching groups: (client, letter) → members (kind, id, date).
        let mut groups: Groups = Default::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label, source_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(source_key) DO NOTHING",
            )?;
            let mut by_key = tx.prepare_cached("SELECT id FROM invoice WHERE source_key = ?1")?;
            let mut by_number =
                tx.prepare_cached("SELECT client_id, amount FROM invoice WHERE number = ?1")?;
            for item in &plan.items {
                done += 1;
                if done % 256 == 0 && !progress(done, total) {
                    return Err(Error::invalid("import", "annulé : rien n'a été importé"));
                }
                let Some(&(client_id, terms_days)) = client_ids.get(item.client_code.as_str())
                else {
                    continue;
                };
                let due = item.due_date.unwrap_or_else(|| {
                    if item.amount_cents < 0 {
                        item.issue_date
                    } else {
                        item.issue_date + chrono::Days::new(terms_days as u64)
                    }
                });
                let mut number = item.number.clone();
                let mut attempt = 0;
                let id = loop {
                    let inserted = match insert.execute(params![
                        client_id,
                        number,
                        item.kind.as_str(),
                        IsoDate::from(item.issue_date),
                        IsoDate::from(due),
                        item.amount_cents,
                        item.currency.as_str(),
                        item.label,
                        item.source_key
                    ]) {
                        Ok(n) => n,
                        Err(rusqlite::Error::SqliteFailure(e, _))
                            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            // The number is taken by another row.
                            let (other_client, other_amount): (i64, i64) =
                                by_number.query_row([&number], |r| Ok((r.get(0)?, r.get(1)?)))?;
                            if plan.kind == ImportKind::Csv {
                                if other_client == client_id && other_amount == item.amount_cents {
                                    outcome.skipped += 1;
                                    break None;
                                }
                                issues.push(ImportIssue::at(
                                    item.line,
                                    Some("numéro"),
                                    format!("la facture {number} existe déjà dans le grand livre avec un autre montant ou un autre client"),
                                ));
                                break None;
                            }
                            // A FEC reuses piece references across journals: keep them apart.
                            attempt += 1;
                            number = if attempt == 1 {
                                format!("{} ({})", item.number, item.client_code)
                            } else {
                                format!("{} ({}) #{attempt}", item.number, item.client_code)
                            };
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    };
                    if inserted == 1 {
                        outcome.invoices_created += 1;
                        // A row written just now is not matched yet: its open amount is known.
                        break Some((
                            tx.last_insert_rowid(),
                            Some((item.issue_date, item.amount_cents)),
                        ));
                    }
                    outcome.skipped += 1;
                    break Some((by_key.query_row([&item.source_key], |r| r.get(0))?, None));
                };
                if let (Some((id, known)), Some(letter)) = (id, item.letter.as_deref()) {
                    let member = if item.amount_cents > 0 {
                        Member::Debit(id)
                    } else {
                        Member::CreditNote(id)
                    };
                    groups
                        .entry((client_id, letter))
                        .or_default()
                        .push((member, known));
                }
            }
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO payment (client_id, date, amount, currency, method, reference, source_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(source_key) DO NOTHING",
            )?;
            let mut by_key = tx.prepare_cached("SELECT id FROM payment WHERE source_key = ?1")?;
            for p in &plan.payments {
                done += 1;
                if done % 256 == 0 && !progress(done, total) {
                    return Err(Error::invalid("import", "annulé : rien n'a été importé"));
                }
                let Some(&(client_id, _)) = client_ids.get(p.client_code.as_str()) else {
                    continue;
                };
                let n = insert.execute(params![
                    client_id,
                    IsoDate::from(p.date),
                    p.amount_cents,
                    p.currency.as_str(),
                    p.method,
                    p.reference,
                    p.source_key
                ])?;
                let (id, known) = if n == 1 {
                    outcome.payments_created += 1;
                    (tx.last_insert_rowid(), Some((p.date, p.amount_cents)))
                } else {
                    outcome.skipped += 1;
                    (by_key.query_row([&p.source_key], |r| r.get(0))?, None)
                };
                if let Some(letter) = p.letter.as_deref() {
                    groups
                        .entry((client_id, letter))
                        .or_default()
                        .push((Member::Payment(id), known));
                }
            }
        }
        if !issues.is_empty() {
            return Err(Error::Import(issues));
        }
        // Rows already in the ledger are looked up by their matching: that
        // needs the indexes.
        let looks_up = groups.values().flatten().any(|(_, known)| known.is_none());
        if bulk && looks_up {
            crate::store::create_secondary_indexes(&tx)?;
        }
        outcome.allocations_created = match_groups(&tx, groups)?;
        if bulk && !looks_up {
            crate::store::create_secondary_indexes(&tx)?;
        }
        progress(total, total);
        tx.execute(
            "INSERT INTO import (kind, file_name, sha256, imported_at, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                match plan.kind {
                    ImportKind::Fec => "fec",
                    ImportKind::Csv => "csv",
                },
                plan.file_name,
                plan.sha256,
                now_stamp(),
                serde_json::to_string(&outcome).unwrap_or_default()
            ],
        )?;
        tx.commit()?;
        Ok(outcome)
    }
}

/// What is left to match on a row written by this import, with its date;
/// `None` for a row already in the ledger (looked up when matching).
type Known = Option<(Date, i64)>;

/// Lettering groups: (client, letter) → members.
type Groups<'a> = foldhash::HashMap<(i64, &'a str), Vec<(Member, Known)>>;

#[derive(Clone, Copy, Debug)]
enum Member {
    Debit(i64),
    CreditNote(i64),
    Payment(i64),
}

/// Settles each lettering group: its credits (payments, credit notes) go to
/// its debits, oldest first. What is already matched is taken into account,
/// so running it again on the same group adds nothing.
fn match_groups(tx: &rusqlite::Transaction, groups: Groups) -> Result<usize> {
    let mut created = 0;
    let mut open_of = tx.prepare_cached(
        "SELECT i.issue_date, i.amount - COALESCE((SELECT SUM(amount) FROM allocation WHERE invoice_id = i.id), 0) + COALESCE((SELECT SUM(amount) FROM allocation WHERE credit_note_id = i.id), 0) FROM invoice i WHERE i.id = ?1",
    )?;
    let mut payment_left = tx.prepare_cached(
        "SELECT p.date, p.amount - COALESCE((SELECT SUM(amount) FROM allocation WHERE payment_id = p.id), 0) FROM payment p WHERE p.id = ?1",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let stamp = now_stamp();
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort();
    for key in keys {
        let members = &groups[&key];
        let mut debits: Vec<(Date, i64, i64)> = Vec::new();
        let mut credits: Vec<(Date, i64, Member)> = Vec::new();
        for &(m, known) in members {
            match m {
                Member::Debit(id) => {
                    let (date, open): (Date, i64) = match known {
                        Some(k) => k,
                        None => open_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?,
                    };
                    if open > 0 {
                        debits.push((date, id, open));
                    }
                }
                Member::CreditNote(id) => {
                    let (date, open): (Date, i64) = match known {
                        Some(k) => k,
                        None => open_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?,
                    };
                    if open < 0 {
                        credits.push((date, -open, m));
                    }
                }
                Member::Payment(id) => {
                    let (date, left): (Date, i64) = match known {
                        Some(k) => k,
                        None => payment_left.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?,
                    };
                    if left > 0 {
                        credits.push((date, left, m));
                    }
                }
            }
        }
        debits.sort();
        credits.sort_by_key(|c| (c.0, c.1));
        let mut d = 0;
        for (credit_date, mut left, member) in credits {
            while left > 0 && d < debits.len() {
                let (debit_date, invoice_id, ref mut open) = debits[d];
                let part = left.min(*open);
                let (payment_id, credit_note_id) = match member {
                    Member::Payment(id) => (Some(id), None),
                    Member::CreditNote(id) => (None, Some(id)),
                    Member::Debit(_) => unreachable!("debits are not credits"),
                };
                insert.execute(params![
                    invoice_id,
                    payment_id,
                    credit_note_id,
                    part,
                    IsoDate::from(debit_date.max(credit_date)),
                    stamp
                ])?;
                created += 1;
                left -= part;
                *open -= part;
                if *open == 0 {
                    d += 1;
                }
            }
        }
    }
    Ok(created)
}

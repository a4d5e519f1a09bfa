//! Imports: parse → validate → one transaction.
//!
//! A parser ([`fec`], [`csv`]) turns a file into an [`ImportPlan`] and lists
//! every problem it finds with its line and column. The user looks at the
//! [`ImportPreview`], may change client payment terms, then [`Ledger::commit_import`]
//! writes everything in one transaction, or nothing. Every row carries a
//! source key, so importing the same file twice changes nothing.

pub mod books;
pub mod csv;
pub mod fec;
pub mod text;

use std::collections::HashMap;
use std::fmt;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use books::Standing;
pub use books::{Freshness, ImportChanges, OpeningCheck, OpeningChoice, OpeningChoices};
use sha2::{Digest, Sha256};

use crate::dates::{Date, IsoDate};
use crate::error::{Error, Result};
use crate::ledger::{now_stamp, upsert_client_tx};
use crate::model::{Client, InvoiceKind};
use crate::money::Currency;
use crate::store::Ledger;

/// A problem found in a file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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

impl ImportIssue {
    /// A CSV line the reader could not take apart, where it is.
    pub fn unreadable(e: &::csv::Error) -> Self {
        let line = e.position().map_or(0, |p| p.line() as usize);
        ImportIssue::at(line, None, format!("ligne illisible : {e}"))
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

/// How many problems an import lists; the others are counted, so a file of
/// a million bad lines gives a readable answer.
pub(crate) const MAX_ISSUES: usize = 200;

/// The line that closes a capped list: how many more there were.
pub(crate) fn more_issues(beyond: usize) -> Option<ImportIssue> {
    (beyond > 0).then(|| ImportIssue::file(format!("… et {beyond} autres erreurs du même genre")))
}

/// Keeps the first [`MAX_ISSUES`] of `issues`, counting the others in `beyond`.
pub(crate) fn cap_issues(issues: &mut Vec<ImportIssue>, beyond: &mut usize) {
    if issues.len() > MAX_ISSUES {
        *beyond += issues.len() - MAX_ISSUES;
        issues.truncate(MAX_ISSUES);
    }
}

/// Which importer produced a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
    /// What the file says of the client beyond its name (a client list, an
    /// invoice export with addresses): each field given completes or
    /// updates the client file; an empty one leaves it as it is.
    pub details: ClientDetails,
}

/// A client's details as a file brings them (empty = not given).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientDetails {
    pub contact: String,
    pub phone: String,
    /// Street lines, separated by `\n`.
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub siren: String,
}

impl ClientDetails {
    pub fn is_empty(&self) -> bool {
        *self == ClientDetails::default()
    }

    /// `client` with the details given written over (an empty one leaves
    /// the client's as it is); true when something changed.
    pub fn apply(&self, client: &mut crate::model::Client) -> bool {
        let before = client.clone();
        for (given, field) in [
            (&self.contact, &mut client.contact),
            (&self.phone, &mut client.phone),
            (&self.address, &mut client.address),
            (&self.postcode, &mut client.postcode),
            (&self.city, &mut client.city),
            (&self.country, &mut client.country),
            (&self.siren, &mut client.siren),
        ] {
            if !given.is_empty() {
                *field = given.clone();
            }
        }
        *client != before
    }
}

/// A short text of a plan's row: kept inline up to 24 bytes (a client
/// code, an invoice number, a lettering code, most labels), so that a
/// million-line file's plan does not make hundreds of thousands of small
/// allocations (it is held whole between the preview and the write).
pub type Text = compact_str::CompactString;

/// An invoice, credit note or opening item to write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedItem {
    pub line: usize,
    pub source_key: Text,
    pub client_code: Text,
    pub number: Text,
    pub kind: InvoiceKind,
    pub issue_date: Date,
    /// `None`: the issue date plus the client's payment terms.
    pub due_date: Option<Date>,
    pub amount_cents: i64,
    pub currency: Currency,
    pub label: Text,
    /// Matching group (FEC lettering code, or one group per CSV invoice).
    pub letter: Option<Text>,
}

/// A payment to write.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedPayment {
    pub line: usize,
    pub source_key: Text,
    pub client_code: Text,
    pub date: Date,
    pub amount_cents: i64,
    pub currency: Currency,
    pub method: Text,
    pub reference: Text,
    pub letter: Option<Text>,
}

/// Everything a file would write.
#[derive(Clone, Debug, Serialize)]
pub struct ImportPlan {
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub encoding: String,
    pub lines: usize,
    /// The first and last entry dates of a FEC (the period its books cover).
    pub period: Option<(Date, Date)>,
    pub clients: Vec<PlannedClient>,
    pub items: Vec<PlannedItem>,
    pub payments: Vec<PlannedPayment>,
    pub issues: Vec<ImportIssue>,
}

/// One client in the preview, with the terms that will set its due dates.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
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
    /// The first and last entry dates of a FEC.
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    /// Where the file meets books already in the ledger: what importing it
    /// would change, the opening entries to reconcile included.
    pub changes: Option<ImportChanges>,
    pub issues: Vec<ImportIssue>,
}

/// What a committed import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportOutcome {
    pub clients_created: usize,
    /// Existing client files completed or updated by the file's details.
    pub clients_updated: usize,
    pub invoices_created: usize,
    pub payments_created: usize,
    pub allocations_created: usize,
    pub skipped: usize,
    /// What changed in the ledger ("what changed").
    pub changes: ImportChanges,
}

/// What the user decided in the preview.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Payment terms per client code (they set the due dates of the file's
    /// invoices).
    pub terms: HashMap<String, u32>,
    /// How to settle differences between opening entries and the ledger.
    pub openings: OpeningChoices,
}

/// One import of the ledger's history, with what it changed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportRecord {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    /// `AAAA-MM-JJTHH:MM:SSZ`.
    pub imported_at: String,
    pub outcome: ImportOutcome,
}

/// The largest file an import reads: several million lines of FEC.
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// Reads the file the user chose for an import (in a dialog or typed): a
/// regular file of at most [`MAX_FILE_BYTES`], never a device, a pipe or a
/// folder (`/dev/zero` would never end). Returns its name and bytes.
pub fn read_chosen_file(path: &std::path::Path) -> Result<(String, Vec<u8>)> {
    use std::io::Read;
    let (name, file) = open_chosen_file(path)?;
    let mut bytes = Vec::new();
    // A file growing while read stops at the limit too.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::invalid(path.display().to_string(), e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(path));
    }
    Ok((name, bytes))
}

/// Opens the file the user chose for an import, checked as
/// [`read_chosen_file`] does, to be read a part at a time
/// ([`fec::parse_from`]). Returns its name and the open file.
pub fn open_chosen_file(path: &std::path::Path) -> Result<(String, std::fs::File)> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
            std::io::ErrorKind::PermissionDenied => "accès refusé".to_string(),
            std::io::ErrorKind::IsADirectory => "c'est un dossier, pas un fichier".to_string(),
            _ => e.to_string(),
        };
        Error::invalid(shown.clone(), why)
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(Error::invalid(shown, "c'est un dossier, pas un fichier"));
    }
    if !meta.is_file() {
        return Err(Error::invalid(
            shown,
            "ce n'est pas un fichier ordinaire (périphérique, tube…) : choisissez un export FEC ou CSV",
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(path));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, file))
}

fn too_big(path: &std::path::Path) -> Error {
    Error::invalid(
        path.display().to_string(),
        format!(
            "fichier trop volumineux ({} Mo au plus)",
            MAX_FILE_BYTES >> 20
        ),
    )
}

/// SHA-256 of a file's bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    crate::evidence::hex(&digest)
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
        // A FEC line's key holds its date: a line dated after every row of
        // the ledger (the next period's file) cannot be there already.
        let latest = |sql: &str| -> Result<Option<Date>> {
            match plan.kind {
                ImportKind::Fec => Ok(tx.query_row(sql, [], |r| r.get(0))?),
                ImportKind::Csv => Ok(Some(Date::MAX)),
            }
        };
        let latest_item = latest("SELECT MAX(issue_date) FROM invoice")?;
        let mut exists_item = tx.prepare_cached("SELECT 1 FROM invoice WHERE source_key = ?1")?;
        for item in &plan.items {
            match item.kind {
                InvoiceKind::Invoice => invoices += 1,
                InvoiceKind::CreditNote => credit_notes += 1,
                InvoiceKind::Opening => openings += 1,
            }
            if let Some(c) = clients.get_mut(item.client_code.as_str()) {
                c.items += 1;
                c.net_cents = crate::money::add_cents(c.net_cents, item.amount_cents)?;
            }
            crate::ledger::add_to(
                &mut net_total,
                crate::money::Money::new(item.amount_cents, item.currency),
            )?;
            if latest_item.is_some_and(|d| item.issue_date <= d)
                && exists_item.exists([item.source_key.as_str()])?
            {
                already_present += 1;
            }
        }
        let latest_payment = latest("SELECT MAX(date) FROM payment")?;
        let mut exists_payment =
            tx.prepare_cached("SELECT 1 FROM payment WHERE source_key = ?1")?;
        for p in &plan.payments {
            if let Some(c) = clients.get_mut(p.client_code.as_str()) {
                c.net_cents = crate::money::add_cents(c.net_cents, -p.amount_cents)?;
            }
            crate::ledger::add_to(
                &mut net_total,
                crate::money::Money::new(-p.amount_cents, p.currency),
            )?;
            if latest_payment.is_some_and(|d| p.date <= d)
                && exists_payment.exists([p.source_key.as_str()])?
            {
                already_present += 1;
            }
        }
        let already_imported: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM import WHERE sha256 = ?1)",
            [&plan.sha256],
            |r| r.get(0),
        )?;
        drop(exists_item);
        drop(exists_payment);
        // Where the file meets books already in the ledger (opening entries,
        // a newer or older file of its period, a later period), the import
        // is rehearsed and rolled back: the preview then shows exactly what
        // it would change, the differences to decide included.
        let changes = if !plan.issues.is_empty() {
            None
        } else if books::meets_periods(&tx, plan)? {
            // The file meets other files of its period or a later one: what
            // it changes depends on every step of the import, which is
            // rehearsed and rolled back.
            let options = ImportOptions {
                terms: terms.clone(),
                openings: OpeningChoices::default(),
            };
            Some(write_plan_in(&tx, plan, &options, &mut |_, _| true, false, true)?.changes)
        } else {
            // The usual case, the next period's file: only its opening
            // entries meet the ledger, and their reconciliation reads it.
            let mut ids = HashMap::new();
            let mut find = tx.prepare_cached("SELECT id FROM client WHERE code = ?1")?;
            for c in &plan.clients {
                if let Some(id) = find.query_row([&c.code], |r| r.get(0)).optional()? {
                    ids.insert(c.code.clone(), id);
                }
            }
            let mut changes = ImportChanges::default();
            let forward = books::reconcile_forward(&tx, plan, &ids, &[], &mut changes)?;
            changes.openings = forward.into_iter().map(|r| r.check).collect();
            (!changes.openings.is_empty() || changes.previous_books_missing).then_some(changes)
        };
        drop(tx);
        let mut clients: Vec<PreviewClient> = clients.into_values().collect();
        clients.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(ImportPreview {
            kind: plan.kind,
            file_name: plan.file_name.clone(),
            encoding: plan.encoding.clone(),
            lines: plan.lines,
            period_start: plan.period.map(|p| p.0),
            period_end: plan.period.map(|p| p.1),
            new_clients: clients.iter().filter(|c| c.is_new).count(),
            clients,
            invoices,
            credit_notes,
            openings,
            payments: plan.payments.len(),
            net_total,
            already_present,
            already_imported,
            changes,
            issues: plan.issues.clone(),
        })
    }

    /// Writes `plan` in one transaction. `terms` overrides payment terms per
    /// client code (they set the due dates of the file's invoices). Any
    /// problem, or a cancel through `progress`, leaves the ledger untouched.
    /// A difference between opening entries and the ledger refuses the
    /// import: see [`Ledger::commit_import_with`] to decide it.
    pub fn commit_import(
        &mut self,
        plan: &ImportPlan,
        terms: &HashMap<String, u32>,
        progress: Progress,
    ) -> Result<ImportOutcome> {
        let options = ImportOptions {
            terms: terms.clone(),
            openings: OpeningChoices::default(),
        };
        self.commit_import_with(plan, &options, progress)
    }

    /// [`Ledger::commit_import`] with the user's decisions on opening
    /// entries that differ from the ledger.
    pub fn commit_import_with(
        &mut self,
        plan: &ImportPlan,
        options: &ImportOptions,
        progress: Progress,
    ) -> Result<ImportOutcome> {
        if !plan.issues.is_empty() {
            return Err(Error::Import(plan.issues.clone()));
        }
        for (code, days) in &options.terms {
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
        let written = (|| {
            let tx = self.conn.transaction()?;
            let outcome = write_plan_in(&tx, plan, options, progress, bulk, false)?;
            tx.commit()?;
            Ok(outcome)
        })();
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 1000")?;
        if written.is_ok() && bulk {
            self.checkpoint_in_background();
        }
        written
    }

    /// The imports, newest first, each with what it changed.
    pub fn import_history(&self) -> Result<Vec<ImportRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, file_name, imported_at, summary FROM import ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            let summary: String = r.get(4)?;
            Ok(ImportRecord {
                id: r.get(0)?,
                kind: r.get(1)?,
                file_name: r.get(2)?,
                imported_at: r.get(3)?,
                outcome: serde_json::from_str(&summary).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Writes `plan` through `tx` (committed or rolled back by the caller).
/// `rehearsal`: the preview's dry run, where an undecided difference is
/// listed instead of refusing the import.
fn write_plan_in(
    tx: &rusqlite::Transaction,
    plan: &ImportPlan,
    options: &ImportOptions,
    progress: Progress,
    bulk: bool,
    rehearsal: bool,
) -> Result<ImportOutcome> {
    let terms = &options.terms;
    let mut outcome = ImportOutcome::default();
    let changes = &mut outcome.changes;
    changes.period_start = plan.period.map(|p| IsoDate::from(p.0).as_str().to_string());
    changes.period_end = plan.period.map(|p| IsoDate::from(p.1).as_str().to_string());
    tx.execute(
        "INSERT INTO import (kind, file_name, sha256, imported_at, summary, period_start, period_end) VALUES (?1, ?2, ?3, ?4, '', ?5, ?6)",
        params![
            match plan.kind {
                ImportKind::Fec => "fec",
                ImportKind::Csv => "csv",
            },
            plan.file_name,
            plan.sha256,
            now_stamp(),
            plan.period.map(|p| IsoDate::from(p.0)),
            plan.period.map(|p| IsoDate::from(p.1)),
        ],
    )?;
    let import_id = tx.last_insert_rowid();
    let finish = |tx: &rusqlite::Transaction, outcome: &ImportOutcome| -> Result<()> {
        tx.execute(
            "UPDATE import SET summary = ?2 WHERE id = ?1",
            params![
                import_id,
                serde_json::to_string(outcome).unwrap_or_default()
            ],
        )?;
        Ok(())
    };
    // A file older than one already imported for its period changes nothing.
    if let Standing::Older { newer, newer_file } = books::standing(tx, plan, Some(import_id))? {
        tx.execute(
            "UPDATE import SET superseded_by = ?2 WHERE id = ?1",
            params![import_id, newer],
        )?;
        outcome.changes.superseded_by = Some(newer_file);
        outcome.skipped = plan.items.len() + plan.payments.len();
        finish(tx, &outcome)?;
        return Ok(outcome);
    }
    // The imports of the same period this file now stands for.
    let same_period: Vec<i64> = match plan.period {
        Some((start, _)) => {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM import WHERE kind = 'fec' AND period_start = ?1 AND id <> ?2",
            )?;
            let rows = stmt.query_map(params![IsoDate::from(start), import_id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        }
        None => Vec::new(),
    };
    if !same_period.is_empty() {
        tx.execute(
            &format!(
                "UPDATE import SET superseded_by = ?1 WHERE superseded_by IS NULL AND id IN ({})",
                same_period
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            [import_id],
        )?;
    }
    let has_rows: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM invoice) OR EXISTS (SELECT 1 FROM payment)",
        [],
        |r| r.get(0),
    )?;
    let before = if has_rows {
        Some(books::Snapshot::take(tx)?)
    } else {
        None
    };
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
            Some((id, _)) if !c.details.is_empty() || !c.email.is_empty() => {
                // The file's details complete the client file; its invoices
                // are not touched.
                let mut client = crate::ledger::client_tx(tx, id)?;
                let mut changed = c.details.apply(&mut client);
                if client.email.is_empty() && !c.email.is_empty() {
                    client.email = c.email.clone();
                    changed = true;
                }
                if let Some(&new_days) = terms.get(&c.code) {
                    changed |= client.terms_days != new_days;
                    client.terms_days = new_days;
                }
                if changed {
                    if let Err(e) = crate::ledger::validate_client(&client) {
                        issues.push(ImportIssue::file(format!("client {} : {e}", c.code)));
                        continue;
                    }
                    upsert_client_tx(tx, &client)?;
                    outcome.clients_updated += 1;
                }
                (id, client.terms_days)
            }
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
                c.details.apply(&mut client);
                client.terms_days = terms.get(&c.code).copied().unwrap_or(30);
                if let Err(e) = crate::ledger::validate_client(&client) {
                    issues.push(ImportIssue::file(format!("client {} : {e}", c.code)));
                    continue;
                }
                outcome.clients_created += 1;
                (upsert_client_tx(tx, &client)?, client.terms_days)
            }
        };
        client_ids.insert(c.code.as_str(), entry);
    }
    let ids_by_code: HashMap<String, i64> = client_ids
        .iter()
        .map(|(code, (id, _))| (code.to_string(), *id))
        .collect();

    // Opening entries meeting the items of an earlier period.
    let forward =
        books::reconcile_forward(tx, plan, &ids_by_code, &same_period, &mut outcome.changes)?;
    let checks: Vec<&books::OpeningCheck> = forward.iter().map(|r| &r.check).collect();
    if !rehearsal {
        if let Some(message) = books::undecided(&checks, &options.openings) {
            return Err(Error::invalid("à-nouveaux", message));
        }
    }
    let mut stands_for: foldhash::HashMap<String, Vec<i64>> = Default::default();
    for rec in &forward {
        let choice = options.openings_for(&rec.check.client_code, rehearsal);
        let carried = books::apply_forward(tx, rec, choice, import_id, &mut outcome.changes)?;
        for (line, ids) in rec.lines.iter().zip(carried) {
            stands_for.insert(line.source_key.clone(), ids);
        }
        outcome.changes.openings.push(rec.check.clone());
    }
    // Lines already carried by an earlier file of the period.
    {
        let mut carried =
            tx.prepare_cached("SELECT invoice_id FROM carry WHERE source_key = ?1")?;
        for item in plan.items.iter().filter(|i| i.kind == InvoiceKind::Opening) {
            if stands_for.contains_key(item.source_key.as_str()) {
                continue;
            }
            let ids: Vec<i64> = carried
                .query_map([item.source_key.as_str()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if !ids.is_empty() {
                stands_for.insert(item.source_key.to_string(), ids);
            }
        }
    }

    if bulk {
        // Building an index once is much faster than growing it row by row
        // (the reconciliation above looked rows up by client: not before).
        crate::store::drop_secondary_indexes(tx)?;
    }

    // Rows of earlier files of the period that this one no longer holds, by
    // what identifies their line: corrected if it comes back, else withdrawn.
    let mut gone_items = books::rows_of(tx, "invoice", &same_period)?;
    let mut gone_payments = books::rows_of(tx, "payment", &same_period)?;
    for item in &plan.items {
        gone_items.remove(item.source_key.as_str());
    }
    for p in &plan.payments {
        gone_payments.remove(p.source_key.as_str());
    }
    let mut gone_item_ids: HashMap<String, (String, i64)> = gone_items
        .iter()
        .filter_map(|(key, id)| books::identity(key).map(|i| (i, (key.clone(), *id))))
        .collect();
    let mut gone_payment_ids: HashMap<String, (String, i64)> = gone_payments
        .iter()
        .filter_map(|(key, id)| books::identity(key).map(|i| (i, (key.clone(), *id))))
        .collect();

    let track = !same_period.is_empty();
    let mut lettering = Lettering {
        track,
        ..Default::default()
    };
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label, source_key, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
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
            let Some(&(client_id, terms_days)) = client_ids.get(item.client_code.as_str()) else {
                continue;
            };
            // An opening line standing for items already in the ledger.
            if let Some(ids) = stands_for
                .get(item.source_key.as_str())
                .filter(|ids| !ids.is_empty())
            {
                outcome.skipped += 1;
                if let Some(letter) = item.letter.as_deref() {
                    for &id in ids {
                        lettering.add(client_id, letter, Member::item(id, item.amount_cents), None);
                    }
                }
                continue;
            }
            let due = item.due_date.unwrap_or_else(|| {
                if item.amount_cents < 0 {
                    item.issue_date
                } else {
                    item.issue_date + chrono::Days::new(terms_days as u64)
                }
            });
            // A line of an earlier file of the period, corrected.
            if !gone_item_ids.is_empty() {
                if let Some((old_key, id)) =
                    books::identity(&item.source_key).and_then(|i| gone_item_ids.remove(&i))
                {
                    gone_items.remove(&old_key);
                    let (old_amount, old_date): (i64, Date) = tx.query_row(
                        "SELECT amount, issue_date FROM invoice WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    books::unmatch_invoice(tx, id)?;
                    tx.execute(
                        "UPDATE invoice SET amount = ?2, issue_date = ?3, due_date = ?4, source_key = ?5, import_id = ?6, label = ?7 WHERE id = ?1",
                        params![id, item.amount_cents, IsoDate::from(item.issue_date), IsoDate::from(due), item.source_key.as_str(), import_id, item.label.as_str()],
                    )?;
                    let mut what = Vec::new();
                    if old_amount != item.amount_cents {
                        what.push(format!(
                            "montant {} → {}",
                            crate::money::format_cents_fr(old_amount),
                            crate::money::format_cents_fr(item.amount_cents)
                        ));
                    }
                    if old_date != item.issue_date {
                        what.push(format!(
                            "date {} → {}",
                            crate::dates::format_fr(old_date),
                            crate::dates::format_fr(item.issue_date)
                        ));
                    }
                    outcome.changes.changed.push(books::InvoiceChange {
                        number: item.number.to_string(),
                        client_code: item.client_code.to_string(),
                        currency: item.currency,
                        open_before: old_amount,
                        open_after: item.amount_cents,
                        note: what.join(", "),
                    });
                    if let Some(letter) = item.letter.as_deref() {
                        let member = Member::item(id, item.amount_cents);
                        lettering.add(client_id, letter, member, None);
                    }
                    continue;
                }
            }
            let mut number = item.number.clone();
            let mut attempt = 0;
            let id = loop {
                let inserted = match insert.execute(params![
                    client_id,
                    number.as_str(),
                    item.kind.as_str(),
                    IsoDate::from(item.issue_date),
                    IsoDate::from(due),
                    item.amount_cents,
                    item.currency.as_str(),
                    item.label.as_str(),
                    item.source_key.as_str(),
                    import_id
                ]) {
                    Ok(n) => n,
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        // The number is taken by another row.
                        let (other_client, other_amount): (i64, i64) = by_number
                            .query_row([number.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
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
                            compact_str::format_compact!("{} ({})", item.number, item.client_code)
                        } else {
                            compact_str::format_compact!(
                                "{} ({}) #{attempt}",
                                item.number,
                                item.client_code
                            )
                        };
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                if inserted == 1 {
                    outcome.invoices_created += 1;
                    match item.kind {
                        InvoiceKind::Invoice => outcome.changes.new_invoices += 1,
                        InvoiceKind::CreditNote => outcome.changes.new_credit_notes += 1,
                        InvoiceKind::Opening => outcome.changes.new_openings += 1,
                    }
                    // A row written just now is not matched yet: its open amount is known.
                    break Some((
                        tx.last_insert_rowid(),
                        Some((item.issue_date, item.amount_cents)),
                    ));
                }
                outcome.skipped += 1;
                break Some((
                    by_key.query_row([item.source_key.as_str()], |r| r.get(0))?,
                    None,
                ));
            };
            if let (Some((id, known)), Some(letter)) = (id, item.letter.as_deref()) {
                lettering.add(
                    client_id,
                    letter,
                    Member::item(id, item.amount_cents),
                    known,
                );
            }
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO payment (client_id, date, amount, currency, method, reference, source_key, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
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
            let corrected = if gone_payment_ids.is_empty() {
                None
            } else {
                books::identity(&p.source_key).and_then(|i| gone_payment_ids.remove(&i))
            };
            let (id, known) = if let Some((old_key, id)) = corrected {
                gone_payments.remove(&old_key);
                unmatch_payment(tx, id)?;
                tx.execute(
                    "UPDATE payment SET date = ?2, amount = ?3, source_key = ?4, import_id = ?5 WHERE id = ?1",
                    params![id, IsoDate::from(p.date), p.amount_cents, p.source_key.as_str(), import_id],
                )?;
                (id, None)
            } else {
                let n = insert.execute(params![
                    client_id,
                    IsoDate::from(p.date),
                    p.amount_cents,
                    p.currency.as_str(),
                    p.method.as_str(),
                    p.reference.as_str(),
                    p.source_key.as_str(),
                    import_id
                ])?;
                if n == 1 {
                    outcome.payments_created += 1;
                    outcome.changes.new_payments += 1;
                    (tx.last_insert_rowid(), Some((p.date, p.amount_cents)))
                } else {
                    outcome.skipped += 1;
                    (
                        by_key.query_row([p.source_key.as_str()], |r| r.get(0))?,
                        None,
                    )
                }
            };
            if let Some(letter) = p.letter.as_deref() {
                lettering.add(client_id, letter, Member::Payment(id), known);
            }
        }
    }
    if !issues.is_empty() {
        return Err(Error::Import(issues));
    }
    // What the newest file of the period no longer holds.
    if track {
        withdraw_gone(
            tx,
            &gone_items,
            &gone_payments,
            import_id,
            &mut outcome.changes,
        )?;
    }
    // Rows already in the ledger are looked up by their matching: that
    // needs the indexes.
    let looks_up = track
        || lettering
            .groups
            .values()
            .flatten()
            .any(|(_, known)| known.is_none());
    if bulk && looks_up {
        crate::store::create_secondary_indexes(tx)?;
    }
    if track {
        books::unletter(tx, &same_period, &lettering.invoices, &lettering.payments)?;
    }
    outcome.allocations_created = match_groups(tx, lettering.groups, import_id)?;
    if bulk && !looks_up {
        crate::store::create_secondary_indexes(tx)?;
    }
    // Items of this period meeting the opening items of the next one.
    books::revisit_entries(tx, plan, &ids_by_code, import_id, &mut outcome.changes)?;
    let backward = books::reconcile_backward(tx, plan, &ids_by_code)?;
    let checks: Vec<&books::OpeningCheck> = backward.iter().map(|(r, _)| &r.check).collect();
    if !rehearsal {
        if let Some(message) = books::undecided(&checks, &options.openings) {
            return Err(Error::invalid("à-nouveaux", message));
        }
    }
    for (rec, openings) in &backward {
        let choice = options.openings_for(&rec.check.client_code, rehearsal);
        books::apply_backward(tx, rec, openings, choice, import_id, &mut outcome.changes)?;
        outcome.changes.openings.push(rec.check.clone());
    }
    progress(total, total);
    match before {
        Some(before) => books::compare(tx, &before, &mut outcome.changes)?,
        None => outcome.changes.open_after = books::totals(tx)?,
    }
    finish(tx, &outcome)?;
    Ok(outcome)
}

impl ImportOptions {
    /// The decision for a client's difference; in a rehearsal, an undecided
    /// one is played as "keep the ledger" (and listed in the preview).
    fn openings_for(&self, code: &str, rehearsal: bool) -> Option<OpeningChoice> {
        let choice = self
            .openings
            .per_client
            .get(code)
            .copied()
            .or(self.openings.default);
        match (choice, rehearsal) {
            (None, true) => Some(OpeningChoice::KeepLedger),
            (choice, _) => choice,
        }
    }
}

/// Reverses every live allocation made from payment `id`.
fn unmatch_payment(tx: &rusqlite::Transaction, id: i64) -> Result<()> {
    let live: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "SELECT a.id FROM allocation a WHERE a.payment_id = ?1 AND a.reverses IS NULL
               AND NOT EXISTS (SELECT 1 FROM allocation r WHERE r.reverses = a.id)",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for a in live {
        books::reverse(tx, a)?;
    }
    Ok(())
}

/// Withdraws the rows of earlier files of the period that the newest one
/// no longer holds, their matching undone first.
fn withdraw_gone(
    tx: &rusqlite::Transaction,
    items: &HashMap<String, i64>,
    payments: &HashMap<String, i64>,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<()> {
    let mut ids: Vec<i64> = items.values().copied().collect();
    ids.sort();
    for id in ids {
        let (number, code, amount, currency): (String, String, i64, String) = tx.query_row(
            "SELECT i.number, c.code, i.amount, i.currency FROM invoice i JOIN client c ON c.id = i.client_id WHERE i.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let freed = books::unmatch_invoice(tx, id)?;
        tx.execute(
            "UPDATE invoice SET withdrawn_by = ?2 WHERE id = ?1",
            params![id, import_id],
        )?;
        changes.withdrawn.push(books::InvoiceChange {
            number,
            client_code: code,
            currency: Currency::parse(&currency)?,
            open_before: amount - freed.iter().map(|f| f.1).sum::<i64>(),
            open_after: 0,
            note: "absente du fichier le plus récent de l'exercice".into(),
        });
    }
    for id in payments.values() {
        unmatch_payment(tx, *id)?;
        tx.execute(
            "UPDATE payment SET withdrawn_by = ?2 WHERE id = ?1",
            params![id, import_id],
        )?;
    }
    Ok(())
}

/// What is left to match on a row written by this import, with its date;
/// `None` for a row already in the ledger (looked up when matching).
type Known = Option<(Date, i64)>;

/// An invoice's date and what is open of it now (a credit note: what is
/// left to use, negative).
pub(crate) const OPEN_OF_SQL: &str = "SELECT i.issue_date, i.amount - COALESCE((SELECT SUM(amount) FROM allocation WHERE invoice_id = i.id), 0) + COALESCE((SELECT SUM(amount) FROM allocation WHERE credit_note_id = i.id), 0) FROM invoice i WHERE i.id = ?1";

/// Lettering groups: (client, letter) → members.
type Groups<'a> = foldhash::HashMap<(i64, &'a str), Vec<(Member, Known)>>;

#[derive(Clone, Copy, Debug)]
enum Member {
    Debit(i64),
    CreditNote(i64),
    Payment(i64),
}

impl Member {
    /// An invoice (a debit) or a credit note, by the sign of its amount.
    fn item(id: i64, cents: i64) -> Member {
        if cents > 0 {
            Member::Debit(id)
        } else {
            Member::CreditNote(id)
        }
    }
}

/// A file's lettering groups and, for the newest file of a period whose
/// older files are in the ledger (`track`), the groups of each row: the
/// lettering those files made that this one no longer has is undone.
#[derive(Default)]
struct Lettering<'a> {
    groups: Groups<'a>,
    track: bool,
    index: foldhash::HashMap<(i64, &'a str), usize>,
    invoices: HashMap<i64, Vec<usize>>,
    payments: HashMap<i64, Vec<usize>>,
}

impl<'a> Lettering<'a> {
    fn add(&mut self, client: i64, letter: &'a str, member: Member, known: Known) {
        if self.track {
            let n = self.index.len();
            let g = *self.index.entry((client, letter)).or_insert(n);
            match member {
                Member::Payment(id) => self.payments.entry(id).or_default().push(g),
                Member::Debit(id) | Member::CreditNote(id) => {
                    self.invoices.entry(id).or_default().push(g)
                }
            }
        }
        self.groups
            .entry((client, letter))
            .or_default()
            .push((member, known));
    }
}

/// Settles each lettering group: its credits (payments, credit notes) go to
/// its debits, oldest first. What is already matched is taken into account,
/// so running it again on the same group adds nothing.
fn match_groups(tx: &rusqlite::Transaction, groups: Groups, import_id: i64) -> Result<usize> {
    let mut created = 0;
    let mut open_of = tx.prepare_cached(OPEN_OF_SQL)?;
    let mut payment_left = tx.prepare_cached(
        "SELECT p.date, p.amount - COALESCE((SELECT SUM(amount) FROM allocation WHERE payment_id = p.id), 0) FROM payment p WHERE p.id = ?1",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, created_at, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
                    stamp,
                    import_id
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

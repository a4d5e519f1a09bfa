//! The books over time: successive FEC imports of the same company.
//!
//! A ledger is fed for years: a mid-year FEC, then the year-end one, then the
//! next year's, whose opening entries ("à-nouveaux", journal AN/ANO/RAN)
//! carry forward the customers' unpaid items. The rules, whatever the order
//! the files come in:
//!
//! - **Periods.** A FEC covers the days from its first to its last entry
//!   date. Two files starting on the same day are the same period; the one
//!   running later is the newer. A file older than one already imported for
//!   its period changes nothing ([`Standing::Older`]).
//! - **Same period, newer file.** Its lines are the truth for the period: a
//!   line of the older file it no longer holds is withdrawn, a line whose
//!   amount or date was corrected is updated in place (a *change*, not a new
//!   invoice), and the lettering of the older file that the newer one no
//!   longer has is undone by reversing rows (délettrage reopens).
//! - **Opening entries meet older items** (year N, then N+1). A customer's
//!   opening lines are reconciled with its items open the day before the
//!   period: when the amounts agree the lines are not written, they *carry*
//!   those items (one line per invoice: each to its invoice; one line per
//!   customer: to all of them), and payments lettered against an opening
//!   line settle the items it carries.
//! - **Older items meet opening items** (year N+1, then N). The opening items
//!   of the next period are reconciled the same way, then withdrawn: the
//!   payments that settled them settle the items they stood for.
//! - **Differences** are never settled silently: the preview lists them per
//!   customer and the user chooses ([`OpeningChoice`]): keep the ledger's
//!   items and record the difference as an adjustment, or take the opening
//!   line and close the ledger's items. A corrected file of the previous
//!   period works those entries out again.
//! - **Only complete books close a period.** Opening entries are reconciled
//!   with a previous FEC that runs to within a month of the period's start
//!   (or with rows from CSV or by hand); with a year missing, or only a
//!   mid-year file, they stay opening items until the missing books come.
//!
//! Every import ends with [`ImportChanges`]: what is new, newly paid,
//! reopened, changed, withdrawn, carried forward, and the open total before
//! and after. It is kept with the import.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{ImportPlan, PlannedItem};
use crate::dates::{Date, IsoDate};
use crate::error::Result;
use crate::model::InvoiceKind;
use crate::money::Currency;

/// How a user settles a difference between opening entries and the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpeningChoice {
    /// Keep the ledger's items; the difference becomes an adjustment item.
    KeepLedger,
    /// Take the opening lines as they are and close the ledger's items.
    UseOpening,
}

impl OpeningChoice {
    /// `keep` or `replace` (command line), also the serde names.
    pub fn parse(text: &str) -> Option<OpeningChoice> {
        match text {
            "keep" | "keep_ledger" => Some(OpeningChoice::KeepLedger),
            "replace" | "use_opening" => Some(OpeningChoice::UseOpening),
            _ => None,
        }
    }
}

/// The user's decisions on the differences of one import.
#[derive(Clone, Debug, Default)]
pub struct OpeningChoices {
    /// Per client code.
    pub per_client: HashMap<String, OpeningChoice>,
    /// For every other client with a difference; `None`: refuse the import
    /// while a difference is left undecided.
    pub default: Option<OpeningChoice>,
}

impl OpeningChoices {
    fn of(&self, code: &str) -> Option<OpeningChoice> {
        self.per_client.get(code).copied().or(self.default)
    }
}

/// Which way opening entries meet the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Direction {
    /// The file's opening lines meet items of an earlier period.
    Forward,
    /// The file's items meet opening items of the next period.
    Backward,
}

/// How a customer's opening entries stand against the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum OpeningState {
    /// The amounts agree: the opening lines carry the ledger's items.
    Carried,
    /// The amounts differ: the user chooses.
    Gap,
}

/// One customer's opening entries against the ledger, for the preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OpeningCheck {
    pub client_code: String,
    pub client_name: String,
    pub direction: Direction,
    pub state: OpeningState,
    pub currency: Currency,
    /// The opening lines' total.
    pub opening_cents: i64,
    /// The ledger's balance for the customer the day before the period.
    pub ledger_cents: i64,
    /// Opening − ledger.
    pub gap_cents: i64,
    /// How many of the ledger's items the opening lines stand for.
    pub items: usize,
    /// Each opening line matched its own invoice (detailed openings).
    pub detailed: bool,
}

/// An amount per currency, as kept in an import's summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Total {
    pub currency: Currency,
    pub cents: i64,
}

/// An invoice an import changed, for the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InvoiceChange {
    pub number: String,
    pub client_code: String,
    pub currency: Currency,
    pub open_before: i64,
    pub open_after: i64,
    /// What settled it, what changed in it, or why it went.
    pub note: String,
}

/// A FEC whose last entry is at most this many days before the next
/// period's first runs to the end of its period (the last days of a year
/// may have no entry).
const COMPLETE_WITHIN_DAYS: i64 = 31;

/// How many invoices of each list the summary names; the rest are counted.
const LISTED: usize = 500;

/// What an import changed in the ledger. Kept with the import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportChanges {
    /// The period of the FEC, as `AAAA-MM-JJ`.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// The newer file of the same period that made this one change nothing.
    pub superseded_by: Option<String>,
    pub new_invoices: usize,
    pub new_credit_notes: usize,
    pub new_openings: usize,
    pub new_payments: usize,
    pub newly_paid: Vec<InvoiceChange>,
    pub newly_paid_count: usize,
    pub reopened: Vec<InvoiceChange>,
    pub reopened_count: usize,
    /// Lines whose amount or date a newer file of the period corrected.
    pub changed: Vec<InvoiceChange>,
    /// Items the newest books no longer hold, and opening items replaced by
    /// the items they stood for.
    pub withdrawn: Vec<InvoiceChange>,
    /// Opening lines reconciled with items already in the ledger.
    pub carried_forward: usize,
    /// The ledger holds books of an earlier period but not the complete
    /// previous one: the opening entries stay opening items until it comes.
    pub previous_books_missing: bool,
    /// The reconciliation of opening entries, per customer.
    pub openings: Vec<OpeningCheck>,
    /// Differences recorded as adjustment items or closed by the opening.
    pub adjustments: Vec<InvoiceChange>,
    /// Balance of the whole ledger (open items less unallocated payments).
    pub open_before: Vec<Total>,
    pub open_after: Vec<Total>,
}

/// Where a FEC stands against the periods already imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Not a FEC, or no period could be read.
    Unknown,
    /// The newest file of its period: applied. `earlier` are the imports of
    /// the same period it supersedes.
    Newest { earlier: Vec<i64> },
    /// A newer file of the same period is in the ledger: nothing to apply.
    Older { newer: i64, newer_file: String },
}

/// Where `plan` stands. `this` is the plan's own import row, if written.
pub(crate) fn standing(tx: &Transaction, plan: &ImportPlan, this: Option<i64>) -> Result<Standing> {
    let Some((start, end)) = plan.period else {
        return Ok(Standing::Unknown);
    };
    let mut stmt = tx.prepare_cached(
        "SELECT id, period_end, file_name FROM import
         WHERE kind = 'fec' AND period_start = ?1 AND superseded_by IS NULL AND id IS NOT ?2
         ORDER BY id",
    )?;
    let rows = stmt.query_map(params![IsoDate::from(start), this], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Date>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut earlier = Vec::new();
    for row in rows {
        let (id, other_end, file) = row?;
        if other_end > end {
            return Ok(Standing::Older {
                newer: id,
                newer_file: file,
            });
        }
        earlier.push(id);
    }
    Ok(Standing::Newest { earlier })
}

/// A row of the ledger as the reconciliation looks at it.
#[derive(Clone, Debug)]
struct OpenItem {
    id: i64,
    number: String,
    date: Date,
    open: i64,
}

/// Every client's items open on `day` and unallocated payments, leaving
/// out the rows written by `exclude` imports: read in one scan of each
/// table (a next year's file reconciles thousands of customers at once).
struct OpenOn {
    items: HashMap<(i64, Currency), Vec<OpenItem>>,
    unallocated: HashMap<(i64, Currency), i64>,
    /// Clients with any row up to `day`.
    known: HashSet<i64>,
}

impl OpenOn {
    fn read(tx: &Transaction, day: Date, exclude: &[i64]) -> Result<OpenOn> {
        let settled = crate::tally::settled_on(tx, Some(day))?;
        let excluded: HashSet<i64> = exclude.iter().copied().collect();
        let mut open = OpenOn {
            items: HashMap::new(),
            unallocated: HashMap::new(),
            known: HashSet::new(),
        };
        {
            let mut stmt = tx.prepare_cached(
                "SELECT id, client_id, number, issue_date, amount, currency, import_id FROM invoice
                 WHERE issue_date <= ?1 AND withdrawn_by IS NULL",
            )?;
            let mut q = stmt.query([IsoDate::from(day)])?;
            while let Some(r) = q.next()? {
                if r.get::<_, Option<i64>>(6)?
                    .is_some_and(|i| excluded.contains(&i))
                {
                    continue;
                }
                let (id, client): (i64, i64) = (r.get(0)?, r.get(1)?);
                open.known.insert(client);
                let left = r.get::<_, i64>(4)? - settled.invoices.get(id);
                if left != 0 {
                    let currency =
                        Currency::from_stored(r.get_ref(5)?.as_bytes().unwrap_or(b"EUR"))?;
                    open.items
                        .entry((client, currency))
                        .or_default()
                        .push(OpenItem {
                            id,
                            number: r.get(2)?,
                            date: r.get(3)?,
                            open: left,
                        });
                }
            }
        }
        // Each client's few items oldest first (sorting the whole table in
        // SQL cost more than the scan).
        for items in open.items.values_mut() {
            items.sort_by_key(|i| (i.date, i.id));
        }
        let mut stmt = tx.prepare_cached(
            "SELECT id, client_id, amount, currency, import_id FROM payment WHERE date <= ?1 AND withdrawn_by IS NULL",
        )?;
        let mut q = stmt.query([IsoDate::from(day)])?;
        while let Some(r) = q.next()? {
            if r.get::<_, Option<i64>>(4)?
                .is_some_and(|i| excluded.contains(&i))
            {
                continue;
            }
            let (id, client): (i64, i64) = (r.get(0)?, r.get(1)?);
            open.known.insert(client);
            let left = r.get::<_, i64>(2)? - settled.payments.get(id);
            if left != 0 {
                let currency = Currency::from_stored(r.get_ref(3)?.as_bytes().unwrap_or(b"EUR"))?;
                let sum = open.unallocated.entry((client, currency)).or_default();
                *sum = crate::money::add_cents(*sum, left)?;
            }
        }
        Ok(open)
    }

    /// A client's open items (oldest first) and unallocated payments.
    fn of(&mut self, client: i64, currency: Currency) -> (Vec<OpenItem>, i64) {
        (
            self.items.remove(&(client, currency)).unwrap_or_default(),
            self.unallocated
                .get(&(client, currency))
                .copied()
                .unwrap_or(0),
        )
    }
}

/// `1, 2, 3` for an `IN (…)` (ids are integers: nothing to escape); `-1`
/// for none, an id no row has (`NULL` would make `NOT IN` unknown).
fn ids_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "-1".into();
    }
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An opening line, as the reconciliation matches it to items.
#[derive(Clone, Debug)]
pub(crate) struct OpeningLine {
    pub source_key: String,
    pub number: String,
    pub label: String,
    pub date: Date,
    pub cents: i64,
}

impl From<&PlannedItem> for OpeningLine {
    fn from(item: &PlannedItem) -> Self {
        OpeningLine {
            source_key: item.source_key.to_string(),
            number: item.number.to_string(),
            label: item.label.to_string(),
            date: item.issue_date,
            cents: item.amount_cents,
        }
    }
}

/// Which items each opening line stands for: one each when every line
/// finds its own invoice (by its number, else by amount and date, else by
/// an amount no other item has); otherwise every line stands for all items.
fn map_lines(lines: &[OpeningLine], items: &[OpenItem]) -> (Vec<Vec<i64>>, bool) {
    let all: Vec<i64> = items.iter().map(|i| i.id).collect();
    let everything = || (vec![all.clone(); lines.len()], false);
    if lines.len() < 2 && items.len() > 1 {
        return everything();
    }
    let mut used: HashSet<i64> = HashSet::new();
    let mut each = Vec::with_capacity(lines.len());
    for line in lines {
        let reference = line
            .number
            .strip_prefix(OPENING_PREFIX)
            .unwrap_or(&line.number);
        let free = || items.iter().filter(|i| !used.contains(&i.id) && i.open > 0);
        // The number is the surest mark: the amount carried may differ from
        // the invoice's (a credit note left open beside it).
        let by_number = free().find(|i| {
            let own = i.number.strip_prefix(OPENING_PREFIX).unwrap_or(&i.number);
            own == reference || (own.chars().count() >= 3 && line.label.contains(own))
        });
        let same = || free().filter(|i| i.open == line.cents);
        let by_date = || same().find(|i| i.date == line.date);
        let by_amount = || {
            let mut found = same();
            match (found.next(), found.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        };
        match by_number.or_else(by_date).or_else(by_amount) {
            Some(item) => {
                used.insert(item.id);
                each.push(vec![item.id]);
            }
            None => each.push(Vec::new()),
        }
    }
    // Lines that found no invoice of their own stand for the items no line
    // found.
    let rest: Vec<i64> = all
        .iter()
        .copied()
        .filter(|id| !used.contains(id))
        .collect();
    let detailed = each.iter().all(|ids| !ids.is_empty());
    for ids in each.iter_mut().filter(|ids| ids.is_empty()) {
        ids.clone_from(&rest);
    }
    (each, detailed)
}

/// What an opening item's number starts with when its piece reference is
/// another document's (an invoice number in detailed openings): the
/// invoice itself keeps its number when its own books come.
pub(crate) const OPENING_PREFIX: &str = "AN ";

/// The reconciliation of one customer's opening lines, as decided.
#[derive(Clone, Debug)]
pub(crate) struct Reconciled {
    pub check: OpeningCheck,
    pub client_id: i64,
    pub lines: Vec<OpeningLine>,
    /// Per line, the ledger items it stands for.
    pub carried: Vec<Vec<i64>>,
    /// The items open the day before the period.
    items: Vec<OpenItem>,
    /// The day before the period.
    day: Date,
}

/// Reconciles the opening lines of `plan` with the items already in the
/// ledger (year N, then N+1). `client_ids` maps the plan's client codes to
/// existing clients; `same_period` are the imports of the plan's period.
/// Lines already written or already carried are left alone.
pub(crate) fn reconcile_forward(
    tx: &Transaction,
    plan: &ImportPlan,
    client_ids: &HashMap<String, i64>,
    same_period: &[i64],
    changes: &mut ImportChanges,
) -> Result<Vec<Reconciled>> {
    let Some((start, _)) = plan.period else {
        return Ok(Vec::new());
    };
    let Some(day) = start.pred_opt() else {
        return Ok(Vec::new());
    };
    // The opening entries carry the previous period's closing state: they
    // are reconciled with a previous FEC only when it runs to the end of
    // that period. Otherwise (a year missing, only a mid-year file) they
    // stay opening items until the missing books come and absorb them.
    let previous_end: Option<Date> = tx.query_row(
        "SELECT MAX(period_end) FROM import WHERE kind = 'fec' AND superseded_by IS NULL AND period_end < ?1",
        [IsoDate::from(start)],
        |r| r.get(0),
    )?;
    if previous_end.is_some_and(|end| (start - end).num_days() > COMPLETE_WITHIN_DAYS) {
        changes.previous_books_missing = true;
        return Ok(Vec::new());
    }
    let mut known = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM invoice WHERE source_key = ?1) OR EXISTS (SELECT 1 FROM carry WHERE source_key = ?1)",
    )?;
    let mut per_client: BTreeMap<&str, Vec<&PlannedItem>> = BTreeMap::new();
    for item in &plan.items {
        if item.kind == InvoiceKind::Opening
            && !known.query_row([item.source_key.as_str()], |r| r.get::<_, bool>(0))?
        {
            per_client
                .entry(item.client_code.as_str())
                .or_default()
                .push(item);
        }
    }
    let mut out = Vec::new();
    if per_client.is_empty() {
        return Ok(out);
    }
    let mut ledger = OpenOn::read(tx, day, same_period)?;
    let names: HashMap<&str, &str> = plan
        .clients
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    for (code, openings) in per_client {
        let Some(&client_id) = client_ids.get(code) else {
            continue;
        };
        // A customer the ledger knows nothing of before the period: its
        // opening lines are its first items.
        if !ledger.known.contains(&client_id) {
            continue;
        }
        let currency = openings[0].currency;
        let (items, unallocated) = ledger.of(client_id, currency);
        let lines: Vec<OpeningLine> = openings.iter().map(|i| OpeningLine::from(*i)).collect();
        out.push(decide(
            code,
            names.get(code).copied().unwrap_or_default(),
            client_id,
            Direction::Forward,
            currency,
            lines,
            items,
            unallocated,
            day,
        ));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn decide(
    code: &str,
    name: &str,
    client_id: i64,
    direction: Direction,
    currency: Currency,
    lines: Vec<OpeningLine>,
    items: Vec<OpenItem>,
    unallocated: i64,
    day: Date,
) -> Reconciled {
    let opening: i64 = lines.iter().map(|l| l.cents).sum();
    let ledger: i64 = items.iter().map(|i| i.open).sum::<i64>() - unallocated;
    let (carried, detailed) = map_lines(&lines, &items);
    let state = if opening == ledger {
        OpeningState::Carried
    } else {
        OpeningState::Gap
    };
    Reconciled {
        check: OpeningCheck {
            client_code: code.to_string(),
            client_name: name.to_string(),
            direction,
            state,
            currency,
            opening_cents: opening,
            ledger_cents: ledger,
            gap_cents: opening - ledger,
            items: items.len(),
            detailed: detailed && state == OpeningState::Carried,
        },
        client_id,
        lines,
        carried,
        items,
        day,
    }
}

/// The period that follows a file's, when the file closes its own (runs
/// to within [`COMPLETE_WITHIN_DAYS`] of the next one's start).
struct NextPeriod {
    /// The day before the next period.
    day: Date,
    /// The imports of the next period.
    imports: Vec<i64>,
}

fn next_period(tx: &Transaction, plan: &ImportPlan) -> Result<Option<NextPeriod>> {
    let Some((_, end)) = plan.period else {
        return Ok(None);
    };
    let next: Option<Date> = tx
        .query_row(
            "SELECT MIN(period_start) FROM import WHERE kind = 'fec' AND superseded_by IS NULL AND period_start > ?1",
            [IsoDate::from(end)],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let Some(next) = next else {
        return Ok(None);
    };
    // Only books that run to the end of their period close it.
    if (next - end).num_days() > COMPLETE_WITHIN_DAYS {
        return Ok(None);
    }
    let mut stmt = tx.prepare("SELECT id FROM import WHERE kind = 'fec' AND period_start = ?1")?;
    let rows = stmt.query_map([IsoDate::from(next)], |r| r.get(0))?;
    Ok(Some(NextPeriod {
        day: next.pred_opt().unwrap_or(next),
        imports: rows.collect::<rusqlite::Result<_>>()?,
    }))
}

/// A newer file of a period changes the closing state the next period's
/// opening entries were reconciled with: the differences kept apart
/// ("Écart AN") and the closings by the opening ("Reprise AN") written then
/// are worked out again, so that none of them claims a debt the books no
/// longer show.
pub(crate) fn revisit_entries(
    tx: &Transaction,
    plan: &ImportPlan,
    client_ids: &HashMap<String, i64>,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<()> {
    let Some(next) = next_period(tx, plan)? else {
        return Ok(());
    };
    let wanted: HashSet<i64> = client_ids.values().copied().collect();
    let sql = format!(
        "SELECT i.id, i.client_id, c.code, i.number, i.source_key, i.amount, i.currency FROM invoice i JOIN client c ON c.id = i.client_id
         WHERE i.withdrawn_by IS NULL AND (i.source_key LIKE 'fec-gap:%' OR i.source_key LIKE 'fec-close:%')
           AND i.import_id IN ({}) ORDER BY i.id",
        ids_list(&next.imports)
    );
    let entries: Vec<(i64, i64, String, String, String, i64, String)> = {
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|e| wanted.contains(&e.1))
            .collect()
    };
    if entries.is_empty() {
        return Ok(());
    }
    // A closing's own matching is undone first: the balance it closes is
    // read without it.
    for e in entries.iter().filter(|e| e.4.starts_with("fec-close:")) {
        unmatch_invoice(tx, e.0)?;
    }
    let mut ledger = OpenOn::read(tx, next.day, &next.imports)?;
    let mut opening_of = tx.prepare(&format!(
        "SELECT DISTINCT k.source_key FROM carry k JOIN invoice i ON i.id = k.invoice_id
         WHERE i.client_id = ?1 AND k.import_id IN ({})",
        ids_list(&next.imports)
    ))?;
    for (id, client, code, number, key, was, currency) in entries {
        let currency = Currency::parse(&currency)?;
        let (items, unallocated) = ledger.of(client, currency);
        let balance = items.iter().map(|i| i.open).sum::<i64>() - unallocated;
        let now = if key.starts_with("fec-gap:") {
            // The opening lines carried, by the amounts in their keys.
            let keys: Vec<String> = opening_of
                .query_map([client], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let opening: i64 = keys.iter().filter_map(|k| key_cents(k)).sum();
            opening - balance
        } else {
            -balance
        };
        if now == 0 {
            tx.execute(
                "UPDATE invoice SET withdrawn_by = ?2 WHERE id = ?1",
                params![id, import_id],
            )?;
        } else {
            let kind = if now > 0 {
                InvoiceKind::Opening
            } else {
                InvoiceKind::CreditNote
            };
            tx.execute(
                "UPDATE invoice SET amount = ?2, kind = ?3 WHERE id = ?1",
                params![id, now, kind.as_str()],
            )?;
            if key.starts_with("fec-close:") && now < 0 {
                close_with(tx, id, -now, &items, next.day, import_id)?;
            }
        }
        if now != was {
            changes.adjustments.push(InvoiceChange {
                number,
                client_code: code,
                currency,
                open_before: was,
                open_after: now,
                note: "recalculé : le fichier plus récent de l'exercice précédent change son solde de clôture".into(),
            });
        }
    }
    Ok(())
}

/// The amount, in cents, a FEC line's source key carries.
fn key_cents(source_key: &str) -> Option<i64> {
    // fec:{journal}:{entry}:{piece}:{client}:{date}:{cents}:{n}
    source_key.rsplit(':').nth(1)?.parse().ok()
}

/// The opening items of the period that follows `plan`'s (year N+1 already
/// in the ledger, N arriving), per client, reconciled with the client's
/// items open at the end of `plan`'s period. Read after the plan's rows are
/// written.
pub(crate) fn reconcile_backward(
    tx: &Transaction,
    plan: &ImportPlan,
    client_ids: &HashMap<String, i64>,
) -> Result<Vec<(Reconciled, Vec<i64>)>> {
    let Some(NextPeriod {
        day,
        imports: next_imports,
    }) = next_period(tx, plan)?
    else {
        return Ok(Vec::new());
    };
    // The next period's opening items of the file's clients.
    let sql = format!(
        "SELECT client_id, id, source_key, number, label, issue_date, amount, currency FROM invoice
         WHERE kind = 'opening' AND withdrawn_by IS NULL AND source_key LIKE 'fec:%'
           AND import_id IN ({}) ORDER BY issue_date, id",
        ids_list(&next_imports)
    );
    let wanted: HashMap<i64, &String> = client_ids.iter().map(|(code, id)| (*id, code)).collect();
    // Per client code: its id and its opening items (id, line, currency).
    type Openings = (i64, Vec<(i64, OpeningLine, String)>);
    let mut found: BTreeMap<&String, Openings> = BTreeMap::new();
    // Customers whose opening was taken as it stood, the ledger's items
    // closed ("Reprise AN"): that decision stands.
    let decided: HashSet<i64> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT client_id FROM invoice WHERE withdrawn_by IS NULL AND source_key LIKE 'fec-close:%' AND import_id IN ({})",
            ids_list(&next_imports)
        ))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    {
        let mut stmt = tx.prepare(&sql)?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let client: i64 = r.get(0)?;
            let Some(code) = wanted.get(&client).filter(|_| !decided.contains(&client)) else {
                continue;
            };
            found.entry(code).or_insert((client, Vec::new())).1.push((
                r.get(1)?,
                OpeningLine {
                    source_key: r.get(2)?,
                    number: r.get(3)?,
                    label: r.get(4)?,
                    date: r.get(5)?,
                    cents: r.get(6)?,
                },
                r.get(7)?,
            ));
        }
    }
    let mut out = Vec::new();
    if found.is_empty() {
        return Ok(out);
    }
    let mut ledger = OpenOn::read(tx, day, &next_imports)?;
    for (code, (client_id, openings)) in found {
        let currency = Currency::parse(&openings[0].2)?;
        let (items, unallocated) = ledger.of(client_id, currency);
        if items.is_empty() && unallocated == 0 {
            // The ledger knows nothing of this customer before the next
            // period: its opening items stay its only record.
            continue;
        }
        let name: String =
            tx.query_row("SELECT name FROM client WHERE id = ?1", [client_id], |r| {
                r.get(0)
            })?;
        let ids: Vec<i64> = openings.iter().map(|f| f.0).collect();
        let lines: Vec<OpeningLine> = openings.into_iter().map(|f| f.1).collect();
        out.push((
            decide(
                code,
                &name,
                client_id,
                Direction::Backward,
                currency,
                lines,
                items,
                unallocated,
                day,
            ),
            ids,
        ));
    }
    Ok(out)
}

/// The customers whose differences have no decision, as one message.
pub(crate) fn undecided(checks: &[&OpeningCheck], choices: &OpeningChoices) -> Option<String> {
    let open: Vec<String> = checks
        .iter()
        .filter(|c| c.state == OpeningState::Gap && choices.of(&c.client_code).is_none())
        .map(|c| {
            format!(
                "{} : ouverture {}, grand livre {}, écart {}",
                c.client_code,
                crate::money::Money::new(c.opening_cents, c.currency).format_fr(),
                crate::money::Money::new(c.ledger_cents, c.currency).format_fr(),
                crate::money::Money::new(c.gap_cents.abs(), c.currency).format_fr()
            )
        })
        .collect();
    (!open.is_empty()).then(|| {
        format!(
            "les à-nouveaux ne correspondent pas au grand livre pour {} client{} ; choisissez de garder le grand livre ou de reprendre l'ouverture : {}",
            open.len(),
            if open.len() > 1 { "s" } else { "" },
            open.join(" ; ")
        )
    })
}

/// Writes what `rec` decided for lines that are not (yet) items: carry rows
/// for agreeing amounts, else the user's choice. Returns, per line, the
/// items that stand in for it when it is lettered (empty: write the line as
/// an item of its own).
pub(crate) fn apply_forward(
    tx: &Transaction,
    rec: &Reconciled,
    choice: Option<OpeningChoice>,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<Vec<Vec<i64>>> {
    let keep = match rec.check.state {
        OpeningState::Carried => true,
        OpeningState::Gap => choice == Some(OpeningChoice::KeepLedger),
    };
    if keep {
        write_carry(tx, &rec.lines, &rec.carried, import_id)?;
        changes.carried_forward += rec.lines.len();
        if rec.check.gap_cents != 0 {
            adjust(tx, rec, import_id, changes)?;
        }
        Ok(rec.carried.clone())
    } else {
        close_items(tx, rec, import_id, changes)?;
        Ok(vec![Vec::new(); rec.lines.len()])
    }
}

fn write_carry(
    tx: &Transaction,
    lines: &[OpeningLine],
    carried: &[Vec<i64>],
    import_id: i64,
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO carry (source_key, invoice_id, import_id) VALUES (?1, ?2, ?3)",
    )?;
    for (line, ids) in lines.iter().zip(carried) {
        for id in ids {
            insert.execute(params![line.source_key, id, import_id])?;
        }
    }
    Ok(())
}

/// The difference kept as an item of its own, dated the first day of the
/// period: owed more (an opening item) or less (a credit note).
fn adjust(
    tx: &Transaction,
    rec: &Reconciled,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<()> {
    let gap = rec.check.gap_cents;
    let date = rec.day.succ_opt().unwrap_or(rec.day);
    let entry = Entry {
        what: "Écart AN",
        key: "fec-gap",
        label: "Écart entre les à-nouveaux et le grand livre",
        date,
        cents: gap,
    };
    if let Some((_, number)) = entry.write(tx, rec, import_id)? {
        changes.adjustments.push(InvoiceChange {
            number,
            client_code: rec.check.client_code.clone(),
            currency: rec.check.currency,
            open_before: 0,
            open_after: gap,
            note: "écart gardé à part (grand livre conservé)".into(),
        });
    }
    Ok(())
}

/// The opening lines are taken as they stand: the ledger's items open the
/// day before the period are closed by one entry of their balance.
fn close_items(
    tx: &Transaction,
    rec: &Reconciled,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<()> {
    let balance = rec.check.ledger_cents;
    if balance == 0 {
        return Ok(());
    }
    let entry = Entry {
        what: "Reprise AN",
        key: "fec-close",
        label: "Soldes repris par les à-nouveaux",
        date: rec.day,
        cents: -balance,
    };
    let Some((closing, number)) = entry.write(tx, rec, import_id)? else {
        return Ok(());
    };
    if balance > 0 {
        close_with(tx, closing, balance, &rec.items, rec.day, import_id)?;
    }
    changes.adjustments.push(InvoiceChange {
        number,
        client_code: rec.check.client_code.clone(),
        currency: rec.check.currency,
        open_before: balance,
        open_after: 0,
        note: "soldes du grand livre repris par les à-nouveaux".into(),
    });
    Ok(())
}

/// An entry the reconciliation writes for a customer: a difference kept
/// apart, or the closing of the ledger's items.
struct Entry {
    /// Start of its number, e.g. "Écart AN".
    what: &'static str,
    /// Start of its source key: one entry per customer and day.
    key: &'static str,
    label: &'static str,
    date: Date,
    /// Positive: owed (an opening item); negative: a credit note.
    cents: i64,
}

impl Entry {
    /// Writes it once (a re-import finds it by its key): its id and number,
    /// or `None` when it was already there.
    fn write(
        &self,
        tx: &Transaction,
        rec: &Reconciled,
        import_id: i64,
    ) -> Result<Option<(i64, String)>> {
        let code = &rec.check.client_code;
        let number = format!("{} {code} {}", self.what, self.date.format("%d/%m/%Y"));
        let key = format!("{}:{code}:{}", self.key, IsoDate::from(self.date));
        let kind = if self.cents > 0 {
            InvoiceKind::Opening
        } else {
            InvoiceKind::CreditNote
        };
        let written = tx.execute(
            "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label, source_key, import_id)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(source_key) DO NOTHING",
            params![
                rec.client_id,
                number,
                kind.as_str(),
                IsoDate::from(self.date),
                self.cents,
                rec.check.currency.as_str(),
                self.label,
                key,
                import_id
            ],
        )?;
        Ok((written == 1).then(|| (tx.last_insert_rowid(), number)))
    }
}

/// The closing credit note `closing` settles `cents` of the open debits
/// among `items`, oldest first.
fn close_with(
    tx: &Transaction,
    closing: i64,
    cents: i64,
    items: &[OpenItem],
    day: Date,
    import_id: i64,
) -> Result<()> {
    let mut left = cents;
    for item in items.iter().filter(|i| i.open > 0) {
        if left == 0 {
            break;
        }
        let part = left.min(item.open);
        allocate(
            tx,
            item.id,
            Credit::Note(closing),
            part,
            day,
            Some(import_id),
        )?;
        left -= part;
    }
    Ok(())
}

/// What settles an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Credit {
    Payment(i64),
    Note(i64),
}

pub(crate) fn allocate(
    tx: &Transaction,
    invoice: i64,
    credit: Credit,
    cents: i64,
    date: Date,
    import_id: Option<i64>,
) -> Result<()> {
    let (payment, note) = match credit {
        Credit::Payment(p) => (Some(p), None),
        Credit::Note(n) => (None, Some(n)),
    };
    tx.prepare_cached(
        "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, created_at, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![invoice, payment, note, cents, IsoDate::from(date), crate::ledger::now_stamp(), import_id])?;
    Ok(())
}

/// Reverses every live allocation touching `invoice` (as the invoice or
/// as the credit note), returning what it freed: (credit, amount, date of
/// the credit, import that made it).
pub(crate) fn unmatch_invoice(
    tx: &Transaction,
    invoice: i64,
) -> Result<Vec<(Credit, i64, Option<i64>)>> {
    // (allocation, invoice, payment, credit note, amount, import)
    type Live = (i64, i64, Option<i64>, Option<i64>, i64, Option<i64>);
    let live: Vec<Live> = {
        let mut stmt = tx.prepare_cached(
            "SELECT a.id, a.invoice_id, a.payment_id, a.credit_note_id, a.amount, a.import_id FROM allocation a
             WHERE (a.invoice_id = ?1 OR a.credit_note_id = ?1) AND a.reverses IS NULL
               AND NOT EXISTS (SELECT 1 FROM allocation r WHERE r.reverses = a.id)",
        )?;
        let rows = stmt.query_map([invoice], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut freed = Vec::new();
    for (id, on, payment, note, amount, import) in live {
        reverse(tx, id)?;
        if on == invoice {
            match (payment, note) {
                (Some(p), _) => freed.push((Credit::Payment(p), amount, import)),
                (None, Some(n)) => freed.push((Credit::Note(n), amount, import)),
                _ => {}
            }
        }
    }
    Ok(freed)
}

/// Appends the reversing row of allocation `id`.
pub(crate) fn reverse(tx: &Transaction, id: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, reverses, created_at, import_id)
         SELECT invoice_id, payment_id, credit_note_id, -amount, date, id, ?2, import_id FROM allocation WHERE id = ?1",
    )?
    .execute(params![id, crate::ledger::now_stamp()])?;
    Ok(())
}

/// Applies a backward reconciliation: the opening items `openings` of the
/// next period are withdrawn and what settled them settles the items they
/// stood for (as the lettering would have, had the files come in order).
pub(crate) fn apply_backward(
    tx: &Transaction,
    rec: &Reconciled,
    openings: &[i64],
    choice: Option<OpeningChoice>,
    import_id: i64,
    changes: &mut ImportChanges,
) -> Result<()> {
    let keep = match rec.check.state {
        OpeningState::Carried => true,
        OpeningState::Gap => choice == Some(OpeningChoice::KeepLedger),
    };
    if !keep {
        return close_items(tx, rec, import_id, changes);
    }
    write_carry(tx, &rec.lines, &rec.carried, import_id)?;
    changes.carried_forward += rec.lines.len();
    if rec.check.gap_cents != 0 {
        adjust(tx, rec, import_id, changes)?;
    }
    for ((opening, line), carried) in openings.iter().zip(&rec.lines).zip(&rec.carried) {
        let freed = unmatch_invoice(tx, *opening)?;
        tx.execute(
            "UPDATE invoice SET withdrawn_by = ?2 WHERE id = ?1",
            params![opening, import_id],
        )?;
        // Lines of later periods that carried this opening item now carry
        // what it stood for.
        for id in carried {
            tx.execute(
                "INSERT OR IGNORE INTO carry (source_key, invoice_id, import_id) SELECT source_key, ?2, import_id FROM carry WHERE invoice_id = ?1",
                params![opening, id],
            )?;
        }
        tx.execute("DELETE FROM carry WHERE invoice_id = ?1", [opening])?;
        changes.withdrawn.push(InvoiceChange {
            number: line.number.clone(),
            client_code: rec.check.client_code.clone(),
            currency: rec.check.currency,
            open_before: line.cents - freed.iter().map(|f| f.1).sum::<i64>(),
            open_after: 0,
            note: format!(
                "à-nouveau remplacé par {} facture{} de l'exercice précédent",
                carried.len(),
                if carried.len() > 1 { "s" } else { "" }
            ),
        });
        settle_oldest_first(tx, carried, freed)?;
    }
    Ok(())
}

/// Settles the invoices `ids` (by their open amounts now, oldest first)
/// with `credits`, in the order of the credits' dates.
fn settle_oldest_first(
    tx: &Transaction,
    ids: &[i64],
    credits: Vec<(Credit, i64, Option<i64>)>,
) -> Result<()> {
    if credits.is_empty() {
        return Ok(());
    }
    let mut debits: Vec<(Date, i64, i64)> = Vec::new();
    let mut open_of = tx.prepare_cached(super::OPEN_OF_SQL)?;
    for &id in ids {
        let (date, open): (Date, i64) = open_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if open > 0 {
            debits.push((date, id, open));
        }
    }
    debits.sort();
    let mut dated: Vec<(Date, Credit, i64, Option<i64>)> = Vec::new();
    for (credit, cents, import) in credits {
        let date: Date = match credit {
            Credit::Payment(p) => {
                tx.query_row("SELECT date FROM payment WHERE id = ?1", [p], |r| r.get(0))?
            }
            Credit::Note(n) => {
                tx.query_row("SELECT issue_date FROM invoice WHERE id = ?1", [n], |r| {
                    r.get(0)
                })?
            }
        };
        dated.push((date, credit, cents, import));
    }
    dated.sort_by_key(|d| (d.0, d.2));
    let mut d = 0;
    for (credit_date, credit, mut left, import) in dated {
        while left > 0 && d < debits.len() {
            let (debit_date, invoice, ref mut open) = debits[d];
            let part = left.min(*open);
            allocate(
                tx,
                invoice,
                credit,
                part,
                debit_date.max(credit_date),
                import,
            )?;
            left -= part;
            *open -= part;
            if *open == 0 {
                d += 1;
            }
        }
    }
    Ok(())
}

/// The ledger before an import, for the summary's before and after: where
/// its matching stood (allocations are only ever added, a reversal being a
/// row of its own, so what an invoice had settled before is what it has
/// now less the allocations written since), and the total balance.
pub(crate) struct Snapshot {
    /// The invoices up to this id were there before.
    max_id: i64,
    /// The allocations up to this id were there before.
    max_allocation: i64,
    totals: Vec<Total>,
}

impl Snapshot {
    pub(crate) fn take(tx: &Transaction) -> Result<Snapshot> {
        Ok(Snapshot {
            max_id: crate::store::max_id(tx, "invoice")?,
            max_allocation: tx.query_row(
                "SELECT COALESCE(MAX(id), 0) FROM allocation",
                [],
                |r| r.get(0),
            )?,
            totals: totals(tx)?,
        })
    }
}

/// The balance of the whole ledger per currency: its live invoices less its
/// live payments (the matching moves amounts between them, so it cancels
/// out of the balance).
pub(crate) fn totals(tx: &Transaction) -> Result<Vec<Total>> {
    let mut sums: BTreeMap<Currency, i64> = BTreeMap::new();
    for (sql, sign) in [
        ("SELECT currency, SUM(amount) FROM invoice WHERE withdrawn_by IS NULL GROUP BY currency", 1),
        ("SELECT currency, SUM(amount) FROM payment WHERE withdrawn_by IS NULL GROUP BY currency", -1),
    ] {
        let mut stmt = tx.prepare_cached(sql)?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let currency = Currency::from_stored(r.get_ref(0)?.as_bytes().unwrap_or(b"EUR"))?;
            let sum = sums.entry(currency).or_default();
            *sum = sum.saturating_add(sign * r.get::<_, i64>(1)?);
        }
    }
    Ok(sums
        .into_iter()
        .map(|(currency, cents)| Total { currency, cents })
        .collect())
}

/// Fills the summary's before and after: the totals, and the invoices that
/// were open and are paid now, or the reverse.
pub(crate) fn compare(
    tx: &Transaction,
    before: &Snapshot,
    changes: &mut ImportChanges,
) -> Result<()> {
    changes.open_before = before.totals.clone();
    changes.open_after = totals(tx)?;
    // Only an invoice of before that an allocation written since touches
    // can have changed from open to paid or back.
    let mut since: HashMap<i64, i64> = HashMap::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT invoice_id, credit_note_id, amount FROM allocation WHERE id > ?1",
        )?;
        let mut q = stmt.query([before.max_allocation])?;
        while let Some(r) = q.next()? {
            let amount: i64 = r.get(2)?;
            let invoice: i64 = r.get(0)?;
            if invoice <= before.max_id {
                *since.entry(invoice).or_default() += amount;
            }
            if let Some(credit) = r.get::<_, Option<i64>>(1)?.filter(|&c| c <= before.max_id) {
                *since.entry(credit).or_default() -= amount;
            }
        }
    }
    since.retain(|_, moved| *moved != 0);
    let mut paid = Vec::new();
    let mut reopened = Vec::new();
    let mut weigh = |id: i64, amount: i64, currency: &[u8], settled_now: i64| -> Result<()> {
        let moved = since.get(&id).copied().unwrap_or(0);
        let (was, now) = (amount - (settled_now - moved), amount - settled_now);
        if (was > 0) != (now > 0) {
            let currency = Currency::from_stored(currency)?;
            let list = if was > 0 { &mut paid } else { &mut reopened };
            list.push((id, was, now, currency));
        }
        Ok(())
    };
    // A few invoices are looked up one by one; many, by one scan.
    if (since.len() as i64).saturating_mul(16) > before.max_id {
        let settled = crate::tally::settled_on(tx, None)?.invoices;
        let mut stmt = tx.prepare_cached(
            "SELECT id, amount, currency FROM invoice WHERE id <= ?1 AND withdrawn_by IS NULL",
        )?;
        let mut q = stmt.query([before.max_id])?;
        while let Some(r) = q.next()? {
            let id: i64 = r.get(0)?;
            if since.contains_key(&id) {
                let currency = r.get_ref(2)?.as_bytes().unwrap_or(b"EUR");
                weigh(id, r.get(1)?, currency, settled.get(id))?;
            }
        }
    } else {
        let mut stmt = tx.prepare_cached(
            "SELECT amount, currency,
                    (SELECT COALESCE(SUM(amount), 0) FROM allocation WHERE invoice_id = ?1)
                  - (SELECT COALESCE(SUM(amount), 0) FROM allocation WHERE credit_note_id = ?1)
             FROM invoice WHERE id = ?1 AND withdrawn_by IS NULL",
        )?;
        for &id in since.keys() {
            let mut q = stmt.query([id])?;
            if let Some(r) = q.next()? {
                let currency = r.get_ref(1)?.as_bytes().unwrap_or(b"EUR");
                weigh(id, r.get(0)?, currency, r.get(2)?)?;
            }
        }
    }
    paid.sort();
    reopened.sort();
    changes.newly_paid_count = paid.len();
    changes.reopened_count = reopened.len();
    let mut describe = tx.prepare_cached(
        "SELECT i.number, c.code,
                (SELECT group_concat(p.reference, ', ') FROM allocation a JOIN payment p ON p.id = a.payment_id
                  WHERE a.invoice_id = i.id AND a.reverses IS NULL AND NOT EXISTS (SELECT 1 FROM allocation r WHERE r.reverses = a.id))
         FROM invoice i JOIN client c ON c.id = i.client_id WHERE i.id = ?1",
    )?;
    for (list, out, reopen) in [
        (&paid, &mut changes.newly_paid, false),
        (&reopened, &mut changes.reopened, true),
    ] {
        for &(id, was, now, currency) in list.iter().take(LISTED) {
            let (number, code, paid_by): (String, String, Option<String>) =
                describe.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            out.push(InvoiceChange {
                number,
                client_code: code,
                currency,
                open_before: was,
                open_after: now,
                note: if reopen {
                    "lettrage retiré par le nouveau fichier".into()
                } else {
                    paid_by.unwrap_or_default()
                },
            });
        }
    }
    Ok(())
}

/// A ledger row of an earlier file of the period, by what identifies its
/// line apart from amount and date (journal, entry, piece, client and
/// occurrence).
pub(crate) fn identity(source_key: &str) -> Option<String> {
    // fec:{journal}:{entry}:{piece}:{client}:{date}:{cents}:{n}
    let mut parts = source_key.rsplitn(4, ':');
    let n = parts.next()?;
    let _cents = parts.next()?;
    let _date = parts.next()?;
    let head = parts.next()?;
    Some(format!("{head}:{n}"))
}

/// The live rows (`invoice` or `payment`) written by `imports`, by source key.
pub(crate) fn rows_of(
    tx: &Transaction,
    table: &'static str,
    imports: &[i64],
) -> Result<HashMap<String, i64>> {
    if imports.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = match table {
        "invoice" => format!(
            "SELECT source_key, id FROM invoice WHERE withdrawn_by IS NULL AND source_key LIKE 'fec:%' AND import_id IN ({})",
            ids_list(imports)
        ),
        _ => format!(
            "SELECT source_key, id FROM payment WHERE withdrawn_by IS NULL AND source_key LIKE 'fec:%' AND import_id IN ({})",
            ids_list(imports)
        ),
    };
    let mut stmt = tx.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Undoes the lettering the newest file of the period no longer holds:
/// every live allocation made by `imports` whose invoice and credit are not
/// in one lettering group of the file. `groups` gives, per row, its groups.
pub(crate) fn unletter(
    tx: &Transaction,
    imports: &[i64],
    invoice_groups: &HashMap<i64, Vec<usize>>,
    payment_groups: &HashMap<i64, Vec<usize>>,
) -> Result<usize> {
    if imports.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "SELECT a.id, a.invoice_id, a.payment_id, a.credit_note_id FROM allocation a
         WHERE a.import_id IN ({}) AND a.reverses IS NULL
           AND NOT EXISTS (SELECT 1 FROM allocation r WHERE r.reverses = a.id)",
        ids_list(imports)
    );
    let live: Vec<(i64, i64, Option<i64>, Option<i64>)> = {
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let none = Vec::new();
    let mut undone = 0;
    for (id, invoice, payment, note) in live {
        let debit = invoice_groups.get(&invoice).unwrap_or(&none);
        let credit = match (payment, note) {
            (Some(p), _) => payment_groups.get(&p).unwrap_or(&none),
            (None, Some(n)) => invoice_groups.get(&n).unwrap_or(&none),
            _ => &none,
        };
        if !debit.iter().any(|g| credit.contains(g)) {
            reverse(tx, id)?;
            undone += 1;
        }
    }
    Ok(undone)
}

/// Whether `plan` meets other FEC files of its period or of a later one
/// (a re-export, a file older or newer than one imported, a year coming
/// after the next): then importing it can change more than it adds.
pub(crate) fn meets_periods(tx: &Transaction, plan: &ImportPlan) -> Result<bool> {
    let Some((start, end)) = plan.period else {
        return Ok(false);
    };
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM import WHERE kind = 'fec' AND (period_start = ?1 OR period_start > ?2))",
        params![IsoDate::from(start), IsoDate::from(end)],
        |r| r.get(0),
    )?)
}

/// The setting holding after how many days the data is stale.
pub(crate) const STALE_AFTER_SETTING: &str = "stale_after_days";

/// How current the ledger is, for a reminder session on a given day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Freshness {
    /// The date the ledger's data runs to: the last entry date of the
    /// newest FEC, the day of a CSV import, a payment recorded by hand.
    /// `None` for a ledger nothing was imported or recorded into.
    pub runs_to: Option<Date>,
    /// After how many days the data is stale (setting, 7 by default).
    pub stale_after_days: u32,
    /// Days between `runs_to` and the session.
    pub days_behind: Option<i64>,
    /// The data stops more than `stale_after_days` before the session.
    pub stale: bool,
    /// What to tell the user when it is stale.
    pub message: Option<String>,
}

impl crate::store::Ledger {
    /// The date the ledger's data runs to (see [`Freshness::runs_to`]).
    pub fn data_runs_to(&self) -> Result<Option<Date>> {
        Ok(self.conn.query_row(
            "SELECT MAX(d) FROM (
                 SELECT period_end AS d FROM import WHERE kind = 'fec' AND period_end IS NOT NULL
                 UNION ALL SELECT substr(imported_at, 1, 10) FROM import WHERE kind <> 'fec'
                 UNION ALL SELECT MAX(date) FROM payment WHERE source_key IS NULL AND withdrawn_by IS NULL)",
            [],
            |r| r.get::<_, Option<Date>>(0),
        )?)
    }

    /// After how many days without new data a session is warned.
    pub fn stale_after_days(&self) -> Result<u32> {
        Ok(self
            .setting(STALE_AFTER_SETTING)?
            .and_then(|v| v.parse().ok())
            .filter(|d| (1..=365).contains(d))
            .unwrap_or(7))
    }

    /// Sets after how many days without new data a session is warned (1 to 365).
    pub fn set_stale_after_days(&self, days: u32) -> Result<()> {
        if !(1..=365).contains(&days) {
            return Err(crate::Error::invalid(
                "données anciennes après",
                "entre 1 et 365 jours",
            ));
        }
        self.set_setting(STALE_AFTER_SETTING, &days.to_string())
    }

    /// Whether the data is current enough for a reminder session on `day`.
    pub fn freshness(&self, day: Date) -> Result<Freshness> {
        let runs_to = self.data_runs_to()?;
        let limit = self.stale_after_days()?;
        let days_behind = runs_to.map(|d| (day - d).num_days());
        let stale = days_behind.is_some_and(|d| d > limit as i64);
        Ok(Freshness {
            runs_to,
            stale_after_days: limit,
            days_behind,
            stale,
            message: runs_to.filter(|_| stale).map(|d| {
                format!(
                    "Vos paiements connus s'arrêtent au {} : importez vos écritures récentes avant de relancer",
                    crate::dates::format_fr(d)
                )
            }),
        })
    }
}

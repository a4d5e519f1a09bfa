//! The aged balance ("balance âgée") as of any date.
//!
//! Each invoice still open on the date falls in one bucket by days past its
//! due date: not due, then one bucket per bound (default 1–30, 31–60, 61–90),
//! then beyond the last bound. Payments and credit notes not yet matched on
//! that date are shown apart as "non lettré" and reduce the client's total, so
//! the total always equals the balance of the customer accounts.

use std::ops::RangeInclusive;

use rusqlite::Connection;
use serde::Serialize;

use crate::dates::{self, Date, IsoDate};
use crate::error::{Error, Result};
use crate::money::{add_cents, sum_cents, Currency, Money};
use crate::store::{max_id, Ledger};

/// The setting key holding the bucket bounds (`30,60,90`).
pub const BOUNDS_SETTING: &str = "aging_bounds";

/// The largest bucket bound, in days: ten years, past any claim's
/// prescription (a bound of 10^8 days reached before year 0 and broke every
/// aged balance).
pub const MAX_BOUND_DAYS: u32 = 3_650;

/// How to cut the buckets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgingPolicy {
    /// Upper bounds in days past due of the middle buckets, strictly increasing.
    pub bounds: Vec<u32>,
}

impl Default for AgingPolicy {
    fn default() -> Self {
        AgingPolicy {
            bounds: vec![30, 60, 90],
        }
    }
}

impl AgingPolicy {
    /// Parses `30,60,90`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut bounds = Vec::new();
        for part in text.split([',', ';', ' ']).filter(|p| !p.is_empty()) {
            let n: u32 = part.parse().map_err(|_| {
                Error::invalid(
                    "tranches",
                    format!("« {part} » n'est pas un nombre de jours"),
                )
            })?;
            if n > MAX_BOUND_DAYS {
                return Err(Error::invalid(
                    "tranches",
                    format!(
                        "« {part} » : une borne est de {MAX_BOUND_DAYS} jours au plus (dix ans)"
                    ),
                ));
            }
            if n == 0 || bounds.last().is_some_and(|&last| n <= last) {
                return Err(Error::invalid(
                    "tranches",
                    "les bornes doivent être croissantes et positives (ex. 30,60,90)",
                ));
            }
            bounds.push(n);
        }
        if bounds.is_empty() || bounds.len() > 8 {
            return Err(Error::invalid("tranches", "de 1 à 8 bornes (ex. 30,60,90)"));
        }
        Ok(AgingPolicy { bounds })
    }

    /// Column labels: `Non échu`, `1–30 j`, …, `> 90 j`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec!["Non échu".to_string()];
        let mut low = 1;
        for &b in &self.bounds {
            labels.push(format!("{low}–{b} j"));
            low = b.saturating_add(1);
        }
        labels.push(format!("> {} j", self.bounds.last().copied().unwrap_or(0)));
        labels
    }

    /// Bucket index for `days_late` (≤ 0 → 0, "not due").
    pub fn bucket(&self, days_late: i64) -> usize {
        if days_late <= 0 {
            return 0;
        }
        self.bounds
            .iter()
            .position(|&b| days_late <= b as i64)
            .map(|i| i + 1)
            .unwrap_or(self.bounds.len() + 1)
    }
}

/// One client's line (or the total line) in one currency.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgingRow {
    pub client_id: Option<i64>,
    pub client_code: String,
    pub client_name: String,
    pub segment: String,
    pub currency: Currency,
    /// Cents per bucket, `labels.len()` of them.
    pub buckets: Vec<i64>,
    /// Payments and credits not yet matched (≤ 0).
    pub unapplied: i64,
    /// Sum of buckets and unapplied.
    pub total: Money,
    /// Open invoices counted.
    pub invoices: usize,
}

impl AgingRow {
    fn new(
        client_id: Option<i64>,
        code: &str,
        name: &str,
        segment: &str,
        currency: Currency,
        width: usize,
    ) -> Self {
        AgingRow {
            client_id,
            client_code: code.to_string(),
            client_name: name.to_string(),
            segment: segment.to_string(),
            currency,
            buckets: vec![0; width],
            unapplied: 0,
            total: Money::zero(currency),
            invoices: 0,
        }
    }

    /// Cents past due (every bucket but "not due").
    pub fn overdue(&self) -> i64 {
        // Each bucket was added up checked; their sum is bounded by them.
        let sum: i128 = self.buckets[1..].iter().map(|&b| b as i128).sum();
        sum.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgedBalance {
    pub as_of: Date,
    pub labels: Vec<String>,
    /// One row per client and currency with something open, by name.
    pub rows: Vec<AgingRow>,
    /// One total row per currency.
    pub totals: Vec<AgingRow>,
}

/// An open invoice on the date, for the drill-down.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgedInvoice {
    pub invoice_id: i64,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_late: i64,
    pub bucket: usize,
    pub amount_cents: i64,
    pub open_cents: i64,
    pub currency: Currency,
}

const OPEN_AT_SQL: &str = "
    SELECT i.id, i.client_id, i.number, i.issue_date, i.due_date, i.amount,
           i.amount - COALESCE(ai.s, 0) + COALESCE(ao.s, 0), i.currency
    FROM invoice i
    LEFT JOIN (SELECT invoice_id AS id, SUM(amount) AS s FROM allocation WHERE date <= ?1 GROUP BY invoice_id) ai ON ai.id = i.id
    LEFT JOIN (SELECT credit_note_id AS id, SUM(amount) AS s FROM allocation WHERE date <= ?1 AND credit_note_id IS NOT NULL GROUP BY credit_note_id) ao ON ao.id = i.id
    WHERE i.issue_date <= ?1 AND i.withdrawn_by IS NULL";

impl Ledger {
    /// The bucket bounds saved in the ledger (default 30, 60, 90).
    ///
    /// A saved value that no longer reads (written by hand or by an older
    /// version) gives the default bounds, so that every screen still opens;
    /// [`Ledger::setting_problems`] names it.
    pub fn aging_policy(&self) -> Result<AgingPolicy> {
        match self.setting(BOUNDS_SETTING)? {
            Some(text) => Ok(AgingPolicy::parse(&text).unwrap_or_default()),
            None => Ok(AgingPolicy::default()),
        }
    }

    /// Saves the bucket bounds.
    pub fn set_aging_policy(&self, policy: &AgingPolicy) -> Result<()> {
        let text: Vec<String> = policy.bounds.iter().map(u32::to_string).collect();
        AgingPolicy::parse(&text.join(","))?;
        self.set_setting(BOUNDS_SETTING, &text.join(","))
    }

    /// The aged balance on `as_of`.
    pub fn aged_balance(&self, as_of: Date, policy: &AgingPolicy) -> Result<AgedBalance> {
        let labels = policy.labels();
        let width = labels.len();
        // A due date on or after `limits[i]` is in bucket `i` (or an earlier
        // one): dates compare as their digits `YYYYMMDD`, so none is parsed.
        let limits: Vec<u32> = std::iter::once(0)
            .chain(policy.bounds.iter().copied())
            .map(|days| {
                // Far bounds stop at year 1 rather than leave the calendar.
                let limit = as_of
                    .checked_sub_days(chrono::Days::new(days as u64))
                    .filter(|d| chrono::Datelike::year(d) >= 1)
                    .unwrap_or(Date::from_ymd_opt(1, 1, 1).expect("1 January of year 1"));
                let limit = IsoDate::from(limit);
                iso_digits(limit.as_str()).expect("a date written as ISO")
            })
            .collect();
        let part = |conn: &Connection, ids: RangeInclusive<i64>, payments: bool| {
            aged_part(conn, as_of, &limits, width, ids, payments)
        };
        // The invoices cut in two by id, one part read on each core; the
        // second also reads the payments, the first the clients' names.
        let (names, rows) = self.read_in_two(|conn, second| {
            let Some(second) = second else {
                return Ok((client_names(conn)?, part(conn, 0..=i64::MAX, true)?));
            };
            let cut = max_id(conn, "invoice")? * 11 / 20;
            std::thread::scope(|scope| {
                let part = &part;
                let other = scope.spawn(move || part(second, cut + 1..=i64::MAX, true));
                let names = client_names(conn);
                let rows = part(conn, 0..=cut, false);
                let other = other.join().expect("the other part of the aged balance");
                // Either part failing fails the report: never half of it.
                let (mut rows, other) = (rows?, other?);
                rows.add(other)?;
                Ok((names?, rows))
            })
        })?;
        let mut rows = rows.into_rows(&names);
        let mut totals: Vec<AgingRow> = Vec::new();
        for row in &mut rows {
            row.total = Money::new(
                add_cents(sum_cents(row.buckets.iter().copied())?, row.unapplied)?,
                row.currency,
            );
            let total = match totals.iter_mut().position(|t| t.currency == row.currency) {
                Some(i) => &mut totals[i],
                None => {
                    totals.push(AgingRow::new(None, "", "Total", "", row.currency, width));
                    totals.last_mut().expect("just pushed")
                }
            };
            for (t, b) in total.buckets.iter_mut().zip(&row.buckets) {
                *t = add_cents(*t, *b)?;
            }
            total.unapplied = add_cents(total.unapplied, row.unapplied)?;
            total.invoices += row.invoices;
            total.total.cents = add_cents(total.total.cents, row.total.cents)?;
        }
        rows.retain(|r| r.total.cents != 0 || r.invoices > 0);
        rows.sort_by_cached_key(|r| {
            (
                r.client_name.to_lowercase(),
                r.client_code.clone(),
                r.currency,
            )
        });
        totals.sort_by_key(|t| t.currency);
        Ok(AgedBalance {
            as_of,
            labels,
            rows,
            totals,
        })
    }

    /// The invoices of one client open on `as_of`, oldest due first (drill-down).
    pub fn aged_invoices(
        &self,
        client_id: i64,
        as_of: Date,
        policy: &AgingPolicy,
    ) -> Result<Vec<AgedInvoice>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT * FROM ({OPEN_AT_SQL}) WHERE client_id = ?2 ORDER BY due_date, number"
        ))?;
        let mut out = Vec::new();
        let mut q = stmt.query(rusqlite::params![dates::iso(as_of), client_id])?;
        while let Some(r) = q.next()? {
            let open: i64 = r.get(6)?;
            if open == 0 {
                continue;
            }
            let due: Date = r.get(4)?;
            let days_late = (as_of - due).num_days();
            out.push(AgedInvoice {
                invoice_id: r.get(0)?,
                number: r.get(2)?,
                issue_date: r.get(3)?,
                due_date: due,
                days_late,
                bucket: if open > 0 {
                    policy.bucket(days_late)
                } else {
                    0
                },
                amount_cents: r.get(5)?,
                open_cents: open,
                currency: Currency::parse(r.get_ref(7)?.as_str().unwrap_or("EUR"))?,
            });
        }
        Ok(out)
    }
}

/// A client's code, name and segment.
type ClientName = (String, String, String);

/// The clients' names, by id (ids are dense).
type Names = Vec<Option<ClientName>>;

fn client_names(conn: &Connection) -> Result<Names> {
    let mut names = Names::new();
    let mut stmt = conn.prepare_cached("SELECT id, code, name, segment FROM client")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        if let Some(at) = dense(r.get(0)?) {
            if names.len() <= at {
                names.resize(at + 1, None);
            }
            names[at] = Some((r.get(1)?, r.get(2)?, r.get(3)?));
        }
    }
    Ok(names)
}

/// The sums of the invoices issued by `as_of` whose ids are in `ids`, with
/// the matching dated by then, and those of the payments not yet matched
/// when `payments` is set.
fn aged_part(
    conn: &Connection,
    as_of: Date,
    limits: &[u32],
    width: usize,
    ids: RangeInclusive<i64>,
    payments: bool,
) -> Result<Rows> {
    let settled = crate::tally::settled_on(conn, Some(as_of))?;
    let as_of_text = IsoDate::from(as_of);
    let mut rows = Rows::new(width);
    {
        let mut stmt = conn.prepare_cached("SELECT id, client_id, due_date, amount, currency FROM invoice WHERE id BETWEEN ?2 AND ?3 AND issue_date <= ?1 AND withdrawn_by IS NULL")?;
        let mut q = stmt.query(rusqlite::params![as_of_text, ids.start(), ids.end()])?;
        while let Some(r) = q.next()? {
            let id: i64 = r.get(0)?;
            let amount: i64 = r.get(3)?;
            let open = amount - settled.invoices.get(id);
            if open == 0 {
                continue;
            }
            let currency = Currency::from_stored(r.get_ref(4)?.as_bytes().unwrap_or(b"EUR"))?;
            let cells = rows.of(r.get(1)?, currency);
            if open > 0 {
                let due = iso_digits(r.get_ref(2)?.as_str().unwrap_or(""))?;
                let bucket = limits
                    .iter()
                    .position(|&limit| due >= limit)
                    .unwrap_or(limits.len());
                cells[bucket] = add_cents(cells[bucket], open)?;
                cells[width + 1] += 1;
            } else {
                cells[width] = add_cents(cells[width], open)?;
            }
        }
    }
    if payments {
        let mut stmt = conn.prepare_cached(
            "SELECT id, client_id, amount, currency FROM payment WHERE date <= ?1 AND withdrawn_by IS NULL",
        )?;
        let mut q = stmt.query([as_of_text])?;
        while let Some(r) = q.next()? {
            let id: i64 = r.get(0)?;
            let left = r.get::<_, i64>(2)? - settled.payments.get(id);
            if left == 0 {
                continue;
            }
            let currency = Currency::from_stored(r.get_ref(3)?.as_bytes().unwrap_or(b"EUR"))?;
            let cell = &mut rows.of(r.get(1)?, currency)[width];
            *cell = add_cents(*cell, -left)?;
        }
    }
    Ok(rows)
}

/// The rows of the report as they fill up: one per client and currency,
/// found through a vector indexed by client id (ids are dense) for the
/// first currency of a client, through a map for any other. The sums of
/// all rows lie in one flat vector (buckets, then unapplied, then the count
/// of invoices): the scan adds to them in the order of the invoices, and a
/// separate allocation per row was a cache miss per invoice.
struct Rows {
    /// Cells per row: the buckets, unapplied, invoices.
    stride: usize,
    first: Vec<Option<(Currency, usize)>>,
    others: foldhash::HashMap<(i64, Currency), usize>,
    keys: Vec<(i64, Currency)>,
    sums: Vec<i64>,
}

impl Rows {
    fn new(width: usize) -> Rows {
        Rows {
            stride: width + 2,
            first: Vec::new(),
            others: Default::default(),
            keys: Vec::new(),
            sums: Vec::new(),
        }
    }

    /// The cells of `client_id` in `currency`, made on first use.
    fn of(&mut self, client_id: i64, currency: Currency) -> &mut [i64] {
        let slot = dense(client_id);
        if let Some(at) = slot.filter(|&at| at >= self.first.len()) {
            self.first.resize(at + 1, None);
        }
        let found = match slot.and_then(|at| self.first[at]) {
            Some((c, index)) if c == currency => Some(index),
            _ => self.others.get(&(client_id, currency)).copied(),
        };
        let index = match found {
            Some(index) => index,
            None => {
                let index = self.keys.len();
                self.keys.push((client_id, currency));
                self.sums.resize(self.sums.len() + self.stride, 0);
                match slot {
                    Some(at) if self.first[at].is_none() => {
                        self.first[at] = Some((currency, index))
                    }
                    _ => {
                        self.others.insert((client_id, currency), index);
                    }
                }
                index
            }
        };
        &mut self.sums[index * self.stride..(index + 1) * self.stride]
    }

    /// Adds the sums of another part of the report, checked.
    fn add(&mut self, other: Rows) -> Result<()> {
        for (&(client_id, currency), cells) in
            other.keys.iter().zip(other.sums.chunks_exact(other.stride))
        {
            for (sum, cell) in self.of(client_id, currency).iter_mut().zip(cells) {
                *sum = add_cents(*sum, *cell)?;
            }
        }
        Ok(())
    }

    /// The report's rows.
    fn into_rows(self, names: &Names) -> Vec<AgingRow> {
        let width = self.stride - 2;
        self.keys
            .iter()
            .zip(self.sums.chunks_exact(self.stride))
            .map(|(&(client_id, currency), cells)| {
                let (code, name, segment) = dense(client_id)
                    .and_then(|at| names.get(at).cloned().flatten())
                    .unwrap_or_default();
                let mut row =
                    AgingRow::new(Some(client_id), &code, &name, &segment, currency, width);
                row.buckets.copy_from_slice(&cells[..width]);
                row.unapplied = cells[width];
                row.invoices = cells[width + 1] as usize;
                row
            })
            .collect()
    }
}

/// A client id as an index, when ids are small enough to be kept in a vector.
fn dense(client_id: i64) -> Option<usize> {
    usize::try_from(client_id).ok().filter(|&at| at < 1 << 22)
}

/// A stored ISO date as the number `YYYYMMDD` (ordered as the dates are),
/// refused if it does not look like one.
fn iso_digits(text: &str) -> Result<u32> {
    let b = text.as_bytes();
    let mut n = 0u32;
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| {
            if i == 4 || i == 7 {
                return c == b'-';
            }
            n = n * 10 + (c.wrapping_sub(b'0')) as u32;
            c.is_ascii_digit()
        });
    if shaped {
        Ok(n)
    } else {
        Err(Error::invalid(
            "date",
            format!("« {text} » stockée n'est pas une date"),
        ))
    }
}

impl AgedBalance {
    /// CSV for French Excel: `;` separator, decimal comma, dd/mm/yyyy, UTF-8 with BOM.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{FEFF}");
        let mut header = vec!["Code client".to_string(), "Client".into(), "Devise".into()];
        header.extend(self.labels.iter().cloned());
        header.extend(["Non lettré".to_string(), "Total".into()]);
        out.push_str(&csv_line(&header));
        let fr = |c: i64| crate::money::plain_cents(c).replace('.', ",");
        for row in self.rows.iter().chain(&self.totals) {
            let mut cells = vec![
                row.client_code.clone(),
                row.client_name.clone(),
                row.currency.to_string(),
            ];
            cells.extend(row.buckets.iter().map(|&c| fr(c)));
            cells.push(fr(row.unapplied));
            cells.push(fr(row.total.cents));
            out.push_str(&csv_line(&cells));
        }
        out.push_str(&csv_line(&[format!(
            "Balance âgée au {}",
            dates::format_fr(self.as_of)
        )]));
        out
    }
}

/// One `;`-separated line, quoting cells that need it, each defused
/// ([`crate::spreadsheet::cell`]): a spreadsheet never runs a client's name
/// as a formula.
pub fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(';');
        }
        let cell = crate::spreadsheet::cell(cell);
        if cell.contains([';', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

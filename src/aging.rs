//! The aged balance ("balance âgée") as of any date.
//!
//! Each invoice still open on the date falls in one bucket by days past its
//! due date: not due, then one bucket per bound (default 1–30, 31–60, 61–90),
//! then beyond the last bound. Payments and credit notes not yet matched on
//! that date are shown apart as "non lettré" and reduce the client's total, so
//! the total always equals the balance of the customer accounts.

use std::collections::HashMap;

use crate::tally::Tally;

use serde::Serialize;

use crate::dates::{self, Date};
use crate::error::{Error, Result};
use crate::money::{Currency, Money};
use crate::store::Ledger;

/// The setting key holding the bucket bounds (`30,60,90`).
pub const BOUNDS_SETTING: &str = "aging_bounds";

/// How to cut the buckets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
            low = b + 1;
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
        self.buckets[1..].iter().sum()
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
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
    WHERE i.issue_date <= ?1";

impl Ledger {
    /// The bucket bounds saved in the ledger (default 30, 60, 90).
    pub fn aging_policy(&self) -> Result<AgingPolicy> {
        match self.setting(BOUNDS_SETTING)? {
            Some(text) => AgingPolicy::parse(&text),
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
        let clients: ClientNames = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, code, name, segment FROM client")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut rows: foldhash::HashMap<(i64, Currency), AgingRow> = Default::default();
        let as_of_text = dates::iso(as_of);
        // Three plain scans summed in memory: at 100 000 invoices this is several
        // times faster than letting SQLite join grouped sub-queries.
        let invoices = self.max_id("invoice")?;
        let mut to_invoice = Tally::up_to(invoices);
        let mut from_credit = Tally::up_to(invoices);
        let mut from_payment = Tally::up_to(self.max_id("payment")?);
        {
            let mut stmt = self.conn.prepare_cached("SELECT invoice_id, payment_id, credit_note_id, amount FROM allocation WHERE date <= ?1")?;
            let mut q = stmt.query([&as_of_text])?;
            while let Some(r) = q.next()? {
                let amount: i64 = r.get(3)?;
                to_invoice.add(r.get(0)?, amount);
                if let Some(p) = r.get::<_, Option<i64>>(1)? {
                    from_payment.add(p, amount);
                }
                if let Some(c) = r.get::<_, Option<i64>>(2)? {
                    from_credit.add(c, amount);
                }
            }
        }
        let mut currencies: HashMap<String, Currency> = HashMap::new();
        let mut currency_of = |text: &str| -> Result<Currency> {
            if let Some(c) = currencies.get(text) {
                return Ok(*c);
            }
            let c = Currency::parse(text)?;
            currencies.insert(text.to_string(), c);
            Ok(c)
        };
        {
            let mut stmt = self.conn.prepare_cached("SELECT id, client_id, due_date, amount, currency FROM invoice WHERE issue_date <= ?1")?;
            let mut q = stmt.query([&as_of_text])?;
            while let Some(r) = q.next()? {
                let id: i64 = r.get(0)?;
                let amount: i64 = r.get(3)?;
                let open = amount - to_invoice.get(id) + from_credit.get(id);
                if open == 0 {
                    continue;
                }
                let client_id: i64 = r.get(1)?;
                let currency = currency_of(r.get_ref(4)?.as_str().unwrap_or("EUR"))?;
                let row = row_for(&mut rows, &clients, client_id, currency, width);
                if open > 0 {
                    let due = iso_day_number(r.get_ref(2)?.as_str().unwrap_or(""))?;
                    let bucket = policy.bucket(day_number(as_of) - due);
                    row.buckets[bucket] += open;
                    row.invoices += 1;
                } else {
                    row.unapplied += open;
                }
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, client_id, amount, currency FROM payment WHERE date <= ?1",
            )?;
            let mut q = stmt.query([&as_of_text])?;
            while let Some(r) = q.next()? {
                let id: i64 = r.get(0)?;
                let left = r.get::<_, i64>(2)? - from_payment.get(id);
                if left == 0 {
                    continue;
                }
                let client_id: i64 = r.get(1)?;
                let currency = currency_of(r.get_ref(3)?.as_str().unwrap_or("EUR"))?;
                let row = row_for(&mut rows, &clients, client_id, currency, width);
                row.unapplied -= left;
            }
        }
        let mut rows: Vec<AgingRow> = rows.into_values().collect();
        let mut totals: Vec<AgingRow> = Vec::new();
        for row in &mut rows {
            row.total = Money::new(
                row.buckets.iter().sum::<i64>() + row.unapplied,
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
                *t += b;
            }
            total.unapplied += row.unapplied;
            total.invoices += row.invoices;
            total.total.cents += row.total.cents;
        }
        rows.retain(|r| r.total.cents != 0 || r.invoices > 0);
        rows.sort_by(|a, b| {
            a.client_name
                .to_lowercase()
                .cmp(&b.client_name.to_lowercase())
                .then_with(|| a.client_code.cmp(&b.client_code))
                .then_with(|| a.currency.cmp(&b.currency))
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

type ClientNames = foldhash::HashMap<i64, (String, String, String)>;

/// Days since 1970-01-01 of a date.
fn day_number(date: Date) -> i64 {
    date.signed_duration_since(Date::from_ymd_opt(1970, 1, 1).expect("epoch"))
        .num_days()
}

/// Days since 1970-01-01 of a stored ISO date, read without a full parse.
fn iso_day_number(text: &str) -> Result<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    let date = match (b.len(), num(0..4), num(5..7), num(8..10)) {
        (10, Some(y), Some(m), Some(d)) => Date::from_ymd_opt(y as i32, m, d),
        _ => None,
    };
    date.map(day_number)
        .ok_or_else(|| Error::invalid("date", format!("« {text} » stockée n'est pas une date")))
}

fn row_for<'a>(
    rows: &'a mut foldhash::HashMap<(i64, Currency), AgingRow>,
    clients: &ClientNames,
    client_id: i64,
    currency: Currency,
    width: usize,
) -> &'a mut AgingRow {
    rows.entry((client_id, currency)).or_insert_with(|| {
        let (code, name, segment) = clients.get(&client_id).cloned().unwrap_or_default();
        AgingRow::new(Some(client_id), &code, &name, &segment, currency, width)
    })
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

/// One `;`-separated line, quoting cells that need it. A leading `=`, `+`,
/// `-` or `@` in text is prefixed with `'` so a spreadsheet never runs a
/// client's name as a formula.
pub fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(';');
        }
        let is_number =
            cell.parse::<f64>().is_ok() || cell.replace(',', ".").parse::<f64>().is_ok();
        let cell = if !is_number && cell.starts_with(['=', '+', '-', '@']) {
            format!("'{cell}")
        } else {
            cell.clone()
        };
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

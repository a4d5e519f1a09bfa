//! Amounts summed per row id, for the scans of the aged balance and the
//! work list.

use crate::dates::{Date, IsoDate};
use crate::error::Result;
use crate::store::{max_id, Ledger};

/// What the matching has settled, per invoice and per payment.
pub(crate) struct Settled {
    /// Per invoice: allocations made to it, less those made from it when it
    /// is a credit note. Its open amount is its amount less this.
    pub invoices: Tally,
    /// Per payment: what it has paid of invoices. What is left of it is its
    /// amount less this.
    pub payments: Tally,
}

impl Ledger {
    /// What the matching dated up to `as_of` (all of it for `None`) has
    /// settled, from one scan of the allocations.
    pub(crate) fn settled(&self, as_of: Option<Date>) -> Result<Settled> {
        settled_on(&self.conn, as_of)
    }
}

/// [`Ledger::settled`] read through `conn`.
pub(crate) fn settled_on(conn: &rusqlite::Connection, as_of: Option<Date>) -> Result<Settled> {
    let mut settled = Settled {
        invoices: Tally::up_to(max_id(conn, "invoice")?),
        payments: Tally::up_to(max_id(conn, "payment")?),
    };
    let sql = match as_of {
        Some(_) => {
            "SELECT invoice_id, payment_id, credit_note_id, amount FROM allocation WHERE date <= ?1"
        }
        None => {
            "SELECT invoice_id, payment_id, credit_note_id, amount FROM allocation WHERE ?1 IS NULL"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut q = stmt.query([as_of.map(IsoDate::from)])?;
    while let Some(r) = q.next()? {
        let amount: i64 = r.get(3)?;
        settled.invoices.add(r.get(0)?, amount);
        if let Some(p) = r.get::<_, Option<i64>>(1)? {
            settled.payments.add(p, amount);
        }
        if let Some(c) = r.get::<_, Option<i64>>(2)? {
            settled.invoices.add(c, -amount);
        }
    }
    Ok(settled)
}

/// Sums per id. SQLite's row ids are dense (rows are seldom deleted), so
/// the sums live in a vector indexed by id — read in the order of a table
/// scan, with no hashing — unless the ids run too high for that.
pub(crate) enum Tally {
    Dense(Vec<i64>),
    Sparse(foldhash::HashMap<i64, i64>),
}

/// Past this many ids (32 MB of sums), a hash map.
const DENSE_IDS: i64 = 1 << 22;

impl Tally {
    /// Room for ids up to `max_id` (the table's `MAX(id)`).
    pub(crate) fn up_to(max_id: i64) -> Tally {
        if (0..DENSE_IDS).contains(&max_id) {
            Tally::Dense(vec![0; max_id as usize + 1])
        } else {
            Tally::Sparse(Default::default())
        }
    }

    pub(crate) fn add(&mut self, id: i64, amount: i64) {
        match self {
            Tally::Dense(sums) => match usize::try_from(id).ok().and_then(|i| sums.get_mut(i)) {
                Some(sum) => *sum += amount,
                // An id past the maximum read (a row written since): kept
                // apart rather than lost.
                None => {
                    let mut sparse: foldhash::HashMap<i64, i64> = sums
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| **s != 0)
                        .map(|(i, s)| (i as i64, *s))
                        .collect();
                    *sparse.entry(id).or_default() += amount;
                    *self = Tally::Sparse(sparse);
                }
            },
            Tally::Sparse(sums) => *sums.entry(id).or_default() += amount,
        }
    }

    pub(crate) fn get(&self, id: i64) -> i64 {
        match self {
            Tally::Dense(sums) => usize::try_from(id)
                .ok()
                .and_then(|i| sums.get(i))
                .copied()
                .unwrap_or(0),
            Tally::Sparse(sums) => sums.get(&id).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_sums_agree_for_every_id() {
        let entries = [(1, 500), (7, -200), (1, 250), (0, 3), (12, 9)];
        let mut dense = Tally::up_to(12);
        let mut sparse = Tally::up_to(i64::MAX);
        let mut grown = Tally::up_to(5);
        for (id, amount) in entries {
            dense.add(id, amount);
            sparse.add(id, amount);
            grown.add(id, amount);
        }
        assert!(matches!(dense, Tally::Dense(_)) && matches!(sparse, Tally::Sparse(_)));
        assert!(
            matches!(grown, Tally::Sparse(_)),
            "an id past the room switches to a map"
        );
        for id in -1..=14 {
            assert_eq!(dense.get(id), sparse.get(id), "id {id}");
            assert_eq!(grown.get(id), sparse.get(id), "id {id}");
        }
        assert_eq!(dense.get(1), 750);
        assert_eq!(dense.get(-5), 0);
    }
}

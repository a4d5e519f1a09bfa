//! The charges as the ledger keeps them: the rate tables saved in the
//! settings, each client's and invoice's waivers and agreed rate, and the
//! charges of the open invoices read from the ledger. The rules themselves
//! are in [`charges`](super::charges), with no SQL.

use rusqlite::OptionalExtension;
use rust_decimal::Decimal;
use serde::Serialize;

use super::charges::*;
use crate::books::dates::Date;
use crate::books::money::{Currency, Money};

/// Waivers and agreed rate of a client or an invoice, as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChargeTerms {
    pub waive_interest: bool,
    pub waive_indemnity: bool,
    pub contractual_percent: Option<Decimal>,
}

impl crate::store::Ledger {
    /// The rate tables in use: the user's, else the shipped ones.
    pub fn rate_tables(&self) -> crate::Result<RateTables> {
        match self.setting(RATES_SETTING)? {
            Some(json) => {
                let rates: RateTables = serde_json::from_str(&json).map_err(|e| {
                    crate::Error::invalid("taux", format!("réglage illisible ({e})"))
                })?;
                validate_rates(&rates).map_err(|e| {
                    crate::Error::invalid("taux", format!("réglage enregistré invalide ({e})"))
                })?;
                Ok(rates)
            }
            None => Ok(RateTables::default()),
        }
    }

    /// Saves edited rate tables after checking them.
    pub fn set_rate_tables(&self, rates: &RateTables) -> crate::Result<()> {
        validate_rates(rates)?;
        let json = serde_json::to_string(rates)
            .map_err(|e| crate::Error::invalid("taux", e.to_string()))?;
        self.set_setting(RATES_SETTING, &json)
    }

    /// Back to the shipped tables.
    pub fn reset_rate_tables(&self) -> crate::Result<()> {
        self.conn
            .execute("DELETE FROM setting WHERE key = ?1", [RATES_SETTING])?;
        Ok(())
    }

    /// Sets the waivers and agreed rate of a client (`invoice_id` = `None`) or
    /// of one invoice. All false and no rate removes them.
    pub fn set_charge_terms(
        &self,
        client_id: Option<i64>,
        invoice_id: Option<i64>,
        terms: &ChargeTerms,
    ) -> crate::Result<()> {
        if client_id.is_some() == invoice_id.is_some() {
            return Err(crate::Error::invalid(
                "conditions",
                "un client ou une facture",
            ));
        }
        if let Some(p) = terms.contractual_percent {
            if p < Decimal::ZERO || p > Decimal::from(50) {
                return Err(crate::Error::invalid("taux contractuel", "entre 0 et 50 %"));
            }
        }
        if let Some(c) = client_id {
            self.client(c)?;
        }
        if let Some(i) = invoice_id {
            self.invoice(i)?;
        }
        self.conn.execute(
            "DELETE FROM charge_terms WHERE client_id IS ?1 AND invoice_id IS ?2",
            rusqlite::params![client_id, invoice_id],
        )?;
        if terms != &ChargeTerms::default() {
            self.conn.execute(
                "INSERT INTO charge_terms (client_id, invoice_id, waive_interest, waive_indemnity, contractual_percent) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    client_id,
                    invoice_id,
                    terms.waive_interest,
                    terms.waive_indemnity,
                    terms.contractual_percent.map(|p| p.to_string())
                ],
            )?;
        }
        Ok(())
    }

    /// The waivers and agreed rate stored for a client.
    pub fn client_charge_terms(&self, client_id: i64) -> crate::Result<ChargeTerms> {
        let row: Option<(bool, bool, Option<String>)> = self
            .conn
            .query_row(
                "SELECT waive_interest, waive_indemnity, contractual_percent FROM charge_terms WHERE client_id = ?1",
                [client_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(row
            .map(|(i, f, p)| ChargeTerms {
                waive_interest: i,
                waive_indemnity: f,
                contractual_percent: p.and_then(|p| p.parse().ok()),
            })
            .unwrap_or_default())
    }

    /// Terms per client code and per invoice id.
    #[allow(clippy::type_complexity)]
    fn all_charge_terms(
        &self,
    ) -> crate::Result<(
        std::collections::HashMap<String, Terms>,
        std::collections::HashMap<i64, Terms>,
    )> {
        let mut by_client = std::collections::HashMap::new();
        let mut by_invoice = std::collections::HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.code, t.invoice_id, t.waive_interest, t.waive_indemnity, t.contractual_percent
             FROM charge_terms t LEFT JOIN client c ON c.id = t.client_id",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let percent: Option<String> = r.get(4)?;
            let terms = Terms {
                waive_interest: r.get(2)?,
                waive_indemnity: r.get(3)?,
                contractual_percent: percent.and_then(|p| p.parse().ok()),
                ..Terms::default()
            };
            match (r.get::<_, Option<String>>(0)?, r.get::<_, Option<i64>>(1)?) {
                (_, Some(invoice)) => {
                    by_invoice.insert(invoice, terms);
                }
                (Some(code), None) => {
                    by_client.insert(code, terms);
                }
                (None, None) => {}
            }
        }
        Ok((by_client, by_invoice))
    }

    /// The day each invoice's formal notice was sent (first registered letter).
    fn formal_notices(&self, as_of: Date) -> crate::Result<std::collections::HashMap<i64, Date>> {
        let mut out = std::collections::HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT ri.invoice_id, MIN(r.date) FROM reminder_invoice ri JOIN reminder r ON r.id = ri.reminder_id
             WHERE r.channel = 'registered' AND r.manual = 0 AND r.date <= ?1 GROUP BY ri.invoice_id",
        )?;
        let mut q = stmt.query([crate::dates::IsoDate::from(as_of)])?;
        while let Some(r) = q.next()? {
            out.insert(r.get(0)?, crate::dates::iso_column(r, 1)?);
        }
        Ok(out)
    }

    /// Charges on `as_of` for every invoice still open then, oldest due first.
    pub fn charges_report(
        &self,
        as_of: Date,
        rates: &RateTables,
    ) -> crate::Result<Vec<InvoiceCharges>> {
        use std::collections::HashMap;
        // Settlements of each invoice (payments and credit notes), net of undos, by date.
        let mut settled: HashMap<i64, Vec<(Date, i64)>> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT invoice_id, date, amount FROM allocation WHERE date <= ?1")?;
            let rows = stmt.query_map([crate::dates::iso(as_of)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Date>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (invoice, date, cents) = row?;
                settled.entry(invoice).or_default().push((date, cents));
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT i.id, i.number, c.code, c.name, c.country, c.kind, i.issue_date, i.due_date, i.amount, i.currency
             FROM invoice i JOIN client c ON c.id = i.client_id
             WHERE i.amount > 0 AND i.issue_date <= ?1 AND i.withdrawn_by IS NULL ORDER BY i.due_date, i.number",
        )?;
        let rows = stmt.query_map([crate::dates::iso(as_of)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Date>(6)?,
                r.get::<_, Date>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, String>(9)?,
            ))
        })?;
        let (by_client, by_invoice) = self.all_charge_terms()?;
        let notices = self.formal_notices(as_of)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, number, code, name, country, kind, issue, due, amount, currency) = row?;
            let payments = settled.remove(&id).unwrap_or_default();
            let open = amount - payments.iter().map(|(_, c)| c).sum::<i64>();
            if open <= 0 {
                continue;
            }
            let currency = Currency::parse(&currency)?;
            let b2c = kind == "b2c";
            let rules = RuleSet::for_client(&country, b2c).filter(|r| r.currency == currency);
            // The invoice's own terms, else its client's, else the law's.
            let mut terms = by_invoice
                .get(&id)
                .or_else(|| by_client.get(&code))
                .cloned()
                .unwrap_or_default();
            terms.formal_notice = notices.get(&id).copied();
            let charges = rules
                .as_ref()
                .map(|r| charges(amount, due, as_of, &payments, r, &terms, rates));
            out.push(InvoiceCharges {
                invoice_id: id,
                number,
                client_code: code,
                client_name: name,
                due_date: due,
                amount: Money::new(amount, currency),
                open: Money::new(open, currency),
                rules: rules.map(|r| r.name),
                charges,
                prescription: prescription(issue, b2c, as_of),
            });
        }
        Ok(out)
    }
}

//! Hand-over to a collection agency or a credit insurer (C9): the invoices
//! handed leave the work list until they come back; the dashboard shows
//! what is in collection and what came back.

use rusqlite::params;
use serde::Serialize;

use crate::dates::{self, Date, IsoDate};
use crate::error::{Error, Result};
use crate::evidence::{EvidenceKind, NewEvidence};
use crate::ledger::{check_single_line, now_stamp};
use crate::money::{Currency, Money};
use crate::store::Ledger;

/// Who takes the claim over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum HandoverKind {
    /// A collection agency (société de recouvrement).
    Agency,
    /// A credit insurer.
    Insurer,
}

impl HandoverKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverKind::Agency => "agency",
            HandoverKind::Insurer => "insurer",
        }
    }

    pub fn parse(text: &str) -> Result<HandoverKind> {
        match text.trim() {
            "agency" | "agence" | "recouvrement" => Ok(HandoverKind::Agency),
            "insurer" | "assureur" => Ok(HandoverKind::Insurer),
            other => Err(Error::invalid(
                "transmis à",
                format!(
                    "« {other} » : agency (société de recouvrement) ou insurer (assureur-crédit)"
                ),
            )),
        }
    }

    fn fr(self) -> &'static str {
        match self {
            HandoverKind::Agency => "société de recouvrement",
            HandoverKind::Insurer => "assureur-crédit",
        }
    }
}

/// How a hand-over ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum HandoverOutcome {
    /// The agency recovered (all or part); the file is closed.
    Recovered,
    /// The agency gave the file back: the invoices are reminded again.
    Returned,
}

impl HandoverOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverOutcome::Recovered => "recovered",
            HandoverOutcome::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Result<HandoverOutcome> {
        match text.trim() {
            "recovered" | "recouvre" | "recouvré" => Ok(HandoverOutcome::Recovered),
            "returned" | "rendu" | "restitue" | "restitué" => Ok(HandoverOutcome::Returned),
            other => Err(Error::invalid(
                "issue",
                format!("« {other} » : recovered (recouvré) ou returned (rendu)"),
            )),
        }
    }
}

/// A hand-over to record.
#[derive(Clone, Debug)]
pub struct NewHandover {
    pub client_id: i64,
    /// The invoices handed; empty = every open invoice of the client.
    pub invoice_ids: Vec<i64>,
    pub agency: String,
    pub kind: HandoverKind,
    pub date: Date,
    /// "15 % HT des sommes recouvrées", "forfait 90 €"…
    pub fee_terms: String,
    pub note: String,
}

/// A hand-over as of a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HandoverView {
    pub id: i64,
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub agency: String,
    pub kind: HandoverKind,
    pub handed_on: Date,
    pub fee_terms: String,
    pub note: String,
    /// Open amount the day it was handed.
    pub amount: Money,
    pub invoices: Vec<String>,
    pub ended_on: Option<Date>,
    pub outcome: Option<HandoverOutcome>,
    /// Still open on the day asked, over the invoices handed.
    pub open_now: Money,
    /// Paid since the hand-over (by the agency or the client).
    pub recovered: Money,
}

/// What the dashboard shows of collection.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CollectionSummary {
    /// Hand-overs in force: clients and what is still open on their invoices.
    pub in_collection_files: usize,
    pub in_collection: Money,
    /// Hand-overs ended: how many, recovered meanwhile, open when given back.
    pub came_back_files: usize,
    pub came_back_recovered: Money,
    pub came_back_open: Money,
}

impl Ledger {
    /// Hands a client's invoices over; they leave the work list from `date`.
    pub fn hand_over(&mut self, new: &NewHandover) -> Result<i64> {
        check_single_line("organisme", &new.agency, 120)?;
        if new.agency.trim().is_empty() {
            return Err(Error::invalid(
                "organisme",
                "obligatoire (nom de la société ou de l'assureur)",
            ));
        }
        check_single_line("conditions de rémunération", &new.fee_terms, 300)?;
        if new.note.len() > 4000 {
            return Err(Error::invalid("note", "4 000 caractères au plus"));
        }
        let client = self.client(new.client_id)?;
        let open: Vec<_> = self
            .open_invoices_at(new.date)?
            .into_iter()
            .filter(|o| o.1 == new.client_id)
            .collect();
        let chosen: Vec<_> = if new.invoice_ids.is_empty() {
            open
        } else {
            crate::reminders::pick_open(&open, &new.invoice_ids, |o| o.0, &client.name, new.date)?
                .into_iter()
                .cloned()
                .collect()
        };
        if chosen.is_empty() {
            return Err(Error::invalid(
                "factures",
                format!(
                    "{} n'a aucune facture ouverte au {}",
                    client.name,
                    dates::format_fr(new.date)
                ),
            ));
        }
        let currency = chosen[0].6;
        if chosen.iter().any(|o| o.6 != currency) {
            return Err(Error::invalid(
                "factures",
                "une transmission porte sur une seule devise : faites-en une par devise",
            ));
        }
        let total: i64 = chosen.iter().map(|o| o.5).sum();
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO handover (client_id, agency, kind, handed_on, fee_terms, note, amount, currency, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                new.client_id,
                new.agency.trim(),
                new.kind.as_str(),
                IsoDate::from(new.date),
                new.fee_terms.trim(),
                new.note,
                total,
                currency.as_str(),
                now_stamp()
            ],
        )?;
        let id = tx.last_insert_rowid();
        for o in &chosen {
            tx.execute(
                "INSERT INTO handover_invoice (handover_id, invoice_id) VALUES (?1, ?2)",
                params![id, o.0],
            )?;
        }
        self.log_evidence(NewEvidence {
            date: Some(new.date),
            kind: Some(EvidenceKind::Handover),
            channel: "collection",
            client_id: Some(new.client_id),
            recipient: format!("{} ({})", new.agency.trim(), new.kind.fr()),
            invoices: chosen.iter().map(|o| (o.2.clone(), o.5)).collect(),
            amount_cents: Some(total),
            currency: currency.as_str(),
            detail: format!("rémunération : {}", new.fee_terms.trim()),
            ..Default::default()
        })?;
        tx.commit()?;
        Ok(id)
    }

    /// Ends a hand-over: recovered (closed) or returned (reminded again).
    pub fn end_handover(&mut self, id: i64, date: Date, outcome: HandoverOutcome) -> Result<()> {
        let view = self
            .handovers(None, date)?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "transmission",
                key: id.to_string(),
            })?;
        if view.ended_on.is_some() {
            return Err(Error::invalid(
                "transmission",
                format!("{id} : déjà terminée"),
            ));
        }
        if date < view.handed_on {
            return Err(Error::invalid(
                "date de retour",
                "ne peut précéder la transmission",
            ));
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "UPDATE handover SET ended_on = ?2, outcome = ?3 WHERE id = ?1",
            params![id, IsoDate::from(date), outcome.as_str()],
        )?;
        self.log_evidence(NewEvidence {
            date: Some(date),
            kind: Some(EvidenceKind::HandoverEnded),
            channel: "collection",
            client_id: Some(view.client_id),
            recipient: view.agency.clone(),
            amount_cents: Some(view.open_now.cents),
            currency: view.amount.currency.as_str(),
            detail: format!(
                "transmis le {} pour {} ; recouvré depuis : {}",
                dates::format_fr(view.handed_on),
                view.amount.format_fr(),
                view.recovered.format_fr()
            ),
            result: match outcome {
                HandoverOutcome::Recovered => "dossier clos, recouvré".into(),
                HandoverOutcome::Returned => {
                    format!("dossier rendu, reste dû {}", view.open_now.format_fr())
                }
            },
            ..Default::default()
        })?;
        tx.commit()?;
        Ok(())
    }

    /// The hand-overs (of one client or all) as of `as_of`, newest first.
    pub fn handovers(&self, client_id: Option<i64>, as_of: Date) -> Result<Vec<HandoverView>> {
        // What the matching settled by then, read only when a hand-over
        // asks for it (the dashboard asks on every ledger, most have none).
        let mut settled: Option<crate::tally::Tally> = None;
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.id, h.client_id, c.code, c.name, h.agency, h.kind, h.handed_on, h.fee_terms, h.note, h.amount, h.currency, h.ended_on, h.outcome
             FROM handover h JOIN client c ON c.id = h.client_id
             WHERE (?1 IS NULL OR h.client_id = ?1) AND h.handed_on <= ?2
             ORDER BY h.handed_on DESC, h.id DESC",
        )?;
        let rows = stmt.query_map(params![client_id, IsoDate::from(as_of)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Date>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, i64>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<Date>>(11)?,
                r.get::<_, String>(12)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                client_id,
                code,
                name,
                agency,
                kind,
                handed_on,
                fee_terms,
                note,
                amount,
                currency,
                ended_on,
                outcome,
            ) = row?;
            let currency = Currency::parse(&currency)?;
            let mut invoices = Vec::new();
            let mut open_now = 0;
            {
                let settled = match &mut settled {
                    Some(tally) => tally,
                    None => settled.insert(self.settled(Some(as_of))?.invoices),
                };
                let mut stmt = self.conn.prepare_cached(
                    "SELECT i.id, i.number, i.amount, i.issue_date <= ?2 FROM handover_invoice hi JOIN invoice i ON i.id = hi.invoice_id WHERE hi.handover_id = ?1 ORDER BY i.due_date, i.number",
                )?;
                let mut q = stmt.query(params![id, IsoDate::from(as_of)])?;
                while let Some(r) = q.next()? {
                    let (invoice, amount, issued): (i64, i64, bool) =
                        (r.get(0)?, r.get(2)?, r.get(3)?);
                    invoices.push(r.get(1)?);
                    // An invoice counts while it is open on the day (a credit
                    // handed over counts for nothing).
                    let open = amount - settled.get(invoice);
                    if issued && amount > 0 && open > 0 {
                        open_now += open;
                    }
                }
            }
            // Open at the end (or now) is what the hand-over did not recover.
            let ended_on = ended_on.filter(|d| *d <= as_of);
            out.push(HandoverView {
                id,
                client_id,
                client_code: code,
                client_name: name,
                agency,
                kind: HandoverKind::parse(&kind)?,
                handed_on,
                fee_terms,
                note,
                amount: Money::new(amount, currency),
                invoices,
                ended_on,
                outcome: if ended_on.is_some() && !outcome.is_empty() {
                    Some(HandoverOutcome::parse(&outcome)?)
                } else {
                    None
                },
                open_now: Money::new(open_now, currency),
                recovered: Money::new((amount - open_now).max(0), currency),
            });
        }
        Ok(out)
    }

    /// In collection and came back, in euros, on `as_of`.
    pub fn collection_summary(&self, as_of: Date) -> Result<CollectionSummary> {
        let mut s = CollectionSummary {
            in_collection_files: 0,
            in_collection: Money::zero_eur(),
            came_back_files: 0,
            came_back_recovered: Money::zero_eur(),
            came_back_open: Money::zero_eur(),
        };
        for h in self
            .handovers(None, as_of)?
            .into_iter()
            .filter(|h| h.amount.currency == Currency::EUR)
        {
            if h.ended_on.is_none() {
                s.in_collection_files += 1;
                s.in_collection.cents += h.open_now.cents;
            } else {
                s.came_back_files += 1;
                s.came_back_recovered.cents += h.recovered.cents;
                s.came_back_open.cents += h.open_now.cents;
            }
        }
        Ok(s)
    }
}

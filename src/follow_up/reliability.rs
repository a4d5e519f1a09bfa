//! How reliably a client pays (B3), and the client's timeline (C7).
//!
//! The score starts at 100 and loses points for lateness (up to 40 for an
//! average of 60 days or more), for the share of invoices paid late (up to
//! 30), for broken promises (10 each, up to 20) and for disputes (5 each, up
//! to 10). The user may set the score by hand; the computed figures stay
//! visible next to it. A scenario may be reserved to clients under a score.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::dates::{iso_column, Date, IsoDate};
use crate::error::{Error, Result};
use crate::ledger::{check_single_line, now_stamp};
use crate::money::{Currency, Money};
use crate::reminders::PromiseStatus;
use crate::store::Ledger;

/// A client's payment behaviour and its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Reliability {
    pub client_id: i64,
    /// Invoices fully paid, and how many of them after their due date.
    pub paid_invoices: usize,
    pub paid_late: usize,
    /// Average days between due date and payment of the paid invoices
    /// (early payments count as 0).
    pub average_days_late: Option<f64>,
    pub promises_kept: usize,
    pub promises_broken: usize,
    pub disputes: usize,
    /// Computed score, 0–100.
    pub computed: u8,
    /// Score set by hand, if any, with its note.
    pub manual: Option<(u8, String)>,
    /// The score in use.
    pub score: u8,
    /// Why, in French, one line per reason.
    pub explanation: Vec<String>,
}

/// One event of a client's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TimelineEvent {
    pub date: Date,
    /// `invoice`, `credit_note`, `payment`, `reminder`, `call`, `level`,
    /// `promise`, `dispute`, `dispute_closed`, `pause`.
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub amount: Option<Money>,
    /// For a registered letter: the reminder, its LRAR number and the day
    /// its acknowledgement came back.
    pub registered: Option<RegisteredPost>,
}

/// A registered letter's tracking.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RegisteredPost {
    pub reminder_id: i64,
    pub number: String,
    pub acknowledged_on: Option<Date>,
}

/// The score from the figures, with its explanation.
pub fn score(
    paid: usize,
    late: usize,
    average_days_late: Option<f64>,
    broken: usize,
    disputes: usize,
) -> (u8, Vec<String>) {
    let mut points = 100.0f64;
    let mut why = Vec::new();
    if paid == 0 {
        why.push("aucune facture payée à ce jour : pas d'historique".to_string());
    } else {
        let avg = average_days_late.unwrap_or(0.0);
        let lateness = (avg / 60.0).min(1.0) * 40.0;
        points -= lateness;
        why.push(format!(
            "retard moyen de {} : −{}",
            crate::words::fr(avg.round() as i64, "jour", "jours"),
            crate::words::fr(lateness.round() as i64, "point", "points")
        ));
        let share = late as f64 / paid as f64;
        let share_points = share * 30.0;
        points -= share_points;
        why.push(format!(
            "{} sur {paid} {} en retard ({:.0} %) : −{}",
            crate::words::fr(late as i64, "facture", "factures"),
            if paid > 1 { "payées" } else { "payée" },
            share * 100.0,
            crate::words::fr(share_points.round() as i64, "point", "points")
        ));
    }
    if broken > 0 {
        let p = (broken as f64 * 10.0).min(20.0);
        points -= p;
        why.push(format!(
            "{} : −{}",
            crate::words::fr(broken as i64, "promesse non tenue", "promesses non tenues"),
            crate::words::fr(p.round() as i64, "point", "points")
        ));
    }
    if disputes > 0 {
        let p = (disputes as f64 * 5.0).min(10.0);
        points -= p;
        why.push(format!(
            "{} : −{}",
            crate::words::fr(disputes as i64, "litige", "litiges"),
            crate::words::fr(p.round() as i64, "point", "points")
        ));
    }
    (points.round().clamp(0.0, 100.0) as u8, why)
}

impl Ledger {
    /// The reliability of a client on `as_of`.
    pub fn reliability(&self, client_id: i64, as_of: Date) -> Result<Reliability> {
        self.client(client_id)?;
        let day = IsoDate::from(as_of);
        // Invoices fully settled by `as_of`, with the day they were settled.
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.due_date, MAX(a.date)
             FROM invoice i JOIN allocation a ON a.invoice_id = i.id AND a.date <= ?2
             WHERE i.client_id = ?1 AND i.amount > 0 AND i.withdrawn_by IS NULL
             GROUP BY i.id
             HAVING i.amount - SUM(a.amount) + COALESCE((SELECT SUM(c.amount) FROM allocation c WHERE c.credit_note_id = i.id AND c.date <= ?2), 0) <= 0",
        )?;
        let mut q = stmt.query(params![client_id, day])?;
        let (mut paid, mut late, mut days) = (0usize, 0usize, 0i64);
        while let Some(r) = q.next()? {
            let due = iso_column(r, 0)?;
            let on = iso_column(r, 1)?;
            let d = (on - due).num_days();
            paid += 1;
            if d > 0 {
                late += 1;
                days += d;
            }
        }
        let promises = self.promises(Some(client_id), as_of)?;
        let kept = promises
            .iter()
            .filter(|p| p.status == PromiseStatus::Kept)
            .count();
        let broken = promises
            .iter()
            .filter(|p| p.status == PromiseStatus::Broken)
            .count();
        let disputes: i64 = self.conn.query_row(
            "SELECT count(*) FROM dispute d JOIN invoice i ON i.id = d.invoice_id WHERE i.client_id = ?1 AND d.opened_on <= ?2",
            params![client_id, day],
            |r| r.get(0),
        )?;
        let average = (paid > 0).then(|| days as f64 / paid as f64);
        let (computed, mut explanation) = score(paid, late, average, broken, disputes as usize);
        let manual: Option<(u8, String)> = self
            .conn
            .query_row(
                "SELECT score, note FROM client_score WHERE client_id = ?1",
                [client_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((s, note)) = &manual {
            explanation.push(format!(
                "note fixée à la main : {s}/100{}",
                if note.is_empty() {
                    String::new()
                } else {
                    format!(" ({note})")
                }
            ));
        }
        Ok(Reliability {
            client_id,
            paid_invoices: paid,
            paid_late: late,
            average_days_late: average,
            promises_kept: kept,
            promises_broken: broken,
            disputes: disputes as usize,
            computed,
            score: manual.as_ref().map(|m| m.0).unwrap_or(computed),
            manual,
            explanation,
        })
    }

    /// Sets the score by hand (`None` removes it).
    pub fn set_score(&self, client_id: i64, score: Option<u8>, note: &str) -> Result<()> {
        check_single_line("note de fiabilité", note, 300)?;
        self.client(client_id)?;
        match score {
            Some(s) if s > 100 => Err(Error::invalid("note de fiabilité", "entre 0 et 100")),
            Some(s) => {
                self.conn.execute(
                    "INSERT INTO client_score (client_id, score, note, set_on) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(client_id) DO UPDATE SET score = excluded.score, note = excluded.note, set_on = excluded.set_on",
                    params![client_id, s, note.trim(), now_stamp()],
                )?;
                Ok(())
            }
            None => {
                self.conn
                    .execute("DELETE FROM client_score WHERE client_id = ?1", [client_id])?;
                Ok(())
            }
        }
    }

    /// Everything that happened with a client, newest first.
    pub fn timeline(&self, client_id: i64, as_of: Date) -> Result<Vec<TimelineEvent>> {
        self.client(client_id)?;
        let day = IsoDate::from(as_of);
        let mut events = Vec::new();
        let money = |cents: i64, currency: &str| -> Result<Money> {
            Ok(Money::new(cents, Currency::parse(currency)?))
        };
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT issue_date, kind, number, amount, currency, due_date FROM invoice WHERE client_id = ?1 AND issue_date <= ?2 AND withdrawn_by IS NULL",
            )?;
            let mut q = stmt.query(params![client_id, day])?;
            while let Some(r) = q.next()? {
                let kind: String = r.get(1)?;
                let number: String = r.get(2)?;
                let currency: String = r.get(4)?;
                let (k, title) = match kind.as_str() {
                    "credit_note" => ("credit_note", format!("Avoir {number}")),
                    "opening" => ("invoice", format!("Solde d'ouverture {number}")),
                    _ => ("invoice", format!("Facture {number}")),
                };
                events.push(TimelineEvent {
                    date: iso_column(r, 0)?,
                    kind: k.into(),
                    title,
                    detail: format!("échéance {}", crate::dates::format_fr(iso_column(r, 5)?)),
                    amount: Some(money(r.get(3)?, &currency)?),
                    registered: None,
                });
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT date, amount, currency, method, reference FROM payment WHERE client_id = ?1 AND date <= ?2 AND withdrawn_by IS NULL",
            )?;
            let mut q = stmt.query(params![client_id, day])?;
            while let Some(r) = q.next()? {
                let currency: String = r.get(2)?;
                let method: String = r.get(3)?;
                let reference: String = r.get(4)?;
                events.push(TimelineEvent {
                    date: iso_column(r, 0)?,
                    kind: "payment".into(),
                    title: "Paiement reçu".into(),
                    detail: [method, reference]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    amount: Some(money(r.get(1)?, &currency)?),
                    registered: None,
                });
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT r.date, r.step, r.step_name, r.channel, r.outcome, r.note, r.manual, r.total, r.currency,
                        (SELECT group_concat(i.number, ', ') FROM reminder_invoice ri JOIN invoice i ON i.id = ri.invoice_id WHERE ri.reminder_id = r.id),
                        r.id, r.lrar_number, r.acknowledged_on
                 FROM reminder r WHERE r.client_id = ?1 AND r.date <= ?2",
            )?;
            let mut q = stmt.query(params![client_id, day])?;
            while let Some(r) = q.next()? {
                let step: i64 = r.get(1)?;
                let name: String = r.get(2)?;
                let channel: String = r.get(3)?;
                let outcome: String = r.get(4)?;
                let note: String = r.get(5)?;
                let manual: bool = r.get(6)?;
                let currency: String = r.get(8)?;
                let numbers: Option<String> = r.get(9)?;
                let (kind, title) = if manual {
                    ("level", format!("Niveau fixé à la main : {step}. {name}"))
                } else if channel == "call" {
                    ("call", format!("Appel — {name}"))
                } else {
                    (
                        "reminder",
                        format!("{step}. {name} ({})", channel_fr(&channel)),
                    )
                };
                let detail = [outcome, numbers.unwrap_or_default(), note]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ");
                let registered = (channel == "registered" && !manual)
                    .then(|| -> Result<RegisteredPost> {
                        Ok(RegisteredPost {
                            reminder_id: r.get(10)?,
                            number: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                            acknowledged_on: r.get(12)?,
                        })
                    })
                    .transpose()?;
                events.push(TimelineEvent {
                    date: iso_column(r, 0)?,
                    kind: kind.into(),
                    title,
                    detail,
                    amount: Some(money(r.get(7)?, &currency)?),
                    registered,
                });
            }
        }
        for p in self.promises(Some(client_id), as_of)? {
            let state = match p.status {
                PromiseStatus::Running => "en cours",
                PromiseStatus::Kept => "tenue",
                PromiseStatus::Broken => "non tenue",
                PromiseStatus::Cancelled => "annulée",
            };
            events.push(TimelineEvent {
                date: p.made_on,
                kind: "promise".into(),
                title: format!(
                    "Promesse de paiement pour le {} — {state}",
                    crate::dates::format_fr(p.due)
                ),
                detail: p.note.clone(),
                amount: Some(p.amount),
                registered: None,
            });
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT d.opened_on, d.closed_on, d.reason, d.amount, i.number, i.currency FROM dispute d JOIN invoice i ON i.id = d.invoice_id WHERE i.client_id = ?1 AND d.opened_on <= ?2",
            )?;
            let mut q = stmt.query(params![client_id, day])?;
            while let Some(r) = q.next()? {
                let reason: String = r.get(2)?;
                let number: String = r.get(4)?;
                let currency: String = r.get(5)?;
                let amount: Option<i64> = r.get(3)?;
                events.push(TimelineEvent {
                    date: iso_column(r, 0)?,
                    kind: "dispute".into(),
                    title: format!(
                        "Litige sur {number}{}",
                        if amount.is_none() {
                            " (toute la facture)"
                        } else {
                            ""
                        }
                    ),
                    detail: reason,
                    amount: amount.map(|a| money(a, &currency)).transpose()?,
                    registered: None,
                });
                if let Some(closed) = r.get::<_, Option<Date>>(1)?.filter(|d| *d <= as_of) {
                    events.push(TimelineEvent {
                        date: closed,
                        kind: "dispute_closed".into(),
                        title: format!("Litige clos sur {number}"),
                        detail: String::new(),
                        amount: None,
                        registered: None,
                    });
                }
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT substr(p.created_at, 1, 10), p.until, p.reason, i.number FROM pause p LEFT JOIN invoice i ON i.id = p.invoice_id
                 WHERE p.client_id = ?1 OR i.client_id = ?1",
            )?;
            let mut q = stmt.query([client_id])?;
            while let Some(r) = q.next()? {
                let on = iso_column(r, 0)?;
                if on > as_of {
                    continue;
                }
                let number: Option<String> = r.get(3)?;
                events.push(TimelineEvent {
                    date: on,
                    kind: "pause".into(),
                    title: format!(
                        "Relances suspendues{} jusqu'au {}",
                        number.map(|n| format!(" pour {n}")).unwrap_or_default(),
                        crate::dates::format_fr(iso_column(r, 1)?)
                    ),
                    detail: r.get(2)?,
                    amount: None,
                    registered: None,
                });
            }
        }
        events.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.kind.cmp(&b.kind)));
        Ok(events)
    }
}

impl Ledger {
    /// Records the LRAR number of a registered letter and, later, the day
    /// its acknowledgement of receipt came back.
    pub fn set_registered_post(
        &self,
        reminder_id: i64,
        number: &str,
        acknowledged_on: Option<Date>,
    ) -> Result<()> {
        let number = number.trim();
        if number.len() > 30
            || !number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(Error::invalid(
                "numéro de recommandé",
                "lettres, chiffres, espaces ou tirets, 30 caractères au plus",
            ));
        }
        let sent: Option<(Date, String)> = self
            .conn
            .query_row(
                "SELECT date, channel FROM reminder WHERE id = ?1",
                [reminder_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((sent_on, channel)) = sent else {
            return Err(Error::invalid(
                "recommandé",
                format!("relance {reminder_id} introuvable"),
            ));
        };
        if channel != "registered" {
            return Err(Error::invalid(
                "recommandé",
                "cette relance n'est pas une lettre recommandée",
            ));
        }
        if acknowledged_on.is_some_and(|d| d < sent_on) {
            return Err(Error::invalid(
                "accusé de réception",
                "ne peut précéder l'envoi",
            ));
        }
        self.atomically(|| {
            self.conn.execute(
                "UPDATE reminder SET lrar_number = ?1, acknowledged_on = ?2 WHERE id = ?3",
                params![
                    Some(number).filter(|n| !n.is_empty()),
                    acknowledged_on.map(IsoDate::from),
                    reminder_id
                ],
            )?;
            let (client_id, sha, total, currency): (i64, Option<String>, i64, String) = self
                .conn
                .query_row(
                "SELECT client_id, document_sha256, total, currency FROM reminder WHERE id = ?1",
                [reminder_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(acknowledged_on.unwrap_or(sent_on)),
                kind: Some(crate::evidence::EvidenceKind::Registered),
                channel: "registered",
                client_id: Some(client_id),
                amount_cents: Some(total),
                currency: &currency,
                detail: format!(
                    "lettre recommandée du {} n° {}",
                    crate::dates::format_fr(sent_on),
                    if number.is_empty() { "—" } else { number }
                ),
                document_sha256: sha,
                result: match acknowledged_on {
                    Some(d) => format!("avis de réception signé le {}", crate::dates::format_fr(d)),
                    None => "envoyée, avis de réception attendu".to_string(),
                },
                ..Default::default()
            })?;
            Ok(())
        })
    }
}

fn channel_fr(channel: &str) -> &'static str {
    match channel {
        "call" => "appel",
        "email" => "e-mail",
        "letter" => "courrier",
        "email_and_letter" => "e-mail et courrier",
        "registered" => "recommandé AR",
        "collection" => "recouvrement",
        _ => "autre",
    }
}

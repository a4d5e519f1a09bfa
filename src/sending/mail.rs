//! E-mail (E5, F1–F3): the SMTP settings, reminder e-mails built from the
//! templates, and the outbox that keeps sending safe offline and across a
//! crash.
//!
//! A message is written to the outbox — its exact bytes, a stable
//! Message-ID, an idempotency key — before any attempt to send it. Its
//! states: `queued` → `sending` → `sent`; back to `queued` after a temporary
//! failure (4xx, no network), with a growing delay; `failed` when the server
//! refused it for good (5xx, with the server's words); `cancelled`. A message
//! found in `sending` was handed to the server when the process stopped,
//! before the answer was recorded: it is never sent again automatically, the
//! user decides. The reminder is recorded, and its invoices move up a level,
//! only once the server accepted the message. The idempotency key (client,
//! level, channel, invoices) refuses a second message for the same
//! communication unless the user asks to send it again (C10).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};

pub use crate::ledger::{parse_address, parse_addresses};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::dates::{Date, IsoDate};
use crate::documents::{self, Kind, LetterFacts};
use crate::engine::Channel;
use crate::error::{Error, Result};
use crate::ledger::check_single_line;
use crate::reminders::{NewReminder, WorkRow};
use crate::store::Ledger;

pub(crate) const SETTINGS_KEY: &str = "smtp";

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the local network only).
    None,
}

impl Security {
    pub fn parse(text: &str) -> Result<Security> {
        match text.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(Security::StartTls),
            "tls" | "ssl" => Ok(Security::Tls),
            "none" | "aucune" => Ok(Security::None),
            other => Err(Error::invalid(
                "sécurité",
                format!("« {other} » : starttls, tls ou none"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }
}

/// Paramètres › E-mail. The password is not here: see [`crate::secrets`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Login; empty = no authentication.
    pub user: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    /// A hidden copy of every reminder to the sender's address.
    pub copy_to_self: bool,
    /// Attach the invoices' own PDFs when the ledger knows them.
    #[serde(default)]
    pub attach_invoices: bool,
}

impl SmtpSettings {
    /// Checks every field; the first wrong one is named.
    pub fn validate(&self) -> Result<()> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(Error::invalid("serveur", "obligatoire"));
        }
        check_single_line("serveur", host, 253)?;
        if host.contains(char::is_whitespace) || host.contains(['/', '@', ':']) {
            return Err(Error::invalid(
                "serveur",
                format!("« {host} » : un nom de serveur, sans espace ni « / »"),
            ));
        }
        if self.port == 0 {
            return Err(Error::invalid("port", "entre 1 et 65535"));
        }
        check_single_line("identifiant", &self.user, 200)?;
        if self.security == Security::None && !self.user.trim().is_empty() {
            return Err(Error::invalid(
                "sécurité",
                "une identification sans chiffrement enverrait le mot de passe en clair : choisissez STARTTLS ou TLS",
            ));
        }
        check_single_line("nom de l'expéditeur", &self.from_name, 120)?;
        parse_address("adresse de l'expéditeur", &self.from_address)?;
        if !self.reply_to.trim().is_empty() {
            parse_address("adresse de réponse", &self.reply_to)?;
        }
        Ok(())
    }

    /// The account the password is kept under.
    pub fn account(&self) -> String {
        crate::secrets::account(self.user.trim(), self.host.trim(), self.port)
    }
}

/// A header value on one line: control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

impl Ledger {
    /// The SMTP settings, if they were ever saved.
    pub fn smtp_settings(&self) -> Result<Option<SmtpSettings>> {
        match self.setting(SETTINGS_KEY)? {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| Error::invalid("réglages e-mail", format!("illisibles ({e})"))),
            None => Ok(None),
        }
    }

    /// Saves the SMTP settings after checking them.
    pub fn set_smtp_settings(&self, settings: &SmtpSettings) -> Result<()> {
        settings.validate()?;
        let mut clean = settings.clone();
        clean.host = clean.host.trim().to_string();
        clean.user = clean.user.trim().to_string();
        clean.from_address = clean.from_address.trim().to_string();
        clean.reply_to = clean.reply_to.trim().to_string();
        let json = serde_json::to_string(&clean)
            .map_err(|e| Error::invalid("réglages e-mail", e.to_string()))?;
        self.set_setting(SETTINGS_KEY, &json)
    }
}

// ----- the reminder e-mails ---------------------------------------------

/// Who the messages come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub address: String,
    pub reply_to: String,
    pub copy_to_self: bool,
}

impl Identity {
    pub fn of(settings: &SmtpSettings) -> Identity {
        Identity {
            name: settings.from_name.trim().to_string(),
            address: settings.from_address.trim().to_string(),
            reply_to: settings.reply_to.trim().to_string(),
            copy_to_self: settings.copy_to_self,
        }
    }
}

/// One reminder e-mail, before it is queued.
#[derive(Clone, Debug)]
pub struct ReminderEmail {
    pub facts: LetterFacts,
    pub client_name: String,
    pub step_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Why it cannot go by e-mail (no address, a wrong one); the letter
    /// then goes by post when the step allows it.
    pub problem: Option<String>,
    /// The reminder as a PDF letter, attached.
    pub attachment: (String, Vec<u8>),
    /// The invoices' own PDFs, when asked for and found.
    pub invoice_pdfs: Vec<(String, Vec<u8>)>,
    pub total_cents: i64,
    pub currency: String,
}

/// Whether a row goes (also) by e-mail.
pub fn by_email(channel: Channel) -> bool {
    matches!(channel, Channel::Email | Channel::EmailAndLetter)
}

/// `text` safe inside HTML.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML body of a rendered template: its paragraphs escaped, the invoice
/// table as a table.
pub fn to_html(rendered: &documents::Rendered, facts: &LetterFacts) -> String {
    let esc = escape_html;
    let english = facts.langue == "en";
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body style=\"font-family: Arial, sans-serif; font-size: 14px; color: #1d2b36\">\n",
    );
    for block in &rendered.blocks {
        match block {
            documents::Block::Paragraph(p) => {
                out.push_str("<p>");
                out.push_str(&esc(p).replace('\n', "<br>\n"));
                out.push_str("</p>\n");
            }
            documents::Block::Table => {
                let heads: [&str; 5] = if english {
                    ["Invoice", "Date", "Due", "Days late", "Outstanding"]
                } else {
                    ["Facture", "Date", "Échéance", "Retard", "Reste dû"]
                };
                out.push_str("<table style=\"border-collapse: collapse\" cellpadding=\"4\">\n<tr>");
                for h in heads {
                    out.push_str(&format!(
                        "<th style=\"text-align:left; border-bottom: 1px solid #999\">{h}</th>"
                    ));
                }
                out.push_str("</tr>\n");
                for f in &facts.factures {
                    out.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td></tr>\n",
                        esc(&f.numero),
                        esc(&f.date),
                        esc(&f.echeance),
                        f.retard,
                        esc(&f.reste)
                    ));
                }
                out.push_str(&format!(
                    "<tr><th colspan=\"4\" style=\"text-align:right\">{}</th><th style=\"text-align:right\">{}</th></tr>\n</table>\n",
                    if english { "Total due" } else { "Total dû" },
                    esc(&facts.total_du)
                ));
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

impl Ledger {
    /// The e-mails due on `as_of` for the selected invoices: today's
    /// communications by e-mail (or e-mail and letter), limited to them.
    pub fn emails_for_invoices(
        &self,
        invoice_ids: &[i64],
        as_of: Date,
    ) -> Result<Vec<ReminderEmail>> {
        self.emails(&self.work_rows_for_invoices(invoice_ids, as_of)?, as_of)
    }

    /// Every e-mail communication of `rows`, rendered.
    pub fn emails(&self, rows: &[WorkRow], as_of: Date) -> Result<Vec<ReminderEmail>> {
        let rows: Vec<WorkRow> = rows
            .iter()
            .filter(|r| by_email(r.channel))
            .cloned()
            .collect();
        let letters = self.letters_of(&rows, as_of)?;
        let attach_invoices = self
            .smtp_settings()?
            .map(|s| s.attach_invoices)
            .unwrap_or(false);
        let mut out = Vec::with_capacity(rows.len());
        for (row, letter) in rows.iter().zip(letters) {
            let client = self.client(row.client_id)?;
            let language = if client.language == "en" { "en" } else { "fr" };
            let source = self.template_source(language, &row.template, Kind::Email)?;
            let rendered = documents::render(&source, &letter.facts)?;
            let problem = if client.email.trim().is_empty() {
                Some("pas d'adresse e-mail dans la fiche client".to_string())
            } else {
                parse_addresses("e-mail", &client.email)
                    .and_then(|_| parse_addresses("copie", &client.email_cc))
                    .err()
                    .map(|e| e.to_string())
            };
            let (to, cc) = if problem.is_some() {
                (vec![], vec![])
            } else {
                (
                    split_addresses(&client.email),
                    split_addresses(&client.email_cc),
                )
            };
            let mut invoice_pdfs = Vec::new();
            if attach_invoices {
                for inv in &row.invoices {
                    if let Some(bytes) = self.invoice_as_pdf(inv.id)? {
                        invoice_pdfs.push((
                            format!("facture-{}.pdf", documents::slug(&inv.number)),
                            bytes,
                        ));
                    }
                }
            }
            let pdf = documents::letter_pdf(&letter);
            let mut text = documents::to_text(&rendered, &letter.facts);
            let mut html = to_html(&rendered, &letter.facts);
            if let Some(note) = letter.transfer_note() {
                text.push_str("\n\n");
                text.push_str(&note);
                html = html.replace(
                    "</body></html>",
                    &format!("<p>{}</p>\n</body></html>", escape_html(&note)),
                );
            }
            out.push(ReminderEmail {
                client_name: client.name.clone(),
                step_name: row.step_name.clone(),
                subject: one_line(&rendered.subject),
                text,
                html,
                to,
                cc,
                problem,
                attachment: (letter.file_name(), pdf),
                invoice_pdfs,
                total_cents: letter.facts.total_due_cents,
                currency: row.total.currency.as_str().to_string(),
                facts: letter.facts,
            });
        }
        Ok(out)
    }
}

fn split_addresses(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// The message as it will travel: headers, both bodies, attachments.
pub struct BuiltMessage {
    pub message_id: String,
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    pub raw: Vec<u8>,
}

/// Builds the RFC 5322 message of `email`. Every header value is a checked
/// address or a single line encoded by lettre: no field of a client file can
/// add a header.
pub fn build_message(
    email: &ReminderEmail,
    from: &Identity,
    message_id: &str,
    date: DateTime<Utc>,
) -> Result<BuiltMessage> {
    if let Some(problem) = &email.problem {
        return Err(Error::invalid("destinataire", problem.clone()));
    }
    let sender = parse_address("adresse de l'expéditeur", &from.address)?;
    let name = Some(one_line(&from.name)).filter(|n| !n.is_empty());
    let mut builder = lettre::Message::builder()
        .message_id(Some(message_id.to_string()))
        .from(Mailbox::new(name, sender.clone()))
        .subject(one_line(&email.subject))
        .date(date.into())
        .user_agent("Encaisse".to_string());
    if !from.reply_to.is_empty() {
        builder = builder.reply_to(Mailbox::new(
            None,
            parse_address("adresse de réponse", &from.reply_to)?,
        ));
    }
    let client = Some(one_line(&email.client_name)).filter(|n| !n.is_empty());
    for to in &email.to {
        builder = builder.to(Mailbox::new(client.clone(), parse_address("e-mail", to)?));
    }
    for cc in &email.cc {
        builder = builder.cc(Mailbox::new(None, parse_address("copie", cc)?));
    }
    if from.copy_to_self {
        builder = builder.bcc(Mailbox::new(None, sender));
    }
    let pdf = ContentType::parse("application/pdf").expect("a MIME type");
    let mut mixed = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
        email.text.clone(),
        email.html.clone(),
    ));
    mixed = mixed.singlepart(
        Attachment::new(email.attachment.0.clone()).body(email.attachment.1.clone(), pdf.clone()),
    );
    for (name, bytes) in &email.invoice_pdfs {
        mixed = mixed.singlepart(Attachment::new(name.clone()).body(bytes.clone(), pdf.clone()));
    }
    let message = builder
        .multipart(mixed)
        .map_err(|e| Error::invalid("message", e.to_string()))?;
    let envelope = message.envelope();
    Ok(BuiltMessage {
        message_id: message_id.to_string(),
        envelope_from: envelope.from().map(|a| a.to_string()).unwrap_or_default(),
        envelope_to: envelope.to().iter().map(|a| a.to_string()).collect(),
        raw: message.formatted(),
    })
}

/// The key of one communication: the same client, level, channel and
/// invoices give the same key (C10).
pub fn idempotency_key(facts: &LetterFacts) -> String {
    let mut ids = facts.invoice_ids.clone();
    ids.sort_unstable();
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(
        "email:{}:{}:{}",
        facts.client_id,
        facts.niveau,
        ids.join(",")
    )
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("encaisse.local")
}

// ----- the outbox ---------------------------------------------------------

/// The state of a message in the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum OutboxState {
    Queued,
    /// Queued, but waits for the user's decision before it may go: brought
    /// back by a restore, or its invoices were paid in part since it was
    /// written (`amounts_changed`). The reason is in `last_error`.
    Held,
    /// Handed to the server, answer not recorded: the user decides.
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Held => "held",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }

    /// The state as stored: `state`, and the `held` mark of a queued one.
    fn stored(state: &str, held: i64) -> OutboxState {
        match OutboxState::parse(state) {
            OutboxState::Queued if held != 0 => OutboxState::Held,
            other => other,
        }
    }

    fn parse(text: &str) -> OutboxState {
        match text {
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "cancelled" => OutboxState::Cancelled,
            _ => OutboxState::Queued,
        }
    }
}

/// A message of the outbox, as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OutboxEntry {
    pub id: i64,
    pub client_id: i64,
    pub client_name: String,
    pub step: usize,
    pub step_name: String,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt: String,
    pub last_error: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
    pub sha256: String,
    pub total_cents: i64,
    pub currency: String,
    pub invoice_ids: Vec<i64>,
    /// Held because its invoices were paid since it was written: its
    /// amounts are no longer true, it can only be cancelled.
    pub amounts_changed: bool,
}

/// What queuing did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueReport {
    pub queued: Vec<i64>,
    /// Communications not queued: client name and why.
    pub skipped: Vec<(String, String)>,
}

/// Delay before the next try after `attempts` failed ones.
pub fn backoff(attempts: u32) -> Duration {
    const STEPS: [u64; 8] = [60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400];
    Duration::from_secs(STEPS[(attempts.saturating_sub(1) as usize).min(STEPS.len() - 1)])
}

/// `outbox.held`: brought back by a restore; its invoices were paid since
/// it was written.
const HELD_RESTORED: i64 = 1;
const HELD_CHANGED: i64 = 2;

/// After this many temporary failures a message is marked failed.
pub const MAX_ATTEMPTS: u32 = 10;

const OUTBOX_COLUMNS: &str = "o.id, o.client_id, c.name, o.step, o.step_name, o.envelope_to, o.subject, o.message_id, o.state, o.attempts, o.next_attempt, o.last_error, o.queued_at, o.sent_at, o.sha256, o.total, o.currency, o.held";

impl Ledger {
    /// Writes the messages to the outbox (state `queued`), one transaction
    /// for all. A communication already queued, being sent or sent is
    /// skipped with the reason, as is one without a valid address.
    pub fn queue_emails(
        &mut self,
        emails: &[ReminderEmail],
        from: &Identity,
        now: DateTime<Utc>,
    ) -> Result<QueueReport> {
        self.queue_with_keys(emails, from, now, |e| idempotency_key(&e.facts))
    }

    /// Queues `emails` again although they were sent: the user's explicit
    /// "Renvoyer".
    pub fn queue_resend(
        &mut self,
        emails: &[ReminderEmail],
        from: &Identity,
        now: DateTime<Utc>,
    ) -> Result<QueueReport> {
        let suffix = format!(":resend:{}", now.timestamp_nanos_opt().unwrap_or(0));
        self.queue_with_keys(emails, from, now, |e| {
            format!("{}{suffix}", idempotency_key(&e.facts))
        })
    }

    fn queue_with_keys(
        &mut self,
        emails: &[ReminderEmail],
        from: &Identity,
        now: DateTime<Utc>,
        key_of: impl Fn(&ReminderEmail) -> String,
    ) -> Result<QueueReport> {
        parse_address("adresse de l'expéditeur", &from.address)?;
        let mut report = QueueReport::default();
        let tx = self.conn.unchecked_transaction()?;
        for (n, email) in emails.iter().enumerate() {
            if let Some(problem) = &email.problem {
                report
                    .skipped
                    .push((email.client_name.clone(), problem.clone()));
                continue;
            }
            let key = key_of(email);
            let existing: Option<(String, String)> = tx
                .query_row(
                    "SELECT state, queued_at FROM outbox WHERE idempotency_key = ?1 AND state <> 'cancelled' AND state <> 'failed'",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((state, at)) = existing {
                let why = match OutboxState::parse(&state) {
                    OutboxState::Sent => format!("déjà envoyé (mis en file le {at}) : utilisez « Renvoyer » pour l'envoyer de nouveau"),
                    _ => format!("déjà dans la boîte d'envoi depuis le {at}"),
                };
                report.skipped.push((email.client_name.clone(), why));
                continue;
            }
            let unique = crate::import::sha256_hex(
                format!("{key}|{}|{n}", now.timestamp_nanos_opt().unwrap_or(0)).as_bytes(),
            );
            let message_id = format!("<{}.encaisse@{}>", &unique[..32], domain_of(&from.address));
            let built = build_message(email, from, &message_id, now)?;
            let sha = crate::import::sha256_hex(&built.raw);
            tx.execute(
                "INSERT INTO outbox (idempotency_key, message_id, client_id, step, step_name, as_of, envelope_from, envelope_to, subject, raw, sha256, pdf_sha256, total, currency, state, next_attempt, queued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'queued', ?15, ?15)",
                params![
                    key,
                    built.message_id,
                    email.facts.client_id,
                    email.facts.niveau as i64,
                    email.step_name,
                    email.facts.day.map(IsoDate::from),
                    built.envelope_from,
                    built.envelope_to.join(","),
                    email.subject,
                    built.raw,
                    sha,
                    crate::import::sha256_hex(&email.attachment.1),
                    email.total_cents,
                    email.currency,
                    stamp(now),
                ],
            )?;
            let id = tx.last_insert_rowid();
            for (n, invoice) in email.facts.invoice_ids.iter().enumerate() {
                // What the message says each invoice owes: it is not sent
                // once a payment has changed that.
                let open = email
                    .facts
                    .factures
                    .get(n)
                    .filter(|_| email.facts.factures.len() == email.facts.invoice_ids.len())
                    .map(|f| f.open_cents);
                tx.execute(
                    "INSERT INTO outbox_invoice (outbox_id, invoice_id, open_cents) VALUES (?1, ?2, ?3)",
                    params![id, invoice, open],
                )?;
            }
            report.queued.push(id);
        }
        tx.commit()?;
        Ok(report)
    }

    /// The outbox, newest first; `state` limits it to one state.
    pub fn outbox(&self, state: Option<OutboxState>) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN client c ON c.id = o.client_id
             WHERE ?1 IS NULL OR o.state = ?1 OR (?1 = 'held' AND o.state = 'queued' AND o.held = 1)
             ORDER BY o.id DESC"
        ))?;
        let rows = stmt.query_map([state.map(OutboxState::as_str)], |r| {
            Ok(OutboxEntry {
                id: r.get(0)?,
                client_id: r.get(1)?,
                client_name: r.get(2)?,
                step: r.get::<_, i64>(3)? as usize,
                step_name: r.get(4)?,
                to: split_addresses(&r.get::<_, String>(5)?),
                subject: r.get(6)?,
                message_id: r.get(7)?,
                state: OutboxState::stored(&r.get::<_, String>(8)?, r.get(17)?),
                amounts_changed: r.get::<_, String>(8)? == "queued"
                    && r.get::<_, i64>(17)? == HELD_CHANGED,
                attempts: r.get(9)?,
                next_attempt: r.get(10)?,
                last_error: r.get(11)?,
                queued_at: r.get(12)?,
                sent_at: r.get(13)?,
                sha256: r.get(14)?,
                total_cents: r.get(15)?,
                currency: r.get(16)?,
                invoice_ids: Vec::new(),
            })
        })?;
        let mut out: Vec<OutboxEntry> = rows.collect::<rusqlite::Result<_>>()?;
        if state == Some(OutboxState::Queued) {
            out.retain(|e| e.state == OutboxState::Queued);
        }
        let mut inv = self.conn.prepare_cached(
            "SELECT invoice_id FROM outbox_invoice WHERE outbox_id = ?1 ORDER BY invoice_id",
        )?;
        for e in &mut out {
            e.invoice_ids = inv
                .query_map([e.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(out)
    }

    /// The exact bytes of a message of the outbox.
    pub fn outbox_raw(&self, id: i64) -> Result<Vec<u8>> {
        self.conn
            .query_row("SELECT raw FROM outbox WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "message",
                key: id.to_string(),
            })
    }

    fn outbox_state(&self, id: i64) -> Result<OutboxState> {
        self.conn
            .query_row("SELECT state, held FROM outbox WHERE id = ?1", [id], |r| {
                Ok(OutboxState::stored(&r.get::<_, String>(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "message",
                key: id.to_string(),
            })
    }

    /// The user's decision on a message: send it (again) now (`queued`),
    /// from `held`, `sending`, `failed` or `cancelled`.
    pub fn outbox_retry(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        match self.outbox_state(id)? {
            OutboxState::Sent => Err(Error::invalid(
                "message",
                "déjà accepté par le serveur : utilisez « Renvoyer » pour un nouvel envoi",
            )),
            OutboxState::Queued => Ok(()),
            OutboxState::Held if self.amounts_changed(id)? => Err(Error::invalid(
                "message",
                "ses montants ne sont plus vrais (paiement reçu depuis sa rédaction) : annulez-le ; la relance du jour le remplace",
            )),
            _ => {
                let changed = self.conn.execute(
                    "UPDATE outbox SET state = 'queued', held = 0, claim = NULL, next_attempt = ?2, attempts = 0, last_error = '' WHERE id = ?1 AND state <> 'sent'",
                    params![id, stamp(now)],
                )?;
                if changed == 0 {
                    return Err(Error::invalid("message", "son état a changé entre-temps"));
                }
                Ok(())
            }
        }
    }

    /// The user's decision: do not send it. Only a message that has not
    /// left (`queued`, or `failed` for good) can be cancelled: one in
    /// `sending` may have reached the server, and cancelling it would hide
    /// a reminder that was sent; its fate is confirmed or it is sent again.
    pub fn outbox_cancel(&self, id: i64, why: &str) -> Result<()> {
        match self.outbox_state(id)? {
            OutboxState::Sent => Err(Error::invalid("message", "déjà envoyé")),
            OutboxState::Sending => Err(Error::invalid(
                "message",
                "il est peut-être parti : confirmez qu'il est arrivé ou renvoyez-le",
            )),
            OutboxState::Cancelled => Ok(()),
            OutboxState::Queued | OutboxState::Held | OutboxState::Failed => {
                let changed = self.conn.execute(
                    "UPDATE outbox SET state = 'cancelled', last_error = ?2 WHERE id = ?1 AND (state = 'queued' OR state = 'failed')",
                    params![id, one_line(why)],
                )?;
                if changed == 0 {
                    return Err(Error::invalid("message", "son état a changé entre-temps"));
                }
                Ok(())
            }
        }
    }

    /// The user's decision on a message left in `sending`: it did arrive
    /// (the client confirms, the copy to self came back). Recorded as sent.
    pub fn outbox_confirm_sent(&mut self, id: i64, today: Date, now: DateTime<Utc>) -> Result<()> {
        match self.outbox_state(id)? {
            OutboxState::Sending
            | OutboxState::Failed
            | OutboxState::Queued
            | OutboxState::Held => self.mark_sent(id, today, now, None).map(|_| ()),
            OutboxState::Sent => Ok(()),
            OutboxState::Cancelled => Err(Error::invalid("message", "annulé")),
        }
    }

    /// Runs `f` with each commit synced to the disk (`synchronous=FULL`):
    /// the outbox's moves to `sending` and `sent` survive a power loss, so a
    /// message the server accepted is never taken for one still to send.
    fn durably<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let out = f();
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        out
    }

    /// Marks a message refused for good by the server, with the server's
    /// words in the evidence log. Only the sender that claimed it may.
    fn mark_refused(&self, id: i64, why: &str, today: Date, claim: &str) -> Result<bool> {
        self.atomically(|| {
            let changed = self.conn.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1 AND claim = ?3 AND state = 'sending'",
                params![id, why, claim],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            let (client_id, to, sha, total, currency, step_name): (i64, String, String, i64, String, String) =
                self.conn.query_row(
                    "SELECT client_id, envelope_to, sha256, total, currency, step_name FROM outbox WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )?;
            self.log_evidence(crate::evidence::NewEvidence {
                date: Some(today),
                kind: Some(crate::evidence::EvidenceKind::EmailRefused),
                channel: "email",
                client_id: Some(client_id),
                recipient: to,
                amount_cents: Some(total),
                currency: &currency,
                detail: step_name,
                document_sha256: Some(sha),
                result: format!("refusé par le serveur : {why}"),
                ..Default::default()
            })?;
            Ok(true)
        })
    }

    /// Marks a message sent, records its reminder (its invoices move to its
    /// level) and logs its proof, in one transaction synced to the disk.
    ///
    /// `claim` is the mark the sender set when it took the message (none
    /// for the user's own confirmation): a row that no longer carries it —
    /// the ledger was restored while the message was with the server — is
    /// not touched, and false is returned.
    ///
    /// Sent means recorded and proven: if the reminder cannot be recorded
    /// (an invoice was paid between the claim and the server's answer), the
    /// message and its bytes still go to the evidence log, with why no
    /// level was recorded.
    fn mark_sent(
        &self,
        id: i64,
        today: Date,
        now: DateTime<Utc>,
        claim: Option<&str>,
    ) -> Result<bool> {
        self.durably(|| {
            let tx = self.conn.unchecked_transaction()?;
            let changed = tx.execute(
                "UPDATE outbox SET state = 'sent', held = 0, sent_at = ?2, last_error = '' WHERE id = ?1 AND state <> 'sent'
                   AND (?3 IS NULL OR (claim = ?3 AND state = 'sending'))",
                params![id, stamp(now), claim],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            type Row = (i64, i64, Option<Date>, String, Vec<u8>, String, String, String, i64, String, String);
            let (client_id, step, as_of, sha, raw, recipients, subject, message_id, total, currency, step_name): Row =
                tx.query_row(
                    "SELECT client_id, step, as_of, sha256, raw, envelope_to, subject, message_id, total, currency, step_name
                     FROM outbox WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?,
                            r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?,
                        ))
                    },
                )?;
            let invoices: Vec<i64> = {
                let mut stmt = tx
                    .prepare_cached("SELECT invoice_id FROM outbox_invoice WHERE outbox_id = ?1")?;
                let rows = stmt.query_map([id], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let day = as_of.map_or(today, |d| d.max(today));
            let name = format!("{}.eml", sha.get(..16).unwrap_or(&sha));
            let accepted = format!(
                "accepté par le serveur le {} — à {recipients} — « {subject} » — Message-ID {message_id}",
                stamp(now)
            );
            let proof = crate::evidence::Proof {
                name: &name,
                media_type: "message/rfc822",
                bytes: &raw,
            };
            tx.execute_batch("SAVEPOINT reminder")?;
            let reminder = self.insert_reminder_with(
                &NewReminder {
                    client_id,
                    step: step as usize,
                    channel: Channel::Email,
                    date: day,
                    invoice_ids: invoices,
                    outcome: String::new(),
                    note: String::new(),
                    manual: false,
                },
                Some(proof.clone()),
                None,
                accepted.clone(),
            );
            match reminder {
                Ok(reminder) => {
                    tx.execute_batch("RELEASE reminder")?;
                    tx.execute(
                        "UPDATE outbox SET reminder_id = ?2 WHERE id = ?1",
                        params![id, reminder],
                    )?;
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO reminder; RELEASE reminder")?;
                    let why = format!("envoyé, mais non enregistré comme relance : {e}");
                    self.log_evidence(crate::evidence::NewEvidence {
                        date: Some(day),
                        kind: Some(crate::evidence::EvidenceKind::Reminder),
                        channel: "email",
                        client_id: Some(client_id),
                        recipient: recipients.clone(),
                        amount_cents: Some(total),
                        currency: &currency,
                        detail: step_name,
                        document: Some(proof),
                        result: format!("{accepted} — {why}"),
                        ..Default::default()
                    })?;
                    tx.execute(
                        "UPDATE outbox SET last_error = ?2 WHERE id = ?1",
                        params![id, one_line(&why)],
                    )?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
    }

    /// Holds the messages waiting in the outbox: none may go before the user
    /// decides. Run on a restored ledger before it is live (the backup's
    /// queued messages may have been sent since it was taken).
    pub(crate) fn hold_queued(&self, why: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE outbox SET held = ?2, last_error = ?1 WHERE state = 'queued' AND held = 0",
            params![one_line(why), HELD_RESTORED],
        )?)
    }

    fn amounts_changed(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT held FROM outbox WHERE id = ?1", [id], |r| {
                r.get::<_, i64>(0)
            })?
            == HELD_CHANGED)
    }

    /// The invoices of a message, with what each owed when it was written.
    fn outbox_invoices(&self, id: i64) -> Result<Vec<MessageInvoice>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT oi.invoice_id, oi.open_cents, i.number, i.currency FROM outbox_invoice oi
             JOIN invoice i ON i.id = oi.invoice_id WHERE oi.outbox_id = ?1 ORDER BY i.number",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(MessageInvoice {
                id: r.get(0)?,
                then: r.get(1)?,
                number: r.get(2)?,
                currency: crate::money::Currency::from_stored(r.get_ref(3)?.as_bytes()?)
                    .unwrap_or(crate::money::Currency::EUR),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How the ledger has changed since this connection last looked
    /// (`PRAGMA data_version`: moves when another connection commits).
    fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

/// What a message's invoices owe now against what it says they owe.
enum StillTrue {
    Yes,
    /// Every invoice was paid: the message is cancelled.
    AllPaid,
    /// Some were paid in part or in full: it waits for the user (why).
    Changed(String),
}

/// An invoice of a queued message, and what it owed when the message
/// was written.
struct MessageInvoice {
    id: i64,
    then: Option<i64>,
    number: String,
    currency: crate::money::Currency,
}

fn still_true(invoices: &[MessageInvoice], open: &HashMap<i64, i64>) -> StillTrue {
    if !invoices.is_empty() && invoices.iter().all(|i| !open.contains_key(&i.id)) {
        return StillTrue::AllPaid;
    }
    let changed: Vec<String> = invoices
        .iter()
        .filter_map(|i| {
            let money = |cents| crate::money::Money::new(cents, i.currency).format_fr();
            let now = open.get(&i.id).copied().unwrap_or(0);
            match i.then {
                Some(then) if then != now => {
                    Some(format!("{} : {} → {}", i.number, money(then), money(now)))
                }
                None if now == 0 => Some(format!("{} : réglée", i.number)),
                _ => None,
            }
        })
        .collect();
    if changed.is_empty() {
        StillTrue::Yes
    } else {
        StillTrue::Changed(format!(
            "non envoyé : les montants ont changé depuis sa rédaction ({}) ; annulez-le, la relance du jour le remplace",
            changed.join(", ")
        ))
    }
}

/// A mark no other sender (process, thread, round) sets.
fn claim_mark() -> String {
    static ROUNDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "{}-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0),
        ROUNDS.fetch_add(1, Ordering::Relaxed)
    )
}

// ----- sending ------------------------------------------------------------

/// How one attempt ended, as the outbox needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendFailure {
    /// Try again later (4xx, no network, dropped connection, timeout).
    Temporary(String),
    /// Refused for good (5xx): the message is marked failed.
    Permanent(String),
    /// Nothing can go until the settings change (login refused, TLS):
    /// the message waits and the batch stops.
    Setup(String),
    /// The server could not be reached at all: the batch stops, everything waits.
    Unreachable(String),
}

/// Something that hands a message to a server: the SMTP transport, or a
/// stand-in in tests of the outbox's states.
pub trait Deliver {
    fn deliver(
        &self,
        from: &str,
        to: &[String],
        raw: &[u8],
    ) -> std::result::Result<(), SendFailure>;
}

/// What a round of sending did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub sent: usize,
    /// Back in the queue for a later try.
    pub waiting: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Not sent because their amounts are no longer true: they wait for
    /// the user's decision.
    pub held: usize,
    /// Why the round stopped early, if it did.
    pub stopped: Option<String>,
}

/// Sends the messages of the outbox that are due (`queued`, not held, and
/// past their next try), or only `only`. `today` is the day reminders are
/// recorded on; `now` gives the time of each step.
///
/// Before each message its invoices are checked against the ledger as it is
/// then: if all were paid meanwhile it is cancelled (C10); if some were
/// paid in part or in full it is held for the user, since its amounts are
/// no longer true. Only the sender that claimed a message may record its
/// outcome. `cancel` stops the round: the messages of `only` not yet sent
/// are cancelled.
pub fn send_due(
    ledger: &mut Ledger,
    deliver: &dyn Deliver,
    only: Option<&[i64]>,
    today: Date,
    now: &dyn Fn() -> DateTime<Utc>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SendReport> {
    let due: Vec<i64> = {
        let mut stmt = ledger.conn.prepare_cached(
            "SELECT id FROM outbox WHERE state = 'queued' AND held = 0 AND next_attempt <= ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([stamp(now())], |r| r.get::<_, i64>(0))?;
        let all: Vec<i64> = rows.collect::<rusqlite::Result<_>>()?;
        match only {
            Some(ids) => all.into_iter().filter(|i| ids.contains(i)).collect(),
            None => all,
        }
    };
    let mut report = SendReport::default();
    if due.is_empty() {
        return Ok(report);
    }
    let mut seen = ledger.data_version()?;
    let mut open = ledger.open_amounts(today)?;
    let total = due.len();
    for (n, id) in due.iter().copied().enumerate() {
        if cancel.load(Ordering::SeqCst) {
            for rest in &due[n..] {
                ledger.outbox_cancel(*rest, "annulé pendant l'envoi")?;
                report.cancelled += 1;
            }
            report.stopped = Some("envoi annulé".into());
            break;
        }
        // A payment recorded meanwhile (an import in the window, the
        // command line) is seen before the next message goes.
        let version = ledger.data_version()?;
        if version != seen {
            seen = version;
            open = ledger.open_amounts(today)?;
        }
        match still_true(&ledger.outbox_invoices(id)?, &open) {
            StillTrue::Yes => {}
            StillTrue::AllPaid => {
                ledger.outbox_cancel(id, "factures réglées avant l'envoi")?;
                report.cancelled += 1;
                progress(n + 1, total);
                continue;
            }
            StillTrue::Changed(why) => {
                ledger.conn.execute(
                    "UPDATE outbox SET held = ?3, last_error = ?2 WHERE id = ?1 AND state = 'queued'",
                    params![id, why, HELD_CHANGED],
                )?;
                report.held += 1;
                progress(n + 1, total);
                continue;
            }
        }
        // Claim it: only one sender can move it from queued to sending, and
        // only that sender, by its mark, records what became of it.
        let claim = claim_mark();
        let claimed = ledger.durably(|| {
            Ok(ledger.conn.execute(
                "UPDATE outbox SET state = 'sending', claim = ?2, attempts = attempts + 1
                 WHERE id = ?1 AND state = 'queued' AND held = 0",
                params![id, claim],
            )?)
        })?;
        if claimed == 0 {
            continue;
        }
        let (from, to, raw, attempts): (String, String, Vec<u8>, u32) = ledger.conn.query_row(
            "SELECT envelope_from, envelope_to, raw, attempts FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let result = deliver.deliver(&from, &split_addresses(&to), &raw);
        let at = now();
        let restored = "le grand livre a été restauré pendant l'envoi : le message parti n'y est pas marqué ; vérifiez la boîte d'envoi".to_string();
        match result {
            Ok(()) => {
                report.sent += 1;
                if !ledger.mark_sent(id, today, at, Some(&claim))? {
                    report.stopped = Some(restored);
                    break;
                }
            }
            Err(SendFailure::Permanent(why)) => {
                report.failed += 1;
                if !ledger.mark_refused(id, &one_line(&why), today, &claim)? {
                    report.stopped = Some(restored);
                    break;
                }
            }
            Err(failure) => {
                let setup = matches!(failure, SendFailure::Setup(_));
                let (why, stop) = match failure {
                    SendFailure::Temporary(w) => (w, false),
                    SendFailure::Setup(w) | SendFailure::Unreachable(w) => (w, true),
                    SendFailure::Permanent(_) => unreachable!(),
                };
                let changed = if attempts >= MAX_ATTEMPTS && !stop {
                    report.failed += 1;
                    ledger.conn.execute(
                        "UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1 AND claim = ?3 AND state = 'sending'",
                        params![id, format!("{} ({attempts} essais)", one_line(&why)), claim],
                    )?
                } else {
                    // Settings refused (login, TLS): wait longer, so as not
                    // to hammer the server with a wrong password.
                    let delay = if setup {
                        Duration::from_secs(15 * 60)
                    } else {
                        backoff(attempts)
                    };
                    let next = at
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::minutes(1));
                    // A setup problem does not count as a try of this message.
                    let attempts = if stop { attempts - 1 } else { attempts };
                    report.waiting += 1;
                    ledger.conn.execute(
                        "UPDATE outbox SET state = 'queued', attempts = ?2, next_attempt = ?3, last_error = ?4
                         WHERE id = ?1 AND claim = ?5 AND state = 'sending'",
                        params![id, attempts, stamp(next), one_line(&why), claim],
                    )?
                };
                if changed == 0 {
                    report.stopped = Some(restored);
                    break;
                }
                if stop {
                    report.waiting += due.len() - n - 1;
                    report.stopped = Some(why);
                    break;
                }
            }
        }
        progress(n + 1, total);
    }
    Ok(report)
}

impl Ledger {
    /// What each open invoice still owes on `day`, less any disputed part
    /// (what a reminder asks for).
    fn open_amounts(&self, day: Date) -> Result<HashMap<i64, i64>> {
        Ok(self
            .engine_facts(day)?
            .items
            .iter()
            .map(|i| (i.invoice_id, i.open_cents - i.disputed_cents))
            .collect())
    }

    /// Messages left in `sending` (the process stopped while one was with
    /// the server): shown to the user, never sent again on their own.
    pub fn outbox_uncertain(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox(Some(OutboxState::Sending))
    }

    /// When the next queued message is due, if any.
    pub fn outbox_next_due(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row(
            "SELECT MIN(next_attempt) FROM outbox WHERE state = 'queued'",
            [],
            |r| r.get(0),
        )?)
    }
}

// ----- without a server: .eml files -----------------------------------------

/// The messages as `.eml` files in a zip, to open in the user's own mail
/// program (F3). Returns the zip and, per message, its entry name and the
/// SHA-256 of its bytes.
pub fn eml_zip(
    emails: &[ReminderEmail],
    from: &Identity,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, Vec<documents::ZipEntry>)> {
    use std::io::Write;
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut out = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = crate::documents::zip_options(zip::CompressionMethod::Deflated);
        let mut names = HashSet::new();
        for (n, email) in emails.iter().enumerate() {
            if email.problem.is_some() {
                continue;
            }
            let key = idempotency_key(&email.facts);
            let unique = crate::import::sha256_hex(
                format!("{key}|{}|{n}", now.timestamp_nanos_opt().unwrap_or(0)).as_bytes(),
            );
            let message_id = format!("<{}.encaisse@{}>", &unique[..32], domain_of(&from.address));
            let built = build_message(email, from, &message_id, now)?;
            let mut name = email.attachment.0.replace(".pdf", ".eml");
            if !names.insert(name.clone()) {
                name = name.replace(".eml", &format!("-{n}.eml"));
                names.insert(name.clone());
            }
            zip.start_file(&name, options)
                .map_err(|e| Error::invalid("zip", e.to_string()))?;
            zip.write_all(&built.raw)
                .map_err(|e| Error::invalid("zip", e.to_string()))?;
            out.push(documents::ZipEntry::new(name, built.raw));
        }
        zip.finish()
            .map_err(|e| Error::invalid("zip", e.to_string()))?;
    }
    Ok((buffer.into_inner(), out))
}

impl Ledger {
    /// Who the messages come from: the SMTP settings, else the company.
    pub fn mail_identity(&self) -> Result<Identity> {
        if let Some(s) = self.smtp_settings()? {
            return Ok(Identity::of(&s));
        }
        let company = self.company()?;
        if company.email.trim().is_empty() {
            return Err(Error::invalid(
                "expéditeur",
                "indiquez l'adresse e-mail de l'entreprise (Paramètres › Entreprise) ou les réglages d'envoi (Paramètres › E-mail)",
            ));
        }
        Ok(Identity {
            name: company.legal_name.clone(),
            address: company.email.trim().to_string(),
            reply_to: String::new(),
            copy_to_self: false,
        })
    }

    /// Records e-mails saved as `.eml` (sent by the user's mail program):
    /// each communication is recorded with the SHA-256 of its file.
    pub fn record_emails_saved(
        &mut self,
        emails: &[ReminderEmail],
        files: &[documents::ZipEntry],
        date: Date,
    ) -> Result<Vec<i64>> {
        let sendable: Vec<&ReminderEmail> = emails.iter().filter(|e| e.problem.is_none()).collect();
        let tx = self.conn.unchecked_transaction()?;
        let mut ids = Vec::new();
        for (email, file) in sendable.iter().zip(files) {
            let mut facts = email.facts.clone();
            facts.channel = Some(Channel::Email);
            ids.push(self.insert_document(&facts, date, file)?);
        }
        tx.commit()?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_moves_are_synced_to_the_disk_and_the_rest_is_not_slowed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let level = |l: &Ledger| -> i64 {
            l.conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        // 2 = FULL: the commit waits for the disk; 1 = NORMAL.
        assert_eq!(ledger.durably(|| Ok(level(&ledger))).unwrap(), 2);
        assert_eq!(level(&ledger), 1);
        let failed: Result<()> = ledger.durably(|| Err(Error::invalid("x", "y")));
        assert!(failed.is_err());
        assert_eq!(level(&ledger), 1, "back to NORMAL after a failure too");
    }
}

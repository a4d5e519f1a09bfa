//! E-mail commands: Paramètres › E-mail, sending the Relances selection,
//! the outbox, and the sender that runs in the background. Thin: the
//! outbox's rules are in `encaisse::mail`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::dto::{parse_date, IpcError, LettersSavedDto, ProgressDto};
use crate::state::App;
use encaisse::mail::{self, Identity, OutboxEntry, Security, SmtpSettings};
use encaisse::secrets::SecretStore;
use encaisse::smtp::Mailer;
use encaisse::Ledger;

type Res<T> = Result<T, IpcError>;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SmtpSettingsDto {
    pub host: String,
    pub port: String,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub user: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: String,
    pub copy_to_self: bool,
    pub attach_invoices: bool,
}

impl SmtpSettingsDto {
    fn to_core(&self) -> Res<SmtpSettings> {
        let port: u16 = self.port.trim().parse().map_err(|_| {
            IpcError::new(
                "invalid",
                format!(
                    "port : « {} » n'est pas un numéro de port (1 à 65535)",
                    self.port
                ),
            )
        })?;
        Ok(SmtpSettings {
            host: self.host.clone(),
            port,
            security: Security::parse(&self.security)?,
            user: self.user.clone(),
            from_name: self.from_name.clone(),
            from_address: self.from_address.clone(),
            reply_to: self.reply_to.clone(),
            copy_to_self: self.copy_to_self,
            attach_invoices: self.attach_invoices,
        })
    }
}

/// The settings, and whether a password is kept for them.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SmtpStatusDto {
    pub settings: Option<SmtpSettingsDto>,
    pub password_set: bool,
}

#[tauri::command(async)]
pub fn smtp_settings(state: State<'_, App>) -> Res<SmtpStatusDto> {
    let settings = state.ledger()?.smtp_settings()?;
    let password_set = match &settings {
        Some(s) if !s.user.is_empty() => SecretStore::from_env().password(&s.account())?.is_some(),
        _ => false,
    };
    Ok(SmtpStatusDto {
        settings: settings.map(|s| SmtpSettingsDto {
            host: s.host,
            port: s.port.to_string(),
            security: s.security.as_str().into(),
            user: s.user,
            from_name: s.from_name,
            from_address: s.from_address,
            reply_to: s.reply_to,
            copy_to_self: s.copy_to_self,
            attach_invoices: s.attach_invoices,
        }),
        password_set,
    })
}

/// Saves the settings; a non-empty `password` goes to the keychain (never
/// the ledger). Returns where it was kept, for the user.
#[tauri::command(async)]
pub fn save_smtp_settings(
    state: State<'_, App>,
    settings: SmtpSettingsDto,
    password: String,
) -> Res<String> {
    let core = settings.to_core()?;
    state.ledger()?.set_smtp_settings(&core)?;
    if password.is_empty() {
        return Ok(String::new());
    }
    let place = SecretStore::from_env().store(&core.account(), &password)?;
    Ok(place.describe())
}

/// "Tester la connexion": a real handshake and login with the settings on
/// screen (the kept password when `password` is empty).
#[tauri::command(async)]
pub fn test_smtp(settings: SmtpSettingsDto, password: String) -> Res<String> {
    let core = settings.to_core()?;
    let mailer = if password.is_empty() {
        Mailer::from_env(&core, &SecretStore::from_env())?
    } else {
        let ca = std::env::var_os(encaisse::smtp::CA_ENV).and_then(|p| std::fs::read(p).ok());
        Mailer::new(&core, Some(&password), ca.as_deref())?
    };
    mailer
        .test()
        .map(|_| format!("Connexion à {}:{} réussie.", core.host.trim(), core.port))
        .map_err(|why| IpcError::new("smtp", why))
}

/// One e-mail of the preview.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct EmailPreviewDto {
    pub client_name: String,
    pub step_name: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub attachment: String,
    /// Why it cannot go by e-mail (the letter goes by post instead).
    pub problem: Option<String>,
}

/// What "Envoyer par e-mail" would send, before anything is.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct EmailBatchDto {
    pub emails: Vec<EmailPreviewDto>,
    /// SMTP settings are saved: the messages can be sent, else saved as .eml.
    pub smtp_ready: bool,
}

#[tauri::command(async)]
pub fn email_preview(
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    as_of: String,
) -> Res<EmailBatchDto> {
    let ledger = state.ledger()?;
    let emails = ledger.emails_for_invoices(&invoice_ids, parse_date(&as_of)?)?;
    Ok(EmailBatchDto {
        smtp_ready: ledger.smtp_settings()?.is_some(),
        emails: emails
            .into_iter()
            .map(|e| EmailPreviewDto {
                client_name: e.client_name,
                step_name: e.step_name,
                to: e.to,
                cc: e.cc,
                subject: e.subject,
                text: e.text,
                attachment: e.attachment.0,
                problem: e.problem,
            })
            .collect(),
    })
}

/// What sending did.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct SendOutcomeDto {
    pub queued: usize,
    /// Not queued: client and reason.
    pub skipped: Vec<Vec<String>>,
    pub sent: usize,
    pub waiting: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Not sent: their amounts changed since written; held for the user.
    pub held: usize,
    pub stopped: Option<String>,
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn today() -> encaisse::dates::Date {
    chrono::Local::now().date_naive()
}

/// Sends `only` (or every message due) on a connection of its own, so the
/// window stays usable; `progress` events, `cancel` stops.
fn send_round(
    path: &std::path::Path,
    only: Option<&[i64]>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(usize, usize),
) -> Res<mail::SendReport> {
    let mut ledger = Ledger::open(path)?;
    let Some(settings) = ledger.smtp_settings()? else {
        return Ok(mail::SendReport::default());
    };
    let mailer = Mailer::from_env(&settings, &SecretStore::from_env())?;
    Ok(mail::send_due(
        &mut ledger,
        &mailer,
        only,
        today(),
        &now,
        cancel,
        progress,
    )?)
}

/// "Envoyer par e-mail": queues one message per client-communication of the
/// selection, then sends them now. Levels move up for the messages the
/// server accepted.
#[tauri::command(async)]
pub fn send_emails(
    app: AppHandle,
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    as_of: String,
) -> Res<SendOutcomeDto> {
    let as_of = parse_date(&as_of)?;
    let report = {
        let mut ledger = state.ledger()?;
        let settings = ledger.smtp_settings()?.ok_or_else(|| {
            IpcError::new(
                "smtp_missing",
                "aucun serveur d'envoi : réglez-le dans Paramètres › E-mail, ou enregistrez les e-mails (.eml)",
            )
        })?;
        let emails = ledger.emails_for_invoices(&invoice_ids, as_of)?;
        if emails.is_empty() {
            return Err(IpcError::new(
                "invalid",
                "aucun e-mail à envoyer aujourd'hui pour ces factures",
            ));
        }
        ledger.queue_emails(&emails, &Identity::of(&settings), now())?
    };
    send_and_report(
        &app,
        &state,
        Some(&report.queued),
        report.queued.len(),
        report.skipped,
    )
}

/// Without a server: the selection's e-mails as .eml files in a zip, saved
/// through the save dialog, then recorded as done.
#[tauri::command(async)]
pub fn save_emails(
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    as_of: String,
) -> Res<Option<LettersSavedDto>> {
    let as_of = parse_date(&as_of)?;
    let (emails, identity) = {
        let ledger = state.ledger()?;
        (
            ledger.emails_for_invoices(&invoice_ids, as_of)?,
            ledger.mail_identity()?,
        )
    };
    let (zip, entries) = mail::eml_zip(&emails, &identity, now())?;
    if entries.is_empty() {
        return Err(IpcError::new(
            "invalid",
            "aucun e-mail à enregistrer pour ces factures (adresse manquante ?)",
        ));
    }
    let day = encaisse::dates::iso(as_of);
    let Some(path) = crate::commands::save_as_titled(
        "Enregistrer les e-mails de relance",
        &format!("e-mails-relance-{day}"),
        "zip",
        &zip,
    )?
    else {
        return Ok(None);
    };
    state
        .ledger()?
        .record_emails_saved(&emails, &entries, as_of)?;
    Ok(Some(LettersSavedDto {
        path,
        count: entries.len(),
        held_back: None,
    }))
}

#[tauri::command(async)]
pub fn outbox(state: State<'_, App>) -> Res<Vec<OutboxEntry>> {
    Ok(state.ledger()?.outbox(None)?)
}

/// The user's decision on one message: `retry`, `cancel` or `confirm`
/// (it did arrive: record it as sent).
#[tauri::command(async)]
pub fn outbox_decide(state: State<'_, App>, id: i64, decision: String) -> Res<()> {
    let mut ledger = state.ledger()?;
    match decision.as_str() {
        "retry" => ledger.outbox_retry(id, now())?,
        "cancel" => ledger.outbox_cancel(id, "annulé par l'utilisateur")?,
        "confirm" => ledger.outbox_confirm_sent(id, today(), now())?,
        other => {
            return Err(IpcError::new(
                "invalid",
                format!("décision « {other} » inconnue"),
            ))
        }
    }
    Ok(())
}

/// "Envoyer maintenant": every message due, without waiting for the
/// background round.
#[tauri::command(async)]
pub fn outbox_send_now(app: AppHandle, state: State<'_, App>) -> Res<SendOutcomeDto> {
    send_and_report(&app, &state, None, 0, Vec::new())
}

/// Sends `only` (or everything due) with `progress` events and "Annuler",
/// then tells the window the outbox changed.
fn send_and_report(
    app: &AppHandle,
    state: &State<'_, App>,
    only: Option<&[i64]>,
    queued: usize,
    skipped: Vec<(String, String)>,
) -> Res<SendOutcomeDto> {
    state.cancel.store(false, Ordering::SeqCst);
    let mut progress = |done: usize, total: usize| {
        let _ = app.emit(
            "progress",
            ProgressDto {
                task: "send".into(),
                done: done as u64,
                total: total as u64,
            },
        );
    };
    let sent = send_round(&state.ledger_path(), only, &state.cancel, &mut progress)?;
    let _ = app.emit("outbox", ());
    Ok(SendOutcomeDto {
        queued,
        skipped: skipped
            .into_iter()
            .map(|(who, why)| vec![who, why])
            .collect(),
        sent: sent.sent,
        waiting: sent.waiting,
        failed: sent.failed,
        cancelled: sent.cancelled,
        held: sent.held,
        stopped: sent.stopped,
    })
}

/// Sends what waits in the outbox, every half minute while the application
/// runs (and so at launch): messages queued offline go when the connection
/// returns. Messages left in `sending` are never picked up.
pub fn start_background_sender(app: AppHandle) {
    std::thread::spawn(move || {
        let idle = AtomicBool::new(false);
        std::thread::sleep(Duration::from_secs(2));
        loop {
            // The window's ledger of the moment: it follows a change of dossier.
            let path = app.state::<App>().ledger_path();
            let due = Ledger::open(&path)
                .and_then(|l| l.outbox_next_due())
                .ok()
                .flatten()
                .is_some_and(|next| next <= now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
            if due {
                if let Ok(report) = send_round(&path, None, &idle, &mut |_, _| {}) {
                    if report != mail::SendReport::default() {
                        let _ = app.emit("outbox", ());
                    }
                }
            }
            std::thread::sleep(Duration::from_secs(30));
        }
    });
}

//! `smtp`, `outbox` and `remind`: the e-mail side of the command line.

use std::io::BufRead;
use std::sync::atomic::AtomicBool;

use encaisse::engine::Channel;
use encaisse::mail::{self, Identity, Security, SmtpSettings};
use encaisse::secrets::{SecretStore, PASSWORD_ENV};
use encaisse::smtp::Mailer;
use encaisse::{Error, Ledger};

use crate::{json, Args, Failure};

fn settings_of(ledger: &Ledger) -> Result<SmtpSettings, Failure> {
    ledger.smtp_settings()?.ok_or_else(|| {
        Failure::from(Error::invalid(
            "smtp",
            "aucun serveur d'envoi : encaisse-cli smtp set --host H --port P --security starttls|tls|none",
        ))
    })
}

/// `smtp set …`: the settings in the ledger, the password (standard input
/// or `ENCAISSE_SMTP_PASSWORD`) in the keychain.
pub fn smtp_set(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let old = ledger.smtp_settings()?;
    let value = |flag: &str, old: Option<String>| -> Option<String> {
        args.value(flag).map(str::to_string).or(old)
    };
    let host = value("--host", old.as_ref().map(|o| o.host.clone()))
        .ok_or_else(|| Failure::Usage("smtp set : --host SERVEUR est obligatoire".into()))?;
    let security = match args.value("--security") {
        Some(s) => Security::parse(s)?,
        None => old.as_ref().map_or(Security::StartTls, |o| o.security),
    };
    let port: u16 = match args.value("--port") {
        Some(p) => p
            .parse()
            .map_err(|_| Failure::Usage(format!("--port : « {p} » n'est pas un port")))?,
        None => old
            .as_ref()
            .map_or(if security == Security::Tls { 465 } else { 587 }, |o| {
                o.port
            }),
    };
    let user = value("--user", old.as_ref().map(|o| o.user.clone())).unwrap_or_default();
    let from_address = value("--from", old.as_ref().map(|o| o.from_address.clone()))
        .or_else(|| user.contains('@').then(|| user.clone()))
        .or_else(|| ledger.company().ok().map(|c| c.email))
        .unwrap_or_default();
    let settings = SmtpSettings {
        host,
        port,
        security,
        user,
        from_name: value("--from-name", old.as_ref().map(|o| o.from_name.clone()))
            .or_else(|| ledger.company().ok().map(|c| c.legal_name))
            .unwrap_or_default(),
        from_address,
        reply_to: value("--reply-to", old.as_ref().map(|o| o.reply_to.clone())).unwrap_or_default(),
        copy_to_self: args.has("--copy-to-self")
            || (!args.has("--no-copy") && old.as_ref().is_some_and(|o| o.copy_to_self)),
        attach_invoices: old.as_ref().is_some_and(|o| o.attach_invoices),
    };
    ledger.set_smtp_settings(&settings)?;
    let mut place = String::new();
    if !settings.user.is_empty() {
        let password = match std::env::var(PASSWORD_ENV) {
            Ok(p) => Some(p),
            Err(_) => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|source| Error::Io {
                        path: "<entrée standard>".into(),
                        source,
                    })?;
                let line = line.trim_end_matches(['\r', '\n']).to_string();
                (!line.is_empty()).then_some(line)
            }
        };
        if let Some(password) = password {
            place = SecretStore::from_env()
                .store(&settings.account(), &password)?
                .describe();
        }
    }
    println!(
        "Serveur d'envoi : {}:{} ({}){}",
        settings.host,
        settings.port,
        settings.security.as_str(),
        if place.is_empty() {
            String::new()
        } else {
            format!(" ; mot de passe gardé {place}")
        }
    );
    Ok(())
}

/// `smtp test`: a real handshake and login.
pub fn smtp_test(ledger: &Ledger) -> Result<(), Failure> {
    let settings = settings_of(ledger)?;
    let mailer = Mailer::from_env(&settings, &SecretStore::from_env())?;
    match mailer.test() {
        Ok(()) => {
            println!("Connexion à {}:{} réussie.", settings.host, settings.port);
            Ok(())
        }
        Err(why) => Err(Error::invalid("smtp", why).into()),
    }
}

pub fn outbox_list(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let entries = ledger.outbox(None)?;
    if args.has("--json") {
        json(&entries);
    } else {
        for e in entries {
            println!(
                "{:>5}  {:<9}  {:<30}  {}. {:<28}  {}{}",
                e.id,
                e.state.as_str(),
                e.client_name,
                e.step,
                e.step_name,
                e.to.join(", "),
                if e.last_error.is_empty() {
                    String::new()
                } else {
                    format!("  — {}", e.last_error)
                }
            );
        }
    }
    Ok(())
}

fn print_report(report: &mail::SendReport) {
    println!(
        "{}, {} en attente, {}, {}, {}{}",
        encaisse::words::fr(report.sent as u64, "envoyé", "envoyés"),
        report.waiting,
        encaisse::words::fr(report.failed as u64, "refusé", "refusés"),
        encaisse::words::fr(report.cancelled as u64, "annulé", "annulés"),
        encaisse::words::fr(
            report.held as u64,
            "retenu (montants changés)",
            "retenus (montants changés)"
        ),
        report
            .stopped
            .as_ref()
            .map(|s| format!(" — {s}"))
            .unwrap_or_default()
    );
}

/// Sends what is due in the outbox.
pub fn outbox_send(ledger: &mut Ledger) -> Result<(), Failure> {
    let settings = settings_of(ledger)?;
    let mailer = Mailer::from_env(&settings, &SecretStore::from_env())?;
    let report = mail::send_due(
        ledger,
        &mailer,
        None,
        chrono::Local::now().date_naive(),
        &chrono::Utc::now,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )?;
    print_report(&report);
    Ok(())
}

/// `outbox retry|cancel|confirm ID`: the user's decision on one message.
pub fn outbox_decide(ledger: &mut Ledger, decision: &str, id: &str) -> Result<(), Failure> {
    let id: i64 = id
        .parse()
        .map_err(|_| Failure::Usage(format!("« {id} » n'est pas un numéro de message")))?;
    let now = chrono::Utc::now();
    match decision {
        "retry" => ledger.outbox_retry(id, now)?,
        "cancel" => ledger.outbox_cancel(id, "annulé par l'utilisateur")?,
        _ => ledger.outbox_confirm_sent(id, chrono::Local::now().date_naive(), now)?,
    }
    println!("Message {id} : {decision}");
    Ok(())
}

/// `remind --as-of D --channel email [--send] [--eml FICHIER.zip]`: queues
/// the day's reminder e-mails (all of them), sends them with `--send`, or
/// saves them as .eml files with `--eml`.
pub fn remind(args: &Args, ledger: &mut Ledger) -> Result<(), Failure> {
    let as_of = args.as_of()?;
    crate::check_fresh(args, ledger, as_of)?;
    match args.value("--channel").map(Channel::parse).transpose()? {
        Some(Channel::Email) | None => {}
        Some(_) => {
            return Err(Failure::Usage(
                "remind : --channel email (les lettres : commande letters)".into(),
            ))
        }
    }
    let work = ledger.work_list(as_of)?;
    let emails = ledger.emails(&work.rows, as_of)?;
    for e in emails.iter().filter(|e| e.problem.is_some()) {
        eprintln!(
            "{} : {} — la relance part par courrier (commande letters)",
            e.client_name,
            e.problem.as_deref().unwrap_or_default()
        );
    }
    if let Some(out) = args.value("--eml") {
        let identity = ledger.mail_identity()?;
        let (zip, entries) = mail::eml_zip(&emails, &identity, chrono::Utc::now())?;
        crate::write_file(out, &zip)?;
        ledger.record_emails_saved(&emails, &entries, as_of)?;
        println!(
            "{} dans {out} ; relances enregistrées",
            encaisse::words::fr(entries.len() as u64, "e-mail", "e-mails")
        );
        return Ok(());
    }
    let settings = settings_of(ledger)?;
    let report = ledger.queue_emails(&emails, &Identity::of(&settings), chrono::Utc::now())?;
    for (who, why) in &report.skipped {
        eprintln!("{who} : {why}");
    }
    println!(
        "{}",
        encaisse::words::fr(
            report.queued.len() as u64,
            "e-mail mis en file",
            "e-mails mis en file"
        )
    );
    if args.has("--send") {
        outbox_send(ledger)?;
    }
    Ok(())
}

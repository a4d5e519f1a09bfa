//! Reminder e-mails and the outbox, against a real SMTP server on 127.0.0.1
//! (STARTTLS with a certificate made for the test, AUTH): what the server
//! receives, each fault it can play, the states of the outbox, and that no
//! message goes twice without the user asking.

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use encaisse::dates::Date;
use encaisse::mail::{
    self, send_due, Deliver, Identity, OutboxState, Security, SendFailure, SmtpSettings,
};
use encaisse::model::Client;
use encaisse::smtp::Mailer;
use encaisse::Ledger;
use mail_parser::{MessageParser, MimeHeaders};
use smtp_sink::{Fault, Options, SmtpSink};

use crate::common::*;

const USER: &str = "relances@atelier.fr";
const PASSWORD: &str = "s3cret-pass";

fn today() -> Date {
    date("2026-11-22")
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Two clients with e-mail addresses, each with an invoice 10 days late:
/// their statement (e-mail, J+7) is due today. Returns the invoice ids.
fn two_clients(ledger: &Ledger) -> Vec<i64> {
    let mut invoices = Vec::new();
    for (code, name, email) in [
        ("A1", "Alpha SARL", "compta@alpha.fr"),
        ("B2", "Bêta & Fils", "paiements@beta.fr; direction@beta.fr"),
    ] {
        let mut c = Client::new(code, name);
        c.email = email.into();
        invoices.push(client_ten_days_late(ledger, c, today()).1);
    }
    invoices
}

fn ledger_with_two_clients() -> (Ledger, Vec<i64>) {
    let ledger = ledger();
    let invoices = two_clients(&ledger);
    (ledger, invoices)
}

fn settings(port: u16, security: Security, user: &str) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        user: user.into(),
        from_name: "Atelier Lumière".into(),
        from_address: "relances@atelier.fr".into(),
        reply_to: "compta@atelier.fr".into(),
        copy_to_self: false,
        attach_invoices: false,
    }
}

fn secure_sink(faults: Vec<Fault>) -> SmtpSink {
    SmtpSink::start(Options {
        starttls: true,
        credentials: Some((USER.into(), PASSWORD.into())),
        faults,
        ..Default::default()
    })
}

fn mailer(sink: &SmtpSink, password: &str) -> Mailer {
    Mailer::new(
        &settings(sink.port(), Security::StartTls, USER),
        Some(password),
        Some(sink.ca_pem().as_bytes()),
    )
    .unwrap()
}

/// Queues today's e-mails for `invoices`.
fn queue(ledger: &mut Ledger, invoices: &[i64], now: DateTime<Utc>) -> Vec<i64> {
    let emails = ledger.emails_for_invoices(invoices, today()).unwrap();
    let from = Identity::of(&settings(25, Security::None, ""));
    let report = ledger.queue_emails(&emails, &from, now).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    report.queued
}

fn send(ledger: &mut Ledger, deliver: &dyn Deliver, now: DateTime<Utc>) -> mail::SendReport {
    send_due(
        ledger,
        deliver,
        None,
        today(),
        &|| now,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .unwrap()
}

fn level(ledger: &Ledger, number: &str) -> usize {
    ledger
        .follow_up(today(), &Default::default())
        .unwrap()
        .rows
        .iter()
        .find(|r| r.number == number)
        .map(|r| r.last_step)
        .unwrap()
}

fn state(ledger: &Ledger, id: i64) -> mail::OutboxEntry {
    ledger
        .outbox(None)
        .unwrap()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap()
}

#[test]
fn reminder_emails_reach_the_server_with_both_bodies_and_the_pdf_and_the_levels_move_up() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let emails = ledger.emails_for_invoices(&invoices, today()).unwrap();
    assert_eq!(emails.len(), 2, "one e-mail per client");
    let pdfs: Vec<Vec<u8>> = emails.iter().map(|e| e.attachment.1.clone()).collect();
    let from = Identity::of(&settings(25, Security::None, ""));
    let ids = ledger
        .queue_emails(&emails, &from, at("2026-11-22T09:00:00Z"))
        .unwrap()
        .queued;
    assert_eq!(
        (level(&ledger, "F-A1"), level(&ledger, "F-B2")),
        (0, 0),
        "queued is not sent: no level moves yet"
    );
    let sink = secure_sink(vec![]);
    let report = send(
        &mut ledger,
        &mailer(&sink, PASSWORD),
        at("2026-11-22T09:00:05Z"),
    );
    assert_eq!(report.sent, 2, "{report:?}");
    let got = sink.messages();
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().all(|m| m.tls && m.user.as_deref() == Some(USER)),
        "STARTTLS and AUTH were used"
    );
    let alpha = got.iter().find(|m| m.to == ["compta@alpha.fr"]).unwrap();
    let beta = got.iter().find(|m| m.to.len() == 2).unwrap();
    assert_eq!(beta.to, ["paiements@beta.fr", "direction@beta.fr"]);
    assert_eq!(alpha.from, "relances@atelier.fr");

    let parsed = MessageParser::default().parse(&alpha.data).unwrap();
    assert_eq!(
        parsed.subject().unwrap(),
        emails[0].subject,
        "the subject of the template"
    );
    assert!(
        parsed
            .subject()
            .unwrap()
            .starts_with("Factures en attente de règlement"),
        "the French statement's subject, its accents decoded"
    );
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name.as_deref(), Some("Atelier Lumière"));
    assert_eq!(
        parsed
            .reply_to()
            .unwrap()
            .first()
            .unwrap()
            .address
            .as_deref(),
        Some("compta@atelier.fr")
    );
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Sent);
    assert_eq!(
        parsed.message_id().map(|m| format!("<{m}>")),
        Some(entry.message_id.clone()),
        "the Message-ID written in the outbox is the one sent"
    );
    let text = parsed.body_text(0).unwrap();
    let amount = encaisse::money::format_cents_fr(1_200_00);
    assert!(text.contains("F-A1") && text.contains(&amount), "{text}");
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("<table") && html.contains("F-A1"), "{html}");
    assert_eq!(parsed.attachment_count(), 1);
    let attachment = parsed.attachment(0).unwrap();
    assert!(attachment.attachment_name().unwrap().ends_with(".pdf"));
    assert_same(
        attachment.contents(),
        &pdfs[0],
        "the attachment is the rendered reminder PDF, byte for byte",
    );
    assert_eq!(
        entry.sha256,
        encaisse::import::sha256_hex(&ledger.outbox_raw(ids[0]).unwrap())
    );
    assert_same(
        &alpha.data,
        &normalise(&ledger.outbox_raw(ids[0]).unwrap()),
        "the server received the bytes kept in the outbox",
    );
    assert_eq!(
        (level(&ledger, "F-A1"), level(&ledger, "F-B2")),
        (1, 1),
        "accepted by the server: both invoices reached level 1"
    );
    // The same communication cannot be queued twice.
    let again = ledger.emails_for_invoices(&invoices, today()).unwrap();
    assert!(again.is_empty(), "nothing more is due by e-mail today");
}

/// Compares two messages without printing their bytes: lengths and the
/// first place they differ.
fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let around = |b: &[u8]| {
            String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())]).to_string()
        };
        panic!(
            "{what}: {} bytes received, {} kept; first difference at {at}: received {:?}, kept {:?}",
            got.len(),
            want.len(),
            around(got),
            around(want)
        );
    }
}

/// What the server receives of a kept message: the client ends DATA with
/// CRLF "." CRLF after the message's own last CRLF.
fn normalise(raw: &[u8]) -> Vec<u8> {
    let mut out = raw.to_vec();
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn a_communication_already_queued_or_sent_is_not_queued_again() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let emails = ledger.emails_for_invoices(&invoices, today()).unwrap();
    let from = Identity::of(&settings(25, Security::None, ""));
    let first = ledger
        .queue_emails(&emails, &from, at("2026-11-22T09:00:00Z"))
        .unwrap();
    assert_eq!(first.queued.len(), 2);
    let second = ledger
        .queue_emails(&emails, &from, at("2026-11-22T09:01:00Z"))
        .unwrap();
    assert!(second.queued.is_empty());
    assert_eq!(second.skipped.len(), 2);
    assert!(
        second.skipped[0].1.contains("déjà dans la boîte d'envoi"),
        "{:?}",
        second.skipped
    );
    // "Renvoyer" is the user's explicit choice.
    let resend = ledger
        .queue_resend(&emails[..1], &from, at("2026-11-22T09:02:00Z"))
        .unwrap();
    assert_eq!(resend.queued.len(), 1);
}

#[test]
fn a_temporary_refusal_is_retried_later_and_received_once() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
    let sink = secure_sink(vec![Fault::Transient]);
    let mailer = mailer(&sink, PASSWORD);
    let report = send(&mut ledger, &mailer, at("2026-11-22T09:00:00Z"));
    assert_eq!((report.sent, report.waiting), (0, 1), "{report:?}");
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.last_error.contains("451"), "{}", entry.last_error);
    assert_eq!(
        entry.next_attempt, "2026-11-22T09:01:00Z",
        "first retry one minute later"
    );
    assert_eq!(level(&ledger, "F-A1"), 0, "not accepted: no level");
    // Not due yet.
    let early = send(&mut ledger, &mailer, at("2026-11-22T09:00:30Z"));
    assert_eq!(early, mail::SendReport::default());
    let later = send(&mut ledger, &mailer, at("2026-11-22T09:01:00Z"));
    assert_eq!(later.sent, 1);
    assert_eq!(sink.messages().len(), 1, "received exactly once");
    assert_eq!(state(&ledger, ids[0]).state, OutboxState::Sent);
    assert_eq!(level(&ledger, "F-A1"), 1);
}

#[test]
fn a_permanent_refusal_marks_the_message_failed_with_the_server_s_reason() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices, at("2026-11-22T09:00:00Z"));
    let sink = secure_sink(vec![Fault::Permanent]);
    let report = send(
        &mut ledger,
        &mailer(&sink, PASSWORD),
        at("2026-11-22T09:00:00Z"),
    );
    assert_eq!(
        (report.sent, report.failed),
        (1, 1),
        "the next message still goes: {report:?}"
    );
    let failed = state(&ledger, ids[0]);
    assert_eq!(failed.state, OutboxState::Failed);
    assert!(
        failed.last_error.contains("554") && failed.last_error.contains("message refused"),
        "{}",
        failed.last_error
    );
    assert_eq!(
        level(&ledger, "F-A1"),
        0,
        "a refused reminder moves no level"
    );
    assert_eq!(level(&ledger, "F-B2"), 1);
    // Retried only on the user's word.
    ledger
        .outbox_retry(ids[0], at("2026-11-22T10:00:00Z"))
        .unwrap();
    let report = send(
        &mut ledger,
        &mailer(&sink, PASSWORD),
        at("2026-11-22T10:00:00Z"),
    );
    assert_eq!(report.sent, 1);
    assert_eq!(level(&ledger, "F-A1"), 1);
}

#[test]
fn a_connection_dropped_during_data_leaves_the_message_queued_until_it_goes_whole() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
    let sink = secure_sink(vec![Fault::DropDuringData]);
    let report = send(
        &mut ledger,
        &mailer(&sink, PASSWORD),
        at("2026-11-22T09:00:00Z"),
    );
    assert_eq!(report.sent, 0, "{report:?}");
    assert!(sink.messages().is_empty());
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Queued, "{entry:?}");
    assert!(
        entry.last_error.contains("connexion interrompue"),
        "{}",
        entry.last_error
    );
    let report = send(
        &mut ledger,
        &mailer(&sink, PASSWORD),
        at("2026-11-22T09:05:00Z"),
    );
    assert_eq!(report.sent, 1);
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert_same(
        &got[0].data,
        &normalise(&ledger.outbox_raw(ids[0]).unwrap()),
        "the whole message, once",
    );
}

#[test]
fn with_the_server_down_messages_wait_and_go_when_it_is_back() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices, at("2026-11-22T09:00:00Z"));
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = Mailer::new(&settings(port, Security::None, ""), None, None).unwrap();
    let report = send(&mut ledger, &down, at("2026-11-22T09:00:00Z"));
    assert_eq!((report.sent, report.waiting), (0, 2), "{report:?}");
    let why = report.stopped.unwrap();
    assert!(why.contains("connexion refusée"), "{why}");
    assert!(ids
        .iter()
        .all(|id| state(&ledger, *id).state == OutboxState::Queued));
    assert_eq!(
        down.test().unwrap_err(),
        why,
        "the connection test says the same"
    );
    let sink = SmtpSink::start(Options::default());
    let up = Mailer::new(&settings(sink.port(), Security::None, ""), None, None).unwrap();
    let report = send(&mut ledger, &up, at("2026-11-22T09:10:00Z"));
    assert_eq!(report.sent, 2);
    assert_eq!(sink.messages().len(), 2);
}

#[test]
fn a_wrong_password_is_explained_and_the_messages_wait() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices, at("2026-11-22T09:00:00Z"));
    let sink = secure_sink(vec![]);
    let wrong = mailer(&sink, "not-the-password");
    let why = wrong.test().unwrap_err();
    assert!(why.contains("identifiant ou mot de passe refusé"), "{why}");
    assert!(
        mailer(&sink, PASSWORD).test().is_ok(),
        "the right password logs in"
    );
    let report = send(&mut ledger, &wrong, at("2026-11-22T09:00:00Z"));
    assert_eq!(report.sent, 0);
    assert!(report.stopped.unwrap().contains("mot de passe"));
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Queued);
    assert_eq!(
        entry.attempts, 0,
        "a setup problem is not a try of the message"
    );
    assert!(sink.messages().is_empty());
}

#[test]
fn starttls_is_required_when_chosen() {
    // A server without STARTTLS: the connection test says so in French.
    let sink = SmtpSink::start(Options::default());
    let m = Mailer::new(&settings(sink.port(), Security::StartTls, ""), None, None).unwrap();
    let why = m.test().unwrap_err();
    assert!(why.contains("STARTTLS"), "{why}");
}

/// A server that hands over the message, then the process dies before the
/// answer is recorded: the outbox is left in `sending`.
struct DiesAfterHandingOver;
impl Deliver for DiesAfterHandingOver {
    fn deliver(&self, _: &str, _: &[String], _: &[u8]) -> Result<(), SendFailure> {
        panic!("the process stops here");
    }
}

#[test]
fn a_message_left_sending_by_a_crash_is_never_sent_again_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    let ids = {
        let mut ledger = Ledger::open(&path).unwrap();
        let invoices = two_clients(&ledger);
        let queued = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            send(
                &mut ledger,
                &DiesAfterHandingOver,
                at("2026-11-22T09:00:00Z"),
            )
        }));
        assert!(crashed.is_err());
        queued
    };
    let mut ledger = Ledger::open(&path).unwrap();
    let uncertain = ledger.outbox_uncertain().unwrap();
    assert_eq!(
        uncertain.len(),
        1,
        "the user sees the message whose fate is unknown"
    );
    let sink = SmtpSink::start(Options::default());
    let up = Mailer::new(&settings(sink.port(), Security::None, ""), None, None).unwrap();
    let report = send(&mut ledger, &up, at("2026-11-23T09:00:00Z"));
    assert_eq!(report.sent, 0, "never re-sent automatically");
    assert!(sink.messages().is_empty());
    assert_eq!(level(&ledger, "F-A1"), 0);
    let refused = ledger
        .outbox_cancel(ids[0], "annulé par l'utilisateur")
        .expect_err("a message that may have left is not cancelled");
    assert!(refused.to_string().contains("confirmez"), "{refused}");
    // The user decides it did arrive: recorded, level moves, nothing sent.
    ledger
        .outbox_confirm_sent(ids[0], today(), at("2026-11-23T09:00:00Z"))
        .unwrap();
    assert_eq!(state(&ledger, ids[0]).state, OutboxState::Sent);
    assert_eq!(level(&ledger, "F-A1"), 1);
    assert!(sink.messages().is_empty());
}

#[test]
fn invoices_paid_before_sending_cancel_their_message() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
    ledger.mark_paid(invoices[0], today(), "virement").unwrap();
    let sink = SmtpSink::start(Options::default());
    let up = Mailer::new(&settings(sink.port(), Security::None, ""), None, None).unwrap();
    let report = send(&mut ledger, &up, at("2026-11-22T09:10:00Z"));
    assert_eq!(report.cancelled, 1);
    assert!(sink.messages().is_empty(), "a paid invoice is not reminded");
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Cancelled);
    assert!(entry.last_error.contains("réglées"));
}

#[test]
fn a_malformed_address_flags_the_communication_and_falls_back_to_a_letter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("address.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    let invoices = two_clients(&ledger);
    // An address with a line break, written behind the ledger's back (the
    // client file itself refuses one).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE client SET email = 'compta@alpha.fr' || char(13, 10) || 'Bcc: everyone@evil.example' WHERE code = 'A1'",
            [],
        )
        .unwrap();
    let emails = ledger.emails_for_invoices(&invoices, today()).unwrap();
    let alpha = emails
        .iter()
        .find(|e| e.client_name == "Alpha SARL")
        .unwrap();
    assert!(
        alpha
            .problem
            .as_deref()
            .unwrap()
            .contains("retour à la ligne"),
        "{:?}",
        alpha.problem
    );
    let from = Identity::of(&settings(25, Security::None, ""));
    let report = ledger
        .queue_emails(&emails, &from, at("2026-11-22T09:00:00Z"))
        .unwrap();
    assert_eq!(report.queued.len(), 1, "only Bêta is queued");
    assert_eq!(report.skipped[0].0, "Alpha SARL");
    for id in &report.queued {
        let raw = String::from_utf8_lossy(&ledger.outbox_raw(*id).unwrap()).to_string();
        assert!(!raw.contains("evil.example"));
    }
    // The statement goes by post instead.
    let letters = ledger.letters_for_invoices(&invoices, today()).unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].facts.client.nom, "Alpha SARL");
}

#[test]
fn no_client_field_can_add_a_header() {
    let (ledger, invoices) = ledger_with_two_clients();
    let mut email = ledger
        .emails_for_invoices(&invoices[..1], today())
        .unwrap()
        .remove(0);
    email.subject = "Relevé\r\nBcc: everyone@evil.example".into();
    email.client_name = "Alpha\r\nX-Injected: yes".into();
    let from = Identity {
        name: "Atelier\nX-Other: 1".into(),
        ..Identity::of(&settings(25, Security::None, ""))
    };
    let built =
        mail::build_message(&email, &from, "<id@atelier.fr>", at("2026-11-22T09:00:00Z")).unwrap();
    let raw = String::from_utf8_lossy(&built.raw).to_string();
    for line in raw.lines() {
        assert!(
            !line.starts_with("Bcc:")
                && !line.starts_with("X-Injected")
                && !line.starts_with("X-Other"),
            "{line}"
        );
    }
    assert_eq!(built.envelope_to, ["compta@alpha.fr"], "no extra recipient");
    email.to = vec!["a@b.fr\nBcc: c@d.fr".into()];
    assert!(mail::build_message(
        &email,
        &from,
        "<id2@atelier.fr>",
        at("2026-11-22T09:00:00Z")
    )
    .is_err());
}

#[test]
fn settings_are_checked_and_the_password_never_enters_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    let mut s = settings(587, Security::StartTls, USER);
    s.from_address = "pas une adresse".into();
    let err = ledger.set_smtp_settings(&s).unwrap_err().to_string();
    assert!(err.contains("adresse de l'expéditeur"), "{err}");
    s.from_address = "relances@atelier.fr".into();
    s.host = "smtp.exemple.fr\r\nRCPT TO:<x@y>".into();
    assert!(ledger.set_smtp_settings(&s).is_err());
    s.host = "smtp.exemple.fr".into();
    // A login over a connection in clear would send the password as is.
    let clear = SmtpSettings {
        security: Security::None,
        ..s.clone()
    };
    let err = ledger.set_smtp_settings(&clear).unwrap_err().to_string();
    assert!(err.contains("en clair"), "{err}");
    assert!(
        Mailer::new(&clear, Some(PASSWORD), None).is_err(),
        "nor can a mailer log in so"
    );
    ledger.set_smtp_settings(&s).unwrap();
    assert_eq!(ledger.smtp_settings().unwrap(), Some(s.clone()));
    let store = encaisse::secrets::SecretStore::files_in(dir.path().join("secrets"));
    let place = store.store(&s.account(), PASSWORD).unwrap();
    let encaisse::secrets::SecretPlace::File(file) = place else {
        panic!("files only here")
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }
    assert_eq!(
        store.password(&s.account()).unwrap().as_deref(),
        Some(PASSWORD)
    );
    drop(ledger);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() && p.to_string_lossy().contains("settings.sqlite") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "{} holds the password",
                p.display()
            );
        }
    }
    store.forget(&s.account()).unwrap();
    assert_eq!(store.password(&s.account()).unwrap(), None);
}

#[test]
fn without_a_server_the_emails_are_saved_as_eml_files() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let emails = ledger.emails_for_invoices(&invoices, today()).unwrap();
    let from = Identity::of(&settings(25, Security::None, ""));
    let (zip, entries) = mail::eml_zip(&emails, &from, at("2026-11-22T09:00:00Z")).unwrap();
    assert_eq!(entries.len(), 2);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    for entry in &entries {
        let (name, sha) = (&entry.name, &entry.sha256);
        assert!(name.ends_with(".eml") && !name.contains('/'), "{name}");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(name).unwrap(), &mut bytes).unwrap();
        assert_eq!(&encaisse::import::sha256_hex(&bytes), sha);
        let parsed = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.attachment_count(), 1);
        assert!(parsed.body_text(0).unwrap().contains("F-"));
    }
    ledger
        .record_emails_saved(&emails, &entries, today())
        .unwrap();
    assert_eq!(
        level(&ledger, "F-A1"),
        1,
        "saved for the user's mail program = done"
    );
}

#[test]
fn english_clients_get_english_emails() {
    let (ledger, invoices) = ledger_with_two_clients();
    let mut c = ledger.client_by_code("A1").unwrap();
    c.language = "en".into();
    ledger.upsert_client(&c).unwrap();
    let emails = ledger.emails_for_invoices(&invoices[..1], today()).unwrap();
    assert!(emails[0].html.contains("Total due"), "{}", emails[0].html);
    assert!(!emails[0].text.contains("Madame, Monsieur"));
}

#[test]
fn the_connection_test_explains_an_unknown_host_a_tls_mismatch_and_a_silent_server() {
    let mut s = settings(587, Security::StartTls, "");
    s.host = "serveur-inexistant.invalid".into();
    let why = Mailer::new(&s, None, None).unwrap().test().unwrap_err();
    assert!(why.contains("introuvable"), "{why}");
    // TLS from the first byte against a server that speaks plain SMTP.
    let plain = SmtpSink::start(Options::default());
    let why = Mailer::new(&settings(plain.port(), Security::Tls, ""), None, None)
        .unwrap()
        .test()
        .unwrap_err();
    assert!(why.contains("TLS"), "{why}");
    let mute = SmtpSink::start(Options {
        mute: true,
        ..Default::default()
    });
    let why = Mailer::with_timeout(
        &settings(mute.port(), Security::None, ""),
        None,
        None,
        std::time::Duration::from_millis(500),
    )
    .unwrap()
    .test()
    .unwrap_err();
    assert!(why.contains("ne répond pas"), "{why}");
}

#[test]
fn an_import_that_pays_an_invoice_cancels_its_queued_message_and_leaves_the_session() {
    use crate::books_over_time::fec_of;
    use encaisse::import::fec;
    let mut ledger = ledger();
    ledger.set_company(&the_company()).unwrap();
    let invoice = "VE|1|20261013|411000|ALPHA|FA1|Facture FA1|1200,00|0,00|";
    let revenue = "VE|1|20261013|706000||FA1|Facture FA1|0,00|1200,00|";
    let first = fec_of(&[invoice, revenue]);
    commit(&mut ledger, &fec::parse("mi-novembre.txt", &first));
    let mut alpha = ledger.client_by_code("ALPHA").unwrap();
    alpha.email = "compta@alpha.fr".into();
    ledger.upsert_client(&alpha).unwrap();
    let id = ledger.invoices(&Default::default()).unwrap().rows[0].id;
    let queued = queue(&mut ledger, &[id], at("2026-11-22T09:00:00Z"));
    // The same period's file, later: the payment arrived, lettered.
    let later = fec_of(&[
        "VE|1|20261013|411000|ALPHA|FA1|Facture FA1|1200,00|0,00|A",
        revenue,
        "BQ|2|20261120|512000||VIR|Virement|1200,00|0,00|",
        "BQ|2|20261120|411000|ALPHA|VIR|Virement FA1|0,00|1200,00|A",
    ]);
    let outcome = commit(&mut ledger, &fec::parse("fin-novembre.txt", &later));
    assert_eq!(outcome.changes.newly_paid_count, 1, "{:?}", outcome.changes);
    assert!(
        ledger.work_list(today()).unwrap().rows.is_empty(),
        "the paid invoice leaves the day's session"
    );
    let sink = SmtpSink::start(Options::default());
    let up = Mailer::new(&settings(sink.port(), Security::None, ""), None, None).unwrap();
    let report = send(&mut ledger, &up, at("2026-11-22T09:10:00Z"));
    assert_eq!(report.cancelled, 1);
    assert!(
        sink.messages().is_empty(),
        "a customer who paid is not reminded"
    );
    assert_eq!(state(&ledger, queued[0]).state, OutboxState::Cancelled);
}

fn sink_mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&settings(sink.port(), Security::None, ""), None, None).unwrap()
}

fn pay(ledger: &mut Ledger, client_code: &str, cents: i64) {
    let client = ledger.client_by_code(client_code).unwrap();
    ledger
        .record_payment_and_match(&encaisse::ledger::NewPayment {
            client_id: client.id,
            date: today(),
            amount: encaisse::money::Money::new(cents, encaisse::money::Currency::EUR),
            method: "virement".into(),
            reference: String::new(),
        })
        .unwrap();
}

#[test]
fn a_partly_paid_message_is_held_not_sent_until_the_user_decides() {
    let (mut ledger, invoices) = ledger_with_two_clients();
    let ids = queue(&mut ledger, &invoices, at("2026-11-22T09:00:00Z"));
    // Alpha pays 500 € of its 1 200 € after the message was written.
    pay(&mut ledger, "A1", 500_00);
    let sink = SmtpSink::start(Options::default());
    let report = send(&mut ledger, &sink_mailer(&sink), at("2026-11-22T09:10:00Z"));
    assert_eq!((report.sent, report.held), (1, 1), "{report:?}");
    let got = sink.messages();
    assert_eq!(got.len(), 1, "only Bêta's message, still true, goes");
    assert!(
        got[0].to.iter().all(|r| r.contains("beta.fr")),
        "{:?}",
        got[0].to
    );
    let alpha = ids
        .iter()
        .map(|id| state(&ledger, *id))
        .find(|e| e.client_name == "Alpha SARL")
        .unwrap();
    assert_eq!(alpha.state, OutboxState::Held);
    assert!(
        alpha
            .last_error
            .contains("F-A1 : 1\u{202f}200,00 € → 700,00 €"),
        "the reason names the invoice and both amounts: {}",
        alpha.last_error
    );
    assert_eq!(level(&ledger, "F-A1"), 0, "no level without a message");
    // It stays held round after round.
    let later = send(&mut ledger, &sink_mailer(&sink), at("2026-11-23T09:00:00Z"));
    assert_eq!(later, mail::SendReport::default());
    assert_eq!(sink.messages().len(), 1);
    assert!(alpha.amounts_changed);
    // A message whose amounts are no longer true cannot be sent as it is...
    let refused = ledger
        .outbox_retry(alpha.id, at("2026-11-23T09:05:00Z"))
        .unwrap_err();
    assert!(refused.to_string().contains("montants"), "{refused}");
    // ...it is cancelled, and the day's reminder is written again, true.
    ledger
        .outbox_cancel(alpha.id, "annulé par l'utilisateur")
        .unwrap();
    assert_eq!(state(&ledger, alpha.id).state, OutboxState::Cancelled);
    let again = queue(&mut ledger, &invoices[..1], at("2026-11-23T09:06:00Z"));
    let report = send(&mut ledger, &sink_mailer(&sink), at("2026-11-23T09:07:00Z"));
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(state(&ledger, again[0]).total_cents, 700_00);
    assert_eq!(level(&ledger, "F-A1"), 1, "sent, recorded");
    assert_eq!(sink.messages().len(), 2);
}

/// Hands the message over, but an invoice is paid by another process while
/// the server has it (between the claim and the answer).
struct PaidWhileSending(std::path::PathBuf, SmtpSink);
impl Deliver for PaidWhileSending {
    fn deliver(&self, from: &str, to: &[String], raw: &[u8]) -> Result<(), SendFailure> {
        let mut other = Ledger::open(&self.0).unwrap();
        let invoice = other.invoice_by_number("F-A1").unwrap().id;
        other.mark_paid(invoice, today(), "virement").unwrap();
        sink_mailer(&self.1).deliver(from, to, raw)
    }
}

#[test]
fn a_message_sent_while_its_invoice_was_paid_is_still_recorded_with_its_proof() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    let invoices = two_clients(&ledger);
    let ids = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
    let sink = SmtpSink::start(Options::default());
    let deliver = PaidWhileSending(path.clone(), sink);
    let report = send(&mut ledger, &deliver, at("2026-11-22T09:10:00Z"));
    assert_eq!(report.sent, 1);
    assert_eq!(deliver.1.messages().len(), 1);
    let entry = state(&ledger, ids[0]);
    assert_eq!(entry.state, OutboxState::Sent, "the server has it");
    assert!(entry.last_error.contains("non enregistré comme relance"));
    let proof = ledger
        .evidence(None)
        .unwrap()
        .into_iter()
        .find(|e| e.channel == "email" && e.result.contains(&entry.message_id))
        .expect("the message is in the evidence log all the same");
    assert!(
        proof.result.contains("non enregistré comme relance"),
        "{}",
        proof.result
    );
    let sha = proof.document_sha256.expect("with the message's bytes");
    let (_, _, bytes) = ledger.evidence_document(&sha).unwrap().unwrap();
    assert_eq!(bytes, ledger.outbox_raw(ids[0]).unwrap());
    assert!(ledger.verify_evidence().unwrap().is_intact());
}

/// Sends in one thread, round after round, on its own connection, as the
/// window's background sender does.
fn sender_running(path: &std::path::Path, port: u16, stop: &AtomicBool) {
    let mut ledger = Ledger::open(path).unwrap();
    let up = Mailer::new(&settings(port, Security::None, ""), None, None).unwrap();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        send_due(
            &mut ledger,
            &up,
            None,
            today(),
            &|| at("2026-11-24T09:00:00Z"),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_restore_brings_queued_messages_back_held_and_the_running_sender_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let backup = dir.path().join("sauvegarde.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    let invoices = two_clients(&ledger);
    let ids = queue(&mut ledger, &invoices, at("2026-11-22T09:00:00Z"));
    ledger.backup_to(&backup, &|_, _| {}).unwrap();
    let sink = SmtpSink::start(Options::default());
    assert_eq!(
        send(&mut ledger, &sink_mailer(&sink), at("2026-11-22T09:10:00Z")).sent,
        2
    );
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| sender_running(&path, sink.port(), &stop));
        std::thread::sleep(std::time::Duration::from_millis(50));
        ledger.restore_from(&backup, &|_, _| {}).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    assert_eq!(
        sink.messages().len(),
        2,
        "nothing sent again after the restore"
    );
    for id in &ids {
        let entry = state(&ledger, *id);
        assert_eq!(entry.state, OutboxState::Held, "{entry:?}");
        assert!(
            entry.last_error.contains("restauré"),
            "{}",
            entry.last_error
        );
    }
    // The user's decision: one was received (confirmed), the other cancelled.
    ledger
        .outbox_confirm_sent(ids[0], today(), at("2026-11-24T10:00:00Z"))
        .unwrap();
    ledger
        .outbox_cancel(ids[1], "annulé par l'utilisateur")
        .unwrap();
    assert_eq!(
        send(&mut ledger, &sink_mailer(&sink), at("2026-11-24T10:01:00Z")),
        mail::SendReport::default()
    );
    assert_eq!(sink.messages().len(), 2);
}

/// Restores the backup into the ledger from another connection while the
/// server has the message.
struct RestoredWhileSending(std::path::PathBuf, std::path::PathBuf, SmtpSink);
impl Deliver for RestoredWhileSending {
    fn deliver(&self, from: &str, to: &[String], raw: &[u8]) -> Result<(), SendFailure> {
        let mut other = Ledger::open(&self.0).unwrap();
        other.restore_from(&self.1, &|_, _| {}).unwrap();
        sink_mailer(&self.2).deliver(from, to, raw)
    }
}

#[test]
fn a_send_in_flight_during_a_restore_marks_no_row_of_the_restored_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let backup = dir.path().join("sauvegarde.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    let invoices = two_clients(&ledger);
    let ids = queue(&mut ledger, &invoices[..1], at("2026-11-22T09:00:00Z"));
    ledger.backup_to(&backup, &|_, _| {}).unwrap();
    let deliver = RestoredWhileSending(
        path.clone(),
        backup.clone(),
        SmtpSink::start(Options::default()),
    );
    let report = send(&mut ledger, &deliver, at("2026-11-22T09:10:00Z"));
    assert_eq!(deliver.2.messages().len(), 1, "the server had it");
    assert!(
        report.stopped.as_deref().unwrap_or("").contains("restauré"),
        "the round says what happened: {report:?}"
    );
    let entry = state(&ledger, ids[0]);
    assert_eq!(
        entry.state,
        OutboxState::Held,
        "the restored row waits for the user's word, not marked by the old send"
    );
    assert_eq!(level(&ledger, "F-A1"), 0);
    assert!(ledger.verify_evidence().unwrap().is_intact());
}

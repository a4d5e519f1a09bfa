//! `encaisse-cli smtp`, `remind` and `outbox` against a real SMTP server on
//! 127.0.0.1, and a process killed while it sends.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use encaisse::ledger::NewInvoice;
use encaisse::money::{Currency, Money};
use smtp_sink::{Fault, Options, SmtpSink};

struct Env {
    dir: tempfile::TempDir,
    ca: Option<std::path::PathBuf>,
}

impl Env {
    fn new(sink: &SmtpSink) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let ca = (!sink.ca_pem().is_empty()).then(|| {
            let path = dir.path().join("ca.pem");
            std::fs::write(&path, sink.ca_pem()).unwrap();
            path
        });
        Env { dir, ca }
    }

    fn ledger(&self) -> std::path::PathBuf {
        self.dir.path().join("l.sqlite")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_encaisse-cli"));
        c.arg("--ledger")
            .arg(self.ledger())
            .args(args)
            .env_remove("ENCAISSE_LEDGER")
            .env_remove("ENCAISSE_SMTP_PASSWORD")
            .env("ENCAISSE_SECRETS", "file")
            .env("ENCAISSE_SECRETS_DIR", self.dir.path().join("secrets"));
        if let Some(ca) = &self.ca {
            c.env("ENCAISSE_SMTP_CA", ca);
        }
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }
}

/// Two clients whose statement (by e-mail) is due today.
fn two_clients_due_today(ledger: &Path) -> chrono::NaiveDate {
    let core = encaisse::Ledger::open(ledger).unwrap();
    core.set_company(&encaisse::demo::company()).unwrap();
    let today = chrono::Local::now().date_naive();
    for (code, name) in [("A1", "Alpha SARL"), ("B2", "Bêta & Fils")] {
        let mut c = encaisse::model::Client::new(code, name);
        c.email = format!("compta@{}.fr", code.to_lowercase());
        let id = core.upsert_client(&c).unwrap();
        let due = today - chrono::Days::new(10);
        core.add_invoice(&NewInvoice {
            client_id: id,
            number: format!("F-{code}"),
            issue_date: due - chrono::Days::new(30),
            due_date: Some(due),
            amount: Money::new(80_000, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    }
    today
}

fn levels(ledger: &Path, today: chrono::NaiveDate) -> Vec<usize> {
    let core = encaisse::Ledger::open(ledger).unwrap();
    let mut rows = core.follow_up(today, &Default::default()).unwrap().rows;
    rows.sort_by(|a, b| a.number.cmp(&b.number));
    rows.iter().map(|r| r.last_step).collect()
}

fn outbox_states(env: &Env) -> Vec<(i64, String)> {
    let (ok, out, err) = env.run(&["outbox", "list", "--json"], "");
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn smtp_set_test_remind_and_send_through_starttls_with_a_login() {
    let sink = SmtpSink::start(Options {
        starttls: true,
        credentials: Some(("relances@atelier.fr".into(), "pa55".into())),
        ..Default::default()
    });
    let env = Env::new(&sink);
    let today = two_clients_due_today(&env.ledger());
    let port = sink.port().to_string();
    let (ok, out, err) = env.run(
        &[
            "smtp",
            "set",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--security",
            "starttls",
            "--user",
            "relances@atelier.fr",
            "--from-name",
            "Atelier Lumière",
        ],
        "pa55\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("mot de passe gardé dans le fichier"), "{out}");
    let ledger_bytes = std::fs::read(env.ledger()).unwrap();
    assert!(
        !ledger_bytes.windows(4).any(|w| w == b"pa55"),
        "the password is not in the ledger"
    );
    let (ok, out, err) = env.run(&["smtp", "test"], "");
    assert!(ok, "{err}");
    assert!(out.contains("réussie"), "{out}");
    // A wrong password (from the environment) is explained in French.
    let out = env
        .command(&["smtp", "test"])
        .env("ENCAISSE_SMTP_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("identifiant ou mot de passe refusé"), "{err}");

    let (ok, out, err) = env.run(&["remind", "--channel", "email"], "");
    assert!(ok, "{err}");
    assert!(out.contains("2 e-mails mis en file"), "{out}");
    assert_eq!(levels(&env.ledger(), today), [0, 0], "queued, not sent");
    let states = outbox_states(&env);
    assert!(states.iter().all(|(_, s)| s == "queued"), "{states:?}");
    // Queuing the same day again adds nothing.
    let (_, out, err) = env.run(&["remind", "--channel", "email"], "");
    assert!(out.contains("0 e-mail mis en file"), "{out}");
    assert!(err.contains("déjà dans la boîte d'envoi"), "{err}");

    let (ok, out, err) = env.run(&["outbox", "send"], "");
    assert!(ok, "{err}");
    assert!(out.starts_with("2 envoyés"), "{out}");
    let got = sink.messages();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.tls && m.user.is_some()));
    assert_eq!(levels(&env.ledger(), today), [1, 1]);
    assert!(outbox_states(&env).iter().all(|(_, s)| s == "sent"));
}

#[test]
fn a_process_killed_while_sending_leaves_the_message_for_the_user_to_decide() {
    let sink = SmtpSink::start(Options {
        faults: vec![Fault::Stall],
        ..Default::default()
    });
    let env = Env::new(&sink);
    let today = two_clients_due_today(&env.ledger());
    let port = sink.port().to_string();
    let (ok, _, err) = env.run(
        &[
            "smtp",
            "set",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--security",
            "none",
            "--from",
            "relances@atelier.fr",
        ],
        "",
    );
    assert!(ok, "{err}");
    let (ok, _, err) = env.run(&["remind", "--channel", "email"], "");
    assert!(ok, "{err}");
    // The server takes the whole first message and never answers: the
    // process is killed while it waits.
    let mut child = env
        .command(&["outbox", "send"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.data_ends() < 1 {
        assert!(
            Instant::now() < deadline,
            "the message never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let states = outbox_states(&env);
    let sending: Vec<i64> = states
        .iter()
        .filter(|(_, s)| s == "sending")
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(sending.len(), 1, "{states:?}");
    assert!(
        states.iter().any(|(_, s)| s == "queued"),
        "the other one never started: {states:?}"
    );

    // A new run sends the other message, never the uncertain one.
    let (ok, out, err) = env.run(&["outbox", "send"], "");
    assert!(ok, "{err}");
    assert!(out.starts_with("1 envoyé,"), "{out}");
    assert_eq!(
        sink.data_ends(),
        2,
        "the uncertain message was not handed over again"
    );
    let (_, out, _) = env.run(&["outbox", "send"], "");
    assert!(out.starts_with("0 envoyé,"), "{out}");
    assert_eq!(sink.messages().len(), 1);
    let levels_now = levels(&env.ledger(), today);
    assert_eq!(
        levels_now.iter().filter(|l| **l == 1).count(),
        1,
        "{levels_now:?}"
    );

    // The user decides to send it again.
    let id = sending[0].to_string();
    let (ok, _, err) = env.run(&["outbox", "retry", &id], "");
    assert!(ok, "{err}");
    let (ok, out, err) = env.run(&["outbox", "send"], "");
    assert!(ok, "{err}");
    assert!(out.starts_with("1 envoyé,"), "{out}");
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(levels(&env.ledger(), today), [1, 1]);
}

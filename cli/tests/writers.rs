//! Several writers on one ledger at once — the window's own writes and its
//! background sender, a nightly `backup --auto`, an `import`, a `letters
//! --record`, a `remind --send` and an `outbox send` — wait for each other
//! and never fail with "database is locked"; no fact is lost or doubled, no
//! e-mail reaches the server twice, and the evidence chain stays whole.
//!
//! The short version runs in the test command; `ENCAISSE_SOAK_SECONDS=60`
//! makes it the soak (`scripts/soak.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use encaisse::Ledger;

fn cli(ledger: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_encaisse-cli"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("ENCAISSE_LEDGER")
        .output()
        .unwrap()
}

fn seconds() -> u64 {
    std::env::var("ENCAISSE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

/// An invoice list of `count` invoices numbered from `first`, all due long ago.
fn invoices_csv(dir: &Path, n: usize, first: usize, count: usize) -> PathBuf {
    let mut text = String::from(
        "code_client;client;numero;date;echeance;montant_ttc;adresse;code_postal;ville;email\n",
    );
    for i in first..first + count {
        // One client in two has an e-mail address and invoices due ten
        // days before the day of the run: its statement goes by e-mail.
        let (email, issued, due) = if i % 2 == 0 {
            (
                format!("compta{}@client.fr", i % 40),
                "12/10/2026",
                "12/11/2026",
            )
        } else {
            (String::new(), "01/06/2026", "01/07/2026")
        };
        text.push_str(&format!(
            "C{:03};Client {:03};F-{i:06};{issued};{due};{},00;{} rue du Port;13002;Marseille;{email}\n",
            i % 40,
            i % 40,
            100 + i % 900,
            1 + i % 90
        ));
    }
    let path = dir.join(format!("lot-{n}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn writers_on_one_ledger_wait_for_each_other_and_lose_nothing() {
    let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("grand-livre.sqlite");
    let settings = encaisse::demo::local_smtp(sink.port());
    {
        let l = Ledger::open(&ledger).unwrap();
        l.set_company(&encaisse::demo::company()).unwrap();
        l.set_smtp_settings(&settings).unwrap();
    }
    let until = Instant::now() + Duration::from_secs(seconds());
    let per_file = 400;
    std::thread::scope(|scope| {
        // Imports, one file after another, each with new invoices.
        let importer = scope.spawn(|| {
            let mut n = 0;
            while Instant::now() < until {
                let file = invoices_csv(dir.path(), n, n * per_file, per_file);
                let out = cli(&ledger, &["import", "csv", file.to_str().unwrap()]);
                assert!(
                    out.status.success(),
                    "import {n}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                n += 1;
            }
            n
        });
        // The day's letters, recorded, again and again.
        let letters = scope.spawn(|| {
            let mut rounds = 0;
            while Instant::now() < until {
                let zip = dir.path().join(format!("relances-{rounds}.zip"));
                let out = cli(
                    &ledger,
                    &[
                        "letters",
                        "--as-of",
                        "2026-11-22",
                        "--out",
                        zip.to_str().unwrap(),
                        "--record",
                        "--stale-ok",
                    ],
                );
                assert!(
                    out.status.success(),
                    "letters {rounds}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                rounds += 1;
            }
            rounds
        });
        // Backups, as cron would run them, and the window's writes (a
        // setting saved, a client edited) through the core directly.
        let backups = scope.spawn(|| {
            let mut rounds = 0;
            while Instant::now() < until {
                let out = cli(&ledger, &["backup", "--auto", "--keep", "3"]);
                assert!(
                    out.status.success(),
                    "backup {rounds}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let window = Ledger::open(&ledger).unwrap();
                window
                    .set_reminder_days(if rounds % 2 == 0 { "1, 15" } else { "5, 20" })
                    .unwrap();
                rounds += 1;
            }
            rounds
        });
        // The e-mails: queued and sent by the command line, and the
        // window's background sender sending what is due, as it does every
        // 30 seconds.
        let reminders = scope.spawn(|| {
            let mut rounds = 0;
            while Instant::now() < until {
                for args in [
                    &[
                        "remind",
                        "--as-of",
                        "2026-11-22",
                        "--channel",
                        "email",
                        "--send",
                        "--stale-ok",
                    ][..],
                    &["outbox", "send"][..],
                ] {
                    let out = cli(&ledger, args);
                    assert!(
                        out.status.success(),
                        "{args:?} {rounds}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                rounds += 1;
            }
            rounds
        });
        let window_sender = scope.spawn(|| {
            let mailer = encaisse::smtp::Mailer::from_env(
                &settings,
                &encaisse::secrets::SecretStore::from_env(),
            )
            .unwrap();
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let mut rounds = 0;
            while Instant::now() < until {
                let mut window = Ledger::open(&ledger).unwrap();
                encaisse::mail::send_due(
                    &mut window,
                    &mailer,
                    None,
                    "2026-11-22".parse().unwrap(),
                    &chrono::Utc::now,
                    &cancel,
                    &mut |_, _| {},
                )
                .unwrap_or_else(|e| panic!("the window's sender {rounds}: {e}"));
                rounds += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            rounds
        });
        let files = importer.join().unwrap();
        let rounds = letters.join().unwrap();
        let saves = backups.join().unwrap();
        let sends = reminders.join().unwrap();
        let window_rounds = window_sender.join().unwrap();
        assert!(
            files > 1 && rounds > 1 && saves > 1 && sends > 1 && window_rounds > 1,
            "{files} {rounds} {saves} {sends} {window_rounds}"
        );
        // E-mails went, each once.
        let ids: Vec<String> = sink.message_ids();
        assert!(!ids.is_empty(), "reminders went by e-mail");
        println!(
            "{files} imports, {rounds} letter runs, {saves} backups and window saves, {sends} remind --send and outbox send, {window_rounds} rounds of the window's sender: {} e-mails, each once",
            ids.len()
        );
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "an e-mail reached the server twice"
        );
        // Nothing lost, nothing doubled.
        let l = Ledger::open(&ledger).unwrap();
        let invoices = l.invoices(&Default::default()).unwrap().rows.len();
        assert_eq!(invoices, files * per_file, "every imported invoice, once");
        let problems = l.integrity_check().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(l.verify_evidence().unwrap().is_intact());
        // Each client was sent each level at most once.
        let reminders = l.evidence(None).unwrap();
        let mut seen = std::collections::HashSet::new();
        for r in reminders.iter().filter(|r| r.kind == "relance") {
            assert!(
                seen.insert((r.client_id, r.detail.clone(), r.invoices.clone())),
                "a reminder recorded twice: {r:?}"
            );
        }
    });
}

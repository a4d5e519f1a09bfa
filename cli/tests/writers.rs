//! Several writers on one ledger at once — the window's own writes, a
//! nightly `backup --auto`, an `import`, a `letters --record` — wait for
//! each other and never fail with "database is locked"; no fact is lost or
//! doubled and the evidence chain stays whole.
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
        "code_client;client;numero;date;echeance;montant_ttc;adresse;code_postal;ville\n",
    );
    for i in first..first + count {
        text.push_str(&format!(
            "C{:03};Client {:03};F-{i:06};01/06/2026;01/07/2026;{},00;{} rue du Port;13002;Marseille\n",
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
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("grand-livre.sqlite");
    {
        let l = Ledger::open(&ledger).unwrap();
        l.set_company(&encaisse::demo::company()).unwrap();
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
        let files = importer.join().unwrap();
        let rounds = letters.join().unwrap();
        let saves = backups.join().unwrap();
        assert!(
            files > 1 && rounds > 1 && saves > 1,
            "{files} {rounds} {saves}"
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

//! The process killed at any moment — during a backup, during an import —
//! leaves a ledger that opens and passes its checks (`integrity_check`,
//! foreign keys, the evidence chain), and the earlier backups intact.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use encaisse::backup::check_backup;
use encaisse::Ledger;

fn cli(ledger: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_encaisse-cli"));
    c.arg("--ledger").arg(ledger).env_remove("ENCAISSE_LEDGER");
    c
}

fn today() -> encaisse::dates::Date {
    "2026-11-22".parse().unwrap()
}

/// A ledger large enough that a backup or an import takes a while.
fn large_ledger(dir: &Path) -> PathBuf {
    let path = dir.join("grand-livre.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    encaisse::demo::populate(&mut ledger, today()).unwrap();
    encaisse::demo::populate_scale(&mut ledger, 2_000, 60_000, today()).unwrap();
    path
}

fn assert_sound(path: &Path) {
    let ledger = Ledger::open(path).expect("the ledger opens");
    let problems = ledger.integrity_check().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(ledger.verify_evidence().unwrap().is_intact());
}

/// Starts `command`, kills it after `after`; true if it had finished.
fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    let _ = child.wait();
    finished
}

#[test]
fn a_backup_killed_at_any_moment_leaves_the_ledger_and_earlier_backups_intact() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = large_ledger(dir.path());
    let earlier = dir.path().join("hier.sqlite");
    let status = cli(&ledger)
        .args(["backup", "--out"])
        .arg(&earlier)
        .status()
        .unwrap();
    assert!(status.success());
    let earlier_bytes = std::fs::read(&earlier).unwrap();
    let mut interrupted = 0;
    for (n, ms) in [5u64, 20, 40, 80, 120, 200, 350, 600, 1000]
        .into_iter()
        .enumerate()
    {
        let dest = dir.path().join(format!("copie-{n}.sqlite"));
        let mut c = cli(&ledger);
        c.args(["backup", "--out"]).arg(&dest);
        if !kill_after(c, Duration::from_millis(ms)) {
            interrupted += 1;
        }
        // Either no backup at all, or a whole one that passes its checks.
        if dest.exists() {
            check_backup(&dest).expect("a backup in place is a whole one");
        }
        assert_sound(&ledger);
        assert_eq!(
            std::fs::read(&earlier).unwrap(),
            earlier_bytes,
            "earlier backup untouched"
        );
        check_backup(&earlier).unwrap();
    }
    assert!(interrupted > 0, "at least one backup was cut short");
}

#[test]
fn an_import_killed_at_any_moment_leaves_a_sound_ledger_with_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fec = dir.path().join("grand.fec.txt");
    std::fs::write(&fec, encaisse::demo::synthetic_fec(150_000, 1_500)).unwrap();
    let mut interrupted = 0;
    let mut complete = None;
    for (n, ms) in [30u64, 150, 400, 900, 1500, 2500].into_iter().enumerate() {
        let ledger = dir.path().join(format!("l-{n}.sqlite"));
        {
            let mut l = Ledger::open(&ledger).unwrap();
            encaisse::demo::populate(&mut l, today()).unwrap();
        }
        let before = Ledger::open(&ledger)
            .unwrap()
            .invoices(&Default::default())
            .unwrap()
            .total_count;
        let mut c = cli(&ledger);
        c.args(["import", "fec"]).arg(&fec);
        if !kill_after(c, Duration::from_millis(ms)) {
            interrupted += 1;
        }
        assert_sound(&ledger);
        let after = Ledger::open(&ledger)
            .unwrap()
            .invoices(&Default::default())
            .unwrap()
            .total_count;
        if after != before {
            // All of it: the same count as an import that ran to its end.
            let full = *complete.get_or_insert_with(|| {
                let whole = dir.path().join("whole.sqlite");
                {
                    let mut l = Ledger::open(&whole).unwrap();
                    encaisse::demo::populate(&mut l, today()).unwrap();
                }
                assert!(cli(&whole)
                    .args(["import", "fec"])
                    .arg(&fec)
                    .status()
                    .unwrap()
                    .success());
                Ledger::open(&whole)
                    .unwrap()
                    .invoices(&Default::default())
                    .unwrap()
                    .total_count
            });
            assert_eq!(after, full, "an import is written whole or not at all");
        }
    }
    assert!(interrupted > 0, "at least one import was cut short");
}

#[test]
fn restore_on_the_command_line_works_over_a_ledger_that_no_longer_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    let backup = dir.path().join("copie.sqlite");
    {
        let mut ledger = Ledger::open(&path).unwrap();
        encaisse::demo::populate(&mut ledger, today()).unwrap();
        ledger.backup_to(&backup, &|_, _| {}).unwrap();
    }
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let out = cli(&path).arg("restore").arg(&backup).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("avant-restauration"), "{said}");
    assert_sound(&path);
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("avant-restauration")
        })
        .expect("the damaged file is kept");
    assert_eq!(std::fs::read(aside.path()).unwrap(), vec![0x5a; 8192]);
}

/// `letters --record`, `remind --send`, `outbox send`, `import bank`,
/// `bank confirm --sure`, `backup` and `restore` killed at random instants,
/// round after round: after each kill the ledger is sound, no e-mail reached
/// the server twice, no statement line is kept twice, nothing recorded went
/// missing, and the operation runs again to completion.
/// `ENCAISSE_SOAK_KILLS=200` makes it the soak (`scripts/soak.sh`).
#[test]
fn every_writing_command_killed_at_random_instants_leaves_a_sound_ledger() {
    let kills: usize = std::env::var("ENCAISSE_SOAK_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("grand-livre.sqlite");
    let before = dir.path().join("avant.sqlite");
    {
        let mut l = Ledger::open(&ledger).unwrap();
        encaisse::demo::populate(&mut l, today()).unwrap();
        encaisse::demo::populate_scale(&mut l, 300, 6_000, today()).unwrap();
        l.set_smtp_settings(&encaisse::demo::local_smtp(sink.port()))
            .unwrap();
        l.backup_to(&before, &|_, _| {}).unwrap();
    }
    let day = "2026-11-22";
    // A bank statement of 600 transfers, a third naming an invoice.
    let statement = dir.path().join("releve.xml");
    let transfers = 600;
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>",
    );
    for n in 0..transfers {
        xml.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>BQ-{n:06}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>FACTURE F{:07}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            10 + n % 900,
            n % 100,
            if n % 3 == 0 { n * 2 } else { 999_999 }
        ));
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>");
    std::fs::write(&statement, xml).unwrap();
    let zip = dir.path().join("relances.zip");
    let save = dir.path().join("copie.sqlite");
    let operations: Vec<(&str, Vec<String>)> = vec![
        (
            "letters",
            vec![
                "letters".into(),
                "--as-of".into(),
                day.into(),
                "--out".into(),
                zip.display().to_string(),
                "--record".into(),
                "--stale-ok".into(),
            ],
        ),
        (
            "remind",
            vec![
                "remind".into(),
                "--as-of".into(),
                day.into(),
                "--channel".into(),
                "email".into(),
                "--send".into(),
                "--stale-ok".into(),
            ],
        ),
        ("outbox", vec!["outbox".into(), "send".into()]),
        (
            "import bank",
            vec![
                "import".into(),
                "bank".into(),
                statement.display().to_string(),
            ],
        ),
        (
            "bank confirm",
            vec!["bank".into(), "confirm".into(), "--sure".into()],
        ),
        (
            "backup",
            vec!["backup".into(), "--out".into(), save.display().to_string()],
        ),
        (
            "restore",
            vec!["restore".into(), before.display().to_string()],
        ),
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let recorded = |path: &Path| Ledger::open(path).unwrap().evidence(None).unwrap().len();
    let mut facts = recorded(&ledger);
    let mut interrupted = 0;
    for round in 0..kills {
        let (name, args) = &operations[random(operations.len() as u64) as usize];
        let mut c = cli(&ledger);
        c.args(args)
            .env("ENCAISSE_SECRETS", "file")
            .env("ENCAISSE_SECRETS_DIR", dir.path().join("secrets"));
        if !kill_after(c, Duration::from_millis(5 + random(900))) {
            interrupted += 1;
        }
        assert_sound(&ledger);
        // No message reached the server twice.
        let ids: Vec<String> = sink.message_ids();
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "round {round} ({name}): an e-mail went twice"
        );
        // A statement's line is kept once, however often it was cut short.
        let lines = Ledger::open(&ledger)
            .unwrap()
            .bank_lines(None)
            .unwrap()
            .len();
        assert!(
            lines <= transfers,
            "round {round} ({name}): {lines} statement lines"
        );
        // What was recorded stays recorded (a restore goes back on purpose).
        let now = recorded(&ledger);
        if *name != "restore" {
            assert!(
                now >= facts,
                "round {round} ({name}): {facts} facts before, {now} after"
            );
        }
        // And the operation runs again to its end.
        let mut again = cli(&ledger);
        again
            .args(args)
            .env("ENCAISSE_SECRETS", "file")
            .env("ENCAISSE_SECRETS_DIR", dir.path().join("secrets"));
        let out = again.output().unwrap();
        assert!(
            out.status.success(),
            "round {round} ({name}) again: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_sound(&ledger);
        facts = recorded(&ledger);
    }
    assert!(interrupted > 0, "at least one command was cut short");
    if std::env::var_os("ENCAISSE_SOAK_KILLS").is_some() {
        println!(
            "{kills} kills, {interrupted} cut short, {} e-mails received once each",
            sink.messages().len()
        );
    }
}

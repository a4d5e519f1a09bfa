//! Proof and safety: the evidence log and its chain, tampering found and
//! named, the litigation file, the hand-over to collection, backups that
//! restore to the same ledger.

use std::io::Read;

use encaisse::dates::Date;
use encaisse::documents;
use encaisse::engine::Channel;
use encaisse::handover::{HandoverKind, HandoverOutcome, NewHandover};
use encaisse::model::Client;
use encaisse::money::{Currency, Money};
use encaisse::reminders::NewReminder;
use encaisse::Ledger;

use crate::common::*;

fn today() -> Date {
    date("2026-11-22")
}

/// Two clients without e-mail (their statement goes by letter), each with a
/// 1 200 € invoice 10 days late. Returns (client ids, invoice ids).
fn two_clients(ledger: &Ledger) -> (Vec<i64>, Vec<i64>) {
    let (mut clients, mut invoices) = (Vec::new(), Vec::new());
    for (code, name) in [("A1", "Alpha SARL"), ("B2", "Bêta & Fils")] {
        let mut c = Client::new(code, name);
        c.phone = "01 23 45 67 89".into();
        let (client, invoice) = client_ten_days_late(ledger, c, today());
        clients.push(client);
        invoices.push(invoice);
    }
    (clients, invoices)
}

/// Records today's letters as sent; returns each letter's PDF entry.
fn send_letters(ledger: &mut Ledger) -> Vec<(documents::Letter, documents::ZipEntry)> {
    let work = ledger.work_list(today()).unwrap();
    let letters = ledger.letters(&work.rows, today()).unwrap();
    let (_, entries) = documents::letters_zip(&letters).unwrap();
    for (letter, entry) in letters.iter().zip(&entries) {
        ledger
            .record_document(&letter.facts, today(), entry)
            .unwrap();
    }
    letters.into_iter().zip(entries).collect()
}

/// A ledger holding one of every kind of entry.
fn ledger_with_history(ledger: &mut Ledger) -> (Vec<i64>, Vec<i64>) {
    let (clients, invoices) = two_clients(ledger);
    send_letters(ledger);
    let later = today() + chrono::Days::new(3);
    ledger
        .record_reminder(&NewReminder {
            client_id: clients[0],
            step: 2,
            channel: Channel::Call,
            date: later,
            invoice_ids: vec![],
            outcome: "promesse".into(),
            note: "rappel du gérant".into(),
            manual: false,
        })
        .unwrap();
    ledger
        .add_promise(
            clients[0],
            Money::new(600_00, Currency::EUR),
            later,
            later + chrono::Days::new(7),
            "virement",
        )
        .unwrap();
    let dispute = ledger
        .add_dispute(invoices[1], Some(200_00), "livraison incomplète", later)
        .unwrap();
    ledger
        .close_dispute(dispute, later + chrono::Days::new(2))
        .unwrap();
    ledger
        .set_level(
            &[invoices[1]],
            3,
            later + chrono::Days::new(2),
            "repris de l'ancien outil",
        )
        .unwrap();
    (clients, invoices)
}

#[test]
fn every_fact_enters_the_log_chained_with_its_document() {
    let mut ledger = ledger();
    let (clients, _) = two_clients(&ledger);
    let sent = send_letters(&mut ledger);
    assert_eq!(sent.len(), 2);
    let log = ledger.evidence(Some(clients[0])).unwrap();
    assert_eq!(log.len(), 1);
    let entry = &log[0];
    assert_eq!(
        (entry.kind.as_str(), entry.channel.as_str()),
        ("relance", "letter")
    );
    assert_eq!(entry.date, today());
    assert!(
        entry.recipient.contains("1 rue de la Paix") && entry.recipient.contains("75002 Paris"),
        "{}",
        entry.recipient
    );
    assert_eq!(entry.invoices, "F-A1 1\u{202f}200,00");
    assert_eq!(entry.amount_cents, Some(1_200_00));
    let (letter, pdf) = sent
        .iter()
        .find(|(l, _)| l.facts.client_id == clients[0])
        .unwrap();
    assert_eq!(entry.document_sha256.as_deref(), Some(pdf.sha256.as_str()));
    let (name, media, bytes) = ledger.evidence_document(&pdf.sha256).unwrap().unwrap();
    assert_eq!(
        (name.as_str(), media.as_str()),
        (pdf.name.as_str(), "application/pdf")
    );
    assert!(bytes == pdf.bytes, "the document itself is kept");
    assert!(bytes.starts_with(b"%PDF") && letter.facts.client_id == clients[0]);

    let (clients, invoices) = {
        let mut other = Ledger::open_in_memory().unwrap();
        let ids = ledger_with_history(&mut other);
        ledger = other;
        ids
    };
    ledger
        .hand_over(&NewHandover {
            client_id: clients[1],
            invoice_ids: vec![invoices[1]],
            agency: "Recouvra SAS".into(),
            kind: HandoverKind::Agency,
            date: today() + chrono::Days::new(10),
            fee_terms: "15 % HT des sommes recouvrées".into(),
            note: String::new(),
        })
        .unwrap();
    let kinds: Vec<String> = ledger
        .evidence(None)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "relance",
            "relance",
            "relance",
            "promesse",
            "litige ouvert",
            "litige clos",
            "niveau",
            "transmission au recouvrement"
        ]
    );
    let all = ledger.evidence(None).unwrap();
    let call = &all[2];
    assert_eq!(
        (call.channel.as_str(), call.recipient.as_str()),
        ("call", "01 23 45 67 89")
    );
    assert!(call.detail.contains("promesse") && call.detail.contains("rappel du gérant"));
    assert!(all.last().unwrap().recipient.contains("Recouvra SAS"));
    assert!(all.last().unwrap().detail.contains("15 % HT"));
    // Each entry is chained to the one before.
    assert_eq!(all[0].previous_hash, encaisse::evidence::GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].previous_hash, pair[0].hash);
        assert_ne!(pair[1].hash, pair[0].hash);
    }
    let report = ledger.verify_evidence().unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.entries, 8);
    assert_eq!(report.head, all.last().unwrap().hash);
}

#[test]
fn the_log_refuses_edits_and_finds_those_made_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    {
        let mut ledger = Ledger::open(&path).unwrap();
        ledger_with_history(&mut ledger);
        // Through SQLite, an entry neither changes nor goes.
        let raw = rusqlite::Connection::open(&path).unwrap();
        let refused = raw
            .execute(
                "UPDATE evidence SET recipient = 'ailleurs' WHERE id = 2",
                [],
            )
            .unwrap_err();
        assert!(
            refused.to_string().contains("ne se modifie pas"),
            "{refused}"
        );
        assert!(raw
            .execute("DELETE FROM evidence WHERE id = 2", [])
            .is_err());
        assert!(raw.execute("DELETE FROM evidence_document", []).is_err());
        assert!(ledger.verify_evidence().unwrap().is_intact());
    }
    let count = Ledger::open(&path).unwrap().evidence(None).unwrap().len() as i64;
    assert_eq!(count, 7);
    // Around the triggers: each kind of tampering is found and named.
    let tamper = |sql: &str| {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS evidence_append_only_update; DROP TRIGGER IF EXISTS evidence_append_only_delete;
             DROP TRIGGER IF EXISTS evidence_document_keep_update; {sql}"
        ))
        .unwrap();
        Ledger::open(&path).unwrap().verify_evidence().unwrap()
    };
    let report = tamper("UPDATE evidence SET amount = 1 WHERE id = 4");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].id, 4);
    assert!(
        report.problems[0].message.contains("entrée n° 4")
            && report.problems[0].message.contains("modifiée")
    );
    let report = tamper(
        "UPDATE evidence SET amount = 60000 WHERE id = 4; DELETE FROM evidence WHERE id = 2",
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.id == 2 && p.message == "entrée n° 2 supprimée"),
        "{:?}",
        report.problems
    );
    let report = tamper(&format!("DELETE FROM evidence WHERE id = {count}"));
    assert!(
        report.problems.iter().any(|p| p
            .message
            .contains(&format!("entrée n° {count} (la dernière) supprimée"))),
        "{:?}",
        report.problems
    );
    let report = tamper("UPDATE evidence_document SET bytes = X'00'");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("document")),
        "{:?}",
        report.problems
    );
    // The integrity check of the ledger says it too.
    let problems = Ledger::open(&path).unwrap().integrity_check().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("journal de preuve")),
        "{problems:?}"
    );
}

#[test]
fn handed_invoices_leave_the_work_list_and_the_dashboard_counts_them() {
    let mut ledger = ledger();
    let (clients, invoices) = two_clients(&ledger);
    let day = today();
    let in_list = |ledger: &Ledger, d: Date| -> Vec<i64> {
        ledger
            .work_list(d)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.client_id)
            .collect()
    };
    assert_eq!(in_list(&ledger, day).len(), 2);
    let id = ledger
        .hand_over(&NewHandover {
            client_id: clients[0],
            invoice_ids: vec![],
            agency: "Assur-Crédit".into(),
            kind: HandoverKind::Insurer,
            date: day,
            fee_terms: "forfait 90 €".into(),
            note: String::new(),
        })
        .unwrap();
    assert_eq!(in_list(&ledger, day), vec![clients[1]]);
    assert_eq!(
        in_list(&ledger, day - chrono::Days::new(1)).len(),
        2,
        "not before the day it was handed"
    );
    let board = ledger.dashboard(day, &Default::default()).unwrap();
    assert_eq!(board.collection.in_collection_files, 1);
    assert_eq!(board.collection.in_collection.cents, 1_200_00);
    assert_eq!(board.collection.came_back_files, 0);
    let views = ledger.handovers(Some(clients[0]), day).unwrap();
    assert_eq!(views[0].invoices, ["F-A1"]);
    assert_eq!(views[0].fee_terms, "forfait 90 €");
    // Nothing handed twice by mistake; a wrong invoice is refused.
    let err = ledger
        .hand_over(&NewHandover {
            client_id: clients[0],
            invoice_ids: vec![invoices[1]],
            agency: "X".into(),
            kind: HandoverKind::Agency,
            date: day,
            fee_terms: String::new(),
            note: String::new(),
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("n'est pas une facture ouverte de Alpha SARL"),
        "{err}"
    );
    // Given back: reminded again, and counted as came back.
    let back = day + chrono::Days::new(20);
    ledger
        .end_handover(id, back, HandoverOutcome::Returned)
        .unwrap();
    assert!(in_list(&ledger, back).contains(&clients[0]));
    let board = ledger.dashboard(back, &Default::default()).unwrap();
    assert_eq!(
        (
            board.collection.in_collection_files,
            board.collection.came_back_files
        ),
        (0, 1)
    );
    assert_eq!(board.collection.came_back_open.cents, 1_200_00);
    assert!(
        ledger
            .end_handover(id, back, HandoverOutcome::Recovered)
            .is_err(),
        "ended once"
    );
    assert!(ledger.verify_evidence().unwrap().is_intact());
}

fn export(ledger: &Ledger) -> Vec<(String, Vec<u8>)> {
    let zip = ledger.export_tables_csv().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.push((f.name().to_string(), bytes));
    }
    out
}

#[test]
fn a_backup_restores_to_the_same_ledger_and_keeps_the_current_one_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    encaisse::demo::populate(&mut ledger, today()).unwrap();
    ledger_with_history(&mut ledger);
    let before = export(&ledger);
    assert!(before
        .iter()
        .any(|(n, b)| n == "evidence.csv" && b.len() > 500));
    assert!(before.iter().any(|(n, _)| n == "invoice.csv"));
    let backup = dir.path().join("copie.sqlite");
    let seen = std::cell::Cell::new(0u64);
    let info = ledger
        .backup_to(&backup, &|done, total| {
            assert!(done <= total);
            seen.set(done);
        })
        .unwrap();
    assert!(seen.get() > 0, "progress reported");
    assert!(info.invoices > 10, "{info:?}");
    assert_eq!(info.evidence_entries, ledger.evidence(None).unwrap().len());
    let parts: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "no part file left: {parts:?}");
    // Life goes on, then the backup comes back.
    ledger
        .upsert_client(&Client::new("NEW", "Nouveau client"))
        .unwrap();
    ledger
        .add_promise(1, Money::new(1_00, Currency::EUR), today(), today(), "")
        .unwrap();
    assert_ne!(export(&ledger), before);
    let report = ledger.restore_from(&backup, &|_, _| {}).unwrap();
    assert_eq!(
        export(&ledger),
        before,
        "restored = the ledger as backed up"
    );
    assert!(ledger.integrity_check().unwrap().is_empty());
    assert!(ledger.client_by_code("NEW").is_err());
    // The ledger as it was is kept aside, whole.
    let aside = Ledger::open(&report.kept_aside).unwrap();
    assert_eq!(aside.client_by_code("NEW").unwrap().name, "Nouveau client");
    // And the ledger reopens as restored.
    drop(ledger);
    assert_eq!(export(&Ledger::open(&path).unwrap()), before);
}

#[test]
fn a_restore_refuses_what_is_not_a_sound_ledger_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    two_clients(&ledger);
    let before = export(&ledger);
    let text = dir.path().join("notes.sqlite");
    std::fs::write(&text, "pas une base").unwrap();
    let err = ledger.restore_from(&text, &|_, _| {}).unwrap_err();
    assert!(
        err.to_string()
            .contains("n'est pas une sauvegarde Encaisse"),
        "{err}"
    );
    let other = dir.path().join("autre.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        .unwrap();
    let err = ledger.restore_from(&other, &|_, _| {}).unwrap_err();
    assert!(
        err.to_string()
            .contains("n'est pas un grand livre Encaisse"),
        "{err}"
    );
    // A backup whose log was tampered with is refused, and says why.
    let copy = dir.path().join("copie.sqlite");
    ledger_with_history(&mut Ledger::open(&dir.path().join("b.sqlite")).unwrap());
    std::fs::copy(dir.path().join("b.sqlite"), &copy).unwrap();
    rusqlite::Connection::open(&copy).unwrap().execute_batch(
        "DROP TRIGGER evidence_append_only_update; UPDATE evidence SET detail = 'autre' WHERE id = 1",
    ).unwrap();
    let err = ledger.restore_from(&copy, &|_, _| {}).unwrap_err();
    assert!(err.to_string().contains("entrée n° 1"), "{err}");
    assert_eq!(export(&ledger), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.contains("avant-restauration"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "nothing set aside for a refused restore: {leftovers:?}"
    );
}

/// A ledger with history, its backup, and what the backup holds.
fn ledger_and_backup(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    Vec<(String, Vec<u8>)>,
) {
    let path = dir.join("grand-livre.sqlite");
    let backup = dir.join("copie.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    encaisse::demo::populate(&mut ledger, today()).unwrap();
    ledger_with_history(&mut ledger);
    ledger.backup_to(&backup, &|_, _| {}).unwrap();
    let saved = export(&ledger);
    (path, backup, saved)
}

#[test]
fn a_restore_works_over_a_ledger_that_no_longer_opens_and_keeps_it_aside_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (path, backup, saved) = ledger_and_backup(dir.path());
    // The ledger's first page is lost: it is no longer a database.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..4096].fill(0x5a);
    std::fs::write(&path, &bytes).unwrap();
    assert!(Ledger::open(&path).is_err(), "the damage is real");
    let report = encaisse::backup::restore_file(&path, &backup, &|_, _| {}).unwrap();
    assert_eq!(
        std::fs::read(&report.kept_aside).unwrap(),
        bytes,
        "the damaged file is kept byte for byte"
    );
    let restored = Ledger::open(&path).unwrap();
    assert_eq!(export(&restored), saved);
    assert!(restored.integrity_check().unwrap().is_empty());
    assert!(restored.verify_evidence().unwrap().is_intact());
    let parts: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "no part file left: {parts:?}");
}

#[test]
fn a_restore_works_over_an_open_ledger_whose_pages_are_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let (path, backup, saved) = ledger_and_backup(dir.path());
    // Four pages of data are lost; the header and the schema still read.
    // Which pages hold the schema depends on it: the first run of four
    // from the middle of the file whose loss still lets the ledger open.
    let sound = std::fs::read(&path).unwrap();
    let mut damaged = None;
    for start in (sound.len() / 2 / 4096..sound.len() / 4096 - 4).map(|p| p * 4096) {
        let mut bytes = sound.clone();
        bytes[start..start + 4 * 4096].fill(0xff);
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(ledger) = Ledger::open(&path) {
            if ledger.database_checks().is_ok_and(|c| !c.is_empty()) {
                damaged = Some((ledger, bytes));
                break;
            }
        }
    }
    let (mut ledger, bytes) = damaged.expect("pages whose loss is found but lets the ledger open");
    let report = ledger.restore_from(&backup, &|_, _| {}).unwrap();
    assert_eq!(export(&ledger), saved);
    assert!(ledger.database_checks().unwrap().is_empty());
    assert_eq!(
        std::fs::read(&report.kept_aside).unwrap(),
        bytes,
        "a damaged ledger is kept aside as it is"
    );
    drop(ledger);
    assert_eq!(export(&Ledger::open(&path).unwrap()), saved);
}

#[test]
fn automatic_backups_are_daily_and_keep_the_last_n() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("grand-livre.sqlite")).unwrap();
    two_clients(&ledger);
    ledger.set_backup_keep(3).unwrap();
    assert!(ledger.set_backup_keep(0).is_err());
    let backups = dir.path().join("sauvegardes");
    std::fs::create_dir_all(&backups).unwrap();
    // An earlier interrupted backup left its part file: it is not a backup.
    std::fs::write(backups.join("encaisse-2026-11-01.sqlite.part"), b"partiel").unwrap();
    for n in 0..5 {
        let day = today() + chrono::Days::new(n);
        let made = ledger.auto_backup(day).unwrap().unwrap();
        assert!(made.ends_with(encaisse::backup::daily_name(day)));
        assert!(ledger.auto_backup(day).unwrap().is_none(), "once a day");
    }
    let names: Vec<String> = ledger
        .backups()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "encaisse-2026-11-26.sqlite",
            "encaisse-2026-11-25.sqlite",
            "encaisse-2026-11-24.sqlite"
        ]
    );
    for name in &names {
        let info = encaisse::backup::check_backup(&backups.join(name)).unwrap();
        assert_eq!(info.clients, 2);
    }
}

#[test]
fn the_litigation_file_holds_invoices_statement_reminders_documents_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = ledger();
    let (clients, invoices) = two_clients(&ledger);
    let sent = send_letters(&mut ledger);
    let invoice_pdf = dir.path().join("F-A1.pdf");
    std::fs::write(&invoice_pdf, b"%PDF-1.4 facture").unwrap();
    ledger.set_invoice_pdf(invoices[0], &invoice_pdf).unwrap();
    let later = today() + chrono::Days::new(40);
    let registered = ledger
        .record_reminder(&NewReminder {
            client_id: clients[0],
            step: 5,
            channel: Channel::Registered,
            date: later,
            invoice_ids: vec![],
            outcome: String::new(),
            note: String::new(),
            manual: false,
        })
        .unwrap();
    ledger
        .set_registered_post(
            registered,
            "1A 234 567 8901 2",
            Some(later + chrono::Days::new(2)),
        )
        .unwrap();
    ledger
        .add_promise(
            clients[0],
            Money::new(100_00, Currency::EUR),
            later,
            later,
            "chèque",
        )
        .unwrap();
    ledger
        .add_dispute(invoices[0], Some(50_00), "remise contestée", later)
        .unwrap();
    let as_of = later + chrono::Days::new(5);
    let (zip, summary) = ledger.litigation_file(clients[0], as_of).unwrap();
    assert_eq!(summary.invoices, 1);
    assert_eq!(
        summary.total_open,
        vec![Money::new(1_200_00, Currency::EUR)]
    );
    assert!(
        summary.total_due[0].cents > 1_240_00,
        "principal + indemnity + interest: {:?}",
        summary.total_due
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        files.insert(f.name().to_string(), bytes);
    }
    let text = |name: &str| String::from_utf8_lossy(&files[name]).into_owned();
    assert!(files["01-synthese.pdf"].starts_with(b"%PDF"));
    assert!(text("02-releve-de-compte.csv").contains("F-A1"));
    assert!(
        !text("02-releve-de-compte.csv").contains("F-B2"),
        "only this client"
    );
    let history = text("03-historique.csv");
    assert!(
        history.contains("1A 234 567 8901 2")
            && history.contains(&encaisse::dates::iso(later + chrono::Days::new(2))),
        "{history}"
    );
    assert!(
        history.contains("remise contestée") && history.contains("chèque"),
        "{history}"
    );
    let log = text("04-journal-de-preuve.csv");
    for kind in ["relance", "recommandé", "promesse", "litige ouvert"] {
        assert!(log.contains(kind), "{kind} in {log}");
    }
    let (_, pdf) = sent
        .iter()
        .find(|(l, _)| l.facts.client_id == clients[0])
        .unwrap();
    let kept: Vec<&String> = files
        .keys()
        .filter(|n| n.starts_with("relances/"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(files[kept[0]] == pdf.bytes, "the letter as sent");
    assert_eq!(files["factures/f-a1.pdf"], b"%PDF-1.4 facture");
    assert!(text("LISEZMOI.txt").contains("aucune modification"));
    // The summary reads as a French bookkeeper expects.
    let words = pdf_text(&files["01-synthese.pdf"]);
    for expected in [
        "Dossier contentieux",
        "Alpha SARL",
        "F-A1",
        "1 200,00",
        "Total réclamé",
        "1A 234 567 8901 2",
    ] {
        assert!(words.contains(expected), "{expected} in {words}");
    }
}

/// The text of a PDF, through poppler's pdftotext when present.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by the test command");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_litigation_file_in_two_currencies_keeps_a_total_per_currency() {
    use encaisse::ledger::NewInvoice;
    let ledger = ledger();
    let today = date("2026-11-22");
    let (client, _) = client_ten_days_late(&ledger, Client::new("GB1", "Albion Ltd"), today);
    ledger
        .add_invoice(&NewInvoice {
            client_id: client,
            number: "UK-7".into(),
            issue_date: date("2026-10-01"),
            due_date: Some(date("2026-10-31")),
            amount: Money::new(500_00, Currency::parse("GBP").unwrap()),
            label: String::new(),
        })
        .unwrap();
    let (zip, summary) = ledger.litigation_file(client, today).unwrap();
    let mut open: Vec<(String, i64)> = summary
        .total_open
        .iter()
        .map(|m| (m.currency.as_str().to_string(), m.cents))
        .collect();
    open.sort();
    assert_eq!(
        open,
        [("EUR".to_string(), 1_200_00), ("GBP".to_string(), 500_00)],
        "1 200 € and 500 £ are never 1 700 of anything"
    );
    assert_eq!(summary.total_due.len(), 2);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut pdf = Vec::new();
    archive
        .by_name("01-synthese.pdf")
        .unwrap()
        .read_to_end(&mut pdf)
        .unwrap();
    let text = pdf_text(&pdf);
    assert!(
        text.contains("500,00 £") && text.contains("1 200,00 €"),
        "each total in its own currency: {text}"
    );
    assert!(
        !text.contains("1 700,00"),
        "no sum across currencies: {text}"
    );
}

#[test]
fn no_csv_the_app_writes_lets_a_spreadsheet_run_a_formula() {
    use encaisse::ledger::NewInvoice;
    let ledger = ledger();
    let today = date("2026-11-22");
    let (client, _) = client_ten_days_late(
        &ledger,
        Client::new("X1", "=HYPERLINK(\"http://x\")"),
        today,
    );
    ledger
        .add_invoice(&NewInvoice {
            client_id: client,
            number: "=2+3".into(),
            issue_date: date("2026-10-01"),
            due_date: Some(date("2026-10-31")),
            amount: Money::new(10_00, Currency::EUR),
            label: "@cmd".into(),
        })
        .unwrap();
    let csv_files = |zip: Vec<u8>| {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut texts = Vec::new();
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            if f.name().ends_with(".csv") {
                let mut text = String::new();
                f.read_to_string(&mut text).unwrap();
                texts.push((f.name().to_string(), text));
            }
        }
        texts
    };
    let (litigation, _) = ledger.litigation_file(client, today).unwrap();
    let export = ledger.export_tables_csv().unwrap();
    let mut seen = 0;
    for (name, text) in csv_files(litigation).into_iter().chain(csv_files(export)) {
        for cell in text.lines().flat_map(|l| l.split(';')) {
            let cell = cell.trim_start_matches('\u{feff}').trim_matches('"');
            assert!(
                !cell.starts_with(['=', '@']),
                "{name}: a cell starts a formula: {cell}"
            );
            seen += usize::from(cell.starts_with("'=") || cell.starts_with("'@"));
        }
    }
    assert!(seen >= 3, "the hostile texts are there, defused ({seen})");
}

#[test]
fn two_backups_of_the_same_day_at_once_both_succeed_and_leave_one_sound_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    {
        let ledger = Ledger::open(&path).unwrap();
        two_clients(&ledger);
    }
    let dest = dir.path().join("sauvegarde.sqlite");
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    // The window and the command line: each its own connection.
                    let ledger = Ledger::open(&path).unwrap();
                    for _ in 0..5 {
                        ledger.backup_to(&dest, &|_, _| {}).expect("a backup");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("no writer failed");
        }
    });
    assert_eq!(encaisse::backup::check_backup(&dest).unwrap().clients, 2);
    let parts: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "{parts:?}");
}

#[test]
fn a_chain_rewritten_whole_passes_its_own_checks_but_not_the_head_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
    ledger_with_history(&mut ledger);
    let receipt = ledger.head_receipt(chrono::Local::now()).unwrap();
    let head = ledger.verify_evidence().unwrap().head;
    assert!(
        receipt.contains(&head) && receipt.contains("log verify --head"),
        "{receipt}"
    );
    assert!(ledger.chain_holds(&head).unwrap());
    assert!(
        ledger.chain_holds(&head.to_uppercase()).unwrap(),
        "as typed"
    );
    // A chain written whole by someone else — what a forger recomputing
    // every hash would produce — passes its own checks...
    // Here its first entry differs (a promise that was never made).
    let mut forged = Ledger::open(&dir.path().join("forged.sqlite")).unwrap();
    let client = forged
        .upsert_client(&Client::new("Z9", "Client inventé"))
        .unwrap();
    forged
        .add_promise(
            client,
            Money::new(1_00, Currency::EUR),
            today(),
            today(),
            "",
        )
        .unwrap();
    ledger_with_history(&mut forged);
    assert!(forged.verify_evidence().unwrap().is_intact());
    // ...but does not pass through the head kept aside.
    assert!(!forged.chain_holds(&head).unwrap());
}

//! Opening a ledger.

use encaisse::store::SCHEMA_VERSION;
use encaisse::{Error, Ledger};

#[test]
fn a_new_ledger_gets_every_migration_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/encaisse.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(
        ledger.schema_version().unwrap(),
        SCHEMA_VERSION,
        "all migrations must be applied to an empty ledger"
    );
    drop(ledger);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "the ledger must use write-ahead logging");
    let strict: Vec<(String, i64)> = conn
        .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(strict.len() >= 7);
    for (table, is_strict) in strict {
        assert_eq!(is_strict, 1, "table {table} must be STRICT");
    }
}

#[test]
fn foreign_keys_are_enforced() {
    let ledger = Ledger::open_in_memory().unwrap();
    let new = encaisse::ledger::NewPayment {
        client_id: 42,
        date: "2026-01-01".parse().unwrap(),
        amount: encaisse::money::Money::new(100, encaisse::money::Currency::EUR),
        method: String::new(),
        reference: String::new(),
    };
    assert!(
        ledger.record_payment(&new).is_err(),
        "a payment for a missing client must be refused"
    );
}

#[test]
fn reopening_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    ledger.set_setting("k", "v").unwrap();
    drop(ledger);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.setting("k").unwrap().as_deref(), Some("v"));
    assert_eq!(ledger.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(ledger.integrity_check().unwrap().is_empty());
}

#[test]
fn a_ledger_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x INTEGER); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path)
        .err()
        .expect("a newer ledger must be refused");
    assert!(matches!(err, Error::NewerSchema { found: 99, .. }), "{err}");
    assert!(
        err.to_string().contains("version plus récente"),
        "the message must say why: {err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the newer ledger must not be modified"
    );
    assert!(
        !dir.path().join("future.sqlite-wal").exists(),
        "no WAL file may be created for a refused ledger"
    );
}

/// A ledger written by schema version 1, with a client, an invoice, a credit
/// note, a payment and their matching.
fn version_1_ledger(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../migrations/0001_init.sql"))
        .unwrap();
    conn.execute_batch(
        "PRAGMA user_version = 1;
         INSERT INTO client (id, code, name) VALUES (1, 'C1', 'Dupont SARL');
         INSERT INTO invoice (id, client_id, number, kind, issue_date, due_date, amount)
             VALUES (1, 1, 'F1', 'invoice', '2026-01-01', '2026-01-31', 120000),
                    (2, 1, 'A1', 'credit_note', '2026-01-05', '2026-01-05', -20000);
         INSERT INTO payment (id, client_id, date, amount) VALUES (1, 1, '2026-02-01', 50000);
         INSERT INTO allocation (invoice_id, payment_id, amount, date, created_at)
             VALUES (1, 1, 50000, '2026-02-01', 'x');
         INSERT INTO allocation (invoice_id, credit_note_id, amount, date, created_at)
             VALUES (1, 2, 20000, '2026-01-05', 'x');",
    )
    .unwrap();
}

#[test]
fn an_older_ledger_is_upgraded_with_its_facts_and_rules_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    version_1_ledger(&path);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(ledger.integrity_check().unwrap().is_empty());
    let page = ledger
        .invoices(&encaisse::ledger::InvoiceFilter::default())
        .unwrap();
    assert_eq!(page.total_count, 2, "both documents must survive");
    let f1 = page.rows.iter().find(|r| r.number == "F1").unwrap();
    assert_eq!(f1.open_cents, 50000, "1 200 − 500 paid − 200 credited");
    drop(ledger);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let bad_kind = conn.execute(
        "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount) VALUES (1, 'X', 'devis', '2026-01-01', '2026-01-01', 1)",
        [],
    );
    assert!(bad_kind.is_err(), "the kind must still be checked");
    let orphan = conn.execute(
        "INSERT INTO allocation (invoice_id, payment_id, amount, date, created_at) VALUES (99, 1, 1, '2026-01-01', 'x')",
        [],
    );
    assert!(
        orphan.is_err(),
        "matching must still point at a real invoice"
    );
}

#[test]
fn an_upgrade_that_would_break_a_reference_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite");
    version_1_ledger(&path);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        // Written with foreign keys off, as a damaged file could be.
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        conn.execute(
            "INSERT INTO allocation (invoice_id, payment_id, amount, date, created_at) VALUES (77, 1, 1, '2026-01-01', 'x')",
            [],
        )
        .unwrap();
    }
    let err = Ledger::open(&path).err().expect("must be refused");
    assert!(err.to_string().contains("référence"), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1, "nothing of the upgrade may be kept");
}

#[test]
fn a_write_that_waits_too_long_names_who_holds_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grand-livre.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    // Each process that opens the ledger leaves its name beside it.
    let folder = dir.path().join(".grand-livre.sqlite.writers");
    let own = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(own, 1, "this process is named");
    // Another process (alive) that named itself, and one that died.
    let mut other = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(
        folder.join(format!("{}-0", other.id())),
        "encaisse-cli backup --auto",
    )
    .unwrap();
    std::fs::write(folder.join("999999999-0"), "un programme mort").unwrap();
    assert_eq!(
        encaisse::writers::others(&path),
        vec![format!("encaisse-cli backup --auto (pid {})", other.id())]
    );
    assert!(
        !folder.join("999999999-0").exists(),
        "a dead mark is cleared"
    );
    // It holds the write lock; a write here waits, then says who.
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = ledger
        .upsert_client(&encaisse::model::Client::new("C1", "Client"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "occupé depuis plus de 5 secondes par encaisse-cli backup --auto (pid {})",
            other.id()
        )),
        "{err}"
    );
    holder.execute_batch("ROLLBACK").unwrap();
    other.kill().unwrap();
    let _ = other.wait();
    drop(ledger);
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        1,
        "closing the ledger removes its own mark (the other's stays until it is found dead)"
    );
}

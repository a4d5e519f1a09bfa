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

//! The ledger file: SQLite with versioned migrations, WAL and foreign keys.
//!
//! Migrations are embedded, numbered, applied in one transaction each and
//! never edited once shipped. `PRAGMA user_version` holds the schema version;
//! a ledger from a newer Encaisse is refused before anything is written.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// The migrations, in order. Index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_invoice_kind_check.sql"),
    include_str!("../migrations/0003_follow_up.sql"),
    include_str!("../migrations/0004_outbox.sql"),
    include_str!("../migrations/0005_evidence.sql"),
];

/// Indexes that serve reads only (no constraint), as the migrations create
/// them: a large import drops them and builds them again at the end. A test
/// checks this list against the schema the migrations produce.
const SECONDARY_INDEXES: &[(&str, &str)] = &[
    ("invoice_client", "invoice(client_id)"),
    ("invoice_due", "invoice(due_date)"),
    ("payment_client", "payment(client_id)"),
    ("allocation_invoice", "allocation(invoice_id)"),
    ("allocation_payment", "allocation(payment_id)"),
    ("allocation_credit", "allocation(credit_note_id)"),
];

pub(crate) fn drop_secondary_indexes(conn: &Connection) -> Result<()> {
    for (name, _) in SECONDARY_INDEXES {
        conn.execute_batch(&format!("DROP INDEX {name}"))?;
    }
    Ok(())
}

pub(crate) fn create_secondary_indexes(conn: &Connection) -> Result<()> {
    for (name, on) in SECONDARY_INDEXES {
        conn.execute_batch(&format!("CREATE INDEX {name} ON {on}"))?;
    }
    Ok(())
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An open ledger.
pub struct Ledger {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
}

impl Ledger {
    /// Opens (or creates) the ledger at `path`, applying pending migrations.
    pub fn open(path: &Path) -> Result<Ledger> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut ledger = Ledger {
            conn,
            path: Some(path.to_path_buf()),
        };
        ledger.prepare().map_err(|e| match e {
            Error::Db(source) => Error::Open {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        Ok(ledger)
    }

    /// A throw-away ledger in memory (tests, previews).
    pub fn open_in_memory() -> Result<Ledger> {
        let mut ledger = Ledger {
            conn: Connection::open_in_memory()?,
            path: None,
        };
        ledger.prepare()?;
        Ok(ledger)
    }

    /// Where the ledger lives (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open ledger.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The highest row id of `table` (0 when empty), to size the sums of a scan.
    pub(crate) fn max_id(&self, table: &'static str) -> Result<i64> {
        let sql = match table {
            "invoice" => "SELECT COALESCE(MAX(id), 0) FROM invoice",
            "payment" => "SELECT COALESCE(MAX(id), 0) FROM payment",
            other => unreachable!("no sums are kept per {other}"),
        };
        Ok(self.conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
    }

    /// Applies pending migrations again (after a restore from an older backup).
    pub(crate) fn prepare_again(&mut self) -> Result<()> {
        self.prepare()
    }

    fn prepare(&mut self) -> Result<()> {
        // Read the version before any write: a newer ledger must stay untouched.
        let found: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                found,
                known: SCHEMA_VERSION,
            });
        }
        self.conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if self.path.is_some() {
            let _mode: String = self
                .conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
            // 32 MB of page cache: large imports and reports stay in memory.
            self.conn.pragma_update(None, "cache_size", -32_000)?;
        }
        // Foreign keys are off while tables are rebuilt (SQLite's documented
        // procedure); each migration checks them before it commits.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let migrated = self.migrate(found);
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        migrated
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            let broken: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(Error::invalid(
                    format!("migration {}", index + 1),
                    format!("{broken} référence(s) cassée(s) : le grand livre n'a pas été modifié"),
                ));
            }
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Copies the write-ahead log into the ledger file on another thread,
    /// after a large write, so that the next action does not wait for it.
    pub(crate) fn checkpoint_in_background(&self) {
        let Some(path) = self.path.clone() else {
            return;
        };
        std::thread::spawn(move || {
            // Best effort: SQLite checkpoints on its own later if this fails.
            if let Ok(conn) = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            {
                let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
    }

    /// A setting stored in the ledger.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Runs SQLite's own checks (`PRAGMA integrity_check`, `foreign_key_check`)
    /// and walks the evidence chain; empty = all is well.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        Ledger::checks_of(&self.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secondary_index_list_is_the_schema_s() {
        let ledger = Ledger::open_in_memory().unwrap();
        let mut stmt = ledger
            .conn
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
                 AND tbl_name IN ('invoice', 'payment', 'allocation') AND sql NOT LIKE 'CREATE UNIQUE%'
                 ORDER BY name",
            )
            .unwrap();
        let found: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut listed: Vec<(String, String)> = SECONDARY_INDEXES
            .iter()
            .map(|(name, on)| (name.to_string(), format!("CREATE INDEX {name} ON {on}")))
            .collect();
        listed.sort();
        assert_eq!(found, listed);
    }
}

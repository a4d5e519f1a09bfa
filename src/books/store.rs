//! The ledger file: SQLite with versioned migrations, WAL and foreign keys.
//!
//! Migrations are embedded, numbered, applied in one transaction each and
//! never edited once shipped. `PRAGMA user_version` holds the schema version;
//! a ledger from a newer Encaisse is refused before anything is written.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Gives the memory freed by a large piece of work (an import's plan of a
/// million lines) back to the system. The C allocator of Linux keeps freed
/// blocks for reuse: a window that ran such an import would keep a hundred
/// megabytes and more for as long as it stays open, and the next import
/// would come on top of them. Elsewhere there is nothing to do.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's
    // arenas to the system; it touches nothing in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes the C allocator of Linux give large blocks (1 MB and more) their
/// own mapping, always: freed, they go back to the system at once. By
/// default it raises that threshold each time such a block is freed, so
/// that after a first large import the next one's buffers come from the
/// shared heap, are copied when they grow and are kept once freed: the
/// next year's import peaked 20 MB higher than the first one's. Called
/// once at start by the window and the command line.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's threshold parameter.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The migrations, in order. Index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_invoice_kind_check.sql"),
    include_str!("../../migrations/0003_follow_up.sql"),
    include_str!("../../migrations/0004_outbox.sql"),
    include_str!("../../migrations/0005_evidence.sql"),
    include_str!("../../migrations/0006_books_over_time.sql"),
    include_str!("../../migrations/0007_outbox_safety.sql"),
    include_str!("../../migrations/0008_company_payment.sql"),
    include_str!("../../migrations/0009_client_siren.sql"),
    include_str!("../../migrations/0010_bank.sql"),
    include_str!("../../migrations/0011_invoice_document.sql"),
    include_str!("../../migrations/0012_payment_reference.sql"),
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

/// The highest row id of `table` (0 when empty), to size the sums of a scan
/// or cut it in two.
pub(crate) fn max_id(conn: &Connection, table: &'static str) -> Result<i64> {
    let sql = match table {
        "invoice" => "SELECT COALESCE(MAX(id), 0) FROM invoice",
        "payment" => "SELECT COALESCE(MAX(id), 0) FROM payment",
        other => unreachable!("no sums are kept per {other}"),
    };
    Ok(conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
}

/// How long a connection waits for a lock held by another.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A read-only connection to the ledger at `path`, for [`Ledger::read_in_two`].
fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    Ok(conn)
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An open ledger.
pub struct Ledger {
    /// A second, read-only connection to the file, opened on first use by
    /// [`Ledger::read_in_two`]. Declared first to be closed first: the last
    /// connection to close copies the write-ahead log into the file and
    /// removes it, and a read-only one cannot.
    reader: RefCell<Option<Connection>>,
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    /// This process's name left beside the file, for the busy message of
    /// the others.
    _mark: Option<crate::books::writers::Mark>,
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
            reader: RefCell::new(None),
            _mark: crate::books::writers::mark(path),
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
            reader: RefCell::new(None),
            _mark: None,
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

    /// Applies pending migrations again (after a restore from an older backup).
    pub(crate) fn prepare_again(&mut self) -> Result<()> {
        // The second connection read the ledger as it was.
        *self.reader.get_mut() = None;
        self.prepare()
    }

    /// Runs `body` with the ledger's connection and, when it can, a second
    /// connection to the same file, both reading the same state of the
    /// ledger for as long as `body` runs: `body` may then read part of what
    /// it needs on another thread (the machine has two cores and a scan
    /// uses one).
    ///
    /// The two read the same state because the ledger's connection holds
    /// the write lock (`BEGIN IMMEDIATE`, nothing is written) while the
    /// second one starts reading: no other writer can commit in between,
    /// so both see the latest commit. Writers elsewhere wait for `body`
    /// (tens of milliseconds); readers never do.
    ///
    /// A ledger in memory, a transaction already open (the second
    /// connection would not see its changes), a lock held elsewhere or a
    /// second connection that cannot be opened: `body` gets no second
    /// connection and reads everything on one, in one snapshot.
    pub(crate) fn read_in_two<R>(
        &self,
        body: impl FnOnce(&Connection, Option<&mut Connection>) -> Result<R>,
    ) -> Result<R> {
        let mut slot = match (&self.path, self.conn.is_autocommit()) {
            (Some(path), true) => self.reader.try_borrow_mut().ok().map(|mut slot| {
                if slot.is_none() {
                    *slot = open_reader(path).ok();
                }
                slot
            }),
            _ => None,
        };
        let reader = slot.as_mut().and_then(|slot| slot.as_mut());
        let Some(reader) = reader.filter(|_| self.lock_for_reading()) else {
            let _snapshot = self.snapshot()?;
            return body(&self.conn, None);
        };
        let result = reader
            .execute_batch("BEGIN")
            // The first read fixes the second connection's snapshot.
            .and_then(|_| reader.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(())))
            .map_err(Error::from)
            .and_then(|_| body(&self.conn, Some(&mut *reader)));
        if !reader.is_autocommit() {
            let _ = reader.execute_batch("ROLLBACK");
        }
        self.conn.execute_batch("ROLLBACK")?;
        result
    }

    /// A read transaction, so that several reads see one state of the
    /// ledger; none when the caller already holds one.
    pub(crate) fn snapshot(&self) -> Result<Option<rusqlite::Transaction<'_>>> {
        Ok(if self.conn.is_autocommit() {
            // Deferred: a reader never holds the write lock.
            Some(rusqlite::Transaction::new_unchecked(
                &self.conn,
                rusqlite::TransactionBehavior::Deferred,
            )?)
        } else {
            None
        })
    }

    /// Takes the write lock to read under it, if no one else holds it
    /// (without waiting: the reads can do without a second connection).
    fn lock_for_reading(&self) -> bool {
        let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
        let locked = self.conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        locked
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
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Every write transaction takes the write lock when it begins: one
        // that started by reading could not wait for it later (SQLite
        // refuses the upgrade at once, whatever the busy timeout), and two
        // processes on one ledger would fail with "database is locked".
        self.conn
            .set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
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
                    format!(
                        "{} : le grand livre n'a pas été modifié",
                        crate::words::fr(broken, "référence cassée", "références cassées")
                    ),
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

    fn writer(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::ZERO).unwrap();
        conn
    }

    fn insert(conn: &Connection, key: &str) -> rusqlite::Result<usize> {
        conn.execute("INSERT INTO setting (key, value) VALUES (?1, 'x')", [key])
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM setting", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn two_connections_read_one_state_and_writers_wait_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.sqlite");
        let ledger = Ledger::open(&path).unwrap();
        let other = writer(&path);
        insert(&other, "before").unwrap();
        let seen = ledger
            .read_in_two(|conn, second| {
                let second = second.expect("a file ledger gets a second connection");
                let first_count = count(conn);
                // Another writer cannot commit while the two read…
                let refused = insert(&other, "during").unwrap_err();
                assert_eq!(
                    refused.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy),
                    "a writer waits for the reads"
                );
                // …so the second connection reads what the first one does.
                assert_eq!(count(second), first_count);
                Ok(first_count)
            })
            .unwrap();
        assert_eq!(seen, count(&other), "the state of the last commit");
        insert(&other, "after").unwrap();
        assert!(ledger.conn.is_autocommit(), "the lock is let go");
        let again = ledger
            .read_in_two(|conn, second| Ok((count(conn), count(second.unwrap()))))
            .unwrap();
        assert_eq!(
            again,
            (seen + 1, seen + 1),
            "the next reads see the new commit"
        );
    }

    #[test]
    fn a_ledger_read_on_two_connections_closes_into_its_file_alone() {
        // Regression: the second connection, closed last and read-only,
        // left the write-ahead log beside the file, and a copy of the file
        // alone had lost the ledger's last writes.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("closed.sqlite");
        let ledger = Ledger::open(&path).unwrap();
        insert(&ledger.conn, "written").unwrap();
        ledger
            .read_in_two(|_, second| {
                assert!(second.is_some());
                Ok(())
            })
            .unwrap();
        drop(ledger);
        assert!(!dir.path().join("closed.sqlite-wal").exists());
        let copy = dir.path().join("copy.sqlite");
        std::fs::copy(&path, &copy).unwrap();
        assert_eq!(count(&Connection::open(&copy).unwrap()), 1);
    }

    #[test]
    fn without_a_second_connection_the_reads_share_one_snapshot() {
        // In memory: nothing to open a second connection on.
        let memory = Ledger::open_in_memory().unwrap();
        memory
            .read_in_two(|conn, second| {
                assert!(second.is_none());
                assert!(!conn.is_autocommit(), "one snapshot for all the reads");
                Ok(())
            })
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.sqlite");
        let ledger = Ledger::open(&path).unwrap();
        // Inside a transaction: a second connection would miss its changes.
        let tx = ledger.conn.unchecked_transaction().unwrap();
        insert(&tx, "uncommitted").unwrap();
        let seen = ledger
            .read_in_two(|conn, second| {
                assert!(second.is_none(), "the caller's transaction is read");
                Ok(count(conn))
            })
            .unwrap();
        assert_eq!(seen, 1);
        tx.rollback().unwrap();
        // Another writer holding the lock: read alone rather than wait.
        let other = writer(&path);
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        insert(&other, "held").unwrap();
        let started = std::time::Instant::now();
        let seen = ledger
            .read_in_two(|conn, second| {
                assert!(second.is_none());
                Ok(count(conn))
            })
            .unwrap();
        assert_eq!(seen, 0, "the other writer's change is not committed");
        assert!(started.elapsed() < BUSY_TIMEOUT, "no wait for the lock");
        other.execute_batch("COMMIT").unwrap();
    }

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

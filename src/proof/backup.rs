//! Backups (A6): SQLite's online backup into a new file, checked, then
//! renamed into place — an interruption at any moment leaves a `.part` file
//! and nothing else, the ledger and the earlier backups untouched. Automatic
//! daily backups keep the last N. Restore checks the file first and keeps
//! the current ledger aside. A full CSV export of every table.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::dates::{self, Date};
use crate::error::{Error, Result};
use crate::store::{Ledger, SCHEMA_VERSION};

/// Setting: how many automatic backups to keep.
pub const KEEP_SETTING: &str = "backup_keep";
/// Setting: where automatic backups go (default: `sauvegardes` next to the ledger).
pub const DIR_SETTING: &str = "backup_dir";
/// Kept when the setting is absent.
pub const DEFAULT_KEEP: usize = 10;

/// What a backup file holds, once checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub schema_version: i64,
    pub clients: i64,
    pub invoices: i64,
    pub evidence_entries: usize,
    pub size_bytes: u64,
}

/// How a restore went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestoreReport {
    pub restored: BackupInfo,
    /// The ledger as it was before, kept aside.
    pub kept_aside: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file a copy to `dest` is written into before its rename: its own
/// for each writer (process and copy), so two backups of the same day (the
/// window's and the command line's) never write into one file.
fn part_of(dest: &Path) -> PathBuf {
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let copy = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{copy}.part", std::process::id()));
    dest.with_file_name(name)
}

/// Removes the part files an interrupted copy to `dest` left, once they
/// are an hour old (a live writer's are younger).
fn remove_stale_parts(dest: &Path) {
    let (Some(dir), Some(name)) = (dest.parent(), dest.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let file = entry.file_name().to_string_lossy().into_owned();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if file.starts_with(&prefix) && file.ends_with(".part") && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Copies the open database `conn` into `dest` through a `.part` file.
fn copy_database(conn: &Connection, dest: &Path, progress: &dyn Fn(u64, u64)) -> Result<()> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let part = part_of(dest);
    remove_stale_parts(dest);
    let outcome = (|| -> Result<()> {
        let mut target = Connection::open(&part).map_err(|source| Error::Open {
            path: part.clone(),
            source,
        })?;
        {
            let backup = rusqlite::backup::Backup::new(conn, &mut target)?;
            loop {
                let step = backup.step(256)?;
                let p = backup.progress();
                let total = p.pagecount.max(1) as u64;
                progress(total - p.remaining.max(0) as u64, total);
                match step {
                    rusqlite::backup::StepResult::Done => break,
                    rusqlite::backup::StepResult::More => {}
                    _ => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        }
        // One self-contained file: no write-ahead log beside it.
        let _: String = target.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))?;
        let problems = Ledger::checks_of(&target)?;
        if !problems.is_empty() {
            return Err(Error::invalid(
                "sauvegarde",
                format!(
                    "la copie ne passe pas les contrôles : {}",
                    problems.join(" ; ")
                ),
            ));
        }
        drop(target);
        std::fs::File::open(&part)
            .and_then(|f| f.sync_all())
            .map_err(io(&part))?;
        std::fs::rename(&part, dest).map_err(io(dest))?;
        if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            // The rename itself reaches the disk (best effort off Unix).
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    outcome
}

/// Checks a backup file without changing it: an SQLite file of Encaisse
/// that passes `integrity_check`, the foreign keys and the evidence chain.
pub fn check_backup(path: &Path) -> Result<BackupInfo> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    let mut head = [0u8; 16];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(io(path))?;
        if f.read_exact(&mut head).is_err() || &head != b"SQLite format 3\0" {
            return Err(Error::invalid(
                path.display().to_string(),
                "ce fichier n'est pas une sauvegarde Encaisse (ce n'est pas une base SQLite)",
            ));
        }
    }
    // Checked on a copy: a file in WAL mode cannot be opened read-only
    // without its companions, and the original must stay as it is.
    let dir = tempfile_dir(path)?;
    let copy = dir.join("verification.sqlite");
    std::fs::copy(path, &copy).map_err(io(path))?;
    let info = (|| {
        let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(
            |source| Error::Open {
                path: path.to_path_buf(),
                source,
            },
        )?;
        inspect(&conn, path, meta.len())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    info
}

/// Replaces the ledger file at `ledger_path` by the backup at `source`
/// without opening the ledger: the way back when it is damaged or cannot
/// be opened at all. The file found there (and its write-ahead log) is
/// moved aside as it is, then the checked copy takes its place; the
/// backup's queued messages come back held.
///
/// No other process may have the ledger open (the window restores this way
/// only when it could not open it).
pub fn restore_file(
    ledger_path: &Path,
    source: &Path,
    progress: &dyn Fn(u64, u64),
) -> Result<RestoreReport> {
    let info = check_backup(source)?;
    if same_file(ledger_path, source) {
        return Err(Error::invalid(
            "restauration",
            "ce fichier est le grand livre à remplacer",
        ));
    }
    let dir = tempfile_dir(source)?;
    let staged = (|| -> Result<PathBuf> {
        let copy = dir.join("restauration.sqlite");
        std::fs::copy(source, &copy).map_err(io(source))?;
        ready_to_restore(&copy)?;
        progress(1, 2);
        // Beside the ledger, so that the last step is a rename.
        let part = part_of(ledger_path);
        std::fs::copy(&copy, &part).map_err(io(&part))?;
        std::fs::File::open(&part)
            .and_then(|f| f.sync_all())
            .map_err(io(&part))?;
        Ok(part)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let part = staged?;
    let aside = aside_name(ledger_path);
    let moved = (|| -> Result<()> {
        if ledger_path.exists() {
            std::fs::rename(ledger_path, &aside).map_err(io(ledger_path))?;
        }
        for suffix in ["-wal", "-journal"] {
            let side = with_suffix(ledger_path, suffix);
            if side.exists() {
                std::fs::rename(&side, with_suffix(&aside, suffix)).map_err(io(&side))?;
            }
        }
        let _ = std::fs::remove_file(with_suffix(ledger_path, "-shm"));
        std::fs::rename(&part, ledger_path).map_err(io(ledger_path))
    })();
    if moved.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    moved?;
    if let Some(dir) = ledger_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    progress(2, 2);
    Ok(RestoreReport {
        restored: info,
        kept_aside: aside,
    })
}

/// Where the ledger at `ledger_path` is kept before a restore.
fn aside_name(ledger_path: &Path) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    let stem = ledger_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "encaisse".into());
    ledger_path.with_file_name(format!("{stem}.avant-restauration-{stamp}.sqlite"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Keeps the ledger file (and its write-ahead log) at `aside` byte for byte:
/// a damaged ledger cannot be copied through SQLite.
fn keep_as_is(ledger_path: &Path, aside: &Path) -> Result<()> {
    std::fs::copy(ledger_path, aside).map_err(io(aside))?;
    let wal = with_suffix(ledger_path, "-wal");
    if wal.exists() {
        std::fs::copy(&wal, with_suffix(aside, "-wal")).map_err(io(aside))?;
    }
    Ok(())
}

/// Makes the private copy of a backup ready to go live: brought to this
/// version's schema, its queued messages held (they may have been sent
/// since the backup was taken), one self-contained file.
fn ready_to_restore(copy: &Path) -> Result<()> {
    let ledger = Ledger::open(copy)?;
    ledger.hold_queued(
        "restauré depuis une sauvegarde : il est peut-être parti depuis ; envoyez-le ou annulez-le",
    )?;
    let _: String = ledger
        .conn
        .query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))?;
    Ok(())
}

fn tempfile_dir(near: &Path) -> Result<PathBuf> {
    let base = std::env::temp_dir();
    let name = format!(
        "encaisse-verif-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let dir = base.join(name);
    std::fs::create_dir_all(&dir).map_err(io(near))?;
    Ok(dir)
}

fn inspect(conn: &Connection, path: &Path, size: u64) -> Result<BackupInfo> {
    let refuse = |why: String| Error::invalid(path.display().to_string(), why);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| refuse(format!("fichier illisible ({e})")))?;
    let has_client: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('client', 'invoice', 'company')",
        [],
        |r| r.get(0),
    )?;
    if version < 1 || has_client < 3 {
        return Err(refuse(
            "ce fichier SQLite n'est pas un grand livre Encaisse".into(),
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(refuse(format!(
            "sauvegarde écrite par une version plus récente d'Encaisse (schéma {version}, celle-ci connaît {SCHEMA_VERSION})"
        )));
    }
    let problems = Ledger::checks_of(conn)?;
    if !problems.is_empty() {
        return Err(refuse(format!(
            "la sauvegarde est endommagée : {}",
            problems.join(" ; ")
        )));
    }
    let clients: i64 = conn.query_row("SELECT count(*) FROM client", [], |r| r.get(0))?;
    let invoices: i64 = conn.query_row("SELECT count(*) FROM invoice", [], |r| r.get(0))?;
    let evidence_entries: i64 = if version >= 5 {
        conn.query_row("SELECT count(*) FROM evidence", [], |r| r.get(0))?
    } else {
        0
    };
    Ok(BackupInfo {
        path: path.to_path_buf(),
        schema_version: version,
        clients,
        invoices,
        evidence_entries: evidence_entries as usize,
        size_bytes: size,
    })
}

/// The name of the automatic backup of a day.
pub fn daily_name(day: Date) -> String {
    format!("encaisse-{}.sqlite", dates::iso(day))
}

fn is_daily_name(name: &str) -> bool {
    name.len() == "encaisse-2026-01-01.sqlite".len()
        && name.starts_with("encaisse-")
        && name.ends_with(".sqlite")
        && dates::parse_iso(&name[9..19]).is_ok()
}

impl Ledger {
    /// SQLite's own checks of the open ledger: `integrity_check` and the
    /// foreign keys (the evidence chain is [`Ledger::verify_evidence`]).
    pub fn database_checks(&self) -> Result<Vec<String>> {
        Ledger::sqlite_checks(&self.conn)
    }

    fn sqlite_checks(conn: &Connection) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
                let row = row?;
                if row != "ok" {
                    problems.push(row);
                }
            }
            let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
            for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
                problems.push(format!("clé étrangère rompue dans {}", row?));
            }
        }
        Ok(problems)
    }

    /// SQLite's checks, the foreign keys and (from schema 5) the evidence chain.
    pub(crate) fn checks_of(conn: &Connection) -> Result<Vec<String>> {
        let mut problems = Ledger::sqlite_checks(conn)?;
        let has_evidence: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'evidence'",
            [],
            |r| r.get(0),
        )?;
        if has_evidence == 1 && problems.is_empty() {
            let report = crate::evidence::verify_chain(conn)?;
            problems.extend(
                report
                    .problems
                    .into_iter()
                    .map(|p| format!("journal de preuve : {}", p.message)),
            );
        }
        Ok(problems)
    }

    /// Backs the ledger up into `dest` (online: the ledger stays usable).
    /// `progress(done, total)` in pages.
    pub fn backup_to(&self, dest: &Path, progress: &dyn Fn(u64, u64)) -> Result<BackupInfo> {
        if self.path().is_some_and(|p| same_file(p, dest)) {
            return Err(Error::invalid(
                "sauvegarde",
                "choisissez un autre fichier que le grand livre lui-même",
            ));
        }
        copy_database(&self.conn, dest, progress)?;
        check_backup(dest)
    }

    /// Where automatic backups go.
    pub fn backup_dir(&self) -> Result<PathBuf> {
        if let Some(dir) = self.setting(DIR_SETTING)?.filter(|d| !d.trim().is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        let base = self
            .path()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        Ok(base.join("sauvegardes"))
    }

    /// How many automatic backups are kept.
    pub fn backup_keep(&self) -> Result<usize> {
        Ok(self
            .setting(KEEP_SETTING)?
            .and_then(|v| v.parse().ok())
            .filter(|n: &usize| (1..=365).contains(n))
            .unwrap_or(DEFAULT_KEEP))
    }

    /// Sets the number of automatic backups kept (1 to 365).
    pub fn set_backup_keep(&self, keep: usize) -> Result<()> {
        if !(1..=365).contains(&keep) {
            return Err(Error::invalid("sauvegardes conservées", "de 1 à 365"));
        }
        self.set_setting(KEEP_SETTING, &keep.to_string())
    }

    /// The day's automatic backup, unless it exists already; then only the
    /// last N are kept. Returns the new file, if one was made.
    pub fn auto_backup(&self, today: Date) -> Result<Option<PathBuf>> {
        let dir = self.backup_dir()?;
        let dest = dir.join(daily_name(today));
        if dest.exists() {
            return Ok(None);
        }
        self.backup_to(&dest, &|_, _| {})?;
        let keep = self.backup_keep()?;
        let mut daily: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_daily_name(n))
            .collect();
        daily.sort();
        let excess = daily.len().saturating_sub(keep);
        for old in &daily[..excess] {
            let _ = std::fs::remove_file(dir.join(old));
        }
        Ok(Some(dest))
    }

    /// The automatic backups present, newest first.
    pub fn backups(&self) -> Result<Vec<(String, u64)>> {
        let dir = self.backup_dir()?;
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<(String, u64)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                is_daily_name(&name).then(|| (name, e.metadata().map(|m| m.len()).unwrap_or(0)))
            })
            .collect();
        out.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(out)
    }

    /// Replaces the ledger by the backup at `source`, after checking it;
    /// the current ledger is first kept beside itself — a checked copy, or,
    /// when it is damaged, its file as it is.
    ///
    /// The backup's queued messages come back held: they may have been sent
    /// since it was taken, and none goes before the user decides.
    pub fn restore_from(
        &mut self,
        source: &Path,
        progress: &dyn Fn(u64, u64),
    ) -> Result<RestoreReport> {
        let info = check_backup(source)?;
        let Some(ledger_path) = self.path().map(Path::to_path_buf) else {
            return Err(Error::invalid("restauration", "grand livre en mémoire"));
        };
        if same_file(&ledger_path, source) {
            return Err(Error::invalid(
                "restauration",
                "ce fichier est le grand livre ouvert",
            ));
        }
        let aside = aside_name(&ledger_path);
        if copy_database(&self.conn, &aside, &|_, _| {}).is_err() {
            keep_as_is(&ledger_path, &aside)?;
        }
        // A private copy of the source: it cannot change under the restore.
        let dir = tempfile_dir(source)?;
        let copy = dir.join("restauration.sqlite");
        let restored = std::fs::copy(source, &copy)
            .map_err(io(source))
            .and_then(|_| ready_to_restore(&copy))
            .and_then(|_| {
                self.conn
                    .restore(
                        rusqlite::MAIN_DB,
                        &copy,
                        Some(|p: rusqlite::backup::Progress| {
                            let total = p.pagecount.max(1) as u64;
                            progress(total - p.remaining.max(0) as u64, total)
                        }),
                    )
                    .map_err(Error::from)
            });
        let _ = std::fs::remove_dir_all(&dir);
        restored?;
        self.prepare_again()?;
        Ok(RestoreReport {
            restored: info,
            kept_aside: aside,
        })
    }

    /// Every table as a CSV file, in one zip (amounts in cents, dates ISO,
    /// binary columns in hexadecimal).
    pub fn export_tables_csv(&self) -> Result<Vec<u8>> {
        let tables: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let zip_err = |e: zip::result::ZipError| Error::invalid("export", e.to_string());
        let mut buffer = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = crate::documents::zip_options(zip::CompressionMethod::Deflated);
        let _snapshot = self.snapshot()?;
        for table in &tables {
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
            let names: Vec<String> = stmt.column_names().map(String::from).collect();
            let mut csv = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(Vec::new());
            csv.write_record(&names)
                .map_err(|e| Error::invalid("export", e.to_string()))?;
            let mut q = stmt.query([])?;
            while let Some(r) = q.next()? {
                let mut record = Vec::with_capacity(names.len());
                for i in 0..names.len() {
                    use rusqlite::types::ValueRef;
                    record.push(match r.get_ref(i)? {
                        ValueRef::Null => String::new(),
                        ValueRef::Integer(n) => n.to_string(),
                        ValueRef::Real(f) => f.to_string(),
                        ValueRef::Text(t) => {
                            crate::spreadsheet::cell(&String::from_utf8_lossy(t)).into_owned()
                        }
                        ValueRef::Blob(b) => crate::evidence::hex(b),
                    });
                }
                csv.write_record(&record)
                    .map_err(|e| Error::invalid("export", e.to_string()))?;
            }
            let bytes = csv
                .into_inner()
                .map_err(|e| Error::invalid("export", e.to_string()))?;
            zip.start_file(format!("{table}.csv"), options)
                .map_err(zip_err)?;
            zip.write_all(&bytes)
                .map_err(|e| Error::invalid("export", e.to_string()))?;
        }
        zip.start_file("LISEZMOI.txt", options).map_err(zip_err)?;
        zip.write_all(
            format!(
                "Export complet du grand livre Encaisse (schéma {}).\r\n\
                 Un fichier CSV par table, séparateur point-virgule, UTF-8.\r\n\
                 Montants en centimes, dates au format AAAA-MM-JJ, contenus binaires en hexadécimal.\r\n",
                SCHEMA_VERSION
            )
            .as_bytes(),
        )
        .map_err(|e| Error::invalid("export", e.to_string()))?;
        zip.finish().map_err(zip_err)?;
        Ok(buffer.into_inner())
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

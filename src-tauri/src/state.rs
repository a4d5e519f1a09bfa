//! What the shell keeps between commands: the open ledger and a pending import.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, RwLock};

use encaisse::backup::RestoreReport;

use encaisse::import::ImportPlan;
use encaisse::Ledger;

use crate::dto::IpcError;

/// Application state shared by the commands.
pub struct App {
    /// The ledger's file; another when the user switches dossier.
    ledger_path: RwLock<PathBuf>,
    /// This window's claim on its ledger (one window per ledger).
    claim: Mutex<Option<crate::single::Listener>>,
    /// The ledger, or none and why it could not be opened (shown by the
    /// UI, which then offers to restore a backup).
    ledger: Mutex<Result<Ledger, IpcError>>,
    /// The analysed file waiting for the user's "Importer".
    pub pending_import: Mutex<Option<ImportPlan>>,
    /// Set by "Annuler" during long work.
    pub cancel: AtomicBool,
}

impl App {
    pub fn open(path: PathBuf) -> App {
        let ledger = Ledger::open(&path).map_err(IpcError::from);
        App {
            ledger_path: RwLock::new(path),
            claim: Mutex::new(None),
            ledger: Mutex::new(ledger),
            pending_import: Mutex::new(None),
            cancel: AtomicBool::new(false),
        }
    }

    /// The file of the ledger the window works on.
    pub fn ledger_path(&self) -> PathBuf {
        self.ledger_path
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Keeps this window's claim on its ledger (dropping the previous one).
    pub fn hold_claim(&self, listener: crate::single::Listener) {
        *self.claim.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
    }

    /// Works on the ledger at `path` from now on: it is opened first (a
    /// moved, damaged or newer file is refused and the current one stays).
    pub fn switch(&self, path: &Path) -> Result<(), IpcError> {
        let ledger = Ledger::open(path).map_err(IpcError::from)?;
        let mut slot = self.slot();
        *slot = Ok(ledger);
        *self.ledger_path.write().unwrap_or_else(|p| p.into_inner()) = path.to_path_buf();
        *self
            .pending_import
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// The ledger, locked for one command.
    ///
    /// A command that panicked while holding the lock poisons it; the ledger
    /// is still sound (SQLite rolled back the transaction that panic left,
    /// its guard dropped during the unwind), so the next command takes it
    /// as it is rather than fail until the app restarts.
    pub fn ledger(&self) -> Result<LedgerGuard<'_>, IpcError> {
        let guard = self.slot();
        match &*guard {
            Ok(_) => Ok(LedgerGuard(guard)),
            Err(e) => Err(IpcError::new(&e.code, e.message.clone())),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Result<Ledger, IpcError>> {
        self.ledger.lock().unwrap_or_else(|poisoned| {
            self.ledger.clear_poison();
            poisoned.into_inner()
        })
    }

    /// Restores the backup at `source`: through the open ledger, or, when
    /// the ledger could not be opened (damaged, not a ledger), by replacing
    /// its file, kept aside as it is; the restored ledger is then the one
    /// the commands use.
    pub fn restore(
        &self,
        source: &Path,
        progress: &dyn Fn(u64, u64),
    ) -> Result<RestoreReport, IpcError> {
        let mut slot = self.slot();
        let report = match slot.as_mut() {
            Ok(ledger) => ledger.restore_from(source, progress)?,
            Err(_) => {
                // The failed open left no connection: the file is free to
                // replace.
                let path = self.ledger_path();
                let report = encaisse::backup::restore_file(&path, source, progress)?;
                *slot = Ledger::open(&path).map_err(IpcError::from);
                report
            }
        };
        // A file analysed before the restore was compared with another ledger.
        *self
            .pending_import
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        Ok(report)
    }
}

/// The open ledger, held for one command.
pub struct LedgerGuard<'a>(MutexGuard<'a, Result<Ledger, IpcError>>);

impl Deref for LedgerGuard<'_> {
    type Target = Ledger;
    fn deref(&self) -> &Ledger {
        match &*self.0 {
            Ok(ledger) => ledger,
            Err(_) => unreachable!("a guard is only made for an open ledger"),
        }
    }
}

impl DerefMut for LedgerGuard<'_> {
    fn deref_mut(&mut self) -> &mut Ledger {
        match &mut *self.0 {
            Ok(ledger) => ledger,
            Err(_) => unreachable!("a guard is only made for an open ledger"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_panicked_leaves_the_ledger_usable() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path().join("l.sqlite"));
        std::thread::scope(|scope| {
            let failed = scope
                .spawn(|| {
                    let ledger = app.ledger().unwrap();
                    // A transaction left open by the panic.
                    ledger.set_setting("aging_bounds", "30,60").unwrap();
                    panic!("a command fails half-way");
                })
                .join();
            assert!(failed.is_err(), "the command panicked");
        });
        let ledger = app.ledger().expect("the next command gets the ledger");
        assert_eq!(
            ledger.setting("aging_bounds").unwrap().as_deref(),
            Some("30,60")
        );
        drop(ledger);
        assert!(app.ledger().is_ok(), "and the one after");
    }

    #[test]
    fn a_ledger_that_does_not_open_can_be_restored_from_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        let backup = dir.path().join("copie.sqlite");
        {
            let ledger = Ledger::open(&path).unwrap();
            ledger
                .upsert_client(&encaisse::model::Client::new("C1", "Client sauvé"))
                .unwrap();
            ledger.backup_to(&backup, &|_, _| {}).unwrap();
        }
        std::fs::write(
            &path,
            b"plus une base de donnees, mais assez longue pour un en-tete",
        )
        .unwrap();
        let app = App::open(path.clone());
        let refused = app
            .ledger()
            .err()
            .expect("the window says it cannot open it");
        assert!(!refused.message.is_empty());
        let report = app.restore(&backup, &|_, _| {}).unwrap();
        assert_eq!(
            app.ledger().unwrap().client_by_code("C1").unwrap().name,
            "Client sauvé",
            "the commands now use the restored ledger"
        );
        assert!(std::fs::read(&report.kept_aside)
            .unwrap()
            .starts_with(b"plus une base"));
    }
}

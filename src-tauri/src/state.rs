//! What the shell keeps between commands: the open ledger and a pending import.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

use encaisse::import::ImportPlan;
use encaisse::Ledger;

use crate::dto::IpcError;

/// Application state shared by the commands.
pub struct App {
    pub ledger_path: PathBuf,
    /// The ledger, or why it could not be opened (shown by the UI).
    ledger: Result<Mutex<Ledger>, IpcError>,
    /// The analysed file waiting for the user's "Importer".
    pub pending_import: Mutex<Option<ImportPlan>>,
    /// Set by "Annuler" during long work.
    pub cancel: AtomicBool,
}

impl App {
    pub fn open(path: PathBuf) -> App {
        let ledger = Ledger::open(&path).map(Mutex::new).map_err(IpcError::from);
        App {
            ledger_path: path,
            ledger,
            pending_import: Mutex::new(None),
            cancel: AtomicBool::new(false),
        }
    }

    /// The ledger, locked for one command.
    ///
    /// A command that panicked while holding the lock poisons it; the ledger
    /// is still sound (SQLite rolled back the transaction that panic left,
    /// its guard dropped during the unwind), so the next command takes it
    /// as it is rather than fail until the app restarts.
    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, IpcError> {
        match &self.ledger {
            Ok(m) => Ok(m.lock().unwrap_or_else(|poisoned| {
                m.clear_poison();
                poisoned.into_inner()
            })),
            Err(e) => Err(IpcError::new(&e.code, e.message.clone())),
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
}

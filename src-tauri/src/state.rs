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
    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, IpcError> {
        match &self.ledger {
            Ok(m) => m.lock().map_err(|_| {
                IpcError::new(
                    "internal",
                    "le grand livre est indisponible après une erreur interne",
                )
            }),
            Err(e) => Err(IpcError::new(&e.code, e.message.clone())),
        }
    }
}

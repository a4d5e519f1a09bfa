//! Who else has the ledger open: each process that opens a ledger file
//! leaves its name in a folder beside it (`.grand-livre.sqlite.writers/`),
//! one file per open ledger, removed when it closes. When a write waits
//! past the busy timeout, the message names the others ("la fenêtre
//! Encaisse (pid 4242)", "encaisse-cli backup --auto (pid 4250)") instead
//! of leaving the user to guess.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// How this process names itself (the window, a command line).
static PROGRAM: OnceLock<String> = OnceLock::new();

/// The ledgers this process has open, for the busy message.
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Names this process to the others that open the same ledgers; set once,
/// at start ("la fenêtre Encaisse", "encaisse-cli backup --auto").
pub fn set_program(name: &str) {
    let _ = PROGRAM.set(name.chars().filter(|c| !c.is_control()).take(120).collect());
}

fn folder_of(ledger: &Path) -> PathBuf {
    let name = ledger
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ledger.with_file_name(format!(".{name}.writers"))
}

/// This process's mark on one open ledger; removed when dropped.
pub(crate) struct Mark {
    file: PathBuf,
    ledger: PathBuf,
}

/// Leaves this process's name beside `ledger` (best effort: a read-only
/// folder only loses the names in the busy message).
pub(crate) fn mark(ledger: &Path) -> Option<Mark> {
    let folder = folder_of(ledger);
    std::fs::create_dir_all(&folder).ok()?;
    let file = folder.join(format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let name = PROGRAM
        .get()
        .cloned()
        .unwrap_or_else(|| "un programme Encaisse".into());
    std::fs::write(&file, name).ok()?;
    OPEN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(ledger.to_path_buf());
    Some(Mark {
        file,
        ledger: ledger.to_path_buf(),
    })
}

impl Drop for Mark {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = open.iter().position(|p| *p == self.ledger) {
            open.swap_remove(at);
        }
    }
}

/// Whether process `pid` still runs (Linux; elsewhere, assumed).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The other processes that have `ledger` open, each as "name (pid N)";
/// marks left by a process that died are cleared.
pub fn others(ledger: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder_of(ledger)) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        if !alive(pid) {
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        let name = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let shown = format!("{} (pid {pid})", name.trim());
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    out.sort();
    out
}

/// The other processes holding any ledger this process has open.
pub(crate) fn others_of_open() -> Vec<String> {
    let open = OPEN.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut all = Vec::new();
    for ledger in open {
        for other in others(&ledger) {
            if !all.contains(&other) {
                all.push(other);
            }
        }
    }
    all
}

//! One window per ledger. The first window on a ledger listens on a local
//! socket named after the ledger's path; a second launch on the same ledger
//! finds it, asks it to come forward, and ends instead of opening a second
//! writer. Launches on other ledgers are not concerned.
//!
//! Unix sockets (Linux, macOS). On Windows the second launch opens as today
//! (a named pipe would do the same; not built here).

use std::path::{Path, PathBuf};

/// What a launch found.
pub enum Instance {
    /// The first window on this ledger: `listener` waits for later launches.
    First(Listener),
    /// Another window has this ledger and was asked to come forward.
    Forwarded,
}

/// The claim: the socket listened on, none when sockets cannot be made
/// here (the window then opens as if alone).
#[cfg(unix)]
pub struct Listener(Option<std::os::unix::net::UnixListener>, PathBuf);
#[cfg(not(unix))]
pub struct Listener;

/// The socket of `ledger`: in the user's runtime folder, named after the
/// ledger's canonical path (the same file reached by two paths is one).
pub fn socket_path(ledger: &Path) -> PathBuf {
    let canonical = ledger
        .canonicalize()
        .or_else(|_| {
            // A ledger not created yet: its folder's canonical path.
            let parent = ledger
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            parent
                .canonicalize()
                .map(|p| p.join(ledger.file_name().unwrap_or_default()))
        })
        .unwrap_or_else(|_| ledger.to_path_buf());
    let digest = encaisse::import::sha256_hex(canonical.to_string_lossy().as_bytes());
    let name = &digest[..16];
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    dir.join(format!("encaisse-{name}.sock"))
}

/// Claims `ledger` for this window, or hands over to the window that has it.
#[cfg(unix)]
pub fn claim(ledger: &Path) -> Instance {
    use std::io::Write;
    use std::os::unix::net::{UnixListener, UnixStream};
    let path = socket_path(ledger);
    for _ in 0..2 {
        match UnixListener::bind(&path) {
            Ok(listener) => return Instance::First(Listener(Some(listener), path)),
            Err(_) => match UnixStream::connect(&path) {
                Ok(mut other) => {
                    let _ = other.write_all(b"focus\n");
                    return Instance::Forwarded;
                }
                // A socket left by a window that crashed: nobody listens.
                Err(_) => {
                    let _ = std::fs::remove_file(&path);
                }
            },
        }
    }
    // The runtime folder refuses sockets: open as if alone.
    Instance::First(Listener(None, PathBuf::new()))
}

#[cfg(not(unix))]
pub fn claim(_ledger: &Path) -> Instance {
    Instance::First(Listener)
}

impl Listener {
    /// Calls `focus` each time a later launch on this ledger knocks, for
    /// as long as the claim is kept (its socket goes with it).
    #[cfg(unix)]
    pub fn serve(&self, focus: impl Fn() + Send + 'static) {
        let Some(Ok(listener)) = self.0.as_ref().map(|l| l.try_clone()) else {
            return;
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                drop(stream);
                focus();
            }
        });
    }

    #[cfg(not(unix))]
    pub fn serve(&self, _focus: impl Fn() + Send + 'static) {}
}

#[cfg(unix)]
impl Drop for Listener {
    fn drop(&mut self) {
        if !self.1.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.1);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_on_the_same_ledger_is_forwarded_and_another_ledger_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("a.sqlite");
        std::fs::write(&ledger, b"").unwrap();
        let Instance::First(first) = claim(&ledger) else {
            panic!("the first launch owns the ledger");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        first.serve(move || {
            let _ = tx.send(());
        });
        let _kept = first;
        // The same file by another path.
        let again = dir.path().join(".").join("a.sqlite");
        assert!(matches!(claim(&again), Instance::Forwarded));
        rx.recv_timeout(std::time::Duration::from_secs(5))
            .expect("the first window is asked to come forward");
        let other = dir.path().join("b.sqlite");
        assert!(matches!(claim(&other), Instance::First(_)));
    }

    #[test]
    fn a_socket_left_by_a_crashed_window_does_not_stop_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("c.sqlite");
        let path = socket_path(&ledger);
        // A socket file nobody listens on.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        assert!(matches!(claim(&ledger), Instance::First(_)));
    }
}

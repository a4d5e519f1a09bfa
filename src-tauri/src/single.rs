//! One window per ledger. The first window on a ledger listens on a local
//! socket named after the ledger's path; a second launch on the same ledger
//! finds it, asks it to come forward, and ends instead of opening a second
//! writer. Launches on other ledgers are not concerned.
//!
//! The socket is the `interprocess` crate's local socket in its namespaced
//! form, the same code on every system: an abstract Unix socket on Linux
//! (it goes with the process, even one that crashed), a socket file in the
//! temporary folder on macOS, a named pipe on Windows. A name left behind
//! by a window that crashed is taken over.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use interprocess::local_socket::{prelude::*, GenericNamespaced, ListenerOptions, Stream};

/// What a launch found.
pub enum Instance {
    /// The first window on this ledger: `listener` waits for later launches.
    First(Listener),
    /// Another window has this ledger and was asked to come forward.
    Forwarded,
}

/// The claim: the socket listened on, none when local sockets cannot be
/// made here (the window then opens as if alone). Dropping it lets the
/// ledger go: the socket is closed and its name free for the next window.
pub struct Listener {
    name: String,
    socket: Option<interprocess::local_socket::Listener>,
    serving: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

/// The socket's name for `ledger`, after its canonical path (the same file
/// reached by two paths is one).
pub fn socket_name(ledger: &Path) -> String {
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
    format!("encaisse-{}.sock", &digest[..16])
}

/// Knocks at the window that has the ledger: a connection made is an
/// answer. The message that follows is a courtesy: the window comes forward
/// on the connection alone and may already have closed it, so a failed
/// write (a broken pipe) must not be taken for a window that crashed, which
/// would open a second window on the ledger.
fn knock(name: &str) -> std::io::Result<()> {
    let mut other = Stream::connect(name.to_ns_name::<GenericNamespaced>()?)?;
    let _ = other.write_all(b"focus\n");
    Ok(())
}

/// Claims `ledger` for this window, or hands over to the window that has it.
pub fn claim(ledger: &Path) -> Instance {
    let name = socket_name(ledger);
    let alone = || {
        Instance::First(Listener {
            name: name.clone(),
            socket: None,
            serving: None,
        })
    };
    for take_over in [false, true] {
        let Ok(ns_name) = name.as_str().to_ns_name::<GenericNamespaced>() else {
            return alone();
        };
        match ListenerOptions::new()
            .name(ns_name)
            .try_overwrite(take_over)
            .create_sync()
        {
            Ok(socket) => {
                return Instance::First(Listener {
                    name: name.clone(),
                    socket: Some(socket),
                    serving: None,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if knock(&name).is_ok() {
                    return Instance::Forwarded;
                }
                // Left by a window that crashed: nobody answers.
            }
            // Local sockets refused here: open as if alone.
            Err(_) => return alone(),
        }
    }
    alone()
}

impl Listener {
    /// Calls `focus` each time a later launch on this ledger knocks, for
    /// as long as the claim is kept.
    pub fn serve(&mut self, focus: impl Fn() + Send + 'static) {
        let Some(socket) = self.socket.take() else {
            return;
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in socket.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                drop(stream);
                focus();
            }
        });
        self.serving = Some((stop, thread));
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some((stop, thread)) = self.serving.take() {
            stop.store(true, Ordering::SeqCst);
            // Wakes the waiting accept, which then sees the stop.
            let _ = knock(&self.name);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_on_the_same_ledger_is_forwarded_and_another_ledger_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("a.sqlite");
        std::fs::write(&ledger, b"").unwrap();
        let Instance::First(mut first) = claim(&ledger) else {
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
    fn a_ledger_let_go_can_be_claimed_again_and_an_unserved_claim_still_holds() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("c.sqlite");
        let Instance::First(mut first) = claim(&ledger) else {
            panic!("the first launch owns the ledger");
        };
        first.serve(|| {});
        drop(first);
        // Another dossier opened in that window: the ledger is free again.
        let Instance::First(second) = claim(&ledger) else {
            panic!("the ledger was let go");
        };
        // Claimed but not served yet (the window is starting): a second
        // launch still finds it taken.
        assert!(matches!(claim(&ledger), Instance::Forwarded));
        drop(second);
    }

    #[test]
    fn a_window_that_closes_the_knock_at_once_still_counts_as_there() {
        // The window accepts and drops each connection without reading it:
        // a knock whose message meets a closed connection is still an
        // answer, however the two processes are scheduled.
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("d.sqlite");
        let Instance::First(mut first) = claim(&ledger) else {
            panic!("the first launch owns the ledger");
        };
        first.serve(|| {});
        for _ in 0..300 {
            assert!(matches!(claim(&ledger), Instance::Forwarded));
        }
        drop(first);
    }
}

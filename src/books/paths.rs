//! Where the ledger lives: the OS app-data folder unless told otherwise.

use std::path::PathBuf;

/// Environment variable that overrides the ledger path (tests, scripts).
pub const LEDGER_ENV: &str = "ENCAISSE_LEDGER";

/// The ledger path: `explicit` (from `--ledger`), else `ENCAISSE_LEDGER`, else
/// `<app data>/encaisse.sqlite`: `~/.local/share/encaisse/` on Linux,
/// `~/Library/Application Support/fr.Encaisse.Encaisse/` on macOS, `%APPDATA%\\Encaisse\\Encaisse\\data\\` on Windows.
pub fn ledger_path(explicit: Option<PathBuf>) -> PathBuf {
    if let Some(path) = explicit {
        return path;
    }
    if let Some(path) = std::env::var_os(LEDGER_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    data_dir().join("encaisse.sqlite")
}

/// The application's data folder (`$XDG_DATA_HOME/encaisse` on Linux, else
/// `~/.local/share/encaisse`): the default ledger, the dossiers' registry.
pub fn data_dir() -> PathBuf {
    directories::ProjectDirs::from("fr", "Encaisse", "Encaisse")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Reads `--ledger PATH` or `--ledger=PATH` from a list of arguments.
pub fn ledger_arg<I: IntoIterator<Item = String>>(args: I) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--ledger" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.strip_prefix("--ledger=") {
            return Some(PathBuf::from(value));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ledger_argument_in_both_spellings() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ledger_arg(args(&["--ledger", "/tmp/a.sqlite"])),
            Some(PathBuf::from("/tmp/a.sqlite"))
        );
        assert_eq!(
            ledger_arg(args(&["x", "--ledger=/tmp/b.sqlite"])),
            Some(PathBuf::from("/tmp/b.sqlite"))
        );
        assert_eq!(ledger_arg(args(&["--other"])), None);
        assert_eq!(
            ledger_path(Some(PathBuf::from("/explicit"))),
            PathBuf::from("/explicit"),
            "an explicit path wins"
        );
    }
}

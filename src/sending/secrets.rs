//! Where the SMTP password is kept: never in the ledger.
//!
//! In order: the `ENCAISSE_SMTP_PASSWORD` environment variable (scripts,
//! CI), the operating system's keychain (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows, through the `keyring` crate), and,
//! where no keychain service answers (a server without a desktop session),
//! a file readable by its owner only (mode 0600) in Encaisse's configuration
//! folder (`~/.config/encaisse/secrets/` on Linux), outside the ledger and
//! outside its backups. `ENCAISSE_SECRETS=file` chooses the file directly
//! and `ENCAISSE_SECRETS_DIR` moves its folder (tests).

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Environment variable holding the SMTP password (read first).
pub const PASSWORD_ENV: &str = "ENCAISSE_SMTP_PASSWORD";

const SERVICE: &str = "Encaisse SMTP";

/// Where a password was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretPlace {
    Keychain,
    /// The fallback file (no keychain service here).
    File(PathBuf),
}

impl SecretPlace {
    /// A sentence for the user.
    pub fn describe(&self) -> String {
        match self {
            SecretPlace::Keychain => "dans le trousseau du système".into(),
            SecretPlace::File(path) => format!(
                "dans le fichier {} (lisible par vous seul : aucun trousseau n'est disponible sur cette machine)",
                path.display()
            ),
        }
    }
}

/// Where passwords are read and written.
#[derive(Clone, Debug)]
pub struct SecretStore {
    keychain: bool,
    dir: PathBuf,
}

impl SecretStore {
    /// The keychain, with the file as fallback; `ENCAISSE_SECRETS=file`
    /// chooses the file, `ENCAISSE_SECRETS_DIR` moves its folder.
    pub fn from_env() -> SecretStore {
        let dir = std::env::var_os("ENCAISSE_SECRETS_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                directories::ProjectDirs::from("fr", "Encaisse", "Encaisse")
                    .map(|d| d.config_dir().join("secrets"))
                    .unwrap_or_else(|| PathBuf::from(".encaisse-secrets"))
            });
        SecretStore {
            keychain: !std::env::var("ENCAISSE_SECRETS").is_ok_and(|v| v == "file"),
            dir,
        }
    }

    /// Files in `dir` only (tests).
    pub fn files_in(dir: impl Into<PathBuf>) -> SecretStore {
        SecretStore {
            keychain: false,
            dir: dir.into(),
        }
    }

    fn file_of(&self, account: &str) -> PathBuf {
        self.dir
            .join(format!("smtp-{}", crate::documents::slug(account)))
    }

    fn keychain(&self, account: &str) -> Option<keyring::Entry> {
        if !self.keychain {
            return None;
        }
        keyring::Entry::new(SERVICE, account).ok()
    }

    /// Stores the password of `account`: in the keychain, else in the file.
    pub fn store(&self, account: &str, password: &str) -> Result<SecretPlace> {
        if let Some(entry) = self.keychain(account) {
            if entry.set_password(password).is_ok() {
                // A file left from a run without keychain must not linger.
                let _ = std::fs::remove_file(self.file_of(account));
                return Ok(SecretPlace::Keychain);
            }
        }
        let path = self.file_of(account);
        write_private(&path, password.as_bytes())?;
        Ok(SecretPlace::File(path))
    }

    /// The password of `account`: the environment variable, the keychain,
    /// the file.
    pub fn password(&self, account: &str) -> Result<Option<String>> {
        if let Ok(p) = std::env::var(PASSWORD_ENV) {
            return Ok(Some(p));
        }
        if let Some(entry) = self.keychain(account) {
            if let Ok(p) = entry.get_password() {
                return Ok(Some(p));
            }
        }
        let path = self.file_of(account);
        match std::fs::read_to_string(&path) {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Forgets the password of `account` wherever it was.
    pub fn forget(&self, account: &str) -> Result<()> {
        if let Some(entry) = self.keychain(account) {
            let _ = entry.delete_credential();
        }
        let path = self.file_of(account);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

/// The account a password belongs to: `user@host:port`.
pub fn account(user: &str, host: &str, port: u16) -> String {
    format!("{user}@{host}:{port}")
}

/// Writes a file only its owner can read, through a temporary file renamed
/// into place (never half-written).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let part = path.with_extension("part");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&part).map_err(io)?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(io)?;
    std::fs::rename(&part, path).map_err(io)
}

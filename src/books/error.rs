//! The core's error type: every variant says where and why, so the shell can
//! map it to a `{code, message}` the UI branches on.

use std::path::PathBuf;

/// Result alias of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ledger file could not be opened or read by SQLite.
    #[error("grand livre {path} : {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The ledger was written by a newer version of Encaisse.
    #[error("ce grand livre a été écrit par une version plus récente d'Encaisse (schéma {found}, cette version connaît le schéma {known}) : mettez Encaisse à jour, le fichier n'a pas été modifié")]
    NewerSchema { found: i64, known: i64 },
    /// A database error.
    #[error("{}", database_message(.0))]
    Db(#[from] rusqlite::Error),
    /// An input value was refused; `field` names it.
    #[error("{field} : {message}")]
    Invalid { field: String, message: String },
    /// Something looked up does not exist.
    #[error("{what} introuvable : {key}")]
    NotFound { what: &'static str, key: String },
    /// Two amounts in different currencies were combined.
    #[error("devises différentes : {0} et {1}")]
    CurrencyMismatch(String, String),
    /// An import found errors; nothing was written.
    #[error("{}", import_summary(.0))]
    Import(Vec<crate::import::ImportIssue>),
    /// The company profile lacks what a reminder cannot go without.
    #[error("mentions manquantes dans Paramètres › Entreprise : {} — aucune lettre ni aucun e-mail de relance ne part sans elles", .0.join(", "))]
    CompanyIncomplete(Vec<String>),
    /// A file could not be read or written.
    #[error("{path} : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A database error in French; the ledger held by another writer longer
/// than the wait says so and what to do.
fn database_message(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            let others = crate::books::writers::others_of_open();
            let who = if others.is_empty() {
                "un autre programme Encaisse (la fenêtre, une commande encaisse-cli, une sauvegarde)".to_string()
            } else {
                others.join(", ")
            };
            format!("le grand livre est occupé depuis plus de 5 secondes par {who} : rien n'a été écrit, réessayez dans un instant")
        }
        _ => format!("base de données : {e}"),
    }
}

fn import_summary(issues: &[crate::import::ImportIssue]) -> String {
    let mut text = format!(
        "{} dans le fichier, rien n'a été importé",
        crate::words::fr(issues.len() as u64, "erreur", "erreurs")
    );
    for issue in issues.iter().take(20) {
        text.push_str("\n- ");
        text.push_str(&issue.to_string());
    }
    text
}

impl Error {
    /// A stable, machine-readable code for the UI and the command line.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Open { .. } => "ledger_open",
            Error::NewerSchema { .. } => "ledger_newer",
            Error::Db(_) => "database",
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::CurrencyMismatch(..) => "currency_mismatch",
            Error::Import(_) => "import",
            Error::CompanyIncomplete(_) => "company_incomplete",
            Error::Io { .. } => "io",
        }
    }

    /// Shorthand for an [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

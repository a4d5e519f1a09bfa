//! Dossiers: one company per ledger file, for an accounting firm running
//! reminders for its clients or one person for the companies of a group.
//!
//! Owns the registry — a small JSON list of named ledger files kept in the
//! application's data folder — and the portfolio, read from each ledger in
//! turn (one open at a time, dropped before the next). Everything that
//! belongs to a company (settings, templates, SMTP account, backups) lives
//! in its ledger; the registry only names and finds them. Removing a dossier
//! from the list never deletes its file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::error::{Error, Result};
use crate::money::Money;
use crate::store::Ledger;

/// One dossier of the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    pub name: String,
    pub path: PathBuf,
}

/// The list of dossiers, and which was opened last.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    pub dossiers: Vec<Dossier>,
    #[serde(default)]
    pub last: Option<String>,
    /// Where it is kept.
    #[serde(skip)]
    file: PathBuf,
}

impl Registry {
    /// The registry in the application's data folder.
    pub fn in_data_dir() -> Result<Registry> {
        Registry::load(&crate::paths::data_dir().join("dossiers.json"))
    }

    /// The registry kept in `file` (empty when there is none yet).
    pub fn load(file: &Path) -> Result<Registry> {
        let mut registry = match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice::<Registry>(&bytes).map_err(|e| {
                Error::invalid(
                    file.display().to_string(),
                    format!("liste des dossiers illisible ({e})"),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Registry::default(),
            Err(source) => {
                return Err(Error::Io {
                    path: file.to_path_buf(),
                    source,
                })
            }
        };
        registry.file = file.to_path_buf();
        Ok(registry)
    }

    /// Writes the list whole (a part file, then a rename).
    pub fn save(&self) -> Result<()> {
        let io = |source| Error::Io {
            path: self.file.clone(),
            source,
        };
        if let Some(dir) = self.file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let part = self.file.with_extension("json.part");
        let text = serde_json::to_vec_pretty(self).expect("the registry serialises");
        std::fs::write(&part, text).map_err(io)?;
        std::fs::rename(&part, &self.file).map_err(io)
    }

    /// Adds `name` for the ledger at `path` (by default a new file beside
    /// the registry, `dossiers/NAME.sqlite`), created or opened to check it.
    pub fn add(&mut self, name: &str, path: Option<&Path>) -> Result<Dossier> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "nom du dossier",
                "de 1 à 80 caractères, sur une ligne",
            ));
        }
        if self.find(name).is_some() {
            return Err(Error::invalid(
                "nom du dossier",
                format!("« {name} » existe déjà"),
            ));
        }
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => {
                let file: String = name
                    .chars()
                    .map(|c| if c.is_alphanumeric() { c } else { '-' })
                    .collect();
                self.file
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join("dossiers")
                    .join(format!("{file}.sqlite"))
            }
        };
        // Created if new; a damaged or newer ledger is refused now.
        Ledger::open(&path)?;
        let path = path.canonicalize().unwrap_or(path);
        let dossier = Dossier {
            name: name.to_string(),
            path,
        };
        self.dossiers.push(dossier.clone());
        Ok(dossier)
    }

    /// Takes `name` off the list; its file stays where it is.
    pub fn remove(&mut self, name: &str) -> Result<Dossier> {
        let at = self
            .dossiers
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| Error::NotFound {
                what: "dossier",
                key: name.to_string(),
            })?;
        if self.last.as_deref() == Some(name) {
            self.last = None;
        }
        Ok(self.dossiers.remove(at))
    }

    pub fn find(&self, name: &str) -> Option<&Dossier> {
        self.dossiers.iter().find(|d| d.name == name)
    }

    /// The ledger file of `name`, or an error naming the known dossiers.
    pub fn path_of(&self, name: &str) -> Result<PathBuf> {
        self.find(name).map(|d| d.path.clone()).ok_or_else(|| {
            let known: Vec<&str> = self.dossiers.iter().map(|d| d.name.as_str()).collect();
            Error::invalid(
                "dossier",
                if known.is_empty() {
                    format!("« {name} » inconnu : aucun dossier (encaisse-cli dossiers add NOM)")
                } else {
                    format!("« {name} » inconnu (dossiers : {})", known.join(", "))
                },
            )
        })
    }
}

/// One dossier on the portfolio.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PortfolioRow {
    pub name: String,
    pub path: PathBuf,
    /// Why its figures are missing (file moved, damaged, newer version).
    pub problem: Option<String>,
    pub company: String,
    pub siren: String,
    pub outstanding: Vec<Money>,
    pub overdue: Vec<Money>,
    pub over_90_days: Vec<Money>,
    pub dso_days: Option<i64>,
    /// What today's session holds.
    pub calls: usize,
    pub emails: usize,
    pub letters: usize,
    pub formal_notices: usize,
    pub broken_promises: usize,
    /// The last day its data covers, and the next session day.
    pub data_runs_to: Option<Date>,
    pub next_session: Option<Date>,
}

/// The portfolio's totals, per currency (checked sums).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PortfolioTotals {
    pub outstanding: Vec<Money>,
    pub overdue: Vec<Money>,
    pub over_90_days: Vec<Money>,
}

/// What `rows` add up to, per currency; rows without figures count nothing.
pub fn totals(rows: &[PortfolioRow]) -> Result<PortfolioTotals> {
    let mut t = PortfolioTotals::default();
    for r in rows {
        for (into, from) in [
            (&mut t.outstanding, &r.outstanding),
            (&mut t.overdue, &r.overdue),
            (&mut t.over_90_days, &r.over_90_days),
        ] {
            for m in from {
                crate::ledger::add_to(into, *m)?;
            }
        }
    }
    Ok(t)
}

/// The figures of every dossier of `registry` on `as_of`, each ledger read
/// in turn and closed before the next.
pub fn portfolio(registry: &Registry, as_of: Date) -> Vec<PortfolioRow> {
    registry
        .dossiers
        .iter()
        .map(|d| {
            let mut row = PortfolioRow {
                name: d.name.clone(),
                path: d.path.clone(),
                problem: None,
                company: String::new(),
                siren: String::new(),
                outstanding: Vec::new(),
                overdue: Vec::new(),
                over_90_days: Vec::new(),
                dso_days: None,
                calls: 0,
                emails: 0,
                letters: 0,
                formal_notices: 0,
                broken_promises: 0,
                data_runs_to: None,
                next_session: None,
            };
            if !d.path.exists() {
                row.problem = Some(format!(
                    "fichier introuvable : {} (déplacé ?)",
                    d.path.display()
                ));
                return row;
            }
            if let Err(e) = figures(&d.path, as_of, &mut row) {
                row.problem = Some(e.to_string());
            }
            row
        })
        .collect()
}

fn figures(path: &Path, as_of: Date, row: &mut PortfolioRow) -> Result<()> {
    let ledger = Ledger::open(path)?;
    let company = ledger.company()?;
    row.company = company.legal_name;
    row.siren = company.siren;
    let policy = ledger.aging_policy()?;
    // The dashboard holds the aged balance: read once.
    let dashboard = ledger.dashboard(as_of, &policy)?;
    for total in &dashboard.aging.totals {
        let over_90: i64 = policy
            .bounds
            .iter()
            .position(|&b| b >= 90)
            .map(|i| total.buckets[i + 2..].iter().sum())
            .unwrap_or(0);
        row.outstanding.push(total.total);
        row.overdue
            .push(Money::new(total.overdue(), total.currency));
        row.over_90_days.push(Money::new(over_90, total.currency));
    }
    row.dso_days = dashboard.dso_days;
    let work = ledger.work_list(as_of)?;
    for r in &work.rows {
        use crate::engine::Channel;
        match r.channel {
            Channel::Call => row.calls += 1,
            Channel::Email => row.emails += 1,
            Channel::Letter | Channel::EmailAndLetter | Channel::Collection => row.letters += 1,
            Channel::Registered => row.formal_notices += 1,
        }
    }
    row.broken_promises = ledger
        .promises(None, as_of)?
        .iter()
        .filter(|p| p.status == crate::reminders::PromiseStatus::Broken)
        .count();
    row.data_runs_to = ledger.freshness(as_of)?.runs_to;
    row.next_session = crate::reminders::next_session(&ledger.reminder_days()?, as_of);
    Ok(())
}

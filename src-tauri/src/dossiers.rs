//! The dossier switcher and the portfolio: the registry and the figures are
//! the core's (`encaisse::dossiers`); here, the window changing ledger and
//! keeping its one-window-per-ledger claim.

use std::path::{Path, PathBuf};

use encaisse::dossiers::{portfolio as read_portfolio, PortfolioRow, PortfolioTotals, Registry};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

use crate::dto::{parse_date, IpcError};
use crate::single::{self, Instance, Listener};
use crate::state::App;

type Res<T> = Result<T, IpcError>;

/// The dossier opened last, for a launch without `--ledger`.
pub fn last_opened() -> Option<PathBuf> {
    let registry = Registry::in_data_dir().ok()?;
    let name = registry.last.as_deref()?;
    registry.find(name).map(|d| d.path.clone())
}

/// Keeps `listener` as the window's claim on its ledger: a later launch on
/// it brings this window forward.
pub fn keep_claim(app: &AppHandle, mut listener: Listener) {
    let handle = app.clone();
    listener.serve(move || {
        if let Some(window) = handle.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    });
    app.state::<App>().hold_claim(listener);
}

/// One dossier in the switcher and on the portfolio, and whether the window
/// works on it.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DossierRowDto {
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: PortfolioRow,
    pub current: bool,
}

/// The portfolio: every dossier and what they add up to.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PortfolioDto {
    pub rows: Vec<DossierRowDto>,
    #[serde(flatten)]
    #[ts(flatten)]
    pub totals: PortfolioTotals,
}

/// Every dossier with its figures on `as_of` (the switcher, the portfolio).
#[tauri::command(async)]
pub fn portfolio(state: State<'_, App>, as_of: String) -> Res<PortfolioDto> {
    let registry = Registry::in_data_dir()?;
    let current = state.ledger_path();
    let rows = read_portfolio(&registry, parse_date(&as_of)?);
    let totals = encaisse::dossiers::totals(&rows)?;
    Ok(PortfolioDto {
        totals,
        rows: rows
            .into_iter()
            .map(|row| DossierRowDto {
                current: row.path == current
                    || row.path.canonicalize().ok() == current.canonicalize().ok(),
                row,
            })
            .collect(),
    })
}

/// Works on the dossier `name` from now on; refused (and that window
/// comes forward) when another window has it.
#[tauri::command(async)]
pub fn dossier_open(app: AppHandle, state: State<'_, App>, name: String) -> Res<()> {
    let mut registry = Registry::in_data_dir()?;
    let path = registry.path_of(&name)?;
    switch_to(&app, &state, &path)?;
    registry.last = Some(name);
    registry.save()?;
    Ok(())
}

fn switch_to(app: &AppHandle, state: &State<'_, App>, path: &Path) -> Res<()> {
    if !path.exists() {
        return Err(IpcError::new(
            "not_found",
            format!(
                "le grand livre de ce dossier est introuvable : {} (déplacé ? « Localiser… »)",
                path.display()
            ),
        ));
    }
    match single::claim(path) {
        Instance::Forwarded => Err(IpcError::new(
            "invalid",
            "ce dossier est ouvert dans une autre fenêtre : elle passe au premier plan",
        )),
        Instance::First(listener) => {
            state.switch(path)?;
            keep_claim(app, listener);
            Ok(())
        }
    }
}

/// "Nouveau dossier": a new ledger named `name`, opened at once.
#[tauri::command(async)]
pub fn dossier_new(app: AppHandle, state: State<'_, App>, name: String) -> Res<()> {
    let mut registry = Registry::in_data_dir()?;
    let dossier = registry.add(&name, None)?;
    registry.save()?;
    dossier_open(app, state, dossier.name)
}

/// "Ouvrir un dossier existant…": a ledger file anywhere (a backup), added
/// under its file name and opened. `ENCAISSE_DOSSIER_FROM` stands in for
/// the dialog in tests.
#[tauri::command(async)]
pub fn dossier_add_file(app: AppHandle, state: State<'_, App>) -> Res<Option<String>> {
    let Some(file) = pick_ledger("Ouvrir un dossier existant") else {
        return Ok(None);
    };
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Dossier".into());
    let mut registry = Registry::in_data_dir()?;
    let mut unique = name.clone();
    let mut n = 2;
    while registry.find(&unique).is_some() {
        unique = format!("{name} ({n})");
        n += 1;
    }
    let dossier = registry.add(&unique, Some(&file))?;
    registry.save()?;
    dossier_open(app, state, dossier.name.clone())?;
    Ok(Some(dossier.name))
}

/// "Localiser…": the new place of a dossier whose file moved.
#[tauri::command(async)]
pub fn dossier_locate(name: String) -> Res<bool> {
    let Some(file) = pick_ledger("Localiser le grand livre du dossier") else {
        return Ok(false);
    };
    let mut registry = Registry::in_data_dir()?;
    encaisse::Ledger::open(&file)?;
    let Some(d) = registry.dossiers.iter_mut().find(|d| d.name == name) else {
        return Err(IpcError::new(
            "not_found",
            format!("dossier « {name} » inconnu"),
        ));
    };
    d.path = file.canonicalize().unwrap_or(file);
    registry.save()?;
    Ok(true)
}

/// "Retirer de la liste": the file stays where it is.
#[tauri::command(async)]
pub fn dossier_remove(name: String) -> Res<()> {
    let mut registry = Registry::in_data_dir()?;
    registry.remove(&name)?;
    registry.save()?;
    Ok(())
}

fn pick_ledger(title: &str) -> Option<PathBuf> {
    match std::env::var_os("ENCAISSE_DOSSIER_FROM") {
        Some(file) => Some(PathBuf::from(file)),
        None => rfd::FileDialog::new()
            .set_title(title)
            .add_filter("Grand livre Encaisse", &["sqlite", "db"])
            .add_filter("Tous les fichiers", &["*"])
            .pick_file(),
    }
}

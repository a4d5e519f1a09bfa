//! Proof and safety in the window: the evidence log and its check, backups
//! (automatic, "Sauvegarder", "Restaurer"), the full export, the litigation
//! file and the hand-over to collection. The rules are in the core.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::commands::{choose_destination, save_as_titled};
use crate::dto::{parse_date, IpcError, ProgressDto};
use crate::state::App;
use encaisse::evidence::Evidence;
use encaisse::handover::{HandoverKind, HandoverOutcome, HandoverView, NewHandover};
use encaisse::money::Money;
use encaisse::Ledger;

type Res<T> = Result<T, IpcError>;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct ChainReportDto {
    pub entries: usize,
    pub head: String,
    /// Each problem, in French, naming the entry.
    pub problems: Vec<String>,
    /// SQLite's own checks (integrity, foreign keys).
    pub database: Vec<String>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BackupFileDto {
    pub name: String,
    /// Bytes.
    pub size: u64,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BackupStatusDto {
    pub dir: String,
    pub keep: usize,
    pub backups: Vec<BackupFileDto>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BackupDoneDto {
    pub path: String,
    pub clients: i64,
    pub invoices: i64,
    pub entries: usize,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct RestoreDoneDto {
    pub from: String,
    pub clients: i64,
    pub invoices: i64,
    pub kept_aside: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DossierDto {
    pub path: String,
    pub invoices: usize,
    pub entries: usize,
    pub documents: usize,
    /// Per currency.
    pub total_due: Vec<Money>,
}

fn path_text(p: &std::path::Path) -> String {
    p.display().to_string()
}

fn progress_to<'a>(app: &'a AppHandle, task: &'static str) -> impl Fn(u64, u64) + 'a {
    move |done, total| {
        let _ = app.emit(
            "progress",
            ProgressDto {
                task: task.into(),
                done,
                total,
            },
        );
    }
}

#[tauri::command(async)]
pub fn evidence_log(state: State<'_, App>, client_id: Option<i64>) -> Res<Vec<Evidence>> {
    let mut list = state.ledger()?.evidence(client_id)?;
    list.reverse();
    Ok(list)
}

/// "Vérifier l'intégrité": the evidence chain and SQLite's own checks.
#[tauri::command(async)]
pub fn verify_ledger(state: State<'_, App>) -> Res<ChainReportDto> {
    let ledger = state.ledger()?;
    let report = ledger.verify_evidence()?;
    let database = ledger.database_checks()?;
    Ok(ChainReportDto {
        entries: report.entries,
        head: report.head,
        problems: report.problems.into_iter().map(|p| p.message).collect(),
        database,
    })
}

/// "Enregistrer l'empreinte…": the head of the evidence chain as a text
/// file to keep outside the ledger.
#[tauri::command(async)]
pub fn save_head_receipt(state: State<'_, App>) -> Res<Option<String>> {
    let receipt = state.ledger()?.head_receipt(chrono::Local::now())?;
    save_as_titled(
        "Enregistrer l'empreinte du journal de preuve",
        &format!(
            "empreinte-journal-{}",
            chrono::Local::now().format("%Y-%m-%d")
        ),
        "txt",
        receipt.as_bytes(),
    )
}

#[tauri::command(async)]
pub fn backup_status(state: State<'_, App>) -> Res<BackupStatusDto> {
    let ledger = state.ledger()?;
    Ok(BackupStatusDto {
        dir: path_text(&ledger.backup_dir()?),
        keep: ledger.backup_keep()?,
        backups: ledger
            .backups()?
            .into_iter()
            .map(|(name, size)| BackupFileDto { name, size })
            .collect(),
    })
}

#[tauri::command(async)]
pub fn set_backup_keep(state: State<'_, App>, keep: String) -> Res<()> {
    let keep: usize = keep.trim().parse().map_err(|_| {
        IpcError::new(
            "invalid",
            format!("sauvegardes conservées : « {keep} » n'est pas un nombre"),
        )
    })?;
    state.ledger()?.set_backup_keep(keep)?;
    Ok(())
}

/// "Sauvegarder": an online backup, checked, where the user chooses.
#[tauri::command(async)]
pub fn backup_now(
    app: AppHandle,
    state: State<'_, App>,
    as_of: String,
) -> Res<Option<BackupDoneDto>> {
    let day = encaisse::dates::iso(parse_date(&as_of)?);
    let Some(dest) = choose_destination(
        "Sauvegarder le grand livre",
        &format!("encaisse-sauvegarde-{day}"),
        "sqlite",
    ) else {
        return Ok(None);
    };
    let info = state
        .ledger()?
        .backup_to(&dest, &progress_to(&app, "backup"))?;
    Ok(Some(BackupDoneDto {
        path: path_text(&info.path),
        clients: info.clients,
        invoices: info.invoices,
        entries: info.evidence_entries,
    }))
}

/// "Restaurer": the file is checked first; the current ledger is kept aside.
#[tauri::command(async)]
pub fn restore_backup(app: AppHandle, state: State<'_, App>) -> Res<Option<RestoreDoneDto>> {
    let chosen = match std::env::var_os("ENCAISSE_RESTORE_FROM") {
        Some(file) => Some(PathBuf::from(file)),
        None => rfd::FileDialog::new()
            .set_title("Restaurer une sauvegarde")
            .add_filter("Sauvegarde Encaisse", &["sqlite", "db"])
            .add_filter("Tous les fichiers", &["*"])
            .pick_file(),
    };
    let Some(source) = chosen else {
        return Ok(None);
    };
    let report = state.restore(&source, &progress_to(&app, "restore"))?;
    Ok(Some(RestoreDoneDto {
        from: path_text(&report.restored.path),
        clients: report.restored.clients,
        invoices: report.restored.invoices,
        kept_aside: path_text(&report.kept_aside),
    }))
}

/// The full CSV export of every table.
#[tauri::command(async)]
pub fn export_tables(state: State<'_, App>, as_of: String) -> Res<Option<String>> {
    let day = encaisse::dates::iso(parse_date(&as_of)?);
    let zip = state.ledger()?.export_tables_csv()?;
    save_as_titled(
        "Exporter toutes les données (CSV)",
        &format!("encaisse-export-{day}"),
        "zip",
        &zip,
    )
}

/// "Dossier contentieux" of a client.
#[tauri::command(async)]
pub fn litigation_file(
    state: State<'_, App>,
    client_id: i64,
    as_of: String,
) -> Res<Option<DossierDto>> {
    let (zip, summary) = state
        .ledger()?
        .litigation_file(client_id, parse_date(&as_of)?)?;
    let name = summary.file_name.trim_end_matches(".zip").to_string();
    let Some(path) = save_as_titled("Enregistrer le dossier contentieux", &name, "zip", &zip)?
    else {
        return Ok(None);
    };
    Ok(Some(DossierDto {
        path,
        invoices: summary.invoices,
        entries: summary.reminders,
        documents: summary.documents,
        total_due: summary.total_due,
    }))
}

#[tauri::command(async)]
#[allow(clippy::too_many_arguments)]
pub fn hand_over(
    state: State<'_, App>,
    client_id: i64,
    invoice_ids: Vec<i64>,
    agency: String,
    kind: String,
    date: String,
    fee_terms: String,
    note: String,
) -> Res<i64> {
    let id = state.ledger()?.hand_over(&NewHandover {
        client_id,
        invoice_ids,
        agency,
        kind: HandoverKind::parse(&kind)?,
        date: parse_date(&date)?,
        fee_terms,
        note,
    })?;
    Ok(id)
}

#[tauri::command(async)]
pub fn end_handover(state: State<'_, App>, id: i64, date: String, outcome: String) -> Res<()> {
    state
        .ledger()?
        .end_handover(id, parse_date(&date)?, HandoverOutcome::parse(&outcome)?)?;
    Ok(())
}

#[tauri::command(async)]
pub fn handovers(
    state: State<'_, App>,
    client_id: Option<i64>,
    as_of: String,
) -> Res<Vec<HandoverView>> {
    Ok(state.ledger()?.handovers(client_id, parse_date(&as_of)?)?)
}

/// The day's automatic backup, on its own connection, once the window is up;
/// a failure is told to the window, never fatal.
pub fn start_daily_backup(app: AppHandle) {
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(5));
        let today = chrono::Local::now().date_naive();
        let path = tauri::Manager::state::<App>(&app).ledger_path();
        match Ledger::open(&path).and_then(|l| l.auto_backup(today)) {
            Ok(Some(_)) => {
                let _ = app.emit("backup", ());
            }
            Ok(None) => {}
            Err(e) => {
                let _ = app.emit("backup_failed", e.to_string());
            }
        }
        // Checked again every hour: a window left open overnight backs up the next day.
        std::thread::sleep(std::time::Duration::from_secs(3600));
    });
}

//! Bank statements and e-invoices in the window: choosing several files,
//! the lines to match with their proposals, "Tout valider", one line
//! confirmed or set aside; the company's e-invoices imported. The reading
//! and the matching are in the core (`encaisse::bank`, `encaisse::einvoice`).

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::dto::IpcError;
use crate::state::App;
use encaisse::bank::{self, BankLine, LineState};
use encaisse::money::Money;

type Res<T> = Result<T, IpcError>;

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BankFileDto {
    pub file_name: String,
    pub format: String,
    pub added: usize,
    pub known: usize,
    pub debits: usize,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BankPendingDto {
    pub lines: Vec<BankLine>,
    /// How many lines have a sure proposal, and what they add up to: the
    /// "Tout valider" button says it before it is pressed.
    pub sure_count: usize,
    pub sure_total: Vec<Money>,
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct BankConfirmedDto {
    pub payments: usize,
    pub total: Vec<Money>,
}

/// The native dialog for several files of one kind.
fn pick_files(title: &str, kind: &str, extensions: &[&str]) -> Vec<String> {
    rfd::FileDialog::new()
        .set_title(title)
        .add_filter(kind, extensions)
        .add_filter("Tous les fichiers", &["*"])
        .pick_files()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.display().to_string())
        .collect()
}

/// Reads and parses every file before anything is written: the first file
/// with problems refuses them all, naming it and its first problems.
fn read_all<T>(
    paths: &[String],
    parse: impl Fn(&str, &[u8]) -> Result<T, Vec<encaisse::import::ImportIssue>>,
) -> Res<Vec<(String, T)>> {
    let mut read = Vec::new();
    for path in paths {
        let (name, bytes) = encaisse::import::read_chosen_file(std::path::Path::new(path.trim()))?;
        let parsed = parse(&name, &bytes).map_err(|issues| {
            let lines: Vec<String> = issues
                .iter()
                .take(5)
                .map(|i| format!("{name} : {i}"))
                .collect();
            IpcError::new(
                "import",
                format!("{}. Rien n'a été importé.", lines.join(" ; ")),
            )
        })?;
        read.push((name, parsed));
    }
    Ok(read)
}

/// Opens the native dialog for one or more statements.
#[tauri::command(async)]
pub fn pick_bank_files() -> Res<Vec<String>> {
    Ok(pick_files(
        "Choisir des relevés bancaires",
        "Relevés (CAMT.053, OFX, CFONB, CSV)",
        &["xml", "ofx", "qfx", "txt", "cfonb", "dat", "csv"],
    ))
}

/// Reads every statement first; one bad file and nothing is written.
#[tauri::command(async)]
pub fn bank_import(state: State<'_, App>, paths: Vec<String>) -> Res<Vec<BankFileDto>> {
    let statements = read_all(&paths, |name, bytes| {
        let statement = bank::parse(name, bytes);
        match statement.issues.is_empty() {
            true => Ok(statement),
            false => Err(statement.issues),
        }
    })?;
    let statements: Vec<bank::Statement> = statements.into_iter().map(|(_, s)| s).collect();
    let done = state.ledger()?.import_bank_statements(&statements)?;
    let mut out = Vec::new();
    for (s, done) in statements.iter().zip(done) {
        out.push(BankFileDto {
            file_name: s.file_name.clone(),
            format: s.format.map_or("", |f| f.label()).to_string(),
            added: done.added,
            known: done.known,
            debits: done.debits,
        });
    }
    Ok(out)
}

/// The lines waiting to be matched, with their proposals.
#[tauri::command(async)]
pub fn bank_pending(state: State<'_, App>) -> Res<BankPendingDto> {
    let lines = state.ledger()?.bank_lines(Some(LineState::Pending))?;
    let mut sure_total = Vec::new();
    let mut sure_count = 0;
    for (line, _) in bank::sure_lines(&lines) {
        sure_count += 1;
        encaisse::ledger::add_to(&mut sure_total, line.amount)?;
    }
    Ok(BankPendingDto {
        lines,
        sure_count,
        sure_total,
    })
}

/// "Tout valider": every sure match recorded as a payment.
#[tauri::command(async)]
pub fn bank_confirm_sure(state: State<'_, App>) -> Res<BankConfirmedDto> {
    let done = state.ledger()?.confirm_sure_bank_lines()?;
    Ok(BankConfirmedDto {
        payments: done.payments,
        total: done.total,
    })
}

/// One line recorded as a payment of `client_id` for `invoice_ids`.
#[tauri::command(async)]
pub fn bank_confirm(
    state: State<'_, App>,
    line_id: i64,
    client_id: i64,
    invoice_ids: Vec<i64>,
) -> Res<i64> {
    Ok(state
        .ledger()?
        .confirm_bank_line(line_id, client_id, &invoice_ids)?)
}

/// A line that is not a customer's payment, set aside for good.
#[tauri::command(async)]
pub fn bank_set_aside(state: State<'_, App>, line_id: i64) -> Res<()> {
    Ok(state.ledger()?.set_aside_bank_line(line_id)?)
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct EInvoiceDoneDto {
    pub file_name: String,
    pub format: String,
    pub number: String,
    pub client_code: String,
    pub buyer: String,
    pub due: Money,
    /// `created`, `enriched` or `unchanged`.
    pub outcome: String,
    pub client_created: bool,
}

/// Opens the native dialog for one or more e-invoices.
#[tauri::command(async)]
pub fn pick_einvoice_files() -> Res<Vec<String>> {
    Ok(pick_files(
        "Choisir des factures électroniques",
        "Factur-X, CII, UBL",
        &["pdf", "xml"],
    ))
}

/// Reads every e-invoice and checks its seller first; one bad file and
/// nothing is written.
#[tauri::command(async)]
pub fn einvoice_import(state: State<'_, App>, paths: Vec<String>) -> Res<Vec<EInvoiceDoneDto>> {
    let invoices = read_all(&paths, encaisse::einvoice::parse)?;
    let outcomes = state.ledger()?.import_einvoices(&invoices)?;
    let mut out = Vec::new();
    for ((name, invoice), done) in invoices.iter().zip(outcomes) {
        out.push(EInvoiceDoneDto {
            file_name: name.clone(),
            format: invoice.format.clone(),
            number: done.number,
            client_code: done.client_code,
            buyer: invoice.buyer.name.clone(),
            due: encaisse::money::Money::new(invoice.due_cents, invoice.currency),
            outcome: if done.unchanged {
                "unchanged"
            } else if done.enriched {
                "enriched"
            } else {
                "created"
            }
            .into(),
            client_created: done.client_created,
        });
    }
    Ok(out)
}

//! Thin commands: validate input, call one core function, map the result.
//! Commands that do long work or open dialogs are `async` (a sync command
//! runs on the GTK main thread, where a native dialog would deadlock).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use tauri::{AppHandle, Emitter, State};

use crate::dto::*;
use crate::state::App;
use encaisse::aging::{AgedBalance, AgedInvoice, AgingPolicy};
use encaisse::import::{self, csv::Field, Freshness, ImportOutcome, ImportPreview, ImportRecord};
use encaisse::ledger::{ClientSummary, InvoiceFilter, InvoicePage, NewPayment};
use encaisse::model::{Allocation, Payment};
use encaisse::money::{parse_money, Currency};
use encaisse::reliability::{Reliability, TimelineEvent};
use encaisse::reminders::FollowUpPage;

type Res<T> = Result<T, IpcError>;

fn optional_date(text: &Option<String>) -> Res<Option<encaisse::dates::Date>> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_date(t).map(Some),
    }
}

/// Version, ledger path and whether the ledger is still empty.
#[tauri::command(async)]
pub fn app_info(state: State<'_, App>) -> Res<AppInfoDto> {
    let today = encaisse::dates::iso(chrono::Local::now().date_naive());
    let path = state.ledger_path().display().to_string();
    let ledger = state.ledger()?;
    let empty = ledger
        .clients(chrono::Local::now().date_naive(), None)?
        .is_empty();
    Ok(AppInfoDto {
        version: env!("CARGO_PKG_VERSION").into(),
        ledger_path: path,
        schema_version: ledger.schema_version()?,
        empty,
        today,
    })
}

#[tauri::command(async)]
pub fn dashboard(state: State<'_, App>, as_of: String) -> Res<DashboardDto> {
    let as_of = parse_date(&as_of)?;
    let ledger = state.ledger()?;
    let policy = ledger.aging_policy()?;
    Ok(DashboardDto {
        dashboard: ledger.dashboard(as_of, &policy)?,
        setting_problems: ledger
            .setting_problems()?
            .iter()
            .map(|p| p.describe())
            .collect(),
        company_missing: ledger
            .company()?
            .missing_mentions()
            .into_iter()
            .map(str::to_string)
            .collect(),
    })
}

#[tauri::command(async)]
pub fn aged_balance(state: State<'_, App>, as_of: String) -> Res<AgedBalance> {
    let as_of = parse_date(&as_of)?;
    let ledger = state.ledger()?;
    let policy = ledger.aging_policy()?;
    Ok(ledger.aged_balance(as_of, &policy)?)
}

/// How the aged balance is cut (its bucket bounds in days).
#[tauri::command(async)]
pub fn aging_policy(state: State<'_, App>) -> Res<AgingPolicy> {
    Ok(state.ledger()?.aging_policy()?)
}

#[tauri::command(async)]
pub fn aged_invoices(
    state: State<'_, App>,
    client_id: i64,
    as_of: String,
) -> Res<Vec<AgedInvoice>> {
    let ledger = state.ledger()?;
    let policy = ledger.aging_policy()?;
    Ok(ledger.aged_invoices(client_id, parse_date(&as_of)?, &policy)?)
}

/// Saves the aging bucket bounds (`30,60,90`).
#[tauri::command(async)]
pub fn set_aging_bounds(state: State<'_, App>, bounds: String) -> Res<()> {
    let policy = encaisse::aging::AgingPolicy::parse(&bounds)?;
    Ok(state.ledger()?.set_aging_policy(&policy)?)
}

/// Exports the aged balance as CSV through the native save dialog. Returns the path, or `null` if cancelled.
#[tauri::command(async)]
pub fn export_aging_csv(state: State<'_, App>, as_of: String) -> Res<Option<String>> {
    let as_of = parse_date(&as_of)?;
    let csv = {
        let ledger = state.ledger()?;
        ledger
            .aged_balance(as_of, &ledger.aging_policy()?)?
            .to_csv()
    };
    save_as(
        &format!("balance-agee-{}", encaisse::dates::iso(as_of)),
        "csv",
        csv.as_bytes(),
    )
}

/// Exports the aged balance as PDF through the native save dialog. Returns the path, or `null` if cancelled.
#[tauri::command(async)]
pub fn export_aging_pdf(state: State<'_, App>, as_of: String) -> Res<Option<String>> {
    let as_of = parse_date(&as_of)?;
    let pdf = {
        let ledger = state.ledger()?;
        let aging = ledger.aged_balance(as_of, &ledger.aging_policy()?)?;
        aging.to_pdf(&ledger.company()?, chrono::Local::now().date_naive())?
    };
    save_as(
        &format!("balance-agee-{}", encaisse::dates::iso(as_of)),
        "pdf",
        &pdf,
    )
}

/// Asks where to save `bytes` (native dialog) and writes them there.
/// Returns the path, or `None` if the user cancelled.
fn save_as(name: &str, extension: &str, bytes: &[u8]) -> Res<Option<String>> {
    save_as_titled("Exporter la balance âgée", name, extension, bytes)
}

/// Where to write a file: the native save dialog, or, when `ENCAISSE_SAVE_TO`
/// (a folder) is set, that folder without a dialog — for scripted runs and the
/// end-to-end tests, which cannot drive a native dialog.
pub(crate) fn choose_destination(
    title: &str,
    name: &str,
    extension: &str,
) -> Option<std::path::PathBuf> {
    match std::env::var_os("ENCAISSE_SAVE_TO") {
        Some(dir) => Some(std::path::PathBuf::from(dir).join(format!("{name}.{extension}"))),
        None => rfd::FileDialog::new()
            .set_title(title)
            .set_file_name(format!("{name}.{extension}"))
            .add_filter(extension.to_uppercase(), &[extension])
            .save_file(),
    }
}

/// [`save_as`] with the dialog's title. The file is written beside and then
/// renamed, so a failed write leaves nothing half-written.
pub(crate) fn save_as_titled(
    title: &str,
    name: &str,
    extension: &str,
    bytes: &[u8],
) -> Res<Option<String>> {
    let Some(path) = choose_destination(title, name, extension) else {
        return Ok(None);
    };
    let part = path.with_extension(format!("{extension}.part"));
    std::fs::write(&part, bytes)
        .and_then(|_| std::fs::rename(&part, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&part);
            IpcError::new("io", format!("{} : {e}", path.display()))
        })?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command(async)]
pub fn clients(
    state: State<'_, App>,
    as_of: String,
    search: Option<String>,
) -> Res<Vec<ClientSummary>> {
    let as_of = parse_date(&as_of)?;
    Ok(state.ledger()?.clients(as_of, search.as_deref())?)
}

#[tauri::command(async)]
pub fn client(state: State<'_, App>, id: i64) -> Res<ClientDto> {
    Ok(state.ledger()?.client(id)?.into())
}

/// Creates or updates a client file; returns its id.
#[tauri::command(async)]
pub fn save_client(state: State<'_, App>, client: ClientDto) -> Res<i64> {
    let client = encaisse::model::Client::try_from(client)?;
    let ledger = state.ledger()?;
    if client.id != 0 {
        let existing = ledger.client(client.id)?;
        if existing.code != client.code.trim() {
            return Err(IpcError::new("invalid", "le code client ne se modifie pas : il relie le client à ses factures et à la comptabilité"));
        }
    }
    Ok(ledger.upsert_client(&client)?)
}

#[tauri::command(async)]
pub fn invoices(state: State<'_, App>, filter: InvoiceFilterDto) -> Res<InvoicePage> {
    let f = InvoiceFilter {
        client_id: filter.client_id,
        status: filter.status,
        due_from: optional_date(&filter.due_from)?,
        due_to: optional_date(&filter.due_to)?,
        search: filter.search,
        sort: filter.sort,
        offset: filter.offset.parse().unwrap_or(0),
        limit: Some(filter.limit.parse().unwrap_or(200).min(1000)),
    };
    Ok(state.ledger()?.invoices(&f)?)
}

#[tauri::command(async)]
pub fn payments(state: State<'_, App>, client_id: Option<i64>) -> Res<Vec<Payment>> {
    Ok(state.ledger()?.payments(client_id)?)
}

/// Records a payment, matched automatically if asked.
#[tauri::command(async)]
pub fn record_payment(state: State<'_, App>, payment: NewPaymentDto) -> Res<MatchOutcomeDto> {
    let currency = Currency::parse(if payment.currency.is_empty() {
        "EUR"
    } else {
        &payment.currency
    })?;
    let new = NewPayment {
        client_id: payment
            .client_id
            .ok_or_else(|| IpcError::new("invalid", "choisissez le client qui a payé"))?,
        date: parse_date(&payment.date)?,
        amount: parse_money(&payment.amount, currency)?,
        method: payment.method,
        reference: payment.reference,
    };
    let mut ledger = state.ledger()?;
    if payment.auto_match {
        let (payment_id, outcome) = ledger.record_payment_and_match(&new)?;
        Ok(MatchOutcomeDto {
            payment_id,
            outcome: Some(outcome),
        })
    } else {
        Ok(MatchOutcomeDto {
            payment_id: ledger.record_payment(&new)?,
            outcome: None,
        })
    }
}

/// "Marquer payée": a payment of what is open, matched to the invoice.
#[tauri::command(async)]
pub fn mark_paid(state: State<'_, App>, invoice_id: i64, date: String, method: String) -> Res<i64> {
    Ok(state
        .ledger()?
        .mark_paid(invoice_id, parse_date(&date)?, &method)?)
}

#[tauri::command(async)]
pub fn allocate(
    state: State<'_, App>,
    payment_id: i64,
    invoice_id: i64,
    amount: String,
    date: String,
) -> Res<i64> {
    let cents = encaisse::money::parse_amount(&amount).map_err(|m| IpcError::new("invalid", m))?;
    Ok(state
        .ledger()?
        .allocate(payment_id, invoice_id, cents, parse_date(&date)?)?)
}

#[tauri::command(async)]
pub fn undo_allocation(state: State<'_, App>, allocation_id: i64, date: String) -> Res<i64> {
    Ok(state
        .ledger()?
        .undo_allocation(allocation_id, parse_date(&date)?)?)
}

#[tauri::command(async)]
pub fn allocations(
    state: State<'_, App>,
    invoice_id: Option<i64>,
    payment_id: Option<i64>,
) -> Res<Vec<Allocation>> {
    Ok(state.ledger()?.allocations(invoice_id, payment_id)?)
}

#[tauri::command(async)]
pub fn company(state: State<'_, App>) -> Res<encaisse::model::Company> {
    Ok(state.ledger()?.company()?)
}

#[tauri::command(async)]
pub fn save_company(state: State<'_, App>, company: encaisse::model::Company) -> Res<()> {
    Ok(state.ledger()?.set_company(&company)?)
}

/// Fills an empty ledger with the demonstration company.
#[tauri::command(async)]
pub fn load_demo(state: State<'_, App>, as_of: String) -> Res<()> {
    let as_of = parse_date(&as_of)?;
    encaisse::demo::populate(&mut *state.ledger()?, as_of)?;
    Ok(())
}

/// Opens the native file dialog; returns the chosen path or `null`.
#[tauri::command(async)]
pub fn pick_import_file() -> Res<Option<String>> {
    Ok(rfd::FileDialog::new()
        .set_title("Choisir un fichier à importer")
        .add_filter("FEC, CSV", &["txt", "csv", "tsv", "fec"])
        .add_filter("Tous les fichiers", &["*"])
        .pick_file()
        .map(|p| p.display().to_string()))
}

fn read_file(path: &str) -> Res<(String, Vec<u8>)> {
    Ok(import::read_chosen_file(std::path::Path::new(path.trim()))?)
}

/// Headers, first rows and guessed mapping of a CSV file.
#[tauri::command(async)]
pub fn csv_sample(path: String) -> Res<CsvSampleDto> {
    let (_, bytes) = read_file(&path)?;
    let sample =
        import::csv::sample(&bytes).map_err(|issue| IpcError::new("import", issue.to_string()))?;
    Ok(CsvSampleDto {
        separator: sample.separator.to_string(),
        encoding: sample.encoding,
        headers: sample.headers,
        rows: sample.rows,
        mapping: sample
            .guess
            .into_iter()
            .map(|(f, i)| CsvColumnDto {
                field: field_name(f).into(),
                column: i.to_string(),
            })
            .collect(),
    })
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::ClientCode => "client_code",
        Field::ClientName => "client_name",
        Field::Number => "number",
        Field::IssueDate => "issue_date",
        Field::DueDate => "due_date",
        Field::Amount => "amount",
        Field::Currency => "currency",
        Field::Paid => "paid",
        Field::Email => "email",
        Field::Contact => "contact",
        Field::Phone => "phone",
        Field::Address => "address",
        Field::Address2 => "address2",
        Field::Postcode => "postcode",
        Field::City => "city",
        Field::Country => "country",
        Field::Siren => "siren",
    }
}

/// Reads and checks a file; keeps the result for [`import_commit`]. `kind` is
/// `fec` or `csv`; `mapping` is the CSV column mapping (guessed if empty).
#[tauri::command(async)]
pub fn import_analyze(
    app: AppHandle,
    state: State<'_, App>,
    path: String,
    kind: String,
    mapping: Vec<CsvColumnDto>,
) -> Res<ImportPreview> {
    // Three steps, each announced: reading, the lines, the ledger.
    let step = |done: usize| {
        let _ = app.emit(
            "progress",
            ProgressDto {
                task: "analyze".into(),
                done: done as u64,
                total: 3,
            },
        );
    };
    step(0);
    let plan = match kind.as_str() {
        "fec" => {
            // Read a part at a time: a large FEC is never held whole.
            let (name, file) = import::open_chosen_file(std::path::Path::new(path.trim()))?;
            step(1);
            import::fec::parse_from(&name, file)
        }
        "csv" => {
            let (name, bytes) = read_file(&path)?;
            step(1);
            let mut map = import::csv::Mapping::new();
            for c in mapping {
                let field = Field::ALL
                    .into_iter()
                    .find(|f| field_name(*f) == c.field)
                    .ok_or_else(|| {
                        IpcError::new("invalid", format!("champ « {} » inconnu", c.field))
                    })?;
                map.insert(
                    field,
                    c.column
                        .parse()
                        .map_err(|_| IpcError::new("invalid", "colonne invalide"))?,
                );
            }
            import::csv::parse(
                &name,
                &bytes,
                if map.is_empty() { None } else { Some(&map) },
            )
        }
        other => {
            return Err(IpcError::new(
                "invalid",
                format!("type d'import « {other} » inconnu"),
            ))
        }
    };
    step(2);
    let preview = state.ledger()?.preview_import(&plan, &HashMap::new())?;
    step(3);
    *state
        .pending_import
        .lock()
        .map_err(|_| IpcError::new("internal", "import indisponible"))? = Some(plan);
    Ok(preview)
}

/// Writes the analysed file in one transaction, with the payment terms the
/// user set per client. Sends `progress` events; [`cancel_work`] stops it
/// and nothing is written.
#[tauri::command(async)]
pub fn import_commit(
    app: AppHandle,
    state: State<'_, App>,
    terms: Vec<TermsDto>,
    openings: Vec<OpeningDecisionDto>,
) -> Res<ImportOutcome> {
    let plan = state
        .pending_import
        .lock()
        .map_err(|_| IpcError::new("internal", "import indisponible"))?
        .take()
        .ok_or_else(|| {
            IpcError::new(
                "invalid",
                "aucun fichier analysé : choisissez d'abord un fichier",
            )
        })?;
    let mut overrides = HashMap::new();
    for t in terms {
        let days: u32 = t.days.trim().parse().map_err(|_| {
            IpcError::new(
                "invalid",
                format!(
                    "délai de {} : « {} » n'est pas un nombre de jours",
                    t.code, t.days
                ),
            )
        })?;
        overrides.insert(t.code, days);
    }
    state.cancel.store(false, Ordering::SeqCst);
    let cancel = &state.cancel;
    let mut progress = |done: usize, total: usize| {
        let _ = app.emit(
            "progress",
            ProgressDto {
                task: "import".into(),
                done: done as u64,
                total: total as u64,
            },
        );
        !cancel.load(Ordering::SeqCst)
    };
    let mut choices = encaisse::import::OpeningChoices::default();
    for d in openings {
        let choice = encaisse::import::OpeningChoice::parse(&d.choice).ok_or_else(|| {
            IpcError::new(
                "invalid",
                format!("à-nouveaux de {} : choix « {} » inconnu", d.code, d.choice),
            )
        })?;
        choices.per_client.insert(d.code, choice);
    }
    let options = encaisse::import::ImportOptions {
        terms: overrides,
        openings: choices,
    };
    let outcome = state
        .ledger()?
        .commit_import_with(&plan, &options, &mut progress);
    drop(plan);
    encaisse::store::release_freed_memory();
    Ok(outcome?)
}

/// The imports, newest first, each with what it changed.
#[tauri::command(async)]
pub fn import_history(state: State<'_, App>) -> Res<Vec<ImportRecord>> {
    Ok(state.ledger()?.import_history()?)
}

/// Whether the ledger's data is current enough for a session on `as_of`.
#[tauri::command(async)]
pub fn freshness(state: State<'_, App>, as_of: String) -> Res<Freshness> {
    let day = parse_date(&as_of)?;
    Ok(state.ledger()?.freshness(day)?)
}

/// Asks the running long task to stop (it rolls back).
#[tauri::command(async)]
pub fn cancel_work(state: State<'_, App>) {
    state.cancel.store(true, Ordering::SeqCst);
}

// ---- Follow-up ----

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// The Relances table: every unpaid invoice on `as_of`, filtered.
#[tauri::command(async)]
pub fn follow_up(
    state: State<'_, App>,
    as_of: String,
    filter: FollowUpFilterDto,
) -> Res<FollowUpPage> {
    let as_of = parse_date(&as_of)?;
    let number = |field: &str, text: &str| -> Res<Option<usize>> {
        non_empty(text)
            .map(|t| {
                t.parse()
                    .map_err(|_| IpcError::new("invalid", format!("{field} : « {t} » invalide")))
            })
            .transpose()
    };
    let core = encaisse::reminders::FollowUpFilter {
        search: non_empty(&filter.search).map(str::to_string),
        client_id: None,
        due_from: optional_date(&Some(filter.due_from.clone()))?,
        due_to: optional_date(&Some(filter.due_to.clone()))?,
        last_step: number("niveau", &filter.last_step)?,
        min_days_late: None,
        max_days_late: None,
        bucket: number("tranche", &filter.bucket)?,
        segment: non_empty(&filter.segment).map(str::to_string),
        channel: non_empty(&filter.channel)
            .map(encaisse::engine::Channel::parse)
            .transpose()?,
        due_now_only: filter.due_now_only,
        limit: Some(5_000),
    };
    Ok(state.ledger()?.follow_up(as_of, &core)?)
}

/// The day's work and what the next reminder session will hold.
#[tauri::command(async)]
pub fn day_work(state: State<'_, App>, as_of: String) -> Res<DayWorkDto> {
    let as_of = parse_date(&as_of)?;
    let ledger = state.ledger()?;
    let today = ledger.work_list(as_of)?;
    let next = ledger.next_session(as_of)?;
    Ok(DayWorkDto {
        work: today,
        next_session: next,
        reminder_days: ledger.reminder_days()?,
    })
}

/// "Enregistrer comme effectuée": each selected invoice moves to the level that was due.
#[tauri::command(async)]
pub fn record_selection(
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    date: String,
    note: String,
) -> Res<Vec<i64>> {
    Ok(state
        .ledger()?
        .record_selection(&invoice_ids, parse_date(&date)?, &note)?)
}

/// Sets the level of the selected invoices by hand.
#[tauri::command(async)]
pub fn set_level(
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    step: String,
    date: String,
    note: String,
) -> Res<Vec<i64>> {
    let step: usize = step
        .trim()
        .parse()
        .map_err(|_| IpcError::new("invalid", format!("niveau « {step} » invalide")))?;
    Ok(state
        .ledger()?
        .set_level(&invoice_ids, step, parse_date(&date)?, &note)?)
}

/// Records a call (or any contact) with its outcome and note.
#[tauri::command(async)]
pub fn record_call(
    state: State<'_, App>,
    client_id: i64,
    step: usize,
    date: String,
    outcome: String,
    note: String,
) -> Res<i64> {
    Ok(state
        .ledger()?
        .record_reminder(&encaisse::reminders::NewReminder {
            client_id,
            step,
            channel: encaisse::engine::Channel::Call,
            date: parse_date(&date)?,
            invoice_ids: vec![],
            outcome,
            note,
            manual: false,
        })?)
}

#[tauri::command(async)]
pub fn add_promise(
    state: State<'_, App>,
    client_id: i64,
    amount: String,
    made_on: String,
    due: String,
    note: String,
) -> Res<i64> {
    let amount = parse_money(&amount, Currency::EUR)?;
    Ok(state.ledger()?.add_promise(
        client_id,
        amount,
        parse_date(&made_on)?,
        parse_date(&due)?,
        &note,
    )?)
}

/// A dispute on an invoice: `amount` empty = the whole invoice.
#[tauri::command(async)]
pub fn add_dispute(
    state: State<'_, App>,
    invoice_id: i64,
    amount: String,
    reason: String,
    date: String,
) -> Res<i64> {
    let cents = match non_empty(&amount) {
        Some(a) => Some(encaisse::money::parse_amount(a).map_err(|m| IpcError::new("invalid", m))?),
        None => None,
    };
    Ok(state
        .ledger()?
        .add_dispute(invoice_id, cents, &reason, parse_date(&date)?)?)
}

/// Holds reminders: `scope` is `invoice`, `client` or `all`.
#[tauri::command(async)]
pub fn add_pause(
    state: State<'_, App>,
    scope: String,
    id: Option<i64>,
    until: String,
    reason: String,
) -> Res<i64> {
    use encaisse::reminders::PauseScope;
    let id = || id.ok_or_else(|| IpcError::new("invalid", "identifiant manquant"));
    let scope = match scope.as_str() {
        "invoice" => PauseScope::Invoice(id()?),
        "client" => PauseScope::Client(id()?),
        "all" => PauseScope::All,
        other => {
            return Err(IpcError::new(
                "invalid",
                format!("portée « {other} » inconnue"),
            ))
        }
    };
    Ok(state
        .ledger()?
        .add_pause(scope, parse_date(&until)?, &reason)?)
}

/// Sets the reminder days of the month (`1, 15`).
#[tauri::command(async)]
pub fn set_reminder_days(state: State<'_, App>, days: String) -> Res<Vec<u32>> {
    Ok(state.ledger()?.set_reminder_days(&days)?)
}

/// The reminder days of the month.
#[tauri::command(async)]
pub fn reminder_days(state: State<'_, App>) -> Res<Vec<u32>> {
    Ok(state.ledger()?.reminder_days()?)
}

// ---- Reliability, timeline, scenarios, rates, waivers ----

#[tauri::command(async)]
pub fn reliability(state: State<'_, App>, client_id: i64, as_of: String) -> Res<Reliability> {
    Ok(state
        .ledger()?
        .reliability(client_id, parse_date(&as_of)?)?)
}

/// Sets the score by hand; an empty score removes it.
#[tauri::command(async)]
pub fn set_score(state: State<'_, App>, client_id: i64, score: String, note: String) -> Res<()> {
    let score = match non_empty(&score) {
        Some(s) => Some(s.parse::<u8>().map_err(|_| {
            IpcError::new("invalid", format!("note « {s} » : un nombre de 0 à 100"))
        })?),
        None => None,
    };
    Ok(state.ledger()?.set_score(client_id, score, &note)?)
}

#[tauri::command(async)]
pub fn timeline(state: State<'_, App>, client_id: i64, as_of: String) -> Res<Vec<TimelineEvent>> {
    Ok(state.ledger()?.timeline(client_id, parse_date(&as_of)?)?)
}

#[tauri::command(async)]
pub fn scenarios(state: State<'_, App>) -> Res<Vec<ScenarioDto>> {
    Ok(state
        .ledger()?
        .scenarios()?
        .iter()
        .map(Into::into)
        .collect())
}

#[tauri::command(async)]
pub fn save_scenarios(state: State<'_, App>, scenarios: Vec<ScenarioDto>) -> Res<()> {
    let core = scenarios
        .iter()
        .map(ScenarioDto::to_core)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(state.ledger()?.set_scenarios(&core)?)
}

#[tauri::command(async)]
pub fn reset_scenarios(state: State<'_, App>) -> Res<()> {
    Ok(state.ledger()?.reset_scenarios()?)
}

#[tauri::command(async)]
pub fn rate_tables(state: State<'_, App>) -> Res<RateTablesDto> {
    Ok(state.ledger()?.rate_tables()?.into())
}

#[tauri::command(async)]
pub fn save_rate_tables(state: State<'_, App>, rates: RateTablesDto) -> Res<()> {
    Ok(state.ledger()?.set_rate_tables(&rates.to_core()?)?)
}

/// "Importer un CSV…" in Paramètres › Taux: the table as it would be with
/// the file's rates (the ECB's or Banque de France's export), to check
/// before "Enregistrer"; nothing is saved here.
#[tauri::command(async)]
pub fn rates_import_preview(
    state: State<'_, App>,
    table: String,
    path: String,
) -> Res<RatesImportDto> {
    let table = encaisse::rates_file::RateTable::parse(&table)?;
    let (_, bytes) = read_file(&path)?;
    let file = encaisse::rates_file::parse(&bytes)?;
    let current = state.ledger()?.rate_tables()?;
    Ok(RatesImportDto {
        tables: encaisse::rates_file::merged(&current, table, &file).into(),
        summary: file.summary(),
    })
}

#[tauri::command(async)]
pub fn reset_rate_tables(state: State<'_, App>) -> Res<()> {
    Ok(state.ledger()?.reset_rate_tables()?)
}

/// Waivers of a client's late-payment charges (interest, the 40 € indemnity).
#[tauri::command(async)]
pub fn set_client_waivers(
    state: State<'_, App>,
    client_id: i64,
    waive_interest: bool,
    waive_indemnity: bool,
) -> Res<()> {
    Ok(state.ledger()?.set_charge_terms(
        Some(client_id),
        None,
        &encaisse::charges::ChargeTerms {
            waive_interest,
            waive_indemnity,
            contractual_percent: None,
        },
    )?)
}

#[tauri::command(async)]
pub fn client_waivers(state: State<'_, App>, client_id: i64) -> Res<WaiversDto> {
    let t = state.ledger()?.client_charge_terms(client_id)?;
    Ok(WaiversDto {
        waive_interest: t.waive_interest,
        waive_indemnity: t.waive_indemnity,
    })
}

/// "Télécharger les relances (.zip)" (`merged` = false) or "Imprimer"
/// (`merged` = true: one PDF sorted by postcode with its register). Once
/// saved, each letter is recorded with the SHA-256 of its PDF and its
/// invoices move to its level.
#[tauri::command(async)]
pub fn save_letters(
    state: State<'_, App>,
    invoice_ids: Vec<i64>,
    as_of: String,
    merged: bool,
) -> Res<Option<LettersSavedDto>> {
    let as_of = parse_date(&as_of)?;
    let (letters, held) = {
        let ledger = state.ledger()?;
        let rows = ledger.work_rows_for_invoices(&invoice_ids, as_of)?;
        (
            ledger.letters(&rows, as_of)?,
            ledger.letters_held_back(&rows)?,
        )
    };
    if letters.is_empty() {
        let why = if held.is_empty() {
            "aucune lettre à envoyer aujourd'hui pour ces factures (rien n'est dû par courrier)"
                .to_string()
        } else {
            format!(
                "aucune lettre produite : {}",
                encaisse::documents::held_back_summary(&held)
            )
        };
        return Err(IpcError::new("invalid", why));
    }
    let day = encaisse::dates::iso(as_of);
    let (saved, fingerprints) = if merged {
        let pdf = encaisse::documents::merged_pdf(&letters, as_of);
        // Each letter is kept on its own in the evidence log.
        let entries: Vec<encaisse::documents::ZipEntry> = letters
            .iter()
            .map(|l| {
                encaisse::documents::ZipEntry::new(
                    l.file_name(),
                    encaisse::documents::letter_pdf(l),
                )
            })
            .collect();
        let saved = save_as_titled(
            "Imprimer les relances",
            &format!("relances-{day}"),
            "pdf",
            &pdf,
        )?;
        (saved, entries)
    } else {
        let (zip, entries) = encaisse::documents::letters_zip(&letters)?;
        let saved = save_as_titled(
            "Télécharger les relances",
            &format!("relances-{day}"),
            "zip",
            &zip,
        )?;
        (saved, entries)
    };
    let Some(path) = saved else {
        return Ok(None);
    };
    let mut ledger = state.ledger()?;
    for (letter, entry) in letters.iter().zip(&fingerprints) {
        ledger.record_document(&letter.facts, as_of, entry)?;
    }
    Ok(Some(LettersSavedDto {
        path,
        count: letters.len(),
        held_back: (!held.is_empty()).then(|| encaisse::documents::held_back_summary(&held)),
    }))
}

// ---- Modèles de relance ----

fn template_kind(kind: &str) -> Res<encaisse::documents::Kind> {
    use encaisse::documents::Kind;
    match kind {
        "letter" => Ok(Kind::Letter),
        "email" => Ok(Kind::Email),
        "script" => Ok(Kind::Script),
        other => Err(IpcError::new(
            "invalid",
            format!("type de modèle « {other} » inconnu"),
        )),
    }
}

#[tauri::command(async)]
pub fn templates(state: State<'_, App>) -> Res<Vec<TemplateInfoDto>> {
    let ledger = state.ledger()?;
    let mut out = Vec::new();
    for (language, key, kind) in encaisse::documents::default_templates() {
        let current = ledger.template_source(language, key, kind)?;
        out.push(TemplateInfoDto {
            language: language.into(),
            key: key.into(),
            kind,
            edited: Some(current.as_str())
                != encaisse::documents::default_source(language, key, kind),
        });
    }
    Ok(out)
}

#[tauri::command(async)]
pub fn template_source(
    state: State<'_, App>,
    language: String,
    key: String,
    kind: String,
) -> Res<String> {
    Ok(state
        .ledger()?
        .template_source(&language, &key, template_kind(&kind)?)?)
}

/// Renders a template being edited (nothing is saved): on the first of
/// today's communications that uses it, else on sample facts.
#[tauri::command(async)]
pub fn preview_template(
    state: State<'_, App>,
    language: String,
    key: String,
    as_of: String,
    source: String,
) -> Res<TemplatePreviewDto> {
    let as_of = parse_date(&as_of)?;
    let real = {
        let ledger = state.ledger()?;
        let rows: Vec<_> = ledger
            .work_list(as_of)?
            .rows
            .into_iter()
            .filter(|r| r.template == key)
            .take(1)
            .collect();
        ledger.letter_facts(&rows, as_of)?.into_iter().next()
    };
    let facts = real.unwrap_or_else(|| encaisse::documents::sample_facts(&language));
    let rendered = encaisse::documents::render(&source, &facts)?;
    Ok(TemplatePreviewDto {
        subject: rendered.subject.clone(),
        text: encaisse::documents::to_text(&rendered, &facts),
    })
}

#[tauri::command(async)]
pub fn save_template(
    state: State<'_, App>,
    language: String,
    key: String,
    kind: String,
    source: String,
) -> Res<()> {
    Ok(state
        .ledger()?
        .set_template(&language, &key, template_kind(&kind)?, &source)?)
}

#[tauri::command(async)]
pub fn reset_template(
    state: State<'_, App>,
    language: String,
    key: String,
    kind: String,
) -> Res<()> {
    Ok(state
        .ledger()?
        .reset_template(&language, &key, template_kind(&kind)?)?)
}

/// The envelope-window offsets, in millimetres (`dx`, `dy`).
#[tauri::command(async)]
pub fn window_offsets(state: State<'_, App>) -> Res<Vec<String>> {
    let w = state.ledger()?.window_placement()?;
    let d = encaisse::documents::WindowPlacement::default();
    Ok(vec![
        format!("{}", w.x - d.x).replace('.', ","),
        format!("{}", w.y - d.y).replace('.', ","),
    ])
}

#[tauri::command(async)]
pub fn set_window_offsets(state: State<'_, App>, dx: String, dy: String) -> Res<()> {
    let number = |t: &str| -> Res<f32> {
        t.trim().replace(',', ".").parse().map_err(|_| {
            IpcError::new(
                "invalid",
                format!("décalage « {t} » : un nombre de millimètres"),
            )
        })
    };
    Ok(state
        .ledger()?
        .set_window_offsets(number(&dx)?, number(&dy)?)?)
}

/// Saves the one-page test print for the envelope window.
#[tauri::command(async)]
pub fn window_test_print(state: State<'_, App>) -> Res<Option<String>> {
    let placement = state.ledger()?.window_placement()?;
    let pdf = encaisse::documents::window_test_page(placement);
    save_as_titled(
        "Page de test de la fenêtre",
        "page-de-test-fenetre",
        "pdf",
        &pdf,
    )
}

/// The LRAR number of a registered letter and the day its receipt came back.
#[tauri::command(async)]
pub fn set_registered_post(
    state: State<'_, App>,
    reminder_id: i64,
    number: String,
    acknowledged_on: String,
) -> Res<()> {
    Ok(state.ledger()?.set_registered_post(
        reminder_id,
        &number,
        optional_date(&Some(acknowledged_on))?,
    )?)
}

//! `encaisse-cli`: the command-line companion of Encaisse, over the same core.
//!
//! ```text
//! encaisse-cli [--ledger PATH] COMMAND [OPTIONS]
//! ```
//! Run `encaisse-cli help` for the list. Reports take `--json`. Errors go to
//! stderr (with file, line and column for imports) and the exit code is 1
//! (2 for a usage error).

mod mail;
mod proof;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use encaisse::dates::{self, Date};
use encaisse::import::{self, ImportPlan};
use encaisse::ledger::InvoiceFilter;
use encaisse::money::{format_cents_fr, Money};
use encaisse::{Error, Ledger};

mod args;
mod bank;

struct Args {
    words: Vec<String>,
    flags: HashMap<String, Option<String>>,
}

/// The words and options of the command line, as `args.rs` declares them
/// and clap read them: the handlers look options up by their spelling.
fn parse_args() -> Result<Args, String> {
    let command = args::command();
    let matches = match command.clone().try_get_matches() {
        Ok(m) => m,
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
            _ => return Err(french_error(&e)),
        },
    };
    let mut words = Vec::new();
    let mut flags = HashMap::new();
    let (mut definition, mut found) = (&command, &matches);
    loop {
        collect(definition, found, &mut words, &mut flags);
        match found.subcommand() {
            Some((name, sub)) => {
                words.push(name.to_string());
                definition = definition
                    .find_subcommand(name)
                    .expect("a subcommand clap matched is declared");
                found = sub;
            }
            None => break,
        }
    }
    Ok(Args { words, flags })
}

/// The positional values of one level of the command, and its options given.
fn collect(
    definition: &clap::Command,
    found: &clap::ArgMatches,
    words: &mut Vec<String>,
    flags: &mut HashMap<String, Option<String>>,
) {
    let text = |id: &str| -> Option<String> {
        found
            .get_raw(id)
            .and_then(|mut values| values.next())
            .map(|v| v.to_string_lossy().into_owned())
    };
    for arg in definition.get_positionals() {
        // Every value: `import bank A.xml B.ofx`.
        if let Some(values) = found.get_raw(arg.get_id().as_str()) {
            words.extend(values.map(|v| v.to_string_lossy().into_owned()));
        }
    }
    for arg in definition.get_arguments().filter(|a| !a.is_positional()) {
        let id = arg.get_id().as_str();
        let (Some(long), Some(clap::parser::ValueSource::CommandLine)) =
            (arg.get_long(), found.value_source(id))
        else {
            continue;
        };
        match arg.get_action() {
            clap::ArgAction::SetTrue => {
                flags.insert(format!("--{long}"), None);
            }
            clap::ArgAction::Set => {
                flags.insert(format!("--{long}"), text(id));
            }
            _ => {}
        }
    }
}

/// A mistake on the command line, said in French.
fn french_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ErrorKind};
    let get = |kind| e.get(kind).map(|v| v.to_string()).unwrap_or_default();
    match e.kind() {
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue : {}",
            get(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::UnknownArgument => {
            format!("option inconnue : {}", get(ContextKind::InvalidArg))
        }
        ErrorKind::MissingRequiredArgument => {
            format!("il manque : {}", get(ContextKind::InvalidArg))
        }
        ErrorKind::InvalidValue => format!(
            "{} : « {} » n'est pas une valeur possible ({})",
            get(ContextKind::InvalidArg),
            get(ContextKind::InvalidValue),
            get(ContextKind::ValidValue)
        ),
        ErrorKind::ArgumentConflict => format!(
            "{} ne va pas avec {}",
            get(ContextKind::InvalidArg),
            get(ContextKind::PriorArg)
        ),
        ErrorKind::MissingSubcommand => "il manque la commande".to_string(),
        _ => e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("commande mal écrite")
            .trim_start_matches("error: ")
            .to_string(),
    }
}

impl Args {
    fn has(&self, flag: &str) -> bool {
        self.flags.contains_key(flag)
    }
    fn value(&self, flag: &str) -> Option<&str> {
        self.flags.get(flag).and_then(|v| v.as_deref())
    }
    fn as_of(&self) -> Result<Date, Error> {
        match self.value("--as-of") {
            Some(text) => dates::parse_date(text).map_err(|m| Error::invalid("--as-of", m)),
            None => Ok(chrono::Local::now().date_naive()),
        }
    }
}

fn main() -> ExitCode {
    encaisse::store::tune_allocator();
    // `encaisse-cli clients | head`: stop quietly when the reader goes away,
    // like any Unix tool, instead of panicking on the closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("encaisse-cli : {message}\n(encaisse-cli --help pour l'aide)");
            return ExitCode::from(2);
        }
    };
    // Named so, another program waiting for the ledger says who holds it.
    encaisse::writers::set_program(&format!("encaisse-cli {}", args.words.join(" ")));
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("encaisse-cli : {message}\n(encaisse-cli --help pour l'aide)");
            ExitCode::from(2)
        }
        Err(Failure::Core(error, file)) => {
            match (&error, file) {
                (Error::Import(issues), Some(file)) => {
                    eprintln!(
                        "encaisse-cli : {}, rien n'a été importé",
                        encaisse::words::fr(issues.len() as u64, "erreur", "erreurs")
                    );
                    for issue in issues {
                        eprintln!("{}:{}", file.display(), issue_location(issue));
                    }
                }
                (Error::CompanyIncomplete(missing), _) => {
                    eprintln!("encaisse-cli : mentions manquantes dans le profil de l'entreprise (company set) :");
                    for field in missing {
                        eprintln!("  - {field}");
                    }
                }
                _ => eprintln!("encaisse-cli : {error}"),
            }
            ExitCode::from(1)
        }
    }
}

/// `12:Debit: message` — file:line:column: message, as compilers print it.
fn issue_location(issue: &import::ImportIssue) -> String {
    match &issue.column {
        Some(column) => format!("{}:{column}: {}", issue.line, issue.message),
        None => format!("{}: {}", issue.line, issue.message),
    }
}

enum Failure {
    Usage(String),
    Core(Error, Option<PathBuf>),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e, None)
    }
}

/// A reminder session on data older than the ledger's limit is refused
/// unless `--stale-ok` says the user knows.
pub(crate) fn check_fresh(args: &Args, ledger: &Ledger, day: Date) -> Result<(), Failure> {
    if args.has("--stale-ok") {
        return Ok(());
    }
    match ledger.freshness(day)?.message {
        Some(message) => Err(Failure::Core(
            Error::invalid(
                "données anciennes",
                format!("{message} (ou confirmez avec --stale-ok)"),
            ),
            None,
        )),
        None => Ok(()),
    }
}

/// `rates`: the tables in use.
fn rates_show(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let rates = ledger.rate_tables()?;
    if args.has("--json") {
        json(&rates);
        return Ok(());
    }
    for (name, rows) in [
        ("Taux BCE (MRO)", &rates.ecb_mro),
        ("Taux légal (autres cas)", &rates.fr_legal_other),
        ("Basiszinssatz", &rates.de_base),
        ("Bank of England", &rates.boe_base),
    ] {
        println!("{name}");
        for r in rows {
            println!("  {}  {} %", dates::format_fr(r.from), r.percent);
        }
    }
    println!(
        "BCE connu jusqu'au {} ; Bank of England jusqu'au {}",
        dates::format_fr(rates.ecb_known_through),
        dates::format_fr(rates.boe_known_through)
    );
    Ok(())
}

/// `rates import --table T FILE`: the file's rates merged into the table,
/// checked, saved (unless `--dry-run`).
fn rates_import(args: &Args, ledger: &Ledger, file: &str) -> Result<(), Failure> {
    let table = args.value("--table").ok_or_else(|| {
        Failure::Usage("rates import : --table ecb|fr|de|boe est obligatoire".into())
    })?;
    let table = encaisse::rates_file::RateTable::parse(table)?;
    let path = PathBuf::from(file);
    let (_, bytes) = import::read_chosen_file(&path)?;
    let parsed = encaisse::rates_file::parse(&bytes).map_err(|e| Failure::Core(e, Some(path)))?;
    let merged = encaisse::rates_file::merged(&ledger.rate_tables()?, table, &parsed);
    encaisse::charges::validate_rates(&merged)?;
    if args.has("--dry-run") {
        println!("{} (rien d'enregistré : --dry-run)", parsed.summary());
    } else {
        ledger.set_rate_tables(&merged)?;
        println!("{} : table enregistrée", parsed.summary());
    }
    Ok(())
}

/// `company set`: the options given replace those fields, the others stay.
fn company_set(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let mut c = ledger.company()?;
    for (flag, field) in [
        ("--name", &mut c.legal_name),
        ("--form", &mut c.legal_form),
        ("--capital", &mut c.capital),
        ("--siren", &mut c.siren),
        ("--siret", &mut c.siret),
        ("--rcs", &mut c.rcs_city),
        ("--vat", &mut c.vat_number),
        ("--address", &mut c.address),
        ("--postcode", &mut c.postcode),
        ("--city", &mut c.city),
        ("--iban", &mut c.iban),
        ("--bic", &mut c.bic),
        ("--email", &mut c.email),
        ("--phone", &mut c.phone),
        ("--signatory", &mut c.signature_name),
        ("--other-payment", &mut c.payment_other),
    ] {
        if let Some(value) = args.value(flag) {
            *field = value.to_string();
        }
    }
    ledger.set_company(&c)?;
    company_show(args, ledger)
}

/// `company show`: the profile, and what it lacks for a reminder to go.
fn company_show(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let c = ledger.company()?;
    let missing = c.missing_mentions();
    if args.has("--json") {
        json(&serde_json::json!({ "company": c, "missing": missing }));
        return Ok(());
    }
    for (label, value) in [
        ("Raison sociale", &c.legal_name),
        ("Forme juridique", &c.legal_form),
        ("Capital", &c.capital),
        ("SIREN", &c.siren),
        ("SIRET", &c.siret),
        ("RCS", &c.rcs_city),
        ("TVA", &c.vat_number),
        ("Adresse", &c.address),
        ("Code postal", &c.postcode),
        ("Ville", &c.city),
        ("IBAN", &c.iban),
        ("BIC", &c.bic),
        ("Autre moyen de paiement", &c.payment_other),
        ("E-mail", &c.email),
        ("Téléphone", &c.phone),
        ("Signataire", &c.signature_name),
    ] {
        println!("{label:<24} {value}");
    }
    if missing.is_empty() {
        println!("Mentions légales complètes : les relances peuvent partir.");
    } else {
        println!("Manque pour relancer : {}", missing.join(", "));
    }
    Ok(())
}

fn open(args: &Args) -> Result<Ledger, Failure> {
    Ok(Ledger::open(&ledger_path(args)?)?)
}

/// `dossiers add|list|remove`.
fn dossiers(args: &Args, action: &str, name: Option<&str>) -> Result<(), Failure> {
    use encaisse::dossiers::Registry;
    let mut registry = Registry::in_data_dir()?;
    match (action, name) {
        ("add", Some(name)) => {
            let dossier = registry.add(name, args.value("--path").map(std::path::Path::new))?;
            registry.save()?;
            println!("Dossier « {} » : {}", dossier.name, dossier.path.display());
        }
        ("remove", Some(name)) => {
            let dossier = registry.remove(name)?;
            registry.save()?;
            println!(
                "Dossier « {} » retiré de la liste ; son grand livre reste dans {}",
                dossier.name,
                dossier.path.display()
            );
        }
        _ => {
            if args.has("--json") {
                json(&registry.dossiers);
            } else {
                for d in &registry.dossiers {
                    println!("{:<24} {}", d.name, d.path.display());
                }
            }
        }
    }
    Ok(())
}

/// `portfolio`: per dossier, the company, what it is owed, what today's
/// session holds.
fn portfolio(args: &Args) -> Result<(), Failure> {
    let registry = encaisse::dossiers::Registry::in_data_dir()?;
    let rows = encaisse::dossiers::portfolio(&registry, args.as_of()?);
    if args.has("--json") {
        json(&rows);
        return Ok(());
    }
    let monies = |m: &[Money]| -> String {
        if m.is_empty() {
            "0,00 €".into()
        } else {
            m.iter()
                .map(|x| x.format_fr())
                .collect::<Vec<_>>()
                .join(" + ")
        }
    };
    for r in &rows {
        match &r.problem {
            Some(why) => println!("{:<20} {why}", r.name),
            None => println!(
                "{:<20} {:<28} encours {:>14}  échu {:>14}  séance du {} : {}, {}, {}, {}",
                r.name,
                r.company,
                monies(&r.outstanding),
                monies(&r.overdue),
                r.next_session
                    .map(dates::format_fr)
                    .unwrap_or_else(|| "—".into()),
                encaisse::words::fr(r.calls as u64, "appel", "appels"),
                encaisse::words::fr(r.emails as u64, "e-mail", "e-mails"),
                encaisse::words::fr(r.letters as u64, "lettre", "lettres"),
                encaisse::words::fr(
                    r.formal_notices as u64,
                    "mise en demeure",
                    "mises en demeure"
                ),
            ),
        }
    }
    let totals = encaisse::dossiers::totals(&rows)?;
    println!(
        "{:<20} {:<28} encours {:>14}  échu {:>14}",
        "Total",
        "",
        monies(&totals.outstanding),
        monies(&totals.overdue)
    );
    Ok(())
}

/// The ledger the command works on: `--dossier NAME`'s, `--ledger`, else
/// the default one.
pub(crate) fn ledger_path(args: &Args) -> Result<PathBuf, Failure> {
    if let Some(name) = args.value("--dossier") {
        return Ok(encaisse::dossiers::Registry::in_data_dir()?.path_of(name)?);
    }
    Ok(encaisse::paths::ledger_path(
        args.value("--ledger").map(PathBuf::from),
    ))
}

fn json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("reports serialise")
    );
}

fn eur(cents: i64) -> String {
    format!("{} €", format_cents_fr(cents))
}

fn run(args: &Args) -> Result<(), Failure> {
    let words: Vec<&str> = args.words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["import", kind @ ("fec" | "csv"), file] => import_file(args, kind, PathBuf::from(file)),
        ["import", "bank", files @ ..] if !files.is_empty() => bank::import(args, files),
        ["import", "einvoice", files @ ..] if !files.is_empty() => {
            bank::import_einvoices(args, files)
        }
        ["bank", "pending"] => bank::pending(args, &open(args)?),
        ["bank", "confirm"] if args.has("--sure") => bank::confirm_sure(&mut open(args)?),
        ["bank", "confirm", line] => bank::confirm(args, &mut open(args)?, line),
        ["bank", "set-aside", line] => bank::set_aside(&mut open(args)?, line),
        ["imports"] => {
            let history = open(args)?.import_history()?;
            if args.has("--json") {
                json(&history);
            } else {
                for record in &history {
                    println!(
                        "{} {} ({})",
                        record.imported_at, record.file_name, record.kind
                    );
                    print_changes(&record.outcome.changes);
                }
            }
            Ok(())
        }
        ["import", ..] => Err(Failure::Usage(
            "import fec FICHIER ou import csv FICHIER".into(),
        )),
        ["aging"] => {
            let ledger = open(args)?;
            let policy = ledger.aging_policy()?;
            let aging = ledger.aged_balance(args.as_of()?, &policy)?;
            if let Some(file) = args.value("--pdf") {
                let pdf = aging.to_pdf(&ledger.company()?, chrono::Local::now().date_naive())?;
                std::fs::write(file, pdf).map_err(|source| Error::Io {
                    path: file.into(),
                    source,
                })?;
                println!("Balance âgée enregistrée : {file}");
            } else if args.has("--json") {
                json(&aging);
            } else if args.has("--csv") {
                print!("{}", aging.to_csv());
            } else {
                println!("Balance âgée au {}", dates::format_fr(aging.as_of));
                print!("{:<32}", "Client");
                for label in &aging.labels {
                    print!("{label:>14}");
                }
                println!("{:>14}{:>16}", "Non lettré", "Total");
                for row in aging.rows.iter().chain(&aging.totals) {
                    print!(
                        "{:<32}",
                        row.client_name.chars().take(31).collect::<String>()
                    );
                    for b in &row.buckets {
                        print!("{:>14}", format_cents_fr(*b));
                    }
                    println!(
                        "{:>14}{:>16}",
                        format_cents_fr(row.unapplied),
                        row.total.format_fr()
                    );
                }
            }
            Ok(())
        }
        ["dashboard"] => {
            let ledger = open(args)?;
            let d = ledger.dashboard(args.as_of()?, &ledger.aging_policy()?)?;
            if args.has("--json") {
                json(&d);
            } else {
                println!("Au {}", dates::format_fr(d.as_of));
                println!("Encours           {}", d.outstanding.format_fr());
                println!("Échu              {}", d.overdue.format_fr());
                println!(
                    "DSO               {}",
                    d.dso_days
                        .map(|v| format!("{v} j"))
                        .unwrap_or_else(|| "—".into())
                );
                println!("Encaissé ce mois  {}", d.collected_this_month.format_fr());
            }
            Ok(())
        }
        ["charges"] => {
            let ledger = open(args)?;
            let report = ledger.charges_report(args.as_of()?, &ledger.rate_tables()?)?;
            if args.has("--json") {
                json(&report);
            } else {
                for r in &report {
                    let (days, interest, indemnity, rates) = match &r.charges {
                        Some(c) => (
                            c.days_late.to_string(),
                            c.interest.format_fr(),
                            c.indemnity.format_fr(),
                            c.rates_fr(),
                        ),
                        None => (
                            "—".into(),
                            "règles inconnues".into(),
                            String::new(),
                            String::new(),
                        ),
                    };
                    println!(
                        "{:<24} {:<10} {} {:>5} j {:>14} {:>12} {:>10}  {rates}",
                        r.number,
                        r.client_code,
                        dates::format_fr(r.due_date),
                        days,
                        r.open.format_fr(),
                        interest,
                        indemnity
                    );
                }
                let confirm: std::collections::BTreeSet<&String> = report
                    .iter()
                    .filter_map(|r| r.charges.as_ref())
                    .flat_map(|c| &c.rates_to_confirm)
                    .collect();
                for line in confirm {
                    println!("À confirmer : {line}");
                }
            }
            Ok(())
        }
        ["worklist"] => {
            let ledger = open(args)?;
            let work = ledger.work_list(args.as_of()?)?;
            if args.has("--json") {
                json(&work);
            } else {
                println!("Relances du {}", dates::format_fr(work.as_of));
                if let Some(until) = work.global_pause {
                    println!(
                        "Toutes les relances sont suspendues jusqu'au {}",
                        dates::format_fr(until)
                    );
                }
                for r in &work.rows {
                    let numbers: Vec<&str> = r.invoices.iter().map(|i| i.number.as_str()).collect();
                    println!(
                        "{:<10} {:<28} {} {:<32} {:<17} {:>14}  {}",
                        r.client_code,
                        r.client_name.chars().take(27).collect::<String>(),
                        r.step,
                        r.step_name,
                        r.channel.as_str(),
                        r.total.format_fr(),
                        numbers.join(", ")
                    );
                }
                for h in &work.held {
                    println!(
                        "{:<10} {:<28} en attente : {}",
                        h.client_code, h.client_name, h.reason
                    );
                }
                for p in &work.broken_promises {
                    println!(
                        "Promesse non tenue : {} — {} au {}",
                        p.client_name,
                        p.amount.format_fr(),
                        dates::format_fr(p.due)
                    );
                }
            }
            Ok(())
        }
        ["record"] => {
            let mut ledger = open(args)?;
            let code = args
                .value("--client")
                .ok_or_else(|| Failure::Usage("record : --client CODE est obligatoire".into()))?;
            let level: usize = args
                .value("--level")
                .ok_or_else(|| Failure::Usage("record : --level N est obligatoire".into()))?
                .parse()
                .map_err(|_| Error::invalid("--level", "un numéro de niveau (1, 2, 3…)"))?;
            let channel =
                encaisse::engine::Channel::parse(args.value("--channel").ok_or_else(|| {
                    Failure::Usage("record : --channel C est obligatoire".into())
                })?)?;
            let date = match args.value("--date") {
                Some(text) => dates::parse_date(text).map_err(|m| Error::invalid("--date", m))?,
                None => chrono::Local::now().date_naive(),
            };
            let client = ledger.client_by_code(code)?;
            let id = ledger.record_reminder(&encaisse::reminders::NewReminder {
                client_id: client.id,
                step: level,
                channel,
                date,
                invoice_ids: vec![],
                outcome: String::new(),
                note: args.value("--note").unwrap_or_default().to_string(),
                manual: args.has("--manual"),
            })?;
            println!(
                "Relance n° {id} enregistrée : {} au niveau {level} le {}",
                client.name,
                dates::format_fr(date)
            );
            Ok(())
        }
        ["letters"] => {
            let mut ledger = open(args)?;
            let as_of = args.as_of()?;
            let out = args.value("--out").ok_or_else(|| {
                Failure::Usage("letters : --out FICHIER.zip est obligatoire".into())
            })?;
            if args.has("--record") {
                check_fresh(args, &ledger, as_of)?;
            }
            let work = ledger.work_list(as_of)?;
            let letters = ledger.letters(&work.rows, as_of)?;
            let held = ledger.letters_held_back(&work.rows)?;
            if !held.is_empty() {
                eprintln!("Lettres {}", encaisse::documents::held_back_summary(&held));
            }
            if letters.is_empty() {
                println!(
                    "Aucune lettre à produire au {} : aucun fichier écrit, rien n'a été enregistré",
                    dates::format_fr(as_of)
                );
                return Ok(());
            }
            let (zip, entries) = encaisse::documents::letters_zip(&letters)?;
            write_file(out, &zip)?;
            if let Some(merged) = args.value("--merged") {
                write_file(merged, &encaisse::documents::merged_pdf(&letters, as_of))?;
            }
            if args.has("--record") {
                for (letter, entry) in letters.iter().zip(&entries) {
                    ledger.record_document(&letter.facts, as_of, entry)?;
                }
            }
            println!(
                "{} dans {out}{}",
                encaisse::words::fr(letters.len() as u64, "lettre", "lettres"),
                if args.has("--record") {
                    " ; relances enregistrées"
                } else {
                    ""
                }
            );
            Ok(())
        }
        ["company", "set"] => company_set(args, &open(args)?),
        ["dossiers"] | ["dossiers", "list"] => dossiers(args, "list", None),
        ["dossiers", action @ ("add" | "remove"), name] => dossiers(args, action, Some(name)),
        ["portfolio"] => portfolio(args),
        ["rates"] | ["rates", "show"] => rates_show(args, &open(args)?),
        ["rates", "import", file] => rates_import(args, &open(args)?, file),
        ["company"] | ["company", "show"] => company_show(args, &open(args)?),
        ["smtp", "set"] => mail::smtp_set(args, &open(args)?),
        ["smtp", "test"] => mail::smtp_test(&open(args)?),
        ["outbox"] | ["outbox", "list"] => mail::outbox_list(args, &open(args)?),
        ["outbox", "send"] => mail::outbox_send(&mut open(args)?),
        ["outbox", decision @ ("retry" | "cancel" | "confirm"), id] => {
            mail::outbox_decide(&mut open(args)?, decision, id)
        }
        ["remind"] => mail::remind(args, &mut open(args)?),
        ["log", "verify"] => proof::log_verify(args, &open(args)?),
        ["log", "head"] => proof::log_head(&open(args)?),
        ["log"] | ["log", "list"] => proof::log_list(args, &open(args)?),
        ["backup"] => proof::backup(args, &open(args)?),
        ["restore", file] => proof::restore(args, file),
        ["export"] => proof::export(args, &open(args)?),
        ["dossier"] => proof::dossier(args, &open(args)?),
        ["handover", action @ ("add" | "end" | "list")] => {
            proof::handover(args, &mut open(args)?, action)
        }
        ["handover"] => proof::handover(args, &mut open(args)?, "list"),
        ["clients"] => {
            let ledger = open(args)?;
            let clients = ledger.clients(args.as_of()?, None)?;
            if args.has("--json") {
                json(&clients);
            } else {
                for c in clients {
                    let balance: Vec<String> = c.balance.iter().map(|m| m.format_fr()).collect();
                    println!(
                        "{:<12} {:<40} {:>4} j  {}",
                        c.client.code,
                        c.client.name,
                        c.client.terms_days,
                        balance.join(" + ")
                    );
                }
            }
            Ok(())
        }
        ["invoices"] => {
            let ledger = open(args)?;
            let client_id = match args.value("--client") {
                Some(code) => Some(ledger.client_by_code(code)?.id),
                None => None,
            };
            let filter = InvoiceFilter {
                client_id,
                status: args.has("--open").then(|| "open".to_string()),
                ..Default::default()
            };
            let page = ledger.invoices(&filter)?;
            if args.has("--json") {
                json(&page);
            } else {
                for i in &page.rows {
                    println!(
                        "{:<24} {:<10} {} {} {:>14} {:>14}",
                        i.number,
                        i.client_code,
                        dates::format_fr(i.issue_date),
                        dates::format_fr(i.due_date),
                        Money::new(i.amount_cents, i.currency).format_fr(),
                        Money::new(i.open_cents, i.currency).format_fr()
                    );
                }
                let totals: Vec<String> = page.total_open.iter().map(|m| m.format_fr()).collect();
                println!(
                    "{}, reste dû {}",
                    encaisse::words::fr(page.total_count as u64, "facture", "factures"),
                    totals.join(" + ")
                );
            }
            Ok(())
        }
        ["client", "set", code] => {
            let ledger = open(args)?;
            let mut client = ledger.client_by_code(code)?;
            if let Some(email) = args.value("--email") {
                client.email = email.to_string();
            }
            if let Some(terms) = args.value("--terms") {
                client.terms_days = terms.parse().map_err(|_| {
                    Error::invalid(
                        "--terms",
                        format!("« {terms} » n'est pas un nombre de jours"),
                    )
                })?;
            }
            if let Some(segment) = args.value("--segment") {
                client.segment = segment.to_string();
            }
            if args.has("--b2c") {
                client.kind = encaisse::model::ClientKind::B2c;
            }
            if args.has("--b2b") {
                client.kind = encaisse::model::ClientKind::B2b;
            }
            ledger.upsert_client(&client)?;
            println!("Client {} mis à jour", client.code);
            Ok(())
        }
        ["demo"] => {
            let mut ledger = open(args)?;
            let summary = encaisse::demo::populate(&mut ledger, args.as_of()?)?;
            if args.has("--json") {
                json(&summary);
            } else {
                println!(
                    "Démonstration : {} clients, {} factures, {} avoirs, {} paiements",
                    summary.clients, summary.invoices, summary.credit_notes, summary.payments
                );
            }
            Ok(())
        }
        ["info"] => {
            let ledger = open(args)?;
            let path = ledger
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            println!(
                "Encaisse {}\nGrand livre : {path}\nSchéma : {}",
                env!("CARGO_PKG_VERSION"),
                ledger.schema_version()?
            );
            Ok(())
        }
        _ => Err(Failure::Usage(format!(
            "commande inconnue : {}",
            words.join(" ")
        ))),
    }
}

fn import_file(args: &Args, kind: &str, file: PathBuf) -> Result<(), Failure> {
    let plan: ImportPlan = if kind == "fec" {
        // Read a part at a time: a large FEC is never held whole.
        let (name, opened) = import::open_chosen_file(&file).map_err(|e| Failure::Core(e, None))?;
        import::fec::parse_from(&name, opened)
    } else {
        let (name, bytes) = import::read_chosen_file(&file).map_err(|e| Failure::Core(e, None))?;
        import::csv::parse(&name, &bytes, None)
    };
    if !plan.issues.is_empty() {
        return Err(Failure::Core(Error::Import(plan.issues), Some(file)));
    }
    let mut ledger = open(args)?;
    let mut terms = HashMap::new();
    if let Some(days) = args.value("--terms") {
        let days: u32 = days.parse().map_err(|_| {
            Failure::Usage(format!("--terms : « {days} » n'est pas un nombre de jours"))
        })?;
        for c in &plan.clients {
            if ledger.client_by_code(&c.code).is_err() {
                terms.insert(c.code.clone(), days);
            }
        }
    }
    let preview = ledger.preview_import(&plan, &terms)?;
    if args.has("--dry-run") {
        if args.has("--json") {
            json(&preview);
        } else {
            let net: Vec<String> = preview.net_total.iter().map(|m| m.format_fr()).collect();
            println!(
                "{} : {} lignes, {} clients ({} nouveaux), {} factures, {} avoirs, {} à-nouveaux, {} paiements, solde {}{}",
                preview.file_name,
                preview.lines,
                preview.clients.len(),
                preview.new_clients,
                preview.invoices,
                preview.credit_notes,
                preview.openings,
                preview.payments,
                net.join(" + "),
                if preview.already_imported { " (déjà importé)" } else { "" }
            );
            println!("Rien n'a été écrit (--dry-run).");
        }
        return Ok(());
    }
    let openings =
        match args.value("--openings") {
            Some(text) => Some(import::OpeningChoice::parse(text).ok_or_else(|| {
                Failure::Usage(format!("--openings : « {text} » : keep ou replace"))
            })?),
            None => None,
        };
    let options = import::ImportOptions {
        terms,
        openings: import::OpeningChoices {
            per_client: HashMap::new(),
            default: openings,
        },
    };
    let outcome = ledger
        .commit_import_with(&plan, &options, &mut |_, _| true)
        .map_err(|e| Failure::Core(e, Some(file.clone())))?;
    if args.has("--json") {
        json(&outcome);
    } else {
        println!(
            "Importé : {} clients, {} fiches clients complétées, {} factures/avoirs, {} paiements, {} lettrages ({} lignes déjà présentes)",
            outcome.clients_created, outcome.clients_updated, outcome.invoices_created, outcome.payments_created, outcome.allocations_created, outcome.skipped
        );
        print_changes(&outcome.changes);
        let _ = eur;
    }
    Ok(())
}

/// "What changed", in French, one fact a line.
fn print_changes(c: &import::ImportChanges) {
    let total = |t: &[import::books::Total]| {
        if t.is_empty() {
            return Money::new(0, encaisse::money::Currency::EUR).format_fr();
        }
        t.iter()
            .map(|t| Money::new(t.cents, t.currency).format_fr())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    if let Some(newer) = &c.superseded_by {
        println!("Fichier plus ancien que {newer}, déjà importé pour le même exercice : rien n'a changé.");
        return;
    }
    if c.previous_books_missing {
        println!("L'exercice précédent manque : les à-nouveaux restent des soldes d'ouverture jusqu'à son import.");
    }
    for o in &c.openings {
        println!(
            "À-nouveaux {} : ouverture {}, grand livre {}, écart {}",
            o.client_code,
            Money::new(o.opening_cents, o.currency).format_fr(),
            Money::new(o.ledger_cents, o.currency).format_fr(),
            Money::new(o.gap_cents.abs(), o.currency).format_fr()
        );
    }
    let lines = [
        ("Nouvelles factures", c.new_invoices),
        ("Nouveaux avoirs", c.new_credit_notes),
        ("Nouveaux paiements", c.new_payments),
        ("Réglées par ce fichier", c.newly_paid_count),
        ("Rouvertes", c.reopened_count),
        ("Modifiées", c.changed.len()),
        ("Retirées", c.withdrawn.len()),
        ("À-nouveaux rapprochés", c.carried_forward),
    ];
    for (what, n) in lines.iter().filter(|(_, n)| *n > 0) {
        println!("{what} : {n}");
    }
    for change in c.changed.iter().chain(&c.adjustments) {
        println!(
            "  {} ({}) : {}",
            change.number, change.client_code, change.note
        );
    }
    println!(
        "Encours avant : {} ; après : {}",
        total(&c.open_before),
        total(&c.open_after)
    );
}

pub(crate) fn write_file(path: &str, bytes: &[u8]) -> Result<(), Failure> {
    // Written beside, then renamed: a failed write leaves no half file.
    let tmp = format!("{path}.part");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            Failure::from(Error::Io {
                path: path.into(),
                source,
            })
        })
}

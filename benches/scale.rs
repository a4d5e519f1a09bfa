//! Benchmarks at the scale of SPEC §3, on generated data (release build):
//!
//! ```text
//! cargo bench --bench scale            # full scale
//! cargo bench --bench scale -- quick   # a tenth of it, to check it runs
//! cargo bench --bench scale -- fec     # the FEC import only
//! cargo bench --bench scale -- bank    # bank statement matching only
//! cargo bench --bench scale -- letters # the letters only
//! cargo bench --bench scale -- emails  # the e-mails only
//! cargo bench --bench scale -- lists   # the aged balance, lists, work list, Relances table, dashboard only
//! cargo bench --bench scale -- portfolio # 50 dossiers of 10 000 invoices each
//! ```
//! Prints one line per measure: the median of several runs (the best in
//! brackets) and its target, judged on the median.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use encaisse::demo;
use encaisse::ledger::InvoiceFilter;
use encaisse::Ledger;

/// The best and the median of several runs.
#[derive(Clone, Copy)]
struct Timing {
    best: Duration,
    median: Duration,
}

impl From<Duration> for Timing {
    fn from(once: Duration) -> Timing {
        Timing {
            best: once,
            median: once,
        }
    }
}

fn runs<T>(runs: usize, mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        times.push(start.elapsed());
        last = Some(value);
    }
    times.sort();
    let timing = Timing {
        best: times[0],
        median: times[times.len() / 2],
    };
    (timing, last.expect("at least one run"))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// Starts a new peak-memory measure (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One line per measure; the target is judged on the median, the machine
/// being shared and its timings uneven.
fn report(what: &str, took: impl Into<Timing>, target_ms: u128) {
    let took: Timing = took.into();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let verdict = if took.median.as_millis() < target_ms {
        "ok"
    } else {
        "OVER TARGET"
    };
    println!(
        "{what:<62} {:>9.1} ms (best {:.1})   (target < {target_ms} ms) {verdict}",
        ms(took.median),
        ms(took.best)
    );
}

fn main() {
    // As the window and the command line do.
    encaisse::store::tune_allocator();
    let quick = std::env::args().any(|a| a == "quick");
    let lists_only = std::env::args().any(|a| a == "lists");
    let scale = if quick { 10 } else { 1 };
    let dir = tempfile_dir();
    let today = "2026-11-22".parse().expect("date");
    if std::env::args().any(|a| a == "fec-import") {
        fec_benchmark(&dir, scale);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    if std::env::args().any(|a| a == "bank") {
        bank_benchmark(&dir, scale, today);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    if std::env::args().any(|a| a == "portfolio") {
        portfolio_benchmark(&dir, if quick { 5 } else { 50 }, today);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // Letters first: the FEC import below leaves a checkpoint running on
    // another thread, which would share the two cores with them.
    if !lists_only {
        before_lists(&dir, quick, today);
        if ["letters", "emails", "fec"]
            .iter()
            .any(|only| std::env::args().any(|a| a == *only))
        {
            return;
        }
        // The lists in a process of their own: their memory is that of a
        // ledger of 100 000 invoices, not what the import before them left
        // to the allocator.
        let mut lists = std::process::Command::new(std::env::current_exe().expect("benchmark"));
        lists.arg("lists");
        if quick {
            lists.arg("quick");
        }
        let status = lists.status().expect("lists benchmark");
        assert!(status.success(), "lists benchmark: {status}");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    lists_benchmark(&dir, scale, today);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Letters, e-mails and the FEC import (each may be asked for alone).
fn before_lists(dir: &std::path::Path, quick: bool, today: encaisse::dates::Date) {
    letters_benchmark(if quick { 100 } else { 1_000 });
    if std::env::args().any(|a| a == "letters") {
        return;
    }
    emails_benchmark(dir, if quick { 100 } else { 1_000 }, today);
    if std::env::args().any(|a| a == "emails") {
        return;
    }

    // The FEC import in a process of its own: its peak memory is the
    // import's, not what the e-mails before it left to the allocator.
    let mut fec = std::process::Command::new(std::env::current_exe().expect("benchmark"));
    fec.arg("fec-import");
    if quick {
        fec.arg("quick");
    }
    let status = fec.status().expect("FEC benchmark");
    assert!(status.success(), "FEC benchmark: {status}");
}

/// 10 000 bank statement lines proposed their invoices among 100 000 (the
/// clients' and open invoices' reading included).
fn bank_benchmark(dir: &std::path::Path, scale: usize, today: encaisse::dates::Date) {
    use encaisse::bank::{LineState, Statement, StatementLine};
    use encaisse::money::Currency;
    let clients = 5_000 / scale;
    let invoices = 100_000 / scale;
    let count = 10_000 / scale;
    let mut ledger = Ledger::open(&dir.join("bank.sqlite")).expect("ledger");
    demo::populate_scale(&mut ledger, clients, invoices, today).expect("populate");
    // A third name an invoice, a third come from a client by its name, a
    // third are anybody's.
    let lines: Vec<StatementLine> = (0..count)
        .map(|n| {
            let (payer, remittance) = match n % 3 {
                0 => (
                    String::new(),
                    format!("VIR SEPA FACT F{:07} REF {n}", n * 7 % invoices),
                ),
                1 => (
                    format!("CLIENT {}", n * 13 % clients),
                    "VIREMENT".to_string(),
                ),
                _ => (format!("SOCIETE {n}"), format!("REMBOURSEMENT {n}")),
            };
            StatementLine {
                line: n + 1,
                account: "FR7630006000011234567890189".into(),
                date: today,
                amount_cents: 1_000 + (n as i64 * 7_919) % 2_000_000,
                currency: Currency::EUR,
                payer,
                remittance,
                bank_ref: format!("BQ-{n:08}"),
            }
        })
        .collect();
    let statement = Statement {
        file_name: "bench.xml".into(),
        format: None,
        sha256: String::new(),
        lines,
        debits: 0,
        issues: Vec::new(),
    };
    ledger.import_bank(&statement).expect("bank import");
    let (took, pending) = runs(5, || {
        ledger
            .bank_lines(Some(LineState::Pending))
            .expect("bank lines")
    });
    let proposed = pending.iter().filter(|l| !l.proposals.is_empty()).count();
    assert!(
        proposed >= count / 2,
        "{proposed} of {count} lines proposed"
    );
    report(
        &format!("bank matching, {count} lines against {invoices} invoices ({proposed} proposed)"),
        took,
        1_000,
    );
}

/// A year's FEC imported into an empty ledger, then the next year's on top;
/// three times at full scale (the machine is shared: the median is judged),
/// each time into a new ledger.
fn fec_benchmark(dir: &std::path::Path, scale: usize) {
    let lines = 1_000_000 / scale;
    let year = demo::synthetic_fec_year(lines, 5_000 / scale, 2025, &Default::default());
    let path = dir.join("bench.fec.txt");
    std::fs::write(&path, &year.text).expect("write FEC");
    let next_path = dir.join("bench.next.fec.txt");
    std::fs::write(
        &next_path,
        demo::synthetic_fec_year(lines, 5_000 / scale, 2026, &year.closing).text,
    )
    .expect("write FEC");
    drop(year);
    let rounds = if scale == 1 { 3 } else { 1 };
    let (mut first, mut next) = (Vec::new(), Vec::new());
    let (mut first_peak, mut next_peak) = (0f64, 0f64);
    for round in 0..rounds {
        let ledger_path = dir.join(format!("fec-{round}.sqlite"));
        // The peak of the import alone, not of the generator.
        reset_peak();
        let (took, outcome, parsed, previewed) = import_fec(&ledger_path, &path, None);
        first.push(took);
        first_peak = first_peak.max(rss_mb());
        println!(
            "FEC: {lines} lines, {} invoices, {} payments, {} allocations (read and parse {:.0} ms, preview {:.0} ms)",
            outcome.invoices_created,
            outcome.payments_created,
            outcome.allocations_created,
            parsed.as_secs_f64() * 1000.0,
            previewed.as_secs_f64() * 1000.0
        );
        // As the window does once an import is written.
        encaisse::store::release_freed_memory();
        reset_peak();
        let mut carried = 0;
        let (took, outcome, parsed, previewed) =
            import_fec(&ledger_path, &next_path, Some(&mut carried));
        next.push(took);
        next_peak = next_peak.max(rss_mb());
        assert_eq!(outcome.changes.carried_forward, carried);
        println!(
            "next year: {} invoices, {} payments, {} opening lines reconciled (read and parse {:.0} ms, preview {:.0} ms)",
            outcome.invoices_created,
            outcome.payments_created,
            outcome.changes.carried_forward,
            parsed.as_secs_f64() * 1000.0,
            previewed.as_secs_f64() * 1000.0
        );
        encaisse::store::release_freed_memory();
    }
    let timing = |mut times: Vec<Duration>| {
        times.sort();
        Timing {
            best: times[0],
            median: times[times.len() / 2],
        }
    };
    report(
        &format!("import of a {lines}-line FEC (read, parse, preview, write)"),
        timing(first),
        3_000,
    );
    memory_report("FEC import", first_peak);
    report(
        &format!("import of the next {lines}-line FEC on top of the previous year's"),
        timing(next),
        4_000,
    );
    memory_report("next year's FEC import", next_peak);
}

/// One FEC import as the application makes it: the file read a part at a
/// time, previewed, written. Returns the time it took in all, what it did,
/// and the times of the reading and of the preview.
fn import_fec(
    ledger_path: &std::path::Path,
    path: &std::path::Path,
    carried: Option<&mut usize>,
) -> (
    Duration,
    encaisse::import::ImportOutcome,
    Duration,
    Duration,
) {
    let start = Instant::now();
    let file = std::fs::File::open(path).expect("open FEC");
    let name = path.file_name().expect("a file name").to_string_lossy();
    let plan = encaisse::import::fec::parse_from(&name, file);
    let parsed = start.elapsed();
    assert!(
        plan.issues.is_empty(),
        "{:?}",
        &plan.issues[..plan.issues.len().min(3)]
    );
    let mut ledger = Ledger::open(ledger_path).expect("ledger");
    let before_preview = Instant::now();
    let preview = ledger
        .preview_import(&plan, &HashMap::new())
        .expect("preview");
    let previewed = before_preview.elapsed();
    match carried {
        Some(carried) => *carried = preview.changes.map_or(0, |c| c.openings.len()),
        None => assert_eq!(
            preview.invoices + preview.openings + preview.credit_notes,
            plan.items.len()
        ),
    }
    let outcome = ledger
        .commit_import(&plan, &HashMap::new(), &mut |_, _| true)
        .expect("import");
    (start.elapsed(), outcome, parsed, previewed)
}

/// A peak memory (VmHWM, from a [`reset_peak`]), against the 200 MB target
/// of a million-line import.
fn memory_report(what: &str, peak: f64) {
    println!(
        "peak memory of the {what} (VmHWM): {peak:.0} MB (target < 200 MB) {}",
        if peak < 200.0 { "ok" } else { "OVER TARGET" }
    );
}

/// The aged balance, the invoice list, the work list and the dashboard at
/// 5 000 clients / 100 000 invoices.
fn lists_benchmark(dir: &std::path::Path, scale: usize, today: encaisse::dates::Date) {
    // 2. Aged balance and invoice list at 5 000 clients / 100 000 invoices.
    reset_peak();
    let clients = 5_000 / scale;
    let invoices = 100_000 / scale;
    let mut ledger = Ledger::open(&dir.join("scale.sqlite")).expect("ledger");
    demo::populate_scale(&mut ledger, clients, invoices, today).expect("populate");
    let policy = ledger.aging_policy().expect("policy");
    let (took, aging) = runs(9, || ledger.aged_balance(today, &policy).expect("aging"));
    report(
        &format!("aged balance, {clients} clients / {invoices} invoices"),
        took,
        100,
    );
    assert!(aging.rows.len() > clients / 2);
    // The Factures screen as it opens: open invoices by due date.
    let filter = InvoiceFilter {
        status: Some("open".into()),
        limit: Some(200),
        ..Default::default()
    };
    let (took, page) = runs(9, || ledger.invoices(&filter).expect("list"));
    report(
        &format!(
            "invoice list, open, first page of {} (the screen as it opens)",
            page.total_count
        ),
        took,
        100,
    );
    let filter = InvoiceFilter {
        status: Some("open".into()),
        search: Some("Client 12".into()),
        limit: Some(200),
        ..Default::default()
    };
    let (took, page) = runs(9, || ledger.invoices(&filter).expect("filter"));
    report(
        &format!(
            "invoice list filtered (open + text), first page of {}",
            page.total_count
        ),
        took,
        100,
    );
    let filter = InvoiceFilter {
        status: Some("open".into()),
        limit: Some(200),
        offset: 50_000 / scale,
        sort: Some("-amount".into()),
        ..Default::default()
    };
    let (took, _) = runs(9, || ledger.invoices(&filter).expect("filter"));
    report(
        "invoice list, open, sorted by amount, page at offset 50 000",
        took,
        100,
    );
    let (took, work) = runs(9, || ledger.work_list(today).expect("work list"));
    report(
        &format!(
            "work list ({} communications, {} clients held)",
            work.rows.len(),
            work.held.len()
        ),
        took,
        100,
    );
    // The Relances screen: every unpaid invoice with its level and next
    // step, most overdue first, 5 000 rows as the window asks.
    let table = encaisse::reminders::FollowUpFilter {
        limit: Some(5_000),
        ..Default::default()
    };
    let (took, page) = runs(9, || ledger.follow_up(today, &table).expect("follow-up"));
    report(
        &format!("Relances table, first 5 000 of {} unpaid", page.total_count),
        took,
        100,
    );
    let table = encaisse::reminders::FollowUpFilter {
        search: Some("client 12".into()),
        limit: Some(5_000),
        ..Default::default()
    };
    let (took, page) = runs(9, || ledger.follow_up(today, &table).expect("follow-up"));
    report(
        &format!("Relances table filtered by text, {} rows", page.total_count),
        took,
        100,
    );
    let (took, _) = runs(5, || ledger.dashboard(today, &policy).expect("dashboard"));
    report("dashboard", took, 100);
    println!(
        "peak memory with 100 000 invoices (VmHWM): {:.0} MB (target < 200 MB)",
        rss_mb()
    );
}

/// Letters of mixed lengths (1 to 25 invoices), rendered and zipped.
fn letters_benchmark(count: usize) {
    use encaisse::documents::{self, Kind, Letter};
    let keys = [
        "releve",
        "relance_2",
        "relance_3",
        "mise_en_demeure",
        "recouvrement",
    ];
    let company = the_company();
    let start = Instant::now();
    let letters: Vec<Letter> = (0..count)
        .map(|n| {
            let mut facts = documents::sample_facts("fr");
            let one = facts.factures[0].clone();
            facts.factures = (0..1 + n % 25)
                .map(|i| documents::LetterInvoice {
                    numero: format!("FA-{n:05}-{i:02}"),
                    ..one.clone()
                })
                .collect();
            facts.client.nom = format!("Client {n}");
            facts.client.code = format!("C{n:05}");
            facts.key = keys[n % keys.len()].into();
            facts.charges_shown = n % 2 == 0;
            // Each letter its own transfer QR code.
            facts.reference_virement = encaisse::bank::reference::grouped(
                &encaisse::bank::reference::of(n as i64, &[n as i64]),
            );
            let source =
                documents::default_source("fr", &facts.key, Kind::Letter).expect("template");
            let rendered = documents::render(source, &facts).expect("render");
            Letter {
                facts,
                rendered,
                company: company.clone(),
                window: Default::default(),
            }
        })
        .collect();
    let (zip, _) = documents::letters_zip(&letters).expect("zip");
    let took = start.elapsed();
    println!(
        "{count} letters rendered and zipped: {:.0} ms, {:.0} letters/s, zip {:.1} MB (target >= 1000 letters/s)",
        took.as_secs_f64() * 1000.0,
        count as f64 / took.as_secs_f64(),
        zip.len() as f64 / 1e6
    );
}

/// A company with every mention a reminder needs.
fn the_company() -> encaisse::model::Company {
    encaisse::model::Company {
        legal_name: "Atelier Lumière".into(),
        legal_form: "SARL".into(),
        capital: "10 000 €".into(),
        siren: "732829320".into(),
        rcs_city: "Lyon".into(),
        address: "12 rue des Tanneurs".into(),
        postcode: "69001".into(),
        city: "Lyon".into(),
        iban: "FR7630006000011234567890189".into(),
        ..Default::default()
    }
}

/// `count` reminder e-mails (each with its PDF) written to the outbox, then
/// sent over one pooled connection to an SMTP server on 127.0.0.1.
fn emails_benchmark(dir: &std::path::Path, count: usize, today: encaisse::dates::Date) {
    use encaisse::ledger::NewInvoice;
    use encaisse::mail::{self, Identity};
    use encaisse::money::{Currency, Money};
    let path = dir.join("emails.sqlite");
    let mut ledger = Ledger::open(&path).expect("ledger");
    ledger.set_company(&the_company()).expect("company");
    for n in 0..count {
        let mut c = encaisse::model::Client::new(&format!("M{n:05}"), &format!("Client {n}"));
        c.email = format!("compta{n}@client.fr");
        let id = ledger.upsert_client(&c).expect("client");
        let due = today - chrono::Days::new(10);
        ledger
            .add_invoice(&NewInvoice {
                client_id: id,
                number: format!("FM-{n:05}"),
                issue_date: due - chrono::Days::new(30),
                due_date: Some(due),
                amount: Money::new(10_000 + n as i64 * 7, Currency::EUR),
                label: String::new(),
            })
            .expect("invoice");
    }
    let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
    let settings = encaisse::demo::local_smtp(sink.port());
    let start = Instant::now();
    let work = ledger.work_list(today).expect("work list");
    let emails = ledger.emails(&work.rows, today).expect("emails");
    let queued = ledger
        .queue_emails(&emails, &Identity::of(&settings), chrono::Utc::now())
        .expect("queue");
    let prepared = start.elapsed();
    let mailer = encaisse::smtp::Mailer::new(&settings, None, None).expect("mailer");
    let start = Instant::now();
    let report = mail::send_due(
        &mut ledger,
        &mailer,
        None,
        today,
        &chrono::Utc::now,
        &std::sync::atomic::AtomicBool::new(false),
        &mut |_, _| {},
    )
    .expect("send");
    let sent = start.elapsed();
    assert_eq!(report.sent, count, "{report:?}");
    assert_eq!(sink.messages().len(), count);
    println!(
        "{count} e-mails rendered with their PDF and queued: {:.0} ms; sent to a loopback SMTP server: {:.0} ms, {:.0} messages/s ({} queued; target < 10 s for 1000)",
        prepared.as_secs_f64() * 1000.0,
        sent.as_secs_f64() * 1000.0,
        count as f64 / sent.as_secs_f64(),
        queued.queued.len()
    );
    drop(ledger);
    let _ = std::fs::remove_file(&path);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("encaisse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The portfolio across `dossiers` ledgers of 10 000 invoices each, read
/// one after the other (SPEC: 50 dossiers in under a second).
fn portfolio_benchmark(dir: &std::path::Path, dossiers: usize, today: encaisse::dates::Date) {
    let mut registry =
        encaisse::dossiers::Registry::load(&dir.join("dossiers.json")).expect("registry");
    for n in 0..dossiers {
        let path = dir.join(format!("dossier-{n}.sqlite"));
        {
            let mut ledger = Ledger::open(&path).expect("ledger");
            demo::populate(&mut ledger, today).expect("demo");
            demo::populate_scale(&mut ledger, 200, 10_000, today).expect("scale");
        }
        registry
            .add(&format!("Dossier {n}"), Some(&path))
            .expect("add");
    }
    reset_peak();
    let (took, rows) = runs(3, || encaisse::dossiers::portfolio(&registry, today));
    assert!(rows.iter().all(|r| r.problem.is_none()));
    report(
        &format!("portfolio of {dossiers} dossiers of 10 000 invoices"),
        took,
        1_000,
    );
    println!("  peak memory {:.0} MB", rss_mb());
}

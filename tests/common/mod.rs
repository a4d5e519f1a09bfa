//! Shared helpers for the scenario tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use encaisse::dates::Date;
use encaisse::import::{ImportOutcome, ImportPlan};
use encaisse::Ledger;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

pub fn date(text: &str) -> Date {
    text.parse().expect("ISO date")
}

/// `client`, at a Paris address, with one 1 200 € invoice (number `F-CODE`)
/// 10 days late on `today`: its statement is due. Returns (client id,
/// invoice id).
/// The company of the tests, with every legal mention and a way to pay:
/// no reminder goes without them.
pub fn the_company() -> encaisse::model::Company {
    encaisse::demo::company()
}

/// A client with one invoice 10 days late, in a ledger whose company is
/// complete (the reminders may go).
pub fn client_ten_days_late(
    ledger: &Ledger,
    mut client: encaisse::model::Client,
    today: Date,
) -> (i64, i64) {
    if !ledger.company().unwrap().missing_mentions().is_empty() {
        ledger.set_company(&the_company()).unwrap();
    }
    client.address = "1 rue de la Paix".into();
    client.postcode = "75002".into();
    client.city = "Paris".into();
    let id = ledger.upsert_client(&client).unwrap();
    let due = today - chrono::Days::new(10);
    let invoice = ledger
        .add_invoice(&encaisse::ledger::NewInvoice {
            client_id: id,
            number: format!("F-{}", client.code),
            issue_date: due - chrono::Days::new(30),
            due_date: Some(due),
            amount: encaisse::money::Money::new(1_200_00, encaisse::money::Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    (id, invoice)
}

/// The demonstration ledger and its day: clients late at every level.
pub fn demo_ledger() -> (Ledger, Date) {
    let mut ledger = ledger();
    let today = date("2026-11-22");
    encaisse::demo::populate(&mut ledger, today).unwrap();
    (ledger, today)
}

pub fn ledger() -> Ledger {
    Ledger::open_in_memory().expect("in-memory ledger")
}

pub fn commit(ledger: &mut Ledger, plan: &ImportPlan) -> ImportOutcome {
    assert!(
        plan.issues.is_empty(),
        "unexpected issues: {:?}",
        plan.issues
    );
    ledger
        .commit_import(plan, &HashMap::new(), &mut |_, _| true)
        .expect("import")
}

/// Net balance of the customer accounts (411…) of a tab- or pipe-separated FEC,
/// computed naively and independently of the importer: Σ debit − Σ credit, in cents.
pub fn naive_411_net(text: &str) -> i64 {
    let mut lines = text.split(['\n', '\r']).filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap();
    let sep = if header.contains('\t') { '\t' } else { '|' };
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(sep)
        .map(|c| c.trim().to_lowercase())
        .collect();
    let at = |n: &str| cols.iter().position(|c| c == n).unwrap();
    let (account, debit, credit) = (at("comptenum"), at("debit"), at("credit"));
    let cents = |s: &str| -> i64 {
        let s = s.trim().replace(',', ".");
        if s.is_empty() {
            return 0;
        }
        let (units, dec) = s.split_once('.').unwrap_or((&s, "0"));
        let dec = format!("{dec:0<2}");
        units.parse::<i64>().unwrap() * 100 + dec[..2].parse::<i64>().unwrap()
    };
    lines
        .map(|l| l.split(sep).collect::<Vec<_>>())
        .filter(|f| f[account].trim().starts_with("411"))
        .map(|f| cents(f[debit]) - cents(f[credit]))
        .sum()
}

/// Total of the aged balance in euros, in cents.
pub fn aging_total(ledger: &Ledger, as_of: Date) -> i64 {
    let aging = ledger.aged_balance(as_of, &Default::default()).unwrap();
    aging.totals.iter().map(|t| t.total.cents).sum()
}

/// Row counts of the fact tables and the open total, to prove nothing was written.
pub fn counts(ledger: &Ledger) -> [i64; 5] {
    let clients = ledger.clients(date("2100-01-01"), None).unwrap().len() as i64;
    let page = ledger.invoices(&Default::default()).unwrap();
    let payments = ledger.payments(None).unwrap().len() as i64;
    let allocations = ledger.allocations(None, None).unwrap().len() as i64;
    let open: i64 = page.total_open.iter().map(|m| m.cents).sum();
    [
        clients,
        page.total_count as i64,
        payments,
        allocations,
        open,
    ]
}

//! The books over time: successive FEC files of one company, in any order,
//! end in the same ledger, equal to the newest books; opening entries are
//! reconciled, never added on top; every line of a file is checked; every
//! import says what changed; a stale ledger is told before a session.

use std::collections::{BTreeMap, HashMap};

use encaisse::import::{fec, ImportOptions, OpeningChoice, OpeningChoices};
use encaisse::model::{InvoiceKind, InvoiceStatus};
use encaisse::synthetic::{self, BooksFile, BooksSpec};
use encaisse::Ledger;

use crate::common::*;

const HEADER: &str = "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise";

/// A FEC from lines `journal entry date account client piece label debit credit letter`.
pub fn fec_of(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    text.push('\n');
    for l in lines {
        let f: Vec<&str> = l.split('|').collect();
        let (aux, aux_lib) = if f[4].is_empty() {
            ("", "")
        } else {
            (f[4], f[4])
        };
        text.push_str(&format!(
            "{j}\t{j}\t{n}\t{d}\t{acc}\t{acc}\t{aux}\t{aux_lib}\t{piece}\t{d}\t{label}\t{debit}\t{credit}\t{letter}\t\t{d}\t\t\n",
            j = f[0],
            n = f[1],
            d = f[2],
            acc = f[3],
            piece = f[5],
            label = f[6],
            debit = f[7],
            credit = f[8],
            letter = f[9],
        ));
    }
    text.into_bytes()
}

/// Year N: two invoices for ALPHA (one paid), one for BETA, unpaid.
fn year_n() -> Vec<u8> {
    fec_of(&[
        "VE|1|20250110|411000|ALPHA|FA1|Facture FA1|1000,00|0,00|A",
        "VE|1|20250110|706000||FA1|Facture FA1|0,00|1000,00|",
        "VE|2|20250601|411000|ALPHA|FA2|Facture FA2|871,65|0,00|",
        "VE|2|20250601|706000||FA2|Facture FA2|0,00|871,65|",
        "VE|3|20250915|411000|ALPHA|FA3|Facture FA3|1000,00|0,00|",
        "VE|3|20250915|706000||FA3|Facture FA3|0,00|1000,00|",
        "VE|4|20251020|411000|BETA|FB1|Facture FB1|500,00|0,00|",
        "VE|4|20251020|706000||FB1|Facture FB1|0,00|500,00|",
        "BQ|1|20250210|512000||VIR1|Virement FA1|1000,00|0,00|",
        "BQ|1|20250210|411000|ALPHA|VIR1|Virement FA1|0,00|1000,00|A",
        "OD|9|20251231|601000||X|Achats|10,00|0,00|",
        "OD|9|20251231|401000||X|Achats|0,00|10,00|",
    ])
}

/// Year N+1 with one opening line per customer: ALPHA pays its whole
/// opening balance (lettered against it), BETA nothing, a new invoice.
fn year_n1_aggregated(alpha_opening: &str) -> Vec<u8> {
    fec_of(&[
        &format!("AN|1|20260101|411000|ALPHA|AN|A nouveaux|{alpha_opening}|0,00|X"),
        "AN|1|20260101|411000|BETA|AN|A nouveaux|500,00|0,00|",
        &format!(
            "AN|1|20260101|890000||AN|Bilan|0,00|{}|",
            add(alpha_opening, "500,00")
        ),
        "BQ|5|20260115|512000||VIR5|Virement|1871,65|0,00|",
        "BQ|5|20260115|411000|ALPHA|VIR5|Virement ALPHA|0,00|1871,65|X",
        "VE|7|20260201|411000|BETA|FB2|Facture FB2|300,00|0,00|",
        "VE|7|20260201|706000||FB2|Facture FB2|0,00|300,00|",
    ])
}

fn add(a: &str, b: &str) -> String {
    let c = |s: &str| encaisse::money::parse_amount(s).unwrap();
    let t = c(a) + c(b);
    format!("{},{:02}", t / 100, t % 100)
}

fn import(ledger: &mut Ledger, name: &str, bytes: &[u8]) -> encaisse::import::ImportOutcome {
    let plan = fec::parse(name, bytes);
    commit(ledger, &plan)
}

/// Each client's balance (open items less unused payments), by code.
fn balances(ledger: &Ledger) -> BTreeMap<String, i64> {
    ledger
        .clients(date("2099-12-31"), None)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.client.code.clone(),
                c.balance.iter().map(|m| m.cents).sum(),
            )
        })
        .filter(|(_, b)| *b != 0)
        .collect()
}

/// The invoices still open, by number, with what is open.
fn open_items(ledger: &Ledger) -> BTreeMap<String, i64> {
    ledger
        .invoices(&Default::default())
        .unwrap()
        .rows
        .into_iter()
        .filter(|i| i.open_cents != 0)
        .map(|i| (i.number, i.open_cents))
        .collect()
}

#[test]
fn next_years_opening_lines_carry_the_open_invoices_and_a_payment_against_them_settles_them() {
    let mut ledger = ledger();
    import(&mut ledger, "N.txt", &year_n());
    let outcome = import(&mut ledger, "N1.txt", &year_n1_aggregated("1871,65"));
    let open = open_items(&ledger);
    assert!(
        !open.keys().any(|n| n.contains("AN")),
        "opening lines that carry items are not added on top: {open:?}"
    );
    assert_eq!(
        open,
        BTreeMap::from([("FB1".to_string(), 500_00), ("FB2".to_string(), 300_00)]),
        "ALPHA paid its whole opening balance: FA2 and FA3 are settled; BETA's FB1 stays open"
    );
    assert_eq!(
        outcome.changes.carried_forward, 2,
        "two opening lines carried"
    );
    let paid: Vec<&str> = outcome
        .changes
        .newly_paid
        .iter()
        .map(|c| c.number.as_str())
        .collect();
    assert_eq!(
        paid,
        ["FA2", "FA3"],
        "the summary names what the payment settled"
    );
    assert!(
        outcome.changes.newly_paid[0]
            .note
            .contains("Virement ALPHA"),
        "with the payment: {:?}",
        outcome.changes.newly_paid[0]
    );
    assert_eq!(
        balances(&ledger),
        BTreeMap::from([("BETA".to_string(), 800_00)]),
        "each customer's balance is its 411 balance in the newest file"
    );
    // The work list cannot remind ALPHA: nothing of it is open.
    let work = ledger.work_list(date("2026-06-01")).unwrap();
    assert!(
        work.rows.iter().all(|c| c.client_code != "ALPHA"),
        "a customer who paid is never reminded"
    );
}

#[test]
fn the_same_two_years_in_the_other_order_end_in_the_same_ledger() {
    let mut forward = ledger();
    import(&mut forward, "N.txt", &year_n());
    import(&mut forward, "N1.txt", &year_n1_aggregated("1871,65"));
    let mut backward = ledger();
    import(&mut backward, "N1.txt", &year_n1_aggregated("1871,65"));
    assert_eq!(
        balances(&backward),
        BTreeMap::from([("BETA".to_string(), 800_00)]),
        "the newest file alone"
    );
    let outcome = import(&mut backward, "N.txt", &year_n());
    assert_eq!(open_items(&backward), open_items(&forward));
    assert_eq!(balances(&backward), balances(&forward));
    assert_eq!(
        outcome.changes.withdrawn.len(),
        2,
        "both opening items are replaced by the invoices they stood for"
    );
    // Importing either file again changes nothing.
    import(&mut backward, "N1.txt", &year_n1_aggregated("1871,65"));
    import(&mut backward, "N.txt", &year_n());
    assert_eq!(open_items(&backward), open_items(&forward));
}

#[test]
fn detailed_openings_carry_each_its_own_invoice() {
    let mut ledger = ledger();
    import(&mut ledger, "N.txt", &year_n());
    // One opening line per invoice; the payment settles FA3 only, named by
    // its lettering against FA3's opening line (FA2 is the older one).
    let n1 = fec_of(&[
        "AN|1|20260101|411000|ALPHA|FA2|A nouveau FA2|871,65|0,00|",
        "AN|1|20260101|411000|ALPHA|FA3|A nouveau FA3|1000,00|0,00|Y",
        "AN|1|20260101|411000|BETA|FB1|A nouveau FB1|500,00|0,00|",
        "AN|1|20260101|890000||AN|Bilan|0,00|2371,65|",
        "BQ|5|20260115|512000||VIR5|Virement|1000,00|0,00|",
        "BQ|5|20260115|411000|ALPHA|VIR5|Virement FA3|0,00|1000,00|Y",
    ]);
    let outcome = import(&mut ledger, "N1.txt", &n1);
    assert!(outcome.changes.openings.iter().all(|o| o.detailed));
    assert_eq!(
        open_items(&ledger),
        BTreeMap::from([("FA2".to_string(), 871_65), ("FB1".to_string(), 500_00)]),
        "the payment lettered against FA3's opening line settles FA3, not the oldest"
    );
}

#[test]
fn a_difference_is_shown_per_customer_and_decided_by_the_user() {
    let mut ledger = ledger();
    import(&mut ledger, "N.txt", &year_n());
    let n1 = year_n1_aggregated("1921,65");
    let plan = fec::parse("N1.txt", &n1);
    let preview = ledger.preview_import(&plan, &HashMap::new()).unwrap();
    let checks = &preview
        .changes
        .as_ref()
        .expect("the file meets the ledger")
        .openings;
    let alpha = checks.iter().find(|c| c.client_code == "ALPHA").unwrap();
    assert_eq!(
        (alpha.opening_cents, alpha.ledger_cents, alpha.gap_cents),
        (1_921_65, 1_871_65, 50_00),
        "ouverture 1 921,65 €, grand livre 1 871,65 €, écart 50,00 €"
    );
    let before = counts(&ledger);
    let refused = ledger
        .commit_import(&plan, &HashMap::new(), &mut |_, _| true)
        .expect_err("an undecided difference refuses the import");
    assert!(
        refused.to_string().contains("ALPHA : ouverture 1"),
        "the message names the customer and the figures: {refused}"
    );
    assert_eq!(counts(&ledger), before, "nothing is written");

    // Keep the ledger: the difference becomes an item of its own.
    let mut keep = Ledger::open_in_memory().unwrap();
    import(&mut keep, "N.txt", &year_n());
    let options = ImportOptions {
        terms: HashMap::new(),
        openings: OpeningChoices {
            per_client: HashMap::from([("ALPHA".to_string(), OpeningChoice::KeepLedger)]),
            default: None,
        },
    };
    let outcome = keep
        .commit_import_with(&plan, &options, &mut |_, _| true)
        .unwrap();
    assert_eq!(outcome.changes.adjustments.len(), 1);
    assert_eq!(
        balances(&keep),
        BTreeMap::from([("ALPHA".to_string(), 50_00), ("BETA".to_string(), 800_00)]),
        "the newest books' balances, the 50,00 € apart"
    );
    // Take the opening: the ledger's items are closed, the line written.
    let mut replace = Ledger::open_in_memory().unwrap();
    import(&mut replace, "N.txt", &year_n());
    let options = ImportOptions {
        openings: OpeningChoices {
            per_client: HashMap::new(),
            default: Some(OpeningChoice::UseOpening),
        },
        ..Default::default()
    };
    replace
        .commit_import_with(&plan, &options, &mut |_, _| true)
        .unwrap();
    assert_eq!(balances(&replace), balances(&keep));
    let open = open_items(&replace);
    assert!(
        !open.contains_key("FA2") && !open.contains_key("FA3"),
        "the ledger's items are closed by the opening: {open:?}"
    );
}

#[test]
fn an_opening_meeting_an_empty_ledger_is_an_opening_item() {
    let mut ledger = ledger();
    let outcome = import(&mut ledger, "N1.txt", &year_n1_aggregated("1871,65"));
    assert_eq!(outcome.changes.new_openings, 2);
    let kinds: Vec<InvoiceKind> = ledger
        .invoices(&Default::default())
        .unwrap()
        .rows
        .into_iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == InvoiceKind::Opening).count(),
        2
    );
}

#[test]
fn an_older_file_of_a_period_already_imported_changes_nothing() {
    let spec = BooksSpec {
        seed: 3,
        clients: 6,
        first_year: 2024,
        years: 2,
        invoices_per_year: 40,
        detailed_openings: false,
        mid_year_files: true,
    };
    let files = synthetic::books(&spec);
    let mid = files.iter().find(|f| f.mid_year).unwrap();
    let end = files
        .iter()
        .find(|f| f.year == 2025 && !f.mid_year)
        .unwrap();
    let mut ledger = ledger();
    import(&mut ledger, &end.name, end.text.as_bytes());
    let before = open_items(&ledger);
    let outcome = import(&mut ledger, &mid.name, mid.text.as_bytes());
    assert_eq!(
        outcome.changes.superseded_by.as_deref(),
        Some(end.name.as_str())
    );
    assert_eq!(open_items(&ledger), before);
}

#[test]
fn a_later_file_of_the_period_corrects_amounts_and_removes_lettering() {
    let spec = BooksSpec {
        seed: 11,
        clients: 8,
        first_year: 2024,
        years: 2,
        invoices_per_year: 80,
        detailed_openings: true,
        mid_year_files: true,
    };
    let files = synthetic::books(&spec);
    let mut ledger = ledger();
    let mut last = None;
    for f in &files {
        last = Some(import(&mut ledger, &f.name, f.text.as_bytes()));
        assert_eq!(balances(&ledger), nonzero(&f.balances), "after {}", f.name);
    }
    let changes = last.unwrap().changes;
    assert_eq!(changes.changed.len(), 1, "the corrected amount is a change");
    assert!(
        changes.changed[0].note.contains("montant"),
        "{:?}",
        changes.changed
    );
    assert!(
        changes.reopened_count >= 1,
        "the lettering the year-end file removed reopens its invoice"
    );
    let numbers: Vec<String> = ledger
        .invoices(&Default::default())
        .unwrap()
        .rows
        .into_iter()
        .map(|i| i.number)
        .collect();
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "no invoice written twice");
}

fn nonzero(b: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    b.iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// The files imported so far leave no year missing between the oldest and
/// the newest, and the newest's period is complete up to where the next
/// one starts (a mid-year file is only the newest if it is the last).
fn contiguous(imported: &[&BooksFile]) -> bool {
    let mut years: Vec<i32> = imported.iter().map(|f| f.year).collect();
    years.sort();
    years.dedup();
    let newest = imported
        .iter()
        .map(|f| (f.year, !f.mid_year))
        .max()
        .unwrap();
    let complete = |y: i32| imported.iter().any(|f| f.year == y && !f.mid_year);
    years.windows(2).all(|w| w[1] == w[0] + 1)
        && years
            .iter()
            .filter(|y| **y != newest.0)
            .all(|y| complete(*y))
}

#[test]
fn several_years_imported_in_any_order_end_in_the_same_ledger_equal_to_the_books() {
    for seed in 1..=6u64 {
        let spec = BooksSpec {
            seed,
            clients: 7,
            first_year: 2023,
            years: 3,
            invoices_per_year: 60,
            detailed_openings: seed % 2 == 0,
            mid_year_files: seed % 3 != 0,
        };
        let files = synthetic::books(&spec);
        let newest_all = files.last().unwrap();
        let mut reference: Option<BTreeMap<String, i64>> = None;
        let mut order: Vec<usize> = (0..files.len()).collect();
        let mut rng = seed;
        for round in 0..5 {
            if round > 0 {
                // Fisher-Yates with a small LCG: the same orders every run.
                for i in (1..order.len()).rev() {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    order.swap(i, (rng >> 33) as usize % (i + 1));
                }
            }
            let mut ledger = ledger();
            let mut imported: Vec<&BooksFile> = Vec::new();
            for &i in &order {
                let f = &files[i];
                import(&mut ledger, &f.name, f.text.as_bytes());
                imported.push(f);
                if contiguous(&imported) {
                    let newest = imported
                        .iter()
                        .max_by_key(|f| (f.year, !f.mid_year))
                        .unwrap();
                    assert_eq!(
                        balances(&ledger),
                        nonzero(&newest.balances),
                        "seed {seed}, order {order:?}: after {}, each customer's balance is its 411 balance in {}",
                        f.name,
                        newest.name
                    );
                }
            }
            let state = open_items(&ledger);
            match &reference {
                None => reference = Some(state),
                Some(r) => assert_eq!(&state, r, "seed {seed}: order {order:?} ends elsewhere"),
            }
            // The same file again changes nothing.
            let again = &files[order[0]];
            let before = open_items(&ledger);
            import(&mut ledger, &again.name, again.text.as_bytes());
            assert_eq!(
                open_items(&ledger),
                before,
                "seed {seed}, order {order:?}: re-import of {}",
                again.name
            );
            assert_eq!(
                balances(&ledger),
                nonzero(&newest_all.balances),
                "seed {seed}, order {order:?}"
            );
            let state = open_items(&ledger);
            assert!(
                !state.keys().any(|n| n.starts_with("AN")),
                "seed {seed}, order {order:?}: no opening item left once every year is in: {state:?}"
            );
        }
    }
}

#[test]
fn every_line_is_checked_and_an_unbalanced_entry_is_refused_with_its_lines() {
    let unbalanced = fec_of(&[
        "VE|1|20250110|411000|ALPHA|FA1|Facture FA1|1000,00|0,00|",
        "VE|1|20250110|706000||FA1|Facture FA1|0,00|950,00|",
        "VE|2|20250110|411000|ALPHA|FA2|Facture FA2|10,00|0,00|",
        "VE|2|20250110|706000||FA2|Facture FA2|0,00|10,00|",
    ]);
    let plan = fec::parse("bad.txt", &unbalanced);
    assert_eq!(plan.issues.len(), 1, "{:?}", plan.issues);
    let message = plan.issues[0].to_string();
    assert!(
        message.contains("VE 1") && message.contains("lignes 2 à 3") && message.contains("50,00"),
        "the entry, its lines and the difference are named: {message}"
    );
    // A bad date or amount on a line that is not a customer's.
    let bad_bank = fec_of(&[
        "VE|1|20250110|411000|ALPHA|FA1|Facture FA1|10,00|0,00|",
        "VE|1|20250110|706000||FA1|Facture FA1|0,00|10,00|",
        "BQ|1|20251341|512000||V|Virement|12,0x|0,00|",
    ]);
    let plan = fec::parse("bad.txt", &bad_bank);
    let text: Vec<String> = plan.issues.iter().map(|i| i.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("ligne 4") && t.contains("EcritureDate")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("ligne 4") && t.contains("Debit")),
        "{text:?}"
    );
    let mut ledger = ledger();
    assert!(ledger
        .commit_import(&plan, &HashMap::new(), &mut |_, _| true)
        .is_err());
    assert_eq!(counts(&ledger), [0; 5], "nothing is written");
}

#[test]
fn the_real_fixtures_balance_entry_by_entry_and_give_their_period() {
    // First and last EcritureDate, read with awk.
    for (name, start, end) in [
        ("0000000001FEC20220831.txt", "2021-09-01", "2022-08-31"),
        ("000000000FEC20231231.txt", "2021-01-01", "2023-06-30"),
    ] {
        let plan = fec::parse(name, &read_fixture(name));
        assert!(plan.issues.is_empty(), "{name}: {:?}", plan.issues);
        assert_eq!(plan.period, Some((date(start), date(end))), "{name}");
    }
}

#[test]
fn each_import_keeps_what_it_changed_in_the_history() {
    let mut ledger = ledger();
    import(&mut ledger, "N.txt", &year_n());
    import(&mut ledger, "N1.txt", &year_n1_aggregated("1871,65"));
    let history = ledger.import_history().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].file_name, "N1.txt", "newest first");
    let changes = &history[0].outcome.changes;
    assert_eq!(changes.newly_paid_count, 2);
    let total = |t: &[encaisse::import::books::Total]| t.iter().map(|t| t.cents).sum::<i64>();
    assert_eq!(total(&changes.open_before), 2_371_65);
    assert_eq!(total(&changes.open_after), 800_00);
    assert_eq!(changes.period_end.as_deref(), Some("2026-02-01"));
}

#[test]
fn the_ledger_knows_the_date_its_data_runs_to_and_warns_when_it_is_stale() {
    let mut ledger = ledger();
    assert_eq!(ledger.freshness(date("2026-03-01")).unwrap().runs_to, None);
    import(&mut ledger, "N1.txt", &year_n1_aggregated("1871,65"));
    let fresh = ledger.freshness(date("2026-02-08")).unwrap();
    assert_eq!(
        fresh.runs_to,
        Some(date("2026-02-01")),
        "the last entry date"
    );
    assert!(!fresh.stale, "7 days: not yet stale");
    let stale = ledger.freshness(date("2026-02-09")).unwrap();
    assert!(stale.stale);
    assert_eq!(
        stale.message.as_deref(),
        Some("Vos paiements connus s'arrêtent au 01/02/2026 : importez vos écritures récentes avant de relancer")
    );
    ledger.set_stale_after_days(30).unwrap();
    assert!(!ledger.freshness(date("2026-02-09")).unwrap().stale);
    assert!(ledger.set_stale_after_days(0).is_err());
    // A payment recorded by hand moves the date.
    let beta = ledger.client_by_code("BETA").unwrap();
    ledger
        .record_payment(&encaisse::ledger::NewPayment {
            client_id: beta.id,
            date: date("2026-03-20"),
            amount: encaisse::money::Money::new(100_00, encaisse::money::Currency::EUR),
            method: "Chèque".into(),
            reference: String::new(),
        })
        .unwrap();
    assert_eq!(
        ledger.freshness(date("2026-03-21")).unwrap().runs_to,
        Some(date("2026-03-20"))
    );
    let _ = InvoiceStatus::Open;
}

#[test]
fn a_next_year_written_in_bulk_carries_the_previous_year_at_scale() {
    use encaisse::demo::synthetic_fec_year;
    let first = synthetic_fec_year(60_000, 300, 2025, &BTreeMap::new());
    let second = synthetic_fec_year(60_000, 300, 2026, &first.closing);
    let mut ledger = ledger();
    import(&mut ledger, "2025.txt", first.text.as_bytes());
    let plan = fec::parse("2026.txt", second.text.as_bytes());
    assert!(
        plan.items.len() + plan.payments.len() > 20_000,
        "written in bulk"
    );
    let preview = ledger.preview_import(&plan, &HashMap::new()).unwrap();
    let checks = preview
        .changes
        .expect("the openings meet the ledger")
        .openings;
    let carrying = first.closing.values().filter(|b| **b > 0).count();
    assert_eq!(checks.len(), carrying);
    assert!(checks
        .iter()
        .all(|c| c.state == encaisse::import::books::OpeningState::Carried));
    let outcome = commit(&mut ledger, &plan);
    assert_eq!(outcome.changes.carried_forward, carrying);
    assert_eq!(outcome.changes.new_openings, 0, "nothing added on top");
    assert_eq!(balances(&ledger), nonzero(&second.closing));
    assert_eq!(
        ledger.integrity_check().unwrap(),
        Vec::<String>::new(),
        "the indexes came back and the keys hold"
    );
}

/// Year N as corrected later: one more invoice of 50,00 € for ALPHA, which
/// the next year's opening entries already carried.
fn year_n_corrected() -> Vec<u8> {
    let mut text = String::from_utf8(year_n()).unwrap();
    text.push_str(
        &String::from_utf8(fec_of(&[
            "VE|5|20251220|411000|ALPHA|FA4|Facture FA4|50,00|0,00|",
            "VE|5|20251220|706000||FA4|Facture FA4|0,00|50,00|",
        ]))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect::<String>(),
    );
    text.into_bytes()
}

#[test]
fn a_difference_decided_then_explained_by_a_corrected_previous_year_leaves_no_false_debt() {
    for choice in [OpeningChoice::KeepLedger, OpeningChoice::UseOpening] {
        let mut ledger = ledger();
        import(&mut ledger, "N.txt", &year_n());
        let options = ImportOptions {
            openings: OpeningChoices {
                per_client: HashMap::new(),
                default: Some(choice),
            },
            ..Default::default()
        };
        let n1 = fec::parse("N1.txt", &year_n1_aggregated("1921,65"));
        ledger
            .commit_import_with(&n1, &options, &mut |_, _| true)
            .unwrap();
        let want = BTreeMap::from([("ALPHA".to_string(), 50_00), ("BETA".to_string(), 800_00)]);
        assert_eq!(balances(&ledger), want, "{choice:?}: the newest books");
        // The corrected year N explains the 50,00 €: FA4.
        let outcome = import(&mut ledger, "N-corrigé.txt", &year_n_corrected());
        assert_eq!(
            balances(&ledger),
            want,
            "{choice:?}: still the newest books, FA4 not counted twice"
        );
        assert!(
            !outcome.changes.adjustments.is_empty(),
            "{choice:?}: the entry is worked out again and listed"
        );
        let open = open_items(&ledger);
        let holder = match choice {
            // The ledger's items stand: FA4 is owed.
            OpeningChoice::KeepLedger => "FA4",
            // The opening stands for the debt; the ledger's items, FA4
            // included, are closed by the recomputed "Reprise AN".
            OpeningChoice::UseOpening => "AN (ALPHA 01/01/2026)",
        };
        assert_eq!(open.get(holder), Some(&50_00), "{choice:?}: {open:?}");
        assert!(
            !open.keys().any(|n| n.starts_with("Écart")),
            "{choice:?}: no difference left to claim: {open:?}"
        );
    }
}

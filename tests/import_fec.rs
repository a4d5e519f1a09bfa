//! The FEC fixtures and their variants. Expected figures come from a naive,
//! independent sum of the 411 lines (`common::naive_411_net`).

use std::collections::HashMap;

use encaisse::import::fec;
use encaisse::model::{InvoiceKind, InvoiceStatus};

use crate::common::*;

const FEC1: &str = "0000000001FEC20220831.txt";
const FEC2: &str = "000000000FEC20231231.txt";
const FEC3: &str = "123456789FEC20500930.txt";

fn text_of(name: &str) -> String {
    String::from_utf8(read_fixture(name)).unwrap()
}

#[test]
fn fixture_with_bom_auxiliary_accounts_and_lettering_balances_to_the_411_accounts() {
    let bytes = read_fixture(FEC1);
    let plan = fec::parse(FEC1, &bytes);
    let mut ledger = ledger();
    let outcome = commit(&mut ledger, &plan);
    let want = naive_411_net(&text_of(FEC1));
    assert_eq!(
        want, 5_251_724,
        "independent sum of the 411 lines (awk gives 52 517,24)"
    );
    assert_eq!(
        aging_total(&ledger, date("2022-08-31")),
        want,
        "the aged balance must equal the customer accounts' balance"
    );
    assert_eq!(outcome.clients_created, 17, "one client per CompAuxNum");
    assert!(
        outcome.allocations_created > 300,
        "lettered lines must become allocations"
    );
    // Credit notes "AV …" from the sales journal are credit notes, not payments.
    let credit_notes = ledger
        .invoices(&Default::default())
        .unwrap()
        .rows
        .into_iter()
        .filter(|i| i.kind == InvoiceKind::CreditNote)
        .count();
    assert_eq!(credit_notes, 9);
    // Opening entries (journal ANO) are opening items, one per client line.
    let openings: Vec<_> = ledger
        .invoices(&Default::default())
        .unwrap()
        .rows
        .into_iter()
        .filter(|i| i.kind == InvoiceKind::Opening)
        .collect();
    assert_eq!(openings.len(), 7);
    assert!(
        openings.iter().all(|o| o.number.starts_with("RAN (")),
        "a piece reference repeated for every client names its client"
    );
}

#[test]
fn fully_lettered_groups_are_paid_and_unlettered_debits_stay_open() {
    let bytes = read_fixture(FEC1);
    let plan = fec::parse(FEC1, &bytes);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    // Independent view of the lettering: groups whose lines sum to zero.
    let mut groups: HashMap<(encaisse::import::Text, encaisse::import::Text), i64> = HashMap::new();
    for item in &plan.items {
        if let Some(l) = &item.letter {
            *groups
                .entry((item.client_code.clone(), l.clone()))
                .or_default() += item.amount_cents;
        }
    }
    for p in &plan.payments {
        if let Some(l) = &p.letter {
            *groups
                .entry((p.client_code.clone(), l.clone()))
                .or_default() -= p.amount_cents;
        }
    }
    let mut checked_paid = 0;
    let mut checked_open = 0;
    for item in plan.items.iter().filter(|i| i.amount_cents > 0) {
        let inv = ledger.invoice_by_number(&item.number).unwrap();
        match &item.letter {
            Some(l) if groups[&(item.client_code.clone(), l.clone())] == 0 => {
                assert_eq!(
                    inv.status,
                    InvoiceStatus::Paid,
                    "{} is in a balanced lettering group",
                    inv.number
                );
                checked_paid += 1;
            }
            None => {
                assert_eq!(
                    inv.open_cents, inv.amount_cents,
                    "{} is not lettered and must stay open",
                    inv.number
                );
                checked_open += 1;
            }
            _ => {}
        }
    }
    assert!(
        checked_paid > 100 && checked_open > 0,
        "paid {checked_paid}, open {checked_open}"
    );
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let bytes = read_fixture(FEC1);
    let plan = fec::parse(FEC1, &bytes);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    let before = counts(&ledger);
    let again = commit(&mut ledger, &fec::parse(FEC1, &bytes));
    assert_eq!(
        counts(&ledger),
        before,
        "a second import must not add or change anything"
    );
    assert_eq!(
        (
            again.invoices_created,
            again.payments_created,
            again.allocations_created
        ),
        (0, 0, 0)
    );
    let preview = ledger.preview_import(&plan, &HashMap::new()).unwrap();
    assert!(preview.already_imported);
}

#[test]
fn cash_basis_fec_with_22_columns_and_no_lettering() {
    let bytes = read_fixture(FEC2);
    let plan = fec::parse(FEC2, &bytes);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    assert_eq!(
        aging_total(&ledger, date("2023-12-31")),
        naive_411_net(&text_of(FEC2))
    );
    assert!(
        ledger.allocations(None, None).unwrap().is_empty(),
        "no lettering, no allocation"
    );
}

#[test]
fn mixed_cr_and_crlf_line_endings() {
    let bytes = read_fixture(FEC3);
    let plan = fec::parse(FEC3, &bytes);
    assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    // `wc -l` says 10 756: the last line has no line break, so 10 757 lines.
    assert_eq!(
        plan.lines, 10_757,
        "a CR CR LF ending counts as one line break"
    );
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    assert_eq!(
        aging_total(&ledger, date("2050-09-30")),
        naive_411_net(&text_of(FEC3))
    );
}

/// Every variant of the first fixture must give the same ledger.
fn assert_same_as_fixture(variant: &[u8], what: &str) {
    let mut want = ledger();
    commit(&mut want, &fec::parse(FEC1, &read_fixture(FEC1)));
    let plan = fec::parse("variant.txt", variant);
    assert!(
        plan.issues.is_empty(),
        "{what}: {:?}",
        plan.issues.iter().take(3).collect::<Vec<_>>()
    );
    let mut got = ledger();
    commit(&mut got, &plan);
    assert_eq!(
        counts(&got),
        counts(&want),
        "{what} must import like the original"
    );
    assert_eq!(
        aging_total(&got, date("2022-08-31")),
        aging_total(&want, date("2022-08-31")),
        "{what}"
    );
}

#[test]
fn iso_8859_15_without_bom() {
    let text = text_of(FEC1);
    let latin = encoding_rs::ISO_8859_15
        .encode(text.trim_start_matches('\u{feff}'))
        .0
        .into_owned();
    assert!(
        std::str::from_utf8(&latin).is_err(),
        "the variant really is Latin-9"
    );
    assert_same_as_fixture(&latin, "ISO-8859-15");
    let plan = fec::parse("latin.txt", &latin);
    assert!(
        plan.clients
            .iter()
            .any(|c| c.name.contains('É') || c.name.contains('é'))
            || plan.items.iter().any(|i| i.label.contains('é')),
        "accents decoded"
    );
}

#[test]
fn pipe_separated_fixed_width_with_upper_case_headers_and_crlf() {
    let text = text_of(FEC1);
    let padded: Vec<String> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = if i == 0 {
                line.to_uppercase()
            } else {
                line.to_string()
            };
            line.split('\t')
                .map(|f| format!("{f:<24}"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert_same_as_fixture(padded.join("\r\n").as_bytes(), "pipe, fixed width, CRLF");
}

#[test]
fn montant_and_sens_instead_of_debit_and_credit() {
    let text = text_of(FEC1);
    let mut out = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let mut f: Vec<String> = line.split('\t').map(str::to_string).collect();
        if i == 0 {
            f[11] = "Montant".into();
            f[12] = "Sens".into();
        } else {
            let debit = f[11].replace(',', ".").parse::<f64>().unwrap_or(0.0);
            let (amount, sense) = if debit != 0.0 {
                (f[11].clone(), "D")
            } else {
                (f[12].clone(), "C")
            };
            f[11] = amount;
            f[12] = sense.into();
        }
        out.push(f.join("\t"));
    }
    assert_same_as_fixture(out.join("\n").as_bytes(), "Montant + Sens");
}

#[test]
fn due_date_is_piece_date_plus_the_terms_chosen_before_commit() {
    let plan = fec::parse(FEC1, &read_fixture(FEC1));
    let mut ledger = ledger();
    let terms = HashMap::from([("CPRO00".to_string(), 45u32)]);
    ledger
        .commit_import(&plan, &terms, &mut |_, _| true)
        .unwrap();
    let item = plan
        .items
        .iter()
        .find(|i| i.client_code == "CPRO00" && i.kind == InvoiceKind::Invoice)
        .unwrap();
    let inv = ledger.invoice_by_number(&item.number).unwrap();
    assert_eq!(
        inv.due_date,
        item.issue_date + chrono::Days::new(45),
        "terms set in the preview"
    );
    let other = plan
        .items
        .iter()
        .find(|i| i.client_code != "CPRO00" && i.kind == InvoiceKind::Invoice)
        .unwrap();
    let inv = ledger.invoice_by_number(&other.number).unwrap();
    assert_eq!(
        inv.due_date,
        other.issue_date + chrono::Days::new(30),
        "default terms: 30 days"
    );
    assert_eq!(
        ledger.client_by_code("CPRO00").unwrap().terms_days,
        45,
        "the client keeps the terms chosen"
    );
}

#[test]
fn a_cancelled_import_writes_nothing() {
    let plan = fec::parse(FEC1, &read_fixture(FEC1));
    let mut ledger = ledger();
    let before = counts(&ledger);
    let result = ledger.commit_import(&plan, &HashMap::new(), &mut |done, _| done < 100);
    assert!(result.is_err(), "cancel must stop the import");
    assert_eq!(
        counts(&ledger),
        before,
        "a cancelled import must leave the ledger as it was"
    );
}

/// `type|name|sql` of every schema object, to compare a ledger before and after.
fn schema_of(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type || '|' || name || '|' || COALESCE(sql, '') FROM sqlite_schema ORDER BY name")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_large_fec_is_written_in_bulk_with_the_same_schema_figures_and_checks() {
    // Large enough to be read on two cores and written in bulk.
    let text = encaisse::demo::synthetic_fec(60_000, 300);
    assert!(text.len() > 4 << 20, "the file must be read in two halves");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.sqlite");
    let mut ledger = encaisse::Ledger::open(&path).unwrap();
    let schema_before = schema_of(&path);
    let plan = fec::parse("big.txt", text.as_bytes());
    assert!(plan.items.len() + plan.payments.len() > 20_000);
    assert_eq!(
        serde_json::to_value(fec::parse_from("big.txt", {
            let file = dir.path().join("big.txt");
            std::fs::write(&file, &text).unwrap();
            std::fs::File::open(&file).unwrap()
        }))
        .unwrap(),
        serde_json::to_value(&plan).unwrap(),
        "the file read from disk a part at a time gives the same plan"
    );
    commit(&mut ledger, &plan);
    assert_eq!(
        schema_of(&path),
        schema_before,
        "the indexes dropped for the import must come back identical"
    );
    assert_eq!(
        ledger.integrity_check().unwrap(),
        Vec::<String>::new(),
        "integrity and foreign keys must hold"
    );
    assert_eq!(
        aging_total(&ledger, date("2100-01-01")),
        naive_411_net(&text),
        "the open total must equal the net of the 411 lines"
    );
    // Matching was done: lettered pairs are paid.
    let open = ledger
        .invoices(&encaisse::ledger::InvoiceFilter {
            status: Some("paid".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(open.total_count > 1_000, "lettered invoices must be paid");
    let before = counts(&ledger);
    let preview = ledger.preview_import(&plan, &HashMap::new()).unwrap();
    assert_eq!(
        preview.already_present,
        plan.items.len() + plan.payments.len(),
        "the preview knows every line of a file imported already"
    );
    let again = commit(&mut ledger, &fec::parse("big.txt", text.as_bytes()));
    assert_eq!(
        counts(&ledger),
        before,
        "a second bulk import changes nothing"
    );
    assert_eq!(again.allocations_created, 0);
    // Foreign keys are enforced again once the import is over.
    let orphan = encaisse::ledger::NewPayment {
        client_id: 999_999,
        date: date("2026-01-01"),
        amount: encaisse::money::Money::new(100, encaisse::money::Currency::EUR),
        method: String::new(),
        reference: String::new(),
    };
    assert!(ledger.record_payment(&orphan).is_err());
}

#[test]
fn errors_in_the_second_half_of_a_large_file_keep_their_line_numbers() {
    let text = encaisse::demo::synthetic_fec(60_000, 300);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let total = lines.len();
    // A short line near the end, and (separately) a bad date on a 411 line.
    let short_at = total - 10;
    lines[short_at - 1] = "VE\tVentes\t1".into();
    let plan = fec::parse("big.txt", lines.join("\n").as_bytes());
    assert_eq!(plan.issues.len(), 1, "{:?}", plan.issues);
    assert_eq!(plan.issues[0].line, short_at);

    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let bad_at = (total * 3 / 4..total)
        .find(|&n| lines[n - 1].split('\t').nth(4) == Some("411000"))
        .expect("a customer line in the last quarter");
    let fields: Vec<&str> = lines[bad_at - 1].split('\t').collect();
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    let piece_date = header.iter().position(|h| *h == "PieceDate").unwrap();
    let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    fields[piece_date] = "20221345".into();
    lines[bad_at - 1] = fields.join("\t");
    let plan = fec::parse("big.txt", lines.join("\n").as_bytes());
    assert_eq!(plan.issues.len(), 1, "{:?}", plan.issues);
    assert_eq!(plan.issues[0].line, bad_at);
    assert_eq!(plan.issues[0].column.as_deref(), Some("PieceDate"));
}

//! Spreadsheet exports.

use encaisse::import::csv::{self, Field};
use encaisse::model::InvoiceStatus;

use crate::common::*;

#[test]
fn french_excel_export_semicolon_decimal_comma_windows_1252() {
    let text = "N° facture;Raison sociale;Date de facture;Date d'échéance;Montant TTC\r\n\
                F-001;Société Générale de Bâtiment;15/01/2026;14/02/2026;1 200,00\r\n\
                F-002;Société Générale de Bâtiment;20/01/2026;19/02/2026;350,50\r\n\
                F-003;Crèmerie Noël;03/02/2026;;99,99\r\n";
    let bytes = encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
    let sample = csv::sample(&bytes).unwrap();
    assert_eq!(sample.separator, ';');
    assert_eq!(sample.encoding, "windows-1252");
    let plan = csv::parse("export.csv", &bytes, None);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    let f1 = ledger.invoice_by_number("F-001").unwrap();
    assert_eq!(f1.amount_cents, 120_000);
    assert_eq!(f1.due_date, date("2026-02-14"));
    assert_eq!(f1.client_name, "Société Générale de Bâtiment");
    let f3 = ledger.invoice_by_number("F-003").unwrap();
    assert_eq!(
        f3.due_date,
        date("2026-03-05"),
        "no due date: invoice date + 30 days"
    );
    assert_eq!(ledger.clients(date("2026-03-01"), None).unwrap().len(), 2);
}

#[test]
fn english_headers_comma_separator_and_iso_dates() {
    let text = "Invoice number,Customer,Invoice date,Due date,Amount,Currency,Amount paid\n\
                INV-9,\"Acme, Ltd\",2026-01-10,2026-02-09,1234.56,GBP,234.56\n";
    let plan = csv::parse("en.csv", text.as_bytes(), None);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    let inv = ledger.invoice_by_number("INV-9").unwrap();
    assert_eq!(inv.client_name, "Acme, Ltd");
    assert_eq!(inv.currency.as_str(), "GBP");
    assert_eq!(
        inv.open_cents, 100_000,
        "the amount already paid is matched to the invoice"
    );
    assert_eq!(inv.status, InvoiceStatus::PartlyPaid);
}

#[test]
fn the_encaisse_csv_layout_needs_no_mapping() {
    let bytes = std::fs::read(fixture("encaisse.csv")).unwrap();
    let sample = csv::sample(&bytes).unwrap();
    let mapped: Vec<Field> = sample.guess.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        mapped,
        Field::ALL.to_vec(),
        "every column of the documented layout is recognised"
    );
    let plan = csv::parse("encaisse.csv", &bytes, None);
    let mut ledger = ledger();
    commit(&mut ledger, &plan);
    let client = ledger.client_by_code("DUPONT").unwrap();
    assert_eq!(client.email, "compta@dupont.fr");
    assert_eq!(
        ledger
            .invoice_by_number("FA-2026-0002")
            .unwrap()
            .amount_cents,
        -5_000,
        "a negative amount is a credit note"
    );
}

#[test]
fn an_explicit_mapping_overrides_the_guess() {
    let text = "a;b;c;d\nX1;Client X;01/03/2026;10,00\n";
    let mapping = [
        (Field::Number, 0),
        (Field::ClientName, 1),
        (Field::IssueDate, 2),
        (Field::Amount, 3),
    ]
    .into_iter()
    .collect();
    let plan = csv::parse("m.csv", text.as_bytes(), Some(&mapping));
    assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    assert_eq!(plan.items[0].amount_cents, 1000);
    assert_eq!(plan.items[0].client_code, "CLIENTX");
}

#[test]
fn reimporting_a_csv_changes_nothing() {
    let bytes = std::fs::read(fixture("encaisse.csv")).unwrap();
    let mut ledger = ledger();
    commit(&mut ledger, &csv::parse("encaisse.csv", &bytes, None));
    let before = counts(&ledger);
    commit(&mut ledger, &csv::parse("encaisse.csv", &bytes, None));
    assert_eq!(counts(&ledger), before);
}

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

#[test]
fn the_encaisse_csv_brings_the_client_s_postal_details() {
    let mut ledger = ledger();
    let plan = csv::parse("encaisse.csv", &read_fixture("encaisse.csv"), None);
    assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    commit(&mut ledger, &plan);
    let dupont = ledger.client_by_code("DUPONT").unwrap();
    assert_eq!(dupont.contact, "Mme Dupont");
    assert_eq!(dupont.phone, "04 78 12 34 56");
    assert_eq!(dupont.address, "12 rue des Tanneurs\nBâtiment B");
    assert_eq!(
        (dupont.postcode.as_str(), dupont.city.as_str()),
        ("69001", "Lyon")
    );
    assert_eq!(dupont.country, "FR");
    assert_eq!(dupont.siren, "552100554");
}

#[test]
fn a_client_list_imports_on_its_own_and_completes_clients_by_code_without_touching_their_invoices()
{
    let mut ledger = ledger();
    commit(
        &mut ledger,
        &csv::parse("encaisse.csv", &read_fixture("encaisse.csv"), None),
    );
    let invoices_before = ledger.invoices(&Default::default()).unwrap().rows;
    // As an invoicing tool exports its customers: other headers, a client
    // the ledger knows (MARTIN, no address yet), a new one with a long name
    // and no address, a foreign one.
    let long_name = "Société Coopérative Agricole des Producteurs de Lait du Vercors";
    assert_eq!(long_name.chars().count(), 63);
    let list = format!(
        "Code client;Raison sociale;Adresse;CP;Ville;Pays;SIRET;Téléphone;E-mail\n\
         MARTIN;Boulangerie Martin;4 place du Marché;38000;Grenoble;;73282932000074;04 76 00 00 00;\n\
         VERCORS;{long_name};;;;;;;\n\
         BRUX;Chocolaterie Bruxelloise;Rue Haute 12;1000;Bruxelles;Belgique;;;info@choco.be\n"
    );
    let plan = csv::parse("clients.csv", list.as_bytes(), None);
    assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    assert!(plan.items.is_empty() && plan.payments.is_empty());
    let outcome = commit(&mut ledger, &plan);
    assert_eq!((outcome.clients_created, outcome.clients_updated), (2, 1));
    let martin = ledger.client_by_code("MARTIN").unwrap();
    assert_eq!(martin.address, "4 place du Marché");
    assert_eq!(martin.city, "Grenoble");
    assert_eq!(martin.siren, "73282932000074");
    assert_eq!(
        martin.email, "factures@martin.fr",
        "an empty cell leaves the file's value"
    );
    assert_eq!(ledger.client_by_code("VERCORS").unwrap().name, long_name);
    let brux = ledger.client_by_code("BRUX").unwrap();
    assert_eq!(
        encaisse::documents::country_line(&brux.country).as_deref(),
        Some("BELGIQUE")
    );
    assert_eq!(
        ledger.invoices(&Default::default()).unwrap().rows,
        invoices_before,
        "the invoices are not touched"
    );
    // The same list again changes nothing.
    let again = commit(
        &mut ledger,
        &csv::parse("clients.csv", list.as_bytes(), None),
    );
    assert_eq!((again.clients_created, again.clients_updated), (0, 0));
}

#[test]
fn client_details_that_cannot_be_true_are_refused_with_their_line_and_column() {
    for (line, want) in [
        (
            "A1;Alpha;1 rue X;750;Paris;;",
            "CP : « 750 » : un code postal français a 5 chiffres",
        ),
        (
            "A1;Alpha;1 rue X;75002;Paris;;12345",
            "SIRET : « 12345 » : 9 chiffres (SIREN) ou 14 (SIRET)",
        ),
    ] {
        let text = format!("Code client;Nom;Adresse;CP;Ville;Pays;SIRET\n{line}\n");
        let plan = csv::parse("clients.csv", text.as_bytes(), None);
        let issue = plan.issues.first().expect("refused").to_string();
        assert!(issue.contains("ligne 2") && issue.contains(want), "{issue}");
    }
}

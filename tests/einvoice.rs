//! E-invoices: Factur-X PDF, CII and UBL read field by field from the
//! public samples; imported only when the company issued them; the buyer
//! found or created; an invoice a CSV brought first enriched, never doubled;
//! bad files refused with where and why.

use encaisse::einvoice;
use encaisse::ledger::NewInvoice;
use encaisse::model::{Client, InvoiceKind};
use encaisse::money::{Currency, Money};
use encaisse::Ledger;

use crate::common::*;

fn read(name: &str) -> einvoice::EInvoice {
    einvoice::parse(name, &read_fixture(&format!("einvoice/{name}")))
        .unwrap_or_else(|issues| panic!("{name}: {issues:?}"))
}

/// A ledger whose company has SIREN `siren`.
fn ledger_of(siren: &str) -> Ledger {
    let ledger = Ledger::open_in_memory().unwrap();
    let mut company = the_company();
    company.siren = siren.into();
    ledger.set_company(&company).unwrap();
    ledger
}

#[test]
fn cii_minimum_and_en16931_are_read() {
    let minimum = read("factur-x-minimum.xml");
    assert_eq!(minimum.format, "CII");
    assert_eq!(minimum.number, "F20260023");
    assert_eq!(minimum.kind, InvoiceKind::Invoice);
    assert_eq!(minimum.issue_date, date("2026-01-31"));
    assert_eq!((minimum.total_cents, minimum.due_cents), (104_90, 104_90));
    assert_eq!(minimum.seller.siren().as_deref(), Some("123456782"));
    assert_eq!(minimum.buyer.name, "LE CLIENT");
    assert_eq!(minimum.due_date, None, "MINIMUM has no due date");

    let full = read("factur-x-en16931.xml");
    assert_eq!(full.due_date, Some(date("2026-03-02")));
    assert_eq!(full.payment_terms, "PAIEMENT 30 JOURS NET");
    assert_eq!(full.prepaid_cents, 0);
    assert_eq!(
        full.buyer.email, "me@buyer.com",
        "the electronic address (BT-49) first"
    );
    assert_eq!(full.buyer.postcode, "06000");
    assert!(!full.buyer.address.is_empty());
    assert_eq!(full.currency, Currency::EUR);
}

#[test]
fn ubl_invoice_is_read_with_its_prepaid_amount_and_the_buyer_in_full() {
    let ubl = read("ubl-21-en16931.xml");
    assert_eq!(ubl.format, "UBL");
    assert_eq!(ubl.number, "F124212");
    assert_eq!(ubl.issue_date, date("2026-06-17"));
    assert_eq!(ubl.due_date, Some(date("2026-07-16")));
    assert_eq!(
        (ubl.total_cents, ubl.prepaid_cents, ubl.due_cents),
        (308_03, 100_00, 208_03)
    );
    assert_eq!(
        ubl.seller.siren().as_deref(),
        Some("999999998"),
        "from the SIRET"
    );
    let buyer = &ubl.buyer;
    assert_eq!(buyer.name, "Ma jolie boutique SARL");
    assert_eq!(buyer.siren().as_deref(), Some("787878784"));
    assert_eq!(buyer.vat, "FR19787878784");
    assert_eq!(buyer.address, "35 rue de la République\nLa presqu'île");
    assert_eq!(
        (
            buyer.postcode.as_str(),
            buyer.city.as_str(),
            buyer.country.as_str()
        ),
        ("69001", "Lyon", "FR")
    );
    assert_eq!(buyer.email, "laetita.durand@jolieboutique.com");
    // The French extended profile reads the same.
    let extended = read("ubl-21-extended-ctc-fr.xml");
    assert_eq!(
        (extended.number.as_str(), extended.due_cents),
        ("F124212", 208_03)
    );
}

#[test]
fn a_factur_x_pdf_gives_its_embedded_invoice_and_is_kept() {
    let pdf = read("invoice_EN16931.pdf");
    assert!(pdf.format.starts_with("Factur-X"), "{}", pdf.format);
    assert!(!pdf.number.is_empty());
    assert!(pdf.total_cents > 0);
    assert!(pdf.pdf.is_some());
    let siren = pdf.seller.siren().expect("the sample's seller has a SIREN");
    let mut ledger = ledger_of(&siren);
    let done = ledger.import_einvoice(&pdf, "invoice_EN16931.pdf").unwrap();
    let documents = ledger.invoice_documents(done.invoice_id).unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].1, "application/pdf");
    assert_eq!(documents[0].2, read_fixture("einvoice/invoice_EN16931.pdf"));
    // It goes into the client's litigation file.
    let invoice = ledger.invoice(done.invoice_id).unwrap();
    let (zip, _) = ledger
        .litigation_file(invoice.client_id, date("2026-12-04"))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let name = format!(
        "factures/{}.pdf",
        encaisse::documents::slug(&invoice.number)
    );
    let mut kept = Vec::new();
    std::io::Read::read_to_end(
        &mut zip.by_name(&name).expect("the invoice in the file"),
        &mut kept,
    )
    .unwrap();
    assert_eq!(kept, read_fixture("einvoice/invoice_EN16931.pdf"));
}

#[test]
fn an_invoice_the_company_did_not_issue_is_refused_with_that_reason() {
    let mut ledger = ledger_of("732829320");
    let err = ledger
        .import_einvoice(&read("ubl-21-en16931.xml"), "f.xml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("émise par Au bon moulin (SIREN 999999998)"),
        "{err}"
    );
    assert!(err.contains("elle n'est pas importée"), "{err}");
    assert!(
        ledger.clients(date("2026-12-04"), None).unwrap().is_empty(),
        "nothing written"
    );
    // Another company's invoice among the company's own: none is imported.
    let mut ours = ledger_of("123456782");
    let err = ours
        .import_einvoices(&[
            ("min.xml".into(), read("factur-x-minimum.xml")),
            ("ubl.xml".into(), read("ubl-21-en16931.xml")),
        ])
        .unwrap_err()
        .to_string();
    assert!(err.contains("émise par Au bon moulin"), "{err}");
    assert!(
        ours.clients(date("2026-12-04"), None).unwrap().is_empty(),
        "not even the good one"
    );
}

#[test]
fn the_buyer_is_created_the_prepaid_amount_paid_and_a_second_import_changes_nothing() {
    let mut ledger = ledger_of("999999998");
    let ubl = read("ubl-21-en16931.xml");
    let done = ledger.import_einvoice(&ubl, "F124212.xml").unwrap();
    assert!(done.client_created && done.invoice_created);
    let invoice = ledger.invoice(done.invoice_id).unwrap();
    assert_eq!(invoice.amount_cents, 308_03);
    assert_eq!(
        invoice.open_cents, 208_03,
        "the prepaid 100,00 € is settled"
    );
    assert_eq!(invoice.due_date, date("2026-07-16"));
    let client = ledger.client_by_code(&done.client_code).unwrap();
    assert_eq!(client.name, "Ma jolie boutique SARL");
    assert_eq!(client.siren, "787878784");
    assert_eq!(client.email, "laetita.durand@jolieboutique.com");
    assert_eq!(
        (client.postcode.as_str(), client.city.as_str()),
        ("69001", "Lyon")
    );

    let again = ledger.import_einvoice(&ubl, "F124212.xml").unwrap();
    assert!(again.unchanged && !again.invoice_created && !again.client_created);
    assert_eq!(ledger.invoice(done.invoice_id).unwrap().open_cents, 208_03);
    assert_eq!(ledger.clients(date("2026-12-04"), None).unwrap().len(), 1);
}

#[test]
fn an_invoice_a_csv_brought_first_is_enriched_not_doubled() {
    let mut ledger = ledger_of("999999998");
    // The client under another code, found by its SIREN.
    let mut c = Client::new("JOLIE", "Ma Jolie Boutique");
    c.siren = "787878784".into();
    let id = ledger.upsert_client(&c).unwrap();
    let invoice = ledger
        .add_invoice(&NewInvoice {
            client_id: id,
            number: "F124212".into(),
            issue_date: date("2026-06-17"),
            due_date: None,
            amount: Money::new(308_03, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    let done = ledger
        .import_einvoice(&read("ubl-21-en16931.xml"), "F124212.xml")
        .unwrap();
    assert!(done.enriched && !done.invoice_created && !done.client_created);
    assert_eq!(done.invoice_id, invoice);
    assert_eq!(
        ledger.invoice(invoice).unwrap().due_date,
        date("2026-07-16")
    );
    let client = ledger.client(id).unwrap();
    assert_eq!(client.city, "Lyon", "the client file completed");
    assert_eq!(client.name, "Ma Jolie Boutique", "what it had is kept");
    assert_eq!(ledger.invoice_documents(invoice).unwrap().len(), 1);
}

#[test]
fn bad_e_invoices_are_refused_with_where_and_why() {
    let refused = |name: &str, bytes: &[u8]| -> Vec<encaisse::import::ImportIssue> {
        match einvoice::parse(name, bytes) {
            Ok(_) => panic!("{name} must be refused"),
            Err(issues) => issues,
        }
    };
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<Invoice><ID>&b;</ID></Invoice>"#;
    let issues = refused("bomb.xml", bomb);
    assert!(issues[0].message.contains("DOCTYPE refusée"), "{issues:?}");
    let external = b"<Invoice><ID>&xxe;</ID></Invoice>";
    assert!(refused("xxe.xml", external)[0].message.contains("entité"));
    let whole = read_fixture("einvoice/ubl-21-en16931.xml");
    let issues = refused("tronque.xml", &whole[..whole.len() / 3]);
    assert!(
        issues[0].message.contains("tronqué") || issues[0].message.contains("illisible"),
        "{issues:?}"
    );
    let text = String::from_utf8(whole)
        .unwrap()
        .replace(">308.03<", ">308,0x<");
    let issues = refused("montant.xml", text.as_bytes());
    assert_eq!(issues[0].column.as_deref(), Some("TaxInclusiveAmount"));
    assert!(issues[0].line > 1);
    // A PDF without an invoice inside: one of Encaisse's own reports.
    let today = date("2026-11-22");
    let mut ledger = Ledger::open_in_memory().unwrap();
    encaisse::demo::populate(&mut ledger, today).unwrap();
    let pdf = ledger
        .aged_balance(today, &Default::default())
        .unwrap()
        .to_pdf(&the_company(), today)
        .unwrap();
    let issues = refused("balance.pdf", &pdf);
    assert!(
        issues[0]
            .message
            .contains("ne contient pas de facture électronique"),
        "{issues:?}"
    );
    assert!(!refused("bruit.bin", &[0xff, 0xfe, 0x00, 0x41]).is_empty());
}

#[test]
fn an_xml_invoice_is_shown_as_a_page_in_the_litigation_file_and_the_e_mails() {
    let mut ledger = ledger_of("999999998");
    let ubl = read("ubl-21-en16931.xml");
    let done = ledger.import_einvoice(&ubl, "F124212.xml").unwrap();
    let pdf = ledger
        .invoice_as_pdf(done.invoice_id)
        .unwrap()
        .expect("a page made from the XML");
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "Facture n° F124212",
        "Ma jolie boutique SARL",
        "SIREN 787878784",
        "17/06/2026",
        "16/07/2026",
        "308,03 EUR",
        "100,00 EUR",
        "208,03 EUR",
        "F124212.xml",
        "Le fichier XML fait foi",
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
    // The litigation file holds the page and the XML beside it.
    let invoice = ledger.invoice(done.invoice_id).unwrap();
    let (zip, _) = ledger
        .litigation_file(invoice.client_id, date("2026-12-04"))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let slug = encaisse::documents::slug(&invoice.number);
    let mut xml = Vec::new();
    std::io::Read::read_to_end(
        &mut zip.by_name(&format!("factures/{slug}.xml")).unwrap(),
        &mut xml,
    )
    .unwrap();
    assert_eq!(xml, read_fixture("einvoice/ubl-21-en16931.xml"));
    assert!(zip.by_name(&format!("factures/{slug}.pdf")).is_ok());
    // An invoice with no document has no page.
    let client = ledger.client_by_code(&done.client_code).unwrap();
    let bare = ledger
        .add_invoice(&NewInvoice {
            client_id: client.id,
            number: "F-SANS-DOC".into(),
            issue_date: date("2026-06-01"),
            due_date: None,
            amount: Money::new(10_00, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    assert_eq!(ledger.invoice_as_pdf(bare).unwrap(), None);
}

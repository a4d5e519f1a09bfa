//! Bank statements: each format read from files laid out as the banks
//! publish them, overlaps kept once, the matching rules one by one, sure
//! matches confirmed at once, lines set aside for good, bad files refused
//! with where and why.

use encaisse::bank::{self, Confidence, Format, LineState};
use encaisse::ledger::NewInvoice;
use encaisse::model::Client;
use encaisse::money::{Currency, Money};
use encaisse::Ledger;

use crate::common::*;

fn statement(name: &str) -> bank::Statement {
    let s = bank::parse(name, &read_fixture(&format!("bank/{name}")));
    assert!(s.issues.is_empty(), "{name}: {:?}", s.issues);
    s
}

/// A client's code, name and invoices (number, issue date, cents).
type Books = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, i64)],
);

/// Clients and open invoices the fixtures' statements pay.
fn ledger_with_invoices() -> Ledger {
    let ledger = Ledger::open_in_memory().unwrap();
    ledger.set_company(&the_company()).unwrap();
    let invoices: [Books; 5] = [
        (
            "BOUL01",
            "Boulangerie Martin",
            &[
                ("F-2026-0101", "2026-10-01", 1_200_00),
                ("F-2026-0102", "2026-10-05", 300_00),
            ],
        ),
        (
            "GAR01",
            "Garage Dupont et Fils",
            &[("F-2026-0201", "2026-10-02", 845_50)],
        ),
        (
            "HOT01",
            "Hôtel des Alpes",
            &[("F-2026-0103", "2026-10-03", 500_00)],
        ),
        (
            "LEROUX01",
            "Épicerie Fine Leroux",
            &[
                ("F-2026-0301", "2026-09-01", 1_000_00),
                ("F-2026-0302", "2026-09-15", 1_400_00),
                ("F-2026-0303", "2026-10-15", 700_00),
            ],
        ),
        ("DUR01", "Durand", &[("F-2026-0401", "2026-10-20", 999_00)]),
    ];
    for (code, name, list) in invoices {
        let mut c = Client::new(code, name);
        c.address = "1 rue de la Paix".into();
        c.postcode = "75002".into();
        c.city = "Paris".into();
        let id = ledger.upsert_client(&c).unwrap();
        for (number, issued, cents) in list {
            ledger
                .add_invoice(&NewInvoice {
                    client_id: id,
                    number: number.to_string(),
                    issue_date: date(issued),
                    due_date: Some(date(issued) + chrono::Days::new(30)),
                    amount: Money::new(*cents, Currency::EUR),
                    label: String::new(),
                })
                .unwrap();
        }
    }
    ledger
}

fn open_of(ledger: &Ledger, number: &str) -> i64 {
    let id = ledger.invoice_by_number(number).unwrap().id;
    ledger.invoice(id).unwrap().open_cents
}

#[test]
fn camt_053_versions_02_and_08_are_read_credits_kept_debits_and_pending_left() {
    let v02 = statement("camt053-v02.xml");
    assert_eq!(v02.format, Some(Format::Camt053));
    // 1 200 €, 845,50 €, and the batch of 900 € cut in its two transfers;
    // the debit is counted, the pending entry left.
    let amounts: Vec<i64> = v02.lines.iter().map(|l| l.amount_cents).collect();
    assert_eq!(amounts, vec![1_200_00, 845_50, 500_00, 400_00]);
    assert_eq!(v02.debits, 1);
    let first = &v02.lines[0];
    assert_eq!(first.account, "FR7630006000011234567890189");
    assert_eq!(first.date, date("2026-11-24"));
    assert_eq!(first.payer, "BOULANGERIE MARTIN SARL");
    assert_eq!(first.remittance, "REGLEMENT FACT F 2026-0101 MERCI");
    assert_eq!(first.bank_ref, "BQ-20261124-0001");
    assert_eq!(v02.lines[1].payer, "Garage Dupont & Fils", "entities read");
    assert_eq!(v02.lines[2].payer, "Hôtel des Alpes");
    assert!(
        v02.lines[2].remittance.contains("F-2026-0103"),
        "structured reference kept"
    );
    assert_eq!(v02.lines[2].bank_ref, "E2E-A");

    let v08 = statement("camt053-v08.xml");
    assert_eq!(v08.lines.len(), 2);
    assert_eq!(
        v08.lines[0].payer, "Garage Dupont & Fils",
        "v08: Dbtr/Pty/Nm"
    );
    assert_eq!(v08.lines[1].date, date("2026-11-30"), "a date-time booking");
}

#[test]
fn ofx_1_sgml_and_ofx_2_xml_are_read() {
    let one = statement("releve-ofx1.ofx");
    assert_eq!(one.format, Some(Format::Ofx));
    assert_eq!(one.debits, 1);
    assert_eq!(one.lines.len(), 2);
    assert_eq!(one.lines[0].amount_cents, 1_200_00);
    assert_eq!(one.lines[0].account, "12345678901");
    assert_eq!(one.lines[0].payer, "VIR BOULANGERIE MARTIN");
    assert_eq!(one.lines[0].remittance, "F 2026-0101");
    assert_eq!(one.lines[0].bank_ref, "OFX-0001");
    assert_eq!(one.lines[1].amount_cents, 75_00, "a decimal comma");
    assert_eq!(one.lines[1].date, date("2026-11-28"));

    let two = statement("releve-ofx2.ofx");
    assert_eq!(two.lines.len(), 2);
    assert_eq!(
        two.lines[0].date,
        date("2026-11-24"),
        "a date with its time zone"
    );
    assert_eq!(
        two.lines[1].payer, "Café & Co",
        "character references and entities read"
    );
    assert_eq!(two.lines[1].remittance, "Avoir <remboursé>");
}

#[test]
fn cfonb_120_movements_take_their_continuation_records() {
    let s = statement("releve-cfonb120.txt");
    assert_eq!(s.format, Some(Format::Cfonb120));
    assert_eq!(s.debits, 1);
    assert_eq!(s.lines.len(), 2);
    let martin = &s.lines[0];
    assert_eq!(martin.amount_cents, 1_200_00);
    assert_eq!(martin.date, date("2026-11-24"));
    assert_eq!(martin.payer, "BOULANGERIE MARTIN SARL", "05 NPY");
    assert!(
        martin.remittance.contains("REGLEMENT FACTURE F 2026-0101"),
        "05 LIB"
    );
    assert_eq!(martin.bank_ref, "0000001");
    assert_eq!(s.lines[1].amount_cents, 845_50);
    assert_eq!(s.lines[1].payer, "GARAGE DUPONT ET FILS");
    // The same records without line breaks.
    let joined: String = String::from_utf8(read_fixture("bank/releve-cfonb120.txt"))
        .unwrap()
        .replace("\r\n", "");
    let again = bank::parse("continu.txt", joined.as_bytes());
    assert!(again.issues.is_empty(), "{:?}", again.issues);
    assert_eq!(again.lines, s.lines, "records numbered alike");
}

#[test]
fn overlapping_statements_and_the_same_statement_twice_add_nothing_twice() {
    let mut ledger = ledger_with_invoices();
    let first = ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    assert_eq!((first.added, first.known, first.debits), (4, 0, 1));
    let again = ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    assert_eq!((again.added, again.known), (0, 4));
    // The next statement repeats the 25 November transfer.
    let next = ledger.import_bank(&statement("camt053-v08.xml")).unwrap();
    assert_eq!((next.added, next.known), (1, 1));
    assert_eq!(ledger.bank_lines(None).unwrap().len(), 5);
}

#[test]
fn each_matching_rule_gives_its_reason_and_confidence() {
    let mut ledger = ledger_with_invoices();
    ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    ledger.import_bank(&statement("camt053-v08.xml")).unwrap();
    let lines = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    let by_amount = |cents: i64| lines.iter().find(|l| l.amount.cents == cents).unwrap();
    let number_of = |id: i64| ledger.invoice(id).unwrap().number;

    // The invoice number in the text ("F 2026-0101"), the exact amount.
    let martin = &by_amount(1_200_00).proposals[0];
    assert_eq!(martin.confidence, Confidence::Sure);
    assert_eq!(number_of(martin.invoice_ids()[0]), "F-2026-0101");
    assert!(
        martin.reasons[0].contains("facture F-2026-0101 dans le libellé, montant exact"),
        "{:?}",
        martin.reasons
    );

    // The payer's name the client's (legal form, "&"/"et", case ignored),
    // and one invoice of that amount.
    let garage = &by_amount(845_50).proposals[0];
    assert_eq!(garage.confidence, Confidence::Sure);
    assert_eq!(number_of(garage.invoice_ids()[0]), "F-2026-0201");
    assert!(
        garage.reasons[0].contains("= client Garage Dupont et Fils"),
        "{:?}",
        garage.reasons
    );

    // A structured reference in a batch.
    let hotel = &by_amount(500_00).proposals[0];
    assert_eq!(hotel.confidence, Confidence::Sure);
    assert_eq!(number_of(hotel.invoice_ids()[0]), "F-2026-0103");

    // The client's code in the text, the amount of its two oldest invoices.
    let leroux = &by_amount(2_400_00).proposals[0];
    assert_eq!(leroux.confidence, Confidence::Probable);
    let numbers: Vec<String> = leroux.invoice_ids().iter().map(|&i| number_of(i)).collect();
    assert_eq!(numbers, ["F-2026-0301", "F-2026-0302"]);
    assert!(
        leroux.reasons[0].contains("code client LEROUX01"),
        "{:?}",
        leroux.reasons
    );

    // Nobody's: no proposal.
    assert!(by_amount(400_00).proposals.is_empty());
}

#[test]
fn a_name_close_to_a_client_or_an_amount_alone_is_not_sure() {
    let clients = vec![bank::matching::ClientRef {
        id: 1,
        code: "C1".into(),
        name: "Transports Lefèvre Frères SARL".into(),
    }];
    let open = vec![
        bank::matching::OpenRef {
            id: 10,
            client_id: 1,
            number: "A-77".into(),
            open_cents: 150_00,
            currency: Currency::EUR,
            issued: "2026-10-01".into(),
        },
        bank::matching::OpenRef {
            id: 11,
            client_id: 1,
            number: "A-78".into(),
            open_cents: 99_00,
            currency: Currency::EUR,
            issued: "2026-10-02".into(),
        },
    ];
    let index = bank::matching::Index::new(&clients, &open);
    let credit = |cents: i64, payer: &'static str| bank::matching::Credit {
        amount_cents: cents,
        currency: Currency::EUR,
        payer,
        remittance: "VIREMENT",
    };
    // Two words of three: close, not the same.
    let close = index.propose(&credit(150_00, "LEFEVRE TRANSPORTS"));
    assert_eq!(close[0].confidence, Confidence::Probable);
    assert!(close[0].reasons[0].contains("proche du client"));
    // The name, but no amount fits: the client only.
    let no_amount = index.propose(&credit(42_00, "Transports Lefevre Freres"));
    assert_eq!(no_amount[0].confidence, Confidence::Doubtful);
    assert!(no_amount[0].invoice_ids().is_empty());
    // Nothing but the amount of one open invoice.
    let amount_only = index.propose(&credit(99_00, "X"));
    assert_eq!(amount_only[0].confidence, Confidence::Doubtful);
    assert_eq!(amount_only[0].invoice_ids(), vec![11]);
    // Another currency is never proposed.
    let dollars = index.propose(&bank::matching::Credit {
        currency: Currency::parse("USD").unwrap(),
        ..credit(150_00, "Transports Lefevre Freres")
    });
    assert!(dollars.iter().all(|p| p.invoice_ids().is_empty()));
}

#[test]
fn two_sure_lines_for_the_same_invoice_record_only_the_first() {
    let invoice = bank::matching::ProposedInvoice {
        id: 7,
        number: "F-7".into(),
        open: Money::new(100_00, Currency::EUR),
    };
    let line = |id: i64| bank::BankLine {
        id,
        account: String::new(),
        date: date("2026-12-01"),
        amount: Money::new(100_00, Currency::EUR),
        payer: "Martin".into(),
        remittance: "F-7".into(),
        bank_ref: String::new(),
        file_name: "releve.xml".into(),
        state: LineState::Pending,
        payment_id: None,
        proposals: vec![bank::Proposal {
            client_id: 1,
            client_code: "C1".into(),
            client_name: "Martin".into(),
            invoices: vec![invoice.clone()],
            open_cents: 100_00,
            confidence: Confidence::Sure,
            reasons: vec![],
        }],
    };
    let lines = [line(1), line(2)];
    let sure = bank::sure_lines(&lines);
    assert_eq!(sure.len(), 1, "the second stays pending, to be looked at");
    assert_eq!(sure[0].0.id, 1);
}

#[test]
fn confirming_the_sure_matches_pays_the_invoices_and_shrinks_the_work_list() {
    let mut ledger = ledger_with_invoices();
    let today = date("2026-12-04");
    let before = ledger.work_list(today).unwrap().rows.len();
    ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    ledger.import_bank(&statement("camt053-v08.xml")).unwrap();
    // What the "Tout valider" button announces is what it records.
    let pending = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    let announced: Vec<i64> = bank::sure_lines(&pending)
        .iter()
        .map(|(l, _)| l.amount.cents)
        .collect();
    let done = ledger.confirm_sure_bank_lines().unwrap();
    assert_eq!(announced.len(), done.payments);
    assert_eq!(announced.iter().sum::<i64>(), done.total[0].cents);
    assert_eq!(done.payments, 3, "Martin, Garage Dupont, Hôtel des Alpes");
    assert_eq!(done.total, vec![Money::new(2_545_50, Currency::EUR)]);
    for number in ["F-2026-0101", "F-2026-0201", "F-2026-0103"] {
        assert_eq!(open_of(&ledger, number), 0, "{number} paid");
    }
    assert_eq!(
        open_of(&ledger, "F-2026-0102"),
        300_00,
        "not named, not touched"
    );
    let after = ledger.work_list(today).unwrap().rows.len();
    assert!(after < before, "the work list shrinks: {before} → {after}");
    let pending = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    assert_eq!(pending.len(), 2, "the probable and the unknown wait");
    // Confirming twice is refused.
    let confirmed = ledger.bank_lines(Some(LineState::Confirmed)).unwrap();
    let err = ledger
        .confirm_bank_line(
            confirmed[0].id,
            confirmed[0].proposals.first().map_or(1, |p| p.client_id),
            &[],
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("déjà enregistrée comme paiement"),
        "{err}"
    );
}

#[test]
fn a_line_confirmed_by_hand_pays_the_invoices_chosen_oldest_first() {
    let mut ledger = ledger_with_invoices();
    ledger.import_bank(&statement("camt053-v08.xml")).unwrap();
    let leroux = ledger
        .bank_lines(Some(LineState::Pending))
        .unwrap()
        .into_iter()
        .find(|l| l.amount.cents == 2_400_00)
        .unwrap();
    let client = leroux.proposals[0].client_id;
    let ids: Vec<i64> = ["F-2026-0303", "F-2026-0301"]
        .iter()
        .map(|n| ledger.invoice_by_number(n).unwrap().id)
        .collect();
    let payment = ledger.confirm_bank_line(leroux.id, client, &ids).unwrap();
    assert_eq!(open_of(&ledger, "F-2026-0303"), 0);
    assert_eq!(open_of(&ledger, "F-2026-0301"), 0);
    let p = ledger
        .payments(Some(client))
        .unwrap()
        .into_iter()
        .find(|p| p.id == payment)
        .unwrap();
    assert_eq!(
        (p.amount_cents, p.unallocated_cents),
        (2_400_00, 700_00),
        "what F-2026-0301 did not take stays on the payment"
    );
    assert_eq!(p.reference, "BQ-20261130-0005");
}

#[test]
fn a_line_set_aside_does_not_come_back_with_the_next_statement() {
    let mut ledger = ledger_with_invoices();
    ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    let refund = ledger
        .bank_lines(Some(LineState::Pending))
        .unwrap()
        .into_iter()
        .find(|l| l.amount.cents == 400_00)
        .unwrap();
    ledger.set_aside_bank_line(refund.id).unwrap();
    ledger.import_bank(&statement("camt053-v02.xml")).unwrap();
    let pending = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    assert!(pending.iter().all(|l| l.amount.cents != 400_00));
    assert_eq!(
        ledger.bank_lines(Some(LineState::SetAside)).unwrap().len(),
        1
    );
}

#[test]
fn bad_statements_are_refused_with_where_and_why_and_write_nothing() {
    let mut ledger = ledger_with_invoices();
    let refused = |name: &str, bytes: &[u8]| {
        let s = bank::parse(name, bytes);
        assert!(!s.issues.is_empty(), "{name} must be refused");
        s
    };
    // An entity bomb: the DTD is refused, never expanded.
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document><BkToCstmrStmt><Stmt><Ntry><Amt Ccy="EUR">&lol2;</Amt></Ntry></Stmt></BkToCstmrStmt></Document>"#;
    let s = refused("bomb.xml", bomb);
    assert_eq!(s.issues[0].line, 2);
    assert!(
        s.issues[0].message.contains("DOCTYPE refusée"),
        "{:?}",
        s.issues
    );
    // An external entity without a DTD is an unknown entity.
    let s = refused(
        "xxe.xml",
        b"<Document><BkToCstmrStmt><Stmt>&xxe;</Stmt></BkToCstmrStmt></Document>",
    );
    assert!(
        s.issues[0].message.contains("entité « &xxe; » refusée"),
        "{:?}",
        s.issues
    );
    // Truncated.
    let whole = read_fixture("bank/camt053-v02.xml");
    let s = refused("tronque.xml", &whole[..whole.len() / 2]);
    assert!(
        s.issues[0].message.contains("tronqué") || s.issues[0].message.contains("illisible"),
        "{:?}",
        s.issues
    );
    // An amount that does not parse, located.
    let text = String::from_utf8(whole.clone())
        .unwrap()
        .replace("845.50", "845,5O");
    let s = refused("montant.xml", text.as_bytes());
    assert_eq!(s.issues[0].column.as_deref(), Some("Amt"));
    assert_eq!(s.issues[0].line, 25);
    // A CFONB record cut short, and an unknown record code.
    let cfonb = String::from_utf8(read_fixture("bank/releve-cfonb120.txt")).unwrap();
    let short = cfonb.replacen("BOULANGERIE MARTIN SARL", "BOULANGERIE MARTIN SARL\r\n", 1);
    let s = refused("court.txt", short.as_bytes());
    assert!(s.issues.iter().any(|i| i.line == 3), "{:?}", s.issues);
    // A sign character that is not one (found by fuzzing: it panicked).
    let odd = cfonb.replacen("0000000012000{", "0000000012000ˆ", 1);
    let s = refused("signe.txt", odd.as_bytes());
    assert_eq!(
        (s.issues[0].line, s.issues[0].column.as_deref()),
        (2, Some("montant"))
    );
    // Noise.
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x20)
        .collect();
    let s = refused("bruit.bin", &noise);
    assert!(
        s.issues[0].message.contains("non reconnu") || s.issues[0].message.contains("texte"),
        "{:?}",
        s.issues
    );
    // Nothing was written by any of them.
    assert!(ledger.import_bank(&s).is_err());
    assert!(ledger.bank_lines(None).unwrap().is_empty());
}

#[test]
fn bank_csv_exports_are_read_by_their_headers_in_any_order() {
    for name in ["qonto-like.csv", "shine-like.csv", "bnp-like.csv"] {
        let s = statement(name);
        assert_eq!(s.format, Some(Format::Csv), "{name}");
        assert_eq!(s.debits, 1, "{name}: the EDF debit is left");
        let amounts: Vec<i64> = s.lines.iter().map(|l| l.amount_cents).collect();
        assert_eq!(amounts, vec![1_200_00, 845_50], "{name}");
        assert_eq!(s.lines[0].date, date("2026-11-24"), "{name}");
        assert!(
            encaisse::bank::matching::squeeze(&s.lines[0].remittance).contains("F20260101"),
            "{name}: {:?}",
            s.lines[0]
        );
    }
    let qonto = statement("qonto-like.csv");
    assert_eq!(qonto.lines[0].payer, "BOULANGERIE MARTIN");
    assert_eq!(
        qonto.lines.iter().map(|l| l.line).collect::<Vec<_>>(),
        [2, 4],
        "numbered as the file"
    );
    assert_eq!(qonto.lines[0].bank_ref, "qonto-7f3a-0001");
    assert_eq!(qonto.lines[0].account, "FR7616958000016234567890123");
    // Windows-1252 and both labels of a BNP-like export.
    let bnp = statement("bnp-like.csv");
    assert!(
        bnp.lines[0]
            .remittance
            .starts_with("VIR SEPA RECU /DE BOULANGERIE"),
        "{:?}",
        bnp.lines[0]
    );
    // A statement of another account than the company's is refused.
    let mut other = ledger_with_invoices();
    let err = other.import_bank(&qonto).unwrap_err();
    let encaisse::Error::Import(issues) = err else {
        panic!("{err}")
    };
    assert_eq!(
        (issues[0].line, issues[0].column.as_deref()),
        (2, Some("compte"))
    );
    assert!(
        issues[0]
            .message
            .contains("qonto-like.csv : relevé du compte FR7616958000016234567890123, qui n'est pas le compte de l'entreprise"),
        "{issues:?}"
    );
    assert!(
        other.bank_lines(None).unwrap().is_empty(),
        "nothing written"
    );
    // Among several statements, the other account's refuses them all.
    let err = other
        .import_bank_statements(&[statement("camt053-v02.xml"), qonto.clone()])
        .unwrap_err();
    assert!(err.to_string().contains("qonto-like.csv"), "{err}");
    assert!(
        other.bank_lines(None).unwrap().is_empty(),
        "not even the good statement"
    );
    // The matching finds the invoices from each of them.
    let mut ledger = ledger_with_invoices();
    ledger.import_bank(&statement("shine-like.csv")).unwrap();
    let lines = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    assert!(
        lines.iter().all(|l| l
            .proposals
            .first()
            .is_some_and(|p| p.confidence == Confidence::Sure)),
        "{lines:?}"
    );
    // A CSV without an amount column, and a bad amount, located.
    let s = bank::parse("x.csv", b"Date;Libelle\n24/11/2026;VIR\n");
    assert!(!s.issues.is_empty());
    let s = bank::parse("x.csv", "Date;Montant\n24/11/2026;12,3,4\n".as_bytes());
    assert_eq!(
        (s.issues[0].line, s.issues[0].column.as_deref()),
        (2, Some("Montant"))
    );
}

#[test]
fn fifty_megabytes_of_noise_are_refused_at_once_by_both_readers() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..50 << 20)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 32) as u8
        })
        .collect();
    let statement = bank::parse("bruit.bin", &noise);
    assert!(statement.lines.is_empty());
    assert!(
        statement.issues[0].message.contains("pas un fichier texte"),
        "{:?}",
        statement.issues
    );
    let issues = encaisse::einvoice::parse("bruit.bin", &noise).unwrap_err();
    assert!(
        issues[0].message.contains("ni un PDF ni un XML"),
        "{issues:?}"
    );
    // Noise that starts like a PDF is read as one, and refused as one.
    let mut pdf_like = b"%PDF-1.7\n".to_vec();
    pdf_like.extend_from_slice(&noise[..1 << 20]);
    let issues = encaisse::einvoice::parse("faux.pdf", &pdf_like).unwrap_err();
    assert!(issues[0].message.contains("PDF"), "{issues:?}");
}

//! Payments and their matching to invoices (lettrage).

use encaisse::ledger::{MatchRule, NewInvoice, NewPayment};
use encaisse::model::{Client, InvoiceStatus};
use encaisse::money::{Currency, Money};
use encaisse::{Error, Ledger};

use crate::common::*;

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::EUR)
}

fn setup() -> (Ledger, i64) {
    let ledger = ledger();
    let id = ledger
        .upsert_client(&Client::new("C1", "Client Un"))
        .unwrap();
    for (n, day, cents) in [
        ("F1", "2026-01-05", 100_000),
        ("F2", "2026-01-10", 50_000),
        ("F3", "2026-01-20", 25_000),
    ] {
        ledger
            .add_invoice(&NewInvoice {
                client_id: id,
                number: n.into(),
                issue_date: date(day),
                due_date: None,
                amount: eur(cents),
                label: String::new(),
            })
            .unwrap();
    }
    (ledger, id)
}

fn pay(client_id: i64, cents: i64) -> NewPayment {
    NewPayment {
        client_id,
        date: date("2026-02-15"),
        amount: eur(cents),
        method: "Virement".into(),
        reference: String::new(),
    }
}

#[test]
fn a_partial_payment_leaves_the_rest_of_the_invoice_open() {
    let (mut ledger, id) = setup();
    let p = ledger.record_payment(&pay(id, 30_000)).unwrap();
    let f1 = ledger.invoice_by_number("F1").unwrap();
    ledger
        .allocate(p, f1.id, 30_000, date("2026-02-15"))
        .unwrap();
    let f1 = ledger.invoice_by_number("F1").unwrap();
    assert_eq!(
        f1.open_cents, 70_000,
        "a partial payment must leave the rest of the invoice open"
    );
    assert_eq!(f1.status, InvoiceStatus::PartlyPaid);
}

#[test]
fn one_payment_over_many_invoices() {
    let (mut ledger, id) = setup();
    let p = ledger.record_payment(&pay(id, 150_000)).unwrap();
    let f1 = ledger.invoice_by_number("F1").unwrap().id;
    let f2 = ledger.invoice_by_number("F2").unwrap().id;
    ledger.allocate(p, f1, 100_000, date("2026-02-15")).unwrap();
    ledger.allocate(p, f2, 50_000, date("2026-02-15")).unwrap();
    assert_eq!(ledger.invoice(f1).unwrap().status, InvoiceStatus::Paid);
    assert_eq!(ledger.invoice(f2).unwrap().status, InvoiceStatus::Paid);
    assert_eq!(ledger.payments(None).unwrap()[0].unallocated_cents, 0);
}

#[test]
fn an_allocation_exceeding_the_payment_or_the_invoice_is_refused() {
    let (mut ledger, id) = setup();
    let p = ledger.record_payment(&pay(id, 20_000)).unwrap();
    let f3 = ledger.invoice_by_number("F3").unwrap().id;
    let err = ledger
        .allocate(p, f3, 20_001, date("2026-02-15"))
        .unwrap_err();
    assert!(
        err.to_string().contains("dépasse ce qui reste du paiement"),
        "{err}"
    );
    let big = ledger.record_payment(&pay(id, 90_000)).unwrap();
    let err = ledger
        .allocate(big, f3, 25_001, date("2026-02-15"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("dépasse ce qui reste dû sur la facture F3"),
        "{err}"
    );
    assert!(
        ledger.allocations(None, None).unwrap().is_empty(),
        "nothing written"
    );
}

#[test]
fn another_clients_invoice_is_refused() {
    let (mut ledger, _) = setup();
    let other = ledger.upsert_client(&Client::new("C2", "Autre")).unwrap();
    let p = ledger.record_payment(&pay(other, 1000)).unwrap();
    let f1 = ledger.invoice_by_number("F1").unwrap().id;
    assert!(matches!(
        ledger.allocate(p, f1, 1000, date("2026-02-15")),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn undo_is_a_reversing_fact_and_restores_the_open_amount() {
    let (mut ledger, id) = setup();
    let (_, outcome) = ledger.record_payment_and_match(&pay(id, 50_000)).unwrap();
    assert_eq!(outcome.rule, MatchRule::ExactAmount);
    let allocation = ledger.allocations(None, None).unwrap()[0].clone();
    ledger
        .undo_allocation(allocation.id, date("2026-02-16"))
        .unwrap();
    let rows = ledger.allocations(None, None).unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the original row stays; a reversing row is appended"
    );
    assert_eq!(rows[1].reverses, Some(allocation.id));
    assert_eq!(rows[1].amount_cents, -50_000);
    assert!(rows[0].reversed);
    assert_eq!(ledger.invoice_by_number("F2").unwrap().open_cents, 50_000);
    assert!(
        ledger
            .undo_allocation(allocation.id, date("2026-02-16"))
            .is_err(),
        "a match is undone once"
    );
    assert!(
        ledger
            .undo_allocation(rows[1].id, date("2026-02-16"))
            .is_err(),
        "an undo is not undone"
    );
}

#[test]
fn auto_match_exact_amount_first() {
    let (mut ledger, id) = setup();
    let (_, outcome) = ledger.record_payment_and_match(&pay(id, 25_000)).unwrap();
    assert_eq!(outcome.rule, MatchRule::ExactAmount);
    assert_eq!(
        ledger.invoice_by_number("F3").unwrap().status,
        InvoiceStatus::Paid,
        "F3 has exactly that amount, although F1 is older"
    );
    assert_eq!(ledger.invoice_by_number("F1").unwrap().open_cents, 100_000);
}

#[test]
fn auto_match_oldest_first_then_left_for_the_user() {
    let (mut ledger, id) = setup();
    let (_, outcome) = ledger.record_payment_and_match(&pay(id, 120_000)).unwrap();
    assert_eq!(outcome.rule, MatchRule::OldestFirst);
    assert_eq!(ledger.invoice_by_number("F1").unwrap().open_cents, 0);
    assert_eq!(ledger.invoice_by_number("F2").unwrap().open_cents, 30_000);
    let (_, outcome) = ledger.record_payment_and_match(&pay(id, 200_000)).unwrap();
    assert_eq!(
        outcome.unallocated_cents,
        200_000 - 30_000 - 25_000,
        "what cannot be placed stays for the user"
    );
    let other = ledger
        .upsert_client(&Client::new("C9", "Sans facture"))
        .unwrap();
    let (_, outcome) = ledger.record_payment_and_match(&pay(other, 1_000)).unwrap();
    assert_eq!(outcome.rule, MatchRule::LeftForUser);
}

#[test]
fn mark_paid_in_one_click() {
    let (mut ledger, _) = setup();
    let f2 = ledger.invoice_by_number("F2").unwrap().id;
    ledger.mark_paid(f2, date("2026-02-01"), "Chèque").unwrap();
    assert_eq!(ledger.invoice(f2).unwrap().status, InvoiceStatus::Paid);
    assert!(
        ledger.mark_paid(f2, date("2026-02-01"), "Chèque").is_err(),
        "a paid invoice cannot be paid again"
    );
}

#[test]
fn a_credit_note_settles_an_invoice() {
    let (mut ledger, id) = setup();
    let note = ledger
        .add_invoice(&NewInvoice {
            client_id: id,
            number: "AV1".into(),
            issue_date: date("2026-01-25"),
            due_date: None,
            amount: eur(-10_000),
            label: String::new(),
        })
        .unwrap();
    let f1 = ledger.invoice_by_number("F1").unwrap().id;
    ledger
        .apply_credit_note(note, f1, 10_000, date("2026-01-25"))
        .unwrap();
    assert_eq!(ledger.invoice(f1).unwrap().open_cents, 90_000);
    assert_eq!(ledger.invoice(note).unwrap().open_cents, 0);
    assert!(
        ledger
            .apply_credit_note(note, f1, 1, date("2026-01-25"))
            .is_err(),
        "a used credit note has nothing left"
    );
}

#[test]
fn a_client_file_refuses_a_line_break_in_its_email_and_an_absurd_address_line() {
    let ledger = ledger();
    let mut c = Client::new("X", "Client X");
    c.email = "a@b.fr\r\nBcc: victim@example.com".into();
    assert!(ledger.upsert_client(&c).is_err());
    c.email = "a@b.fr".into();
    c.address = "x".repeat(121);
    assert!(ledger.upsert_client(&c).is_err());
    // A long street line is kept: the envelope's window wraps it.
    c.address = "Zone d'activités des Platanes, 1250 avenue du Général de Gaulle".into();
    assert!(ledger.upsert_client(&c).is_ok());
    c.address = "12 rue de la Paix\nBâtiment B".into();
    c.name = "<img src=x onerror=alert(1)>".into();
    let id = ledger.upsert_client(&c).unwrap();
    assert_eq!(
        ledger.client(id).unwrap().name,
        "<img src=x onerror=alert(1)>",
        "names are stored as typed, escaped only when shown"
    );
}

//! The demonstration ledger.

use encaisse::demo;

use crate::common::*;

#[test]
fn the_demo_is_realistic_and_covers_every_bucket() {
    let mut ledger = ledger();
    let today = date("2026-11-22");
    let summary = demo::populate(&mut ledger, today).unwrap();
    assert_eq!((summary.clients, summary.invoices), (40, 400));
    assert!(
        summary.credit_notes > 0 && summary.payments > 200,
        "{summary:?}"
    );
    let aging = ledger.aged_balance(today, &Default::default()).unwrap();
    for (i, cents) in aging.totals[0].buckets.iter().enumerate() {
        assert!(*cents > 0, "bucket {} must hold something", aging.labels[i]);
    }
    assert!(
        aging.totals[0].unapplied < 0,
        "some payments are left to match"
    );
    let partly = ledger
        .invoices(&encaisse::ledger::InvoiceFilter {
            status: Some("partly_paid".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(partly.total_count > 0, "some invoices are partly paid");
    assert!(ledger.company().unwrap().iban.starts_with("FR76"));
}

#[test]
fn the_demo_is_deterministic_and_only_goes_into_an_empty_ledger() {
    let today = date("2026-11-22");
    let mut a = ledger();
    let mut b = ledger();
    demo::populate(&mut a, today).unwrap();
    demo::populate(&mut b, today).unwrap();
    assert_eq!(counts(&a), counts(&b));
    assert_eq!(
        a.aged_balance(today, &Default::default()).unwrap().totals,
        b.aged_balance(today, &Default::default()).unwrap().totals
    );
    assert!(
        demo::populate(&mut a, today).is_err(),
        "never mixed into real data"
    );
}

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

#[test]
fn the_demo_has_a_follow_up_history_like_a_real_ledger() {
    let mut ledger = ledger();
    let today = date("2026-11-22");
    demo::populate(&mut ledger, today).unwrap();
    let page = ledger.follow_up(today, &Default::default()).unwrap();
    let reminded = page.rows.iter().filter(|r| r.last_step > 0).count();
    assert!(
        reminded * 2 > page.rows.len(),
        "most overdue invoices were reminded in past sessions: {reminded}/{}",
        page.rows.len()
    );
    let levels: std::collections::BTreeSet<usize> = page.rows.iter().map(|r| r.last_step).collect();
    assert!(levels.len() >= 4, "invoices at several levels: {levels:?}");
    let work = ledger.work_list(today).unwrap();
    assert_eq!(work.broken_promises.len(), 1);
    assert!(page.rows.iter().any(|r| r.promise));
    assert!(page.rows.iter().any(|r| r.dispute));
    assert!(page.rows.iter().any(|r| r.paused));
    // Past sessions were held: what is due today is what fell due since.
    assert!(!work.rows.is_empty());
    let client = page
        .rows
        .iter()
        .find(|r| r.last_step > 0)
        .unwrap()
        .client_id;
    assert!(ledger
        .timeline(client, today)
        .unwrap()
        .iter()
        .any(|e| e.kind == "reminder" || e.kind == "call"));
}

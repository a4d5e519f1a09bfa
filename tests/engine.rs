//! The reminder engine's work list.

use encaisse::engine::{default_scenarios, due_step, work_list, Channel, ClientState, Item};
use encaisse::money::Currency;
use proptest::prelude::*;

use crate::common::*;

fn client(id: i64, segment: &str) -> ClientState {
    ClientState {
        client_id: id,
        segment: segment.into(),
        do_not_remind: false,
        paused_until: None,
        promise_until: None,
        last_contact: None,
        score: None,
    }
}

fn item(id: i64, client: i64, due: &str, cents: i64) -> Item {
    let due = date(due);
    Item {
        invoice_id: id,
        client_id: client,
        currency: Currency::EUR,
        issue_date: due - chrono::Days::new(30),
        due_date: due,
        open_cents: cents,
        disputed_cents: 0,
        steps_done: 0,
        last_step_date: None,
        paused_until: None,
        in_collection: false,
    }
}

#[test]
fn after_forty_days_closed_each_due_reminder_is_proposed_once_at_the_right_level() {
    let scenarios = default_scenarios();
    let list = work_list(
        &[client(1, "standard")],
        &[item(10, 1, "2026-01-01", 50_000)],
        &scenarios,
        date("2026-02-10"),
        None,
    );
    assert_eq!(
        list.actions.len(),
        1,
        "one communication, not the four missed ones"
    );
    let a = &list.actions[0];
    assert_eq!(
        a.step_name, "3e relance",
        "40 days late: the step due on day 30"
    );
    assert_eq!(
        a.due_since,
        date("2026-01-31"),
        "it is a catch-up: it fell due while the app was closed"
    );
    assert_eq!(a.pay_by, date("2026-02-18"));
}

#[test]
fn a_very_late_invoice_on_first_import_enters_at_the_formal_notice() {
    let list = work_list(
        &[client(1, "standard")],
        &[item(10, 1, "2025-12-01", 50_000)],
        &default_scenarios(),
        date("2026-01-30"),
        None,
    );
    assert_eq!(list.actions[0].step_name, "Mise en demeure de payer");
    assert_eq!(list.actions[0].channel, Channel::Registered);
    // The hand-over to collection comes 15 days after the notice was really sent, never by skipping it.
    let sent = Item {
        steps_done: 5,
        last_step_date: Some(date("2026-01-30")),
        ..item(10, 1, "2025-12-01", 50_000)
    };
    assert!(work_list(
        &[client(1, "standard")],
        std::slice::from_ref(&sent),
        &default_scenarios(),
        date("2026-02-13"),
        None
    )
    .actions
    .is_empty());
    let list = work_list(
        &[client(1, "standard")],
        &[sent],
        &default_scenarios(),
        date("2026-02-14"),
        None,
    );
    assert_eq!(list.actions[0].channel, Channel::Collection);
}

#[test]
fn one_communication_per_client_step_and_currency() {
    let mut usd = item(12, 1, "2026-01-01", 9_000);
    usd.currency = Currency::parse("USD").unwrap();
    let items = [
        item(10, 1, "2026-01-01", 10_000),
        item(11, 1, "2026-01-02", 20_000),
        usd,
        item(20, 2, "2026-01-01", 5_000),
    ];
    let list = work_list(
        &[client(1, "standard"), client(2, "standard")],
        &items,
        &default_scenarios(),
        date("2026-01-10"),
        None,
    );
    let summary: Vec<(i64, &str, Vec<i64>, i64)> = list
        .actions
        .iter()
        .map(|a| {
            (
                a.client_id,
                a.currency.as_str(),
                a.invoices.clone(),
                a.total_cents,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "EUR", vec![10, 11], 30_000),
            (1, "USD", vec![12], 9_000),
            (2, "EUR", vec![20], 5_000)
        ]
    );
}

#[test]
fn key_accounts_get_a_courtesy_call_before_due_never_after() {
    let scenarios = default_scenarios();
    let before = work_list(
        &[client(1, "grands_comptes")],
        &[Item {
            steps_done: 1,
            ..item(10, 1, "2026-03-10", 900_000)
        }],
        &scenarios,
        date("2026-03-05"),
        None,
    );
    assert_eq!(
        before.actions[0].step_name,
        "Appel de courtoisie avant échéance"
    );
    assert_eq!(before.actions[0].channel, Channel::Call);
    let after = work_list(
        &[client(1, "grands_comptes")],
        &[item(10, 1, "2026-03-10", 900_000)],
        &scenarios,
        date("2026-03-20"),
        None,
    );
    assert_eq!(
        after.actions[0].step_name, "Relevé de factures impayées",
        "the missed courtesy call is not caught up once overdue"
    );
}

#[test]
fn disputed_paused_promised_and_handed_over_amounts_are_left_out() {
    let s = default_scenarios();
    let day = date("2026-01-20");
    let partly = Item {
        disputed_cents: 4_000,
        ..item(10, 1, "2026-01-01", 10_000)
    };
    let list = work_list(&[client(1, "standard")], &[partly], &s, day, None);
    assert_eq!(
        list.actions[0].total_cents, 6_000,
        "only the undisputed part is reminded"
    );
    let whole = Item {
        disputed_cents: 10_000,
        ..item(10, 1, "2026-01-01", 10_000)
    };
    assert!(work_list(&[client(1, "standard")], &[whole], &s, day, None)
        .actions
        .is_empty());
    let paused = Item {
        paused_until: Some(day),
        ..item(10, 1, "2026-01-01", 10_000)
    };
    assert!(
        work_list(&[client(1, "standard")], &[paused], &s, day, None)
            .actions
            .is_empty()
    );
    let collection = Item {
        in_collection: true,
        ..item(10, 1, "2026-01-01", 10_000)
    };
    assert!(
        work_list(&[client(1, "standard")], &[collection], &s, day, None)
            .actions
            .is_empty()
    );
    let promised = ClientState {
        promise_until: Some(date("2026-01-25")),
        ..client(1, "standard")
    };
    let list = work_list(
        &[promised],
        &[item(10, 1, "2026-01-01", 10_000)],
        &s,
        day,
        None,
    );
    assert!(list.actions.is_empty());
    assert_eq!(list.held[0].reason, "promesse de paiement en cours");
    let promised = ClientState {
        promise_until: Some(date("2026-01-19")),
        ..client(1, "standard")
    };
    assert_eq!(
        work_list(
            &[promised],
            &[item(10, 1, "2026-01-01", 10_000)],
            &s,
            day,
            None
        )
        .actions
        .len(),
        1,
        "a promise past its date no longer holds"
    );
    let dnr = ClientState {
        do_not_remind: true,
        ..client(1, "standard")
    };
    assert!(
        work_list(&[dnr], &[item(10, 1, "2026-01-01", 10_000)], &s, day, None)
            .actions
            .is_empty()
    );
    assert!(
        work_list(
            &[client(1, "standard")],
            &[item(10, 1, "2026-01-01", 10_000)],
            &s,
            day,
            Some(date("2026-02-01"))
        )
        .actions
        .is_empty(),
        "global pause"
    );
    assert_eq!(
        work_list(
            &[client(1, "standard")],
            &[item(10, 1, "2026-01-01", 10_000)],
            &s,
            date("2026-02-02"),
            Some(date("2026-02-01"))
        )
        .actions
        .len(),
        1,
        "resumes after the pause"
    );
}

#[test]
fn minimum_gap_and_minimum_amount_are_honoured() {
    let s = default_scenarios();
    let recent = ClientState {
        last_contact: Some(date("2026-01-18")),
        ..client(1, "standard")
    };
    let list = work_list(
        &[recent],
        &[item(10, 1, "2026-01-01", 10_000)],
        &s,
        date("2026-01-20"),
        None,
    );
    assert!(list.actions.is_empty());
    assert!(list.held[0].reason.contains("moins de 5 jours"));
    let small = work_list(
        &[client(1, "petits_montants")],
        &[item(10, 1, "2026-01-01", 1_500)],
        &s,
        date("2026-01-20"),
        None,
    );
    assert!(
        small.actions.is_empty(),
        "15 € is under the 20 € minimum of the small-amounts scenario"
    );
}

proptest! {
    /// Once a communication is recorded, the engine never proposes the same
    /// invoice at the same (or an earlier) step again.
    #[test]
    fn a_recorded_step_is_never_proposed_again(due_offset in 0i64..120, days in prop::collection::vec(0i64..30, 1..12)) {
        let scenarios = default_scenarios();
        let clients = [client(1, "grands_comptes")];
        let start = date("2026-01-01");
        let mut it = item(10, 1, "2026-03-01", 25_000);
        it.due_date = start + chrono::Days::new(due_offset as u64);
        it.issue_date = it.due_date - chrono::Days::new(30);
        let mut today = start;
        let mut recorded: Vec<usize> = Vec::new();
        for gap in days {
            today = today + chrono::Days::new(gap as u64);
            let list = work_list(&clients, std::slice::from_ref(&it), &scenarios, today, None);
            for a in &list.actions {
                prop_assert!(recorded.iter().all(|&r| a.step > r), "step {} proposed again after {:?}", a.step, recorded);
                // Record it, as "Enregistrer comme effectuée" would.
                recorded.push(a.step);
                it.steps_done = a.step + 1;
                it.last_step_date = Some(today);
            }
            prop_assert_eq!(due_step(&scenarios[0], &it, today).map(|(s, _)| s).filter(|s| recorded.contains(s)), None);
        }
    }
}

/// At scale the engine shares the clients out over two threads: the day's
/// work must be the same as client by client, in the same order.
#[test]
fn a_large_ledger_gives_the_same_work_as_each_client_alone() {
    let scenarios = default_scenarios();
    let today = date("2026-06-30");
    let segments = ["standard", "grands_comptes", "petits_montants", "standard"];
    let clients: Vec<ClientState> = (1..=600)
        .map(|id| {
            let mut c = client(id, segments[id as usize % 4]);
            c.do_not_remind = id % 37 == 0;
            c.paused_until = (id % 41 == 0).then(|| date("2026-07-15"));
            c.last_contact = (id % 13 == 0).then(|| date("2026-06-28"));
            c
        })
        .collect();
    let mut items = Vec::new();
    for n in 0..30_000i64 {
        let client_id = 1 + (n * 7919) % 600;
        let mut i = item(n + 1, client_id, "2026-01-01", 1_000 + (n * 37) % 90_000);
        i.due_date = date("2026-01-01") + chrono::Days::new((n % 200) as u64);
        i.issue_date = i.due_date - chrono::Days::new(30);
        i.steps_done = (n % 5) as usize;
        i.last_step_date = (i.steps_done > 0).then(|| i.due_date + chrono::Days::new(3));
        i.disputed_cents = if n % 17 == 0 { i.open_cents / 2 } else { 0 };
        i.currency = Currency::parse(if n % 11 == 0 { "USD" } else { "EUR" }).unwrap();
        items.push(i);
    }
    let whole = work_list(&clients, &items, &scenarios, today, None);
    assert!(whole.actions.len() > 500 && !whole.held.is_empty());
    let (mut actions, mut held) = (Vec::new(), Vec::new());
    for c in &clients {
        let mine: Vec<Item> = items
            .iter()
            .filter(|i| i.client_id == c.client_id)
            .cloned()
            .collect();
        let alone = work_list(std::slice::from_ref(c), &mine, &scenarios, today, None);
        actions.extend(alone.actions.into_iter().map(|a| {
            (
                a.client_id,
                a.currency,
                a.step,
                a.invoices,
                a.total_cents,
                a.due_since,
            )
        }));
        held.extend(alone.held);
    }
    let whole_actions: Vec<_> = whole
        .actions
        .iter()
        .map(|a| {
            (
                a.client_id,
                a.currency,
                a.step,
                a.invoices.clone(),
                a.total_cents,
                a.due_since,
            )
        })
        .collect();
    assert_eq!(whole_actions, actions);
    assert_eq!(whole.held, held);
    // Each action's positions point at its invoices.
    for a in &whole.actions {
        let ids: Vec<i64> = a.items.iter().map(|&n| items[n].invoice_id).collect();
        assert_eq!(ids, a.invoices);
    }
}

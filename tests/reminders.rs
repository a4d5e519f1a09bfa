//! The follow-up kept in the ledger: communications recorded, levels,
//! promises, disputes, pauses, and the work list computed from them.
//! Standard scenario: 1 statement (due + 7), 2 second reminder (+15),
//! 3 call (+28), 4 third reminder (+30), 5 formal notice (+45),
//! 6 collection (15 days after the notice was sent).

use encaisse::engine::Channel;
use encaisse::ledger::{NewInvoice, NewPayment};
use encaisse::model::Client;
use encaisse::money::{Currency, Money};
use encaisse::reminders::{NewReminder, PauseScope, PromiseStatus};
use encaisse::Ledger;

use crate::common::*;

fn eur(cents: i64) -> Money {
    Money::new(cents, Currency::EUR)
}

fn client(ledger: &Ledger, code: &str, segment: &str) -> i64 {
    let mut c = Client::new(code, &format!("Client {code}"));
    c.segment = segment.into();
    ledger.upsert_client(&c).unwrap()
}

fn invoice(ledger: &Ledger, client_id: i64, number: &str, due: &str, cents: i64) -> i64 {
    ledger
        .add_invoice(&NewInvoice {
            client_id,
            number: number.into(),
            issue_date: date(due) - chrono::Days::new(30),
            due_date: Some(date(due)),
            amount: eur(cents),
            label: String::new(),
        })
        .unwrap()
}

fn record(ledger: &mut Ledger, client_id: i64, step: usize, on: &str) -> i64 {
    ledger
        .record_reminder(&NewReminder {
            client_id,
            step,
            channel: Channel::Email,
            date: date(on),
            invoice_ids: vec![],
            outcome: String::new(),
            note: String::new(),
            manual: false,
        })
        .unwrap()
}

/// (client, step) of each communication proposed on `on`.
fn proposed(ledger: &Ledger, on: &str) -> Vec<(i64, usize)> {
    ledger
        .work_list(date(on))
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.client_id, r.step))
        .collect()
}

#[test]
fn a_recorded_reminder_moves_its_invoices_to_the_next_level() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    invoice(&ledger, c, "F2", "2026-03-03", 500_00);
    // Seven days after the second due date: one statement for both invoices.
    let work = ledger.work_list(date("2026-03-10")).unwrap();
    assert_eq!(work.rows.len(), 1);
    let row = &work.rows[0];
    assert_eq!((row.step, row.channel), (1, Channel::Email));
    assert_eq!(row.step_name, "Relevé de factures impayées");
    let numbers: Vec<&str> = row.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, ["F1", "F2"], "one statement per client and level");
    assert_eq!(row.total.cents, 1_500_00);
    assert_eq!(row.invoices[0].days_late, 9);
    record(&mut ledger, c, 1, "2026-03-10");
    assert_eq!(
        proposed(&ledger, "2026-03-11"),
        [],
        "done: not proposed again"
    );
    // The second reminder falls due at due + 15 (16 March for F1).
    assert_eq!(proposed(&ledger, "2026-03-16"), [(c, 2)]);
    let row = &ledger.work_list(date("2026-03-16")).unwrap().rows[0];
    assert_eq!(
        (row.last_step, row.last_date),
        (1, Some(date("2026-03-10")))
    );
}

#[test]
fn after_forty_days_closed_the_due_level_is_proposed_once() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    record(&mut ledger, c, 1, "2026-03-08");
    // Closed from 8 March to 17 April (+47 days): the formal notice is due,
    // the second and third reminders are not sent one after the other.
    let work = ledger.work_list(date("2026-04-17")).unwrap();
    assert_eq!(work.rows.len(), 1);
    assert_eq!(work.rows[0].step, 5);
    assert_eq!(work.rows[0].step_name, "Mise en demeure de payer");
    assert_eq!(work.rows[0].due_since, date("2026-04-15"));
    assert_eq!(work.rows[0].channel, Channel::Registered);
}

#[test]
fn collection_follows_a_formal_notice_really_sent() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-01-01", 2_000_00);
    // Months later, never reminded: the notice first, not collection.
    assert_eq!(proposed(&ledger, "2026-06-01"), [(c, 5)]);
    record(&mut ledger, c, 5, "2026-06-01");
    assert_eq!(proposed(&ledger, "2026-06-10"), []);
    assert_eq!(proposed(&ledger, "2026-06-16"), [(c, 6)]);
}

#[test]
fn a_level_set_by_hand_counts_but_is_not_a_contact() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    ledger
        .record_reminder(&NewReminder {
            client_id: c,
            step: 2,
            channel: Channel::Letter,
            date: date("2026-03-20"),
            invoice_ids: vec![],
            outcome: String::new(),
            note: "relancé par courrier avant Encaisse".into(),
            manual: true,
        })
        .unwrap();
    // Level 2 reached: next is the call before the third reminder (due + 28),
    // and the minimum gap does not count a level set by hand.
    assert_eq!(proposed(&ledger, "2026-03-21"), []);
    assert_eq!(proposed(&ledger, "2026-03-29"), [(c, 3)]);
}

#[test]
fn a_wrong_level_or_invoice_is_refused_and_nothing_is_written() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    let other = client(&ledger, "C2", "standard");
    let f_other = invoice(&ledger, other, "F9", "2026-03-01", 100_00);
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    let mut bad = NewReminder {
        client_id: c,
        step: 9,
        channel: Channel::Email,
        date: date("2026-03-10"),
        invoice_ids: vec![],
        outcome: String::new(),
        note: String::new(),
        manual: false,
    };
    let err = ledger.record_reminder(&bad).unwrap_err().to_string();
    assert!(err.contains("niveaux 1 à 6"), "{err}");
    bad.step = 1;
    bad.invoice_ids = vec![f_other];
    let err = ledger.record_reminder(&bad).unwrap_err().to_string();
    assert!(err.contains("n'est pas une facture ouverte"), "{err}");
    bad.invoice_ids = vec![];
    bad.outcome = "joint\nCc: x@y".into();
    assert!(ledger.record_reminder(&bad).is_err());
    assert_eq!(proposed(&ledger, "2026-03-10"), [(c, 1), (other, 1)]);
}

#[test]
fn a_promise_holds_reminders_and_is_broken_the_day_after_an_unpaid_date() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    ledger
        .add_promise(c, eur(1_000_00), date("2026-03-09"), date("2026-03-20"), "")
        .unwrap();
    let work = ledger.work_list(date("2026-03-12")).unwrap();
    assert!(work.rows.is_empty());
    assert_eq!(work.held[0].reason, "promesse de paiement en cours");
    let on_the_day = ledger.work_list(date("2026-03-20")).unwrap();
    assert_eq!(on_the_day.promises_due.len(), 1, "due today");
    assert!(on_the_day.broken_promises.is_empty());
    // Unpaid on the 20th: broken on the 21st, and the scenario resumes at
    // the level lateness calls for (second reminder, due + 15).
    let after = ledger.work_list(date("2026-03-21")).unwrap();
    assert_eq!(after.broken_promises.len(), 1);
    assert_eq!(after.broken_promises[0].status, PromiseStatus::Broken);
    assert_eq!(proposed(&ledger, "2026-03-21"), [(c, 2)]);
    // Paid in time instead: kept.
    ledger
        .record_payment_and_match(&NewPayment {
            client_id: c,
            date: date("2026-03-19"),
            amount: eur(1_000_00),
            method: "virement".into(),
            reference: String::new(),
        })
        .unwrap();
    let promises = ledger.promises(Some(c), date("2026-03-25")).unwrap();
    assert_eq!(promises[0].status, PromiseStatus::Kept);
    assert_eq!(proposed(&ledger, "2026-03-25"), []);
    let _ = &mut ledger;
}

#[test]
fn a_disputed_amount_is_left_out_and_the_rest_reminded() {
    let ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    let f1 = invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    let f2 = invoice(&ledger, c, "F2", "2026-03-01", 300_00);
    ledger
        .add_dispute(f1, Some(400_00), "livraison incomplète", date("2026-03-05"))
        .unwrap();
    let whole = ledger
        .add_dispute(f2, None, "prestation contestée", date("2026-03-05"))
        .unwrap();
    let work = ledger.work_list(date("2026-03-10")).unwrap();
    assert_eq!(work.rows.len(), 1);
    assert_eq!(work.rows[0].total.cents, 600_00, "1 000 less 400 disputed");
    assert_eq!(work.rows[0].invoices.len(), 1, "F2 wholly disputed");
    ledger.close_dispute(whole, date("2026-03-12")).unwrap();
    let work = ledger.work_list(date("2026-03-12")).unwrap();
    assert_eq!(work.rows[0].total.cents, 900_00);
    let err = ledger.add_dispute(f1, Some(2_000_00), "x", date("2026-03-05"));
    assert!(err.is_err(), "a dispute larger than the invoice is refused");
    assert!(ledger
        .add_dispute(f1, None, "", date("2026-03-05"))
        .is_err());
}

#[test]
fn pauses_hold_an_invoice_a_client_or_everything_until_their_last_day() {
    let ledger = ledger();
    let a = client(&ledger, "A", "standard");
    let b = client(&ledger, "B", "standard");
    let fa = invoice(&ledger, a, "FA", "2026-03-01", 1_000_00);
    invoice(&ledger, b, "FB", "2026-03-01", 1_000_00);
    ledger
        .add_pause(
            PauseScope::Invoice(fa),
            date("2026-03-12"),
            "avoir en préparation",
        )
        .unwrap();
    assert_eq!(proposed(&ledger, "2026-03-10"), [(b, 1)]);
    ledger
        .add_pause(PauseScope::Client(b), date("2026-03-11"), "")
        .unwrap();
    assert_eq!(proposed(&ledger, "2026-03-10"), []);
    assert_eq!(
        proposed(&ledger, "2026-03-12"),
        [(b, 1)],
        "the client pause ended on the 11th"
    );
    assert_eq!(proposed(&ledger, "2026-03-13"), [(a, 1), (b, 1)]);
    ledger
        .add_pause(PauseScope::All, date("2026-03-20"), "congés")
        .unwrap();
    let work = ledger.work_list(date("2026-03-13")).unwrap();
    assert!(work.rows.is_empty());
    assert_eq!(work.global_pause, Some(date("2026-03-20")));
    assert_eq!(proposed(&ledger, "2026-03-21").len(), 2);
}

#[test]
fn scenarios_are_editable_and_checked() {
    let ledger = ledger();
    let mut scenarios = ledger.scenarios().unwrap();
    assert_eq!(scenarios.len(), 3);
    let standard = scenarios
        .iter_mut()
        .find(|s| s.segment == "standard")
        .unwrap();
    standard.steps[0].offset = encaisse::engine::Offset::Due(3);
    ledger.set_scenarios(&scenarios).unwrap();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    assert_eq!(
        proposed(&ledger, "2026-03-04"),
        [(c, 1)],
        "statement at due + 3 now"
    );
    let mut bad = scenarios.clone();
    bad[0].steps.clear();
    assert!(ledger.set_scenarios(&bad).is_err());
    let mut twice = scenarios.clone();
    twice[1].segment = twice[0].segment.clone();
    assert!(ledger.set_scenarios(&twice).is_err());
    assert_eq!(
        proposed(&ledger, "2026-03-04"),
        [(c, 1)],
        "refused edits change nothing"
    );
    ledger.reset_scenarios().unwrap();
    assert_eq!(proposed(&ledger, "2026-03-04"), []);
}

#[test]
fn the_relances_table_lists_every_unpaid_invoice_with_level_next_step_and_badges() {
    use encaisse::reminders::FollowUpFilter;
    let mut ledger = ledger();
    let a = client(&ledger, "A", "standard");
    let b = client(&ledger, "B", "grands_comptes");
    let fa1 = invoice(&ledger, a, "FA1", "2026-03-01", 1_000_00);
    let fa2 = invoice(&ledger, a, "FA2", "2026-04-20", 200_00);
    let fb1 = invoice(&ledger, b, "FB1", "2026-02-01", 3_000_00);
    ledger
        .add_dispute(
            fb1,
            Some(500_00),
            "remise non appliquée",
            date("2026-03-01"),
        )
        .unwrap();
    record(&mut ledger, a, 1, "2026-03-08");
    let on = date("2026-04-10");
    let page = ledger.follow_up(on, &FollowUpFilter::default()).unwrap();
    let numbers: Vec<&str> = page.rows.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["FB1", "FA1", "FA2"], "most overdue first");
    assert_eq!(page.total_count, 3);
    assert_eq!(page.total_open[0].cents, 4_200_00);
    let fa1_row = &page.rows[1];
    assert_eq!(
        (fa1_row.last_step, fa1_row.last_step_name.as_str()),
        (1, "Relevé de factures impayées")
    );
    assert_eq!(fa1_row.last_date, Some(date("2026-03-08")));
    // 40 days late: the third reminder (due + 30) is due now.
    assert_eq!(fa1_row.next_step, Some(4));
    assert_eq!(fa1_row.next_channel, Some(Channel::EmailAndLetter));
    assert!(fa1_row.due_now);
    let fa2_row = &page.rows[2];
    assert_eq!((fa2_row.days_late, fa2_row.due_now), (-10, false));
    assert_eq!(fa2_row.next_step, Some(1));
    assert_eq!(fa2_row.next_date, Some(date("2026-04-27")));
    let fb1_row = &page.rows[0];
    assert!(fb1_row.dispute && !fb1_row.promise);
    assert_eq!(fb1_row.disputed_cents, 500_00);
    assert_eq!(
        (fb1_row.amount.cents, fb1_row.open.cents),
        (3_000_00, 3_000_00)
    );
    // The key account's pre-due calls are skipped once overdue: formal notice.
    assert_eq!(fb1_row.next_step_name, "Mise en demeure de payer");

    let only = |f: FollowUpFilter| -> Vec<String> {
        ledger
            .follow_up(on, &f)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.number)
            .collect()
    };
    assert_eq!(
        only(FollowUpFilter {
            last_step: Some(1),
            ..Default::default()
        }),
        ["FA1"]
    );
    assert_eq!(
        only(FollowUpFilter {
            min_days_late: Some(31),
            max_days_late: Some(60),
            ..Default::default()
        }),
        ["FA1"]
    );
    assert_eq!(
        only(FollowUpFilter {
            due_now_only: true,
            ..Default::default()
        }),
        ["FB1", "FA1"]
    );
    assert_eq!(
        only(FollowUpFilter {
            search: Some("fb".into()),
            ..Default::default()
        }),
        ["FB1"]
    );
    assert_eq!(
        only(FollowUpFilter {
            segment: Some("standard".into()),
            ..Default::default()
        }),
        ["FA1", "FA2"]
    );
    assert_eq!(
        only(FollowUpFilter {
            channel: Some(Channel::Registered),
            ..Default::default()
        }),
        ["FB1"]
    );
    assert_eq!(
        only(FollowUpFilter {
            due_from: Some(date("2026-04-01")),
            ..Default::default()
        }),
        ["FA2"]
    );

    // "Enregistrer comme effectuée" on FA1 and FB1: one communication each,
    // each invoice at the level that was due.
    let ids = ledger.record_selection(&[fa1, fb1], on, "").unwrap();
    assert_eq!(ids.len(), 2);
    let page = ledger.follow_up(on, &FollowUpFilter::default()).unwrap();
    let level = |n: &str| page.rows.iter().find(|r| r.number == n).unwrap().last_step;
    assert_eq!((level("FA1"), level("FB1"), level("FA2")), (4, 7, 0));
    // Nothing half-written when one invoice of the selection is not open.
    let paid = invoice(&ledger, a, "FA3", "2026-03-01", 50_00);
    ledger
        .mark_paid(paid, date("2026-03-02"), "chèque")
        .unwrap();
    assert!(ledger.record_selection(&[fa2, paid], on, "").is_err());
    let page = ledger.follow_up(on, &FollowUpFilter::default()).unwrap();
    assert_eq!(
        page.rows
            .iter()
            .find(|r| r.number == "FA2")
            .unwrap()
            .last_step,
        0
    );
    let _ = fa2;
}

#[test]
fn reminder_sessions_fall_on_the_chosen_days_of_the_month() {
    use encaisse::reminders::next_session;
    let ledger = ledger();
    assert_eq!(
        ledger.reminder_days().unwrap(),
        [1, 15],
        "the seed's 1st and 15th"
    );
    assert_eq!(
        next_session(&[1, 15], date("2026-11-22")),
        Some(date("2026-12-01"))
    );
    assert_eq!(
        next_session(&[1, 15], date("2026-12-15")),
        Some(date("2026-12-15"))
    );
    assert_eq!(
        next_session(&[31], date("2027-02-03")),
        Some(date("2027-02-28"))
    );
    assert_eq!(ledger.set_reminder_days("15; 5 5").unwrap(), [5, 15]);
    assert_eq!(ledger.reminder_days().unwrap(), [5, 15]);
    for bad in ["", "0", "32", "lundi"] {
        assert!(ledger.set_reminder_days(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        ledger.reminder_days().unwrap(),
        [5, 15],
        "refused: unchanged"
    );
}

#[test]
fn a_level_set_by_hand_can_also_lower_it() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    let f = invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    record(&mut ledger, c, 4, "2026-04-01");
    assert_eq!(
        proposed(&ledger, "2026-04-10"),
        [],
        "level 4 done; notice at due + 45"
    );
    ledger
        .set_level(&[f], 1, date("2026-04-10"), "erreur de saisie")
        .unwrap();
    // Back at level 1: the step due now is the third reminder again.
    assert_eq!(proposed(&ledger, "2026-04-10"), [(c, 4)]);
    assert!(ledger.set_level(&[f], 0, date("2026-04-10"), "").is_err());
    assert!(ledger.set_level(&[], 1, date("2026-04-10"), "").is_err());
}

fn pay(ledger: &mut Ledger, client_id: i64, on: &str, cents: i64) {
    ledger
        .record_payment_and_match(&NewPayment {
            client_id,
            date: date(on),
            amount: eur(cents),
            method: "virement".into(),
            reference: String::new(),
        })
        .unwrap();
}

#[test]
fn reliability_scores_lateness_promises_and_disputes_with_reasons() {
    use encaisse::reliability::score;
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    let r = ledger.reliability(c, date("2026-06-01")).unwrap();
    assert_eq!(
        (r.score, r.paid_invoices),
        (100, 0),
        "no history: full score"
    );
    assert!(r.explanation[0].contains("pas d'historique"));
    // Two invoices paid: one on time, one 30 days late.
    invoice(&ledger, c, "F1", "2026-03-01", 100_00);
    invoice(&ledger, c, "F2", "2026-03-10", 100_00);
    pay(&mut ledger, c, "2026-02-25", 100_00);
    pay(&mut ledger, c, "2026-04-09", 100_00);
    let f3 = invoice(&ledger, c, "F3", "2026-04-01", 500_00);
    ledger
        .add_promise(
            c,
            eur(500_00),
            date("2026-04-10"),
            date("2026-04-20"),
            "chèque le 20",
        )
        .unwrap();
    ledger
        .add_dispute(f3, Some(50_00), "remise oubliée", date("2026-04-12"))
        .unwrap();
    let r = ledger.reliability(c, date("2026-06-01")).unwrap();
    assert_eq!((r.paid_invoices, r.paid_late), (2, 1));
    assert_eq!(r.average_days_late, Some(15.0));
    assert_eq!((r.promises_kept, r.promises_broken, r.disputes), (0, 1, 1));
    // 100 − 15/60×40 (10) − ½×30 (15) − 10 (broken) − 5 (dispute) = 60.
    assert_eq!(r.computed, 60);
    assert_eq!(score(2, 1, Some(15.0), 1, 1).0, 60);
    assert_eq!(r.explanation.len(), 4, "{:?}", r.explanation);
    ledger
        .set_score(c, Some(85), "bon client historique")
        .unwrap();
    let r = ledger.reliability(c, date("2026-06-01")).unwrap();
    assert_eq!(
        (r.score, r.computed),
        (85, 60),
        "the user's score wins, the computed one stays visible"
    );
    assert!(ledger.set_score(c, Some(101), "").is_err());
    ledger.set_score(c, None, "").unwrap();
    assert_eq!(ledger.reliability(c, date("2026-06-01")).unwrap().score, 60);
}

#[test]
fn a_scenario_can_be_reserved_to_clients_under_a_score() {
    let mut ledger = ledger();
    let good = client(&ledger, "G", "standard");
    let bad = client(&ledger, "B", "standard");
    for (c, n) in [(good, "G"), (bad, "B")] {
        invoice(&ledger, c, &format!("{n}0"), "2026-01-01", 100_00);
        invoice(&ledger, c, &format!("{n}1"), "2026-05-01", 1_000_00);
    }
    pay(&mut ledger, good, "2026-01-01", 100_00);
    pay(&mut ledger, bad, "2026-03-15", 100_00); // 73 days late
    let mut scenarios = ledger.scenarios().unwrap();
    let mut strict = scenarios[1].clone();
    strict.segment = "mauvais_payeurs".into();
    strict.name = "Mauvais payeurs".into();
    strict.steps.truncate(1);
    strict.steps[0].name = "Mise en demeure immédiate".into();
    strict.steps[0].offset = encaisse::engine::Offset::Due(1);
    strict.for_score_below = Some(50);
    scenarios.push(strict);
    ledger.set_scenarios(&scenarios).unwrap();
    let work = ledger.work_list(date("2026-05-03")).unwrap();
    let names: Vec<(&str, &str)> = work
        .rows
        .iter()
        .map(|r| (r.client_code.as_str(), r.step_name.as_str()))
        .collect();
    // The late payer (100 − 40 − 30 = 30 < 50) follows the strict scenario.
    assert_eq!(names, [("B", "Mise en demeure immédiate")]);
    assert_eq!(
        ledger.reliability(bad, date("2026-05-03")).unwrap().score,
        30
    );
}

#[test]
fn the_timeline_shows_every_fact_of_the_client_newest_first() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    let f = invoice(&ledger, c, "F1", "2026-03-01", 1_000_00);
    record(&mut ledger, c, 1, "2026-03-08");
    ledger
        .record_reminder(&NewReminder {
            client_id: c,
            step: 3,
            channel: Channel::Call,
            date: date("2026-03-29"),
            invoice_ids: vec![],
            outcome: "Joint".into(),
            note: "paiera par chèque".into(),
            manual: false,
        })
        .unwrap();
    ledger
        .add_promise(
            c,
            eur(1_000_00),
            date("2026-03-29"),
            date("2026-04-05"),
            "chèque",
        )
        .unwrap();
    ledger
        .add_dispute(f, None, "facture en double ?", date("2026-04-07"))
        .unwrap();
    pay(&mut ledger, c, "2026-04-10", 400_00);
    let kinds: Vec<String> = ledger
        .timeline(c, date("2026-04-30"))
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.date, e.kind, e.title))
        .collect();
    assert_eq!(
        kinds,
        [
            "2026-04-10 payment Paiement reçu",
            "2026-04-07 dispute Litige sur F1 (toute la facture)",
            "2026-03-29 call Appel — Appel avant 3e relance",
            "2026-03-29 promise Promesse de paiement pour le 05/04/2026 — non tenue",
            "2026-03-08 reminder 1. Relevé de factures impayées (e-mail)",
            "2026-01-30 invoice Facture F1",
        ]
    );
    let call = ledger.timeline(c, date("2026-04-30")).unwrap()[2].clone();
    assert_eq!(call.detail, "Joint · F1 · paiera par chèque");
}

#[test]
fn a_registered_letter_keeps_its_number_and_acknowledgement() {
    let mut ledger = ledger();
    let c = client(&ledger, "C1", "standard");
    invoice(&ledger, c, "F1", "2026-01-01", 1_000_00);
    let id = ledger
        .record_reminder(&NewReminder {
            client_id: c,
            step: 5,
            channel: Channel::Registered,
            date: date("2026-02-20"),
            invoice_ids: vec![],
            outcome: String::new(),
            note: String::new(),
            manual: false,
        })
        .unwrap();
    ledger
        .set_registered_post(id, "1A 123 456 7890 1", None)
        .unwrap();
    ledger
        .set_registered_post(id, "1A 123 456 7890 1", Some(date("2026-02-23")))
        .unwrap();
    let event = ledger
        .timeline(c, date("2026-03-01"))
        .unwrap()
        .into_iter()
        .find(|e| e.registered.is_some())
        .unwrap();
    let post = event.registered.unwrap();
    assert_eq!(
        (post.number.as_str(), post.acknowledged_on),
        ("1A 123 456 7890 1", Some(date("2026-02-23")))
    );
    assert!(ledger.set_registered_post(id, "x\ny", None).is_err());
    assert!(
        ledger
            .set_registered_post(id, "1A", Some(date("2026-02-01")))
            .is_err(),
        "acknowledged before it was sent"
    );
    let email = record(&mut ledger, c, 6, "2026-03-10");
    assert!(
        ledger.set_registered_post(email, "1A", None).is_err(),
        "not a registered letter"
    );
}

#[test]
fn a_file_ledger_read_on_two_connections_gives_what_one_connection_gives() {
    // A file ledger reads its open invoices in two parts, on two
    // connections; a ledger in memory reads them on one. The same history
    // (follow-up included) must give the same facts, work and aged balance.
    let dir = tempfile::tempdir().unwrap();
    let today = date("2026-11-22");
    let mut file = encaisse::Ledger::open(&dir.path().join("two.sqlite")).unwrap();
    let mut memory = ledger();
    encaisse::demo::populate(&mut file, today).unwrap();
    encaisse::demo::populate(&mut memory, today).unwrap();
    let policy = encaisse::aging::AgingPolicy::default();
    for day in ["2026-08-01", "2026-10-15", "2026-11-22", "2027-01-10"] {
        let day = date(day);
        let (a, b) = (
            file.engine_facts(day).unwrap(),
            memory.engine_facts(day).unwrap(),
        );
        assert!(a.items.len() > 20, "{day}: open invoices");
        assert_eq!(a.items, b.items, "{day}: the engine's invoices");
        assert_eq!(a.numbers, b.numbers, "{day}: their numbers");
        assert_eq!(a.clients, b.clients, "{day}: the clients' follow-up");
        assert_eq!(a.global_pause, b.global_pause);
        assert_eq!(file.work_list(day).unwrap(), memory.work_list(day).unwrap());
        let (a, b) = (
            file.aged_balance(day, &policy).unwrap(),
            memory.aged_balance(day, &policy).unwrap(),
        );
        assert_eq!(
            (a.rows, a.totals),
            (b.rows, b.totals),
            "{day}: aged balance"
        );
    }
    // Each communication holds its own client's invoices, in due-date
    // order, and their sum.
    let facts = file.engine_facts(today).unwrap();
    let client_of: std::collections::HashMap<i64, i64> = facts
        .items
        .iter()
        .map(|i| (i.invoice_id, i.client_id))
        .collect();
    let work = file.work_list(today).unwrap();
    assert!(work.rows.len() > 3, "several communications today");
    for row in &work.rows {
        assert!(row
            .invoices
            .iter()
            .all(|i| client_of[&i.id] == row.client_id));
        assert!(row
            .invoices
            .windows(2)
            .all(|w| w[0].due_date <= w[1].due_date));
        let sum: i64 = row.invoices.iter().map(|i| i.remindable_cents).sum();
        assert_eq!(sum, row.total.cents, "{}", row.client_name);
    }
    let followed = file.engine_facts(today).unwrap();
    assert!(
        followed.items.iter().any(|i| i.steps_done > 0)
            && followed.items.iter().any(|i| i.disputed_cents > 0),
        "the history has levels and disputes"
    );
}

#[test]
fn a_page_of_the_relances_table_is_the_head_of_the_whole_table() {
    let mut ledger = ledger();
    let today = date("2026-11-22");
    encaisse::demo::populate(&mut ledger, today).unwrap();
    let whole = ledger
        .follow_up(today, &encaisse::reminders::FollowUpFilter::default())
        .unwrap();
    assert!(whole.rows.len() > 50);
    assert!(
        whole.rows.windows(2).all(|w| {
            (-w[0].days_late, &w[0].client_name, &w[0].number)
                <= (-w[1].days_late, &w[1].client_name, &w[1].number)
        }),
        "most overdue first, then by client and number"
    );
    for limit in [1, 7, 40] {
        let page = ledger
            .follow_up(
                today,
                &encaisse::reminders::FollowUpFilter {
                    limit: Some(limit),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(page.rows, whole.rows[..limit], "limit {limit}");
        assert_eq!(page.total_count, whole.total_count, "every match counted");
        assert_eq!(page.total_open, whole.total_open, "every match totalled");
    }
    // A search ignores case and accents, in the client's name and code and
    // the invoice number, across them too.
    let first = &whole.rows[0];
    let upper = format!("{} {}", first.client_name, first.client_code).to_uppercase();
    for needle in [upper.as_str(), &first.number.to_uppercase()] {
        let found = ledger
            .follow_up(
                today,
                &encaisse::reminders::FollowUpFilter {
                    search: Some(needle.into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(
            found.rows.iter().any(|r| r.invoice_id == first.invoice_id),
            "{needle}"
        );
        assert!(
            found.total_count < whole.total_count,
            "{needle} narrows the table"
        );
    }
}

#[test]
fn the_next_session_holds_what_the_work_list_of_that_day_holds() {
    let mut ledger = ledger();
    let today = date("2026-11-22");
    encaisse::demo::populate(&mut ledger, today).unwrap();
    ledger.set_reminder_days("1, 15").unwrap();
    let outlook = ledger.next_session(today).unwrap().expect("a session");
    assert_eq!(outlook.date, date("2026-12-01"));
    let work = ledger.work_list(outlook.date).unwrap();
    assert!(!work.rows.is_empty());
    assert_eq!(outlook.communications, work.rows.len());
    let mut total = Vec::new();
    for row in &work.rows {
        encaisse::ledger::add_to(&mut total, row.total).unwrap();
    }
    assert_eq!(outlook.total, total);
}

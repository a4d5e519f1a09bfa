//! Late-payment charges (D1–D5). Expected figures are worked by hand in the comments.

use encaisse::charges::{charges, prescription, RateMode, RateTables, RuleSet, Terms};
use rust_decimal::Decimal;

use crate::common::*;

fn fr(
    amount: i64,
    due: &str,
    as_of: &str,
    payments: &[(&str, i64)],
    terms: &Terms,
) -> encaisse::charges::Charges {
    let payments: Vec<_> = payments.iter().map(|(d, c)| (date(d), *c)).collect();
    charges(
        amount,
        date(due),
        date(as_of),
        &payments,
        &RuleSet::fr_b2b(),
        terms,
        &RateTables::default(),
    )
}

#[test]
fn the_worked_example_of_the_specification() {
    // 1 200 € due 15/01/2026, on 01/03/2026: 16 + 28 + 1 = 45 days at 2,15 % + 10 = 12,15 %:
    // 1 200 × 12,15 % × 45 / 365 = 17,975… → 17,98 €, plus 40 €.
    let c = fr(120_000, "2026-01-15", "2026-03-01", &[], &Terms::default());
    assert_eq!(c.days_late, 45);
    assert_eq!(c.segments[0].percent, Decimal::new(1215, 2));
    assert_eq!(c.interest.cents, 17_98);
    assert_eq!(c.indemnity.cents, 40_00);
    assert!(c.rates_to_confirm.is_empty(), "H1 2026 is in the table");
}

#[test]
fn penalties_run_from_the_day_after_the_due_date() {
    let on_due = fr(100_000, "2026-01-15", "2026-01-15", &[], &Terms::default());
    assert_eq!(
        (
            on_due.days_late,
            on_due.interest.cents,
            on_due.indemnity.cents
        ),
        (0, 0, 0),
        "nothing on the due date itself"
    );
    let next = fr(365_000, "2026-01-15", "2026-01-16", &[], &Terms::default());
    // 3 650 € × 12,15 % × 1 / 365 = 1,215 → 1,22 (half away from zero).
    assert_eq!((next.days_late, next.interest.cents), (1, 1_22));
}

#[test]
fn each_half_year_at_its_own_rate_or_frozen_at_the_start() {
    // Due 01/06/2025. H1: 2–30 June = 29 days at 3,15 % + 10 (ECB on 1 January 2025).
    // H2: 1–31 July = 31 days at 2,15 % + 10 (ECB on 1 July 2025).
    // 1 000 × (13,15 % × 29 + 12,15 % × 31) / 365 = 20,767… → 20,77.
    let split = fr(100_000, "2025-06-01", "2025-07-31", &[], &Terms::default());
    assert_eq!(split.segments.len(), 2);
    assert_eq!((split.segments[0].days, split.segments[1].days), (29, 31));
    assert_eq!(split.interest.cents, 20_77);
    // Frozen: 13,15 % for all 60 days: 1 000 × 13,15 % × 60 / 365 = 21,616… → 21,62.
    let frozen = fr(
        100_000,
        "2025-06-01",
        "2025-07-31",
        &[],
        &Terms {
            mode: RateMode::FrozenAtStart,
            ..Default::default()
        },
    );
    assert_eq!(frozen.interest.cents, 21_62);
}

#[test]
fn a_partial_payment_reduces_the_base_from_the_next_day() {
    // 1 000 € due 15/01/2026, 400 € paid on 14/02/2026, on 01/03/2026:
    // 16/01–14/02 = 30 days on 1 000, 15/02–01/03 = 15 days on 600, at 12,15 %:
    // (1 000 × 30 + 600 × 15) × 12,15 % / 365 = 12,982… → 12,98.
    let c = fr(
        100_000,
        "2026-01-15",
        "2026-03-01",
        &[("2026-02-14", 40_000)],
        &Terms::default(),
    );
    assert_eq!(
        c.segments
            .iter()
            .map(|s| (s.days, s.base_cents))
            .collect::<Vec<_>>(),
        vec![(30, 100_000), (15, 60_000)]
    );
    assert_eq!(c.interest.cents, 12_98);
}

#[test]
fn a_contractual_rate_never_below_three_times_the_legal_rate() {
    // H1 2026 legal rate 2,62 % → floor 7,86 %.
    let low = fr(
        100_000,
        "2026-01-15",
        "2026-03-01",
        &[],
        &Terms {
            contractual_percent: Some(Decimal::new(5, 0)),
            ..Default::default()
        },
    );
    assert!(low.floor_applied);
    assert_eq!(low.segments[0].percent, Decimal::new(786, 2));
    let high = fr(
        100_000,
        "2026-01-15",
        "2026-03-01",
        &[],
        &Terms {
            contractual_percent: Some(Decimal::new(15, 0)),
            ..Default::default()
        },
    );
    assert!(!high.floor_applied);
    assert_eq!(high.segments[0].percent, Decimal::new(15, 0));
}

#[test]
fn consumers_owe_no_indemnity_and_interest_only_from_the_formal_notice() {
    let rules = RuleSet::fr_b2c();
    let rates = RateTables::default();
    let none = charges(
        100_000,
        date("2026-01-15"),
        date("2026-03-01"),
        &[],
        &rules,
        &Terms::default(),
        &rates,
    );
    assert_eq!((none.interest.cents, none.indemnity.cents), (0, 0));
    // Notice on 01/02/2026: 02/02–01/03 = 28 days at the legal rate 2,62 %: 1 000 × 2,62 % × 28 / 365 = 2,009… → 2,01.
    let terms = Terms {
        formal_notice: Some(date("2026-02-01")),
        ..Default::default()
    };
    let c = charges(
        100_000,
        date("2026-01-15"),
        date("2026-03-01"),
        &[],
        &rules,
        &terms,
        &rates,
    );
    assert_eq!(
        (c.segments[0].days, c.interest.cents, c.indemnity.cents),
        (28, 2_01, 0)
    );
}

#[test]
fn waivers_per_client_or_invoice() {
    let c = fr(
        120_000,
        "2026-01-15",
        "2026-03-01",
        &[],
        &Terms {
            waive_interest: true,
            ..Default::default()
        },
    );
    assert_eq!((c.interest.cents, c.indemnity.cents), (0, 40_00));
    let c = fr(
        120_000,
        "2026-01-15",
        "2026-03-01",
        &[],
        &Terms {
            waive_indemnity: true,
            ..Default::default()
        },
    );
    assert_eq!((c.interest.cents, c.indemnity.cents), (17_98, 0));
}

#[test]
fn a_rate_not_yet_in_the_table_is_carried_forward_and_flagged() {
    let c = fr(100_000, "2026-08-01", "2026-09-01", &[], &Terms::default());
    assert_eq!(
        c.segments[0].percent,
        Decimal::new(1215, 2),
        "the latest known ECB rate is used"
    );
    assert_eq!(c.rates_to_confirm.len(), 1);
    assert!(
        c.rates_to_confirm[0].contains("01/07/2026") && c.rates_to_confirm[0].contains("2.15"),
        "{:?}",
        c.rates_to_confirm
    );
}

#[test]
fn other_countries_are_data() {
    let rates = RateTables::default();
    let de = charges(
        100_000,
        date("2025-01-31"),
        date("2025-03-01"),
        &[],
        &RuleSet::de_b2b(),
        &Terms::default(),
        &rates,
    );
    // 29 days at 2,27 % + 9 = 11,27 %: 1 000 × 11,27 % × 29 / 365 = 8,954… → 8,95 €, plus 40 €.
    assert_eq!((de.interest.cents, de.indemnity.cents), (8_95, 40_00));
    let uk = RuleSet::uk_b2b();
    for (amount, fee) in [
        (999_99, 40_00),
        (1_000_00, 70_00),
        (9_999_99, 70_00),
        (10_000_00, 100_00),
    ] {
        let c = charges(
            amount,
            date("2025-09-01"),
            date("2025-09-10"),
            &[],
            &uk,
            &Terms::default(),
            &rates,
        );
        assert_eq!(c.indemnity.cents, fee, "UK fixed sum for £{amount}");
        assert_eq!(c.interest.currency.as_str(), "GBP");
    }
    assert!(
        RuleSet::for_client("IT", false).is_none(),
        "an unknown country has no invented rules"
    );
}

#[test]
fn prescription_warns_before_the_claim_expires() {
    let b2b = prescription(date("2021-06-15"), false, date("2026-01-01"));
    assert_eq!(b2b.expires, date("2026-06-15"));
    assert!(b2b.warn, "165 days left: warn");
    let b2c = prescription(date("2025-06-15"), true, date("2026-01-01"));
    assert_eq!(b2c.expires, date("2027-06-15"));
    assert!(!b2c.warn);
}

mod in_the_ledger {
    //! The charges report reads the rates, waivers and formal notices kept
    //! in the ledger.
    use encaisse::charges::{ChargeTerms, DatedRate};
    use encaisse::engine::Channel;
    use encaisse::ledger::NewInvoice;
    use encaisse::model::{Client, ClientKind};
    use encaisse::money::{Currency, Money};
    use encaisse::reminders::NewReminder;

    use crate::common::*;

    /// The worked example: 1 200 € due 15/01/2026, report on 01/03/2026.
    fn example(b2c: bool) -> (encaisse::Ledger, i64, i64) {
        let ledger = ledger();
        let mut c = Client::new("C1", "Alpha");
        if b2c {
            c.kind = ClientKind::B2c;
        }
        let client = ledger.upsert_client(&c).unwrap();
        let invoice = ledger
            .add_invoice(&NewInvoice {
                client_id: client,
                number: "F1".into(),
                issue_date: date("2025-12-15"),
                due_date: Some(date("2026-01-15")),
                amount: Money::new(120_000, Currency::EUR),
                label: String::new(),
            })
            .unwrap();
        (ledger, client, invoice)
    }

    fn report(ledger: &encaisse::Ledger, on: &str) -> (i64, i64) {
        let rows = ledger
            .charges_report(date(on), &ledger.rate_tables().unwrap())
            .unwrap();
        let c = rows[0].charges.as_ref().unwrap();
        (c.interest.cents, c.indemnity.cents)
    }

    #[test]
    fn the_report_uses_the_ledger_s_rates_and_waivers() {
        let (ledger, client, invoice) = example(false);
        assert_eq!(report(&ledger, "2026-03-01"), (1_798, 4_000));
        // Edited tables: ECB at 3.15 % from 2026-01-01 → 13.15 % → 19,45 €.
        let mut rates = ledger.rate_tables().unwrap();
        rates.ecb_mro.push(DatedRate {
            from: date("2026-01-02"),
            percent: "3.15".parse().unwrap(),
        });
        ledger.set_rate_tables(&rates).unwrap();
        // The half-year rule: the rate of 1 January applies all half-year.
        assert_eq!(report(&ledger, "2026-03-01"), (1_798, 4_000));
        let mut rates = ledger.rate_tables().unwrap();
        rates.ecb_mro.last_mut().unwrap().from = date("2025-12-31");
        ledger.set_rate_tables(&rates).unwrap();
        assert_eq!(report(&ledger, "2026-03-01"), (1_945, 4_000));
        let mut bad = rates.clone();
        bad.ecb_mro.push(DatedRate {
            from: date("2020-01-01"),
            percent: "1".parse().unwrap(),
        });
        assert!(ledger.set_rate_tables(&bad).is_err(), "dates must increase");
        ledger.reset_rate_tables().unwrap();
        assert_eq!(report(&ledger, "2026-03-01"), (1_798, 4_000));
        // Waived for the client; the invoice's own terms win over the client's.
        let waive_all = ChargeTerms {
            waive_interest: true,
            waive_indemnity: true,
            contractual_percent: None,
        };
        ledger
            .set_charge_terms(Some(client), None, &waive_all)
            .unwrap();
        assert_eq!(report(&ledger, "2026-03-01"), (0, 0));
        let only_interest = ChargeTerms {
            waive_interest: true,
            ..Default::default()
        };
        ledger
            .set_charge_terms(None, Some(invoice), &only_interest)
            .unwrap();
        assert_eq!(report(&ledger, "2026-03-01"), (0, 4_000));
        assert!(ledger
            .set_charge_terms(Some(client), Some(invoice), &only_interest)
            .is_err());
    }

    #[test]
    fn a_consumer_owes_interest_from_the_formal_notice_recorded() {
        let (mut ledger, client, _) = example(true);
        assert_eq!(report(&ledger, "2026-03-01"), (0, 0), "no notice yet");
        ledger
            .record_reminder(&NewReminder {
                client_id: client,
                step: 5,
                channel: Channel::Registered,
                date: date("2026-02-01"),
                invoice_ids: vec![],
                outcome: String::new(),
                note: String::new(),
                manual: false,
            })
            .unwrap();
        // Legal rate for consumers, H1 2026, from the day after the notice.
        let (interest, indemnity) = report(&ledger, "2026-03-01");
        assert!(interest > 0, "interest runs from the notice");
        assert_eq!(indemnity, 0, "no indemnity for a consumer");
    }
}

#[test]
fn the_shipped_tables_carry_the_published_rates_to_this_day() {
    let rates = RateTables::default();
    let on = |rules: &RuleSet, due: &str, as_of: &str| {
        charges(
            100_000,
            date(due),
            date(as_of),
            &[],
            rules,
            &Terms::default(),
            &rates,
        )
    };
    // UK: the Bank of England cut its rate to 3,75 % on 18 December 2025;
    // H1 2026 takes the rate of 31 December 2025, plus 8 points.
    let uk = on(&RuleSet::uk_b2b(), "2026-01-10", "2026-02-01");
    assert_eq!(uk.segments[0].percent, Decimal::new(1175, 2));
    assert!(uk.rates_to_confirm.is_empty(), "{:?}", uk.rates_to_confirm);
    // H2 2026 is not known yet: carried forward, flagged.
    let later = on(&RuleSet::uk_b2b(), "2026-07-10", "2026-08-01");
    assert_eq!(later.segments[0].percent, Decimal::new(1175, 2));
    assert_eq!(
        later.rates_to_confirm.len(),
        1,
        "{:?}",
        later.rates_to_confirm
    );
    // Germany: Basiszinssatz 1,27 % on 1 January 2026, plus 9 points.
    let de = on(&RuleSet::de_b2b(), "2026-01-10", "2026-02-01");
    assert_eq!(de.segments[0].percent, Decimal::new(1027, 2));
    assert!(de.rates_to_confirm.is_empty(), "{:?}", de.rates_to_confirm);
    // France: legal rate and ECB of H1 2026 known.
    let fr = on(&RuleSet::fr_b2b(), "2026-01-10", "2026-02-01");
    assert!(fr.rates_to_confirm.is_empty());
}

#[test]
fn rates_come_in_from_the_central_banks_csv_files_with_a_preview() {
    use encaisse::rates_file::{self, RateTable};
    let shipped = RateTables::default();
    // The ECB Data Portal's export: its changes, as in the shipped table.
    let ecb = rates_file::parse(&read_fixture("rates/ecb-mro-shaped.csv")).unwrap();
    assert_eq!(ecb.rows.len(), 9);
    assert_eq!(ecb.rows.last().unwrap().percent, Decimal::new(215, 2));
    assert_eq!(ecb.skipped, 1, "the title line");
    let merged = rates_file::merged(&shipped, RateTable::EcbMro, &ecb);
    assert_eq!(merged.ecb_mro, shipped.ecb_mro, "the same published values");
    // Banque de France Webstat: title lines, semicolons, decimal commas,
    // Windows-1252, monthly values, a missing last one.
    let bdf = rates_file::parse(&read_fixture("rates/bdf-taux-legal-shaped.csv")).unwrap();
    let rows: Vec<(String, String)> = bdf
        .rows
        .iter()
        .map(|r| (r.from.to_string(), r.percent.to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2025-01-01".to_string(), "3.71".to_string()),
            ("2025-07-01".into(), "2.76".into()),
            ("2026-01-01".into(), "2.62".into()),
        ]
    );
    assert_eq!(bdf.observations, 14);
    let merged = rates_file::merged(&shipped, RateTable::FrLegalOther, &bdf);
    assert_eq!(merged.fr_legal_other.len(), shipped.fr_legal_other.len());
    encaisse::charges::validate_rates(&merged).unwrap();
    // A newer value extends the table and what is known.
    let newer = rates_file::parse(b"DATE,VALUE\n2026-02-05,2.15\n2026-03-19,1.90\n").unwrap();
    let merged = rates_file::merged(&shipped, RateTable::EcbMro, &newer);
    assert_eq!(merged.ecb_mro.last().unwrap().percent, Decimal::new(190, 2));
    assert_eq!(merged.ecb_known_through, date("2026-03-19"));
    assert_eq!(merged.ecb_mro.len(), shipped.ecb_mro.len() + 1);
}

#[test]
fn a_bad_rates_file_says_where_and_why() {
    use encaisse::rates_file;
    for (file, want) in [
        (
            &b"Date;Taux\n2026-01-01;2,5\n2026-02-01;abc\n"[..],
            "ligne 3 : « abc » n'est pas un taux",
        ),
        (
            b"Date;Taux\n2026-01-01;250\n",
            "ligne 2 : 250 % : un taux entre −5 % et 50 %",
        ),
        (
            b"2026-01-01;2,5\n2026-01-01;2,6\n",
            "ligne 2 : le 01/01/2026 a deux taux",
        ),
        (b"Titre;Rien\nUn;Deux\n", "aucune ligne « date ; taux »"),
        (b"%PDF-1.7 ...", "pas un fichier texte"),
    ] {
        let err = rates_file::parse(file).unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
}

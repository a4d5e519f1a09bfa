//! Property tests for money and matching.

use encaisse::ledger::{NewInvoice, NewPayment};
use encaisse::model::Client;
use encaisse::money::{format_cents_fr, parse_amount, Currency, Money};
use proptest::prelude::*;

use crate::common::*;

proptest! {
    #[test]
    fn french_formatting_reads_back_exactly(cents in -10_000_000_000i64..10_000_000_000i64) {
        let text = format_cents_fr(cents);
        prop_assert_eq!(parse_amount(&text), Ok(cents));
        prop_assert_eq!(parse_amount(&Money::new(cents, Currency::EUR).to_plain()), Ok(cents));
    }

    #[test]
    fn allocations_never_exceed_payment_or_invoice_and_open_never_goes_negative(
        invoices in prop::collection::vec(1i64..500_000, 1..6),
        payments in prop::collection::vec(1i64..800_000, 1..6),
        attempts in prop::collection::vec((0usize..6, 0usize..6, 1i64..900_000), 0..20),
    ) {
        let mut ledger = ledger();
        let client = ledger.upsert_client(&Client::new("P", "Prop")).unwrap();
        let inv_ids: Vec<i64> = invoices.iter().enumerate().map(|(i, &c)| ledger.add_invoice(&NewInvoice {
            client_id: client, number: format!("F{i}"), issue_date: date("2026-01-01"), due_date: None,
            amount: Money::new(c, Currency::EUR), label: String::new(),
        }).unwrap()).collect();
        let pay_ids: Vec<i64> = payments.iter().map(|&c| ledger.record_payment(&NewPayment {
            client_id: client, date: date("2026-01-02"), amount: Money::new(c, Currency::EUR), method: String::new(), reference: String::new(),
        }).unwrap()).collect();
        for (p, i, cents) in attempts {
            let (Some(&p), Some(&i)) = (pay_ids.get(p), inv_ids.get(i)) else { continue };
            let _ = ledger.allocate(p, i, cents, date("2026-01-03"));
        }
        let total_invoiced: i64 = invoices.iter().sum();
        let total_paid: i64 = payments.iter().sum();
        let mut open_sum = 0;
        for (&id, &amount) in inv_ids.iter().zip(&invoices) {
            let inv = ledger.invoice(id).unwrap();
            prop_assert!(inv.open_cents >= 0 && inv.open_cents <= amount, "open {} of {}", inv.open_cents, amount);
            open_sum += inv.open_cents;
        }
        let mut unallocated = 0;
        for p in ledger.payments(None).unwrap() {
            prop_assert!(p.unallocated_cents >= 0 && p.unallocated_cents <= p.amount_cents);
            unallocated += p.unallocated_cents;
        }
        // Splits add back exactly: what left the payments arrived on the invoices.
        prop_assert_eq!(total_paid - unallocated, total_invoiced - open_sum);
        // And the aged balance is the net of both.
        prop_assert_eq!(aging_total(&ledger, date("2026-12-31")), open_sum - unallocated);
    }

    #[test]
    fn auto_match_places_exactly_what_it_can(invoices in prop::collection::vec(1i64..300_000, 0..6), payment in 1i64..900_000) {
        let mut ledger = ledger();
        let client = ledger.upsert_client(&Client::new("P", "Prop")).unwrap();
        for (i, &c) in invoices.iter().enumerate() {
            ledger.add_invoice(&NewInvoice { client_id: client, number: format!("F{i}"), issue_date: date("2026-01-01"), due_date: None, amount: Money::new(c, Currency::EUR), label: String::new() }).unwrap();
        }
        let (_, outcome) = ledger.record_payment_and_match(&NewPayment { client_id: client, date: date("2026-01-02"), amount: Money::new(payment, Currency::EUR), method: String::new(), reference: String::new() }).unwrap();
        let placed: i64 = outcome.allocations.iter().map(|(_, c)| c).sum();
        prop_assert_eq!(placed + outcome.unallocated_cents, payment);
        prop_assert_eq!(placed, payment.min(invoices.iter().sum()));
    }
}

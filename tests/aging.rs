//! The aged balance.

use encaisse::aging::AgingPolicy;
use encaisse::ledger::{NewInvoice, NewPayment};
use encaisse::model::Client;
use encaisse::money::{Currency, Money};

use crate::common::*;

fn one_invoice_due(due: &str) -> encaisse::Ledger {
    let ledger = ledger();
    let id = ledger.upsert_client(&Client::new("C", "Client")).unwrap();
    ledger
        .add_invoice(&NewInvoice {
            client_id: id,
            number: "F".into(),
            issue_date: date("2026-01-01"),
            due_date: Some(date(due)),
            amount: Money::new(10_000, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    ledger
}

fn bucket_of(ledger: &encaisse::Ledger, as_of: &str, policy: &AgingPolicy) -> usize {
    let aging = ledger.aged_balance(date(as_of), policy).unwrap();
    aging.totals[0]
        .buckets
        .iter()
        .position(|&c| c != 0)
        .unwrap()
}

#[test]
fn bucket_bounds_are_days_past_due() {
    let ledger = one_invoice_due("2026-03-01");
    let p = AgingPolicy::default();
    assert_eq!(
        p.labels(),
        vec!["Non échu", "1–30 j", "31–60 j", "61–90 j", "> 90 j"]
    );
    for (as_of, bucket) in [
        ("2026-03-01", 0),
        ("2026-03-02", 1),
        ("2026-03-31", 1),
        ("2026-04-01", 2),
        ("2026-05-30", 3),
        ("2026-05-31", 4),
    ] {
        assert_eq!(bucket_of(&ledger, as_of, &p), bucket, "as of {as_of}");
    }
}

#[test]
fn bounds_are_configurable_and_saved() {
    let ledger = one_invoice_due("2026-03-01");
    let p = AgingPolicy::parse("15,45").unwrap();
    assert_eq!(p.labels(), vec!["Non échu", "1–15 j", "16–45 j", "> 45 j"]);
    assert_eq!(bucket_of(&ledger, "2026-03-20", &p), 2);
    ledger.set_aging_policy(&p).unwrap();
    assert_eq!(ledger.aging_policy().unwrap(), p);
    assert!(AgingPolicy::parse("60,30").is_err(), "bounds must increase");
    assert!(AgingPolicy::parse("a").is_err());
}

#[test]
fn any_as_of_date_ignores_later_invoices_and_later_payments() {
    let mut ledger = one_invoice_due("2026-03-01");
    let client = ledger.client_by_code("C").unwrap().id;
    let (_, _) = ledger
        .record_payment_and_match(&NewPayment {
            client_id: client,
            date: date("2026-04-10"),
            amount: Money::new(4_000, Currency::EUR),
            method: String::new(),
            reference: String::new(),
        })
        .unwrap();
    assert_eq!(
        aging_total(&ledger, date("2025-12-31")),
        0,
        "before the invoice existed"
    );
    assert_eq!(
        aging_total(&ledger, date("2026-04-09")),
        10_000,
        "before the payment"
    );
    assert_eq!(
        aging_total(&ledger, date("2026-04-10")),
        6_000,
        "after the payment"
    );
    let drill = ledger
        .aged_invoices(client, date("2026-04-10"), &AgingPolicy::default())
        .unwrap();
    assert_eq!(
        (drill[0].open_cents, drill[0].days_late, drill[0].bucket),
        (6_000, 40, 2)
    );
}

#[test]
fn unmatched_payments_reduce_the_total_in_their_own_column() {
    let ledger = one_invoice_due("2026-03-01");
    let client = ledger.client_by_code("C").unwrap().id;
    ledger
        .record_payment(&NewPayment {
            client_id: client,
            date: date("2026-03-05"),
            amount: Money::new(2_500, Currency::EUR),
            method: String::new(),
            reference: String::new(),
        })
        .unwrap();
    let aging = ledger
        .aged_balance(date("2026-03-10"), &AgingPolicy::default())
        .unwrap();
    assert_eq!(aging.rows[0].unapplied, -2_500);
    assert_eq!(aging.rows[0].total.cents, 7_500);
}

#[test]
fn csv_export_follows_french_excel_conventions() {
    let ledger = one_invoice_due("2026-03-01");
    let csv = ledger
        .aged_balance(date("2026-03-10"), &AgingPolicy::default())
        .unwrap()
        .to_csv();
    assert!(csv.starts_with('\u{feff}'), "BOM so Excel reads UTF-8");
    assert!(
        csv.contains("Code client;Client;Devise;Non échu;1–30 j"),
        "{csv}"
    );
    assert!(
        csv.contains("C;Client;EUR;0,00;100,00;0,00;0,00;0,00;0,00;100,00\r\n"),
        "{csv}"
    );
}

#[test]
fn csv_export_never_lets_a_client_name_become_a_formula() {
    let ledger = ledger();
    let id = ledger
        .upsert_client(&Client::new("Z", "=HYPERLINK(\"http://x\")"))
        .unwrap();
    ledger
        .add_invoice(&NewInvoice {
            client_id: id,
            number: "F".into(),
            issue_date: date("2026-01-01"),
            due_date: None,
            amount: Money::new(100, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    let csv = ledger
        .aged_balance(date("2026-03-10"), &AgingPolicy::default())
        .unwrap()
        .to_csv();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
}

#[test]
fn pdf_export_has_extractable_french_text_and_repeats_its_header() {
    let mut ledger = ledger();
    encaisse::demo::populate(&mut ledger, date("2026-11-22")).unwrap();
    // Enough clients to need a second page.
    for i in 0..40 {
        let id = ledger
            .upsert_client(&Client::new(
                &format!("Z{i:02}"),
                &format!("Société Œuvre « {i} »"),
            ))
            .unwrap();
        ledger
            .add_invoice(&NewInvoice {
                client_id: id,
                number: format!("Z{i}"),
                issue_date: date("2026-01-01"),
                due_date: None,
                amount: Money::new(123_456, Currency::EUR),
                label: String::new(),
            })
            .unwrap();
    }
    let aging = ledger
        .aged_balance(date("2026-11-22"), &AgingPolicy::default())
        .unwrap();
    let pdf = aging
        .to_pdf(&ledger.company().unwrap(), date("2026-11-22"))
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        pdf.len() < 200_000,
        "the font is subset, not embedded whole: {} bytes",
        pdf.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aging.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Balance âgée au 22/11/2026"), "{text}");
    assert!(
        text.contains("Société Œuvre « 7 »"),
        "accents, ligatures and French quotes survive"
    );
    // pdftotext turns the narrow no-break space of "1 234,56" into a plain space.
    let total =
        encaisse::money::format_cents_fr(aging.totals[0].total.cents).replace('\u{202f}', " ");
    assert!(text.contains(&total), "the grand total {total} is printed");
    let pages = text.matches("Page ").count();
    assert!(pages >= 2, "80 clients need more than one page");
    assert_eq!(
        text.matches("Non lettré").count(),
        pages,
        "the header is repeated on every page"
    );
    assert!(
        text.contains(&format!("Page {pages} / {pages}")),
        "pages are numbered"
    );
}

/// The invoice list gives one page, the count and the open totals of every
/// matching invoice per currency — whatever the page's size and offset.
#[test]
fn the_invoice_list_totals_every_match_per_currency_beyond_the_page() {
    use encaisse::ledger::InvoiceFilter;
    let mut ledger = ledger();
    let a = ledger.upsert_client(&Client::new("A", "Atelier")).unwrap();
    let b = ledger
        .upsert_client(&Client::new("B", "Boulangerie"))
        .unwrap();
    let mut paid = 0;
    for n in 0..12i64 {
        let currency = if n % 3 == 0 {
            Currency::parse("USD").unwrap()
        } else {
            Currency::EUR
        };
        let id = ledger
            .add_invoice(&NewInvoice {
                client_id: if n % 2 == 0 { a } else { b },
                number: format!("F{n:02}"),
                issue_date: date("2026-01-01"),
                due_date: Some(date("2026-02-01") + chrono::Days::new(n as u64)),
                amount: Money::new(100_00 * (n + 1), currency),
                label: String::new(),
            })
            .unwrap();
        if n == 4 {
            ledger
                .mark_paid(id, date("2026-03-01"), "Virement")
                .unwrap();
            paid = id;
        }
    }
    let filter = InvoiceFilter {
        status: Some("open".into()),
        limit: Some(3),
        offset: 2,
        sort: Some("-amount".into()),
        ..Default::default()
    };
    let page = ledger.invoices(&filter).unwrap();
    let numbers: Vec<&str> = page.rows.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(
        numbers,
        ["F09", "F08", "F07"],
        "third to fifth largest, F04 paid"
    );
    assert_eq!(page.total_count, 11);
    let total = |code: &str| {
        page.total_open
            .iter()
            .find(|m| m.currency.as_str() == code)
            .map(|m| m.cents)
    };
    // USD: F00, F03, F06, F09 = 1+4+7+10 hundreds; EUR: the rest but F04.
    assert_eq!(total("USD"), Some(2_200_00));
    assert_eq!(total("EUR"), Some((78 - 22 - 5) * 100_00));
    let by_client = InvoiceFilter {
        search: Some("boul".into()),
        sort: Some("client".into()),
        ..Default::default()
    };
    let page = ledger.invoices(&by_client).unwrap();
    assert_eq!(page.total_count, 6);
    assert!(page.rows.iter().all(|r| r.client_name == "Boulangerie"));
    assert!(page.rows.iter().all(|r| r.id != paid));
    let nothing = InvoiceFilter {
        search: Some("zzz".into()),
        ..Default::default()
    };
    let page = ledger.invoices(&nothing).unwrap();
    assert_eq!(
        (page.rows.len(), page.total_count, page.total_open.len()),
        (0, 0, 0)
    );
}

#[test]
fn each_client_row_is_the_sum_of_its_drill_down_on_any_day_and_any_bounds() {
    // The drill-down reads each client's open invoices through SQL and buckets
    // them one by one: an independent reckoning of the report's cells.
    let mut ledger = ledger();
    let today = date("2026-11-22");
    encaisse::demo::populate(&mut ledger, today).unwrap();
    let policies = [
        AgingPolicy::default(),
        AgingPolicy::parse("15,45").unwrap(),
        AgingPolicy::parse("10,20,30,60,120,365").unwrap(),
    ];
    for as_of in ["2026-07-31", "2026-09-15", "2026-11-22", "2027-02-01"] {
        for policy in &policies {
            let report = ledger.aged_balance(date(as_of), policy).unwrap();
            assert!(
                report.rows.len() > 5,
                "{as_of}: {} clients with something open",
                report.rows.len()
            );
            let mut total_buckets = vec![0i64; policy.labels().len()];
            for row in &report.rows {
                let client = row.client_id.unwrap();
                let mut buckets = vec![0i64; policy.labels().len()];
                let (mut invoices, mut credits) = (0, 0);
                for inv in ledger.aged_invoices(client, date(as_of), policy).unwrap() {
                    if inv.currency != row.currency {
                        continue;
                    }
                    if inv.open_cents > 0 {
                        buckets[inv.bucket] += inv.open_cents;
                        invoices += 1;
                    } else {
                        credits += inv.open_cents;
                    }
                }
                assert_eq!(
                    row.buckets, buckets,
                    "{as_of} {policy:?} {}",
                    row.client_code
                );
                assert_eq!(row.invoices, invoices, "{as_of} {}", row.client_code);
                assert!(
                    row.unapplied <= credits.min(0),
                    "unapplied holds the credits left and unmatched payments"
                );
                for (t, b) in total_buckets.iter_mut().zip(&row.buckets) {
                    *t += b;
                }
            }
            assert_eq!(report.totals[0].buckets, total_buckets, "{as_of} totals");
            let names: Vec<String> = report
                .rows
                .iter()
                .map(|r| r.client_name.to_lowercase())
                .collect();
            assert!(names.windows(2).all(|w| w[0] <= w[1]), "rows by name");
        }
    }
}

#[test]
fn a_bound_past_ten_years_is_refused_and_none_breaks_the_aged_balance() {
    let refused = AgingPolicy::parse("30,60,100000000").expect_err("10^8 days");
    assert!(
        refused.to_string().contains("3650 jours au plus"),
        "{refused}"
    );
    assert!(AgingPolicy::parse("30,60,3650").is_ok());
    // Bounds made by hand, past the calendar, still give an aged balance.
    let ledger = one_invoice_due("2026-01-10");
    let far = AgingPolicy {
        bounds: vec![30, 60, u32::MAX],
    };
    let aging = ledger.aged_balance(date("2026-11-22"), &far).unwrap();
    assert_eq!(aging.totals.len(), 1, "the invoice is still counted");
}

#[test]
fn a_bad_bound_saved_in_the_ledger_falls_back_to_the_default_and_is_named() {
    let ledger = one_invoice_due("2026-01-10");
    // As an older version, or a hand edit, could have left it.
    ledger
        .set_setting("aging_bounds", "30,60,100000000")
        .unwrap();
    assert_eq!(ledger.aging_policy().unwrap(), AgingPolicy::default());
    let policy = ledger.aging_policy().unwrap();
    ledger
        .dashboard(date("2026-11-22"), &policy)
        .expect("the dashboard still opens");
    let problems = ledger.setting_problems().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, "aging_bounds");
    assert!(
        problems[0]
            .describe()
            .contains("tranches de la balance âgée")
            && problems[0].describe().contains("100000000"),
        "{}",
        problems[0].describe()
    );
    ledger
        .set_aging_policy(&AgingPolicy::parse("30,60,90").unwrap())
        .unwrap();
    assert!(
        ledger.setting_problems().unwrap().is_empty(),
        "set again: fixed"
    );
}

#[test]
fn every_setting_saved_bad_is_named_and_the_app_still_opens_on_it() {
    let ledger = one_invoice_due("2026-01-10");
    let bad = [
        (
            "aging_bounds",
            "30,60,100000000",
            "tranches de la balance âgée",
            true,
        ),
        ("stale_after_days", "-4", "données anciennes après", true),
        ("backup_keep", "100000", "sauvegardes conservées", true),
        (
            "window_offset_mm",
            "500,nan",
            "décalage de la fenêtre",
            true,
        ),
        (
            "reminder_days",
            "0,45",
            "jours des sessions de relance",
            true,
        ),
        ("scenarios", "[]", "scénarios de relance", false),
        ("rate_tables", "{\"pas\":", "taux de référence", false),
        ("smtp", "{\"host\":\"\"}", "envoi des e-mails (SMTP)", false),
    ];
    for (key, value, _, _) in bad {
        ledger.set_setting(key, value).unwrap();
    }
    let day = date("2026-11-22");
    // What opens the window still works, on the defaults.
    let policy = ledger.aging_policy().unwrap();
    ledger.dashboard(day, &policy).expect("the dashboard opens");
    assert_eq!(ledger.backup_keep().unwrap(), 10);
    assert_eq!(ledger.reminder_days().unwrap(), vec![1, 15]);
    assert_eq!(
        ledger.window_placement().unwrap(),
        encaisse::documents::WindowPlacement::default()
    );
    // What would act on a guess stops, and says which setting.
    let why = ledger.scenarios().unwrap_err().to_string();
    assert!(why.contains("scénarios"), "{why}");
    let why = ledger.rate_tables().unwrap_err().to_string();
    assert!(why.contains("taux"), "{why}");
    // And each is named, with its value and what happens meanwhile.
    let problems = ledger.setting_problems().unwrap();
    let named: Vec<&str> = problems.iter().map(|p| p.key).collect();
    assert_eq!(named, bad.iter().map(|b| b.0).collect::<Vec<_>>());
    for ((_, value, label, falls_back), p) in bad.iter().zip(&problems) {
        let text = p.describe();
        assert!(text.contains(label) && text.contains(value), "{text}");
        assert_eq!(p.falls_back, *falls_back, "{text}");
        assert_eq!(
            text.contains("la valeur par défaut s'applique"),
            *falls_back,
            "{text}"
        );
    }
}

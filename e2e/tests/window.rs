//! End-to-end tests of the real `encaisse` window, driven through
//! tauri-driver and WebKitWebDriver (run under Xvfb by the test command).
//! Each test starts the application on its own temporary ledger.
//!
//! The harness (starting the window, driving it) is `encaisse_e2e`, shared
//! with the window benchmarks in `benches/`.

use std::path::Path;
use std::time::{Duration, Instant};

use encaisse::money::format_cents_fr;
use encaisse_e2e::{answered, app_binary, launch, launch_with, leading_count, workspace, App};
use fantoccini::key::Key;
use fantoccini::Locator;

fn euros(cents: i64) -> String {
    // WebDriver reports the no-break space before € as a plain space.
    format!("{} €", format_cents_fr(cents))
}

#[tokio::test]
async fn navigation_shows_every_screen_and_the_about_box() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("nav.sqlite");
    let app = launch(&ledger).await;
    let title = app.client.title().await.unwrap();
    assert_eq!(title, "Encaisse");
    app.wait("[data-testid=welcome]").await;
    for (nav, heading) in [
        ("reminders", "Relances"),
        ("outbox", "Boîte d'envoi"),
        ("clients", "Clients"),
        ("invoices", "Factures"),
        ("payments", "Paiements"),
        ("aging", "Balance âgée"),
        ("templates", "Modèles de relance"),
        ("settings", "Paramètres"),
        ("import", "Importer"),
        ("about", "À propos"),
        ("dashboard", "Tableau de bord"),
    ] {
        app.click(&format!("[data-nav={nav}]")).await;
        let h1 = app.h1().await;
        assert!(h1.starts_with(heading), "screen {nav} shows {h1:?}");
    }
    // The templates screen lists the shipped templates and previews one.
    app.click("[data-nav=templates]").await;
    app.click("[data-testid=template-item]").await;
    let preview = app
        .text_until("[data-testid=template-preview]", |t| {
            t.contains("FA-2026-0001")
        })
        .await;
    assert!(preview.contains("Relevé de factures impayées"), "{preview}");
    app.click("[data-nav=about]").await;
    let path = app
        .text_until("[data-testid=ledger-path]", |t| !t.is_empty())
        .await;
    assert_eq!(
        path,
        ledger.display().to_string(),
        "the About box shows the ledger in use"
    );
    let version = app
        .text_until("[data-testid=version]", |t| !t.is_empty())
        .await;
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    app.close().await;
}

#[tokio::test]
async fn the_demo_ledger_fills_the_dashboard_and_the_aged_balance() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("demo.sqlite");
    let app = launch(&ledger).await;
    app.click("[data-testid=load-demo]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("démonstration"))
        .await;
    let outstanding = app
        .text_until("[data-testid=kpi-outstanding]", |t| {
            t.contains('€') && t != "0,00\u{a0}€"
        })
        .await;
    // The same figure, computed by the core on the same ledger file.
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let today = chrono::Local::now().date_naive();
    let want = core.dashboard(today, &Default::default()).unwrap();
    assert_eq!(outstanding, euros(want.outstanding.cents));
    app.click("[data-nav=aging]").await;
    let total = app
        .text_until("[data-testid=aging-grand-total]", |t| !t.is_empty())
        .await;
    assert_eq!(total, euros(want.aging.totals[0].total.cents));
    app.click("[data-testid=aging-table] tbody tr:first-child button.link")
        .await;
    app.wait("[data-testid=aging-drill] tbody tr").await;
    // The buckets cross as the core's cents and show as it writes them.
    let cells: serde_json::Value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=aging-table] tbody tr:first-child td.num')]
                 .map(c => c.innerText);",
            vec![],
        )
        .await
        .unwrap();
    let first = &want.aging.rows[0];
    let mut expected: Vec<i64> = first.buckets.clone();
    expected.push(first.unapplied);
    let expected: Vec<String> = expected
        .into_iter()
        .map(|c| {
            if c == 0 {
                String::new()
            } else {
                format_cents_fr(c)
            }
        })
        .collect();
    let cells: Vec<String> = cells
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cells, expected);
    // The bounds the buckets are cut at, as Paramètres shows them.
    app.click("[data-nav=settings]").await;
    app.click("[data-tab=reminders]").await;
    app.wait("[data-testid=aging-bounds]").await;
    app.value_until("[data-testid=aging-bounds]", "30,60,90")
        .await;
    // The reminder days, saved in any order, read back in order.
    app.set_value("[data-testid=reminder-days]", "15, 1").await;
    app.js_click("[data-testid=reminder-days-save]").await;
    app.value_until("[data-testid=reminder-days]", "1, 15")
        .await;
    assert_eq!(core.reminder_days().unwrap(), [1, 15]);
    // The dashboard names them, and its aging bar shows the EUR buckets.
    app.click("[data-nav=dashboard]").await;
    app.text_until("[data-testid=next-session]", |t| {
        t.contains("le 1, 15 du mois")
    })
    .await;
    let legend = app.texts(".agingbar .legend .num").await;
    let buckets: Vec<String> = want.aging.totals[0]
        .buckets
        .iter()
        .map(|&c| euros(c).replace(' ', "\u{a0}"))
        .collect();
    assert_eq!(legend, buckets);
    // From a client file to that client's invoices only.
    app.click("[data-nav=clients]").await;
    app.click("[data-testid=client-name]").await;
    let name = app.h1().await;
    app.click("[data-testid=client-invoices]").await;
    let chip = app
        .text_until("[data-testid=client-chip]", |t| !t.is_empty())
        .await;
    assert!(chip.contains(&name), "{chip}");
    app.wait("[data-testid=invoice-rows] [role=row] input")
        .await;
    let clients = app
        .texts("[data-testid=invoice-rows] [role=row] span:nth-child(3)")
        .await;
    assert!(
        !clients.is_empty() && clients.iter().all(|c| *c == name),
        "only {name}'s invoices: {clients:?}"
    );
    // Amounts cross as the core's cents and show as the core writes them.
    let first: serde_json::Value = app
        .client
        .execute(
            "const r = document.querySelector('[data-testid=invoice-rows] [role=row]');
             return [r.children[1].innerText, r.children[6].innerText, r.children[7].innerText];",
            vec![],
        )
        .await
        .unwrap();
    let search = encaisse::ledger::InvoiceFilter {
        search: Some(first[0].as_str().unwrap().to_string()),
        ..Default::default()
    };
    let invoice = core.invoices(&search).unwrap().rows.remove(0);
    let plain = |t: &serde_json::Value| t.as_str().unwrap().replace('\u{a0}', " ");
    assert_eq!(plain(&first[1]), euros(invoice.amount_cents));
    assert_eq!(plain(&first[2]), euros(invoice.open_cents));
    // Paiements: each payment's amount, and the first one's allocations.
    app.click("[data-nav=payments]").await;
    app.wait("[data-testid=payments-table] tbody tr.clickable")
        .await;
    let shown: serde_json::Value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=payments-table] tbody tr.clickable')]
                 .map(r => r.children[4].innerText);",
            vec![],
        )
        .await
        .unwrap();
    let payments = core.payments(None).unwrap();
    let want: Vec<String> = payments.iter().map(|p| euros(p.amount_cents)).collect();
    let shown: Vec<String> = shown.as_array().unwrap().iter().map(plain).collect();
    assert_eq!(shown, want);
    app.js_click("[data-testid=payments-table] tbody tr.clickable")
        .await;
    let allocations = core.allocations(None, Some(payments[0].id)).unwrap();
    let want: Vec<String> = allocations
        .iter()
        .map(|a| euros(a.amount_cents).trim_end_matches(" €").to_string())
        .collect();
    app.script_until(
        "the payment's allocations",
        "return [...document.querySelectorAll('td.r.num')].map(c => c.innerText);",
        vec![],
        |listed| {
            let listed: Vec<String> = listed
                .as_array()
                .unwrap()
                .iter()
                .map(|t| plain(t).trim_end_matches(" €").to_string())
                .collect();
            listed == want
        },
    )
    .await;
    app.shot("payments").await;
    // A payment recorded by hand, matched to the client's invoice of the
    // same amount.
    let open = core
        .invoices(&encaisse::ledger::InvoiceFilter {
            status: Some("open".into()),
            ..Default::default()
        })
        .unwrap()
        .rows
        .remove(0);
    let before = core.payments(Some(open.client_id)).unwrap().len();
    app.set_value("[data-testid=payment-client]", &open.client_id.to_string())
        .await;
    app.set_value(
        "[data-testid=payment-amount]",
        &format_cents_fr(open.open_cents),
    )
    .await;
    app.js_click("[data-testid=payment-record]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Lettré"))
        .await;
    let payments = core.payments(Some(open.client_id)).unwrap();
    assert_eq!(payments.len(), before + 1);
    assert_eq!(core.invoice(open.id).unwrap().open_cents, 0, "matched");
    app.close().await;
}

#[tokio::test]
async fn a_fec_imported_through_the_wizard_shows_its_aged_balance() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("import.sqlite");
    let fec = workspace().join("tests/fixtures/0000000001FEC20220831.txt");
    let app = launch(&ledger).await;
    app.click("[data-nav=import]").await;
    app.click("[data-testid=kind-fec]").await;
    app.set_value("[data-testid=import-path]", fec.to_str().unwrap())
        .await;
    app.click("[data-testid=import-analyze]").await;
    let net = app
        .text_until("[data-testid=preview-net]", |t| !t.is_empty())
        .await;
    assert_eq!(
        net, "52\u{202f}517,24 €",
        "the preview shows the balance the file brings"
    );
    app.click("[data-testid=import-commit]").await;
    let result = app
        .text_until("[data-testid=import-result]", |t| !t.is_empty())
        .await;
    assert!(result.contains("17 clients"), "{result}");
    app.click("[data-nav=aging]").await;
    app.set_value("[data-testid=as-of]", "2022-08-31").await;
    let total = app
        .text_until("[data-testid=aging-grand-total]", |t| t.contains("517"))
        .await;
    assert_eq!(total, "52\u{202f}517,24 €");
    // A date is picked from a calendar that opens on it, in French, or typed.
    app.click("[data-testid=as-of-pick]").await;
    let month = app.text_until(".calendar-heading", |t| !t.is_empty()).await;
    assert_eq!(month.to_lowercase(), "août 2022");
    let chosen = app
        .text_until(".calendar-day[data-selected]", |t| !t.is_empty())
        .await;
    assert_eq!(chosen, "31");
    app.shot("date-picker").await;
    app.click(".calendar-day[data-date='2022-08-15']").await;
    app.value_until("[data-testid=as-of]", "15/08/2022").await;
    app.text_until("[data-testid=aging-grand-total]", |t| t != total)
        .await;
    // A day picked closes the calendar.
    app.gone(".calendar").await;
    let input = app
        .client
        .find(Locator::Css("[data-testid=as-of]"))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input
        .send_keys(&format!("31/08/2022{}", Key::Enter))
        .await
        .unwrap();
    app.text_until("[data-testid=aging-grand-total]", |t| t == total)
        .await;
    app.close().await;
}

#[tokio::test]
async fn a_broken_file_is_listed_with_its_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("bad.sqlite");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "numero;client;date;montant_ttc\nF1;Alpha;01/02/2026;100,00\nF2;Alpha;31/02/2026;5,00\n",
    )
    .unwrap();
    let app = launch(&ledger).await;
    app.click("[data-nav=import]").await;
    app.click("[data-testid=kind-csv]").await;
    app.set_value("[data-testid=import-path]", bad.to_str().unwrap())
        .await;
    app.click("[data-testid=import-analyze]").await;
    app.wait("[data-testid=import-mapping]").await;
    app.click("[data-testid=import-mapping] .actions button.primary")
        .await;
    let issues = app
        .text_until("[data-testid=import-issues]", |t| !t.is_empty())
        .await;
    assert!(issues.contains("1 erreur"), "{issues}");
    let row = app
        .text_until("[data-testid=import-preview] table tbody tr", |t| {
            !t.is_empty()
        })
        .await;
    assert!(
        row.starts_with('3') && row.contains("date") && row.contains("31/02/2026"),
        "{row}"
    );
    let disabled = app
        .wait("[data-testid=import-commit]")
        .await
        .attr("disabled")
        .await
        .unwrap();
    assert!(
        disabled.is_some(),
        "Importer stays disabled while the file has errors"
    );
    app.close().await;
    let core = encaisse::Ledger::open(&ledger).unwrap();
    assert!(core.invoices(&Default::default()).unwrap().rows.is_empty());
}

#[tokio::test]
async fn a_hostile_client_name_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("xss.sqlite");
    let name = "<img src=x onerror=alert(1)>";
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let id = core
            .upsert_client(&encaisse::model::Client::new("XSS", name))
            .unwrap();
        core.add_invoice(&encaisse::ledger::NewInvoice {
            client_id: id,
            number: "<b>F1</b>".into(),
            issue_date: "2026-01-01".parse().unwrap(),
            due_date: None,
            amount: encaisse::money::Money::new(12_000, encaisse::money::Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    }
    let app = launch(&ledger).await;
    app.click("[data-nav=clients]").await;
    let shown = app
        .text_until("[data-testid=client-name]", |t| !t.is_empty())
        .await;
    assert_eq!(shown, name, "the name is displayed literally");
    app.click("[data-nav=aging]").await;
    app.wait("[data-testid=aging-table]").await;
    app.click("[data-nav=invoices]").await;
    app.wait("[data-testid=invoice-rows] [role=row] input")
        .await;
    let row: serde_json::Value = app
        .client
        .execute(
            "return document.querySelector('[data-testid=invoice-rows] [role=row]').textContent",
            vec![],
        )
        .await
        .unwrap();
    let row = row.as_str().unwrap_or_default().to_string();
    assert!(
        row.contains("<b>F1</b>") && row.contains(name),
        "the invoice number and client name are shown as typed: {row}"
    );
    let images = app.client.find_all(Locator::Css("main img")).await.unwrap();
    assert!(images.is_empty(), "no element was created from client data");
    let bold = app.client.find_all(Locator::Css("main b")).await.unwrap();
    assert!(bold.is_empty(), "no markup was interpreted");
    app.close().await;
}

#[tokio::test]
async fn the_invoice_list_scrolls_thousands_of_rows_and_selects_by_keyboard_and_shift_click() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("liste.sqlite");
    let today = chrono::Local::now().date_naive();
    let listed = {
        let mut core = encaisse::Ledger::open(&ledger).unwrap();
        encaisse::demo::populate_scale(&mut core, 100, 3_000, today).unwrap();
        // The screen opens on the open invoices.
        let open = encaisse::ledger::InvoiceFilter {
            status: Some("open".into()),
            ..Default::default()
        };
        core.invoices(&open).unwrap().total_count
    };
    let app = launch(&ledger).await;
    app.click("[data-nav=invoices]").await;
    let count = app
        .text_until("[data-testid=invoice-count]", |t| !t.starts_with("0 "))
        .await;
    assert_eq!(leading_count(&count), listed as u64, "{count}");
    let script = |js: &'static str| {
        let client = app.client.clone();
        async move { client.execute(js, vec![]).await.unwrap() }
    };
    let rows_in_page =
        "return document.querySelectorAll('[data-testid=invoice-rows] [role=row]').length";
    let in_page = script(rows_in_page).await.as_u64().unwrap();
    assert!(in_page < 60, "only the rows that show exist: {in_page}");
    // Arrow keys move the focus and the list follows it; Space selects.
    let grid = app.wait("[data-testid=invoice-grid]").await;
    script("document.querySelector('[data-testid=invoice-grid]').focus();").await;
    for _ in 0..30 {
        grid.send_keys(&Key::Down.to_string()).await.unwrap();
    }
    grid.send_keys(" ").await.unwrap();
    let scrolled = script("return document.querySelector('[data-testid=invoice-rows]').scrollTop")
        .await
        .as_f64()
        .unwrap();
    assert!(scrolled > 0.0, "the list scrolled to the focused row");
    app.shot("list-keys").await;
    // The list draws the rows of its new place at the next frame.
    app.script_until(
        "the focused row shows",
        "const r = document.querySelector('[data-testid=invoice-rows] .vrow.focus'); \
         if (!r) return false; \
         const b = document.querySelector('[data-testid=invoice-rows]').getBoundingClientRect(); \
         const q = r.getBoundingClientRect(); return q.top >= b.top && q.bottom <= b.bottom + 1;",
        vec![],
        |v| v == &serde_json::json!(true),
    )
    .await;
    app.text_until(".selection-bar .sel", |t| t.starts_with("1 facture,"))
        .await;
    // A shift-click on the third row above selects the range.
    app.client
        .execute(
            "const r = document.querySelector('[data-testid=invoice-rows] .vrow.focus'); \
             const top = parseFloat(r.style.top) - 3 * 34; \
             const target = [...document.querySelectorAll('[data-testid=invoice-rows] .vrow')] \
                 .find(x => parseFloat(x.style.top) === top); \
             target.querySelector('input').dispatchEvent(new MouseEvent('click', { bubbles: true, shiftKey: true }));",
            vec![],
        )
        .await
        .unwrap();
    app.text_until(".selection-bar .sel", |t| t.starts_with("4 factures,"))
        .await;
    // A jump to the end draws the last rows with their data.
    script(
        "const b = document.querySelector('[data-testid=invoice-rows]'); b.scrollTop = b.scrollHeight;",
    )
    .await;
    let last_top = (listed - 1) * 34;
    app.script_until(
        "the last row drawn",
        "return [...document.querySelectorAll('[data-testid=invoice-rows] .vrow')] \
             .some(x => parseFloat(x.style.top) === arguments[0] && x.querySelector('input'));",
        vec![last_top.into()],
        |v| v == &serde_json::json!(true),
    )
    .await;
    let in_page = script(rows_in_page).await.as_u64().unwrap();
    assert!(in_page < 60, "still only the rows that show: {in_page}");
    app.close().await;
}

#[tokio::test]
async fn a_ledger_from_a_newer_version_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("newer.sqlite");
    {
        let conn = rusqlite::Connection::open(&ledger).unwrap();
        conn.execute_batch("CREATE TABLE future (x INTEGER); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&ledger).unwrap();
    let app = launch(&ledger).await;
    let text = app
        .text_until("[data-testid=fatal]", |t| !t.is_empty())
        .await;
    assert!(text.contains("version plus récente"), "{text}");
    app.close().await;
    assert_eq!(
        std::fs::read(&ledger).unwrap(),
        before,
        "the newer ledger is left untouched"
    );
}

#[tokio::test]
async fn reminders_recorded_from_the_relances_table_move_invoices_to_the_next_level() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("relances.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        core.set_company(&encaisse::demo::company()).unwrap();
        for (code, name, days_late) in [("A1", "Alpha SARL", 10u64), ("B2", "Bêta & Fils", 20)] {
            let mut c = encaisse::model::Client::new(code, name);
            c.email = format!("compta@{}.fr", code.to_lowercase());
            let id = core.upsert_client(&c).unwrap();
            let due = today - chrono::Days::new(days_late);
            core.add_invoice(&NewInvoice {
                client_id: id,
                number: format!("F-{code}"),
                issue_date: due - chrono::Days::new(30),
                due_date: Some(due),
                amount: Money::new(100_000, Currency::EUR),
                label: String::new(),
            })
            .unwrap();
        }
    }
    let app = launch(&ledger).await;
    app.click("[data-nav=reminders]").await;
    let count = app
        .text_until("[data-testid=reminder-count]", |t| t.contains("facture"))
        .await;
    assert!(count.starts_with("2 facture"), "{count}");
    // Most overdue first: Bêta (20 days, second reminder), then Alpha (statement).
    let names = app
        .texts("[data-testid=reminder-row] td:nth-child(2)")
        .await;
    assert_eq!(names, ["Bêta & Fils", "Alpha SARL"]);
    // The preview of Alpha's reminder.
    app.click("[data-testid=reminder-row]:nth-child(2) td:nth-child(3)")
        .await;
    let preview = app
        .text_until("[data-testid=reminder-preview]", |t| t.contains("Alpha"))
        .await;
    assert!(preview.contains("Relevé de factures impayées"), "{preview}");
    assert!(preview.contains("compta@a1.fr"), "{preview}");
    app.click("[data-testid=preview-close]").await;
    // Select Alpha only and record the statement as done.
    app.click("[data-testid=reminder-row]:nth-child(2) input[type=checkbox]")
        .await;
    app.click("[data-testid=record-done]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("enregistrée"))
        .await;
    // Alpha has nothing more to do today; Bêta is still listed.
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("1 facture")
    })
    .await;
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let page = core.follow_up(today, &Default::default()).unwrap();
    let level = |n: &str| page.rows.iter().find(|r| r.number == n).unwrap().last_step;
    assert_eq!((level("F-A1"), level("F-B2")), (1, 0));
    // Bêta: a level set by hand, a promise and a dispute, from the window,
    // with every unpaid invoice listed (not only what is due today).
    app.click("[data-testid=due-now]").await;
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("2 facture")
    })
    .await;
    app.click("[data-testid=reminder-row]:first-child input[type=checkbox]")
        .await;
    app.set_value("[data-testid=level-select]", "2").await;
    app.click("[data-testid=set-level]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Niveau fixé"))
        .await;
    app.text_until(
        "[data-testid=reminder-row]:first-child td:nth-child(7)",
        |t| t.starts_with("2."),
    )
    .await;
    app.click("[data-testid=reminder-row]:first-child td:nth-child(3)")
        .await;
    let promised = (today + chrono::Days::new(10))
        .format("%d/%m/%Y")
        .to_string();
    app.set_value("[data-testid=promise-due]", &promised).await;
    app.click("[data-testid=promise-save]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Promesse"))
        .await;
    app.set_value("[data-testid=dispute-reason]", "Livraison incomplète")
        .await;
    app.click("[data-testid=dispute-save]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Litige"))
        .await;
    let page = core.follow_up(today, &Default::default()).unwrap();
    let beta = page.rows.iter().find(|r| r.number == "F-B2").unwrap();
    assert_eq!(beta.last_step, 2, "the level set by hand");
    assert!(beta.promise && beta.dispute, "{beta:?}");
    // The filter on the last level reached.
    app.set_value("[data-testid=filter-level]", "2").await;
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("1 facture")
    })
    .await;
    let names = app
        .texts("[data-testid=reminder-row] td:nth-child(2)")
        .await;
    assert_eq!(names, ["Bêta & Fils"]);
    app.close().await;
}

#[tokio::test]
async fn a_scenario_edited_in_the_settings_changes_the_day_s_work() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("scenarios.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let id = core
            .upsert_client(&encaisse::model::Client::new("S1", "Sigma"))
            .unwrap();
        let due = today - chrono::Days::new(4);
        core.add_invoice(&NewInvoice {
            client_id: id,
            number: "F-S1".into(),
            issue_date: due - chrono::Days::new(30),
            due_date: Some(due),
            amount: Money::new(50_000, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    }
    let app = launch(&ledger).await;
    // Four days late: the statement (due + 7) is not due yet.
    app.text_until("[data-testid=work-sends]", |t| t == "0")
        .await;
    app.click("[data-nav=settings]").await;
    app.click("[data-tab=scenarios]").await;
    let standard = "[data-testid=scenario]:nth-of-type(2) [data-testid=step-days]";
    // A wrong figure is refused with the field named, and nothing is saved.
    app.set_value(standard, "quinze").await;
    app.click("[data-testid=scenarios-save]").await;
    let error = app
        .text_until("[data-testid=error]", |t| !t.is_empty())
        .await;
    assert!(error.contains("Standard › étape 1 › jours"), "{error}");
    app.set_value(standard, "3").await;
    app.click("[data-testid=scenarios-save]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Enregistré"))
        .await;
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let standard_first = core.scenarios().unwrap()[1].steps[0].offset;
    assert_eq!(standard_first, encaisse::engine::Offset::Due(3));
    app.click("[data-nav=dashboard]").await;
    app.text_until("[data-testid=work-sends]", |t| t == "1")
        .await;
    app.close().await;
}

/// Lambda SA (L1) and Mu SARL (M2) in Lyon, each with a 2 500 € invoice 50
/// days late and never reminded: the formal notice is due `today`.
fn two_clients_with_a_formal_notice_due(core: &encaisse::Ledger, today: chrono::NaiveDate) {
    core.set_company(&encaisse::demo::company()).unwrap();
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    for (code, name) in [("L1", "Lambda SA"), ("M2", "Mu SARL")] {
        let mut c = encaisse::model::Client::new(code, name);
        c.address = "3 rue des Lilas".into();
        c.postcode = "69003".into();
        c.city = "Lyon".into();
        let id = core.upsert_client(&c).unwrap();
        let due = today - chrono::Days::new(50);
        core.add_invoice(&NewInvoice {
            client_id: id,
            number: format!("F-{code}"),
            issue_date: due - chrono::Days::new(30),
            due_date: Some(due),
            amount: Money::new(250_000, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    }
}

/// Relances › every row › "Télécharger": the two letters due are saved and recorded.
async fn download_the_two_letters(app: &App) {
    app.click("[data-nav=reminders]").await;
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("2 facture")
    })
    .await;
    app.click("[data-testid=select-all]").await;
    app.click("[data-testid=download-letters]").await;
    app.text_until("[data-testid=notice]", |t| {
        t.contains("lettres enregistrées")
    })
    .await;
}

#[tokio::test]
async fn letters_downloaded_from_the_relances_screen_are_zipped_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("letters.sqlite");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        two_clients_with_a_formal_notice_due(&core, today);
    }
    let app = launch_with(&ledger, &[("ENCAISSE_SAVE_TO", out.as_path())]).await;
    download_the_two_letters(&app).await;
    let zip_path = out.join(format!("relances-{}.zip", encaisse::dates::iso(today)));
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.contains("mise-en-demeure") && n.ends_with(".pdf")),
        "{names:?}"
    );
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let page = core.follow_up(today, &Default::default()).unwrap();
    assert!(
        page.rows.iter().all(|r| r.last_step == 5),
        "both moved to the formal notice"
    );
    // In the client file: the formal notice's tracking number, and a score
    // set by hand.
    app.click("[data-nav=clients]").await;
    app.click("[data-testid=client-name]").await;
    app.wait("[data-testid=lrar-number]").await;
    // The formal notice's tracking number and a score set by hand.
    app.set_value("[data-testid=lrar-number]", "1A 123 456 7890 1")
        .await;
    app.click("[data-testid=lrar-save]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Enregistré"))
        .await;
    app.set_value("[data-testid=score-input]", "35").await;
    app.js_click("[data-testid=score-save]").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let l1 = core.client_by_code("L1").unwrap().id;
        let number = core
            .timeline(l1, today)
            .unwrap()
            .into_iter()
            .find_map(|e| e.registered)
            .map(|r| r.number);
        let manual = core.reliability(l1, today).unwrap().manual;
        if number.as_deref() == Some("1A 123 456 7890 1")
            && manual.as_ref().map(|m| m.0) == Some(35)
        {
            break;
        }
        assert!(Instant::now() < deadline, "{number:?} {manual:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.close().await;
}

#[tokio::test]
async fn reminders_sent_by_email_from_the_relances_screen_reach_the_server_and_move_up() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("emails.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        core.set_company(&encaisse::demo::company()).unwrap();
        for (code, name) in [("E1", "Epsilon SAS"), ("Z2", "Zêta & Cie")] {
            let mut c = encaisse::model::Client::new(code, name);
            c.email = format!("compta@{}.fr", code.to_lowercase());
            let id = core.upsert_client(&c).unwrap();
            // 10 days late: the statement, by e-mail, is due.
            let due = today - chrono::Days::new(10);
            core.add_invoice(&NewInvoice {
                client_id: id,
                number: format!("F-{code}"),
                issue_date: due - chrono::Days::new(30),
                due_date: Some(due),
                amount: Money::new(90_000, Currency::EUR),
                label: String::new(),
            })
            .unwrap();
        }
        core.set_smtp_settings(&encaisse::demo::local_smtp(sink.port()))
            .unwrap();
    }
    let app = launch(&ledger).await;
    app.click("[data-nav=reminders]").await;
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("2 facture")
    })
    .await;
    app.click("[data-testid=select-all]").await;
    app.click("[data-testid=send-emails]").await;
    // The preview is a modal dialog: focus goes into it and stays there
    // (Tab cycles inside), Escape closes it and gives focus back.
    app.text_until("[data-testid=email-summary]", |t| !t.is_empty())
        .await;
    let focus_inside = || async {
        app.client
            .execute(
                "return !!document.activeElement.closest('[data-testid=email-dialog]')",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap()
    };
    assert!(focus_inside().await, "focus moves into the dialog");
    for _ in 0..12 {
        let focused = app.client.active_element().await.unwrap();
        focused.send_keys(&Key::Tab.to_string()).await.unwrap();
        assert!(focus_inside().await, "Tab stays inside the dialog");
    }
    let focused = app.client.active_element().await.unwrap();
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    // Escape closes the dialog.
    app.gone("[data-testid=email-dialog]").await;
    let back: serde_json::Value = app
        .client
        .execute("return document.activeElement.dataset.testid || ''", vec![])
        .await
        .unwrap();
    assert_eq!(back, "send-emails", "focus goes back to what opened it");
    assert!(sink.messages().is_empty());
    app.click("[data-testid=send-emails]").await;
    // The preview before anything is sent.
    let summary = app
        .text_until("[data-testid=email-summary]", |t| !t.is_empty())
        .await;
    assert_eq!(summary, "2 e-mails à 2 clients");
    let previews = app
        .client
        .find_all(Locator::Css("[data-testid=email-preview]"))
        .await
        .unwrap();
    assert_eq!(previews.len(), 2);
    assert!(
        sink.messages().is_empty(),
        "nothing leaves before the user confirms"
    );
    app.click("[data-testid=email-confirm]").await;
    let notice = app
        .text_until("[data-testid=notice]", |t| t.contains("accepté"))
        .await;
    assert!(notice.starts_with("2 e-mails acceptés"), "{notice}");
    let got = sink.wait_for(2, Duration::from_secs(10));
    let mut to: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["compta@e1.fr", "compta@z2.fr"]);
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let page = core.follow_up(today, &Default::default()).unwrap();
    assert!(
        page.rows.iter().all(|r| r.last_step == 1),
        "both invoices reached the statement level"
    );
    // The outbox shows both as sent.
    app.click("[data-nav=outbox]").await;
    app.text_until("[data-testid=outbox-table]", |t| t.contains("Envoyé"))
        .await;
    let states: serde_json::Value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=outbox-row]')].map(e => e.dataset.state)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(states, serde_json::json!(["sent", "sent"]));
    app.close().await;
}

#[tokio::test]
async fn the_litigation_file_the_hand_over_the_integrity_check_and_a_backup_restored_from_the_window(
) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("proof.sqlite");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let earlier = dir.path().join("avant.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let mut core = encaisse::Ledger::open(&ledger).unwrap();
        two_clients_with_a_formal_notice_due(&core, today);
        // The formal notices went out: recorded with their PDF.
        let work = core.work_list(today).unwrap();
        let letters = core.letters(&work.rows, today).unwrap();
        let (_, entries) = encaisse::documents::letters_zip(&letters).unwrap();
        for (letter, entry) in letters.iter().zip(&entries) {
            core.record_document(&letter.facts, today, entry).unwrap();
        }
        core.backup_to(&earlier, &|_, _| {}).unwrap();
    }
    let app = launch_with(
        &ledger,
        &[
            ("ENCAISSE_SAVE_TO", out.as_path()),
            ("ENCAISSE_RESTORE_FROM", earlier.as_path()),
        ],
    )
    .await;
    // Fiche client › Dossier contentieux.
    app.click("[data-nav=clients]").await;
    app.click("[data-testid=client-name]").await;
    app.click("[data-testid=dossier]").await;
    app.text_until("[data-testid=notice]", |t| {
        t.contains("Dossier contentieux enregistré")
    })
    .await;
    let zip_path = out.join(format!(
        "dossier-contentieux-l1-{}.zip",
        encaisse::dates::iso(today)
    ));
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    assert!(names.iter().any(|n| n == "01-synthese.pdf"), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("relances/") && n.ends_with(".pdf")),
        "the formal notice as sent: {names:?}"
    );
    // Transmettre au recouvrement: the client leaves the work list.
    app.set_value("[data-testid=handover-agency]", "Recouvra SAS")
        .await;
    app.set_value("[data-testid=handover-fees]", "15 % HT")
        .await;
    app.click("[data-testid=handover-submit]").await;
    app.text_until("[data-testid=handovers]", |t| t.contains("Recouvra SAS"))
        .await;
    app.shot("client-collection").await;
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let l1 = core.client_by_code("L1").unwrap().id;
        let later = today + chrono::Days::new(30);
        let clients: Vec<i64> = core
            .work_list(later)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.client_id)
            .collect();
        assert!(!clients.contains(&l1), "handed over: no more reminders");
        assert_eq!(
            core.handovers(Some(l1), today).unwrap()[0].fee_terms,
            "15 % HT"
        );
    }
    // The dashboard shows what is in collection.
    app.click("[data-nav=dashboard]").await;
    app.text_until("[data-testid=kpi-in-collection]", |t| t == euros(250_000))
        .await;
    // Paramètres › Sauvegarde et preuve.
    app.click("[data-nav=settings]").await;
    app.click("[data-tab=backup]").await;
    app.click("[data-testid=verify-ledger]").await;
    app.text_until("[data-testid=verify-result]", |t| {
        t.contains("Grand livre intègre : 3 entrées")
    })
    .await;
    app.shot("settings-backup").await;
    // The evidence log's entries, each with its amount and document.
    let amounts: serde_json::Value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=evidence] tbody tr')]
                 .map(r => [r.children[4].innerText, r.children[6].innerText]);",
            vec![],
        )
        .await
        .unwrap();
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let mut log = core.evidence(None).unwrap();
    log.reverse();
    let want: Vec<serde_json::Value> = log
        .iter()
        .map(|e| {
            let sha = e.document_sha256.clone().unwrap_or_default();
            serde_json::json!([
                euros(e.amount_cents.unwrap()),
                sha.chars().take(12).collect::<String>()
            ])
        })
        .collect();
    let shown: Vec<serde_json::Value> = amounts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!([
                r[0].as_str().unwrap().replace('\u{a0}', " "),
                r[1].as_str().unwrap()
            ])
        })
        .collect();
    assert_eq!(shown, want);
    app.click("[data-testid=backup-now]").await;
    app.text_until("[data-testid=notice]", |t| {
        t.contains("Sauvegarde vérifiée")
    })
    .await;
    let saved = out.join(format!(
        "encaisse-sauvegarde-{}.sqlite",
        encaisse::dates::iso(today)
    ));
    let info = encaisse::backup::check_backup(&saved).unwrap();
    assert_eq!((info.clients, info.evidence_entries), (2, 3));
    // Restaurer: asks first, in an alert dialog that Escape answers "no".
    let entries = || {
        encaisse::Ledger::open(&ledger)
            .unwrap()
            .evidence(None)
            .unwrap()
            .len()
    };
    let before = entries();
    app.click("[data-testid=backup-restore]").await;
    let asked: serde_json::Value = app
        .client
        .execute(
            "const d = document.querySelector('[data-testid=restore-confirm]');
             return [d.getAttribute('role'), d.contains(document.activeElement)];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(asked, serde_json::json!(["alertdialog", true]));
    app.shot("restore-confirm").await;
    let focused = app.client.active_element().await.unwrap();
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    // Escape closes the question.
    app.gone("[data-testid=restore-confirm]").await;
    assert_eq!(entries(), before, "Escape restored nothing");
    // Asked again and answered: the ledger comes back as it was.
    app.click("[data-testid=backup-restore]").await;
    app.click("[data-testid=restore-go]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Restauré depuis"))
        .await;
    let core = encaisse::Ledger::open(&ledger).unwrap();
    assert!(
        core.handovers(None, today).unwrap().is_empty(),
        "back to before the hand-over"
    );
    assert_eq!(core.evidence(None).unwrap().len(), 2);
    assert!(core.integrity_check().unwrap().is_empty());
    // The day's automatic backup was made while the window ran.
    let daily = dir
        .path()
        .join("sauvegardes")
        .join(encaisse::backup::daily_name(today));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !daily.exists() {
        assert!(
            Instant::now() < deadline,
            "no automatic backup in {}",
            daily.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(encaisse::backup::check_backup(&daily).unwrap().clients, 2);
    app.close().await;
}

#[tokio::test]
async fn two_years_of_books_reconcile_their_openings_and_relances_warns_on_stale_data() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("books.sqlite");
    let files = encaisse::synthetic::books(&encaisse::synthetic::BooksSpec {
        seed: 5,
        clients: 4,
        first_year: 2024,
        years: 2,
        invoices_per_year: 30,
        detailed_openings: false,
        mid_year_files: false,
    });
    let first = dir.path().join(&files[0].name);
    let second = dir.path().join(&files[1].name);
    std::fs::write(&first, &files[0].text).unwrap();
    // The second year's first opening is 50,00 € off the first year's books.
    std::fs::write(
        &second,
        encaisse::synthetic::shift_first_opening(&files[1].text, 50_00),
    )
    .unwrap();
    let app = launch(&ledger).await;
    app.click("[data-nav=import]").await;
    for (n, file) in [&first, &second].into_iter().enumerate() {
        app.click("[data-testid=kind-fec]").await;
        app.set_value("[data-testid=import-path]", file.to_str().unwrap())
            .await;
        app.click("[data-testid=import-analyze]").await;
        app.wait("[data-testid=import-commit]").await;
        if n == 1 {
            // The reconciliation: carried customers, and the one that differs.
            let table = app
                .text_until("[data-testid=openings]", |t| t.contains("50,00"))
                .await;
            assert!(table.contains("Rapprochés"), "{table}");
            app.shot("import-openings").await;
            app.set_value("[data-testid=opening-choice]", "replace")
                .await;
        }
        app.click("[data-testid=import-commit]").await;
        let changes = app
            .text_until("[data-testid=import-changes]", |t| !t.is_empty())
            .await;
        assert!(changes.contains("Encours après"), "{changes}");
        if n == 1 {
            let carried = app
                .text_until("[data-testid=carried-forward]", |t| !t.is_empty())
                .await;
            assert!(carried.parse::<u32>().unwrap() >= 3, "{carried}");
            app.shot("import-changes").await;
        }
        app.click("[data-testid=import-done] button").await;
    }
    // The history keeps both imports.
    let history = app
        .text_until("[data-testid=import-history]", |t| {
            t.contains(&files[1].name)
        })
        .await;
    assert!(history.contains(&files[0].name), "{history}");
    app.shot("import-history").await;
    // The ledger's balances are the newest books', the difference taken as the opening.
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let want: i64 = files[1].balances.values().sum::<i64>() + 50_00;
    let got: i64 = core
        .clients(chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(), None)
        .unwrap()
        .iter()
        .flat_map(|c| c.balance.iter().map(|m| m.cents))
        .sum();
    assert_eq!(got, want);
    // The books stop at the end of 2025, long before today: Relances says
    // so and waits for the user's word.
    let runs_to = core.data_runs_to().unwrap().expect("the last entry date");
    assert_eq!(runs_to.format("%Y").to_string(), "2025");
    let day = encaisse::dates::format_fr(runs_to);
    app.click("[data-nav=reminders]").await;
    let warning = app
        .text_until("[data-testid=freshness-warning]", |t| !t.is_empty())
        .await;
    assert!(
        warning.contains(&format!("Vos paiements connus s'arrêtent au {day}")),
        "{warning}"
    );
    app.click("[data-testid=reminder-row]:nth-child(1) input[type=checkbox]")
        .await;
    app.click("[data-testid=record-done]").await;
    let error = app
        .text_until("[data-testid=error]", |t| !t.is_empty())
        .await;
    assert!(error.contains("importez vos écritures récentes"), "{error}");
    app.shot("relances-stale").await;
    let recorded = || -> i64 {
        rusqlite::Connection::open(&ledger)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM reminder", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        recorded(),
        0,
        "nothing recorded on stale data without the user's word"
    );
    // Once the user says so, the session goes ahead.
    app.click("[data-testid=stale-ok]").await;
    app.click("[data-testid=record-done]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("enregistrée"))
        .await;
    assert!(recorded() > 0);
    app.click("[data-nav=dashboard]").await;
    let shown = app
        .text_until("[data-testid=runs-to]", |t| !t.is_empty())
        .await;
    assert_eq!(shown, format!("Données jusqu’au {day}"));
    app.close().await;
}

#[tokio::test]
async fn a_ledger_that_no_longer_opens_is_restored_from_the_window_and_its_queued_emails_wait() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let sink = smtp_sink::SmtpSink::start(smtp_sink::Options::default());
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("abime.sqlite");
    let backup = dir.path().join("sauvegarde.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let mut core = encaisse::Ledger::open(&ledger).unwrap();
        core.set_company(&encaisse::demo::company()).unwrap();
        let settings = encaisse::demo::local_smtp(sink.port());
        core.set_smtp_settings(&settings).unwrap();
        let mut invoices = Vec::new();
        for (code, name) in [("E1", "Epsilon SAS"), ("Z2", "Zêta & Cie")] {
            let mut c = encaisse::model::Client::new(code, name);
            c.email = format!("compta@{}.fr", code.to_lowercase());
            let id = core.upsert_client(&c).unwrap();
            let due = today - chrono::Days::new(10);
            invoices.push(
                core.add_invoice(&NewInvoice {
                    client_id: id,
                    number: format!("F-{code}"),
                    issue_date: due - chrono::Days::new(30),
                    due_date: Some(due),
                    amount: Money::new(90_000, Currency::EUR),
                    label: String::new(),
                })
                .unwrap(),
            );
        }
        // Two messages wait in the outbox when the backup is taken.
        let emails = core.emails_for_invoices(&invoices, today).unwrap();
        let from = encaisse::mail::Identity::of(&settings);
        let queued = core
            .queue_emails(&emails, &from, chrono::Utc::now())
            .unwrap();
        assert_eq!(queued.queued.len(), 2);
        core.backup_to(&backup, &|_, _| {}).unwrap();
    }
    // Then the ledger is damaged beyond opening.
    std::fs::write(&ledger, vec![0x5a; 16_384]).unwrap();
    let app = launch_with(&ledger, &[("ENCAISSE_RESTORE_FROM", backup.as_path())]).await;
    app.text_until("[data-testid=fatal]", |t| !t.is_empty())
        .await;
    app.shot("fatal-restore").await;
    app.click("[data-testid=fatal-restore]").await;
    let notice = app
        .text_until("[data-testid=notice]", |t| t.contains("Restauré"))
        .await;
    assert!(notice.contains("avant-restauration"), "{notice}");
    // The restored messages wait for the user: "Envoyer maintenant" sends none.
    app.click("[data-nav=outbox]").await;
    app.text_until("[data-testid=outbox-held]", |t| t.contains("2 e-mail"))
        .await;
    app.click("[data-testid=outbox-send-now]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Aucun e-mail"))
        .await;
    assert!(sink.messages().is_empty(), "a restore never causes a send");
    app.shot("outbox-held").await;
    // The user sends one of them: it goes.
    app.click("[data-testid=outbox-send]").await;
    app.text_until("[data-testid=notice]", |t| t.contains("Décision"))
        .await;
    app.click("[data-testid=outbox-send-now]").await;
    app.text_until("[data-testid=notice]", |t| t.starts_with("1 e-mail"))
        .await;
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).len(), 1);
    app.close().await;
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("avant-restauration")
        })
        .expect("the damaged file is kept");
    assert_eq!(std::fs::read(kept.path()).unwrap(), vec![0x5a; 16_384]);
}

#[tokio::test]
async fn no_letter_leaves_without_the_company_s_legal_mentions_and_the_window_leads_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("sans-entreprise.sqlite");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        two_clients_with_a_formal_notice_due(&core, today);
        // As after a first import: nothing said about the company yet.
        core.set_company(&Default::default()).unwrap();
    }
    let app = launch_with(&ledger, &[("ENCAISSE_SAVE_TO", out.as_path())]).await;
    // The first screen says what is missing before any session.
    let card = app
        .text_until("[data-testid=company-missing]", |t| t.contains("SIREN"))
        .await;
    assert!(
        card.contains("raison sociale") && card.contains("IBAN"),
        "{card}"
    );
    app.shot("first-launch-company").await;
    app.click("[data-nav=reminders]").await;
    app.text_until("[data-testid=reminder-count]", |t| {
        t.starts_with("2 facture")
    })
    .await;
    app.click("[data-testid=select-all]").await;
    app.click("[data-testid=download-letters]").await;
    let error = app
        .text_until("[data-testid=error]", |t| t.contains("mentions manquantes"))
        .await;
    for field in [
        "raison sociale",
        "forme juridique",
        "SIREN",
        "ville du RCS",
        "adresse du siège",
    ] {
        assert!(error.contains(field), "{field}: {error}");
    }
    assert!(
        std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing produced"
    );
    // The message leads to Paramètres › Entreprise.
    app.click("[data-testid=complete-company]").await;
    app.text_until("[data-testid=company-form]", |t| {
        t.contains("Raison sociale")
    })
    .await;
    // Once the company is complete, the letters go.
    encaisse::Ledger::open(&ledger)
        .unwrap()
        .set_company(&encaisse::demo::company())
        .unwrap();
    download_the_two_letters(&app).await;
    app.close().await;
}

#[tokio::test]
async fn a_second_launch_on_the_same_ledger_brings_the_first_window_forward_instead_of_opening() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("un-seul.sqlite");
    let app = launch(&ledger).await;
    app.text_until("[data-nav=dashboard]", |t| !t.is_empty())
        .await;
    // A second launch, as a double-click would do.
    let mut second = std::process::Command::new(app_binary())
        .arg("--ledger")
        .arg(&ledger)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = second.kill();
            panic!("the second launch opened a window of its own");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    // The first window is still there and answers.
    app.click("[data-nav=clients]").await;
    // Another ledger opens a window of its own.
    let other = dir.path().join("autre.sqlite");
    let mut third = std::process::Command::new(app_binary())
        .arg("--ledger")
        .arg(&other)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        third.try_wait().unwrap().is_none(),
        "a window on the other ledger"
    );
    let _ = third.kill();
    let _ = third.wait();
    app.close().await;
}

/// Strings an attacker, a broken export or a careless paste could put in a
/// field.
const HOSTILE: &[&str] = &[
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=1\">",
    "<svg onload=\"window.__pwned=1\"></svg>",
    "javascript:window.__pwned=1",
    "\"><iframe src=javascript:window.__pwned=1>",
    "{{ 7*7 }} {% raw %}",
    "\u{202E}gnp.exe\u{202C} RTL",
    "Zé\u{200B}ro\u{200D}-largeur e\u{0301}\u{0301}\u{0301}",
    "=HYPERLINK(\"http://x\";\"clic\")",
    "+33 1 23 45 67 89",
    "-2+3",
    "@SUM(A1)",
    "../../../etc/passwd",
    "Nom\r\nBcc: victime@example.com",
    "NUL\0octet",
];

#[tokio::test]
async fn hostile_text_in_every_field_stays_text_on_every_screen() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hostile.sqlite");
    let today = chrono::Local::now().date_naive();
    let mut refused = 0;
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let mut company = encaisse::demo::company();
        company.legal_name = HOSTILE[1].into();
        company.signature_name = HOSTILE[0].into();
        core.set_company(&company).unwrap();
        let long_name = "Ω".repeat(10_000);
        for (i, text) in HOSTILE.iter().chain([&long_name.as_str()]).enumerate() {
            let mut c = encaisse::model::Client::new(&format!("H{i:02}"), text);
            c.contact = text.to_string();
            c.address = format!("1 rue {text}");
            c.postcode = "75002".into();
            c.city = text.chars().take(38).collect();
            c.notes = text.to_string();
            let Ok(id) = core.upsert_client(&c) else {
                // Control characters and over-long names are refused where
                // they enter: that is the expected outcome for them.
                refused += 1;
                continue;
            };
            let number: String = text.chars().take(60).collect();
            if core
                .add_invoice(&NewInvoice {
                    client_id: id,
                    number,
                    issue_date: today - chrono::Days::new(90),
                    due_date: Some(today - chrono::Days::new(60)),
                    amount: Money::new(10_000 + i as i64, Currency::EUR),
                    label: text.to_string(),
                })
                .is_err()
            {
                refused += 1;
            }
        }
        let hostile_template = format!(
            "Objet : {}\n\n{{{{ client.civilite }}}},\n\n{}\n\n[tableau des factures]\n",
            HOSTILE[0], HOSTILE[2]
        );
        core.set_template(
            "fr",
            "releve",
            encaisse::documents::Kind::Letter,
            &hostile_template,
        )
        .unwrap();
    }
    assert!(
        refused > 0,
        "the NUL and CRLF strings are refused at the door"
    );
    let app = launch(&ledger).await;
    let inert = || async {
        let found: serde_json::Value = app
            .client
            .execute(
                "const on = [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')));
                 return { pwned: window.__pwned === 1,
                          injected: document.querySelectorAll('main img, main iframe, main script, main object, main embed').length,
                          handlers: on.length,
                          overflow: Math.max(document.documentElement.scrollWidth - window.innerWidth,
                                             document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth) };",
                vec![],
            )
            .await
            .unwrap();
        found
    };
    let screens = [
        "dashboard",
        "reminders",
        "outbox",
        "clients",
        "invoices",
        "payments",
        "aging",
        "templates",
        "settings",
        "import",
        "about",
    ];
    for screen in screens {
        app.click(&format!("[data-nav={screen}]")).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let found = inert().await;
        assert_eq!(found["pwned"], false, "{screen}: a script ran");
        assert_eq!(
            found["injected"], 0,
            "{screen}: an element was created from data"
        );
        assert_eq!(
            found["handlers"], 0,
            "{screen}: an event handler was set from data"
        );
        assert!(
            found["overflow"].as_i64().unwrap_or(0) <= 1,
            "{screen}: the layout overflows the window: {found}"
        );
    }
    // A client file, the templates' preview.
    app.click("[data-nav=clients]").await;
    app.click("[data-testid=client-name]").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let found = inert().await;
    assert_eq!(
        (
            found["pwned"].clone(),
            found["injected"].clone(),
            found["handlers"].clone()
        ),
        (
            serde_json::json!(false),
            serde_json::json!(0),
            serde_json::json!(0)
        ),
        "client file"
    );
    app.shot("hostile-client").await;
    app.close().await;
}

/// Imports `file` (a CSV in the Encaisse layout) through the Import screen.
async fn import_csv(app: &App, file: &Path) {
    app.click("[data-nav=import]").await;
    app.click("[data-testid=kind-csv]").await;
    app.set_value("[data-testid=import-path]", file.to_str().unwrap())
        .await;
    app.click("[data-testid=import-analyze]").await;
    app.click("[data-testid=mapping-analyze]").await;
    app.click("[data-testid=import-commit]").await;
    app.text_until("[data-testid=import-result]", |t| !t.is_empty())
        .await;
}

#[tokio::test]
async fn two_dossiers_created_imported_into_switched_and_read_on_the_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("premier.sqlite");
    let csv = |name: &str, amount: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("code_client;client;numero;date;echeance;montant_ttc\nC1;Client {name};F-{name};01/09/2026;01/10/2026;{amount}\n"),
        )
        .unwrap();
        path
    };
    let app = launch_with(&first, &[("XDG_DATA_HOME", data.as_path())]).await;
    // Two dossiers created from the window, each imported into.
    for (name, amount) in [
        ("Boulangerie Martin", "1 200,00"),
        ("Garage Durand", "3 400,00"),
    ] {
        app.click("[data-nav=portfolio]").await;
        app.set_value("[data-testid=dossier-name]", name).await;
        app.click("[data-testid=dossier-create]").await;
        app.text_until("[data-testid=notice]", |t| t.contains(name))
            .await;
        import_csv(&app, &csv(&format!("{}.csv", &name[..6]), amount)).await;
    }
    // The switcher lists both; choosing one works on it.
    let options = app
        .text_until("[data-testid=dossier-switcher]", |t| {
            t.contains("Garage Durand")
        })
        .await;
    assert!(options.contains("Boulangerie Martin"), "{options}");
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=dossier-switcher]'); s.value = 'Boulangerie Martin'; s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    app.text_until("[data-testid=notice]", |t| t.contains("Boulangerie Martin"))
        .await;
    // The portfolio reads each one's figures.
    app.click("[data-nav=portfolio]").await;
    let table = app
        .text_until("[data-testid=portfolio-table]", |t| {
            t.contains("Garage Durand") && t.contains("Boulangerie Martin")
        })
        .await;
    assert!(table.contains(&euros(120_000)), "{table}");
    assert!(table.contains(&euros(340_000)), "{table}");
    let total = app
        .text_until("[data-testid=portfolio-total]", |t| !t.is_empty())
        .await;
    assert_eq!(total, euros(460_000));
    app.shot("portfolio").await;
    // Each dossier kept its own ledger.
    let registry =
        encaisse::dossiers::Registry::load(&data.join("encaisse/dossiers.json")).unwrap();
    assert_eq!(registry.dossiers.len(), 2);
    assert_eq!(registry.last.as_deref(), Some("Boulangerie Martin"));
    for d in &registry.dossiers {
        let ledger = encaisse::Ledger::open(&d.path).unwrap();
        assert_eq!(
            ledger.invoices(&Default::default()).unwrap().rows.len(),
            1,
            "{}",
            d.name
        );
    }
    app.close().await;
}

#[tokio::test]
async fn bank_statements_are_imported_the_sure_matches_confirmed_and_the_work_list_shrinks() {
    use encaisse::ledger::NewInvoice;
    use encaisse::money::{Currency, Money};
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("bank.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        core.set_company(&encaisse::demo::company()).unwrap();
        for (code, name, number, cents) in [
            ("BOUL01", "Boulangerie Martin", "F-2026-0101", 120_000),
            ("GAR01", "Garage Dupont et Fils", "F-2026-0201", 84_550),
            ("LEROUX01", "Épicerie Fine Leroux", "F-2026-0301", 100_000),
        ] {
            let mut c = encaisse::model::Client::new(code, name);
            c.address = "1 rue de la Paix".into();
            c.postcode = "75002".into();
            c.city = "Paris".into();
            let id = core.upsert_client(&c).unwrap();
            core.add_invoice(&NewInvoice {
                client_id: id,
                number: number.into(),
                issue_date: today - chrono::Days::new(60),
                due_date: Some(today - chrono::Days::new(30)),
                amount: Money::new(cents, Currency::EUR),
                label: String::new(),
            })
            .unwrap();
        }
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bank");
    let paths = [
        fixtures.join("camt053-v02.xml"),
        fixtures.join("camt053-v08.xml"),
    ]
    .map(|p| p.display().to_string())
    .join("\n");
    let app = launch(&ledger).await;
    app.click("[data-nav=reminders]").await;
    let before = encaisse::Ledger::open(&ledger)
        .unwrap()
        .work_list(today)
        .unwrap()
        .rows
        .len();
    app.click("[data-nav=import]").await;
    app.set_value("[data-testid=bank-paths]", &paths).await;
    let files = app
        .text_until("[data-testid=bank-files]", |t| {
            t.contains("camt053-v08.xml")
        })
        .await;
    assert!(
        files.contains("1 virement reçu ajouté, 1 déjà connu"),
        "{files}"
    );
    let button = app
        .text_until("[data-testid=bank-confirm-sure]", |t| {
            t.contains("Tout valider")
        })
        .await;
    assert_eq!(
        button.replace(['\u{202f}', '\u{a0}'], " "),
        "Tout valider : 2 paiements, 2 045,50 €"
    );
    let lines = app
        .text_until("[data-testid=bank-lines]", |t| t.contains("sûr"))
        .await;
    assert!(
        lines.contains("facture F-2026-0101 dans le libellé, montant exact"),
        "{lines}"
    );
    app.shot("bank-pending").await;
    app.click("[data-testid=bank-confirm-sure]").await;
    let done = app
        .text_until("[data-testid=bank-done]", |t| !t.is_empty())
        .await;
    assert!(done.starts_with("2 paiements enregistrés"), "{done}");
    app.shot("bank-confirmed").await;
    // The invoices are paid and leave the work list.
    let core = encaisse::Ledger::open(&ledger).unwrap();
    for number in ["F-2026-0101", "F-2026-0201"] {
        let id = core.invoice_by_number(number).unwrap().id;
        assert_eq!(core.invoice(id).unwrap().open_cents, 0, "{number}");
    }
    assert_eq!(
        core.work_list(today).unwrap().rows.len(),
        before - 2,
        "the work list shrinks"
    );
    // The Leroux transfer names the client but fits no amount: assigned by
    // hand to the invoice it pays.
    answered(
        "assign",
        app.client.execute(
            "[...document.querySelectorAll('[data-testid=bank-line]')].find((r) => r.textContent.includes('LEROUX01')).querySelector('[data-testid=bank-assign]').click();",
            vec![],
        ),
    )
    .await
    .unwrap();
    let invoice = "[data-testid=bank-assign-invoice][data-number='F-2026-0301']";
    app.wait(invoice).await;
    app.click(invoice).await;
    app.shot("bank-assign").await;
    app.click("[data-testid=bank-assign-confirm]").await;
    app.text_until("[data-testid=bank-lines]", |t| !t.contains("LEROUX01"))
        .await;
    let id = core.invoice_by_number("F-2026-0301").unwrap().id;
    assert_eq!(
        core.invoice(id).unwrap().open_cents,
        0,
        "paid by the transfer assigned by hand"
    );
    assert_eq!(core.work_list(today).unwrap().rows.len(), before - 3);
    app.close().await;
}

#[tokio::test]
async fn an_e_invoice_is_imported_from_the_window_with_its_new_client() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("einvoice.sqlite");
    {
        let core = encaisse::Ledger::open(&ledger).unwrap();
        let mut company = encaisse::demo::company();
        company.siren = "999999998".into();
        core.set_company(&company).unwrap();
    }
    let ubl =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/einvoice/ubl-21-en16931.xml");
    let app = launch(&ledger).await;
    app.click("[data-nav=import]").await;
    app.set_value("[data-testid=einvoice-paths]", &ubl.display().to_string())
        .await;
    let said = app
        .text_until("[data-testid=einvoice-done]", |t| t.contains("F124212"))
        .await;
    assert!(said.contains("Ma jolie boutique SARL"), "{said}");
    assert!(
        said.contains("importée (nouveau client MAJOLIEBOU)"),
        "{said}"
    );
    app.shot("einvoice-imported").await;
    // Once more: nothing changes.
    app.set_value(
        "[data-testid=einvoice-paths]",
        &format!("{}\n", ubl.display()),
    )
    .await;
    app.text_until("[data-testid=einvoice-done]", |t| {
        t.contains("déjà importée")
    })
    .await;
    let core = encaisse::Ledger::open(&ledger).unwrap();
    let invoice = core.invoice_by_number("F124212").unwrap();
    assert_eq!(invoice.open_cents, 20_803);
    assert_eq!(core.invoice_documents(invoice.id).unwrap().len(), 1);
    app.close().await;
}

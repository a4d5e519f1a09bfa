//! The Factures screen at 5 000 clients / 100 000 invoices, in the real
//! window: how long the list takes to show its first rows, how long a jump
//! anywhere in the list takes to be drawn (a page fetched from the core
//! included), how long a scroll of one screen takes to be drawn, and how many
//! rows exist in the page meanwhile (the virtual list keeps only what shows).
//!
//! Release build, under Xvfb:
//!
//! ```text
//! npm --prefix ui run build && cargo build --release -p encaisse-app
//! xvfb-run -a -s "-screen 0 1280x800x24" cargo bench -p encaisse-e2e --bench list
//! ```
//!
//! `ENCAISSE_APP` names another binary; `ENCAISSE_BENCH_SCALE=10` runs on a
//! tenth of the data.

use std::time::{Duration, Instant};

use encaisse_e2e::{answered, launch, leading_count, workspace};

/// Height of a row of the list, in pixels (`ROW` in `Invoices.svelte`).
const ROW: u64 = 34;

/// Starts the clock, scrolls the list so that the row at `index` is at the
/// top (when asked), and watches each frame for that row to be drawn with
/// its data; `window.__drawn` then holds the milliseconds it took.
const WATCH: &str = "
    const [index, row, scroll] = arguments;
    const top = index * row + 'px';
    window.__t0 = performance.now();
    window.__drawn = -1;
    const check = () => {
        for (const r of document.querySelectorAll('[data-testid=invoice-rows] [role=row]')) {
            if (r.style.top === top && r.querySelector('input')) {
                window.__drawn = performance.now() - window.__t0;
                return;
            }
        }
        if (performance.now() - window.__t0 < 20000) requestAnimationFrame(check);
    };
    if (scroll) document.querySelector('[data-testid=invoice-rows]').scrollTop = index * row;
    requestAnimationFrame(check);";

async fn watch(app: &encaisse_e2e::App, index: u64, scroll: bool) {
    answered(
        "watch",
        app.client
            .execute(WATCH, vec![index.into(), ROW.into(), scroll.into()]),
    )
    .await
    .unwrap();
}

/// Waits for the watched row; the time the page measured, to the frame.
async fn drawn(app: &encaisse_e2e::App, index: u64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ms = answered(
            "row drawn",
            app.client.execute("return window.__drawn;", vec![]),
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(-1.0);
        if ms >= 0.0 {
            return ms;
        }
        assert!(Instant::now() < deadline, "row {index} was never drawn");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Median and worst of the runs, judged on the median: the machine is
/// shared, and one late frame is not what a user feels.
fn summary(what: &str, mut ms: Vec<f64>, target: f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let median = ms[ms.len() / 2];
    let worst = ms[ms.len() - 1];
    println!(
        "{what}: median {median:.0} ms (target < {target:.0} ms{}), worst {worst:.0} ms, {} runs",
        if median < target {
            ", met"
        } else {
            ", NOT MET"
        },
        ms.len()
    );
}

#[tokio::main]
async fn main() {
    if std::env::var_os("ENCAISSE_APP").is_none() {
        std::env::set_var("ENCAISSE_APP", workspace().join("target/release/encaisse"));
    }
    let scale: usize = std::env::var("ENCAISSE_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liste.sqlite");
    let today = chrono::Local::now().date_naive();
    {
        let mut ledger = encaisse::Ledger::open(&path).unwrap();
        encaisse::demo::populate_scale(&mut ledger, 5_000 / scale, 100_000 / scale, today).unwrap();
    }
    let app = launch(&path).await;
    app.wait("[data-nav=invoices]").await;
    // What one frame of this window takes here (software drawing under Xvfb):
    // no row can be drawn faster.
    let frame = app
        .client
        .execute_async(
            "const done = arguments[0]; const t = [];
             const tick = (now) => { t.push(now); if (t.length < 31) requestAnimationFrame(tick);
                 else done((t[30] - t[0]) / 30); };
             requestAnimationFrame(tick);",
            vec![],
        )
        .await
        .unwrap();
    println!("one frame of the window: {:.0} ms", frame.as_f64().unwrap());

    // The screen as it opens: the first row drawn.
    watch(&app, 0, false).await;
    app.click("[data-nav=invoices]").await;
    let open = drawn(&app, 0).await;
    let count = app
        .text_until("[data-testid=invoice-count]", |t| !t.is_empty())
        .await;
    let total = leading_count(&count);
    println!("Factures: {count}");
    println!("list shown (first row drawn after the click): {open:.0} ms");

    // Jumps: each to a part of the list not yet fetched.
    let mut jumps = Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = seed % (total - 40);
        watch(&app, index, true).await;
        jumps.push(drawn(&app, index).await);
    }
    summary("jump anywhere, drawn with its data", jumps, 250.0);

    // Scrolling on, one screen at a time (a page of 200 rows is fetched
    // from the core every 12 screens or so).
    let screen = 16;
    let mut steps = Vec::new();
    let start = total / 2;
    for k in 0..30 {
        let index = start + k * screen;
        watch(&app, index, true).await;
        steps.push(drawn(&app, index).await);
    }
    summary("scroll by one screen, drawn", steps, 100.0);

    let rows = app
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=invoice-rows] [role=row]').length",
            vec![],
        )
        .await
        .unwrap();
    println!("rows in the page while {total} are listed: {rows}");
    app.close().await;
}

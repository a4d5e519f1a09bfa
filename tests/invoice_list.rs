//! The invoice list gives, for every filter, sort and page, what the SQL it
//! replaced gave: that query is kept here as the reference.

use encaisse::ledger::{InvoiceFilter, NewInvoice};
use encaisse::model::Client;
use encaisse::money::{Currency, Money};
use encaisse::Ledger;

use crate::common::*;

/// The open amount of every invoice, joined to its client: the SQL of the
/// list before it was computed in memory.
const REFERENCE_OPEN_SQL: &str = "
    SELECT i.id, i.client_id, c.code, c.name, i.number, i.kind, i.issue_date, i.due_date,
           i.amount, i.amount - COALESCE(ai.s, 0) + COALESCE(ao.s, 0) AS open, i.currency, i.label
    FROM invoice i
    JOIN client c ON c.id = i.client_id
    LEFT JOIN (SELECT invoice_id AS id, SUM(amount) AS s FROM allocation GROUP BY invoice_id) ai ON ai.id = i.id
    LEFT JOIN (SELECT credit_note_id AS id, SUM(amount) AS s FROM allocation WHERE credit_note_id IS NOT NULL GROUP BY credit_note_id) ao ON ao.id = i.id";

/// (ids of the page in order, count of all matches, open total per currency).
type Listed = (Vec<i64>, usize, Vec<(String, i64)>);

fn reference(conn: &rusqlite::Connection, filter: &InvoiceFilter) -> Listed {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(id) = filter.client_id {
        args.push(id.into());
        clauses.push(format!("client_id = ?{}", args.len()));
    }
    match filter.status.as_deref() {
        None => {}
        Some("open") => clauses.push("open > 0".into()),
        Some("paid") => clauses.push("open = 0".into()),
        Some("partly_paid") => clauses.push("open > 0 AND open < amount".into()),
        Some("credit") => clauses.push("open < 0".into()),
        Some(other) => panic!("status {other}"),
    }
    if let Some(d) = filter.due_from {
        args.push(d.to_string().into());
        clauses.push(format!("due_date >= ?{}", args.len()));
    }
    if let Some(d) = filter.due_to {
        args.push(d.to_string().into());
        clauses.push(format!("due_date <= ?{}", args.len()));
    }
    if let Some(s) = filter.search.as_deref() {
        let pattern = format!(
            "%{}%",
            s.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        args.push(pattern.into());
        let n = args.len();
        clauses.push(format!("(number LIKE ?{n} ESCAPE '\\' OR name LIKE ?{n} ESCAPE '\\' OR code LIKE ?{n} ESCAPE '\\')"));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sort = filter.sort.as_deref().unwrap_or("due_date");
    let (key, direction) = match sort.strip_prefix('-') {
        Some(key) => (key, "DESC"),
        None => (sort, "ASC"),
    };
    let column = match key {
        "client" => "name COLLATE NOCASE",
        other => other,
    };
    let sql = format!(
        "SELECT id FROM ({REFERENCE_OPEN_SQL}) {where_sql} ORDER BY {column} {direction}, id LIMIT {} OFFSET {}",
        filter.limit.map(|l| l as i64).unwrap_or(-1),
        filter.offset
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let ids = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<Vec<i64>>>()
        .unwrap();
    let sql = format!(
        "SELECT currency, COUNT(*), SUM(open) FROM ({REFERENCE_OPEN_SQL}) {where_sql} GROUP BY currency ORDER BY currency"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut count = 0;
    let totals = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?, r.get(2)?))
        })
        .unwrap()
        .map(|t| {
            let (currency, n, sum) = t.unwrap();
            count += n as usize;
            (currency, sum)
        })
        .collect();
    (ids, count, totals)
}

fn listed(ledger: &Ledger, filter: &InvoiceFilter) -> Listed {
    let page = ledger.invoices(filter).unwrap();
    for row in &page.rows {
        assert_eq!(
            row.status,
            encaisse::model::InvoiceStatus::derive(row.amount_cents, row.open_cents)
        );
    }
    (
        page.rows.iter().map(|r| r.id).collect(),
        page.total_count,
        page.total_open
            .iter()
            .map(|m| (m.currency.as_str().to_string(), m.cents))
            .collect(),
    )
}

/// The demonstration ledger plus names and numbers that test the search:
/// accents, `%` and `_`, two clients of the same name in other cases, and
/// another currency.
fn ledger_at(path: &std::path::Path, today: encaisse::dates::Date) -> Ledger {
    let mut ledger = Ledger::open(path).unwrap();
    encaisse::demo::populate(&mut ledger, today).unwrap();
    let mut usd = Client::new("E_1", "Élan 100% Bio");
    usd.segment = "standard".into();
    let elan = ledger.upsert_client(&usd).unwrap();
    let twin = ledger
        .upsert_client(&Client::new("TW", "ÉLAN 100% BIO"))
        .unwrap();
    let lower = ledger
        .upsert_client(&Client::new("aa", "atelier dupont"))
        .unwrap();
    for (n, (client, number, cents, code)) in [
        (elan, "F%2026_01", 1_500_00, "USD"),
        (elan, "F_2026", 250_00, "EUR"),
        (twin, "Fx2026-01", 90_00, "USD"),
        (lower, "fa-2026-0001", 42_00, "EUR"),
        (twin, "AV-ELAN", -30_00, "EUR"),
    ]
    .into_iter()
    .enumerate()
    {
        ledger
            .add_invoice(&NewInvoice {
                client_id: client,
                number: number.into(),
                issue_date: today - chrono::Days::new(40 + n as u64),
                due_date: Some(today - chrono::Days::new(10 * n as u64)),
                amount: Money::new(cents, Currency::parse(code).unwrap()),
                label: String::new(),
            })
            .unwrap();
    }
    ledger
}

#[test]
fn every_filter_sort_and_page_lists_what_the_reference_query_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.sqlite");
    let today = date("2026-11-22");
    let ledger = ledger_at(&path, today);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let statuses = [
        None,
        Some("open"),
        Some("paid"),
        Some("partly_paid"),
        Some("credit"),
    ];
    let sorts = [
        None,
        Some("-due_date"),
        Some("issue_date"),
        Some("-issue_date"),
        Some("number"),
        Some("-number"),
        Some("client"),
        Some("-client"),
        Some("amount"),
        Some("-amount"),
        Some("open"),
        Some("-open"),
    ];
    let searches = [
        None,
        Some("fa-2026"),
        Some("élan"),
        Some("%"),
        Some("_"),
        Some("100% b"),
        Some("zzz"),
    ];
    let pages = [(0, None), (0, Some(25)), (7, Some(9)), (380, Some(30))];
    let mut checked = 0;
    for status in statuses {
        for sort in sorts {
            for search in searches {
                for (offset, limit) in pages {
                    let filter = InvoiceFilter {
                        status: status.map(str::to_string),
                        sort: sort.map(str::to_string),
                        search: search.map(str::to_string),
                        offset,
                        limit,
                        ..Default::default()
                    };
                    assert_eq!(
                        listed(&ledger, &filter),
                        reference(&conn, &filter),
                        "{filter:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    // Due-date ranges and one client's invoices.
    for (from, to) in [
        ("2026-01-01", "2026-06-30"),
        ("2026-11-12", "2026-11-12"),
        ("2027-01-01", "2027-12-31"),
    ] {
        for client_id in [None, Some(1), Some(3)] {
            let filter = InvoiceFilter {
                client_id,
                due_from: Some(date(from)),
                due_to: Some(date(to)),
                sort: Some("-open".into()),
                limit: Some(50),
                ..Default::default()
            };
            assert_eq!(
                listed(&ledger, &filter),
                reference(&conn, &filter),
                "{filter:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 1_000);
    let all = listed(&ledger, &InvoiceFilter::default());
    assert!(all.1 > 400, "the whole demonstration ledger is listed");
    assert_eq!(all.2.len(), 2, "euros and dollars totalled apart");
}

#[test]
fn a_page_of_thousands_of_rows_is_read_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sqlite");
    let today = date("2026-11-22");
    let mut ledger = Ledger::open(&path).unwrap();
    encaisse::demo::populate_scale(&mut ledger, 300, 6_000, today).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sort in ["-amount", "client", "number"] {
        let filter = InvoiceFilter {
            status: Some("open".into()),
            sort: Some(sort.into()),
            offset: 10,
            ..Default::default()
        };
        let got = listed(&ledger, &filter);
        assert!(got.0.len() > 2_000, "a page read in one scan");
        assert_eq!(got, reference(&conn, &filter), "{filter:?}");
        let page = ledger.invoices(&filter).unwrap();
        let first = &page.rows[0];
        let alone = ledger.invoice(first.id).unwrap();
        assert_eq!(
            (
                first.number.as_str(),
                first.client_name.as_str(),
                first.open_cents,
                first.due_date
            ),
            (
                alone.number.as_str(),
                alone.client_name.as_str(),
                alone.open_cents,
                alone.due_date
            ),
            "a row of the list is the invoice as shown alone"
        );
    }
}

#[test]
fn an_unknown_status_or_sort_is_refused_by_name() {
    let ledger = ledger();
    let bad_status = InvoiceFilter {
        status: Some("lost".into()),
        ..Default::default()
    };
    assert!(ledger
        .invoices(&bad_status)
        .unwrap_err()
        .to_string()
        .contains("lost"));
    let bad_sort = InvoiceFilter {
        sort: Some("-colour".into()),
        ..Default::default()
    };
    assert!(ledger
        .invoices(&bad_sort)
        .unwrap_err()
        .to_string()
        .contains("colour"));
}

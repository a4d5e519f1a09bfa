//! Malformed files: each gives a located error, and nothing is written.

use std::collections::HashMap;

use encaisse::import::{csv, fec, ImportIssue};
use encaisse::Error;

use crate::common::*;

const HEADER: &str = "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise";

fn fec_with(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for l in lines {
        text.push('\n');
        text.push_str(l);
    }
    text.into_bytes()
}

const GOOD: &str = "VT\tVentes\t1\t20260115\t411000\tClients\tC1\tClient Un\tFA1\t20260115\tFacture\t1200,00\t0,00\t\t\t20260115\t\t";

/// Parses, expects exactly one issue, and checks that committing writes nothing.
fn single_issue(bytes: &[u8]) -> ImportIssue {
    let plan = fec::parse("bad.txt", bytes);
    assert_eq!(plan.issues.len(), 1, "{:?}", plan.issues);
    let mut ledger = ledger();
    let before = counts(&ledger);
    let err = ledger
        .commit_import(&plan, &HashMap::new(), &mut |_, _| true)
        .unwrap_err();
    assert!(matches!(err, Error::Import(_)));
    assert_eq!(
        counts(&ledger),
        before,
        "nothing may be written when the file has errors"
    );
    plan.issues[0].clone()
}

#[test]
fn wrong_column_count_names_the_line() {
    let issue = single_issue(&fec_with(&[GOOD, "VT\tVentes\t2\t20260115\t411000"]));
    assert_eq!(issue.line, 3);
    assert!(
        issue.message.contains("5 colonnes au lieu de 18"),
        "{issue}"
    );
}

#[test]
fn bad_date_names_line_and_column() {
    let line = GOOD.replace("FA1\t20260115", "FA1\t20261332");
    let issue = single_issue(&fec_with(&[GOOD, &line.replace("FA1", "FA2")]));
    assert_eq!(
        (issue.line, issue.column.as_deref()),
        (3, Some("PieceDate"))
    );
    assert!(
        issue.to_string().starts_with("ligne 3, colonne PieceDate"),
        "{issue}"
    );
}

#[test]
fn bad_amount_names_line_and_column() {
    let issue = single_issue(&fec_with(&[&GOOD.replace("1200,00", "12O0,00")]));
    assert_eq!((issue.line, issue.column.as_deref()), (2, Some("Debit")));
    assert!(
        issue.message.contains("12O0,00"),
        "the faulty value is quoted: {issue}"
    );
}

#[test]
fn unknown_separator() {
    let issue = single_issue(b"JournalCode;JournalLib;EcritureNum\nVT;Ventes;1\n");
    assert!(issue.message.contains("séparateur"), "{issue}");
}

#[test]
fn empty_file_and_binary_file() {
    assert!(single_issue(b"").message.contains("vide"));
    assert!(single_issue(b"\xEF\xBB\xBF\r\n\r\n")
        .message
        .contains("vide"));
    let issue = single_issue(b"PK\x03\x04\x14\x00\x06\x00binary xlsx content");
    assert!(issue.message.contains("pas un fichier texte"), "{issue}");
    let issue = single_issue(&[0u8, 159, 146, 150, 0, 1, 2, 3]);
    assert!(issue.message.contains("pas un fichier texte"), "{issue}");
}

#[test]
fn a_file_that_is_not_a_fec_lists_the_missing_columns() {
    let issue = single_issue(b"Date\tMontant\n01/01/2026\t12,00\n");
    assert!(
        issue.message.contains("colonnes manquantes") && issue.message.contains("comptenum"),
        "{issue}"
    );
}

#[test]
fn every_error_of_a_file_is_reported_not_only_the_first() {
    let bad1 = GOOD.replace("1200,00", "abc").replace("FA1", "FA7");
    let bad2 = GOOD.replace("FA1\t20260115", "FA8\t2026-99-99");
    let plan = fec::parse("bad.txt", &fec_with(&[GOOD, &bad1, &bad2]));
    let lines: Vec<usize> = plan.issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, vec![3, 4]);
}

#[test]
fn csv_invoice_number_seen_twice_with_different_amounts() {
    let text =
        "numero;client;date;montant_ttc\nF1;Alpha;01/02/2026;100,00\nF1;Alpha;01/02/2026;120,00\n";
    let plan = csv::parse("dup.csv", text.as_bytes(), None);
    assert_eq!(plan.issues.len(), 1, "{:?}", plan.issues);
    assert_eq!(
        (plan.issues[0].line, plan.issues[0].column.as_deref()),
        (3, Some("numero"))
    );
    assert!(
        plan.issues[0].message.contains("ligne 2"),
        "it says where the first one is"
    );
}

#[test]
fn csv_number_already_in_the_ledger_with_another_amount_is_refused_whole() {
    let mut ledger = ledger();
    commit(
        &mut ledger,
        &csv::parse(
            "a.csv",
            b"numero;client;date;montant_ttc\nF1;Alpha;01/02/2026;100,00\n",
            None,
        ),
    );
    let before = counts(&ledger);
    let plan = csv::parse(
        "b.csv",
        b"numero;client;date;montant_ttc\nF2;Alpha;01/02/2026;50,00\nF1;Alpha;01/02/2026;999,00\n",
        None,
    );
    let err = ledger
        .commit_import(&plan, &HashMap::new(), &mut |_, _| true)
        .unwrap_err();
    let Error::Import(issues) = err else {
        panic!("expected an import error")
    };
    assert_eq!(issues[0].line, 3);
    assert_eq!(
        counts(&ledger),
        before,
        "F2 must not be written either: one transaction"
    );
}

#[test]
fn csv_wrong_column_count_bad_date_bad_amount_and_header_injection() {
    let text = "numero;client;date;montant_ttc;email\n\
                F1;Alpha;01/02/2026;100,00\n\
                F2;Alpha;31/02/2026;100,00;\n\
                F3;Alpha;01/02/2026;cent;\n\
                F4;Alpha;01/02/2026;10,00;\"a@b.fr\nBcc: x@evil.com\"\n";
    let plan = csv::parse("bad.csv", text.as_bytes(), None);
    let found: Vec<(usize, Option<&str>)> = plan
        .issues
        .iter()
        .map(|i| (i.line, i.column.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, None),
            (3, Some("date")),
            (4, Some("montant_ttc")),
            (5, Some("email"))
        ],
        "{:?}",
        plan.issues
    );
}

#[test]
fn csv_unknown_separator_and_missing_columns() {
    let plan = csv::parse("x.csv", b"just one column\nvalue\n", None);
    assert!(
        plan.issues[0].message.contains("séparateur"),
        "{:?}",
        plan.issues
    );
    let plan = csv::parse("x.csv", b"foo;bar\n1;2\n", None);
    assert!(
        plan.issues[0].message.contains("colonnes non associées"),
        "{:?}",
        plan.issues
    );
}

#[test]
fn only_a_regular_file_of_a_sane_size_is_read_for_an_import() {
    use encaisse::import::{open_chosen_file, read_chosen_file, MAX_FILE_BYTES};
    // Read whole (CSV, statements) or a part at a time (FEC): the same refusals.
    let refused = |path: &std::path::Path| {
        let read = read_chosen_file(path).expect_err("refused").to_string();
        let opened = open_chosen_file(path).expect_err("refused").to_string();
        assert_eq!(read, opened);
        read
    };
    let device = refused(std::path::Path::new("/dev/zero"));
    assert!(device.contains("pas un fichier ordinaire"), "{device}");
    let dir = tempfile::tempdir().unwrap();
    assert!(refused(dir.path()).contains("dossier"));
    assert!(refused(&dir.path().join("absent.txt")).contains("introuvable"));
    // A sparse file just past the limit: refused before anything is read.
    let big = dir.path().join("big.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_FILE_BYTES + 1)
        .unwrap();
    assert!(
        refused(&big).contains("trop volumineux"),
        "{}",
        refused(&big)
    );
    let fine = dir.path().join("FEC.txt");
    std::fs::write(&fine, b"JournalCode\n").unwrap();
    assert_eq!(
        read_chosen_file(&fine).unwrap(),
        ("FEC.txt".to_string(), b"JournalCode\n".to_vec())
    );
}

#[test]
fn a_hundred_thousand_bad_lines_give_a_capped_list_that_says_how_many_more() {
    use encaisse::import::csv;
    let mut text = String::from("Client;Nom;Facture;Date;Echeance;Montant\n");
    for n in 0..100_000 {
        text.push_str(&format!(
            "C{n};Nom;F{n};32/13/2026;01/01/2027;pas un montant\n"
        ));
    }
    let plan = csv::parse("mauvais.csv", text.as_bytes(), None);
    assert_eq!(
        plan.issues.len(),
        201,
        "200 listed and one line for the rest"
    );
    let last = plan.issues.last().unwrap().to_string();
    assert!(last.contains("autres erreurs"), "{last}");
    let listed = plan.issues[..200].len();
    let more: usize = last
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert!(
        listed + more >= 100_000,
        "every bad line is counted: {last}"
    );
}

#[test]
fn an_absurd_amount_is_a_located_error_at_the_limit_and_never_an_overflow() {
    use encaisse::money::{parse_amount, parse_money, Currency, MAX_CENTS};
    assert_eq!(
        parse_amount("1 000 000 000 000,00"),
        Ok(MAX_CENTS),
        "the limit itself"
    );
    for absurd in [
        "1 000 000 000 000,01",
        "-1000000000000,01",
        "99999999999999999999",
        "9223372036854775807",
        // Near the decimal type's own limit: found by the fuzzer.
        "20261129999999999999999999922",
    ] {
        let why = parse_amount(absurd).expect_err(absurd);
        assert!(
            why.contains("dépasse") || why.contains("trop grand"),
            "{absurd}: {why}"
        );
    }
    assert!(parse_money("1e30", Currency::EUR).is_err());
    // In a file, the line and the column are named.
    let csv =
        "Client;Nom;Facture;Date;Echeance;Montant\nC1;Nom;F1;01/10/2026;31/10/2026;5000000000000\n";
    let plan = encaisse::import::csv::parse("gros.csv", csv.as_bytes(), None);
    let issue = plan.issues.first().expect("refused").to_string();
    assert!(
        issue.contains("ligne 2") && issue.contains("dépasse"),
        "{issue}"
    );
}

/// More amounts at the limit than an i64 can add up, written behind the
/// application's back: every total is a clear error, never a panic, a
/// wrapped figure or SQLite's "integer overflow".
#[test]
fn totals_past_what_i64_holds_are_a_clear_error_on_the_dashboard_and_the_aged_balance() {
    use encaisse::money::MAX_CENTS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let ledger = encaisse::Ledger::open(&path).unwrap();
    let client = ledger
        .upsert_client(&encaisse::model::Client::new("C1", "Démesure SA"))
        .unwrap();
    let rows = i64::MAX / MAX_CENTS + 2;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?3)
             INSERT INTO invoice (client_id, number, issue_date, due_date, amount, currency)
             SELECT ?1, 'F' || k, '2026-01-01', '2026-02-01', ?2, 'EUR' FROM n",
            rusqlite::params![client, MAX_CENTS, rows],
        )
        .unwrap();
    let day = date("2026-11-22");
    for (what, outcome) in [
        (
            "aged balance",
            ledger.aged_balance(day, &Default::default()).map(|_| ()),
        ),
        (
            "dashboard",
            ledger.dashboard(day, &Default::default()).map(|_| ()),
        ),
        ("client list", ledger.clients(day, None).map(|_| ())),
        (
            "work list",
            ledger.follow_up(day, &Default::default()).map(|_| ()),
        ),
    ] {
        let why = outcome.expect_err(what).to_string();
        assert!(
            why.contains("dépasse ce qu'Encaisse sait compter"),
            "{what}: {why}"
        );
    }
}

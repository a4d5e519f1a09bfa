//! Dossiers: one ledger per company, a registry in the application's data
//! folder (`$XDG_DATA_HOME` honoured), `--dossier NAME` wherever `--ledger`
//! goes, and the portfolio across them.

use std::path::Path;
use std::process::Command;

fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_encaisse-cli"))
        .args(args)
        .env_remove("ENCAISSE_LEDGER")
        .env("XDG_DATA_HOME", data)
        .output()
        .unwrap()
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn dossiers_are_added_used_by_name_listed_in_the_portfolio_and_removed_without_deleting() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A firm's two client companies: one new, one from an existing file.
    ok(cli(&data, &["dossiers", "add", "Boulangerie Martin"]));
    let existing = dir.path().join("atelier.sqlite");
    ok(cli(
        &data,
        &[
            "--ledger",
            existing.to_str().unwrap(),
            "demo",
            "--as-of",
            "2026-11-22",
        ],
    ));
    ok(cli(
        &data,
        &[
            "dossiers",
            "add",
            "Atelier",
            "--path",
            existing.to_str().unwrap(),
        ],
    ));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(cli(&data, &["dossiers", "list", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(
        data.join("encaisse/dossiers.json").exists(),
        "in $XDG_DATA_HOME"
    );
    // --dossier wherever --ledger goes: each dossier its own ledger.
    let csv = dir.path().join("factures.csv");
    std::fs::write(
        &csv,
        "code_client;client;numero;date;echeance;montant_ttc\nM1;Minoterie;F-1;01/09/2026;01/10/2026;1 500,00\n",
    )
    .unwrap();
    ok(cli(
        &data,
        &[
            "--dossier",
            "Boulangerie Martin",
            "import",
            "csv",
            csv.to_str().unwrap(),
        ],
    ));
    ok(cli(
        &data,
        &[
            "--dossier",
            "Boulangerie Martin",
            "company",
            "set",
            "--name",
            "Boulangerie Martin SARL",
        ],
    ));
    let martin: serde_json::Value = serde_json::from_str(&ok(cli(
        &data,
        &["--dossier", "Boulangerie Martin", "invoices", "--json"],
    )))
    .unwrap();
    assert_eq!(martin["rows"].as_array().unwrap().len(), 1);
    // The portfolio reads each dossier.
    let rows: serde_json::Value = serde_json::from_str(&ok(cli(
        &data,
        &["portfolio", "--as-of", "2026-11-22", "--json"],
    )))
    .unwrap();
    let rows = rows.as_array().unwrap();
    let by = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    assert_eq!(
        by("Boulangerie Martin")["company"],
        "Boulangerie Martin SARL"
    );
    assert_eq!(
        by("Boulangerie Martin")["outstanding"][0]["amount"],
        "1500.00"
    );
    assert_eq!(by("Atelier")["company"], "Atelier Lumière");
    assert!(
        by("Atelier")["emails"].as_u64().unwrap() + by("Atelier")["letters"].as_u64().unwrap() > 0
    );
    let text = ok(cli(&data, &["portfolio", "--as-of", "2026-11-22"]));
    assert!(
        text.contains("Atelier Lumière") && text.contains("séance du"),
        "{text}"
    );
    // The totals are the core's, per currency.
    let atelier: f64 = by("Atelier")["outstanding"][0]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = encaisse::money::Money::new(
        ((atelier + 1500.0) * 100.0).round() as i64,
        encaisse::money::Currency::EUR,
    );
    let total = text
        .lines()
        .find(|l| l.starts_with("Total"))
        .expect("a total line");
    assert!(total.contains(&expected.format_fr()), "{total}");
    // A dossier whose file moved says so; the others still read.
    std::fs::rename(&existing, dir.path().join("ailleurs.sqlite")).unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(&ok(cli(&data, &["portfolio", "--json"]))).unwrap();
    let atelier = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Atelier")
        .unwrap();
    assert!(atelier["problem"].as_str().unwrap().contains("introuvable"));
    // An unknown dossier is named, with the known ones; nothing is created.
    let out = cli(&data, &["--dossier", "Inconnu", "clients"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Boulangerie Martin"));
    // Removed from the list, never deleted.
    let martin_file = data.join("encaisse/dossiers/Boulangerie-Martin.sqlite");
    assert!(martin_file.exists());
    ok(cli(&data, &["dossiers", "remove", "Boulangerie Martin"]));
    assert!(martin_file.exists(), "the ledger stays");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(cli(&data, &["dossiers", "--json"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

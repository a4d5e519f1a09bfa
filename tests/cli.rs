//! The `encaisse-cli` binary.

use std::process::Command;

use crate::common::*;

fn cli(ledger: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_encaisse-cli"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("ENCAISSE_LEDGER")
        .output()
        .unwrap()
}

#[test]
fn import_then_aging_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let fec = fixture("0000000001FEC20220831.txt");
    let out = cli(
        &ledger,
        &["import", "fec", fec.to_str().unwrap(), "--dry-run"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rien n'a été écrit"));
    let out = cli(&ledger, &["aging", "--as-of", "2022-08-31", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["rows"].as_array().unwrap().is_empty(),
        "--dry-run wrote nothing"
    );
    let out = cli(&ledger, &["import", "fec", fec.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let out = cli(&ledger, &["aging", "--as-of", "2022-08-31", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["totals"][0]["total"]["amount"], "52517.24");
    let out = cli(
        &ledger,
        &["invoices", "--open", "--client", "CPRO00", "--json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["client_code"] == "CPRO00" && r["open_cents"].as_i64().unwrap() != 0));
}

#[test]
fn errors_go_to_stderr_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "numero;client;date;montant_ttc\nF1;A;01/13/2026;10,00\n",
    )
    .unwrap();
    let out = cli(
        &dir.path().join("l.sqlite"),
        &["import", "csv", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2:date:", bad.display())),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn client_set_demo_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    assert!(cli(&ledger, &["demo", "--as-of", "2026-11-22"])
        .status
        .success());
    let out = cli(
        &ledger,
        &[
            "client",
            "set",
            "C0001",
            "--email",
            "new@client.fr",
            "--terms",
            "45",
            "--segment",
            "grands_comptes",
            "--b2c",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&ledger, &["clients", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"]["code"] == "C0001")
        .unwrap();
    assert_eq!(
        (
            c["client"]["email"].as_str(),
            c["client"]["terms_days"].as_i64(),
            c["client"]["kind"].as_str()
        ),
        (Some("new@client.fr"), Some(45), Some("b2c"))
    );
    let out = cli(
        &ledger,
        &["client", "set", "C0001", "--email", "bad\naddress@x.fr"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a line break in an e-mail is refused"
    );
    assert_eq!(cli(&ledger, &["frobnicate"]).status.code(), Some(2));
}

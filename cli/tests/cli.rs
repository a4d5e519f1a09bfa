//! The `encaisse-cli` binary.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

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

#[test]
fn charges_per_open_invoice_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let csv = dir.path().join("f.csv");
    // The worked example: 1 200 € due 15/01/2026, 45 days late on 01/03/2026.
    std::fs::write(
        &csv,
        "numero;client;date;echeance;montant_ttc\nF1;Alpha;15/12/2025;15/01/2026;1 200,00\n",
    )
    .unwrap();
    assert!(cli(&ledger, &["import", "csv", csv.to_str().unwrap()])
        .status
        .success());
    let out = cli(&ledger, &["charges", "--as-of", "2026-03-01", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &json[0]["charges"];
    assert_eq!(c["days_late"], 45);
    assert_eq!(c["interest"]["amount"], "17.98");
    assert_eq!(c["indemnity"]["amount"], "40.00");
    assert_eq!(json[0]["rules"], "FR B2B");
}

#[test]
fn worklist_and_record_for_scripting() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let csv = dir.path().join("f.csv");
    std::fs::write(
        &csv,
        "numero;client;date;echeance;montant_ttc\nF1;Alpha;01/02/2026;01/03/2026;1 000,00\nF2;Alpha;03/02/2026;03/03/2026;500,00\n",
    )
    .unwrap();
    assert!(cli(&ledger, &["import", "csv", csv.to_str().unwrap()])
        .status
        .success());
    let out = cli(&ledger, &["clients", "--json"]);
    let clients: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let code = clients[0]["client"]["code"].as_str().unwrap().to_string();

    let worklist = |on: &str| -> serde_json::Value {
        let out = cli(&ledger, &["worklist", "--as-of", on, "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let work = worklist("2026-03-10");
    let rows = work["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "one statement for the client: {work}");
    assert_eq!(rows[0]["step"], 1);
    assert_eq!(rows[0]["channel"], "email");
    assert_eq!(rows[0]["total"]["amount"], "1500.00");
    assert_eq!(rows[0]["invoices"].as_array().unwrap().len(), 2);

    let out = cli(
        &ledger,
        &[
            "record",
            "--client",
            &code,
            "--level",
            "1",
            "--channel",
            "letter",
            "--date",
            "2026-03-10",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("niveau 1"));
    assert!(worklist("2026-03-11")["rows"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(worklist("2026-03-16")["rows"][0]["step"], 2);

    let out = cli(
        &ledger,
        &[
            "record",
            "--client",
            &code,
            "--level",
            "12",
            "--channel",
            "email",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("niveau"));
    let out = cli(
        &ledger,
        &[
            "record",
            "--client",
            &code,
            "--level",
            "2",
            "--channel",
            "fax",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fax"));
    let out = cli(&ledger, &["record", "--level", "2", "--channel", "email"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing option is a usage error"
    );
    assert_eq!(
        worklist("2026-03-16")["rows"][0]["step"],
        2,
        "refused records wrote nothing"
    );
}

#[test]
fn letters_zip_merged_pdf_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    assert!(cli(&ledger, &["demo", "--as-of", "2026-11-22"])
        .status
        .success());
    let zip = dir.path().join("relances.zip");
    let merged = dir.path().join("a-poster.pdf");
    let out = cli(
        &ledger,
        &[
            "letters",
            "--as-of",
            "2026-11-22",
            "--out",
            zip.to_str().unwrap(),
            "--merged",
            merged.to_str().unwrap(),
            "--record",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&zip).unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip archive");
    assert!(std::fs::read(&merged).unwrap().starts_with(b"%PDF"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let count: usize = stdout.split_whitespace().next().unwrap().parse().unwrap();
    assert!(count > 0, "{stdout}");
    // Recorded: the same day has no letter left to send.
    let again = dir.path().join("again.zip");
    let out = cli(
        &ledger,
        &[
            "letters",
            "--as-of",
            "2026-11-22",
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Aucune lettre"));
    assert!(!again.exists());
    // No --out: a usage error, nothing written.
    let out = cli(&ledger, &["letters"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join(".part").exists());
}

/// Two years of generated books (one line per customer in the openings),
/// written as files, with the second year's opening of the first customer
/// changed by `shift` cents.
fn two_years(dir: &std::path::Path, shift: i64) -> (PathBuf, PathBuf) {
    let files = encaisse::synthetic::books(&encaisse::synthetic::BooksSpec {
        seed: 5,
        clients: 4,
        first_year: 2025,
        years: 2,
        invoices_per_year: 30,
        detailed_openings: false,
        mid_year_files: false,
    });
    let second = encaisse::synthetic::shift_first_opening(&files[1].text, shift);
    let a = dir.join(&files[0].name);
    let b = dir.join(&files[1].name);
    std::fs::write(&a, &files[0].text).unwrap();
    std::fs::write(&b, second).unwrap();
    (a, b)
}

#[test]
fn next_year_import_reconciles_openings_and_says_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let (n, n1) = two_years(dir.path(), 50_00);
    assert!(cli(&ledger, &["import", "fec", n.to_str().unwrap()])
        .status
        .success());
    let out = cli(&ledger, &["import", "fec", n1.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an undecided difference refuses the import"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("C00") && err.contains("écart 50,00"), "{err}");
    let out = cli(
        &ledger,
        &[
            "import",
            "fec",
            n1.to_str().unwrap(),
            "--openings",
            "keep",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["changes"]["carried_forward"].as_u64().unwrap() >= 1);
    assert_eq!(json["changes"]["adjustments"].as_array().unwrap().len(), 1);
    let out = cli(&ledger, &["imports"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("À-nouveaux rapprochés") && text.contains("Encours avant"),
        "{text}"
    );
    let out = cli(
        &ledger,
        &["import", "fec", n1.to_str().unwrap(), "--openings", "maybe"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown decision is a usage error"
    );
}

#[test]
fn a_reminder_session_on_stale_data_needs_stale_ok() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let (n, _) = two_years(dir.path(), 0);
    assert!(cli(&ledger, &["import", "fec", n.to_str().unwrap()])
        .status
        .success());
    set_company(&ledger);
    let zip = dir.path().join("r.zip");
    let args = [
        "letters",
        "--as-of",
        "2026-03-01",
        "--out",
        zip.to_str().unwrap(),
        "--record",
    ];
    let out = cli(&ledger, &args);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Vos paiements connus s'arrêtent au") && err.contains("--stale-ok"),
        "{err}"
    );
    assert!(!zip.exists(), "nothing produced");
    let mut ok = args.to_vec();
    ok.push("--stale-ok");
    let out = cli(&ledger, &ok);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(
        &ledger,
        &["remind", "--as-of", "2026-03-01", "--channel", "email"],
    );
    assert_eq!(out.status.code(), Some(1), "remind is a session too");
}

#[test]
fn a_device_is_refused_as_an_import_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        &dir.path().join("l.sqlite"),
        &["import", "fec", "/dev/zero"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pas un fichier ordinaire"), "{err}");
}

/// The company of the tests, through `company set`.
fn set_company(ledger: &std::path::Path) {
    let out = cli(
        ledger,
        &[
            "company",
            "set",
            "--name",
            "Atelier Lumière",
            "--form",
            "SARL",
            "--capital",
            "20 000 €",
            "--siren",
            "123 456 782",
            "--rcs",
            "Lyon",
            "--address",
            "18 rue de la Charité",
            "--postcode",
            "69002",
            "--city",
            "Lyon",
            "--iban",
            "FR76 3000 6000 0112 3456 7890 189",
            "--signatory",
            "Sophie Arnaud",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_letter_without_the_company_s_legal_mentions_and_company_set_gives_them() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    {
        let l = encaisse::Ledger::open(&ledger).unwrap();
        let mut c = encaisse::model::Client::new("C1", "Client SARL");
        c.address = "3 quai du Rhône".into();
        c.postcode = "69002".into();
        c.city = "Lyon".into();
        let id = l.upsert_client(&c).unwrap();
        l.add_invoice(&encaisse::ledger::NewInvoice {
            client_id: id,
            number: "F1".into(),
            issue_date: "2026-01-01".parse().unwrap(),
            due_date: Some("2026-01-31".parse().unwrap()),
            amount: encaisse::money::Money::new(1_000_00, encaisse::money::Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    }
    let zip = dir.path().join("r.zip");
    let letters = [
        "letters",
        "--as-of",
        "2026-04-20",
        "--out",
        zip.to_str().unwrap(),
    ];
    let out = cli(&ledger, &letters);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for field in [
        "raison sociale",
        "forme juridique",
        "SIREN",
        "ville du RCS",
        "adresse du siège",
        "IBAN ou autre moyen de paiement",
    ] {
        assert!(
            err.contains(&format!("  - {field}")),
            "{field} named: {err}"
        );
    }
    assert!(!zip.exists(), "nothing produced");
    // A SIREN whose key is wrong is refused where it is typed.
    let out = cli(&ledger, &["company", "set", "--siren", "123456789"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("clé de contrôle"));
    set_company(&ledger);
    let out = cli(&ledger, &["company", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["company"]["siren"], "123456782");
    assert_eq!(shown["missing"], serde_json::json!([]));
    let out = cli(&ledger, &letters);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(zip.exists());
    // A day with nothing to send says so, and records nothing.
    let none = dir.path().join("none.zip");
    let out = cli(
        &ledger,
        &[
            "letters",
            "--as-of",
            "2026-01-15",
            "--out",
            none.to_str().unwrap(),
            "--record",
        ],
    );
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Aucune lettre") && said.contains("rien n'a été enregistré"),
        "{said}"
    );
    assert!(!none.exists());
}

#[test]
fn rates_import_from_a_central_bank_file_with_a_dry_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let file = dir.path().join("bce.csv");
    std::fs::write(
        &file,
        "\"DATE\",\"TIME PERIOD\",\"MRO (FM.D.U2.EUR.4F.KR.MRR_FR.LEV)\"\n\"2026-03-19\",\"19 Mar 2026\",\"1.9\"\n",
    )
    .unwrap();
    let args = ["rates", "import", "--table", "ecb", file.to_str().unwrap()];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let out = cli(&ledger, &dry);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rien d'enregistré"));
    let shown = |ledger: &std::path::Path| {
        let out = cli(ledger, &["rates", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        shown(&ledger)["ecb_mro"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["percent"],
        "2.15"
    );
    let out = cli(&ledger, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rates = shown(&ledger);
    assert_eq!(
        rates["ecb_mro"].as_array().unwrap().last().unwrap()["percent"],
        "1.9"
    );
    assert_eq!(rates["ecb_known_through"], "2026-03-19");
    // A bad line: the file and the line named, nothing saved.
    std::fs::write(&file, "Date;Taux\n2026-04-01;deux\n").unwrap();
    let out = cli(&ledger, &args);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bce.csv:2") && err.contains("n'est pas un taux"),
        "{err}"
    );
}

#[test]
fn help_is_in_french_and_completions_and_man_page_are_built() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let out = cli(&ledger, &["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for words in [
        "Utilisation : encaisse-cli",
        "Commandes",
        "Afficher l'aide",
        "Balance âgée",
        "Codes de sortie",
    ] {
        assert!(help.contains(words), "{words}: {help}");
    }
    let out = cli(&ledger, &["letters", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--out <FICHIER.zip>"));
    // A mistake is said in French, exit code 2.
    let out = cli(&ledger, &["letters", "--outt", "x.zip"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("option inconnue : --outt"));
    // Written at build time from the same declaration.
    let assets = std::path::Path::new(env!("OUT_DIR"));
    let man = std::fs::read_to_string(assets.join("encaisse-cli.1")).unwrap();
    assert!(man.contains(".TH encaisse-cli 1") && man.contains("Balance âgée"));
    let bash = std::fs::read_to_string(assets.join("encaisse-cli.bash")).unwrap();
    for command in ["letters", "outbox", "rates", "company"] {
        assert!(bash.contains(command), "{command} completes");
    }
    assert!(assets.join("_encaisse-cli").exists() && assets.join("encaisse-cli.fish").exists());
}

#[test]
fn the_evidence_head_is_given_to_keep_aside_and_checked_later() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    assert!(cli(&ledger, &["demo", "--as-of", "2026-11-22"])
        .status
        .success());
    let out = cli(&ledger, &["log", "head"]);
    assert!(out.status.success());
    let receipt = String::from_utf8_lossy(&out.stdout).to_string();
    let head = receipt
        .lines()
        .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("the head hash on its own line")
        .to_string();
    let out = cli(&ledger, &["log", "verify", "--head", &head]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("passe toujours"));
    let other = "0".repeat(64);
    let out = cli(&ledger, &["log", "verify", "--head", &other]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("réécrit"));
}

#[test]
fn bank_statements_are_imported_proposed_confirmed_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let invoices = dir.path().join("factures.csv");
    std::fs::write(
        &invoices,
        "code_client;client;numero;date;echeance;montant_ttc\n\
         BOUL01;Boulangerie Martin;F-2026-0101;01/10/2026;31/10/2026;1 200,00\n\
         GAR01;Garage Dupont et Fils;F-2026-0201;02/10/2026;01/11/2026;845,50\n\
         LEROUX01;Épicerie Fine Leroux;F-2026-0301;01/09/2026;01/10/2026;1 000,00\n\
         LEROUX01;Épicerie Fine Leroux;F-2026-0302;15/09/2026;15/10/2026;1 400,00\n",
    )
    .unwrap();
    let out = cli(&ledger, &["import", "csv", invoices.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v02 = fixture("bank/camt053-v02.xml");
    let v08 = fixture("bank/camt053-v08.xml");
    let files = [v02.to_str().unwrap(), v08.to_str().unwrap()];

    // A dry run proposes and writes nothing.
    let out = cli(
        &ledger,
        &["import", "bank", files[0], files[1], "--dry-run"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("→ sûr : BOUL01 Boulangerie Martin, F-2026-0101 (facture F-2026-0101 dans le libellé, montant exact ; payeur"), "{text}");
    assert!(text.contains("Rien n'a été écrit"));
    let out = cli(&ledger, &["bank", "pending", "--json"]);
    let pending: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(pending.as_array().unwrap().is_empty());

    // Both statements at once: the transfer they share is kept once.
    let out = cli(&ledger, &["import", "bank", files[0], files[1]]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("camt053-v08.xml (CAMT.053) : 1 virement reçu ajouté, 1 déjà connu"),
        "{text}"
    );
    let out = cli(&ledger, &["bank", "pending", "--json"]);
    let pending: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 5);

    let out = cli(&ledger, &["bank", "confirm", "--sure"]);
    let text = String::from_utf8_lossy(&out.stdout).replace(['\u{202f}', '\u{a0}'], " ");
    assert!(
        text.contains("2 paiements enregistrés, 2 045,50 €"),
        "{text}"
    );

    // Leroux by hand; the refund set aside.
    let out = cli(&ledger, &["bank", "pending", "--json"]);
    let pending: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id_of = |cents: i64| {
        pending
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["amount"]["amount"] == format!("{}.{:02}", cents / 100, cents % 100))
            .map(|l| l["id"].as_i64().unwrap().to_string())
            .unwrap()
    };
    let leroux = id_of(2_400_00);
    let out = cli(
        &ledger,
        &[
            "bank",
            "confirm",
            &leroux,
            "--invoices",
            "F-2026-0301,F-2026-0302",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refund = id_of(400_00);
    let out = cli(&ledger, &["bank", "set-aside", &refund]);
    assert!(out.status.success());
    let out = cli(&ledger, &["bank", "set-aside", &refund]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("déjà mise de côté"));

    let out = cli(&ledger, &["invoices", "--open", "--json"]);
    let open: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        open["rows"].as_array().unwrap().is_empty(),
        "every invoice paid: {open}"
    );

    // A bad statement among good ones: located, nothing written.
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<Document><BkToCstmrStmt><Stmt>\n<Ntry>").unwrap();
    let out = cli(
        &ledger,
        &["import", "bank", files[0], bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.xml:2: fichier tronqué"), "{err}");
}

#[test]
fn e_invoices_are_imported_once_and_only_the_company_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("l.sqlite");
    let ubl = fixture("einvoice/ubl-21-en16931.xml");
    let ubl = ubl.to_str().unwrap();
    let out = cli(&ledger, &["import", "einvoice", ubl, "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout).replace(['\u{202f}', '\u{a0}'], " ");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("(UBL) : F124212 du 17/06/2026, Ma jolie boutique SARL — 308,03 €, dû 208,03 €, échéance 16/07/2026"), "{text}");
    // Another company's invoice is refused, and says why.
    let out = cli(&ledger, &["company", "set", "--siren", "732829320"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&ledger, &["import", "einvoice", ubl]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("émise par Au bon moulin"));
    let out = cli(&ledger, &["company", "set", "--siren", "999999998"]);
    assert!(out.status.success());
    let out = cli(&ledger, &["import", "einvoice", ubl]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("facture F124212 de MAJOLIEBOU (nouveau client) importée"),
        "{text}"
    );
    let out = cli(&ledger, &["import", "einvoice", ubl]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("déjà importée, rien n'a changé"));
    let out = cli(&ledger, &["invoices", "--open", "--json"]);
    let open: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(open["rows"].as_array().unwrap().len(), 1);
    assert_eq!(open["rows"][0]["open_cents"], 20803);
}

//! Templates and letters: every default renders, the formal notice says what
//! the law asks, the address sits in the envelope window, file names are safe.

use std::process::Command;

use encaisse::documents::{self, default_templates, render, sample_facts, Kind};
use encaisse::model::Client;
use encaisse::Ledger;

use crate::common::*;

/// The French statement of `facts`, with no company and the default window.
fn statement(mut facts: documents::LetterFacts) -> documents::Letter {
    facts.key = "releve".into();
    let rendered = render(
        documents::default_source("fr", "releve", Kind::Letter).unwrap(),
        &facts,
    )
    .unwrap();
    documents::Letter {
        facts,
        rendered,
        company: Default::default(),
        window: Default::default(),
    }
}

fn pdftotext(pdf: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(args)
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by the test command");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Words of page 1 with their boxes in millimetres from the top-left:
/// (word, x0, y0, x1, y1), from `pdftotext -bbox`.
fn words_mm(pdf: &[u8]) -> Vec<(String, f32, f32, f32, f32)> {
    let bbox = pdftotext(pdf, &["-bbox", "-f", "1", "-l", "1"]);
    let mm = |pt: f32| pt / 72.0 * 25.4;
    bbox.lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .map(|line| {
            let attr = |name: &str| -> f32 {
                let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                line[start..].split('"').next().unwrap().parse().unwrap()
            };
            let word = line.split('>').nth(1).unwrap().split('<').next().unwrap();
            (
                word.to_string(),
                mm(attr("xMin")),
                mm(attr("yMin")),
                mm(attr("xMax")),
                mm(attr("yMax")),
            )
        })
        .collect()
}

#[test]
fn every_default_template_renders_in_both_languages() {
    let all = default_templates();
    assert_eq!(all.len(), 26);
    for (language, key, kind) in all {
        let source = documents::default_source(language, key, kind).unwrap();
        let rendered = render(source, &sample_facts(language))
            .unwrap_or_else(|e| panic!("{language}/{key}: {e}"));
        let text = documents::to_text(&rendered, &sample_facts(language));
        assert!(
            text.contains("FA-2026-0001"),
            "{language}/{key} names the invoices"
        );
        if kind != Kind::Script {
            assert!(
                !rendered.subject.is_empty(),
                "{language}/{key} has a subject"
            );
        }
        assert!(
            !text.contains("{{") && !text.contains("{%"),
            "{language}/{key}"
        );
    }
}

#[test]
fn the_formal_notice_says_what_the_law_asks() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let notice = letters
        .iter()
        .find(|l| l.facts.key == "mise_en_demeure")
        .expect("the demo has a formal notice due");
    let text = pdftotext(&documents::letter_pdf(notice), &["-layout"]);
    for needed in [
        "Mise en demeure de payer",
        "Lettre recommandée avec accusé de réception",
        "injonction de payer",
        "Indemnités forfaitaires (40 € par facture)",
        "Pénalités de retard",
        "Total dû",
        "IBAN FR7630006000011234567890189",
        "RCS Lyon 123456782",
        &notice.facts.factures[0].numero,
        &notice.facts.factures[0].echeance,
        "Lyon, le 22 novembre 2026",
    ] {
        assert!(text.contains(needed), "missing {needed:?} in:\n{text}");
    }
    // Principal + penalties + 40 € per invoice = total due, on paper.
    let f = &notice.facts;
    let principal: i64 = f.factures.iter().map(|i| i.open_cents).sum();
    let interest: i64 = f.factures.iter().map(|i| i.interest_cents).sum();
    assert_eq!(
        f.total_due_cents,
        principal + interest + 4_000 * f.factures.len() as i64
    );
    assert!(interest > 0);
    let squeeze = |t: &str| t.replace([' ', '\u{a0}', '\u{202f}'], "");
    assert!(
        squeeze(&text).contains(&squeeze(&f.total_du)),
        "{}",
        f.total_du
    );
}

#[test]
fn the_recipient_sits_inside_the_envelope_window() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let letter = &letters[0];
    let window = letter.window;
    let wanted: Vec<String> = letter
        .facts
        .client
        .nom
        .split_whitespace()
        .chain([letter.facts.client.code_postal.as_str()])
        .map(|w| w.replace('&', "&amp;"))
        .collect();
    let mut found = 0;
    for (word, x0, y0, x1, y1) in words_mm(&documents::letter_pdf(letter)) {
        // The first page's header also names the client nowhere else above y = 90.
        if wanted.contains(&word) && y0 < 90.0 {
            found += 1;
            assert!(
                x0 >= window.x
                    && x1 <= window.x + window.width
                    && y0 >= window.y
                    && y1 <= window.y + window.height,
                "{word} at ({x0:.1}, {y0:.1})–({x1:.1}, {y1:.1}) mm is outside the window"
            );
        }
    }
    assert!(
        found >= wanted.len(),
        "the name and postcode were found: {found}"
    );
}

#[test]
fn hostile_names_give_safe_distinct_zip_entries() {
    let mut ledger = ledger();
    ledger.set_company(&the_company()).unwrap();
    let today = date("2026-11-22");
    for (i, name) in [
        "../../x",
        "CON",
        "a/b\\c:d*e?",
        &"Très long nom ".repeat(5),
        "../../x",
    ]
    .iter()
    .enumerate()
    {
        let mut c = Client::new(&format!("../C{i}"), name);
        c.address = "1 rue du Port".into();
        c.postcode = "13002".into();
        c.city = "Marseille".into();
        let id = ledger.upsert_client(&c).unwrap_or_else(|_| {
            let mut c = c.clone();
            c.code = format!("C{i}");
            ledger.upsert_client(&c).unwrap()
        });
        ledger
            .add_invoice(&encaisse::ledger::NewInvoice {
                client_id: id,
                number: format!("../F{i}"),
                issue_date: date("2026-01-01"),
                due_date: Some(date("2026-02-01")),
                amount: encaisse::money::Money::new(100_00, encaisse::money::Currency::EUR),
                label: String::new(),
            })
            .unwrap();
    }
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    assert_eq!(letters.len(), 5);
    let (zip, entries) = documents::letters_zip(&letters).unwrap();
    let names: Vec<&String> = entries.iter().map(|e| &e.name).collect();
    let unique: std::collections::BTreeSet<&&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    for n in &names {
        assert!(n.len() <= 100, "{n}");
        assert!(
            !n.contains('/') && !n.contains('\\') && !n.contains(".."),
            "{n}"
        );
        assert!(
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{n}"
        );
        assert!(n.ends_with(".pdf"));
    }
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.len(), 5);
    let _ = &mut ledger;
}

#[test]
fn an_edited_template_is_checked_before_it_is_kept() {
    let ledger = ledger();
    let err = ledger
        .set_template(
            "fr",
            "releve",
            Kind::Letter,
            "Objet : Relevé\n\nBonjour {{ client.nom }},\n{{ client.surnom }}",
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ligne 4") && err.contains("champ inconnu"),
        "{err}"
    );
    let err = ledger
        .set_template(
            "fr",
            "releve",
            Kind::Letter,
            "Objet : x\n{% if client.nom %}oubli de fin",
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("syntaxe"), "{err}");
    assert_eq!(
        ledger
            .template_source("fr", "releve", Kind::Letter)
            .unwrap(),
        documents::default_source("fr", "releve", Kind::Letter).unwrap(),
        "refused edits leave the template as it was"
    );
    ledger
        .set_template(
            "fr",
            "releve",
            Kind::Letter,
            "Objet : À régler\n\n{{ client.nom }} doit {{ total_du }}.",
        )
        .unwrap();
    assert!(ledger
        .template_source("fr", "releve", Kind::Letter)
        .unwrap()
        .starts_with("Objet : À régler"));
    ledger.reset_template("fr", "releve", Kind::Letter).unwrap();
    assert!(ledger
        .template_source("fr", "releve", Kind::Letter)
        .unwrap()
        .starts_with("Objet : Relevé de factures impayées"));
}

#[test]
fn client_data_is_a_value_never_template_code() {
    let mut facts = sample_facts("fr");
    facts.client.nom = "{{ entreprise.iban }} {% if true %}x{% endif %}".into();
    let rendered = render("Objet : x\n\n{{ client.nom }}", &facts).unwrap();
    assert_eq!(
        rendered.blocks,
        [documents::Block::Paragraph(
            "{{ entreprise.iban }} {% if true %}x{% endif %}".into()
        )]
    );
}

#[test]
fn a_letter_recorded_as_sent_moves_its_invoices_and_keeps_the_pdf_fingerprint() {
    let (mut ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let (_, entries) = documents::letters_zip(&letters).unwrap();
    let letter = &letters[0];
    ledger
        .record_document(&letter.facts, today, &entries[0])
        .unwrap();
    let page = ledger.follow_up(today, &Default::default()).unwrap();
    for id in &letter.facts.invoice_ids {
        let row = page.rows.iter().find(|r| r.invoice_id == *id).unwrap();
        assert_eq!(row.last_step, letter.facts.niveau);
    }
    let timeline = ledger.timeline(letter.facts.client_id, today).unwrap();
    assert!(timeline
        .iter()
        .any(|e| e.date == today && e.kind == "reminder"));
    assert_eq!(entries[0].sha256.len(), 64);
}

#[test]
fn a_long_invoice_table_continues_on_the_next_page_with_its_header() {
    let mut facts = sample_facts("fr");
    facts.factures = (0..80)
        .map(|i| documents::LetterInvoice {
            numero: format!("FA-{i:04}"),
            ..facts.factures[0].clone()
        })
        .collect();
    let letter = statement(facts);
    let text = pdftotext(&documents::letter_pdf(&letter), &["-layout"]);
    assert!(
        text.contains("Page 1 / 3") || text.contains("Page 1 / 2"),
        "{text}"
    );
    let headers = text.matches("Échéance").count();
    assert!(headers >= 2, "the header is repeated: {headers}");
    assert!(text.contains("FA-0079"));
}

/// The facts a template may speak of, each present or not.
#[derive(Clone, Copy, Debug)]
struct History {
    reminded: bool,
    notice: bool,
    promise_broken: bool,
    call: bool,
    dispute_closed: bool,
    registered: bool,
}

fn facts_with(language: &str, h: History) -> documents::LetterFacts {
    let mut facts = sample_facts(language);
    if !h.reminded {
        facts.relances_precedentes.clear();
        facts.derniere_relance = documents::Previous {
            date: "—".into(),
            ..Default::default()
        };
    }
    facts.deja_relance = h.reminded;
    if !h.notice {
        facts.mise_en_demeure_precedente = None;
    }
    if !h.promise_broken {
        facts.promesse_non_tenue = None;
    }
    if !h.call {
        facts.appel = None;
    }
    if !h.dispute_closed {
        facts.litige_clos = None;
    }
    facts.par_recommande = h.registered;
    facts
}

/// Each claim a default template can make, the words that make it (French,
/// English), and the fact without which it is false.
type Claim = (&'static str, &'static [&'static str], fn(&History) -> bool);

const CLAIMS: &[Claim] = &[
    (
        "earlier reminders",
        &[
            "malgré nos",
            "Malgré nos",
            "déjà rappelées",
            "Par notre",
            "relances écrites",
            "précédent",
            "qui ont fait l'objet de nos relances",
            "Nos relances",
            "Despite our",
            "despite our",
            "already reminded",
            "In our",
            "written reminders",
            "about which we reminded",
            "Our reminders",
            "previous",
        ],
        |h| h.reminded,
    ),
    (
        "a formal notice sent",
        &[
            "Notre mise en demeure du",
            "après notre mise en demeure",
            "Our formal notice of",
            "followed our formal notice",
        ],
        |h| h.notice,
    ),
    (
        "a registered letter today",
        &[
            "également par lettre recommandée",
            "also by registered letter",
        ],
        |h| h.registered,
    ),
    (
        "a promise broken",
        &[
            "engagé",
            "promis pour",
            "annoncé pour",
            "undertook",
            "promised for",
            "announced for",
        ],
        |h| h.promise_broken,
    ),
    ("a call made", &["notre appel du", "our call of"], |h| {
        h.call
    }),
    (
        "a dispute closed",
        &["différend", "dispute about invoice"],
        |h| h.dispute_closed,
    ),
];

#[test]
fn every_default_template_says_only_what_the_history_holds() {
    let mut seen_claims = std::collections::HashSet::new();
    for bits in 0u8..64 {
        let h = History {
            reminded: bits & 1 != 0,
            // A formal notice sent is an earlier reminder.
            notice: bits & 2 != 0 && bits & 1 != 0,
            promise_broken: bits & 4 != 0,
            call: bits & 8 != 0,
            dispute_closed: bits & 16 != 0,
            registered: bits & 32 != 0,
        };
        for (language, key, kind) in default_templates() {
            let facts = facts_with(language, h);
            let source = documents::default_source(language, key, kind).unwrap();
            let rendered = render(source, &facts).unwrap();
            let text = format!(
                "{}\n{}",
                rendered.subject,
                documents::to_text(&rendered, &facts)
            );
            for (claim, words, holds) in CLAIMS {
                for word in *words {
                    if text.contains(word) {
                        assert!(
                            holds(&h),
                            "{language}/{key}.{kind:?} says {claim} (« {word} ») without it: {h:?}\n{text}"
                        );
                        seen_claims.insert(*claim);
                    }
                }
            }
            assert!(
                !text.contains(" du ,")
                    && !text.contains("du —")
                    && !text.contains(" of —")
                    && !text.contains("()"),
                "{language}/{key}: {text}"
            );
        }
    }
    // Each claim is made somewhere when its fact holds: the test looks.
    for (claim, _, _) in CLAIMS {
        assert!(seen_claims.contains(claim), "no template says {claim}");
    }
}

#[test]
fn a_formal_notice_lists_the_earlier_reminders_with_their_channel_and_lrar_number() {
    let mut facts = facts_with(
        "fr",
        History {
            reminded: true,
            notice: false,
            promise_broken: true,
            call: false,
            dispute_closed: false,
            registered: true,
        },
    );
    facts.relances_precedentes = vec![
        documents::Previous {
            date: "15/02/2026".into(),
            etape: "Relevé".into(),
            niveau: 1,
            canal: "e-mail".into(),
            lrar: String::new(),
        },
        documents::Previous {
            date: "01/03/2026".into(),
            etape: "3e relance".into(),
            niveau: 3,
            canal: "lettre recommandée avec accusé de réception".into(),
            lrar: "1A 123 456 7890 1".into(),
        },
    ];
    let source = documents::default_source("fr", "mise_en_demeure", Kind::Letter).unwrap();
    let text = documents::to_text(&render(source, &facts).unwrap(), &facts);
    assert!(
        text.contains("Malgré nos relances du 15/02/2026 (e-mail) et du 01/03/2026 (lettre recommandée avec accusé de réception n° 1A 123 456 7890 1), vous restez redevable"),
        "{text}"
    );
    assert!(
        text.contains(
            "que vous vous étiez engagé le 10/02/2026 à effectuer au plus tard le 20/02/2026"
        ),
        "{text}"
    );
    // Without any earlier reminder, a wording of its own.
    let first = facts_with(
        "fr",
        History {
            reminded: false,
            notice: false,
            promise_broken: false,
            call: false,
            dispute_closed: false,
            registered: true,
        },
    );
    let text = documents::to_text(&render(source, &first).unwrap(), &first);
    assert!(text.contains("Nous constatons qu'à ce jour, les factures ci-dessous étant échues, vous restez redevable"), "{text}");
}

#[test]
fn every_default_letter_prints_with_its_words_in_its_language() {
    for (language, key, kind) in default_templates() {
        if kind != Kind::Letter {
            continue;
        }
        let mut facts = sample_facts(language);
        facts.key = key.into();
        facts.charges_shown = matches!(key, "relance_3" | "mise_en_demeure" | "recouvrement");
        let rendered = render(
            documents::default_source(language, key, kind).unwrap(),
            &facts,
        )
        .unwrap();
        let subject = rendered.subject.clone();
        let letter = documents::Letter {
            facts,
            rendered,
            company: Default::default(),
            window: Default::default(),
        };
        let text = pdftotext(&documents::letter_pdf(&letter), &[]);
        let (label, table) = if language == "en" {
            ("Subject: ", "Still owed")
        } else {
            ("Objet : ", "Reste dû")
        };
        assert!(
            text.contains(&format!("{label}{subject}")),
            "{language}/{key}:\n{text}"
        );
        assert!(
            text.contains(table) && text.contains("FA-2026-0001"),
            "{language}/{key}:\n{text}"
        );
    }
}

#[test]
fn window_offsets_move_the_address_and_are_bounded() {
    let ledger = ledger();
    assert_eq!(ledger.window_placement().unwrap().x, 110.0);
    ledger.set_window_offsets(-3.5, 4.0).unwrap();
    let w = ledger.window_placement().unwrap();
    assert_eq!((w.x, w.y), (106.5, 49.0));
    assert!(ledger.set_window_offsets(25.0, 0.0).is_err());
    assert!(ledger.set_window_offsets(f32::NAN, 0.0).is_err());
    assert_eq!(
        ledger.window_placement().unwrap().y,
        49.0,
        "refused: unchanged"
    );
    let text = pdftotext(&documents::window_test_page(w), &["-layout"]);
    assert!(text.contains("Société Exemple SARL") && text.contains("Page de test"));
}

/// The words of a letter set in the window's column, above the place and
/// date: each must lie inside the window.
fn words_in_window(letter: &documents::Letter) -> Vec<String> {
    let w = letter.window;
    let mut inside = Vec::new();
    for (word, x0, y0, x1, y1) in words_mm(&documents::letter_pdf(letter)) {
        if x0 >= w.x && y0 < 92.0 {
            assert!(
                x1 <= w.x + w.width && y0 >= w.y && y1 <= w.y + w.height,
                "« {word} » at ({x0:.1},{y0:.1})–({x1:.1},{y1:.1}) leaves the window"
            );
            inside.push(word);
        }
    }
    inside
}

#[test]
fn a_long_legal_name_wraps_over_two_lines_and_the_block_stays_in_the_window() {
    let mut facts = sample_facts("fr");
    facts.client.nom = "Société Générale des Pâtisseries Éclair et Viennoiseries Fines".into();
    facts.client.contact = "Madame la Directrice financière".into();
    facts.client.adresse = "Zone d'activités des Platanes, 1250 avenue du Général de Gaulle".into();
    facts.client.code_postal = "1000".into();
    facts.client.ville = "Bruxelles".into();
    facts.client.pays = "BE".into();
    let lines = documents::address_block(&facts.client, "À l'attention de ").unwrap();
    let texts: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    assert!(texts.len() <= documents::ADDRESS_LINES, "{texts:?}");
    assert!(
        texts
            .iter()
            .all(|l| l.chars().count() <= documents::ADDRESS_WIDTH),
        "{texts:?}"
    );
    assert_eq!(
        texts[..2].join(" "),
        "Société Générale des Pâtisseries Éclair et Viennoiseries Fines",
        "the whole legal name, over two lines"
    );
    assert_eq!(
        texts.last(),
        Some(&"BELGIQUE"),
        "the country in capitals, last"
    );
    assert!(texts.contains(&"1000 BRUXELLES"), "{texts:?}");
    let letter = statement(facts);
    let words = words_in_window(&letter).join(" ");
    for part in [
        "Société Générale des Pâtisseries Éclair et Viennoiseries Fines",
        "1250 avenue du Général de Gaulle",
        "BELGIQUE",
    ] {
        assert!(words.contains(part), "« {part} » printed whole: {words}");
    }
    assert!(!words.contains('…'), "nothing cut: {words}");
}

#[test]
fn an_address_that_cannot_fit_or_is_missing_holds_the_letter_back_and_says_why() {
    let mut facts = sample_facts("fr");
    facts.client.nom = "Établissements Durand-Lefèvre et Associés Réunis".into();
    facts.client.adresse = "Bâtiment C\nZone d'activités des Platanes\n1250 avenue du Général de Gaulle\nBP 42\nCedex 9".into();
    facts.client.code_postal = "69100".into();
    facts.client.ville = "Villeurbanne".into();
    let why = documents::postal_problem(&facts.client).expect("too long");
    assert!(
        why.contains("trop longue") && why.contains("6 au plus"),
        "{why}"
    );
    // Through the ledger: the letters of clients without a complete
    // address are held back and listed, the others go.
    let ledger = ledger();
    ledger.set_company(&the_company()).unwrap();
    let today = date("2026-11-22");
    for (code, name, street, postcode, city) in [
        ("A1", "Alpha SARL", "1 rue de la Paix", "75002", "Paris"),
        ("B2", "Bêta SAS", "", "", ""),
        ("C3", "Gamma SA", "3 quai du Rhône", "", "Lyon"),
    ] {
        let mut c = Client::new(code, name);
        c.address = street.into();
        c.postcode = postcode.into();
        c.city = city.into();
        let id = ledger.upsert_client(&c).unwrap();
        ledger
            .add_invoice(&encaisse::ledger::NewInvoice {
                client_id: id,
                number: format!("F-{code}"),
                issue_date: date("2026-08-01"),
                due_date: Some(date("2026-09-01")),
                amount: encaisse::money::Money::new(1_000_00, encaisse::money::Currency::EUR),
                label: String::new(),
            })
            .unwrap();
    }
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let names: Vec<&str> = letters
        .iter()
        .map(|l| l.facts.client.nom.as_str())
        .collect();
    assert_eq!(names, ["Alpha SARL"]);
    let held = ledger.letters_held_back(&work.rows).unwrap();
    assert_eq!(
        held,
        [
            (
                "Bêta SAS".to_string(),
                "adresse postale manquante (rue, code postal, ville)".to_string()
            ),
            (
                "Gamma SA".to_string(),
                "adresse postale manquante (code postal)".to_string()
            ),
        ]
    );
    let said = documents::held_back_summary(&held);
    assert!(
        said.contains("adresse postale à compléter dans la fiche client : 2 clients"),
        "{said}"
    );
}

#[test]
fn names_outside_the_usual_characters_print_and_copy_as_written() {
    let mut facts = sample_facts("fr");
    facts.client.nom = "Łódź Wróbel — Ωmega Σύμβουλοι".into();
    let letter = statement(facts);
    let pdf = documents::letter_pdf(&letter);
    let text = pdftotext(&pdf, &[]);
    assert!(text.contains("Łódź Wróbel — Ωmega Σύμβουλοι"), "{text}");
    assert!(text.contains("Relevé") || text.contains("relevé"), "{text}");
}

#[test]
fn an_empty_print_run_is_still_a_readable_pdf() {
    let pdf = documents::merged_pdf(&[], "2026-12-02".parse().unwrap());
    assert!(pdf.starts_with(b"%PDF-1.7"));
    // pdftotext refuses a PDF without pages.
    pdftotext(&pdf, &[]);
}

/// The text of the first letter of `as_of`'s session.
fn first_letter_text(ledger: &Ledger, as_of: encaisse::dates::Date) -> (usize, String) {
    let work = ledger.work_list(as_of).unwrap();
    let letters = ledger.letters(&work.rows, as_of).unwrap();
    let letter = letters.first().expect("a letter");
    (
        letter.facts.niveau,
        documents::to_text(&letter.rendered, &letter.facts),
    )
}

#[test]
fn the_formal_notice_tells_the_client_s_real_history() {
    use encaisse::engine::Channel;
    use encaisse::money::{Currency, Money};
    use encaisse::reminders::NewReminder;
    let mut ledger = ledger();
    ledger.set_company(&the_company()).unwrap();
    let today = date("2026-11-22");
    let mut c = Client::new("P1", "Pâtisseries Éclair SAS");
    c.address = "4 rue des Lilas".into();
    c.postcode = "69003".into();
    c.city = "Lyon".into();
    let client = ledger.upsert_client(&c).unwrap();
    ledger
        .add_invoice(&encaisse::ledger::NewInvoice {
            client_id: client,
            number: "F-80".into(),
            issue_date: date("2026-08-04"),
            due_date: Some(date("2026-09-03")),
            amount: Money::new(2_400_00, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    // 80 days late at import, never reminded: the formal notice comes
    // first, and says so.
    let (level, text) = first_letter_text(&ledger, today);
    assert_eq!(level, 5, "{text}");
    assert!(text.contains("Nous constatons qu'à ce jour"), "{text}");
    assert!(!text.to_lowercase().contains("malgré"), "{text}");
    assert!(!text.contains("engagé"), "{text}");
    // The interest claimed names its rate and its period.
    assert!(
        text.contains("Pénalités de retard : 12,15 % l'an du 04/09/2026 au 22/11/2026 (F-80)"),
        "{text}"
    );
    // Another client with a history: a statement by e-mail, a third
    // reminder by registered post with its number, a promise broken.
    let mut d = c.clone();
    d.code = "P2".into();
    d.name = "Boulangerie Martin".into();
    let other = ledger.upsert_client(&d).unwrap();
    let second = ledger
        .add_invoice(&encaisse::ledger::NewInvoice {
            client_id: other,
            number: "F-81".into(),
            issue_date: date("2026-08-04"),
            due_date: Some(date("2026-09-03")),
            amount: Money::new(1_200_00, Currency::EUR),
            label: String::new(),
        })
        .unwrap();
    // The first client is paused: the session holds only the second.
    ledger
        .add_pause(
            encaisse::reminders::PauseScope::Client(client),
            date("2026-12-31"),
            "accord en cours",
        )
        .unwrap();
    for (step, channel, day) in [
        (1, Channel::Email, "2026-09-10"),
        (4, Channel::Registered, "2026-10-05"),
    ] {
        let id = ledger
            .record_reminder(&NewReminder {
                client_id: other,
                step,
                channel,
                date: date(day),
                invoice_ids: vec![second],
                outcome: String::new(),
                note: String::new(),
                manual: false,
            })
            .unwrap();
        if channel == Channel::Registered {
            ledger
                .set_registered_post(id, "1A 123 456 7890 1", None)
                .unwrap();
        }
    }
    ledger
        .add_promise(
            other,
            Money::new(1_200_00, Currency::EUR),
            date("2026-10-10"),
            date("2026-10-20"),
            "",
        )
        .unwrap();
    let (level, text) = first_letter_text(&ledger, today);
    assert_eq!(level, 5, "{text}");
    assert!(
        text.contains("Malgré nos relances du 10/09/2026 (e-mail) et du 05/10/2026 (lettre recommandée avec accusé de réception n° 1A 123 456 7890 1)"),
        "{text}"
    );
    assert!(
        text.contains("engagé le 10/10/2026 à effectuer au plus tard le 20/10/2026"),
        "{text}"
    );
}

#[test]
fn every_zip_the_app_writes_dates_its_files_with_their_making() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let (letters_zip, _) = documents::letters_zip(&letters).unwrap();
    let client = ledger.clients(today, None).unwrap()[0].client.id;
    let zips = [
        ("letters", letters_zip),
        ("export", ledger.export_tables_csv().unwrap()),
        (
            "litigation",
            ledger.litigation_file(client, today).unwrap().0,
        ),
    ];
    let now = chrono::Local::now().naive_local();
    for (what, bytes) in zips {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert!(!archive.is_empty(), "{what}");
        for i in 0..archive.len() {
            let file = archive.by_index(i).unwrap();
            let stamp = file.last_modified().expect("a date");
            let made = chrono::NaiveDate::from_ymd_opt(
                stamp.year().into(),
                stamp.month().into(),
                stamp.day().into(),
            )
            .unwrap()
            .and_hms_opt(
                stamp.hour().into(),
                stamp.minute().into(),
                stamp.second().into(),
            )
            .unwrap();
            let gap = (now - made).num_seconds().abs();
            assert!(
                gap < 120,
                "{what}/{}: dated {made}, made {now}",
                file.name()
            );
        }
    }
}

/// `qpdf --check` on `pdf`: no error, no warning.
fn qpdf_check(what: &str, pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf (installed by scripts/setup.sh)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what}: {said}");
    assert!(!said.to_lowercase().contains("warning"), "{what}: {said}");
    assert!(
        said.contains("No syntax or stream encoding errors"),
        "{what}: {said}"
    );
}

#[test]
fn every_pdf_passes_an_independent_structural_check_and_reads_in_order() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    assert!(letters.len() > 3);
    let mut pdfs: Vec<(String, Vec<u8>)> = letters
        .iter()
        .map(|l| (l.file_name(), documents::letter_pdf(l)))
        .collect();
    pdfs.push(("print run".into(), documents::merged_pdf(&letters, today)));
    pdfs.push(("empty print run".into(), documents::merged_pdf(&[], today)));
    pdfs.push((
        "window test page".into(),
        documents::window_test_page(Default::default()),
    ));
    let aging = ledger.aged_balance(today, &Default::default()).unwrap();
    pdfs.push((
        "aged balance".into(),
        aging.to_pdf(&ledger.company().unwrap(), today).unwrap(),
    ));
    let client = letters[0].facts.client_id;
    let (dossier, _) = ledger.litigation_file(client, today).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(dossier)).unwrap();
    let mut summary = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("01-synthese.pdf").unwrap(),
        &mut summary,
    )
    .unwrap();
    pdfs.push(("litigation summary".into(), summary));
    for (what, pdf) in &pdfs {
        qpdf_check(what, pdf);
    }
    // A letter's text comes out in the order it is read.
    let letter = &letters[0];
    let text = pdftotext(&documents::letter_pdf(letter), &[]);
    let order = [
        letter.facts.entreprise.nom.as_str(),
        letter.facts.client.nom.as_str(),
        letter.rendered.subject.as_str(),
        letter.facts.client.civilite.as_str(),
        letter.facts.factures[0].numero.as_str(),
        "Total dû",
        "nos salutations distinguées",
    ];
    let mut from = 0;
    for part in order {
        let at = text[from..]
            .find(part)
            .unwrap_or_else(|| panic!("« {part} » after position {from}: {text}"));
        from += at + part.len();
    }
}

/// Every file of `dir` (recursively) whose name ends with one of `ends`.
fn files_under(dir: &std::path::Path, ends: &[&str], out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, ends, out);
        } else if ends.iter().any(|e| path.to_string_lossy().ends_with(e)) {
            out.push(path);
        }
    }
}

#[test]
fn nothing_encaisse_says_counts_with_a_bracketed_plural() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "src",
        "cli/src",
        "src-tauri/src",
        "templates",
        "ui/src/lib/i18n",
    ] {
        files_under(&root.join(dir), &[".rs", ".txt", ".ts"], &mut files);
    }
    assert!(files.len() > 40, "{}", files.len());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let rust = file.extension().is_some_and(|e| e == "rs");
        for (n, line) in text.lines().enumerate() {
            // In Rust, only what is between quotes is said to the user.
            let said: String = if rust {
                line.split('"')
                    .skip(1)
                    .step_by(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                line.to_string()
            };
            // "facture(s)", "payée(s)", "anomalie(s)": a word, then (s) or (e).
            let bytes: Vec<char> = said.chars().collect();
            for i in 1..bytes.len().saturating_sub(2) {
                if bytes[i] == '('
                    && bytes[i - 1].is_alphabetic()
                    && matches!(bytes[i + 1], 's' | 'e')
                    && bytes.get(i + 2) == Some(&')')
                {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "real plurals, please:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_template_cannot_hold_the_machine_its_work_text_and_values_are_bounded() {
    let facts = sample_facts("fr");
    let refused = |source: &str| -> String {
        match render(source, &facts) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{source:?} was rendered"),
        }
    };
    // The input the fuzzing found: a text repeated a hundred million times.
    assert!(refused("{{ 'x' * 99999999 }}").contains("« * »"));
    // Values that double at each statement, or grow by a filter.
    assert!(refused("{% set x = 'xx' %}{% set x = x ~ x %}{{ x }}").contains("« set »"));
    assert!(
        refused("{{ 'xxxxxxxx'|replace('x', 'xxxxxxxx')|replace('x', 'xxxxxxxx') }}")
            .contains("non permis")
    );
    assert!(refused("{{ ''|indent(999999999) }}").contains("non permis"));
    assert!(refused("{% for i in range(99999) %}x{% endfor %}").contains("non permis"));
    // Loops over the facts nested until the text or the work is too much.
    let mut facts_many = facts.clone();
    facts_many.factures = vec![facts.factures[0].clone(); 200];
    let nested = "{% for a in factures %}{% for b in factures %}{% for c in factures %}{{ client.nom }} {% endfor %}{% endfor %}{% endfor %}";
    let e = render(nested, &facts_many).unwrap_err().to_string();
    assert!(e.contains("mégaoctet") || e.contains("calcul"), "{e}");
    // What a letter does is still allowed, with a star or a "set" inside
    // quotes, and a raw block.
    let ok = render(
        "Objet : {{ 'Relance * urgente' }}\n\n{% if factures|length > 1 %}{% for f in factures %}{{ f.numero|upper }} {% endfor %}{% else %}{{ client.nom|default('Client') }}{% endif %} {% raw %}{% set %}{% endraw %}",
        &facts,
    )
    .unwrap();
    assert_eq!(ok.subject, "Relance * urgente");
    assert!(
        matches!(&ok.blocks[0], documents::Block::Paragraph(p) if p.contains("{% set %}")),
        "{:?}",
        ok.blocks
    );
}

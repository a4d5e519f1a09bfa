//! A realistic demonstration ledger: a small French company, 40 clients and
//! 400 invoices spread over every aging bucket, with payments, partial
//! payments and credit notes. Deterministic for a given day.

pub mod synthetic;

use rusqlite::params;
use serde::Serialize;

use crate::dates::Date;
use crate::error::{Error, Result};
use crate::ledger::{now_stamp, upsert_client_tx};
use crate::model::{Client, ClientKind, Company};
use crate::store::Ledger;

/// What the demo wrote.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DemoSummary {
    pub clients: usize,
    pub invoices: usize,
    pub credit_notes: usize,
    pub payments: usize,
}

/// A small linear congruential generator: the demo must be the same every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const CLIENTS: [(&str, &str, &str, &str, &str); 40] = [
    (
        "Boulangerie Martin",
        "12 rue de la République",
        "69002",
        "Lyon",
        "standard",
    ),
    (
        "Garage des Alpes SARL",
        "4 avenue Jean Jaurès",
        "38000",
        "Grenoble",
        "standard",
    ),
    (
        "Hôtel Le Cèdre",
        "25 quai Saint-Antoine",
        "69002",
        "Lyon",
        "grands_comptes",
    ),
    (
        "Pharmacie du Marché",
        "3 place du Marché",
        "26000",
        "Valence",
        "petits_montants",
    ),
    (
        "Menuiserie Lefèvre & Fils",
        "ZA Les Plaines",
        "42000",
        "Saint-Étienne",
        "standard",
    ),
    (
        "Cabinet Dr Rousseau",
        "8 rue Pasteur",
        "73000",
        "Chambéry",
        "petits_montants",
    ),
    (
        "Transports Girard",
        "140 route de Vienne",
        "69008",
        "Lyon",
        "grands_comptes",
    ),
    (
        "Librairie Œuvres Complètes",
        "17 rue Mercière",
        "69002",
        "Lyon",
        "petits_montants",
    ),
    (
        "Brasserie Saint-Jean",
        "2 place Saint-Jean",
        "69005",
        "Lyon",
        "standard",
    ),
    (
        "Fromagerie Bernard",
        "9 rue Carnot",
        "74000",
        "Annecy",
        "petits_montants",
    ),
    (
        "Clinique vétérinaire des Monts",
        "31 chemin des Monts",
        "38100",
        "Grenoble",
        "standard",
    ),
    (
        "Agence Immobilière Horizon",
        "5 cours Lafayette",
        "69003",
        "Lyon",
        "standard",
    ),
    (
        "Mairie de Saint-Priest",
        "Place Charles Ottina",
        "69800",
        "Saint-Priest",
        "grands_comptes",
    ),
    (
        "Électricité Moreau",
        "66 rue Paul Bert",
        "69003",
        "Lyon",
        "standard",
    ),
    (
        "Restaurant La Mère Brazier",
        "12 rue Royale",
        "69001",
        "Lyon",
        "standard",
    ),
    (
        "Imprimerie Dubois",
        "ZI Nord, 3 rue Gutenberg",
        "01000",
        "Bourg-en-Bresse",
        "standard",
    ),
    (
        "Coopérative Agricole du Forez",
        "Route de Montbrison",
        "42600",
        "Savigneux",
        "grands_comptes",
    ),
    (
        "Salon Coiffure Élégance",
        "44 rue Victor Hugo",
        "69002",
        "Lyon",
        "petits_montants",
    ),
    (
        "Plomberie Fontaine",
        "7 impasse des Lilas",
        "69100",
        "Villeurbanne",
        "standard",
    ),
    (
        "Cave des Vignerons",
        "1 route des Vins",
        "69430",
        "Beaujeu",
        "standard",
    ),
    (
        "Auto-École du Centre",
        "15 rue Nationale",
        "42300",
        "Roanne",
        "petits_montants",
    ),
    (
        "Laboratoire Biolab",
        "200 avenue Tony Garnier",
        "69007",
        "Lyon",
        "grands_comptes",
    ),
    (
        "Fleuriste Les Quatre Saisons",
        "6 rue des Fleurs",
        "26000",
        "Valence",
        "petits_montants",
    ),
    (
        "Bureau d'études Structura",
        "18 boulevard Vivier Merle",
        "69003",
        "Lyon",
        "standard",
    ),
    (
        "SCI Les Terrasses",
        "10 montée du Chemin Neuf",
        "69005",
        "Lyon",
        "standard",
    ),
    (
        "Crèche Les P'tits Loups",
        "3 allée des Écoliers",
        "38200",
        "Vienne",
        "petits_montants",
    ),
    (
        "Traiteur Gourmet & Cie",
        "27 rue de Marseille",
        "69007",
        "Lyon",
        "standard",
    ),
    (
        "Sport 2000 Villefranche",
        "ZAC du Martelet",
        "69400",
        "Villefranche-sur-Saône",
        "standard",
    ),
    (
        "Centre Hospitalier de Vienne",
        "Montée du Docteur Chapuis",
        "38200",
        "Vienne",
        "grands_comptes",
    ),
    (
        "Ébénisterie Chevalier",
        "5 chemin du Moulin",
        "01600",
        "Trévoux",
        "standard",
    ),
    (
        "Opticien Vision Plus",
        "52 rue de la Part-Dieu",
        "69003",
        "Lyon",
        "petits_montants",
    ),
    (
        "Entreprise Bâti-Rhône",
        "88 rue de Gerland",
        "69007",
        "Lyon",
        "standard",
    ),
    (
        "Camping Le Lac Bleu",
        "Route du Lac",
        "74210",
        "Doussard",
        "standard",
    ),
    (
        "Association Culture & Loisirs",
        "1 place de la Mairie",
        "69570",
        "Dardilly",
        "petits_montants",
    ),
    (
        "Cabinet d'avocats Lambert",
        "21 quai de Bondy",
        "69005",
        "Lyon",
        "standard",
    ),
    (
        "Pressing Blanc Net",
        "4 rue Duguesclin",
        "69006",
        "Lyon",
        "petits_montants",
    ),
    (
        "M. Julien Perrin",
        "14 chemin des Vignes",
        "69290",
        "Craponne",
        "petits_montants",
    ),
    (
        "Mme Claire Fabre",
        "2 rue des Tanneurs",
        "69009",
        "Lyon",
        "petits_montants",
    ),
    (
        "Scierie du Vercors",
        "Lieu-dit La Combe",
        "38250",
        "Villard-de-Lans",
        "standard",
    ),
    (
        "Domaine des Trois Chênes",
        "Chemin des Chênes",
        "69640",
        "Denicé",
        "standard",
    ),
];

/// The demonstration company's sending settings for an SMTP server on this
/// machine at `port`, without TLS or login: the test server of the tests
/// and benchmarks.
pub fn local_smtp(port: u16) -> crate::mail::SmtpSettings {
    crate::mail::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: crate::mail::Security::None,
        user: String::new(),
        from_name: "Atelier Lumière".into(),
        from_address: "relances@atelier.fr".into(),
        reply_to: String::new(),
        copy_to_self: false,
        attach_invoices: false,
    }
}

/// The demonstration's company (Atelier Lumière, Lyon): every legal
/// mention and a way to pay, as a ledger ready to send needs them.
pub fn company() -> Company {
    Company {
        legal_name: "Atelier Lumière".into(),
        legal_form: "SARL".into(),
        capital: "20 000 €".into(),
        siren: "123456782".into(),
        siret: "12345678200021".into(),
        rcs_city: "Lyon".into(),
        vat_number: "FR11123456782".into(),
        address: "18 rue de la Charité".into(),
        postcode: "69002".into(),
        city: "Lyon".into(),
        email: "compta@atelier-lumiere.fr".into(),
        phone: "04 78 00 00 00".into(),
        iban: "FR7630006000011234567890189".into(),
        bic: "AGRIFRPP".into(),
        signature_name: "Sophie Arnaud, gérante".into(),
        payment_other: String::new(),
    }
}

/// Fills an empty ledger with the demonstration company, seen from `today`.
pub fn populate(ledger: &mut Ledger, today: Date) -> Result<DemoSummary> {
    let count: i64 = ledger.conn.query_row(
        "SELECT (SELECT COUNT(*) FROM client) + (SELECT COUNT(*) FROM invoice)",
        [],
        |r| r.get(0),
    )?;
    if count > 0 {
        return Err(Error::invalid("démonstration", "le grand livre n'est pas vide : les données de démonstration vont dans un grand livre neuf"));
    }
    ledger.set_company(&company())?;
    let mut rng = Lcg(0x00E1_CA15_5E00);
    let stamp = now_stamp();
    let tx = ledger.conn.transaction()?;
    let mut summary = DemoSummary {
        clients: 0,
        invoices: 0,
        credit_notes: 0,
        payments: 0,
    };
    let mut client_ids = Vec::new();
    for (i, (name, street, postcode, city, segment)) in CLIENTS.iter().enumerate() {
        let mut client = Client::new(&format!("C{:04}", i + 1), name);
        client.address = street.to_string();
        client.postcode = postcode.to_string();
        client.city = city.to_string();
        client.segment = segment.to_string();
        let slug: String = crate::import::csv::code_from_name(name)
            .to_lowercase()
            .chars()
            .take(14)
            .collect();
        client.email = format!("compta@{slug}.fr");
        client.contact = [
            "Mme Durand",
            "M. Petit",
            "Mme Roux",
            "M. Faure",
            "Mme Blanc",
        ][i % 5]
            .to_string();
        client.phone = format!(
            "04 7{} {:02} {:02} {:02}",
            i % 10,
            (i * 7) % 100,
            (i * 13) % 100,
            (i * 29) % 100
        );
        client.terms_days = match *segment {
            "grands_comptes" => 60,
            "petits_montants" => 30,
            _ => [30, 45][i % 2],
        };
        if name.starts_with("M. ") || name.starts_with("Mme ") {
            client.kind = ClientKind::B2c;
            client.terms_days = 15;
        }
        if i == 5 {
            client.do_not_remind = true;
            client.notes = "Client historique : ne pas relancer sans accord de la gérante.".into();
        }
        client_ids.push((upsert_client_tx(&tx, &client)?, client.terms_days, *segment));
        summary.clients += 1;
    }
    for n in 0..400u64 {
        let (client_id, terms, segment) = client_ids[rng.below(client_ids.len() as u64) as usize];
        let age = rng.below(240) as i64;
        let issue = today - chrono::Days::new(age as u64);
        let due = issue + chrono::Days::new(terms as u64);
        let base: i64 = match segment {
            "grands_comptes" => 1_500_00 + rng.below(11_000_00) as i64,
            "petits_montants" => 60_00 + rng.below(600_00) as i64,
            _ => 250_00 + rng.below(4_000_00) as i64,
        };
        let amount = base / 10 * 10 + [0, 20, 50, 80][rng.below(4) as usize];
        let number = format!("FA-{}-{:04}", issue.format("%Y"), 1001 + n);
        tx.execute(
            "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label) VALUES (?1, ?2, 'invoice', ?3, ?4, ?5, 'EUR', ?6)",
            params![client_id, number, issue, due, amount, "Prestations et fournitures"],
        )?;
        let invoice_id = tx.last_insert_rowid();
        summary.invoices += 1;
        let days_past_due = (today - due).num_days();
        // Older invoices are mostly paid; recent and badly late ones less so.
        let paid_chance = match days_past_due {
            d if d < 0 => 15,
            d if d < 30 => 45,
            d if d < 90 => 70,
            _ => 80,
        };
        if rng.chance(paid_chance) {
            let lag = rng.below(40) as i64 - 10;
            let mut pay_date = due + chrono::Duration::days(lag);
            if pay_date > today {
                pay_date = today;
            }
            if pay_date < issue {
                pay_date = issue;
            }
            let partial = rng.chance(12);
            let paid = if partial {
                amount / 2 / 100 * 100
            } else {
                amount
            };
            let method = ["Virement", "Chèque", "Prélèvement", "Carte"][rng.below(4) as usize];
            tx.execute(
                "INSERT INTO payment (client_id, date, amount, currency, method, reference) VALUES (?1, ?2, ?3, 'EUR', ?4, ?5)",
                params![client_id, pay_date, paid, method, format!("{method} {number}")],
            )?;
            let payment_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO allocation (invoice_id, payment_id, amount, date, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![invoice_id, payment_id, paid, pay_date, stamp],
            )?;
            summary.payments += 1;
        } else if n % 37 == 0 {
            // A credit note for a returned delivery, used against the invoice.
            let credit = amount / 5 / 100 * 100;
            let credit_date = issue + chrono::Days::new(5);
            if credit > 0 && credit_date <= today {
                tx.execute(
                    "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label) VALUES (?1, ?2, 'credit_note', ?3, ?3, ?4, 'EUR', ?5)",
                    params![client_id, format!("AV-{}-{:04}", issue.format("%Y"), 101 + n), credit_date, -credit, format!("Avoir sur {number} (retour)")],
                )?;
                let note_id = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO allocation (invoice_id, credit_note_id, amount, date, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![invoice_id, note_id, credit, credit_date, stamp],
                )?;
                summary.credit_notes += 1;
            }
        }
    }
    // Two payments received but not yet matched, for the "non lettré" column.
    for (k, &(client_id, _, _)) in client_ids.iter().take(2).enumerate() {
        tx.execute(
            "INSERT INTO payment (client_id, date, amount, currency, method, reference) VALUES (?1, ?2, ?3, 'EUR', 'Virement', ?4)",
            params![client_id, today - chrono::Days::new(3 + k as u64), 150_00 + 75_00 * k as i64, "Virement sans référence"],
        )?;
        summary.payments += 1;
    }
    tx.commit()?;
    follow_up_history(ledger, today, &mut rng)?;
    Ok(summary)
}

/// Reminder sessions of the past months (the 1st and the 15th) as a
/// bookkeeper would have held them — most due reminders done, some skipped —
/// then a kept promise, a broken one, a running one, a dispute and a pause.
fn follow_up_history(ledger: &mut Ledger, today: Date, rng: &mut Lcg) -> Result<()> {
    use crate::reminders::{NewReminder, PauseScope};
    use chrono::Datelike;
    let start = today - chrono::Days::new(240);
    let mut sessions = Vec::new();
    let mut month = start.with_day(1).expect("first of the month");
    while month < today {
        for day in [1, 15] {
            let d = month.with_day(day).expect("valid day");
            if d >= start && d < today {
                sessions.push(d);
            }
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .expect("next month");
    }
    for session in sessions {
        for row in ledger.work_list(session)?.rows {
            if rng.chance(15) {
                continue;
            }
            let call = row.channel == crate::engine::Channel::Call;
            ledger.record_reminder(&NewReminder {
                client_id: row.client_id,
                step: row.step,
                channel: row.channel,
                date: session,
                invoice_ids: row.invoices.iter().map(|i| i.id).collect(),
                outcome: if call {
                    ["Joint", "Pas de réponse"][rng.below(2) as usize].into()
                } else {
                    String::new()
                },
                note: String::new(),
                manual: false,
            })?;
        }
    }
    // Promises, a dispute and a pause on clients that still owe something.
    let owing: Vec<(i64, i64, i64)> = {
        let mut stmt = ledger.conn.prepare(
            "SELECT i.client_id, i.id, i.amount FROM invoice i JOIN client c ON c.id = i.client_id
             WHERE i.kind = 'invoice' AND c.do_not_remind = 0 AND i.due_date < ?1
               AND i.amount > COALESCE((SELECT SUM(a.amount) FROM allocation a WHERE a.invoice_id = i.id), 0)
             ORDER BY i.due_date, i.id",
        )?;
        let rows = stmt.query_map([crate::dates::iso(today)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut clients: Vec<i64> = Vec::new();
    for (client, _, _) in &owing {
        if !clients.contains(client) {
            clients.push(*client);
        }
    }
    let money = |cents: i64| crate::money::Money::new(cents, crate::money::Currency::EUR);
    let amount_of = |client: i64| {
        owing
            .iter()
            .find(|o| o.0 == client)
            .map(|o| o.2)
            .unwrap_or(100_00)
    };
    if let [broken, running, disputed, paused, ..] = clients[..] {
        ledger.add_promise(
            broken,
            money(amount_of(broken)),
            today - chrono::Days::new(20),
            today - chrono::Days::new(6),
            "virement annoncé par téléphone",
        )?;
        ledger.add_promise(
            running,
            money(amount_of(running)),
            today - chrono::Days::new(2),
            today + chrono::Days::new(5),
            "chèque le 27",
        )?;
        let invoice = owing
            .iter()
            .find(|o| o.0 == disputed)
            .map(|o| o.1)
            .unwrap_or(0);
        ledger.add_dispute(
            invoice,
            Some(amount_of(disputed) / 4 / 100 * 100),
            "deux articles livrés abîmés",
            today - chrono::Days::new(12),
        )?;
        ledger.add_pause(
            PauseScope::Client(paused),
            today + chrono::Days::new(10),
            "redressement judiciaire : attendre le mandataire",
        )?;
    }
    Ok(())
}

/// A synthetic FEC of about `lines` lines for benchmarks: sales entries of
/// three lines (411 / 706 / 44571) and bank entries of two lines (512 / 411),
/// lettered by pairs. Deterministic.
pub fn synthetic_fec(lines: usize, clients: usize) -> String {
    synthetic_fec_year(lines, clients, 2025, &Default::default()).text
}

/// One year of [`synthetic_fec_year`] and what its customers owe at its end.
pub struct SyntheticYear {
    pub text: String,
    /// Per customer code, the balance of its 411 lines: the next year's
    /// opening entries.
    pub closing: std::collections::BTreeMap<String, i64>,
}

/// A synthetic FEC of about `lines` lines for the fiscal `year`, opening
/// (journal AN, one line per customer) with `openings`, the previous year's
/// closing balances. An invoice whose payment would fall in the next year
/// stays unpaid. Deterministic.
pub fn synthetic_fec_year(
    lines: usize,
    clients: usize,
    year: i32,
    openings: &std::collections::BTreeMap<String, i64>,
) -> SyntheticYear {
    let mut out = String::with_capacity(lines * 120);
    out.push_str("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\n");
    let cents = |c: i64| format!("{},{:02}", c / 100, c % 100);
    let base = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).expect("valid date");
    let mut closing = openings.clone();
    let mut written = 1;
    let first = base.format("%Y%m%d");
    for (code, balance) in openings.iter().filter(|(_, b)| **b > 0) {
        out.push_str(&format!("AN\tA nouveaux\tAN-{code}\t{first}\t411000\tClients\t{code}\tClient {code}\tAN\t{first}\tA nouveaux\t{}\t0,00\t\t\t{first}\t\t\n", cents(*balance)));
        out.push_str(&format!("AN\tA nouveaux\tAN-{code}\t{first}\t890000\tBilan d'ouverture\t\t\tAN\t{first}\tA nouveaux\t0,00\t{}\t\t\t{first}\t\t\n", cents(*balance)));
        written += 2;
    }
    let mut rng = Lcg(42 + year as u64);
    let mut n = 0u64;
    while written < lines {
        n += 1;
        let client = rng.below(clients as u64);
        let day = base + chrono::Days::new(rng.below(365));
        let date = day.format("%Y%m%d");
        let ht = 100 + rng.below(900_000) as i64;
        let tva = ht / 5;
        let ttc = ht + tva;
        let pay_day = day + chrono::Days::new(20 + rng.below(40));
        let paid = rng.chance(70) && pay_day <= end;
        let letter = if paid { format!("L{n}") } else { String::new() };
        let code = format!("C{client:05}");
        let number = format!("F{year}-{n}");
        out.push_str(&format!("VE\tVentes\tV{n}\t{date}\t411000\tClients\t{code}\tClient {client}\t{number}\t{date}\tFacture {number}\t{}\t0,00\t{letter}\t\t{date}\t\t\n", cents(ttc)));
        out.push_str(&format!("VE\tVentes\tV{n}\t{date}\t706000\tPrestations\t\t\t{number}\t{date}\tFacture {number}\t0,00\t{}\t\t\t{date}\t\t\n", cents(ht)));
        out.push_str(&format!("VE\tVentes\tV{n}\t{date}\t445710\tTVA collectée\t\t\t{number}\t{date}\tFacture {number}\t0,00\t{}\t\t\t{date}\t\t\n", cents(tva)));
        written += 3;
        *closing.entry(code.clone()).or_default() += ttc;
        if paid {
            let pay = pay_day.format("%Y%m%d");
            out.push_str(&format!("BQ\tBanque\tB{n}\t{pay}\t512000\tBanque\t\t\tVIR{n}\t{pay}\tVirement {number}\t{}\t0,00\t\t\t{pay}\t\t\n", cents(ttc)));
            out.push_str(&format!("BQ\tBanque\tB{n}\t{pay}\t411000\tClients\t{code}\tClient {client}\tVIR{n}\t{pay}\tVirement {number}\t0,00\t{}\t{letter}\t{pay}\t{pay}\t\t\n", cents(ttc)));
            written += 2;
            *closing.entry(code).or_default() -= ttc;
        }
    }
    SyntheticYear { text: out, closing }
}

/// Fills a ledger with `clients` clients and `invoices` invoices (about a
/// third paid, some partly) for benchmarks at the scale of SPEC §3.
pub fn populate_scale(
    ledger: &mut Ledger,
    clients: usize,
    invoices: usize,
    today: Date,
) -> Result<()> {
    let stamp = now_stamp();
    let tx = ledger.conn.transaction()?;
    let mut rng = Lcg(7);
    {
        let mut insert_client = tx.prepare("INSERT INTO client (code, name, city, segment, terms_days) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for c in 0..clients {
            let segment = ["grands_comptes", "standard", "standard", "petits_montants"][c % 4];
            insert_client.execute(params![
                format!("C{c:05}"),
                format!("Client {c}"),
                "Lyon",
                segment,
                30
            ])?;
        }
        let mut insert_invoice = tx.prepare(
            "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency) VALUES (?1, ?2, 'invoice', ?3, ?4, ?5, 'EUR')",
        )?;
        let mut insert_payment = tx.prepare("INSERT INTO payment (client_id, date, amount, currency, method) VALUES (?1, ?2, ?3, 'EUR', 'Virement')")?;
        let mut insert_allocation = tx.prepare("INSERT INTO allocation (invoice_id, payment_id, amount, date, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for n in 0..invoices {
            let client_id = 1 + rng.below(clients as u64) as i64;
            let issue = today - chrono::Days::new(rng.below(400));
            let due = issue + chrono::Days::new(30);
            let amount = 1_000 + rng.below(2_000_000) as i64;
            insert_invoice.execute(params![client_id, format!("F{n:07}"), issue, due, amount])?;
            let invoice_id = tx.last_insert_rowid();
            if rng.chance(35) {
                let paid = if rng.chance(15) { amount / 2 } else { amount };
                let date = (due + chrono::Days::new(rng.below(30))).min(today);
                insert_payment.execute(params![client_id, date, paid])?;
                insert_allocation.execute(params![
                    invoice_id,
                    tx.last_insert_rowid(),
                    paid,
                    date,
                    stamp
                ])?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

//! Synthetic books over several years, exported as the successive FEC files
//! a company's accountant would hand over: for tests and benchmarks of the
//! books over time (src/books/import/books.rs).
//!
//! One company, calendar fiscal years. Invoices (411 / 706 / 44571),
//! credit notes, full and partial payments, some of them in the next year;
//! each year's file opens with its "à-nouveaux" (per invoice or per
//! customer) and letters what is settled by its last day, across years
//! included. A mid-year file of a year may come before its year-end file,
//! with one lettering the year-end file removes and one amount it corrects.
//! Each file comes with the balance of each customer's 411 lines, the
//! figure the ledger must show after importing it.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{Datelike, Days, NaiveDate};

/// What to generate.
#[derive(Clone, Debug)]
pub struct BooksSpec {
    pub seed: u64,
    pub clients: usize,
    pub first_year: i32,
    pub years: i32,
    pub invoices_per_year: usize,
    /// Openings one line per open invoice (else one line per customer).
    pub detailed_openings: bool,
    /// Also a file of each year but the first, running to 30 June, with a
    /// lettering and an amount that the year-end file changes.
    pub mid_year_files: bool,
}

/// One exported FEC.
#[derive(Clone, Debug)]
pub struct BooksFile {
    pub name: String,
    pub year: i32,
    pub mid_year: bool,
    pub text: String,
    /// Debits less credits of each customer's 411 lines, in cents.
    pub balances: BTreeMap<String, i64>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A movement settling an invoice: a payment or a credit note.
#[derive(Clone, Debug)]
struct Settle {
    date: NaiveDate,
    cents: i64,
    credit_note: bool,
    id: usize,
}

#[derive(Clone, Debug)]
struct Invoice {
    number: String,
    client: usize,
    date: NaiveDate,
    cents: i64,
    settles: Vec<Settle>,
}

impl Invoice {
    fn open_at(&self, day: NaiveDate) -> i64 {
        self.cents
            - self
                .settles
                .iter()
                .filter(|s| s.date <= day)
                .map(|s| s.cents)
                .sum::<i64>()
    }
    /// The day it was fully settled, if it was.
    fn settled_on(&self) -> Option<NaiveDate> {
        let sum: i64 = self.settles.iter().map(|s| s.cents).sum();
        (sum == self.cents).then(|| self.settles.iter().map(|s| s.date).max())?
    }
}

fn cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", c.abs() / 100, c.abs() % 100)
}

fn client_code(c: usize) -> String {
    format!("C{c:03}")
}

/// Generates the books and exports the files, oldest first.
pub fn books(spec: &BooksSpec) -> Vec<BooksFile> {
    let mut rng = Rng(spec.seed);
    let mut invoices: Vec<Invoice> = Vec::new();
    let mut next_settle = 0usize;
    for year in spec.first_year..spec.first_year + spec.years {
        let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
        for _ in 0..spec.invoices_per_year {
            let date = start + Days::new(rng.below(365));
            let cents = 1_000 + rng.below(500_000) as i64;
            let mut inv = Invoice {
                number: format!("F{}{:04}", year, invoices.len() + 1),
                client: rng.below(spec.clients as u64) as usize,
                date,
                cents,
                settles: Vec::new(),
            };
            let roll = rng.below(100);
            let pay_day = |rng: &mut Rng| date + Days::new(10 + rng.below(150));
            let mut settle = |rng: &mut Rng, c: i64, credit_note: bool| {
                next_settle += 1;
                Settle {
                    date: pay_day(rng),
                    cents: c,
                    credit_note,
                    id: next_settle,
                }
            };
            if roll < 55 {
                inv.settles.push(settle(&mut rng, cents, false));
            } else if roll < 65 {
                let first = cents / 3;
                inv.settles.push(settle(&mut rng, first, false));
                inv.settles.push(settle(&mut rng, cents - first, false));
            } else if roll < 72 {
                let note = cents / 4;
                inv.settles.push(settle(&mut rng, note, true));
                inv.settles.push(settle(&mut rng, cents - note, false));
            } else if roll < 85 {
                inv.settles.push(settle(&mut rng, cents / 2, false));
            }
            inv.settles.sort_by_key(|s| (s.date, s.id));
            invoices.push(inv);
        }
    }
    let mut files = Vec::new();
    for year in spec.first_year..spec.first_year + spec.years {
        if spec.mid_year_files && year > spec.first_year {
            files.push(export(spec, &invoices, year, true));
        }
        files.push(export(spec, &invoices, year, false));
    }
    files
}

/// The file of `year`, running to 30 June (`mid_year`) or 31 December.
fn export(spec: &BooksSpec, invoices: &[Invoice], year: i32, mid_year: bool) -> BooksFile {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
    let end = if mid_year {
        NaiveDate::from_ymd_opt(year, 6, 30)
    } else {
        NaiveDate::from_ymd_opt(year, 12, 31)
    }
    .expect("a day");
    let before = start.pred_opt().expect("a day");
    let ymd = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let mut text = String::from("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\n");
    let mut balances: BTreeMap<String, i64> = BTreeMap::new();
    let mut line = |text: &mut String,
                    journal: &str,
                    number: &str,
                    date: NaiveDate,
                    account: &str,
                    client: Option<usize>,
                    piece: &str,
                    label: &str,
                    amount: i64,
                    letter: &str| {
        let (aux, aux_lib) = match client {
            Some(c) => (client_code(c), format!("Client {c}")),
            None => (String::new(), String::new()),
        };
        if let Some(c) = client {
            *balances.entry(client_code(c)).or_default() += amount;
        }
        let (debit, credit) = if amount >= 0 {
            (amount, 0)
        } else {
            (0, -amount)
        };
        let _ = writeln!(
            text,
            "{journal}\t{journal}\t{number}\t{d}\t{account}\t{account}\t{aux}\t{aux_lib}\t{piece}\t{d}\t{label}\t{}\t{}\t{letter}\t\t{d}\t\t",
            cents(debit),
            cents(credit),
            d = ymd(date)
        );
    };
    // The one lettering a year-end file removes, and the one amount it
    // corrects, when a mid-year file came first: chosen the same way in both.
    let first_half = |i: &&Invoice| i.date >= start && i.date.month() <= 6 && i.date.year() == year;
    let unlettered = spec
        .mid_year_files
        .then(|| {
            invoices
                .iter()
                .filter(first_half)
                .find(|i| {
                    i.settled_on()
                        .is_some_and(|d| d.year() == year && d.month() <= 6)
                })
                .map(|i| i.number.clone())
        })
        .flatten();
    let corrected = spec
        .mid_year_files
        .then(|| {
            invoices
                .iter()
                .filter(first_half)
                .find(|i| i.settles.is_empty())
                .map(|i| i.number.clone())
        })
        .flatten();
    let settled_by_end = |i: &Invoice| i.settled_on().is_some_and(|d| d <= end);
    let mut letters = 0usize;
    let mut new_letter = || {
        letters += 1;
        let mut n = letters;
        let mut code = String::new();
        while n > 0 {
            code.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
            n = (n - 1) / 26;
        }
        code
    };
    // Openings: what was open the day before, per invoice or per customer.
    let carried: Vec<&Invoice> = invoices
        .iter()
        .filter(|i| i.date <= before && i.open_at(before) != 0)
        .collect();
    // The letter of an invoice carried from earlier years, on its opening
    // line and its settlements: its own (one opening line per invoice) or
    // its customer's, once every item carried for the customer is settled.
    let carried_letter = |inv: &Invoice| {
        if !settled_by_end(inv) {
            String::new()
        } else if spec.detailed_openings {
            format!("N{}", inv.number)
        } else if carried
            .iter()
            .filter(|o| o.client == inv.client)
            .all(|o| settled_by_end(o))
        {
            format!("N{}", client_code(inv.client))
        } else {
            String::new()
        }
    };
    if year > spec.first_year {
        let mut per_client: BTreeMap<usize, Vec<&Invoice>> = BTreeMap::new();
        for i in &carried {
            per_client.entry(i.client).or_default().push(i);
        }
        for (client, items) in per_client {
            let number = format!("AN-{}", client_code(client));
            let total: i64 = items.iter().map(|i| i.open_at(before)).sum();
            if spec.detailed_openings {
                for i in &items {
                    let letter = carried_letter(i);
                    line(
                        &mut text,
                        "AN",
                        &number,
                        start,
                        "411000",
                        Some(client),
                        &i.number,
                        &format!("A nouveau {}", i.number),
                        i.open_at(before),
                        &letter,
                    );
                }
            } else {
                let letter = carried_letter(items[0]);
                line(
                    &mut text,
                    "AN",
                    &number,
                    start,
                    "411000",
                    Some(client),
                    "AN",
                    "A nouveaux",
                    total,
                    &letter,
                );
            }
            line(
                &mut text,
                "AN",
                &number,
                start,
                "890000",
                None,
                "AN",
                "Bilan d'ouverture",
                -total,
                "",
            );
        }
    }
    // The year's invoices, credit notes and payments.
    for inv in invoices.iter().filter(|i| i.date >= start && i.date <= end) {
        let amount = if mid_year && corrected.as_deref() == Some(inv.number.as_str()) {
            inv.cents + 10_000
        } else {
            inv.cents
        };
        let lettered = settled_by_end(inv)
            && amount == inv.cents
            && (mid_year || unlettered.as_deref() != Some(inv.number.as_str()));
        let letter = if lettered {
            new_letter()
        } else {
            String::new()
        };
        let ht = amount * 5 / 6;
        line(
            &mut text,
            "VE",
            &inv.number,
            inv.date,
            "411000",
            Some(inv.client),
            &inv.number,
            &format!("Facture {}", inv.number),
            amount,
            &letter,
        );
        line(
            &mut text,
            "VE",
            &inv.number,
            inv.date,
            "706000",
            None,
            &inv.number,
            &format!("Facture {}", inv.number),
            -ht,
            "",
        );
        line(
            &mut text,
            "VE",
            &inv.number,
            inv.date,
            "445710",
            None,
            &inv.number,
            &format!("Facture {}", inv.number),
            -(amount - ht),
            "",
        );
        inv_settles(&mut text, &mut line, inv, start, end, &letter);
    }
    // Settlements this year of invoices carried from earlier years.
    for inv in &carried {
        let letter = carried_letter(inv);
        inv_settles(&mut text, &mut line, inv, start, end, &letter);
    }
    BooksFile {
        name: format!(
            "123456789FEC{}{}.txt",
            year,
            if mid_year { "0630" } else { "1231" }
        ),
        year,
        mid_year,
        text,
        balances,
    }
}

/// The lines of `inv`'s settlements dated in [start, end].
#[allow(clippy::type_complexity)]
fn inv_settles(
    text: &mut String,
    line: &mut impl FnMut(
        &mut String,
        &str,
        &str,
        NaiveDate,
        &str,
        Option<usize>,
        &str,
        &str,
        i64,
        &str,
    ),
    inv: &Invoice,
    start: NaiveDate,
    end: NaiveDate,
    letter: &str,
) {
    for s in inv
        .settles
        .iter()
        .filter(|s| s.date >= start && s.date <= end)
    {
        if s.credit_note {
            let number = format!("AV{:05}", s.id);
            let ht = s.cents * 5 / 6;
            line(
                text,
                "VE",
                &number,
                s.date,
                "411000",
                Some(inv.client),
                &number,
                &format!("Avoir sur {}", inv.number),
                -s.cents,
                letter,
            );
            line(
                text,
                "VE",
                &number,
                s.date,
                "706000",
                None,
                &number,
                &format!("Avoir sur {}", inv.number),
                ht,
                "",
            );
            line(
                text,
                "VE",
                &number,
                s.date,
                "445710",
                None,
                &number,
                &format!("Avoir sur {}", inv.number),
                s.cents - ht,
                "",
            );
        } else {
            let number = format!("P{:05}", s.id);
            line(
                text,
                "BQ",
                &number,
                s.date,
                "512000",
                None,
                &number,
                &format!("Virement {}", inv.number),
                s.cents,
                "",
            );
            line(
                text,
                "BQ",
                &number,
                s.date,
                "411000",
                Some(inv.client),
                &number,
                &format!("Virement {}", inv.number),
                -s.cents,
                letter,
            );
        }
    }
}

/// `text` (a file of [`books`]) with its first customer's opening line and
/// the counterpart moved by `cents`: opening entries that differ from the
/// previous year's closing state, as a faulty export would give.
pub fn shift_first_opening(text: &str, cents: i64) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let first = lines.iter().position(|l| l.starts_with("AN\t"));
    let counter = lines
        .iter()
        .position(|l| l.starts_with("AN\t") && l.contains("\t890000\t"));
    let (Some(first), Some(counter)) = (first, counter) else {
        return text.to_string();
    };
    let moved = |line: &str, column: usize| {
        let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        let was = crate::money::parse_amount(&fields[column]).unwrap_or(0);
        fields[column] = self::cents(was + cents);
        fields.join("\t")
    };
    lines[first] = moved(&lines[first], 11);
    lines[counter] = moved(&lines[counter], 12);
    lines.join("\n") + "\n"
}

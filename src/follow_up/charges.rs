//! Late-payment charges: interest and fixed recovery indemnity.
//!
//! French B2B (Code de commerce art. L441-10 and D441-5):
//! - penalties run from the day after the due date, without any reminder;
//! - default rate: the ECB main refinancing rate + 10 points, the rate in
//!   force on 1 January applying to the first half-year and the one in force
//!   on 1 July to the second (L441-10 II);
//! - a contractual rate may replace it, never below three times the legal
//!   interest rate;
//! - plus a fixed 40 € indemnity for recovery costs per invoice (D441-5; due per
//!   invoice, CJEU C-585/20).
//!
//! French B2C: no indemnity and no fees; interest only from the formal notice,
//! at the legal interest rate (Code civil art. 1231-6), for a business
//! creditor the rate "autres cas".
//!
//! Conventions (documented because a debtor may check them):
//! - simple interest, `base × rate × days / 365`, every year counted as 365 days
//!   as the legal texts quote annual rates;
//! - days are counted from the day after the due date up to and including the
//!   as-of date, so `days = as_of − due_date`;
//! - a partial payment reduces the base from the day after it is received;
//! - in "split per half-year" mode, each half-year uses its own rate; in "frozen
//!   at start" mode, the rate of the half-year in which lateness began applies
//!   throughout (a common, more cautious reading);
//! - the exact sum of the segments is rounded once, to the cent, half away
//!   from zero.
//!
//! Engine rule sets are data ([`RuleSet`]): adding a country adds a value,
//! not code. Nothing here reads the clock.

use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::money::{Currency, Money};

/// A rate in force from a date (percent per year).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatedRate {
    pub from: Date,
    pub percent: Decimal,
}

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::from_ymd_opt(y, m, day).expect("valid table date")
}

fn pct(text: &str) -> Decimal {
    text.parse().expect("valid table rate")
}

/// The rate tables shipped with Encaisse (SPEC D3); the user may add rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateTables {
    /// ECB main refinancing operations rate.
    pub ecb_mro: Vec<DatedRate>,
    /// French legal interest rate, "autres cas" (creditor is not a consumer), per half-year.
    pub fr_legal_other: Vec<DatedRate>,
    /// German base rate (Basiszinssatz, § 247 BGB), per half-year.
    pub de_base: Vec<DatedRate>,
    /// Bank of England base rate.
    pub boe_base: Vec<DatedRate>,
    /// Last day the ECB table is known to be complete (rates change on any date).
    pub ecb_known_through: Date,
    /// Last day the Bank of England table is known to be complete.
    pub boe_known_through: Date,
}

impl Default for RateTables {
    fn default() -> Self {
        RateTables {
            ecb_mro: vec![
                DatedRate {
                    from: d(2023, 9, 20),
                    percent: pct("4.50"),
                },
                DatedRate {
                    from: d(2024, 6, 12),
                    percent: pct("4.25"),
                },
                DatedRate {
                    from: d(2024, 9, 18),
                    percent: pct("3.65"),
                },
                DatedRate {
                    from: d(2024, 10, 23),
                    percent: pct("3.40"),
                },
                DatedRate {
                    from: d(2024, 12, 18),
                    percent: pct("3.15"),
                },
                DatedRate {
                    from: d(2025, 2, 5),
                    percent: pct("2.90"),
                },
                DatedRate {
                    from: d(2025, 3, 12),
                    percent: pct("2.65"),
                },
                DatedRate {
                    from: d(2025, 4, 23),
                    percent: pct("2.40"),
                },
                DatedRate {
                    from: d(2025, 6, 11),
                    percent: pct("2.15"),
                },
            ],
            fr_legal_other: vec![
                DatedRate {
                    from: d(2024, 1, 1),
                    percent: pct("5.07"),
                },
                DatedRate {
                    from: d(2024, 7, 1),
                    percent: pct("4.92"),
                },
                DatedRate {
                    from: d(2025, 1, 1),
                    percent: pct("3.71"),
                },
                DatedRate {
                    from: d(2025, 7, 1),
                    percent: pct("2.76"),
                },
                DatedRate {
                    from: d(2026, 1, 1),
                    percent: pct("2.62"),
                },
            ],
            de_base: vec![
                DatedRate {
                    from: d(2024, 1, 1),
                    percent: pct("3.62"),
                },
                DatedRate {
                    from: d(2024, 7, 1),
                    percent: pct("3.37"),
                },
                DatedRate {
                    from: d(2025, 1, 1),
                    percent: pct("2.27"),
                },
                DatedRate {
                    from: d(2025, 7, 1),
                    percent: pct("1.27"),
                },
                // § 247 BGB: moves with the ECB MRO since the last change;
                // the MRO stayed at 2.15 % (11 June 2025), so 1.27 % again.
                DatedRate {
                    from: d(2026, 1, 1),
                    percent: pct("1.27"),
                },
            ],
            boe_base: vec![
                DatedRate {
                    from: d(2023, 8, 3),
                    percent: pct("5.25"),
                },
                DatedRate {
                    from: d(2024, 8, 1),
                    percent: pct("5.00"),
                },
                DatedRate {
                    from: d(2024, 11, 7),
                    percent: pct("4.75"),
                },
                DatedRate {
                    from: d(2025, 2, 6),
                    percent: pct("4.50"),
                },
                DatedRate {
                    from: d(2025, 5, 8),
                    percent: pct("4.25"),
                },
                DatedRate {
                    from: d(2025, 8, 7),
                    percent: pct("4.00"),
                },
                DatedRate {
                    from: d(2025, 12, 18),
                    percent: pct("3.75"),
                },
            ],
            // SPEC D3: the 2.15 % of 11 June 2025 was unchanged through February 2026.
            ecb_known_through: d(2026, 2, 28),
            // Held on 6 November 2025, cut to 3.75 % on 18 December 2025;
            // known until the next decision (5 February 2026).
            boe_known_through: d(2026, 2, 4),
        }
    }
}

/// A rate looked up in a table, and whether it had to be carried forward.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Lookup {
    pub percent: Decimal,
    /// The table's row that was used.
    pub from: Date,
    /// True when the table has no row for the period yet and the latest known
    /// rate was used: the user must confirm it.
    pub to_confirm: bool,
}

/// The rate of `table` in force on `on`; `known_through` is the last day the
/// table is known to be complete for (after it, the rate is carried forward
/// and must be confirmed).
fn in_force(table: &[DatedRate], on: Date, known_through: Date) -> Option<Lookup> {
    let row = table.iter().rev().find(|r| r.from <= on)?;
    Some(Lookup {
        percent: row.percent,
        from: row.from,
        to_confirm: on > known_through,
    })
}

/// Last day of a half-yearly table: the end of the half-year of its last row.
fn half_yearly_known_through(table: &[DatedRate]) -> Date {
    table
        .last()
        .map(|r| next_half_year(r.from) - chrono::Days::new(1))
        .unwrap_or(d(1900, 1, 1))
}

/// First day of the half-year containing `date`.
pub fn half_year_start(date: Date) -> Date {
    d(date.year(), if date.month() <= 6 { 1 } else { 7 }, 1)
}

fn next_half_year(date: Date) -> Date {
    let start = half_year_start(date);
    if start.month() == 1 {
        d(start.year(), 7, 1)
    } else {
        d(start.year() + 1, 1, 1)
    }
}

/// Which reference rate a country's late-payment interest follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Reference {
    /// ECB MRO, rate of 1 January / 1 July (France, L441-10).
    EcbHalfYear,
    /// Legal interest rate "autres cas" (France, consumers).
    FrLegalOther,
    /// German base rate, per half-year.
    DeBase,
    /// Bank of England base rate on 30 June / 31 December before the half-year.
    BoeBase,
}

/// A fixed indemnity that depends on the amount owed (UK: £40 / £70 / £100).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndemnityStep {
    /// Applies when the invoice amount is below this many cents (`None` = above all).
    pub below_cents: Option<i64>,
    pub cents: i64,
}

/// A country's late-payment rules for one kind of customer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleSet {
    pub name: &'static str,
    pub currency: Currency,
    pub reference: Reference,
    /// Points added to the reference rate.
    pub margin: Decimal,
    /// Fixed recovery indemnity per invoice, by invoice amount (empty = none).
    pub indemnity: Vec<IndemnityStep>,
    /// Interest only runs from the formal notice (consumers in France).
    pub interest_from_notice: bool,
}

impl RuleSet {
    /// France, between businesses (L441-10, D441-5).
    pub fn fr_b2b() -> Self {
        RuleSet {
            name: "FR B2B",
            currency: Currency::EUR,
            reference: Reference::EcbHalfYear,
            margin: Decimal::from(10),
            indemnity: vec![IndemnityStep {
                below_cents: None,
                cents: 40_00,
            }],
            interest_from_notice: false,
        }
    }
    /// France, consumer debtor: legal rate from the formal notice, no indemnity.
    pub fn fr_b2c() -> Self {
        RuleSet {
            name: "FR B2C",
            currency: Currency::EUR,
            reference: Reference::FrLegalOther,
            margin: Decimal::ZERO,
            indemnity: vec![],
            interest_from_notice: true,
        }
    }
    /// Germany, between businesses (§ 288 II, V BGB): base rate + 9 points, 40 € flat.
    pub fn de_b2b() -> Self {
        RuleSet {
            name: "DE B2B",
            currency: Currency::EUR,
            reference: Reference::DeBase,
            margin: Decimal::from(9),
            indemnity: vec![IndemnityStep {
                below_cents: None,
                cents: 40_00,
            }],
            interest_from_notice: false,
        }
    }
    /// Germany, consumer debtor (§ 288 I BGB): base rate + 5 points.
    pub fn de_b2c() -> Self {
        RuleSet {
            name: "DE B2C",
            currency: Currency::EUR,
            reference: Reference::DeBase,
            margin: Decimal::from(5),
            indemnity: vec![],
            interest_from_notice: false,
        }
    }
    /// United Kingdom (Late Payment of Commercial Debts (Interest) Act 1998):
    /// base rate + 8 points, £40 / £70 / £100 by amount.
    pub fn uk_b2b() -> Self {
        RuleSet {
            name: "UK B2B",
            currency: Currency::parse("GBP").expect("GBP"),
            reference: Reference::BoeBase,
            margin: Decimal::from(8),
            indemnity: vec![
                IndemnityStep {
                    below_cents: Some(1_000_00),
                    cents: 40_00,
                },
                IndemnityStep {
                    below_cents: Some(10_000_00),
                    cents: 70_00,
                },
                IndemnityStep {
                    below_cents: None,
                    cents: 100_00,
                },
            ],
            interest_from_notice: false,
        }
    }

    /// The rule set for a client's country and kind, if Encaisse knows it.
    pub fn for_client(country: &str, b2c: bool) -> Option<RuleSet> {
        match (country.to_ascii_uppercase().as_str(), b2c) {
            ("FR" | "", false) => Some(RuleSet::fr_b2b()),
            ("FR" | "", true) => Some(RuleSet::fr_b2c()),
            ("DE", false) => Some(RuleSet::de_b2b()),
            ("DE", true) => Some(RuleSet::de_b2c()),
            ("GB" | "UK", false) => Some(RuleSet::uk_b2b()),
            _ => None,
        }
    }

    fn indemnity_for(&self, amount_cents: i64) -> i64 {
        self.indemnity
            .iter()
            .find(|s| s.below_cents.is_none_or(|b| amount_cents < b))
            .map(|s| s.cents)
            .unwrap_or(0)
    }
}

/// How the rate follows the half-years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
pub enum RateMode {
    /// Each half-year at its own rate (the letter of L441-10).
    #[default]
    SplitPerHalfYear,
    /// The rate of the half-year in which lateness began, throughout.
    FrozenAtStart,
}

/// What the user agreed or waived for this invoice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Terms {
    pub mode: RateMode,
    /// Contractual annual rate in percent, replacing reference + margin.
    pub contractual_percent: Option<Decimal>,
    /// No interest (waived for this client or invoice).
    pub waive_interest: bool,
    /// No fixed indemnity (waived for this client or invoice).
    pub waive_indemnity: bool,
    /// Date of the formal notice (needed where interest runs from it).
    pub formal_notice: Option<Date>,
}

/// One stretch of time at one rate on one base.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Segment {
    /// First day counted.
    pub from: Date,
    /// Last day counted.
    pub to: Date,
    pub days: i64,
    pub base_cents: i64,
    pub percent: Decimal,
    /// Exact interest of the segment, before the final rounding.
    pub interest: Decimal,
}

/// The charges on one invoice on one day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Charges {
    pub days_late: i64,
    pub segments: Vec<Segment>,
    pub interest: Money,
    pub indemnity: Money,
    /// Rates that were carried forward and must be confirmed by the user.
    pub rates_to_confirm: Vec<String>,
    /// Set when a contractual rate was below the legal floor and was raised to it.
    pub floor_applied: bool,
}

impl Charges {
    /// Each annual rate used and the days it ran, periods at one rate run
    /// together (a payment changes the base, not the rate).
    pub fn rate_periods(&self) -> Vec<(Decimal, Date, Date)> {
        let mut periods: Vec<(Decimal, Date, Date)> = Vec::new();
        for s in &self.segments {
            match periods.last_mut() {
                Some((p, _, to)) if *p == s.percent && *to + chrono::Days::new(1) == s.from => {
                    *to = s.to
                }
                _ => periods.push((s.percent, s.from, s.to)),
            }
        }
        periods
    }

    /// "12,15 % du 06/10/2026 au 22/11/2026", each period, for a table.
    pub fn rates_fr(&self) -> String {
        self.rate_periods()
            .iter()
            .map(|(p, from, to)| {
                format!(
                    "{} % du {} au {}",
                    p.normalize().to_string().replace('.', ","),
                    crate::dates::format_fr(*from),
                    crate::dates::format_fr(*to)
                )
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

/// Computes the late-payment charges of an invoice of `amount_cents` (incl.
/// VAT) due on `due`, on `as_of`, with `payments` (date, cents) received.
pub fn charges(
    amount_cents: i64,
    due: Date,
    as_of: Date,
    payments: &[(Date, i64)],
    rules: &RuleSet,
    terms: &Terms,
    rates: &RateTables,
) -> Charges {
    let currency = rules.currency;
    let days_late = (as_of - due).num_days().max(0);
    let mut result = Charges {
        days_late,
        segments: Vec::new(),
        interest: Money::zero(currency),
        indemnity: Money::zero(currency),
        rates_to_confirm: Vec::new(),
        floor_applied: false,
    };
    if days_late == 0 || amount_cents <= 0 {
        return result;
    }
    if !terms.waive_indemnity {
        result.indemnity = Money::new(rules.indemnity_for(amount_cents), currency);
    }
    if terms.waive_interest {
        return result;
    }
    // Interest starts the day after the due date, or after the formal notice where the law says so.
    let mut start = due + chrono::Days::new(1);
    if rules.interest_from_notice {
        match terms.formal_notice {
            Some(notice) => start = start.max(notice + chrono::Days::new(1)),
            None => return result,
        }
    }
    if start > as_of {
        return result;
    }
    // Cut points: half-year starts and the day after each payment.
    let mut cuts: Vec<Date> = Vec::new();
    let mut h = next_half_year(start);
    while h <= as_of {
        cuts.push(h);
        h = next_half_year(h);
    }
    let mut paid: Vec<(Date, i64)> = payments
        .iter()
        .copied()
        .filter(|(date, _)| *date <= as_of)
        .collect();
    paid.sort();
    for (date, _) in &paid {
        let next = *date + chrono::Days::new(1);
        if next > start && next <= as_of {
            cuts.push(next);
        }
    }
    cuts.sort();
    cuts.dedup();
    let frozen = match terms.mode {
        RateMode::FrozenAtStart => Some(rate_for(start, rules, terms, rates, &mut result)),
        RateMode::SplitPerHalfYear => None,
    };
    let mut from = start;
    let mut exact = Decimal::ZERO;
    for boundary in cuts
        .into_iter()
        .chain(std::iter::once(as_of + chrono::Days::new(1)))
    {
        if boundary <= from {
            continue;
        }
        let to = boundary - chrono::Days::new(1);
        let paid_before: i64 = paid
            .iter()
            .filter(|(date, _)| *date < from)
            .map(|(_, c)| c)
            .sum();
        let base = (amount_cents - paid_before).max(0);
        let percent = frozen.unwrap_or_else(|| rate_for(from, rules, terms, rates, &mut result));
        let days = (to - from).num_days() + 1;
        let interest = Decimal::new(base, 2) * percent / Decimal::from(100) * Decimal::from(days)
            / Decimal::from(365);
        exact += interest;
        if base > 0 {
            result.segments.push(Segment {
                from,
                to,
                days,
                base_cents: base,
                percent,
                interest,
            });
        }
        from = boundary;
    }
    result.interest = Money::from_decimal(exact, currency).unwrap_or(Money::zero(currency));
    result.rates_to_confirm.sort();
    result.rates_to_confirm.dedup();
    result
}

/// The annual rate (percent) that applies on `day`.
fn rate_for(
    day: Date,
    rules: &RuleSet,
    terms: &Terms,
    rates: &RateTables,
    result: &mut Charges,
) -> Decimal {
    let period = half_year_start(day);
    let (table, name, on, known): (&[DatedRate], &str, Date, Date) = match rules.reference {
        // L441-10: the ECB rate in force on 1 January / 1 July.
        Reference::EcbHalfYear => (&rates.ecb_mro, "taux BCE", period, rates.ecb_known_through),
        Reference::FrLegalOther => (
            &rates.fr_legal_other,
            "taux d'intérêt légal",
            period,
            half_yearly_known_through(&rates.fr_legal_other),
        ),
        Reference::DeBase => (
            &rates.de_base,
            "Basiszinssatz",
            period,
            half_yearly_known_through(&rates.de_base),
        ),
        // The UK Act uses the base rate in force on 30 June / 31 December before the period.
        Reference::BoeBase => (
            &rates.boe_base,
            "Bank of England base rate",
            period - chrono::Days::new(1),
            rates.boe_known_through,
        ),
    };
    let lookup = in_force(table, on, known);
    let reference = match lookup {
        Some(l) => {
            if l.to_confirm {
                result.rates_to_confirm.push(format!("{name} du semestre commençant le {} : {} % (dernière valeur connue) à confirmer", crate::dates::format_fr(period), l.percent));
            }
            l.percent
        }
        None => {
            result.rates_to_confirm.push(format!(
                "{name} au {} : aucune valeur dans la table",
                crate::dates::format_fr(period)
            ));
            Decimal::ZERO
        }
    };
    let statutory = reference + rules.margin;
    match terms.contractual_percent {
        None => statutory,
        Some(contract) => {
            // L441-10: a contractual rate may not be below three times the legal interest rate.
            let legal = in_force(
                &rates.fr_legal_other,
                period,
                half_yearly_known_through(&rates.fr_legal_other),
            )
            .map(|l| l.percent)
            .unwrap_or(Decimal::ZERO);
            let floor = legal * Decimal::from(3);
            if contract < floor {
                result.floor_applied = true;
                floor
            } else {
                contract
            }
        }
    }
}

/// How long a claim can still be pursued in court.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Prescription {
    /// The last day to act (assignation, injonction de payer).
    pub expires: Date,
    /// Days left on `as_of` (negative once expired).
    pub days_left: i64,
    /// Within the warning window (6 months) or expired.
    pub warn: bool,
}

/// Prescription of a claim from `delivery`: 5 years between businesses (C. com.
/// L110-4), 2 years against a consumer (C. consom. L218-2). A formal notice does
/// not interrupt it; a court action or the debtor's acknowledgement does.
pub fn prescription(delivery: Date, b2c: bool, as_of: Date) -> Prescription {
    let years = if b2c { 2 } else { 5 };
    let expires = delivery
        .with_year(delivery.year() + years)
        .unwrap_or_else(|| d(delivery.year() + years, 2, 28));
    let days_left = (expires - as_of).num_days();
    Prescription {
        expires,
        days_left,
        warn: days_left <= 183,
    }
}

/// The charges of one open invoice, for reports and letters.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceCharges {
    pub invoice_id: i64,
    pub number: String,
    pub client_code: String,
    pub client_name: String,
    pub due_date: Date,
    pub amount: Money,
    pub open: Money,
    /// `None` when Encaisse has no rule set for the client's country.
    pub rules: Option<&'static str>,
    pub charges: Option<Charges>,
    pub prescription: Prescription,
}

/// Setting holding the user's rate tables (JSON); absent = the shipped ones.
pub(crate) const RATES_SETTING: &str = "rate_tables";

/// Checks rate tables before they are saved: rates between −5 % and 50 %,
/// dates strictly increasing in each table.
pub fn validate_rates(rates: &RateTables) -> crate::Result<()> {
    let tables = [
        ("taux BCE", &rates.ecb_mro),
        ("taux légal (autres cas)", &rates.fr_legal_other),
        ("Basiszinssatz", &rates.de_base),
        ("Bank of England", &rates.boe_base),
    ];
    for (name, table) in tables {
        if table.is_empty() {
            return Err(crate::Error::invalid(name, "la table est vide"));
        }
        for pair in table.windows(2) {
            if pair[1].from <= pair[0].from {
                return Err(crate::Error::invalid(
                    name,
                    format!(
                        "les dates doivent croître ({} après {})",
                        crate::dates::format_fr(pair[1].from),
                        crate::dates::format_fr(pair[0].from)
                    ),
                ));
            }
        }
        for r in table.iter() {
            if r.percent < Decimal::from(-5) || r.percent > Decimal::from(50) {
                return Err(crate::Error::invalid(
                    name,
                    format!(
                        "{} % au {} : entre −5 et 50 %",
                        r.percent,
                        crate::dates::format_fr(r.from)
                    ),
                ));
            }
        }
    }
    Ok(())
}

pub use super::charge_terms::ChargeTerms;

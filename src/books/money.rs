//! Exact money: integer cents with an ISO currency code.
//!
//! Amounts are parsed with `rust_decimal` (never floats) and rounded once, to
//! the cent, half away from zero. Adding two currencies is an error, not a
//! silent sum. `1 234,56 €` is presentation and lives in [`Money::format_fr`].

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An ISO 4217 currency code (three upper-case ASCII letters).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses a three-letter code, case-insensitively.
    pub fn parse(code: &str) -> Result<Self> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(Error::invalid(
                "devise",
                format!("« {code} » n'est pas un code ISO à trois lettres (EUR, USD…)"),
            ));
        }
        Ok(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// A code as the ledger stores it: the euro, most often, is recognised
    /// without parsing (the scans of 100 000 invoices read one per row).
    pub fn from_stored(code: &[u8]) -> Result<Self> {
        match code {
            b"EUR" => Ok(Currency::EUR),
            other => Currency::parse(&String::from_utf8_lossy(other)),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// The symbol shown after an amount.
    pub fn symbol(&self) -> &str {
        match self.as_str() {
            "EUR" => "€",
            "GBP" => "£",
            "USD" => "$",
            other => other,
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An amount of money in cents, with its currency. It crosses to the window
/// and to JSON reports as text (see its `Serialize`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, type = "{ amount: string, currency: string }")
)]
pub struct Money {
    /// Signed amount in hundredths of the currency unit.
    pub cents: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in cents.
    pub const fn new(cents: i64, currency: Currency) -> Self {
        Money { cents, currency }
    }

    /// Zero euro.
    pub const fn zero_eur() -> Self {
        Money {
            cents: 0,
            currency: Currency::EUR,
        }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money { cents: 0, currency }
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(Error::CurrencyMismatch(
                self.currency.to_string(),
                other.currency.to_string(),
            ));
        }
        let cents = self
            .cents
            .checked_add(other.cents)
            .ok_or_else(|| Error::invalid("montant", "dépassement de capacité"))?;
        Ok(Money {
            cents,
            currency: self.currency,
        })
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(self, other: Money) -> Result<Money> {
        self.checked_add(Money {
            cents: -other.cents,
            currency: other.currency,
        })
    }

    /// The amount as an exact decimal.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.cents, 2)
    }

    /// Rounds an exact decimal to the cent, half away from zero (the one rounding step).
    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Money> {
        let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let cents = (rounded * Decimal::from(100))
            .trunc()
            .try_into()
            .map_err(|_| Error::invalid("montant", format!("{value} est hors limites")))?;
        Ok(Money { cents, currency })
    }

    /// Canonical text for IPC and files: `-1234.56`.
    pub fn to_plain(self) -> String {
        plain_cents(self.cents)
    }

    /// French presentation: `1 234,56 €` (narrow no-break space as thousands separator).
    pub fn format_fr(self) -> String {
        format!("{} {}", format_cents_fr(self.cents), self.currency.symbol())
    }
}

/// `-1234.56` from cents.
pub fn plain_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// `-1 234,56` from cents (French grouping with U+202F).
pub fn format_cents_fr(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3 * 3);
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push('\u{202F}');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

/// Money crosses IPC and JSON reports as `{"amount": "-1234.56", "currency": "EUR"}`:
/// text, never a float.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.to_plain())?;
        st.serialize_field("currency", self.currency.as_str())?;
        st.end()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_plain(), self.currency)
    }
}

/// Parses an amount as people write it in French or English files:
/// `1234,56`, `1 234,56`, `1.234,56`, `1,234.56`, `-12.5`, `(12,50)`, `12,50 €`.
/// Returns cents, rounded half away from zero when more than two decimals are given.
pub fn parse_amount(text: &str) -> std::result::Result<i64, String> {
    let cents = parse_cents(text)?;
    if cents.unsigned_abs() > MAX_CENTS as u64 {
        return Err(format!(
            "« {} » dépasse le plus grand montant accepté ({})",
            text.trim(),
            format_cents_fr(MAX_CENTS)
        ));
    }
    Ok(cents)
}

/// The largest amount Encaisse accepts, in cents: a thousand billion, far
/// above any invoice, far below what sums of millions of them can hold.
pub const MAX_CENTS: i64 = 100_000_000_000_000;

/// `a + b` in cents, or an error that says a total went past what Encaisse
/// counts: amounts are capped, so only an absurd number of absurd amounts
/// gets there, and then no figure is better than a wrong one.
pub fn add_cents(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b).ok_or_else(|| {
        Error::invalid(
            "montants",
            "un total dépasse ce qu'Encaisse sait compter (92 233 720 milliards d'euros) : le grand livre contient des montants aberrants",
        )
    })
}

/// The sum of `cents`, checked (see [`add_cents`]).
pub fn sum_cents(cents: impl IntoIterator<Item = i64>) -> Result<i64> {
    cents.into_iter().try_fold(0i64, add_cents)
}

/// An SQL `TOTAL()` (a float: SQLite's `SUM()` of integers fails on
/// overflow) as cents, checked.
pub fn cents_of_total(total: f64) -> Result<i64> {
    if total.is_finite() && total.abs() < 9.0e18 {
        Ok(total.round() as i64)
    } else {
        add_cents(i64::MAX, 1)
    }
}

fn parse_cents(text: &str) -> std::result::Result<i64, String> {
    let raw = text.trim();
    if raw.is_empty() {
        return Err("montant vide".into());
    }
    if let Some(cents) = plain_cents_fast(raw) {
        return Ok(cents);
    }
    let (negative, body) = if raw.starts_with('(') && raw.ends_with(')') {
        (true, &raw[1..raw.len() - 1])
    } else {
        (false, raw)
    };
    let mut cleaned: String = body
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{A0}' | '\u{202F}' | '€' | '\''))
        .collect();
    if cleaned.ends_with("EUR") {
        cleaned.truncate(cleaned.len() - 3);
    }
    let last_comma = cleaned.rfind(',');
    let last_dot = cleaned.rfind('.');
    let normalised = match (last_comma, last_dot) {
        (Some(c), Some(d)) if c > d => cleaned.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => cleaned.replace(',', ""),
        (Some(c), None) => {
            if cleaned.matches(',').count() > 1 {
                return Err(format!("« {raw} » n'est pas un montant"));
            }
            let mut s = cleaned.clone();
            s.replace_range(c..c + 1, ".");
            s
        }
        (None, _) => cleaned,
    };
    let valid = !normalised.is_empty()
        && normalised
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
        && normalised.matches('.').count() <= 1
        && normalised.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(format!("« {raw} » n'est pas un montant"));
    }
    let value: Decimal = normalised
        .parse()
        .map_err(|_| format!("« {raw} » n'est pas un montant"))?;
    let value = if negative { -value } else { value };
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // A value near Decimal's own limit cannot even be multiplied by 100.
    rounded
        .checked_mul(Decimal::from(100))
        .map(|cents| cents.trunc())
        .and_then(|cents| i64::try_from(cents).ok())
        .ok_or_else(|| format!("« {raw} » est trop grand"))
}

/// The common case of accounting exports, `-1234,56` or `1234.5`, read
/// without allocating (a FEC has millions of them). `None` for anything else.
fn plain_cents_fast(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    let sep = digits.iter().position(|&b| b == b',' || b == b'.');
    let (units, decimals) = match sep {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, &[][..]),
    };
    if units.is_empty()
        || units.len() > 15
        || decimals.len() > 2
        || !units.iter().chain(decimals).all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut value: i64 = 0;
    for &b in units {
        value = value * 10 + (b - b'0') as i64;
    }
    let mut cents = 0;
    for i in 0..2 {
        cents = cents * 10 + decimals.get(i).map(|b| (b - b'0') as i64).unwrap_or(0);
    }
    let total = value * 100 + cents;
    Some(if negative { -total } else { total })
}

/// Parses the canonical IPC form (`1234.56`, also accepts French input).
pub fn parse_money(text: &str, currency: Currency) -> Result<Money> {
    parse_amount(text)
        .map(|cents| Money::new(cents, currency))
        .map_err(|m| Error::invalid("montant", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_french_amounts() {
        assert_eq!(
            Money::new(123456, Currency::EUR).format_fr(),
            "1\u{202F}234,56 €"
        );
        assert_eq!(Money::new(-5, Currency::EUR).format_fr(), "-0,05 €");
        assert_eq!(format_cents_fr(100000000), "1\u{202F}000\u{202F}000,00");
    }

    #[test]
    fn parses_every_common_spelling() {
        for (text, cents) in [
            ("1234,56", 123456),
            ("1 234,56", 123456),
            ("1.234,56", 123456),
            ("1,234.56", 123456),
            ("-12.5", -1250),
            ("(12,50)", -1250),
            ("12,50 €", 1250),
            ("0,005", 1),
            ("-0,005", -1),
            ("3122.80", 312280),
        ] {
            assert_eq!(parse_amount(text), Ok(cents), "{text}");
        }
        for bad in ["", "abc", "12,3,4", "1-2", "--1", "."] {
            assert!(parse_amount(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn refuses_to_add_two_currencies() {
        let eur = Money::new(100, Currency::EUR);
        let usd = Money::new(100, Currency::parse("usd").unwrap());
        assert!(matches!(
            eur.checked_add(usd),
            Err(Error::CurrencyMismatch(..))
        ));
    }
}

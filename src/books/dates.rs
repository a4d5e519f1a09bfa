//! Calendar dates as they appear in French files and on screen.
//!
//! The ledger stores ISO dates (`2026-11-22`), which sort as text. Files bring
//! `22/11/2026`, `20261122` (FEC), `22-11-2026`, `22.11.26`…

use chrono::Datelike;
pub use chrono::NaiveDate as Date;

/// Parses `dd/mm/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `dd/mm/yy`, `yyyy-mm-dd`
/// or `yyyymmdd` (FEC). Returns a message in French on failure.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let t = text.trim();
    let bad = || format!("« {t} » n'est pas une date (jj/mm/aaaa ou aaaa-mm-jj)");
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (&t[0..4], &t[4..6], &t[6..8]);
        return ymd(y, m, d).ok_or_else(bad);
    }
    // Excel sometimes appends a time: "22/11/2026 00:00:00".
    let t_date = t.split([' ', 'T']).next().unwrap_or(t);
    let parts: Vec<&str> = t_date.split(['/', '-', '.']).collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    if parts[0].len() == 4 {
        return ymd(parts[0], parts[1], parts[2]).ok_or_else(bad);
    }
    let year = match parts[2].len() {
        4 => parts[2].to_string(),
        2 => format!("20{}", parts[2]),
        _ => return Err(bad()),
    };
    ymd(&year, parts[1], parts[0]).ok_or_else(bad)
}

fn ymd(y: &str, m: &str, d: &str) -> Option<Date> {
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    let d: u32 = d.parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    Date::from_ymd_opt(y, m, d)
}

/// `22/11/2026`.
pub fn format_fr(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// `2026-11-22`.
pub fn iso(date: Date) -> String {
    IsoDate::from(date).as_str().to_string()
}

/// A date written `2026-11-22` on the stack: what the ledger stores, without
/// going through chrono's general formatter (imports write millions of them).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IsoDate([u8; 10]);

impl From<Date> for IsoDate {
    fn from(date: Date) -> Self {
        let mut out = *b"0000-00-00";
        let year = date.year().clamp(0, 9999) as u32;
        let digits = |out: &mut [u8], mut n: u32| {
            for slot in out.iter_mut().rev() {
                *slot = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        digits(&mut out[0..4], year);
        digits(&mut out[5..7], date.month());
        digits(&mut out[8..10], date.day());
        IsoDate(out)
    }
}

impl IsoDate {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00")
    }
}

impl std::fmt::Display for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for IsoDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl rusqlite::ToSql for IsoDate {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(&self.0),
        ))
    }
}

/// Reads a stored `2026-11-22` date without chrono's general parser (reports
/// read hundreds of thousands of them).
pub fn iso_column(row: &rusqlite::Row, index: usize) -> rusqlite::Result<Date> {
    let text = row.get_ref(index)?.as_str()?;
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + (c - b'0') as u32)
        })
    };
    let fast = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Date::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?))
        .flatten();
    match fast {
        Some(d) => Ok(d),
        None => text.parse::<Date>().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        }),
    }
}

/// Parses an ISO date from storage or IPC.
pub fn parse_iso(text: &str) -> crate::Result<Date> {
    text.parse::<Date>().map_err(|_| {
        crate::Error::invalid("date", format!("« {text} » n'est pas une date AAAA-MM-JJ"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_french_and_fec_dates() {
        let want = Date::from_ymd_opt(2026, 11, 22).unwrap();
        for text in [
            "22/11/2026",
            "22-11-2026",
            "22.11.2026",
            "22/11/26",
            "2026-11-22",
            "20261122",
            "22/11/2026 00:00:00",
        ] {
            assert_eq!(parse_date(text), Ok(want), "{text}");
        }
        for bad in ["31/02/2026", "2026-13-01", "hier", "", "1/1", "00000000"] {
            assert!(parse_date(bad).is_err(), "{bad} must be refused");
        }
        assert_eq!(format_fr(want), "22/11/2026");
    }

    #[test]
    fn iso_dates_match_chrono() {
        let mut d = Date::from_ymd_opt(1999, 12, 25).unwrap();
        for _ in 0..1000 {
            assert_eq!(
                IsoDate::from(d).to_string(),
                d.format("%Y-%m-%d").to_string()
            );
            d = d + chrono::Days::new(37);
        }
    }
}

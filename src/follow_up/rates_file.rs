//! Reference rates read from a CSV file as the central banks publish them:
//! the ECB Data Portal's export (`"DATE","TIME PERIOD","…(FM.B.U2.EUR.4F.KR.MRR_FR.LEV)"`,
//! commas, decimal point), Banque de France Webstat's (semicolons, decimal
//! comma, title lines above the data), or any two columns "date ; taux".
//!
//! Every line holding a date and a rate is an observation; other lines
//! (titles, units, sources) are skipped. A daily or monthly series becomes
//! the list of its changes. Nothing is saved here: the caller shows the
//! merged table and saves it through `set_rate_tables` (validated there).

use rust_decimal::Decimal;

use crate::charges::{DatedRate, RateTables};
use crate::dates::{self, Date};
use crate::error::{Error, Result};
use crate::import::text::decode;
use crate::import::ImportIssue;

/// Which table a file fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateTable {
    EcbMro,
    FrLegalOther,
    DeBase,
    BoeBase,
}

impl RateTable {
    pub fn parse(text: &str) -> Result<RateTable> {
        match text {
            "ecb" | "ecb_mro" => Ok(RateTable::EcbMro),
            "fr" | "fr_legal_other" => Ok(RateTable::FrLegalOther),
            "de" | "de_base" => Ok(RateTable::DeBase),
            "boe" | "boe_base" => Ok(RateTable::BoeBase),
            other => Err(Error::invalid(
                "table des taux",
                format!("« {other} » inconnue (ecb, fr, de ou boe)"),
            )),
        }
    }

    fn rows_mut(self, tables: &mut RateTables) -> &mut Vec<DatedRate> {
        match self {
            RateTable::EcbMro => &mut tables.ecb_mro,
            RateTable::FrLegalOther => &mut tables.fr_legal_other,
            RateTable::DeBase => &mut tables.de_base,
            RateTable::BoeBase => &mut tables.boe_base,
        }
    }
}

/// What a file held.
#[derive(Clone, Debug, PartialEq)]
pub struct RatesFile {
    /// The changes of rate, oldest first.
    pub rows: Vec<DatedRate>,
    /// Lines read as observations, and lines skipped (titles, blanks,
    /// missing values).
    pub observations: usize,
    pub skipped: usize,
    /// The first and last day the file speaks of.
    pub first: Date,
    pub last: Date,
}

/// A rate as files write it: `2.15`, `2,15`, `2,15 %`.
fn parse_percent(cell: &str) -> Option<Decimal> {
    let t = cell.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        return None;
    }
    t.parse::<Decimal>().ok()
}

/// A day as a series writes it: a date, or a month (`2025-07`, `07/2025`)
/// for its first day.
fn parse_day(cell: &str) -> Option<Date> {
    let t = cell.trim();
    if let Ok(day) = dates::parse_date(t) {
        return Some(day);
    }
    let (y, m) = match t.split_once(['-', '/']) {
        Some((a, b)) if a.len() == 4 => (a, b),
        Some((a, b)) if b.len() == 4 => (b, a),
        _ => return None,
    };
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    (1900..=2200)
        .contains(&y)
        .then(|| Date::from_ymd_opt(y, m, 1))
        .flatten()
}

/// A value the series marks as missing (Webstat writes `-` or `NaN`).
fn is_missing(cell: &str) -> bool {
    matches!(
        cell.trim().to_ascii_lowercase().as_str(),
        "" | "-" | "nan" | "nd" | "n/a" | "na"
    )
}

/// Reads `bytes`: the rate changes it holds, or every problem with its line.
pub fn parse(bytes: &[u8]) -> Result<RatesFile> {
    let decoded = decode(bytes, encoding_rs::WINDOWS_1252).map_err(|e| Error::Import(vec![e]))?;
    let text = decoded.text.as_ref();
    let delimiter = if text.contains(';') {
        b';'
    } else if text.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut issues = Vec::new();
    let mut seen: Vec<DatedRate> = Vec::new();
    let (mut observations, mut skipped) = (0, 0);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                issues.push(ImportIssue::unreadable(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cells: Vec<&str> = record.iter().collect();
        let Some((at, day)) = cells
            .iter()
            .enumerate()
            .find_map(|(i, c)| parse_day(c).map(|d| (i, d)))
        else {
            skipped += 1;
            continue;
        };
        let Some(value) = cells[at + 1..].iter().rev().find(|c| !c.trim().is_empty()) else {
            skipped += 1;
            continue;
        };
        if is_missing(value) {
            skipped += 1;
            continue;
        }
        let Some(percent) = parse_percent(value) else {
            issues.push(ImportIssue::at(
                line,
                None,
                format!("« {} » n'est pas un taux", value.trim()),
            ));
            continue;
        };
        if percent < Decimal::from(-5) || percent > Decimal::from(50) {
            issues.push(ImportIssue::at(
                line,
                None,
                format!("{percent} % : un taux entre −5 % et 50 % est attendu"),
            ));
            continue;
        }
        match seen.iter().find(|r| r.from == day) {
            Some(r) if r.percent != percent => issues.push(ImportIssue::at(
                line,
                None,
                format!(
                    "le {} a deux taux ({} % et {percent} %)",
                    dates::format_fr(day),
                    r.percent
                ),
            )),
            Some(_) => {}
            None => seen.push(DatedRate { from: day, percent }),
        }
        observations += 1;
    }
    if issues.is_empty() && seen.is_empty() {
        issues.push(ImportIssue::file(
            "aucune ligne « date ; taux » trouvée : exportez la série en CSV depuis le portail de la BCE ou Webstat (Banque de France)",
        ));
    }
    if !issues.is_empty() {
        let mut beyond = 0;
        crate::import::cap_issues(&mut issues, &mut beyond);
        issues.extend(crate::import::more_issues(beyond));
        return Err(Error::Import(issues));
    }
    seen.sort_by_key(|r| r.from);
    let (first, last) = (seen[0].from, seen[seen.len() - 1].from);
    Ok(RatesFile {
        rows: changes(seen),
        observations,
        skipped,
        first,
        last,
    })
}

impl RatesFile {
    /// "9 taux lus du 20/09/2023 au 11/06/2025, 9 changements de taux."
    pub fn summary(&self) -> String {
        let changes = match self.rows.len() {
            1 => "1 taux".to_string(),
            n => format!("{n} changements de taux"),
        };
        let read = match self.observations {
            1 => "1 valeur lue".to_string(),
            n => format!("{n} valeurs lues"),
        };
        format!(
            "{read} du {} au {} : {changes}",
            dates::format_fr(self.first),
            dates::format_fr(self.last)
        )
    }
}

/// Only the rows where the rate changes.
fn changes(rows: Vec<DatedRate>) -> Vec<DatedRate> {
    let mut out: Vec<DatedRate> = Vec::with_capacity(rows.len());
    for row in rows {
        if out.last().is_none_or(|l| l.percent != row.percent) {
            out.push(row);
        }
    }
    out
}

/// `tables` with `table` brought up to date by `file`: the rows of the
/// period the file covers come from it, those before and after stay; the
/// table's "known through" day moves to the file's last day when later.
pub fn merged(tables: &RateTables, table: RateTable, file: &RatesFile) -> RateTables {
    let mut out = tables.clone();
    let rows = table.rows_mut(&mut out);
    let before = rows.iter().filter(|r| r.from < file.first).cloned();
    let after = rows.iter().filter(|r| r.from > file.last).cloned();
    let all: Vec<DatedRate> = before
        .chain(file.rows.iter().cloned())
        .chain(after)
        .collect();
    *rows = changes(all);
    match table {
        RateTable::EcbMro => out.ecb_known_through = out.ecb_known_through.max(file.last),
        RateTable::BoeBase => out.boe_known_through = out.boe_known_through.max(file.last),
        RateTable::FrLegalOther | RateTable::DeBase => {}
    }
    out
}

//! The figures of the "Tableau de bord" on a given day.

use serde::Serialize;

use crate::aging::{AgedBalance, AgingPolicy};
use crate::dates::{self, Date};
use crate::error::Result;
use crate::money::{Currency, Money};
use crate::store::Ledger;
use chrono::Datelike;

/// Headline figures in euros (other currencies appear in the aged balance).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Dashboard {
    pub as_of: Date,
    /// Everything still owed (open invoices less unmatched credits).
    pub outstanding: Money,
    /// Open amounts past their due date.
    pub overdue: Money,
    /// Days sales outstanding: outstanding ÷ invoiced over the last 365 days × 365.
    /// `None` when nothing was invoiced in that period.
    pub dso_days: Option<i64>,
    /// Payments dated from the 1st of the month to `as_of`.
    pub collected_this_month: Money,
    pub clients_with_overdue: usize,
    pub open_invoices: usize,
    pub aging: AgedBalance,
    /// Handed to an agency or an insurer, and came back (C9).
    pub collection: crate::handover::CollectionSummary,
}

impl Ledger {
    /// The dashboard on `as_of`.
    pub fn dashboard(&self, as_of: Date, policy: &AgingPolicy) -> Result<Dashboard> {
        let aging = self.aged_balance(as_of, policy)?;
        let eur = aging.totals.iter().find(|t| t.currency == Currency::EUR);
        let outstanding = eur.map(|t| t.total).unwrap_or(Money::zero_eur());
        let overdue = Money::new(eur.map(|t| t.overdue()).unwrap_or(0), Currency::EUR);
        let open_invoices = eur.map(|t| t.invoices).unwrap_or(0);
        let clients_with_overdue = aging
            .rows
            .iter()
            .filter(|r| r.currency == Currency::EUR && r.overdue() > 0)
            .count();
        let year_ago = as_of - chrono::Days::new(365);
        let invoiced = crate::money::cents_of_total(self.conn.query_row(
            "SELECT TOTAL(amount) FROM invoice WHERE currency = 'EUR' AND kind <> 'opening' AND issue_date > ?1 AND issue_date <= ?2 AND withdrawn_by IS NULL",
            [dates::iso(year_ago), dates::iso(as_of)],
            |r| r.get(0),
        )?)?;
        // DSO by the account-balance method, over a rolling year; rounded to the day.
        let dso_days = (invoiced > 0).then(|| {
            ((outstanding.cents.max(0) as i128 * 365 + invoiced as i128 / 2) / invoiced as i128)
                as i64
        });
        let month_start = as_of.with_day(1).unwrap_or(as_of);
        let collected = crate::money::cents_of_total(self.conn.query_row(
            "SELECT TOTAL(amount) FROM payment WHERE currency = 'EUR' AND date >= ?1 AND date <= ?2 AND method <> 'import' AND withdrawn_by IS NULL",
            [dates::iso(month_start), dates::iso(as_of)],
            |r| r.get(0),
        )?)?;
        Ok(Dashboard {
            as_of,
            outstanding,
            overdue,
            dso_days,
            collected_this_month: Money::new(collected, Currency::EUR),
            clients_with_overdue,
            open_invoices,
            aging,
            collection: self.collection_summary(as_of)?,
        })
    }
}

/// A setting saved in the ledger that does not read (written by hand or by
/// an older version), named, with what happens meanwhile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingProblem {
    /// The key in the `setting` table.
    pub key: &'static str,
    /// The setting's name as Paramètres shows it.
    pub label: &'static str,
    pub value: String,
    pub message: String,
    /// The default stands in for it (true), or what depends on it stops
    /// until it is set again (false: the scenarios, the rates, the e-mail
    /// settings — guessing them could send what the user did not choose).
    pub falls_back: bool,
}

impl SettingProblem {
    /// "Paramètre « … » illisible (« … ») : … ; la valeur par défaut s'applique."
    pub fn describe(&self) -> String {
        let meanwhile = if self.falls_back {
            "la valeur par défaut s'applique, corrigez-le dans Paramètres"
        } else {
            "ce qui en dépend est arrêté tant qu'il n'est pas corrigé dans Paramètres"
        };
        format!(
            "Paramètre « {} » illisible (« {} ») : {} ; {meanwhile}",
            self.label,
            shortened(&self.value, 80),
            self.message
        )
    }
}

/// `text` cut to `max` characters, with "…" when cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Each saved setting: its key, its name in Paramètres, whether its default
/// stands in for a bad value, and its check.
type SettingCheck = (&'static str, &'static str, bool, fn(&str) -> Result<()>);

const SETTING_CHECKS: &[SettingCheck] = &[
    (
        crate::aging::BOUNDS_SETTING,
        "tranches de la balance âgée",
        true,
        |v| AgingPolicy::parse(v).map(|_| ()),
    ),
    (
        crate::import::books::STALE_AFTER_SETTING,
        "données anciennes après",
        true,
        |v| match v.parse::<u32>() {
            Ok(d) if (1..=365).contains(&d) => Ok(()),
            _ => Err(crate::Error::invalid(
                "",
                "un nombre de jours entre 1 et 365",
            )),
        },
    ),
    (
        crate::backup::KEEP_SETTING,
        "sauvegardes conservées",
        true,
        |v| match v.parse::<usize>() {
            Ok(n) if (1..=365).contains(&n) => Ok(()),
            _ => Err(crate::Error::invalid("", "un nombre entre 1 et 365")),
        },
    ),
    (
        crate::documents::WINDOW_OFFSET_SETTING,
        "décalage de la fenêtre",
        true,
        |v| crate::documents::parse_offsets(v).map(|_| ()),
    ),
    (
        crate::reminders::REMINDER_DAYS_SETTING,
        "jours des sessions de relance",
        true,
        |v| crate::reminders::parse_reminder_days(v).map(|_| ()),
    ),
    (
        crate::reminders::SCENARIOS_SETTING,
        "scénarios de relance",
        false,
        |v| {
            let scenarios: Vec<crate::engine::Scenario> = serde_json::from_str(v)
                .map_err(|e| crate::Error::invalid("", format!("illisibles ({e})")))?;
            crate::reminders::validate_scenarios(&scenarios)
        },
    ),
    (
        crate::charges::RATES_SETTING,
        "taux de référence",
        false,
        |v| {
            let rates: crate::charges::RateTables = serde_json::from_str(v)
                .map_err(|e| crate::Error::invalid("", format!("illisibles ({e})")))?;
            crate::charges::validate_rates(&rates)
        },
    ),
    (
        crate::mail::SETTINGS_KEY,
        "envoi des e-mails (SMTP)",
        false,
        |v| {
            let smtp: crate::mail::SmtpSettings = serde_json::from_str(v)
                .map_err(|e| crate::Error::invalid("", format!("illisibles ({e})")))?;
            smtp.validate()
        },
    ),
];

impl Ledger {
    /// The saved settings that do not read, each named.
    pub fn setting_problems(&self) -> Result<Vec<SettingProblem>> {
        let mut problems = Vec::new();
        for &(key, label, falls_back, check) in SETTING_CHECKS {
            let Some(value) = self.setting(key)? else {
                continue;
            };
            if let Err(e) = check(&value) {
                problems.push(SettingProblem {
                    key,
                    label,
                    message: match e {
                        crate::Error::Invalid { message, .. } => message,
                        other => other.to_string(),
                    },
                    value,
                    falls_back,
                });
            }
        }
        Ok(problems)
    }
}

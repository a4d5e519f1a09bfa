//! What crosses IPC and differs from the core's own types.
//!
//! The window receives the core's types as they are, in the JSON the command
//! line's reports print: ids, counts and cents as whole numbers, amounts as
//! `{amount, currency}` text, dates `AAAA-MM-JJ`. The core derives their
//! TypeScript bindings behind its `ts` feature (enabled by this crate) into
//! `ui/src/lib/bindings/`, and no twin is written here.
//!
//! What stays here differs: the forms the user types into (text checked
//! field by field, with French messages: a client file, a scenario, the rate
//! tables, the filters), answers that join several core calls (the
//! dashboard, the day's work), and the shell's own types (errors, progress).
//! Their bindings are generated too (`cargo test -p encaisse-app`); the test
//! command rewrites every binding and fails if one changed or went.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use encaisse::dashboard::Dashboard;
use encaisse::dates;
use encaisse::ledger::MatchOutcome;
use encaisse::model::{Client, ClientKind};
use encaisse::money::plain_cents;
use encaisse::reminders::{DayWork, SessionOutlook};

/// An error as the UI sees it: branch on `code`, show `message`.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<encaisse::Error> for IpcError {
    fn from(e: encaisse::Error) -> Self {
        IpcError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        IpcError {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct AppInfoDto {
    pub version: String,
    pub ledger_path: String,
    pub schema_version: i64,
    /// No client and no invoice yet: the UI offers import or the demo.
    pub empty: bool,
    /// Today on this machine, `AAAA-MM-JJ` (the default "as of" date).
    pub today: String,
}

/// A client file as edited in its form. `id` is `null` for a new client.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClientDto {
    pub id: Option<i64>,
    pub code: String,
    pub name: String,
    pub contact: String,
    pub email: String,
    pub email_cc: String,
    pub phone: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub language: String,
    /// `b2b` or `b2c`.
    pub kind: String,
    pub segment: String,
    pub terms_days: String,
    pub payment_days: String,
    /// Amount or `""`.
    pub credit_limit: String,
    pub notes: String,
    pub do_not_remind: bool,
    /// SIREN or SIRET, or `""`.
    pub siren: String,
}

impl From<Client> for ClientDto {
    fn from(c: Client) -> Self {
        ClientDto {
            id: Some(c.id),
            code: c.code,
            name: c.name,
            contact: c.contact,
            email: c.email,
            email_cc: c.email_cc,
            phone: c.phone,
            address: c.address,
            postcode: c.postcode,
            city: c.city,
            country: c.country,
            language: c.language,
            kind: c.kind.as_str().to_string(),
            segment: c.segment,
            terms_days: c.terms_days.to_string(),
            payment_days: c.payment_days,
            credit_limit: c.credit_limit_cents.map(plain_cents).unwrap_or_default(),
            notes: c.notes,
            do_not_remind: c.do_not_remind,
            siren: c.siren,
        }
    }
}

impl TryFrom<ClientDto> for Client {
    type Error = IpcError;
    fn try_from(d: ClientDto) -> Result<Self, IpcError> {
        let terms_days = d.terms_days.trim().parse().map_err(|_| {
            IpcError::new(
                "invalid",
                format!(
                    "délai de paiement : « {} » n'est pas un nombre de jours",
                    d.terms_days
                ),
            )
        })?;
        let credit_limit_cents = match d.credit_limit.trim() {
            "" => None,
            text => Some(
                encaisse::money::parse_amount(text)
                    .map_err(|m| IpcError::new("invalid", format!("plafond de crédit : {m}")))?,
            ),
        };
        Ok(Client {
            id: d.id.unwrap_or(0),
            code: d.code,
            name: d.name,
            contact: d.contact,
            email: d.email,
            email_cc: d.email_cc,
            phone: d.phone,
            address: d.address,
            postcode: d.postcode,
            city: d.city,
            country: d.country,
            language: d.language,
            kind: ClientKind::parse(&d.kind),
            segment: d.segment,
            terms_days,
            payment_days: d.payment_days,
            credit_limit_cents,
            notes: d.notes,
            do_not_remind: d.do_not_remind,
            siren: d.siren,
        })
    }
}

/// Parses a date sent as `AAAA-MM-JJ` (or `jj/mm/aaaa`).
pub fn parse_date(text: &str) -> Result<dates::Date, IpcError> {
    dates::parse_date(text).map_err(|m| IpcError::new("invalid", m))
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct InvoiceFilterDto {
    pub client_id: Option<i64>,
    pub status: Option<String>,
    pub due_from: Option<String>,
    pub due_to: Option<String>,
    pub search: Option<String>,
    pub sort: Option<String>,
    pub offset: String,
    pub limit: String,
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct NewPaymentDto {
    /// `null` until a client is chosen.
    pub client_id: Option<i64>,
    pub date: String,
    pub amount: String,
    pub currency: String,
    pub method: String,
    pub reference: String,
    /// Match it automatically (exact amount, then oldest first).
    pub auto_match: bool,
}

/// A payment recorded, and how it was matched (`null`: not asked).
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct MatchOutcomeDto {
    pub payment_id: i64,
    pub outcome: Option<MatchOutcome>,
}

/// The dashboard, and what the window adds to it: the saved settings that
/// do not read and what the company profile lacks for a reminder to go.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DashboardDto {
    #[serde(flatten)]
    #[ts(flatten)]
    pub dashboard: Dashboard,
    /// Saved settings that do not read, each said in French.
    pub setting_problems: Vec<String>,
    /// What the company profile lacks for a reminder to go (empty: ready).
    pub company_missing: Vec<String>,
}

/// The mapping step of a CSV import.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CsvSampleDto {
    pub separator: String,
    pub encoding: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Field name (`client_code`, `client_name`, `number`, `issue_date`,
    /// `due_date`, `amount`, `currency`, `paid`, `email`) → column index.
    pub mapping: Vec<CsvColumnDto>,
}

#[derive(Debug, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CsvColumnDto {
    pub field: String,
    pub column: String,
}

/// Progress of long work, sent as the `progress` event.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProgressDto {
    pub task: String,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct TermsDto {
    pub code: String,
    pub days: String,
}

/// The user's decision on a customer's opening entries that differ from
/// the ledger: `keep` (keep the ledger, record the difference) or
/// `replace` (take the opening, close the ledger's items).
#[derive(Debug, Deserialize, TS)]
#[ts(export)]
pub struct OpeningDecisionDto {
    pub code: String,
    pub choice: String,
}

// ---- Follow-up: the Relances screen, promises, disputes, pauses ----

/// Filters of the Relances table; empty strings mean "any".
#[derive(Debug, Default, Deserialize, TS)]
#[ts(export)]
pub struct FollowUpFilterDto {
    pub search: String,
    pub due_from: String,
    pub due_to: String,
    /// Last level reached ("0" = never reminded).
    pub last_step: String,
    /// `not_due`, `1-30`, `31-60`, `61-90`, `90+` or a bucket of the aging bounds "a-b".
    pub bucket: String,
    pub segment: String,
    pub channel: String,
    pub due_now_only: bool,
}

/// The day's work, and what the next reminder session will hold.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct DayWorkDto {
    #[serde(flatten)]
    #[ts(flatten)]
    pub work: DayWork,
    pub next_session: Option<SessionOutlook>,
    /// The reminder days of the month, as set in Paramètres.
    pub reminder_days: Vec<u32>,
}

// ---- Reliability, timeline, scenarios, rates ----

/// One step of a scenario, as edited in Paramètres › Scénarios.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StepDto {
    pub name: String,
    /// `due`, `issue` or `previous`.
    pub offset_from: String,
    pub offset_days: String,
    pub channel: String,
    pub template: String,
    pub min_amount: String,
    pub pay_within_days: String,
    pub before_due_only: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScenarioDto {
    pub segment: String,
    pub name: String,
    pub min_gap_days: String,
    /// Empty: the scenario of a segment; else reserved to scores below this.
    pub for_score_below: String,
    pub steps: Vec<StepDto>,
}

impl From<&encaisse::engine::Scenario> for ScenarioDto {
    fn from(s: &encaisse::engine::Scenario) -> Self {
        use encaisse::engine::Offset;
        ScenarioDto {
            segment: s.segment.clone(),
            name: s.name.clone(),
            min_gap_days: s.min_gap_days.to_string(),
            for_score_below: s.for_score_below.map(|v| v.to_string()).unwrap_or_default(),
            steps: s
                .steps
                .iter()
                .map(|st| {
                    let (from, days) = match st.offset {
                        Offset::Due(d) => ("due", d),
                        Offset::Issue(d) => ("issue", d),
                        Offset::Previous(d) => ("previous", d),
                    };
                    StepDto {
                        name: st.name.clone(),
                        offset_from: from.into(),
                        offset_days: days.to_string(),
                        channel: st.channel.as_str().into(),
                        template: st.template.clone(),
                        min_amount: encaisse::money::format_cents_fr(st.min_amount_cents),
                        pay_within_days: st.pay_within_days.to_string(),
                        before_due_only: st.before_due_only,
                    }
                })
                .collect(),
        }
    }
}

impl ScenarioDto {
    /// Reads an edited scenario; says which field of which step is wrong.
    pub fn to_core(&self) -> Result<encaisse::engine::Scenario, IpcError> {
        use encaisse::engine::{Offset, Step};
        let number = |what: String, text: &str| -> Result<i64, IpcError> {
            text.trim().parse::<i64>().map_err(|_| {
                IpcError::new(
                    "invalid",
                    format!("{what} : « {text} » n'est pas un nombre"),
                )
            })
        };
        let mut steps = Vec::new();
        for (i, st) in self.steps.iter().enumerate() {
            let at = |field: &str| format!("{} › étape {} › {field}", self.name, i + 1);
            let days = number(at("jours"), &st.offset_days)? as i32;
            let offset = match st.offset_from.as_str() {
                "due" => Offset::Due(days),
                "issue" => Offset::Issue(days),
                "previous" => Offset::Previous(days),
                other => {
                    return Err(IpcError::new(
                        "invalid",
                        format!("{} : « {other} »", at("départ")),
                    ))
                }
            };
            let min = if st.min_amount.trim().is_empty() {
                0
            } else {
                encaisse::money::parse_amount(&st.min_amount).map_err(|m| {
                    IpcError::new("invalid", format!("{} : {m}", at("montant minimum")))
                })?
            };
            steps.push(Step {
                name: st.name.clone(),
                offset,
                channel: encaisse::engine::Channel::parse(&st.channel)?,
                template: st.template.clone(),
                min_amount_cents: min,
                pay_within_days: number(at("délai de paiement"), &st.pay_within_days)?
                    .clamp(0, 100_000) as u32,
                before_due_only: st.before_due_only,
            });
        }
        Ok(encaisse::engine::Scenario {
            segment: self.segment.trim().to_string(),
            name: self.name.trim().to_string(),
            min_gap_days: number(format!("{} › écart minimum", self.name), &self.min_gap_days)?
                .clamp(0, 100_000) as u32,
            for_score_below: if self.for_score_below.trim().is_empty() {
                None
            } else {
                Some(
                    number(format!("{} › note", self.name), &self.for_score_below)?.clamp(0, 255)
                        as u8,
                )
            },
            steps,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RateRowDto {
    pub from: String,
    pub percent: String,
}

/// The rate tables, as edited in Paramètres › Taux.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RateTablesDto {
    pub ecb_mro: Vec<RateRowDto>,
    pub fr_legal_other: Vec<RateRowDto>,
    pub de_base: Vec<RateRowDto>,
    pub boe_base: Vec<RateRowDto>,
    pub ecb_known_through: String,
    pub boe_known_through: String,
}

/// The rate tables with a file's rates merged in, and what the file held.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct RatesImportDto {
    pub tables: RateTablesDto,
    pub summary: String,
}

impl From<encaisse::charges::RateTables> for RateTablesDto {
    fn from(r: encaisse::charges::RateTables) -> Self {
        let rows = |t: &[encaisse::charges::DatedRate]| {
            t.iter()
                .map(|d| RateRowDto {
                    from: dates::iso(d.from),
                    percent: d.percent.to_string().replace('.', ","),
                })
                .collect()
        };
        RateTablesDto {
            ecb_mro: rows(&r.ecb_mro),
            fr_legal_other: rows(&r.fr_legal_other),
            de_base: rows(&r.de_base),
            boe_base: rows(&r.boe_base),
            ecb_known_through: dates::iso(r.ecb_known_through),
            boe_known_through: dates::iso(r.boe_known_through),
        }
    }
}

impl RateTablesDto {
    pub fn to_core(&self) -> Result<encaisse::charges::RateTables, IpcError> {
        let rows =
            |name: &str, t: &[RateRowDto]| -> Result<Vec<encaisse::charges::DatedRate>, IpcError> {
                t.iter()
                    .enumerate()
                    .map(|(i, r)| {
                        Ok(encaisse::charges::DatedRate {
                            from: parse_date(&r.from).map_err(|e| {
                                IpcError::new(
                                    "invalid",
                                    format!("{name}, ligne {} : {}", i + 1, e.message),
                                )
                            })?,
                            percent: r.percent.trim().replace(',', ".").parse().map_err(|_| {
                                IpcError::new(
                                    "invalid",
                                    format!(
                                        "{name}, ligne {} : « {} » n'est pas un taux",
                                        i + 1,
                                        r.percent
                                    ),
                                )
                            })?,
                        })
                    })
                    .collect()
            };
        Ok(encaisse::charges::RateTables {
            ecb_mro: rows("taux BCE", &self.ecb_mro)?,
            fr_legal_other: rows("taux légal", &self.fr_legal_other)?,
            de_base: rows("Basiszinssatz", &self.de_base)?,
            boe_base: rows("Bank of England", &self.boe_base)?,
            ecb_known_through: parse_date(&self.ecb_known_through)?,
            boe_known_through: parse_date(&self.boe_known_through)?,
        })
    }
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct WaiversDto {
    pub waive_interest: bool,
    pub waive_indemnity: bool,
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    #[test]
    fn scenarios_survive_the_editor_and_bad_fields_are_named() {
        let defaults = encaisse::engine::default_scenarios();
        for s in &defaults {
            assert_eq!(&ScenarioDto::from(s).to_core().unwrap(), s);
        }
        let mut dto = ScenarioDto::from(&defaults[1]);
        dto.steps[1].offset_days = "quinze".into();
        let err = dto.to_core().unwrap_err();
        assert!(
            err.message.contains("Standard › étape 2 › jours"),
            "{}",
            err.message
        );
        let mut dto = ScenarioDto::from(&defaults[1]);
        dto.steps[0].channel = "pigeon".into();
        assert!(dto.to_core().is_err());
    }

    #[test]
    fn rate_tables_survive_the_editor_and_bad_rows_are_named() {
        let shipped = encaisse::charges::RateTables::default();
        assert_eq!(
            RateTablesDto::from(shipped.clone()).to_core().unwrap(),
            shipped
        );
        let mut dto = RateTablesDto::from(shipped);
        dto.ecb_mro[2].percent = "2,5".into();
        assert_eq!(
            dto.to_core().unwrap().ecb_mro[2].percent,
            "2.5".parse().unwrap(),
            "a decimal comma is read"
        );
        dto.de_base[0].from = "31/02/2024".into();
        let err = dto.to_core().unwrap_err();
        assert!(
            err.message.starts_with("Basiszinssatz, ligne 1"),
            "{}",
            err.message
        );
    }
}

/// Letters saved to a file and recorded.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct LettersSavedDto {
    pub path: String,
    pub count: usize,
    /// The letters not produced (address missing or too long), and why.
    pub held_back: Option<String>,
}

/// A template in the list of the Modèles screen.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct TemplateInfoDto {
    pub language: String,
    pub key: String,
    pub kind: encaisse::documents::Kind,
    pub edited: bool,
}

/// A template rendered for the preview.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct TemplatePreviewDto {
    pub subject: String,
    pub text: String,
}

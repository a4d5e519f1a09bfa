//! The ledger's records as the rest of the program sees them.

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::money::Currency;

/// The user's own company, printed on every letter (art. R123-237 C. com.).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Company {
    pub legal_name: String,
    pub legal_form: String,
    pub capital: String,
    pub siren: String,
    pub siret: String,
    pub rcs_city: String,
    pub vat_number: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub email: String,
    pub phone: String,
    pub iban: String,
    pub bic: String,
    pub signature_name: String,
    /// Another way to pay than a transfer to the IBAN ("par chèque à
    /// l'ordre de …", a payment link), printed when set.
    #[serde(default)]
    pub payment_other: String,
}

impl Company {
    /// The legal mentions a reminder cannot go without (art. R123-237 C.
    /// com.), and a way to be paid, each named as Paramètres › Entreprise
    /// names it; empty when the letters may go.
    pub fn missing_mentions(&self) -> Vec<&'static str> {
        let blank = |s: &str| s.trim().is_empty();
        let mut missing = Vec::new();
        if blank(&self.legal_name) {
            missing.push("raison sociale");
        }
        if blank(&self.legal_form) {
            missing.push("forme juridique");
        } else if blank(&self.capital) && needs_capital(&self.legal_form) {
            missing.push("capital social");
        }
        let siren: String = self.siren.chars().filter(|c| !c.is_whitespace()).collect();
        if siren.is_empty() {
            missing.push("SIREN");
        } else if !siren_is_valid(&siren) {
            missing.push("SIREN valide (9 chiffres, clé de contrôle)");
        }
        if blank(&self.rcs_city) {
            missing.push("ville du RCS");
        }
        if blank(&self.address) {
            missing.push("adresse du siège");
        }
        if blank(&self.postcode) {
            missing.push("code postal du siège");
        }
        if blank(&self.city) {
            missing.push("ville du siège");
        }
        if blank(&self.iban) && blank(&self.payment_other) {
            missing.push("IBAN ou autre moyen de paiement");
        }
        missing
    }
}

/// A company (société) states its capital; an individual entrepreneur or
/// an association has none.
fn needs_capital(form: &str) -> bool {
    let form = form.to_lowercase();
    let words: Vec<&str> = form
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let individual = words
        .iter()
        .any(|w| matches!(*w, "ei" | "eirl" | "micro" | "association" | "asso"))
        || form.contains("entrepreneur")
        || form.contains("entreprise individuelle");
    !individual
}

/// Nine digits whose Luhn key is right (the SIREN's check).
pub fn siren_is_valid(siren: &str) -> bool {
    if siren.len() != 9 || !siren.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = siren
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Business or consumer customer: the late-payment rules differ (L441-10 vs. Code civil).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ClientKind {
    #[default]
    B2b,
    B2c,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::B2b => "b2b",
            ClientKind::B2c => "b2c",
        }
    }
    pub fn parse(text: &str) -> Self {
        if text == "b2c" {
            ClientKind::B2c
        } else {
            ClientKind::B2b
        }
    }
}

/// A client file ("fiche client").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Client {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub contact: String,
    pub email: String,
    pub email_cc: String,
    pub phone: String,
    /// Street lines, separated by `\n` (at most 4, the window holds 6 with name and city).
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub language: String,
    pub kind: ClientKind,
    pub segment: String,
    pub terms_days: u32,
    pub payment_days: String,
    pub credit_limit_cents: Option<i64>,
    pub notes: String,
    pub do_not_remind: bool,
    /// SIREN (9 digits) or SIRET (14), spaces removed; empty when unknown.
    #[serde(default)]
    pub siren: String,
}

impl Client {
    /// A client with only a code and a name; everything else at its default.
    pub fn new(code: &str, name: &str) -> Client {
        Client {
            id: 0,
            code: code.to_string(),
            name: name.to_string(),
            contact: String::new(),
            email: String::new(),
            email_cc: String::new(),
            phone: String::new(),
            address: String::new(),
            postcode: String::new(),
            city: String::new(),
            country: "FR".into(),
            language: "fr".into(),
            kind: ClientKind::B2b,
            segment: "standard".into(),
            terms_days: 30,
            payment_days: String::new(),
            credit_limit_cents: None,
            notes: String::new(),
            do_not_remind: false,
            siren: String::new(),
        }
    }
}

/// What an invoice row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
    /// An opening balance carried over ("à nouveaux") from an accounting export.
    Opening,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit_note",
            InvoiceKind::Opening => "opening",
        }
    }
    pub fn parse(text: &str) -> Self {
        match text {
            "credit_note" => InvoiceKind::CreditNote,
            "opening" => InvoiceKind::Opening,
            _ => InvoiceKind::Invoice,
        }
    }
}

/// Derived state of an invoice (never stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum InvoiceStatus {
    Open,
    PartlyPaid,
    Paid,
    /// A credit note or opening credit with credit left to use.
    Credit,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::PartlyPaid => "partly_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Credit => "credit",
        }
    }

    /// Derives the status from the amount and what is still open.
    pub fn derive(amount_cents: i64, open_cents: i64) -> Self {
        if amount_cents < 0 {
            if open_cents == 0 {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Credit
            }
        } else if open_cents == 0 {
            InvoiceStatus::Paid
        } else if open_cents < amount_cents {
            InvoiceStatus::PartlyPaid
        } else {
            InvoiceStatus::Open
        }
    }
}

/// An invoice (or credit note) with its derived open amount.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Invoice {
    pub id: i64,
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub number: String,
    pub kind: InvoiceKind,
    pub issue_date: Date,
    pub due_date: Date,
    /// Amount including VAT, in cents (negative for a credit note).
    pub amount_cents: i64,
    /// What is still owed (or, for a credit, still to use), in cents.
    pub open_cents: i64,
    pub currency: Currency,
    pub label: String,
    pub status: InvoiceStatus,
}

/// A payment received.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Payment {
    pub id: i64,
    pub client_id: i64,
    pub client_code: String,
    pub client_name: String,
    pub date: Date,
    pub amount_cents: i64,
    /// Part not yet matched to an invoice.
    pub unallocated_cents: i64,
    pub currency: Currency,
    pub method: String,
    pub reference: String,
}

/// One matching row (payment or credit note → invoice).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Allocation {
    pub id: i64,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub payment_id: Option<i64>,
    pub credit_note_id: Option<i64>,
    pub amount_cents: i64,
    pub date: Date,
    /// The allocation this row cancels (an undo), if any.
    pub reverses: Option<i64>,
    /// Whether a later row cancelled this one.
    pub reversed: bool,
}

//! # E-invoices: the invoices as the company issued them electronically
//!
//! Depends on [`books`](crate::books) and [`bank`](crate::bank) (for the
//! comparison of names). Since 1 September 2026 French companies receive
//! electronic invoices, and the large ones issue them; an e-invoice of the
//! company's brings everything a reminder needs. This domain owns:
//! - reading Factur-X / ZUGFeRD PDFs (their embedded XML), CII XML and UBL
//!   2.1 `Invoice` and `CreditNote`, profiles MINIMUM to EXTENDED (`read`);
//! - importing one: refused when the seller is not the company; the buyer
//!   found by SIREN, then by name, or created with its address and e-mail;
//!   the invoice created, or enriched when a FEC or a CSV brought it first
//!   (due date, client details), never doubled; the document kept with the
//!   invoice.
//!
//! Its table: `invoice_document`.

mod read;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::books::dates::Date;
use crate::books::error::{Error, Result};
use crate::books::import::ImportIssue;
use crate::books::ledger::{now_stamp, NewInvoice, NewPayment};
use crate::books::model::{Client, InvoiceKind};
use crate::books::money::{Currency, Money};
use crate::books::store::Ledger;

/// A party of an e-invoice (seller or buyer).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Party {
    pub name: String,
    pub siren: String,
    pub siret: String,
    pub vat: String,
    /// Street lines, separated by `\n`.
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub email: String,
}

impl Party {
    /// The SIREN, given or read from the SIRET or a French VAT number.
    pub fn siren(&self) -> Option<String> {
        let digits = |t: &str| -> String { t.chars().filter(char::is_ascii_digit).collect() };
        let siren = digits(&self.siren);
        let siret = digits(&self.siret);
        let vat = self.vat.trim().to_ascii_uppercase();
        if siren.len() == 9 {
            Some(siren)
        } else if siret.len() == 14 {
            Some(siret[..9].to_string())
        } else if vat.starts_with("FR") && digits(&vat).len() == 11 {
            Some(digits(&vat)[2..].to_string())
        } else {
            None
        }
    }
}

/// An e-invoice as read.
#[derive(Clone, Debug, Serialize)]
pub struct EInvoice {
    /// "CII", "UBL", "Factur-X (CII)".
    pub format: String,
    pub number: String,
    pub kind: InvoiceKind,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub payment_terms: String,
    /// Total with taxes, prepaid, and what is due, in cents.
    pub total_cents: i64,
    pub prepaid_cents: i64,
    pub due_cents: i64,
    pub currency: Currency,
    pub seller: Party,
    pub buyer: Party,
    #[serde(skip)]
    pub xml: String,
    #[serde(skip)]
    pub pdf: Option<Vec<u8>>,
}

impl EInvoice {
    /// The due date, given or from the payment terms ("30 jours net").
    pub fn due(&self) -> Option<Date> {
        self.due_date.or_else(|| {
            let words: Vec<&str> = self.payment_terms.split_whitespace().collect();
            words.windows(2).find_map(|w| {
                let days: u64 = w[0].parse().ok()?;
                let unit = w[1].to_lowercase();
                (unit.starts_with("jour") || unit.starts_with("day"))
                    .then(|| self.issue_date + chrono::Days::new(days.min(365)))
            })
        })
    }
}

/// Reads an e-invoice (PDF or XML); problems say where and why.
pub fn parse(file_name: &str, bytes: &[u8]) -> std::result::Result<EInvoice, Vec<ImportIssue>> {
    read::parse(file_name, bytes)
}

/// What importing an e-invoice did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EInvoiceOutcome {
    pub number: String,
    pub invoice_id: i64,
    pub client_code: String,
    pub client_created: bool,
    pub invoice_created: bool,
    /// An invoice a FEC or a CSV brought, completed (due date, client).
    pub enriched: bool,
    /// The same document imported before: nothing changed.
    pub unchanged: bool,
}

impl Ledger {
    /// Refuses an e-invoice whose seller is not the company (by SIREN),
    /// saying whose it is.
    fn check_einvoice_seller(&self, inv: &EInvoice) -> Result<()> {
        let company = self.company()?;
        let ours: String = company.siren.chars().filter(char::is_ascii_digit).collect();
        let ours = if ours.len() >= 9 {
            ours[..9].to_string()
        } else {
            ours
        };
        match inv.seller.siren() {
            _ if ours.is_empty() => {
                return Err(Error::invalid(
                    "vendeur",
                    "le SIREN de l'entreprise n'est pas renseigné (Paramètres › Entreprise) : impossible de vérifier que la facture est la sienne",
                ))
            }
            Some(theirs) if theirs == ours => {}
            theirs => {
                return Err(Error::invalid(
                    "vendeur",
                    format!(
                        "la facture {} est émise par {} ({}), pas par {} (SIREN {ours}) : elle n'est pas importée",
                        inv.number,
                        inv.seller.name,
                        theirs.map_or("sans SIREN".into(), |s| format!("SIREN {s}")),
                        company.legal_name
                    ),
                ))
            }
        }
        Ok(())
    }

    /// Imports several e-invoices (with their file names): every seller is
    /// checked before any is written, so another company's invoice among
    /// them writes nothing.
    pub fn import_einvoices(
        &mut self,
        invoices: &[(String, EInvoice)],
    ) -> Result<Vec<EInvoiceOutcome>> {
        for (_, invoice) in invoices {
            self.check_einvoice_seller(invoice)?;
        }
        invoices
            .iter()
            .map(|(name, invoice)| self.import_einvoice(invoice, name))
            .collect()
    }

    /// Imports an e-invoice of the company's, in one transaction.
    pub fn import_einvoice(&mut self, inv: &EInvoice, file_name: &str) -> Result<EInvoiceOutcome> {
        self.check_einvoice_seller(inv)?;
        let (document, name, media_type) = match &inv.pdf {
            Some(pdf) => (pdf.as_slice(), file_name.to_string(), "application/pdf"),
            None => (inv.xml.as_bytes(), file_name.to_string(), "application/xml"),
        };
        let sha = crate::books::import::sha256_hex(document);
        let tx = self.conn.unchecked_transaction()?;
        let mut outcome = EInvoiceOutcome {
            number: inv.number.clone(),
            ..Default::default()
        };
        let (client_id, created) = self.buyer_client(&inv.buyer)?;
        outcome.client_created = created;
        let existing: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT id, client_id FROM invoice WHERE number = ?1 AND withdrawn_by IS NULL",
                [inv.number.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let invoice_id = match existing {
            Some((_, other)) if other != client_id => {
                let theirs = self.client(other)?;
                return Err(Error::invalid(
                    "numéro de facture",
                    format!(
                        "la facture {} existe déjà pour {} ({}), pas pour {}",
                        inv.number, theirs.name, theirs.code, inv.buyer.name
                    ),
                ));
            }
            Some((id, _)) => {
                let known: bool = self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM invoice_document WHERE invoice_id = ?1 AND sha256 = ?2)",
                    params![id, sha],
                    |r| r.get(0),
                )?;
                if known {
                    outcome.unchanged = true;
                } else {
                    if let Some(due) = inv.due() {
                        crate::books::ledger::set_due_date(&self.conn, id, due)?;
                    }
                    outcome.enriched = true;
                }
                id
            }
            None => {
                let sign = if inv.kind == InvoiceKind::CreditNote {
                    -1
                } else {
                    1
                };
                let id = self.add_invoice(&NewInvoice {
                    client_id,
                    number: inv.number.trim().to_string(),
                    issue_date: inv.issue_date,
                    due_date: inv.due().filter(|d| *d >= inv.issue_date),
                    amount: Money::new(sign * inv.total_cents.abs(), inv.currency),
                    label: format!("Facture électronique ({})", inv.format),
                })?;
                if inv.prepaid_cents > 0 && sign > 0 {
                    let payment = self.record_payment(&NewPayment {
                        client_id,
                        date: inv.issue_date,
                        amount: Money::new(inv.prepaid_cents, inv.currency),
                        method: "acompte".into(),
                        reference: format!("acompte sur {}", inv.number.trim()),
                    })?;
                    crate::books::ledger::allocate_tx(
                        &tx,
                        crate::books::ledger::Source::Payment(payment),
                        id,
                        inv.prepaid_cents.min(inv.total_cents),
                        inv.issue_date,
                    )?;
                }
                outcome.invoice_created = true;
                id
            }
        };
        if !outcome.unchanged {
            self.conn.execute(
                "INSERT INTO invoice_document (invoice_id, name, media_type, sha256, bytes, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (invoice_id, sha256) DO NOTHING",
                params![invoice_id, name, media_type, sha, document, now_stamp()],
            )?;
        }
        outcome.invoice_id = invoice_id;
        outcome.client_code = self.client(client_id)?.code;
        tx.commit()?;
        Ok(outcome)
    }

    /// The buyer's client: by SIREN, then by name; else a new client with
    /// what the invoice says of it. Details the client file lacks are
    /// completed. Returns its id and whether it was created.
    fn buyer_client(&self, buyer: &Party) -> Result<(i64, bool)> {
        let siren = buyer.siren();
        let mut stmt = self.conn.prepare("SELECT id, siren, name FROM client")?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let digits = |t: &str| -> String { t.chars().filter(char::is_ascii_digit).collect() };
        let words = crate::bank::matching::name_words(&buyer.name);
        let found = siren
            .as_ref()
            .and_then(|s| {
                rows.iter()
                    .find(|(_, theirs, _)| digits(theirs).get(..9) == Some(s.as_str()))
            })
            .or_else(|| {
                rows.iter().find(|(_, _, name)| {
                    !words.is_empty() && crate::bank::matching::name_words(name) == words
                })
            })
            .map(|(id, _, _)| *id);
        let email_ok =
            |e: &str| !e.is_empty() && crate::books::ledger::check_emails("e-mail", e).is_ok();
        match found {
            Some(id) => {
                let mut client = self.client(id)?;
                let before = client.clone();
                for (field, given) in [
                    (&mut client.address, &buyer.address),
                    (&mut client.postcode, &buyer.postcode),
                    (&mut client.city, &buyer.city),
                    (&mut client.country, &buyer.country),
                ] {
                    if field.trim().is_empty() && !given.trim().is_empty() {
                        *field = given.trim().to_string();
                    }
                }
                if client.email.is_empty() && email_ok(&buyer.email) {
                    client.email = buyer.email.trim().to_string();
                }
                if client.siren.is_empty() {
                    client.siren = siren.unwrap_or_default();
                }
                if client != before {
                    self.upsert_client(&client)?;
                }
                Ok((id, false))
            }
            None => {
                let base: String = crate::bank::matching::squeeze(&buyer.name)
                    .chars()
                    .take(10)
                    .collect();
                let base = if base.is_empty() {
                    "CLIENT".to_string()
                } else {
                    base
                };
                let mut code = base.clone();
                let mut n = 1;
                while self.client_by_code(&code).is_ok() {
                    n += 1;
                    code = format!("{base}{n}");
                }
                let mut client = Client::new(&code, buyer.name.trim());
                client.address = buyer.address.clone();
                client.postcode = buyer.postcode.clone();
                client.city = buyer.city.clone();
                client.country = buyer.country.clone();
                if email_ok(&buyer.email) {
                    client.email = buyer.email.trim().to_string();
                }
                client.siren = siren.unwrap_or_default();
                Ok((self.upsert_client(&client)?, true))
            }
        }
    }

    /// The invoice's own PDF: the one kept with it (a Factur-X), else the
    /// file the ledger knows the path of, when it can be read.
    pub fn invoice_pdf(&self, invoice_id: i64) -> Result<Option<Vec<u8>>> {
        let kept: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT bytes FROM invoice_document WHERE invoice_id = ?1 AND media_type = 'application/pdf' ORDER BY id DESC LIMIT 1",
                [invoice_id],
                |r| r.get(0),
            )
            .optional()?;
        if kept.is_some() {
            return Ok(kept);
        }
        let path: Option<String> = self
            .conn
            .query_row(
                "SELECT pdf_path FROM invoice WHERE id = ?1",
                [invoice_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(path
            .filter(|p| !p.trim().is_empty())
            .and_then(|p| std::fs::read(p).ok()))
    }

    /// The documents kept with an invoice: (name, media type, bytes).
    pub fn invoice_documents(&self, invoice_id: i64) -> Result<Vec<(String, String, Vec<u8>)>> {
        let mut stmt = self.conn.prepare(
            "SELECT name, media_type, bytes FROM invoice_document WHERE invoice_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([invoice_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

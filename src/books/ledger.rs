//! Clients, invoices, payments and their matching (lettrage).
//!
//! Balances are never stored: an invoice's open amount is its amount less the
//! allocations made to it; a payment's unallocated part is its amount less the
//! allocations made from it. Undoing a match appends a reversing allocation.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::dates::Date;
use crate::error::{Error, Result};
use crate::model::*;
use crate::money::{Currency, Money};
use crate::store::Ledger;

/// SQL giving, for every invoice row, its open amount (`open`) in cents.
/// Allocations *to* an invoice reduce it; allocations *from* a credit note
/// bring its negative amount back towards zero.
pub(crate) const INVOICE_OPEN_SQL: &str = "
    SELECT i.id, i.client_id, c.code, c.name, i.number, i.kind, i.issue_date, i.due_date,
           i.amount, i.amount - COALESCE(ai.s, 0) + COALESCE(ao.s, 0) AS open, i.currency, i.label
    FROM invoice i
    JOIN client c ON c.id = i.client_id
    LEFT JOIN (SELECT invoice_id AS id, SUM(amount) AS s FROM allocation GROUP BY invoice_id) ai ON ai.id = i.id
    LEFT JOIN (SELECT credit_note_id AS id, SUM(amount) AS s FROM allocation WHERE credit_note_id IS NOT NULL GROUP BY credit_note_id) ao ON ao.id = i.id
    WHERE i.withdrawn_by IS NULL";

/// Which invoices to list.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub client_id: Option<i64>,
    /// `open` (anything still owed), `paid`, `partly_paid`, `credit`, or `None` for all.
    pub status: Option<String>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    /// Matches the invoice number or the client's name or code.
    pub search: Option<String>,
    /// `due_date` (default), `number`, `client`, `amount`, `open`, `issue_date`; `-` prefix for descending.
    pub sort: Option<String>,
    pub offset: usize,
    pub limit: Option<usize>,
}

/// One page of invoices with the count and total of the whole filtered set.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InvoicePage {
    pub rows: Vec<Invoice>,
    pub total_count: usize,
    /// Open amount of the whole filtered set, per currency.
    pub total_open: Vec<Money>,
}

/// A payment to record.
#[derive(Clone, Debug)]
pub struct NewPayment {
    pub client_id: i64,
    pub date: Date,
    pub amount: Money,
    pub method: String,
    pub reference: String,
}

/// An invoice to record by hand.
#[derive(Clone, Debug)]
pub struct NewInvoice {
    pub client_id: i64,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub amount: Money,
    pub label: String,
}

/// The matching rule that placed a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum MatchRule {
    /// One open invoice had exactly the payment's amount.
    ExactAmount,
    /// The payment settled the oldest open invoices first.
    OldestFirst,
    /// Nothing open to match: left for the user.
    LeftForUser,
}

/// What auto-matching did with a payment.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MatchOutcome {
    pub rule: MatchRule,
    /// `(invoice id, cents)` allocated.
    pub allocations: Vec<(i64, i64)>,
    pub unallocated_cents: i64,
}

/// A client with its balance, for the list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClientSummary {
    pub client: Client,
    pub open_invoices: usize,
    /// Sum of what is open (invoices less unused credits), in cents, per currency.
    pub balance: Vec<Money>,
    pub overdue_cents: i64,
}

pub(crate) fn invoice_from_row(row: &Row) -> rusqlite::Result<Invoice> {
    let amount: i64 = row.get(8)?;
    let open: i64 = row.get(9)?;
    let currency: String = row.get(10)?;
    Ok(Invoice {
        id: row.get(0)?,
        client_id: row.get(1)?,
        client_code: row.get(2)?,
        client_name: row.get(3)?,
        number: row.get(4)?,
        kind: InvoiceKind::parse(&row.get::<_, String>(5)?),
        issue_date: row.get(6)?,
        due_date: row.get(7)?,
        amount_cents: amount,
        open_cents: open,
        currency: Currency::parse(&currency).unwrap_or(Currency::EUR),
        label: row.get(11)?,
        status: InvoiceStatus::derive(amount, open),
    })
}

const CLIENT_COLUMNS: &str = "id, code, name, contact, email, email_cc, phone, address, postcode, city, country, language, kind, segment, terms_days, payment_days, credit_limit, notes, do_not_remind, siren";

fn client_from_row(row: &Row) -> rusqlite::Result<Client> {
    Ok(Client {
        id: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        contact: row.get(3)?,
        email: row.get(4)?,
        email_cc: row.get(5)?,
        phone: row.get(6)?,
        address: row.get(7)?,
        postcode: row.get(8)?,
        city: row.get(9)?,
        country: row.get(10)?,
        language: row.get(11)?,
        kind: ClientKind::parse(&row.get::<_, String>(12)?),
        segment: row.get(13)?,
        terms_days: row.get(14)?,
        payment_days: row.get(15)?,
        credit_limit_cents: row.get(16)?,
        notes: row.get(17)?,
        do_not_remind: row.get(18)?,
        siren: row.get(19)?,
    })
}

/// Refuses control characters (a line break in an e-mail address would let a
/// client field inject mail headers later) and over-long values.
pub fn check_single_line(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "ne doit contenir ni retour à la ligne ni caractère de contrôle",
        ));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("{max} caractères au plus")));
    }
    Ok(())
}

/// Checks one or more e-mail addresses separated by `,` or `;`.
pub fn check_emails(field: &str, value: &str) -> Result<()> {
    check_single_line(field, value, 320)?;
    for address in value
        .split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        let ok = address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }) && !address.contains(char::is_whitespace)
            && !address.contains(['<', '>', '"', '(', ')', '[', ']', '\\']);
        if !ok {
            return Err(Error::invalid(
                field,
                format!("« {address} » n'est pas une adresse e-mail"),
            ));
        }
    }
    Ok(())
}

/// Validates a client file before it is written.
pub fn validate_client(client: &Client) -> Result<()> {
    if client.code.trim().is_empty() {
        return Err(Error::invalid("code client", "obligatoire"));
    }
    check_single_line("code client", &client.code, 40)?;
    if client.name.trim().is_empty() {
        return Err(Error::invalid("nom", "obligatoire"));
    }
    check_single_line("nom", &client.name, 120)?;
    check_emails("e-mail", &client.email)?;
    check_emails("copie", &client.email_cc)?;
    check_single_line("téléphone", &client.phone, 40)?;
    check_single_line("contact", &client.contact, 120)?;
    check_single_line("code postal", &client.postcode, 12)?;
    check_single_line("ville", &client.city, 38)?;
    let lines: Vec<&str> = client.address.lines().collect();
    if lines.len() > 4 {
        return Err(Error::invalid(
            "adresse",
            "4 lignes au plus (la fenêtre de l'enveloppe en tient 6 avec le nom et la ville)",
        ));
    }
    // A long line is wrapped in the envelope's window (38 characters a
    // line); the letter is held back, and says so, if the whole no longer fits.
    for (i, line) in lines.iter().enumerate() {
        if line.chars().count() > 120 {
            return Err(Error::invalid(
                "adresse",
                format!("ligne {} : 120 caractères au plus", i + 1),
            ));
        }
    }
    let siren: String = client
        .siren
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !(siren.is_empty() || is_digits(&siren, 9) || is_digits(&siren, 14)) {
        return Err(Error::invalid(
            "SIREN/SIRET",
            format!("« {} » : 9 chiffres (SIREN) ou 14 (SIRET)", client.siren),
        ));
    }
    if client.terms_days > 365 {
        return Err(Error::invalid("délai de paiement", "365 jours au plus"));
    }
    if !matches!(client.language.as_str(), "fr" | "en") {
        return Err(Error::invalid("langue", "fr ou en"));
    }
    Ok(())
}

impl Ledger {
    // ----- company -------------------------------------------------------

    /// The company profile.
    pub fn company(&self) -> Result<Company> {
        Ok(self.conn.query_row(
            "SELECT legal_name, legal_form, capital, siren, siret, rcs_city, vat_number, address, postcode, city, email, phone, iban, bic, signature_name, payment_other FROM company WHERE id = 1",
            [],
            |r| {
                Ok(Company {
                    legal_name: r.get(0)?,
                    legal_form: r.get(1)?,
                    capital: r.get(2)?,
                    siren: r.get(3)?,
                    siret: r.get(4)?,
                    rcs_city: r.get(5)?,
                    vat_number: r.get(6)?,
                    address: r.get(7)?,
                    postcode: r.get(8)?,
                    city: r.get(9)?,
                    email: r.get(10)?,
                    phone: r.get(11)?,
                    iban: r.get(12)?,
                    bic: r.get(13)?,
                    signature_name: r.get(14)?,
                    payment_other: r.get(15)?,
                })
            },
        )?)
    }

    /// Saves the company profile after checking it.
    pub fn set_company(&self, c: &Company) -> Result<()> {
        for (field, value, max) in [
            ("raison sociale", &c.legal_name, 120),
            ("forme juridique", &c.legal_form, 60),
            ("capital", &c.capital, 40),
            ("RCS", &c.rcs_city, 60),
            ("TVA", &c.vat_number, 20),
            ("code postal", &c.postcode, 12),
            ("ville", &c.city, 60),
            ("téléphone", &c.phone, 40),
            ("BIC", &c.bic, 11),
            ("signataire", &c.signature_name, 120),
            ("autre moyen de paiement", &c.payment_other, 200),
        ] {
            check_single_line(field, value, max)?;
        }
        check_emails("e-mail", &c.email)?;
        let siren: String = c.siren.chars().filter(|ch| !ch.is_whitespace()).collect();
        if !siren.is_empty() && !is_digits(&siren, 9) {
            return Err(Error::invalid("SIREN", "9 chiffres"));
        }
        if !siren.is_empty() && !crate::model::siren_is_valid(&siren) {
            return Err(Error::invalid(
                "SIREN",
                "clé de contrôle invalide : vérifiez les 9 chiffres",
            ));
        }
        let siret: String = c.siret.chars().filter(|ch| !ch.is_whitespace()).collect();
        if !siret.is_empty() && !is_digits(&siret, 14) {
            return Err(Error::invalid("SIRET", "14 chiffres"));
        }
        let iban: String = c.iban.chars().filter(|ch| !ch.is_whitespace()).collect();
        if !iban.is_empty() && !iban_is_valid(&iban) {
            return Err(Error::invalid("IBAN", "clé de contrôle invalide"));
        }
        self.conn.execute(
            "UPDATE company SET legal_name=?1, legal_form=?2, capital=?3, siren=?4, siret=?5, rcs_city=?6, vat_number=?7, address=?8, postcode=?9, city=?10, email=?11, phone=?12, iban=?13, bic=?14, signature_name=?15, payment_other=?16 WHERE id = 1",
            params![c.legal_name, c.legal_form, c.capital, siren, siret, c.rcs_city, c.vat_number, c.address, c.postcode, c.city, c.email, c.phone, iban, c.bic, c.signature_name, c.payment_other],
        )?;
        Ok(())
    }

    // ----- clients -------------------------------------------------------

    /// Creates a client, or updates the one with the same code. Returns its id.
    pub fn upsert_client(&self, client: &Client) -> Result<i64> {
        validate_client(client)?;
        upsert_client_tx(&self.conn, client)
    }

    /// The client with this id.
    pub fn client(&self, id: i64) -> Result<Client> {
        self.conn
            .query_row(
                &format!("SELECT {CLIENT_COLUMNS} FROM client WHERE id = ?1"),
                [id],
                client_from_row,
            )
            .optional()?
            .ok_or(Error::NotFound {
                what: "client",
                key: id.to_string(),
            })
    }

    /// The client with this code.
    pub fn client_by_code(&self, code: &str) -> Result<Client> {
        self.conn
            .query_row(
                &format!("SELECT {CLIENT_COLUMNS} FROM client WHERE code = ?1"),
                [code],
                client_from_row,
            )
            .optional()?
            .ok_or(Error::NotFound {
                what: "client",
                key: code.to_string(),
            })
    }

    /// Every client with its balance as of `as_of`, sorted by name.
    pub fn clients(&self, as_of: Date, search: Option<&str>) -> Result<Vec<ClientSummary>> {
        let mut clients: Vec<Client> = {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {CLIENT_COLUMNS} FROM client ORDER BY name COLLATE NOCASE, code"
            ))?;
            let rows = stmt.query_map([], client_from_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if let Some(needle) = search.map(fold).filter(|s| !s.is_empty()) {
            clients.retain(|c| {
                fold(&c.name).contains(&needle)
                    || fold(&c.code).contains(&needle)
                    || fold(&c.city).contains(&needle)
            });
        }
        let mut by_client: std::collections::HashMap<i64, (usize, Vec<Money>, i64)> =
            Default::default();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT * FROM ({INVOICE_OPEN_SQL}) WHERE open <> 0"
        ))?;
        let rows = stmt.query_map([], invoice_from_row)?;
        for inv in rows {
            let inv = inv?;
            let entry = by_client.entry(inv.client_id).or_default();
            if inv.open_cents > 0 {
                entry.0 += 1;
                if inv.due_date < as_of {
                    entry.2 = crate::money::add_cents(entry.2, inv.open_cents)?;
                }
            }
            add_to(&mut entry.1, Money::new(inv.open_cents, inv.currency))?;
        }
        let mut stmt = self.conn.prepare(
            "SELECT p.client_id, p.currency, p.amount - COALESCE((SELECT SUM(amount) FROM allocation a WHERE a.payment_id = p.id), 0) FROM payment p WHERE p.withdrawn_by IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (client_id, currency, unallocated) = row?;
            if unallocated != 0 {
                let entry = by_client.entry(client_id).or_default();
                add_to(
                    &mut entry.1,
                    Money::new(
                        -unallocated,
                        Currency::parse(&currency).unwrap_or(Currency::EUR),
                    ),
                )?;
            }
        }
        Ok(clients
            .into_iter()
            .map(|client| {
                let (open_invoices, balance, overdue_cents) =
                    by_client.remove(&client.id).unwrap_or_default();
                ClientSummary {
                    client,
                    open_invoices,
                    balance,
                    overdue_cents,
                }
            })
            .collect())
    }

    // ----- invoices ------------------------------------------------------

    /// Records an invoice typed by hand (due date defaults to the client's terms).
    pub fn add_invoice(&self, new: &NewInvoice) -> Result<i64> {
        let client = self.client(new.client_id)?;
        check_single_line("numéro de facture", &new.number, 60)?;
        if new.number.trim().is_empty() {
            return Err(Error::invalid("numéro de facture", "obligatoire"));
        }
        if new.amount.cents == 0 {
            return Err(Error::invalid("montant", "ne peut être nul"));
        }
        let due = new
            .due_date
            .unwrap_or(new.issue_date + chrono::Days::new(client.terms_days as u64));
        if due < new.issue_date {
            return Err(Error::invalid(
                "échéance",
                "antérieure à la date de facture",
            ));
        }
        let kind = if new.amount.cents < 0 {
            InvoiceKind::CreditNote
        } else {
            InvoiceKind::Invoice
        };
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM invoice WHERE number = ?1",
                [new.number.trim()],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Err(Error::invalid(
                "numéro de facture",
                format!("la facture {} existe déjà", new.number.trim()),
            ));
        }
        self.conn.execute(
            "INSERT INTO invoice (client_id, number, kind, issue_date, due_date, amount, currency, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![new.client_id, new.number.trim(), kind.as_str(), new.issue_date, due, new.amount.cents, new.amount.currency.as_str(), new.label],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Links an invoice to its PDF (sent with e-mails, put in the litigation
    /// file); the file must exist and be a PDF.
    pub fn set_invoice_pdf(&self, invoice_id: i64, path: &std::path::Path) -> Result<()> {
        let mut head = [0u8; 5];
        let readable = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            });
        readable?;
        if &head != b"%PDF-" {
            return Err(Error::invalid(
                path.display().to_string(),
                "ce fichier n'est pas un PDF",
            ));
        }
        let text = path
            .to_str()
            .ok_or_else(|| Error::invalid("fichier", "chemin illisible"))?;
        self.invoice(invoice_id)?;
        self.conn.execute(
            "UPDATE invoice SET pdf_path = ?1 WHERE id = ?2",
            params![text, invoice_id],
        )?;
        Ok(())
    }

    /// The invoice with this id, with its open amount.
    pub fn invoice(&self, id: i64) -> Result<Invoice> {
        self.conn
            .query_row(
                &format!("SELECT * FROM ({INVOICE_OPEN_SQL}) WHERE id = ?1"),
                [id],
                invoice_from_row,
            )
            .optional()?
            .ok_or(Error::NotFound {
                what: "facture",
                key: id.to_string(),
            })
    }

    /// The invoice with this number.
    pub fn invoice_by_number(&self, number: &str) -> Result<Invoice> {
        self.conn
            .query_row(
                &format!("SELECT * FROM ({INVOICE_OPEN_SQL}) WHERE number = ?1"),
                [number],
                invoice_from_row,
            )
            .optional()?
            .ok_or(Error::NotFound {
                what: "facture",
                key: number.to_string(),
            })
    }

    // ----- payments and matching ----------------------------------------

    /// Records a payment (not yet matched). Returns its id.
    pub fn record_payment(&self, p: &NewPayment) -> Result<i64> {
        self.check_payment(p)?;
        insert_payment(&self.conn, p)
    }

    /// Refuses a payment for a missing client, a non-positive amount, or a
    /// method or reference with a line break.
    fn check_payment(&self, p: &NewPayment) -> Result<()> {
        self.client(p.client_id)?;
        if p.amount.cents <= 0 {
            return Err(Error::invalid("montant", "un paiement est positif"));
        }
        check_single_line("mode de paiement", &p.method, 40)?;
        check_single_line("référence", &p.reference, 120)
    }

    /// Payments, newest first, optionally for one client.
    pub fn payments(&self, client_id: Option<i64>) -> Result<Vec<Payment>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.client_id, c.code, c.name, p.date, p.amount, p.amount - COALESCE((SELECT SUM(a.amount) FROM allocation a WHERE a.payment_id = p.id), 0), p.currency, p.method, p.reference
             FROM payment p JOIN client c ON c.id = p.client_id
             WHERE (?1 IS NULL OR p.client_id = ?1) AND p.withdrawn_by IS NULL ORDER BY p.date DESC, p.id DESC",
        )?;
        let rows = stmt.query_map([client_id], |r| {
            Ok(Payment {
                id: r.get(0)?,
                client_id: r.get(1)?,
                client_code: r.get(2)?,
                client_name: r.get(3)?,
                date: r.get(4)?,
                amount_cents: r.get(5)?,
                unallocated_cents: r.get(6)?,
                currency: Currency::parse(&r.get::<_, String>(7)?).unwrap_or(Currency::EUR),
                method: r.get(8)?,
                reference: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Matching rows touching an invoice, a payment or a credit note.
    pub fn allocations(
        &self,
        invoice_id: Option<i64>,
        payment_id: Option<i64>,
    ) -> Result<Vec<Allocation>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.invoice_id, i.number, a.payment_id, a.credit_note_id, a.amount, a.date, a.reverses,
                    EXISTS (SELECT 1 FROM allocation r WHERE r.reverses = a.id)
             FROM allocation a JOIN invoice i ON i.id = a.invoice_id
             WHERE (?1 IS NULL OR a.invoice_id = ?1 OR a.credit_note_id = ?1) AND (?2 IS NULL OR a.payment_id = ?2)
             ORDER BY a.id",
        )?;
        let rows = stmt.query_map(params![invoice_id, payment_id], |r| {
            Ok(Allocation {
                id: r.get(0)?,
                invoice_id: r.get(1)?,
                invoice_number: r.get(2)?,
                payment_id: r.get(3)?,
                credit_note_id: r.get(4)?,
                amount_cents: r.get(5)?,
                date: r.get(6)?,
                reverses: r.get(7)?,
                reversed: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Matches `cents` of a payment to an invoice. Refuses more than what is
    /// left of either, another client's invoice, or another currency.
    pub fn allocate(
        &mut self,
        payment_id: i64,
        invoice_id: i64,
        cents: i64,
        date: Date,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = allocate_tx(&tx, Source::Payment(payment_id), invoice_id, cents, date)?;
        tx.commit()?;
        Ok(id)
    }

    /// Uses `cents` of a credit note to settle an invoice.
    pub fn apply_credit_note(
        &mut self,
        credit_note_id: i64,
        invoice_id: i64,
        cents: i64,
        date: Date,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = allocate_tx(
            &tx,
            Source::CreditNote(credit_note_id),
            invoice_id,
            cents,
            date,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Undoes a match by appending a reversing row. Returns the new row's id.
    pub fn undo_allocation(&mut self, allocation_id: i64, date: Date) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let row: Option<AllocationRow> = tx
            .query_row("SELECT invoice_id, payment_id, credit_note_id, amount, reverses FROM allocation WHERE id = ?1", [allocation_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let (invoice_id, payment_id, credit_note_id, amount, reverses) =
            row.ok_or(Error::NotFound {
                what: "lettrage",
                key: allocation_id.to_string(),
            })?;
        if reverses.is_some() {
            return Err(Error::invalid(
                "lettrage",
                "une annulation ne s'annule pas : refaites le lettrage",
            ));
        }
        let already: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM allocation WHERE reverses = ?1)",
            [allocation_id],
            |r| r.get(0),
        )?;
        if already {
            return Err(Error::invalid("lettrage", "ce lettrage est déjà annulé"));
        }
        tx.execute(
            "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, reverses, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![invoice_id, payment_id, credit_note_id, -amount, date, allocation_id, now_stamp()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Auto-matches what is left of a payment: first an open invoice of exactly
    /// that amount, else the oldest open invoices first; what cannot be placed
    /// stays for the user.
    pub fn auto_match(&mut self, payment_id: i64) -> Result<MatchOutcome> {
        let tx = self.conn.transaction()?;
        let outcome = auto_match_tx(&tx, payment_id)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Records a payment and auto-matches it, in one transaction.
    pub fn record_payment_and_match(&mut self, p: &NewPayment) -> Result<(i64, MatchOutcome)> {
        self.check_payment(p)?;
        let tx = self.conn.transaction()?;
        let id = insert_payment(&tx, p)?;
        let outcome = auto_match_tx(&tx, id)?;
        tx.commit()?;
        Ok((id, outcome))
    }

    /// "Marquer payée": records a payment of what is open and matches it.
    pub fn mark_paid(&mut self, invoice_id: i64, date: Date, method: &str) -> Result<i64> {
        let invoice = self.invoice(invoice_id)?;
        if invoice.open_cents <= 0 {
            return Err(Error::invalid(
                "facture",
                format!("la facture {} n'a plus rien à payer", invoice.number),
            ));
        }
        let payment = NewPayment {
            client_id: invoice.client_id,
            date,
            amount: Money::new(invoice.open_cents, invoice.currency),
            method: method.to_string(),
            reference: format!("Facture {}", invoice.number),
        };
        self.check_payment(&payment)?;
        let tx = self.conn.transaction()?;
        let payment_id = insert_payment(&tx, &payment)?;
        allocate_tx(
            &tx,
            Source::Payment(payment_id),
            invoice_id,
            invoice.open_cents,
            date,
        )?;
        tx.commit()?;
        Ok(payment_id)
    }
}

pub(crate) fn insert_payment(conn: &rusqlite::Connection, p: &NewPayment) -> Result<i64> {
    conn.execute(
        "INSERT INTO payment (client_id, date, amount, currency, method, reference) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![p.client_id, p.date, p.amount.cents, p.amount.currency.as_str(), p.method, p.reference],
    )?;
    Ok(conn.last_insert_rowid())
}

/// What settles an invoice.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Source {
    Payment(i64),
    CreditNote(i64),
}

pub(crate) fn now_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Sets an invoice's due date (an e-invoice gives it where a FEC did not).
pub(crate) fn set_due_date(conn: &rusqlite::Connection, invoice_id: i64, due: Date) -> Result<()> {
    conn.execute(
        "UPDATE invoice SET due_date = ?2 WHERE id = ?1 AND issue_date <= ?2",
        params![invoice_id, crate::dates::IsoDate::from(due)],
    )?;
    Ok(())
}

/// What invoice `invoice_id` has open, in cents (negative for a credit note).
pub(crate) fn open_cents_tx(tx: &Transaction, invoice_id: i64) -> Result<i64> {
    Ok(open_of(tx, invoice_id)?.open_cents)
}

fn open_of(tx: &Transaction, invoice_id: i64) -> Result<Invoice> {
    tx.query_row(
        &format!("SELECT * FROM ({INVOICE_OPEN_SQL}) WHERE id = ?1"),
        [invoice_id],
        invoice_from_row,
    )
    .optional()?
    .ok_or(Error::NotFound {
        what: "facture",
        key: invoice_id.to_string(),
    })
}

/// Cents still available from a source, with its client and currency.
fn available(tx: &Transaction, source: Source) -> Result<(i64, i64, Currency)> {
    match source {
        Source::Payment(id) => {
            let row: Option<(i64, i64, String)> = tx
                .query_row(
                    "SELECT client_id, amount - COALESCE((SELECT SUM(amount) FROM allocation WHERE payment_id = ?1), 0), currency FROM payment WHERE id = ?1 AND withdrawn_by IS NULL",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (client, left, currency) = row.ok_or(Error::NotFound {
                what: "paiement",
                key: id.to_string(),
            })?;
            Ok((client, left, Currency::parse(&currency)?))
        }
        Source::CreditNote(id) => {
            let note = open_of(tx, id)?;
            if note.amount_cents >= 0 {
                return Err(Error::invalid(
                    "avoir",
                    format!("{} n'est pas un avoir", note.number),
                ));
            }
            Ok((note.client_id, -note.open_cents, note.currency))
        }
    }
}

pub(crate) fn allocate_tx(
    tx: &Transaction,
    source: Source,
    invoice_id: i64,
    cents: i64,
    date: Date,
) -> Result<i64> {
    if cents <= 0 {
        return Err(Error::invalid("montant lettré", "doit être positif"));
    }
    let invoice = open_of(tx, invoice_id)?;
    if invoice.amount_cents <= 0 {
        return Err(Error::invalid(
            "facture",
            format!(
                "{} est un avoir : on ne lui affecte pas de paiement",
                invoice.number
            ),
        ));
    }
    let (client_id, left, currency) = available(tx, source)?;
    if client_id != invoice.client_id {
        return Err(Error::invalid(
            "lettrage",
            format!("la facture {} appartient à un autre client", invoice.number),
        ));
    }
    if currency != invoice.currency {
        return Err(Error::CurrencyMismatch(
            currency.to_string(),
            invoice.currency.to_string(),
        ));
    }
    if cents > left {
        return Err(Error::invalid(
            "montant lettré",
            format!(
                "{} dépasse ce qui reste du paiement ({})",
                Money::new(cents, currency).format_fr(),
                Money::new(left, currency).format_fr()
            ),
        ));
    }
    if cents > invoice.open_cents {
        return Err(Error::invalid(
            "montant lettré",
            format!(
                "{} dépasse ce qui reste dû sur la facture {} ({})",
                Money::new(cents, currency).format_fr(),
                invoice.number,
                Money::new(invoice.open_cents, currency).format_fr()
            ),
        ));
    }
    let (payment_id, credit_note_id) = match source {
        Source::Payment(id) => (Some(id), None),
        Source::CreditNote(id) => (None, Some(id)),
    };
    tx.execute(
        "INSERT INTO allocation (invoice_id, payment_id, credit_note_id, amount, date, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![invoice_id, payment_id, credit_note_id, cents, date, now_stamp()],
    )?;
    Ok(tx.last_insert_rowid())
}

fn auto_match_tx(tx: &Transaction, payment_id: i64) -> Result<MatchOutcome> {
    let (client_id, mut left, currency) = available(tx, Source::Payment(payment_id))?;
    let date: Date = tx.query_row(
        "SELECT date FROM payment WHERE id = ?1",
        [payment_id],
        |r| r.get(0),
    )?;
    let open: Vec<Invoice> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT * FROM ({INVOICE_OPEN_SQL}) WHERE client_id = ?1 AND open > 0 AND currency = ?2 ORDER BY due_date, issue_date, id"
        ))?;
        let rows = stmt.query_map(params![client_id, currency.as_str()], invoice_from_row)?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut allocations = Vec::new();
    if left <= 0 || open.is_empty() {
        return Ok(MatchOutcome {
            rule: MatchRule::LeftForUser,
            allocations,
            unallocated_cents: left,
        });
    }
    if let Some(exact) = open.iter().find(|i| i.open_cents == left) {
        allocate_tx(tx, Source::Payment(payment_id), exact.id, left, date)?;
        allocations.push((exact.id, left));
        return Ok(MatchOutcome {
            rule: MatchRule::ExactAmount,
            allocations,
            unallocated_cents: 0,
        });
    }
    for invoice in &open {
        if left == 0 {
            break;
        }
        let part = left.min(invoice.open_cents);
        allocate_tx(tx, Source::Payment(payment_id), invoice.id, part, date)?;
        allocations.push((invoice.id, part));
        left -= part;
    }
    Ok(MatchOutcome {
        rule: MatchRule::OldestFirst,
        allocations,
        unallocated_cents: left,
    })
}

/// The client `id`, read inside a transaction.
pub(crate) fn client_tx(conn: &rusqlite::Connection, id: i64) -> Result<Client> {
    Ok(conn.query_row(
        &format!("SELECT {CLIENT_COLUMNS} FROM client WHERE id = ?1"),
        [id],
        client_from_row,
    )?)
}

pub(crate) fn upsert_client_tx(conn: &rusqlite::Connection, c: &Client) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO client (code, name, contact, email, email_cc, phone, address, postcode, city, country, language, kind, segment, terms_days, payment_days, credit_limit, notes, do_not_remind, siren)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(code) DO UPDATE SET name=excluded.name, contact=excluded.contact, email=excluded.email, email_cc=excluded.email_cc,
            phone=excluded.phone, address=excluded.address, postcode=excluded.postcode, city=excluded.city, country=excluded.country,
            language=excluded.language, kind=excluded.kind, segment=excluded.segment, terms_days=excluded.terms_days,
            payment_days=excluded.payment_days, credit_limit=excluded.credit_limit, notes=excluded.notes, do_not_remind=excluded.do_not_remind,
            siren=excluded.siren",
    )?
    .execute(params![
            c.code.trim(), c.name.trim(), c.contact, c.email.trim(), c.email_cc.trim(), c.phone, c.address, c.postcode, c.city, c.country,
            c.language, c.kind.as_str(), c.segment, c.terms_days, c.payment_days, c.credit_limit_cents, c.notes, c.do_not_remind,
            c.siren.split_whitespace().collect::<String>()
        ],
    )?;
    Ok(conn
        .prepare_cached("SELECT id FROM client WHERE code = ?1")?
        .query_row([c.code.trim()], |r| r.get(0))?)
}

/// Adds `m` to the per-currency list `totals`, checked.
pub fn add_to(totals: &mut Vec<Money>, m: Money) -> Result<()> {
    match totals.iter_mut().find(|t| t.currency == m.currency) {
        Some(t) => t.cents = crate::money::add_cents(t.cents, m.cents)?,
        None => totals.push(m),
    }
    Ok(())
}

/// Lower-case without accents, for search.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            'œ' => 'o',
            other => other,
        })
        .collect()
}

/// `(invoice, payment, credit note, amount, reverses)` of an allocation row.
type AllocationRow = (i64, Option<i64>, Option<i64>, i64, Option<i64>);

fn is_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

/// ISO 13616 check (mod 97).
pub fn iban_is_valid(iban: &str) -> bool {
    let iban = iban.to_ascii_uppercase();
    if iban.len() < 15 || iban.len() > 34 || !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    let mut rem: u32 = 0;
    for ch in rearranged.chars() {
        let value = ch.to_digit(36).unwrap_or(0);
        for digit in value.to_string().chars() {
            rem = (rem * 10 + digit.to_digit(10).unwrap_or(0)) % 97;
        }
    }
    rem == 1
}
/// One address, refused with the field named when it is not one (a line
/// break, a space, a missing domain…): nothing can reach a header but a
/// checked address.
pub fn parse_address(field: &str, text: &str) -> Result<lettre::Address> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "aucune adresse"));
    }
    check_emails(field, text)?;
    text.parse::<lettre::Address>()
        .map_err(|_| Error::invalid(field, format!("« {text} » n'est pas une adresse e-mail")))
}

/// Every address of a client's field (`a@b.fr; c@d.fr`).
pub fn parse_addresses(field: &str, text: &str) -> Result<Vec<lettre::Address>> {
    check_emails(field, text)?;
    text.split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| parse_address(field, a))
        .collect()
}

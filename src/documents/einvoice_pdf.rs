//! An e-invoice that came as XML alone (CII or UBL), shown as a PDF: the
//! litigation file and the reminder e-mails carry a page anyone can read,
//! and the XML beside it stays the invoice that counts.
//!
//! The page says what the XML says and nothing more: the seller and the
//! buyer with their identifiers and addresses, the number, the dates, the
//! payment terms, the total, what was prepaid and what is due.

use crate::books::dates;
use crate::books::error::Result;
use crate::books::money::format_cents_fr;
use crate::books::store::Ledger;
use crate::einvoice::{EInvoice, Party};
use crate::model::InvoiceKind;
use crate::pdf::{fit, regular_font, Align, Document};

const LEFT: f32 = 20.0;
const RIGHT: f32 = 190.0;
const LINE: f32 = 4.8;

/// The invoice read from `file_name`, laid out on one A4 page.
pub fn einvoice_pdf(invoice: &EInvoice, file_name: &str) -> Vec<u8> {
    let title = match invoice.kind {
        InvoiceKind::CreditNote => "Avoir",
        _ => "Facture",
    };
    let mut doc = Document::new(&format!("{title} {}", invoice.number));
    let mut page = doc.page(210.0, 297.0);
    let width = (RIGHT - LEFT) / 2.0 - 5.0;
    let party = |page: &mut crate::pdf::Canvas, x: f32, label: &str, p: &Party| {
        let mut y = 30.0;
        page.text(x, y, 8.0, false, Align::Left, label);
        y += LINE;
        page.text(
            x,
            y,
            11.0,
            true,
            Align::Left,
            &fit(regular_font(), &p.name, 11.0, width),
        );
        y += LINE + 0.6;
        let ids = [("SIREN", &p.siren), ("SIRET", &p.siret), ("TVA", &p.vat)];
        let place = format!("{} {}", p.postcode, p.city);
        let lines = p
            .address
            .lines()
            .map(str::to_string)
            .chain([place.trim().to_string(), p.country.clone(), p.email.clone()])
            .chain(
                ids.iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| format!("{k} {}", v.trim())),
            );
        for line in lines.filter(|l| !l.trim().is_empty()) {
            page.text(
                x,
                y,
                9.0,
                false,
                Align::Left,
                &fit(regular_font(), &line, 9.0, width),
            );
            y += LINE;
        }
        y
    };
    let seller_end = party(&mut page, LEFT, "Vendeur", &invoice.seller);
    let buyer_end = party(&mut page, 110.0, "Acheteur", &invoice.buyer);
    let mut y = seller_end.max(buyer_end) + 12.0;
    page.text(
        LEFT,
        y,
        14.0,
        true,
        Align::Left,
        &fit(
            regular_font(),
            &format!("{title} n° {}", invoice.number),
            14.0,
            RIGHT - LEFT,
        ),
    );
    y += LINE * 2.0;
    let money = |cents: i64| format!("{} {}", format_cents_fr(cents), invoice.currency.as_str());
    let mut rows: Vec<(&str, String)> =
        vec![("Date d'émission", dates::format_fr(invoice.issue_date))];
    if let Some(due) = invoice.due() {
        rows.push(("Échéance", dates::format_fr(due)));
    }
    if !invoice.payment_terms.trim().is_empty() {
        rows.push((
            "Conditions de paiement",
            invoice.payment_terms.trim().to_string(),
        ));
    }
    rows.push(("Total TTC", money(invoice.total_cents)));
    if invoice.prepaid_cents != 0 {
        rows.push(("Déjà payé", money(invoice.prepaid_cents)));
    }
    rows.push(("Reste à payer", money(invoice.due_cents)));
    for (label, value) in rows {
        page.text(LEFT, y, 10.0, false, Align::Left, label);
        page.text(
            RIGHT,
            y,
            10.0,
            label == "Reste à payer",
            Align::Right,
            &fit(regular_font(), &value, 10.0, 100.0),
        );
        y += LINE + 1.0;
        page.rule(LEFT, RIGHT, y - 3.6, 0.2, 0.8);
    }
    y += LINE * 2.0;
    let note = format!(
        "Page établie par Encaisse à partir de la facture électronique « {} » ({}). Le fichier XML fait foi.",
        file_name, invoice.format
    );
    for line in crate::documents::letters::wrap_words(&note, 100) {
        page.text(LEFT, y, 8.0, false, Align::Left, &line);
        y += LINE - 0.8;
    }
    doc.push(page);
    doc.finish()
}

impl Ledger {
    /// The invoice as a PDF: its own (a Factur-X, or the file the ledger
    /// knows the path of), else the page made from the e-invoice XML kept
    /// with it; `None` when there is neither.
    pub fn invoice_as_pdf(&self, invoice_id: i64) -> Result<Option<Vec<u8>>> {
        if let Some(pdf) = self.invoice_pdf(invoice_id)? {
            return Ok(Some(pdf));
        }
        for (name, media_type, bytes) in self.invoice_documents(invoice_id)?.into_iter().rev() {
            if media_type != "application/xml" {
                continue;
            }
            // Kept because it was read once: a file that no longer reads
            // (a reader made stricter since) is shown by its XML alone.
            if let Ok(invoice) = crate::einvoice::parse(&name, &bytes) {
                return Ok(Some(einvoice_pdf(&invoice, &name)));
            }
        }
        Ok(None)
    }
}

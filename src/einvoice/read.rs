//! Reading an e-invoice: a Factur-X / ZUGFeRD PDF (its embedded XML), a CII
//! XML (`CrossIndustryInvoice`), or a UBL 2.1 `Invoice` or `CreditNote`,
//! every profile from MINIMUM to EXTENDED (what a profile leaves out is
//! left empty).

use crate::books::dates::{parse_date, Date};
use crate::books::import::ImportIssue;
use crate::books::model::InvoiceKind;
use crate::books::money::{parse_amount, Currency};
use crate::books::xml::{self, Element};

use super::{EInvoice, Party};

/// Largest XML taken out of a PDF (a real invoice's is a few hundred kB).
const MAX_XML: usize = 16 << 20;

pub(super) fn parse(file_name: &str, bytes: &[u8]) -> Result<EInvoice, Vec<ImportIssue>> {
    let one = |line: usize, m: String| vec![ImportIssue::at(line, None, m)];
    if bytes.starts_with(b"%PDF") {
        let xml = embedded_xml(bytes).map_err(|m| vec![ImportIssue::file(m)])?;
        let mut invoice = from_xml(&xml)?;
        invoice.format = format!("Factur-X ({})", invoice.format);
        invoice.pdf = Some(bytes.to_vec());
        return Ok(invoice);
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| one(0, format!("{file_name} : ni un PDF ni un XML en UTF-8")))?;
    from_xml(text)
}

/// The invoice XML embedded in a PDF (Factur-X, ZUGFeRD, XRechnung).
fn embedded_xml(pdf: &[u8]) -> Result<String, String> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| format!("PDF illisible : {e}"))?;
    let mut found = None;
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        if !stream.dict.has_type(b"EmbeddedFile") {
            continue;
        }
        let Ok(content) = stream.decompressed_content_with_limit(MAX_XML) else {
            continue;
        };
        let Ok(text) = String::from_utf8(content) else {
            continue;
        };
        let text = text.trim_start_matches('\u{feff}').to_string();
        match xml::parse(&text) {
            Ok(root) if root.name == "CrossIndustryInvoice" || root.name == "Invoice" => {
                found = Some(text);
                break;
            }
            _ => {}
        }
    }
    found.ok_or_else(|| {
        "ce PDF ne contient pas de facture électronique (aucun XML Factur-X ou ZUGFeRD joint)"
            .to_string()
    })
}

fn from_xml(text: &str) -> Result<EInvoice, Vec<ImportIssue>> {
    let root = xml::parse(text).map_err(|(line, m)| vec![ImportIssue::at(line, None, m)])?;
    match root.name.as_str() {
        "CrossIndustryInvoice" => cii(&root, text),
        "Invoice" | "CreditNote" => ubl(&root, text),
        other => Err(vec![ImportIssue::at(
            root.line,
            None,
            format!("« {other} » : ni une facture CII (CrossIndustryInvoice) ni une facture UBL (Invoice, CreditNote)"),
        )]),
    }
}

/// A required text, or the issue naming the element.
fn required<'a>(e: &'a Element, path: &[&str], what: &str) -> Result<&'a str, ImportIssue> {
    match e.text_at(path) {
        "" => Err(ImportIssue::at(
            e.line,
            Some(path.last().copied().unwrap_or("")),
            format!("{what} absent"),
        )),
        t => Ok(t),
    }
}

fn amount_at(e: &Element, path: &[&str]) -> Result<Option<i64>, ImportIssue> {
    match e.at(path) {
        None => Ok(None),
        Some(a) if a.text.trim().is_empty() => Ok(None),
        Some(a) => parse_amount(a.text.trim())
            .map(Some)
            .map_err(|m| ImportIssue::at(a.line, path.last().copied(), m)),
    }
}

/// A CII date (`format="102"`: AAAAMMJJ).
fn cii_date(e: Option<&Element>, what: &str) -> Result<Option<Date>, ImportIssue> {
    let Some(e) = e else { return Ok(None) };
    let text = e.text_at(&["DateTimeString"]);
    if text.is_empty() {
        return Ok(None);
    }
    parse_date(text)
        .map(Some)
        .map_err(|m| ImportIssue::at(e.line, Some(what), m))
}

fn kind_of(code: &str) -> InvoiceKind {
    // 381 credit note, 261 self-billed credit note, 396 factored credit note.
    if matches!(code, "381" | "261" | "262" | "396" | "532") {
        InvoiceKind::CreditNote
    } else {
        InvoiceKind::Invoice
    }
}

fn cii(root: &Element, text: &str) -> Result<EInvoice, Vec<ImportIssue>> {
    let mut issues = Vec::new();
    let doc = root.child("ExchangedDocument");
    let tx = root.child("SupplyChainTradeTransaction");
    let (Some(doc), Some(tx)) = (doc, tx) else {
        return Err(vec![ImportIssue::at(
            root.line,
            None,
            "facture CII incomplète (ExchangedDocument, SupplyChainTradeTransaction)",
        )]);
    };
    let agreement = tx.child("ApplicableHeaderTradeAgreement");
    let settlement = tx.child("ApplicableHeaderTradeSettlement");
    let (Some(agreement), Some(settlement)) = (agreement, settlement) else {
        return Err(vec![ImportIssue::at(
            tx.line,
            None,
            "facture CII incomplète (accord ou règlement absent)",
        )]);
    };
    let number = required(doc, &["ID"], "numéro de facture")
        .map_err(|i| issues.push(i))
        .unwrap_or("");
    let issued = cii_date(doc.child("IssueDateTime"), "IssueDateTime")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let terms = settlement.child("SpecifiedTradePaymentTerms");
    let due = cii_date(
        terms.and_then(|t| t.child("DueDateDateTime")),
        "DueDateDateTime",
    )
    .map_err(|i| issues.push(i))
    .ok()
    .flatten();
    let sums = settlement.child("SpecifiedTradeSettlementHeaderMonetarySummation");
    let sum = |name: &str| sums.map_or(Ok(None), |s| amount_at(s, &[name]));
    let total = sum("GrandTotalAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let prepaid = sum("TotalPrepaidAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let payable = sum("DuePayableAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let currency = Currency::parse(match settlement.text_at(&["InvoiceCurrencyCode"]) {
        "" => "EUR",
        c => c,
    });
    let party = |p: Option<&Element>| -> Party {
        let Some(p) = p else { return Party::default() };
        let mut party = Party {
            name: p.text_at(&["Name"]).to_string(),
            ..Default::default()
        };
        if let Some(org) = p.at(&["SpecifiedLegalOrganization", "ID"]) {
            let id: String = org.text.chars().filter(|c| !c.is_whitespace()).collect();
            match org.attribute("schemeID") {
                Some("0009") => party.siret = id,
                _ => party.siren = id,
            }
        }
        for reg in p.all("SpecifiedTaxRegistration") {
            if let Some(id) = reg.child("ID") {
                if id.attribute("schemeID") == Some("VA") {
                    party.vat = id.text.trim().to_string();
                }
            }
        }
        if let Some(a) = p.child("PostalTradeAddress") {
            party.address = [
                a.text_at(&["LineOne"]),
                a.text_at(&["LineTwo"]),
                a.text_at(&["LineThree"]),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
            party.postcode = a.text_at(&["PostcodeCode"]).to_string();
            party.city = a.text_at(&["CityName"]).to_string();
            party.country = a.text_at(&["CountryID"]).to_string();
        }
        // The electronic address (BT-49) when it is an e-mail, else the contact's.
        let uri = p.at(&["URIUniversalCommunication", "URIID"]);
        party.email = match uri {
            Some(u) if u.attribute("schemeID") == Some("EM") || u.text.contains('@') => {
                u.text.trim().to_string()
            }
            _ => p
                .text_at(&[
                    "DefinedTradeContact",
                    "EmailURIUniversalCommunication",
                    "URIID",
                ])
                .to_string(),
        };
        party
    };
    finish(
        issues,
        EInvoice {
            format: "CII".into(),
            number: number.to_string(),
            kind: kind_of(doc.text_at(&["TypeCode"])),
            issue_date: issued.unwrap_or_default(),
            due_date: due,
            payment_terms: terms
                .map_or("", |t| t.text_at(&["Description"]))
                .to_string(),
            total_cents: total.unwrap_or_default(),
            prepaid_cents: prepaid.unwrap_or_default(),
            due_cents: payable.or(total).unwrap_or_default(),
            currency: currency.unwrap_or(Currency::EUR),
            seller: party(agreement.child("SellerTradeParty")),
            buyer: party(agreement.child("BuyerTradeParty")),
            xml: text.to_string(),
            pdf: None,
        },
        total.is_none(),
        issued.is_none(),
        root.line,
    )
}

fn ubl(root: &Element, text: &str) -> Result<EInvoice, Vec<ImportIssue>> {
    let mut issues = Vec::new();
    let credit = root.name == "CreditNote";
    let number = required(root, &["ID"], "numéro de facture")
        .map_err(|i| issues.push(i))
        .unwrap_or("");
    let mut date = |path: &[&str]| -> Option<Date> {
        let t = root.text_at(path);
        if t.is_empty() {
            return None;
        }
        parse_date(t)
            .map_err(|m| {
                issues.push(ImportIssue::at(
                    root.at(path).map_or(root.line, |e| e.line),
                    path.last().copied(),
                    m,
                ))
            })
            .ok()
    };
    let issued = date(&["IssueDate"]);
    let due = match date(&["DueDate"]) {
        Some(d) => Some(d),
        None => date(&["PaymentMeans", "PaymentDueDate"]),
    };
    let sums = root.child("LegalMonetaryTotal");
    let sum = |name: &str| sums.map_or(Ok(None), |s| amount_at(s, &[name]));
    let total = sum("TaxInclusiveAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let prepaid = sum("PrepaidAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let payable = sum("PayableAmount")
        .map_err(|i| issues.push(i))
        .ok()
        .flatten();
    let currency = Currency::parse(match root.text_at(&["DocumentCurrencyCode"]) {
        "" => "EUR",
        c => c,
    });
    let party = |which: &str| -> Party {
        let Some(p) = root.at(&[which, "Party"]) else {
            return Party::default();
        };
        let legal = p.child("PartyLegalEntity");
        let mut party = Party {
            name: match legal.map_or("", |l| l.text_at(&["RegistrationName"])) {
                "" => p.text_at(&["PartyName", "Name"]).to_string(),
                n => n.to_string(),
            },
            vat: p.text_at(&["PartyTaxScheme", "CompanyID"]).to_string(),
            ..Default::default()
        };
        if let Some(id) = legal.and_then(|l| l.child("CompanyID")) {
            let id: String = id.text.chars().filter(|c| !c.is_whitespace()).collect();
            if id.len() == 14 {
                party.siret = id;
            } else {
                party.siren = id;
            }
        }
        for ident in p.all("PartyIdentification") {
            if let Some(id) = ident
                .child("ID")
                .filter(|i| i.attribute("schemeID") == Some("0009"))
            {
                party.siret = id.text.trim().to_string();
            }
        }
        if let Some(a) = p.child("PostalAddress") {
            let mut lines = vec![
                a.text_at(&["StreetName"]),
                a.text_at(&["AdditionalStreetName"]),
            ];
            lines.extend(a.all("AddressLine").map(|l| l.text_at(&["Line"])));
            party.address = lines
                .into_iter()
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            party.postcode = a.text_at(&["PostalZone"]).to_string();
            party.city = a.text_at(&["CityName"]).to_string();
            party.country = a.text_at(&["Country", "IdentificationCode"]).to_string();
        }
        party.email = match p.child("EndpointID") {
            Some(e) if e.attribute("schemeID") == Some("EM") || e.text.contains('@') => {
                e.text.trim().to_string()
            }
            _ => p.text_at(&["Contact", "ElectronicMail"]).to_string(),
        };
        party
    };
    let code = root.text_at(&[if credit {
        "CreditNoteTypeCode"
    } else {
        "InvoiceTypeCode"
    }]);
    finish(
        issues,
        EInvoice {
            format: "UBL".into(),
            number: number.to_string(),
            kind: if credit {
                InvoiceKind::CreditNote
            } else {
                kind_of(code)
            },
            issue_date: issued.unwrap_or_default(),
            due_date: due,
            payment_terms: root.text_at(&["PaymentTerms", "Note"]).to_string(),
            total_cents: total.unwrap_or_default(),
            prepaid_cents: prepaid.unwrap_or_default(),
            due_cents: payable.or(total).unwrap_or_default(),
            currency: currency.unwrap_or(Currency::EUR),
            seller: party("AccountingSupplierParty"),
            buyer: party("AccountingCustomerParty"),
            xml: text.to_string(),
            pdf: None,
        },
        total.is_none(),
        issued.is_none(),
        root.line,
    )
}

fn finish(
    mut issues: Vec<ImportIssue>,
    invoice: EInvoice,
    no_total: bool,
    no_date: bool,
    line: usize,
) -> Result<EInvoice, Vec<ImportIssue>> {
    if no_total && issues.is_empty() {
        issues.push(ImportIssue::at(
            line,
            None,
            "montant total de la facture absent",
        ));
    }
    if no_date && issues.is_empty() {
        issues.push(ImportIssue::at(line, None, "date de facture absente"));
    }
    if invoice.buyer.name.trim().is_empty() {
        issues.push(ImportIssue::at(line, None, "acheteur sans nom"));
    }
    if issues.is_empty() {
        Ok(invoice)
    } else {
        Err(issues)
    }
}

//! The "dossier contentieux" (G2): everything a collection agency or a
//! court (injonction de payer) needs about one client, in one zip.

use std::io::Write;

use serde::Serialize;

use crate::dates::{self, Date};
use crate::error::{Error, Result};
use crate::ledger::InvoiceFilter;
use crate::money::{format_cents_fr, Currency, Money};
use crate::pdf::{bold_font, fit, regular_font, Align, Document};
use crate::store::Ledger;

/// What the dossier holds, for the screen that saved it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DossierSummary {
    pub file_name: String,
    pub invoices: usize,
    pub reminders: usize,
    pub documents: usize,
    pub invoice_pdfs: usize,
    /// Principal still owed, per currency (never summed across them).
    pub total_open: Vec<Money>,
    /// Principal, interest and indemnities claimed, per currency.
    pub total_due: Vec<Money>,
}

/// The totals of `claims` per currency, in the order the currencies first
/// appear: (currency, principal, interest, indemnities).
fn totals_per_currency(claims: &[Claim]) -> Vec<(Currency, i64, i64, i64)> {
    let mut totals: Vec<(Currency, i64, i64, i64)> = Vec::new();
    for c in claims {
        let at = match totals.iter().position(|t| t.0 == c.currency) {
            Some(at) => at,
            None => {
                totals.push((c.currency, 0, 0, 0));
                totals.len() - 1
            }
        };
        let t = &mut totals[at];
        t.1 = t.1.saturating_add(c.open);
        t.2 = t.2.saturating_add(c.interest);
        t.3 = t.3.saturating_add(c.indemnity);
    }
    totals
}

/// One open invoice with its charges to date.
struct Claim {
    number: String,
    issue: Date,
    due: Date,
    amount: i64,
    open: i64,
    days_late: i64,
    interest: i64,
    indemnity: i64,
    currency: Currency,
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let fail = |e: csv::Error| Error::invalid("dossier", e.to_string());
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(r.iter().map(|c| crate::spreadsheet::cell(c).into_owned()))
            .map_err(fail)?;
    }
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend(
        w.into_inner()
            .map_err(|e| Error::invalid("dossier", e.to_string()))?,
    );
    Ok(out)
}

impl Ledger {
    /// The dossier of a client on `as_of`: (zip bytes, what it holds).
    pub fn litigation_file(
        &self,
        client_id: i64,
        as_of: Date,
    ) -> Result<(Vec<u8>, DossierSummary)> {
        let client = self.client(client_id)?;
        let company = self.company()?;
        let _snapshot = self.snapshot()?;
        let invoices = self
            .invoices(&InvoiceFilter {
                client_id: Some(client_id),
                sort: Some("due_date".into()),
                ..Default::default()
            })?
            .rows;
        let rates = self.rate_tables()?;
        let charges: std::collections::HashMap<i64, crate::charges::InvoiceCharges> = self
            .charges_report(as_of, &rates)?
            .into_iter()
            .map(|c| (c.invoice_id, c))
            .collect();
        let claims: Vec<Claim> = invoices
            .iter()
            .filter(|i| i.open_cents > 0 && i.amount_cents > 0)
            .map(|i| {
                let c = charges.get(&i.id).and_then(|c| c.charges.as_ref());
                Claim {
                    number: i.number.clone(),
                    issue: i.issue_date,
                    due: i.due_date,
                    amount: i.amount_cents,
                    open: i.open_cents,
                    days_late: (as_of - i.due_date).num_days().max(0),
                    interest: c.map_or(0, |c| c.interest.cents),
                    indemnity: c.map_or(0, |c| c.indemnity.cents),
                    currency: i.currency,
                }
            })
            .collect();
        let totals = totals_per_currency(&claims);
        let timeline = self.timeline(client_id, as_of)?;
        let evidence = self.evidence(Some(client_id))?;
        let chain = self.verify_evidence()?;

        let mut buffer = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buffer);
        let options = crate::documents::zip_options(zip::CompressionMethod::Deflated);
        let zip_err = |e: zip::result::ZipError| Error::invalid("dossier", e.to_string());
        let write_err = |e: std::io::Error| Error::invalid("dossier", e.to_string());
        let add = |zip: &mut zip::ZipWriter<&mut std::io::Cursor<Vec<u8>>>,
                   name: &str,
                   bytes: &[u8]|
         -> Result<()> {
            zip.start_file(name, options).map_err(zip_err)?;
            zip.write_all(bytes).map_err(write_err)
        };

        // 01 — the summary.
        let pdf = summary_pdf(&company, &client, &claims, &timeline, as_of, &chain);
        add(&mut zip, "01-synthese.pdf", &pdf)?;

        // 02 — the statement of account: every invoice, credit and payment.
        let mut rows: Vec<(Date, Vec<String>)> = invoices
            .iter()
            .map(|i| {
                (
                    i.issue_date,
                    vec![
                        dates::iso(i.issue_date),
                        if i.amount_cents < 0 {
                            "avoir"
                        } else {
                            "facture"
                        }
                        .into(),
                        i.number.clone(),
                        dates::iso(i.due_date),
                        format_cents_fr(i.amount_cents),
                        format_cents_fr(i.open_cents),
                        i.currency.as_str().into(),
                    ],
                )
            })
            .collect();
        for p in self.payments(Some(client_id))? {
            rows.push((
                p.date,
                vec![
                    dates::iso(p.date),
                    "règlement".into(),
                    p.reference.clone(),
                    String::new(),
                    format_cents_fr(-p.amount_cents),
                    String::new(),
                    p.currency.as_str().into(),
                ],
            ));
        }
        rows.sort_by_key(|r| r.0);
        let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.1).collect();
        add(
            &mut zip,
            "02-releve-de-compte.csv",
            &csv_bytes(
                &[
                    "date",
                    "nature",
                    "pièce",
                    "échéance",
                    "montant",
                    "reste dû",
                    "devise",
                ],
                &rows,
            )?,
        )?;

        // 03 — the timeline: reminders, calls, promises, disputes, payments.
        let rows: Vec<Vec<String>> = timeline
            .iter()
            .rev()
            .map(|e| {
                vec![
                    dates::iso(e.date),
                    e.kind.clone(),
                    e.title.clone(),
                    e.detail.clone(),
                    e.amount.map(|m| m.format_fr()).unwrap_or_default(),
                    e.registered
                        .as_ref()
                        .map(|r| r.number.clone())
                        .unwrap_or_default(),
                    e.registered
                        .as_ref()
                        .and_then(|r| r.acknowledged_on)
                        .map(dates::iso)
                        .unwrap_or_default(),
                ]
            })
            .collect();
        add(
            &mut zip,
            "03-historique.csv",
            &csv_bytes(
                &[
                    "date",
                    "nature",
                    "événement",
                    "détail",
                    "montant",
                    "n° recommandé",
                    "avis de réception",
                ],
                &rows,
            )?,
        )?;

        // 04 — the evidence log of the client, with each document kept.
        let mut documents = 0;
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in &evidence {
            let mut file = String::new();
            if let Some(sha) = &e.document_sha256 {
                if let Some((name, _, bytes)) = self.evidence_document(sha)? {
                    let ext = if name.ends_with(".eml") { "eml" } else { "pdf" };
                    file = format!(
                        "relances/{}-{}-{}.{ext}",
                        dates::iso(e.date),
                        e.id,
                        &sha[..8]
                    );
                    if seen.insert(sha.clone()) {
                        add(&mut zip, &file, &bytes)?;
                        documents += 1;
                    }
                }
            }
            rows.push(vec![
                e.id.to_string(),
                dates::iso(e.date),
                e.recorded_at.clone(),
                e.kind.clone(),
                e.channel.clone(),
                e.recipient.clone(),
                e.invoices.replace('\n', " ; "),
                e.amount_cents.map(format_cents_fr).unwrap_or_default(),
                e.detail.clone(),
                e.result.clone(),
                e.document_sha256.clone().unwrap_or_default(),
                file,
                e.hash.clone(),
            ]);
        }
        add(
            &mut zip,
            "04-journal-de-preuve.csv",
            &csv_bytes(
                &[
                    "n°",
                    "date",
                    "enregistré le",
                    "nature",
                    "canal",
                    "destinataire",
                    "factures",
                    "montant",
                    "détail",
                    "résultat",
                    "SHA-256 du document",
                    "fichier",
                    "empreinte",
                ],
                &rows,
            )?,
        )?;

        // The invoices' own PDFs: kept with them (Factur-X), read from
        // where the ledger knows they are, or the page made from an
        // e-invoice XML, which goes beside it as the invoice that counts.
        let mut invoice_pdfs = 0;
        for invoice in &invoices {
            let slug = crate::documents::slug(&invoice.number);
            if let Some(bytes) = self.invoice_as_pdf(invoice.id)? {
                add(&mut zip, &format!("factures/{slug}.pdf"), &bytes)?;
                invoice_pdfs += 1;
            }
            let xml = self
                .invoice_documents(invoice.id)?
                .into_iter()
                .rfind(|(_, media_type, _)| media_type == "application/xml");
            if let Some((_, _, bytes)) = xml {
                add(&mut zip, &format!("factures/{slug}.xml"), &bytes)?;
            }
        }

        let readme = format!(
            "Dossier contentieux — {} ({})\r\n\
             Créancier : {}\r\n\
             Établi le {} par Encaisse.\r\n\r\n\
             01-synthese.pdf           montants, pénalités et indemnités à ce jour, chronologie\r\n\
             02-releve-de-compte.csv   factures, avoirs et règlements\r\n\
             03-historique.csv         relances, appels, promesses, litiges, recommandés\r\n\
             04-journal-de-preuve.csv  chaque envoi avec son destinataire, son résultat et l'empreinte SHA-256 du document\r\n\
             relances/                 les lettres et e-mails tels qu'envoyés\r\n\
             factures/                 les factures (quand leur PDF est connu ; une facture électronique reçue en XML y est avec sa page lisible)\r\n\r\n\
             Intégrité du journal : {}\r\n\
             Empreinte de la dernière entrée : {}\r\n",
            client.name,
            client.code,
            company.legal_name,
            dates::format_fr(as_of),
            if chain.is_intact() {
                format!("vérifiée, {}, aucune modification", crate::words::fr(chain.entries as u64, "entrée", "entrées"))
            } else {
                format!("{} : {}", crate::words::fr(chain.problems.len() as u64, "anomalie", "anomalies"), chain.problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" ; "))
            },
            chain.head
        );
        add(&mut zip, "LISEZMOI.txt", readme.as_bytes())?;
        zip.finish().map_err(zip_err)?;
        let summary = DossierSummary {
            file_name: format!(
                "dossier-contentieux-{}-{}.zip",
                crate::documents::slug(&client.code),
                dates::iso(as_of)
            ),
            invoices: claims.len(),
            reminders: evidence.len(),
            documents,
            invoice_pdfs,
            total_open: totals.iter().map(|t| Money::new(t.1, t.0)).collect(),
            total_due: totals
                .iter()
                .map(|t| Money::new(t.1.saturating_add(t.2).saturating_add(t.3), t.0))
                .collect(),
        };
        Ok((buffer.into_inner(), summary))
    }
}

fn summary_pdf(
    company: &crate::model::Company,
    client: &crate::model::Client,
    claims: &[Claim],
    timeline: &[crate::reliability::TimelineEvent],
    as_of: Date,
    chain: &crate::evidence::ChainReport,
) -> Vec<u8> {
    const W: f32 = 210.0;
    const H: f32 = 297.0;
    const L: f32 = 18.0;
    const R: f32 = W - 18.0;
    const ROW: f32 = 5.0;
    let title = format!("Dossier contentieux — {}", client.name);
    let mut doc = Document::new(&title);
    let mut page = doc.page(W, H);
    page.text(
        L,
        20.0,
        15.0,
        true,
        Align::Left,
        &fit(bold_font(), &title, 15.0, R - L),
    );
    page.text(
        L,
        27.0,
        9.0,
        false,
        Align::Left,
        &format!("Situation au {}", dates::format_fr(as_of)),
    );
    let mut y = 38.0;
    page.text(L, y, 9.0, true, Align::Left, "Créancier");
    page.text(110.0, y, 9.0, true, Align::Left, "Débiteur");
    let creditor = [
        format!("{} {}", company.legal_name, company.legal_form)
            .trim()
            .to_string(),
        company.address.replace('\n', ", "),
        format!("{} {}", company.postcode, company.city)
            .trim()
            .to_string(),
        if company.siren.is_empty() {
            String::new()
        } else {
            format!("SIREN {}", company.siren)
        },
    ];
    let debtor = [
        format!("{} ({})", client.name, client.code),
        client.address.replace('\n', ", "),
        format!("{} {}", client.postcode, client.city)
            .trim()
            .to_string(),
        [client.email.as_str(), client.phone.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" — "),
    ];
    for (n, (a, b)) in creditor.iter().zip(&debtor).enumerate() {
        let yy = y + 5.0 * (n as f32 + 1.0);
        page.text(
            L,
            yy,
            8.5,
            false,
            Align::Left,
            &fit(regular_font(), a, 8.5, 88.0),
        );
        page.text(
            110.0,
            yy,
            8.5,
            false,
            Align::Left,
            &fit(regular_font(), b, 8.5, R - 110.0),
        );
    }
    y += 32.0;
    page.text(L, y, 10.5, true, Align::Left, "Créances");
    y += 7.0;
    let cols: [(f32, &str, Align); 8] = [
        (L, "Facture", Align::Left),
        (62.0, "Émise le", Align::Left),
        (82.0, "Échéance", Align::Left),
        (124.0, "Montant TTC", Align::Right),
        (146.0, "Reste dû", Align::Right),
        (158.0, "Retard", Align::Right),
        (176.0, "Pénalités", Align::Right),
        (R, "Indemnité", Align::Right),
    ];
    for (x, h, a) in cols {
        page.text(x, y, 7.5, true, a, h);
    }
    page.rule(L, R, y + 1.5, 0.6, 0.3);
    y += ROW + 0.5;
    let mut pages = Vec::new();
    let mixed = claims.iter().any(|c| c.currency != claims[0].currency);
    for c in claims {
        if y > H - 30.0 {
            pages.push(page);
            page = doc.page(W, H);
            y = 20.0;
        }
        // With claims in several currencies, each amount says its own.
        let money = |cents: i64| match mixed {
            true => format!("{} {}", format_cents_fr(cents), c.currency.symbol()),
            false => format_cents_fr(cents),
        };
        let cells = [
            fit(regular_font(), &c.number, 7.5, 42.0),
            dates::format_fr(c.issue),
            dates::format_fr(c.due),
            money(c.amount),
            money(c.open),
            format!("{} j", c.days_late),
            money(c.interest),
            money(c.indemnity),
        ];
        for ((x, _, a), text) in cols.iter().zip(&cells) {
            page.text(*x, y, 7.5, false, *a, text);
        }
        y += ROW;
    }
    page.rule(L, R, y - ROW + 1.5, 0.4, 0.3);
    y += 2.0;
    // One block of totals per currency: amounts in two currencies are never
    // added together.
    for (currency, open, interest, indemnity) in totals_per_currency(claims) {
        let cur = currency.symbol();
        for (label, cents) in [
            ("Principal restant dû", open),
            (
                "Pénalités de retard à ce jour (art. L441-10 C. com.)",
                interest,
            ),
            (
                "Indemnités forfaitaires de recouvrement (40 € par facture)",
                indemnity,
            ),
            (
                "Total réclamé",
                open.saturating_add(interest).saturating_add(indemnity),
            ),
        ] {
            let total = label.starts_with("Total");
            page.text(L, y, 8.5, total, Align::Left, label);
            page.text(
                R,
                y,
                8.5,
                total,
                Align::Right,
                &format!("{} {cur}", format_cents_fr(cents)),
            );
            y += ROW + 0.5;
        }
        y += 2.0;
    }
    y += 6.0;
    page.text(L, y, 10.5, true, Align::Left, "Chronologie");
    y += 7.0;
    for e in timeline.iter().rev() {
        if y > H - 22.0 {
            pages.push(page);
            page = doc.page(W, H);
            y = 20.0;
        }
        page.text(L, y, 7.5, false, Align::Left, &dates::format_fr(e.date));
        let mut line = e.title.clone();
        if !e.detail.is_empty() {
            line.push_str(" — ");
            line.push_str(&e.detail);
        }
        if let Some(r) = &e.registered {
            if !r.number.is_empty() {
                line.push_str(&format!(" — LRAR n° {}", r.number));
            }
            if let Some(d) = r.acknowledged_on {
                line.push_str(&format!(", AR signé le {}", dates::format_fr(d)));
            }
        }
        page.text(
            40.0,
            y,
            7.5,
            false,
            Align::Left,
            &fit(regular_font(), &line, 7.5, R - 62.0),
        );
        if let Some(m) = e.amount {
            page.text(R, y, 7.5, false, Align::Right, &m.format_fr());
        }
        y += ROW - 0.6;
    }
    pages.push(page);
    let count = pages.len();
    for (n, mut p) in pages.into_iter().enumerate() {
        p.text(
            L,
            H - 10.0,
            7.0,
            false,
            Align::Left,
            &fit(
                regular_font(),
                &format!(
                    "Journal de preuve : {} — empreinte {}",
                    if chain.is_intact() {
                        "intègre"
                    } else {
                        "ANOMALIES, voir LISEZMOI.txt"
                    },
                    &chain.head[..16]
                ),
                7.0,
                140.0,
            ),
        );
        p.text(
            R,
            H - 10.0,
            7.0,
            false,
            Align::Right,
            &format!("page {} / {count}", n + 1),
        );
        doc.push(p);
    }
    doc.finish()
}

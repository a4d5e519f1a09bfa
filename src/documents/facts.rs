//! The documents as the ledger keeps them: the templates the user edited,
//! and the facts of each letter read from the ledger (the client, its open
//! invoices and their charges, the steps already taken, the company), with
//! the checks that refuse a letter that would say something false or could
//! not be delivered.

use crate::books::dates::{self, Date};
use crate::books::error::{Error, Result};
use crate::books::model::Company;
use crate::books::store::Ledger;
use crate::follow_up::engine::Channel;
use crate::follow_up::reminders::WorkRow;

use std::collections::HashMap;

use crate::follow_up::charges::InvoiceCharges;

use super::*;

impl Ledger {
    /// The text of a template: the user's copy, else the shipped one.
    pub fn template_source(&self, language: &str, key: &str, kind: Kind) -> Result<String> {
        if let Some(own) = self.setting(&format!("template:{}", path_of(language, key, kind)))? {
            return Ok(own);
        }
        default_source(language, key, kind)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::invalid(
                    "modèle",
                    format!("aucun modèle « {key} » ({}, {language})", kind.suffix()),
                )
            })
    }

    /// Saves an edited template after rendering it on sample facts: an
    /// unknown placeholder or a syntax error is refused with its line.
    pub fn set_template(&self, language: &str, key: &str, kind: Kind, source: &str) -> Result<()> {
        if default_source(language, key, kind).is_none() {
            return Err(Error::invalid("modèle", format!("« {key} » inconnu")));
        }
        if source.len() > 20_000 {
            return Err(Error::invalid("modèle", "20 000 caractères au plus"));
        }
        render(source, &sample_facts(language))?;
        self.set_setting(
            &format!("template:{}", path_of(language, key, kind)),
            source,
        )
    }

    /// Back to the shipped text.
    pub fn reset_template(&self, language: &str, key: &str, kind: Kind) -> Result<()> {
        self.conn.execute(
            "DELETE FROM setting WHERE key = ?1",
            [format!("template:{}", path_of(language, key, kind))],
        )?;
        Ok(())
    }

    /// Refuses when the company profile lacks a legal mention or a way to
    /// pay, naming each (Paramètres › Entreprise, `company set`).
    pub fn check_sender(&self) -> Result<()> {
        let missing = self.company()?.missing_mentions();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::CompanyIncomplete(
                missing.into_iter().map(str::to_string).collect(),
            ))
        }
    }

    /// The facts of the communications of `rows`, computed on `as_of`.
    pub fn letter_facts(&self, rows: &[WorkRow], as_of: Date) -> Result<Vec<LetterFacts>> {
        let company = self.company()?;
        let charges: HashMap<i64, InvoiceCharges> = self
            .charges_report(as_of, &self.rate_tables()?)?
            .into_iter()
            .map(|c| (c.invoice_id, c))
            .collect();
        let scenarios = self.scenarios()?;
        // Earlier communications about the same invoices (levels set by hand
        // are not contacts).
        let mut previous_stmt = self.conn.prepare_cached(
            "SELECT r.id, r.date, r.step, r.step_name, r.channel, COALESCE(r.lrar_number, ''), r.outcome
             FROM reminder r JOIN reminder_invoice ri ON ri.reminder_id = r.id
             WHERE ri.invoice_id = ?1 AND r.manual = 0 AND r.date <= ?2",
        )?;
        let mut closed_stmt = self.conn.prepare_cached(
            "SELECT closed_on FROM dispute WHERE invoice_id = ?1 AND closed_on IS NOT NULL AND closed_on <= ?2",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let client = self.client(row.client_id)?;
            let english = client.language == "en";
            let mut facts = LetterFacts {
                langue: client.language.clone(),
                entreprise: sender(&company, english),
                client: recipient(&client),
                date: dates::format_fr(as_of),
                date_limite: dates::format_fr(row.pay_by),
                delai_jours: (row.pay_by - as_of).num_days(),
                etape: row.step_name.clone(),
                niveau: row.step,
                key: row.template.clone(),
                registered: row.channel == Channel::Registered,
                channel: Some(row.channel),
                charges_shown: shows_charges(&row.template),
                client_id: row.client_id,
                invoice_ids: row.invoices.iter().map(|i| i.id).collect(),
                day: Some(as_of),
                ..Default::default()
            };
            let (mut principal, mut interest, mut indemnity) = (0i64, 0i64, 0i64);
            // Each rate and period used, with the invoices it applied to.
            let mut bases: Vec<((rust_decimal::Decimal, Date, Date), Vec<String>)> = Vec::new();
            for inv in &row.invoices {
                let c = charges.get(&inv.id);
                if facts.charges_shown {
                    let periods = c
                        .and_then(|c| c.charges.as_ref())
                        .map(|ch| ch.rate_periods())
                        .unwrap_or_default();
                    for key in periods {
                        match bases.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, numbers)) => numbers.push(inv.number.clone()),
                            None => bases.push((key, vec![inv.number.clone()])),
                        }
                    }
                }
                let (i_cents, f_cents) = c
                    .and_then(|c| c.charges.as_ref())
                    .map(|ch| (ch.interest.cents, ch.indemnity.cents))
                    .unwrap_or((0, 0));
                let (i_cents, f_cents) = if facts.charges_shown {
                    (i_cents, f_cents)
                } else {
                    (0, 0)
                };
                principal += inv.remindable_cents;
                interest += i_cents;
                indemnity += f_cents;
                facts.factures.push(LetterInvoice {
                    numero: inv.number.clone(),
                    date: dates::format_fr(inv.issue_date),
                    echeance: dates::format_fr(inv.due_date),
                    retard: inv.days_late.max(0),
                    montant: euros(c.map(|c| c.amount.cents).unwrap_or(inv.remindable_cents)),
                    reste: euros(inv.remindable_cents),
                    penalites: euros(i_cents),
                    indemnite: euros(f_cents),
                    open_cents: inv.remindable_cents,
                    interest_cents: i_cents,
                    indemnity_cents: f_cents,
                });
            }
            bases.sort_by_key(|((_, from, _), _)| *from);
            facts.calcul_penalites = bases
                .into_iter()
                .map(|((percent, from, to), numbers)| {
                    let rate = percent.normalize().to_string();
                    if english {
                        format!(
                            "Late-payment interest: {rate}% a year from {} to {} ({})",
                            dates::format_fr(from),
                            dates::format_fr(to),
                            numbers.join(", ")
                        )
                    } else {
                        format!(
                            "Pénalités de retard : {} % l'an du {} au {} ({})",
                            rate.replace('.', ","),
                            dates::format_fr(from),
                            dates::format_fr(to),
                            numbers.join(", ")
                        )
                    }
                })
                .collect();
            facts.nombre_factures = facts.factures.len();
            facts.total_principal = euros(principal);
            facts.total_penalites = euros(interest);
            facts.total_indemnites = euros(indemnity);
            facts.total_due_cents = principal + interest + indemnity;
            facts.total_du = euros(facts.total_due_cents);
            facts.reference_virement = crate::bank::reference::grouped(
                &crate::bank::reference::of(facts.client_id, &facts.invoice_ids),
            );
            // The scenario this communication belongs to: which earlier
            // level was the formal notice.
            let scenario = scenarios
                .iter()
                .filter(|s| s.segment == row.segment || s.for_score_below.is_some())
                .chain(scenarios.iter())
                .find(|s| {
                    s.steps
                        .get(row.step.wrapping_sub(1))
                        .is_some_and(|st| st.template == row.template)
                });
            let is_notice = |step: usize, channel: &str| {
                channel == "registered"
                    || scenario
                        .and_then(|s| s.steps.get(step.wrapping_sub(1)))
                        .is_some_and(|st| st.template == "mise_en_demeure")
            };
            type Earlier = (Date, usize, String, String, String, String);
            let mut earlier: std::collections::BTreeMap<(Date, i64), Earlier> = Default::default();
            let mut closed: Option<(Date, String)> = None;
            for inv in &row.invoices {
                let rows = previous_stmt.query_map(
                    rusqlite::params![inv.id, dates::IsoDate::from(as_of)],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            (
                                r.get::<_, Date>(1)?,
                                r.get::<_, i64>(2)? as usize,
                                r.get::<_, String>(3)?,
                                r.get::<_, String>(4)?,
                                r.get::<_, String>(5)?,
                                r.get::<_, String>(6)?,
                            ),
                        ))
                    },
                )?;
                for e in rows {
                    let (id, fact) = e?;
                    earlier.entry((fact.0, id)).or_insert(fact);
                }
                let dates = closed_stmt.query_map(
                    rusqlite::params![inv.id, dates::IsoDate::from(as_of)],
                    |r| r.get::<_, Date>(0),
                )?;
                for d in dates {
                    let d = d?;
                    if closed.as_ref().is_none_or(|(c, _)| d >= *c) {
                        closed = Some((d, inv.number.clone()));
                    }
                }
            }
            // One written reminder per day (a letter and its e-mail copy).
            let mut seen_days = std::collections::BTreeSet::new();
            for (date, step, name, channel, lrar, outcome) in earlier.into_values() {
                if channel == "call" {
                    facts.appel = Some(CallMade {
                        date: dates::format_fr(date),
                        resultat: outcome,
                    });
                    continue;
                }
                let previous = Previous {
                    date: dates::format_fr(date),
                    etape: name,
                    niveau: step,
                    canal: channel_words(&channel, english).to_string(),
                    lrar,
                };
                if is_notice(step, &channel) {
                    facts.mise_en_demeure_precedente = Some(previous.clone());
                }
                if seen_days.insert(date) {
                    facts.relances_precedentes.push(previous);
                }
            }
            facts.deja_relance = !facts.relances_precedentes.is_empty();
            facts.derniere_relance =
                facts
                    .relances_precedentes
                    .last()
                    .cloned()
                    .unwrap_or(Previous {
                        date: "—".into(),
                        ..Default::default()
                    });
            facts.litige_clos = closed.map(|(d, number)| DisputeClosed {
                date: dates::format_fr(d),
                facture: number,
            });
            facts.promesse_non_tenue = self
                .promises(Some(row.client_id), as_of)?
                .into_iter()
                .filter(|p| p.status == crate::reminders::PromiseStatus::Broken)
                .max_by_key(|p| p.due)
                .map(|p| BrokenPromise {
                    faite_le: dates::format_fr(p.made_on),
                    date: dates::format_fr(p.due),
                    montant: p.amount.format_fr(),
                });
            facts.par_recommande = row.channel == Channel::Registered;
            out.push(facts);
        }
        Ok(out)
    }

    /// Where the recipient block is printed: the DL window moved by the
    /// offsets set in Paramètres (to match a printer's margins).
    pub fn window_placement(&self) -> Result<WindowPlacement> {
        let mut w = WindowPlacement::default();
        // A bad saved value (named by `setting_problems`) leaves the
        // window where the standard puts it.
        if let Some((dx, dy)) = self
            .setting(WINDOW_OFFSET_SETTING)?
            .and_then(|text| parse_offsets(&text).ok())
        {
            w.x += dx;
            w.y += dy;
        }
        Ok(w)
    }

    /// Sets the window offsets, in millimetres (at most 20 either way).
    pub fn set_window_offsets(&self, dx: f32, dy: f32) -> Result<()> {
        let text = format!("{dx},{dy}");
        parse_offsets(&text)?;
        self.set_setting(WINDOW_OFFSET_SETTING, &text)
    }

    /// The letters due on `as_of` for the selected invoices (Relances
    /// screen): today's postal communications, limited to those invoices.
    pub fn letters_for_invoices(&self, invoice_ids: &[i64], as_of: Date) -> Result<Vec<Letter>> {
        self.letters(&self.work_rows_for_invoices(invoice_ids, as_of)?, as_of)
    }

    /// Today's communications limited to the selected invoices (those
    /// without one left out), their totals recomputed.
    pub fn work_rows_for_invoices(&self, invoice_ids: &[i64], as_of: Date) -> Result<Vec<WorkRow>> {
        let wanted: std::collections::HashSet<i64> = invoice_ids.iter().copied().collect();
        Ok(self
            .work_list(as_of)?
            .rows
            .into_iter()
            .filter_map(|mut r| {
                r.invoices.retain(|i| wanted.contains(&i.id));
                if r.invoices.is_empty() {
                    return None;
                }
                r.total.cents = r.invoices.iter().map(|i| i.remindable_cents).sum();
                Some(r)
            })
            .collect())
    }

    /// The PDF letter of each postal communication of `rows`, and of each
    /// e-mail one whose client has no valid address (it goes by post) —
    /// except those that cannot be posted (no complete address, a block too
    /// long for the window): [`Ledger::letters_held_back`] lists them.
    pub fn letters(&self, rows: &[WorkRow], as_of: Date) -> Result<Vec<Letter>> {
        let postal: Vec<WorkRow> = self
            .postal_rows(rows)
            .into_iter()
            .filter(|r| {
                self.client(r.client_id)
                    .map(|c| postal_problem(&recipient(&c)).is_none())
                    .unwrap_or(false)
            })
            .collect();
        self.letters_of(&postal, as_of)
    }

    /// The postal communications of `rows` that are held back, with why:
    /// "adresse postale manquante (rue, code postal)".
    pub fn letters_held_back(&self, rows: &[WorkRow]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in self.postal_rows(rows) {
            if !seen.insert(row.client_id) {
                continue;
            }
            let client = self.client(row.client_id)?;
            if let Some(why) = postal_problem(&recipient(&client)) {
                out.push((client.name, why));
            }
        }
        Ok(out)
    }

    /// The communications of `rows` that go by post.
    fn postal_rows(&self, rows: &[WorkRow]) -> Vec<WorkRow> {
        rows.iter()
            .filter(|r| match r.channel {
                Channel::Letter
                | Channel::EmailAndLetter
                | Channel::Registered
                | Channel::Collection => true,
                Channel::Email => crate::ledger::parse_addresses("e-mail", &r.email)
                    .map_or(true, |a| a.is_empty()),
                Channel::Call => false,
            })
            .cloned()
            .collect()
    }

    /// The letter of every row, whatever its channel (an e-mail attaches it).
    ///
    /// None is made without the company's legal mentions and a way to pay:
    /// the error names each missing field.
    pub fn letters_of(&self, rows: &[WorkRow], as_of: Date) -> Result<Vec<Letter>> {
        let company = self.company()?;
        if !rows.is_empty() {
            self.check_sender()?;
        }
        let facts = self.letter_facts(rows, as_of)?;
        let window = self.window_placement()?;
        let mut sources: HashMap<(String, String), String> = HashMap::new();
        let mut out = Vec::with_capacity(facts.len());
        for f in facts {
            let language = if f.langue == "en" { "en" } else { "fr" }.to_string();
            let source = match sources.get(&(language.clone(), f.key.clone())) {
                Some(s) => s.clone(),
                None => {
                    let s = self.template_source(&language, &f.key, Kind::Letter)?;
                    sources.insert((language.clone(), f.key.clone()), s.clone());
                    s
                }
            };
            let rendered = render(&source, &f)?;
            out.push(Letter {
                facts: f,
                rendered,
                company: company.clone(),
                window,
            });
        }
        Ok(out)
    }
}

/// The client as templates and the address block name it.
fn recipient(client: &crate::model::Client) -> Recipient {
    Recipient {
        code: client.code.clone(),
        nom: client.name.clone(),
        contact: client.contact.clone(),
        civilite: if client.language == "en" {
            "Dear Sir or Madam"
        } else {
            "Madame, Monsieur"
        }
        .into(),
        adresse: client.address.clone(),
        code_postal: client.postcode.clone(),
        ville: client.city.clone(),
        pays: client.country.clone(),
        email: client.email.clone(),
        telephone: client.phone.clone(),
    }
}

fn sender(c: &Company, english: bool) -> Sender {
    let transfer = (!c.iban.trim().is_empty()).then(|| {
        let bic = if c.bic.trim().is_empty() {
            String::new()
        } else {
            format!(" (BIC {})", c.bic.trim())
        };
        if english {
            format!("by bank transfer to IBAN {}{bic}", c.iban.trim())
        } else {
            format!("par virement sur le compte IBAN {}{bic}", c.iban.trim())
        }
    });
    let other = (!c.payment_other.trim().is_empty()).then(|| c.payment_other.trim().to_string());
    let moyen_de_paiement = match (transfer, other) {
        (Some(t), Some(o)) => format!("{t}{} {o}", if english { ", or" } else { ", ou" }),
        (Some(t), None) => t,
        (None, Some(o)) => o,
        (None, None) => String::new(),
    };
    Sender {
        moyen_de_paiement,
        nom: c.legal_name.clone(),
        forme: c.legal_form.clone(),
        capital: c.capital.clone(),
        siren: c.siren.clone(),
        rcs: c.rcs_city.clone(),
        tva: c.vat_number.clone(),
        adresse: c.address.clone(),
        code_postal: c.postcode.clone(),
        ville: c.city.clone(),
        email: c.email.clone(),
        telephone: c.phone.clone(),
        iban: c.iban.clone(),
        bic: c.bic.clone(),
        signataire: c.signature_name.clone(),
        autre_paiement: c.payment_other.clone(),
    }
}

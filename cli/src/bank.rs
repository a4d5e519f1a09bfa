//! `import bank`, `bank pending`, `bank confirm`, `bank set-aside`: the
//! payments of the bank statements; `import einvoice`: the company's
//! electronic invoices.

use std::path::PathBuf;

use encaisse::bank::{self, LineState, Proposal};
use encaisse::import;
use encaisse::money::Money;
use encaisse::{Error, Ledger};

use crate::{json, open, Args, Failure};

/// Reads every statement first: one bad file and nothing is written.
pub(crate) fn import(args: &Args, files: &[&str]) -> Result<(), Failure> {
    let mut statements = Vec::new();
    for file in files {
        let path = PathBuf::from(file);
        let (name, bytes) = import::read_chosen_file(&path).map_err(|e| Failure::Core(e, None))?;
        let statement = bank::parse(&name, &bytes);
        if !statement.issues.is_empty() {
            return Err(Failure::Core(Error::Import(statement.issues), Some(path)));
        }
        statements.push(statement);
    }
    let mut ledger = open(args)?;
    if args.has("--dry-run") {
        let mut shown = Vec::new();
        for s in &statements {
            let proposals = ledger.propose_bank_lines(&s.lines)?;
            for (line, proposals) in s.lines.iter().zip(proposals) {
                shown.push((line, proposals));
            }
        }
        if args.has("--json") {
            json(&shown);
        } else {
            for (line, proposals) in &shown {
                println!(
                    "{}  {}  {}  {}",
                    encaisse::dates::format_fr(line.date),
                    Money::new(line.amount_cents, line.currency).format_fr(),
                    line.payer,
                    line.remittance
                );
                print_proposals(proposals);
            }
            println!("Rien n'a été écrit (--dry-run).");
        }
        return Ok(());
    }
    let outcomes = ledger.import_bank_statements(&statements)?;
    for (s, outcome) in statements.iter().zip(&outcomes) {
        if !args.has("--json") {
            println!(
                "{} ({}) : {}, {} déjà {}, {} ignorés",
                s.file_name,
                s.format.map_or("?", |f| f.label()),
                encaisse::words::fr(
                    outcome.added as u64,
                    "virement reçu ajouté",
                    "virements reçus ajoutés"
                ),
                outcome.known,
                if outcome.known > 1 { "connus" } else { "connu" },
                encaisse::words::fr(outcome.debits as u64, "débit", "débits"),
            );
        }
    }
    if args.has("--json") {
        json(&outcomes);
        return Ok(());
    }
    pending(args, &ledger)
}

pub(crate) fn pending(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let lines = ledger.bank_lines(Some(LineState::Pending))?;
    if args.has("--json") {
        json(&lines);
        return Ok(());
    }
    if lines.is_empty() {
        println!("Aucun virement à rapprocher.");
    }
    for line in &lines {
        println!(
            "n° {}  {}  {}  {}  {}",
            line.id,
            encaisse::dates::format_fr(line.date),
            line.amount.format_fr(),
            line.payer,
            line.remittance
        );
        print_proposals(&line.proposals);
    }
    Ok(())
}

fn print_proposals(proposals: &[Proposal]) {
    if proposals.is_empty() {
        println!("    → inconnu : à attribuer à la main, ou à mettre de côté");
    }
    for p in proposals {
        let numbers: Vec<&str> = p.invoices.iter().map(|i| i.number.as_str()).collect();
        println!(
            "    → {} : {} {}{} ({})",
            p.confidence.label_fr(),
            p.client_code,
            p.client_name,
            if numbers.is_empty() {
                String::new()
            } else {
                format!(", {}", numbers.join(", "))
            },
            p.reasons.join(" ; ")
        );
    }
}

pub(crate) fn confirm_sure(ledger: &mut Ledger) -> Result<(), Failure> {
    let done = ledger.confirm_sure_bank_lines()?;
    let total: Vec<String> = done.total.iter().map(|m| m.format_fr()).collect();
    println!(
        "{} enregistrés{}",
        encaisse::words::fr(done.payments as u64, "paiement", "paiements"),
        if total.is_empty() {
            String::new()
        } else {
            format!(", {}", total.join(" + "))
        }
    );
    Ok(())
}

fn line_id(text: &str) -> Result<i64, Failure> {
    text.trim()
        .parse()
        .map_err(|_| Failure::Usage(format!("« {text} » n'est pas un numéro de ligne de relevé")))
}

pub(crate) fn confirm(args: &Args, ledger: &mut Ledger, line: &str) -> Result<(), Failure> {
    let id = line_id(line)?;
    let Some(numbers) = args.value("--invoices") else {
        return Err(Failure::Usage(
            "bank confirm LIGNE --invoices N1,N2 (ou bank confirm --sure)".into(),
        ));
    };
    let mut invoices = Vec::new();
    for number in numbers.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        invoices.push(ledger.invoice_by_number(number)?);
    }
    let Some(first) = invoices.first() else {
        return Err(Failure::Usage(
            "--invoices : aucun numéro de facture".into(),
        ));
    };
    let client = first.client_id;
    if let Some(other) = invoices.iter().find(|i| i.client_id != client) {
        return Err(Error::invalid(
            "--invoices",
            format!(
                "{} est à {} et {} à {} : un virement paie les factures d'un seul client",
                first.number, first.client_name, other.number, other.client_name
            ),
        )
        .into());
    }
    let ids: Vec<i64> = invoices.iter().map(|i| i.id).collect();
    let payment = ledger.confirm_bank_line(id, client, &ids)?;
    println!(
        "Ligne n° {id} enregistrée : paiement n° {payment} de {}",
        first.client_name
    );
    Ok(())
}

pub(crate) fn set_aside(ledger: &mut Ledger, line: &str) -> Result<(), Failure> {
    let id = line_id(line)?;
    ledger.set_aside_bank_line(id)?;
    println!("Ligne n° {id} mise de côté.");
    Ok(())
}

/// Reads every e-invoice first: one bad file and nothing is written.
pub(crate) fn import_einvoices(args: &Args, files: &[&str]) -> Result<(), Failure> {
    let mut invoices = Vec::new();
    for file in files {
        let path = PathBuf::from(file);
        let (name, bytes) = import::read_chosen_file(&path).map_err(|e| Failure::Core(e, None))?;
        let invoice = encaisse::einvoice::parse(&name, &bytes)
            .map_err(|issues| Failure::Core(Error::Import(issues), Some(path.clone())))?;
        invoices.push((name, invoice));
    }
    if args.has("--dry-run") {
        if args.has("--json") {
            let read: Vec<_> = invoices.iter().map(|(_, i)| i).collect();
            json(&read);
        } else {
            for (name, i) in &invoices {
                println!(
                    "{name} ({}) : {} du {}, {} — {}, dû {}{}",
                    i.format,
                    i.number,
                    encaisse::dates::format_fr(i.issue_date),
                    i.buyer.name,
                    Money::new(i.total_cents, i.currency).format_fr(),
                    Money::new(i.due_cents, i.currency).format_fr(),
                    i.due()
                        .map(|d| format!(", échéance {}", encaisse::dates::format_fr(d)))
                        .unwrap_or_default()
                );
            }
            println!("Rien n'a été écrit (--dry-run).");
        }
        return Ok(());
    }
    let outcomes = open(args)?.import_einvoices(&invoices)?;
    for ((name, _), done) in invoices.iter().zip(&outcomes) {
        if !args.has("--json") {
            let what = if done.unchanged {
                "déjà importée, rien n'a changé"
            } else if done.enriched {
                "déjà connue : complétée (échéance, fiche client)"
            } else {
                "importée"
            };
            println!(
                "{name} : facture {} de {}{} {what}",
                done.number,
                done.client_code,
                if done.client_created {
                    " (nouveau client)"
                } else {
                    ""
                }
            );
        }
    }
    if args.has("--json") {
        json(&outcomes);
    }
    Ok(())
}

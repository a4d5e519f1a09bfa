//! `log`, `backup`, `restore`, `export`, `dossier` and `handover`: proof and
//! safety of the ledger on the command line.

use std::path::{Path, PathBuf};

use encaisse::handover::{HandoverKind, HandoverOutcome, NewHandover};
use encaisse::money::format_cents_fr;
use encaisse::{Error, Ledger};

use crate::{json, write_file, Args, Failure};

fn required<'a>(args: &'a Args, flag: &str, what: &str) -> Result<&'a str, Failure> {
    args.value(flag)
        .ok_or_else(|| Failure::Usage(format!("{what} : {flag} est obligatoire")))
}

/// `log verify`: exit code 1 and each problem named when the chain is broken.
pub fn log_verify(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let report = ledger.verify_evidence()?;
    if args.has("--json") {
        json(&report);
    } else if report.is_intact() {
        println!(
            "Journal de preuve intègre : {}, empreinte {}",
            encaisse::words::fr(report.entries as u64, "entrée", "entrées"),
            report.head
        );
    } else {
        for p in &report.problems {
            eprintln!("- {}", p.message);
        }
    }
    if let (true, Some(head)) = (report.is_intact(), args.value("--head")) {
        if !ledger.chain_holds(head)? {
            return Err(Failure::from(Error::invalid(
                "journal de preuve",
                format!("il ne passe plus par l'empreinte {head} gardée à part : il a été réécrit, ou cette empreinte vient d'un autre grand livre"),
            )));
        }
        if !args.has("--json") {
            println!("Il passe toujours par l'empreinte gardée à part.");
        }
    }
    if report.is_intact() {
        Ok(())
    } else {
        Err(Failure::from(Error::invalid(
            "journal de preuve",
            format!(
                "{} : une entrée a été modifiée ou supprimée hors d'Encaisse",
                encaisse::words::fr(report.problems.len() as u64, "anomalie", "anomalies")
            ),
        )))
    }
}

/// `log head`: the head of the chain, as a text to keep outside the ledger.
pub fn log_head(ledger: &Ledger) -> Result<(), Failure> {
    print!("{}", ledger.head_receipt(chrono::Local::now())?);
    Ok(())
}

/// `log list [--client CODE]`.
pub fn log_list(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let client = match args.value("--client") {
        Some(code) => Some(ledger.client_by_code(code)?.id),
        None => None,
    };
    let entries = ledger.evidence(client)?;
    if args.has("--json") {
        json(&entries);
        return Ok(());
    }
    for e in &entries {
        println!(
            "{:>5}  {}  {:<28} {:<9} {:<30} {:>12}  {}{}",
            e.id,
            encaisse::dates::format_fr(e.date),
            e.kind,
            e.channel,
            e.client,
            e.amount_cents.map(format_cents_fr).unwrap_or_default(),
            e.detail,
            if e.result.is_empty() {
                String::new()
            } else {
                format!(" — {}", e.result)
            }
        );
    }
    Ok(())
}

/// `backup --out FILE` (or `backup --auto`: the day's automatic backup).
pub fn backup(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    if args.has("--auto") {
        if let Some(keep) = args.value("--keep") {
            let keep: usize = keep
                .parse()
                .map_err(|_| Failure::Usage(format!("--keep : « {keep} » n'est pas un nombre")))?;
            ledger.set_backup_keep(keep)?;
        }
        match ledger.auto_backup(args.as_of()?)? {
            Some(path) => println!("Sauvegarde du jour : {}", path.display()),
            None => println!("La sauvegarde du jour existe déjà"),
        }
        return Ok(());
    }
    let out = required(args, "--out", "backup")?;
    let info = ledger.backup_to(Path::new(out), &|_, _| {})?;
    println!(
        "Sauvegarde vérifiée : {} ({}, {}, {} du journal)",
        info.path.display(),
        encaisse::words::fr(info.clients as u64, "client", "clients"),
        encaisse::words::fr(info.invoices as u64, "facture", "factures"),
        encaisse::words::fr(info.evidence_entries as u64, "entrée", "entrées")
    );
    Ok(())
}

/// `restore FILE`: checked first; the current ledger is kept aside — as it
/// is when it is damaged or cannot be opened, which is when a restore is
/// needed most.
pub fn restore(args: &Args, file: &str) -> Result<(), Failure> {
    let source = PathBuf::from(file);
    let path = crate::ledger_path(args)?;
    let report = match Ledger::open(&path) {
        Ok(mut ledger) => ledger.restore_from(&source, &|_, _| {})?,
        Err(why) => {
            eprintln!("Le grand livre ne s'ouvre pas ({why}) : il est remplacé tel quel.");
            encaisse::backup::restore_file(&path, &source, &|_, _| {})?
        }
    };
    println!(
        "Restauré depuis {} ({} clients, {} factures) ; le grand livre précédent est gardé dans {}",
        report.restored.path.display(),
        report.restored.clients,
        report.restored.invoices,
        report.kept_aside.display()
    );
    Ok(())
}

/// `export --out FILE.zip`: every table as CSV.
pub fn export(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let out = required(args, "--out", "export")?;
    write_file(out, &ledger.export_tables_csv()?)?;
    println!("Export complet : {out}");
    Ok(())
}

/// `dossier --client CODE --out FILE.zip`.
pub fn dossier(args: &Args, ledger: &Ledger) -> Result<(), Failure> {
    let code = required(args, "--client", "dossier")?;
    let out = required(args, "--out", "dossier")?;
    let client = ledger.client_by_code(code)?;
    let (zip, summary) = ledger.litigation_file(client.id, args.as_of()?)?;
    write_file(out, &zip)?;
    println!(
        "Dossier contentieux de {} : {}, {} du journal, {} ; total réclamé {} → {out}",
        client.name,
        encaisse::words::fr(
            summary.invoices as u64,
            "facture ouverte",
            "factures ouvertes"
        ),
        encaisse::words::fr(summary.reminders as u64, "entrée", "entrées"),
        encaisse::words::fr(summary.documents as u64, "document", "documents"),
        summary
            .total_due
            .iter()
            .map(|m| m.format_fr())
            .collect::<Vec<_>>()
            .join(" + ")
    );
    Ok(())
}

/// `handover add|end|list`.
pub fn handover(args: &Args, ledger: &mut Ledger, action: &str) -> Result<(), Failure> {
    match action {
        "add" => {
            let client = ledger.client_by_code(required(args, "--client", "handover add")?)?;
            let mut invoice_ids = Vec::new();
            if let Some(list) = args.value("--invoices") {
                for number in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    invoice_ids.push(ledger.invoice_by_number(number)?.id);
                }
            }
            let id = ledger.hand_over(&NewHandover {
                client_id: client.id,
                invoice_ids,
                agency: required(args, "--agency", "handover add")?.to_string(),
                kind: HandoverKind::parse(args.value("--kind").unwrap_or("agency"))?,
                date: args.as_of()?,
                fee_terms: args.value("--fees").unwrap_or("").to_string(),
                note: args.value("--note").unwrap_or("").to_string(),
            })?;
            println!(
                "Transmission n° {id} enregistrée : {} sort des relances",
                client.name
            );
        }
        "end" => {
            let id: i64 = required(args, "--id", "handover end")?
                .parse()
                .map_err(|_| Failure::Usage("--id : un numéro de transmission".into()))?;
            let outcome = HandoverOutcome::parse(required(args, "--outcome", "handover end")?)?;
            ledger.end_handover(id, args.as_of()?, outcome)?;
            println!("Transmission n° {id} terminée");
        }
        _ => {
            let list = ledger.handovers(None, args.as_of()?)?;
            if args.has("--json") {
                json(&list);
                return Ok(());
            }
            for h in &list {
                println!(
                    "{:>4}  {}  {:<30} {:<24} transmis {}  reste {}  {}",
                    h.id,
                    encaisse::dates::format_fr(h.handed_on),
                    h.client_name,
                    h.agency,
                    h.amount.format_fr(),
                    h.open_now.format_fr(),
                    match h.ended_on {
                        Some(d) => format!("terminé le {}", encaisse::dates::format_fr(d)),
                        None => "en cours".into(),
                    }
                );
            }
        }
    }
    Ok(())
}

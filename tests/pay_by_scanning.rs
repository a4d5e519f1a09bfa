//! Pay by scanning: every letter asking for payment carries a SEPA transfer
//! QR code (EPC069-12) with the company's IBAN, BIC and name, the amount due
//! and the communication's structured reference (ISO 11649), printed beside
//! it; the code is decoded back from the page as poppler renders it; a
//! statement line naming the reference is a sure match for exactly the
//! invoices of that communication.

use std::process::Command;

use encaisse::bank::{self, reference, Confidence, LineState};
use encaisse::documents;

use crate::common::*;

/// Each page of `pdf` rendered in grey levels at `dpi`: (width, height,
/// pixels).
fn render_pages(pdf: &[u8], dpi: u32) -> Vec<(usize, usize, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", &dpi.to_string()])
        .arg(&path)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (poppler-utils) is installed by the test command");
    assert!(out.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty());
    pages
        .iter()
        .map(|p| parse_pgm(&std::fs::read(p).unwrap()))
        .collect()
}

/// A binary PGM (P5, 8 bits): its header is four whitespace-separated words.
fn parse_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut words = Vec::new();
    let mut at = 0;
    while words.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        words.push(std::str::from_utf8(&bytes[start..at]).unwrap().to_string());
    }
    assert_eq!(words[0], "P5");
    assert_eq!(words[3], "255");
    let (w, h): (usize, usize) = (words[1].parse().unwrap(), words[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

/// Every QR code found on the pages, decoded.
fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for (w, h, pixels) in render_pages(pdf, 200) {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        // A pattern on the page may look like a code without being one:
        // only what decodes counts (the letter's own code must).
        out.extend(
            image
                .detect_grids()
                .into_iter()
                .filter_map(|grid| grid.decode().ok())
                .map(|(_, text)| text),
        );
    }
    out
}

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_letter_asking_for_payment_carries_a_transfer_code_a_banking_app_reads() {
    let (ledger, today) = demo_ledger();
    let company = ledger.company().unwrap();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    assert!(letters.len() >= 3, "{}", letters.len());
    for letter in &letters {
        let pdf = documents::letter_pdf(letter);
        let codes = qr_codes(&pdf);
        assert_eq!(codes.len(), 1, "{}: one code", letter.file_name());
        let reference = reference::of(letter.facts.client_id, &letter.facts.invoice_ids);
        let lines: Vec<&str> = codes[0].split('\n').collect();
        let iban: String = company.iban.split_whitespace().collect();
        assert_eq!(
            lines,
            [
                "BCD",
                "002",
                "1",
                "SCT",
                company.bic.as_str(),
                company.legal_name.as_str(),
                iban.as_str(),
                &format!(
                    "EUR{}.{:02}",
                    letter.facts.total_due_cents / 100,
                    letter.facts.total_due_cents % 100
                ),
                "",
                reference.as_str(),
            ],
            "{}",
            letter.file_name()
        );
        assert!(letter.facts.total_due_cents > 0);
        // The reference is printed beside the code, in groups of four.
        let text = text_of(&pdf);
        assert!(
            text.contains(&reference::grouped(&reference)),
            "{}: {text}",
            letter.file_name()
        );
        assert_eq!(
            letter.facts.reference_virement,
            reference::grouped(&reference)
        );
    }
}

#[test]
fn a_letter_without_an_iban_has_no_code_and_still_says_how_to_pay() {
    let (ledger, today) = demo_ledger();
    let mut company = ledger.company().unwrap();
    company.iban.clear();
    company.payment_other = "Par chèque à l'ordre de l'entreprise.".into();
    ledger.set_company(&company).unwrap();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let pdf = documents::letter_pdf(&letters[0]);
    assert!(qr_codes(&pdf).is_empty());
    assert!(text_of(&pdf).contains("Par chèque"));
}

#[test]
fn a_transfer_naming_a_sent_letters_reference_is_a_sure_match_for_exactly_its_invoices() {
    let (mut ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    // A letter about the newer of a client's late invoices alone: no rule
    // but the reference kept when it was sent finds that set.
    let several = work
        .rows
        .iter()
        .find(|r| r.invoices.len() >= 2)
        .expect("a client late on several invoices");
    let newer = several
        .invoices
        .iter()
        .max_by_key(|i| (i.issue_date, i.id))
        .unwrap()
        .id;
    let letter = ledger
        .letters_for_invoices(&[newer], today)
        .unwrap()
        .remove(0);
    assert_eq!(letter.facts.invoice_ids, [newer]);
    let (_, entries) = documents::letters_zip(std::slice::from_ref(&letter)).unwrap();
    ledger
        .record_document(&letter.facts, today, &entries[0])
        .unwrap();
    // The client pays what the code asked, naming only the reference, as a
    // banking app does; a payer name nobody has.
    let csv = format!(
        "Date;Libellé;Montant;Référence\n{};VIR SEPA RECU /DE ZZZ INCONNU /REF {};{};BQ-1\n",
        encaisse::dates::format_fr(today + chrono::Days::new(2)),
        letter.facts.reference_virement,
        encaisse::money::format_cents_fr(letter.facts.total_due_cents)
            .replace(['\u{202f}', '\u{a0}', ' '], "")
    );
    let statement = bank::parse("releve.csv", csv.as_bytes());
    assert!(statement.issues.is_empty(), "{:?}", statement.issues);
    ledger.import_bank_statements(&[statement]).unwrap();
    let lines = ledger.bank_lines(Some(LineState::Pending)).unwrap();
    assert_eq!(lines.len(), 1);
    let best = &lines[0].proposals[0];
    assert_eq!(
        best.confidence,
        Confidence::Sure,
        "{:?}",
        lines[0].proposals
    );
    assert_eq!(best.client_id, letter.facts.client_id);
    let mut want = letter.facts.invoice_ids.clone();
    want.sort();
    let mut got = best.invoice_ids();
    got.sort();
    assert_eq!(got, want, "exactly the letter's invoices");
    assert!(
        best.reasons[0].contains(&letter.facts.reference_virement),
        "{:?}",
        best.reasons
    );
    // Confirmed in one click: the letter's invoices are paid.
    let done = ledger.confirm_sure_bank_lines().unwrap();
    assert_eq!(done.payments, 1);
    let after = ledger.work_list(today).unwrap();
    assert!(after
        .rows
        .iter()
        .flat_map(|r| &r.invoices)
        .all(|i| !letter.facts.invoice_ids.contains(&i.id)));
}

#[test]
fn a_reference_with_a_wrong_check_digit_or_of_another_set_is_no_sure_match() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letters = ledger.letters(&work.rows, today).unwrap();
    let letter = &letters[0];
    let reference = reference::of(letter.facts.client_id, &letter.facts.invoice_ids);
    // A letter never recorded is still recognised when it covered the
    // client's open invoices from the oldest.
    let proposals = |text: &str| {
        let line = bank::StatementLine {
            line: 1,
            account: String::new(),
            date: today,
            amount_cents: 1,
            currency: encaisse::money::Currency::EUR,
            payer: String::new(),
            remittance: text.to_string(),
            bank_ref: String::new(),
        };
        ledger.propose_bank_lines(&[line]).unwrap().remove(0)
    };
    let found = proposals(&reference);
    assert!(
        found
            .iter()
            .any(|p| p.confidence == Confidence::Sure && p.client_id == letter.facts.client_id),
        "{found:?}"
    );
    // One character wrong: the check digits refuse it.
    let mut typo = reference.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'1' { b'2' } else { b'1' };
    let typo = String::from_utf8(typo).unwrap();
    assert!(proposals(&typo)
        .iter()
        .all(|p| p.confidence != Confidence::Sure));
    // A well-formed reference for invoices this client never had together.
    let other = reference::of(letter.facts.client_id, &[999_999_999]);
    assert!(proposals(&other)
        .iter()
        .all(|p| p.confidence != Confidence::Sure));
}

#[test]
fn a_reminder_e_mail_names_the_reference_and_its_attached_letter_carries_the_code() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let emails = ledger.emails(&work.rows, today).unwrap();
    let email = emails
        .first()
        .expect("an e-mail reminder in the demonstration");
    let reference = &email.facts.reference_virement;
    assert!(reference.starts_with("RF"), "{reference}");
    assert!(email.text.contains(reference.as_str()), "{}", email.text);
    assert!(email.html.contains(reference.as_str()), "{}", email.html);
    let codes = qr_codes(&email.attachment.1);
    assert_eq!(codes.len(), 1);
    assert!(
        codes[0].ends_with(&reference.replace(' ', "")),
        "{}",
        codes[0]
    );
}

#[test]
fn the_reference_is_found_in_the_structured_field_of_a_camt_statement() {
    let (ledger, today) = demo_ledger();
    let work = ledger.work_list(today).unwrap();
    let letter = ledger.letters(&work.rows, today).unwrap().remove(0);
    let iban: String = ledger.company().unwrap().iban.split_whitespace().collect();
    let reference = reference::of(letter.facts.client_id, &letter.facts.invoice_ids);
    let camt = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-30T22:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">{}.{:02}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-24</Dt></BookgDt>
        <AcctSvcrRef>BQ-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Pty><Nm>SOMEONE ELSE</Nm></Pty></Dbtr></RltdPties>
          <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>"#,
        letter.facts.total_due_cents / 100,
        letter.facts.total_due_cents % 100
    );
    let statement = bank::parse("releve.xml", camt.as_bytes());
    assert!(statement.issues.is_empty(), "{:?}", statement.issues);
    let proposals = ledger.propose_bank_lines(&statement.lines).unwrap();
    let best = &proposals[0][0];
    assert_eq!(best.confidence, Confidence::Sure, "{proposals:?}");
    let mut got = best.invoice_ids();
    got.sort();
    let mut want = letter.facts.invoice_ids.clone();
    want.sort();
    assert_eq!(got, want);
}

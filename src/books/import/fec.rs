//! The French FEC (Fichier des Écritures Comptables, art. A47 A-1 LPF).
//!
//! Accepted: tab or `|` separated, UTF-8 (with or without BOM) or ISO-8859-15,
//! CR, LF or CRLF, 18 columns or 22 (cash-basis BNC extras), headers in any
//! case, `Debit`/`Credit` or `Montant`/`Sens`, fields padded with spaces.
//!
//! Only customer accounts (411…) become ledger rows. The customer is
//! `CompAuxNum`, else `CompteNum`. A debit is an invoice (an opening item in
//! the "à nouveaux" journal); a credit in an entry that books revenue (class
//! 7) or output VAT (4457) is a credit note; any other credit is a payment.
//! Lines sharing a lettering code (`EcritureLet`) are matched together. The
//! FEC has no due date: it is the piece date plus the client's terms.
//!
//! The file is read a part at a time (8 MB, cut after a line feed), never
//! held whole: each part is checked on two cores while its fingerprint is
//! computed, and only its customer lines are kept, in a block that goes as
//! soon as the plan is built from it. The encoding is UTF-8 until a part
//! says otherwise; a part that is not UTF-8 after one that was (not only
//! ASCII) has the file read again as ISO-8859-15, as a whole-file decision.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::hash::BuildHasher;
use std::io::{Read, Seek, SeekFrom};

use super::{
    text, ImportIssue, ImportKind, ImportPlan, PlannedClient, PlannedItem, PlannedPayment,
    MAX_ISSUES,
};
use crate::dates::{parse_date, Date, IsoDate};
use crate::model::InvoiceKind;
use crate::money::{parse_amount, Currency};

/// The columns Encaisse reads, by their normalised header names.
#[derive(Default)]
struct Columns {
    journal_code: usize,
    journal_lib: Option<usize>,
    ecriture_num: usize,
    compte_num: usize,
    compte_lib: usize,
    comp_aux_num: usize,
    comp_aux_lib: usize,
    piece_ref: usize,
    piece_date: usize,
    ecriture_date: Option<usize>,
    ecriture_lib: usize,
    debit: Option<usize>,
    credit: Option<usize>,
    montant: Option<usize>,
    sens: Option<usize>,
    ecriture_let: usize,
    date_let: usize,
    valid_date: Option<usize>,
    mode_rglt: Option<usize>,
}

const REQUIRED: [&str; 11] = [
    "journalcode",
    "ecriturenum",
    "comptenum",
    "comptelib",
    "compauxnum",
    "compauxlib",
    "pieceref",
    "piecedate",
    "ecriturelib",
    "ecriturelet",
    "datelet",
];

/// Parses a FEC file into a plan. Problems are collected in `plan.issues`.
pub fn parse(file_name: &str, bytes: &[u8]) -> ImportPlan {
    parse_from(file_name, std::io::Cursor::new(bytes))
}

/// [`parse`], reading the file a part at a time: the whole file is never
/// held in memory, only the part being read and the customer lines copied
/// out of it. A file that can't be read, or grows past
/// [`super::MAX_FILE_BYTES`], is an issue of the plan.
pub fn parse_from(file_name: &str, reader: impl Read + Seek) -> ImportPlan {
    parse_in_parts(file_name, reader, PART_BYTES)
}

/// [`parse_from`], reading `part_bytes` at a time.
fn parse_in_parts(file_name: &str, reader: impl Read + Seek, part_bytes: usize) -> ImportPlan {
    let mut plan = ImportPlan {
        kind: ImportKind::Fec,
        file_name: file_name.to_string(),
        sha256: String::new(),
        encoding: String::new(),
        lines: 0,
        period: None,
        clients: Vec::new(),
        items: Vec::new(),
        payments: Vec::new(),
        issues: Vec::new(),
    };
    match check_lines(reader, &mut plan, part_bytes) {
        Ok(Some(kept)) => plan_customer_lines(kept, &mut plan),
        Ok(None) => {}
        Err(e) => plan.issues.push(ImportIssue::file(format!(
            "lecture du fichier impossible : {e}"
        ))),
    }
    plan
}

/// Splits a line on an ASCII separator, into `out`.
fn split_fields<'a>(line: &'a str, sep: u8, out: &mut Vec<&'a str>) {
    out.clear();
    let mut start = 0;
    for at in memchr::memchr_iter(sep, line.as_bytes()) {
        // `sep` is ASCII: `at` is a character boundary.
        out.push(&line[start..at]);
        start = at + 1;
    }
    out.push(&line[start..]);
}

/// What the whole file's check keeps to build the plan: the customer lines
/// (copied out of the file) and the entries that book revenue.
struct Kept {
    col: Columns,
    width: usize,
    sep: u8,
    header_names: Vec<String>,
    /// The customer lines, a block per part of the file read: each block
    /// is let go as soon as the plan is built from it.
    blocks: Vec<Block>,
    revenue: HashSet<u128>,
}

/// The customer lines of a part of the file, one after the other.
struct Block {
    text: String,
    /// Each line: its number and where it ends in `text` (it starts where
    /// the one before ends), in 8 bytes: a million-line file keeps hundreds
    /// of thousands of them. Numbers fit: a file of at most
    /// [`super::MAX_FILE_BYTES`] has fewer than 2³² lines.
    lines: Vec<(u32, u32)>,
}

/// How much of the file is read at a time.
const PART_BYTES: usize = 8 << 20;

/// Reads a file in parts that end with a line feed (the last one at the
/// end of the file); a line feed is never inside a character, in UTF-8 as
/// in ISO-8859-15.
struct Chunks<R> {
    reader: R,
    part_bytes: usize,
    /// What followed the last line feed of the part before.
    carry: Vec<u8>,
    at_end: bool,
    read: u64,
}

impl<R: Read> Chunks<R> {
    fn new(reader: R, part_bytes: usize) -> Self {
        Chunks {
            reader,
            part_bytes,
            carry: Vec::new(),
            at_end: false,
            read: 0,
        }
    }

    fn next(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut part = std::mem::take(&mut self.carry);
        if self.at_end && part.is_empty() {
            return Ok(None);
        }
        let mut target = self.part_bytes;
        loop {
            if !self.at_end && part.len() < target {
                let want = (target - part.len()) as u64;
                let got = (&mut self.reader).take(want).read_to_end(&mut part)? as u64;
                self.read += got;
                if self.read > super::MAX_FILE_BYTES {
                    return Err(std::io::Error::other(format!(
                        "fichier trop volumineux ({} Mo au plus)",
                        super::MAX_FILE_BYTES >> 20
                    )));
                }
                self.at_end = got < want;
            }
            if self.at_end {
                return Ok(Some(part));
            }
            match memchr::memrchr(b'\n', &part) {
                Some(i) => {
                    self.carry = part[i + 1..].to_vec();
                    part.truncate(i + 1);
                    return Ok(Some(part));
                }
                // A line longer than a part (or a file of CR line ends):
                // read on.
                None => target += self.part_bytes,
            }
        }
    }
}

/// The header of the file: its separator and the columns it names.
struct Header {
    col: Columns,
    width: usize,
    sep: u8,
    names: Vec<String>,
}

/// Reads the header line; `None` (with an issue in the plan) when it does
/// not make a FEC.
fn read_header(header_line: usize, header: &str, plan: &mut ImportPlan) -> Option<Header> {
    let sep = if header.contains('\t') {
        '\t'
    } else if header.contains('|') {
        '|'
    } else {
        plan.issues.push(ImportIssue::at(
            header_line,
            None,
            "séparateur inconnu : un FEC est séparé par des tabulations ou des « | »",
        ));
        return None;
    };
    let names: Vec<String> = header.split(sep).map(|h| h.trim().to_lowercase()).collect();
    let find = |name: &str| names.iter().position(|n| n == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|n| find(n).is_none())
        .collect();
    let has_amounts = (find("debit").is_some() && find("credit").is_some())
        || (find("montant").is_some() && find("sens").is_some());
    if !missing.is_empty() || !has_amounts {
        let mut list: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        if !has_amounts {
            list.push("Debit et Credit (ou Montant et Sens)".into());
        }
        plan.issues.push(ImportIssue::at(
            header_line,
            None,
            format!(
                "ce n'est pas un FEC : colonnes manquantes : {}",
                list.join(", ")
            ),
        ));
        return None;
    }
    let col = Columns {
        journal_code: find("journalcode").unwrap_or_default(),
        journal_lib: find("journallib"),
        ecriture_num: find("ecriturenum").unwrap_or_default(),
        compte_num: find("comptenum").unwrap_or_default(),
        compte_lib: find("comptelib").unwrap_or_default(),
        comp_aux_num: find("compauxnum").unwrap_or_default(),
        comp_aux_lib: find("compauxlib").unwrap_or_default(),
        piece_ref: find("pieceref").unwrap_or_default(),
        piece_date: find("piecedate").unwrap_or_default(),
        ecriture_date: find("ecrituredate"),
        ecriture_lib: find("ecriturelib").unwrap_or_default(),
        debit: find("debit"),
        credit: find("credit"),
        montant: find("montant"),
        sens: find("sens"),
        ecriture_let: find("ecriturelet").unwrap_or_default(),
        date_let: find("datelet").unwrap_or_default(),
        valid_date: find("validdate"),
        mode_rglt: find("modereglt").or(find("modereglement")),
    };
    Some(Header {
        col,
        width: names.len(),
        sep: sep as u8,
        names: header.split(sep).map(|h| h.trim().to_string()).collect(),
    })
}

/// The encoding of the text read so far.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    /// Only ASCII: the same in UTF-8 and ISO-8859-15.
    Ascii,
    Utf8,
    Latin9,
}

/// What the check of the parts read so far found.
#[derive(Default)]
struct Found {
    issues: Vec<ImportIssue>,
    issues_beyond: usize,
    /// Number of the last line read.
    last_line: usize,
    unbalanced: HashMap<(String, String), EntryPart>,
    first_date: Option<u32>,
    last_date: Option<u32>,
    blocks: Vec<Block>,
    revenue: HashSet<u128>,
}

impl Found {
    /// Takes in what the first pass over a part found, its lines numbered
    /// after the `offset` lines before it.
    fn absorb(&mut self, pass: FirstPass, offset: usize) {
        self.last_line = offset + pass.last_line;
        for mut issue in pass.issues {
            issue.line += offset;
            if self.issues.len() < MAX_ISSUES {
                self.issues.push(issue);
            } else {
                self.issues_beyond += 1;
            }
        }
        self.issues_beyond += pass.issues_beyond;
        for ((journal, number), part) in pass.unbalanced {
            let kept = self
                .unbalanced
                .entry((journal.to_string(), number.to_string()))
                .or_insert(EntryPart {
                    first_line: offset + part.first_line,
                    ..Default::default()
                });
            kept.debit += part.debit;
            kept.credit += part.credit;
            kept.first_line = kept.first_line.min(offset + part.first_line);
            kept.last_line = kept.last_line.max(offset + part.last_line);
        }
        let min = |a: Option<u32>, b: Option<u32>| a.into_iter().chain(b).min();
        let max = |a: Option<u32>, b: Option<u32>| a.into_iter().chain(b).max();
        self.first_date = min(self.first_date, pass.first_date);
        self.last_date = max(self.last_date, pass.last_date);
        self.revenue.extend(pass.revenue);
        // A refused file needs no customer lines.
        if !self.issues.is_empty() {
            return;
        }
        let length = pass.customer_lines.iter().map(|cl| cl.raw.len()).sum();
        let mut block = Block {
            text: String::with_capacity(length),
            lines: Vec::with_capacity(pass.customer_lines.len()),
        };
        let number = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        for cl in &pass.customer_lines {
            block.text.push_str(cl.raw);
            block
                .lines
                .push((number(offset + cl.line), number(block.text.len())));
        }
        self.blocks.push(block);
    }
}

/// Reads and checks every line of the file, fills the plan's encoding,
/// fingerprint, line count, period and issues; `None` when the file is
/// refused.
fn check_lines(
    mut reader: impl Read + Seek,
    plan: &mut ImportPlan,
    part_bytes: usize,
) -> std::io::Result<Option<Kept>> {
    match check_parts(&mut reader, plan, Encoding::Ascii, part_bytes)? {
        Reading::Done(kept) => Ok(kept.map(|k| *k)),
        // Text read as UTF-8, then bytes that are not: the file is
        // ISO-8859-15 from its start.
        Reading::Again => {
            reader.seek(SeekFrom::Start(0))?;
            plan.issues.clear();
            match check_parts(&mut reader, plan, Encoding::Latin9, part_bytes)? {
                Reading::Done(kept) => Ok(kept.map(|k| *k)),
                Reading::Again => unreachable!("ISO-8859-15 reads any bytes"),
            }
        }
    }
}

/// How a reading of the file ended.
enum Reading {
    Done(Option<Box<Kept>>),
    /// To be read again as ISO-8859-15.
    Again,
}

fn check_parts(
    reader: &mut impl std::io::Read,
    plan: &mut ImportPlan,
    mut encoding: Encoding,
    part_bytes: usize,
) -> std::io::Result<Reading> {
    let mut chunks = Chunks::new(reader, part_bytes);
    let mut sha = Sha256::new();
    let mut header: Option<(usize, Header)> = None;
    let mut found = Found::default();
    let mut first = true;
    while let Some(part) = chunks.next()? {
        let mut body = &part[..];
        if first {
            body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            if let Err(issue) = text::check_head(body) {
                plan.issues.push(issue);
                return Ok(Reading::Done(None));
            }
            first = false;
        }
        // The part as text.
        let text: Cow<str> = match encoding {
            Encoding::Latin9 => encoding_rs::ISO_8859_15.decode_without_bom_handling(body).0,
            _ => match std::str::from_utf8(body) {
                Ok(text) => {
                    if encoding == Encoding::Ascii && !text.is_ascii() {
                        encoding = Encoding::Utf8;
                    }
                    Cow::Borrowed(text)
                }
                Err(_) if encoding == Encoding::Utf8 => return Ok(Reading::Again),
                Err(_) => {
                    encoding = Encoding::Latin9;
                    encoding_rs::ISO_8859_15.decode_without_bom_handling(body).0
                }
            },
        };
        let offset = found.last_line;
        // The header: the first line that is not blank.
        let (mut skip_through, mut header_end) = (0, 0);
        if header.is_none() {
            let Some((number, line)) = text::lines(&text).find(|(_, l)| !l.trim().is_empty())
            else {
                found.last_line += text::lines(&text).count();
                sha.update(&part);
                continue;
            };
            match read_header(offset + number, line, plan) {
                Some(h) => header = Some((offset + number, h)),
                None => return Ok(Reading::Done(None)),
            }
            skip_through = number;
            header_end = line.as_ptr() as usize - text.as_ptr() as usize + line.len();
        }
        let Some((_, h)) = &header else {
            unreachable!("the header was read above")
        };
        let names: Vec<&str> = h.names.iter().map(String::as_str).collect();
        // The fingerprint on one core, the part's two halves on the others.
        let (whole, text): (&[u8], &str) = (&part, &text);
        let (passes, digest) = std::thread::scope(|scope| {
            let hashing = scope.spawn(move || {
                sha.update(whole);
                sha
            });
            let passes = match split_point(text, header_end) {
                Some(mid) => {
                    let names = &names;
                    let second = scope
                        .spawn(move || first_pass(&text[mid..], 0, h.sep, h.width, &h.col, names));
                    let first =
                        first_pass(&text[..mid], skip_through, h.sep, h.width, &h.col, names);
                    let second = second.join().expect("the second half is read");
                    vec![first, second]
                }
                None => vec![first_pass(
                    text,
                    skip_through,
                    h.sep,
                    h.width,
                    &h.col,
                    &names,
                )],
            };
            (passes, hashing.join().expect("the fingerprint is computed"))
        });
        sha = digest;
        let mut at = offset;
        for pass in passes {
            let lines = pass.last_line;
            found.absorb(pass, at);
            at += lines;
        }
    }
    plan.sha256 = crate::evidence::hex(&sha.finalize());
    plan.encoding = match encoding {
        Encoding::Latin9 => encoding_rs::ISO_8859_15.name(),
        _ => "UTF-8",
    }
    .to_string();
    let Some((header_line, header)) = header else {
        plan.issues.push(ImportIssue::file("le fichier est vide"));
        return Ok(Reading::Done(None));
    };
    plan.lines = found.last_line.max(header_line);
    plan.issues = std::mem::take(&mut found.issues);
    plan.issues.extend(super::more_issues(found.issues_beyond));
    if !plan.issues.is_empty() {
        return Ok(Reading::Done(None));
    }
    plan.issues = unbalanced_entries(found.unbalanced);
    if !plan.issues.is_empty() {
        return Ok(Reading::Done(None));
    }
    let date = |d: u32| Date::from_ymd_opt((d / 10_000) as i32, d / 100 % 100, d % 100);
    plan.period = match (found.first_date, found.last_date) {
        (Some(first), Some(last)) => date(first).zip(date(last)),
        _ => None,
    };
    Ok(Reading::Done(Some(Box::new(Kept {
        col: header.col,
        width: header.width,
        sep: header.sep,
        header_names: header.names,
        blocks: found.blocks,
        revenue: found.revenue,
    }))))
}

/// Turns the customer lines into the plan's clients, items and payments.
fn plan_customer_lines(kept: Kept, plan: &mut ImportPlan) {
    let Kept {
        col,
        width,
        sep,
        header_names,
        blocks,
        revenue,
    } = kept;
    let column_name = |i: usize| header_names.get(i).map(String::as_str).unwrap_or("?");
    let count: usize = blocks.iter().map(|b| b.lines.len()).sum();

    let mut clients: HashMap<String, PlannedClient> = HashMap::new();
    let mut client_order: Vec<String> = Vec::new();
    // How many times each (journal, entry, piece, client, date, amount) was
    // seen, by a fixed 64-bit fingerprint of it (a tenth of the memory of
    // the borrowed fields at a million lines). Two lines whose fingerprints
    // collide only share a count: their keys still differ by their fields,
    // and the same file always numbers them alike.
    let fingerprint = foldhash::fast::FixedState::with_seed(0x0F3C_2026);
    let mut occurrences: HashMap<u64, u32> = HashMap::with_capacity(count);
    let mut issues = Vec::new();
    // Each block goes once read.
    for Block { text, lines } in blocks {
        let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
        let mut start = 0;
        for (line, end) in lines {
            let cl = CustomerLine {
                line: line as usize,
                raw: &text[start..end as usize],
            };
            start = end as usize;
            split_fields(cl.raw, sep, &mut fields);
            let f = &fields;
            let aux = f[col.comp_aux_num].trim();
            let (code, name) = if aux.is_empty() {
                (f[col.compte_num].trim(), f[col.compte_lib].trim())
            } else {
                let lib = f[col.comp_aux_lib].trim();
                (aux, if lib.is_empty() { aux } else { lib })
            };
            let journal = f[col.journal_code].trim();
            let date = match parse_date(f[col.piece_date]) {
                Ok(d) => d,
                Err(_) if f[col.piece_date].trim().is_empty() => {
                    match col.ecriture_date.map(|i| parse_date(f[i])) {
                        Some(Ok(d)) => d,
                        _ => {
                            issues.push(ImportIssue::at(
                                cl.line,
                                Some(column_name(col.piece_date)),
                                "date de pièce vide",
                            ));
                            continue;
                        }
                    }
                }
                Err(message) => {
                    issues.push(ImportIssue::at(
                        cl.line,
                        Some(column_name(col.piece_date)),
                        message,
                    ));
                    continue;
                }
            };
            let cents = match amount_of(f, &col) {
                Ok(c) => c,
                Err((column, message)) => {
                    issues.push(ImportIssue::at(cl.line, Some(column_name(column)), message));
                    continue;
                }
            };
            if cents == 0 {
                continue;
            }
            // Idevise names the currency of Montantdevise only; Debit and Credit are in
            // the accounting currency, which for a French FEC is the euro.
            let currency = Currency::EUR;
            if !clients.contains_key(code) {
                clients.insert(
                    code.to_string(),
                    PlannedClient {
                        details: Default::default(),
                        code: code.to_string(),
                        name: name.to_string(),
                        email: String::new(),
                    },
                );
                client_order.push(code.to_string());
            }
            let piece_ref = collapse_spaces(f[col.piece_ref]);
            let ecriture_num = f[col.ecriture_num].trim();
            let label = super::Text::from(collapse_spaces(f[col.ecriture_lib]));
            let letter = Some(f[col.ecriture_let].trim())
                .filter(|l| !l.is_empty())
                .map(super::Text::from);
            let n = occurrences
                .entry(fingerprint.hash_one((journal, ecriture_num, &piece_ref, code, date, cents)))
                .or_insert(0);
            *n += 1;
            let source_key = compact_str::format_compact!(
                "fec:{journal}:{ecriture_num}:{piece_ref}:{code}:{}:{cents}:{n}",
                IsoDate::from(date)
            );
            let journal_lib = col.journal_lib.map(|i| f[i].trim()).unwrap_or("");
            let opening = is_opening_journal(journal, journal_lib);
            let number = if piece_ref.is_empty() {
                compact_str::format_compact!("{journal}-{ecriture_num}")
            } else if opening && !names_an_opening(&piece_ref) {
                compact_str::format_compact!("{}{piece_ref}", super::books::OPENING_PREFIX)
            } else {
                super::Text::from(piece_ref.as_ref())
            };
            if cents > 0 || opening || {
                let print = entry_print(f, &col);
                revenue.contains(&print)
            } {
                let kind = if opening {
                    InvoiceKind::Opening
                } else if cents > 0 {
                    InvoiceKind::Invoice
                } else {
                    InvoiceKind::CreditNote
                };
                plan.items.push(PlannedItem {
                    line: cl.line,
                    source_key,
                    client_code: code.into(),
                    number,
                    kind,
                    issue_date: date,
                    due_date: None,
                    amount_cents: cents,
                    currency,
                    label,
                    letter,
                });
            } else {
                let method = col
                    .mode_rglt
                    .map(|i| f[i].trim())
                    .filter(|m| !m.is_empty())
                    .unwrap_or(journal_lib);
                plan.payments.push(PlannedPayment {
                    line: cl.line,
                    source_key,
                    client_code: code.into(),
                    date,
                    amount_cents: -cents,
                    currency,
                    method: method.chars().take(40).collect(),
                    reference: if label.is_empty() {
                        super::Text::from(piece_ref.as_ref())
                    } else {
                        label
                    }
                    .chars()
                    .take(120)
                    .collect(),
                    letter,
                });
            }
        }
    }
    plan.issues = issues;
    disambiguate_numbers(&mut plan.items);
    plan.clients = client_order
        .into_iter()
        .filter_map(|c| clients.remove(&c))
        .collect();
    if plan.issues.is_empty() && plan.items.is_empty() && plan.payments.is_empty() {
        plan.issues.push(ImportIssue::file(
            "aucune ligne de compte client (411…) dans ce FEC",
        ));
    }
}

/// A customer line: its number and its text.
struct CustomerLine<'a> {
    line: usize,
    raw: &'a str,
}

/// What the first pass over (part of) a file found.
struct FirstPass<'a> {
    customer_lines: Vec<CustomerLine<'a>>,
    /// (journal, entry, piece) of entries booking revenue or output VAT, by
    /// a 128-bit fingerprint (two differently seeded hashes): no allocation
    /// per line, and kept once the file is let go.
    revenue: HashSet<u128>,
    issues: Vec<ImportIssue>,
    /// Problems found past the first [`MAX_ISSUES`], counted only.
    issues_beyond: usize,
    /// Number of the last line read.
    last_line: usize,
    /// Runs of consecutive lines of one entry (journal, number) that do not
    /// balance on their own, summed per entry. An entry balances when the
    /// sum of its runs does: a run that balances alone needs no keeping.
    unbalanced: HashMap<(&'a str, &'a str), EntryPart>,
    /// The first and last entry dates (`EcritureDate`), as AAAAMMJJ.
    first_date: Option<u32>,
    last_date: Option<u32>,
}

/// Part of an entry: what its lines debit and credit, and where they are.
#[derive(Clone, Copy, Default)]
struct EntryPart {
    debit: i128,
    credit: i128,
    first_line: usize,
    last_line: usize,
}

/// Checks every line of `text` after line `skip_through` (the header): its
/// width, its amounts and its dates, and the balance of each entry; keeps
/// customer lines, remembers revenue entries.
fn first_pass<'a>(
    text: &'a str,
    skip_through: usize,
    sep: u8,
    width: usize,
    col: &Columns,
    names: &[&str],
) -> FirstPass<'a> {
    let mut pass = FirstPass {
        customer_lines: Vec::with_capacity(text.len() / 400),
        revenue: HashSet::with_capacity(text.len() / 400),
        issues: Vec::new(),
        issues_beyond: 0,
        last_line: 0,
        unbalanced: HashMap::new(),
        first_date: None,
        last_date: None,
    };
    let report = |pass: &mut FirstPass, issue: ImportIssue| {
        if pass.issues.len() < MAX_ISSUES {
            pass.issues.push(issue);
        } else {
            pass.issues_beyond += 1;
        }
    };
    let name = |i: usize| names.get(i).copied().unwrap_or("?");
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    // The run of lines of the entry being read.
    let mut run: Option<((&'a str, &'a str), EntryPart)> = None;
    let close = |pass: &mut FirstPass<'a>, run: Option<((&'a str, &'a str), EntryPart)>| {
        if let Some((key, part)) = run {
            if part.debit != part.credit {
                let kept = pass.unbalanced.entry(key).or_insert(EntryPart {
                    first_line: part.first_line,
                    ..Default::default()
                });
                kept.debit += part.debit;
                kept.credit += part.credit;
                kept.last_line = part.last_line;
            }
        }
    };
    for (number, raw) in text::lines(text) {
        pass.last_line = number;
        if number <= skip_through || raw.trim().is_empty() {
            continue;
        }
        split_fields(raw, sep, &mut fields);
        // A trailing separator is common and harmless.
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        if fields.len() != width {
            report(
                &mut pass,
                ImportIssue::at(
                    number,
                    None,
                    format!("{} colonnes au lieu de {width}", fields.len()),
                ),
            );
            continue;
        }
        // Every date of the line must read, the entry date must be there.
        let entry_date = col.ecriture_date.map(|i| (i, fields[i].trim()));
        match entry_date {
            Some((i, "")) => report(
                &mut pass,
                ImportIssue::at(number, Some(name(i)), "date d'écriture vide"),
            ),
            Some((i, t)) => match compact_date(t) {
                Some(d) => {
                    pass.first_date = Some(pass.first_date.map_or(d, |f| f.min(d)));
                    pass.last_date = Some(pass.last_date.map_or(d, |l| l.max(d)));
                }
                None => report(
                    &mut pass,
                    ImportIssue::at(number, Some(name(i)), bad_date(t)),
                ),
            },
            None => {}
        }
        for i in [Some(col.piece_date), Some(col.date_let), col.valid_date]
            .into_iter()
            .flatten()
        {
            let t = fields[i].trim();
            // Most lines repeat the entry date, read just above.
            let same = entry_date.is_some_and(|(_, e)| e == t);
            if !t.is_empty() && !same && compact_date(t).is_none() {
                report(
                    &mut pass,
                    ImportIssue::at(number, Some(name(i)), bad_date(t)),
                );
            }
        }
        let (debit, credit) = match debit_credit(&fields, col) {
            Ok(dc) => dc,
            Err((i, message)) => {
                report(&mut pass, ImportIssue::at(number, Some(name(i)), message));
                continue;
            }
        };
        let key = (
            fields[col.journal_code].trim(),
            fields[col.ecriture_num].trim(),
        );
        match &mut run {
            Some((k, part)) if *k == key => {
                part.debit += debit as i128;
                part.credit += credit as i128;
                part.last_line = number;
            }
            _ => {
                close(&mut pass, run.take());
                run = Some((
                    key,
                    EntryPart {
                        debit: debit as i128,
                        credit: credit as i128,
                        first_line: number,
                        last_line: number,
                    },
                ));
            }
        }
        let account = fields[col.compte_num].trim();
        if account.starts_with("411") {
            pass.customer_lines.push(CustomerLine { line: number, raw });
        } else if account.starts_with('7') || account.starts_with("4457") {
            pass.revenue.insert(entry_print(&fields, col));
        }
    }
    close(&mut pass, run.take());
    pass
}

/// The entries whose debits and credits differ, each named with its lines.
fn unbalanced_entries(whole: HashMap<(String, String), EntryPart>) -> Vec<ImportIssue> {
    let mut wrong: Vec<_> = whole
        .into_iter()
        .filter(|(_, p)| p.debit != p.credit)
        .collect();
    wrong.sort_by_key(|(_, p)| p.first_line);
    let count = wrong.len();
    let mut issues: Vec<ImportIssue> = wrong
        .into_iter()
        .take(MAX_ISSUES)
        .map(|((journal, number), p)| {
            let cents = |v: i128| {
                crate::money::format_cents_fr(i64::try_from(v).unwrap_or(i64::MAX))
            };
            let lines = if p.first_line == p.last_line {
                format!("ligne {}", p.first_line)
            } else {
                format!("lignes {} à {}", p.first_line, p.last_line)
            };
            ImportIssue::at(
                p.first_line,
                None,
                format!(
                    "l'écriture {journal} {number} n'est pas équilibrée : débit {}, crédit {}, écart {} ({lines})",
                    cents(p.debit),
                    cents(p.credit),
                    cents((p.debit - p.credit).abs())
                ),
            )
        })
        .collect();
    if count > MAX_ISSUES {
        issues.push(ImportIssue::file(format!(
            "… et {} autres écritures déséquilibrées",
            count - MAX_ISSUES
        )));
    }
    issues
}

/// A date as AAAAMMJJ (the FEC's form, read without chrono) or any form
/// [`parse_date`] reads; `None` when it is not a date.
fn compact_date(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        let n = b.iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32);
        let (y, m, d) = (n / 10_000, n / 100 % 100, n % 100);
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
            2 => 28,
            _ => 0,
        };
        return ((1900..=2200).contains(&y) && (1..=days).contains(&d)).then_some(n);
    }
    let date = parse_date(text).ok()?;
    use chrono::Datelike;
    Some(date.year() as u32 * 10_000 + date.month() * 100 + date.day())
}

fn bad_date(text: &str) -> String {
    format!("« {text} » n'est pas une date (AAAAMMJJ)")
}

/// Where to cut a large text in two for reading on two cores: just after a
/// line feed past the middle (and past the header). `None` for a small file.
fn split_point(text: &str, header_end: usize) -> Option<usize> {
    const PARALLEL_FROM: usize = 4 << 20;
    if text.len() < PARALLEL_FROM {
        return None;
    }
    let middle = (text.len() / 2).max(header_end);
    memchr::memchr(b'\n', &text.as_bytes()[middle..]).map(|i| middle + i + 1)
}

/// The fingerprint of a line's entry and piece (journal, entry, piece).
fn entry_print(f: &[&str], col: &Columns) -> u128 {
    let key = (
        f[col.journal_code].trim(),
        f[col.ecriture_num].trim(),
        f[col.piece_ref].trim(),
    );
    let low = foldhash::quality::FixedState::with_seed(0x7E57_0001).hash_one(key);
    let high = foldhash::quality::FixedState::with_seed(0x7E57_0002).hash_one(key);
    (u128::from(high) << 64) | u128::from(low)
}

fn is_opening_journal(code: &str, lib: &str) -> bool {
    matches!(
        code.to_ascii_uppercase().as_str(),
        "AN" | "ANO" | "RAN" | "OUV"
    ) || lib.to_lowercase().contains("nouveau")
}

/// A piece reference that names an opening entry itself ("AN", "RAN",
/// "A-nouveaux"…) rather than the document it carries forward.
fn names_an_opening(piece_ref: &str) -> bool {
    let upper = piece_ref.to_uppercase();
    let word = upper.split([' ', '-', '/', '_']).next().unwrap_or("");
    matches!(word, "AN" | "ANO" | "RAN" | "OUV" | "A") || upper.contains("NOUVEAU")
}

fn collapse_spaces(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    let bytes = trimmed.as_bytes();
    // Tab, a double space or a no-break space (0xC2 0xA0 in UTF-8).
    let untidy = bytes.iter().enumerate().any(|(i, &b)| {
        b == b'\t'
            || (b == b' ' && bytes.get(i + 1) == Some(&b' '))
            || (b == 0xC2 && bytes.get(i + 1) == Some(&0xA0))
    });
    if !untidy {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Debit − credit in cents, or the faulty column and why.
fn amount_of(f: &[&str], col: &Columns) -> Result<i64, (usize, String)> {
    let (debit, credit) = debit_credit(f, col)?;
    Ok(debit - credit)
}

/// The line's debit and credit in cents (one of them zero with
/// `Montant`/`Sens`), or the faulty column and why.
fn debit_credit(f: &[&str], col: &Columns) -> Result<(i64, i64), (usize, String)> {
    let read = |i: usize| -> Result<i64, (usize, String)> {
        let t = f[i].trim();
        if t.is_empty() {
            return Ok(0);
        }
        // Capped at money::MAX_CENTS: sums of a million lines stay exact.
        parse_amount(t).map_err(|m| (i, m))
    };
    if let (Some(d), Some(c)) = (col.debit, col.credit) {
        return Ok((read(d)?, read(c)?));
    }
    let (m, s) = (
        col.montant.unwrap_or_default(),
        col.sens.unwrap_or_default(),
    );
    let amount = read(m)?;
    match f[s].trim().to_lowercase().as_str() {
        "d" | "débit" | "debit" | "+1" | "1" => Ok((amount, 0)),
        "c" | "crédit" | "credit" | "-1" => Ok((0, amount)),
        other => Err((s, format!("« {other} » : le sens doit être D ou C"))),
    }
}

/// Piece references repeat across customers (opening entries "RAN") and
/// journals: an invoice number must be unique, so repeated ones name their client.
fn disambiguate_numbers(items: &mut [PlannedItem]) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for item in items.iter() {
        *count.entry(item.number.as_str()).or_default() += 1;
    }
    let repeated: HashSet<String> = count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k.to_string())
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in items.iter_mut() {
        if repeated.contains(item.number.as_str()) {
            let base = format!(
                "{} ({} {})",
                item.number,
                item.client_code,
                item.issue_date.format("%d/%m/%Y")
            );
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            item.number = if *n == 1 {
                base.into()
            } else {
                compact_str::format_compact!("{base} #{n}")
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan as text, to compare two readings of a file.
    fn seen(plan: &ImportPlan) -> String {
        serde_json::to_string(plan).unwrap()
    }

    fn in_parts(bytes: &[u8], part_bytes: usize) -> ImportPlan {
        parse_in_parts("f.txt", std::io::Cursor::new(bytes), part_bytes)
    }

    #[test]
    fn a_file_read_in_small_parts_gives_the_plan_of_one_read_whole() {
        let text = crate::demo::synthetic_fec(3_000, 40);
        // With a BOM and CRLF line ends, as some exports have them.
        let crlf = format!("\u{FEFF}{}", text.replace('\n', "\r\n"));
        for file in [text.as_bytes(), crlf.as_bytes()] {
            let whole = in_parts(file, file.len() + 1);
            assert!(whole.issues.is_empty(), "{:?}", whole.issues);
            assert!(whole.items.len() > 500);
            for part_bytes in [64, 997, 4096, 65_536] {
                assert_eq!(
                    seen(&in_parts(file, part_bytes)),
                    seen(&whole),
                    "{part_bytes}"
                );
            }
        }
    }

    #[test]
    fn an_entry_across_parts_is_summed_and_errors_keep_their_line_numbers() {
        let text = crate::demo::synthetic_fec(2_000, 30);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Line 1500 of the file: its amount becomes 1 cent; line 1700 gets
        // a date that is no date.
        let fields = |l: &String| l.split('\t').map(str::to_string).collect::<Vec<_>>();
        let header = fields(&lines[0]);
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let mut f = fields(&lines[1499]);
        let debit = at("Debit");
        let credit = at("Credit");
        let side = if f[debit].trim() == "0,00" {
            credit
        } else {
            debit
        };
        assert_ne!(f[side].trim(), "0,01");
        f[side] = "0,01".into();
        lines[1499] = f.join("\t");
        let mut f = fields(&lines[1699]);
        f[at("PieceDate")] = "20251399".into();
        lines[1699] = f.join("\t");
        let broken = lines.join("\n");
        let whole = in_parts(broken.as_bytes(), broken.len() + 1);
        assert_eq!(whole.issues.len(), 1, "{:?}", whole.issues);
        assert_eq!(whole.issues[0].line, 1700);
        for part_bytes in [100, 5_000, 50_000] {
            assert_eq!(seen(&in_parts(broken.as_bytes(), part_bytes)), seen(&whole));
        }
        // Without the bad date, the unbalanced entry is named with its line.
        lines[1699] = text.lines().nth(1699).unwrap().to_string();
        let unbalanced = lines.join("\n");
        let whole = in_parts(unbalanced.as_bytes(), unbalanced.len() + 1);
        assert_eq!(whole.issues.len(), 1, "{:?}", whole.issues);
        assert!(whole.issues[0].to_string().contains("n'est pas équilibrée"));
        assert!(whole.issues[0].line <= 1500);
        for part_bytes in [100, 5_000, 50_000] {
            assert_eq!(
                seen(&in_parts(unbalanced.as_bytes(), part_bytes)),
                seen(&whole)
            );
        }
    }

    #[test]
    fn a_latin9_file_is_read_as_such_wherever_its_first_accent_falls() {
        let text = crate::demo::synthetic_fec(2_000, 30);
        let cut = text.len() * 3 / 4;
        let cut = text[cut..].find('\n').unwrap() + cut + 1;
        // A customer met only there, with an accent in its name.
        let tail = text[cut..].replace("\tC00007\tClient 7\t", "\tC99999\tCliént Z\t");
        assert_ne!(tail, text[cut..]);
        // ASCII up to the last quarter; then a start that reads as UTF-8
        // (ISO-8859-15 "Ã©" is the bytes of UTF-8 "é") and must be read again.
        let late = format!("{}{tail}", text[..cut].replace("collectée", "collectee"));
        let early = format!(
            "{}{tail}",
            text[..cut]
                .replace("collectée", "collectÃ©e")
                .replace("\tC00003\tClient 3\t", "\tC99998\tCliÃ©nt Y\t")
        );
        for utf8 in [late, early] {
            let latin = encoding_rs::ISO_8859_15.encode(&utf8).0.into_owned();
            assert!(std::str::from_utf8(&latin).is_err());
            let whole = in_parts(&latin, latin.len() + 1);
            assert!(whole.issues.is_empty(), "{:?}", whole.issues);
            assert_eq!(whole.encoding, "ISO-8859-15");
            assert!(whole.clients.iter().any(|c| c.name == "Cliént Z"));
            assert!(whole.clients.iter().all(|c| c.name != "Cliént Y"));
            for part_bytes in [128, 10_000] {
                assert_eq!(
                    seen(&in_parts(&latin, part_bytes)),
                    seen(&whole),
                    "{part_bytes}"
                );
            }
        }
    }

    #[test]
    fn a_file_growing_past_the_limit_or_failing_to_read_is_an_issue() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disque illisible"))
            }
        }
        impl Seek for Failing {
            fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
                Ok(0)
            }
        }
        let plan = parse_from("f.txt", Failing);
        assert_eq!(plan.issues.len(), 1);
        assert!(plan.issues[0].to_string().contains("disque illisible"));
        assert!(plan.items.is_empty());
    }
}

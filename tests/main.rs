//! Scenario tests of the Encaisse core, compiled as one binary.
//!
//! Table of contents:
//! - `architecture` — the domains depend on one another bottom up; the pure rules read no SQL
//! - `bank`       — bank statements (CAMT.053, OFX, CFONB 120): read, kept once, matched with reasons, confirmed or set aside
//! - `store`      — opening a ledger: migrations, WAL, STRICT tables, newer ledgers refused untouched
//! - `import_fec` — the FEC fixtures and every variant (encodings, separators, line endings, Montant/Sens)
//! - `import_csv` — spreadsheet exports, column mapping, the Encaisse CSV layout
//! - `books_over_time` — successive FEC files in any order: openings reconciled, whole-file checks, what changed, freshness
//! - `bad_input`  — each malformed file gives a located error and writes nothing
//! - `matching`   — payments, partial payments, undo as a reversing fact, auto-match, "marquer payée"
//! - `properties` — property tests for money and allocation
//! - `aging`      — the aged balance: buckets, bounds, any "as of" date, CSV and PDF exports
//! - `invoice_list` — the invoice list against the SQL it replaced, for every filter, sort and page
//! - `charges`    — late-payment interest and indemnities (FR B2B/B2C, DE, UK), prescription
//! - `engine`     — the reminder work list: catch-up, grouping, levels, holds
//! - `reminders`  — the follow-up in the ledger: levels, promises, disputes, pauses, scenarios
//! - `einvoice`   — Factur-X, CII and UBL read; the seller checked, the buyer found or created, nothing doubled
//! - `documents`  — templates, letters for window envelopes, the zip of letters
//! - `pay_by_scanning` — the transfer QR code of each letter read back from the page; its reference matched on the statement
//! - `mail`       — reminder e-mails and the outbox against a real SMTP server: faults, crashes, injection
//! - `proof`      — the evidence log and its chain, tampering found, litigation file, hand-over, backups
//! - `demo`       — the demonstration ledger
//! - `fuzz`       — every parser and renderer fed mutated inputs: no panic

// Amounts in cents are written `1_000_00` (units, then cents) on purpose.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

mod aging;
mod architecture;
mod bad_input;
mod bank;
mod books_over_time;
mod charges;
mod demo;
mod documents;
mod einvoice;
mod engine;
mod fuzz;
mod import_csv;
mod import_fec;
mod invoice_list;
mod mail;
mod matching;
mod pay_by_scanning;
mod proof;
mod properties;
mod reminders;
mod store;

//! # Encaisse core
//!
//! The ledger of what customers owe, and everything derived from it: imports
//! (CSV, FEC), matching of payments to invoices (lettrage), the aged balance
//! and the dashboard figures, the reminder engine, the letters and e-mails
//! it writes, and the outbox that sends them. The core knows nothing of the desktop shell: the
//! Tauri commands and the `encaisse-cli` binary are thin layers over it.
//!
//! Business rules are pure functions of stored facts and a date passed in;
//! nothing here reads the clock to decide what is due.
//!
//! ```
//! use encaisse::{demo, Ledger};
//! let mut ledger = Ledger::open_in_memory().unwrap();
//! let today = "2026-11-22".parse().unwrap();
//! demo::populate(&mut ledger, today).unwrap();
//! let aging = ledger.aged_balance(today, &Default::default()).unwrap();
//! println!("encours : {}", aging.totals[0].total.format_fr());
//! ```

// Amounts in cents are written `1_500_00` (euros, then cents) on purpose.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod aging;
pub mod backup;
pub mod charges;
pub mod dashboard;
pub mod dates;
pub mod demo;
pub mod documents;
pub mod dossiers;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod handover;
pub mod import;
mod invoice_list;
pub mod ledger;
pub mod litigation;
pub mod mail;
pub mod model;
pub mod money;
mod parallel;
pub mod paths;
pub mod pdf;
pub mod rates_file;
pub mod reliability;
pub mod reminders;
pub mod secrets;
pub mod smtp;
pub mod spreadsheet;
pub mod store;
pub mod synthetic;
mod tally;
pub mod words;

pub use error::{Error, Result};
pub use store::Ledger;

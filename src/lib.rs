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

// The domains. Bottom up they are books, bank, einvoice, follow_up, documents,
// sending, proof, reports, dossiers, demo: each uses only those before it
// (ARCHITECTURE.md; `tests/architecture.rs` checks the arrows).
pub mod bank;
pub mod books;
pub mod demo;
pub mod documents;
pub mod dossiers;
pub mod einvoice;
pub mod follow_up;
pub mod proof;
pub mod reports;
pub mod sending;

// Each module is also named at the root, as the shell, the command line
// and the tests have always named it (`encaisse::money`).
pub use books::{
    dates, error, evidence, import, ledger, model, money, paths, spreadsheet, store, words, writers,
};
pub(crate) use books::{parallel, tally};
pub use demo::synthetic;
pub use documents::pdf;
pub use follow_up::{charges, engine, handover, rates_file, reliability, reminders};
pub use proof::{backup, litigation};
pub use reports::{aging, dashboard};
pub use sending::{mail, secrets, smtp};

pub use error::{Error, Result};
pub use store::Ledger;

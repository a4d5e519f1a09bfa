//! # Follow-up: who is reminded, when, how firmly, and at what cost
//!
//! Depends on [`books`](crate::books) only. It owns:
//! - the reminder engine ([`engine`]): the day's work as a pure function of
//!   the facts and a date, no SQL;
//! - the late-payment charges ([`charges`]: interest and the fixed
//!   indemnity, pure rules; the saved rate tables) and their rate files
//!   ([`rates_file`]);
//! - the follow-up facts ([`reminders`]): communications, promises,
//!   disputes, pauses, scenarios, and the work list read from the ledger;
//! - how reliably a client pays and its timeline ([`reliability`]);
//! - the hand-over to a collection agency ([`handover`]).
//!
//! Its tables: `reminder`, `promise`, `dispute`, `pause`, `scenario`,
//! `handover`, and the rate tables in `setting`.

mod charge_terms;
pub mod charges;
pub mod engine;
pub mod handover;
pub mod rates_file;
pub mod reliability;
pub mod reminders;

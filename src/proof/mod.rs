//! # Proof: what survives and what convinces
//!
//! Depends on [`books`](crate::books), [`follow_up`](crate::follow_up) and
//! [`documents`](crate::documents). It owns:
//! - backups and restores ([`backup`]): checked copies of the ledger, a
//!   restore that never causes a send;
//! - the litigation file ([`litigation`]): everything a collection agency
//!   or a court needs about one client, in one zip, with the evidence
//!   log's head printed on it.
//!
//! The evidence log itself is written by every layer, so it lives in
//! [`books::evidence`](crate::books::evidence).

pub mod backup;
pub mod litigation;

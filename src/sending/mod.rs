//! # Sending: e-mail, safely
//!
//! Depends on [`books`](crate::books), [`follow_up`](crate::follow_up) and
//! [`documents`](crate::documents). It owns:
//! - the SMTP connection and its failures explained ([`smtp`]);
//! - the reminder e-mails, the SMTP settings and the outbox that sends each
//!   message once, across crashes and restores ([`mail`]);
//! - where the SMTP password is kept, never in the ledger ([`secrets`]).
//!
//! Its tables: `outbox`, `outbox_invoice`.

pub mod mail;
pub mod secrets;
pub mod smtp;

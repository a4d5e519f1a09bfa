//! # Documents: what the debtor receives
//!
//! Depends on [`books`](crate::books), [`bank`](crate::bank) (the
//! transfer reference), [`einvoice`](crate::einvoice) (an XML invoice
//! shown as a page) and [`follow_up`](crate::follow_up).
//! It owns:
//! - the templates filled with the facts of one communication, laid out as
//!   an A4 letter for a window envelope, zipped or merged for printing
//!   (`letters`, re-exported here);
//! - the templates the user edited and the facts of each letter, read from
//!   the ledger, with the checks that refuse a letter that would say
//!   something false or could not be delivered (`facts`);
//! - the PDF writer with its embedded font ([`pdf`]);
//! - the page shown for an e-invoice that came as XML alone
//!   (`einvoice_pdf`);
//! - the SEPA transfer QR code a letter asking for payment carries
//!   ([`girocode`]);
//! - recording a letter produced as sent, with its bytes in the evidence
//!   log (`record`).
//!
//! The templates and the layout (address block, page breaks) are pure: the
//! SQL of this domain is in `facts`, `record` and `einvoice_pdf` only.

mod einvoice_pdf;
mod facts;
pub mod girocode;
mod letters;
pub mod pdf;
mod record;

pub use einvoice_pdf::einvoice_pdf;
pub use letters::*;

//! # Reports: what the user reads
//!
//! The top of the business layers: it may read every domain below. It owns:
//! - the aged balance on any date ([`aging`]) and its PDF (`aging_pdf`);
//! - the invoice list with its filters and totals (`invoice_list`);
//! - the dashboard's figures and the problems it names ([`dashboard`]).
//!
//! Reports write nothing but the settings they read back.

pub mod aging;
mod aging_pdf;
pub mod dashboard;
pub(crate) mod invoice_list;

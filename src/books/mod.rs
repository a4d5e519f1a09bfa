//! # The books: what customers owe, as the accounts say it
//!
//! The bottom of the core; it depends on no other domain. It owns:
//! - exact money ([`money`]), dates ([`dates`]) and counted words ([`words`]);
//! - the records ([`model`]) and the error every layer returns ([`error`]);
//! - the ledger file ([`store`]: SQLite, its migrations, its connections),
//!   clients, invoices, payments and their matching ([`ledger`]), and the
//!   sums per row that every scan uses (`tally`);
//! - the imports of the accounts' files ([`import`]: FEC, CSV, the books
//!   over several years);
//! - the evidence log ([`evidence`]): the chained record of every fact
//!   written, which every layer above appends to;
//! - where files live ([`paths`]), how text goes into a spreadsheet
//!   ([`spreadsheet`]), and a safe XML reader for the files of banks and
//!   e-invoices (`xml`: no DTD, no entity but the predefined ones).
//!
//! Each SQL statement on the tables `client`, `invoice`, `payment`,
//! `allocation`, `import`, `carry`, `evidence` and `setting` lives here.

pub mod dates;
pub mod error;
pub mod evidence;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;
pub(crate) mod parallel;
pub mod paths;
pub mod spreadsheet;
pub mod store;
pub(crate) mod tally;
pub mod words;
pub mod writers;
pub(crate) mod xml;

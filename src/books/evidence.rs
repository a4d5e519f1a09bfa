//! The evidence log (G1): an append-only record of every reminder, letter,
//! e-mail, call, promise, dispute, level change, registered-post receipt and
//! hand-over, with the document itself kept by its SHA-256.
//!
//! Each entry is chained to the previous one: its hash covers its own fields
//! and the previous entry's hash. Triggers refuse an edit or a deletion made
//! through SQLite; [`Ledger::verify_evidence`] finds any that was made around
//! them (an edited entry no longer matches its hash, a deleted one leaves a
//! gap in the ids, which SQLite never gives twice).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dates::{Date, IsoDate};
use crate::error::{Error, Result};
use crate::ledger::now_stamp;
use crate::store::Ledger;

/// The hash the first entry is chained to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// A communication made (letter, e-mail, registered letter, call).
    Reminder,
    /// A level set by hand, not a contact.
    Level,
    Promise,
    DisputeOpened,
    DisputeClosed,
    Pause,
    /// Registered post: LRAR number or acknowledgement of receipt.
    Registered,
    /// An e-mail the server refused for good.
    EmailRefused,
    Handover,
    HandoverEnded,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Reminder => "relance",
            EvidenceKind::Level => "niveau",
            EvidenceKind::Promise => "promesse",
            EvidenceKind::DisputeOpened => "litige ouvert",
            EvidenceKind::DisputeClosed => "litige clos",
            EvidenceKind::Pause => "suspension",
            EvidenceKind::Registered => "recommandé",
            EvidenceKind::EmailRefused => "e-mail refusé",
            EvidenceKind::Handover => "transmission au recouvrement",
            EvidenceKind::HandoverEnded => "retour du recouvrement",
        }
    }
}

/// A document kept with an entry.
#[derive(Clone, Debug)]
pub struct Proof<'a> {
    pub name: &'a str,
    pub media_type: &'a str,
    pub bytes: &'a [u8],
}

/// An entry to append.
#[derive(Clone, Debug, Default)]
pub struct NewEvidence<'a> {
    pub date: Option<Date>,
    pub kind: Option<EvidenceKind>,
    pub channel: &'a str,
    pub client_id: Option<i64>,
    pub recipient: String,
    /// (number, amount in cents) of each invoice concerned.
    pub invoices: Vec<(String, i64)>,
    pub amount_cents: Option<i64>,
    pub currency: &'a str,
    pub detail: String,
    pub document: Option<Proof<'a>>,
    /// The SHA-256 of a document kept elsewhere already (an e-mail's outbox copy).
    pub document_sha256: Option<String>,
    pub result: String,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Evidence {
    pub id: i64,
    pub recorded_at: String,
    pub date: Date,
    pub kind: String,
    pub channel: String,
    pub client_id: Option<i64>,
    pub client: String,
    pub recipient: String,
    pub invoices: String,
    pub amount_cents: Option<i64>,
    pub currency: String,
    pub detail: String,
    pub document_sha256: Option<String>,
    pub result: String,
    pub previous_hash: String,
    pub hash: String,
}

/// A problem found in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The entry concerned (the first missing one for a deletion).
    pub id: i64,
    pub message: String,
}

/// What "Vérifier l'intégrité" found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainReport {
    pub entries: usize,
    /// Hash of the last entry: noting it down elsewhere anchors the chain.
    pub head: String,
    pub problems: Vec<ChainProblem>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The hash of an entry: SHA-256 over its fields and the previous hash, each
/// field length-prefixed so that no two entries read the same.
fn entry_hash(e: &Evidence) -> String {
    let mut h = Sha256::new();
    let amount = e.amount_cents.map(|a| a.to_string()).unwrap_or_default();
    let client = e.client_id.map(|a| a.to_string()).unwrap_or_default();
    let date = crate::dates::iso(e.date);
    let id = e.id.to_string();
    for field in [
        id.as_str(),
        e.recorded_at.as_str(),
        date.as_str(),
        e.kind.as_str(),
        e.channel.as_str(),
        client.as_str(),
        e.client.as_str(),
        e.recipient.as_str(),
        e.invoices.as_str(),
        amount.as_str(),
        e.currency.as_str(),
        e.detail.as_str(),
        e.document_sha256.as_deref().unwrap_or(""),
        e.result.as_str(),
        e.previous_hash.as_str(),
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const COLUMNS: &str = "id, recorded_at, date, kind, channel, client_id, client, recipient, invoices, amount, currency, detail, document_sha256, result, previous_hash, hash";

fn read_row(r: &rusqlite::Row) -> rusqlite::Result<Evidence> {
    Ok(Evidence {
        id: r.get(0)?,
        recorded_at: r.get(1)?,
        date: r.get(2)?,
        kind: r.get(3)?,
        channel: r.get(4)?,
        client_id: r.get(5)?,
        client: r.get(6)?,
        recipient: r.get(7)?,
        invoices: r.get(8)?,
        amount_cents: r.get(9)?,
        currency: r.get(10)?,
        detail: r.get(11)?,
        document_sha256: r.get(12)?,
        result: r.get(13)?,
        previous_hash: r.get(14)?,
        hash: r.get(15)?,
    })
}

impl Ledger {
    /// Appends an entry, inside the caller's transaction (the fact it proves
    /// and its entry are written together or not at all). Returns the SHA-256
    /// of its document, if it has one.
    pub(crate) fn log_evidence(&self, new: NewEvidence) -> Result<Option<String>> {
        let conn = &self.conn;
        let kind = new
            .kind
            .ok_or_else(|| Error::invalid("journal de preuve", "nature de l'entrée manquante"))?;
        let date = new
            .date
            .ok_or_else(|| Error::invalid("journal de preuve", "date manquante"))?;
        let client = match new.client_id {
            Some(id) => {
                let c = self.client(id)?;
                format!("{} — {}", c.code, c.name)
            }
            None => String::new(),
        };
        let mut sha = new.document_sha256.clone();
        if let Some(doc) = &new.document {
            let digest = crate::import::sha256_hex(doc.bytes);
            conn.execute(
                "INSERT INTO evidence_document (sha256, name, media_type, bytes) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(sha256) DO NOTHING",
                params![digest, doc.name, doc.media_type, doc.bytes],
            )?;
            sha = Some(digest);
        }
        let previous_hash: String = conn
            .query_row(
                "SELECT hash FROM evidence ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| GENESIS.to_string());
        let next_id: i64 = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'evidence'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0)
            + 1;
        let invoices = new
            .invoices
            .iter()
            .map(|(n, cents)| format!("{n} {}", crate::money::format_cents_fr(*cents)))
            .collect::<Vec<_>>()
            .join("\n");
        let mut entry = Evidence {
            id: next_id,
            recorded_at: now_stamp(),
            date,
            kind: kind.as_str().to_string(),
            channel: new.channel.to_string(),
            client_id: new.client_id,
            client,
            recipient: new.recipient.replace(['\r', '\n'], " "),
            invoices,
            amount_cents: new.amount_cents,
            currency: new.currency.to_string(),
            detail: new.detail,
            document_sha256: sha,
            result: new.result,
            previous_hash,
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry);
        conn.execute(
            &format!("INSERT INTO evidence ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
            params![
                entry.id,
                entry.recorded_at,
                IsoDate::from(entry.date),
                entry.kind,
                entry.channel,
                entry.client_id,
                entry.client,
                entry.recipient,
                entry.invoices,
                entry.amount_cents,
                entry.currency,
                entry.detail,
                entry.document_sha256,
                entry.result,
                entry.previous_hash,
                entry.hash
            ],
        )?;
        Ok(entry.document_sha256)
    }

    /// The entries, oldest first; of one client or all.
    pub fn evidence(&self, client_id: Option<i64>) -> Result<Vec<Evidence>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM evidence WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([client_id], read_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A kept document: (file name, media type, bytes).
    pub fn evidence_document(&self, sha256: &str) -> Result<Option<(String, String, Vec<u8>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name, media_type, bytes FROM evidence_document WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// Walks the chain: every entry must match its hash and follow the one
    /// before it; ids must run without a gap up to the last one SQLite gave.
    pub fn verify_evidence(&self) -> Result<ChainReport> {
        verify_chain(&self.conn)
    }

    /// The head of the chain as a text to keep outside the ledger (an e-mail
    /// to oneself, a printout): a chain rewritten whole from its first entry
    /// passes its own checks, but no longer holds this head.
    pub fn head_receipt(&self, at: chrono::DateTime<chrono::Local>) -> Result<String> {
        let report = self.verify_evidence()?;
        let company = self.company()?.legal_name;
        Ok(format!(
            "Journal de preuve d'Encaisse{} — le {} à {} : {}, empreinte de la dernière :\n{}\n\nGardez ce texte hors du grand livre. « encaisse-cli log verify --head {} » vérifiera plus tard que le journal passe toujours par cette entrée : un journal réécrit en entier n'y passerait plus.\n",
            if company.is_empty() { String::new() } else { format!(" de {company}") },
            at.format("%d/%m/%Y"),
            at.format("%H:%M"),
            crate::words::fr(report.entries as u64, "entrée", "entrées"),
            report.head,
            report.head
        ))
    }

    /// Whether the chain still passes through `head`, a hash kept outside
    /// the ledger (whole, or its first 16 characters as the litigation
    /// file prints them): the entry that carried it is there, unchanged.
    pub fn chain_holds(&self, head: &str) -> Result<bool> {
        let head = head.trim().to_ascii_lowercase();
        if head.len() < 16 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid(
                "empreinte",
                "16 à 64 caractères hexadécimaux, comme « log head » les donne",
            ));
        }
        let report = self.verify_evidence()?;
        if !report.is_intact() {
            return Ok(false);
        }
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM evidence WHERE substr(hash, 1, length(?1)) = ?1",
                [&head],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Runs `f` in a transaction unless the caller already holds one.
    pub(crate) fn atomically<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.conn.is_autocommit() {
            let tx = self.conn.unchecked_transaction()?;
            let out = f()?;
            tx.commit()?;
            Ok(out)
        } else {
            f()
        }
    }
}

/// [`Ledger::verify_evidence`] on any connection (a backup being checked).
pub(crate) fn verify_chain(conn: &rusqlite::Connection) -> Result<ChainReport> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM evidence ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    let mut problems = Vec::new();
    let mut previous = GENESIS.to_string();
    let mut expected_id = 1;
    let mut entries = 0;
    while let Some(r) = rows.next()? {
        let entry = match read_row(r) {
            Ok(e) => e,
            Err(e) => {
                let id: i64 = r.get(0).unwrap_or(expected_id);
                problems.push(ChainProblem {
                    id,
                    message: format!("entrée n° {id} illisible ({e}) : elle a été modifiée"),
                });
                expected_id = id + 1;
                continue;
            }
        };
        entries += 1;
        if entry.id > expected_id {
            problems.push(ChainProblem {
                id: expected_id,
                message: if entry.id == expected_id + 1 {
                    format!("entrée n° {expected_id} supprimée")
                } else {
                    format!("entrées n° {expected_id} à {} supprimées", entry.id - 1)
                },
            });
        } else if entry.previous_hash != previous {
            problems.push(ChainProblem {
                id: entry.id,
                message: format!(
                    "entrée n° {} : ne suit pas l'entrée précédente (chaîne rompue)",
                    entry.id
                ),
            });
        }
        if entry_hash(&entry) != entry.hash {
            problems.push(ChainProblem {
                id: entry.id,
                message: format!(
                    "entrée n° {} du {} ({}) modifiée après son enregistrement",
                    entry.id,
                    crate::dates::format_fr(entry.date),
                    entry.kind
                ),
            });
        }
        previous = entry.hash.clone();
        expected_id = entry.id + 1;
    }
    let last_given: i64 = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'evidence'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if last_given >= expected_id {
        problems.push(ChainProblem {
            id: expected_id,
            message: if last_given == expected_id {
                format!("entrée n° {expected_id} (la dernière) supprimée")
            } else {
                format!("entrées n° {expected_id} à {last_given} (les dernières) supprimées")
            },
        });
    }
    // A kept document must still be the one its entry names.
    let mut docs = conn.prepare("SELECT sha256, bytes FROM evidence_document ORDER BY sha256")?;
    let mut q = docs.query([])?;
    while let Some(r) = q.next()? {
        let sha: String = r.get(0)?;
        let bytes = r.get_ref(1)?.as_blob().unwrap_or(&[]);
        if crate::import::sha256_hex(bytes) != sha {
            problems.push(ChainProblem {
                id: 0,
                message: format!(
                    "document {} modifié après son enregistrement",
                    &sha[..12.min(sha.len())]
                ),
            });
        }
    }
    Ok(ChainReport {
        entries,
        head: previous,
        problems,
    })
}

//! Recording a letter (or a saved e-mail) Encaisse produced as sent: its
//! invoices move to its level, the document goes into the evidence log.

use crate::books::dates::Date;
use crate::books::error::Result;
use crate::books::store::Ledger;
use crate::follow_up::engine::Channel;
use crate::follow_up::reminders::NewReminder;

use super::{LetterFacts, ZipEntry};

impl Ledger {
    /// Records a letter (or a saved e-mail) produced by Encaisse as sent:
    /// its invoices move to its level; the document is kept in the evidence
    /// log with its SHA-256.
    pub fn record_document(
        &mut self,
        facts: &LetterFacts,
        date: Date,
        document: &ZipEntry,
    ) -> Result<i64> {
        let tx = self.conn.unchecked_transaction()?;
        let id = self.insert_document(facts, date, document)?;
        tx.commit()?;
        Ok(id)
    }

    /// [`Ledger::record_document`] inside the caller's transaction.
    pub(crate) fn insert_document(
        &self,
        facts: &LetterFacts,
        date: Date,
        document: &ZipEntry,
    ) -> Result<i64> {
        // An e-mail step for a client without a valid address went by post.
        let channel = match (facts.channel, document.media_type()) {
            (Some(Channel::Email), "application/pdf") | (None, _) => Channel::Letter,
            (Some(channel), _) => channel,
        };
        let result = match (channel, document.media_type()) {
            (_, "message/rfc822") => "fichier .eml enregistré, à envoyer par la messagerie",
            (Channel::Registered, _) => "lettre produite, à envoyer en recommandé",
            _ => "lettre produite, à poster",
        };
        self.insert_reminder_with(
            &NewReminder {
                client_id: facts.client_id,
                step: facts.niveau,
                channel,
                date,
                invoice_ids: facts.invoice_ids.clone(),
                outcome: String::new(),
                note: String::new(),
                manual: false,
            },
            Some(crate::evidence::Proof {
                name: &document.name,
                media_type: document.media_type(),
                bytes: &document.bytes,
            }),
            None,
            result.to_string(),
        )
    }
}

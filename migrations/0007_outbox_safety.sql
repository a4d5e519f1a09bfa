-- Encaisse ledger, schema version 7: an outbox that a restore or a payment
-- cannot make send what it should not. See src/mail.rs.

-- A queued message that waits for the user's decision before it may go
-- (the reason is in last_error): 1 = brought back by a restore (it may have
-- been sent since the backup); 2 = its invoices were paid in part or in full
-- after it was written (its amounts are no longer true: it can only be
-- cancelled).
ALTER TABLE outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1, 2));

-- The sender that moved the message to 'sending': only that sender may mark
-- it sent, so a send in flight during a restore cannot mark a row of the
-- restored ledger.
ALTER TABLE outbox ADD COLUMN claim TEXT;

-- What each invoice still owed when the message was written.
ALTER TABLE outbox_invoice ADD COLUMN open_cents INTEGER;

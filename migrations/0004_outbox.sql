-- Encaisse ledger, schema version 4: the outbox of reminder e-mails.
-- A message is written here, with its exact bytes, before it is sent; its
-- state moves queued -> sending -> sent (or back to queued after a temporary
-- failure, or failed, or cancelled). See src/mail.rs.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    -- The communication (client, level, channel, invoices): one message for
    -- it unless the user asks to send it again.
    idempotency_key TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    step            INTEGER NOT NULL CHECK (step >= 1),
    step_name       TEXT NOT NULL,
    -- The day the communication was prepared for.
    as_of           TEXT,
    envelope_from   TEXT NOT NULL,
    -- Every recipient (to, cc, hidden copy), separated by commas.
    envelope_to     TEXT NOT NULL,
    subject         TEXT NOT NULL,
    -- The RFC 5322 message exactly as it is handed to the server.
    raw             BLOB NOT NULL,
    sha256          TEXT NOT NULL,
    -- SHA-256 of the PDF reminder attached.
    pdf_sha256      TEXT,
    total           INTEGER NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    state           TEXT NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'sent'
                        OR state = 'failed' OR state = 'cancelled'),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- UTC, "2026-12-02T09:30:00Z": not tried again before.
    next_attempt    TEXT NOT NULL,
    -- The server's words on the last failure, or why it was cancelled.
    last_error      TEXT NOT NULL DEFAULT '',
    queued_at       TEXT NOT NULL,
    sent_at         TEXT,
    -- The reminder recorded once the server accepted the message.
    reminder_id     INTEGER REFERENCES reminder(id)
) STRICT;
CREATE UNIQUE INDEX outbox_once ON outbox(idempotency_key)
    WHERE state <> 'cancelled' AND state <> 'failed';
CREATE INDEX outbox_due ON outbox(state, next_attempt);

CREATE TABLE outbox_invoice (
    outbox_id       INTEGER NOT NULL REFERENCES outbox(id),
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    PRIMARY KEY (outbox_id, invoice_id)
) STRICT, WITHOUT ROWID;

-- The evidence log: one row per communication, call, promise, dispute,
-- level change, registered-post receipt and hand-over, chained by SHA-256.
-- AUTOINCREMENT: an id is never given twice, so a deleted entry leaves a gap.
CREATE TABLE evidence (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at     TEXT NOT NULL,
    date            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL DEFAULT '',
    client_id       INTEGER,
    client          TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL DEFAULT '',
    -- "number amount" of each invoice concerned, one per line.
    invoices        TEXT NOT NULL DEFAULT '',
    amount          INTEGER,
    currency        TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    document_sha256 TEXT,
    result          TEXT NOT NULL DEFAULT '',
    previous_hash   TEXT NOT NULL,
    hash            TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_client ON evidence(client_id, id);

-- The documents themselves (PDF letters, e-mails as sent), by their SHA-256.
CREATE TABLE evidence_document (
    sha256          TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    bytes           BLOB NOT NULL
) STRICT;

CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'journal de preuve : une entrée ne se modifie pas'); END;
CREATE TRIGGER evidence_append_only_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'journal de preuve : une entrée ne se supprime pas'); END;
CREATE TRIGGER evidence_document_keep_update BEFORE UPDATE ON evidence_document
BEGIN SELECT RAISE(ABORT, 'journal de preuve : un document conservé ne se modifie pas'); END;
CREATE TRIGGER evidence_document_keep_delete BEFORE DELETE ON evidence_document
BEGIN SELECT RAISE(ABORT, 'journal de preuve : un document conservé ne se supprime pas'); END;

-- Hand-over to a collection agency or a credit insurer (C9).
CREATE TABLE handover (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    agency          TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('agency', 'insurer')),
    handed_on       TEXT NOT NULL,
    fee_terms       TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    -- Open amount handed over, cents, at the day of the hand-over.
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    ended_on        TEXT,
    outcome         TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'recovered', 'returned')),
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX handover_client ON handover(client_id);

CREATE TABLE handover_invoice (
    handover_id     INTEGER NOT NULL REFERENCES handover(id),
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    PRIMARY KEY (handover_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX handover_invoice_invoice ON handover_invoice(invoice_id);

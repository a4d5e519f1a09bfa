-- Encaisse ledger, schema version 11: the document of an invoice as it
-- came (the Factur-X PDF, or the e-invoice's XML), kept with it for the
-- litigation file and the reminders. The same document is kept once.
CREATE TABLE invoice_document (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoice(id),
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    added_at    TEXT NOT NULL,
    UNIQUE (invoice_id, sha256)
) STRICT;

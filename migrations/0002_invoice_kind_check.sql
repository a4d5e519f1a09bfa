-- Encaisse ledger, schema version 2.
-- The invoice kind was checked with `kind IN (…)`, which SQLite evaluates
-- through a temporary index built for every row written: a large import spent
-- a tenth of its time there. Same rule, written as comparisons. SQLite cannot
-- alter a CHECK in place, so the table is rebuilt (foreign keys are checked
-- by the migration runner before the commit).

CREATE TABLE invoice_v2 (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    number          TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'invoice'
                    CHECK (kind = 'invoice' OR kind = 'credit_note' OR kind = 'opening'),
    issue_date      TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    label           TEXT NOT NULL DEFAULT '',
    pdf_path        TEXT,
    source_key      TEXT UNIQUE,
    import_id       INTEGER REFERENCES import(id)
) STRICT;

INSERT INTO invoice_v2 (id, client_id, number, kind, issue_date, due_date, amount, currency, label, pdf_path, source_key, import_id)
    SELECT id, client_id, number, kind, issue_date, due_date, amount, currency, label, pdf_path, source_key, import_id FROM invoice;
DROP TABLE invoice;
ALTER TABLE invoice_v2 RENAME TO invoice;
CREATE INDEX invoice_client ON invoice(client_id);
CREATE INDEX invoice_due ON invoice(due_date);

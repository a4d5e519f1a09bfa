-- Encaisse ledger, schema version 1.
-- Facts are appended; balances and statuses are derived (see src/ledger.rs).
-- Money is stored as integer cents with its ISO currency code, never as floats.

CREATE TABLE company (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    legal_name      TEXT NOT NULL DEFAULT '',
    legal_form      TEXT NOT NULL DEFAULT '',
    capital         TEXT NOT NULL DEFAULT '',
    siren           TEXT NOT NULL DEFAULT '',
    siret           TEXT NOT NULL DEFAULT '',
    rcs_city        TEXT NOT NULL DEFAULT '',
    vat_number      TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    postcode        TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    iban            TEXT NOT NULL DEFAULT '',
    bic             TEXT NOT NULL DEFAULT '',
    signature_name  TEXT NOT NULL DEFAULT '',
    logo            BLOB
) STRICT;

CREATE TABLE client (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    contact         TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    email_cc        TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    postcode        TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT 'FR',
    language        TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    kind            TEXT NOT NULL DEFAULT 'b2b' CHECK (kind IN ('b2b', 'b2c')),
    segment         TEXT NOT NULL DEFAULT 'standard',
    terms_days      INTEGER NOT NULL DEFAULT 30 CHECK (terms_days BETWEEN 0 AND 365),
    payment_days    TEXT NOT NULL DEFAULT '',
    credit_limit    INTEGER,
    notes           TEXT NOT NULL DEFAULT '',
    do_not_remind   INTEGER NOT NULL DEFAULT 0 CHECK (do_not_remind IN (0, 1))
) STRICT;

-- An invoice, a credit note (negative amount) or an opening item from a FEC.
CREATE TABLE invoice (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    number          TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note', 'opening')),
    issue_date      TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    label           TEXT NOT NULL DEFAULT '',
    pdf_path        TEXT,
    source_key      TEXT UNIQUE,
    import_id       INTEGER REFERENCES import(id)
) STRICT;
CREATE INDEX invoice_client ON invoice(client_id);
CREATE INDEX invoice_due ON invoice(due_date);

CREATE TABLE payment (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    date            TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL DEFAULT 'EUR',
    method          TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',
    source_key      TEXT UNIQUE,
    import_id       INTEGER REFERENCES import(id)
) STRICT;
CREATE INDEX payment_client ON payment(client_id);

-- Matching (lettrage): a payment or a credit note settles part of an invoice.
-- Undoing is a reversing row (negative amount pointing at the row it reverses).
CREATE TABLE allocation (
    id              INTEGER PRIMARY KEY,
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    payment_id      INTEGER REFERENCES payment(id),
    credit_note_id  INTEGER REFERENCES invoice(id),
    amount          INTEGER NOT NULL CHECK (amount <> 0),
    date            TEXT NOT NULL,
    reverses        INTEGER REFERENCES allocation(id),
    created_at      TEXT NOT NULL,
    CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL)),
    CHECK ((amount > 0) = (reverses IS NULL))
) STRICT;
CREATE INDEX allocation_invoice ON allocation(invoice_id);
CREATE INDEX allocation_payment ON allocation(payment_id);
CREATE INDEX allocation_credit ON allocation(credit_note_id);
CREATE UNIQUE INDEX allocation_reversed_once ON allocation(reverses) WHERE reverses IS NOT NULL;

CREATE TABLE import (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    imported_at     TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE setting (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
) STRICT;

INSERT INTO company (id) VALUES (1);

-- Encaisse ledger, schema version 3: the follow-up of what is owed.
-- Facts only; levels, broken promises and pauses in force are derived
-- (src/reminders.rs).

-- A communication with a client (call, e-mail, letter…), made in Encaisse or
-- recorded as made outside it, or a level set by hand (`manual`).
CREATE TABLE reminder (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    -- The step reached in the client's scenario, from 1.
    step            INTEGER NOT NULL CHECK (step >= 1),
    step_name       TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel = 'call' OR channel = 'email' OR channel = 'letter'
                        OR channel = 'email_and_letter' OR channel = 'registered' OR channel = 'collection'),
    date            TEXT NOT NULL,
    currency        TEXT NOT NULL DEFAULT 'EUR',
    total           INTEGER NOT NULL DEFAULT 0,
    -- Outcome of a call (reached, no answer, promise, dispute…) and a note.
    outcome         TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    manual          INTEGER NOT NULL DEFAULT 0 CHECK (manual = 0 OR manual = 1),
    -- SHA-256 of the letter or e-mail sent, when Encaisse produced it.
    document_sha256 TEXT,
    -- Registered post: the LRAR number and the day the receipt came back.
    lrar_number     TEXT,
    acknowledged_on TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX reminder_client ON reminder(client_id, date);

-- The invoices a communication was about.
CREATE TABLE reminder_invoice (
    reminder_id     INTEGER NOT NULL REFERENCES reminder(id),
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    PRIMARY KEY (reminder_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX reminder_invoice_invoice ON reminder_invoice(invoice_id);

-- A promise to pay `amount` by `due`. Kept or broken is derived from payments.
CREATE TABLE promise (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES client(id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL DEFAULT 'EUR',
    made_on         TEXT NOT NULL,
    due             TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    cancelled_on    TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX promise_client ON promise(client_id);

-- A dispute on an invoice: the whole of it (amount NULL) or an amount.
CREATE TABLE dispute (
    id              INTEGER PRIMARY KEY,
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    amount          INTEGER CHECK (amount IS NULL OR amount > 0),
    reason          TEXT NOT NULL,
    opened_on       TEXT NOT NULL,
    closed_on       TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX dispute_invoice ON dispute(invoice_id);

-- Reminders held until a day (inclusive): one invoice, one client, or all.
CREATE TABLE pause (
    id              INTEGER PRIMARY KEY,
    invoice_id      INTEGER REFERENCES invoice(id),
    client_id       INTEGER REFERENCES client(id),
    until           TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    CHECK (invoice_id IS NULL OR client_id IS NULL)
) STRICT;

-- The reliability score set by hand for a client (B3), replacing the
-- computed one until removed.
CREATE TABLE client_score (
    client_id       INTEGER PRIMARY KEY REFERENCES client(id),
    score           INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    note            TEXT NOT NULL DEFAULT '',
    set_on          TEXT NOT NULL
) STRICT;

-- Late-payment charges waived, or a contractual rate agreed, for a client or
-- one invoice (D4). The invoice's terms replace its client's.
CREATE TABLE charge_terms (
    id                  INTEGER PRIMARY KEY,
    client_id           INTEGER REFERENCES client(id),
    invoice_id          INTEGER REFERENCES invoice(id),
    waive_interest      INTEGER NOT NULL DEFAULT 0 CHECK (waive_interest = 0 OR waive_interest = 1),
    waive_indemnity     INTEGER NOT NULL DEFAULT 0 CHECK (waive_indemnity = 0 OR waive_indemnity = 1),
    -- Annual percent as decimal text ("12.5"); NULL = the legal rate.
    contractual_percent TEXT,
    CHECK ((client_id IS NULL) <> (invoice_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX charge_terms_client ON charge_terms(client_id) WHERE client_id IS NOT NULL;
CREATE UNIQUE INDEX charge_terms_invoice ON charge_terms(invoice_id) WHERE invoice_id IS NOT NULL;

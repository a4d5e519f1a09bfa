-- Encaisse ledger, schema version 10: the credit lines of the bank
-- statements, candidate payments until the user confirms them (a payment
-- then records them) or sets them aside. A line is kept once, however many
-- statements hold it (source_key).
CREATE TABLE bank_line (
    id          INTEGER PRIMARY KEY,
    source_key  TEXT NOT NULL UNIQUE,
    account     TEXT NOT NULL,
    date        TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL DEFAULT 'EUR',
    payer       TEXT NOT NULL DEFAULT '',
    remittance  TEXT NOT NULL DEFAULT '',
    bank_ref    TEXT NOT NULL DEFAULT '',
    file_name   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'set_aside')),
    payment_id  INTEGER REFERENCES payment(id),
    CHECK ((state = 'confirmed') = (payment_id IS NOT NULL))
) STRICT;
CREATE INDEX bank_line_pending ON bank_line(state, date);

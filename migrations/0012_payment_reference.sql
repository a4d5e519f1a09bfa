-- Encaisse ledger, schema version 12: the structured creditor reference
-- (ISO 11649, "RF…") of each communication sent, with the invoices it asked
-- payment for. A bank statement line naming the reference is placed on
-- exactly those invoices. The reference is a function of the client and of
-- the set of invoices: the same set sent twice keeps one row.
CREATE TABLE payment_reference (
    reference   TEXT PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES client(id),
    -- The invoice ids, sorted, separated by commas.
    invoice_ids TEXT NOT NULL
) STRICT;
CREATE INDEX payment_reference_client ON payment_reference(client_id);

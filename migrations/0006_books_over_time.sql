-- Encaisse ledger, schema version 6: the books over time (successive FEC
-- imports of the same company, src/import/books.rs).

-- The period a FEC covers (its first and last entry dates) and, for a file
-- older than one already imported for the same period, the newer import.
ALTER TABLE import ADD COLUMN period_start TEXT;
ALTER TABLE import ADD COLUMN period_end TEXT;
ALTER TABLE import ADD COLUMN superseded_by INTEGER REFERENCES import(id);

-- A row the newest books no longer hold (an opening item replaced by the
-- items it carried forward, a line removed from a later file of the same
-- period) is withdrawn by that import: kept for its history, out of every
-- balance.
ALTER TABLE invoice ADD COLUMN withdrawn_by INTEGER REFERENCES import(id);
ALTER TABLE payment ADD COLUMN withdrawn_by INTEGER REFERENCES import(id);

-- The import whose lettering made an allocation (NULL: made by hand or by
-- auto-match). A later file of the same period may undo it (délettrage).
ALTER TABLE allocation ADD COLUMN import_id INTEGER REFERENCES import(id);

-- An opening line of a FEC ("à-nouveau") that carries forward items already
-- in the ledger: it is not written as an item of its own, and payments
-- lettered against it settle the items it carries.
CREATE TABLE carry (
    source_key      TEXT NOT NULL,
    invoice_id      INTEGER NOT NULL REFERENCES invoice(id),
    import_id       INTEGER NOT NULL REFERENCES import(id),
    PRIMARY KEY (source_key, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX carry_invoice ON carry(invoice_id);

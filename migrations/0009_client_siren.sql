-- Encaisse ledger, schema version 9: the client's SIREN or SIRET, as a
-- client list or an invoice export brings it (a formal notice and an
-- injonction de payer name the debtor by it).
ALTER TABLE client ADD COLUMN siren TEXT NOT NULL DEFAULT '';

-- Encaisse ledger, schema version 8: a way to be paid other than a transfer
-- to the IBAN (a cheque to an order, a payment link), printed on the letters
-- that ask for payment. See src/model.rs (Company::missing_mentions).
ALTER TABLE company ADD COLUMN payment_other TEXT NOT NULL DEFAULT '';

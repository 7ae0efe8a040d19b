-- Fewer index writes on the path every order takes (issue 5, the orders
-- benchmark). Each index costs a write for every row; these did not pay:
-- - stock_ledger_sku (sku_id, at): every read by SKU uses (sku_id, id),
--   and ids are time-ordered;
-- - stock_ledger_receipt indexed reservation and release rows too, which
--   carry no receipt; it now holds only rows that name a batch.

DROP INDEX stock_ledger_sku;
DROP INDEX stock_ledger_receipt;
CREATE INDEX stock_ledger_receipt ON stock_ledger (receipt_id, order_id) WHERE receipt_id IS NOT NULL;

-- Inventory (GB/T 31524 §6.4): why and when a batch was frozen (R-6.4-12),
-- the index a recall trace reads (batch → orders, R-6.4-3, R-10.4-15), the
-- indexes of the inventory lists (newest first by id), and an append-only
-- stock ledger (R-6.4-6).

ALTER TABLE stock_batches ADD COLUMN frozen_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE stock_batches ADD COLUMN frozen_at TIMESTAMPTZ;

CREATE INDEX stock_ledger_receipt ON stock_ledger (receipt_id, order_id);
CREATE INDEX stock_ledger_sku_id ON stock_ledger (sku_id, id);
CREATE INDEX suppliers_org_id ON suppliers (organization_id, id);
CREATE INDEX stock_receipts_org_id ON stock_receipts (organization_id, id);
CREATE INDEX stock_counts_org_id ON stock_counts (organization_id, id);

CREATE FUNCTION stock_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_ledger is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER stock_ledger_no_update BEFORE UPDATE OR DELETE ON stock_ledger
    FOR EACH ROW EXECUTE FUNCTION stock_ledger_immutable();
CREATE TRIGGER stock_ledger_no_truncate BEFORE TRUNCATE ON stock_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION stock_ledger_immutable();

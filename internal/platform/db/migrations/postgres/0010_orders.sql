-- Checkout and orders (GB/T 31524 §6.6, §5.5; E-commerce Law arts. 31, 49):
-- carts, checkout quotes, orders with their e-contract snapshots, order
-- lines, and the status history. Orders, lines and history are kept at
-- least 3 years after completion: nothing in gbmall deletes them, and the
-- triggers below refuse it (R-5.3-1, ECL 31).

CREATE TABLE cart_items (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    sku_id     TEXT NOT NULL REFERENCES skus (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, sku_id)
);

-- A quote is the confirmation page the consumer saw (R-6.6-1, R-6.6-3):
-- it lives 15 minutes and is used at most once.
CREATE TABLE checkout_quotes (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    body            TEXT NOT NULL,
    address_enc     TEXT NOT NULL,
    terms_version   TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    idempotency_key TEXT,
    answer          TEXT
);
CREATE INDEX checkout_quotes_account ON checkout_quotes (account_id, created_at);
-- POST /orders keeps its Idempotency-Key on the quote it used, with the
-- first answer, in the placing transaction itself.
CREATE INDEX checkout_quotes_key ON checkout_quotes (account_id, idempotency_key);

-- Order numbers come from a sequence: no hot row between concurrent checkouts.
CREATE SEQUENCE order_number_seq;

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    serial           BIGINT NOT NULL UNIQUE,
    checkout_id      TEXT NOT NULL REFERENCES checkout_quotes (id),
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    seller_id        TEXT NOT NULL REFERENCES organizations (id),
    status           TEXT NOT NULL CHECK (status IN ('awaiting_payment','paid','accepted','shipped','delivered','completed','cancelled')),
    currency         TEXT NOT NULL DEFAULT 'CNY',
    items_fen        BIGINT NOT NULL,
    shipping_fen     BIGINT NOT NULL,
    total_fen        BIGINT NOT NULL,
    terms_version    TEXT NOT NULL,
    contract         TEXT NOT NULL,
    contract_sha256  TEXT NOT NULL,
    address_enc      TEXT NOT NULL,
    region_code      TEXT NOT NULL,
    placed_at        TIMESTAMPTZ NOT NULL,
    pay_before       TIMESTAMPTZ NOT NULL,
    paid_at          TIMESTAMPTZ,
    accept_before    TIMESTAMPTZ,
    accepted_at      TIMESTAMPTZ,
    shipped_at       TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    cancel_reason    TEXT NOT NULL DEFAULT '',
    refund_due       BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_seller ON orders (seller_id, status, id);
CREATE INDEX orders_status_id ON orders (status, id);
CREATE INDEX orders_pay_before ON orders (status, pay_before);
CREATE INDEX orders_accept_before ON orders (status, accept_before);
CREATE INDEX orders_checkout ON orders (checkout_id);

CREATE TABLE order_lines (
    order_id        TEXT NOT NULL REFERENCES orders (id),
    line_no         INTEGER NOT NULL,
    sku_id          TEXT NOT NULL REFERENCES skus (id),
    product_id      TEXT NOT NULL REFERENCES products (id),
    product_version INTEGER NOT NULL,
    title           TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    unit_price_fen  BIGINT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    line_fen        BIGINT NOT NULL,
    returnable_7d   BOOLEAN NOT NULL,
    commission_bp   INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON order_lines (sku_id);

-- Every transition with actor and time (R-6.6-9).
CREATE TABLE order_status_history (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    event       TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, at);

CREATE FUNCTION orders_retained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'orders are transaction records kept at least 3 years: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_retained();
CREATE TRIGGER orders_no_truncate BEFORE TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION orders_retained();

CREATE FUNCTION orders_contract_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.contract IS DISTINCT FROM OLD.contract OR NEW.contract_sha256 IS DISTINCT FROM OLD.contract_sha256
       OR NEW.number IS DISTINCT FROM OLD.number OR NEW.account_id IS DISTINCT FROM OLD.account_id
       OR NEW.seller_id IS DISTINCT FROM OLD.seller_id OR NEW.total_fen IS DISTINCT FROM OLD.total_fen
       OR NEW.placed_at IS DISTINCT FROM OLD.placed_at THEN
        RAISE EXCEPTION 'an order''s e-contract record is immutable';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER orders_contract_immutable BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_contract_immutable();

CREATE FUNCTION order_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER order_lines_no_change BEFORE UPDATE OR DELETE ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_records_append_only();
CREATE TRIGGER order_lines_no_truncate BEFORE TRUNCATE ON order_lines
    FOR EACH STATEMENT EXECUTE FUNCTION order_records_append_only();
CREATE TRIGGER order_status_history_no_change BEFORE UPDATE OR DELETE ON order_status_history
    FOR EACH ROW EXECUTE FUNCTION order_records_append_only();
CREATE TRIGGER order_status_history_no_truncate BEFORE TRUNCATE ON order_status_history
    FOR EACH STATEMENT EXECUTE FUNCTION order_records_append_only();

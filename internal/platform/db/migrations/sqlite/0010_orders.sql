-- Checkout and orders (GB/T 31524 §6.6, §5.5; E-commerce Law arts. 31, 49):
-- carts, checkout quotes, orders with their e-contract snapshots, order
-- lines, and the status history. Orders, lines and history are kept at
-- least 3 years after completion: nothing in gbmall deletes them, and the
-- triggers below refuse it (R-5.3-1, ECL 31).

CREATE TABLE cart_items (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    sku_id     TEXT NOT NULL REFERENCES skus (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
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
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    used_at         TIMESTAMP,
    idempotency_key TEXT,
    answer          TEXT
);
CREATE INDEX checkout_quotes_account ON checkout_quotes (account_id, created_at);
-- POST /orders keeps its Idempotency-Key on the quote it used, with the
-- first answer, in the placing transaction itself.
CREATE INDEX checkout_quotes_key ON checkout_quotes (account_id, idempotency_key);

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
    placed_at        TIMESTAMP NOT NULL,
    pay_before       TIMESTAMP NOT NULL,
    paid_at          TIMESTAMP,
    accept_before    TIMESTAMP,
    accepted_at      TIMESTAMP,
    shipped_at       TIMESTAMP,
    delivered_at     TIMESTAMP,
    completed_at     TIMESTAMP,
    cancelled_at     TIMESTAMP,
    cancel_reason    TEXT NOT NULL DEFAULT '',
    refund_due       BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       TIMESTAMP NOT NULL
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
    at          TIMESTAMP NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, at);

CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders
BEGIN
    SELECT RAISE(ABORT, 'orders are transaction records kept at least 3 years: DELETE is not allowed');
END;
CREATE TRIGGER orders_contract_immutable BEFORE UPDATE OF contract, contract_sha256, number, account_id, seller_id, total_fen, placed_at ON orders
BEGIN
    SELECT RAISE(ABORT, 'an order''s e-contract record is immutable');
END;
CREATE TRIGGER order_lines_no_update BEFORE UPDATE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order_lines are immutable');
END;
CREATE TRIGGER order_lines_no_delete BEFORE DELETE ON order_lines
BEGIN
    SELECT RAISE(ABORT, 'order_lines are transaction records: DELETE is not allowed');
END;
CREATE TRIGGER order_status_history_no_update BEFORE UPDATE ON order_status_history
BEGIN
    SELECT RAISE(ABORT, 'order_status_history is append-only');
END;
CREATE TRIGGER order_status_history_no_delete BEFORE DELETE ON order_status_history
BEGIN
    SELECT RAISE(ABORT, 'order_status_history is append-only');
END;

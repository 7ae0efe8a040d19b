-- Payments through licensed payment providers (GB/T 31524 §6.5, §8;
-- ../shared/docs/payment-protocol.md): each provider's channel and keys,
-- payments (one trade each), refunds with their own state machine,
-- settlements to sellers, the signed instructions sent, the nonces of
-- signed notifications (shared by every serve process), incidents, and the
-- daily reconciliation with its exceptions. Money is BIGINT fen. Payment
-- records are kept (R-8.2-7): nothing in gbmall deletes them, and the
-- triggers below refuse it.

-- A provider's API address (R-8.1-1). Its keys are in payment_channel_keys.
CREATE TABLE payment_channels (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    api_base_url    TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- A provider's public keys. valid_until NULL is the current key; a
-- replaced key stays valid 24 hours (rotation without lost notifications).
CREATE TABLE payment_channel_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    key_id          TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    valid_until     TIMESTAMPTZ,
    PRIMARY KEY (organization_id, key_id)
);

-- One payment is one trade with a provider; its id is the out_trade_no.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL REFERENCES orders (id),
    provider_id      TEXT NOT NULL REFERENCES organizations (id),
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    amount_fen       BIGINT NOT NULL CHECK (amount_fen > 0),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending','succeeded','failed','refunded','partially_refunded')),
    refunded_fen     BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    trade_no         TEXT NOT NULL DEFAULT '',
    pay_url          TEXT NOT NULL DEFAULT '',
    expires_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    submitted_at     TIMESTAMPTZ,
    paid_at          TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    close_reason     TEXT NOT NULL DEFAULT '',
    confirmed_by     TEXT NOT NULL DEFAULT '',
    query_count      INTEGER NOT NULL DEFAULT 0,
    next_query_at    TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_order ON payments (order_id, created_at);
CREATE INDEX payments_query ON payments (status, next_query_at);
CREATE INDEX payments_provider ON payments (provider_id, submitted_at);
CREATE INDEX payments_created ON payments (created_at, id);

-- Refunds: processing → succeeded | failed. The id is the out_refund_no;
-- request_key makes asking for the same refund twice a no-op.
CREATE TABLE payment_refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    order_id     TEXT NOT NULL REFERENCES orders (id),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
    reason       TEXT NOT NULL,
    request_key  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('processing','succeeded','failed')),
    refund_no    TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    submitted_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (payment_id, request_key)
);
CREATE INDEX payment_refunds_submitted ON payment_refunds (submitted_at);

-- Settlement to the seller after completion (R-8.1-2): amount is the
-- seller's share, commission the platform's.
CREATE TABLE payment_settlements (
    id             TEXT PRIMARY KEY,
    payment_id     TEXT NOT NULL UNIQUE REFERENCES payments (id),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    seller_id      TEXT NOT NULL REFERENCES organizations (id),
    amount_fen     BIGINT NOT NULL CHECK (amount_fen >= 0),
    commission_fen BIGINT NOT NULL CHECK (commission_fen >= 0),
    status         TEXT NOT NULL CHECK (status IN ('pending','succeeded','failed')),
    settlement_no  TEXT NOT NULL DEFAULT '',
    last_error     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    submitted_at   TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_settlements_seller ON payment_settlements (seller_id, id);
CREATE INDEX payment_settlements_submitted ON payment_settlements (submitted_at);

-- Every instruction sent to a provider, as signed (R-8.2-2); its SHA-256 is
-- in the audit chain too.
CREATE TABLE payment_instructions (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    kind        TEXT NOT NULL,
    out_no      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    body        TEXT NOT NULL,
    signature   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_instructions_out ON payment_instructions (out_no, created_at);

-- Nonces of verified notifications, remembered 10 minutes (R-6.5-3); in
-- the database so every serve process sharing it refuses a replay.
CREATE TABLE payment_nonces (
    nonce      TEXT PRIMARY KEY,
    seen_at    TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_nonces_expiry ON payment_nonces (expires_at);

-- Every refused or mismatching notification (R-6.5-3, R-6.5-4).
CREATE TABLE payment_incidents (
    id           TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    payment_id   TEXT NOT NULL DEFAULT '',
    out_trade_no TEXT NOT NULL DEFAULT '',
    event        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    source_ip    TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_incidents_created ON payment_incidents (created_at, id);

-- Daily reconciliation with each provider's statement (R-8.2-6).
CREATE TABLE reconciliation_reports (
    id                 TEXT PRIMARY KEY,
    provider_id        TEXT NOT NULL REFERENCES organizations (id),
    day                TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('balanced','exceptions','failed')),
    provider_rows      INTEGER NOT NULL DEFAULT 0,
    platform_rows      INTEGER NOT NULL DEFAULT 0,
    matched_rows       INTEGER NOT NULL DEFAULT 0,
    trades_fen         BIGINT NOT NULL DEFAULT 0,
    refunds_fen        BIGINT NOT NULL DEFAULT 0,
    settlements_fen    BIGINT NOT NULL DEFAULT 0,
    exception_count    INTEGER NOT NULL DEFAULT 0,
    error              TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (provider_id, day)
);
CREATE INDEX reconciliation_reports_day ON reconciliation_reports (day, id);

CREATE TABLE reconciliation_exceptions (
    id               TEXT PRIMARY KEY,
    report_id        TEXT NOT NULL REFERENCES reconciliation_reports (id),
    kind             TEXT NOT NULL CHECK (kind IN ('missing_on_platform','missing_at_provider','amount_mismatch','status_mismatch')),
    record_kind      TEXT NOT NULL,
    out_no           TEXT NOT NULL,
    provider_no      TEXT NOT NULL DEFAULT '',
    platform_amount  BIGINT,
    provider_amount  BIGINT,
    platform_status  TEXT NOT NULL DEFAULT '',
    provider_status  TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('open','resolved')),
    note             TEXT NOT NULL DEFAULT '',
    resolved_by      TEXT NOT NULL DEFAULT '',
    resolved_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX reconciliation_exceptions_report ON reconciliation_exceptions (report_id, id);
CREATE INDEX reconciliation_exceptions_status ON reconciliation_exceptions (status, id);

CREATE FUNCTION payment_records_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment records are kept: % on % is not allowed', TG_OP, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payment_records_kept();
CREATE TRIGGER payment_refunds_no_delete BEFORE DELETE ON payment_refunds
    FOR EACH ROW EXECUTE FUNCTION payment_records_kept();
CREATE TRIGGER payment_settlements_no_delete BEFORE DELETE ON payment_settlements
    FOR EACH ROW EXECUTE FUNCTION payment_records_kept();
CREATE TRIGGER payment_instructions_no_change BEFORE UPDATE OR DELETE ON payment_instructions
    FOR EACH ROW EXECUTE FUNCTION payment_records_kept();

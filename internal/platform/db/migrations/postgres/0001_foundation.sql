-- Foundation: identity and access, the audit trail, jobs, idempotency.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('platform','seller','carrier','payment_provider','regulator')),
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'draft',
    require_mfa BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind, status);

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    login_hash          TEXT NOT NULL UNIQUE,
    login_kind          TEXT NOT NULL CHECK (login_kind IN ('email','mobile')),
    login_enc           TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL,
    totp_secret_enc     TEXT,
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_counter   BIGINT NOT NULL DEFAULT 0,
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled','closed')),
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    failed_window_start TIMESTAMPTZ,
    locked_until        TIMESTAMPTZ,
    last_login_at       TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    role            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    created_by      TEXT,
    PRIMARY KEY (organization_id, account_id, role)
);
CREATE INDEX memberships_account ON memberships (account_id);

CREATE TABLE staff_agreements (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    kind         TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_agreements_account ON staff_agreements (account_id);

CREATE TABLE consents (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose    TEXT NOT NULL,
    version    TEXT NOT NULL,
    accepted   BOOLEAN NOT NULL,
    ip         TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX consents_account ON consents (account_id, purpose);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    kind         TEXT NOT NULL CHECK (kind IN ('bearer','cookie')),
    idle_seconds INTEGER NOT NULL,
    csrf_token   TEXT NOT NULL,
    ip           TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    revoke_reason TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_open ON sessions (expires_at) WHERE revoked_at IS NULL;

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    key_prefix      TEXT NOT NULL,
    permissions     TEXT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES accounts (id),
    created_at      TIMESTAMPTZ NOT NULL,
    last_used_at    TIMESTAMPTZ,
    expires_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX api_keys_org ON api_keys (organization_id);

-- The audit trail (§10.4 integrity and traceability). Entries form
-- independent hash chains ("shards"), each a sequence linked by prev_hash;
-- audit_chain_heads holds each chain's tip. See internal/audit.
CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    shard           INTEGER NOT NULL,
    seq             BIGINT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    actor_id        TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    role            TEXT NOT NULL,
    source_ip       TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    action          TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    details         TEXT NOT NULL,
    change_digest   TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    UNIQUE (shard, seq)
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE TABLE audit_chain_heads (
    shard INTEGER PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_chain_heads (shard, seq, hash)
SELECT s, 0, '' FROM generate_series(0, 15) AS s;

CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

CREATE TABLE job_schedule (
    name         TEXT PRIMARY KEY,
    next_run_at  TIMESTAMPTZ NOT NULL,
    last_run_at  TIMESTAMPTZ,
    last_status  TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT '',
    run_count    BIGINT NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ
);

CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

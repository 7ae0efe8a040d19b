-- A version of everything that can end or change a consumer's session
-- after it was opened: its revocation (logout, expiry, a password change,
-- a closed account), the account's status, second factor and name, and
-- memberships (a consumer who joins an organisation is no longer one). A
-- serve process answers a consumer's token from memory only while the
-- version it last read is unchanged and was read less than a moment ago
-- (identity/held.go); opening a session or touching last_seen_at does not
-- raise it.

CREATE TABLE auth_versions (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);

INSERT INTO auth_versions (name, version) VALUES ('sessions', 1);
CREATE TRIGGER sessions_del_auth_version AFTER DELETE ON sessions
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER sessions_upd_auth_version AFTER UPDATE OF revoked_at, account_id, token_hash, expires_at, idle_seconds, kind, csrf_token ON sessions
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER accounts_del_auth_version AFTER DELETE ON accounts
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER accounts_upd_auth_version AFTER UPDATE OF status, totp_enabled, display_name ON accounts
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER memberships_ins_auth_version AFTER INSERT ON memberships
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER memberships_del_auth_version AFTER DELETE ON memberships
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER memberships_upd_auth_version AFTER UPDATE ON memberships
BEGIN UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions'; END;

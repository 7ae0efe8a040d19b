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
    version BIGINT NOT NULL
);

INSERT INTO auth_versions (name, version) VALUES ('sessions', 1);

CREATE FUNCTION bump_sessions_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_versions SET version = version + 1 WHERE name = 'sessions';
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_auth_version AFTER DELETE OR UPDATE OF revoked_at, account_id, token_hash, expires_at, idle_seconds, kind, csrf_token ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();
CREATE TRIGGER accounts_auth_version AFTER DELETE OR UPDATE OF status, totp_enabled, display_name ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();
CREATE TRIGGER memberships_auth_version AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();
CREATE TRIGGER sessions_auth_version_truncate AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();
CREATE TRIGGER accounts_auth_version_truncate AFTER TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();
CREATE TRIGGER memberships_auth_version_truncate AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_sessions_version();

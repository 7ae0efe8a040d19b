package identity_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/id"
)

const testPassword = "Correct-Horse-2026!"

// A consumer's session is answered from memory only while the version of
// everything that can end it was read a moment ago and has not moved; a
// session ended by this process stops at once, one ended elsewhere within
// that moment; staff sessions are always read.
func TestHeldSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
		keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		cfg := identity.DefaultConfig()
		cfg.PasswordParams = credential.TestParams
		ids := identity.NewService(d, clk, keys, audit.New(clk), cfg)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.WritePool().Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		version := func() int64 {
			t.Helper()
			var v int64
			if err := d.WritePool().QueryRow(`SELECT version FROM auth_versions WHERE name = 'sessions'`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		login := func(who string) string {
			t.Helper()
			if _, _, err := ids.EnsureAccount(ctx, who, testPassword, "测试"); err != nil {
				t.Fatal(err)
			}
			r, err := ids.Login(ctx, identity.LoginRequest{Login: who, Password: testPassword, Kind: "bearer", SourceIP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			return r.Token
		}
		auth := func(token string) (*identity.Principal, error) {
			t.Helper()
			return ids.Authenticate(ctx, token)
		}
		moment := func() { clk.Advance(150 * time.Millisecond) }

		v0 := version()
		alice := login("alice@example.cn")
		if version() != v0 {
			t.Fatal("opening a session raised the version")
		}
		if _, err := auth(alice); err != nil || !ids.Held(alice) {
			t.Fatalf("consumer session not held: %v", err)
		}
		moment()
		if ids.Held(alice) {
			t.Fatal("held answer given after the version read went stale")
		}
		if _, err := auth(alice); err != nil || !ids.Held(alice) {
			t.Fatalf("read again: %v", err)
		}

		// Ended by another process: refused once the moment has passed.
		exec(`UPDATE sessions SET revoked_at = $1, revoke_reason = 'elsewhere' WHERE token_hash = $2`, clk.Now(), credential.HashToken(alice))
		moment()
		if _, err := auth(alice); !errors.Is(err, identity.ErrSessionExpired) {
			t.Fatalf("session ended elsewhere: %v", err)
		}

		// Ended here: refused at once.
		bob := login("bob@example.cn")
		p, err := auth(bob)
		if err != nil || !ids.Held(bob) {
			t.Fatalf("bob: %v", err)
		}
		if err := ids.Logout(ctx, p); err != nil {
			t.Fatal(err)
		}
		if ids.Held(bob) {
			t.Fatal("logged-out session still held")
		}
		if _, err := auth(bob); !errors.Is(err, identity.ErrSessionExpired) {
			t.Fatalf("after logout: %v", err)
		}

		// A consumer who joins an organisation is staff after the moment,
		// and staff sessions are never held.
		carol := login("carol@example.cn")
		if _, err := auth(carol); err != nil || !ids.Held(carol) {
			t.Fatalf("carol: %v", err)
		}
		orgID := id.New()
		exec(`INSERT INTO organizations (id, kind, name, status, created_at, updated_at) VALUES ($1, 'platform', '平台运营', 'approved', $2, $2)`, orgID, clk.Now())
		exec(`INSERT INTO memberships (organization_id, account_id, role, created_at) VALUES ($1, (SELECT account_id FROM sessions WHERE token_hash = $2), 'reviewer', $3)`,
			orgID, credential.HashToken(carol), clk.Now())
		moment()
		p, err = auth(carol)
		if err != nil || len(p.Memberships) != 1 || ids.Held(carol) {
			t.Fatalf("carol as staff: %v %+v held=%v", err, p, ids.Held(carol))
		}

		// A role granted by this process shows on the very next request.
		erin := login("erin@example.cn")
		pe, err := auth(erin)
		if err != nil || !ids.Held(erin) {
			t.Fatalf("erin: %v", err)
		}
		if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return ids.GrantRoleTx(ctx, tx, orgID, pe.AccountID, identity.Role("reviewer"), pe.AccountID)
		}); err != nil {
			t.Fatal(err)
		}
		if p, err := auth(erin); err != nil || len(p.Memberships) != 1 {
			t.Fatalf("erin right after the grant: %v %+v", err, p)
		}

		// last_seen_at is still written once a minute, without raising
		// the version.
		dave := login("dave@example.cn")
		if _, err := auth(dave); err != nil {
			t.Fatal(err)
		}
		v1 := version()
		clk.Advance(61 * time.Second)
		if ids.Held(dave) {
			t.Fatal("a session last seen a minute ago answered from memory")
		}
		if _, err := auth(dave); err != nil {
			t.Fatal(err)
		}
		var seen time.Time
		if err := d.WritePool().QueryRow(`SELECT last_seen_at FROM sessions WHERE token_hash = $1`, credential.HashToken(dave)).Scan(&seen); err != nil {
			t.Fatal(err)
		}
		if !seen.Equal(clk.Now()) || version() != v1 {
			t.Fatalf("last seen %v (now %v), version %d → %d", seen, clk.Now(), v1, version())
		}
	})
}

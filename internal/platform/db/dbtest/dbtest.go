// Package dbtest gives storage tests a fresh, migrated database on every
// engine: SQLite always, PostgreSQL when GBMALL_TEST_POSTGRES names a
// server. Each PostgreSQL test gets a schema of its own, so tests run in
// parallel and in isolation.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gbmall/internal/platform/db"
)

// Env is the variable holding the PostgreSQL URL for tests.
const Env = "GBMALL_TEST_POSTGRES"

var skipOnce sync.Once

// PostgresURL returns the test server's URL. Without it, tests skip their
// PostgreSQL half with one clear line — unless CI=true, where a missing or
// unreachable PostgreSQL fails the run (the CI contract).
func PostgresURL(t testing.TB) (string, bool) {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run every storage test on PostgreSQL", Env)
		}
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "dbtest: %s not set; PostgreSQL halves of storage tests are skipped\n", Env)
		})
		return "", false
	}
	return u, true
}

// Each runs fn once on a fresh SQLite database and once on a fresh
// PostgreSQL schema, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		d := Postgres(t)
		if d == nil {
			t.Skip("PostgreSQL not configured (" + Env + ")")
		}
		fn(t, d)
	})
}

// SQLite returns a fresh migrated SQLite database in a temp directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	dir := t.TempDir()
	d, err := db.Open(context.Background(), db.Options{SQLitePath: filepath.Join(dir, "test.db")})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return d
}

// Postgres returns a fresh migrated PostgreSQL schema, or nil when
// PostgreSQL is not configured. An unreachable server fails the test.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	base, ok := PostgresURL(t)
	if !ok {
		return nil
	}
	u, schema := NewSchema(t, base)
	d, err := db.Open(context.Background(), db.Options{URL: u, MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres (%s): %v", Env, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres schema %s: %v", schema, err)
	}
	return d
}

// NewSchema creates an empty schema on the server at base and returns a URL
// whose connections use it; the schema is dropped when the test ends.
func NewSchema(t testing.TB, base string) (string, string) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres unreachable or unusable at %s: %v", Env, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	pu, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String(), schema
}

package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Migrations are forward-only SQL files named NNNN_name.sql, the same
// names in migrations/sqlite and migrations/postgres (a no-op file where an
// engine needs nothing), embedded in the binary. Released files are never
// edited.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// Migration is one embedded migration file.
type Migration struct {
	Version string // the file name without .sql, e.g. "0001_foundation"
	SQL     string
}

// Migrations lists the migrations of a dialect in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction together with its row in schema_migrations, so a migration
// that fails leaves the schema as it was. Several processes may call it at
// once: PostgreSQL serialises them with an advisory lock, SQLite with its
// write lock. It returns the versions it applied.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(d.dialect)
	if err != nil {
		return nil, err
	}
	return d.Apply(ctx, ms)
}

// Apply applies the given migrations in order (Migrate passes the embedded
// ones; tests pass their own).
func (d *DB) Apply(ctx context.Context, ms []Migration) ([]string, error) {
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`
	if d.dialect == Postgres {
		create = `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`
	}
	if err := d.InTx(ctx, func(ctx context.Context, tx *Tx) error {
		if d.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7207201501)`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, create)
		return err
	}); err != nil {
		return nil, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range ms {
		did := false
		err := d.InTx(ctx, func(ctx context.Context, tx *Tx) error {
			if d.dialect == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7207201501)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("db: migration %s: %w", m.Version, err)
		}
		if did {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// Pending lists migrations not yet applied (for /readyz and `gbmall migrate --status`).
func (d *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := Migrations(d.dialect)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	rows, err := d.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return versions(ms), nil // table missing: everything is pending
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if !done[m.Version] {
			out = append(out, m.Version)
		}
	}
	return out, nil
}

func versions(ms []Migration) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Version
	}
	return out
}

package db_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// Both dialects carry the same migrations, by name.
func TestMigrationNamesMatchAcrossDialects(t *testing.T) {
	lite, err := db.Migrations(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, lite[i].Version, pg[i].Version)
		}
	}
}

func columns(t *testing.T, d *db.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if d.Dialect() == db.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := d.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		out[tbl] = append(out[tbl], col)
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// After migrating, both engines expose the same tables and columns, so the
// shared SQL means the same thing on each (R-10.3-6).
func TestSchemasMatchAcrossEngines(t *testing.T) {
	pg := dbtest.Postgres(t)
	if pg == nil {
		t.Skip("PostgreSQL not configured")
	}
	a, b := columns(t, dbtest.SQLite(t)), columns(t, pg)
	for tbl, cols := range a {
		if strings.Join(cols, ",") != strings.Join(b[tbl], ",") {
			t.Errorf("table %s: sqlite %v, postgres %v", tbl, cols, b[tbl])
		}
	}
	for tbl := range b {
		if _, ok := a[tbl]; !ok {
			t.Errorf("table %s only on postgres", tbl)
		}
	}
}

// Migrating twice applies nothing the second time.
func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		applied, err := d.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v (%v)", applied, err)
		}
		pending, err := d.Pending(context.Background())
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after migrate: %v %v", pending, err)
		}
	})
}

// A migration that fails part-way leaves the schema as it was.
func TestFailedMigrationChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bad := db.Migration{Version: "9999_broken", SQL: `CREATE TABLE half_done (id TEXT PRIMARY KEY); INSERT INTO no_such_table VALUES (1);`}
		if _, err := d.Apply(ctx, []db.Migration{bad}); err == nil {
			t.Fatal("broken migration applied")
		}
		var n int
		q := `SELECT count(*) FROM sqlite_master WHERE name = 'half_done'`
		if d.Dialect() == db.Postgres {
			q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'half_done'`
		}
		if err := d.QueryRow(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Fatalf("half-applied migration left a table: %d %v", n, err)
		}
		if err := d.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = '9999_broken'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("broken migration recorded: %d %v", n, err)
		}
	})
}

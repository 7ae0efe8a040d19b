package db_test

import (
	"context"
	"errors"
	"testing"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// A pipeline runs its statements in order in the transaction, answers
// each, and a failing statement rolls the whole transaction back.
func TestPipeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE pipe (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var inserted, updated int64
		var got []string
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.Pipeline(ctx,
				db.Step{SQL: `INSERT INTO pipe (k, n) VALUES ` + db.Values(3, 2, 1), Args: []any{"a", 1, "b", 2, "c", 3},
					Done: func(n int64) error { inserted = n; return nil }},
				db.Step{SQL: `UPDATE pipe SET n = n * 10 WHERE n >= $1`, Args: []any{2}, Done: func(n int64) error { updated = n; return nil }},
				db.Step{SQL: `SELECT k FROM pipe WHERE n > $1 ORDER BY k`, Args: []any{5}, Row: func(scan func(...any) error) error {
					var k string
					if err := scan(&k); err != nil {
						return err
					}
					got = append(got, k)
					return nil
				}})
		})
		if err != nil || inserted != 3 || updated != 2 || len(got) != 2 || got[0] != "b" || got[1] != "c" {
			t.Fatalf("err %v inserted %d updated %d rows %v", err, inserted, updated, got)
		}
		// The second statement fails (duplicate key): the first is undone.
		err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.Pipeline(ctx,
				db.Step{SQL: `INSERT INTO pipe (k, n) VALUES ($1, $2)`, Args: []any{"d", 4}},
				db.Step{SQL: `INSERT INTO pipe (k, n) VALUES ($1, $2)`, Args: []any{"a", 5}},
				db.Step{SQL: `INSERT INTO pipe (k, n) VALUES ($1, $2)`, Args: []any{"e", 6}})
		})
		if err == nil || !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate key in a pipeline: %v", err)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM pipe`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("after the failed pipeline: %d rows (%v)", n, err)
		}
		// A Row callback's error stops the pipeline and the transaction.
		stop := errors.New("stop")
		err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.Pipeline(ctx,
				db.Step{SQL: `DELETE FROM pipe WHERE k = $1`, Args: []any{"a"}},
				db.Step{SQL: `SELECT k FROM pipe`, Row: func(func(...any) error) error { return stop }})
		})
		if !errors.Is(err, stop) {
			t.Fatalf("row error: %v", err)
		}
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM pipe`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("after the stopped pipeline: %d rows (%v)", n, err)
		}
	})
}

func TestValuesAndMarks(t *testing.T) {
	if v := db.Values(2, 3, 4); v != "($4, $5, $6), ($7, $8, $9)" {
		t.Fatalf("Values: %q", v)
	}
	if m := db.Marks(3, 2); m != "$2, $3, $4" {
		t.Fatalf("Marks: %q", m)
	}
}

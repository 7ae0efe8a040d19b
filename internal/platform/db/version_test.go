package db_test

import (
	"context"
	"sync"
	"testing"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// DataVersion changes after every commit, through InTx or not, and on
// SQLite stays put without one; Generation counts InTx commits only.
func TestDataVersionSeesEveryCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE version_probe (n BIGINT NOT NULL)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		v1, err := d.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d.Dialect() == db.SQLite {
			// On PostgreSQL other tests' transactions move the snapshot too.
			if v, err := d.DataVersion(ctx); err != nil || v != v1 {
				t.Fatalf("no write: version %q then %q (%v)", v1, v, err)
			}
		}
		g := d.Generation()
		// A write outside InTx (as another process would make).
		if _, err := d.WritePool().ExecContext(ctx, `INSERT INTO version_probe (n) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		v2, err := d.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v2 == v1 {
			t.Fatalf("version %q unchanged after a commit", v2)
		}
		if d.Generation() != g {
			t.Fatalf("generation moved without InTx")
		}
		if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO version_probe (n) VALUES (2)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if d.Generation() != g+1 {
			t.Fatalf("generation %d after one InTx from %d", d.Generation(), g)
		}
		v3, err := d.DataVersion(ctx)
		if err != nil || v3 == v2 {
			t.Fatalf("version %q after InTx commit, before %q (%v)", v3, v2, err)
		}
		// Concurrent callers share rounds and all get an answer.
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Go(func() {
				if _, err := d.DataVersion(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})
}

// Another process (here another handle on the same SQLite file) is seen.
func TestDataVersionSeesOtherHandleSQLite(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	other, err := db.Open(ctx, db.Options{SQLitePath: d.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	v1, err := d.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE other_probe (n BIGINT)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if v2, err := d.DataVersion(ctx); err != nil || v2 == v1 {
		t.Fatalf("version %q after another handle's commit, before %q (%v)", v2, v1, err)
	}
}

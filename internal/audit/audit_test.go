package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

func record(t *testing.T, d *db.DB, tr *audit.Trail, n int) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{AccountID: "acc-1", Role: "admin", SourceIP: "127.0.0.1", RequestID: "r1"})
	for i := 0; i < n; i++ {
		if err := tr.Record(ctx, d, audit.Event{Action: "test.do", ObjectType: "thing", ObjectID: fmt.Sprint("obj-", i), Details: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainVerifiesAndDetectsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		tr := audit.New(clock.NewFake(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)))
		record(t, d, tr, 40)
		res, err := audit.Verify(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() || res.Entries != 40 {
			t.Fatalf("want 40 good entries, got %+v", res)
		}
		var victim string
		if err := d.QueryRow(ctx, `SELECT id FROM audit_log WHERE seq = 2 ORDER BY shard LIMIT 1`).Scan(&victim); err != nil {
			t.Fatal(err)
		}
		tamper := `UPDATE audit_log SET details = '{"i":999}' WHERE id = $1`
		if d.Dialect() == db.Postgres {
			// The trigger refuses edits: prove it, then do what a rogue DBA would.
			if _, err := d.WritePool().Exec(tamper, victim); err == nil {
				t.Fatal("postgres trigger let an audit row be updated")
			}
			tamper = `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update; ` +
				`UPDATE audit_log SET details = '{"i":999}' WHERE id = '` + victim + `'; ` +
				`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`
			if _, err := d.WritePool().Exec(tamper); err != nil {
				t.Fatal(err)
			}
		} else if _, err := d.WritePool().Exec(tamper, victim); err != nil {
			t.Fatal(err)
		}
		res, err = audit.Verify(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() || res.BadID != victim {
			t.Fatalf("want tampering detected at %s, got %+v", victim, res)
		}
	})
}

func TestRolledBackEntryIsNotKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		tr := audit.New(clock.Real{})
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if err := tr.RecordTx(ctx, tx, audit.Event{Action: "x", ObjectType: "t", ObjectID: "1"}); err != nil {
				return err
			}
			return fmt.Errorf("boom")
		})
		if err == nil {
			t.Fatal("want error")
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rolled-back entry kept: %d rows", n)
		}
	})
}

func TestConcurrentAppendsKeepChainsIntact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		tr := audit.New(clock.Real{})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 15; i++ {
					err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
						// Two objects per transaction, in varying order, to provoke lock-order problems.
						for _, o := range []string{fmt.Sprint(w, "-", i), fmt.Sprint(i, "-", w)} {
							if err := tr.RecordTx(ctx, tx, audit.Event{Action: "c", ObjectType: "o", ObjectID: o}); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		res, err := audit.Verify(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() || res.Entries != 240 {
			t.Fatalf("want 240 good entries, got %+v", res)
		}
	})
}

package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/jobs"
)

type queued struct {
	Status, LastError string
	Attempts          int
	RunAt             time.Time
	LockedBy          *string
}

func enqueue(t *testing.T, d *db.DB, now time.Time, kind string, payload any, maxAttempts int, key string) string {
	t.Helper()
	var jid string
	if err := d.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		var err error
		jid, err = jobs.EnqueueTx(ctx, tx, now, kind, payload, time.Time{}, maxAttempts, key)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return jid
}

func job(t *testing.T, d *db.DB, jid string) queued {
	t.Helper()
	var q queued
	if err := d.QueryRow(context.Background(), `SELECT status, last_error, attempts, run_at, locked_by FROM job_queue WHERE id = $1`, jid).
		Scan(&q.Status, &q.LastError, &q.Attempts, &q.RunAt, &q.LockedBy); err != nil {
		t.Fatal(err)
	}
	return q
}

func runQueued(t *testing.T, s *jobs.Scheduler) int {
	t.Helper()
	n, err := s.RunQueued(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueuedJobRunsOnceWithPayload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		var got []string
		s.Handle("pay.notify", func(ctx context.Context, payload []byte) error {
			var p struct{ Order string }
			if err := json.Unmarshal(payload, &p); err != nil {
				return err
			}
			if audit.ActorFrom(ctx) != audit.System {
				return errors.New("handler not run as the system actor")
			}
			got = append(got, p.Order)
			return nil
		})
		jid := enqueue(t, d, t0, "pay.notify", map[string]string{"Order": "o-1"}, 0, "")
		if n := runQueued(t, s); n != 1 {
			t.Fatalf("RunQueued ran %d, want 1", n)
		}
		if n := runQueued(t, s); n != 0 {
			t.Fatalf("second RunQueued ran %d, want 0", n)
		}
		if q := job(t, d, jid); q.Status != "done" || q.Attempts != 1 || q.LockedBy != nil {
			t.Fatalf("job after success: %+v", q)
		}
		if strings.Join(got, ",") != "o-1" {
			t.Fatalf("handler saw %v", got)
		}
	})
}

func TestEnqueueInRolledBackTxLeavesNoJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		var calls atomic.Int64
		s.Handle("pay.notify", func(context.Context, []byte) error { calls.Add(1); return nil })
		var jid string
		boom := errors.New("order failed")
		err := d.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			var err error
			if jid, err = jobs.EnqueueTx(ctx, tx, t0, "pay.notify", nil, time.Time{}, 3, "order:o-1"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || jid == "" {
			t.Fatalf("InTx: %v (id %q)", err, jid)
		}
		var n int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM job_queue`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 || runQueued(t, s) != 0 || calls.Load() != 0 {
			t.Fatalf("rolled-back job exists: rows=%d calls=%d", n, calls.Load())
		}
		// The unique key was rolled back too: it can be used again.
		if enqueue(t, d, t0, "pay.notify", nil, 3, "order:o-1") == jid {
			t.Fatal("reused the rolled-back job's id")
		}
	})
}

func TestFailingJobBacksOffThenDies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		var calls atomic.Int64
		s.Handle("pay.notify", func(context.Context, []byte) error {
			calls.Add(1)
			return errors.New("provider answered 503")
		})
		jid := enqueue(t, d, t0, "pay.notify", nil, 3, "")
		runQueued(t, s)
		q := job(t, d, jid)
		if q.Status != "failed" || q.Attempts != 1 || !q.RunAt.Equal(t0.Add(15*time.Second)) ||
			q.LastError != "provider answered 503" || q.LockedBy != nil {
			t.Fatalf("after first failure: %+v", q)
		}
		c.Advance(14 * time.Second)
		if n := runQueued(t, s); n != 0 {
			t.Fatal("retried before the back-off elapsed")
		}
		c.Advance(time.Second)
		if n := runQueued(t, s); n != 1 {
			t.Fatal("not retried at the back-off time")
		}
		if q := job(t, d, jid); q.Status != "failed" || q.Attempts != 2 || !q.RunAt.Equal(c.Now().Add(time.Minute)) {
			t.Fatalf("after second failure: %+v", q)
		}
		c.Advance(time.Minute)
		runQueued(t, s)
		if q := job(t, d, jid); q.Status != "dead" || q.Attempts != 3 || q.LastError != "provider answered 503" {
			t.Fatalf("after max attempts: %+v", q)
		}
		c.Advance(24 * time.Hour)
		if n := runQueued(t, s); n != 0 || calls.Load() != 3 {
			t.Fatalf("dead job ran again: calls=%d", calls.Load())
		}
	})
}

func TestRetryThenSucceedAndCustomDelays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		s.RetryDelays = []time.Duration{time.Second}
		var calls atomic.Int64
		s.Handle("k", func(context.Context, []byte) error {
			if calls.Add(1) < 3 {
				panic("flaky")
			}
			return nil
		})
		jid := enqueue(t, d, t0, "k", nil, 5, "")
		for range 3 {
			runQueued(t, s)
			c.Advance(time.Second)
		}
		if q := job(t, d, jid); q.Status != "done" || q.Attempts != 3 || !strings.Contains(q.LastError, "panic: flaky") {
			t.Fatalf("job: %+v", q)
		}
	})
}

func TestDuplicateUniqueKeyEnqueuesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		var calls atomic.Int64
		s.Handle("pay.notify", func(context.Context, []byte) error { calls.Add(1); return nil })
		a := enqueue(t, d, t0, "pay.notify", nil, 3, "refund:r-9")
		b := enqueue(t, d, t0, "pay.notify", nil, 3, "refund:r-9")
		var c1, c2 string
		if err := d.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error { // twice in one transaction
			var err error
			if c1, err = jobs.EnqueueTx(ctx, tx, t0, "pay.notify", nil, time.Time{}, 3, "refund:r-10"); err != nil {
				return err
			}
			c2, err = jobs.EnqueueTx(ctx, tx, t0, "pay.notify", nil, time.Time{}, 3, "refund:r-10")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if a != b || c1 != c2 || a == c1 {
			t.Fatalf("ids: %s %s %s %s", a, b, c1, c2)
		}
		enqueue(t, d, t0, "pay.notify", nil, 3, "") // no key: never de-duplicated
		enqueue(t, d, t0, "pay.notify", nil, 3, "")
		if n := runQueued(t, s); n != 4 || calls.Load() != 4 {
			t.Fatalf("ran %d jobs (%d calls), want 4", n, calls.Load())
		}
		if enqueue(t, d, t0, "pay.notify", nil, 3, "refund:r-9") != a || runQueued(t, s) != 0 {
			t.Fatal("a finished job's key was enqueued again")
		}
	})
}

func TestUnknownKindGoesDead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		jid := enqueue(t, d, t0, "no.such.kind", nil, 5, "")
		if n := runQueued(t, s); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		if q := job(t, d, jid); q.Status != "dead" || !strings.Contains(q.LastError, "no handler") {
			t.Fatalf("job: %+v", q)
		}
	})
}

func TestQueuedJobOfCrashedProcessIsRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		var calls atomic.Int64
		s.Handle("k", func(context.Context, []byte) error { calls.Add(1); return nil })
		retried := enqueue(t, d, t0, "k", nil, 3, "")
		spent := enqueue(t, d, t0, "k", nil, 3, "")
		// Another process claimed both and died; the second was on its last attempt.
		claim := `UPDATE job_queue SET status = 'running', locked_by = 'crashed', locked_until = $1, attempts = $2 WHERE id = $3`
		for jid, attempts := range map[string]int{retried: 1, spent: 3} {
			if _, err := d.WritePool().Exec(claim, t0.Add(time.Minute), attempts, jid); err != nil {
				t.Fatal(err)
			}
		}
		if n := runQueued(t, s); n != 0 {
			t.Fatal("took over a live lease")
		}
		c.Advance(time.Minute + time.Second)
		if n := runQueued(t, s); n != 2 || calls.Load() != 1 {
			t.Fatalf("claimed %d, ran %d; want 2 and 1", n, calls.Load())
		}
		if q := job(t, d, retried); q.Status != "done" || q.Attempts != 2 {
			t.Fatalf("retried job: %+v", q)
		}
		if q := job(t, d, spent); q.Status != "dead" || !strings.Contains(q.LastError, "lease expired") {
			t.Fatalf("spent job: %+v", q)
		}
	})
}

func TestRunDueAllRunsPeriodicAndQueued(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		s.QueueBatch = 2
		var ticks, handled atomic.Int64
		s.Register(every("test.tick", time.Hour, counter(&ticks)))
		s.Handle("k", func(context.Context, []byte) error { handled.Add(1); return nil })
		for range 5 {
			enqueue(t, d, t0, "k", json.RawMessage(`{"a":1}`), 3, "")
		}
		res, err := s.RunDueAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 6 || res[0].Name != "test.tick" || res[1].ID == "" || ticks.Load() != 1 || handled.Load() != 5 {
			t.Fatalf("results %+v; ticks=%d handled=%d", res, ticks.Load(), handled.Load())
		}
	})
}

func TestEnqueueRejectsBadPayload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		err := d.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			_, err := jobs.EnqueueTx(ctx, tx, t0, "k", []byte("not json"), time.Time{}, 3, "")
			return err
		})
		if err == nil {
			t.Fatal("enqueued invalid JSON")
		}
	})
}

package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/jobs"
)

// t0 is 16:00 in Shanghai.
var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

func counter(n *atomic.Int64) func(context.Context, time.Time) error {
	return func(context.Context, time.Time) error { n.Add(1); return nil }
}

func every(name string, d time.Duration, run func(context.Context, time.Time) error) jobs.Periodic {
	return jobs.Periodic{Name: name, Every: d, DailyAt: -1, Run: run}
}

func runDue(t *testing.T, s *jobs.Scheduler) []jobs.RunResult {
	t.Helper()
	res, err := s.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func status(t *testing.T, s *jobs.Scheduler, name string) jobs.JobStatus {
	t.Helper()
	all, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range all {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("no schedule row for %s in %+v", name, all)
	return jobs.JobStatus{}
}

func TestNeverRunJobIsDueAndRunsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		var n atomic.Int64
		var gotNow time.Time
		var gotActor audit.Actor
		s.Register(every("test.tick", time.Minute, func(ctx context.Context, now time.Time) error {
			n.Add(1)
			gotNow, gotActor = now, audit.ActorFrom(ctx)
			return nil
		}))
		res := runDue(t, s)
		if len(res) != 1 || res[0].Name != "test.tick" || res[0].Err != nil {
			t.Fatalf("first RunDue: %+v", res)
		}
		if res2 := runDue(t, s); len(res2) != 0 {
			t.Fatalf("second RunDue at the same time ran %+v", res2)
		}
		if n.Load() != 1 {
			t.Fatalf("ran %d times, want 1", n.Load())
		}
		if !gotNow.Equal(t0) || gotActor != audit.System {
			t.Fatalf("Run got now=%v actor=%+v", gotNow, gotActor)
		}
		st := status(t, s, "test.tick")
		if st.RunCount != 1 || st.LastStatus != "ok" || st.LastError != "" || st.LockedBy != "" || st.LockedUntil != nil ||
			!st.Registered || st.LastRunAt == nil || !st.LastRunAt.Equal(t0) || !st.NextRunAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("status after one run: %+v", st)
		}
	})
}

func TestAdvancingPastEveryMakesDueAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		var n atomic.Int64
		s.Register(every("test.tick", time.Minute, counter(&n)))
		runDue(t, s)
		c.Advance(59 * time.Second)
		runDue(t, s)
		if n.Load() != 1 {
			t.Fatalf("ran %d times before Every elapsed, want 1", n.Load())
		}
		c.Advance(time.Second)
		runDue(t, s)
		c.Advance(10 * time.Minute) // one late run, not ten catch-up runs
		runDue(t, s)
		runDue(t, s)
		if n.Load() != 3 {
			t.Fatalf("ran %d times, want 3", n.Load())
		}
		if st := status(t, s, "test.tick"); st.RunCount != 3 || !st.NextRunAt.Equal(c.Now().Add(time.Minute)) {
			t.Fatalf("status: %+v", st)
		}
	})
}

func TestNextDailyAtShanghai(t *testing.T) {
	p := jobs.Periodic{Name: "x", DailyAt: 3}
	cases := []struct{ now, want string }{
		{"2026-11-01T08:00:00Z", "2026-11-01T19:00:00Z"}, // 16:00 CST -> tomorrow 03:00 CST
		{"2026-10-31T16:00:00Z", "2026-10-31T19:00:00Z"}, // 00:00 CST -> today 03:00 CST
		{"2026-10-31T19:00:00Z", "2026-11-01T19:00:00Z"}, // exactly 03:00 CST -> tomorrow
		{"2026-12-31T18:59:59Z", "2026-12-31T19:00:00Z"}, // year end, 02:59:59 CST on Jan 1
	}
	for _, tc := range cases {
		now, _ := time.Parse(time.RFC3339, tc.now)
		want, _ := time.Parse(time.RFC3339, tc.want)
		got := p.Next(now)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Next(%s) = %v, want %s", tc.now, got, tc.want)
		}
	}
}

func TestDailyAtRunsAtNextShanghaiHour(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0) // 16:00 CST
		s := jobs.NewScheduler(d, c, nil, "p1")
		var n atomic.Int64
		s.Register(jobs.Periodic{Name: "test.daily", DailyAt: 3, Run: counter(&n)})
		runDue(t, s) // never run: due at once
		wantNext := time.Date(2026, 11, 2, 3, 0, 0, 0, clock.Shanghai)
		if st := status(t, s, "test.daily"); !st.NextRunAt.Equal(wantNext) {
			t.Fatalf("next run %v, want %v", st.NextRunAt, wantNext)
		}
		c.Set(wantNext.Add(-time.Second))
		runDue(t, s)
		if n.Load() != 1 {
			t.Fatalf("ran before 03:00 CST")
		}
		c.Set(wantNext)
		runDue(t, s)
		if n.Load() != 2 {
			t.Fatalf("did not run at 03:00 CST")
		}
		if st := status(t, s, "test.daily"); !st.NextRunAt.Equal(wantNext.AddDate(0, 0, 1)) {
			t.Fatalf("next run %v, want the day after", st.NextRunAt)
		}
	})
}

func TestRacingSchedulersRunOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		var n atomic.Int64
		var scheds []*jobs.Scheduler
		for _, owner := range []string{"host-a:1:x", "host-b:2:y", "host-c:3:z", "host-d:4:w"} {
			s := jobs.NewScheduler(d, c, nil, owner)
			s.Register(every("test.race", time.Minute, func(context.Context, time.Time) error {
				n.Add(1)
				time.Sleep(5 * time.Millisecond) // widen the window
				return nil
			}))
			scheds = append(scheds, s)
		}
		const rounds = 5
		for round := 1; round <= rounds; round++ {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, s := range scheds {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := s.RunDue(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if got := n.Load(); got != int64(round) {
				t.Fatalf("round %d: job ran %d times in total, want %d", round, got, round)
			}
			c.Advance(time.Minute)
		}
		if st := status(t, scheds[0], "test.race"); st.RunCount != rounds {
			t.Fatalf("run_count %d, want %d", st.RunCount, rounds)
		}
	})
}

func TestPanicIsRecordedAndNextJobRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := jobs.NewScheduler(d, clock.NewFake(t0), nil, "p1")
		var n atomic.Int64
		var hook []string
		var mu sync.Mutex
		s.OnResult = func(name string, err error, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			hook = append(hook, name+":"+map[bool]string{true: "ok", false: "err"}[err == nil])
		}
		s.Register(every("a.panics", time.Minute, func(context.Context, time.Time) error { panic("boom") }))
		s.Register(every("b.fails", time.Minute, func(context.Context, time.Time) error {
			return errors.New(strings.Repeat("é", 2000))
		}))
		s.Register(every("c.works", time.Minute, counter(&n)))
		res := runDue(t, s)
		if len(res) != 3 || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "panic: boom") || res[2].Err != nil {
			t.Fatalf("results: %+v", res)
		}
		if n.Load() != 1 {
			t.Fatal("the job after the panicking one did not run")
		}
		if st := status(t, s, "a.panics"); st.LastStatus != "error" || !strings.Contains(st.LastError, "panic: boom") ||
			st.RunCount != 1 || st.LockedBy != "" || !st.NextRunAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("panicking job status: %+v", st)
		}
		if st := status(t, s, "b.fails"); st.LastStatus != "error" || utf8.RuneCountInString(st.LastError) != 500 {
			t.Fatalf("long error stored as %d characters", utf8.RuneCountInString(st.LastError))
		}
		if got := strings.Join(hook, ","); got != "a.panics:err,b.fails:err,c.works:ok" {
			t.Fatalf("OnResult calls: %s", got)
		}
	})
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		var n atomic.Int64
		s.Register(every("test.tick", time.Minute, counter(&n)))
		// A process claimed the job and died.
		if _, err := d.WritePool().Exec(`INSERT INTO job_schedule (name, next_run_at, locked_by, locked_until) VALUES ($1, $2, $3, $4)`,
			"test.tick", t0, "crashed:1:z", t0.Add(jobs.DefaultLease)); err != nil {
			t.Fatal(err)
		}
		runDue(t, s)
		if n.Load() != 0 {
			t.Fatal("ran a job leased to another process")
		}
		c.Advance(jobs.DefaultLease + time.Second)
		runDue(t, s)
		if n.Load() != 1 {
			t.Fatal("did not take over an expired lease")
		}
	})
}

func TestRegisterRejectsMistakes(t *testing.T) {
	s := jobs.NewScheduler(nil, clock.NewFake(t0), nil, "p1")
	ok := func(context.Context, time.Time) error { return nil }
	s.Register(every("dup", time.Minute, ok))
	for name, p := range map[string]jobs.Periodic{
		"duplicate":         every("dup", time.Minute, ok),
		"both schedules":    {Name: "x", Every: time.Minute, DailyAt: 0, Run: ok},
		"no schedule":       {Name: "x", DailyAt: -1, Run: ok},
		"hour out of range": {Name: "x", DailyAt: 24, Run: ok},
		"no Run":            {Name: "x", Every: time.Minute, DailyAt: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			s.Register(p)
		}()
	}
}

func TestStartRunsWorkAndStopsCleanly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		s.PollInterval = 5 * time.Millisecond
		var ticks, handled atomic.Int64
		blocking := make(chan struct{})
		s.Register(every("test.tick", time.Minute, counter(&ticks)))
		s.Register(every("test.blocks", time.Minute, func(ctx context.Context, _ time.Time) error {
			close(blocking)
			<-ctx.Done() // a long job cut short by shutdown
			return ctx.Err()
		}))
		s.Handle("test.queued", func(context.Context, []byte) error { handled.Add(1); return nil })
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := jobs.EnqueueTx(ctx, tx, c.Now(), "test.queued", map[string]int{"n": 1}, time.Time{}, 3, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for ticks.Load() == 0 || handled.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("Start's loops did not run the work: ticks=%d handled=%d", ticks.Load(), handled.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
		<-blocking
		cancel()
		s.Wait()
		if ticks.Load() != 1 {
			t.Fatalf("periodic job ran %d times at one fake instant", ticks.Load())
		}
		// The interrupted job was given back, not counted: it runs again at once.
		st := status(t, s, "test.blocks")
		if st.RunCount != 0 || st.LockedBy != "" || st.NextRunAt.After(t0) {
			t.Fatalf("interrupted job status: %+v", st)
		}
	})
}

func TestLeaseIsRenewedAndLossCancelsTheJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := clock.NewFake(t0)
		s := jobs.NewScheduler(d, c, nil, "p1")
		s.Lease = 30 * time.Millisecond // renewed every 10 ms of real time
		waitFor := func(cond func() bool) bool {
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if cond() {
					return true
				}
			}
			return false
		}
		s.Register(every("test.long", time.Minute, func(ctx context.Context, _ time.Time) error {
			c.Advance(time.Hour) // the run outlasts its lease many times over
			if !waitFor(func() bool { return status(t, s, "test.long").LockedUntil.After(c.Now()) }) {
				return errors.New("lease not renewed")
			}
			// An operator (or a bug) hands the job to someone else.
			if _, err := d.WritePool().Exec(`UPDATE job_schedule SET locked_by = 'thief' WHERE name = 'test.long'`); err != nil {
				return err
			}
			if !waitFor(func() bool { return ctx.Err() != nil }) {
				return errors.New("not cancelled after losing the lease")
			}
			return ctx.Err()
		}))
		res := runDue(t, s)
		if len(res) != 1 || !errors.Is(res[0].Err, context.Canceled) {
			t.Fatalf("results: %+v", res)
		}
		if st := status(t, s, "test.long"); st.LockedBy != "thief" || st.RunCount != 0 {
			t.Fatalf("a run whose lease was lost was recorded: %+v", st)
		}
	})
}

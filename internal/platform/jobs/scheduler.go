package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
)

// Defaults for the Scheduler's tuning fields.
const (
	DefaultPollInterval = time.Second
	DefaultLease        = 5 * time.Minute
	DefaultQueueBatch   = 20
	DefaultMaxAttempts  = 10
)

// DefaultRetryDelays is the back-off of queued jobs: the delay after the
// first failed attempt, the second, and so on; the last repeats.
var DefaultRetryDelays = []time.Duration{
	15 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour,
}

// maxErrorLen bounds the error text stored in last_error.
const maxErrorLen = 500

// bookkeepingTimeout bounds the writes that record a run's outcome; they
// run even after the scheduler's context is cancelled.
const bookkeepingTimeout = 30 * time.Second

// Scheduler runs periodic and queued jobs. Create it with NewScheduler,
// set the optional fields, register jobs and handlers, then either Start it
// (serve) or call RunDueAll once (`gbmall jobs run-due`, tests). Its
// methods must not be called inside a database transaction.
type Scheduler struct {
	// PollInterval is how often Start's loops look for due work
	// (default DefaultPollInterval).
	PollInterval time.Duration
	// Lease is how long a claim holds a job against other processes
	// (default DefaultLease). It is renewed while the job runs, so it only
	// matters when a process stops without finishing.
	Lease time.Duration
	// RetryDelays is the back-off of failed queued jobs (default
	// DefaultRetryDelays).
	RetryDelays []time.Duration
	// QueueBatch is how many queued jobs one pass claims at most (default
	// DefaultQueueBatch).
	QueueBatch int
	// OnResult, if set, is called after every run — name is the periodic
	// job's name or the queued job's kind — for metrics. It may be called
	// from several goroutines at once.
	OnResult func(name string, err error, d time.Duration)

	db    *db.DB
	clock clock.Clock
	log   *slog.Logger
	owner string

	mu       sync.Mutex
	periodic []Periodic
	handlers map[string]Handler
	inflight map[string]bool
	started  bool
	wg       sync.WaitGroup
}

// RunResult is the outcome of one run.
type RunResult struct {
	Name     string // the periodic job's name or the queued job's kind
	ID       string // the queued job's id; empty for periodic jobs
	Err      error
	Duration time.Duration
}

// NewScheduler returns a Scheduler on d reading time from c. owner names
// this process in leases and must differ between processes sharing a
// database (DefaultOwner makes one). log may be nil.
func NewScheduler(d *db.DB, c clock.Clock, log *slog.Logger, owner string) *Scheduler {
	if owner == "" {
		panic("jobs: empty owner")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		db: d, clock: c, log: log.With("component", "jobs"), owner: owner,
		handlers: map[string]Handler{}, inflight: map[string]bool{},
	}
}

// DefaultOwner returns an owner name unique to this process:
// hostname:pid:random.
func DefaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner returns the name this scheduler claims jobs under.
func (s *Scheduler) Owner() string { return s.owner }

// Start runs the scheduler in the background until ctx is done: one loop
// runs due periodic jobs (each in its own goroutine, so a slow job does not
// delay the others) and one runs due queued jobs. Jobs receive a context
// derived from ctx, so they are cancelled at shutdown; a job interrupted
// that way is released to run again instead of being counted. Call Wait
// after cancelling ctx to wait for the loops and any running job to
// finish. Start may be called once.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		panic("jobs: Start called twice")
	}
	s.started = true
	s.mu.Unlock()
	s.wg.Add(2)
	go s.loop(ctx, s.tickPeriodic)
	go s.loop(ctx, s.tickQueue)
}

// Wait blocks until the loops started by Start and the jobs they launched
// have returned (that is, after Start's context is done).
func (s *Scheduler) Wait() { s.wg.Wait() }

// RunDueAll runs, once, every periodic job that is due (RunDue) and then
// every queued job that is due, until none is left; it is what
// `gbmall jobs run-due` calls. A queued job that fails is scheduled for
// later and not retried in the same call.
func (s *Scheduler) RunDueAll(ctx context.Context) ([]RunResult, error) {
	out, err := s.RunDue(ctx)
	if err != nil {
		return out, err
	}
	for range 1000 { // a bound, in case jobs are enqueued as fast as they run
		res, err := s.runQueued(ctx, s.batch())
		out = append(out, res...)
		if err != nil || len(res) < s.batch() {
			return out, err
		}
	}
	return out, nil
}

func (s *Scheduler) loop(ctx context.Context, tick func(context.Context)) {
	defer s.wg.Done()
	t := time.NewTicker(s.poll())
	defer t.Stop()
	for {
		tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tickPeriodic launches every due periodic job not already running here.
func (s *Scheduler) tickPeriodic(ctx context.Context) {
	due, err := s.duePeriodic(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("jobs: list due periodic jobs", "err", err)
		}
		return
	}
	for _, p := range due {
		s.mu.Lock()
		busy := s.inflight[p.Name]
		s.inflight[p.Name] = true
		s.mu.Unlock()
		if busy {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.inflight, p.Name)
				s.mu.Unlock()
			}()
			if _, _, err := s.runPeriodic(ctx, p); err != nil && ctx.Err() == nil {
				s.log.Warn("jobs: periodic job bookkeeping", "job", p.Name, "err", err)
			}
		}()
	}
}

// tickQueue runs due queued jobs until a pass finds fewer than a batch.
func (s *Scheduler) tickQueue(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.RunQueued(ctx, s.batch())
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("jobs: run queued jobs", "err", err)
			}
			return
		}
		if n < s.batch() {
			return
		}
	}
}

func (s *Scheduler) poll() time.Duration {
	if s.PollInterval > 0 {
		return s.PollInterval
	}
	return DefaultPollInterval
}

func (s *Scheduler) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

func (s *Scheduler) batch() int {
	if s.QueueBatch > 0 {
		return s.QueueBatch
	}
	return DefaultQueueBatch
}

func (s *Scheduler) report(r RunResult) {
	if s.OnResult != nil {
		s.OnResult(r.Name, r.Err, r.Duration)
	}
}

// exec runs one statement in a short transaction of its own and returns
// the number of rows it affected.
func (s *Scheduler) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n, err
}

// bookkeeping returns a context for recording an outcome: not cancelled
// with ctx (a run finishing at shutdown must still be recorded), but
// bounded.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
}

// hold returns the context a job runs with — carrying the System actor,
// and cancelled if the lease is lost — and renews the lease with renewSQL
// ($1 locked_until, $2 key, $3 owner) every Lease/3 until release is
// called.
func (s *Scheduler) hold(ctx context.Context, renewSQL, key string) (jobCtx context.Context, release func()) {
	jctx, cancel := context.WithCancel(audit.WithActor(ctx, audit.System))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			bctx, bcancel := bookkeeping(ctx)
			n, err := s.exec(bctx, renewSQL, s.clock.Now().Add(s.lease()), key, s.owner)
			bcancel()
			switch {
			case err != nil:
				s.log.Warn("jobs: renew lease", "job", key, "err", err)
			case n == 0:
				s.log.Error("jobs: lease lost while running; cancelling", "job", key)
				cancel()
				return
			}
		}
	}()
	return jctx, func() {
		close(done)
		wg.Wait()
		cancel()
	}
}

// call runs f, turning a panic into an error (the stack goes to the log).
func (s *Scheduler) call(name string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("jobs: job panicked", "job", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// errorText is the stored form of err: valid UTF-8, at most maxErrorLen
// characters.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	msg := strings.ToValidUTF8(err.Error(), "?")
	if utf8.RuneCountInString(msg) <= maxErrorLen {
		return msg
	}
	r := []rune(msg)
	return string(r[:maxErrorLen-1]) + "…"
}

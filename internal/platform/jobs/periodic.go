package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/platform/clock"
)

// Periodic is a job that runs on a schedule: every Every, or once a day at
// the Shanghai hour DailyAt. A job never run before is due at once.
type Periodic struct {
	// Name identifies the job in job_schedule, e.g. "identity.expire-sessions".
	Name string
	// Every is the interval between runs when DailyAt is -1.
	Every time.Duration
	// DailyAt is -1 to run every Every, or 0..23 to run once a day at that
	// hour in clock.Shanghai (then Every must be 0).
	DailyAt int
	// Run does the work. It must read the time only from now (the claim
	// time, from the scheduler's clock) and return errors free of personal
	// data. Its ctx carries audit.System as the actor.
	Run func(ctx context.Context, now time.Time) error
}

// Next returns the job's first scheduled time strictly after t, in UTC.
func (p Periodic) Next(t time.Time) time.Time {
	if p.DailyAt < 0 {
		return t.Add(p.Every).UTC()
	}
	l := t.In(clock.Shanghai)
	n := time.Date(l.Year(), l.Month(), l.Day(), p.DailyAt, 0, 0, 0, clock.Shanghai)
	if !n.After(t) {
		n = n.AddDate(0, 0, 1)
	}
	return n.UTC()
}

func (p Periodic) validate() error {
	switch {
	case p.Name == "":
		return errors.New("empty name")
	case p.Run == nil:
		return errors.New("nil Run")
	case p.DailyAt < -1 || p.DailyAt > 23:
		return fmt.Errorf("DailyAt %d out of range (-1, or 0..23)", p.DailyAt)
	case p.DailyAt == -1 && p.Every <= 0:
		return errors.New("Every must be positive when DailyAt is -1")
	case p.DailyAt >= 0 && p.Every != 0:
		return errors.New("both Every and DailyAt set (use DailyAt: -1 with Every)")
	}
	return nil
}

// Register adds a periodic job. Call it before Start or RunDue. It panics
// on an invalid job or a name already registered: both are programming
// errors to be caught at startup.
func (s *Scheduler) Register(p Periodic) {
	if err := p.validate(); err != nil {
		panic(fmt.Sprintf("jobs: Register %q: %v", p.Name, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.periodic {
		if q.Name == p.Name {
			panic(fmt.Sprintf("jobs: periodic job %q registered twice", p.Name))
		}
	}
	s.periodic = append(s.periodic, p)
}

// RunDue runs, once and one after the other, every registered periodic job
// that is due (next_run_at <= now and not leased by another process) and
// that this scheduler manages to claim, and returns their results in
// registration order. It does not run queued jobs: RunDueAll runs both.
// The error reports database failures; a job's own failure is in its
// RunResult.
func (s *Scheduler) RunDue(ctx context.Context) ([]RunResult, error) {
	due, err := s.duePeriodic(ctx)
	if err != nil {
		return nil, err
	}
	var out []RunResult
	var errs []error
	for _, p := range due {
		res, ran, err := s.runPeriodic(ctx, p)
		if ran {
			out = append(out, res)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// duePeriodic lists the registered jobs that look due, creating the
// schedule row (due now) of a job never seen before. The claim decides.
func (s *Scheduler) duePeriodic(ctx context.Context) ([]Periodic, error) {
	s.mu.Lock()
	jobs := append([]Periodic(nil), s.periodic...)
	s.mu.Unlock()
	if len(jobs) == 0 {
		return nil, nil
	}
	now := s.clock.Now()
	type state struct {
		next   time.Time
		locked sql.NullTime
	}
	rows, err := s.db.Query(ctx, `SELECT name, next_run_at, locked_until FROM job_schedule`)
	if err != nil {
		return nil, fmt.Errorf("jobs: read schedule: %w", err)
	}
	defer rows.Close()
	known := map[string]state{}
	for rows.Next() {
		var name string
		var st state
		if err := rows.Scan(&name, &st.next, &st.locked); err != nil {
			return nil, fmt.Errorf("jobs: read schedule: %w", err)
		}
		known[name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: read schedule: %w", err)
	}
	rows.Close()
	var due []Periodic
	for _, p := range jobs {
		st, ok := known[p.Name]
		if !ok {
			if _, err := s.exec(ctx, `INSERT INTO job_schedule (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
				p.Name, now); err != nil {
				return nil, fmt.Errorf("jobs: add %s to schedule: %w", p.Name, err)
			}
			due = append(due, p)
			continue
		}
		if !st.next.After(now) && (!st.locked.Valid || st.locked.Time.Before(now)) {
			due = append(due, p)
		}
	}
	return due, nil
}

// runPeriodic claims p and, if the claim wins, runs it and records the
// outcome. ran reports whether this call ran the job.
func (s *Scheduler) runPeriodic(ctx context.Context, p Periodic) (res RunResult, ran bool, err error) {
	if ctx.Err() != nil {
		return res, false, nil
	}
	now := s.clock.Now()
	n, err := s.exec(ctx, `UPDATE job_schedule SET locked_by = $1, locked_until = $2
		WHERE name = $3 AND next_run_at <= $4 AND (locked_until IS NULL OR locked_until < $5)`,
		s.owner, now.Add(s.lease()), p.Name, now, now)
	if err != nil {
		return res, false, fmt.Errorf("jobs: claim %s: %w", p.Name, err)
	}
	if n != 1 {
		return res, false, nil // not due after all, or another process won
	}
	jctx, release := s.hold(ctx, `UPDATE job_schedule SET locked_until = $1 WHERE name = $2 AND locked_by = $3`, p.Name)
	start := time.Now()
	runErr := s.call(p.Name, func() error { return p.Run(jctx, now) })
	release()
	res = RunResult{Name: p.Name, Err: runErr, Duration: time.Since(start)}
	s.report(res)

	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if runErr != nil && ctx.Err() != nil {
		// Interrupted by shutdown: give the run back rather than count it.
		s.log.Info("jobs: periodic job interrupted; released", "job", p.Name, "err", runErr)
		_, err = s.exec(bctx, `UPDATE job_schedule SET locked_by = NULL, locked_until = NULL WHERE name = $1 AND locked_by = $2`,
			p.Name, s.owner)
		return res, true, err
	}
	end := s.clock.Now()
	next := p.Next(now)
	if !next.After(end) { // the run outlasted its interval: no back-to-back rerun
		next = p.Next(end)
	}
	status := "ok"
	if runErr != nil {
		status = "error"
		s.log.Warn("jobs: periodic job failed", "job", p.Name, "err", runErr, "next_run_at", next)
	}
	n, err = s.exec(bctx, `UPDATE job_schedule SET next_run_at = $1, last_run_at = $2, last_status = $3, last_error = $4,
		run_count = run_count + 1, locked_by = NULL, locked_until = NULL WHERE name = $5 AND locked_by = $6`,
		next, now, status, errorText(runErr), p.Name, s.owner)
	if err != nil {
		return res, true, fmt.Errorf("jobs: record run of %s: %w", p.Name, err)
	}
	if n == 0 {
		s.log.Error("jobs: lease lost before the run was recorded", "job", p.Name)
	}
	return res, true, nil
}

// JobStatus is one row of the schedule, for the operator console.
type JobStatus struct {
	Name        string
	NextRunAt   time.Time
	LastRunAt   *time.Time
	LastStatus  string // "ok", "error", or "" before the first run
	LastError   string
	RunCount    int64
	LockedBy    string // the process running it now, if any
	LockedUntil *time.Time
	Registered  bool // whether this scheduler knows the job (false: a job since removed)
}

// Status lists the schedule rows by name.
func (s *Scheduler) Status(ctx context.Context) ([]JobStatus, error) {
	s.mu.Lock()
	registered := map[string]bool{}
	for _, p := range s.periodic {
		registered[p.Name] = true
	}
	s.mu.Unlock()
	rows, err := s.db.Query(ctx, `SELECT name, next_run_at, last_run_at, last_status, last_error, run_count, locked_by, locked_until
		FROM job_schedule ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("jobs: read schedule: %w", err)
	}
	defer rows.Close()
	var out []JobStatus
	for rows.Next() {
		var j JobStatus
		var last, until sql.NullTime
		var by sql.NullString
		if err := rows.Scan(&j.Name, &j.NextRunAt, &last, &j.LastStatus, &j.LastError, &j.RunCount, &by, &until); err != nil {
			return nil, fmt.Errorf("jobs: read schedule: %w", err)
		}
		j.NextRunAt = j.NextRunAt.UTC()
		if last.Valid {
			t := last.Time.UTC()
			j.LastRunAt = &t
		}
		if until.Valid {
			t := until.Time.UTC()
			j.LockedUntil = &t
		}
		j.LockedBy = by.String
		j.Registered = registered[j.Name]
		out = append(out, j)
	}
	return out, rows.Err()
}

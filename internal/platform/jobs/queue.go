package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// Handler runs one queued job of a kind, given the JSON payload it was
// enqueued with. Its ctx carries audit.System as the actor and is
// cancelled at shutdown. A job may run more than once (a process can die
// after the work but before recording it), so handlers must be
// idempotent; their errors are stored and must be free of personal data.
type Handler func(ctx context.Context, payload []byte) error

// Handle registers the handler of a kind of queued job. Call it before
// Start or RunQueued; it panics on a kind registered twice. A claimed job
// whose kind has no handler goes 'dead'.
func (s *Scheduler) Handle(kind string, h Handler) {
	if kind == "" || h == nil {
		panic("jobs: Handle needs a kind and a handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[kind]; dup {
		panic(fmt.Sprintf("jobs: handler for %q registered twice", kind))
	}
	s.handlers[kind] = h
}

// EnqueueTx adds a job to the queue inside the caller's transaction: if
// the transaction rolls back, so does the job. payload is encoded as JSON
// ([]byte and json.RawMessage are taken as JSON already). runAt is when
// the job becomes due (zero: now); maxAttempts <= 0 means
// DefaultMaxAttempts. A non-empty uniqueKey makes the job unique forever:
// enqueueing the same key again, even after the first job finished, is a
// silent no-op that returns the first job's id. now is the caller's
// clock time.
func EnqueueTx(ctx context.Context, tx *db.Tx, now time.Time, kind string, payload any, runAt time.Time, maxAttempts int, uniqueKey string) (string, error) {
	if kind == "" {
		return "", errors.New("jobs: enqueue: empty kind")
	}
	body, err := encodePayload(payload)
	if err != nil {
		return "", fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	if runAt.IsZero() {
		runAt = now
	}
	runAt = runAt.UTC().Truncate(time.Microsecond)
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var key any // NULL: no de-duplication
	if uniqueKey != "" {
		key = uniqueKey
	}
	var got string
	err = tx.QueryRowContext(ctx, `INSERT INTO job_queue (id, kind, payload, status, attempts, max_attempts, run_at,
		last_error, created_at, updated_at, unique_key)
		VALUES ($1, $2, $3, 'pending', 0, $4, $5, '', $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
		id.New(), kind, string(body), maxAttempts, runAt, now, now, key).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) && uniqueKey != "" {
		err = tx.QueryRowContext(ctx, `SELECT id FROM job_queue WHERE unique_key = $1`, uniqueKey).Scan(&got)
	}
	if err != nil {
		return "", fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return got, nil
}

func encodePayload(payload any) ([]byte, error) {
	switch v := payload.(type) {
	case nil:
		return []byte("{}"), nil
	case []byte:
		if !json.Valid(v) {
			return nil, errors.New("payload is not valid JSON")
		}
		return v, nil
	case json.RawMessage:
		if !json.Valid(v) {
			return nil, errors.New("payload is not valid JSON")
		}
		return v, nil
	}
	return json.Marshal(payload)
}

// RunQueued claims due queued jobs one by one — pending or failed with
// run_at <= now, or running under a lease that expired — up to limit
// (<= 0: QueueBatch), runs each one's handler and records the outcome:
// 'done'; or, on error, 'failed' with run_at moved by the back-off
// (RetryDelays) until max_attempts is spent, then 'dead'. It returns how
// many jobs it claimed.
func (s *Scheduler) RunQueued(ctx context.Context, limit int) (int, error) {
	res, err := s.runQueued(ctx, limit)
	return len(res), err
}

func (s *Scheduler) runQueued(ctx context.Context, limit int) ([]RunResult, error) {
	if limit <= 0 {
		limit = s.batch()
	}
	now := s.clock.Now()
	rows, err := s.db.Query(ctx, `SELECT id FROM job_queue
		WHERE (status IN ('pending', 'failed') AND run_at <= $1) OR (status = 'running' AND locked_until < $2)
		ORDER BY run_at, id LIMIT $3`, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: read queue: %w", err)
	}
	var ids []string
	for rows.Next() {
		var jid string
		if err := rows.Scan(&jid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("jobs: read queue: %w", err)
		}
		ids = append(ids, jid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: read queue: %w", err)
	}
	var out []RunResult
	for _, jid := range ids {
		if ctx.Err() != nil {
			break
		}
		res, ran, err := s.runJob(ctx, jid)
		if ran {
			out = append(out, res)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// runJob claims one queued job and, if the claim wins, runs and settles it.
func (s *Scheduler) runJob(ctx context.Context, jid string) (res RunResult, ran bool, err error) {
	now := s.clock.Now()
	var kind string
	var payload []byte
	var attempts, maxAttempts int
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE job_queue SET status = 'running', locked_by = $1, locked_until = $2,
			attempts = attempts + 1, updated_at = $3
			WHERE id = $4 AND ((status IN ('pending', 'failed') AND run_at <= $5) OR (status = 'running' AND locked_until < $6))
			RETURNING kind, payload, attempts, max_attempts`,
			s.owner, now.Add(s.lease()), now, jid, now, now).Scan(&kind, &payload, &attempts, &maxAttempts)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return res, false, nil // another process won, or it is no longer due
	}
	if err != nil {
		return res, false, fmt.Errorf("jobs: claim queued job %s: %w", jid, err)
	}
	s.mu.Lock()
	h := s.handlers[kind]
	s.mu.Unlock()

	var runErr error
	outcome := "retry"
	start := time.Now()
	switch {
	case attempts > maxAttempts:
		runErr = errors.New("jobs: lease expired during the last attempt (the process stopped)")
		outcome = "dead"
	case h == nil:
		runErr = fmt.Errorf("jobs: no handler for kind %q", kind)
		outcome = "dead"
	default:
		jctx, release := s.hold(ctx, `UPDATE job_queue SET locked_until = $1 WHERE id = $2 AND locked_by = $3`, jid)
		runErr = s.call(kind, func() error { return h(jctx, payload) })
		release()
		switch {
		case runErr == nil:
			outcome = "done"
		case ctx.Err() != nil:
			outcome = "release" // interrupted by shutdown
		case attempts >= maxAttempts:
			outcome = "dead"
		}
	}
	res = RunResult{Name: kind, ID: jid, Err: runErr, Duration: time.Since(start)}
	s.report(res)
	return res, true, s.settle(ctx, jid, kind, outcome, runErr, attempts)
}

// settle records the outcome of a claimed job — "done", "release" (back
// to pending, attempt not counted), "dead" or "retry" — if this process
// still holds it.
func (s *Scheduler) settle(ctx context.Context, jid, kind, outcome string, runErr error, attempts int) error {
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	end := s.clock.Now()
	var n int64
	var err error
	switch outcome {
	case "done":
		n, err = s.exec(bctx, `UPDATE job_queue SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $1
			WHERE id = $2 AND locked_by = $3`, end, jid, s.owner)
	case "release":
		// Interrupted by shutdown: give the attempt back; due again at once.
		s.log.Info("jobs: queued job interrupted; released", "kind", kind, "id", jid, "err", runErr)
		n, err = s.exec(bctx, `UPDATE job_queue SET status = 'pending', attempts = attempts - 1, locked_by = NULL,
			locked_until = NULL, updated_at = $1 WHERE id = $2 AND locked_by = $3`, end, jid, s.owner)
	case "dead":
		s.log.Error("jobs: queued job is dead", "kind", kind, "id", jid, "attempts", attempts, "err", runErr)
		n, err = s.exec(bctx, `UPDATE job_queue SET status = 'dead', last_error = $1, locked_by = NULL, locked_until = NULL,
			updated_at = $2 WHERE id = $3 AND locked_by = $4`, errorText(runErr), end, jid, s.owner)
	default:
		retryAt := end.Add(s.retryDelay(attempts))
		s.log.Warn("jobs: queued job failed; will retry", "kind", kind, "id", jid, "attempts", attempts, "retry_at", retryAt, "err", runErr)
		n, err = s.exec(bctx, `UPDATE job_queue SET status = 'failed', run_at = $1, last_error = $2, locked_by = NULL,
			locked_until = NULL, updated_at = $3 WHERE id = $4 AND locked_by = $5`, retryAt, errorText(runErr), end, jid, s.owner)
	}
	if err != nil {
		return fmt.Errorf("jobs: record queued job %s: %w", jid, err)
	}
	if n == 0 {
		s.log.Error("jobs: lease lost before the queued job was recorded", "kind", kind, "id", jid)
	}
	return nil
}

// retryDelay is the back-off after the attempts-th failed attempt.
func (s *Scheduler) retryDelay(attempts int) time.Duration {
	delays := s.RetryDelays
	if len(delays) == 0 {
		delays = DefaultRetryDelays
	}
	i := min(max(attempts-1, 0), len(delays)-1)
	return delays[i]
}

-- Queued jobs: one-off background work that must survive restarts (a
-- notification to a payment provider, a retried export). See
-- internal/platform/jobs. status: pending (waiting for run_at), running
-- (claimed; locked_by holds it until locked_until), failed (the last
-- attempt failed; retried at run_at), done, dead (gave up). unique_key,
-- when set, makes enqueueing the same logical job a second time a no-op.

CREATE TABLE job_queue (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed','dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    unique_key   TEXT
);
CREATE UNIQUE INDEX job_queue_unique_key ON job_queue (unique_key);
CREATE INDEX job_queue_due ON job_queue (status, run_at);

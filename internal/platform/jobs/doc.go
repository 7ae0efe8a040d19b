// Package jobs runs gbmall's background work on SQLite and PostgreSQL, with
// one process or several `gbmall serve` processes sharing one PostgreSQL
// database (R-10.2-2: one runner per periodic job; persisted jobs retry
// with back-off and are never lost or run twice at once).
//
// There are two kinds of work:
//
//   - Periodic jobs (Periodic, Scheduler.Register) run every Every, or once
//     a day at a Shanghai hour, and keep their state in job_schedule: the
//     next run time, the last outcome, a run count and a lease.
//   - Queued jobs (EnqueueTx, Scheduler.Handle) are one-off work stored in
//     job_queue by the transaction that decided it is needed, so a job
//     exists exactly when the change that asked for it was committed.
//
// # Claims and leases
//
// No process is elected "leader" by a separate protocol. Instead, every
// process polls, and a job runs in the process whose conditional UPDATE
// claims it:
//
//	UPDATE job_schedule SET locked_by = $me, locked_until = $now+lease
//	WHERE name = $1 AND next_run_at <= $now AND (locked_until IS NULL OR locked_until < $now)
//
// The database makes that UPDATE atomic on both engines (PostgreSQL
// re-checks the WHERE clause on the row after a concurrent writer commits;
// SQLite has a single writer), so exactly one claimer sees one row
// affected and every other sees none: a due run happens once, however
// many processes race for it. The bookkeeping after the run (next run
// time, outcome, releasing the lease) again only touches the row while
// this process still holds it.
//
// The lease (Scheduler.Lease, 5 minutes by default) is what makes a crashed
// process harmless: its claims simply expire and another process takes the
// job over. While a job runs, its lease is renewed every Lease/3, so a
// long run is never taken over by a second runner; if renewal finds the
// lease gone, the job's context is cancelled. Queued jobs are claimed the
// same way, one row at a time, and count an attempt at claim time, so a job
// that keeps killing its process still ends up 'dead' rather than looping.
//
// Nothing is held open while a job runs: the claim and the bookkeeping are
// short transactions of their own, so a job may use db.InTx freely (on
// SQLite, whose single writer connection would otherwise deadlock). The
// scheduler's own methods must therefore not be called inside a
// transaction.
//
// Periodic jobs are at-most-once per due time while the database answers;
// queued jobs are at-least-once (a process that dies mid-run leaves the
// job to be retried after its lease), so handlers must be idempotent, for
// example by passing the job id as an idempotency key to a provider.
//
// # Time
//
// Every schedule decision — what is due, leases, back-off, the next daily
// run — reads the injected clock.Clock, never time.Now, so tests and
// rehearsals with GBMALL_FAKE_NOW move the scheduler's time with
// everything else. Periodic jobs get the claim time as their "now"
// argument and must read time only from it. Real time is used only to pace
// the polling loop, to renew leases and to measure durations. Times are
// stored in UTC; daily jobs are computed in clock.Shanghai (China has no
// daylight saving time, so a day is always 24 hours).
//
// # Errors
//
// A job's error (or a recovered panic) is logged and stored, truncated to
// 500 characters, in last_error, which operators read: errors returned by
// jobs and handlers must never contain personal data.
package jobs

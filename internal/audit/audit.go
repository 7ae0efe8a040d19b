// Package audit owns gbmall's tamper-evident audit trail (GB/T 31524
// §10.4 data integrity and traceability; R-10.4-12, R-10.4-13).
//
// Every state-changing action appends an entry in the same database
// transaction as the change. Entries form NumShards independent hash
// chains, and each entry stores the SHA-256 of its own content together
// with the hash of the entry before it in its chain. A single global chain
// would make every transaction on the platform queue for one row lock;
// sixteen chains keep order placement from several processes off one lock
// while `gbmall audit verify` still checks every entry (see README, "Audit
// trail"). The entries of a transaction are appended at commit time to one
// chain: the first object's (a hash of it), or on PostgreSQL the next chain
// no other committing transaction holds.
//
// The code never updates or deletes entries; on PostgreSQL a trigger
// rejects UPDATE, DELETE and TRUNCATE on audit_log.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// NumShards is the number of independent chains.
const NumShards = 16

// Actor is who did something, from where. The HTTP layer puts it in the
// request context; jobs and commands use System or a named operator.
type Actor struct {
	AccountID      string
	OrganizationID string
	Role           string
	SourceIP       string
	RequestID      string
}

// System is the actor of background jobs.
var System = Actor{AccountID: "system", Role: "system", SourceIP: "local"}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Event describes one action. Details must never contain personal data
// in clear (use masked forms): the trail is read by auditors and kept for
// years.
type Event struct {
	Action     string // e.g. "account.login", "organization.approve"
	ObjectType string
	ObjectID   string
	Outcome    string // "success" (default) or "failure"
	Details    map[string]any
}

// Entry is a stored audit entry.
type Entry struct {
	ID             string    `json:"id"`
	Shard          int       `json:"shard"`
	Seq            int64     `json:"seq"`
	At             time.Time `json:"at"`
	ActorID        string    `json:"actor_id"`
	OrganizationID string    `json:"organization_id"`
	Role           string    `json:"role"`
	SourceIP       string    `json:"source_ip"`
	RequestID      string    `json:"request_id"`
	Action         string    `json:"action"`
	ObjectType     string    `json:"object_type"`
	ObjectID       string    `json:"object_id"`
	Outcome        string    `json:"outcome"`
	Details        string    `json:"details"`
	ChangeDigest   string    `json:"change_digest"`
	PrevHash       string    `json:"prev_hash"`
	Hash           string    `json:"hash"`
}

// ShardOf returns the chain of an object.
func ShardOf(objectType, objectID string) int {
	h := fnv.New32a()
	h.Write([]byte(objectType))
	h.Write([]byte{0})
	h.Write([]byte(objectID))
	return int(h.Sum32() % NumShards)
}

// ComputeHash is the hash of an entry: SHA-256 over the previous hash and
// every field of the entry in a fixed, length-prefixed layout.
func ComputeHash(e *Entry) string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, e.ID, fmt.Sprint(e.Shard), fmt.Sprint(e.Seq),
		e.At.UTC().Format(time.RFC3339Nano), e.ActorID, e.OrganizationID, e.Role,
		e.SourceIP, e.RequestID, e.Action, e.ObjectType, e.ObjectID, e.Outcome,
		e.Details, e.ChangeDigest,
	} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Trail appends entries.
type Trail struct {
	clock clock.Clock
}

// New returns a Trail reading time from c.
func New(c clock.Clock) *Trail { return &Trail{clock: c} }

type pendingKey struct{}

// RecordTx buffers an entry for ev in tx; it is chained and written just
// before tx commits, with the actor from ctx. If tx rolls back, so does the
// entry.
func (t *Trail) RecordTx(ctx context.Context, tx *db.Tx, ev Event) error {
	e, err := t.build(ctx, ev)
	if err != nil {
		return err
	}
	pending, _ := tx.Value(pendingKey{}).(*[]*Entry)
	if pending == nil {
		pending = &[]*Entry{}
		tx.SetValue(pendingKey{}, pending)
		tx.BeforeCommit(func(ctx context.Context, tx *db.Tx) error { return flush(ctx, tx, *pending) })
	}
	*pending = append(*pending, e)
	return nil
}

// Record appends one entry in a transaction of its own (for events that
// change nothing else, such as a failed login or a read of personal data).
func (t *Trail) Record(ctx context.Context, d *db.DB, ev Event) error {
	return d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error { return t.RecordTx(ctx, tx, ev) })
}

func (t *Trail) build(ctx context.Context, ev Event) (*Entry, error) {
	a := ActorFrom(ctx)
	details := "{}"
	if len(ev.Details) > 0 {
		b, err := json.Marshal(ev.Details)
		if err != nil {
			return nil, fmt.Errorf("audit: encode details: %w", err)
		}
		details = string(b)
	}
	sum := sha256.Sum256([]byte(details))
	outcome := ev.Outcome
	if outcome == "" {
		outcome = "success"
	}
	return &Entry{
		ID: id.New(), Shard: ShardOf(ev.ObjectType, ev.ObjectID), At: t.clock.Now(),
		ActorID: a.AccountID, OrganizationID: a.OrganizationID, Role: a.Role,
		SourceIP: a.SourceIP, RequestID: a.RequestID,
		Action: ev.Action, ObjectType: ev.ObjectType, ObjectID: ev.ObjectID, Outcome: outcome,
		Details: details, ChangeDigest: hex.EncodeToString(sum[:]),
	}, nil
}

// flush chains and inserts the buffered entries of one transaction. They
// all go to one chain, so a transaction holds at most one chain head and
// transactions never deadlock on heads. The chain is the first object's
// (ShardOf) unless, on PostgreSQL, another transaction is committing on
// it: then the next free head is taken (SKIP LOCKED), so concurrent
// transactions do not queue on a head while the other one waits for its
// commit to reach the disk. Only when every head is busy does it wait.
// Which chain an entry is on does not matter to verification: every chain
// is walked, and an entry's hash covers its shard and sequence number.
func flush(ctx context.Context, tx *db.Tx, entries []*Entry) error {
	if len(entries) == 0 {
		return nil
	}
	h, ok := tx.Value(headKey{}).(*head)
	if !ok || !h.taken {
		h = &head{taken: true}
		var err error
		if h.shard, h.seq, h.hash, err = lockChain(ctx, tx, entries[0].Shard); err != nil {
			return err
		}
		tx.SetValue(headKey{}, h)
	}
	if err := tx.Pipeline(ctx, appendSteps(tx, h, entries)...); err != nil {
		return fmt.Errorf("audit: append to chain %d: %w", h.shard, err)
	}
	return nil
}

// appendSteps chains entries onto head h (advancing it) and answers the
// statements that write them and the new head.
func appendSteps(tx *db.Tx, h *head, entries []*Entry) []db.Step {
	args := make([]any, 0, 17*len(entries)+3)
	for _, e := range entries {
		h.seq++
		e.Shard, e.Seq, e.PrevHash = h.shard, h.seq, h.hash
		e.Hash = ComputeHash(e)
		h.hash = e.Hash
		args = append(args, e.ID, e.Shard, e.Seq, e.At, e.ActorID, e.OrganizationID, e.Role, e.SourceIP,
			e.RequestID, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.Details, e.ChangeDigest, e.PrevHash, e.Hash)
	}
	insert := `INSERT INTO audit_log (id, shard, seq, at, actor_id, organization_id, role, source_ip,
		request_id, action, object_type, object_id, outcome, details, change_digest, prev_hash, hash) VALUES ` + db.Values(len(entries), 17, 1)
	if tx.Dialect() == db.Postgres {
		// One statement: the entries and the new head together.
		n := len(args)
		return []db.Step{{SQL: `WITH appended AS (` + insert + `) ` +
			fmt.Sprintf(`UPDATE audit_chain_heads SET seq = $%d, hash = $%d WHERE shard = $%d`, n+1, n+2, n+3),
			Args: append(args, h.seq, h.hash, h.shard)}}
	}
	return []db.Step{{SQL: insert, Args: args},
		{SQL: `UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE shard = $3`, Args: []any{h.seq, h.hash, h.shard}}}
}

// FlushStep answers the statements that write tx's entries buffered so
// far, on the chain LockStep took, for a caller that sends them with other
// statements in one round trip; entries recorded later are written at
// commit as usual. ok is false when no chain was taken early (the entries
// then wait for the commit).
func (t *Trail) FlushStep(tx *db.Tx) (steps []db.Step, ok bool) {
	h, _ := tx.Value(headKey{}).(*head)
	pending, _ := tx.Value(pendingKey{}).(*[]*Entry)
	if h == nil || !h.taken || pending == nil || len(*pending) == 0 {
		return nil, false
	}
	entries := *pending
	*pending = nil
	return appendSteps(tx, h, entries), true
}

// head is a chain head taken early by LockStep.
type head struct {
	taken bool
	shard int
	seq   int64
	hash  string
}

type headKey struct{}

// LockStep is the statement that takes a chain head for tx now instead of
// at commit, for a caller that sends it with other statements in one
// round trip (db.Tx.Pipeline); tx's entries then go to that chain. The
// preferred chain is the object's. Should every head be busy on
// PostgreSQL, nothing is taken and the commit waits for one as usual.
func (t *Trail) LockStep(tx *db.Tx, objectType, objectID string) db.Step {
	h := &head{}
	tx.SetValue(headKey{}, h)
	preferred := ShardOf(objectType, objectID)
	row := func(scan func(...any) error) error {
		h.taken = true
		return scan(&h.shard, &h.seq, &h.hash)
	}
	if tx.Dialect() == db.Postgres {
		return db.Step{SQL: lockFree, Args: []any{preferred, NumShards}, Row: row}
	}
	return db.Step{SQL: lockOne, Args: []any{preferred}, Row: row}
}

const (
	// lockFree takes the preferred head, or the next free one in ring
	// order, skipping heads other transactions hold.
	lockFree = `SELECT shard, seq, hash FROM audit_chain_heads
			ORDER BY (shard - $1 + $2) % $2 FOR UPDATE SKIP LOCKED LIMIT 1`
	lockOne = `UPDATE audit_chain_heads SET seq = seq + 0 WHERE shard = $1 RETURNING shard, seq, hash`
)

// lockChain takes a chain head's row lock until commit and reads it.
func lockChain(ctx context.Context, tx *db.Tx, preferred int) (shard int, seq int64, hash string, err error) {
	if tx.Dialect() == db.Postgres {
		// The preferred head first, then the others in ring order; a head
		// another transaction holds is skipped.
		err = tx.QueryRowContext(ctx, lockFree, preferred, NumShards).Scan(&shard, &seq, &hash)
		if err == nil {
			return shard, seq, hash, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, "", fmt.Errorf("audit: lock a chain: %w", err)
		}
		// Every head is busy: queue for the preferred one.
	}
	// On SQLite the single writer is already exclusive.
	err = tx.QueryRowContext(ctx, lockOne, preferred).Scan(&shard, &seq, &hash)
	if err != nil {
		return 0, 0, "", fmt.Errorf("audit: lock chain %d: %w", preferred, err)
	}
	return shard, seq, hash, nil
}

// ErrBadCursor is returned for a cursor this package did not make.
var ErrBadCursor = problemBadCursor()

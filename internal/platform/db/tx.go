package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Tx is a write transaction. It is an *sql.Tx plus hooks that let the
// audit trail append its entries just before COMMIT, in the same
// transaction as the change they describe.
type Tx struct {
	*sql.Tx
	db           *DB
	beforeCommit []func(ctx context.Context, tx *Tx) error
	afterCommit  []func()
	values       map[any]any
	miss         []string  // statements run unprepared (stmtcache.go)
	conn         *sql.Conn // PostgreSQL: the connection, for Pipeline
}

// Dialect returns the engine of the transaction.
func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// BeforeCommit registers fn to run inside the transaction just before it
// commits; an error from fn rolls everything back.
func (tx *Tx) BeforeCommit(fn func(ctx context.Context, tx *Tx) error) {
	tx.beforeCommit = append(tx.beforeCommit, fn)
}

// AfterCommit registers fn to run after a successful commit (e.g. to wake a
// worker or drop a cache entry). It must not fail.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Value returns per-transaction state stored under key.
func (tx *Tx) Value(key any) any { return tx.values[key] }

// SetValue stores per-transaction state (e.g. the audit entries buffered
// for this transaction).
func (tx *Tx) SetValue(key, v any) {
	if tx.values == nil {
		tx.values = map[any]any{}
	}
	tx.values[key] = v
}

type txKey struct{}

// TxFrom returns the transaction carried by ctx, if any.
func TxFrom(ctx context.Context) *Tx {
	tx, _ := ctx.Value(txKey{}).(*Tx)
	return tx
}

func txFrom(ctx context.Context, d *DB) *Tx {
	if tx := TxFrom(ctx); tx != nil && tx.db == d {
		return tx
	}
	return nil
}

// ErrRollback may be returned by a transaction function to roll back
// without InTx reporting an error.
var ErrRollback = errors.New("db: rollback")

const maxAttempts = 8

// InTx runs fn in a write transaction and commits it when fn returns nil.
// The context passed to fn carries the transaction, so a nested InTx (one
// service calling another) joins it instead of deadlocking on SQLite's
// single writer; only the outermost call commits. A transaction that fails
// only because of concurrency (PostgreSQL serialization failure or
// deadlock, SQLite busy) is run again from the start, so fn must not have
// effects outside the transaction.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if outer := txFrom(ctx, d); outer != nil {
		return fn(ctx, outer)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = d.runTx(ctx, fn)
		if err == nil || errors.Is(err, ErrRollback) {
			return nil
		}
		if !isRetryable(err) || ctx.Err() != nil {
			return err
		}
		// Back off with jitter so racing transactions spread out.
		time.Sleep(time.Duration(attempt*attempt)*time.Millisecond + time.Duration(rand.IntN(3000))*time.Microsecond)
	}
	return err
}

func (d *DB) runTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (err error) {
	var conn *sql.Conn
	var sqlTx *sql.Tx
	if d.dialect == Postgres {
		// The transaction keeps its connection at hand, so Pipeline can
		// send several statements on it at once.
		if conn, err = d.w.Conn(ctx); err != nil {
			return fmt.Errorf("db: begin: %w", err)
		}
		defer conn.Close()
		sqlTx, err = conn.BeginTx(ctx, nil)
	} else {
		sqlTx, err = d.w.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: d, conn: conn}
	done := false
	defer func() {
		if !done {
			_ = sqlTx.Rollback()
		}
	}()
	tctx := context.WithValue(ctx, txKey{}, tx)
	if err := fn(tctx, tx); err != nil {
		return err
	}
	for i := 0; i < len(tx.beforeCommit); i++ { // hooks may add hooks
		if err := tx.beforeCommit[i](tctx, tx); err != nil {
			return err
		}
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	d.gen.Add(1) // before InTx returns: the caller's next request sees it
	d.warm(tx.miss)
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

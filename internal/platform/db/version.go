package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Generation counts the write transactions this process has committed
// through InTx. It is incremented after COMMIT and before InTx returns, so
// a caller that reads it before computing an answer, and finds it
// unchanged later, knows no InTx in this process committed in between.
// Writes by other processes, and the few writes made outside InTx, are not
// counted: DataVersion sees those.
func (d *DB) Generation() uint64 { return d.gen.Load() }

// DataVersion returns a token that is the same on two calls only if no
// connection — in this process or any other — committed a write between
// them; it may also change without a write. It reads the database on a
// connection of its own, once for all the callers waiting at the same
// moment, and only after the call began, so a commit that finished before
// the call is always reflected:
//
//   - SQLite: PRAGMA data_version, which changes when another connection
//     (the writer, another process) commits; in WAL mode it changes at the
//     moment the commit becomes visible to readers.
//   - PostgreSQL: pg_current_snapshot() (PostgreSQL 13+). Every
//     transaction that ends either leaves the in-progress list or raises
//     xmax, so two equal snapshots mean no transaction became visible in
//     between. Writers pay nothing; a WAL position would not do, because a
//     commit record is written before the transaction becomes visible.
func (d *DB) DataVersion(ctx context.Context) (string, error) {
	return d.versions.get(ctx, d)
}

// versionWatch runs the version query on one dedicated connection, from
// one goroutine started on first use, and shares each answer among the
// callers that joined before the query started.
type versionWatch struct {
	mu      sync.Mutex
	next    *versionRound // callers waiting for a query not yet started
	started bool
	closed  bool
	kick    chan struct{}
	quit    chan struct{}
	exited  chan struct{}
	conn    *sql.Conn
	stmt    *sql.Stmt // the version query, prepared once on conn
	own     *sql.DB   // SQLite: a one-connection pool of its own
	epoch   int       // incremented when the connection is replaced
}

type versionRound struct {
	done chan struct{}
	v    string
	err  error
}

var errClosed = errors.New("db: closed")

func (w *versionWatch) get(ctx context.Context, d *DB) (string, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return "", errClosed
	}
	if !w.started {
		w.started = true
		w.kick, w.quit, w.exited = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go w.loop(d)
	}
	r := w.next
	if r == nil {
		r = &versionRound{done: make(chan struct{})}
		w.next = r
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default: // a kick is pending: the round it starts is taken after this join
	}
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (w *versionWatch) loop(d *DB) {
	defer close(w.exited)
	for {
		select {
		case <-w.quit:
			w.mu.Lock()
			if r := w.next; r != nil {
				w.next = nil
				r.err = errClosed
				close(r.done)
			}
			w.mu.Unlock()
			return
		case <-w.kick:
		}
		w.mu.Lock()
		r := w.next
		w.next = nil
		w.mu.Unlock()
		if r == nil {
			continue
		}
		r.v, r.err = w.read(d)
		close(r.done)
	}
}

// read runs the version query (only from loop).
func (w *versionWatch) read(d *DB) (string, error) {
	ctx := context.Background()
	if w.conn == nil {
		if err := w.open(ctx, d); err != nil {
			return "", err
		}
	}
	var v string
	var err error
	if d.dialect == Postgres {
		err = w.stmt.QueryRowContext(ctx).Scan(&v)
	} else {
		var n int64
		err = w.stmt.QueryRowContext(ctx).Scan(&n)
		v = strconv.Itoa(w.epoch) + ":" + strconv.FormatInt(n, 10)
	}
	if err != nil {
		_ = w.stmt.Close()
		_ = w.conn.Close()
		w.conn, w.stmt = nil, nil
		return "", fmt.Errorf("db: data version: %w", err)
	}
	return v, nil
}

func (w *versionWatch) open(ctx context.Context, d *DB) error {
	pool := d.r
	if d.dialect == SQLite {
		if w.own == nil {
			own, err := sql.Open("sqlite", sqliteDSN(d.Path, true))
			if err != nil {
				return fmt.Errorf("db: open version connection: %w", err)
			}
			own.SetMaxOpenConns(1)
			own.SetMaxIdleConns(1)
			own.SetConnMaxIdleTime(0)
			w.own = own
		}
		pool = w.own
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: version connection: %w", err)
	}
	q := `PRAGMA data_version`
	if d.dialect == Postgres {
		q = `SELECT pg_current_snapshot()::text`
	}
	st, err := c.PrepareContext(ctx, q)
	if err != nil {
		_ = c.Close()
		return fmt.Errorf("db: version query: %w", err)
	}
	w.conn, w.stmt = c, st
	w.epoch++
	return nil
}

// close stops the goroutine and closes its connection (from DB.Close).
func (w *versionWatch) close() error {
	w.mu.Lock()
	if w.closed || !w.started {
		w.closed = true
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	<-w.exited
	var err error
	if w.conn != nil {
		err = errors.Join(w.stmt.Close(), w.conn.Close())
	}
	if w.own != nil {
		err = errors.Join(err, w.own.Close())
	}
	return err
}

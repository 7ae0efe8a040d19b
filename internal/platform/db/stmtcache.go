package db

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite statements are compiled on every call unless prepared: the
// modernc driver keeps no cache, and compiling a statement costs about as
// much as running a simple one. On the single writer connection that cost
// is paid inside the serialised section, so placing an order spent a
// quarter of its writer time in the SQL parser. stmtCache keeps prepared
// statements per query text. pgx caches prepared statements itself, so
// the cache is used only on SQLite.
//
// Inside a transaction a cached statement is used through Tx.StmtContext,
// which reuses the statement already prepared on the transaction's
// connection. A statement first seen inside a transaction cannot be
// prepared there (the writer pool's only connection is busy), so it runs
// unprepared and is prepared right after the commit.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	pool  *sql.DB
}

// maxCachedStmts bounds the cache: queries built with a variable number
// of placeholders could otherwise grow it without limit.
const (
	maxCachedStmts   = 1024
	maxCachedStmtLen = 4000
)

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{stmts: map[string]*sql.Stmt{}, pool: pool}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st := c.stmts[q]
	c.mu.RUnlock()
	return st
}

func (c *stmtCache) full() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.stmts) >= maxCachedStmts
}

// prepare prepares q on the pool (outside any transaction) and keeps it.
func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	if c == nil || len(q) > maxCachedStmtLen || c.full() {
		return nil
	}
	if st := c.get(q); st != nil {
		return st
	}
	st, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil // it still runs unprepared
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[q]; ok {
		_ = st.Close()
		return old
	}
	c.stmts[q] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}

// ExecContext runs a statement in the transaction, prepared once per query
// text on SQLite.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.db.wstmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	tx.missed(query)
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction (see ExecContext).
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.db.wstmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	tx.missed(query)
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query in the transaction (see ExecContext).
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.db.wstmts.get(query); st != nil {
		return tx.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	tx.missed(query)
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

func (tx *Tx) missed(q string) {
	if tx.db.wstmts == nil || len(tx.miss) >= 64 {
		return
	}
	tx.miss = append(tx.miss, q)
}

// warm prepares the statements a committed transaction ran unprepared.
func (d *DB) warm(qs []string) {
	for _, q := range qs {
		d.wstmts.prepare(context.Background(), q)
	}
}

// cachedReader is the SQLite read pool with prepared statements: a
// statement prepared on the pool is prepared again, lazily, on each of its
// connections by database/sql and kept with it.
type cachedReader struct {
	pool  *sql.DB
	cache *stmtCache
}

func (r cachedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := r.cache.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return r.pool.ExecContext(ctx, query, args...)
}

func (r cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.cache.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.pool.QueryContext(ctx, query, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.cache.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.pool.QueryRowContext(ctx, query, args...)
}

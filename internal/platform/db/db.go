// Package db opens gbmall's database — embedded SQLite by default,
// PostgreSQL when given a postgres:// URL — and runs transactions and
// migrations on either with one code path. Repository SQL is hand-written
// in the subset both engines accept ($1 placeholders in ascending order of
// first appearance, RETURNING, ON CONFLICT); the few places where the
// dialects must differ ask Dialect().
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names a database engine.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is gbmall's database handle. On SQLite it keeps two pools, as
// pocketbase does: one connection for writes (SQLite has one writer; a
// single-connection pool queues writers in Go instead of spinning on
// SQLITE_BUSY) and several read-only connections that WAL lets run beside
// it. On PostgreSQL both are the same pool.
type DB struct {
	w, r    *sql.DB
	dialect Dialect
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
	// gen counts the transactions committed through InTx (Generation);
	// versions watches commits by any connection (DataVersion).
	gen      atomic.Uint64
	versions versionWatch
	// wstmts and rstmts keep prepared statements (SQLite only; nil on
	// PostgreSQL, whose driver caches them itself).
	wstmts, rstmts *stmtCache
}

// Options says what to open.
type Options struct {
	// URL is a postgres:// URL, or empty for SQLite in DataDir.
	URL string
	// DataDir holds the SQLite file gbmall.db.
	DataDir string
	// SQLitePath overrides the SQLite file (tests).
	SQLitePath string
	// MaxConns bounds the PostgreSQL pool (default 20) and the SQLite
	// reader pool (default 8).
	MaxConns int
}

// Open connects to the database and checks that it answers.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 20
	}
	if strings.HasPrefix(o.URL, "postgres://") || strings.HasPrefix(o.URL, "postgresql://") {
		return openPostgres(ctx, o)
	}
	if o.URL != "" && !strings.HasPrefix(o.URL, "sqlite:") {
		return nil, fmt.Errorf("db: unsupported database URL scheme (want postgres:// or empty for SQLite)")
	}
	return openSQLite(ctx, o)
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	pool, err := sql.Open("pgx", o.URL)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(o.MaxConns)
	pool.SetMaxIdleConns(o.MaxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{w: pool, r: pool, dialect: Postgres}
	if err := d.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// sqliteDSN builds the connection string. busy_timeout comes first: the
// pragmas after it may themselves need to wait for a lock (pocketbase's
// note on the same order). _txlock=immediate takes the write lock at BEGIN,
// so a transaction never fails late when upgrading from read to write.
func sqliteDSN(path string, readOnly bool) string {
	v := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_time_format=sqlite"
	if readOnly {
		return v + "&_pragma=query_only(1)"
	}
	return v + "&_txlock=immediate"
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	path := o.SQLitePath
	if path == "" {
		if o.DataDir == "" {
			return nil, errors.New("db: no data directory for SQLite")
		}
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("db: create data directory: %w", err)
		}
		path = filepath.Join(o.DataDir, "gbmall.db")
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	readers := o.MaxConns
	if readers > 8 {
		readers = 8
	}
	// Create the file and switch it to WAL through the writer before any
	// reader opens it read-only.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: sqlite: %w", err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	return &DB{w: w, r: r, dialect: SQLite, Path: path, wstmts: newStmtCache(w), rstmts: newStmtCache(r)}, nil
}

// Dialect returns the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Ping checks that the database answers (used by /readyz).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.w.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	if d.r != d.w {
		if err := d.r.PingContext(ctx); err != nil {
			return fmt.Errorf("db: ping reader: %w", err)
		}
	}
	return nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.wstmts.close()
	d.rstmts.close()
	err := d.versions.close()
	err = errors.Join(err, d.w.Close())
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// Querier is what *sql.DB, *sql.Tx and *Tx have in common: read helpers take
// it so they work inside and outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Reader returns the handle for reads outside a transaction: the
// transaction in ctx if there is one (so a read sees the caller's own
// uncommitted writes), else the read pool.
func (d *DB) Reader(ctx context.Context) Querier {
	if tx := txFrom(ctx, d); tx != nil {
		return tx
	}
	if d.rstmts != nil {
		return cachedReader{pool: d.r, cache: d.rstmts}
	}
	return d.r
}

// WritePool exposes the write pool for the few callers that manage their
// own connection (migrations, backups). Prefer InTx.
func (d *DB) WritePool() *sql.DB { return d.w }

// QueryRow runs a single-row read (see Reader).
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.Reader(ctx).QueryRowContext(ctx, query, args...)
}

// Query runs a read (see Reader).
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.Reader(ctx).QueryContext(ctx, query, args...)
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coder interface{ SQLState() string }
	if errors.As(err, &coder) {
		return coder.SQLState() == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "constraint failed: UNIQUE")
}

// isRetryable reports whether a transaction failed only because of
// concurrency (PostgreSQL serialization failure or deadlock, SQLite busy)
// and may simply be run again.
func isRetryable(err error) bool {
	if err == nil {
		return false
	}
	var coder interface{ SQLState() string }
	if errors.As(err, &coder) {
		s := coder.SQLState()
		return s == "40001" || s == "40P01"
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// Strings runs a query whose rows are one text column (usually ids) and
// returns the values in row order.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Values builds the VALUES list of a multi-row INSERT: rows groups of cols
// placeholders numbered from first, e.g. Values(2, 3, 1) is
// "($1, $2, $3), ($4, $5, $6)". One statement for many rows is one round
// trip to PostgreSQL and one step of SQLite's writer.
func Values(rows, cols, first int) string {
	var b strings.Builder
	n := first
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Marks is "$first, $first+1, …" for n values, for an IN list.
func Marks(n, first int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}

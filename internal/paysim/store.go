package paysim

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// paysim keeps its own state in its own SQLite file, apart from the
// platform's database: it is another company's system. Times are INTEGER
// microseconds since the Unix epoch (UTC); money is INTEGER fen.
const schema = `
CREATE TABLE IF NOT EXISTS trades (
	trade_no        TEXT PRIMARY KEY,
	out_trade_no    TEXT NOT NULL UNIQUE,
	amount          INTEGER NOT NULL CHECK (amount > 0),
	currency        TEXT NOT NULL,
	subject         TEXT NOT NULL,
	notify_url      TEXT NOT NULL,
	return_url      TEXT NOT NULL,
	expires_at      INTEGER NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'closed')),
	created_at      INTEGER NOT NULL,
	paid_at         INTEGER,
	closed_at       INTEGER,
	close_reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS trades_created ON trades (created_at);
CREATE TABLE IF NOT EXISTS refunds (
	refund_no       TEXT PRIMARY KEY,
	out_refund_no   TEXT NOT NULL UNIQUE,
	trade_no        TEXT NOT NULL REFERENCES trades (trade_no),
	amount          INTEGER NOT NULL CHECK (amount > 0),
	reason          TEXT NOT NULL,
	status          TEXT NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
	created_at      INTEGER NOT NULL,
	complete_at     INTEGER NOT NULL,
	completed_at    INTEGER
);
CREATE INDEX IF NOT EXISTS refunds_trade ON refunds (trade_no);
CREATE INDEX IF NOT EXISTS refunds_due ON refunds (status, complete_at);
CREATE INDEX IF NOT EXISTS refunds_created ON refunds (created_at);
CREATE TABLE IF NOT EXISTS settlements (
	settlement_no     TEXT PRIMARY KEY,
	out_settlement_no TEXT NOT NULL UNIQUE,
	trade_no          TEXT NOT NULL REFERENCES trades (trade_no),
	payee             TEXT NOT NULL,
	amount            INTEGER NOT NULL CHECK (amount >= 0),
	commission        INTEGER NOT NULL CHECK (commission >= 0),
	status            TEXT NOT NULL,
	created_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS settlements_trade ON settlements (trade_no);
CREATE INDEX IF NOT EXISTS settlements_created ON settlements (created_at);
CREATE TABLE IF NOT EXISTS notifications (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	event            TEXT NOT NULL,
	trade_no         TEXT NOT NULL,
	url              TEXT NOT NULL,
	body             BLOB NOT NULL,
	wrong_key        INTEGER NOT NULL DEFAULT 0,
	status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dropped', 'failed')),
	attempts         INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	next_attempt_at  INTEGER NOT NULL,
	first_attempt_at INTEGER,
	last_attempt_at  INTEGER,
	last_result      TEXT NOT NULL DEFAULT '',
	delivered_at     INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_attempt_at);
`

func openStore(path string) (*sql.DB, error) {
	// Create the file 0600 first: SQLite gives its -wal and -shm files the
	// database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("paysim: database: %w", err)
	}
	f.Close()
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: every statement is serialised, so read-then-write
	// transactions (idempotency, refund limits) cannot interleave.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("paysim: create schema: %w", err)
	}
	return db, nil
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// newNo returns prefix + the UTC time to the second + 8 random digits,
// the shape of a provider's transaction numbers.
func newNo(prefix string, now time.Time) string {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		panic("paysim: random source failed: " + err.Error())
	}
	return fmt.Sprintf("%s%s%08d", prefix, now.UTC().Format("20060102150405"), n.Int64())
}

type trade struct {
	TradeNo, OutTradeNo, Currency, Subject, NotifyURL, ReturnURL, Status, CloseReason string
	Amount                                                                            int64
	ExpiresAt, CreatedAt                                                              time.Time
	PaidAt, ClosedAt                                                                  *time.Time
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const tradeCols = `trade_no, out_trade_no, amount, currency, subject, notify_url, return_url, expires_at, status, created_at, paid_at, closed_at, close_reason`

func scanTrade(row *sql.Row) (*trade, error) {
	var t trade
	var exp, created int64
	var paid, closed sql.NullInt64
	err := row.Scan(&t.TradeNo, &t.OutTradeNo, &t.Amount, &t.Currency, &t.Subject, &t.NotifyURL, &t.ReturnURL, &exp, &t.Status, &created, &paid, &closed, &t.CloseReason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt, t.PaidAt, t.ClosedAt = fromMicros(exp), fromMicros(created), fromNullMicros(paid), fromNullMicros(closed)
	return &t, nil
}

// loadTrade reads a trade by column ("trade_no" or "out_trade_no"). A
// pending trade whose expiry has passed is closed on the way (nothing can
// pay it any more); no notification is sent for an expiry, the platform
// closes its side by its own payment deadline.
func loadTrade(ctx context.Context, q querier, by, value string, now time.Time) (*trade, error) {
	t, err := scanTrade(q.QueryRowContext(ctx, `SELECT `+tradeCols+` FROM trades WHERE `+by+` = ?`, value))
	if err != nil || t == nil {
		return t, err
	}
	if t.Status == "pending" && !now.Before(t.ExpiresAt) {
		if _, err := q.ExecContext(ctx, `UPDATE trades SET status = 'closed', closed_at = ?, close_reason = 'expired' WHERE trade_no = ? AND status = 'pending'`,
			micros(t.ExpiresAt), t.TradeNo); err != nil {
			return nil, err
		}
		t.Status, t.CloseReason = "closed", "expired"
		ca := t.ExpiresAt
		t.ClosedAt = &ca
	}
	return t, nil
}

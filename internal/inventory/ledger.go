package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// StockLevel is a SKU's stock level (R-6.4-6).
type StockLevel struct {
	SKUID      string `json:"sku_id"`
	OnHand     int    `json:"on_hand"`
	Reserved   int    `json:"reserved"`
	Available  int    `json:"available" doc:"units that can be sold now: on hand, less reserved, less units in frozen or expired batches"`
	Unsellable int    `json:"unsellable" doc:"units on hand in frozen or expired batches"`
}

func (st *StockLevel) settle() {
	st.Available = max(0, st.OnHand-st.Reserved-st.Unsellable)
}

// LedgerEntry is one stock_ledger row: an immutable movement (R-6.4-6).
type LedgerEntry struct {
	ID            string    `json:"id"`
	SKUID         string    `json:"sku_id"`
	Kind          string    `json:"kind" enum:"receipt,reservation,release,sale,return,adjustment,count,expiry,quarantine"`
	DeltaOnHand   int       `json:"delta_on_hand"`
	DeltaReserved int       `json:"delta_reserved"`
	ReceiptID     string    `json:"receipt_id,omitempty" doc:"the batch (stock receipt) the units came from or went to"`
	OrderID       string    `json:"order_id,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	ActorID       string    `json:"actor_id"`
	At            time.Time `json:"at"`
}

// blockedSQL is the number of a SKU's units in frozen or expired batches;
// it is correlated with stock_levels.sku_id and takes today (YYYY-MM-DD,
// Shanghai) as parameter $n. A batch whose expires_on is today is still
// sellable today.
func blockedSQL(n int) string {
	return fmt.Sprintf(`(SELECT COALESCE(SUM(b.remaining), 0) FROM stock_batches b WHERE b.sku_id = stock_levels.sku_id AND b.remaining > 0
		AND (b.frozen = TRUE OR (b.expires_on <> '' AND b.expires_on < $%d)))`, n)
}

// sellableBatch and blockedBatch select batches by whether a sale may draw
// from them; $n is today.
func sellableBatch(n int) string {
	return fmt.Sprintf(`frozen = FALSE AND (expires_on = '' OR expires_on >= $%d)`, n)
}

func blockedBatch(n int) string {
	return fmt.Sprintf(`(frozen = TRUE OR (expires_on <> '' AND expires_on < $%d))`, n)
}

// StockOf returns a SKU's level to its seller's staff; others get 404.
func (s *Service) StockOf(ctx context.Context, skuID string) (*StockLevel, error) {
	if _, err := s.authorizeSKU(ctx, skuID); err != nil {
		return nil, err
	}
	return s.stock(ctx, s.db.Reader(ctx), skuID)
}

func (s *Service) stock(ctx context.Context, q db.Querier, skuID string) (*StockLevel, error) {
	st := StockLevel{SKUID: skuID}
	err := q.QueryRowContext(ctx, `SELECT on_hand, reserved, `+blockedSQL(1)+` FROM stock_levels WHERE sku_id = $2`, s.today(), skuID).
		Scan(&st.OnHand, &st.Reserved, &st.Unsellable)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("inventory: stock: %w", err)
	}
	st.settle()
	return &st, nil
}

// Available returns how many units of a SKU can be sold now (0 for an
// unknown SKU). It needs no caller: storefront pages and quotes show it.
func (s *Service) Available(ctx context.Context, skuID string) (int, error) {
	st, err := s.stock(ctx, s.db.Reader(ctx), skuID)
	if err != nil {
		return 0, err
	}
	return st.Available, nil
}

// AvailableMany is Available for several SKUs in one query; SKUs without
// stock are absent from the map.
func (s *Service) AvailableMany(ctx context.Context, skuIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(skuIDs) == 0 {
		return out, nil
	}
	args := []any{s.today()}
	marks := make([]string, 0, len(skuIDs))
	for _, x := range skuIDs {
		args = append(args, x)
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := s.db.Query(ctx, `SELECT sku_id, on_hand, reserved, `+blockedSQL(1)+` FROM stock_levels WHERE sku_id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("inventory: available: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st StockLevel
		if err := rows.Scan(&st.SKUID, &st.OnHand, &st.Reserved, &st.Unsellable); err != nil {
			return nil, err
		}
		st.settle()
		out[st.SKUID] = st.Available
	}
	return out, rows.Err()
}

// Ledger lists a SKU's movements, newest first, to its seller's staff.
func (s *Service) Ledger(ctx context.Context, skuID string, p Page) ([]LedgerEntry, string, error) {
	if _, err := s.authorizeSKU(ctx, skuID); err != nil {
		return nil, "", err
	}
	cond, args, err := p.where("id", 2)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, `SELECT id, sku_id, kind, delta_on_hand, delta_reserved, COALESCE(receipt_id, ''), COALESCE(order_id, ''), reason, actor_id, at
		FROM stock_ledger WHERE sku_id = $1`+cond+` ORDER BY id DESC`+p.limit(), append([]any{skuID}, args...)...)
	if err != nil {
		return nil, "", fmt.Errorf("inventory: ledger: %w", err)
	}
	defer rows.Close()
	out := []LedgerEntry{}
	for rows.Next() {
		var e LedgerEntry
		if err := rows.Scan(&e.ID, &e.SKUID, &e.Kind, &e.DeltaOnHand, &e.DeltaReserved, &e.ReceiptID, &e.OrderID, &e.Reason, &e.ActorID, &e.At); err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, p, func(e LedgerEntry) string { return e.ID })
	return out, next, nil
}

// level is a SKU's stock row as read under its lock.
type level struct {
	skuID, orgID       string
	onHand, reserved   int
	blocked, unbatched int
}

func (l level) available() int { return l.onHand - l.reserved - l.blocked }

// lockLevel locks a SKU's stock_levels row for the rest of tx (PostgreSQL
// row lock; SQLite's writer is already exclusive) and reads it with the
// SKU's batch totals. Every transaction that changes a SKU's level or
// batches calls it first, so what it reads stays true until commit. A SKU
// that does not exist is not-found.
func (s *Service) lockLevel(ctx context.Context, tx *db.Tx, skuID, today string) (level, error) {
	l := level{skuID: skuID}
	orgID, err := s.skuOrg(ctx, tx, skuID)
	if err != nil {
		return l, err
	}
	l.orgID = orgID
	// A SKU that never had stock gets its (zero) row here, so there is
	// always a row to lock: two first movements of a SKU queue like any
	// others.
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_levels (sku_id, on_hand, reserved) VALUES ($1, 0, 0) ON CONFLICT (sku_id) DO NOTHING`, skuID); err != nil {
		return l, fmt.Errorf("inventory: level row: %w", err)
	}
	q := `SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	if err := tx.QueryRowContext(ctx, q, skuID).Scan(&l.onHand, &l.reserved); err != nil {
		return l, fmt.Errorf("inventory: lock level: %w", err)
	}
	var all int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(remaining), 0),
		COALESCE(SUM(CASE WHEN `+blockedBatch(1)+` THEN remaining ELSE 0 END), 0)
		FROM stock_batches WHERE sku_id = $2 AND remaining > 0`, today, skuID).Scan(&all, &l.blocked); err != nil {
		return l, fmt.Errorf("inventory: batch totals: %w", err)
	}
	l.unbatched = max(0, l.onHand-all)
	return l, nil
}

// movement is one ledger row to append.
type movement struct {
	skuID, orgID, kind string
	dOnHand, dReserved int
	receiptID, orderID string
	reason             string
	at                 time.Time // zero: now, from the clock
	actor              string    // empty: from the context
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// record appends an immutable ledger row.
func (s *Service) record(ctx context.Context, tx *db.Tx, m movement) (string, error) {
	entryID := id.New()
	at := m.at
	if at.IsZero() {
		at = s.clock.Now()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_ledger (id, sku_id, organization_id, kind, delta_on_hand, delta_reserved, receipt_id, order_id, reason, actor_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		entryID, m.skuID, m.orgID, m.kind, m.dOnHand, m.dReserved, nullable(m.receiptID), nullable(m.orderID), m.reason, actorID(ctx), at); err != nil {
		return "", fmt.Errorf("inventory: ledger: %w", err)
	}
	return entryID, nil
}

// recordAll appends several ledger rows in one statement.
func (s *Service) recordAll(ctx context.Context, tx *db.Tx, ms []movement) error {
	q, args := s.ledgerInsert(ctx, ms, 1)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("inventory: ledger: %w", err)
	}
	return nil
}

// ledgerInsert is the statement appending ms, its parameters numbered from
// first.
func (s *Service) ledgerInsert(ctx context.Context, ms []movement, first int) (string, []any) {
	now := s.clock.Now()
	actor := actorID(ctx)
	args := make([]any, 0, 11*len(ms))
	for _, m := range ms {
		at := m.at
		if at.IsZero() {
			at = now
		}
		who := m.actor
		if who == "" {
			who = actor
		}
		args = append(args, id.New(), m.skuID, m.orgID, m.kind, m.dOnHand, m.dReserved, nullable(m.receiptID), nullable(m.orderID), m.reason, who, at)
	}
	return `INSERT INTO stock_ledger (id, sku_id, organization_id, kind, delta_on_hand, delta_reserved, receipt_id, order_id, reason, actor_id, at)
		VALUES ` + db.Values(len(ms), 11, first), args
}

// addOnHand puts q > 0 units on hand, creating the level row if needed.
func addOnHand(ctx context.Context, tx *db.Tx, skuID string, q int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stock_levels (sku_id, on_hand, reserved) VALUES ($1, $2, 0)
		ON CONFLICT (sku_id) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand`, skuID, q)
	if err != nil {
		return fmt.Errorf("inventory: add stock: %w", err)
	}
	return nil
}

// exec runs a conditional UPDATE and reports whether it changed a row.
func exec(ctx context.Context, tx *db.Tx, q string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("inventory: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("inventory: %w", err)
	}
	return n > 0, nil
}

// portion is part of a movement drawn from one batch ("" for unbatched units).
type portion struct {
	receiptID string
	quantity  int
}

// takeUnits removes n units from the SKU's batches in the order a sale
// draws them: sellable batches earliest expiry first (FEFO; batches
// without an expiry date last, then by receipt), then unbatched units, and
// only then frozen or expired batches — units reserved before a batch was
// frozen or expired are still traceable to it (R-6.4-3). l is the level
// read under the lock before the movement. It keeps sum(remaining) <=
// on_hand.
func (s *Service) takeUnits(ctx context.Context, tx *db.Tx, l level, n int, today string) ([]portion, error) {
	var out []portion
	fromBatches := func(cond, order string) error {
		rows, err := tx.QueryContext(ctx, `SELECT receipt_id, remaining FROM stock_batches WHERE sku_id = $1 AND remaining > 0 AND `+cond+` ORDER BY `+order, l.skuID, today)
		if err != nil {
			return fmt.Errorf("inventory: batches: %w", err)
		}
		var batches []portion
		for rows.Next() {
			var b portion
			if err := rows.Scan(&b.receiptID, &b.quantity); err != nil {
				rows.Close()
				return err
			}
			batches = append(batches, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range batches {
			if n == 0 {
				break
			}
			q := min(n, b.quantity)
			ok, err := exec(ctx, tx, `UPDATE stock_batches SET remaining = remaining - $1 WHERE receipt_id = $2 AND remaining >= $1`, q, b.receiptID)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("inventory: batch %s changed under its lock", b.receiptID)
			}
			out = append(out, portion{b.receiptID, q})
			n -= q
		}
		return nil
	}
	if err := fromBatches(sellableBatch(2), `CASE WHEN expires_on = '' THEN 1 ELSE 0 END, expires_on, receipt_id`); err != nil {
		return nil, err
	}
	if q := min(n, l.unbatched); q > 0 {
		out = append(out, portion{"", q})
		n -= q
	}
	if n > 0 {
		if err := fromBatches(blockedBatch(2), `expires_on, receipt_id`); err != nil {
			return nil, err
		}
	}
	if n > 0 {
		return nil, fmt.Errorf("inventory: sku %s: %d units on hand in no batch (ledger and batches disagree)", l.skuID, n)
	}
	return out, nil
}

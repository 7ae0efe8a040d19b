package inventory

import (
	"context"
	"fmt"
	"sort"

	"gbmall/internal/audit"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// The order domain moves stock through these four functions, inside its
// own transaction so the order and its stock commit or roll back together.
// Each checks every line before writing anything, so a refused call leaves
// the transaction as it found it; should a later write still fail, the
// caller must roll back (returning the error from InTx does). A
// reservation is tied to its order through the ledger (order_id), which is
// how a release or sale knows what the order holds.

// merge validates lines, sums duplicate SKUs and sorts them by SKU: every
// transaction locks levels in the same order, so two orders for the same
// SKUs cannot deadlock.
func merge(lines []Line, orderID string) ([]Line, error) {
	if orderID == "" {
		return nil, fmt.Errorf("inventory: stock movement without an order id")
	}
	sum := map[string]int{}
	for i, ln := range lines {
		if ln.Quantity <= 0 {
			return nil, problem.Invalid(problem.Field(fmt.Sprintf("lines[%d].quantity", i), i18n.T("数量应为正整数", "Quantity must be a positive whole number")))
		}
		sum[ln.SKUID] += ln.Quantity
	}
	if len(sum) == 0 {
		return nil, problem.Invalid(problem.Field("lines", i18n.T("至少需要一行", "At least one line is needed")))
	}
	out := make([]Line, 0, len(sum))
	for sku, q := range sum {
		out = append(out, Line{SKUID: sku, Quantity: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKUID < out[j].SKUID })
	return out, nil
}

func linesDetail(ls []Line) []map[string]any {
	out := make([]map[string]any, len(ls))
	for i, ln := range ls {
		out[i] = map[string]any{"sku_id": ln.SKUID, "quantity": ln.Quantity}
	}
	return out
}

// lockAll locks every line's level in order.
func (s *Service) lockAll(ctx context.Context, tx *db.Tx, ls []Line, today string) ([]level, error) {
	out := make([]level, len(ls))
	for i, ln := range ls {
		l, err := s.lockLevel(ctx, tx, ln.SKUID, today)
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}

// ReserveTx reserves every line for orderID, all or nothing (R-6.4-6).
// When any line is short it returns ErrOutOfStock (409 out-of-stock) whose
// "sku_ids" member names every short SKU, and writes nothing.
//
// It is on the path of every order, so it is short: one statement locks
// the lines' level rows (in SKU order) and reads their sellers, one
// conditional UPDATE per line is the guard — run after the lock, its
// snapshot sees every batch frozen before — and one statement writes the
// ledger rows. Anything unusual (a SKU with no level row, a short line)
// goes the long way, reserveChecked, which explains the refusal.
func (s *Service) ReserveTx(ctx context.Context, tx *db.Tx, lines []Line, orderID string) error {
	ls, err := merge(lines, orderID)
	if err != nil {
		return err
	}
	today := s.today()
	orgs, err := lockLevels(ctx, tx, ls)
	if err != nil {
		return err
	}
	if len(orgs) < len(ls) {
		return s.reserveChecked(ctx, tx, ls, orderID, today)
	}
	for i, ln := range ls {
		ok, err := reserveLine(ctx, tx, ln, today)
		if err != nil {
			return err
		}
		if !ok {
			// Give back what this call took, then let the long way name
			// every short line.
			for _, prev := range ls[:i] {
				if _, err := tx.ExecContext(ctx, `UPDATE stock_levels SET reserved = reserved - $1 WHERE sku_id = $2`, prev.Quantity, prev.SKUID); err != nil {
					return fmt.Errorf("inventory: undo reservation: %w", err)
				}
			}
			return s.reserveChecked(ctx, tx, ls, orderID, today)
		}
	}
	ms := make([]movement, len(ls))
	for i, ln := range ls {
		ms[i] = movement{skuID: ln.SKUID, orgID: orgs[ln.SKUID], kind: "reservation", dReserved: ln.Quantity, orderID: orderID}
	}
	if err := s.recordAll(ctx, tx, ms); err != nil {
		return err
	}
	return nil
}

// lockLevels locks the level rows of ls (sorted by SKU) in that order and
// returns each SKU's seller. A SKU without a level row is missing from the
// answer.
func lockLevels(ctx context.Context, tx *db.Tx, ls []Line) (map[string]string, error) {
	args := make([]any, len(ls))
	for i, ln := range ls {
		args[i] = ln.SKUID
	}
	q := `SELECT l.sku_id, s.organization_id FROM stock_levels l JOIN skus s ON s.id = l.sku_id
		WHERE l.sku_id IN (` + db.Marks(len(ls), 1) + `) ORDER BY l.sku_id`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE OF l` // locked in the sorted order: no deadlocks
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("inventory: lock levels: %w", err)
	}
	defer rows.Close()
	orgs := make(map[string]string, len(ls))
	for rows.Next() {
		var sku, org string
		if err := rows.Scan(&sku, &org); err != nil {
			return nil, err
		}
		orgs[sku] = org
	}
	return orgs, rows.Err()
}

// reserveChecked is the long way of ReserveTx: every level is locked and
// read with its batch totals, short lines are named, then reserved.
func (s *Service) reserveChecked(ctx context.Context, tx *db.Tx, ls []Line, orderID, today string) error {
	levels, err := s.lockAll(ctx, tx, ls, today)
	if err != nil {
		return err
	}
	var short []string
	for i, ln := range ls {
		if levels[i].available() < ln.Quantity {
			short = append(short, ln.SKUID)
		}
	}
	if len(short) > 0 {
		return OutOfStock(short)
	}
	ms := make([]movement, len(ls))
	for i, ln := range ls {
		ok, err := reserveLine(ctx, tx, ln, today)
		if err != nil {
			return err
		}
		if !ok {
			return OutOfStock([]string{ln.SKUID})
		}
		ms[i] = movement{skuID: ln.SKUID, orgID: levels[i].orgID, kind: "reservation", dReserved: ln.Quantity, orderID: orderID}
	}
	if err := s.recordAll(ctx, tx, ms); err != nil {
		return err
	}
	return nil
}

// reserveLine reserves one line if the units are there. The conditional
// UPDATE is the guard; the caller's lock on the level row only makes the
// blocked-batch subquery see the latest committed batches.
func reserveLine(ctx context.Context, tx *db.Tx, ln Line, today string) (bool, error) {
	return exec(ctx, tx, `UPDATE stock_levels SET reserved = reserved + $1
		WHERE sku_id = $2 AND on_hand - reserved - `+blockedSQL(3)+` >= $1`, ln.Quantity, ln.SKUID, today)
}

// reservedFor is what orderID still holds reserved of skuID.
func reservedFor(ctx context.Context, tx *db.Tx, orderID, skuID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(delta_reserved), 0) FROM stock_ledger WHERE order_id = $1 AND sku_id = $2`, orderID, skuID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("inventory: reserved for order: %w", err)
	}
	return n, nil
}

// checkReserved locks the lines and refuses when the order holds less than
// a line asks for.
func (s *Service) checkReserved(ctx context.Context, tx *db.Tx, ls []Line, orderID, today string) ([]level, error) {
	levels, err := s.lockAll(ctx, tx, ls, today)
	if err != nil {
		return nil, err
	}
	var short []string
	for _, ln := range ls {
		held, err := reservedFor(ctx, tx, orderID, ln.SKUID)
		if err != nil {
			return nil, err
		}
		if held < ln.Quantity {
			short = append(short, ln.SKUID)
		}
	}
	if len(short) > 0 {
		e := *ErrNotReserved
		return nil, e.With("sku_ids", short)
	}
	return levels, nil
}

// ReleaseTx gives back what orderID reserved (cancellation, payment
// deadline). Releasing more than the order holds is ErrNotReserved.
func (s *Service) ReleaseTx(ctx context.Context, tx *db.Tx, lines []Line, orderID string) error {
	ls, err := merge(lines, orderID)
	if err != nil {
		return err
	}
	levels, err := s.checkReserved(ctx, tx, ls, orderID, s.today())
	if err != nil {
		return err
	}
	for i, ln := range ls {
		ok, err := exec(ctx, tx, `UPDATE stock_levels SET reserved = reserved - $1 WHERE sku_id = $2 AND reserved >= $1`, ln.Quantity, ln.SKUID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotReserved
		}
		if _, err := s.record(ctx, tx, movement{skuID: ln.SKUID, orgID: levels[i].orgID, kind: "release", dReserved: -ln.Quantity, orderID: orderID}); err != nil {
			return err
		}
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.release", ObjectType: "order", ObjectID: orderID, Details: map[string]any{"lines": linesDetail(ls)}})
}

// CommitSaleTx moves orderID's reserved units out of stock when the order
// is paid or ships: on_hand and reserved both fall. The units are drawn
// from batches first-expiry-first-out and each ledger row names its batch,
// so a batch's orders can be traced for a recall (R-6.4-3, R-10.4-15).
// Selling more than the order holds reserved is ErrNotReserved.
func (s *Service) CommitSaleTx(ctx context.Context, tx *db.Tx, lines []Line, orderID string) error {
	ls, err := merge(lines, orderID)
	if err != nil {
		return err
	}
	today := s.today()
	levels, err := s.checkReserved(ctx, tx, ls, orderID, today)
	if err != nil {
		return err
	}
	for i, ln := range ls {
		ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand - $1, reserved = reserved - $1 WHERE sku_id = $2 AND reserved >= $1`, ln.Quantity, ln.SKUID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotReserved
		}
		portions, err := s.takeUnits(ctx, tx, levels[i], ln.Quantity, today)
		if err != nil {
			return err
		}
		for _, p := range portions {
			if _, err := s.record(ctx, tx, movement{skuID: ln.SKUID, orgID: levels[i].orgID, kind: "sale", dOnHand: -p.quantity, dReserved: -p.quantity,
				receiptID: p.receiptID, orderID: orderID}); err != nil {
				return err
			}
		}
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.sale", ObjectType: "order", ObjectID: orderID, Details: map[string]any{"lines": linesDetail(ls)}})
}

// soldFrom returns, per batch ("" for unbatched units), how many units of
// skuID orderID bought and has not returned.
func soldFrom(ctx context.Context, tx *db.Tx, orderID, skuID string) ([]portion, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT COALESCE(receipt_id, ''), -SUM(delta_on_hand) FROM stock_ledger
		WHERE order_id = $1 AND sku_id = $2 AND kind IN ('sale', 'return') GROUP BY receipt_id`, orderID, skuID)
	if err != nil {
		return nil, 0, fmt.Errorf("inventory: sold for order: %w", err)
	}
	defer rows.Close()
	var out []portion
	total := 0
	for rows.Next() {
		var p portion
		if err := rows.Scan(&p.receiptID, &p.quantity); err != nil {
			return nil, 0, err
		}
		if p.quantity > 0 {
			out = append(out, p)
			total += p.quantity
		}
	}
	// Units go back to their batches first (they stay traceable), in a
	// fixed order; unbatched units last.
	sort.Slice(out, func(i, j int) bool {
		if (out[i].receiptID == "") != (out[j].receiptID == "") {
			return out[j].receiptID == ""
		}
		return out[i].receiptID > out[j].receiptID
	})
	return out, total, rows.Err()
}

// ReturnTx puts returned units of orderID back on hand, into the batches
// they were sold from: a unit from a batch that has since expired or been
// frozen goes back blocked. Returning more than the order bought is
// ErrNotSold.
func (s *Service) ReturnTx(ctx context.Context, tx *db.Tx, lines []Line, orderID string) error {
	ls, err := merge(lines, orderID)
	if err != nil {
		return err
	}
	levels, err := s.lockAll(ctx, tx, ls, s.today())
	if err != nil {
		return err
	}
	sold := make([][]portion, len(ls))
	var short []string
	for i, ln := range ls {
		ps, total, err := soldFrom(ctx, tx, orderID, ln.SKUID)
		if err != nil {
			return err
		}
		if total < ln.Quantity {
			short = append(short, ln.SKUID)
		}
		sold[i] = ps
	}
	if len(short) > 0 {
		e := *ErrNotSold
		return e.With("sku_ids", short)
	}
	for i, ln := range ls {
		if err := addOnHand(ctx, tx, ln.SKUID, ln.Quantity); err != nil {
			return err
		}
		left := ln.Quantity
		for _, p := range sold[i] {
			if left == 0 {
				break
			}
			q := min(left, p.quantity)
			if p.receiptID != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE stock_batches SET remaining = remaining + $1 WHERE receipt_id = $2`, q, p.receiptID); err != nil {
					return fmt.Errorf("inventory: return to batch: %w", err)
				}
			}
			if _, err := s.record(ctx, tx, movement{skuID: ln.SKUID, orgID: levels[i].orgID, kind: "return", dOnHand: q, receiptID: p.receiptID, orderID: orderID}); err != nil {
				return err
			}
			left -= q
		}
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.return", ObjectType: "order", ObjectID: orderID, Details: map[string]any{"lines": linesDetail(ls)}})
}

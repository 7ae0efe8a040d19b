package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// StockAdjustmentInput is a manual stock correction: breakage, loss, found
// goods. ReceiptID optionally names the batch the units belong to — the
// way to write off a frozen batch.
type StockAdjustmentInput struct {
	SKUID     string
	Delta     int
	Reason    string
	ReceiptID string
}

// StockAdjustment is a booked correction and the SKU's stock after it.
type StockAdjustment struct {
	ID        string        `json:"id" doc:"the first ledger entry of the adjustment"`
	SKUID     string        `json:"sku_id"`
	Delta     int           `json:"delta"`
	Reason    string        `json:"reason"`
	ReceiptID string        `json:"receipt_id,omitempty"`
	Entries   []LedgerEntry `json:"entries" doc:"the ledger entries booked, one per batch touched"`
	Stock     StockLevel    `json:"stock"`
}

var errNegative = problem.New(problem.Conflict, i18n.T("调整后可售库存将为负数", "The change would make available stock negative"))

// AdjustStock books a correction with its reason (R-6.4-7). A decrease
// takes sellable units (unreserved, not in a frozen or expired batch) and
// is refused with a conflict when it would make available stock negative
// (R-6.4-6); a decrease of a named frozen or expired batch needs only the
// units not to be reserved.
func (s *Service) AdjustStock(ctx context.Context, orgID string, in StockAdjustmentInput) (*StockAdjustment, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	var f []problem.FieldError
	if in.Delta == 0 || in.Delta > 1_000_000 || in.Delta < -1_000_000 {
		f = append(f, problem.Field("delta", i18n.T("调整数量应为非零整数，绝对值不超过 1000000", "The change must be a non-zero whole number of at most 1000000 units")))
	}
	in.Reason = text(&f, "reason", in.Reason, 2, 200, "调整原因", "Reason")
	today := s.today()
	out := &StockAdjustment{SKUID: in.SKUID, Delta: in.Delta, Reason: in.Reason, ReceiptID: in.ReceiptID}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		fields := append([]problem.FieldError(nil), f...)
		ok, err := skuInOrg(ctx, tx, in.SKUID, orgID)
		if err != nil {
			return err
		}
		if !ok {
			fields = append(fields, problem.Field("sku_id", msgNoSuchSKU))
		}
		var l level
		var b *batchRow
		if ok {
			// Lock first: the batch read below must be the latest.
			if l, err = s.lockLevel(ctx, tx, in.SKUID, today); err != nil {
				return err
			}
			if in.ReceiptID != "" {
				if b, err = batchOf(ctx, tx, in.ReceiptID, in.SKUID, orgID, today); err != nil {
					return err
				}
				if b == nil {
					fields = append(fields, problem.Field("receipt_id", i18n.T("该 SKU 没有这个批次", "No such batch of this SKU")))
				}
			}
		}
		if len(fields) > 0 {
			return problem.Invalid(fields...)
		}
		portions, err := s.applyAdjustment(ctx, tx, l, in.Delta, b, today)
		if err != nil {
			return err
		}
		out.Entries = nil
		for _, p := range portions {
			m := movement{skuID: in.SKUID, orgID: orgID, kind: "adjustment", dOnHand: p.quantity, receiptID: p.receiptID, reason: in.Reason}
			entryID, err := s.record(ctx, tx, m)
			if err != nil {
				return err
			}
			out.Entries = append(out.Entries, LedgerEntry{ID: entryID, SKUID: in.SKUID, Kind: m.kind, DeltaOnHand: m.dOnHand, ReceiptID: m.receiptID,
				Reason: m.reason, ActorID: actorID(ctx), At: s.clock.Now()})
		}
		out.ID = out.Entries[0].ID
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.adjust", ObjectType: "sku", ObjectID: in.SKUID,
			Details: map[string]any{"organization_id": orgID, "delta": in.Delta, "reason": in.Reason, "receipt_id": in.ReceiptID}})
	})
	if err != nil {
		return nil, err
	}
	st, err := s.stock(ctx, s.db.Reader(ctx), in.SKUID)
	if err != nil {
		return nil, err
	}
	out.Stock = *st
	return out, nil
}

// applyAdjustment changes the level and batches by delta and returns the
// signed portions to book.
func (s *Service) applyAdjustment(ctx context.Context, tx *db.Tx, l level, delta int, b *batchRow, today string) ([]portion, error) {
	if delta > 0 {
		if err := addOnHand(ctx, tx, l.skuID, delta); err != nil {
			return nil, err
		}
		if b != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE stock_batches SET remaining = remaining + $1 WHERE receipt_id = $2`, delta, b.receiptID); err != nil {
				return nil, fmt.Errorf("inventory: adjust batch: %w", err)
			}
			return []portion{{b.receiptID, delta}}, nil
		}
		return []portion{{"", delta}}, nil
	}
	d := -delta
	if b != nil {
		// Units of a blocked batch are not part of available stock, so
		// writing them off only must not eat into reservations.
		cond := `on_hand - reserved >= $1`
		if !b.blocked {
			cond = `on_hand - reserved - ` + blockedSQL(3) + ` >= $1`
		}
		if b.remaining < d {
			return nil, problem.New(problem.Conflict, i18n.T(fmt.Sprintf("该批次只剩 %d 件", b.remaining), fmt.Sprintf("The batch has only %d units left", b.remaining)))
		}
		args := []any{d, l.skuID}
		if !b.blocked {
			args = append(args, today)
		}
		ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand - $1 WHERE sku_id = $2 AND `+cond, args...)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errNegative
		}
		if ok, err := exec(ctx, tx, `UPDATE stock_batches SET remaining = remaining - $1 WHERE receipt_id = $2 AND remaining >= $1`, d, b.receiptID); err != nil || !ok {
			return nil, errors.Join(err, fmt.Errorf("inventory: batch %s changed under its lock", b.receiptID))
		}
		return []portion{{b.receiptID, -d}}, nil
	}
	ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand - $1 WHERE sku_id = $2 AND on_hand - reserved - `+blockedSQL(3)+` >= $1`, d, l.skuID, today)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNegative
	}
	ps, err := s.takeUnits(ctx, tx, l, d, today)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].quantity = -ps[i].quantity
	}
	return ps, nil
}

// batchRow is a batch as read under its SKU's lock.
type batchRow struct {
	receiptID string
	remaining int
	blocked   bool
}

// batchOf returns the batch receiptID of skuID in orgID, or nil.
func batchOf(ctx context.Context, tx *db.Tx, receiptID, skuID, orgID, today string) (*batchRow, error) {
	if !id.Valid(receiptID) {
		return nil, nil
	}
	var b batchRow
	err := tx.QueryRowContext(ctx, `SELECT b.receipt_id, b.remaining, CASE WHEN b.frozen = TRUE OR (b.expires_on <> '' AND b.expires_on < $1) THEN 1 ELSE 0 END
		FROM stock_batches b JOIN stock_receipts r ON r.id = b.receipt_id WHERE b.receipt_id = $2 AND b.sku_id = $3 AND r.organization_id = $4`,
		today, receiptID, skuID, orgID).Scan(&b.receiptID, &b.remaining, &b.blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inventory: batch: %w", err)
	}
	return &b, nil
}

// StockCountInput is a stocktake: what the counter found, per SKU.
type StockCountInput struct {
	CounterName string
	Lines       []StockCountLineInput
}

// StockCountLineInput is one SKU counted.
type StockCountLineInput struct {
	SKUID   string
	Counted int
}

// StockCount is a recorded stocktake (盘点, R-6.4-7).
type StockCount struct {
	ID             string           `json:"id"`
	OrganizationID string           `json:"organization_id"`
	CounterName    string           `json:"counter_name"`
	CountedBy      string           `json:"counted_by" doc:"the account that booked the count"`
	CountedAt      time.Time        `json:"counted_at"`
	Lines          []StockCountLine `json:"lines"`
}

// StockCountLine is one SKU's result: expected is what was on hand when the
// count was booked.
type StockCountLine struct {
	SKUID    string `json:"sku_id"`
	Expected int    `json:"expected"`
	Counted  int    `json:"counted"`
	Variance int    `json:"variance"`
}

func (in *StockCountInput) validate() []problem.FieldError {
	var f []problem.FieldError
	in.CounterName = text(&f, "counter_name", in.CounterName, 1, 50, "盘点人", "Counter's name")
	if len(in.Lines) == 0 || len(in.Lines) > 500 {
		f = append(f, problem.Field("lines", i18n.T("盘点应包含 1 到 500 行", "A count has 1 to 500 lines")))
	}
	seen := map[string]bool{}
	for i, ln := range in.Lines {
		if ln.Counted < 0 || ln.Counted > 10_000_000 {
			f = append(f, problem.Field(fmt.Sprintf("lines[%d].counted", i), i18n.T("盘点数量应为 0 到 10000000", "The count must be 0 to 10000000")))
		}
		if seen[ln.SKUID] {
			f = append(f, problem.Field(fmt.Sprintf("lines[%d].sku_id", i), i18n.T("同一 SKU 只能出现一次", "Each SKU may appear once")))
		}
		seen[ln.SKUID] = true
	}
	return f
}

// RecordCount books a stocktake in one transaction: per line the expected
// quantity (on hand now), the count and the variance, and for every
// variance a 'count' ledger entry whose reason names the counter. A count
// below what is reserved for orders refuses the whole count with a
// conflict naming those SKUs.
func (s *Service) RecordCount(ctx context.Context, orgID string, in StockCountInput) (*StockCount, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	f := in.validate()
	today := s.today()
	countID := id.New()
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		fields := append([]problem.FieldError(nil), f...)
		for i, ln := range in.Lines {
			ok, err := skuInOrg(ctx, tx, ln.SKUID, orgID)
			if err != nil {
				return err
			}
			if !ok {
				fields = append(fields, problem.Field(fmt.Sprintf("lines[%d].sku_id", i), msgNoSuchSKU))
			}
		}
		if len(fields) > 0 {
			return problem.Invalid(fields...)
		}
		lines := append([]StockCountLineInput(nil), in.Lines...)
		sort.Slice(lines, func(i, j int) bool { return lines[i].SKUID < lines[j].SKUID })
		levels := make([]level, len(lines))
		var below []string
		for i, ln := range lines {
			l, err := s.lockLevel(ctx, tx, ln.SKUID, today)
			if err != nil {
				return err
			}
			if ln.Counted < l.reserved {
				below = append(below, ln.SKUID)
			}
			levels[i] = l
		}
		if len(below) > 0 {
			return problem.New(problem.Conflict, i18n.T("盘点数量低于已被订单预留的数量："+strings.Join(below, ", "),
				"Counted below what orders have reserved: "+strings.Join(below, ", "))).With("sku_ids", below)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stock_counts (id, organization_id, counter_name, counted_by, counted_at) VALUES ($1, $2, $3, $4, $5)`,
			countID, orgID, in.CounterName, actorID(ctx), s.clock.Now()); err != nil {
			return fmt.Errorf("inventory: insert count: %w", err)
		}
		reason := fmt.Sprintf("盘点 %s，盘点人：%s / stock count %s by %s", countID, in.CounterName, countID, in.CounterName)
		net := 0
		for i, ln := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO stock_count_lines (count_id, sku_id, expected, counted) VALUES ($1, $2, $3, $4)`,
				countID, ln.SKUID, levels[i].onHand, ln.Counted); err != nil {
				return fmt.Errorf("inventory: insert count line: %w", err)
			}
			if err := s.bookVariance(ctx, tx, levels[i], ln.Counted, reason, today); err != nil {
				return err
			}
			net += ln.Counted - levels[i].onHand
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.count", ObjectType: "stock_count", ObjectID: countID,
			Details: map[string]any{"organization_id": orgID, "lines": len(lines), "net_variance": net}})
	})
	if err != nil {
		return nil, err
	}
	return s.count(ctx, countID)
}

// bookVariance sets on_hand to counted: a compare-and-set on the value read
// under the lock, and never below reserved.
func (s *Service) bookVariance(ctx context.Context, tx *db.Tx, l level, counted int, reason, today string) error {
	v := counted - l.onHand
	if v == 0 {
		return nil
	}
	var portions []portion
	switch {
	case v > 0:
		ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand + $1 WHERE sku_id = $2 AND on_hand = $3`, v, l.skuID, l.onHand)
		if err != nil || !ok {
			return errors.Join(err, fmt.Errorf("inventory: level of %s changed under its lock", l.skuID))
		}
		portions = []portion{{"", v}}
	default:
		ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand + $1 WHERE sku_id = $2 AND on_hand = $3 AND on_hand + $1 >= reserved`, v, l.skuID, l.onHand)
		if err != nil || !ok {
			return errors.Join(err, fmt.Errorf("inventory: level of %s changed under its lock", l.skuID))
		}
		ps, err := s.takeUnits(ctx, tx, l, -v, today)
		if err != nil {
			return err
		}
		for _, p := range ps {
			portions = append(portions, portion{p.receiptID, -p.quantity})
		}
	}
	for _, p := range portions {
		if _, err := s.record(ctx, tx, movement{skuID: l.skuID, orgID: l.orgID, kind: "count", dOnHand: p.quantity, receiptID: p.receiptID, reason: reason}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) count(ctx context.Context, countID string) (*StockCount, error) {
	var c StockCount
	err := s.db.QueryRow(ctx, `SELECT id, organization_id, counter_name, counted_by, counted_at FROM stock_counts WHERE id = $1`, countID).
		Scan(&c.ID, &c.OrganizationID, &c.CounterName, &c.CountedBy, &c.CountedAt)
	if err != nil {
		return nil, fmt.Errorf("inventory: count: %w", err)
	}
	return &c, s.attachCountLines(ctx, &c)
}

func (s *Service) attachCountLines(ctx context.Context, c *StockCount) error {
	rows, err := s.db.Query(ctx, `SELECT sku_id, expected, counted FROM stock_count_lines WHERE count_id = $1 ORDER BY sku_id`, c.ID)
	if err != nil {
		return fmt.Errorf("inventory: count lines: %w", err)
	}
	defer rows.Close()
	c.Lines = []StockCountLine{}
	for rows.Next() {
		var ln StockCountLine
		if err := rows.Scan(&ln.SKUID, &ln.Expected, &ln.Counted); err != nil {
			return err
		}
		ln.Variance = ln.Counted - ln.Expected
		c.Lines = append(c.Lines, ln)
	}
	return rows.Err()
}

// Counts lists a seller's stocktakes, newest first.
func (s *Service) Counts(ctx context.Context, orgID string, p Page) ([]StockCount, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, "", err
	}
	cond, args, err := p.where("id", 2)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, `SELECT id, organization_id, counter_name, counted_by, counted_at FROM stock_counts WHERE organization_id = $1`+cond+
		` ORDER BY id DESC`+p.limit(), append([]any{orgID}, args...)...)
	if err != nil {
		return nil, "", fmt.Errorf("inventory: counts: %w", err)
	}
	out := []StockCount{}
	for rows.Next() {
		var c StockCount
		if err := rows.Scan(&c.ID, &c.OrganizationID, &c.CounterName, &c.CountedBy, &c.CountedAt); err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, p, func(c StockCount) string { return c.ID })
	for i := range out {
		if err := s.attachCountLines(ctx, &out[i]); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

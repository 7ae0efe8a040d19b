package inventory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gbmall/internal/audit"
	"gbmall/internal/platform/db"
)

// Claim is one checkout's stock in a batch: the lines of each of its
// orders. A claim is reserved whole or not at all.
type Claim struct {
	// Ctx carries the checkout's actor, for its ledger rows and audit
	// entries.
	Ctx    context.Context
	Orders []ClaimOrder
}

// ClaimOrder is one order's lines in a Claim.
type ClaimOrder struct {
	OrderID string
	Lines   []Line
}

// ReserveBatchTx reserves stock for many checkouts in one transaction —
// the group commit of order placement: under load, the checkouts that
// arrive while one transaction runs are placed together by the next. The
// claims are served in the order given, each whole or not at all, exactly
// as if ReserveTx had been called for each in turn (R-6.4-6): it answers,
// per claim, the SKUs it was short of (nil when reserved). It locks every
// level row involved in SKU order, reads them with their batch totals
// after the lock, decides in memory, then writes one guarded UPDATE for
// all SKUs and one statement of ledger rows. A guard that does not hold
// (which the locks rule out) fails the whole call.
func (s *Service) ReserveBatchTx(ctx context.Context, tx *db.Tx, claims []Claim) ([][]string, error) {
	short := make([][]string, len(claims))
	want := map[string]bool{}
	merged := make([][][]Line, len(claims))
	for i, c := range claims {
		merged[i] = make([][]Line, len(c.Orders))
		for j, o := range c.Orders {
			ls, err := merge(o.Lines, o.OrderID)
			if err != nil {
				return nil, err
			}
			merged[i][j] = ls
			for _, ln := range ls {
				want[ln.SKUID] = true
			}
		}
	}
	skus := make([]string, 0, len(want))
	for sku := range want {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	args := make([]any, len(skus))
	for i, sku := range skus {
		args[i] = sku
	}
	// Lock the rows (PostgreSQL; SQLite's writer is exclusive) in SKU
	// order and read them. The batch totals in this read may predate a
	// batch frozen while the lock was awaited; the guarded UPDATE below, a
	// later statement, sees it, and then the whole call fails rather than
	// sell frozen goods.
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = ` FOR UPDATE OF stock_levels`
	}
	today := s.today()
	rows, err := tx.QueryContext(ctx, `SELECT stock_levels.sku_id, s.organization_id, on_hand - reserved - `+blockedSQL(1)+`
		FROM stock_levels JOIN skus s ON s.id = stock_levels.sku_id WHERE stock_levels.sku_id IN (`+db.Marks(len(skus), 2)+`)
		ORDER BY stock_levels.sku_id`+lock, append([]any{today}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("inventory: read levels: %w", err)
	}
	avail := make(map[string]int, len(skus))
	orgs := make(map[string]string, len(skus))
	for rows.Next() {
		var sku, org string
		var n int
		if err := rows.Scan(&sku, &org, &n); err != nil {
			rows.Close()
			return nil, err
		}
		avail[sku], orgs[sku] = n, org
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Serve the claims in turn.
	take := map[string]int{}
	var ms []movement
	var granted []int
	for i, c := range claims {
		need := map[string]int{}
		for _, ls := range merged[i] {
			for _, ln := range ls {
				need[ln.SKUID] += ln.Quantity
			}
		}
		for sku, q := range need {
			if avail[sku]-take[sku] < q { // a SKU with no level row has nothing
				short[i] = append(short[i], sku)
			}
		}
		if len(short[i]) > 0 {
			sort.Strings(short[i])
			continue
		}
		for sku, q := range need {
			take[sku] += q
		}
		granted = append(granted, i)
		actor := actorID(c.Ctx)
		for j, o := range c.Orders {
			for _, ln := range merged[i][j] {
				ms = append(ms, movement{skuID: ln.SKUID, orgID: orgs[ln.SKUID], kind: "reservation", dReserved: ln.Quantity, orderID: o.OrderID, actor: actor})
			}
		}
	}
	if len(granted) == 0 {
		return short, nil
	}
	var values []string
	args = []any{today}
	for _, sku := range skus {
		if q := take[sku]; q > 0 {
			values = append(values, fmt.Sprintf("($%d, CAST($%d AS INTEGER))", len(args)+1, len(args)+2))
			args = append(args, sku, q)
		}
	}
	update := `UPDATE stock_levels SET reserved = reserved + v.q FROM v
		WHERE stock_levels.sku_id = v.sku_id AND stock_levels.on_hand - stock_levels.reserved - ` + blockedSQL(1) + ` >= v.q`
	var updated int64
	if tx.Dialect() == db.Postgres {
		// One round trip: the guarded UPDATE and the ledger rows.
		ledger, largs := s.ledgerInsert(ctx, ms, len(args)+1)
		if err := tx.QueryRowContext(ctx, `WITH v (sku_id, q) AS (VALUES `+strings.Join(values, ", ")+`),
			u AS (`+update+` RETURNING 1), l AS (`+ledger+`) SELECT count(*) FROM u`, append(args, largs...)...).Scan(&updated); err != nil {
			return nil, fmt.Errorf("inventory: reserve: %w", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `WITH v (sku_id, q) AS (VALUES `+strings.Join(values, ", ")+`) `+update, args...)
		if err != nil {
			return nil, fmt.Errorf("inventory: reserve: %w", err)
		}
		if updated, err = res.RowsAffected(); err != nil {
			return nil, err
		}
		if err := s.recordAll(ctx, tx, ms); err != nil {
			return nil, err
		}
	}
	if updated != int64(len(values)) {
		return nil, fmt.Errorf("inventory: batch reservation: %d of %d levels updated", updated, len(values))
	}
	for _, i := range granted {
		for j, o := range claims[i].Orders {
			if err := s.trail.RecordTx(claims[i].Ctx, tx, audit.Event{Action: "stock.reserve", ObjectType: "order", ObjectID: o.OrderID,
				Details: map[string]any{"lines": linesDetail(merged[i][j])}}); err != nil {
				return nil, err
			}
		}
	}
	return short, nil
}

package inventory

import (
	"context"
	"fmt"
	"sort"
	"strings"

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

// BatchPlan reserves stock for many checkouts in one transaction — the
// group commit of order placement: under load, the checkouts that arrive
// while one transaction runs are placed together by the next. The claims
// are served in the order given, each whole or not at all, exactly as if
// ReserveTx had been called for each in turn (R-6.4-6). It works in two
// halves, for a caller that sends other statements with each (db.Tx.
// Pipeline): Read locks the level rows of the SKUs in SKU order and reads
// them; Decide serves the claims in memory and answers the statements that
// write the reservations (one guarded UPDATE for all SKUs and the ledger
// rows); Check, after they ran, confirms every guard held — which the
// locks ensure, but for a batch frozen while a lock was awaited.
type BatchPlan struct {
	s       *Service
	tx      *db.Tx
	skus    []string
	today   string
	avail   map[string]int
	orgs    map[string]string
	want    int   // level rows the writes must update
	updated int64 // level rows they did
}

// PlanBatch prepares a batch reservation on skus (any order, repeats
// allowed).
func (s *Service) PlanBatch(tx *db.Tx, skus []string) *BatchPlan {
	seen := map[string]bool{}
	p := &BatchPlan{s: s, tx: tx, today: s.today(), avail: map[string]int{}, orgs: map[string]string{}}
	for _, sku := range skus {
		if !seen[sku] {
			seen[sku] = true
			p.skus = append(p.skus, sku)
		}
	}
	sort.Strings(p.skus)
	return p
}

// Read is the statement that locks the level rows (PostgreSQL; SQLite's
// writer is exclusive) in SKU order, so batches never deadlock, and reads
// them. The batch totals it reads may predate a batch frozen while the
// lock was awaited; the guarded UPDATE of Decide, a later statement, sees
// it, and Check then fails the call rather than sell frozen goods.
func (p *BatchPlan) Read() db.Step {
	lock := ""
	if p.tx.Dialect() == db.Postgres {
		lock = ` FOR UPDATE OF stock_levels`
	}
	args := []any{p.today}
	for _, sku := range p.skus {
		args = append(args, sku)
	}
	return db.Step{SQL: `SELECT stock_levels.sku_id, s.organization_id, on_hand - reserved - ` + blockedSQL(1) + `
		FROM stock_levels JOIN skus s ON s.id = stock_levels.sku_id WHERE stock_levels.sku_id IN (` + db.Marks(len(p.skus), 2) + `)
		ORDER BY stock_levels.sku_id` + lock, Args: args,
		Row: func(scan func(...any) error) error {
			var sku, org string
			var n int
			if err := scan(&sku, &org, &n); err != nil {
				return err
			}
			p.avail[sku], p.orgs[sku] = n, org
			return nil
		}}
}

// Decide serves claims in turn on what Read found and answers per claim
// the SKUs it was short of, with the statements that write the
// reservations (none if nothing was reserved).
func (p *BatchPlan) Decide(ctx context.Context, claims []Claim) ([][]string, []db.Step, error) {
	s, tx := p.s, p.tx
	short := make([][]string, len(claims))
	take := map[string]int{}
	var ms []movement
	for i, c := range claims {
		merged := make([][]Line, len(c.Orders))
		need := map[string]int{}
		for j, o := range c.Orders {
			ls, err := merge(o.Lines, o.OrderID)
			if err != nil {
				return nil, nil, err
			}
			merged[j] = ls
			for _, ln := range ls {
				need[ln.SKUID] += ln.Quantity
			}
		}
		for sku, q := range need {
			if p.avail[sku]-take[sku] < q { // a SKU with no level row has nothing
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
		actor := actorID(c.Ctx)
		for j, o := range c.Orders {
			for _, ln := range merged[j] {
				ms = append(ms, movement{skuID: ln.SKUID, orgID: p.orgs[ln.SKUID], kind: "reservation", dReserved: ln.Quantity, orderID: o.OrderID, actor: actor})
			}
		}
	}
	if len(ms) == 0 {
		return short, nil, nil
	}
	var values []string
	args := []any{p.today}
	for _, sku := range p.skus {
		if q := take[sku]; q > 0 {
			values = append(values, fmt.Sprintf("($%d, CAST($%d AS INTEGER))", len(args)+1, len(args)+2))
			args = append(args, sku, q)
		}
	}
	p.want = len(values)
	update := `UPDATE stock_levels SET reserved = reserved + v.q FROM v
		WHERE stock_levels.sku_id = v.sku_id AND stock_levels.on_hand - stock_levels.reserved - ` + blockedSQL(1) + ` >= v.q`
	with := `WITH v (sku_id, q) AS (VALUES ` + strings.Join(values, ", ") + `) `
	if tx.Dialect() == db.Postgres {
		// One statement: the guarded UPDATE and the ledger rows.
		ledger, largs := s.ledgerInsert(ctx, ms, len(args)+1)
		return short, []db.Step{{SQL: with + `, u AS (` + update + ` RETURNING 1), l AS (` + ledger + `) SELECT count(*) FROM u`,
			Args: append(args, largs...), Row: func(scan func(...any) error) error { return scan(&p.updated) }}}, nil
	}
	ledger, largs := s.ledgerInsert(ctx, ms, 1)
	return short, []db.Step{
		{SQL: with + update, Args: args, Done: func(n int64) error { p.updated = n; return nil }},
		{SQL: ledger, Args: largs},
	}, nil
}

// Check confirms, after Decide's statements ran, that every guarded UPDATE
// held.
func (p *BatchPlan) Check() error {
	if int64(p.want) != p.updated {
		return fmt.Errorf("inventory: batch reservation: %d of %d levels updated", p.updated, p.want)
	}
	return nil
}

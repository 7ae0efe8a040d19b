package order

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/inventory"
	"gbmall/internal/platform/db"
)

// Group commit of order placement. Every checkout that passed its checks
// joins a queue; one goroutine takes whatever is queued and places it all
// in one transaction, while the next arrivals queue for the following one.
// Under load a transaction carries many checkouts, so the claims of their
// quotes, the re-reading of prices, the stock reservation, the orders, lines,
// history and ledger rows, and the audit entries are a handful of
// statements and one commit for all of them, instead of that many for each:
// on SQLite the single writer is held once per batch, on PostgreSQL the
// round trips and the commit's disk flush are shared. A lone checkout is a
// batch of one and pays nothing for waiting.
//
// A batch decides every checkout exactly as placing it alone would: each
// is served in arrival order, whole or not at all; one whose prices
// changed gets quote-expired, one the stock cannot cover gets out-of-stock,
// and neither leaves anything behind (its claim on the quote is undone in
// the same transaction). A checkout the batch cannot decide — its quote was
// claimed meanwhile by another request, or the transaction failed — is
// handed back and placed alone, so the outcome never depends on the
// company it arrived in.

// maxBatch and maxBatchLines bound one transaction (statement sizes —
// parameters are limited on both engines — and lock time); a batch takes
// at least one checkout.
const (
	maxBatch      = 64
	maxBatchLines = 256
)

// placeJob is one checkout waiting for a batch.
type placeJob struct {
	ctx     context.Context
	in      PlaceInput
	account string
	q       *quoteRow
	terms   Terms
	now     time.Time
	infos   [][]*catalog.SKUInfo // the catalogue's word on each line, read in prepare
	stamp   int64                // the catalogue's stamp of infos (catalog.Check)

	// PostgreSQL: the orders and the answer, built in prepare with serials
	// from the sequence, so the batch only writes.
	pre    []*newOrder
	answer []byte

	done  chan struct{}
	out   []Placed
	err   error
	alone bool // not decided by the batch: place it alone

	built []*newOrder
}

// lines counts the checkout's order lines.
func (j *placeJob) lines() int {
	n := 0
	for _, qo := range j.q.body.Orders {
		n += len(qo.Lines)
	}
	return n
}

type batcher struct {
	mu      sync.Mutex
	queue   []*placeJob
	running bool
}

// submit queues job; job.done is closed once it is decided or handed back.
func (s *Service) submit(job *placeJob) {
	b := &s.batch
	b.mu.Lock()
	b.queue = append(b.queue, job)
	if !b.running {
		b.running = true
		go s.drain()
	}
	b.mu.Unlock()
}

// drain places batches until the queue is empty.
func (s *Service) drain() {
	b := &s.batch
	for {
		b.mu.Lock()
		n, lines := 0, 0
		for n < len(b.queue) && n < maxBatch && (n == 0 || lines+b.queue[n].lines() <= maxBatchLines) {
			lines += b.queue[n].lines()
			n++
		}
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		jobs := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		s.placeBatch(jobs)
		for _, j := range jobs {
			close(j.done)
		}
	}
}

// placeBatch places jobs in one transaction, or hands them back.
func (s *Service) placeBatch(jobs []*placeJob) {
	var live []*placeJob
	seen := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j.ctx.Err() != nil:
			j.err = j.ctx.Err() // the requester has gone: nothing was placed
		case seen[j.q.id]:
			j.alone = true // the same quote twice: the second one learns its fate alone
		default:
			seen[j.q.id] = true
			live = append(live, j)
		}
	}
	if len(live) == 0 {
		return
	}
	// The batch is nobody's request (each checkout's actor comes from its
	// own context): it must finish even if a requester hangs up, but not
	// run forever.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, j := range live { // a retried transaction starts afresh
			j.out, j.err, j.alone = nil, nil, false
		}
		return s.placeBatchTx(ctx, tx, live)
	})
	if err != nil {
		s.Log.Warn("order: a batch of checkouts failed; placing each alone", "checkouts", len(live), "err", err)
		for _, j := range live {
			j.out, j.err, j.alone = nil, nil, true
		}
		return
	}
	var placed []string
	for _, j := range live {
		if j.err == nil && !j.alone {
			placed = append(placed, j.q.id)
		}
	}
	s.quotes.drop(placed...)
}

func (s *Service) placeBatchTx(ctx context.Context, tx *db.Tx, jobs []*placeJob) error {
	// SQLite: order numbers follow the highest so far, under the writer.
	var last int64
	if jobs[0].pre == nil {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(serial), 0) FROM orders`).Scan(&last); err != nil {
			return fmt.Errorf("order: number: %w", err)
		}
	}
	// Each checkout's orders and answer (built in prepare on PostgreSQL).
	var claimArgs []any
	var claimRows []string
	for _, j := range jobs {
		j.built, j.out = j.pre, nil
		answer := j.answer
		if j.built == nil {
			serials := make([]int64, len(j.q.body.Orders))
			for i := range serials {
				last++
				serials[i] = last
			}
			var err error
			if j.built, answer, err = s.buildAll(j, serials); err != nil {
				return err
			}
		}
		for _, o := range j.built {
			j.out = append(j.out, o.placed)
		}
		n := len(claimArgs)
		claimRows = append(claimRows, fmt.Sprintf("($%d, $%d, $%d, %s, %s)", n+1, n+2, n+3, castTime(tx, fmt.Sprintf("$%d", n+4)), castTime(tx, fmt.Sprintf("$%d", n+5))))
		claimArgs = append(claimArgs, j.q.id, j.in.IdempotencyKey, string(answer), j.now, j.now.Add(-24*time.Hour))
	}
	// First round trip: the claims (each guarded against a used quote and
	// against its key used for another quote), the prices and listings as
	// this transaction sees them, the catalogue's stamp, the stock rows
	// (locked) and a chain of the audit trail. None depends on another's
	// answer.
	got := map[string]bool{}
	var orders []QuoteOrder
	var skus []string
	for _, j := range jobs {
		orders = append(orders, j.q.body.Orders...)
		for _, qo := range j.q.body.Orders {
			for _, l := range qo.Lines {
				skus = append(skus, l.SKUID)
			}
		}
	}
	cur := map[string]skuNow{}
	var stamp int64
	plan := s.stock.PlanBatch(tx, skus)
	err := tx.Pipeline(ctx,
		db.Step{SQL: `WITH v (id, idempotency_key, answer, at, since) AS (VALUES ` + strings.Join(claimRows, ", ") + `)
		UPDATE checkout_quotes SET used_at = v.at, idempotency_key = v.idempotency_key, answer = v.answer FROM v
		WHERE checkout_quotes.id = v.id AND checkout_quotes.used_at IS NULL AND ` + keyFreeSQL("checkout_quotes", "v.idempotency_key", "v.since") + `
		RETURNING checkout_quotes.id`, Args: claimArgs,
			Row: func(scan func(...any) error) error {
				var id string
				if err := scan(&id); err != nil {
					return err
				}
				got[id] = true
				return nil
			}},
		currentStep(orders, cur),
		s.catalog.StampStep(&stamp),
		plan.Read(),
		s.trail.LockStep(tx, "order", jobs[0].built[0].id))
	if err != nil {
		return fmt.Errorf("order: batch: %w", err)
	}
	s.catalog.SeenStamp(stamp)
	// Decide, in arrival order: a quote claimed by another request first,
	// or checked by the catalogue before a change to it, is placed alone
	// afterwards; changed prices expire a checkout; then the stock serves
	// the rest whole or not at all.
	var undo []string // claims to give back: the checkout was refused
	var claims []inventory.Claim
	var reserving []*placeJob
	for _, j := range jobs {
		if !got[j.q.id] {
			j.out, j.alone = nil, true
			continue
		}
		if j.stamp != stamp {
			j.out, j.alone = nil, true
			undo = append(undo, j.q.id)
			continue
		}
		if mine := staleLines(j.q.body.Orders, cur); len(mine) > 0 {
			j.out, j.err = nil, errChanged(mine)
			undo = append(undo, j.q.id)
			continue
		}
		c := inventory.Claim{Ctx: j.ctx}
		for _, o := range j.built {
			c.Orders = append(c.Orders, inventory.ClaimOrder{OrderID: o.id, Lines: o.stockLines()})
		}
		claims = append(claims, c)
		reserving = append(reserving, j)
	}
	// R-6.4-6: the reservations are part of the orders' transaction.
	short, writes, err := plan.Decide(ctx, claims)
	if err != nil {
		return err
	}
	var placed []*newOrder
	for i, j := range reserving {
		if len(short[i]) > 0 {
			j.out, j.err = nil, inventory.OutOfStock(short[i])
			undo = append(undo, j.q.id)
			continue
		}
		placed = append(placed, j.built...)
		for _, o := range j.built {
			if err := s.trail.RecordTx(j.ctx, tx, placeEvent(o)); err != nil {
				return err
			}
		}
	}
	// Second round trip: the refused claims given back, the stock, the
	// orders with their lines and history, the carts, the audit entries.
	if len(undo) > 0 {
		writes = append(writes, db.Step{SQL: `UPDATE checkout_quotes SET used_at = NULL, idempotency_key = NULL, answer = NULL
			WHERE id IN (` + db.Marks(len(undo), 1) + `)`, Args: anys(undo)})
	}
	if len(placed) > 0 {
		writes = append(writes, orderSteps(tx, placed)...)
	}
	if steps, ok := s.trail.FlushStep(tx); ok {
		writes = append(writes, steps...)
	}
	if err := tx.Pipeline(ctx, writes...); err != nil {
		return fmt.Errorf("order: batch: %w", err)
	}
	return plan.Check()
}

// placeEvent is the audit entry of a placed order; it also records the
// stock reserved for it (the reservation writes no entry of its own).
func placeEvent(o *newOrder) audit.Event {
	lines := make([]map[string]any, len(o.contract.Lines))
	for i, l := range o.contract.Lines {
		lines[i] = map[string]any{"sku_id": l.SKUID, "quantity": l.Quantity}
	}
	return audit.Event{Action: "order.place", ObjectType: "order", ObjectID: o.id,
		Details: map[string]any{"number": o.placed.Number, "seller_id": o.seller, "total_fen": o.placed.Total.Amount,
			"contract_sha256": o.digest, "terms_version": o.terms, "reserved": lines}}
}

// castTime types a timestamp parameter in a VALUES list (PostgreSQL would
// read an untyped one there as text; SQLite stores times as text anyway).
func castTime(tx *db.Tx, expr string) string {
	if tx.Dialect() == db.Postgres {
		return "CAST(" + expr + " AS TIMESTAMPTZ)"
	}
	return expr
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// buildAll builds a checkout's orders with the given serials, and its
// answer.
func (s *Service) buildAll(j *placeJob, serials []int64) ([]*newOrder, []byte, error) {
	built := make([]*newOrder, len(j.q.body.Orders))
	placed := make([]Placed, len(built))
	for i, qo := range j.q.body.Orders {
		o, err := s.build(j.account, actorOf(j.ctx), j.q, qo, j.infos[i], j.terms, j.in.AcknowledgeNonReturnable, serials[i], j.now)
		if err != nil {
			return nil, nil, err
		}
		built[i], placed[i] = o, o.placed
	}
	answer, err := json.Marshal(placed)
	return built, answer, err
}

package order

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gbmall/internal/catalog"
	"gbmall/internal/inventory"
	"gbmall/internal/org"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// PlaceInput is the consumer's commitment to a quote.
type PlaceInput struct {
	QuoteID     string
	AcceptTerms bool
	// AcknowledgeNonReturnable confirms, for this checkout, that lines
	// whose category is not eligible for 7-day no-reason returns are
	// accepted as such; without it those lines stay returnable (R-6.6-5).
	AcknowledgeNonReturnable bool
	// IdempotencyKey is required: a replay with the same key returns the
	// orders the first request placed and places nothing new.
	IdempotencyKey string
}

// Placed is one order as the placement answers it.
type Placed struct {
	ID        string        `json:"id"`
	Number    string        `json:"number"`
	Status    Status        `json:"status"`
	SellerID  string        `json:"seller_id"`
	Total     catalog.Money `json:"total"`
	PayBefore time.Time     `json:"pay_before"`
}

// Contract is the e-contract snapshot (R-6.6-2): exactly what the consumer
// confirmed, stored as bytes beside their SHA-256 and never changed. Field
// order is fixed by this struct, so the bytes are reproducible. It holds
// no personal data in clear: the address is masked here and kept
// encrypted on the order.
type Contract struct {
	Kind            string          `json:"kind"`
	OrderID         string          `json:"order_id"`
	Number          string          `json:"number"`
	CheckoutID      string          `json:"checkout_id"`
	PlacedAt        time.Time       `json:"placed_at"`
	PayBefore       time.Time       `json:"pay_before"`
	Buyer           ContractBuyer   `json:"buyer"`
	Seller          ContractSeller  `json:"seller"`
	Lines           []ContractLine  `json:"lines"`
	ItemsTotal      catalog.Money   `json:"items_total"`
	Shipping        catalog.Money   `json:"shipping"`
	Total           catalog.Money   `json:"total"`
	DeliveryPromise DeliveryPromise `json:"delivery_promise"`
	AddOns          []AddOn         `json:"add_ons"`
	Terms           ContractTerms   `json:"terms"`
}

// ContractBuyer names the buyer without personal data in clear.
type ContractBuyer struct {
	AccountID string  `json:"account_id"`
	Delivery  Address `json:"delivery" doc:"masked"`
}

// ContractSeller is the seller as disclosed at the moment of the order.
type ContractSeller struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	LicenceURL    string `json:"licence_url"`
	DisclosureURL string `json:"disclosure_url"`
}

// ContractLine is one line as bought, pointing at the listing version
// (R-6.3-2).
type ContractLine struct {
	LineNo         int               `json:"line_no"`
	SKUID          string            `json:"sku_id"`
	ProductID      string            `json:"product_id"`
	ProductVersion int               `json:"product_version"`
	Title          string            `json:"title"`
	Attributes     map[string]string `json:"attributes"`
	UnitPrice      catalog.Money     `json:"unit_price"`
	Quantity       int               `json:"quantity"`
	LineTotal      catalog.Money     `json:"line_total"`
	Returnable7d   bool              `json:"returnable_7d"`
}

// ContractTerms is the terms version accepted and the digest of its text.
type ContractTerms struct {
	Version  string `json:"version"`
	SHA256   string `json:"sha256"`
	URL      string `json:"url"`
	Accepted bool   `json:"accepted"`
	// NonReturnableAcknowledged records R-6.6-5's confirmation.
	NonReturnableAcknowledged bool `json:"non_returnable_acknowledged"`
}

// Place turns a quote into one order per seller, reserving their stock in
// the same transaction (R-6.6-1..3, R-6.4-6). A quote that expired, was
// used by another request, or whose prices, listings or terms changed
// answers 409 quote-expired and reserves nothing; short stock answers 409
// out-of-stock and places nothing.
func (s *Service) Place(ctx context.Context, in PlaceInput) ([]Placed, error) {
	job, replay, err := s.prepare(ctx, in)
	if err != nil || job == nil {
		return replay, err
	}
	if db.TxFrom(ctx) != nil {
		// Called inside a transaction: place in it, not in a batch.
		return s.placeAlone(ctx, job)
	}
	s.submit(job)
	<-job.done
	if job.alone {
		return s.placeAlone(ctx, job)
	}
	return job.out, job.err
}

// prepare runs every check of Place that needs no lock and returns the
// checkout ready to be placed — or, for a replay of a placed checkout, its
// first answer and no job.
func (s *Service) prepare(ctx context.Context, in PlaceInput) (*placeJob, []Placed, error) {
	p, err := consumer(ctx)
	if err != nil {
		return nil, nil, err
	}
	var fs []problem.FieldError
	if !in.AcceptTerms {
		fs = append(fs, problem.Field("accept_terms", i18n.T("请阅读并同意交易规则后再提交订单", "Read and accept the transaction terms to place the order")))
	}
	if strings.TrimSpace(in.IdempotencyKey) == "" {
		fs = append(fs, problem.Field("Idempotency-Key", i18n.T("提交订单须带 Idempotency-Key 请求头，以免重复下单", "Placing orders needs an Idempotency-Key header, so a retry cannot order twice")))
	}
	if !id.Valid(in.QuoteID) {
		fs = append(fs, problem.Field("quote_id", i18n.T("确认单不存在", "No such quote")))
	}
	if len(fs) > 0 {
		return nil, nil, problem.Invalid(fs...)
	}
	// Everything that can be checked without the write lock is checked
	// first, on the read pool: the placing transaction then holds the
	// writer (SQLite) or the stock rows (PostgreSQL) only for the guarded
	// writes. Inside it, the claim of the quote and one query re-reading
	// prices and listing versions close the gap.
	now := s.clock.Now().UTC()
	// A quote this process issued is held in memory (held.go): whether it
	// was used meanwhile, or its key used for another quote, the claim
	// decides; a checkout the claim refuses is placed alone, which reads
	// the quote and answers with taken.
	q := s.quotes.get(in.QuoteID)
	if q == nil {
		var err error
		if q, err = s.loadQuote(ctx, s.db.Reader(ctx), in.QuoteID, in.IdempotencyKey, now.Add(-24*time.Hour)); err != nil {
			return nil, nil, err
		}
	}
	if q.accountID != p.AccountID {
		return nil, nil, problem.NotFoundError()
	}
	if out, done, err := s.taken(ctx, s.db.Reader(ctx), q, in.IdempotencyKey); done {
		return nil, out, err
	}
	if !now.Before(q.expiresAt) {
		return nil, nil, quoteExpired("确认单已超过 15 分钟有效期，请重新确认订单", "The confirmation is older than 15 minutes; please confirm again")
	}
	terms := s.Terms()
	if terms.Version != q.termsVersion {
		return nil, nil, quoteExpired("交易规则已更新，请重新阅读并确认", "The transaction terms changed; please read and confirm them again")
	}
	// The catalogue's word on every line (price, listing, the seller's
	// licences, R-5.4-8), in one read; the placing transaction re-reads
	// prices and listing versions.
	infos, stamp, err := s.recheck(ctx, s.db.Reader(ctx), q.body.Orders, now, true)
	if err != nil {
		return nil, nil, err
	}
	job := &placeJob{ctx: ctx, in: in, account: p.AccountID, q: q, terms: terms, now: now, infos: infos, stamp: stamp, done: make(chan struct{})}
	if s.db.Dialect() == db.Postgres {
		// Numbers come from a sequence (gaps where a checkout is refused,
		// as with any sequence), so the orders are built here, off the
		// batch's path.
		serials, err := s.drawSerials(ctx, len(q.body.Orders))
		if err != nil {
			return nil, nil, err
		}
		if job.pre, job.answer, err = s.buildAll(job, serials); err != nil {
			return nil, nil, err
		}
	}
	return job, nil, nil
}

// placeAlone places one checkout in a transaction of its own: when the
// batch it was in could not decide it (its quote was claimed by a
// concurrent request, or the batch failed as a whole), and as the
// reference the batch behaves like.
func (s *Service) placeAlone(ctx context.Context, job *placeJob) ([]Placed, error) {
	q, in := job.q, job.in
	var out []Placed
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		out = nil
		// The catalogue's word was given under a stamp; if the stamp moved
		// since, it is asked again here, in the transaction.
		var stamp int64
		if err := tx.Pipeline(ctx, s.catalog.StampStep(&stamp)); err != nil {
			return fmt.Errorf("order: catalogue stamp: %w", err)
		}
		built, answer := job.pre, job.answer
		if stamp != job.stamp {
			infos, _, err := s.recheck(ctx, tx, q.body.Orders, job.now, false)
			if err != nil {
				return err
			}
			j := *job
			j.infos = infos
			if built != nil {
				serials := make([]int64, len(built))
				for i, o := range built {
					serials[i] = o.serial
				}
				if built, answer, err = s.buildAll(&j, serials); err != nil {
					return err
				}
			}
			job = &j
		}
		if built == nil {
			// SQLite's single writer already serialises checkouts.
			var last int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(serial), 0) FROM orders`).Scan(&last); err != nil {
				return fmt.Errorf("order: number: %w", err)
			}
			serials := make([]int64, len(q.body.Orders))
			for i := range serials {
				serials[i] = last + int64(i) + 1
			}
			var err error
			if built, answer, err = s.buildAll(job, serials); err != nil {
				return err
			}
		}
		for _, o := range built {
			out = append(out, o.placed)
		}
		// Claim the quote: the conditional UPDATE is the guard, so two
		// requests racing with one quote place it once.
		// The first answer is kept with the key: a replay returns it
		// exactly and nothing is written twice.
		res, err := tx.ExecContext(ctx, `UPDATE checkout_quotes SET used_at = $1, idempotency_key = $2, answer = $3 WHERE id = $4 AND used_at IS NULL
			AND `+keyFreeSQL("checkout_quotes", "$2", "$5"), job.now, in.IdempotencyKey, string(answer), q.id, job.now.Add(-24*time.Hour))
		if err != nil {
			return fmt.Errorf("order: claim quote: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Used already, or the key went to another quote: the quote as
			// it stands says which.
			now, err := s.loadQuote(ctx, tx, q.id, in.IdempotencyKey, job.now.Add(-24*time.Hour))
			if err != nil {
				return err
			}
			var done bool
			if out, done, err = s.taken(ctx, tx, now, in.IdempotencyKey); !done {
				// A claim given back between the UPDATE and this read.
				err = quoteExpired("该确认单已提交过订单", "This confirmation has already been used to place orders")
			}
			return err
		}
		if err := unchangedTx(ctx, tx, q.body.Orders); err != nil {
			return err
		}
		for _, o := range built {
			// R-6.4-6: the reservation is part of the order's transaction.
			if err := s.stock.ReserveTx(ctx, tx, o.stockLines(), o.id); err != nil {
				return err
			}
		}
		// The checked-out lines leave the cart; anything else stays.
		if err := writeOrders(ctx, tx, built); err != nil {
			return err
		}
		for _, o := range built {
			if err := s.trail.RecordTx(ctx, tx, placeEvent(o)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.quotes.drop(q.id)
	return out, nil
}

// taken answers a quote, as read from the database, that can no longer be
// placed under key: used with that key (a replay gets the first answer),
// used with another, or key already used with another quote of the
// account within 24 hours — the same key with another body is refused, as
// for every creating request. done is false when none holds.
func (s *Service) taken(ctx context.Context, q db.Querier, r *quoteRow, key string) (out []Placed, done bool, err error) {
	switch {
	case r.used && r.key == key:
		out, err = s.answerOf(ctx, q, r.id)
		return out, true, err
	case r.used:
		return nil, true, quoteExpired("该确认单已提交过订单", "This confirmation has already been used to place orders")
	case r.keyReused > 0:
		return nil, true, problem.New(problem.IdempotencyKeyReused, i18n.T("该幂等键已用于内容不同的请求", "This Idempotency-Key was used with a different request"))
	}
	return nil, false, nil
}

// keyFreeSQL is the claim's guard against an Idempotency-Key already used
// with another quote of the same account since the time in param since:
// the same key with another body is refused, as for every creating
// request. quotes names the row being claimed.
func keyFreeSQL(quotes, key, since string) string {
	return `NOT EXISTS (SELECT 1 FROM checkout_quotes o WHERE o.account_id = ` + quotes + `.account_id
		AND o.idempotency_key = ` + key + ` AND o.id <> ` + quotes + `.id AND o.used_at > ` + since + `)`
}

// unchangedTx re-reads, inside the placing transaction, the price, listing
// version and status of every line in one query: a change committed since
// the checks before the transaction expires the quote.
func unchangedTx(ctx context.Context, tx *db.Tx, orders []QuoteOrder) error {
	cur, err := currentSKUs(ctx, tx, orders)
	if err != nil {
		return err
	}
	if changed := staleLines(orders, cur); len(changed) > 0 {
		return errChanged(changed)
	}
	return nil
}

// skuNow is what a line's quote must still match.
type skuNow struct {
	price   int64
	version int
	listed  bool
}

// currentSKUs reads the price, listing version and status of every SKU of
// orders in one query.
func currentSKUs(ctx context.Context, tx *db.Tx, orders []QuoteOrder) (map[string]skuNow, error) {
	cur := map[string]skuNow{}
	if err := tx.Pipeline(ctx, currentStep(orders, cur)); err != nil {
		return nil, fmt.Errorf("order: recheck: %w", err)
	}
	return cur, nil
}

// currentStep is the statement of currentSKUs, filling cur.
func currentStep(orders []QuoteOrder, cur map[string]skuNow) db.Step {
	var args []any
	seen := map[string]bool{}
	for _, qo := range orders {
		for _, l := range qo.Lines {
			if !seen[l.SKUID] {
				seen[l.SKUID] = true
				args = append(args, l.SKUID)
			}
		}
	}
	if len(args) == 0 {
		args = append(args, "") // no SKU: the query answers nothing
	}
	return db.Step{SQL: `SELECT s.id, s.price_fen, p.version, p.status FROM skus s JOIN products p ON p.id = s.product_id
		WHERE s.id IN (` + db.Marks(len(args), 1) + `)`, Args: args,
		Row: func(scan func(...any) error) error {
			var skuID, status string
			var n skuNow
			if err := scan(&skuID, &n.price, &n.version, &status); err != nil {
				return err
			}
			n.listed = status == string(catalog.StatusListed)
			cur[skuID] = n
			return nil
		}}
}

// staleLines names the SKUs of orders whose quoted price or listing
// version is no longer current, or that are no longer listed.
func staleLines(orders []QuoteOrder, cur map[string]skuNow) []string {
	var changed []string
	for _, qo := range orders {
		for _, l := range qo.Lines {
			n, ok := cur[l.SKUID]
			if !ok || !n.listed || n.price != l.UnitPrice.Amount || n.version != l.ProductVersion {
				changed = append(changed, l.SKUID)
			}
		}
	}
	return changed
}

func errChanged(skuIDs []string) error {
	return problem.New(problem.QuoteExpired, i18n.T("部分商品的价格或信息在确认后发生了变化，请重新确认订单", "A price or listing changed after you confirmed; please confirm again")).With("sku_ids", skuIDs)
}

// recheck asks the catalogue about every line's SKU, in one query or from
// what it holds (cached): a price, listing version, seller or sale status
// (licences included) that changed since the quote expires it. q is the
// transaction when the caller is in one. The stamp is the catalogue's
// (catalog.Check).
func (s *Service) recheck(ctx context.Context, q db.Querier, orders []QuoteOrder, now time.Time, cached bool) ([][]*catalog.SKUInfo, int64, error) {
	var skus []string
	for _, qo := range orders {
		for _, l := range qo.Lines {
			skus = append(skus, l.SKUID)
		}
	}
	c, err := s.catalog.CheckPurchasable(ctx, q, skus, now, cached)
	if err != nil {
		return nil, 0, err
	}
	infos, changed := matchQuote(orders, c.Infos, c.Errs)
	if len(changed) > 0 {
		return nil, 0, errChanged(changed)
	}
	return infos, c.Stamp, nil
}

// matchQuote holds each quoted line against what the catalogue says now.
func matchQuote(orders []QuoteOrder, found map[string]*catalog.SKUInfo, errs map[string]error) ([][]*catalog.SKUInfo, []string) {
	infos := make([][]*catalog.SKUInfo, len(orders))
	var changed []string
	for i, qo := range orders {
		infos[i] = make([]*catalog.SKUInfo, len(qo.Lines))
		for j, l := range qo.Lines {
			info := found[l.SKUID]
			if errs[l.SKUID] != nil || info == nil || info.Price.Amount != l.UnitPrice.Amount || info.ProductVersion != l.ProductVersion || info.SellerID != qo.SellerID {
				changed = append(changed, l.SKUID)
				continue
			}
			infos[i][j] = info
		}
	}
	return infos, changed
}

// newOrder is one order of a checkout, built before anything is written.
type newOrder struct {
	id       string
	account  string
	actor    string
	serial   int64
	seller   string
	region   string
	placed   Placed
	contract Contract
	raw      []byte // the contract's exact bytes
	digest   string // their SHA-256
	addrEnc  string
	terms    string
	items    int64
	shipping int64
	infos    []*catalog.SKUInfo
}

func (o *newOrder) stockLines() []inventory.Line {
	lines := make([]inventory.Line, len(o.contract.Lines))
	for i, l := range o.contract.Lines {
		lines[i] = inventory.Line{SKUID: l.SKUID, Quantity: l.Quantity}
	}
	return lines
}

// build makes one order's e-contract snapshot (R-6.6-2) and its row.
func (s *Service) build(accountID, actor string, q *quoteRow, qo QuoteOrder, infos []*catalog.SKUInfo, terms Terms, ackNonReturnable bool, serial int64, now time.Time) (*newOrder, error) {
	orderID := id.New()
	number := orderNumber(serial, now)
	payBefore := now.Add(s.PayWindow)
	c := Contract{Kind: "gbmall.order-contract/v1", OrderID: orderID, Number: number, CheckoutID: q.id, PlacedAt: now, PayBefore: payBefore,
		Buyer:      ContractBuyer{AccountID: accountID, Delivery: q.addr.Masked()},
		Seller:     ContractSeller{ID: qo.SellerID, Name: qo.SellerName, LicenceURL: qo.SellerLicenceURL, DisclosureURL: qo.SellerDisclosureURL},
		ItemsTotal: qo.ItemsTotal, Shipping: qo.Shipping, Total: qo.Total, DeliveryPromise: qo.DeliveryPromise, AddOns: []AddOn{},
		Terms: ContractTerms{Version: terms.Version, SHA256: terms.SHA256(), URL: TermsURL(terms.Version), Accepted: true, NonReturnableAcknowledged: ackNonReturnable}}
	for i, l := range qo.Lines {
		// R-6.6-5: a line not returnable by nature stays returnable unless
		// the buyer confirmed otherwise for this order.
		returnable := l.Returnable7d || !ackNonReturnable
		c.Lines = append(c.Lines, ContractLine{LineNo: i + 1, SKUID: l.SKUID, ProductID: l.ProductID, ProductVersion: l.ProductVersion,
			Title: l.Title, Attributes: l.Attributes, UnitPrice: l.UnitPrice, Quantity: l.Quantity, LineTotal: l.LineTotal, Returnable7d: returnable})
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	addrJSON, _ := json.Marshal(q.addr)
	enc, err := s.keys.Encrypt(string(addrJSON), "orders.address|"+orderID)
	if err != nil {
		return nil, err
	}
	return &newOrder{id: orderID, account: accountID, actor: actor, serial: serial, seller: qo.SellerID, region: q.addr.RegionCode, contract: c, raw: raw,
		digest: hex.EncodeToString(sum[:]), addrEnc: enc, terms: terms.Version, items: qo.ItemsTotal.Amount, shipping: qo.Shipping.Amount, infos: infos,
		placed: Placed{ID: orderID, Number: number, Status: AwaitingPayment, SellerID: qo.SellerID, Total: qo.Total, PayBefore: payBefore}}, nil
}

// writeOrders inserts the orders of one checkout with their lines and first
// history entries, and takes the bought SKUs out of the cart. On
// PostgreSQL that is one statement (one round trip); the foreign keys of
// the lines are checked at its end, when the orders are in.
func writeOrders(ctx context.Context, tx *db.Tx, built []*newOrder) error {
	if err := tx.Pipeline(ctx, orderSteps(tx, built)...); err != nil {
		return fmt.Errorf("order: insert: %w", err)
	}
	return nil
}

// orderSteps are the statements of writeOrders.
func orderSteps(tx *db.Tx, built []*newOrder) []db.Step {
	var orderArgs, lineArgs, histArgs []any
	var cartArgs []any
	nLines := 0
	for _, o := range built {
		orderArgs = append(orderArgs, o.id, o.placed.Number, o.serial, o.contract.CheckoutID, o.account, o.seller, string(AwaitingPayment), catalog.Currency,
			o.items, o.shipping, o.placed.Total.Amount, o.terms, string(o.raw), o.digest, o.addrEnc, o.region, o.contract.PlacedAt, o.placed.PayBefore, o.contract.PlacedAt)
		for i, l := range o.contract.Lines {
			attrs, _ := json.Marshal(l.Attributes)
			lineArgs = append(lineArgs, o.id, l.LineNo, l.SKUID, l.ProductID, l.ProductVersion, l.Title, string(attrs), l.UnitPrice.Amount, l.Quantity, l.LineTotal.Amount,
				l.Returnable7d, o.infos[i].CommissionBP)
			cartArgs = append(cartArgs, o.account, l.SKUID)
			nLines++
		}
		histArgs = append(histArgs, id.New(), o.id, "", string(AwaitingPayment), "place", o.actor, "", o.contract.PlacedAt)
	}
	const orderCols = `INSERT INTO orders (id, number, serial, checkout_id, account_id, seller_id, status, currency, items_fen, shipping_fen, total_fen,
		terms_version, contract, contract_sha256, address_enc, region_code, placed_at, pay_before, updated_at) VALUES `
	const lineCols = `INSERT INTO order_lines (order_id, line_no, sku_id, product_id, product_version, title, attributes,
		unit_price_fen, quantity, line_fen, returnable_7d, commission_bp) VALUES `
	const histCols = `INSERT INTO order_status_history (id, order_id, from_status, to_status, event, actor_id, reason, at) VALUES `
	cartDel := func(first int) string {
		return `DELETE FROM cart_items WHERE (account_id, sku_id) IN (VALUES ` + db.Values(nLines, 2, first) + `)`
	}
	if tx.Dialect() == db.Postgres {
		n1, n2, n3 := len(orderArgs), len(lineArgs), len(histArgs)
		args := append(append(append(orderArgs, lineArgs...), histArgs...), cartArgs...)
		q := `WITH o AS (` + orderCols + db.Values(len(built), 19, 1) + `),
			l AS (` + lineCols + db.Values(nLines, 12, n1+1) + `),
			c AS (` + cartDel(n1+n2+n3+1) + `)
			` + histCols + db.Values(len(built), 8, n1+n2+1)
		return []db.Step{{SQL: q, Args: args}}
	}
	return []db.Step{
		{SQL: orderCols + db.Values(len(built), 19, 1), Args: orderArgs},
		{SQL: lineCols + db.Values(nLines, 12, 1), Args: lineArgs},
		{SQL: histCols + db.Values(len(built), 8, 1), Args: histArgs},
		{SQL: cartDel(1), Args: cartArgs},
	}
}

// answerOf returns the first answer of a used quote (an idempotent replay).
func (s *Service) answerOf(ctx context.Context, q db.Querier, quoteID string) ([]Placed, error) {
	var raw sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT answer FROM checkout_quotes WHERE id = $1`, quoteID).Scan(&raw); err != nil {
		return nil, err
	}
	var out []Placed
	if err := json.Unmarshal([]byte(raw.String), &out); err != nil || !raw.Valid {
		return nil, fmt.Errorf("order: stored answer of quote %s: %v", quoteID, err)
	}
	return out, nil
}

// drawSerials takes n order serials from the PostgreSQL sequence (no hot
// row between concurrent checkouts). The process takes them from the
// sequence 64 at a time and hands them out in order, so most checkouts
// pay no round trip for their number; the serials a process held when it
// stopped are never used (numbers are unique, not gapless, as with any
// sequence).
func (s *Service) drawSerials(ctx context.Context, n int) ([]int64, error) {
	s.serials.mu.Lock()
	defer s.serials.mu.Unlock()
	for len(s.serials.free) < n {
		more, err := s.sequence(ctx, max(serialBlock, n))
		if err != nil {
			return nil, err
		}
		s.serials.free = append(s.serials.free, more...)
	}
	out := slices.Clone(s.serials.free[:n])
	s.serials.free = s.serials.free[n:]
	return out, nil
}

const serialBlock = 64

// serialPool holds serials taken from the sequence and not yet used.
type serialPool struct {
	mu   sync.Mutex
	free []int64
}

func (s *Service) sequence(ctx context.Context, n int) ([]int64, error) {
	rows, err := s.db.Reader(ctx).QueryContext(ctx, `SELECT nextval('order_number_seq') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("order: number: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// orderNumber is the human-readable order number: the Beijing date, a
// 10-digit serial and a Luhn check digit, e.g. 2026112800000000427. The
// serial comes from a PostgreSQL sequence or, on SQLite, whose single
// writer serialises checkouts, from the highest serial so far.
func orderNumber(serial int64, now time.Time) string {
	body := strings.ReplaceAll(org.Today(now), "-", "") + fmt.Sprintf("%010d", serial%10_000_000_000)
	return body + string(luhn(body))
}

// luhn is the check digit that catches a mistyped digit or a swap of two
// neighbours when a consumer reads a number to customer service.
func luhn(digits string) byte {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidNumber reports whether an order number is well formed.
func ValidNumber(n string) bool {
	if len(n) != 19 {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return luhn(n[:18]) == n[18]
}

func (s *Service) history(ctx context.Context, tx *db.Tx, orderID string, from, to Status, event, actor, reason string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_status_history (id, order_id, from_status, to_status, event, actor_id, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id.New(), orderID, string(from), string(to), event, actor, reason, at); err != nil {
		return fmt.Errorf("order: history: %w", err)
	}
	return nil
}

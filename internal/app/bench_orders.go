package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/inventory"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/id"
)

// The order benchmarks (issue #5): orders placed per second through the
// HTTP API with concurrent consumers, and a flash sale in which many
// consumers race for a few units. Both prepare their data directly in the
// database (a seller's products and stock, consumer accounts) and then
// drive one or more running `gbmall serve` processes over HTTP only.

const benchPassword = "Bench-Pass-2026!"

// benchWorld is the prepared data of one run.
type benchWorld struct {
	skus      []string
	consumers []string // logins
}

// prepareOrderBench creates skus products with stock units each, listed by
// the first approved seller, and n consumer accounts. The consumers'
// passwords are hashed with deliberately cheap parameters (they are
// benchmark accounts): logging 1,000 of them in must not dominate the run.
func prepareOrderBench(ctx context.Context, env Env, c Common, run string, skus, units, consumers int) (*benchWorld, error) {
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), true, cfg)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if _, err := LoadDemo(ctx, p); err != nil {
		return nil, err
	}
	var orgID, ownerID string
	if err := p.DB.QueryRow(ctx, `SELECT o.id, m.account_id FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE o.kind = 'seller' AND o.status = 'approved' AND m.role = 'owner' ORDER BY o.created_at LIMIT 1`).Scan(&orgID, &ownerID); err != nil {
		return nil, fmt.Errorf("no approved seller (the demo data should have made one): %w", err)
	}
	owner, err := p.Identity.PrincipalFor(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	sctx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: ownerID, OrganizationID: orgID, Role: "owner", SourceIP: "local"}), owner)
	sup, err := p.Inventory.FileSupplier(sctx, orgID, inventory.SupplierInput{
		Name: "压测供应链有限公司", USCC: cnid.MakeUSCC("91330100" + fmt.Sprintf("%08d", time.Now().UnixNano()%100000000)),
		Contact:        inventory.SupplierContact{Name: "压测", Mobile: "13900139000"},
		Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "330100000000001", ValidUntil: p.Clock.Now().AddDate(3, 0, 0).Format(time.DateOnly)}},
	})
	if err != nil {
		return nil, fmt.Errorf("bench supplier: %w", err)
	}
	w := &benchWorld{}
	for i := 0; i < skus; i++ {
		prod, err := p.Catalog.CreateProduct(sctx, orgID, catalog.ProductInput{Title: fmt.Sprintf("压测商品 %s-%03d 收纳盒", run, i), CategoryID: "home-cleaning",
			Description: "<p>用于下单压测的商品</p>", SKUs: []catalog.SKUInput{demoSKU("BENCH", "规格", "标准", 1990)}})
		if err != nil {
			return nil, fmt.Errorf("bench product: %w", err)
		}
		skuID := prod.SKUs[0].ID
		if _, err := p.Inventory.RegisterReceipt(sctx, orgID, inventory.StockReceiptInput{SKUID: skuID, Quantity: units, SupplierID: sup.ID, Batch: "BENCH-" + run,
			Inspection: inventory.ReceiptInspection{Result: "pass", Notes: "压测"}}); err != nil {
			return nil, fmt.Errorf("bench stock: %w", err)
		}
		if _, err := p.Catalog.List(sctx, prod.ID); err != nil {
			return nil, fmt.Errorf("bench listing: %w", err)
		}
		w.skus = append(w.skus, skuID)
	}
	actx := audit.WithActor(ctx, audit.System)
	for i := 0; i < consumers; i++ {
		login := fmt.Sprintf("bench-%s-%04d@bench.gbmall.test", run, i)
		if _, _, err := p.Identity.EnsureAccount(actx, login, benchPassword, "压测用户"); err != nil {
			return nil, fmt.Errorf("bench consumer: %w", err)
		}
		w.consumers = append(w.consumers, login)
	}
	return w, nil
}

// benchClient spreads requests over one or more gbmall processes.
type benchClient struct {
	http  *http.Client
	bases []string
}

func newBenchClient(urls string, conns int) *benchClient {
	c := &benchClient{http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}}
	for _, u := range strings.Split(urls, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.bases = append(c.bases, u)
		}
	}
	return c
}

// do sends one JSON request and decodes the answer into out (if 2xx).
func (c *benchClient) do(ctx context.Context, base, method, path, token string, body any, out any, hdr ...string) (int, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var problem struct {
		Type string `json:"type"`
	}
	if res.StatusCode >= 400 {
		_ = json.Unmarshal(raw, &problem)
		return res.StatusCode, problem.Type[strings.LastIndex(problem.Type, "/")+1:], nil
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, "", err
		}
	}
	return res.StatusCode, "", nil
}

func (c *benchClient) base(i int) string { return c.bases[i%len(c.bases)] }

// loginAll signs every consumer in (32 at a time) and returns their tokens.
func (c *benchClient) loginAll(ctx context.Context, logins []string) ([]string, error) {
	tokens := make([]string, len(logins))
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i, l := range logins {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, login string) {
			defer wg.Done()
			defer func() { <-sem }()
			var out struct {
				Token string `json:"token"`
			}
			st, code, err := c.do(ctx, c.base(i), "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": benchPassword}, &out)
			if err == nil && st != 200 {
				err = fmt.Errorf("login %s: %d %s (is the server running with --rate-limits off?)", login, st, code)
			}
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			tokens[i] = out.Token
		}(i, l)
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	return tokens, nil
}

var benchAddress = map[string]string{"recipient": "压测用户", "mobile": "13800138000", "region_code": "110105", "detail": "朝阳区建国路 88 号"}

// quote asks for a checkout quote of one unit of sku.
func (c *benchClient) quote(ctx context.Context, i int, token, sku string) (string, error) {
	var out struct {
		QuoteID string `json:"quote_id"`
	}
	st, code, err := c.do(ctx, c.base(i), "POST", "/api/v1/checkout/quote", token,
		map[string]any{"items": []map[string]any{{"sku_id": sku, "quantity": 1}}, "address": benchAddress}, &out)
	if err == nil && st != 200 {
		err = fmt.Errorf("quote: %d %s", st, code)
	}
	return out.QuoteID, err
}

// place places a quote; it answers the status and the problem code.
func (c *benchClient) place(ctx context.Context, i int, token, quoteID string) (int, string, error) {
	return c.do(ctx, c.base(i), "POST", "/api/v1/orders", token, map[string]any{"quote_id": quoteID, "accept_terms": true}, nil, "Idempotency-Key", id.New())
}

func percentiles(ls []time.Duration) (p50, p99 time.Duration) {
	if len(ls) == 0 {
		return 0, 0
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	at := func(p float64) time.Duration { return ls[min(len(ls)-1, int(p*float64(len(ls))))] }
	return at(0.50).Round(10 * time.Microsecond), at(0.99).Round(10 * time.Microsecond)
}

// benchOrders measures orders placed per second: every consumer first
// gets its quotes (not timed), then all place them concurrently.
func benchOrders(ctx context.Context, env Env, args []string) error {
	var c Common
	var urls string
	var consumers, perConsumer, skus int
	fs := newFlagSet(env, "bench orders", "Orders placed per second through the HTTP API with concurrent consumers (data prepared in the database first).")
	c.bind(fs, env.Getenv)
	fs.StringVar(&urls, "url", "http://127.0.0.1:8080", "base URL of the running gbmall; several, comma-separated, are used in turn")
	fs.IntVar(&consumers, "consumers", 16, "concurrent consumers")
	fs.IntVar(&perConsumer, "orders", 200, "orders each consumer places")
	fs.IntVar(&skus, "skus", 64, "products the orders spread over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	run := fmt.Sprintf("%d", time.Now().Unix()%1000000)
	fmt.Fprintf(env.Stderr, "preparing %d products and %d consumers…\n", skus, consumers)
	w, err := prepareOrderBench(ctx, env, c, run, skus, consumers*perConsumer+10, consumers)
	if err != nil {
		return err
	}
	cl := newBenchClient(urls, consumers*2)
	tokens, err := cl.loginAll(ctx, w.consumers)
	if err != nil {
		return err
	}
	quotes := make([][]string, consumers)
	qStart := time.Now()
	var wg sync.WaitGroup
	var qErr atomic.Value
	for i := range consumers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < perConsumer; j++ {
				q, err := cl.quote(ctx, i, tokens[i], w.skus[(i*perConsumer+j)%len(w.skus)])
				if err != nil {
					qErr.CompareAndSwap(nil, err)
					return
				}
				quotes[i] = append(quotes[i], q)
			}
		}(i)
	}
	wg.Wait()
	if err, _ := qErr.Load().(error); err != nil {
		return err
	}
	qElapsed := time.Since(qStart)
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	start := time.Now()
	for i := range consumers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			local := make([]time.Duration, 0, perConsumer)
			for _, q := range quotes[i] {
				t0 := time.Now()
				st, code, err := cl.place(ctx, i, tokens[i], q)
				if err != nil || st != 201 {
					failed.Add(1)
					if failed.Load() <= 3 {
						fmt.Fprintf(env.Stderr, "place: %d %s %v\n", st, code, err)
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	p50, p99 := percentiles(lat)
	fmt.Fprintf(env.Stdout, "quotes: %d in %s (%.0f/s)\n", consumers*perConsumer, qElapsed.Round(time.Millisecond), float64(consumers*perConsumer)/qElapsed.Seconds())
	fmt.Fprintf(env.Stdout, "orders: %d placed in %s by %d consumers over %d process(es): %.0f orders/s; p50 %s p99 %s; %d failed\n",
		len(lat), elapsed.Round(time.Millisecond), consumers, len(cl.bases), float64(len(lat))/elapsed.Seconds(), p50, p99, failed.Load())
	if failed.Load() > 0 {
		return errors.New("some orders failed")
	}
	return nil
}

// benchFlash is the flash sale: consumers race for units of one SKU; it
// checks that exactly units orders succeed, the rest are told out-of-stock,
// stock ends at zero and the ledger balances.
func benchFlash(ctx context.Context, env Env, args []string) error {
	var c Common
	var urls string
	var consumers, units int
	fs := newFlagSet(env, "bench flash", "Flash sale: many consumers race over HTTP for a few units of one SKU; checks nothing is oversold.")
	c.bind(fs, env.Getenv)
	fs.StringVar(&urls, "url", "http://127.0.0.1:8080", "base URL of the running gbmall; several, comma-separated, are used in turn")
	fs.IntVar(&consumers, "consumers", 1000, "consumers racing")
	fs.IntVar(&units, "units", 100, "units on sale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	run := fmt.Sprintf("f%d", time.Now().Unix()%1000000)
	fmt.Fprintf(env.Stderr, "preparing one product with %d units and %d consumers…\n", units, consumers)
	w, err := prepareOrderBench(ctx, env, c, run, 1, units, consumers)
	if err != nil {
		return err
	}
	sku := w.skus[0]
	cl := newBenchClient(urls, consumers)
	tokens, err := cl.loginAll(ctx, w.consumers)
	if err != nil {
		return err
	}
	quotes := make([]string, consumers)
	for i := range consumers {
		if quotes[i], err = cl.quote(ctx, i, tokens[i], sku); err != nil {
			return err
		}
	}
	var won, soldOut, other atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range consumers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			t0 := time.Now()
			st, code, err := cl.place(ctx, i, tokens[i], quotes[i])
			d := time.Since(t0)
			switch {
			case err == nil && st == 201:
				won.Add(1)
			case err == nil && st == 409 && code == "out-of-stock":
				soldOut.Add(1)
			default:
				if other.Add(1) <= 3 {
					fmt.Fprintf(env.Stderr, "unexpected answer: %d %s %v\n", st, code, err)
				}
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}(i)
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	elapsed := time.Since(start)
	p50, p99 := percentiles(lat)
	// Check the books directly.
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), false, identity.DefaultConfig())
	if err != nil {
		return err
	}
	defer p.Close()
	var onHand, reserved, sumOn, sumRes, orders int
	if err := p.DB.QueryRow(ctx, `SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1`, sku).Scan(&onHand, &reserved); err != nil {
		return err
	}
	if err := p.DB.QueryRow(ctx, `SELECT COALESCE(SUM(delta_on_hand), 0), COALESCE(SUM(delta_reserved), 0) FROM stock_ledger WHERE sku_id = $1`, sku).Scan(&sumOn, &sumRes); err != nil {
		return err
	}
	if err := p.DB.QueryRow(ctx, `SELECT COUNT(*) FROM order_lines WHERE sku_id = $1`, sku).Scan(&orders); err != nil {
		return err
	}
	avail, err := p.Inventory.Available(ctx, sku)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "flash sale: %d consumers, %d units, %d process(es), %s: %d orders, %d out-of-stock, %d other; p50 %s p99 %s\n",
		consumers, units, len(cl.bases), elapsed.Round(time.Millisecond), won.Load(), soldOut.Load(), other.Load(), p50, p99)
	fmt.Fprintf(env.Stdout, "books: available %d, on hand %d, reserved %d, ledger sums (%d, %d), order lines %d\n", avail, onHand, reserved, sumOn, sumRes, orders)
	ok := won.Load() == int64(units) && soldOut.Load() == int64(consumers-units) && other.Load() == 0 &&
		avail == 0 && reserved == units && sumOn == onHand && sumRes == reserved && orders == units
	if !ok {
		return errors.New("flash sale: the books do not balance")
	}
	fmt.Fprintln(env.Stdout, "ok: nothing oversold, the ledger balances")
	return nil
}

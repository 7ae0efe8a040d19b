package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog/search"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
)

const benchUsage = `usage:
  gbmall bench seed --products N [--data DIR] [--database URL]
      load the demo data and N generated listed products (with a progress bar)
  gbmall bench http --url URL [--scenario product|list|search] [--connections 32] [--duration 10s]
      load a running gbmall over HTTP and report requests/s and latency percentiles
  gbmall bench orders --url URL[,URL…] [--consumers 16] [--orders 200] [--data DIR] [--database URL]
      orders placed per second through the HTTP API (products and consumers prepared in the database)
  gbmall bench flash --url URL[,URL…] [--consumers 1000] [--units 100] [--data DIR] [--database URL]
      flash sale: consumers race for a few units of one SKU; checks nothing is oversold and the ledger balances`

// cmdBench runs the benchmark tools: a data generator and an HTTP load
// generator, so the figures in the README can be reproduced on any
// machine with one binary.
func cmdBench(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, benchUsage)
		return errors.New("bench needs a subcommand")
	}
	switch args[0] {
	case "seed":
		return benchSeed(ctx, env, args[1:])
	case "http":
		return benchHTTP(ctx, env, args[1:])
	case "orders":
		return benchOrders(ctx, env, args[1:])
	case "flash":
		return benchFlash(ctx, env, args[1:])
	}
	fmt.Fprintln(env.Stderr, benchUsage)
	return fmt.Errorf("unknown bench subcommand %q", args[0])
}

func benchSeed(ctx context.Context, env Env, args []string) error {
	var c Common
	var n int
	var category string
	fs := newFlagSet(env, "bench seed", "Load the demo data and N generated listed products into the database.")
	c.bind(fs, env.Getenv)
	fs.IntVar(&n, "products", 100000, "number of products to generate")
	fs.StringVar(&category, "category", "home-cleaning", "leaf category of the generated products (one needing no extra licence)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), true, identity.DefaultConfig())
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := LoadDemo(ctx, p); err != nil {
		return err
	}
	var orgID string
	if err := p.DB.QueryRow(ctx, `SELECT id FROM organizations WHERE kind = 'seller' AND status = 'approved' ORDER BY created_at LIMIT 1`).Scan(&orgID); err != nil {
		return fmt.Errorf("no approved seller: %w", err)
	}
	start := time.Now()
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: "bench", Role: "system", SourceIP: "local"})
	err = search.Generate(ctx, p.DB, n, orgID, category, func(done int) {
		const width = 40
		filled := done * width / n
		rate := float64(done) / time.Since(start).Seconds()
		fmt.Fprintf(env.Stderr, "\r[%s%s] %d/%d products  %.0f/s", strings.Repeat("█", filled), strings.Repeat("·", width-filled), done, n, rate)
	})
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return err
	}
	if p.DB.Dialect() == db.Postgres {
		// Fresh bulk data has no planner statistics until autovacuum runs;
		// gather them now so the first measurements use the real plans.
		if _, err := p.DB.WritePool().ExecContext(ctx, `ANALYZE`); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "generated %d products in %s (%s)\n", n, time.Since(start).Round(time.Millisecond), p.DB.Dialect())
	return nil
}

// benchQueries are the search terms of the search scenario: two- and
// four-character Chinese terms and English words.
var benchQueries = []string{"手机", "床品", "纯棉", "智能手机", "四件套", "phone", "cotton", "pro", "洗衣", "蓝牙耳机"}

func benchHTTP(ctx context.Context, env Env, args []string) error {
	var base, scenario string
	var conns int
	var dur time.Duration
	fs := newFlagSet(env, "bench http", "Load a running gbmall over HTTP with keep-alive connections and report requests/s and latency.")
	fs.StringVar(&base, "url", "http://127.0.0.1:8080", "base URL of the running gbmall")
	fs.StringVar(&scenario, "scenario", "product", "product (GET /api/v1/products/{id}), list (20-item listing) or search (?q=)")
	fs.IntVar(&conns, "connections", 32, "concurrent connections")
	fs.DurationVar(&dur, "duration", 10*time.Second, "how long to run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base = strings.TrimRight(base, "/")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	ids, err := benchProductIDs(ctx, client, base)
	if err != nil {
		return err
	}
	if len(ids) == 0 && scenario == "product" {
		return errors.New("no listed products: run gbmall bench seed first")
	}
	next := func(r *rand.Rand) string {
		switch scenario {
		case "list":
			return base + "/api/v1/products?limit=20"
		case "search":
			return base + "/api/v1/products?limit=20&q=" + benchQueries[r.IntN(len(benchQueries))]
		default:
			return base + "/api/v1/products/" + ids[r.IntN(len(ids))]
		}
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(dur)
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, seed*7+1))
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				res, err := client.Get(next(r))
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}(uint64(i + 1))
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Fprintf(env.Stdout, "scenario %s: %d requests in %s with %d connections: %.0f requests/s; p50 %s p95 %s p99 %s; %d errors\n",
		scenario, len(latencies), elapsed.Round(time.Millisecond), conns, float64(len(latencies))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), errs.Load())
	return nil
}

func benchProductIDs(ctx context.Context, client *http.Client, base string) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/products?limit=100", nil)
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach %s: %w", base, err)
	}
	defer res.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	return ids, nil
}

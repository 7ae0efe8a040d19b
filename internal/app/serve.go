package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/web"
)

func cmdServe(ctx context.Context, env Env, args []string) error {
	var c ServeConfig
	fs := newFlagSet(env, "serve", "Run the platform: JSON API under /api/v1, consoles, background jobs.")
	c.bind(fs, env.Getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	start := time.Now()
	log := newLogger(env.Stderr, c.LogLevel)
	idcfg := identity.DefaultConfig()
	idcfg.SessionLifetime = c.SessionLifetime
	p, err := Open(ctx, c.Common, env.Getenv, log, true, idcfg)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := startProfiling(env.Getenv("GBMALL_PPROF_LISTEN"), log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.Listen, err)
	}
	var demo *DemoInfo
	if c.Demo {
		demo, err = LoadDemo(ctx, p)
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo data: %w", err)
		}
		// Hashing the demo passwords (argon2id, 64 MiB each) leaves the
		// heap large; hand it back so an idle demo stays small.
		debug.FreeOSMemory()
		defer startDemoPayments(ctx, p, demo)() // paysim in-process, registered as the demo payment provider
	}
	handler := NewHandler(p, c)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	if !c.NoJobs {
		p.Scheduler.Start(jobsCtx)
	}
	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- srv.ServeTLS(ln, c.TLSCert, c.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	loadDemoPayments(ctx, p, demo) // --demo, now that the server answers paysim: paid, refunded and settled payments, a reconciliation report
	log.Info("serving", "listen", ln.Addr().String(), "public_url", c.PublicURL, "dialect", string(p.DB.Dialect()),
		"startup_ms", time.Since(start).Milliseconds(), "version", Version)
	fmt.Fprintf(env.Stdout, "gbmall %s serving at %s (database: %s)\n", Version, c.PublicURL, p.DB.Dialect())
	if demo != nil {
		demo.Print(env.Stdout, c.PublicURL)
	}
	select {
	case err := <-errc:
		stopJobs()
		p.Scheduler.Wait()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopJobs()
	p.Scheduler.Wait()
	return err
}

// NewHandler builds the whole HTTP surface: health and metrics, the JSON
// API and the consoles, wrapped in request ids, logs, metrics and security
// headers.
func NewHandler(p *Platform, c ServeConfig) http.Handler {
	metrics := httpapi.NewMetrics()
	limiter := identity.NewLoginLimiter(p.Clock, c.RateLimits == "on")
	secure := c.TLSCert != "" || len(c.PublicURL) > 8 && c.PublicURL[:8] == "https://"
	p.Payments.PublicURL = c.PublicURL
	api := httpapi.New(httpapi.Deps{Payments: p.Payments, DB: p.DB, Clock: p.Clock, Identity: p.Identity, Orgs: p.Orgs, Documents: p.Documents, Catalog: p.Catalog, Images: p.Images, Inventory: p.Inventory, Orders: p.Orders, Trail: p.Trail, Log: p.Log,
		Version: Version, RateLimits: c.RateLimits == "on", TrustProxy: c.TrustProxy, SecureCookies: secure, Limiter: limiter})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		status := map[string]any{"status": "ok", "database": string(p.DB.Dialect())}
		if err := p.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			status["status"] = "database unavailable"
		} else if pending, err := p.DB.Pending(ctx); err != nil || len(pending) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			status["status"] = "migrations pending"
		}
		_ = json.NewEncoder(w).Encode(status)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/api/", api.Handler())
	// Product images: public, content-addressed, cached for a year.
	mux.HandleFunc("GET /media/{sha}/{file}", p.Images.ServeMedia)
	mux.Handle("/", web.New(web.Deps{DB: p.DB, Clock: p.Clock, Identity: p.Identity, Trail: p.Trail, Log: p.Log,
		SecureCookies: secure, TrustProxy: c.TrustProxy, RateLimits: c.RateLimits == "on", Limiter: limiter, Orgs: p.Orgs, Documents: p.Documents, Catalog: p.Catalog, Images: p.Images, Inventory: p.Inventory, Orders: p.Orders, Payments: p.Payments}))
	return httpapi.Observe(mux, p.Log, metrics, c.TLSCert != "")
}

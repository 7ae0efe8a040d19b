// Package paysim is gbmall's sandbox payment provider (issue 6, point 3):
// a complete provider side of ../shared/docs/payment-protocol.md with its
// own key pair and its own SQLite file, a hosted cashier page, signed
// notifications with the protocol's retry schedule, trade query and close,
// refunds, settlements, daily statements and the sandbox-fault endpoint.
// It runs as `gbmall paysim` or in-process (serve --demo, tests):
//
//	ps, err := paysim.New(paysim.Config{DataDir: dir, PlatformURL: "http://127.0.0.1:8080"})
//	ps.Start(ctx)                       // background deliveries and refunds
//	go ps.Serve(listener)               // or mount ps.Handler()
//	defer ps.Close()
package paysim

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gbmall/internal/payproto"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Config configures a Server.
type Config struct {
	// DataDir holds paysim.db and paysim.key (mode 0600). Required.
	DataDir string
	// PlatformURL is the platform's base URL; its keys are read from
	// PlatformURL + "/api/v1/payment-keys" when needed.
	PlatformURL string
	// PlatformKeys, when set, replaces fetching the platform's keys (an
	// in-process platform can hand them over directly).
	PlatformKeys payproto.KeyLookup
	// PublicURL is paysim's own base URL, the base of pay_url. Empty: taken
	// from each request's Host ("http://" + Host).
	PublicURL string
	// MerchantName is shown on the cashier page (default "gbmall").
	MerchantName string
	// Clock defaults to the real clock.
	Clock clock.Clock
	// HTTPClient sends notifications and fetches keys (default: 10 s timeout).
	HTTPClient *http.Client
	// Logger defaults to discarding.
	Logger *slog.Logger
	// PollInterval is how often due notifications and refunds are looked
	// for (default 1 s).
	PollInterval time.Duration
	// RefundDelay is how long a refund stays "processing" (default 2 s).
	RefundDelay time.Duration
	// KeyRefetchInterval is the least time between two fetches of the
	// platform's keys caused by an unknown key id (default 1 s).
	KeyRefetchInterval time.Duration
}

// Server is a running sandbox provider.
type Server struct {
	cfg      Config
	clock    clock.Clock
	log      *slog.Logger
	db       *sql.DB
	key      *payproto.KeyPair
	rogue    *payproto.KeyPair // signs wrong_key_next notifications; never published
	http     *http.Client
	verifier *payproto.Verifier
	keys     *platformKeys
	mux      *http.ServeMux

	faultsMu sync.Mutex
	faults   payproto.FaultState

	passMu     sync.Mutex
	inflightMu sync.Mutex
	inflight   map[int64]bool

	kick     chan struct{}
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup

	srvMu sync.Mutex
	srv   *http.Server
}

// New opens (or creates) the data directory, the database and the key pair.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("paysim: a data directory is required")
	}
	if cfg.PlatformURL == "" && cfg.PlatformKeys == nil {
		return nil, errors.New("paysim: the platform URL is required (its keys verify the platform's requests)")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.RefundDelay <= 0 {
		cfg.RefundDelay = 2 * time.Second
	}
	if cfg.KeyRefetchInterval <= 0 {
		cfg.KeyRefetchInterval = time.Second
	}
	if cfg.MerchantName == "" {
		cfg.MerchantName = "gbmall"
	}
	cfg.PlatformURL = strings.TrimRight(cfg.PlatformURL, "/")
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("paysim: data directory: %w", err)
	}
	key, _, err := payproto.LoadOrCreateKey(filepath.Join(cfg.DataDir, "paysim.key"))
	if err != nil {
		return nil, fmt.Errorf("paysim: key: %w", err)
	}
	rogue, err := payproto.GenerateKey()
	if err != nil {
		return nil, err
	}
	db, err := openStore(filepath.Join(cfg.DataDir, "paysim.db"))
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, db: db, key: key, rogue: rogue, http: cfg.HTTPClient,
		inflight: map[int64]bool{}, kick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	lookup := cfg.PlatformKeys
	if lookup == nil {
		s.keys = &platformKeys{url: cfg.PlatformURL + "/api/v1/payment-keys", http: cfg.HTTPClient, every: cfg.KeyRefetchInterval}
		lookup = s.keys.lookup
	}
	s.verifier = &payproto.Verifier{Keys: lookup, Nonces: payproto.NewMemoryNonces(0), Clock: cfg.Clock}
	s.routes()
	return s, nil
}

// KeyID is the id of paysim's signing key.
func (s *Server) KeyID() string { return s.key.ID }

// PublicKey is paysim's public key, raw 32 bytes in standard base64 (the
// form registered with the platform).
func (s *Server) PublicKey() string { return s.key.PublicKeyBase64() }

// Handler serves the provider API, the cashier page and the sandbox
// endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

// Start runs the background work (notification deliveries and retries,
// refund completion) until ctx ends or Close is called. Deliveries that
// were pending when the process stopped continue.
func (s *Server) Start(ctx context.Context) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.PollInterval)
		defer t.Stop()
		for {
			if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("paysim: background pass", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-s.stop:
				return
			case <-t.C:
			case <-s.kick:
			}
		}
	}()
}

// Serve serves Handler on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	s.srvMu.Lock()
	s.srv = srv
	s.srvMu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops serving and the background work and closes the database.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
	s.wg.Wait()
	s.passMu.Lock() // wait for a delivery started by a request
	defer s.passMu.Unlock()
	return s.db.Close()
}

func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// platformKeys caches the platform's published keys and fetches them again
// when a request names a key id it does not know, at most once per every.
type platformKeys struct {
	url   string
	http  *http.Client
	every time.Duration

	mu      sync.Mutex
	keys    map[string]ed25519.PublicKey
	fetched time.Time // real (monotonic) time of the last fetch
}

func (p *platformKeys) lookup(ctx context.Context, id string) (ed25519.PublicKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.keys[id]; ok {
		return k, nil
	}
	if p.keys != nil && time.Since(p.fetched) < p.every {
		return nil, payproto.ErrUnknownKey
	}
	list, err := payproto.FetchKeys(ctx, p.http, p.url)
	p.fetched = time.Now()
	if err != nil {
		return nil, fmt.Errorf("fetch platform keys: %w", err)
	}
	m := map[string]ed25519.PublicKey{}
	for _, k := range list {
		if pub, err := payproto.ParsePublicKey(k.PublicKey); err == nil && k.KeyID != "" {
			m[k.KeyID] = pub
		}
	}
	p.keys = m
	if k, ok := m[id]; ok {
		return k, nil
	}
	return nil, payproto.ErrUnknownKey
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeProblem answers err as RFC 9457 problem+json in the request's
// language; an error that is not a *problem.Error is internal and its text
// is only logged.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := problem.As(err)
	if !ok {
		s.log.Error("paysim: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		p = problem.New(problem.Internal, i18n.T("服务器内部错误", "Internal error"))
	}
	lang := i18n.Parse(r.Header.Get("Accept-Language"))
	m := map[string]any{"type": p.Code.Type(), "title": p.Code.Title().In(lang), "status": p.Status()}
	if d := p.Detail.In(lang); d != "" {
		m["detail"] = d
	}
	if len(p.Fields) > 0 {
		var fs []map[string]string
		for _, f := range p.Fields {
			fs = append(fs, map[string]string{"field": f.Field, "message": f.Message.In(lang)})
		}
		m["errors"] = fs
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status())
	_ = json.NewEncoder(w).Encode(m)
}

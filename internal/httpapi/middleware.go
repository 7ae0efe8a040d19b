package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
)

type requestIDKey struct{}

type routeKey struct{}

// SetRoute records the matched route pattern of an inner mux for the
// metrics and access log of the outermost layer (r.Pattern is set on a
// copy of the request by then).
func SetRoute(r *http.Request) {
	if holder, ok := r.Context().Value(routeKey{}).(*string); ok && r.Pattern != "" {
		*holder = r.Pattern
	}
}

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	v, _ := ctx.Value(requestIDKey{}).(string)
	return v
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ClientIP is the caller's address. gbmall does not trust X-Forwarded-For
// unless told to: a reverse proxy deployment sets TrustProxy.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xf := r.Header.Get("X-Forwarded-For"); xf != "" {
			return strings.TrimSpace(strings.Split(xf, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics are the HTTP metrics exported at /metrics (R-10.2-1).
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics and the Go runtime collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gbmall_http_requests_total", Help: "HTTP requests by route, method and status."},
			[]string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gbmall_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Observe wraps h with request ids, access logs, metrics, security
// headers and panic recovery — the outermost layer of every request.
func Observe(h http.Handler, log *slog.Logger, m *Metrics, tls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 64 {
			rid = newRequestID()
		}
		route := ""
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey{}, rid), routeKey{}, &route)
		r = r.WithContext(ctx)
		hdr := w.Header()
		hdr.Set("X-Request-Id", rid)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if tls {
			hdr.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if rec := recover(); rec != nil {
				log.ErrorContext(ctx, "panic", "request_id", rid, "panic", fmt.Sprint(rec))
				if sw.status == 0 {
					writeProblem(sw, r, fmt.Errorf("panic: %v", rec), log)
				}
			}
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			if m != nil {
				m.requests.WithLabelValues(route, r.Method, fmt.Sprint(status)).Inc()
				m.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
			}
			// Paths only, never query strings or bodies: they may carry personal data.
			log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("request_id", rid), slog.String("method", r.Method),
				slog.String("route", route), slog.Int("status", status), slog.Int("bytes", sw.bytes),
				slog.Float64("ms", float64(d.Microseconds())/1000))
		}()
		h.ServeHTTP(sw, r)
	})
}

// SessionCookie is the browser session cookie's name.
const SessionCookie = "gbmall_session"

// Authenticator resolves the caller from a bearer token or the session
// cookie and puts the principal and the audit actor into the context.
// Invalid credentials leave the request anonymous; endpoints that need a
// caller answer 401 through identity.Authorize.
func Authenticator(ids *identity.Service, trustProxy bool, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			actor := audit.Actor{AccountID: "anonymous", SourceIP: ClientIP(r, trustProxy), RequestID: RequestID(ctx)}
			token := ""
			if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
				token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
			} else if c, err := r.Cookie(SessionCookie); err == nil {
				token = c.Value
			}
			if token != "" {
				p, err := ids.Authenticate(ctx, token)
				if err == nil {
					ctx = identity.WithPrincipal(ctx, p)
					actor.AccountID = p.ActorID()
					if p.APIKeyID != "" {
						actor.OrganizationID, actor.Role = p.APIKeyOrg, "apikey"
					} else if len(p.Memberships) > 0 {
						actor.OrganizationID, actor.Role = p.Memberships[0].OrganizationID, string(p.Memberships[0].Role)
					} else {
						actor.Role = "consumer"
					}
				} else if _, isProblem := err.(interface{ Status() int }); !isProblem {
					log.ErrorContext(ctx, "authenticate", "err", err.Error(), "request_id", actor.RequestID)
				}
			}
			ctx = audit.WithActor(ctx, actor)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

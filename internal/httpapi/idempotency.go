package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// idempotencyWindow is how long a key's first answer is replayed (R-10.7-3).
const idempotencyWindow = 24 * time.Hour

type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// selfIdempotent are the endpoints that keep their Idempotency-Key, and
// their first answer, inside their own transaction (placing orders: the
// key and the orders commit together, with no second write).
var selfIdempotent = map[string]bool{"/api/v1/orders": true}

// idempotency honours the Idempotency-Key header on POST: the same key and
// body within 24 hours returns the first answer and creates nothing new;
// the same key with another body is 422 idempotency-key-reused.
// Endpoints that must make the key and their own write atomic (placing
// orders) check it inside their transaction as well.
func (a *API) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		// Uploads (multipart) are content-addressed and safe to repeat; their
		// bodies may be larger than the JSON limit this layer buffers.
		if r.Method != http.MethodPost || key == "" || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") || selfIdempotent[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if len(key) > 200 {
			writeProblem(w, r, problem.Invalid(problem.Field("Idempotency-Key", i18n.T("幂等键过长", "Idempotency-Key is too long"))), a.deps.Log)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		if err != nil {
			writeProblem(w, r, err, a.deps.Log)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		principal := "anonymous:" + audit.ActorFrom(ctx).SourceIP
		if p := identity.PrincipalFrom(ctx); p != nil {
			principal = p.ActorID()
		}
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
		h.Write(body)
		reqHash := hex.EncodeToString(h.Sum(nil))
		now := a.deps.Clock.Now()
		var storedHash, ct, stored string
		var status int
		var created time.Time
		err = a.deps.DB.QueryRow(ctx, `SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE principal = $1 AND key = $2`,
			principal, key).Scan(&storedHash, &status, &ct, &stored, &created)
		switch {
		case err == nil && now.Sub(created) < idempotencyWindow:
			if storedHash != reqHash {
				writeProblem(w, r, problem.New(problem.IdempotencyKeyReused, i18n.T("该幂等键已用于内容不同的请求", "This Idempotency-Key was used with a different request")), a.deps.Log)
				return
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, stored)
			return
		case err == nil:
			_, _ = a.deps.DB.WritePool().ExecContext(ctx, `DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2`, principal, key)
		case !errors.Is(err, sql.ErrNoRows):
			writeProblem(w, r, err, a.deps.Log)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 || rec.status >= 500 {
			return
		}
		_, _ = a.deps.DB.WritePool().ExecContext(context.WithoutCancel(ctx), `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, status, content_type, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (principal, key) DO NOTHING`,
			principal, key, r.Method, r.URL.Path, reqHash, rec.status, rec.Header().Get("Content-Type"), rec.buf.String(), now)
	})
}

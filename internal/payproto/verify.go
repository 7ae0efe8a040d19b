package payproto

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// R-6.5-3 (§6.5): the receiver's limits.
const (
	// ClockWindow is how far a request's ts may be from the receiver's clock.
	ClockWindow = 300 * time.Second
	// NonceTTL is how long a nonce is remembered. A replay must also carry a
	// ts within ClockWindow of now, so remembering for 2×ClockWindow catches
	// every replay.
	NonceTTL = 10 * time.Minute
)

// The causes of a rejection. A rejection is a *problem.Error with code
// problem.BadSignature (401) whose cause is one of these, so callers can
// record why with errors.Is.
var (
	ErrUnknownKey    = errors.New("unknown key id")
	ErrClockSkew     = errors.New("timestamp outside the clock window")
	ErrReplayedNonce = errors.New("nonce already seen")
	ErrBadSignature  = errors.New("signature does not verify")
)

// KeyLookup returns the public key registered under keyID: nil (or
// ErrUnknownKey) when there is none. Any other error is an infrastructure
// failure and is passed through (it is not a 401).
type KeyLookup func(ctx context.Context, keyID string) (ed25519.PublicKey, error)

// NonceStore remembers nonces. The platform backs it with its database; a
// process on its own uses MemoryNonces.
type NonceStore interface {
	// Remember records nonce as seen at now, to be forgotten after until.
	// It reports fresh=false when the nonce was already remembered.
	Remember(ctx context.Context, nonce string, now, until time.Time) (fresh bool, err error)
}

// Verifier checks signed requests (R-6.5-3): known key id, ts within
// ClockWindow, signature, and a nonce not seen within NonceTTL. The nonce is
// only remembered once the signature verifies, so a forger cannot burn
// nonces.
type Verifier struct {
	Keys   KeyLookup
	Nonces NonceStore
	Clock  clock.Clock
}

// Rejected wraps cause as the 401 bad-signature problem.
func Rejected(cause error) *problem.Error {
	var zh string
	switch {
	case errors.Is(cause, ErrUnknownKey):
		zh = "签名无效：未知的密钥编号"
	case errors.Is(cause, ErrClockSkew):
		zh = "签名无效：时间戳超出允许范围"
	case errors.Is(cause, ErrReplayedNonce):
		zh = "签名无效：随机数已被使用"
	case errors.Is(cause, ErrMalformed):
		zh = "签名无效：缺少或无法解析 Signature 请求头"
	default:
		zh = "签名无效：签名校验失败"
	}
	return problem.New(problem.BadSignature, i18n.T(zh, "Bad signature: "+cause.Error())).Wrap(cause)
}

// Verify checks a request given as its parts. It returns the key id that
// signed it, or an error: a *problem.Error (401 bad-signature) for a
// rejected request, anything else for a failure of the key lookup or the
// nonce store.
func (v *Verifier) Verify(ctx context.Context, header, method, pathWithQuery string, body []byte) (string, error) {
	sig, err := ParseSignature(header)
	if err != nil {
		return "", Rejected(ErrMalformed)
	}
	now := v.Clock.Now()
	ts := time.Unix(sig.TS, 0)
	if d := now.Sub(ts); d > ClockWindow || d < -ClockWindow {
		return "", Rejected(ErrClockSkew)
	}
	pub, err := v.Keys(ctx, sig.KeyID)
	if errors.Is(err, ErrUnknownKey) || (err == nil && len(pub) != ed25519.PublicKeySize) {
		return "", Rejected(ErrUnknownKey)
	}
	if err != nil {
		return "", fmt.Errorf("payproto: key lookup: %w", err)
	}
	if !ed25519.Verify(pub, SigningString(sig.TS, sig.Nonce, method, pathWithQuery, body), sig.Sig) {
		return "", Rejected(ErrBadSignature)
	}
	fresh, err := v.Nonces.Remember(ctx, sig.Nonce, now, now.Add(NonceTTL))
	if err != nil {
		return "", fmt.Errorf("payproto: nonce store: %w", err)
	}
	if !fresh {
		return "", Rejected(ErrReplayedNonce)
	}
	return sig.KeyID, nil
}

// VerifyRequest reads r's body (at most maxBody bytes; larger is an error),
// verifies the request and returns the body and the signing key id. r.Body
// is replaced by a reader of the same bytes.
func (v *Verifier) VerifyRequest(r *http.Request, maxBody int64) (body []byte, keyID string, err error) {
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, "", fmt.Errorf("payproto: read body: %w", err)
		}
		if int64(len(body)) > maxBody {
			return nil, "", problem.New(problem.PayloadTooLarge, i18n.T("请求体过大", "Request body too large"))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	keyID, err = v.Verify(r.Context(), r.Header.Get(HeaderName), r.Method, RequestPath(r), body)
	return body, keyID, err
}

// StaticKeys is a KeyLookup over a fixed set of keys.
func StaticKeys(keys ...PublicKeyInfo) (KeyLookup, error) {
	m := map[string]ed25519.PublicKey{}
	for _, k := range keys {
		pub, err := ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.KeyID, err)
		}
		m[k.KeyID] = pub
	}
	return func(_ context.Context, id string) (ed25519.PublicKey, error) {
		if pub, ok := m[id]; ok {
			return pub, nil
		}
		return nil, ErrUnknownKey
	}, nil
}

package payproto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HeaderName is the header that carries a request's signature.
const HeaderName = "Signature"

// NonceBytes is how many random bytes a nonce carries (the protocol asks
// for at least 16).
const NonceBytes = 18

// MinNonceBytes is the shortest nonce a receiver accepts.
const MinNonceBytes = 16

// Signature is a parsed Signature header:
// keyid="<id>", ts="<unix seconds>", nonce="<base64url>", sig="<base64>".
type Signature struct {
	KeyID string
	TS    int64
	Nonce string // as sent: base64url of NonceBytes random bytes
	Sig   []byte
}

// String formats the header value.
func (s Signature) String() string {
	return fmt.Sprintf(`keyid="%s", ts="%d", nonce="%s", sig="%s"`,
		s.KeyID, s.TS, s.Nonce, base64.StdEncoding.EncodeToString(s.Sig))
}

// ErrMalformed is the cause of a rejection for a missing or unreadable
// Signature header.
var ErrMalformed = errors.New("signature header missing or malformed")

// ParseSignature parses a Signature header value. Every one of keyid, ts,
// nonce and sig must appear exactly once; the nonce must decode (base64url)
// to at least MinNonceBytes bytes and sig (base64) to an Ed25519 signature.
func ParseSignature(v string) (Signature, error) {
	var s Signature
	fields := map[string]string{}
	rest := strings.TrimSpace(v)
	if rest == "" {
		return s, ErrMalformed
	}
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return s, ErrMalformed
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		if !strings.HasPrefix(rest, `"`) {
			return s, ErrMalformed
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return s, ErrMalformed
		}
		value := rest[1 : 1+end]
		rest = strings.TrimLeft(rest[end+2:], " \t")
		if _, dup := fields[name]; dup {
			return s, ErrMalformed
		}
		fields[name] = value
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return s, ErrMalformed
		}
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	for _, k := range []string{"keyid", "ts", "nonce", "sig"} {
		if fields[k] == "" {
			return s, ErrMalformed
		}
	}
	if len(fields) != 4 {
		return s, ErrMalformed
	}
	ts, err := strconv.ParseInt(fields["ts"], 10, 64)
	if err != nil || ts <= 0 {
		return s, ErrMalformed
	}
	nonce, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(fields["nonce"], "="))
	if err != nil || len(nonce) < MinNonceBytes {
		return s, ErrMalformed
	}
	sig, err := base64.StdEncoding.DecodeString(fields["sig"])
	if err != nil {
		if sig, err = base64.RawStdEncoding.DecodeString(fields["sig"]); err != nil {
			return s, ErrMalformed
		}
	}
	if len(sig) != ed25519.SignatureSize {
		return s, ErrMalformed
	}
	return Signature{KeyID: fields["keyid"], TS: ts, Nonce: fields["nonce"], Sig: sig}, nil
}

// SigningString is the signed message:
// ts "\n" nonce "\n" METHOD "\n" path-with-query "\n" hex(sha256(body)).
func SigningString(ts int64, nonce, method, pathWithQuery string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + strings.ToUpper(method) + "\n" +
		pathWithQuery + "\n" + hex.EncodeToString(sum[:]))
}

// NewNonce returns NonceBytes random bytes in unpadded base64url.
func NewNonce() string {
	b := make([]byte, NonceBytes)
	if _, err := rand.Read(b); err != nil {
		panic("payproto: random source failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign signs one request at now and returns the Signature header value.
func Sign(k *KeyPair, now time.Time, method, pathWithQuery string, body []byte) string {
	ts := now.Unix()
	nonce := NewNonce()
	sig := ed25519.Sign(k.Private, SigningString(ts, nonce, method, pathWithQuery, body))
	return Signature{KeyID: k.ID, TS: ts, Nonce: nonce, Sig: sig}.String()
}

// SignRequest sets req's Signature header for body (which must be the
// exact bytes req will send; nil for none).
func SignRequest(req *http.Request, k *KeyPair, now time.Time, body []byte) {
	req.Header.Set(HeaderName, Sign(k, now, req.Method, RequestPath(req), body))
}

// RequestPath is the path-with-query that is signed: the request target as
// sent on the wire (RequestURI on a server, URL.RequestURI on a client).
func RequestPath(r *http.Request) string {
	if r.RequestURI != "" && !strings.Contains(r.RequestURI, "://") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

package payproto

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/problem"
)

var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

func mustKey(t *testing.T) *KeyPair {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func verifierFor(c clock.Clock, keys ...*KeyPair) *Verifier {
	var infos []PublicKeyInfo
	for _, k := range keys {
		infos = append(infos, k.Info())
	}
	lookup, err := StaticKeys(infos...)
	if err != nil {
		panic(err)
	}
	return &Verifier{Keys: lookup, Nonces: NewMemoryNonces(0), Clock: c}
}

func wantCause(t *testing.T, err, cause error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection for %v", cause)
	}
	if !errors.Is(err, cause) {
		t.Fatalf("error %v; want cause %v", err, cause)
	}
	if problem.CodeOf(err) != problem.BadSignature || problem.CodeOf(err).Status() != 401 {
		t.Fatalf("error %v is not a 401 bad-signature problem", err)
	}
}

func TestSignVerifyRoundTripAndTampering(t *testing.T) {
	fc := clock.NewFake(t0)
	k := mustKey(t)
	v := verifierFor(fc, k)
	ctx := context.Background()
	body := []byte(`{"out_trade_no":"o-1","amount":1234}`)
	path := "/v1/trades?x=1&y=%2F"

	h := Sign(k, fc.Now(), "post", path, body)
	if !strings.HasPrefix(h, `keyid="`+k.ID+`", ts="`+fmt.Sprint(t0.Unix())+`", nonce="`) {
		t.Fatalf("header %q", h)
	}
	kid, err := v.Verify(ctx, h, "POST", path, body)
	if err != nil || kid != k.ID {
		t.Fatalf("round trip: %q %v", kid, err)
	}

	for name, tc := range map[string]struct {
		method, path string
		body         []byte
	}{
		"body":   {"POST", path, []byte(`{"out_trade_no":"o-1","amount":1235}`)},
		"path":   {"POST", "/v1/trades?x=1&y=%2G", body},
		"query":  {"POST", "/v1/trades", body},
		"method": {"PUT", path, body},
		"empty":  {"POST", path, nil},
	} {
		t.Run(name, func(t *testing.T) {
			h := Sign(k, fc.Now(), "POST", path, body)
			_, err := v.Verify(ctx, h, tc.method, tc.path, tc.body)
			wantCause(t, err, ErrBadSignature)
		})
	}

	// A signature tampered in transit.
	sig, _ := ParseSignature(Sign(k, fc.Now(), "POST", path, body))
	sig.Sig[3] ^= 1
	_, err = v.Verify(ctx, sig.String(), "POST", path, body)
	wantCause(t, err, ErrBadSignature)
	// A ts changed after signing.
	sig, _ = ParseSignature(Sign(k, fc.Now(), "POST", path, body))
	sig.TS++
	_, err = v.Verify(ctx, sig.String(), "POST", path, body)
	wantCause(t, err, ErrBadSignature)
}

func TestVerifyRejectsWrongAndUnknownKey(t *testing.T) {
	fc := clock.NewFake(t0)
	k, other := mustKey(t), mustKey(t)
	v := verifierFor(fc, k)
	ctx := context.Background()
	// Unknown key id.
	_, err := v.Verify(ctx, Sign(other, fc.Now(), "GET", "/v1/keys", nil), "GET", "/v1/keys", nil)
	wantCause(t, err, ErrUnknownKey)
	// Known key id, signed by another key.
	sig, _ := ParseSignature(Sign(other, fc.Now(), "GET", "/v1/keys", nil))
	sig.KeyID = k.ID
	_, err = v.Verify(ctx, sig.String(), "GET", "/v1/keys", nil)
	wantCause(t, err, ErrBadSignature)
	// Infrastructure failure of the lookup is not a 401.
	boom := errors.New("db down")
	v2 := &Verifier{Keys: func(context.Context, string) (ed25519.PublicKey, error) { return nil, boom }, Nonces: NewMemoryNonces(0), Clock: fc}
	_, err = v2.Verify(ctx, Sign(k, fc.Now(), "GET", "/", nil), "GET", "/", nil)
	if !errors.Is(err, boom) || problem.CodeOf(err) == problem.BadSignature {
		t.Fatalf("lookup failure: %v", err)
	}
}

func TestVerifyClockWindow(t *testing.T) {
	fc := clock.NewFake(t0)
	k := mustKey(t)
	v := verifierFor(fc, k)
	ctx := context.Background()
	for _, d := range []time.Duration{-301 * time.Second, 301 * time.Second, -time.Hour} {
		_, err := v.Verify(ctx, Sign(k, t0.Add(d), "GET", "/x", nil), "GET", "/x", nil)
		wantCause(t, err, ErrClockSkew)
	}
	for _, d := range []time.Duration{-300 * time.Second, 300 * time.Second, 0} {
		if _, err := v.Verify(ctx, Sign(k, t0.Add(d), "GET", "/x", nil), "GET", "/x", nil); err != nil {
			t.Fatalf("skew %v: %v", d, err)
		}
	}
}

func TestVerifyReplayedNonce(t *testing.T) {
	fc := clock.NewFake(t0)
	k := mustKey(t)
	v := verifierFor(fc, k)
	ctx := context.Background()
	h := Sign(k, fc.Now(), "POST", "/n", []byte("{}"))
	if _, err := v.Verify(ctx, h, "POST", "/n", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(ctx, h, "POST", "/n", []byte("{}"))
	wantCause(t, err, ErrReplayedNonce)
	// Still refused just inside the clock window (a replay cannot be
	// older than that), and the nonce is forgotten only after NonceTTL.
	fc.Advance(299 * time.Second)
	_, err = v.Verify(ctx, h, "POST", "/n", []byte("{}"))
	wantCause(t, err, ErrReplayedNonce)
	fc.Advance(2 * time.Second)
	_, err = v.Verify(ctx, h, "POST", "/n", []byte("{}"))
	wantCause(t, err, ErrClockSkew)
	// A forged request with a fresh nonce does not burn it.
	sig, _ := ParseSignature(Sign(k, fc.Now(), "POST", "/n", []byte("{}")))
	forged := sig
	forged.Sig = append([]byte(nil), sig.Sig...)
	forged.Sig[0] ^= 0xff
	_, err = v.Verify(ctx, forged.String(), "POST", "/n", []byte("{}"))
	wantCause(t, err, ErrBadSignature)
	if _, err := v.Verify(ctx, sig.String(), "POST", "/n", []byte("{}")); err != nil {
		t.Fatalf("genuine request after a forgery with its nonce: %v", err)
	}
}

func TestMemoryNoncesBounded(t *testing.T) {
	m := NewMemoryNonces(3)
	ctx := context.Background()
	for i := range 3 {
		ok, err := m.Remember(ctx, fmt.Sprint("n", i), t0, t0.Add(NonceTTL))
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	// Full of unexpired nonces: fail closed.
	if ok, err := m.Remember(ctx, "n3", t0.Add(time.Minute), t0.Add(time.Minute+NonceTTL)); ok || !errors.Is(err, ErrNonceStoreFull) {
		t.Fatalf("full store: %v %v", ok, err)
	}
	// Seen nonces are still reported as seen when full.
	if ok, err := m.Remember(ctx, "n1", t0.Add(time.Minute), t0.Add(time.Minute+NonceTTL)); ok || err != nil {
		t.Fatalf("seen: %v %v", ok, err)
	}
	// After the TTL the old ones are dropped and memory is reclaimed.
	later := t0.Add(NonceTTL)
	if ok, err := m.Remember(ctx, "n0", later, later.Add(NonceTTL)); !ok || err != nil {
		t.Fatalf("expired nonce: %v %v", ok, err)
	}
	if m.Len() != 1 {
		t.Fatalf("len %d, want 1", m.Len())
	}
	// Many rounds stay bounded.
	big := NewMemoryNonces(100)
	now := t0
	for i := range 10_000 {
		now = now.Add(10 * time.Second)
		if ok, err := big.Remember(ctx, fmt.Sprint("x", i), now, now.Add(NonceTTL)); !ok || err != nil {
			t.Fatalf("round %d: %v %v", i, ok, err)
		}
	}
	if big.Len() > 61 || len(big.queue)-big.head > 61 || cap(big.queue) > 4096 {
		t.Fatalf("not bounded: len %d queue %d cap %d", big.Len(), len(big.queue)-big.head, cap(big.queue))
	}
}

func TestParseSignature(t *testing.T) {
	k := mustKey(t)
	good := Sign(k, t0, "GET", "/", nil)
	if _, err := ParseSignature(good); err != nil {
		t.Fatal(err)
	}
	sig, _ := ParseSignature(good)
	short := base64.RawURLEncoding.EncodeToString(make([]byte, 15))
	for _, bad := range []string{
		"",
		`keyid="a", ts="1", nonce="` + sig.Nonce + `"`,
		`keyid="a", ts="x", nonce="` + sig.Nonce + `", sig="` + base64.StdEncoding.EncodeToString(sig.Sig) + `"`,
		`keyid="a", ts="1", nonce="` + short + `", sig="` + base64.StdEncoding.EncodeToString(sig.Sig) + `"`,
		`keyid="a", ts="1", nonce="` + sig.Nonce + `", sig="AAAA"`,
		`keyid="a", keyid="b", ts="1", nonce="` + sig.Nonce + `", sig="` + base64.StdEncoding.EncodeToString(sig.Sig) + `"`,
		`keyid=a, ts="1", nonce="` + sig.Nonce + `", sig="` + base64.StdEncoding.EncodeToString(sig.Sig) + `"`,
		good + `, extra="1"`,
	} {
		if _, err := ParseSignature(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q parsed: %v", bad, err)
		}
	}
	v := verifierFor(clock.NewFake(t0), k)
	_, err := v.Verify(context.Background(), "", "GET", "/", nil)
	wantCause(t, err, ErrMalformed)
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.pem")
	k, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatal(created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || k2.ID != k.ID || !k2.Private.Equal(k.Private) {
		t.Fatalf("reload: %v %v", created, err)
	}
	if len(k.ID) != 16 || k.ID != KeyIDOf(k.Public) {
		t.Fatalf("key id %q", k.ID)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKey(path); !errors.Is(err, ErrKeyFileMode) {
			t.Fatalf("mode %o loaded: %v", mode, err)
		}
		if _, _, err := LoadOrCreateKey(path); !errors.Is(err, ErrKeyFileMode) {
			t.Fatalf("mode %o: LoadOrCreateKey did not refuse: %v", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := LoadKey(path); err != nil {
		t.Fatalf("0400: %v", err)
	}
	// The environment forms: base64 of the seed or of the whole key.
	for _, s := range []string{base64.StdEncoding.EncodeToString(k.Private.Seed()), base64.StdEncoding.EncodeToString(k.Private)} {
		k3, err := ParsePrivateKey([]byte(s + "\n"))
		if err != nil || k3.ID != k.ID {
			t.Fatalf("parse %q: %v", s[:8], err)
		}
	}
	if _, err := ParsePrivateKey([]byte("not a key")); err == nil {
		t.Fatal("garbage parsed")
	}
	pub, err := ParsePublicKey(k.PublicKeyBase64())
	if err != nil || !pub.Equal(k.Public) {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(base64.StdEncoding.EncodeToString(make([]byte, 31))); err == nil {
		t.Fatal("short public key parsed")
	}
}

func TestClientSignsAndVerifyRequest(t *testing.T) {
	fc := clock.NewFake(t0)
	k := mustKey(t)
	v := verifierFor(fc, k)
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, kid, err := v.VerifyRequest(r, 1<<10)
		if err != nil {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(problem.CodeOf(err).Status())
			fmt.Fprintf(w, `{"type":%q,"title":"x","status":%d,"detail":"d"}`, problem.CodeOf(err).Type(), problem.CodeOf(err).Status())
			return
		}
		rest, _ := io.ReadAll(r.Body)
		if !bytes.Equal(rest, body) {
			t.Errorf("body not restored")
		}
		got = body
		fmt.Fprintf(w, `{"trade_no":"T1","pay_url":"%s"}`, kid)
	}))
	defer srv.Close()
	c := &Client{Key: k, Clock: fc}
	var out CreateTradeResponse
	in := CreateTradeRequest{OutTradeNo: "o-1", Amount: 100, Currency: "CNY", Subject: "s", ExpiresAt: t0}
	status, err := c.DoJSON(context.Background(), "POST", srv.URL+"/v1/trades?a=b%20c", in, &out)
	if err != nil || status != 200 || out.TradeNo != "T1" || out.PayURL != k.ID {
		t.Fatalf("%d %v %+v", status, err, out)
	}
	if !bytes.Contains(got, []byte(`"out_trade_no":"o-1"`)) {
		t.Fatalf("body %s", got)
	}
	// Another key: 401 bad-signature as a RemoteError.
	c2 := &Client{Key: mustKey(t), Clock: fc}
	_, err = c2.DoJSON(context.Background(), "GET", srv.URL+"/v1/trades/o-1", nil, nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.Status != 401 || re.Code() != "bad-signature" {
		t.Fatalf("%v", err)
	}
	// Too large a body is refused before verification.
	_, err = c.DoJSON(context.Background(), "POST", srv.URL+"/", strings.Repeat("x", 2000), nil)
	if !errors.As(err, &re) || re.Status != 413 {
		t.Fatalf("%v", err)
	}
}

func TestRetrySchedule(t *testing.T) {
	first := t0
	last := first
	var offsets []time.Duration
	for attempt := 1; ; attempt++ {
		next, ok := NextRetry(first, last, attempt)
		if !ok {
			break
		}
		offsets = append(offsets, next.Sub(first))
		last = next
	}
	want := []time.Duration{15 * time.Second, 75 * time.Second, 375 * time.Second, 2175 * time.Second, 9375 * time.Second,
		9375*time.Second + 6*time.Hour, 9375*time.Second + 12*time.Hour, 9375*time.Second + 18*time.Hour}
	if fmt.Sprint(offsets) != fmt.Sprint(want) {
		t.Fatalf("offsets %v\nwant    %v", offsets, want)
	}
}

func TestStatementRoundTrip(t *testing.T) {
	rows := []StatementRow{
		{KindTrade, "T1", "o-1", 1234, "CNY", TradeSucceeded, t0},
		{KindRefund, "R1", "r-1", 34, "CNY", RefundProcessing, t0.Add(time.Hour)},
	}
	var b bytes.Buffer
	if err := WriteStatement(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "kind,no,out_no,amount,currency,status,time\ntrade,T1,o-1,1234,CNY,succeeded,2026-03-14T09:30:00Z\n") {
		t.Fatalf("%s", b.String())
	}
	back, err := ParseStatement(&b)
	if err != nil || fmt.Sprint(back) != fmt.Sprint(rows) {
		t.Fatalf("%v %v", back, err)
	}
	if _, err := ParseStatement(strings.NewReader("a,b\n")); err == nil {
		t.Fatal("bad header accepted")
	}
}

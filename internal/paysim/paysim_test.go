package paysim

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gbmall/internal/payproto"
	"gbmall/internal/platform/clock"
)

var t0 = time.Date(2026, 3, 14, 1, 0, 0, 0, time.UTC)

// received is one notification request as the test platform saw it.
type received struct {
	n      payproto.Notification
	err    error // verification failure
	status int   // what the platform answered
	nonce  string
}

// testPlatform plays the platform: it publishes its keys, verifies
// paysim's signed notifications and answers them.
type testPlatform struct {
	t        *testing.T
	key      *payproto.KeyPair
	keys     []payproto.PublicKeyInfo
	srv      *httptest.Server
	verifier *payproto.Verifier
	psKey    func() (string, string)
	amounts  map[string]int64 // out_trade_no → the amount the platform asked for

	mu       sync.Mutex
	got      []received
	answers  []int // statuses to answer, in order; then 200
	keyFetch int
}

func newTestPlatform(t *testing.T, c clock.Clock) *testPlatform {
	p := &testPlatform{t: t, amounts: map[string]int64{}}
	k, err := payproto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p.key, p.keys = k, []payproto.PublicKeyInfo{k.Info()}
	p.verifier = &payproto.Verifier{Clock: c, Nonces: payproto.NewMemoryNonces(0), Keys: func(_ context.Context, id string) (ed25519.PublicKey, error) {
		kid, pub := p.psKey()
		if id != kid {
			return nil, payproto.ErrUnknownKey
		}
		return payproto.ParsePublicKey(pub)
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/payment-keys", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.keyFetch++
		keys := append([]payproto.PublicKeyInfo(nil), p.keys...)
		p.mu.Unlock()
		json.NewEncoder(w).Encode(payproto.KeysResponse{Keys: keys})
	})
	mux.HandleFunc("POST /api/v1/payment-notifications/{provider}", func(w http.ResponseWriter, r *http.Request) {
		body, _, err := p.verifier.VerifyRequest(r, 1<<16)
		sig, _ := payproto.ParseSignature(r.Header.Get(payproto.HeaderName))
		rec := received{err: err, nonce: sig.Nonce}
		if err == nil {
			if derr := json.Unmarshal(body, &rec.n); derr != nil {
				t.Errorf("notification body: %v", derr)
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case err != nil:
			rec.status = 401
		case rec.n.Event == payproto.EventTradeSucceeded && rec.n.Amount != p.amounts[rec.n.OutTradeNo]:
			rec.status = 422
		case len(p.answers) > 0:
			rec.status = p.answers[0]
			p.answers = p.answers[1:]
		default:
			rec.status = 200
		}
		p.got = append(p.got, rec)
		w.WriteHeader(rec.status)
		if rec.status == 200 {
			io.WriteString(w, `{"result":"success"}`)
		} else {
			io.WriteString(w, `{"type":"x"}`)
		}
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPlatform) received() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got...)
}

func (p *testPlatform) accepted() []payproto.Notification {
	var out []payproto.Notification
	for _, r := range p.received() {
		if r.status == 200 {
			out = append(out, r.n)
		}
	}
	return out
}

type harness struct {
	t      *testing.T
	clock  *clock.Fake
	p      *testPlatform
	ps     *Server
	srv    *httptest.Server
	client *payproto.Client
	dir    string
	seq    int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	fc := clock.NewFake(t0)
	h := &harness{t: t, clock: fc, p: newTestPlatform(t, fc), dir: t.TempDir()}
	h.open()
	h.client = &payproto.Client{Key: h.p.key, Clock: fc}
	return h
}

func (h *harness) open() {
	h.t.Helper()
	ps, err := New(Config{DataDir: h.dir, PlatformURL: h.p.srv.URL, Clock: h.clock, KeyRefetchInterval: time.Nanosecond,
		RefundDelay: 5 * time.Second, PollInterval: 5 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	h.ps = ps
	h.p.psKey = func() (string, string) { return ps.KeyID(), ps.PublicKey() }
	h.srv = httptest.NewServer(ps.Handler())
	h.t.Cleanup(func() { h.srv.Close(); ps.Close() })
}

func (h *harness) url(path string) string { return h.srv.URL + path }

func (h *harness) notifyURL() string { return h.p.srv.URL + "/api/v1/payment-notifications/prov-1?v=1" }

// createTrade asks for a trade of amount fen, expiring in 30 minutes.
func (h *harness) createTrade(amount int64) (string, payproto.CreateTradeResponse) {
	h.t.Helper()
	h.seq++
	out := fmt.Sprintf("PAY-%d", h.seq)
	h.p.mu.Lock()
	h.p.amounts[out] = amount
	h.p.mu.Unlock()
	var resp payproto.CreateTradeResponse
	st, err := h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades"), payproto.CreateTradeRequest{
		OutTradeNo: out, Amount: amount, Currency: "CNY", Subject: "有机红富士苹果 5kg",
		NotifyURL: h.notifyURL(), ReturnURL: "http://platform.test/orders/1/paid", ExpiresAt: h.clock.Now().Add(30 * time.Minute),
	}, &resp)
	if err != nil || st != 201 || resp.TradeNo == "" || resp.PayURL != h.url("/cashier/"+resp.TradeNo) {
		h.t.Fatalf("create trade: %d %v %+v", st, err, resp)
	}
	return out, resp
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// choose posts the cashier form: action pay or cancel.
func (h *harness) choose(payURL, action string) *http.Response {
	h.t.Helper()
	resp, err := noRedirect.PostForm(payURL, url.Values{"action": {action}})
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (h *harness) pay(payURL string) {
	h.t.Helper()
	resp := h.choose(payURL, "pay")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "http://platform.test/orders/1/paid" {
		h.t.Fatalf("pay: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (h *harness) trade(out string) payproto.Trade {
	h.t.Helper()
	var tr payproto.Trade
	if st, err := h.client.DoJSON(context.Background(), "GET", h.url("/v1/trades/"+out), nil, &tr); err != nil || st != 200 {
		h.t.Fatalf("get trade: %d %v", st, err)
	}
	return tr
}

func (h *harness) faults(body string) {
	h.t.Helper()
	resp, err := http.Post(h.url("/v1/sandbox/faults"), "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("faults: %v %v", resp, err)
	}
	resp.Body.Close()
}

// advance moves the clock and runs what is due.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	if err := h.ps.RunDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func wantRemote(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *payproto.RemoteError
	if !errors.As(err, &re) || re.Status != status || (code != "" && re.Code() != code) {
		t.Fatalf("got %v; want %d %s", err, status, code)
	}
}

func TestTradeCreateIdempotentAndQuery(t *testing.T) {
	h := newHarness(t)
	out, tr := h.createTrade(1234)
	var again payproto.CreateTradeResponse
	st, err := h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades"), payproto.CreateTradeRequest{
		OutTradeNo: out, Amount: 1234, Currency: "CNY", Subject: "x", NotifyURL: h.notifyURL(), ReturnURL: "http://platform.test/r",
		ExpiresAt: t0.Add(time.Hour)}, &again)
	if err != nil || st != 201 || again != tr {
		t.Fatalf("same out_trade_no: %d %v %+v vs %+v", st, err, again, tr)
	}
	_, err = h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades"), payproto.CreateTradeRequest{
		OutTradeNo: out, Amount: 1235, Currency: "CNY", Subject: "x", NotifyURL: h.notifyURL(), ReturnURL: "http://platform.test/r",
		ExpiresAt: t0.Add(time.Hour)}, nil)
	wantRemote(t, err, 422, "idempotency-key-reused")
	got := h.trade(out)
	if got.TradeNo != tr.TradeNo || got.Status != "pending" || got.Amount != 1234 || got.PaidAt != nil {
		t.Fatalf("%+v", got)
	}
	// Every invalid field at once; unknown fields refused.
	_, err = h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades"), map[string]any{
		"out_trade_no": "", "amount": 0, "currency": "USD", "subject": "", "notify_url": "ftp://x", "return_url": "", "expires_at": t0.Add(-time.Second)}, nil)
	var re *payproto.RemoteError
	if !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("%v", err)
	}
	for _, f := range []string{"out_trade_no", "amount", "currency", "subject", "notify_url", "return_url", "expires_at"} {
		if !strings.Contains(string(re.Body), `"field":"`+f+`"`) {
			t.Errorf("no error for %s in %s", f, re.Body)
		}
	}
	_, err = h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades"), map[string]any{"out_trade_no": "x", "bogus": 1}, nil)
	wantRemote(t, err, 400, "validation")
	_, err = h.client.DoJSON(context.Background(), "GET", h.url("/v1/trades/NOPE"), nil, nil)
	wantRemote(t, err, 404, "not-found")
}

func TestCashierPaySendsSignedNotification(t *testing.T) {
	h := newHarness(t)
	out, tr := h.createTrade(123456)
	resp, err := http.Get(tr.PayURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"gbmall", "有机红富士苹果 5kg", "¥</span>1,234.56", `name="action" value="pay"`, `name="action" value="cancel"`, out, "沙箱"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("cashier page lacks %q", want)
		}
	}
	h.pay(tr.PayURL)
	got := h.p.received()
	if len(got) != 1 || got[0].err != nil || got[0].status != 200 {
		t.Fatalf("notifications: %+v", got)
	}
	n := got[0].n
	if n.Event != "trade.succeeded" || n.TradeNo != tr.TradeNo || n.OutTradeNo != out || n.Amount != 123456 || n.Currency != "CNY" || !n.OccurredAt.Equal(t0) {
		t.Fatalf("%+v", n)
	}
	trade := h.trade(out)
	if trade.Status != "succeeded" || trade.PaidAt == nil || !trade.PaidAt.Equal(t0) {
		t.Fatalf("%+v", trade)
	}
	// Paying again changes nothing and says so.
	resp = h.choose(tr.PayURL, "pay")
	if resp.StatusCode != 409 {
		t.Fatalf("second pay: %d", resp.StatusCode)
	}
	resp, _ = http.Get(tr.PayURL)
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "支付成功") {
		t.Fatalf("paid page: %s", page)
	}
	h.advance(25 * time.Hour)
	if len(h.p.received()) != 1 {
		t.Fatalf("extra notifications: %+v", h.p.received())
	}
	// Closing a paid trade is refused.
	_, err = h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades/"+out+"/close"), nil, nil)
	wantRemote(t, err, 409, "invalid-transition")
	// A cross-site form post is refused.
	req, _ := http.NewRequest("POST", tr.PayURL, strings.NewReader("action=pay"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.test")
	resp, _ = noRedirect.Do(req)
	if resp.StatusCode != 403 {
		t.Fatalf("cross-origin post: %d", resp.StatusCode)
	}
}

func TestCashierCancelClosesTrade(t *testing.T) {
	h := newHarness(t)
	out, tr := h.createTrade(500)
	resp := h.choose(tr.PayURL, "cancel")
	if resp.StatusCode != 303 {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	got := h.p.accepted()
	if len(got) != 1 || got[0].Event != "trade.closed" || got[0].OutTradeNo != out || got[0].Amount != 500 {
		t.Fatalf("%+v", got)
	}
	if st := h.trade(out).Status; st != "closed" {
		t.Fatal(st)
	}
	if resp := h.choose(tr.PayURL, "pay"); resp.StatusCode != 409 {
		t.Fatalf("pay after cancel: %d", resp.StatusCode)
	}
	r, _ := http.Get(tr.PayURL)
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(page), "交易已关闭") || strings.Contains(string(page), `value="pay"`) {
		t.Fatalf("closed page: %s", page)
	}
	if resp := h.choose(tr.PayURL, "refund"); resp.StatusCode != 400 {
		t.Fatalf("bad action: %d", resp.StatusCode)
	}
}

func TestCloseAndExpiry(t *testing.T) {
	h := newHarness(t)
	out, tr := h.createTrade(800)
	var closed payproto.Trade
	if st, err := h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades/"+out+"/close"), nil, &closed); err != nil || st != 200 || closed.Status != "closed" {
		t.Fatalf("close: %d %v %+v", st, err, closed)
	}
	if st, err := h.client.DoJSON(context.Background(), "POST", h.url("/v1/trades/"+out+"/close"), nil, &closed); err != nil || st != 200 {
		t.Fatalf("close again: %d %v", st, err)
	}
	if resp := h.choose(tr.PayURL, "pay"); resp.StatusCode != 409 {
		t.Fatalf("pay a closed trade: %d", resp.StatusCode)
	}
	out2, tr2 := h.createTrade(900)
	h.clock.Advance(30 * time.Minute)
	r, _ := http.Get(tr2.PayURL)
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(page), "交易已超时") || !strings.Contains(string(page), "expired") {
		t.Fatalf("expired page: %s", page)
	}
	if resp := h.choose(tr2.PayURL, "pay"); resp.StatusCode != 409 {
		t.Fatalf("pay an expired trade: %d", resp.StatusCode)
	}
	if st := h.trade(out2).Status; st != "closed" {
		t.Fatal(st)
	}
	if n := h.p.received(); len(n) != 0 {
		t.Fatalf("notifications for closes by the platform or expiry: %+v", n)
	}
	r, _ = http.Get(h.url("/cashier/PSNOPE"))
	if r.StatusCode != 404 {
		t.Fatalf("unknown trade page: %d", r.StatusCode)
	}
	r.Body.Close()
}

func TestFaultDrop(t *testing.T) {
	h := newHarness(t)
	h.faults(`{"drop_next": 1}`)
	_, a := h.createTrade(100)
	h.pay(a.PayURL)
	for range 10 {
		h.advance(3 * time.Hour)
	}
	if got := h.p.received(); len(got) != 0 {
		t.Fatalf("dropped notification sent: %+v", got)
	}
	recs, _ := h.ps.Notifications(context.Background(), a.TradeNo)
	if len(recs) != 1 || recs[0].Status != "dropped" || recs[0].Attempts != 0 {
		t.Fatalf("%+v", recs)
	}
	// The counter is used up: the next one is sent.
	_, b := h.createTrade(200)
	h.pay(b.PayURL)
	if got := h.p.accepted(); len(got) != 1 || got[0].TradeNo != b.TradeNo {
		t.Fatalf("%+v", got)
	}
}

func TestFaultDuplicate(t *testing.T) {
	h := newHarness(t)
	h.faults(`{"duplicate_next": 1}`)
	_, a := h.createTrade(100)
	h.pay(a.PayURL)
	got := h.p.received()
	if len(got) != 2 || got[0].status != 200 || got[1].status != 200 || got[0].n != got[1].n || got[0].nonce == got[1].nonce {
		t.Fatalf("duplicate: %+v", got)
	}
	h.advance(time.Hour)
	if len(h.p.received()) != 2 {
		t.Fatal("more than twice")
	}
}

func TestFaultDelay(t *testing.T) {
	h := newHarness(t)
	h.faults(`{"delay_next_seconds": 30}`)
	_, a := h.createTrade(100)
	h.pay(a.PayURL)
	if len(h.p.received()) != 0 {
		t.Fatal("sent at once")
	}
	h.advance(29 * time.Second)
	if len(h.p.received()) != 0 {
		t.Fatal("sent early")
	}
	h.advance(time.Second)
	got := h.p.accepted()
	if len(got) != 1 || got[0].TradeNo != a.TradeNo || !got[0].OccurredAt.Equal(t0) {
		t.Fatalf("%+v", got)
	}
	// Only the next one is late.
	_, b := h.createTrade(100)
	h.pay(b.PayURL)
	if len(h.p.accepted()) != 2 {
		t.Fatal("the second one was delayed too")
	}
}

func TestFaultWrongAmount(t *testing.T) {
	h := newHarness(t)
	h.faults(`{"wrong_amount_next": 1}`)
	_, a := h.createTrade(1000)
	h.pay(a.PayURL)
	got := h.p.received()
	if len(got) != 1 || got[0].err != nil || got[0].n.Amount == 1000 || got[0].status != 422 {
		t.Fatalf("%+v", got)
	}
	// Not acknowledged, so it is retried (still wrong).
	h.advance(15 * time.Second)
	if got := h.p.received(); len(got) != 2 || got[1].n.Amount == 1000 {
		t.Fatalf("%+v", got)
	}
}

func TestFaultWrongKey(t *testing.T) {
	h := newHarness(t)
	h.faults(`{"wrong_key_next": 1}`)
	_, a := h.createTrade(1000)
	h.pay(a.PayURL)
	got := h.p.received()
	if len(got) != 1 || !errors.Is(got[0].err, payproto.ErrUnknownKey) || got[0].status != 401 {
		t.Fatalf("%+v", got)
	}
	if len(h.p.accepted()) != 0 {
		t.Fatal("accepted")
	}
	// The next one is signed properly.
	_, b := h.createTrade(1000)
	h.pay(b.PayURL)
	if acc := h.p.accepted(); len(acc) != 1 || acc[0].TradeNo != b.TradeNo {
		t.Fatalf("%+v", acc)
	}
}

func TestFaultsLoopbackOnlyAndValidated(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest("POST", "/v1/sandbox/faults", strings.NewReader(`{"drop_next":1}`))
	req.RemoteAddr = "203.0.113.9:5555"
	w := httptest.NewRecorder()
	h.ps.Handler().ServeHTTP(w, req)
	if w.Code != 403 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if h.ps.faults.DropNext != 0 {
		t.Fatal("fault set from a remote address")
	}
	for _, addr := range []string{"127.0.0.1:5555", "[::1]:5555"} {
		req = httptest.NewRequest("POST", "/v1/sandbox/faults", strings.NewReader(`{"drop_next":2,"wrong_key_next":1}`))
		req.RemoteAddr = addr
		w = httptest.NewRecorder()
		h.ps.Handler().ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"drop_next":2`) {
			t.Fatalf("%s: %d %s", addr, w.Code, w.Body)
		}
	}
	req = httptest.NewRequest("POST", "/v1/sandbox/faults", strings.NewReader(`{"explode_next":1}`))
	req.RemoteAddr = "127.0.0.1:1"
	w = httptest.NewRecorder()
	h.ps.Handler().ServeHTTP(w, req)
	if w.Code != 400 {
		t.Fatalf("unknown fault: %d", w.Code)
	}
	req = httptest.NewRequest("POST", "/v1/sandbox/faults", strings.NewReader(`{"drop_next":-1}`))
	req.RemoteAddr = "127.0.0.1:1"
	w = httptest.NewRecorder()
	h.ps.Handler().ServeHTTP(w, req)
	if w.Code != 400 {
		t.Fatalf("negative fault: %d", w.Code)
	}
}

func TestRetrySchedule(t *testing.T) {
	h := newHarness(t)
	h.p.answers = []int{500, 500}
	_, a := h.createTrade(100)
	h.pay(a.PayURL) // attempt 1 at t0: 500
	h.advance(14 * time.Second)
	if n := len(h.p.received()); n != 1 {
		t.Fatalf("retried before 15 s: %d", n)
	}
	h.advance(time.Second) // t0+15s: attempt 2, 500
	h.advance(59 * time.Second)
	if n := len(h.p.received()); n != 2 {
		t.Fatalf("after 15 s: %d attempts", n)
	}
	h.advance(time.Second) // +1 min after attempt 2: attempt 3, 200
	got := h.p.received()
	if len(got) != 3 || got[2].status != 200 {
		t.Fatalf("%+v", got)
	}
	h.advance(30 * time.Hour)
	if len(h.p.received()) != 3 {
		t.Fatal("retried after success")
	}
	recs, _ := h.ps.Notifications(context.Background(), a.TradeNo)
	if recs[0].Status != "delivered" || recs[0].Attempts != 3 {
		t.Fatalf("%+v", recs[0])
	}

	// A platform that never acknowledges: attempts at 0, 15 s, 1 min 15 s,
	// 6 min 15 s, 36 min 15 s, 2 h 36 min 15 s, then every 6 h until 24 h.
	h2 := newHarness(t)
	h2.p.answers = make([]int, 100)
	for i := range h2.p.answers {
		h2.p.answers[i] = 503
	}
	_, b := h2.createTrade(100)
	h2.pay(b.PayURL)
	for range 26 * 60 {
		h2.advance(time.Minute)
	}
	if n := len(h2.p.received()); n != 9 {
		t.Fatalf("%d attempts in 26 h, want 9", n)
	}
	recs, _ = h2.ps.Notifications(context.Background(), b.TradeNo)
	if recs[0].Status != "failed" || recs[0].Attempts != 9 || !strings.HasPrefix(recs[0].LastResult, "503") {
		t.Fatalf("%+v", recs[0])
	}
}

func TestRestartContinuesRetries(t *testing.T) {
	h := newHarness(t)
	keyID := h.ps.KeyID()
	h.p.answers = []int{500}
	_, a := h.createTrade(100)
	h.pay(a.PayURL)
	h.srv.Close()
	if err := h.ps.Close(); err != nil {
		t.Fatal(err)
	}
	h.open()
	if h.ps.KeyID() != keyID {
		t.Fatal("key changed across restart")
	}
	if st, _ := os.Stat(filepath.Join(h.dir, "paysim.key")); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %o", st.Mode().Perm())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.ps.Start(ctx)
	h.clock.Advance(15 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(h.p.accepted()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.p.accepted(); len(got) != 1 || got[0].TradeNo != a.TradeNo {
		t.Fatalf("after restart: %+v", h.p.received())
	}
}

func TestRefundsNeverAboveAmount(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	refund := func(outRefund, outTrade string, amount int64) (payproto.RefundResponse, error) {
		var r payproto.RefundResponse
		_, err := h.client.DoJSON(ctx, "POST", h.url("/v1/refunds"), payproto.RefundRequest{OutRefundNo: outRefund, OutTradeNo: outTrade, Amount: amount, Reason: "卖家拒绝发货"}, &r)
		return r, err
	}
	out, tr := h.createTrade(1000)
	_, err := refund("RF-0", out, 100)
	wantRemote(t, err, 409, "invalid-transition") // not paid yet
	h.pay(tr.PayURL)
	r1, err := refund("RF-1", out, 600)
	if err != nil || r1.Status != "processing" || r1.RefundNo == "" {
		t.Fatalf("%+v %v", r1, err)
	}
	_, err = refund("RF-2", out, 401)
	wantRemote(t, err, 409, "conflict")
	r2, err := refund("RF-3", out, 400)
	if err != nil {
		t.Fatal(err)
	}
	_, err = refund("RF-4", out, 1)
	wantRemote(t, err, 409, "conflict")
	again, err := refund("RF-1", out, 600)
	if err != nil || again != r1 {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	_, err = refund("RF-1", out, 500)
	wantRemote(t, err, 422, "idempotency-key-reused")
	_, err = refund("RF-9", "NOPE", 1)
	wantRemote(t, err, 404, "not-found")

	h.advance(4 * time.Second)
	if n := len(h.p.accepted()); n != 1 {
		t.Fatalf("refunds completed early: %d", n)
	}
	h.advance(time.Second)
	got := h.p.accepted()[1:]
	if len(got) != 2 {
		t.Fatalf("%+v", got)
	}
	byNo := map[string]payproto.Notification{got[0].OutRefundNo: got[0], got[1].OutRefundNo: got[1]}
	if n := byNo["RF-1"]; n.Event != "refund.succeeded" || n.RefundNo != r1.RefundNo || n.Amount != 600 || n.OutTradeNo != out || n.TradeNo != tr.TradeNo {
		t.Fatalf("%+v", n)
	}
	if n := byNo["RF-3"]; n.RefundNo != r2.RefundNo || n.Amount != 400 {
		t.Fatalf("%+v", n)
	}
	again, err = refund("RF-1", out, 600)
	if err != nil || again.Status != "succeeded" {
		t.Fatalf("%+v %v", again, err)
	}
}

func TestStatementOfADay(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.clock.Set(time.Date(2026, 3, 13, 23, 59, 0, 0, time.UTC))
	outPrev, _ := h.createTrade(111) // the day before
	h.clock.Set(time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC))
	out1, tr1 := h.createTrade(1000)
	h.clock.Advance(time.Minute)
	h.pay(tr1.PayURL)
	h.clock.Advance(time.Hour)
	out2, _ := h.createTrade(250) // stays pending, then expires
	var rr payproto.RefundResponse
	if _, err := h.client.DoJSON(ctx, "POST", h.url("/v1/refunds"), payproto.RefundRequest{OutRefundNo: "RF-1", OutTradeNo: out1, Amount: 300}, &rr); err != nil {
		t.Fatal(err)
	}
	var sr payproto.SettlementResponse
	set := payproto.SettlementRequest{OutSettlementNo: "SET-1", OutTradeNo: out1, Payee: "org-seller-1", Amount: 630, Commission: 70}
	if st, err := h.client.DoJSON(ctx, "POST", h.url("/v1/settlements"), set, &sr); err != nil || st != 201 || sr.Status != "succeeded" {
		t.Fatalf("%d %v", st, err)
	}
	var sr2 payproto.SettlementResponse
	if _, err := h.client.DoJSON(ctx, "POST", h.url("/v1/settlements"), set, &sr2); err != nil || sr2 != sr {
		t.Fatalf("repeat settlement: %v %+v", err, sr2)
	}
	_, err := h.client.DoJSON(ctx, "POST", h.url("/v1/settlements"), payproto.SettlementRequest{OutSettlementNo: "SET-2", OutTradeNo: out1, Payee: "org-seller-1", Amount: 1}, nil)
	wantRemote(t, err, 409, "conflict") // 1000 − 300 refunded − 700 settled leaves nothing
	_, err = h.client.DoJSON(ctx, "POST", h.url("/v1/settlements"), payproto.SettlementRequest{OutSettlementNo: "SET-1", OutTradeNo: out1, Payee: "org-seller-1", Amount: 600, Commission: 70}, nil)
	wantRemote(t, err, 422, "idempotency-key-reused")
	h.clock.Set(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	h.createTrade(999) // the day after
	h.advance(time.Hour)

	var csv []byte
	if _, err := h.client.DoJSON(ctx, "GET", h.url("/v1/statements/2026-03-14"), nil, &csv); err != nil {
		t.Fatal(err)
	}
	want := "kind,no,out_no,amount,currency,status,time\n" +
		fmt.Sprintf("trade,%s,%s,1000,CNY,succeeded,2026-03-14T00:00:00Z\n", tr1.TradeNo, out1) +
		fmt.Sprintf("trade,%s,%s,250,CNY,closed,2026-03-14T01:01:00Z\n", h.trade(out2).TradeNo, out2) +
		fmt.Sprintf("refund,%s,RF-1,300,CNY,succeeded,2026-03-14T01:01:00Z\n", rr.RefundNo) +
		fmt.Sprintf("settlement,%s,SET-1,630,CNY,succeeded,2026-03-14T01:01:00Z\n", sr.SettlementNo)
	if string(csv) != want {
		t.Fatalf("statement:\n%s\nwant:\n%s", csv, want)
	}
	rows, err := payproto.ParseStatement(strings.NewReader(string(csv)))
	if err != nil || len(rows) != 4 {
		t.Fatal(err)
	}
	if _, err := h.client.DoJSON(ctx, "GET", h.url("/v1/statements/2026-03-13"), nil, &csv); err != nil || !strings.Contains(string(csv), outPrev) || strings.Count(string(csv), "\n") != 2 {
		t.Fatalf("day before: %v %s", err, csv)
	}
	_, err = h.client.DoJSON(ctx, "GET", h.url("/v1/statements/14-03-2026"), nil, nil)
	wantRemote(t, err, 400, "validation")
}

func TestPlatformRequestsMustBeSigned(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	body := `{"out_trade_no":"X-1","amount":100,"currency":"CNY","subject":"s","notify_url":"http://p.test/n","return_url":"http://p.test/r","expires_at":"2026-03-14T02:00:00Z"}`
	check := func(name string, req *http.Request) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(data), `"type":"https://gbmall.dev/problems/bad-signature"`) {
			t.Fatalf("%s: %d %s %s", name, resp.StatusCode, resp.Header.Get("Content-Type"), data)
		}
	}
	req, _ := http.NewRequest("POST", h.url("/v1/trades"), strings.NewReader(body))
	check("unsigned", req)

	req, _ = http.NewRequest("POST", h.url("/v1/trades"), strings.NewReader(body))
	payproto.SignRequest(req, h.p.key, h.clock.Now(), []byte(strings.Replace(body, "100", "1", 1)))
	check("body tampered", req)

	req, _ = http.NewRequest("POST", h.url("/v1/trades"), strings.NewReader(body))
	payproto.SignRequest(req, h.p.key, h.clock.Now().Add(-6*time.Minute), []byte(body))
	check("old ts", req)

	stranger, _ := payproto.GenerateKey()
	req, _ = http.NewRequest("POST", h.url("/v1/trades"), strings.NewReader(body))
	payproto.SignRequest(req, stranger, h.clock.Now(), []byte(body))
	check("unknown key", req)

	// Nothing was created by any of them.
	_, err := h.client.DoJSON(ctx, "GET", h.url("/v1/trades/X-1"), nil, nil)
	wantRemote(t, err, 404, "not-found")

	// A replayed request is refused the second time.
	req, _ = http.NewRequest("GET", h.url("/v1/trades/X-1"), nil)
	payproto.SignRequest(req, h.p.key, h.clock.Now(), nil)
	sig := req.Header.Get(payproto.HeaderName)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", h.url("/v1/trades/X-1"), nil)
	req.Header.Set(payproto.HeaderName, sig)
	check("replayed", req)

	// The platform rotates its key: paysim fetches the keys again for the
	// unknown id, and the old key stays valid while published.
	k2, _ := payproto.GenerateKey()
	h.p.mu.Lock()
	h.p.keys = append(h.p.keys, k2.Info())
	before := h.p.keyFetch
	h.p.mu.Unlock()
	c2 := &payproto.Client{Key: k2, Clock: h.clock}
	if _, err := c2.DoJSON(ctx, "GET", h.url("/v1/statements/2026-03-14"), nil, nil); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if _, err := h.client.DoJSON(ctx, "GET", h.url("/v1/statements/2026-03-14"), nil, nil); err != nil {
		t.Fatalf("old key: %v", err)
	}
	h.p.mu.Lock()
	fetches := h.p.keyFetch - before
	h.p.mu.Unlock()
	if fetches != 1 {
		t.Fatalf("%d key fetches for one rotation", fetches)
	}
}

func TestKeysEndpoint(t *testing.T) {
	h := newHarness(t)
	keys, err := payproto.FetchKeys(context.Background(), nil, h.url("/v1/keys"))
	if err != nil || len(keys) != 1 || keys[0].KeyID != h.ps.KeyID() || keys[0].PublicKey != h.ps.PublicKey() {
		t.Fatalf("%+v %v", keys, err)
	}
	for _, f := range []string{"paysim.key", "paysim.db", "paysim.db-wal"} {
		if st, err := os.Stat(filepath.Join(h.dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st.Mode().Perm(), err)
		}
	}
	os.Chmod(filepath.Join(h.dir, "paysim.key"), 0o644)
	if _, err := New(Config{DataDir: h.dir, PlatformURL: h.p.srv.URL}); !errors.Is(err, payproto.ErrKeyFileMode) {
		t.Fatalf("loaded a key readable by others: %v", err)
	}
}

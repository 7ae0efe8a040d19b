package e2etest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db/dbtest"
)

// payWorld is `gbmall serve --demo` and a separate `gbmall paysim`, both
// real processes, with paysim registered as an approved payment provider.
type payWorld struct {
	t           *testing.T
	bin         string
	dataDir     string
	database    string // empty for SQLite
	base        string // the platform's URL
	serve       *proc
	sim         *proc
	simURL      string
	simDir      string
	providerID  string
	owner       string // the provider's owner token
	keyID       string // paysim's
	pubKey      string
	consumer    string // consumer1's token
	operator    string // platform admin + reviewer token
	sku         string
	orderN      int
	orderAmount int64
}

var (
	reServing  = regexp.MustCompile(`(?m)^Staff accounts log in`)
	reOperator = regexp.MustCompile(`operator@demo\.gbmall\.test\s+.*totp-secret: ([A-Z2-7]+)`)
	reKeyID    = regexp.MustCompile(`(?m)^key-id: (\S+)$`)
	rePubKey   = regexp.MustCompile(`(?m)^public-key: (\S+)$`)
	reListen   = regexp.MustCompile(`(?m)^listening: (http://\S+)$`)
)

// TestPaymentsEndToEndProcesses is the first check of issue 6, over real
// HTTP between two processes, on SQLite and on PostgreSQL: order → pay on
// the cashier page → notification → order paid; the notification dropped
// (the active query finds it), duplicated (applied once), late after the
// order was cancelled (automatic refund), with a wrong amount (refused,
// incident, not paid), signed with a wrong key (401, nothing changed),
// replayed with an old timestamp or a seen nonce (401).
func TestPaymentsEndToEndProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs gbmall processes")
	}
	bin := gbmallBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		payFlows(t, newPayWorld(t, bin, ""))
	})
	t.Run("postgres", func(t *testing.T) {
		base, ok := dbtest.PostgresURL(t) // CI=true: fails when not configured
		if !ok {
			t.Skip("PostgreSQL not configured (" + dbtest.Env + ")")
		}
		u, _ := dbtest.NewSchema(t, base) // fails when unreachable; dropped at the end
		payFlows(t, newPayWorld(t, bin, u))
	})
}

func newPayWorld(t *testing.T, bin, database string) *payWorld {
	start := time.Now()
	w := &payWorld{t: t, bin: bin, dataDir: t.TempDir(), simDir: t.TempDir(), database: database}
	addr := freeAddr(t)
	w.base = "http://" + addr
	args := []string{"serve", "--demo", "--data", w.dataDir, "--listen", addr, "--log-level", "info"}
	if database != "" {
		args = append(args, "--database", database, "--demo-force")
	}
	w.serve = startProc(t, "gbmall serve", childEnv(), bin, args...)
	w.serve.waitStdout(t, reServing, 90*time.Second)
	operatorSecret := w.serve.waitStdout(t, reOperator, time.Second)[1]

	// The sandbox provider: a process of its own, its own data directory.
	w.sim = startProc(t, "gbmall paysim", childEnv(), bin, "paysim", "--listen", "127.0.0.1:0", "--data", w.simDir, "--platform-url", w.base)
	w.simURL = w.sim.waitStdout(t, reListen, 10*time.Second)[1]
	w.keyID = w.sim.waitStdout(t, reKeyID, time.Second)[1]
	w.pubKey = w.sim.waitStdout(t, rePubKey, time.Second)[1]
	if fi, err := os.Stat(filepath.Join(w.simDir, "paysim.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("paysim's private key file: %v %v", fi, err)
	}
	t.Logf("serve --demo and paysim up in %v", time.Since(start).Round(time.Millisecond))

	code, err := credential.TOTPCode(operatorSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.operator = w.login("operator@demo.gbmall.test", code)
	w.consumer = w.login("consumer1@demo.gbmall.test", "")

	// consumer2 onboards a payment provider through the API; the operator approves it.
	owner := w.login("consumer2@demo.gbmall.test", "")
	w.owner = owner
	rep, _ := cnid.ResidentIDCheckChar("11010519800101123")
	orgBody, _ := json.Marshal(map[string]any{"kind": "payment_provider", "name": "沙箱支付 E2E", "uscc": cnid.MakeUSCC("9111010899990001"),
		"legal_representative": map[string]any{"name": "王建国", "id_number": "11010519800101123" + string(rep)},
		"contact":              map[string]any{"name": "李联系", "mobile": "+86 138-0013-8000", "email": "pay@example.cn"},
		"address":              "北京市西城区金融大街 1 号", "business_scope": "互联网支付"})
	r := w.api("POST", "/api/v1/organizations", owner, string(orgBody))
	if r.status != 201 {
		t.Fatalf("create provider: %d %s", r.status, r.raw)
	}
	w.providerID = r.body["id"].(string)
	day := func(offset int) string { return time.Now().AddDate(0, 0, offset).Format("2006-01-02") }
	for _, typ := range []string{"business_license", "payment_business_license"} {
		q := fmt.Sprintf(`{"type":%q,"number":"Z2099911000042","issuer":"中国人民银行","valid_from":%q,"valid_until":%q}`, typ, day(-100), day(365))
		if r := w.api("POST", "/api/v1/organizations/"+w.providerID+"/qualifications", owner, q); r.status != 201 {
			t.Fatalf("add %s: %d %s", typ, r.status, r.raw)
		}
	}
	if r := w.api("POST", "/api/v1/organizations/"+w.providerID+"/submit", owner, ""); r.status != 200 {
		t.Fatalf("submit provider: %d %s", r.status, r.raw)
	}
	if r := w.api("POST", "/api/v1/admin/organizations/"+w.providerID+"/decision", w.operator, `{"decision":"approve"}`); r.status != 200 {
		t.Fatalf("approve provider: %d %s", r.status, r.raw)
	}
	ch := w.channel(w.simURL)
	// The platform's keys as paysim will fetch them.
	keys := w.api("GET", "/api/v1/payment-keys", "", "")
	pk, _ := ch.body["platform_keys"].([]any)
	if keys.status != 200 || len(pk) == 0 || !strings.Contains(keys.raw, fmt.Sprintf(`"key_id":%q`, pk[0].(map[string]any)["key_id"])) {
		t.Fatalf("payment keys: %d %s / channel %s", keys.status, keys.raw, ch.raw)
	}
	if r := w.api("GET", "/api/v1/payment-providers", w.consumer, ""); r.status != 200 || !strings.Contains(r.raw, w.providerID) {
		t.Fatalf("the new provider is not offered: %d %s", r.status, r.raw)
	}

	// A stocked SKU of the demo catalogue.
	list := w.api("GET", "/api/v1/products", "", "")
	items, _ := list.body["items"].([]any)
	for _, it := range items {
		p := w.api("GET", "/api/v1/products/"+it.(map[string]any)["id"].(string), "", "")
		skus, _ := p.body["skus"].([]any)
		for _, s := range skus {
			sm := s.(map[string]any)
			if sm["purchasable"] == true && sm["stock"].(float64) >= 20 {
				w.sku = sm["id"].(string)
				break
			}
		}
		if w.sku != "" {
			break
		}
	}
	if w.sku == "" {
		t.Fatalf("no stocked demo SKU: %s", list.raw)
	}
	return w
}

// channel registers paysim's key with apiBase as the provider's API.
func (w *payWorld) channel(apiBase string) resp {
	w.t.Helper()
	ch := w.api("PUT", "/api/v1/organizations/"+w.providerID+"/payment-channel", w.owner,
		fmt.Sprintf(`{"api_base_url": %q, "key_id": %q, "public_key": %q}`, apiBase, w.keyID, w.pubKey))
	if ch.status != 200 || ch.body["notify_url"] != w.base+"/api/v1/payment-notifications/"+w.providerID {
		w.t.Fatalf("register channel: %d %s", ch.status, ch.raw)
	}
	return ch
}

func (w *payWorld) api(method, path, token, body string, header ...string) resp {
	w.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return call(w.t, method, w.base+path, token, strings.NewReader(body), ct, header...)
}

func (w *payWorld) login(login, otp string) string {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"login": login, "password": "Demo-Pass-2026", "otp": otp})
	r := w.api("POST", "/api/v1/auth/login", "", string(b))
	tok, _ := r.body["token"].(string)
	if r.status != 200 || tok == "" {
		w.t.Fatalf("login %s: %d %s", login, r.status, r.raw)
	}
	return tok
}

// placeOrder places a one-unit order as consumer1.
func (w *payWorld) placeOrder() string {
	w.t.Helper()
	w.orderN++
	q := w.api("POST", "/api/v1/checkout/quote", w.consumer, `{"items": [{"sku_id": "`+w.sku+`", "quantity": 1}],
		"address": {"recipient": "张三", "mobile": "13800138000", "region_code": "110105", "detail": "朝阳区建国路 88 号"}}`)
	if q.status != 200 {
		w.t.Fatalf("quote: %d %s", q.status, q.raw)
	}
	r := w.api("POST", "/api/v1/orders", w.consumer, `{"quote_id": "`+q.body["quote_id"].(string)+`", "accept_terms": true}`,
		"Idempotency-Key", fmt.Sprintf("e2e-pay-%d-%d", time.Now().UnixNano(), w.orderN))
	if r.status != 201 {
		w.t.Fatalf("place order: %d %s", r.status, r.raw)
	}
	return r.body["orders"].([]any)[0].(map[string]any)["id"].(string)
}

// startPay chooses paysim's provider: the payment id, pay_url and the
// provider's trade number.
func (w *payWorld) startPay(orderID string) (pid, payURL, tradeNo string) {
	w.t.Helper()
	r := w.api("POST", "/api/v1/orders/"+orderID+"/payments", w.consumer, `{"provider_id": "`+w.providerID+`"}`)
	payURL, _ = r.body["pay_url"].(string)
	if r.status != 201 || !strings.HasPrefix(payURL, w.simURL+"/cashier/") {
		w.t.Fatalf("start payment: %d %s", r.status, r.raw)
	}
	pid = r.body["payment_id"].(string)
	p := w.payment(pid)
	if p.body["status"] != "pending" || p.body["trade_no"] == nil {
		w.t.Fatalf("new payment: %s", p.raw)
	}
	w.orderAmount = int64(p.body["amount"].(map[string]any)["amount"].(float64))
	return pid, payURL, p.body["trade_no"].(string)
}

// cashier is the consumer on paysim's page: it shows the amount; Pay or
// Cancel answers 303 to the platform's return page.
func (w *payWorld) cashier(orderID, payURL, action string) {
	w.t.Helper()
	page := call(w.t, "GET", payURL, "", nil, "")
	yuan := fmt.Sprintf(".%02d", w.orderAmount%100)
	for whole := w.orderAmount / 100; ; whole /= 1000 {
		if whole < 1000 {
			yuan = fmt.Sprint(whole) + yuan
			break
		}
		yuan = fmt.Sprintf(",%03d", whole%1000) + yuan
	}
	if page.status != 200 || !strings.Contains(page.raw, yuan) || !strings.Contains(page.raw, `value="pay"`) {
		w.t.Fatalf("cashier page (want %s): %d %s", yuan, page.status, tail(page.raw, 2000))
	}
	r := call(w.t, "POST", payURL, "", strings.NewReader(url.Values{"action": {action}}.Encode()), "application/x-www-form-urlencoded")
	if want := w.base + "/orders/" + orderID; r.status != 303 || r.header.Get("Location") != want {
		w.t.Fatalf("cashier %s: %d → %q, want 303 → %q", action, r.status, r.header.Get("Location"), want)
	}
}

func (w *payWorld) faults(body string) {
	w.t.Helper()
	r := call(w.t, "POST", w.simURL+"/v1/sandbox/faults", "", strings.NewReader(body), "application/json")
	if r.status != 200 {
		w.t.Fatalf("faults: %d %s", r.status, r.raw)
	}
}

func (w *payWorld) order(orderID string) resp {
	w.t.Helper()
	r := w.api("GET", "/api/v1/orders/"+orderID, w.consumer, "")
	if r.status != 200 {
		w.t.Fatalf("get order: %d %s", r.status, r.raw)
	}
	return r
}

func (w *payWorld) orderStatus(orderID string) string {
	w.t.Helper()
	return w.order(orderID).body["status"].(string)
}

// paidTransitions counts the order's history entries into paid.
func (w *payWorld) paidTransitions(orderID string) int {
	w.t.Helper()
	n := 0
	hist, _ := w.order(orderID).body["history"].([]any)
	for _, h := range hist {
		if h.(map[string]any)["to"] == "paid" {
			n++
		}
	}
	return n
}

func (w *payWorld) payment(pid string) resp {
	w.t.Helper()
	r := w.api("GET", "/api/v1/payments/"+pid, w.consumer, "")
	if r.status != 200 {
		w.t.Fatalf("get payment: %d %s", r.status, r.raw)
	}
	return r
}

// simResults are the answers paysim's log records for its notifications
// of tradeNo: "200 success" for each acknowledged delivery, the platform's
// status and body for each refused one.
func (w *payWorld) simResults(tradeNo string) []string {
	var out []string
	for _, l := range w.sim.logLines(map[string]string{"trade_no": tradeNo}) {
		switch l["msg"] {
		case "paysim: notification delivered":
			out = append(out, fmt.Sprintf("%v 200 success", l["event"]))
		case "paysim: notification not acknowledged; will retry":
			out = append(out, fmt.Sprintf("%v %v", l["event"], l["result"]))
		}
	}
	return out
}

// incidents lists the operator's payment incidents.
func (w *payWorld) incidents() []map[string]any {
	w.t.Helper()
	r := w.api("GET", "/api/v1/admin/payment-incidents?limit=100", w.operator, "")
	if r.status != 200 {
		w.t.Fatalf("incidents: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// notify posts a notification signed with paysim's own key (read from its
// data directory) as paysim would, at ts; it returns the answer and the
// exact request so that it can be replayed.
func (w *payWorld) notify(n payproto.Notification, ts time.Time) (resp, string, string) {
	w.t.Helper()
	key, err := payproto.LoadKey(filepath.Join(w.simDir, "paysim.key"))
	if err != nil {
		w.t.Fatal(err)
	}
	body, _ := json.Marshal(n)
	path := "/api/v1/payment-notifications/" + w.providerID
	sig := payproto.Sign(key, ts, "POST", path, body)
	return w.api("POST", path, "", string(body), "Signature", sig), string(body), sig
}

func payFlows(t *testing.T, w *payWorld) {
	// 1. Order → pay on the cashier page → notification → order paid.
	t.Run("paid", func(t *testing.T) {
		w.t = t
		oid := w.placeOrder()
		start := time.Now()
		pid, payURL, tradeNo := w.startPay(oid)
		if st := w.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("order before paying: %s", st)
		}
		cashierAt := time.Now()
		w.cashier(oid, payURL, "pay")
		eventually(t, 10*time.Second, "order paid", func() bool { return w.orderStatus(oid) == "paid" })
		t.Logf("end-to-end pay over HTTP: %v (create trade + cashier page %v; cashier POST → notification → order paid %v)",
			time.Since(start).Round(time.Millisecond), cashierAt.Sub(start).Round(time.Millisecond), time.Since(cashierAt).Round(time.Millisecond))
		p := w.payment(pid)
		if p.body["status"] != "succeeded" || p.body["confirmed_by"] != "notification" || p.body["provider_id"] != w.providerID {
			t.Fatalf("paid payment: %s", p.raw)
		}
		if got := w.simResults(tradeNo); len(got) != 1 || got[0] != "trade.succeeded 200 success" {
			t.Fatalf("paysim's deliveries: %q", got)
		}
		if n := w.paidTransitions(oid); n != 1 {
			t.Fatalf("order paid %d times", n)
		}
	})

	// 2. Duplicated: delivered twice, both acknowledged, applied once.
	t.Run("duplicated", func(t *testing.T) {
		w.t = t
		w.faults(`{"duplicate_next": 1}`)
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		w.cashier(oid, payURL, "pay")
		eventually(t, 20*time.Second, "two acknowledged deliveries", func() bool { return len(w.simResults(tradeNo)) >= 2 })
		if got := w.simResults(tradeNo); len(got) != 2 || got[0] != "trade.succeeded 200 success" || got[1] != got[0] {
			t.Fatalf("paysim's deliveries: %q", got)
		}
		if st := w.orderStatus(oid); st != "paid" {
			t.Fatalf("order: %s", st)
		}
		if n := w.paidTransitions(oid); n != 1 {
			t.Fatalf("order paid %d times", n)
		}
		p := w.payment(pid)
		if p.body["status"] != "succeeded" || !strings.Contains(p.raw, `"refunds":[]`) {
			t.Fatalf("payment: %s", p.raw)
		}
	})

	// 3. Wrong amount: refused with 422, an incident, the order not paid.
	t.Run("wrong_amount", func(t *testing.T) {
		w.t = t
		w.faults(`{"wrong_amount_next": 1}`)
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		w.cashier(oid, payURL, "pay")
		eventually(t, 10*time.Second, "paysim saw the answer", func() bool { return len(w.simResults(tradeNo)) >= 1 })
		if got := w.simResults(tradeNo)[0]; !strings.HasPrefix(got, "trade.succeeded 422 ") || !strings.Contains(got, "amount-mismatch") {
			t.Fatalf("platform's answer to a wrong amount: %q", got)
		}
		if st := w.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("a wrong amount was applied: order %s", st)
		}
		if n := w.paidTransitions(oid); n != 0 {
			t.Fatalf("order paid %d times", n)
		}
		if p := w.payment(pid); p.body["status"] != "pending" {
			t.Fatalf("payment: %s", p.raw)
		}
		found := false
		for _, in := range w.incidents() {
			if in["kind"] == "amount_mismatch" && in["payment_id"] == pid && strings.Contains(fmt.Sprint(in["body"]), fmt.Sprintf(`"amount":%d`, w.orderAmount+1)) {
				found = true
			}
		}
		if !found {
			t.Fatalf("no amount_mismatch incident for %s: %v", pid, w.incidents())
		}
		if r := w.api("GET", "/api/v1/admin/payment-incidents", w.consumer, ""); r.status != 403 {
			t.Fatalf("a consumer read incidents: %d", r.status)
		}
	})

	// 4. Wrong key: 401, nothing changed. 5. Replays of the (then valid)
	// notification: old timestamp and seen nonce, 401.
	t.Run("wrong_key_and_replays", func(t *testing.T) {
		w.t = t
		badSigBefore := 0
		for _, in := range w.incidents() {
			if in["kind"] == "bad_signature" {
				badSigBefore++
			}
		}
		w.faults(`{"wrong_key_next": 1}`)
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		histBefore := len(w.order(oid).body["history"].([]any))
		w.cashier(oid, payURL, "pay")
		eventually(t, 10*time.Second, "paysim saw the answer", func() bool { return len(w.simResults(tradeNo)) >= 1 })
		if got := w.simResults(tradeNo)[0]; !strings.HasPrefix(got, "trade.succeeded 401 ") || !strings.Contains(got, "bad-signature") {
			t.Fatalf("platform's answer to a wrong key: %q", got)
		}
		unchanged := func(when string) {
			t.Helper()
			o := w.order(oid)
			if o.body["status"] != "awaiting_payment" || len(o.body["history"].([]any)) != histBefore {
				t.Fatalf("%s changed the order: %s", when, o.raw)
			}
			if p := w.payment(pid); p.body["status"] != "pending" || p.body["paid_at"] != nil {
				t.Fatalf("%s changed the payment: %s", when, p.raw)
			}
		}
		unchanged("a wrong key")
		badSig := 0
		for _, in := range w.incidents() {
			if in["kind"] == "bad_signature" {
				badSig++
			}
		}
		if badSig != badSigBefore+1 {
			t.Fatalf("bad-signature incidents: %d, before %d", badSig, badSigBefore)
		}

		// paysim's real key, but a timestamp outside the 300-second window.
		n := payproto.Notification{Event: payproto.EventTradeSucceeded, TradeNo: tradeNo, OutTradeNo: pid, Amount: w.orderAmount, Currency: "CNY", OccurredAt: time.Now().UTC()}
		if r, _, _ := w.notify(n, time.Now().Add(-6*time.Minute)); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("old timestamp: %d %s", r.status, r.raw)
		}
		if r, _, _ := w.notify(n, time.Now().Add(6*time.Minute)); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("future timestamp: %d %s", r.status, r.raw)
		}
		unchanged("an old timestamp")
		// Correctly signed: applied.
		r, body, sig := w.notify(n, time.Now())
		if r.status != 200 || r.body["result"] != "success" {
			t.Fatalf("valid notification: %d %s", r.status, r.raw)
		}
		if st := w.orderStatus(oid); st != "paid" {
			t.Fatalf("valid notification not applied: %s", st)
		}
		// The very same request again: its nonce is seen.
		path := "/api/v1/payment-notifications/" + w.providerID
		if r := w.api("POST", path, "", body, "Signature", sig); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("replayed nonce: %d %s", r.status, r.raw)
		}
		if n := w.paidTransitions(oid); n != 1 {
			t.Fatalf("order paid %d times", n)
		}
		if p := w.payment(pid); p.body["status"] != "succeeded" || p.body["confirmed_by"] != "notification" {
			t.Fatalf("payment: %s", p.raw)
		}
	})

	// 6. Late: the order is cancelled before the notification arrives;
	// the payment succeeds and is refunded in full automatically, the
	// order stays cancelled.
	t.Run("late_after_cancellation", func(t *testing.T) {
		w.t = t
		w.faults(`{"delay_next_seconds": 4}`)
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		w.cashier(oid, payURL, "pay")
		if st := w.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("the delayed notification arrived early: %s", st)
		}
		if r := w.api("POST", "/api/v1/orders/"+oid+"/cancel", w.consumer, ""); r.status != 200 {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		if got := w.simResults(tradeNo); len(got) != 0 {
			t.Fatalf("notification before the cancellation was done: %q", got)
		}
		eventually(t, 30*time.Second, "the late notification delivered", func() bool {
			for _, r := range w.simResults(tradeNo) {
				if r == "trade.succeeded 200 success" {
					return true
				}
			}
			return false
		})
		eventually(t, 30*time.Second, "automatic full refund", func() bool { return w.payment(pid).body["status"] == "refunded" })
		p := w.payment(pid)
		refunds, _ := p.body["refunds"].([]any)
		if !strings.Contains(p.raw, fmt.Sprintf(`"refunded_amount":{"amount":%d,`, w.orderAmount)) || len(refunds) != 1 || refunds[0].(map[string]any)["status"] != "succeeded" {
			t.Fatalf("refund: %s", p.raw)
		}
		if st := w.orderStatus(oid); st != "cancelled" {
			t.Fatalf("late payment: order %s", st)
		}
		if n := w.paidTransitions(oid); n != 0 {
			t.Fatalf("a cancelled order was paid (%d)", n)
		}
		// Which comes first, the late notification or the answer "paid" to
		// the close the cancellation queued, is a race between two
		// processes; either way both are acknowledged and the refund is one.
		eventually(t, 10*time.Second, "refund notification delivered", func() bool { return len(w.simResults(tradeNo)) >= 2 })
		got := w.simResults(tradeNo)
		if len(got) != 2 || !slices.Contains(got, "trade.succeeded 200 success") || !slices.Contains(got, "refund.succeeded 200 success") {
			t.Fatalf("paysim's deliveries: %q", got)
		}
		t.Logf("paysim's deliveries in order: %q (payment confirmed by %v)", got, p.body["confirmed_by"])
	})

	// 6b. The same, with the notification certainly first: the provider's
	// API is unreachable for a moment (the channel points at a closed
	// port), so the close the cancellation queues fails and is retried
	// later; the late notification alone makes the platform refund.
	t.Run("late_after_cancellation_notification_first", func(t *testing.T) {
		w.t = t
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		w.faults(`{"delay_next_seconds": 3}`)
		w.cashier(oid, payURL, "pay")
		w.channel("http://" + freeAddr(t)) // nothing listens there
		// Restore the channel even when this subtest fails (no Fatal here).
		defer func() {
			req, _ := http.NewRequest("PUT", w.base+"/api/v1/organizations/"+w.providerID+"/payment-channel", strings.NewReader(
				fmt.Sprintf(`{"api_base_url": %q, "key_id": %q, "public_key": %q}`, w.simURL, w.keyID, w.pubKey)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+w.owner)
			if res, err := client.Do(req); err == nil {
				res.Body.Close()
			}
		}()
		if r := w.api("POST", "/api/v1/orders/"+oid+"/cancel", w.consumer, ""); r.status != 200 {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		if got := w.simResults(tradeNo); len(got) != 0 {
			t.Fatalf("notification before the cancellation was done: %q", got)
		}
		eventually(t, 30*time.Second, "the late notification delivered", func() bool { return len(w.simResults(tradeNo)) >= 1 })
		if got := w.simResults(tradeNo); got[0] != "trade.succeeded 200 success" {
			t.Fatalf("platform's answer to the late notification: %q", got)
		}
		p := w.payment(pid)
		if p.body["status"] != "succeeded" || p.body["confirmed_by"] != "notification" || !strings.Contains(p.raw, `"status":"processing"`) {
			t.Fatalf("a late notification should leave a refund in progress: %s", p.raw)
		}
		if st := w.orderStatus(oid); st != "cancelled" {
			t.Fatalf("late payment: order %s", st)
		}
		w.channel(w.simURL) // the provider is back; the refund instruction is retried
		eventually(t, 60*time.Second, "automatic full refund", func() bool { return w.payment(pid).body["status"] == "refunded" })
		p = w.payment(pid)
		refunds, _ := p.body["refunds"].([]any)
		if !strings.Contains(p.raw, fmt.Sprintf(`"refunded_amount":{"amount":%d,`, w.orderAmount)) || len(refunds) != 1 || refunds[0].(map[string]any)["status"] != "succeeded" {
			t.Fatalf("refund: %s", p.raw)
		}
		if n := w.paidTransitions(oid); n != 0 || w.orderStatus(oid) != "cancelled" {
			t.Fatalf("a cancelled order was paid (%d)", n)
		}
	})

	// 7. Dropped: never sent; the active query finds the payment. The
	// query is due 2 minutes after the trade was created: `gbmall jobs
	// run-due` runs as a third process on the same data with its clock set
	// 2m20s ahead (within the 300-second signature window).
	t.Run("dropped_found_by_query", func(t *testing.T) {
		w.t = t
		w.faults(`{"drop_next": 1}`)
		oid := w.placeOrder()
		pid, payURL, tradeNo := w.startPay(oid)
		w.cashier(oid, payURL, "pay")
		time.Sleep(time.Second)
		if st := w.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("a dropped notification arrived: %s", st)
		}
		if got := w.simResults(tradeNo); len(got) != 0 {
			t.Fatalf("a dropped notification was sent: %q", got)
		}
		// The serve process's own query loop does nothing yet (not 2 minutes).
		if p := w.payment(pid); p.body["status"] != "pending" {
			t.Fatalf("payment: %s", p.raw)
		}
		args := []string{"jobs", "run-due", "--data", w.dataDir}
		if w.database != "" {
			args = append(args, "--database", w.database)
		}
		ahead := time.Now().Add(2*time.Minute + 20*time.Second).UTC().Format(time.RFC3339)
		start := time.Now()
		job := startProc(t, "gbmall jobs run-due", childEnv("GBMALL_ALLOW_FAKE_CLOCK=1", "GBMALL_FAKE_NOW="+ahead), w.bin, args...)
		select {
		case <-job.done:
		case <-time.After(60 * time.Second):
			t.Fatal("jobs run-due did not finish within 60 s")
		}
		if job.cmd.ProcessState.ExitCode() != 0 || !strings.Contains(job.stdout.String(), "payment.query-pending: ok") {
			t.Fatalf("jobs run-due: exit %d\n%s\n%s", job.cmd.ProcessState.ExitCode(), job.stdout.String(), job.stderr.String())
		}
		t.Logf("jobs run-due (clock +2m20s): %v", time.Since(start).Round(time.Millisecond))
		if st := w.orderStatus(oid); st != "paid" {
			t.Fatalf("the query did not find the payment: order %s", st)
		}
		if p := w.payment(pid); p.body["status"] != "succeeded" || p.body["confirmed_by"] != "query" {
			t.Fatalf("payment: %s", p.raw)
		}
		if n := w.paidTransitions(oid); n != 1 {
			t.Fatalf("order paid %d times", n)
		}
		if got := w.simResults(tradeNo); len(got) != 0 {
			t.Fatalf("a dropped notification was retried: %q", got)
		}
	})
}

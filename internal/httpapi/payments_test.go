package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/httpapi"
	"gbmall/internal/order"
	"gbmall/internal/org/cnid"
	"gbmall/internal/payment"
	"gbmall/internal/payproto"
	"gbmall/internal/paysim"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/jobs"
)

// payBundle is the platform API with the payments domain wired, a real
// paysim on a loopback listener registered as an approved provider, a
// seller with stock and a consumer.
type payBundle struct {
	*bundle
	pay        *payment.Service
	sched      *jobs.Scheduler
	sim        *paysim.Server
	simURL     string
	simDir     string
	providerID string
	provider   string // owner token
	seller     catSeller
	sku        string
	alice      string
	admin      string

	platformKey *payproto.KeyPair
	aliceLogin  string
}

var payN int

func paySetup(t *testing.T, d *db.DB) *payBundle {
	t.Helper()
	w := newWorld(t, d)
	clk, log := w.clk, w.log
	platformKey, err := payment.LoadKey(t.TempDir(), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	pay := payment.NewService(d, clk, w.trail, w.orgs, w.ord, platformKey, log)
	pay.Wire()
	sched := jobs.NewScheduler(d, clk, log, "test")
	pay.RegisterJobs(sched)
	deps := w.deps(d)
	deps.Payments = pay
	b := w.serve(t, d, httpapi.New(deps).Handler())
	srv := b.srv
	pay.PublicURL = srv.URL

	lookup, err := payproto.StaticKeys(platformKey.Info())
	if err != nil {
		t.Fatal(err)
	}
	simDir := t.TempDir()
	sim, err := paysim.New(paysim.Config{DataDir: simDir, PlatformKeys: lookup, Clock: clk, RefundDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sim.Serve(ln) }()
	t.Cleanup(func() { _ = sim.Close() })

	pb := &payBundle{bundle: b, pay: pay, sched: sched, sim: sim, simURL: "http://" + ln.Addr().String(), simDir: simDir, platformKey: platformKey}
	reviewer := b.reviewerToken(fmt.Sprintf("pay-rev-%d@example.cn", payN))
	pb.providerID, pb.provider = pb.approvedProvider(reviewer)
	r := b.do("PUT", "/api/v1/organizations/"+pb.providerID+"/payment-channel", pb.provider,
		fmt.Sprintf(`{"api_base_url": %q, "key_id": %q, "public_key": %q}`, pb.simURL, sim.KeyID(), sim.PublicKey()))
	if r.status != 200 || r.body["notify_url"] != srv.URL+"/api/v1/payment-notifications/"+pb.providerID {
		t.Fatalf("register channel: %d %s", r.status, r.raw)
	}
	pb.seller = b.approvedSeller(fmt.Sprintf("付款测试店 %d", payN), reviewer)
	pb.sku = b.sellable(pb.seller, "纯棉男士衬衫", 9900, 200) // free shipping from 99 yuan: total 9900
	pb.aliceLogin = fmt.Sprintf("pay-alice-%d@example.cn", payN)
	pb.alice = b.consumerToken(pb.aliceLogin)
	pb.admin = b.adminToken(fmt.Sprintf("pay-admin-%d@example.cn", payN))
	payN++
	return pb
}

// approvedProvider onboards a payment provider through the API.
func (pb *payBundle) approvedProvider(reviewer string) (string, string) {
	b := pb.bundle
	b.t.Helper()
	token := b.consumerToken(fmt.Sprintf("pay-provider-%d@example.cn", payN))
	body := strings.Replace(orgBody("演示支付", cnid.MakeUSCC(fmt.Sprintf("91110108%08d", 30000000+payN)), validID("11010519800101123")), `"kind":"seller"`, `"kind":"payment_provider"`, 1)
	r := b.do("POST", "/api/v1/organizations", token, body)
	if r.status != 201 {
		b.t.Fatalf("create provider: %d %s", r.status, r.raw)
	}
	orgID := r.body["id"].(string)
	day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
	for _, typ := range []string{"business_license", "payment_business_license"} {
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/qualifications", token, qualBody(typ, day(-100), day(365))); r.status != 201 {
			b.t.Fatalf("add %s: %d %s", typ, r.status, r.raw)
		}
	}
	if r := b.do("POST", "/api/v1/organizations/"+orgID+"/submit", token, ""); r.status != 200 {
		b.t.Fatalf("submit: %s", r.raw)
	}
	if r := b.do("POST", "/api/v1/admin/organizations/"+orgID+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 {
		b.t.Fatalf("approve: %s", r.raw)
	}
	return orgID, token
}

var payOrderN int

// placeOrder places a one-unit order as consumer token and returns its id.
func (pb *payBundle) placeOrder(token string) string {
	b := pb.bundle
	b.t.Helper()
	payOrderN++
	q := b.do("POST", "/api/v1/checkout/quote", token, quoteBodyFor(pb.sku, 1))
	if q.status != 200 {
		b.t.Fatalf("quote: %d %s", q.status, q.raw)
	}
	r := b.do("POST", "/api/v1/orders", token, `{"quote_id": "`+q.body["quote_id"].(string)+`", "accept_terms": true}`, "Idempotency-Key", fmt.Sprintf("pay-order-%d", payOrderN))
	if r.status != 201 {
		b.t.Fatalf("place: %d %s", r.status, r.raw)
	}
	return r.body["orders"].([]any)[0].(map[string]any)["id"].(string)
}

// startPay chooses the provider for an order: payment id and pay_url.
func (pb *payBundle) startPay(token, orderID string) (string, string) {
	pb.t.Helper()
	r := pb.do("POST", "/api/v1/orders/"+orderID+"/payments", token, `{"provider_id": "`+pb.providerID+`"}`)
	if r.status != 201 || !strings.HasPrefix(r.body["pay_url"].(string), pb.simURL+"/cashier/") {
		pb.t.Fatalf("start payment: %d %s", r.status, r.raw)
	}
	return r.body["payment_id"].(string), r.body["pay_url"].(string)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 20 * time.Second}

// cashier is the consumer pressing Pay or Cancel on paysim's page: 303 to
// the return URL.
func (pb *payBundle) cashier(payURL, action, wantReturn string) {
	pb.t.Helper()
	res, err := noRedirect.PostForm(payURL, url.Values{"action": {action}})
	if err != nil {
		pb.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != wantReturn {
		pb.t.Fatalf("cashier %s: %d → %q, want 303 → %q", action, res.StatusCode, res.Header.Get("Location"), wantReturn)
	}
}

func (pb *payBundle) faults(body string) {
	pb.t.Helper()
	res, err := http.Post(pb.simURL+"/v1/sandbox/faults", "application/json", strings.NewReader(body))
	if err != nil {
		pb.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		pb.t.Fatalf("faults: %d", res.StatusCode)
	}
}

func (pb *payBundle) orderStatus(orderID string) string {
	pb.t.Helper()
	r := pb.do("GET", "/api/v1/orders/"+orderID, pb.alice, "")
	if r.status != 200 {
		pb.t.Fatalf("get order: %d %s", r.status, r.raw)
	}
	return r.body["status"].(string)
}

func (pb *payBundle) payment(paymentID string) resp {
	pb.t.Helper()
	r := pb.do("GET", "/api/v1/payments/"+paymentID, pb.alice, "")
	if r.status != 200 {
		pb.t.Fatalf("get payment: %d %s", r.status, r.raw)
	}
	return r
}

// runQueue runs the queued jobs due now (closing trades, refund and
// settlement instructions).
func (pb *payBundle) runQueue() {
	pb.t.Helper()
	if _, err := pb.sched.RunQueued(context.Background(), 0); err != nil {
		pb.t.Fatal(err)
	}
}

// simRun lets paysim do what is due: complete refunds, deliver and retry
// notifications.
func (pb *payBundle) simRun() {
	pb.t.Helper()
	if err := pb.sim.RunDue(context.Background()); err != nil {
		pb.t.Fatal(err)
	}
}

func (pb *payBundle) count(q string, args ...any) int {
	pb.t.Helper()
	var n int
	if err := pb.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		pb.t.Fatal(err)
	}
	return n
}

// simKey is paysim's own signing key, read from its data directory: tests
// use it to craft notifications paysim would send.
func (pb *payBundle) simKey() *payproto.KeyPair {
	pb.t.Helper()
	k, err := payproto.LoadKey(filepath.Join(pb.simDir, "paysim.key"))
	if err != nil {
		pb.t.Fatal(err)
	}
	return k
}

// notify posts a notification signed with key at ts; header overrides the
// Signature when not empty.
func (pb *payBundle) notify(key *payproto.KeyPair, ts time.Time, n payproto.Notification, header string, extra ...string) resp {
	pb.t.Helper()
	body, _ := json.Marshal(n)
	path := "/api/v1/payment-notifications/" + pb.providerID
	if header == "" {
		header = payproto.Sign(key, ts, "POST", path, body)
	}
	return pb.do("POST", path, "", string(body), append([]string{"Signature", header}, extra...)...)
}

// Order → pay on the cashier page → notification → order paid; a duplicated
// notification is applied once; the seller's rejection refunds in full; a
// completed order is settled to the seller.
func TestPaymentEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		if r := pb.do("GET", "/api/v1/payment-keys", "", ""); r.status != 200 || !strings.Contains(r.raw, `"key_id"`) {
			t.Fatalf("payment keys: %d %s", r.status, r.raw)
		}
		if r := pb.do("GET", "/api/v1/payment-providers", pb.alice, ""); r.status != 200 || !strings.Contains(r.raw, pb.providerID) || !strings.Contains(r.raw, "演示支付") {
			t.Fatalf("providers: %s", r.raw)
		}
		// Channel rules: https only (except loopback); only the provider's owner.
		if r := pb.do("PUT", "/api/v1/organizations/"+pb.providerID+"/payment-channel", pb.provider,
			fmt.Sprintf(`{"api_base_url": "http://pay.example.cn", "key_id": "k2", "public_key": %q}`, pb.sim.PublicKey())); r.status != 400 || !strings.Contains(r.raw, "api_base_url") {
			t.Fatalf("plain http accepted: %d %s", r.status, r.raw)
		}
		if r := pb.do("PUT", "/api/v1/organizations/"+pb.providerID+"/payment-channel", pb.alice,
			fmt.Sprintf(`{"api_base_url": "https://pay.example.cn", "key_id": "k2", "public_key": %q}`, pb.sim.PublicKey())); r.status != 404 {
			t.Fatalf("a stranger registered a channel: %d %s", r.status, r.raw)
		}
		if r := pb.do("PUT", "/api/v1/organizations/"+pb.seller.id+"/payment-channel", pb.seller.token,
			fmt.Sprintf(`{"api_base_url": "https://pay.example.cn", "key_id": "k2", "public_key": %q}`, pb.sim.PublicKey())); r.status != 403 && r.status != 409 {
			t.Fatalf("a seller registered a channel: %d %s", r.status, r.raw)
		}

		oid := pb.placeOrder(pb.alice)
		bob := pb.consumerToken("pay-bob@example.cn")
		if r := pb.do("POST", "/api/v1/orders/"+oid+"/payments", bob, `{"provider_id": "`+pb.providerID+`"}`); r.status != 404 {
			t.Fatalf("another consumer paid alice's order: %d %s", r.status, r.raw)
		}
		if r := pb.do("POST", "/api/v1/orders/"+oid+"/payments", pb.alice, `{"provider_id": "`+pb.seller.id+`"}`); r.status != 422 || r.problemCode() != "qualification-missing" {
			t.Fatalf("a seller as provider: %d %s", r.status, r.raw)
		}
		start := time.Now()
		pid, payURL := pb.startPay(pb.alice, oid)
		if again, _ := pb.startPay(pb.alice, oid); again != pid {
			t.Fatalf("a second click made another payment: %s %s", pid, again)
		}
		if p := pb.payment(pid); p.body["status"] != "pending" || p.body["pay_url"] != payURL {
			t.Fatalf("pending payment: %s", p.raw)
		}
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		if st := pb.orderStatus(oid); st != "paid" {
			t.Fatalf("order after payment: %s", st)
		}
		t.Logf("end-to-end pay (create trade, cashier pay, notification, order paid): %v", time.Since(start))
		o := pb.do("GET", "/api/v1/orders/"+oid, pb.alice, "")
		if !strings.Contains(o.raw, `"payments":[{"id":"`+pid+`","status":"succeeded","amount":{"amount":9900,"currency":"CNY"},"refunded_amount":{"amount":0,"currency":"CNY"}}]`) {
			t.Fatalf("order's payments: %s", o.raw)
		}
		if p := pb.payment(pid); p.body["confirmed_by"] != "notification" || p.body["pay_url"] != nil {
			t.Fatalf("paid payment: %s", p.raw)
		}
		// The seller sees it; others do not.
		if r := pb.do("GET", "/api/v1/payments/"+pid, pb.seller.token, ""); r.status != 200 {
			t.Fatalf("seller reads payment: %d", r.status)
		}
		if r := pb.do("GET", "/api/v1/payments/"+pid, bob, ""); r.status != 404 {
			t.Fatalf("bob reads alice's payment: %d", r.status)
		}
		if r := pb.do("GET", "/api/v1/organizations/"+pb.seller.id+"/payments", pb.seller.token, ""); r.status != 200 || !strings.Contains(r.raw, pid) {
			t.Fatalf("seller's payments: %s", r.raw)
		}

		// Duplicated notification: delivered twice, applied once.
		pb.faults(`{"duplicate_next": 1}`)
		oid2 := pb.placeOrder(pb.alice)
		pid2, payURL2 := pb.startPay(pb.alice, oid2)
		pb.cashier(payURL2, "pay", pb.srv.URL+"/orders/"+oid2)
		ns, err := pb.sim.Notifications(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		delivered := 0
		for _, n := range ns {
			if n.Status == "delivered" && bytes.Contains(n.Body, []byte(pid2)) {
				delivered++
			}
		}
		if delivered != 2 {
			t.Fatalf("duplicate fault: %d deliveries acknowledged", delivered)
		}
		if st := pb.orderStatus(oid2); st != "paid" {
			t.Fatalf("duplicated: order %s", st)
		}
		if n := pb.count(`SELECT count(*) FROM audit_log WHERE action = 'payment.succeeded' AND object_id = $1`, pid2); n != 1 {
			t.Fatalf("payment applied %d times", n)
		}
		if n := pb.count(`SELECT count(*) FROM order_status_history WHERE order_id = $1 AND to_status = 'paid'`, oid2); n != 1 {
			t.Fatalf("order paid %d times", n)
		}

		// The seller rejects the paid order: a full refund, through the provider.
		if r := pb.do("POST", "/api/v1/orders/"+oid2+"/reject", pb.seller.token, `{"reason": "库存盘点有误，无法发货"}`); r.status != 200 {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		pb.runQueue()
		pb.clock.Advance(2 * time.Second)
		pb.simRun()
		p2 := pb.payment(pid2)
		if p2.body["status"] != "refunded" || !strings.Contains(p2.raw, `"refunded_amount":{"amount":9900`) || !strings.Contains(p2.raw, `"status":"succeeded"`) {
			t.Fatalf("after rejection: %s", p2.raw)
		}

		// Completion: the seller's share less commission is settled.
		if r := pb.do("POST", "/api/v1/orders/"+oid+"/accept", pb.seller.token, ""); r.status != 200 {
			t.Fatalf("accept: %d %s", r.status, r.raw)
		}
		if err := pb.db.InTx(audit.WithActor(context.Background(), audit.System), func(ctx context.Context, tx *db.Tx) error {
			_, err := pb.orders.FireTx(ctx, tx, oid, order.EvShip, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if r := pb.do("POST", "/api/v1/orders/"+oid+"/confirm-receipt", pb.alice, ""); r.status != 200 {
			t.Fatalf("confirm receipt: %d %s", r.status, r.raw)
		}
		pb.runQueue()
		st := pb.do("GET", "/api/v1/organizations/"+pb.seller.id+"/settlements", pb.seller.token, "")
		items, _ := st.body["items"].([]any)
		if st.status != 200 || len(items) != 1 {
			t.Fatalf("settlements: %d %s", st.status, st.raw)
		}
		s0 := items[0].(map[string]any)
		amount := s0["amount"].(map[string]any)["amount"].(float64)
		commission := s0["commission"].(map[string]any)["amount"].(float64)
		if s0["status"] != "succeeded" || s0["settlement_no"] == "" || amount+commission != 9900 || commission <= 0 {
			t.Fatalf("settlement: %s", st.raw)
		}
		if r := pb.do("GET", "/api/v1/organizations/"+pb.seller.id+"/settlements", bob, ""); r.status != 404 {
			t.Fatalf("a stranger read settlements: %d", r.status)
		}
	})
}

// A dropped notification: the active query finds the payment.
func TestPaymentDroppedNotificationFoundByQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		pb.faults(`{"drop_next": 1}`)
		oid := pb.placeOrder(pb.alice)
		pid, payURL := pb.startPay(pb.alice, oid)
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		if st := pb.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("dropped notification still arrived: %s", st)
		}
		// Not yet due (2 minutes after creation).
		ctx := context.Background()
		if err := pb.pay.QueryPending(ctx, pb.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if st := pb.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("queried before 2 minutes: %s", st)
		}
		pb.clock.Advance(2*time.Minute + time.Second)
		if err := pb.pay.QueryPending(ctx, pb.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if st := pb.orderStatus(oid); st != "paid" {
			t.Fatalf("the query did not find the payment: %s", st)
		}
		if p := pb.payment(pid); p.body["status"] != "succeeded" || p.body["confirmed_by"] != "query" {
			t.Fatalf("payment: %s", p.raw)
		}
		// The query schedule: 2, 4, 8, 16 minutes, then every 30, until expiry.
		oid2 := pb.placeOrder(pb.alice)
		pid2, _ := pb.startPay(pb.alice, oid2)
		created := pb.clock.Now()
		var at []time.Duration
		for i := 0; i < 8; i++ {
			var next time.Time
			if err := pb.db.QueryRow(ctx, `SELECT next_query_at FROM payments WHERE id = $1`, pid2).Scan(&next); err != nil {
				t.Fatal(err)
			}
			at = append(at, next.Sub(created).Round(time.Second))
			pb.clock.Set(next)
			if err := pb.pay.QueryPending(ctx, next); err != nil {
				t.Fatal(err)
			}
			var status string
			if err := pb.db.QueryRow(ctx, `SELECT status FROM payments WHERE id = $1`, pid2).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if status != "pending" {
				break
			}
		}
		want := "[2m0s 4m0s 8m0s 16m0s 30m5s]"
		if fmt.Sprint(at) != want {
			t.Fatalf("query times %v, want %s (the order's deadline is 30 minutes)", at, want)
		}
		if p := pb.payment(pid2); p.body["status"] != "failed" {
			t.Fatalf("expired trade: %s", p.raw)
		}
	})
}

// A notification that arrives after the order was cancelled: the payment
// succeeds and is refunded in full automatically; the order stays
// cancelled, never paid.
func TestPaymentLateNotificationAfterCancellation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		pb.faults(`{"delay_next_seconds": 60}`)
		oid := pb.placeOrder(pb.alice)
		pid, payURL := pb.startPay(pb.alice, oid)
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		if r := pb.do("POST", "/api/v1/orders/"+oid+"/cancel", pb.alice, ""); r.status != 200 {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		pb.clock.Advance(61 * time.Second)
		pb.simRun()
		if st := pb.orderStatus(oid); st != "cancelled" {
			t.Fatalf("late payment: order %s", st)
		}
		if n := pb.count(`SELECT count(*) FROM order_status_history WHERE order_id = $1 AND to_status = 'paid'`, oid); n != 0 {
			t.Fatal("a cancelled order was paid")
		}
		p := pb.payment(pid)
		if p.body["status"] != "succeeded" || !strings.Contains(p.raw, `"status":"processing"`) {
			t.Fatalf("late payment should be refunding: %s", p.raw)
		}
		pb.runQueue() // the close (answered: paid) and the refund instruction
		pb.clock.Advance(2 * time.Second)
		pb.simRun()
		p = pb.payment(pid)
		if p.body["status"] != "refunded" || !strings.Contains(p.raw, `"refunded_amount":{"amount":9900`) {
			t.Fatalf("automatic refund: %s", p.raw)
		}
		if n := pb.count(`SELECT count(*) FROM payment_refunds WHERE payment_id = $1`, pid); n != 1 {
			t.Fatalf("%d refunds", n)
		}

		// Cancelled before paying: the trade is closed with the provider.
		oid2 := pb.placeOrder(pb.alice)
		pid2, payURL2 := pb.startPay(pb.alice, oid2)
		if r := pb.do("POST", "/api/v1/orders/"+oid2+"/cancel", pb.alice, ""); r.status != 200 {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		pb.runQueue()
		if p := pb.payment(pid2); p.body["status"] != "failed" {
			t.Fatalf("closed trade: %s", p.raw)
		}
		res, err := noRedirect.PostForm(payURL2, url.Values{"action": {"pay"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("paying a closed trade: %d", res.StatusCode)
		}
	})
}

// Refused notifications: wrong amount (422, incident, not paid), wrong key
// (401, nothing changed), old timestamp and seen nonce (401), unknown
// trade (422); no cookie or bearer counts.
func TestPaymentNotificationRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		pb.faults(`{"wrong_amount_next": 1}`)
		oid := pb.placeOrder(pb.alice)
		pid, payURL := pb.startPay(pb.alice, oid)
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		if st := pb.orderStatus(oid); st != "awaiting_payment" {
			t.Fatalf("wrong amount applied: %s", st)
		}
		ns, _ := pb.sim.Notifications(context.Background(), "")
		if len(ns) == 0 || !strings.Contains(ns[len(ns)-1].LastResult, "422") || !strings.Contains(ns[len(ns)-1].LastResult, "amount-mismatch") {
			t.Fatalf("paysim's record of the answer: %+v", ns)
		}
		inc := pb.do("GET", "/api/v1/admin/payment-incidents", pb.admin, "")
		if inc.status != 200 || !strings.Contains(inc.raw, `"kind":"amount_mismatch"`) || !strings.Contains(inc.raw, pid) {
			t.Fatalf("incidents: %d %s", inc.status, inc.raw)
		}
		if r := pb.do("GET", "/api/v1/admin/payment-incidents", pb.alice, ""); r.status != 403 {
			t.Fatalf("a consumer read incidents: %d", r.status)
		}

		// Wrong key: 401, nothing changed.
		pb.faults(`{"wrong_key_next": 1}`)
		oid2 := pb.placeOrder(pb.alice)
		pid2, payURL2 := pb.startPay(pb.alice, oid2)
		before := pb.count(`SELECT count(*) FROM audit_log WHERE object_id = $1`, pid2)
		pb.cashier(payURL2, "pay", pb.srv.URL+"/orders/"+oid2)
		ns, _ = pb.sim.Notifications(context.Background(), "")
		if last := ns[len(ns)-1]; !strings.HasPrefix(last.LastResult, "401") || !strings.Contains(last.LastResult, "bad-signature") {
			t.Fatalf("wrong key answered: %q", last.LastResult)
		}
		if st := pb.orderStatus(oid2); st != "awaiting_payment" {
			t.Fatalf("wrong key applied: %s", st)
		}
		if p := pb.payment(pid2); p.body["status"] != "pending" {
			t.Fatalf("wrong key changed the payment: %s", p.raw)
		}
		if after := pb.count(`SELECT count(*) FROM audit_log WHERE object_id = $1`, pid2); after != before {
			t.Fatal("wrong key left an audit entry on the payment")
		}
		if n := pb.count(`SELECT count(*) FROM payment_incidents WHERE kind = 'bad_signature'`); n != 1 {
			t.Fatalf("bad-signature incidents: %d", n)
		}

		// Crafted notifications for the pending payment pid2, signed with paysim's key.
		key := pb.simKey()
		n := payproto.Notification{Event: payproto.EventTradeSucceeded, OutTradeNo: pid2, Amount: 9900, Currency: "CNY", OccurredAt: pb.clock.Now()}
		// Old timestamp: 401, nothing changed.
		if r := pb.notify(key, pb.clock.Now().Add(-301*time.Second), n, ""); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("old timestamp: %d %s", r.status, r.raw)
		}
		// A session (cookie or bearer) is no substitute for the signature.
		if r := pb.notify(key, pb.clock.Now(), n, "none", "Authorization", "Bearer "+pb.admin); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("bearer instead of signature: %d %s", r.status, r.raw)
		}
		// A body changed after signing: 401.
		body, _ := json.Marshal(n)
		path := "/api/v1/payment-notifications/" + pb.providerID
		hdr := payproto.Sign(key, pb.clock.Now(), "POST", path, body)
		tampered := strings.Replace(string(body), `"amount":9900`, `"amount":9800`, 1)
		if r := pb.do("POST", path, "", tampered, "Signature", hdr); r.status != 401 {
			t.Fatalf("tampered body: %d %s", r.status, r.raw)
		}
		if p := pb.payment(pid2); p.body["status"] != "pending" {
			t.Fatalf("a refused notification changed the payment: %s", p.raw)
		}
		// Valid: applied. The same request again (seen nonce): 401.
		if r := pb.do("POST", path, "", string(body), "Signature", hdr); r.status != 200 || r.body["result"] != "success" {
			t.Fatalf("valid notification: %d %s", r.status, r.raw)
		}
		if st := pb.orderStatus(oid2); st != "paid" {
			t.Fatalf("valid notification not applied: %s", st)
		}
		if r := pb.do("POST", path, "", string(body), "Signature", hdr); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("replayed nonce: %d %s", r.status, r.raw)
		}
		// A fresh signature of the same event: idempotent 200.
		if r := pb.notify(key, pb.clock.Now(), n, ""); r.status != 200 {
			t.Fatalf("repeat: %d %s", r.status, r.raw)
		}
		// Unknown trade: 422 and an incident.
		ghost := n
		ghost.OutTradeNo = "01900000-0000-7000-8000-000000000000"
		if r := pb.notify(key, pb.clock.Now(), ghost, ""); r.status != 422 || r.problemCode() != "amount-mismatch" {
			t.Fatalf("unknown trade: %d %s", r.status, r.raw)
		}
		if n := pb.count(`SELECT count(*) FROM payment_incidents WHERE kind = 'unknown_trade'`); n != 1 {
			t.Fatalf("unknown-trade incidents: %d", n)
		}
		// Suspension or a lapsed licence removes the provider from checkout at once.
		pb.clock.Advance(366 * 24 * time.Hour)
		if r := pb.do("GET", "/api/v1/payment-providers", pb.alice, ""); r.status != 200 || strings.Contains(r.raw, pb.providerID) {
			t.Fatalf("a lapsed provider is offered: %s", r.raw)
		}
	})
}

// Reconciliation of a day with one injected difference reports exactly
// that difference; an admin resolves it with a note.
func TestPaymentReconciliation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		// The day's business: a paid order, a refunded one, a closed trade.
		oid := pb.placeOrder(pb.alice)
		_, payURL := pb.startPay(pb.alice, oid)
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		oid2 := pb.placeOrder(pb.alice)
		_, payURL2 := pb.startPay(pb.alice, oid2)
		pb.cashier(payURL2, "pay", pb.srv.URL+"/orders/"+oid2)
		if r := pb.do("POST", "/api/v1/orders/"+oid2+"/reject", pb.seller.token, `{"reason": "无法发货"}`); r.status != 200 {
			t.Fatalf("reject: %s", r.raw)
		}
		oid3 := pb.placeOrder(pb.alice)
		pb.startPay(pb.alice, oid3)
		if r := pb.do("POST", "/api/v1/orders/"+oid3+"/cancel", pb.alice, ""); r.status != 200 {
			t.Fatal(r.raw)
		}
		pb.runQueue()
		pb.clock.Advance(2 * time.Second)
		pb.simRun()
		// The injected difference: a trade at the provider the platform never made.
		c := &payproto.Client{Key: pb.platformKey, Clock: pb.clock}
		var created payproto.CreateTradeResponse
		if _, err := c.DoJSON(context.Background(), "POST", pb.simURL+"/v1/trades", payproto.CreateTradeRequest{OutTradeNo: "ghost-1", Amount: 4200, Currency: "CNY",
			Subject: "ghost", NotifyURL: pb.srv.URL + "/x", ReturnURL: pb.srv.URL + "/y", ExpiresAt: pb.clock.Now().Add(time.Hour)}, &created); err != nil {
			t.Fatal(err)
		}
		day := pb.clock.Now().UTC().Truncate(24 * time.Hour)
		if r := pb.do("POST", "/api/v1/admin/reconciliation-reports", pb.alice, `{"provider_id": "`+pb.providerID+`", "day": "`+day.Format("2006-01-02")+`"}`); r.status != 403 {
			t.Fatalf("a consumer ran reconciliation: %d", r.status)
		}
		r := pb.do("POST", "/api/v1/admin/reconciliation-reports", pb.admin, `{"provider_id": "`+pb.providerID+`", "day": "`+day.Format("2006-01-02")+`"}`)
		if r.status != 200 {
			t.Fatalf("reconcile: %d %s", r.status, r.raw)
		}
		exs := r.body["exceptions"].([]any)
		if r.body["status"] != "exceptions" || len(exs) != 1 || r.body["matched_rows"].(float64) != 4 {
			t.Fatalf("report: %s", r.raw)
		}
		ex := exs[0].(map[string]any)
		if ex["kind"] != "missing_on_platform" || ex["out_no"] != "ghost-1" || ex["provider_amount"].(float64) != 4200 || ex["status"] != "open" {
			t.Fatalf("exception: %v", ex)
		}
		list := pb.do("GET", "/api/v1/admin/reconciliation-reports", pb.admin, "")
		if list.status != 200 || len(list.body["items"].([]any)) != 1 || !strings.Contains(list.raw, `"open_count":1`) {
			t.Fatalf("reports: %s", list.raw)
		}
		exID := ex["id"].(string)
		if r := pb.do("POST", "/api/v1/admin/reconciliation-exceptions/"+exID+"/resolve", pb.admin, `{"note": ""}`); r.status != 400 {
			t.Fatalf("empty note: %d", r.status)
		}
		if r := pb.do("POST", "/api/v1/admin/reconciliation-exceptions/"+exID+"/resolve", pb.admin, `{"note": "沙箱测试交易，非平台订单，已与支付机构核实"}`); r.status != 200 || r.body["status"] != "resolved" {
			t.Fatalf("resolve: %d %s", r.status, r.raw)
		}
		if r := pb.do("POST", "/api/v1/admin/reconciliation-exceptions/"+exID+"/resolve", pb.admin, `{"note": "again"}`); r.status != 409 {
			t.Fatalf("resolve twice: %d", r.status)
		}
		// The daily job for the same day answers the report as it is.
		again, err := pb.pay.Reconcile(context.Background(), pb.providerID, day)
		if err != nil || again.ExceptionCount != 1 || again.OpenCount != 0 {
			t.Fatalf("again: %+v %v", again, err)
		}
		// An amount the platform records differently is an amount mismatch.
		pb.clock.Advance(24 * time.Hour)
		pb.alice = pb.login(pb.aliceLogin, "Str0ng!Passw0rd#2026", "").body["token"].(string)
		oid4 := pb.placeOrder(pb.alice)
		pid4, payURL4 := pb.startPay(pb.alice, oid4)
		pb.cashier(payURL4, "pay", pb.srv.URL+"/orders/"+oid4)
		if _, err := d.WritePool().Exec(`UPDATE payments SET amount_fen = 9800 WHERE id = $1`, pid4); err != nil {
			t.Fatal(err)
		}
		rep, err := pb.pay.Reconcile(context.Background(), pb.providerID, pb.clock.Now())
		if err != nil || len(rep.Exceptions) != 1 || rep.Exceptions[0].Kind != "amount_mismatch" || rep.Exceptions[0].OutNo != pid4 {
			t.Fatalf("amount mismatch: %+v %v", rep, err)
		}
	})
}

// Refunds never exceed what was paid; a refund request is idempotent.
func TestPaymentRefundsNeverAbovePaid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		oid := pb.placeOrder(pb.alice)
		pid, payURL := pb.startPay(pb.alice, oid)
		pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
		refund := func(amount int, key string) resp {
			return pb.do("POST", "/api/v1/admin/payments/"+pid+"/refunds", pb.admin, fmt.Sprintf(`{"amount": %d, "reason": "商品破损，部分退款"}`, amount), "Idempotency-Key", key)
		}
		if r := pb.do("POST", "/api/v1/admin/payments/"+pid+"/refunds", pb.alice, `{"amount": 100, "reason": "想退"}`); r.status != 403 {
			t.Fatalf("a consumer refunded: %d", r.status)
		}
		r1 := refund(5000, "r1")
		if r1.status != 201 || r1.body["status"] != "processing" {
			t.Fatalf("refund 1: %d %s", r1.status, r1.raw)
		}
		if again := refund(5000, "r1"); again.status != 201 || again.body["id"] != r1.body["id"] {
			t.Fatalf("repeated refund request: %s", again.raw)
		}
		if r := refund(5000, "r2"); r.status != 409 || !strings.Contains(r.raw, `"refundable":4900`) {
			t.Fatalf("above paid: %d %s", r.status, r.raw)
		}
		pb.runQueue()
		pb.clock.Advance(2 * time.Second)
		pb.simRun()
		if p := pb.payment(pid); p.body["status"] != "partially_refunded" || !strings.Contains(p.raw, `"refunded_amount":{"amount":5000`) {
			t.Fatalf("partial: %s", p.raw)
		}
		if r := refund(4900, "r3"); r.status != 201 {
			t.Fatalf("refund 3: %d %s", r.status, r.raw)
		}
		if r := refund(1, "r4"); r.status != 409 {
			t.Fatalf("one fen too many: %d %s", r.status, r.raw)
		}
		pb.runQueue()
		pb.clock.Advance(2 * time.Second)
		pb.simRun()
		if p := pb.payment(pid); p.body["status"] != "refunded" || !strings.Contains(p.raw, `"refunded_amount":{"amount":9900`) {
			t.Fatalf("refunded: %s", p.raw)
		}
		if n := pb.count(`SELECT COALESCE(SUM(amount_fen), 0) FROM payment_refunds WHERE payment_id = $1 AND status = 'succeeded'`, pid); n != 9900 {
			t.Fatalf("refunded %d", n)
		}
	})
}

// A provider rotates its key: the previous key stays valid 24 hours.
func TestPaymentChannelKeyRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pb := paySetup(t, d)
		oid := pb.placeOrder(pb.alice)
		pid, _ := pb.startPay(pb.alice, oid)
		newKey, err := payproto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if r := pb.do("PUT", "/api/v1/organizations/"+pb.providerID+"/payment-channel", pb.provider,
			fmt.Sprintf(`{"api_base_url": %q, "key_id": %q, "public_key": %q}`, pb.simURL, newKey.ID, newKey.PublicKeyBase64())); r.status != 200 {
			t.Fatalf("rotate: %d %s", r.status, r.raw)
		}
		closed := payproto.Notification{Event: payproto.EventTradeClosed, OutTradeNo: pid, Amount: 9900, Currency: "CNY", OccurredAt: pb.clock.Now()}
		pb.clock.Advance(23 * time.Hour)
		if r := pb.notify(pb.simKey(), pb.clock.Now(), closed, ""); r.status != 200 {
			t.Fatalf("previous key within 24 h: %d %s", r.status, r.raw)
		}
		pb.clock.Advance(time.Hour + time.Second)
		if r := pb.notify(pb.simKey(), pb.clock.Now(), closed, ""); r.status != 401 || r.problemCode() != "bad-signature" {
			t.Fatalf("previous key after 24 h: %d %s", r.status, r.raw)
		}
		if r := pb.notify(newKey, pb.clock.Now(), closed, ""); r.status != 200 {
			t.Fatalf("new key: %d %s", r.status, r.raw)
		}
	})
}

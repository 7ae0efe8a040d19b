package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gbmall/internal/app"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// payEnv is the whole platform with the demo data and the demo payment
// provider (paysim in-process), served on a port known before the
// handler is built so that the links handed to paysim come back here.
type payEnv struct {
	*env
	p    *app.Platform
	demo *app.DemoInfo
}

func setupPayments(t *testing.T) *payEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := app.Open(ctx, app.Common{DataDir: dir}, func(string) string { return "" }, log, true, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	demo, err := app.LoadDemo(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.StartDemoPayments(ctx, p, demo))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: app.NewHandler(p, app.ServeConfig{Common: app.Common{DataDir: dir}, RateLimits: "off", PublicURL: public})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &payEnv{env: &env{t: t, srv: srv}, p: p, demo: demo}
}

// login signs a demo account in (with its TOTP code for staff).
func (e *payEnv) login(login string) *http.Client {
	e.t.Helper()
	c := e.browser()
	form := url.Values{"login": {login}, "password": {app.DemoPassword}}
	for _, a := range e.demo.Accounts {
		if a.Login == login && a.TOTPSecret != "" {
			code, err := credential.TOTPCode(a.TOTPSecret, e.p.Clock.Now())
			if err != nil {
				e.t.Fatal(err)
			}
			form.Set("otp", code)
			form.Set("step", "otp")
		}
	}
	pg := e.post(c, "/login", form)
	if pg.status != http.StatusOK || pg.path != "/home" {
		e.t.Fatalf("login %s: status %d at %s", login, pg.status, pg.path)
	}
	return c
}

// accountID is a demo account's id.
func (e *payEnv) accountID(login string) string {
	e.t.Helper()
	accountID, _, err := e.p.Identity.EnsureAccount(context.Background(), login, app.DemoPassword, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return accountID
}

// exec changes the database directly (to inject a difference).
func (e *payEnv) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.p.DB.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *payEnv) scalar(q string, args ...any) string {
	e.t.Helper()
	var v string
	if err := e.p.DB.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return v
}

var payURLRe = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/cashier/[A-Za-z0-9]+$`)

// TestConsumerPaysOnTheOrderPage drives the pay section: the consumer
// picks the licensed demo provider on the order page, is sent to the
// provider's cashier, pays there, and comes back to the order page, which
// shows the order paid and its payment (R-6.5-1, R-8.1-1).
func TestConsumerPaysOnTheOrderPage(t *testing.T) {
	e := setupPayments(t)
	shopper := e.accountID("consumer1@demo.gbmall.test")
	orderID := e.scalar(`SELECT id FROM orders WHERE account_id = $1 AND status = 'awaiting_payment' ORDER BY placed_at LIMIT 1`, shopper)
	provider := e.scalar(`SELECT id FROM organizations WHERE kind = 'payment_provider' AND status = 'approved'`)
	c := e.login("consumer1@demo.gbmall.test")

	pg := e.get(c, "/orders/"+orderID)
	mustContain(t, pg.body, `id="pay"`, `action="/orders/`+orderID+`/pay"`, `name="provider" value="`+provider+`"`, "演示支付", "持牌支付机构")
	mustNotContain(t, pg.body, "支付结果确认中")

	// Without the form's token nothing happens.
	if p := e.post(noFollow(c), "/orders/"+orderID+"/pay", url.Values{"provider": {provider}}); p.status != http.StatusForbidden {
		t.Fatalf("pay without csrf: status %d", p.status)
	}
	// Without a choice the page asks for one.
	p := e.post(noFollow(c), "/orders/"+orderID+"/pay", url.Values{"csrf_token": {csrf(t, pg.body)}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.resp.Header.Get("Location"), "payerr=choose") {
		t.Fatalf("pay without provider: status %d location %q", p.status, p.resp.Header.Get("Location"))
	}
	mustContain(t, e.get(c, "/orders/"+orderID+"?payerr=choose").body, "请选择一种支付方式")
	// A provider that is not offered is refused with the way back.
	p = e.post(noFollow(c), "/orders/"+orderID+"/pay", url.Values{"csrf_token": {csrf(t, pg.body)}, "provider": {id.New()}})
	if p.status == http.StatusSeeOther {
		t.Fatalf("an unknown provider was accepted: %s", p.resp.Header.Get("Location"))
	}
	mustContain(t, p.body, "该支付机构目前不可用", `href="/orders/`+orderID+`"`)

	// The page moves on to the cashier with a Refresh header: a 303 after
	// a form post would be blocked by the CSP's form-action 'self'.
	p = e.post(noFollow(c), "/orders/"+orderID+"/pay", url.Values{"csrf_token": {csrf(t, pg.body)}, "provider": {provider}})
	cashier := strings.TrimPrefix(p.resp.Header.Get("Refresh"), "0; url=")
	if p.status != http.StatusOK || !payURLRe.MatchString(cashier) {
		t.Fatalf("pay: status %d refresh %q", p.status, p.resp.Header.Get("Refresh"))
	}
	mustContain(t, p.body, "正在前往支付机构", `href="`+cashier+`"`, "演示支付")
	// Back before paying: the payment is pending, with the way back to
	// the cashier.
	pg = e.get(c, "/orders/"+orderID)
	mustContain(t, pg.body, "支付结果确认中", `href="`+cashier+`"`, "待确认")

	// The cashier page: pay.
	req, _ := http.NewRequest(http.MethodPost, cashier, strings.NewReader(url.Values{"action": {"pay"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := e.do(noFollow(c), req)
	if back.status != http.StatusSeeOther || back.resp.Header.Get("Location") != e.srv.URL+"/orders/"+orderID {
		t.Fatalf("cashier: status %d location %q", back.status, back.resp.Header.Get("Location"))
	}
	pg = e.get(c, "/orders/"+orderID)
	mustContain(t, pg.body, "已付款", "支付与退款", "演示支付")
	mustNotContain(t, pg.body, `id="pay"`, "支付结果确认中")
	if st := e.scalar(`SELECT status FROM orders WHERE id = $1`, orderID); st != "paid" {
		t.Fatalf("order %s after paying", st)
	}
	if st := e.scalar(`SELECT status FROM payments WHERE order_id = $1`, orderID); st != "succeeded" {
		t.Fatalf("payment %s after paying", st)
	}
	// Paying again is refused: the order is not awaiting payment.
	p = e.post(noFollow(c), "/orders/"+orderID+"/pay", url.Values{"csrf_token": {csrf(t, pg.body)}, "provider": {provider}})
	if p.status != http.StatusConflict {
		t.Fatalf("second pay: status %d", p.status)
	}
	mustContain(t, p.body, "订单当前不是待付款状态")

	// Another consumer neither sees the order nor can pay it.
	other := e.login("consumer2@demo.gbmall.test")
	if p := e.get(other, "/orders/"+orderID); p.status != http.StatusNotFound {
		t.Fatalf("other consumer sees the order: %d", p.status)
	}
	home := e.get(other, "/home")
	if p := e.post(noFollow(other), "/orders/"+orderID+"/pay", url.Values{"csrf_token": {csrf(t, home.body)}, "provider": {provider}}); p.status != http.StatusNotFound {
		t.Fatalf("other consumer pays the order: %d", p.status)
	}

	// The seller sees the payment in its console; the other seller gets
	// the 404 page there.
	sellerID := e.scalar(`SELECT seller_id FROM orders WHERE id = $1`, orderID)
	number := e.scalar(`SELECT number FROM orders WHERE id = $1`, orderID)
	ownerID := e.scalar(`SELECT account_id FROM memberships WHERE organization_id = $1 AND role = 'owner'`, sellerID)
	owner := "seller1@demo.gbmall.test"
	if e.accountID(owner) != ownerID {
		owner = "seller2@demo.gbmall.test"
	}
	sc := e.login(owner)
	sp := e.get(sc, "/orgs/"+sellerID+"/payments")
	if sp.status != http.StatusOK {
		t.Fatalf("seller payments: %d", sp.status)
	}
	mustContain(t, sp.body, "收款与结算", number, "已付款", "演示支付")
	otherSeller := "seller1@demo.gbmall.test"
	if owner == otherSeller {
		otherSeller = "seller2@demo.gbmall.test"
	}
	if p := e.get(e.login(otherSeller), "/orgs/"+sellerID+"/payments"); p.status != http.StatusNotFound {
		t.Fatalf("other seller sees the payments: %d", p.status)
	}
	// The operator finds it among all payments, filtered by status.
	op := e.login("operator@demo.gbmall.test")
	ap := e.get(op, "/admin/payments?status=succeeded")
	if ap.status != http.StatusOK {
		t.Fatalf("admin payments: %d", ap.status)
	}
	mustContain(t, ap.body, number, "演示支付")
	mustNotContain(t, e.get(op, "/admin/payments?status=refunded").body, number)
}

// TestPaymentConsolesArePlatformOnly: consumers, sellers and the payment
// provider see the 404 page on the operator's payment pages; a platform
// auditor (no platform.admin) sees neither incidents nor reconciliation.
func TestPaymentConsolesArePlatformOnly(t *testing.T) {
	e := setupPayments(t)
	pages := []string{"/admin/payments", "/admin/payment-incidents", "/admin/reconciliation"}
	for _, login := range []string{"consumer1@demo.gbmall.test", "seller1@demo.gbmall.test", app.DemoPaymentOwner} {
		c := e.login(login)
		for _, path := range pages {
			if p := e.get(c, path); p.status != http.StatusNotFound {
				t.Errorf("%s sees %s: %d", login, path, p.status)
			}
		}
	}
	// Signed out: to the login page.
	if p := e.get(noFollow(e.browser()), "/admin/reconciliation"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.resp.Header.Get("Location"), "/login") {
		t.Errorf("signed out: %d %s", p.status, p.resp.Header.Get("Location"))
	}
	aud := e.login("auditor@demo.gbmall.test")
	for _, path := range pages[1:] {
		if p := e.get(aud, path); p.status != http.StatusNotFound {
			t.Errorf("auditor sees %s: %d", path, p.status)
		}
	}
	// The admin's home links to them.
	op := e.login("operator@demo.gbmall.test")
	mustContain(t, e.get(op, "/home").body, `href="/admin/payments"`, "支付与对账")
}

// TestResolveReconciliationException: the operator sees a day's report
// with its figures and an exception, and closes the exception with a
// required note after a confirmation step (R-8.2-6).
func TestResolveReconciliationException(t *testing.T) {
	e := setupPayments(t)
	ctx := context.Background()
	provider := e.scalar(`SELECT id FROM organizations WHERE kind = 'payment_provider' AND status = 'approved'`)
	rep, err := e.p.Payments.Reconcile(ctx, provider, e.p.Clock.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	// A difference as the comparison records it: a trade the statement
	// has and the platform does not.
	exID := id.New()
	e.exec(`INSERT INTO reconciliation_exceptions (id, report_id, kind, record_kind, out_no, provider_no, platform_amount, provider_amount,
		platform_status, provider_status, status, created_at) VALUES ($1, $2, 'missing_on_platform', 'trade', 'X-OUT-1', 'PS-1', NULL, 4200, '', 'succeeded', 'open', $3)`,
		exID, rep.ID, e.p.Clock.Now().UTC())
	e.exec(`UPDATE reconciliation_reports SET status = 'exceptions', exception_count = 1 WHERE id = $1`, rep.ID)
	op := e.login("operator@demo.gbmall.test")
	pg := e.get(op, "/admin/reconciliation")
	action := "/admin/reconciliation/" + rep.ID + "/exceptions/" + exID + "/resolve"
	mustContain(t, pg.body, rep.Day, "演示支付", "平台无此记录", "X-OUT-1", "¥42.00", `href="`+action+`"`)

	form := e.get(op, action)
	mustContain(t, form.body, `name="note"`, "处理说明", "X-OUT-1")
	token := csrf(t, form.body)
	// The note is required.
	p := e.post(op, action, url.Values{"csrf_token": {token}, "note": {" "}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("empty note: %d", p.status)
	}
	mustContain(t, p.body, "请写明处理说明")
	// First the confirmation, which changes nothing.
	note := "已与支付机构核对：测试交易，已撤销"
	p = e.post(op, action, url.Values{"csrf_token": {token}, "note": {note}})
	mustContain(t, p.body, "确认关闭该差错？", note, `name="confirmed" value="1"`)
	if st := e.scalar(`SELECT status FROM reconciliation_exceptions WHERE id = $1`, exID); st != "open" {
		t.Fatalf("resolved before confirming: %s", st)
	}
	// A consumer cannot resolve it.
	cons := e.login("consumer1@demo.gbmall.test")
	ch := e.get(cons, "/home")
	if p := e.post(cons, action, url.Values{"csrf_token": {csrf(t, ch.body)}, "note": {note}, "confirmed": {"1"}}); p.status != http.StatusNotFound {
		t.Fatalf("consumer resolves: %d", p.status)
	}
	p = e.post(op, action, url.Values{"csrf_token": {token}, "note": {note}, "confirmed": {"1"}})
	if p.status != http.StatusOK || p.path != "/admin/reconciliation?msg=resolved" {
		t.Fatalf("resolve: %d at %s", p.status, p.path)
	}
	mustContain(t, p.body, "差错已处理", note, "已处理")
	if st := e.scalar(`SELECT status FROM reconciliation_exceptions WHERE id = $1`, exID); st != "resolved" {
		t.Fatalf("exception %s", st)
	}
	if n := e.scalar(`SELECT note FROM reconciliation_exceptions WHERE id = $1`, exID); n != note {
		t.Fatalf("note %q", n)
	}
	// Incidents: empty, with the explanation.
	mustContain(t, e.get(op, "/admin/payment-incidents").body, "支付异常通知", "没有异常通知")
}

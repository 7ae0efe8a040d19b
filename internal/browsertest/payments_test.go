package browsertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gbmall/internal/app"
	"gbmall/internal/identity"
)

// startWithPayments is start(t, true) with the demo payment provider:
// paysim runs in-process, and the server's public URL — the base of the
// notify_url and return_url handed to paysim — is the test server's own.
func startWithPayments(t *testing.T) *harness {
	t.Helper()
	chrome := chromiumPath(t)
	dir := t.TempDir()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	p, err := app.Open(context.Background(), app.Common{DataDir: dir}, func(string) string { return "" }, log, true, identity.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	demo, err := app.LoadDemo(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.StartDemoPayments(context.Background(), p, demo))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	sc := app.ServeConfig{Common: app.Common{DataDir: dir}, RateLimits: "off", PublicURL: public}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: app.NewHandler(p, sc)}}
	srv.Start()
	t.Cleanup(srv.Close)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(filepath.Join(dir, "chrome")), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return &harness{t: t, p: p, url: srv.URL, ctx: ctx}
}

// TestConsumerPaysOnTheCashierPage walks issue 6's consumer path in a
// browser: consumer1 opens the demo order awaiting payment, chooses the
// licensed provider 演示支付, is taken to the paysim cashier page, clicks
// pay there, comes back to the order page and sees the order paid
// (R-6.5-1, R-8.1-1).
func TestConsumerPaysOnTheCashierPage(t *testing.T) {
	h := startWithPayments(t)
	shopper, _, err := h.p.Identity.EnsureAccount(h.ctx, "consumer1@demo.gbmall.test", app.DemoPassword, "张小明")
	if err != nil {
		t.Fatal(err)
	}
	var orderID, number string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id, number FROM orders WHERE account_id = $1 AND status = 'awaiting_payment' ORDER BY placed_at LIMIT 1`, shopper).Scan(&orderID, &number); err != nil {
		t.Fatalf("demo order awaiting payment: %v", err)
	}
	var provider string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM organizations WHERE kind = 'payment_provider' AND name LIKE '演示支付%'`).Scan(&provider); err != nil {
		t.Fatalf("demo payment provider: %v", err)
	}
	h.do(
		chromedp.Navigate(h.url+"/login?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), "consumer1@demo.gbmall.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), app.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(h.url+"/orders/"+orderID),
		chromedp.WaitVisible(chromedp.CSS(`#pay`)),
	)
	h.shot("01-order-awaiting-payment")
	if pay := h.text("#pay"); !strings.Contains(pay, "演示支付") || !strings.Contains(pay, "去支付") {
		t.Fatalf("pay section: %q", pay)
	}
	// Choose 演示支付 and pay.
	h.do(
		chromedp.Click(chromedp.CSS(`input[name=provider][value="`+provider+`"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/orders/`+orderID+`/pay"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[name=action][value=pay]`)),
	)
	h.shot("02-paysim-cashier")
	if loc := h.location(); strings.HasPrefix(loc, h.url) || !strings.Contains(loc, "/cashier/") {
		t.Fatalf("not on the provider's cashier page: %s", loc)
	}
	if body := h.text("body"); !strings.Contains(body, "gbmall 订单 "+number) && !strings.Contains(body, number) {
		t.Errorf("cashier page does not name the order %s: %q", number, body)
	}
	h.do(
		chromedp.Click(chromedp.CSS(`button[name=action][value=pay]`)),
		chromedp.WaitVisible(chromedp.CSS(`#payments`)),
	)
	h.shot("03-order-paid")
	if loc := h.location(); loc != h.url+"/orders/"+orderID {
		t.Fatalf("back at %s, want the order page", loc)
	}
	if badge := h.text(".ord-badge-lg"); !strings.Contains(badge, "已付款") {
		t.Fatalf("order badge %q after paying", badge)
	}
	if payments := h.text("#payments"); !strings.Contains(payments, "已付款") || !strings.Contains(payments, "演示支付") {
		t.Fatalf("payments section: %q", payments)
	}
	var status string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&status); err != nil || status != "paid" {
		t.Fatalf("order status %q (%v), want paid", status, err)
	}
}

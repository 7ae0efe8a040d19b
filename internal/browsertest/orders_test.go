package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsumerChecksOutFromTwoSellers walks issue 5's consumer path in a
// browser: a consumer adds products of two different sellers to the cart,
// checks out, ticks the (unticked) transaction terms box on the
// confirmation page, places the orders and finds one order per seller
// awaiting payment in the order list (R-6.6-1, R-6.6-2).
func TestConsumerChecksOutFromTwoSellers(t *testing.T) {
	h := start(t, true)
	productOf := func(title string) string {
		var id string
		if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM products WHERE title LIKE $1`, title+"%").Scan(&id); err != nil {
			t.Fatalf("demo product %s: %v", title, err)
		}
		return id
	}
	pods, flask := productOf("植物配方洗衣凝珠"), productOf("304 不锈钢真空保温杯")

	h.do(
		chromedp.Navigate(h.url+"/login?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), "consumer2@demo.gbmall.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "Demo-Pass-2026"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	// The laundry pods have one variant, chosen already; the flask has
	// two, and the shopper picks one.
	h.do(
		chromedp.Navigate(h.url+"/p/"+pods),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/cart/items"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/cart/items"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-ok`)),
		chromedp.Navigate(h.url+"/p/"+flask),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/cart/items"]`)),
		chromedp.Click(chromedp.CSS(`input[name=sku]`)),
		chromedp.Click(chromedp.CSS(`form[action="/cart/items"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-ok`)),
	)
	h.shot("01-cart")
	cart := h.text("main")
	for _, want := range []string{"演示旗舰店", "棉语家居专营店", "植物配方洗衣凝珠", "304 不锈钢真空保温杯", "去结算"} {
		if !strings.Contains(cart, want) {
			t.Fatalf("cart lacks %q: %s", want, cart)
		}
	}
	h.do(
		chromedp.Click(chromedp.CSS(`a[href="/checkout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=recipient]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=recipient]`), "李小红"),
		chromedp.SendKeys(chromedp.CSS(`input[name=mobile]`), "13987654321"),
		chromedp.SendKeys(chromedp.CSS(`input[name=region_code]`), "310115"),
		chromedp.SendKeys(chromedp.CSS(`input[name=detail]`), "上海市浦东新区张江路 100 弄 5 号 302 室"),
		chromedp.Click(chromedp.CSS(`form[action="/checkout"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/checkout/place"]`)),
	)
	h.shot("02-confirmation")
	confirm := h.text("main")
	for _, want := range []string{"订单 1", "订单 2", "演示旗舰店", "棉语家居专营店", "商家接单后 48 小时内发货", "我已阅读并同意", "应付总额"} {
		if !strings.Contains(confirm, want) {
			t.Fatalf("confirmation lacks %q: %s", want, confirm)
		}
	}
	ticked, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](`document.querySelector('#accept_terms').checked`))
	if err != nil || ticked {
		t.Fatalf("the terms box must start unticked: %v %v", ticked, err)
	}
	h.do(
		chromedp.Click(chromedp.CSS(`#accept_terms`)),
		chromedp.Click(chromedp.CSS(`form[action="/checkout/place"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.ord-cards`)),
	)
	h.shot("03-orders")
	if loc := h.location(); !strings.Contains(loc, "/orders") {
		t.Fatalf("after placing the browser is at %s", loc)
	}
	shopper, _, err := h.p.Identity.EnsureAccount(h.ctx, "consumer2@demo.gbmall.test", "Demo-Pass-2026", "李小红")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := h.p.DB.Query(h.ctx, `SELECT number FROM orders WHERE account_id = $1 AND status = 'awaiting_payment'`, shopper)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if len(numbers) != 2 {
		t.Fatalf("orders awaiting payment: %v, want one per seller", numbers)
	}
	list := h.text(".ord-cards")
	for _, n := range numbers {
		if !strings.Contains(list, n) {
			t.Errorf("order list lacks %s: %s", n, list)
		}
	}
	if got := strings.Count(list, "待付款"); got != 2 {
		t.Errorf("%d orders shown awaiting payment, want 2: %s", got, list)
	}
}

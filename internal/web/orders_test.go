package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/web"
)

// ordersEnv is the web shell with the whole order path: organisations,
// catalogue, inventory and orders, and one approved seller with stock.
type ordersEnv struct {
	*orgEnv
	cat    *catalog.Service
	inv    *inventory.Service
	orders *order.Service
	orgID  string
	owner  context.Context
}

func setupOrders(t *testing.T) *ordersEnv {
	t.Helper()
	d := dbtest.SQLite(t)
	keys, err := fieldcrypt.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	trail := audit.New(clk)
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	ids := identity.NewService(d, clk, keys, trail, cfg)
	orgs := org.NewService(d, clk, keys, trail, ids, nil)
	cat := catalog.NewService(d, clk, trail, orgs)
	inv := inventory.NewService(d, clk, trail, keys)
	cat.Stock = inv
	ord := order.NewService(d, clk, trail, keys, cat, inv)
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Orgs: orgs, Catalog: cat, Inventory: inv, Orders: ord,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &ordersEnv{orgEnv: &orgEnv{env: &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}, orgs: orgs}, cat: cat, inv: inv, orders: ord}
	e.orgID, _ = e.approvedSeller("owner@example.cn")
	ownerID, _, err := ids.EnsureAccount(context.Background(), "owner@example.cn", password, "店主")
	if err != nil {
		t.Fatal(err)
	}
	e.owner = e.as(ownerID)
	return e
}

// product lists the test's one product with one SKU and stock received from a
// supplier, and returns the product and SKU ids.
func (e *ordersEnv) product(title, category string, fen int64, stock int) (string, string) {
	e.t.Helper()
	sup, err := e.inv.FileSupplier(e.owner, e.orgID, inventory.SupplierInput{Name: "杭州优品供应链有限公司", USCC: cnid.MakeUSCC("9133010033445566"),
		Contact:        inventory.SupplierContact{Name: "周采购", Mobile: "13900139000"},
		Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "330100000778899", ValidUntil: e.day(700)}}})
	if err != nil {
		e.t.Fatal(err)
	}
	supID := sup.ID
	p, err := e.cat.CreateProduct(e.owner, e.orgID, catalog.ProductInput{Title: title, CategoryID: category, Description: "<p>" + title + "</p>",
		SKUs: []catalog.SKUInput{{Code: "POT-24", Attributes: map[string]string{"颜色": "白"}, Price: catalog.CNY(fen)}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.inv.RegisterReceipt(e.owner, e.orgID, inventory.StockReceiptInput{SKUID: p.SKUs[0].ID, Quantity: stock, SupplierID: supID, Batch: "B1",
		Inspection: inventory.ReceiptInspection{Result: "pass"}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cat.List(e.owner, p.ID); err != nil {
		e.t.Fatal(err)
	}
	return p.ID, p.SKUs[0].ID
}

var (
	quoteIDRe = regexp.MustCompile(`name="quote_id" value="([^"]+)"`)
	idemKeyRe = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)
	orderIDRe = regexp.MustCompile(`^/orders/([0-9a-f-]{36})`)
)

func submatch(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in\n%s", re, s)
	}
	return m[1]
}

var shopperAddress = url.Values{"recipient": {"张小明"}, "mobile": {"13912345678"}, "region_code": {"110105"}, "detail": {"北京市朝阳区建国路 88 号 2 号楼 1203 室"}}

// addAndConfirm puts qty of the product's SKU in c's cart through the
// product page's form and goes to the confirmation page.
func (e *ordersEnv) addAndConfirm(c *http.Client, productID, skuID string, qty string) page {
	e.t.Helper()
	pp := e.get(c, "/p/"+productID)
	mustContain(e.t, pp.body, `action="/cart/items"`, "加入购物车")
	cart := e.post(c, "/cart/items", url.Values{"csrf_token": {csrf(e.t, pp.body)}, "product_id": {productID}, "sku": {skuID}, "quantity": {qty}})
	if cart.path != "/cart?msg=added" {
		e.t.Fatalf("add to cart ended at %s (%d)\n%s", cart.path, cart.status, cart.body)
	}
	mustContain(e.t, cart.body, "已加入购物车", "去结算", "有货")
	form := e.get(c, "/checkout")
	if form.status != http.StatusOK {
		e.t.Fatalf("checkout: %d", form.status)
	}
	v := url.Values{"csrf_token": {csrf(e.t, form.body)}}
	for k, x := range shopperAddress {
		v[k] = x
	}
	confirm := e.post(c, "/checkout", v)
	if confirm.status != http.StatusOK {
		e.t.Fatalf("confirmation: %d\n%s", confirm.status, confirm.body)
	}
	return confirm
}

func (e *ordersEnv) countOrders() int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func placeValues(t *testing.T, confirm page, terms bool) url.Values {
	v := url.Values{"csrf_token": {csrf(t, confirm.body)}, "quote_id": {submatch(t, quoteIDRe, confirm.body)},
		"idempotency_key": {submatch(t, idemKeyRe, confirm.body)}}
	for k, x := range shopperAddress {
		v[k] = x
	}
	if terms {
		v.Set("accept_terms", "yes")
	}
	return v
}

// TestCheckoutWithoutTermsPlacesNothing: the confirmation page's terms box
// is unticked; submitting without ticking it shows the message next to
// it and places nothing (R-6.6-1); ticking it places one order, and a
// double submit of the same page places no second one.
func TestCheckoutWithoutTermsPlacesNothing(t *testing.T) {
	e := setupOrders(t)
	pid, sku := e.product("家用铸铁炖锅 24 厘米", "home-kitchenware", 12990, 10)
	c, _ := e.signUp("shopper@example.cn", "张小明")
	confirm := e.addAndConfirm(c, pid, sku, "2")
	mustContain(t, confirm.body, "确认订单", "优选好物旗舰店", "¥129.90", "¥259.80", "包邮", "商家接单后 48 小时内发货",
		`href="/terms/transaction/`+order.CurrentTerms().Version+`"`, "我已阅读并同意", "/shops/"+e.orgID+"/licence", "本订单不包含任何搭售商品")
	mustNotContain(t, confirm.body, "checked")

	refused := e.post(c, "/checkout/place", placeValues(t, confirm, false))
	if refused.status != http.StatusUnprocessableEntity {
		t.Fatalf("without terms: %d", refused.status)
	}
	mustContain(t, refused.body, "请阅读并同意交易规则后再提交订单", `id="accept_terms-error"`, `aria-invalid="true"`)
	if n := e.countOrders(); n != 0 {
		t.Fatalf("an order was placed without accepting the terms: %d", n)
	}

	// The page shown again is a fresh confirmation with its own key.
	v := placeValues(t, refused, true)
	placed := e.post(c, "/checkout/place", v)
	m := orderIDRe.FindStringSubmatch(placed.path)
	if m == nil || placed.status != http.StatusOK {
		t.Fatalf("place: %d at %s\n%s", placed.status, placed.path, placed.body)
	}
	mustContain(t, placed.body, "订单已提交", "待付款", "请在", "前付款", "SHA-256", "下载电子合同 (JSON)", `href="/api/v1/orders/`+m[1]+`/contract"`)
	again := e.post(c, "/checkout/place", v)
	if again.path != placed.path {
		t.Fatalf("double submit went to %s, not %s", again.path, placed.path)
	}
	if n := e.countOrders(); n != 1 {
		t.Fatalf("double submit: %d orders", n)
	}
	// The checked-out line left the cart; the list shows the order.
	mustContain(t, e.get(c, "/cart").body, "购物车还是空的")
	mustContain(t, e.get(c, "/orders").body, "家用铸铁炖锅 24 厘米", "待付款", "¥259.80")
	contract := e.get(c, "/orders/"+m[1]+"/contract")
	mustContain(t, contract.body, "网络交易订单确认书", "家用铸铁炖锅 24 厘米", "¥259.80", order.CurrentTerms().Version)

	// Cancelling asks first, then releases the order.
	ask := e.get(c, "/orders/"+m[1]+"/cancel")
	mustContain(t, ask.body, "取消这个订单？")
	done := e.post(c, "/orders/"+m[1]+"/cancel", url.Values{"csrf_token": {csrf(t, ask.body)}})
	mustContain(t, done.body, "订单已取消", "已取消")
}

// TestOtherConsumerCannotSeeAnOrder: someone else's order, its contract
// and its actions are the 404 page.
func TestOtherConsumerCannotSeeAnOrder(t *testing.T) {
	e := setupOrders(t)
	pid, sku := e.product("家用铸铁炖锅 24 厘米", "home-kitchenware", 12990, 10)
	c, _ := e.signUp("shopper@example.cn", "张小明")
	confirm := e.addAndConfirm(c, pid, sku, "1")
	placed := e.post(c, "/checkout/place", placeValues(t, confirm, true))
	oid := submatch(t, orderIDRe, placed.path)

	other, _ := e.signUp("other@example.cn", "李小红")
	for _, path := range []string{"/orders/" + oid, "/orders/" + oid + "/contract", "/orders/" + oid + "/cancel"} {
		if p := e.get(other, path); p.status != http.StatusNotFound {
			t.Errorf("%s for another consumer: %d", path, p.status)
		}
	}
	mustNotContain(t, e.get(other, "/orders").body, "家用铸铁炖锅")
	// A stranger's cancel is refused too, and the order stays.
	home := e.get(other, "/orders")
	if p := e.post(other, "/orders/"+oid+"/cancel", url.Values{"csrf_token": {csrf(t, home.body)}}); p.status != http.StatusNotFound {
		t.Errorf("cancel by another consumer: %d", p.status)
	}
	o, err := e.orders.Get(e.as(ownerAccount(t, e.orgEnv, "shopper@example.cn")), oid)
	if err != nil || o.Status != order.AwaitingPayment {
		t.Fatalf("order after a stranger's cancel: %v %v", o, err)
	}
}

// TestSellerOrderConsoleNeedsMembership: the seller's order list and
// actions are for its members; the paid order is accepted or rejected
// with a required reason there.
func TestSellerOrderConsoleNeedsMembership(t *testing.T) {
	e := setupOrders(t)
	pid, sku := e.product("家用铸铁炖锅 24 厘米", "home-kitchenware", 12990, 10)
	c, _ := e.signUp("shopper@example.cn", "张小明")
	confirm := e.addAndConfirm(c, pid, sku, "1")
	oid := submatch(t, orderIDRe, e.post(c, "/checkout/place", placeValues(t, confirm, true)).path)
	o, err := e.orders.Get(e.as(ownerAccount(t, e.orgEnv, "shopper@example.cn")), oid)
	if err != nil {
		t.Fatal(err)
	}

	// A consumer, even the buyer, is not a member: 404.
	for _, path := range []string{"/orgs/" + e.orgID + "/orders", "/orgs/" + e.orgID + "/orders/" + oid, "/orgs/" + e.orgID + "/orders/" + oid + "/reject"} {
		if p := e.get(c, path); p.status != http.StatusNotFound {
			t.Errorf("%s for a consumer: %d", path, p.status)
		}
	}
	list := e.get(c, "/orders")
	if p := e.post(c, "/orgs/"+e.orgID+"/orders/"+oid+"/accept", url.Values{"csrf_token": {csrf(t, list.body)}}); p.status != http.StatusNotFound {
		t.Errorf("accept by a consumer: %d", p.status)
	}

	owner := e.browser()
	if p := e.post(owner, "/login", url.Values{"login": {"owner@example.cn"}, "password": {password}}); p.path != "/home" {
		t.Fatalf("owner login at %s", p.path)
	}
	sl := e.get(owner, "/orgs/"+e.orgID+"/orders")
	if sl.status != http.StatusOK {
		t.Fatalf("seller list: %d", sl.status)
	}
	mustContain(t, sl.body, o.Number, "待付款", "家用铸铁炖锅 24 厘米", "张*")
	mustNotContain(t, sl.body, "张小明", "13912345678")
	if p := e.get(owner, "/orgs/"+e.orgID+"/orders?status=paid"); !regexp.MustCompile(`没有符合条件的订单`).MatchString(p.body) {
		t.Error("the paid filter shows an unpaid order")
	}

	// Paid (as the payments domain would), the order waits for the seller.
	if err := e.db.InTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		_, err := e.orders.FireTx(ctx, tx, oid, order.EvPay, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	detail := e.get(owner, "/orgs/"+e.orgID+"/orders/"+oid)
	mustContain(t, detail.body, "买家已付款，等待您接单", "接单", "拒绝接单", "北京市朝阳区")
	mustNotContain(t, detail.body, "13912345678")
	form := e.get(owner, "/orgs/"+e.orgID+"/orders/"+oid+"/reject")
	mustContain(t, form.body, "全额退款", `name="reason"`)
	empty := e.post(owner, "/orgs/"+e.orgID+"/orders/"+oid+"/reject", url.Values{"csrf_token": {csrf(t, form.body)}, "reason": {""}})
	if empty.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a reason: %d", empty.status)
	}
	mustContain(t, empty.body, "请说明拒绝接单的原因")
	if x, _ := e.orders.Get(e.owner, oid); x.Status != order.Paid {
		t.Fatalf("after an empty reason the order is %s", x.Status)
	}
	accepted := e.post(owner, "/orgs/"+e.orgID+"/orders/"+oid+"/accept", url.Values{"csrf_token": {csrf(t, detail.body)}, "from": {"detail"}})
	mustContain(t, accepted.body, "已接单", "商家已接单")
	if x, _ := e.orders.Get(e.owner, oid); x.Status != order.Accepted {
		t.Fatalf("after accepting the order is %s", x.Status)
	}
	// Accepting twice is refused with the reason, not a crash.
	twice := e.post(owner, "/orgs/"+e.orgID+"/orders/"+oid+"/accept", url.Values{"csrf_token": {csrf(t, detail.body)}})
	if twice.status != http.StatusConflict {
		t.Fatalf("second accept: %d", twice.status)
	}
	// The consumer's own admin search is the 404 page.
	if p := e.get(c, "/admin/orders"); p.status != http.StatusNotFound {
		t.Errorf("admin orders for a consumer: %d", p.status)
	}
}

// TestTermsPage: the terms every contract points at are readable, and an
// unknown version is not found.
func TestTermsPage(t *testing.T) {
	e := setupOrders(t)
	cur := order.CurrentTerms()
	p := e.get(e.browser(), "/terms/transaction/"+cur.Version)
	mustContain(t, p.body, "平台交易规则", cur.Version, cur.SHA256(), "现行版本")
	if p := e.get(e.browser(), "/terms/transaction/1999-01-01"); p.status != http.StatusNotFound {
		t.Fatalf("unknown terms version: %d", p.status)
	}
	en := e.get(e.browser(), "/terms/transaction/"+cur.Version+"?lang=en")
	mustContain(t, en.body, "Transaction terms", "gbmall transaction terms")
}

// TestAdminOrderSearch: platform staff search every order with or without
// filters (each search audited by the service); a seller is not staff.
func TestAdminOrderSearch(t *testing.T) {
	e := setupOrders(t)
	pid, sku := e.product("家用铸铁炖锅 24 厘米", "home-kitchenware", 12990, 10)
	c, _ := e.signUp("shopper@example.cn", "张小明")
	confirm := e.addAndConfirm(c, pid, sku, "1")
	oid := submatch(t, orderIDRe, e.post(c, "/checkout/place", placeValues(t, confirm, true)).path)
	o, err := e.orders.Get(e.as(ownerAccount(t, e.orgEnv, "shopper@example.cn")), oid)
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.ids.CreateOperator(context.Background(), "admin@example.cn", password, "平台管理员", []identity.Role{identity.RoleAdmin}, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.loginOperator("admin@example.cn", op.TOTPSecret)
	mustContain(t, e.get(admin, "/home").body, `href="/admin/orders"`)
	before := auditCount(t, e.db, "order.search")
	all := e.get(admin, "/admin/orders")
	if all.status != http.StatusOK {
		t.Fatalf("unfiltered search: %d\n%s", all.status, all.body)
	}
	mustContain(t, all.body, o.Number, "优选好物旗舰店", "待付款", "每次查询和查看订单都会记入审计日志")
	byNumber := e.get(admin, "/admin/orders?number="+o.Number+"&seller="+e.orgID+"&status=awaiting_payment")
	mustContain(t, byNumber.body, o.Number)
	refunds := e.get(admin, "/admin/orders?refund_due=1")
	mustNotContain(t, refunds.body, o.Number)
	mustContain(t, refunds.body, "没有符合条件的订单")
	if got := auditCount(t, e.db, "order.search") - before; got != 3 {
		t.Fatalf("searches audited: %d, want 3", got)
	}
	owner := e.browser()
	if p := e.post(owner, "/login", url.Values{"login": {"owner@example.cn"}, "password": {password}}); p.path != "/home" {
		t.Fatalf("owner login at %s", p.path)
	}
	if p := e.get(owner, "/admin/orders"); p.status != http.StatusNotFound {
		t.Fatalf("admin orders for a seller: %d", p.status)
	}
}

package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/inventory"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/web"
)

// sellerEnv is the web shell with organisations, catalogue and inventory.
type sellerEnv struct {
	*orgEnv
	catalog *catalog.Service
}

func setupSellerConsole(t *testing.T, d *db.DB) *sellerEnv {
	t.Helper()
	keys, err := fieldcrypt.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	trail := audit.New(clk)
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	ids := identity.NewService(d, clk, keys, trail, cfg)
	docs := document.NewStore(d, trail, clk, t.TempDir())
	orgs := org.NewService(d, clk, keys, trail, ids, docs)
	cat := catalog.NewService(d, clk, trail, orgs)
	inv := inventory.NewService(d, clk, trail, keys)
	cat.Stock = inv
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Orgs: orgs, Documents: docs, Catalog: cat, Inventory: inv,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &sellerEnv{orgEnv: &orgEnv{env: &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}, orgs: orgs, docs: docs}, catalog: cat}
}

// sellerLogin signs login in through the login page.
func (e *sellerEnv) sellerLogin(login string) *http.Client {
	e.t.Helper()
	c := e.browser()
	if p := e.post(c, "/login", url.Values{"login": {login}, "password": {password}}); p.path != "/home" {
		e.t.Fatalf("%s login ended at %s", login, p.path)
	}
	return c
}

var productPathRe = regexp.MustCompile(`^/orgs/[0-9a-f-]{36}/products/([0-9a-f-]{36})`)

// newProduct fills in the create form and returns the product page.
func (e *sellerEnv) newProduct(c *http.Client, orgID, title, category string) page {
	e.t.Helper()
	form := e.get(c, "/orgs/"+orgID+"/products/new")
	if form.status != http.StatusOK {
		e.t.Fatalf("new product form: %d", form.status)
	}
	return e.post(c, "/orgs/"+orgID+"/products/new", url.Values{"csrf_token": {csrf(e.t, form.body)},
		"title": {title}, "category_id": {category}, "description": {"<p>铸铁材质，受热均匀。</p>"},
		"standard_code": {"GB/T 32388-2015"}, "sku_code_0": {"POT-24"}, "sku_attrs_0": {"尺寸=24cm;颜色=黑"}, "sku_price_0": {"129.9"},
		"sku_code_2": {"POT-28"}, "sku_price_2": {"1,299.05"}})
}

func TestSellerConsoleProductSupplierReceiptStock(t *testing.T) {
	e := setupSellerConsole(t, dbtest.SQLite(t))
	orgID, _ := e.approvedSeller("owner@example.cn")
	c := e.sellerLogin("owner@example.cn")

	home := e.get(c, "/home")
	mustContain(t, home.body, `href="/orgs/`+orgID+`/products"`)

	// Create through the form: prices typed in yuan become exact fen.
	p := e.newProduct(c, orgID, "家用铸铁炖锅 24 厘米", "home-kitchenware")
	m := productPathRe.FindStringSubmatch(p.path)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("create: %d at %s\n%s", p.status, p.path, p.body)
	}
	pid := m[1]
	mustContain(t, p.body, "家用铸铁炖锅 24 厘米", "草稿", "¥129.90", "¥1299.05", "尺寸=24cm;颜色=黑", "商品已保存为草稿")
	prod, err := e.catalog.Product(e.as(ownerAccount(t, e.orgEnv, "owner@example.cn")), pid)
	if err != nil {
		t.Fatal(err)
	}
	prices := map[string]int64{}
	for _, k := range prod.SKUs {
		prices[k.Code] = k.Price.Amount
	}
	if prices["POT-24"] != 12990 || prices["POT-28"] != 129905 || len(prices) != 2 {
		t.Fatalf("prices in fen: %v", prices)
	}

	// List it.
	lp := e.post(c, "/orgs/"+orgID+"/products/"+pid+"/list", url.Values{"csrf_token": {csrf(t, p.body)}})
	if lp.status != http.StatusOK {
		t.Fatalf("list: %d\n%s", lp.status, lp.body)
	}
	mustContain(t, lp.body, "商品已上架", "在售")
	list := e.get(c, "/orgs/"+orgID+"/products?status=listed")
	mustContain(t, list.body, "家用铸铁炖锅 24 厘米", "¥129.90")
	if drafts := e.get(c, "/orgs/"+orgID+"/products?status=draft"); strings.Contains(drafts.body, "家用铸铁炖锅") {
		t.Fatal("listed product shown under drafts")
	}

	// Change a price; the history shows it.
	var skuID string
	for _, k := range prod.SKUs {
		if k.Code == "POT-24" {
			skuID = k.ID
		}
	}
	pp := e.post(c, "/orgs/"+orgID+"/products/"+pid+"/skus/"+skuID+"/price", url.Values{"csrf_token": {csrf(t, p.body)}, "price": {"119.00"}})
	mustContain(t, pp.body, "价格已更新", "¥119.00")
	// A reference price with no sales is refused next to the field.
	rp := e.post(c, "/orgs/"+orgID+"/products/"+pid+"/skus/"+skuID+"/price", url.Values{"csrf_token": {csrf(t, p.body)},
		"price": {"109.00"}, "reference_price": {"199.00"}})
	if rp.status != http.StatusUnprocessableEntity {
		t.Fatalf("reference price: %d", rp.status)
	}
	mustContain(t, rp.body, "不能标示划线价", `id="reference_price-error"`)
	// A float-looking price with three decimals is a field error.
	bad := e.post(c, "/orgs/"+orgID+"/products/"+pid+"/skus/"+skuID+"/price", url.Values{"csrf_token": {csrf(t, p.body)}, "price": {"1.005"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="price-error"`) {
		t.Fatalf("bad price: %d", bad.status)
	}

	// File a supplier; field errors first.
	sp := e.get(c, "/orgs/"+orgID+"/suppliers")
	tok := csrf(t, sp.body)
	se := e.post(c, "/orgs/"+orgID+"/suppliers", url.Values{"csrf_token": {tok}, "name": {"X"}, "uscc": {"123"},
		"contact_name": {"张三"}, "contact_mobile": {"123"}, "lic_type": {"business_license"}, "lic_number": {""}, "lic_valid_until": {"2020-01-01"}})
	if se.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad supplier: %d", se.status)
	}
	mustContain(t, se.body, `id="name-error"`, `id="uscc-error"`, `id="contact_mobile-error"`, `id="lic_number-error"`, `id="lic_valid_until-error"`)
	supUSCC := cnid.MakeUSCC("9144030071526726")
	sok := e.post(c, "/orgs/"+orgID+"/suppliers", url.Values{"csrf_token": {tok}, "name": {"佛山市好锅厨具有限公司"}, "uscc": {supUSCC},
		"contact_name": {"张三"}, "contact_mobile": {"13900139000"}, "lic_type": {"business_license"}, "lic_number": {"440600000123456"},
		"lic_valid_until": {e.day(365)}})
	if sok.status != http.StatusOK {
		t.Fatalf("file supplier: %d\n%s", sok.status, sok.body)
	}
	mustContain(t, sok.body, "供应商已登记", "佛山市好锅厨具有限公司", supUSCC, "有效")
	mustNotContain(t, sok.body, "13900139000")

	// Register a passed receipt and see the stock.
	st := e.get(c, "/orgs/"+orgID+"/stock")
	supID := regexp.MustCompile(`<option value="([0-9a-f-]{36})">佛山市好锅厨具有限公司`).FindStringSubmatch(st.body)
	if supID == nil {
		t.Fatalf("no supplier option\n%s", st.body)
	}
	rc := e.post(c, "/orgs/"+orgID+"/stock/receipts", url.Values{"csrf_token": {csrf(t, st.body)}, "sku_id": {skuID}, "supplier_id": {supID[1]},
		"quantity": {"40"}, "batch": {"B20261101"}, "produced_on": {e.day(-30)}, "inspection": {"pass"}})
	if rc.status != http.StatusOK {
		t.Fatalf("receipt: %d\n%s", rc.status, rc.body)
	}
	mustContain(t, rc.body, "进货已登记", "B20261101", "合格", `<td class="num"><strong>40</strong></td>`)
	ledger := e.get(c, "/orgs/"+orgID+"/stock/"+skuID)
	mustContain(t, ledger.body, "进货入库", "+40")

	// Adjust and count: the variance is shown after booking.
	adj := e.post(c, "/orgs/"+orgID+"/stock/adjust", url.Values{"csrf_token": {csrf(t, st.body)}, "sku_id": {skuID}, "delta": {"-2"}, "reason": {"运输破损"}})
	mustContain(t, adj.body, "库存调整已记入台账", "运输破损", "-2")
	cnt := e.post(c, "/orgs/"+orgID+"/stock/count", url.Values{"csrf_token": {csrf(t, st.body)}, "counter_name": {"仓管小李"}, "counted_" + skuID: {"35"}})
	if cnt.status != http.StatusOK {
		t.Fatalf("count: %d\n%s", cnt.status, cnt.body)
	}
	mustContain(t, cnt.body, "盘点已记录", "仓管小李", `<span class="seller-minus">-3</span>`)

	// A failed receipt needs notes and is quarantined.
	fr := e.post(c, "/orgs/"+orgID+"/stock/receipts", url.Values{"csrf_token": {csrf(t, st.body)}, "sku_id": {skuID}, "supplier_id": {supID[1]},
		"quantity": {"5"}, "batch": {"B2"}, "inspection": {"fail"}})
	if fr.status != http.StatusUnprocessableEntity || !strings.Contains(fr.body, `id="inspection_notes-error"`) {
		t.Fatalf("failed receipt without notes: %d", fr.status)
	}
}

// ownerAccount is the account id of login (an existing account).
func ownerAccount(t *testing.T, e *orgEnv, login string) string {
	t.Helper()
	accountID, _, err := e.ids.EnsureAccount(context.Background(), login, password, "店主")
	if err != nil {
		t.Fatal(err)
	}
	return accountID
}

func TestSellerConsoleProhibitedClaimAndMissingLicence(t *testing.T) {
	e := setupSellerConsole(t, dbtest.SQLite(t))
	orgID, _ := e.approvedSeller("owner@example.cn")
	c := e.sellerLogin("owner@example.cn")

	p := e.newProduct(c, orgID, "最佳铸铁炖锅 24 厘米", "home-kitchenware")
	if m := productPathRe.FindStringSubmatch(p.path); m == nil {
		t.Fatalf("create: %d at %s\n%s", p.status, p.path, p.body)
	}
	lp := e.post(c, p.path[:strings.Index(p.path, "?")]+"/list", url.Values{"csrf_token": {csrf(t, p.body)}})
	if lp.status != http.StatusUnprocessableEntity {
		t.Fatalf("list with 最佳: %d", lp.status)
	}
	mustContain(t, lp.body, "不能上架：含有禁用宣传用语", `<mark class="seller-claim">最佳</mark>`)

	f := e.newProduct(c, orgID, "原味燕麦片 500 克", "food-snacks")
	lf := e.post(c, f.path[:strings.Index(f.path, "?")]+"/list", url.Values{"csrf_token": {csrf(t, f.body)}})
	if lf.status == http.StatusOK {
		t.Fatal("listed food without a food business licence")
	}
	mustContain(t, lf.body, "不能上架：缺少类目资质", "food_business_license")
}

func TestSellerConsoleOtherSellerGetsNotFound(t *testing.T) {
	e := setupSellerConsole(t, dbtest.SQLite(t))
	orgID, _ := e.approvedSeller("owner@example.cn")
	c := e.sellerLogin("owner@example.cn")
	p := e.newProduct(c, orgID, "家用铸铁炖锅 24 厘米", "home-kitchenware")
	m := productPathRe.FindStringSubmatch(p.path)
	if m == nil {
		t.Fatalf("create: %d at %s", p.status, p.path)
	}

	other, _ := e.signUp("other@example.cn", "别家店主")
	otherID, _ := e.createOrg(other, "别家小店", otherUSCC)
	// The other seller's own console works …
	if own := e.get(other, "/orgs/"+otherID+"/products"); own.status != http.StatusOK {
		t.Fatalf("own products: %d", own.status)
	}
	// … but every page of the first seller is not found.
	for _, path := range []string{"/orgs/" + orgID + "/products", "/orgs/" + orgID + "/products/new", "/orgs/" + orgID + "/products/" + m[1],
		"/orgs/" + otherID + "/products/" + m[1], "/orgs/" + orgID + "/suppliers", "/orgs/" + orgID + "/stock"} {
		if g := e.get(other, path); g.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, g.status)
		}
	}
	tok := csrf(t, e.get(other, "/orgs/"+otherID+"/products").body)
	for _, path := range []string{"/orgs/" + orgID + "/products/new", "/orgs/" + orgID + "/products/" + m[1] + "/list",
		"/orgs/" + orgID + "/suppliers", "/orgs/" + orgID + "/stock/receipts"} {
		if g := e.post(other, path, url.Values{"csrf_token": {tok}, "title": {"偷偷发布"}}); g.status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, g.status)
		}
	}
	// A consumer gets 404 too.
	consumer, _ := e.signUp("buyer@example.cn", "买家")
	if g := e.get(consumer, "/orgs/"+orgID+"/stock"); g.status != http.StatusNotFound {
		t.Errorf("consumer: %d", g.status)
	}
}

func TestParseYuanIsExact(t *testing.T) {
	for _, tc := range []struct {
		in  string
		fen int64
		ok  bool
	}{{"0.1", 10, true}, {"0.29", 29, true}, {"19.99", 1999, true}, {"¥1,234.5", 123450, true}, {"100", 10000, true},
		{"1.005", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"abc", 0, false}} {
		got, ok := web.ParseYuanForTest(tc.in)
		if ok != tc.ok || got != tc.fen {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.fen, tc.ok)
		}
	}
}

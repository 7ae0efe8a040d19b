package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/web"
)

// storeEnv is the web shell with the catalogue, and one approved seller
// whose owner acts through owner.
type storeEnv struct {
	*orgEnv
	cat    *catalog.Service
	orgID  string
	owner  context.Context
	others int
}

func setupStore(t *testing.T) *storeEnv {
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
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Orgs: orgs, Catalog: cat,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &storeEnv{orgEnv: &orgEnv{env: &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}, orgs: orgs}, cat: cat}
	e.orgID, _ = e.approvedSeller("owner@example.cn")
	ownerID, _, err := ids.EnsureAccount(context.Background(), "owner@example.cn", password, "店主")
	if err != nil {
		t.Fatal(err)
	}
	e.owner = e.as(ownerID)
	return e
}

// listed creates and lists a product with one SKU per price, with stock
// on the first.
func (e *storeEnv) listed(category, title string, prices ...int64) *catalog.Product {
	e.t.Helper()
	var skus []catalog.SKUInput
	for i, p := range prices {
		skus = append(skus, catalog.SKUInput{Code: "SKU-" + string(rune('A'+i)), Attributes: map[string]string{"颜色": string([]rune("白黑蓝红")[i%4])},
			Price: catalog.CNY(p)})
	}
	p, err := e.cat.CreateProduct(e.owner, e.orgID, catalog.ProductInput{Title: title, CategoryID: category,
		Description: "<p>" + title + "，<strong>品质可靠</strong>。</p>", SKUs: skus})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.cat.List(e.owner, p.ID); err != nil || p.Status != catalog.StatusListed {
		e.t.Fatalf("list %s: %v", title, err)
	}
	if _, err := e.db.WritePool().ExecContext(context.Background(), `INSERT INTO stock_levels (sku_id, on_hand, reserved) VALUES ($1, 8, 0)`, p.SKUs[0].ID); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestStorefrontHomeListsListedProducts(t *testing.T) {
	e := setupStore(t)
	shirt := e.listed("apparel-mens", "纯棉男士衬衫", 12900, 9900)
	gone := e.listed("home-textiles", "真丝四件套", 59900)
	if _, err := e.cat.Delist(e.owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	p := e.get(e.browser(), "/")
	if p.status != http.StatusOK {
		t.Fatalf("home: %d", p.status)
	}
	mustContain(t, p.body, `action="/search"`, `href="/c/apparel"`, "服饰鞋包", "按上架时间排序（非个性化推荐）",
		`href="/p/`+shirt.ID+`"`, "纯棉男士衬衫", "¥99.00", "优选好物旗舰店", `href="/shops/`+e.orgID+`"`)
	mustNotContain(t, p.body, "真丝四件套", gone.ID)
	// Signed-in people keep their home at "/" and find the shop at /shop.
	c, _ := e.signUp("buyer@example.com", "买家")
	if p := e.get(c, "/"); p.path != "/home" {
		t.Errorf("signed in: / went to %s", p.path)
	}
	p = e.get(c, "/shop")
	mustContain(t, p.body, `href="/shop" aria-current="page"`, "纯棉男士衬衫")
}

func TestStorefrontSearch(t *testing.T) {
	e := setupStore(t)
	shirt := e.listed("apparel-mens", "纯棉男士衬衫", 12900, 9900)
	e.listed("home-textiles", "纯棉四件套 1.8 米", 25900)
	gone := e.listed("apparel-mens", "男士衬衫（旧款）", 5900)
	if _, err := e.cat.Delist(e.owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, query    string
		status         int
		want, unwanted []string
	}{
		{"two-character substring", "q=衬衫", 200, []string{`href="/p/` + shirt.ID + `"`, "纯棉男士衬衫", "有货", `<option value="relevance" selected>`}, []string{"四件套", gone.ID, "旧款"}},
		{"price range", "q=纯棉&min=200&max=300", 200, []string{"纯棉四件套"}, []string{"纯棉男士衬衫"}},
		{"category with subcategories", "category=apparel", 200, []string{"纯棉男士衬衫"}, []string{"纯棉四件套"}},
		{"nothing found", "q=不存在的商品", 200, []string{"没有找到符合条件的商品"}, []string{"store-card", "请修正"}},
		{"bad price shows the field", "q=纯棉&min=abc", 400, []string{"请输入金额，如 59.90", "请修正上面标出的筛选条件", `aria-invalid="true"`}, []string{"store-card"}},
		{"min above max", "min=300&max=100", 400, []string{"价格上限不正确"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(e.browser(), "/search?"+tc.query)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d", p.status, tc.status)
			}
			mustContain(t, p.body, tc.want...)
			mustNotContain(t, p.body, tc.unwanted...)
		})
	}
	// Price order, then the cursor to the next page.
	p := e.get(e.browser(), "/search?q=纯棉&sort=price_desc")
	if i, j := strings.Index(p.body, "纯棉四件套"), strings.Index(p.body, "纯棉男士衬衫"); i < 0 || j < 0 || i > j {
		t.Errorf("price_desc order wrong: %d %d", i, j)
	}
}

func TestStorefrontPagination(t *testing.T) {
	e := setupStore(t)
	for i := range 21 {
		e.listed("apparel-mens", "男士衬衫 "+string(rune('A'+i)), 10000+int64(i))
		e.clk.Advance(time.Second)
	}
	p := e.get(e.browser(), "/search?sort=newest")
	if n := strings.Count(p.body, `class="store-card"`); n != 20 {
		t.Fatalf("first page: %d cards", n)
	}
	next := between(p.body, `href="`, `" rel="next"`)
	if !strings.HasPrefix(next, "/search?") || !strings.Contains(next, "cursor=") {
		t.Fatalf("next link %q", next)
	}
	p = e.get(e.browser(), strings.ReplaceAll(next, "&amp;", "&"))
	if n := strings.Count(p.body, `class="store-card"`); n != 1 || !strings.Contains(p.body, "男士衬衫 A") {
		t.Fatalf("second page: %d cards", n)
	}
	mustContain(t, p.body, "回到第一页")
	mustNotContain(t, p.body, `rel="next"`)
	if p := e.get(e.browser(), "/search?cursor=nonsense"); p.status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", p.status)
	}
}

// between returns the text of s between the first from and the next to.
func between(s, from, to string) string {
	j := strings.Index(s, to)
	if j < 0 {
		return ""
	}
	i := strings.LastIndex(s[:j], from)
	if i < 0 {
		return ""
	}
	return s[i+len(from) : j]
}

func TestStorefrontShowsReferencePrice(t *testing.T) {
	e := setupStore(t)
	shirt := e.listed("apparel-mens", "纯棉男士衬衫", 12900)
	// A sale at 129.00 lets the seller show it as the 原价 of a lower price (R-6.4-9).
	if _, err := e.db.WritePool().ExecContext(context.Background(), `INSERT INTO sku_sales (id, sku_id, order_id, unit_price_fen, quantity, sold_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, "sale-1", shirt.SKUs[0].ID, "order-1", 12900, 1, e.clk.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	ref := catalog.CNY(12900)
	if _, err := e.cat.SetPrice(e.owner, shirt.SKUs[0].ID, catalog.PriceInput{Price: catalog.CNY(9900), ReferencePrice: &ref}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/search?q=衬衫", "/p/" + shirt.ID} {
		p := e.get(e.browser(), path)
		mustContain(t, p.body, "¥99.00", "原价 <s>¥129.00</s>")
	}
}

func TestStorefrontCategoryPage(t *testing.T) {
	e := setupStore(t)
	e.listed("apparel-mens", "纯棉男士衬衫", 12900)
	e.listed("home-textiles", "纯棉四件套", 25900)
	p := e.get(e.browser(), "/c/apparel")
	mustContain(t, p.body, "服饰鞋包", `href="/c/apparel-mens"`, "纯棉男士衬衫", `action="/c/apparel"`, `<option value="newest" selected>`)
	mustNotContain(t, p.body, "纯棉四件套")
	p = e.get(e.browser(), "/c/apparel-mens")
	mustContain(t, p.body, `aria-label="当前位置"`, `<li><a href="/c/apparel">服饰鞋包</a></li>`, `<li aria-current="page">男装</li>`, "纯棉男士衬衫")
	if p := e.get(e.browser(), "/c/no-such"); p.status != http.StatusNotFound {
		t.Errorf("unknown category: %d", p.status)
	}
}

func TestStorefrontProductPage(t *testing.T) {
	e := setupStore(t)
	shirt := e.listed("apparel-mens", "纯棉男士衬衫", 12900, 9900)
	soft := e.listed("digital-software", "办公软件授权", 19900)
	p := e.get(e.browser(), "/p/"+shirt.ID)
	if p.status != http.StatusOK {
		t.Fatalf("product: %d", p.status)
	}
	mustContain(t, p.body, "<h1 class=\"store-product-title\">纯棉男士衬衫</h1>", "支持7天无理由退货",
		`href="/shops/`+e.orgID+`/licence">查看营业执照与资质</a>`, `href="/shops/`+e.orgID+`">优选好物旗舰店</a>`,
		`type="radio" name="sku" value="`+shirt.SKUs[0].ID+`"`, "颜色：白", "¥129.00", "¥99.00", "库存 8 件",
		"<strong>品质可靠</strong>", "加入购物车", "disabled", `action="/cart/items"`, `name="quantity"`)
	mustNotContain(t, p.body, "不支持7天无理由退货")
	// The SKU without stock cannot be chosen.
	mustContain(t, p.body, `value="`+shirt.SKUs[1].ID+`" disabled`)

	p = e.get(e.browser(), "/p/"+soft.ID)
	mustContain(t, p.body, "不支持7天无理由退货")

	en := e.get(e.browser(), "/p/"+shirt.ID+"?lang=en")
	mustContain(t, en.body, `<html lang="en">`, "7-day no-reason returns accepted", "View business licence and qualifications",
		"Add to cart", "Men&#39;s clothing")
	mustNotContain(t, en.body, "支持7天无理由退货")

	// A delisted product is not found by visitors.
	if _, err := e.cat.Delist(e.owner, shirt.ID); err != nil {
		t.Fatal(err)
	}
	if p := e.get(e.browser(), "/p/"+shirt.ID); p.status != http.StatusNotFound {
		t.Errorf("delisted product: %d", p.status)
	}
	if p := e.get(e.browser(), "/p/nonexistent"); p.status != http.StatusNotFound {
		t.Errorf("unknown product: %d", p.status)
	}
}

func TestStorefrontShopPage(t *testing.T) {
	e := setupStore(t)
	shirt := e.listed("apparel-mens", "纯棉男士衬衫", 12900)
	gone := e.listed("home-textiles", "真丝四件套", 59900)
	if _, err := e.cat.Delist(e.owner, gone.ID); err != nil {
		t.Fatal(err)
	}
	p := e.get(e.browser(), "/shops/"+e.orgID)
	if p.status != http.StatusOK {
		t.Fatalf("shop: %d", p.status)
	}
	mustContain(t, p.body, "<h1>优选好物旗舰店</h1>", `href="/shops/`+e.orgID+`/licence"`, `href="/p/`+shirt.ID+`"`, "¥129.00")
	mustNotContain(t, p.body, "真丝四件套")
	en := e.get(e.browser(), "/shops/"+e.orgID+"?lang=en")
	mustContain(t, en.body, "Products on sale", "View business licence and qualifications")
	if p := e.get(e.browser(), "/shops/nonexistent"); p.status != http.StatusNotFound {
		t.Errorf("unknown shop: %d", p.status)
	}
}

func TestStorefrontEnglishHome(t *testing.T) {
	e := setupStore(t)
	e.listed("apparel-mens", "纯棉男士衬衫", 12900)
	p := e.get(e.browser(), "/?lang=en")
	mustContain(t, p.body, `<html lang="en">`, "Shop on gbmall", "Apparel, shoes and bags", "Ordered by listing time (not personalised)", "纯棉男士衬衫")
	mustNotContain(t, p.body, "按上架时间排序")
	p = e.get(e.browser(), "/search?q=衬衫&lang=en")
	mustContain(t, p.body, "Results for &#34;衬衫&#34;", "In stock", "Price: low to high")
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
)

// catalogSetup is setup (which wires the catalogue and inventory).
func catalogSetup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	return setup(t, d)
}

// catSeller is an approved seller with its owner's token.
type catSeller struct {
	id, token string
}

var catSellerN int

// approvedSeller onboards a seller through the API: create, business
// licence and the extra licences, submit, reviewer approval.
func (b *bundle) approvedSeller(name, reviewer string, extra ...string) catSeller {
	b.t.Helper()
	catSellerN++
	token := b.consumerToken(fmt.Sprintf("cat-seller-%d@example.cn", catSellerN))
	r := b.do("POST", "/api/v1/organizations", token, orgBody(name, cnid.MakeUSCC(fmt.Sprintf("91110108%08d", 10000000+catSellerN)), validID("11010519800101123")))
	if r.status != 201 {
		b.t.Fatalf("create seller: %d %s", r.status, r.raw)
	}
	orgID := r.body["id"].(string)
	day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
	for _, typ := range append([]string{"business_license"}, extra...) {
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
	return catSeller{id: orgID, token: token}
}

func (b *bundle) adminToken(login string) string {
	b.t.Helper()
	op, err := b.ids.CreateOperator(context.Background(), login, "Str0ng!Passw0rd#2026", "管理员", []identity.Role{identity.RoleAdmin}, "test", false)
	if err != nil {
		b.t.Fatal(err)
	}
	code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
	r := b.login(login, "Str0ng!Passw0rd#2026", code)
	if r.status != 200 {
		b.t.Fatalf("admin login: %s", r.raw)
	}
	return r.body["token"].(string)
}

func productBody(title, category, description string, prices ...int64) string {
	var skus []map[string]any
	for i, p := range prices {
		skus = append(skus, map[string]any{"code": fmt.Sprintf("C-%d", i+1), "attributes": map[string]string{"尺码": fmt.Sprintf("%dL", i+1)},
			"price": map[string]any{"amount": p, "currency": "CNY"}})
	}
	b, _ := json.Marshal(map[string]any{"title": title, "category_id": category, "description": description, "skus": skus})
	return string(b)
}

// newProduct creates a product and returns its id and SKU ids.
func (b *bundle) newProduct(s catSeller, title, category string, prices ...int64) (string, []string) {
	b.t.Helper()
	r := b.do("POST", "/api/v1/organizations/"+s.id+"/products", s.token, productBody(title, category, "<p>"+title+"</p>", prices...))
	if r.status != 201 {
		b.t.Fatalf("create product: %d %s", r.status, r.raw)
	}
	var skus []string
	for _, k := range r.body["skus"].([]any) {
		skus = append(skus, k.(map[string]any)["id"].(string))
	}
	return r.body["id"].(string), skus
}

func listedIDs(r resp) []string {
	var out []string
	xs, _ := r.body["items"].([]any)
	for _, x := range xs {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

func TestCatalogContractFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cat-rev@example.cn")
		seller := b.approvedSeller("好物旗舰店", reviewer)

		cats := b.do("GET", "/api/v1/categories", "", "")
		if cats.status != 200 || !strings.Contains(cats.raw, `"id":"apparel-mens"`) || !strings.Contains(cats.raw, `"required_qualifications":["food_business_license"]`) {
			t.Fatalf("categories: %d %.300s", cats.status, cats.raw)
		}
		r := b.do("POST", "/api/v1/organizations/"+seller.id+"/products", seller.token,
			productBody("纯棉男士休闲衬衫", "apparel-mens", `<p onmouseover="x()">亲肤<b>纯棉</b></p><script>alert(1)</script><style>p{}</style>`, 15900, 12900))
		if r.status != 201 || r.body["status"] != "draft" || len(r.body["skus"].([]any)) != 2 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		desc := r.body["description"].(string)
		if strings.Contains(desc, "script") || strings.Contains(desc, "onmouseover") || strings.Contains(desc, "style") || !strings.Contains(desc, "<b>纯棉</b>") {
			t.Fatalf("description not sanitised: %q", desc)
		}
		productID := r.body["id"].(string)
		skuID := r.body["skus"].([]any)[0].(map[string]any)["id"].(string)
		// Not public before listing.
		if r := b.do("GET", "/api/v1/products/"+productID, "", ""); r.status != 404 {
			t.Fatalf("draft public: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/products/"+productID, b.consumerToken("cat-shopper@example.cn"), ""); r.status != 404 {
			t.Fatalf("draft shown to a consumer: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/products/"+productID, reviewer, ""); r.status != 200 {
			t.Fatalf("draft hidden from platform staff: %d", r.status)
		}
		r = b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, "")
		if r.status != 200 || r.body["status"] != "listed" {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		// Stock arrives (kept by inventory): 5 on hand, 2 reserved.
		if _, err := d.WritePool().Exec(`INSERT INTO stock_levels (sku_id, on_hand, reserved) VALUES ($1, $2, $3)`, skuID, 5, 2); err != nil {
			t.Fatal(err)
		}
		pub := b.do("GET", "/api/v1/products/"+productID, "", "")
		if pub.status != 200 || pub.body["seller_name"] != "好物旗舰店" || pub.body["seller_disclosure_url"] != "/api/v1/public/organizations/"+seller.id ||
			pub.body["seller_licence_url"] != "/shops/"+seller.id+"/licence" || pub.body["category_id"] != "apparel-mens" || pub.body["returnable_7d"] != true {
			t.Fatalf("public page: %d %s", pub.status, pub.raw)
		}
		if mp := pub.body["min_price"].(map[string]any); mp["amount"] != float64(12900) || mp["currency"] != "CNY" {
			t.Fatalf("headline price: %v", mp)
		}
		for _, k := range pub.body["skus"].([]any) {
			k := k.(map[string]any)
			want := k["id"] == skuID
			if (k["stock"] == float64(3)) != want || k["purchasable"] != want {
				t.Fatalf("sku stock/purchasable: %v", k)
			}
		}
		list := b.do("GET", "/api/v1/products?q=衬衫", "", "")
		if ids := listedIDs(list); list.status != 200 || len(ids) != 1 || ids[0] != productID || !strings.Contains(list.raw, `"in_stock":true`) || !strings.Contains(list.raw, `"seller_name":"好物旗舰店"`) {
			t.Fatalf("public list: %d %s", list.status, list.raw)
		}
		// The seller sees its own products in every status.
		mine := b.do("GET", "/api/v1/organizations/"+seller.id+"/products?status=listed", seller.token, "")
		if ids := listedIDs(mine); mine.status != 200 || len(ids) != 1 {
			t.Fatalf("seller list: %d %s", mine.status, mine.raw)
		}
		var audits int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action IN ('product.create', 'product.list')`, productID).Scan(&audits)
		if audits != 2 {
			t.Fatalf("audited: %d", audits)
		}
	})
}

func TestListingRefusalsAndQualifications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cat-rev@example.cn")
		plain := b.approvedSeller("百货店", reviewer)
		productID, _ := b.newProduct(plain, "最佳纯棉四件套", "home-textiles", 19900)
		r := b.do("POST", "/api/v1/products/"+productID+"/list", plain.token, "")
		phrases, _ := r.body["phrases"].([]any)
		if r.status != 422 || r.problemCode() != "prohibited-claim" || len(phrases) != 1 || phrases[0] != "最佳" {
			t.Fatalf("block term: %d %s", r.status, r.raw)
		}
		// Food without the food licence is refused; with it, listed.
		snackID, _ := b.newProduct(plain, "每日坚果混合装", "food-snacks", 5900)
		if r := b.do("POST", "/api/v1/products/"+snackID+"/list", plain.token, ""); r.status != 422 || r.problemCode() != "qualification-missing" || !strings.Contains(r.raw, "food_business_license") {
			t.Fatalf("food without licence: %d %s", r.status, r.raw)
		}
		food := b.approvedSeller("食品店", reviewer, "food_business_license")
		snack2, _ := b.newProduct(food, "每日坚果混合装", "food-snacks", 5900)
		if r := b.do("POST", "/api/v1/products/"+snack2+"/list", food.token, ""); r.status != 200 || r.body["status"] != "listed" {
			t.Fatalf("food with licence: %d %s", r.status, r.raw)
		}
		// A medical claim on food is refused even with the licence.
		bad, _ := b.newProduct(food, "苦瓜茶 降血糖", "food-beverages", 3900)
		if r := b.do("POST", "/api/v1/products/"+bad+"/list", food.token, ""); r.status != 422 || !strings.Contains(r.raw, "降血糖") {
			t.Fatalf("food medical claim: %d %s", r.status, r.raw)
		}
		// Bad input lists every field.
		r = b.do("POST", "/api/v1/organizations/"+plain.id+"/products", plain.token, productBody("短", "food", "", 0), "Accept-Language", "en")
		if r.status != 400 || r.problemCode() != "validation" || len(r.body["errors"].([]any)) < 4 {
			t.Fatalf("invalid product: %d %s", r.status, r.raw)
		}
	})
}

func TestProductReviewAndRemoval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cat-rev@example.cn")
		seller := b.approvedSeller("康复器械店", reviewer, "medical_device_license")
		productID, _ := b.newProduct(seller, "上臂式电子血压计", "medical-devices", 19900)
		if r := b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, ""); r.status != 200 || r.body["status"] != "pending_review" {
			t.Fatalf("review category: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/products?category_id=medical", "", ""); len(listedIDs(r)) != 0 {
			t.Fatalf("pending product listed: %s", r.raw)
		}
		q := b.do("GET", "/api/v1/admin/products?status=pending_review", reviewer, "")
		if q.status != 200 || !strings.Contains(q.raw, productID) {
			t.Fatalf("queue: %d %s", q.status, q.raw)
		}
		if r := b.do("GET", "/api/v1/admin/products", seller.token, ""); r.status != 403 {
			t.Fatalf("seller read the queue: %d", r.status)
		}
		if r := b.do("POST", "/api/v1/admin/products/"+productID+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 || r.body["status"] != "listed" {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/products?category_id=medical", "", ""); len(listedIDs(r)) != 1 {
			t.Fatalf("approved product not in its branch: %s", r.raw)
		}
		// The platform takes it down; relisting goes back to review.
		if r := b.do("POST", "/api/v1/admin/products/"+productID+"/remove", reviewer, `{}`); r.status != 400 {
			t.Fatalf("remove without reason: %d", r.status)
		}
		r := b.do("POST", "/api/v1/admin/products/"+productID+"/remove", reviewer, `{"reason":"未取得医疗器械注册证"}`)
		if r.status != 200 || r.body["status"] != "removed" || r.body["status_reason"] != "未取得医疗器械注册证" {
			t.Fatalf("remove: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/products/"+productID, "", ""); r.status != 404 {
			t.Fatalf("removed product public: %d", r.status)
		}
		if r := b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, ""); r.status != 200 || r.body["status"] != "pending_review" {
			t.Fatalf("relist removed: %d %s", r.status, r.raw)
		}
		r = b.do("POST", "/api/v1/admin/products/"+productID+"/decision", reviewer, `{"decision":"reject","reason":"注册证与商品不符"}`)
		if r.status != 200 || r.body["status"] != "draft" || r.body["status_reason"] != "注册证与商品不符" {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action IN ('product.approve', 'product.remove', 'product.reject')`, productID).Scan(&n)
		if n != 3 {
			t.Fatalf("moderation audited: %d", n)
		}
	})
}

func TestPricesAndReferencePrice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cat-rev@example.cn")
		seller := b.approvedSeller("价格店", reviewer)
		other := b.approvedSeller("隔壁店", reviewer)
		productID, skus := b.newProduct(seller, "纯棉四件套 1.8 米", "home-textiles", 12900, 15900)
		b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, "")
		price := func(sku string, amount, ref int64) string {
			body := map[string]any{"price": map[string]any{"amount": amount, "currency": "CNY"}}
			if ref > 0 {
				body["reference_price"] = map[string]any{"amount": ref, "currency": "CNY"}
			}
			s, _ := json.Marshal(body)
			return string(s)
		}
		sale := func(sku string, fen int64, ago time.Duration) {
			if _, err := d.WritePool().Exec(`INSERT INTO sku_sales (id, sku_id, order_id, unit_price_fen, quantity, sold_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				id.New(), sku, id.New(), fen, 1, b.clock.Now().Add(-ago)); err != nil {
				t.Fatal(err)
			}
		}
		// Never sold: any reference price is refused.
		r := b.do("PUT", "/api/v1/skus/"+skus[0]+"/price", seller.token, price(skus[0], 8900, 9000))
		if r.status != 422 || r.problemCode() != "reference-price-too-high" || !strings.Contains(r.raw, `"max_allowed":null`) {
			t.Fatalf("no sales: %d %s", r.status, r.raw)
		}
		sale(skus[0], 9900, 3*24*time.Hour)
		sale(skus[0], 12000, 24*time.Hour)
		if r := b.do("PUT", "/api/v1/skus/"+skus[0]+"/price", seller.token, price(skus[0], 8900, 9900)); r.status != 200 || r.body["reference_price"].(map[string]any)["amount"] != float64(9900) {
			t.Fatalf("reference 99.00: %d %s", r.status, r.raw)
		}
		r = b.do("PUT", "/api/v1/skus/"+skus[0]+"/price", seller.token, price(skus[0], 8900, 9901))
		if r.status != 422 || r.problemCode() != "reference-price-too-high" || r.body["max_allowed"] != float64(9900) {
			t.Fatalf("reference 99.01: %d %s", r.status, r.raw)
		}
		// Last sale older than 7 days: up to that price.
		sale(skus[1], 15000, 10*24*time.Hour)
		if r := b.do("PUT", "/api/v1/skus/"+skus[1]+"/price", seller.token, price(skus[1], 13900, 15001)); r.status != 422 {
			t.Fatalf("above last sale: %d %s", r.status, r.raw)
		}
		if r := b.do("PUT", "/api/v1/skus/"+skus[1]+"/price", seller.token, price(skus[1], 13900, 15000)); r.status != 200 {
			t.Fatalf("at last sale: %d %s", r.status, r.raw)
		}
		// The headline price follows the cheapest SKU, on the page and in the list.
		if r := b.do("PUT", "/api/v1/skus/"+skus[1]+"/price", seller.token, price(skus[1], 7900, 0)); r.status != 200 || r.body["reference_price"] != nil {
			t.Fatalf("cut price: %d %s", r.status, r.raw)
		}
		page := b.do("GET", "/api/v1/products/"+productID, "", "")
		list := b.do("GET", "/api/v1/products", "", "")
		if page.body["min_price"].(map[string]any)["amount"] != float64(7900) || !strings.Contains(list.raw, `"min_price":{"amount":7900,"currency":"CNY"}`) {
			t.Fatalf("headline price: %s / %s", page.raw, list.raw)
		}
		// Every change is logged with its actor.
		me := b.do("GET", "/api/v1/me", seller.token, "")
		hist := b.do("GET", "/api/v1/skus/"+skus[0]+"/price-history", seller.token, "")
		entries, _ := hist.body["items"].([]any)
		if hist.status != 200 || len(entries) != 2 || entries[0].(map[string]any)["actor_id"] != me.body["id"] || entries[0].(map[string]any)["new_price"].(map[string]any)["amount"] != float64(8900) {
			t.Fatalf("history: %d %s", hist.status, hist.raw)
		}
		if r := b.do("GET", "/api/v1/skus/"+skus[0]+"/price-history", reviewer, ""); r.status != 200 {
			t.Fatalf("platform staff history: %d", r.status)
		}
		// Another seller's staff cannot touch my product or prices: 404.
		if r := b.do("PUT", "/api/v1/products/"+productID, other.token, `{"title":"别人的商品标题","category_id":"home-textiles","description":"x"}`); r.status != 404 {
			t.Fatalf("other seller edits: %d %s", r.status, r.raw)
		}
		if r := b.do("PUT", "/api/v1/skus/"+skus[0]+"/price", other.token, price(skus[0], 100, 0)); r.status != 404 {
			t.Fatalf("other seller prices: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/skus/"+skus[0]+"/price-history", other.token, ""); r.status != 404 {
			t.Fatalf("other seller history: %d", r.status)
		}
		if r := b.do("POST", "/api/v1/products/"+productID+"/delist", other.token, ""); r.status != 404 {
			t.Fatalf("other seller delists: %d", r.status)
		}
	})
}

func TestPublicListExcludesUnsellable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cat-rev@example.cn")
		a := b.approvedSeller("甲店", reviewer)
		c := b.approvedSeller("乙店", reviewer)
		kept, _ := b.newProduct(a, "羊毛围巾 灰色", "apparel-womens", 25900)
		delisted, _ := b.newProduct(a, "羊毛手套 黑色", "apparel-womens", 9900)
		suspended, _ := b.newProduct(c, "羊毛袜子 三双装", "apparel-underwear", 4900)
		for _, p := range []struct{ id, token string }{{kept, a.token}, {delisted, a.token}, {suspended, c.token}} {
			if r := b.do("POST", "/api/v1/products/"+p.id+"/list", p.token, ""); r.status != 200 {
				t.Fatalf("list: %s", r.raw)
			}
		}
		if ids := listedIDs(b.do("GET", "/api/v1/products?sort=price_asc", "", "")); strings.Join(ids, ",") != strings.Join([]string{suspended, delisted, kept}, ",") {
			t.Fatalf("price order: %v", ids)
		}
		if r := b.do("POST", "/api/v1/products/"+delisted+"/delist", a.token, ""); r.status != 200 || r.body["status"] != "delisted" {
			t.Fatalf("delist: %s", r.raw)
		}
		if r := b.do("POST", "/api/v1/admin/organizations/"+c.id+"/suspend", reviewer, `{"reason":"虚假宣传"}`); r.status != 200 {
			t.Fatalf("suspend: %d %s", r.status, r.raw)
		}
		if ids := listedIDs(b.do("GET", "/api/v1/products", "", "")); len(ids) != 1 || ids[0] != kept {
			t.Fatalf("list after delist and suspension: %v", ids)
		}
		if r := b.do("GET", "/api/v1/products/"+suspended, "", ""); r.status != 200 || r.body["purchasable"] != false {
			t.Fatalf("suspended seller's page: %d %s", r.status, r.raw)
		}
		// Filters and paging.
		if ids := listedIDs(b.do("GET", "/api/v1/products?q=手套", "", "")); len(ids) != 0 {
			t.Fatalf("q finds a delisted product: %v", ids)
		}
		if ids := listedIDs(b.do("GET", "/api/v1/products?min_price=30000", "", "")); len(ids) != 0 {
			t.Fatalf("min_price: %v", ids)
		}
		if r := b.do("GET", "/api/v1/products?sort=cheapest", "", ""); r.status != 400 {
			t.Fatalf("bad sort: %d", r.status)
		}
		more, _ := b.newProduct(a, "羊毛围巾 米色", "apparel-womens", 25900)
		b.do("POST", "/api/v1/products/"+more+"/list", a.token, "")
		p1 := b.do("GET", "/api/v1/products?limit=1", "", "")
		next, _ := p1.body["next_cursor"].(string)
		p2 := b.do("GET", "/api/v1/products?limit=1&cursor="+next, "", "")
		if ids1, ids2 := listedIDs(p1), listedIDs(p2); len(ids1) != 1 || len(ids2) != 1 || ids1[0] != more || ids2[0] != kept || p2.body["next_cursor"] != nil {
			t.Fatalf("paging: %s / %s", p1.raw, p2.raw)
		}
	})
}

func TestCatalogAdministrationAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		admin := b.adminToken("cat-admin@example.cn")
		reviewer := b.reviewerToken("cat-rev@example.cn")
		seller := b.approvedSeller("宠物店", reviewer)
		body := `{"id":"pets","name":"宠物用品","name_en":"Pet supplies","returnable_7d":true,"commission_bp":500}`
		if r := b.do("POST", "/api/v1/admin/categories", seller.token, body); r.status != 403 {
			t.Fatalf("seller creates category: %d", r.status)
		}
		if r := b.do("POST", "/api/v1/admin/categories", admin, body); r.status != 201 || r.body["is_leaf"] != true {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		r := b.do("POST", "/api/v1/admin/categories", admin, `{"id":"pets-food","name":"宠物食品","name_en":"Pet food","parent_id":"pets","returnable_7d":true,"commission_bp":400,"required_qualifications":["food_business_license"]}`)
		if r.status != 201 || r.body["parent_id"] != "pets" {
			t.Fatalf("create child: %d %s", r.status, r.raw)
		}
		r = b.do("PUT", "/api/v1/admin/categories/pets", admin, `{"name":"宠物","name_en":"Pets","returnable_7d":true,"commission_bp":450,"review_required":true}`)
		if r.status != 200 || r.body["is_leaf"] != false || r.body["commission_bp"] != float64(450) {
			t.Fatalf("update: %d %s", r.status, r.raw)
		}
		cats := b.do("GET", "/api/v1/categories", "", "")
		if !strings.Contains(cats.raw, `"id":"pets-food","name":"宠物食品","name_en":"Pet food","parent_id":"pets","is_leaf":true,"required_qualifications":["food_business_license"],"prohibited":false,"review_required":true`) {
			t.Fatalf("tree: %s", cats.raw)
		}
		// Claim terms.
		r = b.do("POST", "/api/v1/admin/claim-terms", admin, `{"term":"秒杀全网","action":"block"}`)
		if r.status != 201 {
			t.Fatalf("add term: %d %s", r.status, r.raw)
		}
		termID := r.body["id"].(string)
		productID, _ := b.newProduct(seller, "猫抓板 秒杀全网", "home-cleaning", 2900)
		if r := b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, ""); r.status != 422 || !strings.Contains(r.raw, "秒杀全网") {
			t.Fatalf("new term: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/admin/claim-terms?limit=100", admin, ""); r.status != 200 || !strings.Contains(r.raw, termID) || !strings.Contains(r.raw, "ct-0001") {
			t.Fatalf("list terms: %d %.200s", r.status, r.raw)
		}
		if r := b.do("DELETE", "/api/v1/admin/claim-terms/"+termID, seller.token, ""); r.status != 403 {
			t.Fatalf("seller removes term: %d", r.status)
		}
		if r := b.do("DELETE", "/api/v1/admin/claim-terms/"+termID, admin, ""); r.status != 204 {
			t.Fatalf("remove term: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, ""); r.status != 200 {
			t.Fatalf("after removal: %d %s", r.status, r.raw)
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('category.create', 'category.update', 'claim_term.add', 'claim_term.remove')`).Scan(&n)
		if n != 5 {
			t.Fatalf("admin changes audited: %d", n)
		}
	})
}

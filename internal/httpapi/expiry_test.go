package httpapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// A lapsed food licence takes the seller's food products off sale at once
// (R-6.1-1, R-5.4-8) and the daily job tells the seller; an approved new
// licence brings them back — the organisations issue's expiry check.
func TestExpiredLicenceStopsSalesUntilRenewed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		ctx := context.Background()
		reviewer := b.reviewerToken("exp-rev@example.cn")
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }

		owner := b.consumerToken("exp-owner@example.cn")
		r := b.do("POST", "/api/v1/organizations", owner, orgBody("临期食品店", cnid.MakeUSCC("9111010899990001"), validID("11010519800101123")))
		shop := catSeller{id: r.body["id"].(string), token: owner}
		b.do("POST", "/api/v1/organizations/"+shop.id+"/qualifications", owner, qualBody("business_license", day(-100), day(900)))
		b.do("POST", "/api/v1/organizations/"+shop.id+"/qualifications", owner, qualBody("food_business_license", day(-100), day(5)))
		b.do("POST", "/api/v1/organizations/"+shop.id+"/submit", owner, "")
		if r := b.do("POST", "/api/v1/admin/organizations/"+shop.id+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 {
			t.Fatalf("approve: %s", r.raw)
		}
		food, _ := b.newProduct(shop, "手工牛肉干 五香味 200g", "food-snacks", 3990)
		shirt, _ := b.newProduct(shop, "纯棉圆领T恤 白色", "apparel-mens", 5900)
		for _, p := range []string{food, shirt} {
			if r := b.do("POST", "/api/v1/products/"+p+"/list", owner, ""); r.status != 200 || r.body["status"] != "listed" {
				t.Fatalf("list: %d %s", r.status, r.raw)
			}
		}
		visible := func() []string { return listedIDs(b.do("GET", "/api/v1/products?limit=100", "", "")) }
		if v := visible(); !slices.Contains(v, food) || !slices.Contains(v, shirt) {
			t.Fatalf("both products should be on sale: %v", v)
		}

		// Past the licence's last day, the food product is off sale; the T-shirt is not.
		b.clock.Advance(6 * 24 * time.Hour)
		if err := b.orgs.DailyCheck(ctx, b.clock.Now()); err != nil { // what `gbmall jobs run-due` runs
			t.Fatal(err)
		}
		// Sessions have ended in the meantime: log in again.
		owner = b.login("exp-owner@example.cn", "Str0ng!Passw0rd#2026", "").body["token"].(string)
		reviewer = b.login("exp-rev@example.cn", "Str0ng!Passw0rd#2026", mustCode(t, b, "exp-rev@example.cn")).body["token"].(string)
		if v := visible(); slices.Contains(v, food) || !slices.Contains(v, shirt) {
			t.Fatalf("after expiry: food must be gone, shirt stay: %v", v)
		}
		page := b.do("GET", "/api/v1/products/"+food, "", "")
		for _, s := range page.body["skus"].([]any) {
			if s.(map[string]any)["purchasable"] != false {
				t.Fatalf("expired-licence SKU still purchasable: %s", page.raw)
			}
		}
		if n := b.do("GET", "/api/v1/organizations/"+shop.id+"/notices", owner, ""); !containsAll(n.raw, "qualification.expiry") {
			t.Fatalf("no expiry notice: %s", n.raw)
		}

		// A new licence, once approved, brings the product back.
		r = b.do("POST", "/api/v1/organizations/"+shop.id+"/qualifications", owner, qualBody("food_business_license", day(-1), day(1000)))
		if r.status != 201 {
			t.Fatalf("new licence: %s", r.raw)
		}
		if v := visible(); slices.Contains(v, food) {
			t.Fatal("an unreviewed licence restored sales")
		}
		if r := b.do("POST", "/api/v1/admin/qualifications/"+r.body["id"].(string)+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 {
			t.Fatalf("approve licence: %s", r.raw)
		}
		if v := visible(); !slices.Contains(v, food) {
			t.Fatalf("food not back after renewal: %v", v)
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

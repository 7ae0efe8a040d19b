package httpapi_test

import (
	"context"
	"testing"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// The public product page and list are served from the answer cache, and
// every write shows on the very next anonymous request: through the API,
// through a write outside InTx (as another process makes), and a delisting.
func TestCatalogCacheStaysFresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := catalogSetup(t, d)
		reviewer := b.reviewerToken("cache-rev@example.cn")
		seller := b.approvedSeller("缓存店", reviewer)
		productID, skus := b.newProduct(seller, "缓存测试保温杯", "home-cleaning", 5900)
		if r := b.do("POST", "/api/v1/products/"+productID+"/list", seller.token, ""); r.status != 200 {
			t.Fatalf("list: %s", r.raw)
		}
		page := func() resp {
			t.Helper()
			r := b.do("GET", "/api/v1/products/"+productID, "", "")
			if r.status != 200 {
				t.Fatalf("product page: %d %s", r.status, r.raw)
			}
			return r
		}
		price := func(r resp) float64 { return r.body["min_price"].(map[string]any)["amount"].(float64) }
		listPrice := func() float64 {
			r := b.do("GET", "/api/v1/products?limit=20&q=保温杯", "", "")
			for _, x := range r.body["items"].([]any) {
				if it := x.(map[string]any); it["id"] == productID {
					return it["min_price"].(map[string]any)["amount"].(float64)
				}
			}
			return -1
		}
		for range 3 { // warm the cache
			if p := price(page()); p != 5900 {
				t.Fatalf("price %v", p)
			}
			if p := listPrice(); p != 5900 {
				t.Fatalf("list price %v", p)
			}
		}
		// A price change through the API.
		if r := b.do("PUT", "/api/v1/skus/"+skus[0]+"/price", seller.token, `{"price":{"amount":4900,"currency":"CNY"}}`); r.status != 200 {
			t.Fatalf("set price: %s", r.raw)
		}
		if p := price(page()); p != 4900 {
			t.Fatalf("after the price change the page shows %v", p)
		}
		if p := listPrice(); p != 4900 {
			t.Fatalf("after the price change the list shows %v", p)
		}
		// A write that bypasses InTx, as another process would make it.
		if _, err := d.WritePool().ExecContext(context.Background(), `UPDATE products SET title = $1 WHERE id = $2`, "缓存测试保温杯 新版", productID); err != nil {
			t.Fatal(err)
		}
		if title := page().body["title"]; title != "缓存测试保温杯 新版" {
			t.Fatalf("after an outside write the page shows %v", title)
		}
		// A delisting.
		if r := b.do("POST", "/api/v1/products/"+productID+"/delist", seller.token, ""); r.status != 200 {
			t.Fatalf("delist: %s", r.raw)
		}
		if r := b.do("GET", "/api/v1/products/"+productID, "", ""); r.status != 404 {
			t.Fatalf("delisted product page: %d", r.status)
		}
		if p := listPrice(); p != -1 {
			t.Fatal("delisted product still in the list")
		}
		// The seller (signed in) still sees its delisted product: signed-in
		// requests never get an anonymous answer.
		if r := b.do("GET", "/api/v1/products/"+productID, seller.token, ""); r.status != 200 {
			t.Fatalf("seller's own delisted product: %d", r.status)
		}
	})
}

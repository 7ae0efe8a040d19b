package httpapi_test

import (
	"fmt"
	"testing"
	"time"

	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// Goods past their expiry date stop being sellable at once: the product
// page and the list read sellable stock from inventory (R-6.4-11).
func TestExpiredGoodsAreNotSellable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := invSetup(t, d, true)
		reviewer := b.reviewerToken("sell-rev@example.cn")
		shop := b.approvedSeller("保质期测试店", reviewer)
		product, skus := b.newProduct(shop, "植物配方洗衣凝珠 52 颗", "home-cleaning", 8800)
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
		r := b.do("POST", "/api/v1/organizations/"+shop.id+"/suppliers", shop.token, invSupplierBody(cnid.MakeUSCC("9133010012345678"), day(300)))
		if r.status != 201 {
			t.Fatalf("supplier: %d %s", r.status, r.raw)
		}
		supplier := r.body["id"].(string)
		r = b.do("POST", "/api/v1/organizations/"+shop.id+"/stock-receipts", shop.token, fmt.Sprintf(
			`{"sku_id":%q,"quantity":12,"supplier_id":%q,"batch":"B-001","produced_on":%q,"expires_on":%q,"inspection":{"result":"pass","notes":"外观完好"}}`,
			skus[0], supplier, day(-1), day(2)))
		if r.status != 201 {
			t.Fatalf("receipt: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/products/"+product+"/list", shop.token, ""); r.status != 200 {
			t.Fatalf("list: %s", r.raw)
		}
		stockOf := func() (float64, any) {
			p := b.do("GET", "/api/v1/products/"+product, "", "")
			sku := p.body["skus"].([]any)[0].(map[string]any)
			return sku["stock"].(float64), sku["purchasable"]
		}
		if n, ok := stockOf(); n != 12 || ok != true {
			t.Fatalf("before expiry: stock %v purchasable %v", n, ok)
		}
		b.clock.Advance(3 * 24 * time.Hour)
		if n, ok := stockOf(); n != 0 || ok != false {
			t.Fatalf("after expiry: stock %v purchasable %v", n, ok)
		}
	})
}

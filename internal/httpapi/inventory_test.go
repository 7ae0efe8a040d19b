package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
)

// invSetup is setup, which mounts inventory and the catalogue together as
// in production.
func invSetup(t *testing.T, d *db.DB, _ ...bool) *bundle {
	t.Helper()
	return setup(t, d)
}

// invSeller creates an approved seller with an owner and returns the
// owner's token and the organisation id.
func (b *bundle) invSeller(name string) (string, string) {
	b.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System)
	login := "inv-" + name + "@example.cn"
	accountID, _, err := b.ids.EnsureAccount(ctx, login, "Str0ng!Passw0rd#2026", "卖家"+name)
	if err != nil {
		b.t.Fatal(err)
	}
	var orgID string
	err = b.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if orgID, err = b.ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "店铺"+name, "approved"); err != nil {
			return err
		}
		return b.ids.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleOwner, "")
	})
	if err != nil {
		b.t.Fatal(err)
	}
	r := b.login(login, "Str0ng!Passw0rd#2026", "")
	if r.status != 200 {
		b.t.Fatalf("login %s: %s", login, r.raw)
	}
	return r.body["token"].(string), orgID
}

// invSKU inserts a product with one SKU for orgID, as the catalogue would.
func (b *bundle) invSKU(orgID string) string {
	b.t.Helper()
	catID, productID, skuID := id.New(), id.New(), id.New()
	now := b.clock.Now()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO categories (id, name_zh, name_en, is_leaf, updated_at) VALUES ($1, '测试类目', 'Test category', TRUE, $2)`, []any{catID, now}},
		{`INSERT INTO products (id, organization_id, category_id, title, description_html, status, created_at, updated_at)
			VALUES ($1, $2, $3, '测试商品', '<p>说明</p>', 'draft', $4, $4)`, []any{productID, orgID, catID, now}},
		{`INSERT INTO skus (id, product_id, organization_id, code, attributes, price_fen, created_at, updated_at)
			VALUES ($1, $2, $3, 'S1', '{}', 1990, $4, $4)`, []any{skuID, productID, orgID, now}},
	} {
		if _, err := b.db.WritePool().Exec(q.sql, q.args...); err != nil {
			b.t.Fatal(err)
		}
	}
	return skuID
}

func invSupplierBody(uscc, validUntil string) string {
	v, _ := json.Marshal(map[string]any{"name": "上海某某贸易有限公司", "uscc": uscc,
		"contact":        map[string]any{"name": "赵供货", "mobile": "+86 139 0013 9000"},
		"qualifications": []map[string]any{{"type": "business_license", "number": "310000000001", "valid_until": validUntil}}})
	return string(v)
}

func invFields(r resp) map[string]bool {
	out := map[string]bool{}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			out[m["field"].(string)] = true
		}
	}
	return out
}

func TestInventoryAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := invSetup(t, d)
		day := func(offset int) string {
			return b.clock.Now().In(clock.Shanghai).AddDate(0, 0, offset).Format("2006-01-02")
		}
		seller, orgID := b.invSeller("a")
		other, otherOrg := b.invSeller("b")
		sku := b.invSKU(orgID)
		base := "/api/v1/organizations/" + orgID

		// Supplier filing: every invalid field at once, nothing filed.
		r := b.do("POST", base+"/suppliers", seller, invSupplierBody("91110108567890123X", day(-1)))
		if r.status != 400 || r.problemCode() != "validation" || !invFields(r)["uscc"] || !invFields(r)["qualifications[0].valid_until"] {
			t.Fatalf("bad supplier: %d %s", r.status, r.raw)
		}
		uscc := cnid.MakeUSCC("9131011512345678")
		r = b.do("POST", base+"/suppliers", seller, invSupplierBody(uscc, day(365)))
		if r.status != 201 || r.body["id"] == nil || strings.Contains(r.raw, "13900139000") || !strings.Contains(r.raw, "139****9000") {
			t.Fatalf("file supplier: %d %s", r.status, r.raw)
		}
		supplierID := r.body["id"].(string)
		if r := b.do("POST", base+"/suppliers", seller, invSupplierBody(uscc, day(365))); r.status != 409 || r.problemCode() != "conflict" {
			t.Fatalf("duplicate supplier: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", base+"/suppliers?limit=5", seller, ""); r.status != 200 || !strings.Contains(r.raw, supplierID) {
			t.Fatalf("list suppliers: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/suppliers/"+supplierID, seller, ""); r.status != 200 || r.body["papers_in_force"] != true {
			t.Fatalf("get supplier: %d %s", r.status, r.raw)
		}

		// Purchase registration: passed goods are sellable, failed are not.
		receipt := func(qty int, result, notes, expires string) resp {
			body, _ := json.Marshal(map[string]any{"sku_id": sku, "quantity": qty, "supplier_id": supplierID, "batch": "20261128-A",
				"produced_on": day(-3), "expires_on": expires, "inspection": map[string]any{"result": result, "notes": notes}})
			return b.do("POST", base+"/stock-receipts", seller, string(body))
		}
		r = receipt(10, "pass", "", day(180))
		if r.status != 201 || r.body["state"] != "sellable" || r.body["remaining"] != float64(10) {
			t.Fatalf("receipt: %d %s", r.status, r.raw)
		}
		receiptID := r.body["id"].(string)
		if r := receipt(4, "fail", "标签与实物不符", day(180)); r.status != 201 || r.body["state"] != "quarantined" {
			t.Fatalf("failed receipt: %d %s", r.status, r.raw)
		}
		if r := receipt(4, "pass", "", day(-1)); r.status != 400 || !invFields(r)["expires_on"] {
			t.Fatalf("expired goods: %d %s", r.status, r.raw)
		}
		if r := receipt(4, "maybe", "", day(30)); r.status != 400 || !invFields(r)["inspection.result"] {
			t.Fatalf("unknown inspection result: %d %s", r.status, r.raw)
		}
		r = b.do("GET", "/api/v1/skus/"+sku+"/stock", seller, "")
		if r.status != 200 || r.body["on_hand"] != float64(10) || r.body["reserved"] != float64(0) || r.body["available"] != float64(10) {
			t.Fatalf("stock: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", base+"/stock-receipts?sku_id="+sku, seller, ""); r.status != 200 || len(r.body["items"].([]any)) != 2 {
			t.Fatalf("receipts: %d %s", r.status, r.raw)
		}

		// Adjustments: below zero is a conflict and writes nothing.
		adjust := func(delta int, reason string) resp {
			return b.do("POST", base+"/stock-adjustments", seller, fmt.Sprintf(`{"sku_id":%q,"delta":%d,"reason":%q}`, sku, delta, reason))
		}
		if r := adjust(-11, "报损"); r.status != 409 || r.problemCode() != "conflict" {
			t.Fatalf("adjust below zero: %d %s", r.status, r.raw)
		}
		if r := adjust(-2, "运输破损两件"); r.status != 201 || r.body["stock"].(map[string]any)["available"] != float64(8) {
			t.Fatalf("adjust: %d %s", r.status, r.raw)
		}

		// A stocktake books the variance under the counter's name.
		r = b.do("POST", base+"/stock-counts", seller, fmt.Sprintf(`{"counter_name":"周盘点","lines":[{"sku_id":%q,"counted":7}]}`, sku))
		if r.status != 201 {
			t.Fatalf("count: %d %s", r.status, r.raw)
		}
		line := r.body["lines"].([]any)[0].(map[string]any)
		if line["expected"] != float64(8) || line["counted"] != float64(7) || line["variance"] != float64(-1) {
			t.Fatalf("count line: %s", r.raw)
		}
		if r := b.do("GET", base+"/stock-counts", seller, ""); r.status != 200 || len(r.body["items"].([]any)) != 1 {
			t.Fatalf("counts: %d %s", r.status, r.raw)
		}
		r = b.do("GET", "/api/v1/skus/"+sku+"/ledger?limit=2", seller, "")
		entries, _ := r.body["items"].([]any)
		if r.status != 200 || len(entries) != 2 || r.body["next_cursor"] == nil {
			t.Fatalf("ledger page: %d %s", r.status, r.raw)
		}
		first := entries[0].(map[string]any)
		if first["kind"] != "count" || !strings.Contains(first["reason"].(string), "周盘点") {
			t.Fatalf("newest ledger entry: %s", r.raw)
		}
		r = b.do("GET", "/api/v1/skus/"+sku+"/ledger?limit=2&cursor="+r.body["next_cursor"].(string), seller, "")
		if rest, _ := r.body["items"].([]any); r.status != 200 || len(rest) != 2 || r.body["next_cursor"] != nil {
			t.Fatalf("ledger second page: %d %s", r.status, r.raw)
		}

		// Freeze the batch: it stops selling.
		r = b.do("POST", base+"/batches/"+receiptID+"/freeze", seller, `{"reason":"抽检不合格，暂停销售"}`)
		if r.status != 200 || r.body["state"] != "frozen" {
			t.Fatalf("freeze: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/skus/"+sku+"/stock", seller, ""); r.body["available"] != float64(0) || r.body["on_hand"] != float64(7) {
			t.Fatalf("stock after freeze: %s", r.raw)
		}
		if r := b.do("GET", base+"/batches/"+receiptID+"/orders", seller, ""); r.status != 200 || len(r.body["items"].([]any)) != 0 {
			t.Fatalf("batch orders: %d %s", r.status, r.raw)
		}

		// Another seller's staff and consumers see 404, anonymous callers 401.
		consumer := b.consumerToken("inv-buyer@example.cn")
		for _, tok := range []string{other, consumer} {
			for _, path := range []string{"/api/v1/skus/" + sku + "/stock", "/api/v1/skus/" + sku + "/ledger", "/api/v1/suppliers/" + supplierID,
				base + "/suppliers", base + "/stock-receipts", base + "/stock-counts", base + "/batches/" + receiptID + "/orders"} {
				if r := b.do("GET", path, tok, ""); r.status != 404 || r.problemCode() != "not-found" {
					t.Errorf("GET %s by a stranger: %d %s", path, r.status, r.raw)
				}
			}
			if r := b.do("POST", base+"/stock-adjustments", tok, fmt.Sprintf(`{"sku_id":%q,"delta":5,"reason":"不是我的店"}`, sku)); r.status != 404 {
				t.Errorf("stranger adjusts: %d %s", r.status, r.raw)
			}
		}
		if r := b.do("GET", "/api/v1/skus/"+sku+"/stock", "", ""); r.status != 401 {
			t.Errorf("anonymous stock: %d %s", r.status, r.raw)
		}
		// The other seller cannot book my SKU into its own shop either.
		if r := b.do("POST", "/api/v1/organizations/"+otherOrg+"/stock-adjustments", other, fmt.Sprintf(`{"sku_id":%q,"delta":5,"reason":"借用一下"}`, sku)); r.status != 400 || !invFields(r)["sku_id"] {
			t.Errorf("adjust another shop's sku: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/skus/"+sku+"/stock", seller, ""); r.body["on_hand"] != float64(7) {
			t.Fatalf("strangers changed my stock: %s", r.raw)
		}
		res, err := audit.Verify(context.Background(), d)
		if err != nil || !res.OK() {
			t.Fatalf("audit chain: %+v %v", res, err)
		}
	})
}

func TestInventoryOpenAPI(t *testing.T) {
	b := invSetup(t, dbtest.SQLite(t), true)
	r := b.do("GET", "/api/v1/openapi.json", "", "")
	paths, _ := r.body["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/organizations/{id}/suppliers", "/api/v1/organizations/{id}/stock-receipts", "/api/v1/organizations/{id}/stock-adjustments",
		"/api/v1/skus/{id}/stock", "/api/v1/skus/{id}/ledger", "/api/v1/organizations/{id}/stock-counts", "/api/v1/organizations/{id}/batches/{receipt_id}/freeze"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi lacks %s", p)
		}
	}
}

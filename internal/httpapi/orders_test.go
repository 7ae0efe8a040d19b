package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/order"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

var sellableN int

// sellable lists a product of seller s in a plain category at price fen
// with qty inspected units, all through the API, and returns its SKU id.
func (b *bundle) sellable(s catSeller, title string, price int64, qty int) string {
	b.t.Helper()
	productID, skus := b.newProduct(s, title, "apparel-mens", price)
	if r := b.do("POST", "/api/v1/products/"+productID+"/list", s.token, ""); r.status != 200 || r.body["status"] != "listed" {
		b.t.Fatalf("list: %d %s", r.status, r.raw)
	}
	sellableN++
	r := b.do("POST", "/api/v1/organizations/"+s.id+"/suppliers", s.token, invSupplierBody(cnid.MakeUSCC(fmt.Sprintf("91310108%08d", 20000000+sellableN)), "2030-01-01"))
	if r.status != 201 {
		b.t.Fatalf("supplier: %d %s", r.status, r.raw)
	}
	body, _ := json.Marshal(map[string]any{"sku_id": skus[0], "quantity": qty, "supplier_id": r.body["id"], "batch": "B-1",
		"inspection": map[string]any{"result": "pass", "notes": "外观完好"}})
	if r := b.do("POST", "/api/v1/organizations/"+s.id+"/stock-receipts", s.token, string(body)); r.status != 201 {
		b.t.Fatalf("receipt: %d %s", r.status, r.raw)
	}
	return skus[0]
}

const orderAddress = `{"recipient": "张三", "mobile": "13800138000", "region_code": "110105", "detail": "朝阳区建国路 88 号"}`

func quoteBodyFor(items ...any) string {
	var xs []string
	for i := 0; i+1 < len(items); i += 2 {
		xs = append(xs, fmt.Sprintf(`{"sku_id": %q, "quantity": %d}`, items[i], items[i+1]))
	}
	return `{"items": [` + strings.Join(xs, ", ") + `], "address": ` + orderAddress + `}`
}

// pay fires the payment event as the payments domain will.
func (b *bundle) pay(orderID string) {
	b.t.Helper()
	err := b.db.InTx(audit.WithActor(context.Background(), audit.System), func(ctx context.Context, tx *db.Tx) error {
		_, err := b.orders.FireTx(ctx, tx, orderID, order.EvPay, "")
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// The Orders part of api-contract.md, end to end over HTTP.
func TestOrdersContractFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		reviewer := b.reviewerToken("ord-rev@example.cn")
		s1 := b.approvedSeller("一号旗舰店", reviewer)
		s2 := b.approvedSeller("二号小店", reviewer)
		sku1 := b.sellable(s1, "纯棉男士衬衫", 12900, 5)
		sku2 := b.sellable(s2, "纯羊毛围巾", 5900, 5)
		alice := b.consumerToken("ord-alice@example.cn")
		bob := b.consumerToken("ord-bob@example.cn")

		// Cart: add, change, survives (it is server-side).
		if r := b.do("POST", "/api/v1/cart/items", alice, fmt.Sprintf(`{"sku_id": %q, "quantity": 1}`, sku1)); r.status != 200 {
			t.Fatalf("add to cart: %d %s", r.status, r.raw)
		}
		if r := b.do("PUT", "/api/v1/cart/items/"+sku1, alice, `{"quantity": 2}`); r.status != 200 || !strings.Contains(r.raw, `"quantity":2`) {
			t.Fatalf("cart quantity: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/cart", bob, ""); r.status != 200 || strings.Contains(r.raw, sku1) {
			t.Fatalf("bob's cart: %s", r.raw)
		}
		if r := b.do("GET", "/api/v1/cart", "", ""); r.status != 401 {
			t.Fatalf("anonymous cart: %d", r.status)
		}

		// Quote: per seller, with disclosure link, returnability, terms version.
		q := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku1, 2, sku2, 1))
		if q.status != 200 {
			t.Fatalf("quote: %d %s", q.status, q.raw)
		}
		orders := q.body["orders"].([]any)
		if len(orders) != 2 || q.body["terms_version"] == "" || !strings.Contains(q.raw, `"seller_licence_url":"/shops/`+s1.id+`/licence"`) ||
			!strings.Contains(q.raw, `"returnable_7d":true`) || !strings.Contains(q.raw, `"ships_within_hours":48`) || !strings.Contains(q.raw, `"add_ons":[]`) {
			t.Fatalf("quote body: %s", q.raw)
		}
		quoteID := q.body["quote_id"].(string)
		place := func(token, body string, hdr ...string) resp {
			return b.do("POST", "/api/v1/orders", token, body, hdr...)
		}
		// 400 when terms are not accepted (false, missing, or not a boolean); nothing placed.
		for i, body := range []string{
			`{"quote_id": "` + quoteID + `", "accept_terms": false}`,
			`{"quote_id": "` + quoteID + `"}`,
			`{"quote_id": "` + quoteID + `", "accept_terms": "yes"}`,
		} {
			if r := place(alice, body, "Idempotency-Key", fmt.Sprintf("k-terms-%d", i)); r.status != 400 || r.problemCode() != "validation" {
				t.Fatalf("terms not accepted %s: %d %s", body, r.status, r.raw)
			}
		}
		// The key is required.
		if r := place(alice, `{"quote_id": "`+quoteID+`", "accept_terms": true}`); r.status != 400 || !strings.Contains(r.raw, "Idempotency-Key") {
			t.Fatalf("no key: %d %s", r.status, r.raw)
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n)
		if n != 0 {
			t.Fatal("refused placements wrote orders")
		}
		body := `{"quote_id": "` + quoteID + `", "accept_terms": true}`
		r := place(alice, body, "Idempotency-Key", "checkout-1")
		if r.status != 201 {
			t.Fatalf("place: %d %s", r.status, r.raw)
		}
		placed := r.body["orders"].([]any)
		if len(placed) != 2 {
			t.Fatalf("orders: %s", r.raw)
		}
		o1 := placed[0].(map[string]any)
		if o1["status"] != "awaiting_payment" || o1["number"] == "" || o1["pay_before"] == "" || o1["total"].(map[string]any)["currency"] != "CNY" {
			t.Fatalf("placed order: %v", o1)
		}
		// Replay: same key and body → the first answer, nothing new.
		again := place(alice, body, "Idempotency-Key", "checkout-1")
		if again.status != 201 || again.raw != r.raw {
			t.Fatalf("replay: %d %s", again.status, again.raw)
		}
		_ = d.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n)
		if n != 2 {
			t.Fatalf("replay created orders: %d", n)
		}
		// Another key on the same quote: 409 quote-expired.
		if r := place(alice, body, "Idempotency-Key", "checkout-2"); r.status != 409 || r.problemCode() != "quote-expired" {
			t.Fatalf("reused quote: %d %s", r.status, r.raw)
		}
		// The same key with another body (another quote): 422, nothing placed.
		q3 := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku1, 1))
		if r := place(alice, `{"quote_id": "`+q3.body["quote_id"].(string)+`", "accept_terms": true}`, "Idempotency-Key", "checkout-1"); r.status != 422 || r.problemCode() != "idempotency-key-reused" {
			t.Fatalf("key reused on another quote: %d %s", r.status, r.raw)
		}
		// Stale quote: a price changes after the quote.
		q2 := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku1, 1))
		if r := b.do("PUT", "/api/v1/skus/"+sku1+"/price", s1.token, `{"price": {"amount": 11900, "currency": "CNY"}}`); r.status != 200 {
			t.Fatalf("price change: %d %s", r.status, r.raw)
		}
		if r := place(alice, `{"quote_id": "`+q2.body["quote_id"].(string)+`", "accept_terms": true}`, "Idempotency-Key", "checkout-3"); r.status != 409 || r.problemCode() != "quote-expired" {
			t.Fatalf("stale quote: %d %s", r.status, r.raw)
		}
		// Short stock at quote time: 409 out-of-stock naming the SKU.
		if r := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku2, 5)); r.status != 409 || r.problemCode() != "out-of-stock" || !strings.Contains(r.raw, sku2) {
			t.Fatalf("short quote: %d %s", r.status, r.raw)
		}

		// Reading the order: consumer, seller, not others.
		var mine map[string]any
		for _, x := range placed {
			if x.(map[string]any)["seller_id"] == s1.id {
				mine = x.(map[string]any)
			}
		}
		oid := mine["id"].(string)
		g := b.do("GET", "/api/v1/orders/"+oid, alice, "")
		if g.status != 200 || g.body["seller_id"] != s1.id || !strings.Contains(g.raw, `"payments":[]`) || !strings.Contains(g.raw, `"history":[{`) ||
			!strings.Contains(g.raw, `"mobile":"13800138000"`) {
			t.Fatalf("get order: %d %s", g.status, g.raw)
		}
		contract := g.body["contract"].(map[string]any)
		if r := b.do("GET", "/api/v1/orders/"+oid, bob, ""); r.status != 404 {
			t.Fatalf("bob reads alice's order: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/orders/"+oid, s2.token, ""); r.status != 404 {
			t.Fatalf("other seller reads the order: %d", r.status)
		}
		sv := b.do("GET", "/api/v1/orders/"+oid, s1.token, "")
		if sv.status != 200 || strings.Contains(sv.raw, "13800138000") {
			t.Fatalf("seller view: %d %s", sv.status, sv.raw)
		}
		// The e-contract: its bytes hash to contract.sha256.
		req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/orders/"+oid+"/contract", nil)
		req.Header.Set("Authorization", "Bearer "+alice)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		sum := sha256.Sum256(raw)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || hex.EncodeToString(sum[:]) != contract["sha256"] {
			t.Fatalf("contract: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		// Lists.
		if r := b.do("GET", "/api/v1/orders", alice, ""); r.status != 200 || len(r.body["items"].([]any)) != 2 {
			t.Fatalf("my orders: %s", r.raw)
		}
		if r := b.do("GET", "/api/v1/orders?organization_id="+s1.id, s1.token, ""); r.status != 200 || len(r.body["items"].([]any)) != 1 {
			t.Fatalf("seller orders: %s", r.raw)
		}
		if r := b.do("GET", "/api/v1/orders?organization_id="+s1.id, s2.token, ""); r.status != 404 {
			t.Fatalf("other seller's orders: %d", r.status)
		}

		// Illegal transitions: 409 invalid-transition, nothing changes.
		if r := b.do("POST", "/api/v1/orders/"+oid+"/accept", s1.token, ""); r.status != 409 || r.problemCode() != "invalid-transition" {
			t.Fatalf("accept unpaid: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/orders/"+oid+"/confirm-receipt", alice, ""); r.status != 409 || r.problemCode() != "invalid-transition" {
			t.Fatalf("confirm unpaid: %d %s", r.status, r.raw)
		}
		b.pay(oid)
		if r := b.do("POST", "/api/v1/orders/"+oid+"/cancel", alice, ""); r.status != 409 || r.problemCode() != "invalid-transition" {
			t.Fatalf("cancel paid: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/orders/"+oid+"/accept", alice, ""); r.status != 404 && r.status != 403 {
			t.Fatalf("consumer accepts: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/orders/"+oid+"/accept", s1.token, ""); r.status != 200 || r.body["status"] != "accepted" {
			t.Fatalf("accept: %d %s", r.status, r.raw)
		}
		// The other order: the consumer cancels before paying; stock comes back.
		other := placed[0].(map[string]any)["id"].(string)
		if other == oid {
			other = placed[1].(map[string]any)["id"].(string)
		}
		if r := b.do("POST", "/api/v1/orders/"+other+"/cancel", alice, `{"reason": "买错了"}`); r.status != 200 || r.body["status"] != "cancelled" {
			t.Fatalf("cancel: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/skus/"+sku2+"/stock", s2.token, ""); !strings.Contains(r.raw, `"available":5`) {
			t.Fatalf("stock after cancel: %s", r.raw)
		}
		// Seller rejects a paid order with a reason → cancelled, refund owed.
		ps := b.do("POST", "/api/v1/orders", alice, `{"quote_id": "`+b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku2, 1)).body["quote_id"].(string)+`", "accept_terms": true}`,
			"Idempotency-Key", "checkout-4")
		rid := ps.body["orders"].([]any)[0].(map[string]any)["id"].(string)
		b.pay(rid)
		if r := b.do("POST", "/api/v1/orders/"+rid+"/reject", s2.token, `{}`); r.status != 400 {
			t.Fatalf("reject without reason: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/orders/"+rid+"/reject", s2.token, `{"reason": "该商品已停产"}`); r.status != 200 || r.body["status"] != "cancelled" || r.body["refund_due"] != true {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		// Platform supervision sees it among refunds owed.
		admin := b.adminToken("ord-admin@example.cn")
		if r := b.do("GET", "/api/v1/admin/orders?refund_due=true", admin, ""); r.status != 200 || !strings.Contains(r.raw, rid) {
			t.Fatalf("admin search: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/admin/orders", alice, ""); r.status != 403 && r.status != 404 {
			t.Fatalf("consumer searches all orders: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/terms/transaction", "", ""); r.status != 200 || r.body["version"] != order.CurrentTerms().Version {
			t.Fatalf("terms: %d %s", r.status, r.raw)
		}
	})
}

// The payment deadline job closes unpaid orders through the scheduler.
func TestOrderPaymentDeadline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		s := b.approvedSeller("期限小店", b.reviewerToken("ord-rev2@example.cn"))
		sku := b.sellable(s, "不锈钢保温杯", 8900, 3)
		alice := b.consumerToken("ord-late@example.cn")
		q := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku, 3))
		r := b.do("POST", "/api/v1/orders", alice, `{"quote_id": "`+q.body["quote_id"].(string)+`", "accept_terms": true}`, "Idempotency-Key", "late")
		oid := r.body["orders"].([]any)[0].(map[string]any)["id"].(string)
		if r := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku, 1)); r.problemCode() != "out-of-stock" {
			t.Fatalf("reserved stock quoted again: %s", r.raw)
		}
		b.clock.Advance(31 * time.Minute)
		if err := b.orders.ExpireUnpaid(context.Background(), b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		g := b.do("GET", "/api/v1/orders/"+oid, alice, "")
		if g.body["status"] != "cancelled" {
			t.Fatalf("after deadline: %s", g.raw)
		}
		if r := b.do("POST", "/api/v1/checkout/quote", alice, quoteBodyFor(sku, 3)); r.status != 200 {
			t.Fatalf("released stock: %d %s", r.status, r.raw)
		}
	})
}

package order_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// R-6.6-9: the machine allows exactly the listed transitions.
func TestMachineTable(t *testing.T) {
	legal := map[order.Status][]order.Event{
		order.AwaitingPayment: {order.EvPay, order.EvCancel, order.EvPaymentExpired},
		order.Paid:            {order.EvAccept, order.EvReject, order.EvAcceptExpired},
		order.Accepted:        {order.EvShip},
		order.Shipped:         {order.EvDeliver, order.EvConfirmReceipt},
		order.Delivered:       {order.EvConfirmReceipt, order.EvAutoComplete},
	}
	events := []order.Event{order.EvPay, order.EvCancel, order.EvPaymentExpired, order.EvAccept, order.EvReject, order.EvAcceptExpired,
		order.EvShip, order.EvDeliver, order.EvConfirmReceipt, order.EvAutoComplete}
	for _, st := range order.Statuses {
		for _, ev := range events {
			allowed := false
			for _, e := range legal[st] {
				allowed = allowed || e == ev
			}
			_, err := order.Next(st, ev)
			if allowed && err != nil {
				t.Errorf("%s --%s--> refused: %v", st, ev, err)
			}
			if !allowed && problem.CodeOf(err) != problem.InvalidTransition {
				t.Errorf("%s --%s--> allowed or wrong error: %v", st, ev, err)
			}
		}
	}
	if !order.Completed.Terminal() || !order.Cancelled.Terminal() || order.Paid.Terminal() {
		t.Fatal("terminal states wrong")
	}
}

// Order numbers carry a Luhn check digit: exactly one digit completes a
// body, and any single mistyped digit is caught.
func TestOrderNumbers(t *testing.T) {
	const body = "202611280000000001"
	good := ""
	for c := '0'; c <= '9'; c++ {
		if order.ValidNumber(body + string(c)) {
			if good != "" {
				t.Fatalf("two check digits validate: %s and %s", good, body+string(c))
			}
			good = body + string(c)
		}
	}
	if good == "" {
		t.Fatal("no check digit validates")
	}
	for i := 0; i < len(good); i++ {
		typo := []byte(good)
		typo[i] = '0' + (typo[i]-'0'+1)%10
		if order.ValidNumber(string(typo)) {
			t.Errorf("a mistyped digit at %d is not caught: %s", i, typo)
		}
	}
	if order.ValidNumber("20261128000000000") || order.ValidNumber("2026112800000000a10") {
		t.Fatal("malformed numbers accepted")
	}
}

func TestQuoteAndPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		a1 := b.sku(b.sellerA, 4990, 10, true)
		a2 := b.sku(b.sellerA, 6000, 10, false)
		b1 := b.sku(b.sellerB, 1200, 10, true)
		if _, err := b.svc.AddToCart(b.alice, a1, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.AddToCart(b.alice, b1, 1); err != nil {
			t.Fatal(err)
		}
		q, err := b.svc.QuoteCheckout(b.alice, []order.Item{{SKUID: a1, Quantity: 2}, {SKUID: b1, Quantity: 1}, {SKUID: a2, Quantity: 1}}, addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Orders) != 2 || q.Orders[0].SellerID != b.sellerA || len(q.Orders[0].Lines) != 2 {
			t.Fatalf("quote per seller: %+v", q.Orders)
		}
		// Seller A: 2×49.90 + 60.00 = 159.80, free shipping; seller B: 12.00 + 8.00.
		if q.Orders[0].Total.Amount != 15980 || q.Orders[0].Shipping.Amount != 0 || q.Orders[1].Total.Amount != 2000 || q.Total.Amount != 17980 {
			t.Fatalf("totals: %+v %+v %+v", q.Orders[0], q.Orders[1], q.Total)
		}
		if !q.ExpiresAt.Equal(b.clock.Now().Add(15*time.Minute)) || q.TermsVersion == "" || len(q.AddOns) != 0 {
			t.Fatalf("quote header: %+v", q)
		}
		key := id.New()
		ps, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].Status != order.AwaitingPayment || !order.ValidNumber(ps[0].Number) || ps[0].Number == ps[1].Number {
			t.Fatalf("placed: %+v", ps)
		}
		if !ps[0].PayBefore.Equal(b.clock.Now().Add(30 * time.Minute)) {
			t.Fatalf("pay before %v", ps[0].PayBefore)
		}
		// Stock is reserved in the same transaction.
		if b.available(a1) != 8 || b.available(a2) != 9 || b.available(b1) != 9 {
			t.Fatalf("available after placing: %d %d %d", b.available(a1), b.available(a2), b.available(b1))
		}
		// The checked-out lines left the cart.
		c, err := b.svc.Cart(b.alice)
		if err != nil || len(c.Lines) != 0 {
			t.Fatalf("cart after checkout: %+v %v", c, err)
		}
		// The e-contract: the stored bytes hash to the recorded SHA-256
		// and hold what was confirmed.
		raw, sum, err := b.svc.Contract(b.alice, ps[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(raw)
		if hex.EncodeToString(h[:]) != sum {
			t.Fatal("contract bytes do not match their SHA-256")
		}
		ct, err := order.ParseContract(raw)
		if err != nil || ct.Number != ps[0].Number || len(ct.Lines) != 2 || ct.Total.Amount != 15980 || ct.Terms.Version != q.TermsVersion || !ct.Terms.Accepted {
			t.Fatalf("contract: %+v %v", ct, err)
		}
		if ct.Buyer.Delivery.Mobile == addr.Mobile || ct.Buyer.Delivery.Recipient == addr.Recipient {
			t.Fatal("contract holds personal data in clear")
		}
		// R-6.6-5: unconfirmed, the non-returnable line stays returnable.
		if !ct.Lines[1].Returnable7d {
			t.Fatal("a non-returnable line became non-returnable without the buyer's confirmation")
		}
		o, err := b.svc.Get(b.alice, ps[0].ID)
		if err != nil || o.Address.Mobile != addr.Mobile || len(o.History) != 1 || o.History[0].To != order.AwaitingPayment || o.Contract.SHA256 != sum {
			t.Fatalf("consumer view: %+v %v", o, err)
		}
		// The seller sees its order with the address masked; another seller and another consumer see nothing.
		so, err := b.svc.Get(b.staffA, ps[0].ID)
		if err != nil || so.Address.Mobile == addr.Mobile || so.Address.Detail == addr.Detail {
			t.Fatalf("seller view: %+v %v", so, err)
		}
		if _, err := b.svc.Get(b.staffB, ps[0].ID); codeOf(err) != problem.NotFound {
			t.Fatalf("other seller: %v", err)
		}
		if _, err := b.svc.Get(b.bob, ps[0].ID); codeOf(err) != problem.NotFound {
			t.Fatalf("other consumer: %v", err)
		}
		if _, _, err := b.svc.Contract(b.bob, ps[0].ID); codeOf(err) != problem.NotFound {
			t.Fatalf("other consumer's contract: %v", err)
		}
		if b.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'order.place'`) != 2 {
			t.Fatal("placement not audited")
		}
		// Replay with the same key places nothing new and answers the same orders.
		again, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: key})
		if err != nil || len(again) != 2 || again[0].ID != ps[0].ID && again[0].ID != ps[1].ID {
			t.Fatalf("replay: %+v %v", again, err)
		}
		if b.count(`SELECT COUNT(*) FROM orders`) != 2 || b.available(a1) != 8 {
			t.Fatal("replay placed again")
		}
		// Another key on a used quote is refused.
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: id.New()}); codeOf(err) != problem.QuoteExpired {
			t.Fatalf("used quote: %v", err)
		}
		// Lists: the consumer's own, the seller's, the platform's search.
		mine, _, err := b.svc.List(b.alice, order.Filter{})
		if err != nil || len(mine) != 2 {
			t.Fatalf("my orders: %d %v", len(mine), err)
		}
		theirs, _, err := b.svc.List(b.staffA, order.Filter{OrganizationID: b.sellerA})
		if err != nil || len(theirs) != 1 || theirs[0].Address.Mobile == addr.Mobile {
			t.Fatalf("seller orders: %+v %v", theirs, err)
		}
		if _, _, err := b.svc.List(b.staffB, order.Filter{OrganizationID: b.sellerA}); codeOf(err) != problem.NotFound {
			t.Fatalf("other seller's list: %v", err)
		}
		found, _, err := b.svc.List(b.staffPlatform(), order.Filter{All: true, Number: ps[1].Number})
		if err != nil || len(found) != 1 || found[0].ID != ps[1].ID {
			t.Fatalf("platform search: %+v %v", found, err)
		}
	})
}

func TestPlaceRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 1000, 5, true)
		quote := func() string {
			q, err := b.svc.QuoteCheckout(b.alice, []order.Item{{SKUID: sku, Quantity: 2}}, addr)
			if err != nil {
				t.Fatal(err)
			}
			return q.ID
		}
		noOrders := func(what string) {
			t.Helper()
			if n := b.count(`SELECT COUNT(*) FROM orders`); n != 0 || b.available(sku) != 5 {
				t.Fatalf("%s: %d orders, %d available", what, n, b.available(sku))
			}
		}
		// Terms not accepted, no key: 400 naming both.
		_, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: quote()})
		if f := fieldsOf(err); codeOf(err) != problem.Validation || !f["accept_terms"] || !f["Idempotency-Key"] {
			t.Fatalf("terms not accepted: %v", err)
		}
		noOrders("terms not accepted")
		// Bad input on the quote: every field at once.
		_, err = b.svc.QuoteCheckout(b.alice, []order.Item{{SKUID: "nope", Quantity: 0}}, order.Address{Mobile: "123", RegionCode: "99"})
		if f := fieldsOf(err); !f["items[0].sku_id"] || !f["address.recipient"] || !f["address.mobile"] || !f["address.region_code"] || !f["address.detail"] {
			t.Fatalf("quote validation: %v", err)
		}
		// A price change after the quote: 409 quote-expired, nothing reserved.
		q := quote()
		b.setPrice(sku, 900)
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k1"}); codeOf(err) != problem.QuoteExpired {
			t.Fatalf("changed price: %v", err)
		}
		noOrders("changed price")
		// Changed terms.
		q = quote()
		b.svc.Terms = func() order.Terms { t := order.CurrentTerms(); t.Version = "2099-01-01"; return t }
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k2"}); codeOf(err) != problem.QuoteExpired {
			t.Fatalf("changed terms: %v", err)
		}
		b.svc.Terms = order.CurrentTerms
		noOrders("changed terms")
		// 15 minutes later the quote is gone.
		q = quote()
		b.clock.Advance(15*time.Minute + time.Second)
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k3"}); codeOf(err) != problem.QuoteExpired {
			t.Fatalf("old quote: %v", err)
		}
		noOrders("old quote")
		// Someone else's quote is not found.
		q = quote()
		if _, err := b.svc.Place(b.bob, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k4"}); codeOf(err) != problem.NotFound {
			t.Fatalf("other's quote: %v", err)
		}
		// Stock sold out between quote and order: 409 out-of-stock, and the
		// quote can be used again once stock is back.
		q = quote()
		other := b.place(b.bob, order.Item{SKUID: sku, Quantity: 4})
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k5"}); codeOf(err) != problem.OutOfStock {
			t.Fatalf("sold out: %v", err)
		}
		if n := b.count(`SELECT COUNT(*) FROM orders`); n != 1 {
			t.Fatalf("orders after sold out: %d", n)
		}
		if _, err := b.svc.Cancel(b.bob, other[0].ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q, AcceptTerms: true, IdempotencyKey: "k5"}); err != nil {
			t.Fatalf("after stock came back: %v", err)
		}
	})
}

func TestLifecycleAndDeadlines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 2500, 10, true)
		ps := b.place(b.alice, order.Item{SKUID: sku, Quantity: 3})
		oid := ps[0].ID
		// Illegal: the seller cannot accept an unpaid order; nothing changes.
		if _, err := b.svc.Accept(b.staffA, oid); codeOf(err) != problem.InvalidTransition {
			t.Fatalf("accept unpaid: %v", err)
		}
		if b.count(`SELECT COUNT(*) FROM order_status_history WHERE order_id = $1`, oid) != 1 {
			t.Fatal("a refused transition left history")
		}
		// Another consumer cannot cancel it; another seller cannot accept it.
		if _, err := b.svc.Cancel(b.bob, oid, ""); codeOf(err) != problem.NotFound {
			t.Fatalf("other consumer cancel: %v", err)
		}
		if err := b.fire(oid, order.EvPay); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Accept(b.staffB, oid); codeOf(err) != problem.NotFound {
			t.Fatalf("other seller accept: %v", err)
		}
		// Paid: the consumer can no longer cancel (after-sales instead).
		if _, err := b.svc.Cancel(b.alice, oid, ""); codeOf(err) != problem.InvalidTransition {
			t.Fatalf("cancel paid: %v", err)
		}
		if b.count(`SELECT COUNT(*) FROM sku_sales WHERE order_id = $1`, oid) != 1 {
			t.Fatal("payment wrote no sale fact")
		}
		o, err := b.svc.Accept(b.staffA, oid)
		if err != nil || o.Status != order.Accepted {
			t.Fatalf("accept: %+v %v", o, err)
		}
		for _, ev := range []order.Event{order.EvShip, order.EvDeliver} {
			if err := b.fire(oid, ev); err != nil {
				t.Fatal(err)
			}
		}
		o, err = b.svc.ConfirmReceipt(b.alice, oid)
		if err != nil || o.Status != order.Completed || len(o.History) != 6 {
			t.Fatalf("complete: %+v %v", o, err)
		}
		if b.available(sku) != 7 {
			t.Fatalf("available after sale: %d", b.available(sku))
		}

		// R-6.6-7: unpaid at the deadline → cancelled by the job, stock back.
		ps2 := b.place(b.alice, order.Item{SKUID: sku, Quantity: 2})
		if b.available(sku) != 5 {
			t.Fatal("not reserved")
		}
		b.clock.Advance(29 * time.Minute)
		if err := b.svc.ExpireUnpaid(context.Background(), b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if o, _ := b.svc.Get(b.alice, ps2[0].ID); o.Status != order.AwaitingPayment {
			t.Fatal("cancelled before the deadline")
		}
		b.clock.Advance(time.Minute)
		if err := b.svc.ExpireUnpaid(context.Background(), b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if o, _ := b.svc.Get(b.alice, ps2[0].ID); o.Status != order.Cancelled || o.History[1].Actor != "system" {
			t.Fatalf("unpaid order after deadline: %+v", o)
		}
		if b.available(sku) != 7 {
			t.Fatalf("stock not released: %d", b.available(sku))
		}

		// R-6.6-8: paid, not accepted within 24 h → cancelled, refund owed, stock back.
		ps3 := b.place(b.alice, order.Item{SKUID: sku, Quantity: 1})
		if err := b.fire(ps3[0].ID, order.EvPay); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(24*time.Hour + time.Minute)
		if err := b.svc.ExpireUnaccepted(context.Background(), b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		o, _ = b.svc.Get(b.alice, ps3[0].ID)
		if o.Status != order.Cancelled || !o.RefundDue {
			t.Fatalf("unaccepted: %+v", o)
		}
		if b.available(sku) != 7 || b.count(`SELECT COUNT(*) FROM sku_sales WHERE order_id = $1`, ps3[0].ID) != 0 {
			t.Fatal("unaccepted order's stock or sale not reversed")
		}
		due, _, err := b.svc.List(b.staffPlatform(), order.Filter{All: true, RefundDue: true})
		if err != nil || len(due) != 1 {
			t.Fatalf("refund-due list: %d %v", len(due), err)
		}

		// The seller rejects a paid order with a reason.
		ps4 := b.place(b.alice, order.Item{SKUID: sku, Quantity: 1})
		if err := b.fire(ps4[0].ID, order.EvPay); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reject(b.staffA, ps4[0].ID, ""); codeOf(err) != problem.Validation {
			t.Fatalf("reject without reason: %v", err)
		}
		o, err = b.svc.Reject(b.staffA, ps4[0].ID, "缺货，抱歉")
		if err != nil || o.Status != order.Cancelled || !o.RefundDue || o.CancelReason != "缺货，抱歉" {
			t.Fatalf("reject: %+v %v", o, err)
		}
	})
}

// R-5.3-1: transaction records cannot be deleted, nor the contract changed.
func TestRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 2500, 10, true)
		ps := b.place(b.alice, order.Item{SKUID: sku, Quantity: 1})
		for _, q := range []string{
			`DELETE FROM orders WHERE id = $1`,
			`UPDATE orders SET contract = 'x' WHERE id = $1`,
			`UPDATE orders SET total_fen = 1 WHERE id = $1`,
			`DELETE FROM order_lines WHERE order_id = $1`,
			`UPDATE order_lines SET unit_price_fen = 1 WHERE order_id = $1`,
			`DELETE FROM order_status_history WHERE order_id = $1`,
		} {
			if _, err := d.WritePool().Exec(q, ps[0].ID); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		if b.count(`SELECT COUNT(*) FROM orders`) != 1 {
			t.Fatal("order gone")
		}
	})
}

// R-6.4-6: consumers racing for the last units never oversell.
func TestNoOversellingUnderRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 100, 10, true)
		const racers = 20
		var ctxs []context.Context
		var quotes []string
		for i := 0; i < racers; i++ {
			ctx := b.consumerCtx(b.account("racer" + string(rune('a'+i)) + "@example.cn"))
			q, err := b.svc.QuoteCheckout(ctx, []order.Item{{SKUID: sku, Quantity: 1}}, addr)
			if err != nil {
				t.Fatal(err)
			}
			ctxs, quotes = append(ctxs, ctx), append(quotes, q.ID)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, lost := 0, 0
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := b.svc.Place(ctxs[i], order.PlaceInput{QuoteID: quotes[i], AcceptTerms: true, IdempotencyKey: "race"})
				mu.Lock()
				defer mu.Unlock()
				switch codeOf(err) {
				case "":
					won++
				case problem.OutOfStock:
					lost++
				default:
					t.Errorf("racer %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		if won != 10 || lost != 10 || b.available(sku) != 0 || b.count(`SELECT COUNT(*) FROM orders`) != 10 {
			t.Fatalf("won %d lost %d available %d", won, lost, b.available(sku))
		}
	})
}

func TestCart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 1500, 3, true)
		gone := b.sku(b.sellerB, 800, 3, true)
		if _, err := b.svc.AddToCart(b.alice, sku, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.AddToCart(b.alice, gone, 1); err != nil {
			t.Fatal(err)
		}
		c, err := b.svc.AddToCart(b.alice, sku, 2)
		if err != nil || len(c.Lines) != 2 || c.Lines[0].Quantity != 4 || c.Lines[0].State != "short" {
			t.Fatalf("cart: %+v %v", c, err)
		}
		b.cat.mu.Lock()
		b.cat.off[gone] = true
		b.cat.mu.Unlock()
		b.setPrice(sku, 1200)
		c, err = b.svc.SetCartQuantity(b.alice, sku, 3)
		if err != nil || c.Lines[0].UnitPrice.Amount != 1200 || c.Lines[0].State != "ok" || c.Lines[1].State != "unavailable" || c.Total.Amount != 3600 {
			t.Fatalf("live price and state: %+v %v", c, err)
		}
		if _, err := b.svc.SetCartQuantity(b.alice, gone, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.SetCartQuantity(b.bob, sku, 1); codeOf(err) != problem.NotFound {
			t.Fatalf("bob edits alice's line: %v", err)
		}
		if _, err := b.svc.AddToCart(b.alice, gone, 1); err == nil {
			t.Fatal("added an item not on sale")
		}
		c, _ = b.svc.Cart(b.alice)
		if len(c.Lines) != 1 {
			t.Fatalf("cart lines: %+v", c.Lines)
		}
	})
}

// The group commit decides each checkout of a batch as placing it alone
// would: in arrival order, whole or not at all, and a refused checkout
// leaves its quote usable and nothing reserved.
func TestBatchDecidesLikeAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		a := b.sku(b.sellerA, 1000, 3, true)
		c := b.sku(b.sellerB, 2500, 5, true)
		e := b.sku(b.sellerB, 500, 5, true)
		g := b.sku(b.sellerB, 700, 5, true)
		alice, bob, carol, dave := b.alice, b.bob, b.consumerCtx(b.account("carol@example.cn")), b.consumerCtx(b.account("dave@example.cn"))
		quote := func(ctx context.Context, items ...order.Item) string {
			t.Helper()
			q, err := b.svc.QuoteCheckout(ctx, items, addr)
			if err != nil {
				t.Fatal(err)
			}
			return q.ID
		}
		qAlice := quote(alice, order.Item{SKUID: a, Quantity: 2}, order.Item{SKUID: e, Quantity: 1}) // two sellers: two orders
		qBob := quote(bob, order.Item{SKUID: a, Quantity: 2})
		qCarol := quote(carol, order.Item{SKUID: c, Quantity: 1})
		qDave := quote(dave, order.Item{SKUID: a, Quantity: 1})
		erin := b.consumerCtx(b.account("erin@example.cn"))
		qErin := quote(erin, order.Item{SKUID: g, Quantity: 1})
		ctxs := []context.Context{alice, bob, carol, dave, alice, erin}
		ins := []order.PlaceInput{
			{QuoteID: qAlice, AcceptTerms: true, IdempotencyKey: "ka"},
			{QuoteID: qBob, AcceptTerms: true, IdempotencyKey: "kb"},   // 1 of a left after alice: short
			{QuoteID: qCarol, AcceptTerms: true, IdempotencyKey: "kc"}, // c's price changes before the batch
			{QuoteID: qDave, AcceptTerms: true, IdempotencyKey: "kd"},  // the last unit of a
			{QuoteID: qAlice, AcceptTerms: true, IdempotencyKey: "ka"}, // alice's double click
			{QuoteID: qErin, AcceptTerms: true, IdempotencyKey: "ke"},  // g is taken off sale before the batch
		}
		outs, errs, alone := b.svc.PlaceTogether(ctxs, ins, func() {
			b.exec(`UPDATE skus SET price_fen = 2600 WHERE id = $1`, c)
			b.exec(`UPDATE products SET status = 'delisted' WHERE id = (SELECT product_id FROM skus WHERE id = $1)`, g)
		})
		if alone != 1 { // only the double click is left to be placed alone
			t.Fatalf("%d checkouts handed back by the batch, want 1", alone)
		}
		if errs[0] != nil || len(outs[0]) != 2 || errs[3] != nil || len(outs[3]) != 1 {
			t.Fatalf("alice %v %v, dave %v %v", outs[0], errs[0], outs[3], errs[3])
		}
		if codeOf(errs[1]) != problem.OutOfStock {
			t.Fatalf("bob: %v", errs[1])
		}
		if codeOf(errs[2]) != problem.QuoteExpired || codeOf(errs[5]) != problem.QuoteExpired {
			t.Fatalf("carol: %v, erin: %v", errs[2], errs[5])
		}
		if errs[4] != nil || len(outs[4]) != 2 || outs[4][0].ID != outs[0][0].ID || outs[4][1].ID != outs[0][1].ID {
			t.Fatalf("double click: %v %v, first %v", outs[4], errs[4], outs[0])
		}
		if n := b.count(`SELECT COUNT(*) FROM orders`); n != 3 {
			t.Fatalf("%d orders, want 3", n)
		}
		if b.available(a) != 0 || b.available(c) != 5 || b.available(e) != 4 {
			t.Fatalf("available a %d c %d e %d", b.available(a), b.available(c), b.available(e))
		}
		// The refused quotes were given back, not used up.
		if n := b.count(`SELECT COUNT(*) FROM checkout_quotes WHERE id IN ($1, $2, $3) AND used_at IS NULL AND answer IS NULL`, qBob, qCarol, qErin); n != 3 {
			t.Fatalf("refused quotes still claimed: %d free", n)
		}
		// Every order has its history, lines, ledger rows and audit entry,
		// with its own numbers, and its contract hashes to the stored value.
		rows, err := d.Query(context.Background(), `SELECT id, number, contract, contract_sha256 FROM orders`)
		if err != nil {
			t.Fatal(err)
		}
		numbers := map[string]bool{}
		for rows.Next() {
			var oid, number, contract, sum string
			if err := rows.Scan(&oid, &number, &contract, &sum); err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256([]byte(contract))
			if hex.EncodeToString(h[:]) != sum || !order.ValidNumber(number) || numbers[number] {
				t.Fatalf("order %s: number %s, hash %s", oid, number, sum)
			}
			numbers[number] = true
			for _, q := range []string{`SELECT COUNT(*) FROM order_status_history WHERE order_id = $1`, `SELECT COUNT(*) FROM order_lines WHERE order_id = $1`,
				`SELECT COUNT(*) FROM stock_ledger WHERE order_id = $1 AND kind = 'reservation'`,
				`SELECT COUNT(*) FROM audit_log WHERE object_id = $1 AND action = 'order.place'`,
				`SELECT COUNT(*) FROM audit_log WHERE object_id = $1 AND action = 'order.place' AND details LIKE '%"reserved":[{"quantity":%'`} {
				if n := b.count(q, oid); n != 1 {
					t.Fatalf("order %s: %s = %d", oid, q, n)
				}
			}
		}
		rows.Close()
		// Bob's quote places once stock is back; carol's stays expired.
		if _, err := b.svc.Cancel(dave, outs[3][0].ID, ""); err != nil {
			t.Fatal(err)
		}
		b.exec(`UPDATE stock_levels SET on_hand = on_hand + 1 WHERE sku_id = $1`, a)
		if _, err := b.svc.Place(bob, ins[1]); err != nil {
			t.Fatalf("bob again: %v", err)
		}
	})
}

// Placing inside a caller's transaction places in it (not in a batch of
// its own), so the caller's rollback undoes the order and its stock.
func TestPlaceInsideTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 1000, 3, true)
		q, err := b.svc.QuoteCheckout(b.alice, []order.Item{{SKUID: sku, Quantity: 2}}, addr)
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(b.alice, func(ctx context.Context, tx *db.Tx) error {
			if _, err := b.svc.Place(ctx, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: "in-tx"}); err != nil {
				return err
			}
			return db.ErrRollback
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := b.count(`SELECT COUNT(*) FROM orders`); n != 0 || b.available(sku) != 3 {
			t.Fatalf("after rollback: %d orders, %d available", n, b.available(sku))
		}
	})
}

// The batch reservation's guard: units frozen after the levels were read
// (here in the same transaction) fail the reservation instead of being
// sold, on both engines — on PostgreSQL inside the statement itself, as its
// COMMIT may travel with it.
func TestBatchReservationGuard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 1000, 3, true)
		err := d.InTx(b.alice, func(ctx context.Context, tx *db.Tx) error {
			plan := b.inv.PlanBatch(tx, []string{sku})
			if err := tx.Pipeline(ctx, plan.Read()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE stock_batches SET frozen = TRUE WHERE sku_id = $1`, sku); err != nil {
				return err
			}
			short, writes, err := plan.Decide(ctx, []inventory.Claim{{Ctx: ctx, Orders: []inventory.ClaimOrder{{OrderID: id.New(), Lines: []inventory.Line{{SKUID: sku, Quantity: 2}}}}}})
			if err != nil || len(short[0]) != 0 {
				t.Fatalf("decide: %v %v", short, err)
			}
			if err := tx.Pipeline(ctx, writes...); err != nil {
				return err
			}
			return plan.Check()
		})
		if err == nil {
			t.Fatal("frozen units were reserved")
		}
		if n := b.count(`SELECT COUNT(*) FROM stock_ledger WHERE kind = 'reservation'`); n != 0 {
			t.Fatalf("%d reservation rows after the refused batch", n)
		}
	})
}

// A checkout checked by the catalogue before a change to what the check
// reads (a seller's licence, a listing) is not placed on that word: the
// batch sees the catalogue's stamp moved and hands it back, and placed
// alone it is checked again in its transaction.
func TestBatchAsksAgainAfterCatalogueChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		g := b.sku(b.sellerB, 700, 5, true)
		h := b.sku(b.sellerA, 300, 5, true)
		erin, frank := b.consumerCtx(b.account("erin@example.cn")), b.consumerCtx(b.account("frank@example.cn"))
		qErin, err := b.svc.QuoteCheckout(erin, []order.Item{{SKUID: g, Quantity: 1}}, addr)
		if err != nil {
			t.Fatal(err)
		}
		qFrank, err := b.svc.QuoteCheckout(frank, []order.Item{{SKUID: h, Quantity: 1}}, addr)
		if err != nil {
			t.Fatal(err)
		}
		outs, errs, alone := b.svc.PlaceTogether([]context.Context{erin, frank}, []order.PlaceInput{
			{QuoteID: qErin.ID, AcceptTerms: true, IdempotencyKey: "ke"},
			{QuoteID: qFrank.ID, AcceptTerms: true, IdempotencyKey: "kf"},
		}, func() {
			// g's seller loses the right to sell it; nothing the batch's
			// own re-reading of prices and listings would see.
			b.cat.mu.Lock()
			b.cat.off[g] = true
			b.cat.stamp++
			b.cat.mu.Unlock()
		})
		if alone != 2 {
			t.Fatalf("%d checkouts handed back, want both", alone)
		}
		if codeOf(errs[0]) != problem.QuoteExpired {
			t.Fatalf("erin: %v", errs[0])
		}
		if errs[1] != nil || len(outs[1]) != 1 {
			t.Fatalf("frank: %v %v", outs[1], errs[1])
		}
		if n := b.count(`SELECT COUNT(*) FROM orders`); n != 1 || b.available(g) != 5 || b.available(h) != 4 {
			t.Fatalf("%d orders, g %d h %d available", n, b.available(g), b.available(h))
		}
		if n := b.count(`SELECT COUNT(*) FROM checkout_quotes WHERE id = $1 AND used_at IS NULL`, qErin.ID); n != 1 {
			t.Fatal("erin's quote was used up")
		}
	})
}

// A quote is placed from memory when this process issued it, so the
// checks that need its stored state — used already, or its key used with
// another quote — are the claim's, and answer as they did.
func TestHeldQuoteKeyAndReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.sellerA, 1000, 5, true)
		quote := func() string {
			t.Helper()
			q, err := b.svc.QuoteCheckout(b.alice, []order.Item{{SKUID: sku, Quantity: 1}}, addr)
			if err != nil {
				t.Fatal(err)
			}
			return q.ID
		}
		q1, q2 := quote(), quote()
		first, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q1, AcceptTerms: true, IdempotencyKey: "kk"})
		if err != nil {
			t.Fatal(err)
		}
		// The same key with the other quote: refused, q2 left unused.
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q2, AcceptTerms: true, IdempotencyKey: "kk"}); codeOf(err) != problem.IdempotencyKeyReused {
			t.Fatalf("key reused: %v", err)
		}
		if n := b.count(`SELECT COUNT(*) FROM checkout_quotes WHERE id = $1 AND used_at IS NULL`, q2); n != 1 {
			t.Fatal("q2 used by a refused checkout")
		}
		// A replay of the first answers it again; another key on q1 is refused.
		again, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q1, AcceptTerms: true, IdempotencyKey: "kk"})
		if err != nil || len(again) != 1 || again[0].ID != first[0].ID {
			t.Fatalf("replay: %v %v", again, err)
		}
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q1, AcceptTerms: true, IdempotencyKey: "other"}); codeOf(err) != problem.QuoteExpired {
			t.Fatalf("used quote, other key: %v", err)
		}
		if _, err := b.svc.Place(b.alice, order.PlaceInput{QuoteID: q2, AcceptTerms: true, IdempotencyKey: "kk2"}); err != nil {
			t.Fatalf("q2 with its own key: %v", err)
		}
		if n := b.count(`SELECT COUNT(*) FROM orders`); n != 2 || b.available(sku) != 3 {
			t.Fatalf("%d orders, %d available", n, b.available(sku))
		}
	})
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// benchPay builds the payment bundle for a benchmark on engine eng, with
// n orders awaiting payment, each with its trade created at paysim.
func benchPay(b *testing.B, eng string, n int) (*payBundle, []string, []string) {
	var d *db.DB
	if eng == "sqlite" {
		d = dbtest.SQLite(b)
	} else {
		if _, ok := dbtest.PostgresURL(b); !ok {
			b.Skip("no PostgreSQL")
		}
		d = dbtest.Postgres(b)
	}
	t := &testing.T{}
	pb := paySetup(t, d)
	pb.sku = pb.sellable(pb.seller, "不锈钢保温杯", 9900, n+10)
	orders := make([]string, n)
	pays := make([]string, n)
	for i := range orders {
		orders[i] = pb.placeOrder(pb.alice)
	}
	return pb, orders, pays
}

// BenchmarkNotifications measures signed trade.succeeded notifications
// processed per second over HTTP (signature and nonce check, amount check,
// payment record and order paid in one transaction), 8 senders at once.
// Run with a fixed count, e.g. -bench Notifications -benchtime 400x.
func BenchmarkNotifications(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
			pb, orders, pays := benchPay(b, eng, b.N)
			for i, oid := range orders {
				pays[i], _ = pb.startPay(pb.alice, oid)
			}
			key := pb.simKey()
			path := "/api/v1/payment-notifications/" + pb.providerID
			var next atomic.Int64
			var failed atomic.Int64
			b.SetParallelism(2) // GOMAXPROCS × 2 senders
			b.ResetTimer()
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					i := next.Add(1) - 1
					body, _ := json.Marshal(payproto.Notification{Event: payproto.EventTradeSucceeded, OutTradeNo: pays[i], Amount: 9900, Currency: "CNY", OccurredAt: pb.clock.Now()})
					r := pb.do("POST", path, "", string(body), "Signature", payproto.Sign(key, pb.clock.Now(), "POST", path, body))
					if r.status != 200 {
						failed.Add(1)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
			if failed.Load() > 0 {
				b.Fatalf("%d notifications refused", failed.Load())
			}
			var paid int
			_ = pb.db.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE status = 'paid'`).Scan(&paid)
			if paid != b.N {
				b.Fatalf("%d of %d orders paid", paid, b.N)
			}
		})
	}
}

// BenchmarkPayEndToEnd measures one consumer payment end to end over real
// HTTP: POST /orders/{id}/payments (the platform creates the trade at
// paysim), the cashier page's Pay (paysim signs and delivers the
// notification, the platform applies it) and the 303 back, then the order
// read as paid.
func BenchmarkPayEndToEnd(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
			pb, orders, _ := benchPay(b, eng, b.N)
			b.ResetTimer()
			for _, oid := range orders {
				_, payURL := pb.startPay(pb.alice, oid)
				pb.cashier(payURL, "pay", pb.srv.URL+"/orders/"+oid)
				if st := pb.orderStatus(oid); st != "paid" {
					b.Fatalf("order %s", st)
				}
			}
		})
	}
}

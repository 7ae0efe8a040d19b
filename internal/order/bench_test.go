package order_test

import (
	"context"
	"sync/atomic"
	"testing"

	"gbmall/internal/order"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
)

// BenchmarkPlace measures placing one-line orders in-process (no HTTP),
// with parallel consumers, on SQLite and PostgreSQL.
func BenchmarkPlace(b *testing.B) {
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
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
			bd := setup(t, d)
			bd.t = t
			skus := make([]string, 32)
			for i := range skus {
				skus[i] = bd.sku(bd.sellerA, 1990, 1_000_000, true)
			}
			ctxs := make([]context.Context, 64)
			for i := range ctxs {
				ctxs[i] = bd.consumerCtx(bd.account(id.New() + "@bench.cn"))
			}
			var n atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(n.Add(1))
				ctx := ctxs[i%len(ctxs)]
				for pb.Next() {
					q, err := bd.svc.QuoteCheckout(ctx, []order.Item{{SKUID: skus[int(n.Add(1))%len(skus)], Quantity: 1}}, addr)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := bd.svc.Place(ctx, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: q.ID}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

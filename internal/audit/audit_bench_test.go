package audit_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// BenchmarkAppend measures audit appends, one entry per transaction, from
// parallel writers: "one-chain" writes every entry about the same object
// (so all queue on one chain head, as a single global chain would);
// "sharded" spreads objects over the 16 chains as real traffic does.
func BenchmarkAppend(b *testing.B) {
	engines := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"one-chain", "sharded"} {
			b.Run(engine+"/"+mode, func(b *testing.B) {
				d := engines[engine](b)
				if d == nil {
					b.Skip("PostgreSQL not configured")
				}
				tr := audit.New(clock.Real{})
				var n atomic.Int64
				b.SetParallelism(8)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					for pb.Next() {
						obj := "same"
						if mode == "sharded" {
							obj = fmt.Sprint(n.Add(1))
						}
						if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
							return tr.RecordTx(ctx, tx, audit.Event{Action: "bench", ObjectType: "order", ObjectID: obj})
						}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

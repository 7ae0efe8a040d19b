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
// parallel writers: "same-object" writes every entry about one object (all
// prefer one chain head; on PostgreSQL they spill to free ones), and
// "many-objects" spreads objects over the chains as real traffic does.
func BenchmarkAppend(b *testing.B) {
	engines := map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"same-object", "many-objects"} {
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
						if mode == "many-objects" {
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

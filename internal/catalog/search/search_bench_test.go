package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"gbmall/internal/catalog/search"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// benchProducts is the catalogue size of the search goal (issue 4).
const benchProducts = 100_000

// benchQueries are typical searches of each kind, common and rare words
// alike, so the percentiles include the expensive ones.
var benchQueries = map[string][]string{
	"zh2":  {"手机", "纯棉", "坚果", "耳机", "面霜", "奶粉", "无线", "新款", "家用", "华为", "婴儿", "牛奶"},
	"zh4":  {"智能手机", "空气炸锅", "每日坚果", "机械键盘", "官方旗舰", "纯棉床单", "无线鼠标", "蓝牙耳机", "婴儿湿巾", "游戏手机"},
	"word": {"pro", "iphone", "dyson", "thinkpad", "ultra", "max", "nike", "rtx4060", "12gb", "sk"},
}

func BenchmarkFind(b *testing.B) {
	n := benchProducts
	if testing.Short() {
		n = 10_000
	}
	engines := []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			d := e.open(b)
			if d == nil {
				b.Skip("PostgreSQL not configured (" + dbtest.Env + ")")
			}
			generateOnce(b, d, n)
			ix := search.New(d)
			// A page of results, and the 1,000 hits catalog.Browse asks for
			// before filtering.
			for _, limit := range []int{20, 1000} {
				for _, kind := range []string{"zh2", "zh4", "word"} {
					b.Run(fmt.Sprintf("%s/limit=%d", kind, limit), func(b *testing.B) { benchQueriesOf(b, ix, benchQueries[kind], limit) })
				}
			}
		})
	}
}

func generateOnce(b *testing.B, d *db.DB, n int) {
	b.Helper()
	ctx := context.Background()
	orgID, catID := seedOrgAndCategory(b, d)
	start := time.Now()
	if err := search.Generate(ctx, d, n, orgID, catID, nil); err != nil {
		b.Fatalf("generate: %v", err)
	}
	// PostgreSQL's autovacuum would have run by now: it sets the
	// visibility map that index-only scans need, and the statistics. gbmall
	// gathers none on SQLite, and Find's plans do not rely on them.
	if d.Dialect() == db.Postgres {
		if _, err := d.WritePool().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatalf("vacuum: %v", err)
		}
	}
	var grams int
	if err := d.QueryRow(ctx, `SELECT count(*) FROM search_grams`).Scan(&grams); err != nil {
		b.Fatalf("count grams: %v", err)
	}
	b.Logf("%s: generated %d products, %d grams in %s", d.Dialect(), n, grams, time.Since(start).Round(time.Millisecond))
}

func benchQueriesOf(b *testing.B, ix *search.Index, qs []string, limit int) {
	ctx := context.Background()
	times := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ids, err := ix.Find(ctx, qs[i%len(qs)], limit)
		times = append(times, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		found += len(ids)
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(float64(len(times))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(found)/float64(b.N), "hits/op")
}

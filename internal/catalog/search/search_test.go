package search_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gbmall/internal/catalog/search"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
)

// catalogue is a tiny fixture: an organisation, a category and products
// inserted directly, each indexed under its title.
type catalogue struct {
	t          *testing.T
	d          *db.DB
	ix         *search.Index
	org, cat   string
	base       time.Time
	idsByTitle map[string]string
}

func newCatalogue(t *testing.T, d *db.DB) *catalogue {
	org, cat := seedOrgAndCategory(t, d)
	return &catalogue{t: t, d: d, ix: search.New(d), org: org, cat: cat,
		base: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), idsByTitle: map[string]string{}}
}

type product struct {
	title   string
	status  string // default listed
	listedH int    // hours after base
}

func (c *catalogue) add(ps ...product) {
	c.t.Helper()
	ctx := context.Background()
	for _, p := range ps {
		if p.status == "" {
			p.status = "listed"
		}
		pid := id.New()
		at := c.base.Add(time.Duration(p.listedH) * time.Hour)
		err := c.d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, organization_id, category_id, title, description_html, status, min_price_fen, created_at, updated_at, listed_at)
				VALUES ($1, $2, $3, $4, '', $5, 9900, $6, $7, $8)`, pid, c.org, c.cat, p.title, p.status, at, at, at); err != nil {
				return err
			}
			return c.ix.IndexTx(ctx, tx, pid, p.title)
		})
		if err != nil {
			c.t.Fatalf("add %q: %v", p.title, err)
		}
		c.idsByTitle[p.title] = pid
	}
}

func (c *catalogue) id(title string) string {
	c.t.Helper()
	v, ok := c.idsByTitle[title]
	if !ok {
		c.t.Fatalf("no product %q in the fixture", title)
	}
	return v
}

// find returns the titles Find answers for q, in order.
func (c *catalogue) find(q string) []string {
	c.t.Helper()
	ids, err := c.ix.Find(context.Background(), q, 20)
	if err != nil {
		c.t.Fatalf("Find(%q): %v", q, err)
	}
	return c.titles(ids)
}

func (c *catalogue) titles(ids []string) []string {
	byID := map[string]string{}
	for title, pid := range c.idsByTitle {
		byID[pid] = title
	}
	var out []string
	for _, pid := range ids {
		out = append(out, byID[pid])
	}
	return out
}

const (
	huawei  = "华为 Mate 70 Pro 智能手机 雅川青 12GB+256GB"
	bedding = "北欧风 纯棉 四件套 床上用品 1.8m"
	dyson   = "Dyson V12 无线吸尘器 家用"
)

func TestFindMatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCatalogue(t, d)
		c.add(product{title: huawei}, product{title: bedding, listedH: 1}, product{title: dyson, listedH: 2})
		tests := []struct {
			q    string
			want []string
		}{
			{"手机", []string{huawei}},                // a Chinese word
			{"能手", []string{huawei}},                // any two-character substring
			{"智能手机", []string{huawei}},              // a longer substring
			{"纯棉四件套", nil},                          // not a substring: the title has a space between
			{"四件套", []string{bedding}},              // three characters
			{"机", []string{huawei}},                 // one character
			{"器", []string{dyson}},                  // one character at the end of a run
			{"MATE", []string{huawei}},              // English, any case
			{"ｐｒｏ", []string{huawei}},               // full-width
			{"dyson 家用", []string{dyson}},           // every word must match
			{"dyson 手机", nil},                       // one gram matches nothing
			{"电脑", nil},                             // no product has it
			{"1.8m", []string{bedding}},             // words 1 and 8m
			{"", nil},                               // no grams
			{"+ - 。", nil},                          // no grams
			{"100%_", nil},                          // LIKE metacharacters are data
			{"床上用品 北欧风 1.8m 纯棉", []string{bedding}}, // word order is free
		}
		for _, tt := range tests {
			if got := c.find(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("Find(%q) = %q, want %q", tt.q, got, tt.want)
			}
		}
	})
}

func TestFindOnlyListed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCatalogue(t, d)
		c.add(
			product{title: "草稿 手机壳", status: "draft"},
			product{title: "待审 手机壳", status: "pending_review"},
			product{title: "下架 手机壳", status: "delisted"},
			product{title: "删除 手机壳", status: "removed"},
			product{title: "在售 手机壳"},
		)
		if got, want := c.find("手机壳"), []string{"在售 手机壳"}; !slices.Equal(got, want) {
			t.Errorf("Find = %q, want only the listed product %q", got, want)
		}
		// Delisting shows on the next request, with the grams still there.
		ctx := context.Background()
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE products SET status = 'delisted' WHERE id = $1`, c.id("在售 手机壳"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.find("手机壳"); got != nil {
			t.Errorf("after delisting Find = %q, want nothing", got)
		}
	})
}

func TestIndexTxReplacesAndRemoveTxDrops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := newCatalogue(t, d)
		c.add(product{title: huawei}, product{title: dyson})
		pid := c.id(huawei)

		// Re-indexing replaces the old grams.
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return c.ix.IndexTx(ctx, tx, pid, "荣耀 Magic7 游戏手机", "华为官方")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.find("mate"); got != nil {
			t.Errorf("after re-indexing Find(mate) = %q, want nothing", got)
		}
		for _, q := range []string{"magic7", "游戏手机", "官方"} { // every text is indexed
			if got := c.find(q); !slices.Equal(got, []string{huawei}) {
				t.Errorf("after re-indexing Find(%q) = %q, want the product", q, got)
			}
		}

		// Index changes roll back with the caller's transaction.
		boom := errors.New("boom")
		err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if err := c.ix.RemoveTx(ctx, tx, pid); err != nil {
				return err
			}
			// Inside the transaction the removal is already visible.
			ids, err := c.ix.Find(ctx, "magic7", 10)
			if err != nil {
				return err
			}
			if len(ids) != 0 {
				t.Errorf("inside the removing transaction Find = %q, want nothing", ids)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if got := c.find("magic7"); !slices.Equal(got, []string{huawei}) {
			t.Errorf("after rollback Find = %q, want the product", got)
		}

		err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error { return c.ix.RemoveTx(ctx, tx, pid) })
		if err != nil {
			t.Fatal(err)
		}
		if got := c.find("magic7"); got != nil {
			t.Errorf("after RemoveTx Find = %q, want nothing", got)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM search_grams WHERE product_id = $1`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("after RemoveTx %d grams remain", n)
		}
		if got := c.find("dyson"); !slices.Equal(got, []string{dyson}) {
			t.Errorf("RemoveTx touched another product: Find(dyson) = %q", got)
		}
	})
}

func TestIndexTxManyGrams(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCatalogue(t, d)
		// More than one INSERT statement's worth of grams (200 rows).
		long := []rune("春眠不觉晓处处闻啼鸟夜来风雨声花落知多少床前明月光疑是地上霜举头望明月低头思故乡白日依山尽黄河入海流欲穷千里目更上一层楼红豆生南国春来发几枝愿君多采撷此物最相思千山鸟飞绝万径人踪灭孤舟蓑笠翁独钓寒江雪锄禾日当午汗滴禾下土谁知盘中餐粒粒皆辛苦")
		title := string(long)
		c.add(product{title: title})
		if n := len(search.Grams(title)); n <= 200 {
			t.Fatalf("fixture has only %d grams", n)
		}
		for _, q := range []string{"春眠", "独钓寒江雪", "雪", "江"} {
			if got := c.find(q); !slices.Equal(got, []string{title}) {
				t.Errorf("Find(%q) = %d results, want the product", q, len(got))
			}
		}
	})
}

func TestFindOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newCatalogue(t, d)
		const (
			oldExact = "华为智能手机 旧款"
			newExact = "小米 智能手机 新款"
			// Has every gram of 智能手机 (智能, 能手, 手机) but not the phrase,
			// and is the newest.
			scattered = "智能手表 手机支架"
			other     = "智能音箱"
		)
		c.add(
			product{title: oldExact, listedH: 0},
			product{title: newExact, listedH: 1},
			product{title: scattered, listedH: 2},
			product{title: other, listedH: 3},
		)
		if got, want := c.find("智能手机"), []string{newExact, oldExact, scattered}; !slices.Equal(got, want) {
			t.Errorf("Find = %q, want exact phrase first, newest first within each group: %q", got, want)
		}
		if got, want := c.find("智能"), []string{other, scattered, newExact, oldExact}; !slices.Equal(got, want) {
			t.Errorf("Find(智能) = %q, want newest first %q", got, want)
		}
		// The limit cuts the ordered list.
		ids, err := c.ix.Find(context.Background(), "智能", 2)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.titles(ids), []string{other, scattered}; !slices.Equal(got, want) {
			t.Errorf("Find(智能, 2) = %q, want %q", got, want)
		}
		// English matching is case-insensitive, and so is the phrase test.
		c.add(product{title: "Apple iPhone 16 Pro 手机壳", listedH: 4}, product{title: "Pro 保护壳 iPhone 16", listedH: 5})
		if got, want := c.find("IPHONE 16 pro"), []string{"Apple iPhone 16 Pro 手机壳", "Pro 保护壳 iPhone 16"}; !slices.Equal(got, want) {
			t.Errorf("Find(IPHONE 16 pro) = %q, want %q", got, want)
		}
	})
}

func TestGenerate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		org, cat := seedOrgAndCategory(t, d)
		var progress []int
		if err := search.Generate(ctx, d, 1200, org, cat, func(done int) { progress = append(progress, done) }); err != nil {
			t.Fatal(err)
		}
		if want := []int{1000, 1200}; !slices.Equal(progress, want) {
			t.Errorf("progress = %v, want %v", progress, want)
		}
		var products, skus, unindexed int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM products WHERE status = 'listed' AND listed_at IS NOT NULL AND min_price_fen > 0`).Scan(&products); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRow(ctx, `SELECT count(*) FROM skus s JOIN products p ON p.id = s.product_id WHERE s.price_fen = p.min_price_fen`).Scan(&skus); err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRow(ctx, `SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM search_grams g WHERE g.product_id = p.id)`).Scan(&unindexed); err != nil {
			t.Fatal(err)
		}
		if products != 1200 || skus != 1200 || unindexed != 0 {
			t.Errorf("generated %d listed products, %d matching SKUs, %d products without grams; want 1200, 1200, 0", products, skus, unindexed)
		}
		// A generated title is found by a two-character substring of it.
		var title string
		if err := d.QueryRow(ctx, `SELECT title FROM products ORDER BY id LIMIT 1`).Scan(&title); err != nil {
			t.Fatal(err)
		}
		var q string
		for _, g := range search.Grams(title) {
			if len([]rune(g)) == 2 {
				q = g
				break
			}
		}
		ids, err := search.New(d).Find(ctx, q, 100)
		if err != nil || len(ids) == 0 {
			t.Errorf("Find(%q) from title %q = %d ids, %v", q, title, len(ids), err)
		}
	})
}

package catalog_test

import (
	"context"
	"testing"

	"gbmall/internal/catalog"
	"gbmall/internal/catalog/search"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// The catalogue and the real n-gram index together: a product is found by
// its title, category name and SKU attributes exactly while it is listed.
func TestBrowseWithSearchIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ix := search.New(d)
		e.cat.Indexer, e.cat.Finder = ix, ix
		ctx := context.Background()
		orgID, owner := e.seller("搜索店")
		shirt := e.product(owner, orgID, "apparel-mens", "纯棉男士衬衫", 12900)
		scarf := e.product(owner, orgID, "apparel-womens", "羊毛围巾", 25900)
		for _, p := range []*catalog.Product{shirt, scarf} {
			if _, err := e.cat.List(owner, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			q, category string
			want        []string
		}{
			{"衬衫", "", []string{shirt.ID}},
			{"男装", "", []string{shirt.ID}},           // category name
			{"色1", "", []string{shirt.ID, scarf.ID}}, // SKU attribute values; cheapest first
			{"围巾", "apparel-mens", nil},
			{"围巾", "apparel", []string{scarf.ID}},
		}
		for _, c := range cases {
			xs, _, err := e.cat.Browse(ctx, catalog.BrowseQuery{Q: c.q, CategoryID: c.category, Sort: catalog.SortPriceAsc})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range xs {
				got = append(got, x.ID)
			}
			if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
				t.Errorf("q=%s category=%s: %v, want %v", c.q, c.category, got, c.want)
			}
		}
		if _, err := e.cat.Delist(owner, shirt.ID); err != nil {
			t.Fatal(err)
		}
		if xs, _, _ := e.cat.Browse(ctx, catalog.BrowseQuery{Q: "衬衫"}); len(xs) != 0 {
			t.Fatalf("delisted product found: %+v", xs)
		}
	})
}

package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

func TestDefaultCategoryTree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cats, err := e.cat.Categories(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]catalog.Category{}
		tops, leaves, plain := 0, 0, 0
		slug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
		for _, c := range cats {
			byID[c.ID] = c
			if !slug.MatchString(c.ID) || c.Name == "" || c.NameEN == "" {
				t.Errorf("category %+v lacks a slug id or a name", c)
			}
			if c.ParentID == nil {
				tops++
			} else if _, ok := byID[*c.ParentID]; !ok {
				t.Errorf("%s comes before its parent", c.ID)
			}
			if c.IsLeaf {
				leaves++
				if len(c.RequiredQualifications) == 0 && !c.Prohibited && !c.ReviewRequired {
					plain++
				}
			}
		}
		if tops < 8 || leaves < 30 || plain < 10 {
			t.Fatalf("tree: %d top, %d leaves, %d plain leaves", tops, leaves, plain)
		}
		want := []struct {
			id                       string
			quals                    []string
			prohibited, review, ret7 bool
		}{
			{"food-snacks", []string{"food_business_license"}, false, false, true},
			{"food-fresh-produce", []string{"food_business_license"}, false, false, false},
			{"medical-devices", []string{"medical_device_license"}, false, true, true},
			{"baby-formula", []string{"food_business_license"}, false, true, true},
			{"cosmetics-skincare", []string{"cosmetics_license"}, false, false, true},
			{"books-print", []string{"publication_license"}, false, false, true},
			{"medical-prescription", []string{}, true, false, false},
			{"sports-controlled-knives", []string{}, true, false, false},
			{"apparel-underwear", []string{}, false, false, false},
			{"digital-software", []string{}, false, false, false},
			{"apparel-mens", []string{}, false, false, true},
			{"electronics-accessories", []string{}, false, false, true},
		}
		for _, w := range want {
			c, ok := byID[w.id]
			if !ok || !c.IsLeaf || !slices.Equal(c.RequiredQualifications, w.quals) || c.Prohibited != w.prohibited ||
				c.ReviewRequired != w.review || c.Returnable7d != w.ret7 || c.CommissionBP <= 0 {
				t.Errorf("%s: %+v", w.id, c)
			}
		}
		if !byID["electronics-phones"].CertificateRequired || byID["apparel-mens"].CertificateRequired {
			t.Error("CCC flags of the default tree")
		}
	})
}

func TestScreen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cases := []struct {
			name, category, text string
			blocked, review      []string
		}{
			{"absolute term", "apparel-mens", "全网最佳纯棉T恤", []string{"最佳"}, nil},
			{"split by tags", "apparel-mens", "<p>最<b>佳</b>品质</p>", []string{"最佳"}, nil},
			{"split by space", "apparel-mens", "国 家 级 工艺", []string{"国家级"}, nil},
			{"full-width latin", "apparel-mens", "销量ＴＯＰ１", nil, []string{"TOP1"}},
			{"case-insensitive", "apparel-mens", "top1 choice", nil, []string{"TOP1"}},
			{"entity-encoded", "apparel-mens", "100&#37;有效", []string{"100%有效"}, nil},
			{"content labelling is fine", "apparel-mens", "100%纯棉，舒适透气", nil, nil},
			{"food medical claim", "food-snacks", "常吃可降血压", []string{"降血压"}, nil},
			{"same words elsewhere are fine", "apparel-mens", "降血压", nil, nil},
			{"food review claim", "food-health", "增强免疫力", nil, []string{"增强免疫力"}},
			{"cosmetics", "cosmetics-skincare", "药妆级美白精华", []string{"药妆"}, []string{"美白"}},
			{"script text is not text", "apparel-mens", "<script>最佳</script>好衣服", nil, nil},
			{"clean", "home-textiles", "<p>纯棉四件套</p>", nil, nil},
		}
		for _, c := range cases {
			blocked, review, err := e.cat.Screen(context.Background(), c.category, c.text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(blocked, c.blocked) || !slices.Equal(review, c.review) {
				t.Errorf("%s: blocked %v review %v, want %v %v", c.name, blocked, review, c.blocked, c.review)
			}
		}
	})
}

func TestProductValidationListsEveryField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		orgID, owner := e.seller("校验店")
		_, err := e.cat.CreateProduct(owner, orgID, catalog.ProductInput{Title: "短", CategoryID: "food", Description: "<script>x</script>",
			SKUs: []catalog.SKUInput{
				{Code: "A", Price: catalog.Money{Amount: 0, Currency: "CNY"}},
				{Code: "a", Price: catalog.Money{Amount: 100, Currency: "USD"}, Attributes: map[string]string{"": "x"}},
			}})
		pe, ok := problem.As(err)
		if !ok || pe.Code != problem.Validation {
			t.Fatalf("want validation, got %v", err)
		}
		var fields []string
		for _, f := range pe.Fields {
			fields = append(fields, f.Field)
		}
		for _, want := range []string{"title", "description", "category_id", "skus[0].price.amount", "skus[1].code", "skus[1].price.currency", "skus[1].attributes."} {
			if !slices.Contains(fields, want) {
				t.Errorf("no error for %s in %v", want, fields)
			}
		}
		for name, cat := range map[string]string{"prohibited": "medical-prescription", "missing": "no-such"} {
			if _, err := e.cat.CreateProduct(owner, orgID, catalog.ProductInput{Title: "合规商品标题", CategoryID: cat, Description: "x", SKUs: skus(100)}); problem.CodeOf(err) != problem.Validation {
				t.Errorf("%s category: %v", name, err)
			}
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM products`).Scan(&n)
		if n != 0 {
			t.Fatalf("invalid products stored: %d", n)
		}
	})
}

func TestListingIndexesAndVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		orgID, owner := e.seller("索引店")
		p := e.product(owner, orgID, "apparel-mens", "纯棉男士衬衫", 12900, 9900)
		if p.Status != catalog.StatusDraft || p.MinPrice.Amount != 9900 || e.index.has(p.ID) {
			t.Fatalf("draft: %+v", p)
		}
		p, err := e.cat.List(owner, p.ID)
		if err != nil || p.Status != catalog.StatusListed {
			t.Fatalf("list: %v %+v", err, p)
		}
		texts := strings.Join(e.index.docs[p.ID], " ")
		for _, want := range []string{"纯棉男士衬衫", "男装", "Men's clothing", "服饰鞋包", "色1", "色2"} {
			if !strings.Contains(texts, want) {
				t.Errorf("index lacks %q: %s", want, texts)
			}
		}
		// A listed product's edit is screened: a block term refuses it.
		_, err = e.cat.UpdateProduct(owner, p.ID, catalog.ProductInput{Title: "最好的纯棉男士衬衫", CategoryID: "apparel-mens", Description: "<p>好</p>"})
		if pe, ok := problem.As(err); !ok || pe.Code != problem.ProhibitedClaim || !slices.Equal(pe.Extra["phrases"].([]string), []string{"最好"}) {
			t.Fatalf("edit with block term: %v", err)
		}
		p, err = e.cat.UpdateProduct(owner, p.ID, catalog.ProductInput{Title: "纯棉男士长袖衬衫", CategoryID: "apparel-mens",
			Description: `<p onclick="steal()">新描述</p><script>alert(1)</script>`, StandardCode: "GB/T 2660-2017"})
		if err != nil || p.Version != 2 || strings.Contains(p.Description, "script") || strings.Contains(p.Description, "onclick") || !strings.Contains(p.Description, "新描述") {
			t.Fatalf("edit: %v %+v", err, p)
		}
		if !strings.Contains(strings.Join(e.index.docs[p.ID], " "), "长袖") {
			t.Error("edit of a listed product not re-indexed")
		}
		// A review term sends a listed product back to review and out of the index.
		p, err = e.cat.UpdateProduct(owner, p.ID, catalog.ProductInput{Title: "纯棉男士衬衫 全网首发", CategoryID: "apparel-mens", Description: "<p>新</p>"})
		if err != nil || p.Status != catalog.StatusPendingReview || e.index.has(p.ID) {
			t.Fatalf("edit with review term: %v %+v", err, p)
		}
		// Every version is kept, with its SKUs.
		var versions int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM product_versions WHERE product_id = $1`, p.ID).Scan(&versions)
		if versions != 3 {
			t.Fatalf("versions kept: %d", versions)
		}
		snap, err := e.cat.VersionSnapshot(owner, p.ID, 1)
		var v1 struct {
			Title string `json:"title"`
			SKUs  []struct {
				PriceFen int64 `json:"price_fen"`
			} `json:"skus"`
		}
		if err != nil || json.Unmarshal([]byte(snap), &v1) != nil || v1.Title != "纯棉男士衬衫" || len(v1.SKUs) != 2 {
			t.Fatalf("version 1: %v %s", err, snap)
		}
		// Approval lists it and logs the overridden review phrase.
		rev := e.reviewer()
		p, err = e.cat.Decide(rev, p.ID, "approve", "")
		if err != nil || p.Status != catalog.StatusListed || !e.index.has(p.ID) {
			t.Fatalf("approve: %v %+v", err, p)
		}
		var details string
		_ = d.QueryRow(context.Background(), `SELECT details FROM audit_log WHERE action = 'product.approve' AND object_id = $1`, p.ID).Scan(&details)
		if !strings.Contains(details, "全网首发") {
			t.Fatalf("override not logged: %s", details)
		}
		// Delisting takes it out of the index.
		if p, err = e.cat.Delist(owner, p.ID); err != nil || p.Status != catalog.StatusDelisted || e.index.has(p.ID) {
			t.Fatalf("delist: %v %+v", err, p)
		}
		if _, err := e.cat.Delist(owner, p.ID); problem.CodeOf(err) != problem.InvalidTransition {
			t.Fatalf("delist twice: %v", err)
		}
	})
}

func TestCertificateRequiredCategory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		orgID, owner := e.seller("数码店")
		p, err := e.cat.CreateProduct(owner, orgID, catalog.ProductInput{Title: "5G 智能手机 8+256G", CategoryID: "electronics-phones",
			Description: "<p>手机</p>", StandardCode: "GB 4943.1-2022", SKUs: skus(199900)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.cat.List(owner, p.ID)
		if pe, ok := problem.As(err); !ok || pe.Code != problem.Validation || pe.Fields[0].Field != "certificate_number" {
			t.Fatalf("CCC product without certificate: %v", err)
		}
		if _, err := e.cat.UpdateProduct(owner, p.ID, catalog.ProductInput{Title: p.Title, CategoryID: p.CategoryID, Description: p.Description,
			StandardCode: p.StandardCode, CertificateNumber: "2021011606123456"}); err != nil {
			t.Fatal(err)
		}
		if p, err = e.cat.List(owner, p.ID); err != nil || p.Status != catalog.StatusListed {
			t.Fatalf("with certificate: %v", err)
		}
	})
}

func TestPurchasableFollowsLicenceDates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		orgID, owner := e.seller("食品店", "food_business_license")
		p := e.product(owner, orgID, "food-snacks", "原味坚果礼盒", 5900)
		skuID := p.SKUs[0].ID
		if _, err := e.cat.Purchasable(ctx, skuID, e.clock.Now()); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("draft purchasable: %v", err)
		}
		if _, err := e.cat.List(owner, p.ID); err != nil {
			t.Fatal(err)
		}
		info, err := e.cat.Purchasable(ctx, skuID, e.clock.Now())
		if err != nil || info.Price.Amount != 5900 || info.SellerID != orgID || info.SellerName != "食品店" || info.ProductVersion != 1 || !info.Returnable7d {
			t.Fatalf("purchasable: %v %+v", err, info)
		}
		// The food licence lapses: sales stop at once, without any job.
		if _, err := d.WritePool().Exec(`UPDATE qualifications SET valid_until = $1 WHERE type_code = 'food_business_license'`, e.day(-1)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Purchasable(ctx, skuID, e.clock.Now()); problem.CodeOf(err) != problem.QualificationMissing {
			t.Fatalf("after lapse: %v", err)
		}
		if xs, _, err := e.cat.Browse(ctx, catalog.BrowseQuery{}); err != nil || len(xs) != 0 {
			t.Fatalf("unpurchasable product in the list: %v %+v", err, xs)
		}
		if _, err := e.cat.Purchasable(ctx, id.New(), e.clock.Now()); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("unknown sku: %v", err)
		}
	})
}

func TestReferencePriceRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		orgID, owner := e.seller("价格店")
		p := e.product(owner, orgID, "home-textiles", "纯棉四件套 1.8 米", 12900)
		skuID := p.SKUs[0].ID
		sale := func(fen int64, ago time.Duration) {
			t.Helper()
			if _, err := d.WritePool().Exec(`INSERT INTO sku_sales (id, sku_id, order_id, unit_price_fen, quantity, sold_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				id.New(), skuID, id.New(), fen, 1, e.clock.Now().Add(-ago)); err != nil {
				t.Fatal(err)
			}
		}
		set := func(price, ref int64) error {
			in := catalog.PriceInput{Price: catalog.CNY(price)}
			if ref > 0 {
				r := catalog.CNY(ref)
				in.ReferencePrice = &r
			}
			_, err := e.cat.SetPrice(owner, skuID, in)
			return err
		}
		maxOf := func(err error) any {
			pe, _ := problem.As(err)
			if pe == nil || pe.Code != problem.ReferencePriceHigh {
				t.Fatalf("want reference-price-too-high, got %v", err)
			}
			return pe.Extra["max_allowed"]
		}
		// Never sold: no reference price at all.
		if m := maxOf(set(8900, 9000)); m != nil {
			t.Fatalf("max with no sales: %v", m)
		}
		// Sold only 10 days ago at 110.00: up to that price.
		sale(11000, 10*24*time.Hour)
		if err := set(8900, 11000); err != nil {
			t.Fatalf("reference at the last sale price: %v", err)
		}
		if m := maxOf(set(8900, 11001)); m != int64(11000) {
			t.Fatalf("max from last sale: %v", m)
		}
		// Sales within 7 days: the lowest of them.
		sale(9900, 3*24*time.Hour)
		sale(12000, 24*time.Hour)
		if m := maxOf(set(8900, 9901)); m != int64(9900) {
			t.Fatalf("max from 7 days: %v", m)
		}
		if err := set(8900, 9900); err != nil {
			t.Fatalf("reference at the lowest recent price: %v", err)
		}
		// A reference at or below the price is not a reference.
		if err := set(9900, 9900); problem.CodeOf(err) != problem.Validation {
			t.Fatalf("reference equal to price: %v", err)
		}
		// The sale 3 days ago leaves the window after 4 more days.
		e.clock.Advance(4*24*time.Hour + time.Minute)
		if err := set(8900, 12000); err != nil {
			t.Fatalf("after the window moved: %v", err)
		}
		hist, _, err := e.cat.PriceHistory(owner, skuID, 100, "")
		if err != nil || len(hist) != 4 || hist[0].ReferencePrice == nil || hist[0].ReferencePrice.Amount != 12000 || hist[len(hist)-1].OldPrice != nil {
			t.Fatalf("history: %v %+v", err, hist)
		}
	})
}

func TestCategoryAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.admin()
		orgID, owner := e.seller("家居店")
		e.product(owner, orgID, "home-textiles", "纯棉四件套", 12900)
		in := catalog.CategoryInput{ID: "home-pillows", Name: "枕头", NameEN: "Pillows", ParentID: "home-textiles", Returnable7d: true, CommissionBP: 500}
		if _, err := e.cat.CreateCategory(admin, in); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("child under a leaf with products: %v", err)
		}
		in.ParentID = "home"
		c, err := e.cat.CreateCategory(admin, in)
		if err != nil || !c.IsLeaf || *c.ParentID != "home" {
			t.Fatalf("create: %v %+v", err, c)
		}
		if _, err := e.cat.CreateCategory(owner, catalog.CategoryInput{ID: "x-y", Name: "x", NameEN: "x"}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("seller created a category: %v", err)
		}
		// A cycle is refused; inherited rules show on the leaves.
		if _, err := e.cat.UpdateCategory(admin, "home", catalog.CategoryInput{Name: "家居", NameEN: "Home", ParentID: "home-pillows", CommissionBP: 500}); problem.CodeOf(err) != problem.Validation {
			t.Fatalf("cycle: %v", err)
		}
		if _, err := e.cat.UpdateCategory(admin, "home", catalog.CategoryInput{Name: "家居家装", NameEN: "Home", CommissionBP: 500, Returnable7d: true,
			RequiredQualifications: []string{"cosmetics_license", "no_such_code"}}); problem.CodeOf(err) != problem.Validation {
			t.Fatalf("unknown code: %v", err)
		}
		if _, err := e.cat.UpdateCategory(admin, "home", catalog.CategoryInput{Name: "家居家装", NameEN: "Home", CommissionBP: 500, Returnable7d: true,
			ReviewRequired: true}); err != nil {
			t.Fatal(err)
		}
		cats, _ := e.cat.Categories(context.Background())
		for _, c := range cats {
			if c.ID == "home-pillows" && !c.ReviewRequired {
				t.Fatal("leaf does not inherit review_required")
			}
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('category.create', 'category.update')`).Scan(&n)
		if n != 2 {
			t.Fatalf("category changes audited: %d", n)
		}
	})
}

func TestClaimTermAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.admin()
		ctx := context.Background()
		term, err := e.cat.AddClaimTerm(admin, catalog.ClaimTermInput{Term: "秒杀全网", Action: "block", Note: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.AddClaimTerm(admin, catalog.ClaimTermInput{Term: "秒杀全网", Action: "review"}); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("duplicate term: %v", err)
		}
		if blocked, _, _ := e.cat.Screen(ctx, "home-textiles", "四件套秒杀全网"); !slices.Equal(blocked, []string{"秒杀全网"}) {
			t.Fatalf("new term not screened: %v", blocked)
		}
		all, next, err := e.cat.ClaimTerms(admin, 100, "")
		if err != nil || len(all) < 50 || next != "" {
			t.Fatalf("list: %v %d %q", err, len(all), next)
		}
		page, next, err := e.cat.ClaimTerms(admin, 10, "")
		if err != nil || len(page) != 10 || next == "" {
			t.Fatalf("page: %v %d", err, len(page))
		}
		if page2, _, _ := e.cat.ClaimTerms(admin, 10, next); len(page2) != 10 || page2[0].ID <= page[9].ID {
			t.Fatal("second page")
		}
		if err := e.cat.RemoveClaimTerm(admin, term.ID); err != nil {
			t.Fatal(err)
		}
		if blocked, _, _ := e.cat.Screen(ctx, "home-textiles", "四件套秒杀全网"); len(blocked) != 0 {
			t.Fatalf("removed term still screened: %v", blocked)
		}
		if err := e.cat.RemoveClaimTerm(admin, term.ID); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("remove twice: %v", err)
		}
	})
}

// The answers an order's check takes from memory are held under a stamp
// that every committed change to what the check reads raises — and only
// those changes — so the placing transaction, reading the stamp again,
// knows whether to ask again.
func TestHeldChecksFollowTheStamp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		orgID, owner := e.seller("食品店", "food_business_license")
		p := e.product(owner, orgID, "food-snacks", "原味坚果礼盒", 5900)
		if _, err := e.cat.List(owner, p.ID); err != nil {
			t.Fatal(err)
		}
		sku := p.SKUs[0].ID
		stamp := func() int64 {
			t.Helper()
			var v int64
			if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.Pipeline(ctx, e.cat.StampStep(&v)) }); err != nil {
				t.Fatal(err)
			}
			return v
		}
		check := func(cached bool) catalog.Check {
			t.Helper()
			c, err := e.cat.CheckPurchasable(ctx, d.Reader(ctx), []string{sku}, e.clock.Now(), cached)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		first := check(true)
		if first.Infos[sku] == nil || first.Stamp != stamp() {
			t.Fatalf("first check: %+v, stamp now %d", first, stamp())
		}
		if again := check(true); again.Infos[sku] != first.Infos[sku] || again.Stamp != first.Stamp {
			t.Fatalf("second check not answered from memory: %+v", again)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.WritePool().Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		moves := []string{
			`UPDATE skus SET price_fen = price_fen + 1`,
			`UPDATE skus SET attributes = attributes`,
			`UPDATE products SET status = status`,
			`UPDATE products SET title = title`,
			`UPDATE organizations SET status = status`,
			`UPDATE organizations SET name = name`,
			`UPDATE qualifications SET valid_until = valid_until`,
			`UPDATE qualification_requirements SET required = required`,
			`UPDATE categories SET name_zh = name_zh`,
		}
		for _, q := range moves {
			before := stamp()
			exec(q)
			if after := stamp(); after <= before {
				t.Errorf("%s: stamp %d → %d, want it raised", q, before, after)
			}
		}
		stays := []string{
			`UPDATE products SET sales_count = sales_count + 1`,
			`UPDATE organizations SET require_mfa = require_mfa`,
			`UPDATE skus SET barcode = 'x'`,
		}
		for _, q := range stays {
			before := stamp()
			exec(q)
			if after := stamp(); after != before {
				t.Errorf("%s: stamp %d → %d, want it unchanged", q, before, after)
			}
		}
		// The licence lapses. Memory still answers under the old stamp —
		// which the transaction's stamp shows to be out of date.
		exec(`UPDATE qualifications SET valid_until = $1 WHERE type_code = 'food_business_license'`, e.day(-1))
		held := check(true)
		now := stamp()
		if held.Stamp >= now {
			t.Fatalf("held answer's stamp %d, transaction's %d", held.Stamp, now)
		}
		// Once a transaction has seen the new stamp, memory no longer
		// answers: the check reads, and refuses.
		e.cat.SeenStamp(now)
		if c := check(true); c.Infos[sku] != nil || problem.CodeOf(c.Errs[sku]) != problem.QualificationMissing || c.Stamp != now {
			t.Fatalf("after the stamp was seen: %+v", c)
		}
		// An answer read inside a transaction (which may see its own
		// uncommitted writes) is never kept.
		exec(`UPDATE qualifications SET valid_until = $1 WHERE type_code = 'food_business_license'`, e.day(365))
		fresh := check(false)
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE skus SET price_fen = 1 WHERE id = $1`, sku); err != nil {
				return err
			}
			c, err := e.cat.CheckPurchasable(ctx, tx, []string{sku}, e.clock.Now(), true)
			if err != nil || c.Infos[sku] == nil || c.Infos[sku].Price.Amount != 1 {
				t.Errorf("check in the transaction: %v %+v", err, c)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("transaction committed")
		}
		if c := check(true); c.Infos[sku] == nil || c.Infos[sku].Price.Amount != fresh.Infos[sku].Price.Amount || c.Stamp != fresh.Stamp {
			t.Fatalf("after the rollback: %+v, want %+v", c.Infos[sku], fresh.Infos[sku])
		}
	})
}

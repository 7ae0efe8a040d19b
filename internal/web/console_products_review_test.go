package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/inventory"
	"gbmall/internal/org"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/web"
)

// setupImageConsole is setupSellerConsole with the product image store.
func setupImageConsole(t *testing.T, d *db.DB) *sellerEnv {
	t.Helper()
	keys, err := fieldcrypt.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	trail := audit.New(clk)
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	ids := identity.NewService(d, clk, keys, trail, cfg)
	docs := document.NewStore(d, trail, clk, t.TempDir())
	orgs := org.NewService(d, clk, keys, trail, ids, docs)
	cat := catalog.NewService(d, clk, trail, orgs)
	inv := inventory.NewService(d, clk, trail, keys)
	cat.Stock = inv
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Orgs: orgs, Documents: docs, Catalog: cat, Inventory: inv,
		Images: catalog.NewImageStore(cat, t.TempDir()), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &sellerEnv{orgEnv: &orgEnv{env: &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}, orgs: orgs, docs: docs}, catalog: cat}
}

// flaggedProduct creates and lists a product whose title has a phrase
// that sends it to review.
func (e *sellerEnv) flaggedProduct(ownerLogin, orgID string) string {
	e.t.Helper()
	ctx := e.as(ownerAccount(e.t, e.orgEnv, ownerLogin))
	p, err := e.catalog.CreateProduct(ctx, orgID, catalog.ProductInput{Title: "轻量登山包 40L 背负遥遥领先", CategoryID: "sports-outdoor",
		Description: "<p>防泼水面料。</p>", SKUs: []catalog.SKUInput{{Code: "BP-40", Price: catalog.CNY(25900)}}})
	if err != nil {
		e.t.Fatal(err)
	}
	if p, err = e.catalog.List(ctx, p.ID); err != nil || p.Status != catalog.StatusPendingReview {
		e.t.Fatalf("list: %v %+v", err, p)
	}
	return p.ID
}

func productStatus(t *testing.T, e *sellerEnv, ownerLogin, pid string) *catalog.Product {
	t.Helper()
	p, err := e.catalog.Product(e.as(ownerAccount(t, e.orgEnv, ownerLogin)), pid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProductModerationConsole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupImageConsole(t, d)
		orgID, op := e.approvedSeller("owner@example.cn")
		pid := e.flaggedProduct("owner@example.cn", orgID)
		rev := e.loginOperator("reviewer@example.cn", op.TOTPSecret)

		home := e.get(rev, "/home")
		mustContain(t, home.body, `href="/console/products"`, "打开商品审核", "商品审核")

		// The queue: the product, its flagged phrase marked in the title.
		q := e.get(rev, "/console/products")
		if q.status != http.StatusOK {
			t.Fatalf("queue: %d", q.status)
		}
		mustContain(t, q.body, `<mark class="seller-claim-inline">遥遥领先</mark>`, "需复核用语", "优选好物旗舰店", "¥259.00",
			`action="/console/products/`+pid+`/decision"`, "暂无图片")

		// A rejection needs a reason: the form comes back with the message.
		token := csrf(t, q.body)
		p := e.post(rev, "/console/products/"+pid+"/decision", url.Values{"csrf_token": {token}, "decision": {"reject"}, "reason": {""}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d", p.status)
		}
		mustContain(t, p.body, "请填写理由", `<details class="modr-reject" open>`)
		if st := productStatus(t, e, "owner@example.cn", pid).Status; st != catalog.StatusPendingReview {
			t.Fatalf("status after refused rejection: %s", st)
		}
		p = e.post(rev, "/console/products/"+pid+"/decision", url.Values{"csrf_token": {token}, "decision": {"reject"},
			"reason": {"“遥遥领先”属比较性宣传，请提供依据或修改标题"}})
		if p.status != http.StatusOK || !strings.Contains(p.path, "msg=rejected") {
			t.Fatalf("reject: %d at %s", p.status, p.path)
		}
		mustContain(t, p.body, "已驳回", "没有待审核的商品")
		if prod := productStatus(t, e, "owner@example.cn", pid); prod.Status != catalog.StatusDraft || !strings.Contains(prod.StatusReason, "比较性宣传") {
			t.Fatalf("after rejection: %s %q", prod.Status, prod.StatusReason)
		}

		// Submitted again and approved: on sale.
		if _, err := e.catalog.List(e.as(ownerAccount(t, e.orgEnv, "owner@example.cn")), pid); err != nil {
			t.Fatal(err)
		}
		p = e.post(rev, "/console/products/"+pid+"/decision", url.Values{"csrf_token": {token}, "decision": {"approve"}})
		if p.status != http.StatusOK || !strings.Contains(p.path, "msg=approved") {
			t.Fatalf("approve: %d at %s", p.status, p.path)
		}
		if st := productStatus(t, e, "owner@example.cn", pid).Status; st != catalog.StatusListed {
			t.Fatalf("after approval: %s", st)
		}
		// Deciding again: the queue says why nothing happened.
		p = e.post(rev, "/console/products/"+pid+"/decision", url.Values{"csrf_token": {token}, "decision": {"approve"}})
		if p.status != http.StatusConflict {
			t.Fatalf("second decision: %d", p.status)
		}
		mustContain(t, p.body, `class="alert alert-error"`)

		// Removal: listed tab, confirmation step with a reason.
		mustContain(t, e.get(rev, "/console/products?tab=listed").body, `href="/console/products/`+pid+`/remove"`)
		form := e.get(rev, "/console/products/"+pid+"/remove")
		if form.status != http.StatusOK {
			t.Fatalf("remove form: %d", form.status)
		}
		mustContain(t, form.body, "违规下架商品", "轻量登山包", `name="reason"`)
		p = e.post(rev, "/console/products/"+pid+"/remove", url.Values{"csrf_token": {token}, "reason": {"x"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("remove without a real reason: %d", p.status)
		}
		mustContain(t, p.body, "请填写理由")
		if st := productStatus(t, e, "owner@example.cn", pid).Status; st != catalog.StatusListed {
			t.Fatalf("removed without a reason: %s", st)
		}
		p = e.post(rev, "/console/products/"+pid+"/remove", url.Values{"csrf_token": {token}, "reason": {"标题含未经证实的比较性宣传"}})
		if p.status != http.StatusOK || !strings.Contains(p.path, "tab=removed") {
			t.Fatalf("remove: %d at %s", p.status, p.path)
		}
		mustContain(t, p.body, "商品已违规下架", "轻量登山包", "标题含未经证实的比较性宣传")
		if st := productStatus(t, e, "owner@example.cn", pid).Status; st != catalog.StatusRemoved {
			t.Fatalf("after removal: %s", st)
		}
		if n := auditCount(t, d, "product.remove"); n != 1 {
			t.Fatalf("%d removal audit entries", n)
		}

		// English.
		mustContain(t, e.get(rev, "/console/products?tab=removed&lang=en").body, "Product moderation", "Removed")
	})
}

func TestSellerGetsNotFoundOnProductModeration(t *testing.T) {
	e := setupImageConsole(t, dbtest.SQLite(t))
	orgID, _ := e.approvedSeller("owner@example.cn")
	pid := e.flaggedProduct("owner@example.cn", orgID)
	owner := e.sellerLogin("owner@example.cn")
	home := e.get(owner, "/home")
	mustNotContain(t, home.body, `href="/console/products"`)
	for _, path := range []string{"/console/products", "/console/products?tab=listed", "/console/products/" + pid + "/remove"} {
		if p := e.get(owner, path); p.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, p.status)
		}
	}
	token := csrf(t, home.body)
	for _, path := range []string{"/console/products/" + pid + "/decision", "/console/products/" + pid + "/remove"} {
		if p := e.post(owner, path, url.Values{"csrf_token": {token}, "decision": {"approve"}, "reason": {"自己批准自己"}}); p.status != http.StatusNotFound {
			t.Errorf("POST %s: status %d", path, p.status)
		}
	}
	if st := productStatus(t, e, "owner@example.cn", pid).Status; st != catalog.StatusPendingReview {
		t.Fatalf("the seller decided on its own product: %s", st)
	}
	if p := e.get(noFollow(e.browser()), "/console/products"); p.status != http.StatusSeeOther {
		t.Errorf("anonymous: status %d", p.status)
	}
}

func jpegOf(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{c.R ^ uint8(x), c.G ^ uint8(y), c.B, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var imageIDRe = regexp.MustCompile(`/images/([0-9a-f-]{36})/delete`)

func TestSellerProductImages(t *testing.T) {
	e := setupImageConsole(t, dbtest.SQLite(t))
	orgID, _ := e.approvedSeller("owner@example.cn")
	c := e.sellerLogin("owner@example.cn")
	p := e.newProduct(c, orgID, "家用铸铁炖锅 24 厘米", "home-kitchenware")
	m := productPathRe.FindStringSubmatch(p.path)
	if m == nil {
		t.Fatalf("create at %s", p.path)
	}
	pid := m[1]
	base := "/orgs/" + orgID + "/products/" + pid
	mustContain(t, p.body, `id="images"`, `enctype="multipart/form-data"`, "已上传 0 张，最多 9 张", "暂无图片")

	// Not an image: the message is next to the file input, nothing stored.
	up := e.upload(c, base+"/images", url.Values{"csrf_token": {csrf(t, p.body)}}, "pot.jpg", []byte("<svg onload=alert(1)>"))
	if up.status != http.StatusUnsupportedMediaType {
		t.Fatalf("svg upload: %d", up.status)
	}
	mustContain(t, up.body, "只接受 JPEG、PNG 或 WebP 图片", `aria-invalid="true"`)
	// Without the CSRF token: refused.
	if up := e.upload(c, base+"/images", nil, "pot.jpg", jpegOf(t, 300, 300, color.RGBA{200, 40, 40, 255})); up.status != http.StatusForbidden {
		t.Fatalf("upload without token: %d", up.status)
	}

	for i, col := range []color.RGBA{{200, 40, 40, 255}, {40, 160, 60, 255}} {
		up = e.upload(c, base+"/images", url.Values{"csrf_token": {csrf(t, p.body)}}, "pot.jpg", jpegOf(t, 600+i, 400, col))
		if up.status != http.StatusOK || !strings.Contains(up.path, "msg=image_added") {
			t.Fatalf("upload %d: %d at %s\n%s", i, up.status, up.path, up.body)
		}
	}
	mustContain(t, up.body, "图片已上传", "已上传 2 张", "主图", "设为主图")
	ids := imageIDRe.FindAllStringSubmatch(up.body, -1)
	if len(ids) != 2 {
		t.Fatalf("image tiles: %v", ids)
	}
	first, second := ids[0][1], ids[1][1]

	// Make the second the main image.
	mv := e.post(c, base+"/images/"+second+"/move", url.Values{"csrf_token": {csrf(t, up.body)}, "to": {"first"}})
	if mv.status != http.StatusOK || !strings.Contains(mv.path, "msg=images_ordered") {
		t.Fatalf("move: %d at %s", mv.status, mv.path)
	}
	prod := productStatus(t, e, "owner@example.cn", pid)
	if len(prod.Images) != 2 || prod.Images[0].ID != second {
		t.Fatalf("order after move: %+v", prod.Images)
	}

	// The storefront: the list card and the product page's gallery.
	if lp := e.post(c, base+"/list", url.Values{"csrf_token": {csrf(t, mv.body)}}); lp.status != http.StatusOK {
		t.Fatalf("list: %d", lp.status)
	}
	shopper := e.browser()
	mustContain(t, e.get(shopper, "/search?q=铸铁").body, `src="/media/`+prod.Images[0].SHA256+`/480.jpg"`)
	pp := e.get(shopper, "/p/"+pid)
	mustContain(t, pp.body, `class="gallery-radio`, `src="/media/`+prod.Images[0].SHA256+`/960.jpg"`,
		`src="/media/`+prod.Images[1].SHA256+`/160.jpg"`)

	// Delete, after a confirmation.
	conf := e.get(c, base+"/images/"+first+"/delete")
	if conf.status != http.StatusOK {
		t.Fatalf("delete confirm: %d", conf.status)
	}
	mustContain(t, conf.body, "删除这张图片？", "第 2 张（共 2 张）")
	del := e.post(c, base+"/images/"+first+"/delete", url.Values{"csrf_token": {csrf(t, conf.body)}})
	if del.status != http.StatusOK || !strings.Contains(del.path, "msg=image_deleted") {
		t.Fatalf("delete: %d at %s", del.status, del.path)
	}
	if prod := productStatus(t, e, "owner@example.cn", pid); len(prod.Images) != 1 || prod.Images[0].ID != second {
		t.Fatalf("after delete: %+v", prod.Images)
	}

	// Another seller's staff: not found.
	ctx := context.Background()
	otherID, _, err := e.ids.EnsureAccount(ctx, "other@example.cn", password, "别人")
	if err != nil {
		t.Fatal(err)
	}
	_ = otherID
	other := e.sellerLogin("other@example.cn")
	if p := e.get(other, base+"/images/"+second+"/delete"); p.status != http.StatusNotFound {
		t.Fatalf("other account: %d", p.status)
	}
}

package browsertest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gbmall/internal/org/cnid"
)

// TestSellerSuppliesStocksListsAndShopperFinds walks issue 4's seller path
// in a browser: the demo seller's owner files a supplier with its licence
// (R-6.4-1), creates a product, receives inspected stock from that supplier
// (R-6.4-2) and lists the product; an anonymous shopper then finds it by a
// two-character Chinese substring and sees its price and stock (R-6.3-1).
func TestSellerSuppliesStocksListsAndShopperFinds(t *testing.T) {
	h := start(t, true)
	const (
		title        = "不粘锅炒锅 麦饭石 32cm"
		supplierName = "佛山市顺德区好锅厨具制造有限公司"
		skuCode      = "WOK-32-MFS"
		batch        = "B20261128-01"
	)
	uscc := cnid.MakeUSCC("9144030012340001")
	until := h.p.Clock.Now().AddDate(1, 0, 0).Format(time.DateOnly)

	var orgID string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM organizations WHERE kind='seller' AND status='approved' ORDER BY created_at LIMIT 1`).Scan(&orgID); err != nil {
		t.Fatalf("demo seller: %v", err)
	}
	base := h.url + "/orgs/" + orgID

	// Log in as the demo seller's owner.
	h.do(
		chromedp.Navigate(h.url+"/login?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), "seller1@demo.gbmall.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "Demo-Pass-2026"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	h.shot("01-seller-home")

	// File a supplier with its business licence.
	h.do(
		chromedp.Navigate(base+"/suppliers"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/orgs/`+orgID+`/suppliers#file"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), supplierName),
		chromedp.SendKeys(chromedp.CSS(`input[name=uscc]`), uscc),
		chromedp.SendKeys(chromedp.CSS(`input[name=contact_name]`), "梁国华"),
		chromedp.SendKeys(chromedp.CSS(`input[name=contact_mobile]`), "13912345678"),
		chromedp.SetValue(chromedp.CSS(`select[name=lic_type]`), "business_license"),
		chromedp.SendKeys(chromedp.CSS(`input[name=lic_number]`), uscc),
		chromedp.SetValue(chromedp.CSS(`input[name=lic_valid_until]`), until),
	)
	h.shot("02-supplier-form")
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/orgs/`+orgID+`/suppliers#file"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-ok`)),
	)
	h.shot("03-supplier-filed")
	if body := h.text("main"); !strings.Contains(body, supplierName) || !strings.Contains(body, uscc) {
		t.Fatalf("supplier list lacks the new supplier: %q", body)
	}
	var supplierID string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM suppliers WHERE organization_id = $1 AND name = $2`, orgID, supplierName).Scan(&supplierID); err != nil {
		t.Fatalf("supplier not stored: %v", err)
	}

	// Create the product with one SKU.
	h.do(
		chromedp.Navigate(base+"/products/new"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/orgs/`+orgID+`/products/new"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=title]`), title),
		chromedp.SetValue(chromedp.CSS(`select[name=category_id]`), "home-kitchenware"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=description]`), "麦饭石涂层不粘锅，32 厘米口径，适用于燃气灶和电磁炉。"),
		chromedp.SendKeys(chromedp.CSS(`input[name=sku_code_0]`), skuCode),
		chromedp.SendKeys(chromedp.CSS(`input[name=sku_attrs_0]`), "口径=32cm"),
		chromedp.SendKeys(chromedp.CSS(`input[name=sku_price_0]`), "159.00"),
	)
	h.shot("04-product-form")
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/orgs/`+orgID+`/products/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.seller-sku-card`)),
	)
	h.shot("05-product-created")
	m := regexp.MustCompile(`/orgs/[0-9a-f-]{36}/products/([0-9a-f-]{36})`).FindStringSubmatch(h.location())
	if m == nil {
		t.Fatalf("not on the product page: %s", h.location())
	}
	productID := m[1]
	if body := h.text("main"); !strings.Contains(body, title) || !strings.Contains(body, "¥159.00") || !strings.Contains(body, "草稿") {
		t.Fatalf("new product page lacks the title, the price or the draft status: %q", body)
	}
	var skuID string
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM skus WHERE product_id = $1 AND code = $2`, productID, skuCode).Scan(&skuID); err != nil {
		t.Fatalf("SKU not stored: %v", err)
	}

	// Receive 30 pieces from the supplier, inspection passed.
	h.do(
		chromedp.Navigate(base+"/stock"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/orgs/`+orgID+`/stock/receipts#receive"]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=sku_id]`), skuID),
		chromedp.SetValue(chromedp.CSS(`select[name=supplier_id]`), supplierID),
		chromedp.SendKeys(chromedp.CSS(`input[name=quantity]`), "30"),
		chromedp.SendKeys(chromedp.CSS(`input[name=batch]`), batch),
		chromedp.Click(chromedp.CSS(`input[name=inspection][value=pass]`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=inspection_notes]`), "外观、涂层、标签抽检合格"),
	)
	h.shot("06-receipt-form")
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/orgs/`+orgID+`/stock/receipts#receive"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-ok`)),
	)
	h.shot("07-stock-received")
	if body := h.text("main"); !strings.Contains(body, batch) || !strings.Contains(body, supplierName) {
		t.Fatalf("stock page lacks the receipt: %q", body)
	}
	var onHand, reserved int
	if err := h.p.DB.QueryRow(h.ctx, `SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1`, skuID).Scan(&onHand, &reserved); err != nil || onHand != 30 || reserved != 0 {
		t.Fatalf("stock level after the receipt: on hand %d, reserved %d, %v", onHand, reserved, err)
	}

	// List the product.
	h.do(
		chromedp.Navigate(base+"/products/"+productID),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/orgs/`+orgID+`/products/`+productID+`/list"]`)),
	)
	h.shot("08-product-before-listing")
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/orgs/`+orgID+`/products/`+productID+`/list"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/orgs/`+orgID+`/products/`+productID+`/delist"]`)),
	)
	h.shot("09-product-listed")
	if badge := h.text(".title-row .badge"); !strings.Contains(badge, "在售") && !strings.Contains(badge, "Listed") {
		t.Fatalf("status after listing: %q", badge)
	}

	// Log out; an anonymous shopper searches by a two-character substring.
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(h.url+"/search?q=麦饭"),
		chromedp.WaitVisible(chromedp.CSS(`form[role=search]`)),
	)
	h.shot("10-search")
	link := `.store-card a.store-card-title[href="/p/` + productID + `"]`
	found, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](`document.querySelector('`+link+`') !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("search for 麦饭 does not find the product: %q", h.text("main"))
	}
	if got := h.text(link); got != title {
		t.Fatalf("search result title %q, want %q", got, title)
	}
	if card := h.text(`.store-card`); !strings.Contains(card, "¥159.00") || !strings.Contains(card, "有货") {
		t.Errorf("search result card lacks price or stock: %q", card)
	}

	// Open it: the price and the stock are shown.
	h.do(
		chromedp.Click(chromedp.CSS(link)),
		chromedp.WaitVisible(chromedp.CSS(`.store-product-title`)),
	)
	h.shot("11-product")
	if got := h.text(".store-product-title"); got != title {
		t.Fatalf("product page title %q", got)
	}
	if price := h.text(".store-buy .store-price-now"); price != "¥159.00" {
		t.Errorf("product page price %q, want ¥159.00", price)
	}
	if stock := h.text(".store-sku-stock"); !strings.Contains(stock, "库存 30 件") {
		t.Errorf("product page stock %q, want 库存 30 件", stock)
	}
	if body := h.text("main"); strings.Contains(body, "暂时缺货") || strings.Contains(body, "该商品当前未上架") {
		t.Errorf("the listed, stocked product is shown as out of stock or not listed: %q", body)
	}
}

package app

import (
	"context"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/org/cnid"
)

// demoProduct is one product of the demo shop.
type demoProduct struct {
	title, category, description string
	skus                         []catalog.SKUInput
	stock                        int
	expires                      int // days until the batch expires; 0 for none
}

func demoSKU(code, name, value string, fen int64) catalog.SKUInput {
	return catalog.SKUInput{Code: code, Attributes: map[string]string{name: value}, Price: catalog.CNY(fen)}
}

var demoProducts = []demoProduct{
	{"纯棉男士衬衫 免烫商务款 长袖 Cotton Oxford Shirt", "apparel-mens", "<p>100% 新疆长绒棉，免烫工艺，<strong>商务通勤</strong>两相宜。</p>",
		[]catalog.SKUInput{demoSKU("SH-W-L", "颜色/尺码", "白色 L", 11900), demoSKU("SH-B-L", "颜色/尺码", "蓝色 L", 11900), demoSKU("SH-W-XL", "颜色/尺码", "白色 XL", 12900)}, 60, 0},
	{"北欧风 纯棉 四件套 床上用品 1.8m 床单被套", "home-textiles", "<p>A 类纯棉面料，活性印染，不易褪色。</p>",
		[]catalog.SKUInput{demoSKU("BD-G-18", "颜色", "雾霾灰 1.8m", 29900), demoSKU("BD-B-18", "颜色", "燕麦色 1.8m", 29900)}, 25, 0},
	{"植物配方洗衣凝珠 52 颗 Laundry Pods", "home-cleaning", "<p>低泡易漂，护色护衣，适用于滚筒与波轮洗衣机。</p>",
		[]catalog.SKUInput{demoSKU("LP-52", "规格", "52 颗", 4990)}, 200, 0},
	{"手工牛肉干 五香味 200g Beef Jerky", "food-snacks", "<p>内蒙古草原牛肉，传统工艺风干，独立小包装。</p>",
		[]catalog.SKUInput{demoSKU("BJ-200", "口味", "五香 200g", 3990), demoSKU("BJ-200-S", "口味", "香辣 200g", 3990)}, 120, 180},
}

// loadDemoCatalog gives the demo shop a supplier, products and inspected
// stock, once.
func loadDemoCatalog(ctx context.Context, p *Platform) error {
	var orgID, ownerID string
	err := p.DB.QueryRow(ctx, `SELECT o.id, m.account_id FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE o.kind = 'seller' AND o.status = 'approved' AND m.role = 'owner' ORDER BY o.created_at LIMIT 1`).Scan(&orgID, &ownerID)
	if err != nil {
		return fmt.Errorf("demo seller: %w", err)
	}
	var n int
	if err := p.DB.QueryRow(ctx, `SELECT count(*) FROM products WHERE organization_id = $1`, orgID).Scan(&n); err != nil || n > 0 {
		return err
	}
	owner, err := p.Identity.PrincipalFor(ctx, ownerID)
	if err != nil {
		return err
	}
	ctx = identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: ownerID, OrganizationID: orgID, Role: "owner", SourceIP: "local"}), owner)
	today := p.Clock.Now()
	sup, err := p.Inventory.FileSupplier(ctx, orgID, inventory.SupplierInput{
		Name: "杭州优品供应链有限公司", USCC: cnid.MakeUSCC("9133010033445566"),
		Contact:        inventory.SupplierContact{Name: "周采购", Mobile: "13900139000"},
		Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "330100000778899", ValidUntil: today.AddDate(3, 0, 0).Format(time.DateOnly)}},
	})
	if err != nil {
		return fmt.Errorf("demo supplier: %w", err)
	}
	for i, d := range demoProducts {
		prod, err := p.Catalog.CreateProduct(ctx, orgID, catalog.ProductInput{Title: d.title, CategoryID: d.category, Description: d.description, SKUs: d.skus})
		if err != nil {
			return fmt.Errorf("demo product %q: %w", d.title, err)
		}
		for _, sku := range prod.SKUs {
			in := inventory.StockReceiptInput{SKUID: sku.ID, Quantity: d.stock, SupplierID: sup.ID, Batch: fmt.Sprintf("B2026-%02d", i+1),
				ProducedOn: today.AddDate(0, 0, -10).Format(time.DateOnly),
				Inspection: inventory.ReceiptInspection{Result: "pass", Notes: "外观、标签、数量核对无误"}}
			if d.expires > 0 {
				in.ExpiresOn = today.AddDate(0, 0, d.expires).Format(time.DateOnly)
			}
			if _, err := p.Inventory.RegisterReceipt(ctx, orgID, in); err != nil {
				return fmt.Errorf("demo stock: %w", err)
			}
		}
		if _, err := p.Catalog.List(ctx, prod.ID); err != nil {
			return fmt.Errorf("demo listing %q: %w", d.title, err)
		}
	}
	return nil
}

package app

import (
	"context"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// The orders demo: a second approved seller with two listed, stocked
// products (one of a category excluded from 7-day no-reason returns), and
// orders of consumer1 in several states, so that every order console has
// something to show. Everything goes through the real services.

const (
	demoSeller2Login = "seller2@demo.gbmall.test"
	demoShopperLogin = "consumer1@demo.gbmall.test"
)

var demoSeller2 = demoOrg{kind: identity.KindSeller, name: "棉语家居专营店 Demo Home Store", uscc16: "9144010677889900",
	repName: "陈美玲", repID: "44010619880808246", address: "广州市天河区天河路 385 号", scope: "日用百货、厨具餐具、针纺织品销售"}

var demoSeller2Products = []demoProduct{
	{"304 不锈钢真空保温杯 500ml 长效保温 Vacuum Flask", "home-kitchenware", "<p>双层真空结构，<strong>保温 12 小时</strong>，食品级 304 不锈钢内胆。</p>",
		[]catalog.SKUInput{demoSKU("VF-500-W", "颜色", "月光白 500ml", 8900), demoSKU("VF-500-G", "颜色", "松石绿 500ml", 8900)}, 80, 0},
	{"精梳棉男士中筒袜 5 双装 Cotton Socks", "apparel-underwear", "<p>精梳棉混纺，透气吸汗，加厚毛圈袜底。</p>",
		[]catalog.SKUInput{demoSKU("SK-5-BK", "颜色", "黑色 5 双", 3990), demoSKU("SK-5-GR", "颜色", "灰色 5 双", 3990)}, 150, 0},
}

// loadDemoOrders adds the second demo seller, its products and consumer1's
// demo orders, once.
func loadDemoOrders(ctx context.Context, p *Platform, info *DemoInfo, reviewerID string) error {
	ownerID, _, err := p.Identity.EnsureAccount(ctx, demoSeller2Login, DemoPassword, "陈店长")
	if err != nil {
		return err
	}
	info.Accounts = append(info.Accounts, DemoAccount{Login: demoSeller2Login, Role: "seller owner (second shop)"})
	orgID, err := ensureDemoSeller2(ctx, p, ownerID, reviewerID)
	if err != nil {
		return fmt.Errorf("demo second seller: %w", err)
	}
	if err := ensureDemoSeller2Products(ctx, p, orgID, ownerID); err != nil {
		return fmt.Errorf("demo second seller's products: %w", err)
	}
	if err := ensureDemoOrders(ctx, p, orgID, ownerID); err != nil {
		return fmt.Errorf("demo orders: %w", err)
	}
	return nil
}

// ensureDemoSeller2 onboards the second shop through the real workflow
// (create, licence, submit, approve) unless its owner has one already.
func ensureDemoSeller2(ctx context.Context, p *Platform, ownerID, reviewerID string) (string, error) {
	owner, err := p.Identity.PrincipalFor(ctx, ownerID)
	if err != nil {
		return "", err
	}
	for _, m := range owner.Memberships {
		if m.Kind == identity.KindSeller {
			return m.OrganizationID, nil
		}
	}
	d := demoSeller2
	today := p.Clock.Now()
	octx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: ownerID, Role: "owner", SourceIP: "local"}), owner)
	repID, _ := cnid.ResidentIDCheckChar(d.repID[:17])
	o, err := p.Orgs.Create(octx, org.Registration{Kind: d.kind, Name: d.name, USCC: cnid.MakeUSCC(d.uscc16),
		LegalRepresentative: org.Person{Name: d.repName, IDNumber: d.repID[:17] + string(repID)},
		Contact:             org.Contact{Name: d.repName, Mobile: "13711112222", Email: "shop2@demo.gbmall.test"},
		Address:             d.address, BusinessScope: d.scope})
	if err != nil {
		return "", err
	}
	if owner, err = p.Identity.PrincipalFor(ctx, ownerID); err != nil {
		return "", err
	}
	octx = identity.WithPrincipal(octx, owner)
	if _, err := p.Orgs.AddQualification(octx, o.ID, org.QualificationInput{Type: "business_license", Number: "440106000998877",
		Issuer: "广州市天河区市场监督管理局", ValidFrom: today.AddDate(-1, 0, 0).Format(time.DateOnly), ValidUntil: today.AddDate(4, 0, 0).Format(time.DateOnly)}); err != nil {
		return "", err
	}
	if _, err := p.Orgs.Submit(octx, o.ID); err != nil {
		return "", err
	}
	rev, err := p.Identity.PrincipalFor(ctx, reviewerID)
	if err != nil {
		return "", err
	}
	rctx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: reviewerID, Role: "reviewer", SourceIP: "local"}), rev)
	if _, err := p.Orgs.Decide(rctx, o.ID, "approve", ""); err != nil {
		return "", err
	}
	return o.ID, nil
}

// ensureDemoSeller2Products gives the second shop a supplier and its two
// products with inspected stock, listed, unless it has products.
func ensureDemoSeller2Products(ctx context.Context, p *Platform, orgID, ownerID string) error {
	var n int
	if err := p.DB.QueryRow(ctx, `SELECT count(*) FROM products WHERE organization_id = $1`, orgID).Scan(&n); err != nil || n > 0 {
		return err
	}
	octx, err := demoActor(ctx, p, ownerID, orgID, "owner")
	if err != nil {
		return err
	}
	today := p.Clock.Now()
	sup, err := p.Inventory.FileSupplier(octx, orgID, inventory.SupplierInput{
		Name: "佛山市南海区优家日用品有限公司", USCC: cnid.MakeUSCC("9144060566554433"),
		Contact:        inventory.SupplierContact{Name: "梁采购", Mobile: "13622223333"},
		Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "440605000112233", ValidUntil: today.AddDate(3, 0, 0).Format(time.DateOnly)}},
	})
	if err != nil {
		return err
	}
	for i, d := range demoSeller2Products {
		prod, err := p.Catalog.CreateProduct(octx, orgID, catalog.ProductInput{Title: d.title, CategoryID: d.category, Description: d.description, SKUs: d.skus})
		if err != nil {
			return fmt.Errorf("%q: %w", d.title, err)
		}
		for _, sku := range prod.SKUs {
			if _, err := p.Inventory.RegisterReceipt(octx, orgID, inventory.StockReceiptInput{SKUID: sku.ID, Quantity: d.stock, SupplierID: sup.ID,
				Batch: fmt.Sprintf("MY2026-%02d", i+1), ProducedOn: today.AddDate(0, 0, -20).Format(time.DateOnly),
				Inspection: inventory.ReceiptInspection{Result: "pass", Notes: "抽检合格，标签齐全"}}); err != nil {
				return err
			}
		}
		if _, err := p.Catalog.List(octx, prod.ID); err != nil {
			return fmt.Errorf("listing %q: %w", d.title, err)
		}
	}
	return nil
}

// demoActor is ctx acting as accountID (with its memberships).
func demoActor(ctx context.Context, p *Platform, accountID, orgID, role string) (context.Context, error) {
	pr, err := p.Identity.PrincipalFor(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: accountID, OrganizationID: orgID, Role: role, SourceIP: "local"}), pr), nil
}

// demoSKUByCode finds a demo SKU by its code within a seller.
func demoSKUByCode(ctx context.Context, p *Platform, code string) (skuID, orgID string, err error) {
	err = p.DB.QueryRow(ctx, `SELECT id, organization_id FROM skus WHERE code = $1 ORDER BY id LIMIT 1`, code).Scan(&skuID, &orgID)
	return skuID, orgID, err
}

// ensureDemoOrders places consumer1's demo orders, unless consumer1 has
// orders already: one awaiting payment, one paid awaiting each seller's
// acceptance, one accepted, one cancelled by the consumer and one
// rejected by the seller (refund owed); then leaves items of the two
// sellers in the cart.
func ensureDemoOrders(ctx context.Context, p *Platform, seller2ID, seller2Owner string) error {
	shopperID, _, err := p.Identity.EnsureAccount(ctx, demoShopperLogin, DemoPassword, "张小明")
	if err != nil {
		return err
	}
	var n int
	if err := p.DB.QueryRow(ctx, `SELECT count(*) FROM orders WHERE account_id = $1`, shopperID).Scan(&n); err != nil || n > 0 {
		return err
	}
	cctx, err := demoActor(ctx, p, shopperID, "", "consumer")
	if err != nil {
		return err
	}
	addr := order.Address{Recipient: "张小明", Mobile: "13912345678", RegionCode: "110105", Detail: "北京市朝阳区建国路 88 号 SOHO 现代城 2 号楼 1203 室"}
	place := func(items ...order.Item) ([]order.Placed, error) {
		q, err := p.Orders.QuoteCheckout(cctx, items, addr)
		if err != nil {
			return nil, err
		}
		return p.Orders.Place(cctx, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: id.New()})
	}
	item := func(code string, qty int) (order.Item, error) {
		sku, _, err := demoSKUByCode(ctx, p, code)
		return order.Item{SKUID: sku, Quantity: qty}, err
	}
	pay := func(orderID string) error {
		// The payments domain confirms payment by firing the pay event;
		// the demo stands in for the payment provider.
		sctx := audit.WithActor(ctx, audit.System)
		return p.DB.InTx(sctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := p.Orders.FireTx(ctx, tx, orderID, order.EvPay, "")
			return err
		})
	}
	var seller1Owner string
	if err := p.DB.QueryRow(ctx, `SELECT m.account_id FROM organizations o JOIN memberships m ON m.organization_id = o.id
		WHERE o.kind = 'seller' AND o.status = 'approved' AND m.role = 'owner' AND o.id <> $1 ORDER BY o.created_at LIMIT 1`, seller2ID).Scan(&seller1Owner); err != nil {
		return err
	}
	steps := []struct {
		code   string
		qty    int
		paid   bool
		accept string // the seller owner who accepts it
		reject string // the seller owner who rejects it
		cancel bool
	}{
		{code: "LP-52", qty: 2, paid: true, accept: seller1Owner},   // accepted
		{code: "SK-5-GR", qty: 1, cancel: true},                     // cancelled by the consumer
		{code: "SK-5-BK", qty: 2, paid: true, reject: seller2Owner}, // rejected: refund owed
		{code: "BJ-200", qty: 3, paid: true},                        // paid, awaiting the flagship store
		{code: "VF-500-W", qty: 1, paid: true},                      // paid, awaiting the home store
		{code: "SH-B-L", qty: 1},                                    // awaiting payment
	}
	for _, st := range steps {
		it, err := item(st.code, st.qty)
		if err != nil {
			return fmt.Errorf("demo sku %s: %w", st.code, err)
		}
		placed, err := place(it)
		if err != nil {
			return fmt.Errorf("place %s: %w", st.code, err)
		}
		for _, o := range placed {
			switch {
			case st.cancel:
				if _, err := p.Orders.Cancel(cctx, o.ID, "地址填错了，重新下单"); err != nil {
					return err
				}
			case st.paid:
				if err := pay(o.ID); err != nil {
					return err
				}
				if st.accept != "" {
					sctx, err := demoActor(ctx, p, st.accept, o.SellerID, "owner")
					if err != nil {
						return err
					}
					if _, err := p.Orders.Accept(sctx, o.ID); err != nil {
						return err
					}
				}
				if st.reject != "" {
					sctx, err := demoActor(ctx, p, st.reject, o.SellerID, "owner")
					if err != nil {
						return err
					}
					if _, err := p.Orders.Reject(sctx, o.ID, "该颜色批次抽检发现色差，暂时无法发货，抱歉"); err != nil {
						return err
					}
				}
			}
		}
	}
	// Something in the cart from each shop.
	for _, c := range []struct {
		code string
		qty  int
	}{{"SH-W-L", 1}, {"VF-500-G", 2}, {"SK-5-BK", 1}} {
		it, err := item(c.code, c.qty)
		if err != nil {
			return err
		}
		if _, err := p.Orders.AddToCart(cctx, it.SKUID, it.Quantity); err != nil {
			return fmt.Errorf("demo cart %s: %w", c.code, err)
		}
	}
	return nil
}

package order_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// fakeCatalog answers Purchasable from a table the test edits, so order
// tests control prices and listings directly; the real catalogue's rules
// are tested in its own package and end to end in httpapi.
type fakeCatalog struct {
	mu    sync.Mutex
	skus  map[string]*catalog.SKUInfo
	off   map[string]bool
	stamp int64 // what the real catalogue's stamp would be (tests raise it)
}

func (f *fakeCatalog) CheckPurchasable(ctx context.Context, _ db.Querier, skuIDs []string, now time.Time, _ bool) (catalog.Check, error) {
	infos, errs := map[string]*catalog.SKUInfo{}, map[string]error{}
	for _, sku := range skuIDs {
		info, err := f.Purchasable(ctx, sku, now)
		if err != nil {
			errs[sku] = err
			continue
		}
		infos[sku] = info
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return catalog.Check{Infos: infos, Errs: errs, Stamp: f.stamp}, nil
}

// The fake's answers are always read afresh, under the stamp the test set.
func (f *fakeCatalog) StampStep(dst *int64) db.Step {
	f.mu.Lock()
	defer f.mu.Unlock()
	return db.Step{SQL: `SELECT CAST($1 AS BIGINT)`, Args: []any{f.stamp}, Row: func(scan func(...any) error) error { return scan(dst) }}
}

func (f *fakeCatalog) SeenStamp(int64) {}

func (f *fakeCatalog) Purchasable(_ context.Context, skuID string, _ time.Time) (*catalog.SKUInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, ok := f.skus[skuID]
	if !ok {
		return nil, problem.NotFoundError()
	}
	if f.off[skuID] {
		return nil, catalog.ErrNotListed
	}
	c := *info
	return &c, nil
}

// setPrice changes the price in the table and in the database, as the
// catalogue's SetPrice would.
func (b *bundle) setPrice(skuID string, fen int64) {
	b.cat.mu.Lock()
	b.cat.skus[skuID].Price = catalog.CNY(fen)
	b.cat.mu.Unlock()
	b.exec(`UPDATE skus SET price_fen = $1 WHERE id = $2`, fen, skuID)
}

type bundle struct {
	t       *testing.T
	d       *db.DB
	clock   *clock.Fake
	cat     *fakeCatalog
	inv     *inventory.Service
	svc     *order.Service
	sellerA string
	sellerB string
	staffA  context.Context
	staffB  context.Context
	alice   context.Context
	bob     context.Context
	aliceID string
	catID   string
	n       int
}

func setup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.New(clk)
	b := &bundle{t: t, d: d, clock: clk, cat: &fakeCatalog{skus: map[string]*catalog.SKUInfo{}, off: map[string]bool{}}}
	b.inv = inventory.NewService(d, clk, trail, keys)
	b.svc = order.NewService(d, clk, trail, keys, b.cat, b.inv)
	b.sellerA, b.sellerB = b.seller("优选好物旗舰店"), b.seller("别家小店")
	b.staffA, b.staffB = b.staffCtx(b.sellerA), b.staffCtx(b.sellerB)
	b.catID = id.New()
	b.exec(`INSERT INTO categories (id, name_zh, name_en, is_leaf, updated_at) VALUES ($1, '测试类目', 'Test category', TRUE, $2)`, b.catID, clk.Now())
	b.aliceID = b.account("alice@example.cn")
	b.alice = b.consumerCtx(b.aliceID)
	b.bob = b.consumerCtx(b.account("bob@example.cn"))
	return b
}

func (b *bundle) exec(q string, args ...any) {
	b.t.Helper()
	if _, err := b.d.WritePool().Exec(q, args...); err != nil {
		b.t.Fatalf("%s: %v", q, err)
	}
}

func (b *bundle) seller(name string) string {
	orgID := id.New()
	b.exec(`INSERT INTO organizations (id, kind, name, status, require_mfa, created_at, updated_at) VALUES ($1, 'seller', $2, 'approved', FALSE, $3, $3)`,
		orgID, name, b.clock.Now())
	return orgID
}

func (b *bundle) account(login string) string {
	accountID := id.New()
	b.exec(`INSERT INTO accounts (id, login_hash, login_kind, login_enc, display_name, password_hash, password_changed_at, created_at, updated_at)
		VALUES ($1, $2, 'email', 'x', '测试', 'x', $3, $3, $3)`, accountID, "h-"+login, b.clock.Now())
	return accountID
}

func (b *bundle) staffCtx(orgID string) context.Context {
	p := &identity.Principal{AccountID: "staff-" + orgID, SessionKind: "bearer",
		Memberships: []identity.Membership{{OrganizationID: orgID, Kind: identity.KindSeller, Role: identity.RoleStaff}}}
	return audit.WithActor(identity.WithPrincipal(context.Background(), p), audit.Actor{AccountID: p.AccountID, OrganizationID: orgID})
}

func (b *bundle) consumerCtx(accountID string) context.Context {
	p := &identity.Principal{AccountID: accountID, SessionKind: "bearer"}
	return audit.WithActor(identity.WithPrincipal(context.Background(), p), audit.Actor{AccountID: accountID})
}

func (b *bundle) staffPlatform() context.Context {
	p := &identity.Principal{AccountID: "operator", SessionKind: "bearer",
		Memberships: []identity.Membership{{OrganizationID: "platform", Kind: identity.KindPlatform, Role: identity.RoleMediator}}}
	return audit.WithActor(identity.WithPrincipal(context.Background(), p), audit.Actor{AccountID: "operator"})
}

// sku makes a listed product with one SKU of seller orgID at priceFen and
// puts qty units of inspected stock behind it.
func (b *bundle) sku(orgID string, priceFen int64, qty int, returnable bool) string {
	b.t.Helper()
	b.n++
	productID, skuID := id.New(), id.New()
	now := b.clock.Now()
	b.exec(`INSERT INTO products (id, organization_id, category_id, title, description_html, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '<p>说明</p>', 'listed', $5, $5)`, productID, orgID, b.catID, "测试商品"+string(rune('A'+b.n)), now)
	b.exec(`INSERT INTO skus (id, product_id, organization_id, code, attributes, price_fen, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '{"颜色":"红"}', $5, $6, $6)`, skuID, productID, orgID, "SKU-"+skuID[len(skuID)-6:], priceFen, now)
	name := "优选好物旗舰店"
	if orgID == b.sellerB {
		name = "别家小店"
	}
	b.cat.mu.Lock()
	b.cat.skus[skuID] = &catalog.SKUInfo{SKUID: skuID, Code: "SKU", Attributes: map[string]string{"颜色": "红"}, Price: catalog.CNY(priceFen),
		ProductID: productID, ProductVersion: 1, Title: "测试商品", CategoryID: b.catID, Returnable7d: returnable, CommissionBP: 500,
		SellerID: orgID, SellerName: name}
	b.cat.mu.Unlock()
	if qty > 0 {
		staff := b.staffCtx(orgID)
		sup, err := b.inv.FileSupplier(staff, orgID, inventory.SupplierInput{Name: "上海某某贸易有限公司", USCC: cnid.MakeUSCC("9131010800000" + skuID[len(skuID)-3:]),
			Contact:        inventory.SupplierContact{Name: "赵供货", Mobile: "13900139000"},
			Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "310000000001", ValidUntil: "2030-01-01"}}})
		if err != nil {
			b.t.Fatalf("supplier: %v", err)
		}
		if _, err := b.inv.RegisterReceipt(staff, orgID, inventory.StockReceiptInput{SKUID: skuID, Quantity: qty, SupplierID: sup.ID, Batch: "B1",
			Inspection: inventory.ReceiptInspection{Result: "pass"}}); err != nil {
			b.t.Fatalf("receive: %v", err)
		}
	}
	return skuID
}

var addr = order.Address{Recipient: "张三", Mobile: "13800138000", RegionCode: "110105", Detail: "朝阳区建国路 88 号 1 单元 101"}

// place quotes items for ctx and places the quote.
func (b *bundle) place(ctx context.Context, items ...order.Item) []order.Placed {
	b.t.Helper()
	q, err := b.svc.QuoteCheckout(ctx, items, addr)
	if err != nil {
		b.t.Fatalf("quote: %v", err)
	}
	ps, err := b.svc.Place(ctx, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: id.New()})
	if err != nil {
		b.t.Fatalf("place: %v", err)
	}
	return ps
}

func (b *bundle) available(skuID string) int {
	b.t.Helper()
	n, err := b.inv.Available(context.Background(), skuID)
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *bundle) count(q string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		b.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// fire runs an event as the system (payments and jobs fire this way).
func (b *bundle) fire(orderID string, ev order.Event) error {
	return b.d.InTx(audit.WithActor(context.Background(), audit.System), func(ctx context.Context, tx *db.Tx) error {
		_, err := b.svc.FireTx(ctx, tx, orderID, ev, "")
		return err
	})
}

func codeOf(err error) problem.Code {
	if err == nil {
		return ""
	}
	return problem.CodeOf(err)
}

func fieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	if p, ok := problem.As(err); ok {
		for _, f := range p.Fields {
			out[f.Field] = true
		}
	}
	return out
}

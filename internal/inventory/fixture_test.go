package inventory_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// bundle is one test's world: a service on a fresh database, a fake clock
// at 10:00 Shanghai on 2026-11-28, and two sellers.
type bundle struct {
	t     *testing.T
	d     *db.DB
	clock *clock.Fake
	svc   *inventory.Service
	orgA  string
	orgB  string
	ctxA  context.Context // seller A's staff
	ctxB  context.Context // seller B's staff
	cat   string
}

func setup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{t: t, d: d, clock: clk, svc: inventory.NewService(d, clk, audit.New(clk), keys)}
	b.orgA, b.orgB = b.seller("优选好物"), b.seller("别家小店")
	b.ctxA, b.ctxB = b.staffCtx(b.orgA), b.staffCtx(b.orgB)
	b.cat = id.New()
	b.exec(`INSERT INTO categories (id, name_zh, name_en, is_leaf, updated_at) VALUES ($1, '测试类目', 'Test category', TRUE, $2)`, b.cat, clk.Now())
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

func (b *bundle) staffCtx(orgID string) context.Context {
	p := &identity.Principal{AccountID: "staff-" + orgID, SessionKind: "bearer",
		Memberships: []identity.Membership{{OrganizationID: orgID, Kind: identity.KindSeller, Role: identity.RoleStaff}}}
	return audit.WithActor(identity.WithPrincipal(context.Background(), p), audit.Actor{AccountID: p.AccountID, OrganizationID: orgID})
}

// sku inserts a product with one SKU for orgID, as the catalogue would.
func (b *bundle) sku(orgID string) string {
	productID, skuID := id.New(), id.New()
	now := b.clock.Now()
	b.exec(`INSERT INTO products (id, organization_id, category_id, title, description_html, status, created_at, updated_at)
		VALUES ($1, $2, $3, '测试商品', '<p>说明</p>', 'draft', $4, $4)`, productID, orgID, b.cat, now)
	b.exec(`INSERT INTO skus (id, product_id, organization_id, code, attributes, price_fen, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '{}', 1990, $5, $5)`, skuID, productID, orgID, "SKU-"+skuID[len(skuID)-6:], now)
	return skuID
}

func (b *bundle) day(offset int) string {
	return b.clock.Now().In(clock.Shanghai).AddDate(0, 0, offset).Format(time.DateOnly)
}

var seq int

func usccFor(n int) string {
	seq++
	digits := []byte("9111010800000000")
	v := n*100 + seq
	for i := len(digits) - 1; v > 0 && i >= 8; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return cnid.MakeUSCC(string(digits))
}

// supplier files a supplier for orgID whose licence runs until validUntil.
func (b *bundle) supplier(ctx context.Context, orgID, validUntil string) string {
	b.t.Helper()
	s, err := b.svc.FileSupplier(ctx, orgID, inventory.SupplierInput{Name: "上海某某贸易有限公司", USCC: usccFor(1),
		Contact:        inventory.SupplierContact{Name: "赵供货", Mobile: "13900139000"},
		Qualifications: []inventory.QualificationInput{{Type: "business_license", Number: "310000000001", ValidUntil: validUntil}}})
	if err != nil {
		b.t.Fatalf("file supplier: %v", err)
	}
	return s.ID
}

// receive registers a receipt that passed inspection.
func (b *bundle) receive(skuID, supplierID string, q int, expiresOn string) *inventory.StockReceipt {
	b.t.Helper()
	r, err := b.svc.RegisterReceipt(b.ctxA, b.orgA, inventory.StockReceiptInput{SKUID: skuID, Quantity: q, SupplierID: supplierID, Batch: "B" + id.New()[:8],
		ExpiresOn: expiresOn, Inspection: inventory.ReceiptInspection{Result: "pass"}})
	if err != nil {
		b.t.Fatalf("receive: %v", err)
	}
	return r
}

func (b *bundle) stock(skuID string) inventory.StockLevel {
	b.t.Helper()
	st, err := b.svc.StockOf(b.ctxA, skuID)
	if err != nil {
		b.t.Fatal(err)
	}
	return *st
}

func (b *bundle) available(skuID string) int {
	b.t.Helper()
	n, err := b.svc.Available(context.Background(), skuID)
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

// checkLedger asserts the invariants: ledger sums equal the level, and the
// batches never hold more than is on hand.
func (b *bundle) checkLedger(skuID string) {
	b.t.Helper()
	var onHand, reserved, sumOn, sumRes, batches int
	_ = b.d.QueryRow(context.Background(), `SELECT on_hand, reserved FROM stock_levels WHERE sku_id = $1`, skuID).Scan(&onHand, &reserved)
	if err := b.d.QueryRow(context.Background(), `SELECT COALESCE(SUM(delta_on_hand), 0), COALESCE(SUM(delta_reserved), 0) FROM stock_ledger WHERE sku_id = $1`, skuID).
		Scan(&sumOn, &sumRes); err != nil {
		b.t.Fatal(err)
	}
	if err := b.d.QueryRow(context.Background(), `SELECT COALESCE(SUM(remaining), 0) FROM stock_batches WHERE sku_id = $1`, skuID).Scan(&batches); err != nil {
		b.t.Fatal(err)
	}
	if sumOn != onHand || sumRes != reserved {
		b.t.Fatalf("ledger sums (%d, %d) differ from level (%d, %d)", sumOn, sumRes, onHand, reserved)
	}
	if batches > onHand || reserved > onHand || reserved < 0 {
		b.t.Fatalf("invariant broken: batches %d, on hand %d, reserved %d", batches, onHand, reserved)
	}
}

// tx runs fn in a transaction of its own.
func (b *bundle) tx(fn func(ctx context.Context, tx *db.Tx) error) error {
	return b.d.InTx(audit.WithActor(context.Background(), audit.System), fn)
}

func fields(err error) map[string]bool {
	out := map[string]bool{}
	if p, ok := problem.As(err); ok {
		for _, f := range p.Fields {
			out[f.Field] = true
		}
	}
	return out
}

func codeOf(err error) problem.Code {
	if err == nil {
		return ""
	}
	return problem.CodeOf(err)
}

func isNotFound(err error) bool { return errors.Is(err, problem.NotFoundError()) }

package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
)

const testPassword = "Str0ng!Passw0rd#2026"

// env is a catalogue with its real collaborators on one database.
type env struct {
	t     *testing.T
	db    *db.DB
	clock *clock.Fake
	ids   *identity.Service
	orgs  *org.Service
	cat   *catalog.Service
	index *fakeIndex
	n     int
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	trail := audit.New(clk)
	ids := identity.NewService(d, clk, keys, trail, cfg)
	orgs := org.NewService(d, clk, keys, trail, ids, nil)
	cat := catalog.NewService(d, clk, trail, orgs)
	idx := &fakeIndex{docs: map[string][]string{}}
	cat.Indexer = idx
	return &env{t: t, db: d, clock: clk, ids: ids, orgs: orgs, cat: cat, index: idx}
}

// as returns a context acting as account accountID.
func (e *env) as(accountID string) context.Context {
	e.t.Helper()
	p, err := e.ids.PrincipalFor(context.Background(), accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return identity.WithPrincipal(audit.WithActor(context.Background(), audit.Actor{AccountID: accountID}), p)
}

func (e *env) day(offset int) string {
	return e.clock.Now().In(clock.Shanghai).AddDate(0, 0, offset).Format(time.DateOnly)
}

// reviewer returns a platform reviewer's context.
func (e *env) reviewer() context.Context {
	e.t.Helper()
	e.n++
	op, err := e.ids.CreateOperator(context.Background(), fmt.Sprintf("rev%d@example.cn", e.n), testPassword, "审核员",
		[]identity.Role{identity.RoleReviewer}, "test", false)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.as(op.AccountID)
}

// admin returns a platform administrator's context.
func (e *env) admin() context.Context {
	e.t.Helper()
	e.n++
	op, err := e.ids.CreateOperator(context.Background(), fmt.Sprintf("admin%d@example.cn", e.n), testPassword, "管理员",
		[]identity.Role{identity.RoleAdmin}, "test", false)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.as(op.AccountID)
}

// seller onboards an approved seller holding a business licence and the
// extra licences given (valid for a year), and returns its id and its
// owner's context.
func (e *env) seller(name string, extra ...string) (string, context.Context) {
	e.t.Helper()
	e.n++
	ctx := context.Background()
	accountID, _, err := e.ids.EnsureAccount(ctx, fmt.Sprintf("seller%d@example.cn", e.n), testPassword, name)
	if err != nil {
		e.t.Fatal(err)
	}
	owner := e.as(accountID)
	first17 := fmt.Sprintf("1101051980%02d%02d123", 1+e.n%12, 1+e.n%28)
	c, _ := cnid.ResidentIDCheckChar(first17)
	o, err := e.orgs.Create(owner, org.Registration{Kind: identity.KindSeller, Name: name,
		USCC:                cnid.MakeUSCC(fmt.Sprintf("91110108%08d", 56789000+e.n)),
		LegalRepresentative: org.Person{Name: "王建国", IDNumber: first17 + string(c)},
		Contact:             org.Contact{Name: "李联系", Mobile: "13800138000"}, Address: "北京市海淀区中关村大街 1 号"})
	if err != nil {
		e.t.Fatal(err)
	}
	owner = e.as(accountID) // now a member
	for _, typ := range append([]string{"business_license"}, extra...) {
		if _, err := e.orgs.AddQualification(owner, o.ID, org.QualificationInput{Type: typ, Number: "JY1110800012345" + fmt.Sprint(e.n%10),
			Issuer: "北京市海淀区市场监督管理局", ValidFrom: e.day(-100), ValidUntil: e.day(365)}); err != nil {
			e.t.Fatalf("add %s: %v", typ, err)
		}
	}
	if _, err := e.orgs.Submit(owner, o.ID); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.orgs.Decide(e.reviewer(), o.ID, "approve", ""); err != nil {
		e.t.Fatal(err)
	}
	return o.ID, owner
}

func skus(prices ...int64) []catalog.SKUInput {
	var out []catalog.SKUInput
	for i, p := range prices {
		out = append(out, catalog.SKUInput{Code: fmt.Sprintf("SKU-%d", i+1), Attributes: map[string]string{"颜色": fmt.Sprintf("色%d", i+1)}, Price: catalog.CNY(p)})
	}
	return out
}

func (e *env) product(ctx context.Context, orgID, category, title string, prices ...int64) *catalog.Product {
	e.t.Helper()
	p, err := e.cat.CreateProduct(ctx, orgID, catalog.ProductInput{Title: title, CategoryID: category,
		Description: "<p>" + title + "，品质可靠。</p>", CertificateNumber: "2020011606123456", SKUs: skus(prices...)})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// fakeIndex records what the catalogue tells the search index.
type fakeIndex struct {
	mu   sync.Mutex
	docs map[string][]string
}

func (f *fakeIndex) IndexTx(_ context.Context, _ *db.Tx, productID string, texts ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[productID] = texts
	return nil
}

func (f *fakeIndex) RemoveTx(_ context.Context, _ *db.Tx, productID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.docs, productID)
	return nil
}

func (f *fakeIndex) has(productID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.docs[productID]
	return ok
}

package inventory_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gbmall/internal/inventory"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/problem"
)

func TestFileSupplierValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		good := func() inventory.SupplierInput {
			return inventory.SupplierInput{Name: "杭州优质食品有限公司", USCC: usccFor(2),
				Contact:        inventory.SupplierContact{Name: "钱经理", Mobile: "+86 139-0013-9001"},
				Qualifications: []inventory.QualificationInput{{Type: "food_production_license", Number: "SC10633010600123", ValidUntil: b.day(365)}}}
		}
		cases := []struct {
			name   string
			change func(in *inventory.SupplierInput)
			fields []string
		}{
			{"bad uscc", func(in *inventory.SupplierInput) { in.USCC = "91110108567890123X" }, []string{"uscc"}},
			{"expired licence", func(in *inventory.SupplierInput) { in.Qualifications[0].ValidUntil = b.day(-1) }, []string{"qualifications[0].valid_until"}},
			{"not a date", func(in *inventory.SupplierInput) { in.Qualifications[0].ValidUntil = "2027/01/01" }, []string{"qualifications[0].valid_until"}},
			{"bad mobile and empty type", func(in *inventory.SupplierInput) {
				in.Contact.Mobile = "12345"
				in.Qualifications[0].Type = " "
			}, []string{"contact.mobile", "qualifications[0].type"}},
			{"no licence", func(in *inventory.SupplierInput) { in.Qualifications = nil }, []string{"qualifications"}},
			{"everything at once", func(in *inventory.SupplierInput) {
				in.Name, in.USCC, in.Contact.Name = "", "", ""
				in.Qualifications[0].Number = ""
			}, []string{"name", "uscc", "contact.name", "qualifications[0].number"}},
		}
		for _, c := range cases {
			in := good()
			c.change(&in)
			_, err := b.svc.FileSupplier(b.ctxA, b.orgA, in)
			if codeOf(err) != problem.Validation {
				t.Fatalf("%s: want validation, got %v", c.name, err)
			}
			got := fields(err)
			for _, f := range c.fields {
				if !got[f] {
					t.Errorf("%s: no error for %s in %v", c.name, f, err)
				}
			}
			if len(got) != len(c.fields) {
				t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
			}
		}
		if n := b.count(`SELECT count(*) FROM suppliers`); n != 0 {
			t.Fatalf("invalid input filed %d suppliers", n)
		}
		// Today is still valid (a licence is good through its last day).
		in := good()
		in.Qualifications[0].ValidUntil = b.day(0)
		s, err := b.svc.FileSupplier(b.ctxA, b.orgA, in)
		if err != nil {
			t.Fatal(err)
		}
		if s.Contact.Mobile != "139****9001" || s.Contact.Name != "钱**" || !s.PapersInForce || s.USCC != in.USCC {
			t.Fatalf("filed supplier: %+v", s)
		}
		var nameEnc, mobileEnc string
		if err := d.QueryRow(context.Background(), `SELECT contact_name_enc, contact_mobile_enc FROM suppliers WHERE id = $1`, s.ID).Scan(&nameEnc, &mobileEnc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(nameEnc, "钱经理") || strings.Contains(mobileEnc, "13900139001") || !strings.HasPrefix(mobileEnc, "v1.") {
			t.Fatalf("contact stored in clear: %q %q", nameEnc, mobileEnc)
		}
		// The same USCC again for this seller is a conflict; another seller may file it.
		if _, err := b.svc.FileSupplier(b.ctxA, b.orgA, in); codeOf(err) != problem.Conflict {
			t.Fatalf("duplicate USCC: %v", err)
		}
		if _, err := b.svc.FileSupplier(b.ctxB, b.orgB, in); err != nil {
			t.Fatalf("other seller, same supplier: %v", err)
		}
		if n := b.count(`SELECT count(*) FROM audit_log WHERE action = 'supplier.file'`); n != 2 {
			t.Fatalf("supplier filings audited %d times", n)
		}
		list, next, err := b.svc.Suppliers(b.ctxA, b.orgA, inventory.Page{})
		if err != nil || len(list) != 1 || next != "" || list[0].ID != s.ID {
			t.Fatalf("list: %+v %q %v", list, next, err)
		}
	})
}

func TestSupplierPagesAndTenants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ids := map[string]bool{}
		for i := 0; i < 5; i++ {
			ids[b.supplier(b.ctxA, b.orgA, b.day(30))] = true
		}
		seen := map[string]bool{}
		cursor := ""
		for page := 0; ; page++ {
			xs, next, err := b.svc.Suppliers(b.ctxA, b.orgA, inventory.Page{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range xs {
				if seen[x.ID] {
					t.Fatalf("supplier %s listed twice", x.ID)
				}
				seen[x.ID] = true
			}
			if next == "" {
				break
			}
			if page > 3 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %d suppliers", len(seen))
		}
		var one string
		for x := range ids {
			one = x
		}
		if _, err := b.svc.Supplier(b.ctxB, one); !isNotFound(err) {
			t.Fatalf("other seller reads my supplier: %v", err)
		}
		if _, _, err := b.svc.Suppliers(b.ctxB, b.orgA, inventory.Page{}); !isNotFound(err) {
			t.Fatalf("other seller lists my suppliers: %v", err)
		}
		if _, _, err := b.svc.Suppliers(b.ctxA, b.orgA, inventory.Page{Cursor: "garbage"}); codeOf(err) != problem.Validation {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestReceiptFromLapsedSupplierRefusedUntilRenewed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(3))
		b.receive(sku, sup, 5, "")
		b.clock.Advance(4 * 24 * time.Hour) // the licence lapsed yesterday
		in := inventory.StockReceiptInput{SKUID: sku, Quantity: 5, SupplierID: sup, Batch: "L2", Inspection: inventory.ReceiptInspection{Result: "pass"}}
		_, err := b.svc.RegisterReceipt(b.ctxA, b.orgA, in)
		if codeOf(err) != problem.Validation || !fields(err)["supplier_id"] {
			t.Fatalf("lapsed supplier: %v", err)
		}
		if st := b.stock(sku); st.OnHand != 5 || b.count(`SELECT count(*) FROM stock_receipts`) != 1 {
			t.Fatalf("refused receipt changed stock: %+v", st)
		}
		sp, err := b.svc.Supplier(b.ctxA, sup)
		if err != nil || sp.PapersInForce || len(sp.LapsedTypes) != 1 {
			t.Fatalf("supplier view: %+v %v", sp, err)
		}
		// A renewed licence supersedes the lapsed copy.
		if _, err := b.svc.RenewSupplierQualifications(b.ctxA, sup, []inventory.QualificationInput{{Type: "business_license", Number: "310000000001", ValidUntil: b.day(700)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.RegisterReceipt(b.ctxA, b.orgA, in); err != nil {
			t.Fatalf("after renewal: %v", err)
		}
		if st := b.stock(sku); st.OnHand != 10 {
			t.Fatalf("on hand %d after renewal", st.OnHand)
		}
		b.checkLedger(sku)
	})
}

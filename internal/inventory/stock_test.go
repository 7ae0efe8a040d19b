package inventory_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gbmall/internal/inventory"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

func TestReceiptPassIsSellableFailIsQuarantined(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		if n := b.available(sku); n != 0 {
			t.Fatalf("new sku available %d", n)
		}
		r := b.receive(sku, sup, 12, b.day(90))
		exp, _ := time.Parse(time.DateOnly, b.day(90))
		if r.State != "sellable" || r.Remaining != 12 || r.RetainUntil != exp.AddDate(0, 6, 0).Format(time.DateOnly) {
			t.Fatalf("passed receipt: %+v", r)
		}
		if n := b.available(sku); n != 12 {
			t.Fatalf("available after pass: %d", n)
		}
		failed, err := b.svc.RegisterReceipt(b.ctxA, b.orgA, inventory.StockReceiptInput{SKUID: sku, Quantity: 7, SupplierID: sup, Batch: "F1",
			ProducedOn: b.day(-10), ExpiresOn: b.day(60), Inspection: inventory.ReceiptInspection{Result: "fail", Notes: "外包装破损，受潮"}})
		if err != nil {
			t.Fatal(err)
		}
		if failed.State != "quarantined" || failed.Remaining != 0 || failed.Quantity != 7 || failed.Inspection.Notes != "外包装破损，受潮" {
			t.Fatalf("failed receipt: %+v", failed)
		}
		if st := b.stock(sku); st.OnHand != 12 || st.Available != 12 {
			t.Fatalf("a failed inspection changed stock: %+v", st)
		}
		var kind, reason string
		var dOn, dRes int
		if err := d.QueryRow(context.Background(), `SELECT kind, delta_on_hand, delta_reserved, reason FROM stock_ledger WHERE receipt_id = $1`, failed.ID).
			Scan(&kind, &dOn, &dRes, &reason); err != nil {
			t.Fatal(err)
		}
		if kind != "quarantine" || dOn != 0 || dRes != 0 || !strings.Contains(reason, "7") || !strings.Contains(reason, "受潮") {
			t.Fatalf("quarantine entry: %s %d %d %q", kind, dOn, dRes, reason)
		}
		if n := b.count(`SELECT count(*) FROM stock_batches WHERE receipt_id = $1`, failed.ID); n != 0 {
			t.Fatal("a failed receipt formed a sellable batch")
		}
		// Quarantined goods cannot be frozen either: they never sold.
		if _, err := b.svc.FreezeBatch(b.ctxA, b.orgA, failed.ID, "复检不合格"); codeOf(err) != problem.InvalidTransition {
			t.Fatalf("freeze quarantined: %v", err)
		}
		list, _, err := b.svc.Receipts(b.ctxA, b.orgA, sku, inventory.Page{})
		if err != nil || len(list) != 2 || list[0].ID != failed.ID {
			t.Fatalf("receipts newest first: %+v %v", list, err)
		}
		b.checkLedger(sku)
	})
}

func TestReceiptRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku, otherSKU := b.sku(b.orgA), b.sku(b.orgB)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		otherSup := b.supplier(b.ctxB, b.orgB, b.day(365))
		ok := inventory.StockReceiptInput{SKUID: sku, Quantity: 3, SupplierID: sup, Batch: "B1", Inspection: inventory.ReceiptInspection{Result: "pass"}}
		cases := []struct {
			name   string
			change func(in *inventory.StockReceiptInput)
			fields []string
		}{
			{"expired goods", func(in *inventory.StockReceiptInput) { in.ExpiresOn = b.day(-1) }, []string{"expires_on"}},
			{"produced tomorrow", func(in *inventory.StockReceiptInput) { in.ProducedOn = b.day(1) }, []string{"produced_on"}},
			{"produced after expiry", func(in *inventory.StockReceiptInput) { in.ProducedOn, in.ExpiresOn = b.day(-1), b.day(-2) }, []string{"expires_on", "produced_on"}},
			{"another seller's sku", func(in *inventory.StockReceiptInput) { in.SKUID = otherSKU }, []string{"sku_id"}},
			{"another seller's supplier", func(in *inventory.StockReceiptInput) { in.SupplierID = otherSup }, []string{"supplier_id"}},
			{"no quantity, batch or result", func(in *inventory.StockReceiptInput) {
				in.Quantity, in.Batch, in.Inspection.Result = 0, "", "maybe"
			}, []string{"quantity", "batch", "inspection.result"}},
			{"fail without reason", func(in *inventory.StockReceiptInput) { in.Inspection.Result = "fail" }, []string{"inspection.notes"}},
		}
		for _, c := range cases {
			in := ok
			c.change(&in)
			_, err := b.svc.RegisterReceipt(b.ctxA, b.orgA, in)
			if codeOf(err) != problem.Validation {
				t.Fatalf("%s: want validation, got %v", c.name, err)
			}
			got := fields(err)
			for _, f := range c.fields {
				if !got[f] {
					t.Errorf("%s: no error for %s in %v", c.name, f, err)
				}
			}
		}
		if n := b.count(`SELECT count(*) FROM stock_receipts`); n != 0 {
			t.Fatalf("refused receipts recorded: %d", n)
		}
		if _, err := b.svc.RegisterReceipt(b.ctxB, b.orgA, ok); !isNotFound(err) {
			t.Fatalf("another seller registers into my shop: %v", err)
		}
	})
}

func TestAdjustmentBelowZeroIsConflictAndWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		b.receive(sku, sup, 10, "")
		order := id.New()
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 3}}, order)
		}); err != nil {
			t.Fatal(err)
		}
		entries := b.count(`SELECT count(*) FROM stock_ledger`)
		audits := b.count(`SELECT count(*) FROM audit_log`)
		_, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -8, Reason: "破损报废"})
		if codeOf(err) != problem.Conflict {
			t.Fatalf("adjust below available: %v", err)
		}
		if st := b.stock(sku); st.OnHand != 10 || st.Reserved != 3 || st.Available != 7 {
			t.Fatalf("refused adjustment changed stock: %+v", st)
		}
		if b.count(`SELECT count(*) FROM stock_ledger`) != entries || b.count(`SELECT count(*) FROM audit_log`) != audits {
			t.Fatal("refused adjustment wrote ledger or audit rows")
		}
		if _, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -2, Reason: "x"}); codeOf(err) != problem.Validation || !fields(err)["reason"] {
			t.Fatalf("one-character reason: %v", err)
		}
		adj, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -7, Reason: "仓库漏水，整箱报废"})
		if err != nil {
			t.Fatal(err)
		}
		if adj.Stock.OnHand != 3 || adj.Stock.Available != 0 || len(adj.Entries) != 1 || adj.Entries[0].ReceiptID == "" {
			t.Fatalf("adjustment: %+v", adj)
		}
		if _, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -1, Reason: "再报废一件"}); codeOf(err) != problem.Conflict {
			t.Fatalf("reserved units adjusted away: %v", err)
		}
		// Found goods come back as unbatched, sellable units.
		if _, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: 4, Reason: "盘盈找回"}); err != nil {
			t.Fatal(err)
		}
		if n := b.available(sku); n != 4 {
			t.Fatalf("available after found goods: %d", n)
		}
		if n := b.count(`SELECT count(*) FROM audit_log WHERE action = 'stock.adjust'`); n != 2 {
			t.Fatalf("adjustments audited %d times", n)
		}
		b.checkLedger(sku)
	})
}

func TestReserveReleaseSellReturn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		skuX, skuY := b.sku(b.orgA), b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		late := b.receive(skuX, sup, 5, b.day(200))
		early := b.receive(skuX, sup, 5, b.day(20))
		b.receive(skuY, sup, 2, "")
		order1, order2 := id.New(), id.New()
		// All or nothing: Y is short, so X is not reserved either.
		err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: skuX, Quantity: 3}, {SKUID: skuY, Quantity: 3}}, order1)
		})
		var pe *problem.Error
		if !errors.Is(err, inventory.ErrOutOfStock) || !errors.As(err, &pe) || len(pe.Extra["sku_ids"].([]string)) != 1 || pe.Extra["sku_ids"].([]string)[0] != skuY {
			t.Fatalf("short line: %v", err)
		}
		if st := b.stock(skuX); st.Reserved != 0 {
			t.Fatalf("partial reservation left: %+v", st)
		}
		reserve := func(order string, lines ...inventory.Line) error {
			return b.tx(func(ctx context.Context, tx *db.Tx) error { return b.svc.ReserveTx(ctx, tx, lines, order) })
		}
		if err := reserve(order1, inventory.Line{SKUID: skuX, Quantity: 4}, inventory.Line{SKUID: skuX, Quantity: 3}, inventory.Line{SKUID: skuY, Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		if err := reserve(order2, inventory.Line{SKUID: skuX, Quantity: 3}); err != nil {
			t.Fatal(err)
		}
		if st := b.stock(skuX); st.Reserved != 10 || st.Available != 0 {
			t.Fatalf("after reservations: %+v", st)
		}
		// order2 is cancelled; it cannot release more than it holds.
		release := func(order string, q int) error {
			return b.tx(func(ctx context.Context, tx *db.Tx) error {
				return b.svc.ReleaseTx(ctx, tx, []inventory.Line{{SKUID: skuX, Quantity: q}}, order)
			})
		}
		if err := release(order2, 4); !errors.Is(err, inventory.ErrNotReserved) {
			t.Fatalf("over-release: %v", err)
		}
		if err := release(order2, 3); err != nil {
			t.Fatal(err)
		}
		if err := release(order2, 1); !errors.Is(err, inventory.ErrNotReserved) {
			t.Fatalf("double release: %v", err)
		}
		// order1 is paid: 7 units of X leave, earliest expiry first.
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.CommitSaleTx(ctx, tx, []inventory.Line{{SKUID: skuX, Quantity: 7}, {SKUID: skuY, Quantity: 2}}, order1)
		}); err != nil {
			t.Fatal(err)
		}
		if st := b.stock(skuX); st.OnHand != 3 || st.Reserved != 0 || st.Available != 3 {
			t.Fatalf("after sale: %+v", st)
		}
		remaining := func(receiptID string) int {
			return b.count(`SELECT remaining FROM stock_batches WHERE receipt_id = $1`, receiptID)
		}
		if remaining(early.ID) != 0 || remaining(late.ID) != 3 {
			t.Fatalf("not FEFO: early %d, late %d", remaining(early.ID), remaining(late.ID))
		}
		trace, err := b.svc.BatchOrders(b.ctxA, b.orgA, early.ID)
		if err != nil || len(trace) != 1 || trace[0].OrderID != order1 || trace[0].Sold != 5 {
			t.Fatalf("batch trace: %+v %v", trace, err)
		}
		// Returns go back to the batches the units came from.
		ret := func(q int) error {
			return b.tx(func(ctx context.Context, tx *db.Tx) error {
				return b.svc.ReturnTx(ctx, tx, []inventory.Line{{SKUID: skuX, Quantity: q}}, order1)
			})
		}
		if err := ret(8); !errors.Is(err, inventory.ErrNotSold) {
			t.Fatalf("returned more than sold: %v", err)
		}
		if err := ret(6); err != nil {
			t.Fatal(err)
		}
		if st := b.stock(skuX); st.OnHand != 9 || st.Available != 9 || remaining(early.ID)+remaining(late.ID) != 9 {
			t.Fatalf("after return: %+v, batches %d + %d", st, remaining(early.ID), remaining(late.ID))
		}
		earlyTrace, _ := b.svc.BatchOrders(b.ctxA, b.orgA, early.ID)
		lateTrace, _ := b.svc.BatchOrders(b.ctxA, b.orgA, late.ID)
		if len(earlyTrace) != 1 || len(lateTrace) != 1 || earlyTrace[0].Returned+lateTrace[0].Returned != 6 {
			t.Fatalf("returns not traced: %+v %+v", earlyTrace, lateTrace)
		}
		if _, err := b.svc.BatchOrders(b.ctxB, b.orgA, early.ID); !isNotFound(err) {
			t.Fatalf("other seller traces my batch: %v", err)
		}
		b.checkLedger(skuX)
		b.checkLedger(skuY)
	})
}

func TestStockCountBooksVarianceWithCounter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		skuX, skuY, skuZ := b.sku(b.orgA), b.sku(b.orgA), b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		b.receive(skuX, sup, 10, "")
		b.receive(skuY, sup, 5, "")
		order := id.New()
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: skuY, Quantity: 4}}, order)
		}); err != nil {
			t.Fatal(err)
		}
		// Y counted below what is reserved: the whole count is refused.
		_, err := b.svc.RecordCount(b.ctxA, b.orgA, inventory.StockCountInput{CounterName: "孙盘点", Lines: []inventory.StockCountLineInput{
			{SKUID: skuX, Counted: 8}, {SKUID: skuY, Counted: 3}}})
		var pe *problem.Error
		if codeOf(err) != problem.Conflict || !errors.As(err, &pe) || pe.Extra["sku_ids"].([]string)[0] != skuY {
			t.Fatalf("count below reserved: %v", err)
		}
		if b.count(`SELECT count(*) FROM stock_counts`) != 0 || b.count(`SELECT count(*) FROM stock_ledger WHERE kind = 'count'`) != 0 || b.stock(skuX).OnHand != 10 {
			t.Fatal("a refused count wrote something")
		}
		c, err := b.svc.RecordCount(b.ctxA, b.orgA, inventory.StockCountInput{CounterName: "孙盘点", Lines: []inventory.StockCountLineInput{
			{SKUID: skuX, Counted: 8}, {SKUID: skuY, Counted: 5}, {SKUID: skuZ, Counted: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][3]int{skuX: {10, 8, -2}, skuY: {5, 5, 0}, skuZ: {0, 2, 2}}
		if len(c.Lines) != 3 || c.CounterName != "孙盘点" {
			t.Fatalf("count: %+v", c)
		}
		for _, ln := range c.Lines {
			if w := want[ln.SKUID]; ln.Expected != w[0] || ln.Counted != w[1] || ln.Variance != w[2] {
				t.Errorf("line %s: %+v, want %v", ln.SKUID, ln, w)
			}
		}
		for sku, w := range want {
			if st := b.stock(sku); st.OnHand != w[1] {
				t.Errorf("on hand of %s: %d, want %d", sku, st.OnHand, w[1])
			}
			b.checkLedger(sku)
		}
		rows, err := d.Query(context.Background(), `SELECT reason FROM stock_ledger WHERE kind = 'count'`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var reason string
			_ = rows.Scan(&reason)
			if !strings.Contains(reason, "孙盘点") || !strings.Contains(reason, c.ID) {
				t.Errorf("count entry reason %q lacks the counter or the count", reason)
			}
			n++
		}
		rows.Close()
		if n != 2 {
			t.Fatalf("%d count entries, want 2 (no entry for a zero variance)", n)
		}
		list, _, err := b.svc.Counts(b.ctxA, b.orgA, inventory.Page{})
		if err != nil || len(list) != 1 || len(list[0].Lines) != 3 {
			t.Fatalf("counts: %+v %v", list, err)
		}
		if _, _, err := b.svc.Counts(b.ctxB, b.orgA, inventory.Page{}); !isNotFound(err) {
			t.Fatalf("other seller lists my counts: %v", err)
		}
	})
}

func TestExpiredBatchStopsSellingAndIsWrittenOffOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		r := b.receive(sku, sup, 10, b.day(2))
		b.receive(sku, sup, 3, "") // no shelf life
		if n := b.available(sku); n != 13 {
			t.Fatalf("available: %d", n)
		}
		order := id.New()
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 5}}, order)
		}); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(2 * 24 * time.Hour) // the expiry day itself: still sellable
		if n := b.available(sku); n != 8 {
			t.Fatalf("available on the expiry day: %d", n)
		}
		b.clock.Advance(24 * time.Hour)
		// Before the job runs the expired units are already unsellable:
		// 13 on hand, 5 reserved, 10 expired → nothing to sell.
		if st := b.stock(sku); st.Available != 0 || st.Unsellable != 10 || st.OnHand != 13 {
			t.Fatalf("expired batch still sellable: %+v", st)
		}
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 1}}, id.New())
		}); !errors.Is(err, inventory.ErrOutOfStock) {
			t.Fatalf("reserved an expired unit: %v", err)
		}
		jobCtx := context.Background()
		if err := b.svc.ExpireBatches(jobCtx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// 5 units are reserved: the 3 undated units cover 3 of them, so 2
		// expired units are held and 8 are written off.
		if st := b.stock(sku); st.OnHand != 5 || st.Reserved != 5 {
			t.Fatalf("after write-off: %+v", st)
		}
		if err := b.svc.ExpireBatches(jobCtx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n := b.count(`SELECT count(*) FROM stock_ledger WHERE kind = 'expiry'`); n != 1 {
			t.Fatalf("%d expiry entries after two runs, want 1", n)
		}
		if n := b.count(`SELECT -delta_on_hand FROM stock_ledger WHERE kind = 'expiry'`); n != 8 {
			t.Fatalf("wrote off %d", n)
		}
		rs, _, _ := b.svc.Receipts(b.ctxA, b.orgA, sku, inventory.Page{})
		for _, x := range rs {
			if x.ID == r.ID && (x.State != "expired" || x.Remaining != 2) {
				t.Fatalf("held batch: %+v", x)
			}
		}
		// The order is cancelled: the held units go in the next run.
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			return b.svc.ReleaseTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 5}}, order)
		}); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.ExpireBatches(jobCtx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if st := b.stock(sku); st.OnHand != 3 || st.Available != 3 || b.count(`SELECT count(*) FROM stock_ledger WHERE kind = 'expiry'`) != 2 {
			t.Fatalf("after the held units went: %+v", st)
		}
		if n := b.count(`SELECT count(*) FROM audit_log WHERE action = 'stock.batch.expire' AND actor_id = 'system'`); n != 2 {
			t.Fatalf("write-offs audited %d times", n)
		}
		b.checkLedger(sku)
	})
}

func TestFrozenBatchStopsSelling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		bad := b.receive(sku, sup, 6, b.day(30))
		b.receive(sku, sup, 4, b.day(60))
		order := id.New()
		if err := b.tx(func(ctx context.Context, tx *db.Tx) error {
			if err := b.svc.ReserveTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 2}}, order); err != nil {
				return err
			}
			return b.svc.CommitSaleTx(ctx, tx, []inventory.Line{{SKUID: sku, Quantity: 2}}, order)
		}); err != nil {
			t.Fatal(err)
		}
		var flagged []string
		b.svc.OnBatchFrozen(func(ctx context.Context, tx *db.Tx, receiptID string, orderIDs []string) error {
			flagged = orderIDs
			return nil
		})
		if _, err := b.svc.FreezeBatch(b.ctxB, b.orgA, bad.ID, "抽检不合格"); !isNotFound(err) {
			t.Fatalf("other seller froze my batch: %v", err)
		}
		fb, err := b.svc.FreezeBatch(b.ctxA, b.orgA, bad.ID, "抽检不合格，召回")
		if err != nil {
			t.Fatal(err)
		}
		if fb.State != "frozen" || fb.FrozenReason != "抽检不合格，召回" || fb.FrozenAt == nil || len(fb.AffectedOrderIDs) != 1 || fb.AffectedOrderIDs[0] != order || len(flagged) != 1 {
			t.Fatalf("frozen batch: %+v, hook saw %v", fb, flagged)
		}
		if st := b.stock(sku); st.OnHand != 8 || st.Unsellable != 4 || st.Available != 4 {
			t.Fatalf("after freeze: %+v", st)
		}
		if _, err := b.svc.FreezeBatch(b.ctxA, b.orgA, bad.ID, "再冻结"); codeOf(err) != problem.InvalidTransition {
			t.Fatalf("freeze twice: %v", err)
		}
		// A general decrease may not take the frozen units; writing the
		// frozen batch off by name may.
		if _, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -5, Reason: "报损"}); codeOf(err) != problem.Conflict {
			t.Fatalf("adjusted frozen units as sellable: %v", err)
		}
		if _, err := b.svc.AdjustStock(b.ctxA, b.orgA, inventory.StockAdjustmentInput{SKUID: sku, Delta: -4, Reason: "冻结批次销毁", ReceiptID: bad.ID}); err != nil {
			t.Fatal(err)
		}
		if st := b.stock(sku); st.OnHand != 4 || st.Unsellable != 0 || st.Available != 4 {
			t.Fatalf("after destroying the frozen batch: %+v", st)
		}
		b.checkLedger(sku)
	})
}

func TestAnotherSellerSeesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		sup := b.supplier(b.ctxA, b.orgA, b.day(365))
		b.receive(sku, sup, 3, "")
		if _, err := b.svc.StockOf(b.ctxB, sku); !isNotFound(err) {
			t.Fatalf("other seller reads my stock: %v", err)
		}
		if _, _, err := b.svc.Ledger(b.ctxB, sku, inventory.Page{}); !isNotFound(err) {
			t.Fatalf("other seller reads my ledger: %v", err)
		}
		if _, err := b.svc.Supplier(b.ctxB, sup); !isNotFound(err) {
			t.Fatalf("other seller reads my supplier: %v", err)
		}
		if _, err := b.svc.AdjustStock(b.ctxB, b.orgB, inventory.StockAdjustmentInput{SKUID: sku, Delta: -1, Reason: "偷偷减库存"}); codeOf(err) != problem.Validation || !fields(err)["sku_id"] {
			t.Fatalf("other seller adjusts my sku from its shop: %v", err)
		}
		if _, err := b.svc.StockOf(context.Background(), sku); codeOf(err) != problem.Unauthenticated {
			t.Fatalf("anonymous stock read: %v", err)
		}
		entries, _, err := b.svc.Ledger(b.ctxA, sku, inventory.Page{})
		if err != nil || len(entries) != 1 || entries[0].Kind != "receipt" || entries[0].DeltaOnHand != 3 {
			t.Fatalf("own ledger: %+v %v", entries, err)
		}
	})
}

func TestLedgerIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sku := b.sku(b.orgA)
		b.receive(sku, b.supplier(b.ctxA, b.orgA, b.day(365)), 3, "")
		for _, q := range []string{`UPDATE stock_ledger SET delta_on_hand = 300`, `DELETE FROM stock_ledger`} {
			if _, err := d.WritePool().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", q, err)
			}
		}
		b.checkLedger(sku)
	})
}

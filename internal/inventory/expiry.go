package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/org"
	"gbmall/internal/platform/db"
)

// ExpireBatches is the daily job that writes off expired goods (R-6.4-11):
// every batch whose expiry day has passed (Asia/Shanghai) and that still
// has units gets an 'expiry' ledger entry taking them off hand, and its
// remaining drops accordingly. Expired units stopped being sellable at
// midnight already (see doc.go); this books what the warehouse throws away.
//
// Units reserved by orders are never written off: on_hand may not fall
// below reserved. When an expired batch holds units that open reservations
// still rely on, only the unreserved part is written off and the rest stays
// in the batch — flagged by being past expiry with remaining > 0 (receipt
// state "expired"), blocked from any new sale, and traceable. Those units
// leave either with their order (CommitSaleTx draws them, naming the batch,
// only when nothing sellable is left) or, once the order releases them, in
// a later run of this job. Each SKU is done in its own transaction, so one
// failure does not hold back the rest; the errors are returned joined.
func (s *Service) ExpireBatches(ctx context.Context, now time.Time) error {
	today := org.Today(now)
	rows, err := s.db.Query(ctx, `SELECT DISTINCT sku_id FROM stock_batches WHERE remaining > 0 AND expires_on <> '' AND expires_on < $1`, today)
	if err != nil {
		return fmt.Errorf("inventory: expired batches: %w", err)
	}
	var skus []string
	for rows.Next() {
		var sku string
		if err := rows.Scan(&sku); err != nil {
			rows.Close()
			return err
		}
		skus = append(skus, sku)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var errs []error
	for _, sku := range skus {
		if err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error { return s.expireSKU(ctx, tx, sku, today, now) }); err != nil {
			errs = append(errs, fmt.Errorf("inventory: expire batches of sku %s: %w", sku, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) expireSKU(ctx context.Context, tx *db.Tx, skuID, today string, now time.Time) error {
	l, err := s.lockLevel(ctx, tx, skuID, today)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT receipt_id, batch, expires_on, remaining FROM stock_batches
		WHERE sku_id = $1 AND remaining > 0 AND expires_on <> '' AND expires_on < $2 ORDER BY expires_on, receipt_id`, skuID, today)
	if err != nil {
		return err
	}
	type expired struct {
		receiptID, batch, expiresOn string
		remaining                   int
	}
	var batches []expired
	for rows.Next() {
		var b expired
		if err := rows.Scan(&b.receiptID, &b.batch, &b.expiresOn, &b.remaining); err != nil {
			rows.Close()
			return err
		}
		batches = append(batches, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	room := l.onHand - l.reserved
	for _, b := range batches {
		w := min(b.remaining, room)
		if w <= 0 {
			continue // held in full for reservations; flagged as described above
		}
		if ok, err := exec(ctx, tx, `UPDATE stock_batches SET remaining = remaining - $1 WHERE receipt_id = $2 AND remaining >= $1`, w, b.receiptID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("batch %s changed under its lock", b.receiptID))
		}
		if ok, err := exec(ctx, tx, `UPDATE stock_levels SET on_hand = on_hand - $1 WHERE sku_id = $2 AND on_hand - reserved >= $1`, w, skuID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("level of %s changed under its lock", skuID))
		}
		held := b.remaining - w
		reason := fmt.Sprintf("批次 %s 已于 %s 过期，报废 %d 件 / batch %s expired on %s, %d units written off", b.batch, b.expiresOn, w, b.batch, b.expiresOn, w)
		if held > 0 {
			reason += fmt.Sprintf("；%d 件为订单预留，暂留 / %d units held for reserved orders", held, held)
		}
		if _, err := s.record(ctx, tx, movement{skuID: skuID, orgID: l.orgID, kind: "expiry", dOnHand: -w, receiptID: b.receiptID, reason: reason, at: now}); err != nil {
			return err
		}
		if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.batch.expire", ObjectType: "stock_receipt", ObjectID: b.receiptID,
			Details: map[string]any{"organization_id": l.orgID, "sku_id": skuID, "expires_on": b.expiresOn, "written_off": w, "held": held}}); err != nil {
			return err
		}
		room -= w
	}
	return nil
}

package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// StockReceipt is one purchase registration (进货登记, R-6.4-2) with its
// inspection result (验货, R-6.4-11) and, for goods that passed, the state
// of the batch they formed.
type StockReceipt struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	SKUID          string            `json:"sku_id"`
	SupplierID     string            `json:"supplier_id"`
	Quantity       int               `json:"quantity"`
	Batch          string            `json:"batch"`
	ProducedOn     string            `json:"produced_on,omitempty"`
	ExpiresOn      string            `json:"expires_on,omitempty"`
	Inspection     ReceiptInspection `json:"inspection"`
	ReceivedBy     string            `json:"received_by"`
	ReceivedAt     time.Time         `json:"received_at"`
	State          string            `json:"state" enum:"sellable,sold_out,expired,frozen,quarantined" doc:"quarantined: failed inspection, never sellable; expired with remaining > 0: awaiting write-off or held for orders that reserved it"`
	Remaining      int               `json:"remaining" doc:"units of the batch still on hand"`
	FrozenReason   string            `json:"frozen_reason,omitempty"`
	FrozenAt       *time.Time        `json:"frozen_at,omitempty"`
	RetainUntil    string            `json:"retain_until" doc:"the record is kept at least until this day: 6 months past expiry, or 2 years without a shelf life (R-6.4-4); gbmall never deletes receipts"`
}

// ReceiptInspection is the result of checking goods on arrival.
type ReceiptInspection struct {
	Result string `json:"result" enum:"pass,fail"`
	Notes  string `json:"notes"`
}

// StockReceiptInput is a purchase registration.
type StockReceiptInput struct {
	SKUID      string
	Quantity   int
	SupplierID string
	Batch      string
	ProducedOn string
	ExpiresOn  string
	Inspection ReceiptInspection
}

func (in *StockReceiptInput) validate(today string) []problem.FieldError {
	var f []problem.FieldError
	if in.Quantity <= 0 || in.Quantity > 1_000_000 {
		f = append(f, problem.Field("quantity", i18n.T("数量应为 1 到 1000000", "Quantity must be 1 to 1000000")))
	}
	in.Batch = text(&f, "batch", in.Batch, 1, 100, "批次号", "Batch")
	in.ProducedOn, in.ExpiresOn = strings.TrimSpace(in.ProducedOn), strings.TrimSpace(in.ExpiresOn)
	producedOK, expiresOK := in.ProducedOn == "" || validDate(in.ProducedOn), in.ExpiresOn == "" || validDate(in.ExpiresOn)
	if !producedOK {
		f = append(f, problem.Field("produced_on", msgBadDate))
	}
	if !expiresOK {
		f = append(f, problem.Field("expires_on", msgBadDate))
	}
	if in.ExpiresOn != "" && expiresOK && in.ExpiresOn < today {
		f = append(f, problem.Field("expires_on", i18n.T("商品已于"+in.ExpiresOn+"过期，不能入库", "The goods expired on "+in.ExpiresOn+" and cannot be received")))
	}
	if in.ProducedOn != "" && producedOK {
		if in.ProducedOn > today {
			f = append(f, problem.Field("produced_on", i18n.T("生产日期不能晚于今天", "The production date cannot be after today")))
		} else if in.ExpiresOn != "" && expiresOK && in.ProducedOn > in.ExpiresOn {
			f = append(f, problem.Field("produced_on", i18n.T("生产日期不能晚于到期日期", "The production date cannot be after the expiry date")))
		}
	}
	switch in.Inspection.Result {
	case "pass":
	case "fail":
		if strings.TrimSpace(in.Inspection.Notes) == "" {
			f = append(f, problem.Field("inspection.notes", i18n.T("验货不合格时请写明原因", "Say why the goods failed inspection")))
		}
	default:
		f = append(f, problem.Field("inspection.result", i18n.T("验货结果应为 pass 或 fail", "The result must be pass or fail")))
	}
	in.Inspection.Notes = text(&f, "inspection.notes", in.Inspection.Notes, 0, 1000, "验货说明", "Notes")
	return f
}

// RegisterReceipt records a delivery from a supplier (R-6.4-2). Goods that
// passed inspection become a sellable batch and go on hand; goods that
// failed are recorded and quarantined — a ledger entry with no stock
// effect — and never become sellable (R-6.4-11). A supplier whose papers
// have lapsed is refused (R-6.4-1), as are goods already past expiry.
func (s *Service) RegisterReceipt(ctx context.Context, orgID string, in StockReceiptInput) (*StockReceipt, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	today := s.today()
	f := in.validate(today)
	receiptID := id.New()
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		fields := append([]problem.FieldError(nil), f...)
		ok, err := skuInOrg(ctx, tx, in.SKUID, orgID)
		if err != nil {
			return err
		}
		if !ok {
			fields = append(fields, problem.Field("sku_id", msgNoSuchSKU))
		}
		bad, err := s.supplierPapers(ctx, tx, in.SupplierID, orgID, today)
		if err != nil {
			return err
		}
		if bad != nil {
			fields = append(fields, *bad)
		}
		if len(fields) > 0 {
			return problem.Invalid(fields...)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO stock_receipts (id, organization_id, sku_id, supplier_id, quantity, batch, produced_on, expires_on,
			inspection, inspection_notes, received_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			receiptID, orgID, in.SKUID, in.SupplierID, in.Quantity, in.Batch, in.ProducedOn, in.ExpiresOn,
			in.Inspection.Result, in.Inspection.Notes, actorID(ctx), s.clock.Now()); err != nil {
			return fmt.Errorf("inventory: insert receipt: %w", err)
		}
		m := movement{skuID: in.SKUID, orgID: orgID, receiptID: receiptID}
		if in.Inspection.Result == "pass" {
			if _, err := s.lockLevel(ctx, tx, in.SKUID, today); err != nil {
				return err
			}
			if err := addOnHand(ctx, tx, in.SKUID, in.Quantity); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO stock_batches (receipt_id, sku_id, batch, remaining, expires_on) VALUES ($1, $2, $3, $4, $5)`,
				receiptID, in.SKUID, in.Batch, in.Quantity, in.ExpiresOn); err != nil {
				return fmt.Errorf("inventory: insert batch: %w", err)
			}
			m.kind, m.dOnHand, m.reason = "receipt", in.Quantity, "batch "+in.Batch
		} else {
			m.kind = "quarantine"
			m.reason = fmt.Sprintf("验货不合格，隔离 %d 件 / inspection failed, %d units quarantined: %s", in.Quantity, in.Quantity, in.Inspection.Notes)
		}
		if _, err := s.record(ctx, tx, m); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.receipt", ObjectType: "stock_receipt", ObjectID: receiptID,
			Details: map[string]any{"organization_id": orgID, "sku_id": in.SKUID, "supplier_id": in.SupplierID, "quantity": in.Quantity,
				"batch": in.Batch, "expires_on": in.ExpiresOn, "inspection": in.Inspection.Result}})
	})
	if err != nil {
		return nil, err
	}
	return s.receipt(ctx, orgID, receiptID)
}

const receiptCols = `r.id, r.organization_id, r.sku_id, r.supplier_id, r.quantity, r.batch, r.produced_on, r.expires_on, r.inspection, r.inspection_notes,
	r.received_by, r.received_at, COALESCE(b.remaining, 0), COALESCE(b.frozen, FALSE), COALESCE(b.frozen_reason, ''), b.frozen_at`

func (s *Service) scanReceipt(r interface{ Scan(...any) error }, today string) (*StockReceipt, error) {
	var x StockReceipt
	var frozen bool
	var frozenAt sql.NullTime
	err := r.Scan(&x.ID, &x.OrganizationID, &x.SKUID, &x.SupplierID, &x.Quantity, &x.Batch, &x.ProducedOn, &x.ExpiresOn,
		&x.Inspection.Result, &x.Inspection.Notes, &x.ReceivedBy, &x.ReceivedAt, &x.Remaining, &frozen, &x.FrozenReason, &frozenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("inventory: scan receipt: %w", err)
	}
	if frozenAt.Valid {
		t := frozenAt.Time.UTC()
		x.FrozenAt = &t
	}
	switch {
	case x.Inspection.Result != "pass":
		x.State = "quarantined"
	case frozen:
		x.State = "frozen"
	case x.ExpiresOn != "" && x.ExpiresOn < today:
		x.State = "expired"
	case x.Remaining == 0:
		x.State = "sold_out"
	default:
		x.State = "sellable"
	}
	x.RetainUntil = retainUntil(x.ExpiresOn, x.ReceivedAt)
	return &x, nil
}

// retainUntil is R-6.4-4: food receipt records are kept 6 months past the
// batch's expiry, or 2 years when it has no shelf life. gbmall applies the
// rule to every receipt and deletes none.
func retainUntil(expiresOn string, receivedAt time.Time) string {
	if t, err := time.Parse(time.DateOnly, expiresOn); err == nil {
		return t.AddDate(0, 6, 0).Format(time.DateOnly)
	}
	return receivedAt.AddDate(2, 0, 0).Format(time.DateOnly)
}

func (s *Service) receipt(ctx context.Context, orgID, receiptID string) (*StockReceipt, error) {
	if !id.Valid(receiptID) {
		return nil, problem.NotFoundError()
	}
	return s.scanReceipt(s.db.QueryRow(ctx, `SELECT `+receiptCols+` FROM stock_receipts r LEFT JOIN stock_batches b ON b.receipt_id = r.id
		WHERE r.id = $1 AND r.organization_id = $2`, receiptID, orgID), s.today())
}

// Receipts lists a seller's purchase registrations, newest first,
// optionally for one SKU.
func (s *Service) Receipts(ctx context.Context, orgID, skuID string, p Page) ([]StockReceipt, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, "", err
	}
	where, args := ` WHERE r.organization_id = $1`, []any{orgID}
	if skuID != "" {
		args = append(args, skuID)
		where += fmt.Sprintf(` AND r.sku_id = $%d`, len(args))
	}
	cond, cargs, err := p.where("r.id", len(args)+1)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, `SELECT `+receiptCols+` FROM stock_receipts r LEFT JOIN stock_batches b ON b.receipt_id = r.id`+where+cond+
		` ORDER BY r.id DESC`+p.limit(), append(args, cargs...)...)
	if err != nil {
		return nil, "", fmt.Errorf("inventory: receipts: %w", err)
	}
	defer rows.Close()
	today := s.today()
	out := []StockReceipt{}
	for rows.Next() {
		x, err := s.scanReceipt(rows, today)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, p, func(x StockReceipt) string { return x.ID })
	return out, next, nil
}

// FrozenBatch is a batch after a freeze, with the orders that drew units
// from it.
type FrozenBatch struct {
	StockReceipt
	AffectedOrderIDs []string `json:"affected_order_ids" doc:"orders holding units of this batch; the order domain flags them (R-6.4-12)"`
}

// FreezeBatch stops a defective batch from selling (R-6.4-12): its units
// count as blocked at once, and the orders that drew units from it are
// returned and handed to the hook registered with OnBatchFrozen. Freezing a
// quarantined receipt or a batch already frozen is an invalid transition.
func (s *Service) FreezeBatch(ctx context.Context, orgID, receiptID, reason string) (*FrozenBatch, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	var f []problem.FieldError
	reason = text(&f, "reason", reason, 2, 200, "冻结原因", "Reason")
	r, err := s.receipt(ctx, orgID, receiptID)
	if err != nil {
		return nil, err
	}
	if len(f) > 0 {
		return nil, problem.Invalid(f...)
	}
	if r.State == "quarantined" {
		return nil, problem.New(problem.InvalidTransition, i18n.T("验货不合格的货物从未可售，无需冻结", "Goods that failed inspection were never sellable"))
	}
	var orders []string
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := s.lockLevel(ctx, tx, r.SKUID, s.today()); err != nil {
			return err
		}
		ok, err := exec(ctx, tx, `UPDATE stock_batches SET frozen = TRUE, frozen_reason = $1, frozen_at = $2 WHERE receipt_id = $3 AND frozen = FALSE`,
			reason, s.clock.Now(), receiptID)
		if err != nil {
			return err
		}
		if !ok {
			return problem.New(problem.InvalidTransition, i18n.T("该批次已冻结", "The batch is already frozen"))
		}
		trace, err := batchTrace(ctx, tx, receiptID)
		if err != nil {
			return err
		}
		orders = []string{}
		for _, t := range trace {
			if t.Sold > t.Returned {
				orders = append(orders, t.OrderID)
			}
		}
		if s.onFrozen != nil {
			if err := s.onFrozen(ctx, tx, receiptID, orders); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "stock.batch.freeze", ObjectType: "stock_receipt", ObjectID: receiptID,
			Details: map[string]any{"organization_id": orgID, "sku_id": r.SKUID, "batch": r.Batch, "reason": reason, "affected_orders": len(orders)}})
	})
	if err != nil {
		return nil, err
	}
	r, err = s.receipt(ctx, orgID, receiptID)
	if err != nil {
		return nil, err
	}
	return &FrozenBatch{StockReceipt: *r, AffectedOrderIDs: orders}, nil
}

// BatchOrder is one order that drew units from a batch.
type BatchOrder struct {
	OrderID  string `json:"order_id"`
	Sold     int    `json:"sold"`
	Returned int    `json:"returned"`
}

// BatchOrders lists the orders that bought units of a batch, with how many
// they bought and returned — where a recall starts (R-6.4-3, R-10.4-15);
// the order and delivery domains join buyers, waybills and signatures to
// these order ids.
func (s *Service) BatchOrders(ctx context.Context, orgID, receiptID string) ([]BatchOrder, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	if _, err := s.receipt(ctx, orgID, receiptID); err != nil {
		return nil, err
	}
	return batchTrace(ctx, s.db.Reader(ctx), receiptID)
}

func batchTrace(ctx context.Context, q db.Querier, receiptID string) ([]BatchOrder, error) {
	rows, err := q.QueryContext(ctx, `SELECT order_id,
		COALESCE(SUM(CASE WHEN kind = 'sale' THEN -delta_on_hand ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN kind = 'return' THEN delta_on_hand ELSE 0 END), 0)
		FROM stock_ledger WHERE receipt_id = $1 AND order_id IS NOT NULL AND kind IN ('sale', 'return')
		GROUP BY order_id ORDER BY MIN(id)`, receiptID)
	if err != nil {
		return nil, fmt.Errorf("inventory: batch trace: %w", err)
	}
	defer rows.Close()
	out := []BatchOrder{}
	for rows.Next() {
		var t BatchOrder
		if err := rows.Scan(&t.OrderID, &t.Sold, &t.Returned); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

package payment

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/order"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/jobs"
	"gbmall/internal/platform/problem"
)

// Settlement is the instruction releasing a seller's share of a completed
// order's payment (R-8.1-2): the provider pays the seller, less the
// platform's commission; the platform never holds the money.
type Settlement struct {
	ID           string        `json:"id" doc:"also the out_settlement_no sent to the provider"`
	PaymentID    string        `json:"payment_id"`
	OrderID      string        `json:"order_id"`
	OrderNumber  string        `json:"order_number"`
	SellerID     string        `json:"seller_id"`
	Amount       catalog.Money `json:"amount" doc:"the seller's share"`
	Commission   catalog.Money `json:"commission" doc:"the platform's commission (per category rate)"`
	Status       string        `json:"status" enum:"pending,succeeded,failed"`
	SettlementNo string        `json:"settlement_no,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	SubmittedAt  *time.Time    `json:"submitted_at,omitempty"`
}

type settlePayload struct {
	SettlementID string `json:"settlement_id"`
}

// commissionOf is the platform's commission on an order: each line's
// amount times its category's rate (basis points, fixed at ordering),
// rounded down. Shipping carries none.
func commissionOf(o *order.Order) int64 {
	var c int64
	for _, l := range o.Lines {
		c += l.LineTotal.Amount * int64(l.CommissionBP) / 10000
	}
	return c
}

// settleTx records the settlement of a completed order and queues its
// instruction, inside the completing transaction.
func (s *Service) settleTx(ctx context.Context, tx *db.Tx, o *order.Order) error {
	var pid string
	err := tx.QueryRowContext(ctx, `SELECT id FROM payments WHERE order_id = $1 AND status IN ('succeeded', 'partially_refunded') ORDER BY paid_at LIMIT 1`, o.ID).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		s.log.Warn("payment: completed order has no payment to settle", "order_id", o.ID)
		return nil
	}
	if err != nil {
		return err
	}
	pay, err := loadPayment(ctx, tx, pid, true)
	if err != nil {
		return err
	}
	var refunding int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM payment_refunds WHERE payment_id = $1 AND status <> 'failed'`, pid).Scan(&refunding); err != nil {
		return err
	}
	left := pay.Amount.Amount - refunding
	if left <= 0 {
		return nil
	}
	commission := commissionOf(o)
	if commission > left {
		commission = left
	}
	now := s.clock.Now().UTC()
	sid := id.New()
	res, err := tx.ExecContext(ctx, `INSERT INTO payment_settlements (id, payment_id, order_id, seller_id, amount_fen, commission_fen, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (payment_id) DO NOTHING`, sid, pid, o.ID, o.SellerID, left-commission, commission, now, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := jobs.EnqueueTx(ctx, tx, now, JobSubmitSettlement, settlePayload{SettlementID: sid}, now, 0, "settle:"+sid); err != nil {
		return err
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.settlement.create", ObjectType: "payment_settlement", ObjectID: sid,
		Details: map[string]any{"order_id": o.ID, "payment_id": pid, "seller_id": o.SellerID, "amount": left - commission, "commission": commission}})
}

const settlementCols = `s.id, s.payment_id, s.order_id, o.number, s.seller_id, s.amount_fen, s.commission_fen, s.status, s.settlement_no, s.created_at, s.submitted_at`

func scanSettlement(sc interface{ Scan(...any) error }) (*Settlement, error) {
	var st Settlement
	var sub sql.NullTime
	if err := sc.Scan(&st.ID, &st.PaymentID, &st.OrderID, &st.OrderNumber, &st.SellerID, &st.Amount.Amount, &st.Commission.Amount, &st.Status, &st.SettlementNo, &st.CreatedAt, &sub); err != nil {
		return nil, err
	}
	st.Amount.Currency, st.Commission.Currency = catalog.Currency, catalog.Currency
	st.CreatedAt = st.CreatedAt.UTC()
	if sub.Valid {
		t := sub.Time.UTC()
		st.SubmittedAt = &t
	}
	return &st, nil
}

// runSubmitSettlement sends a settlement instruction.
func (s *Service) runSubmitSettlement(ctx context.Context, payload []byte) error {
	var p settlePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	st, err := scanSettlement(s.db.Reader(ctx).QueryRowContext(ctx, `SELECT `+settlementCols+` FROM payment_settlements s JOIN orders o ON o.id = s.order_id WHERE s.id = $1`, p.SettlementID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Status != SettlementPending {
		return nil
	}
	var providerID string
	if err := s.db.QueryRow(ctx, `SELECT provider_id FROM payments WHERE id = $1`, st.PaymentID).Scan(&providerID); err != nil {
		return err
	}
	var out payproto.SettlementResponse
	callErr := s.call(ctx, providerID, "settlement", st.ID, "POST", "/v1/settlements",
		payproto.SettlementRequest{OutSettlementNo: st.ID, OutTradeNo: st.PaymentID, Payee: st.SellerID, Amount: st.Amount.Amount, Commission: st.Commission.Amount}, &out)
	if callErr != nil && !remoteRefusal(callErr) {
		return callErr
	}
	now := s.clock.Now().UTC()
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		status, no, errText := SettlementSucceeded, out.SettlementNo, ""
		if callErr != nil {
			status, no, errText = SettlementFailed, "", errorText(callErr)
			s.log.Warn("payment: settlement refused by the provider", "settlement_id", st.ID, "err", errText)
		}
		res, err := tx.ExecContext(ctx, `UPDATE payment_settlements SET status = $1, settlement_no = $2, last_error = $3, submitted_at = $4, updated_at = $5 WHERE id = $6 AND status = 'pending'`,
			status, no, errText, now, now, st.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.settlement." + status, ObjectType: "payment_settlement", ObjectID: st.ID,
			Details: map[string]any{"order_id": st.OrderID, "settlement_no": no}})
	})
}

// Page is a page request: Limit (default 20, at most 100) and the opaque
// Cursor of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

func (p *Page) check() (string, error) {
	if p.Limit <= 0 {
		p.Limit = 20
	}
	if p.Limit > 100 {
		return "", problem.Invalid(problem.Field("limit", i18n.T("每页最多 100 条", "At most 100 per page")))
	}
	if p.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil || !id.Valid(string(b)) {
		return "", problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
	}
	return string(b), nil
}

func nextCursor(n, limit int, lastID string) string {
	if n <= limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// Settlements lists a seller's settlements, newest first (orders.manage).
func (s *Service) Settlements(ctx context.Context, sellerID string, pg Page) ([]*Settlement, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrdersManage, sellerID); err != nil {
		return nil, "", err
	}
	after, err := pg.check()
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + settlementCols + ` FROM payment_settlements s JOIN orders o ON o.id = s.order_id WHERE s.seller_id = $1`
	args := []any{sellerID}
	if after != "" {
		q += ` AND s.id < $2`
		args = append(args, after)
	}
	rows, err := s.db.Query(ctx, q+fmt.Sprintf(` ORDER BY s.id DESC LIMIT %d`, pg.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []*Settlement{}
	for rows.Next() {
		st, err := scanSettlement(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > pg.Limit {
		out = out[:pg.Limit]
		next = nextCursor(pg.Limit+1, pg.Limit, out[len(out)-1].ID)
	}
	return out, next, nil
}

// PaymentFilter selects payments for a list.
type PaymentFilter struct {
	// SellerID lists one seller's payments (orders.manage); empty lists
	// every payment (platform staff, supervision.read).
	SellerID string
	Status   string
	OrderID  string
	Page
}

// List lists payments newest first: a seller's own, or all of them for
// platform staff.
func (s *Service) List(ctx context.Context, f PaymentFilter) ([]*Payment, string, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.SellerID != "" {
		if _, err := identity.Authorize(ctx, identity.PermOrdersManage, f.SellerID); err != nil {
			return nil, "", err
		}
		where = append(where, "o.seller_id = "+arg(f.SellerID))
	} else if _, err := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err != nil {
		return nil, "", err
	}
	switch f.Status {
	case "":
	case StatusPending, StatusSucceeded, StatusFailed, StatusRefunded, StatusPartiallyRefunded:
		where = append(where, "p.status = "+arg(f.Status))
	default:
		return nil, "", problem.Invalid(problem.Field("status", i18n.T("未知的支付状态", "Unknown payment status")))
	}
	if f.OrderID != "" {
		where = append(where, "p.order_id = "+arg(f.OrderID))
	}
	after, err := f.Page.check()
	if err != nil {
		return nil, "", err
	}
	if after != "" {
		where = append(where, "p.id < "+arg(after))
	}
	q := `SELECT ` + paymentCols + paymentFrom
	if len(where) > 0 {
		q += " WHERE " + joinAnd(where)
	}
	rows, err := s.db.Query(ctx, q+fmt.Sprintf(" ORDER BY p.id DESC LIMIT %d", f.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	out := []*Payment{}
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		p.PayURL = ""
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = nextCursor(f.Limit+1, f.Limit, out[len(out)-1].ID)
	}
	if err := s.withRefunds(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

func joinAnd(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += " AND "
		}
		out += x
	}
	return out
}

package payment

import (
	"context"
	"database/sql"
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

// Payment is one payment (one trade with a provider).
type Payment struct {
	ID             string        `json:"id" doc:"also the out_trade_no sent to the provider"`
	OrderID        string        `json:"order_id"`
	OrderNumber    string        `json:"order_number"`
	SellerID       string        `json:"seller_id"`
	ProviderID     string        `json:"provider_id"`
	ProviderName   string        `json:"provider_name"`
	Status         string        `json:"status" enum:"pending,succeeded,failed,refunded,partially_refunded"`
	Amount         catalog.Money `json:"amount"`
	RefundedAmount catalog.Money `json:"refunded_amount"`
	TradeNo        string        `json:"trade_no,omitempty" doc:"the provider's transaction number"`
	PayURL         string        `json:"pay_url,omitempty" doc:"the provider's cashier page, shown to the paying consumer while pending"`
	ExpiresAt      time.Time     `json:"expires_at"`
	CreatedAt      time.Time     `json:"created_at"`
	PaidAt         *time.Time    `json:"paid_at,omitempty"`
	ClosedAt       *time.Time    `json:"closed_at,omitempty"`
	CloseReason    string        `json:"close_reason,omitempty"`
	ConfirmedBy    string        `json:"confirmed_by,omitempty" doc:"notification or query: how the platform learnt of the payment"`
	Refunds        []Refund      `json:"refunds"`

	accountID  string
	queryCount int
}

const paymentCols = `p.id, p.order_id, o.number, o.seller_id, p.provider_id, g.name, p.account_id, p.status, p.amount_fen, p.refunded_fen, p.trade_no, p.pay_url,
	p.expires_at, p.created_at, p.paid_at, p.closed_at, p.close_reason, p.confirmed_by, p.query_count`

const paymentFrom = ` FROM payments p JOIN orders o ON o.id = p.order_id JOIN organizations g ON g.id = p.provider_id`

func scanPayment(sc interface{ Scan(...any) error }) (*Payment, error) {
	var p Payment
	var paid, closed sql.NullTime
	err := sc.Scan(&p.ID, &p.OrderID, &p.OrderNumber, &p.SellerID, &p.ProviderID, &p.ProviderName, &p.accountID, &p.Status, &p.Amount.Amount,
		&p.RefundedAmount.Amount, &p.TradeNo, &p.PayURL, &p.ExpiresAt, &p.CreatedAt, &paid, &closed, &p.CloseReason, &p.ConfirmedBy, &p.queryCount)
	if err != nil {
		return nil, err
	}
	p.Amount.Currency, p.RefundedAmount.Currency = catalog.Currency, catalog.Currency
	p.ExpiresAt, p.CreatedAt = p.ExpiresAt.UTC(), p.CreatedAt.UTC()
	if paid.Valid {
		t := paid.Time.UTC()
		p.PaidAt = &t
	}
	if closed.Valid {
		t := closed.Time.UTC()
		p.ClosedAt = &t
	}
	p.Refunds = []Refund{}
	return &p, nil
}

// loadPayment reads a payment; in a transaction it locks the row on
// PostgreSQL. It answers nil, nil when there is none.
func loadPayment(ctx context.Context, q db.Querier, paymentID string, lock bool) (*Payment, error) {
	if !id.Valid(paymentID) {
		return nil, nil
	}
	suffix := ""
	if tx, ok := q.(*db.Tx); ok && lock && tx.Dialect() == db.Postgres {
		suffix = " FOR UPDATE OF p"
	}
	p, err := scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentCols+paymentFrom+` WHERE p.id = $1`+suffix, paymentID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// Started answers POST /api/v1/orders/{id}/payments.
type Started struct {
	PaymentID string    `json:"payment_id"`
	PayURL    string    `json:"pay_url" doc:"the provider's cashier page: send the consumer there"`
	ExpiresAt time.Time `json:"expires_at" doc:"the order's payment deadline; the trade closes then"`
}

// Pay starts paying order orderID with provider providerID: the consumer
// who placed the order, while it awaits payment. It records the payment,
// creates the trade with the provider (signed, outside any transaction)
// and answers the provider's pay_url. A pending payment of the same order
// with the same provider is answered again rather than duplicated.
func (s *Service) Pay(ctx context.Context, orderID, providerID string) (*Started, error) {
	p, err := identity.RequireSignedIn(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.APIKeyID != "" {
		return nil, problem.New(problem.Forbidden, i18n.T("API 密钥不能代表消费者付款", "An API key cannot pay for a consumer"))
	}
	o, err := s.orders.Get(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if o.AccountID != p.AccountID {
		return nil, problem.NotFoundError()
	}
	now := s.clock.Now().UTC()
	if o.Status != order.AwaitingPayment {
		return nil, problem.New(problem.InvalidTransition, i18n.T("订单当前不是待付款状态", "The order is not awaiting payment")).With("status", string(o.Status))
	}
	if !now.Before(o.PayBefore) {
		return nil, problem.New(problem.InvalidTransition, i18n.T("订单已超过付款期限", "The order's payment deadline has passed"))
	}
	// R-6.5-1, R-8.1-1: only a provider offered now.
	ok, err := s.offered(ctx, providerID, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, problem.New(problem.QualificationMissing, i18n.T("该支付机构目前不可用，请选择其他支付方式", "This payment provider is not available now; choose another"))
	}
	var pay *Payment
	reused := false
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var status string
		var payBefore time.Time
		var total int64
		if err := tx.QueryRowContext(ctx, `SELECT status, pay_before, total_fen FROM orders WHERE id = $1`+lockSuffix(tx), orderID).Scan(&status, &payBefore, &total); err != nil {
			return err
		}
		if order.Status(status) != order.AwaitingPayment {
			return problem.New(problem.InvalidTransition, i18n.T("订单当前不是待付款状态", "The order is not awaiting payment"))
		}
		var existing string
		err := tx.QueryRowContext(ctx, `SELECT id FROM payments WHERE order_id = $1 AND provider_id = $2 AND status = 'pending' AND pay_url <> '' AND expires_at > $3
			ORDER BY created_at DESC LIMIT 1`, orderID, providerID, now).Scan(&existing)
		if err == nil {
			reused = true
			pay, err = loadPayment(ctx, tx, existing, false)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		pid := id.New()
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, order_id, provider_id, account_id, amount_fen, currency, status, expires_at, created_at, next_query_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10)`,
			pid, orderID, providerID, p.AccountID, total, catalog.Currency, payBefore.UTC(), now, now.Add(QuerySchedule[0]), now); err != nil {
			return err
		}
		if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.create", ObjectType: "payment", ObjectID: pid,
			Details: map[string]any{"order_id": orderID, "provider_id": providerID, "amount": total}}); err != nil {
			return err
		}
		pay, err = loadPayment(ctx, tx, pid, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return &Started{PaymentID: pay.ID, PayURL: pay.PayURL, ExpiresAt: pay.ExpiresAt}, nil
	}
	req := payproto.CreateTradeRequest{OutTradeNo: pay.ID, Amount: pay.Amount.Amount, Currency: catalog.Currency,
		Subject: "gbmall 订单 " + pay.OrderNumber, NotifyURL: s.NotifyURL(providerID), ReturnURL: s.PublicURL + "/orders/" + orderID,
		ExpiresAt: pay.ExpiresAt}
	var created payproto.CreateTradeResponse
	callErr := s.call(ctx, providerID, "create_trade", pay.ID, "POST", "/v1/trades", req, &created)
	if callErr != nil {
		s.log.Warn("payment: trade creation failed", "payment_id", pay.ID, "provider_id", providerID, "err", errorText(callErr))
		// The trade may exist even though the answer was lost: close it
		// (a close of an unknown trade is a no-op).
		_ = s.db.InTx(systemCtx(ctx), func(ctx context.Context, tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'failed', close_reason = 'create_failed', closed_at = $1, next_query_at = NULL, updated_at = $2
				WHERE id = $3 AND status = 'pending'`, now, now, pay.ID); err != nil {
				return err
			}
			_, err := jobs.EnqueueTx(ctx, tx, now, JobCloseTrade, closePayload{PaymentID: pay.ID}, now.Add(time.Minute), 0, "close:"+pay.ID)
			return err
		})
		return nil, problem.New(problem.Unavailable, i18n.T("支付机构暂时无法受理，请稍后重试或选择其他支付方式", "The payment provider cannot take the payment now; try again or choose another")).Wrap(callErr)
	}
	var still bool
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := s.clock.Now().UTC()
		res, err := tx.ExecContext(ctx, `UPDATE payments SET trade_no = $1, pay_url = $2, submitted_at = $3, updated_at = $4 WHERE id = $5 AND status = 'pending'`,
			created.TradeNo, created.PayURL, now, now, pay.ID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		still = n == 1
		if !still {
			// Closed meanwhile (the order was cancelled): record the
			// provider's numbers and close the trade that now exists.
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET trade_no = $1, submitted_at = $2 WHERE id = $3 AND trade_no = ''`, created.TradeNo, now, pay.ID); err != nil {
				return err
			}
			_, err = jobs.EnqueueTx(ctx, tx, now, JobCloseTrade, closePayload{PaymentID: pay.ID}, now, 0, "close-created:"+pay.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !still {
		return nil, problem.New(problem.InvalidTransition, i18n.T("订单已取消", "The order was cancelled"))
	}
	return &Started{PaymentID: pay.ID, PayURL: created.PayURL, ExpiresAt: pay.ExpiresAt}, nil
}

// Get returns a payment to the consumer who pays, the seller's staff and
// platform staff; anyone else sees 404.
func (s *Service) Get(ctx context.Context, paymentID string) (*Payment, error) {
	p := identity.PrincipalFrom(ctx)
	if p == nil {
		return nil, identity.ErrUnauthenticated
	}
	pay, err := loadPayment(ctx, s.db.Reader(ctx), paymentID, false)
	if err != nil {
		return nil, err
	}
	if pay == nil {
		return nil, problem.NotFoundError()
	}
	own := p.APIKeyID == "" && p.AccountID == pay.accountID
	if !own && !p.Can(identity.PermOrdersManage, pay.SellerID) && !p.Can(identity.PermSuperviseRead, "") {
		return nil, problem.NotFoundError()
	}
	if !own || pay.Status != StatusPending {
		pay.PayURL = ""
	}
	if err := s.withRefunds(ctx, []*Payment{pay}); err != nil {
		return nil, err
	}
	return pay, nil
}

// RefsFor lists an order's payments as the order shows them (wired as
// order.Service.Payments), newest first.
func (s *Service) RefsFor(ctx context.Context, orderID string) ([]order.PaymentRef, error) {
	rows, err := s.db.Reader(ctx).QueryContext(ctx, `SELECT id, status, amount_fen, refunded_fen FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC`, orderID)
	if err != nil {
		return nil, fmt.Errorf("payment: refs: %w", err)
	}
	defer rows.Close()
	out := []order.PaymentRef{}
	for rows.Next() {
		var r order.PaymentRef
		var amount, refunded int64
		if err := rows.Scan(&r.ID, &r.Status, &amount, &refunded); err != nil {
			return nil, err
		}
		r.Amount, r.RefundedAmount = money(amount), money(refunded)
		out = append(out, r)
	}
	return out, rows.Err()
}

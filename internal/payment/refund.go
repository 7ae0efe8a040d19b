package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/jobs"
	"gbmall/internal/platform/problem"
)

// Refund is one refund of a payment: processing → succeeded | failed. Its
// id is the out_refund_no sent to the provider.
type Refund struct {
	ID          string        `json:"id" doc:"also the out_refund_no sent to the provider"`
	PaymentID   string        `json:"payment_id"`
	OrderID     string        `json:"order_id"`
	Amount      catalog.Money `json:"amount"`
	Reason      string        `json:"reason"`
	Status      string        `json:"status" enum:"processing,succeeded,failed"`
	RefundNo    string        `json:"refund_no,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	CompletedAt *time.Time    `json:"completed_at,omitempty"`
}

const refundCols = `id, payment_id, order_id, amount_fen, reason, status, refund_no, created_at, completed_at`

func scanRefund(sc interface{ Scan(...any) error }) (*Refund, error) {
	var r Refund
	var done sql.NullTime
	if err := sc.Scan(&r.ID, &r.PaymentID, &r.OrderID, &r.Amount.Amount, &r.Reason, &r.Status, &r.RefundNo, &r.CreatedAt, &done); err != nil {
		return nil, err
	}
	r.Amount.Currency = catalog.Currency
	r.CreatedAt = r.CreatedAt.UTC()
	if done.Valid {
		t := done.Time.UTC()
		r.CompletedAt = &t
	}
	return &r, nil
}

func loadRefund(ctx context.Context, q db.Querier, refundID string) (*Refund, error) {
	if !id.Valid(refundID) {
		return nil, nil
	}
	r, err := scanRefund(q.QueryRowContext(ctx, `SELECT `+refundCols+` FROM payment_refunds WHERE id = $1`, refundID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func (s *Service) withRefunds(ctx context.Context, ps []*Payment) error {
	for _, p := range ps {
		rows, err := s.db.Reader(ctx).QueryContext(ctx, `SELECT `+refundCols+` FROM payment_refunds WHERE payment_id = $1 ORDER BY created_at, id`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRefund(rows)
			if err != nil {
				rows.Close()
				return err
			}
			p.Refunds = append(p.Refunds, *r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

type refundPayload struct {
	RefundID string `json:"refund_id"`
}

// refundTx asks for a refund of amount fen of payment pay (locked by the
// caller) inside tx, and queues its instruction to the provider. The
// refunds of a payment, other than failed ones, never exceed what was paid
// (R-6.5-5). requestKey makes a second request for the same refund answer
// the first one.
func (s *Service) refundTx(ctx context.Context, tx *db.Tx, pay *Payment, amount int64, reason, requestKey string) (*Refund, error) {
	if existing, err := scanRefund(tx.QueryRowContext(ctx, `SELECT `+refundCols+` FROM payment_refunds WHERE payment_id = $1 AND request_key = $2`, pay.ID, requestKey)); err == nil {
		if existing.Amount.Amount != amount {
			return nil, problem.New(problem.IdempotencyKeyReused, i18n.T("该退款请求编号已用于另一金额", "This refund request key was used for another amount"))
		}
		return existing, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if pay.Status != StatusSucceeded && pay.Status != StatusPartiallyRefunded {
		return nil, problem.New(problem.InvalidTransition, i18n.T("该支付未成功或已全额退款，不能退款", "The payment is not paid or is refunded in full; nothing to refund")).With("status", pay.Status)
	}
	if amount <= 0 {
		return nil, problem.Invalid(problem.Field("amount", i18n.T("退款金额（分）必须为正数", "The refund amount (fen) must be positive")))
	}
	var asked int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM payment_refunds WHERE payment_id = $1 AND status <> 'failed'`, pay.ID).Scan(&asked); err != nil {
		return nil, err
	}
	if asked+amount > pay.Amount.Amount {
		return nil, problem.Newf(problem.Conflict, "退款总额不能超过实付金额：已退或退款中 %d 分，实付 %d 分，本次 %d 分",
			"Refunds may not exceed what was paid: %d fen refunded or in progress of %d, %d more asked", asked, pay.Amount.Amount, amount).
			With("refundable", pay.Amount.Amount-asked)
	}
	now := s.clock.Now().UTC()
	r := &Refund{ID: id.New(), PaymentID: pay.ID, OrderID: pay.OrderID, Amount: money(amount), Reason: reason, Status: RefundProcessing, CreatedAt: now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_refunds (id, payment_id, order_id, amount_fen, reason, request_key, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7, $8)`, r.ID, pay.ID, pay.OrderID, amount, reason, requestKey, now, now); err != nil {
		return nil, err
	}
	if _, err := jobs.EnqueueTx(ctx, tx, now, JobSubmitRefund, refundPayload{RefundID: r.ID}, now, 0, "refund:"+r.ID); err != nil {
		return nil, err
	}
	if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.refund.create", ObjectType: "payment_refund", ObjectID: r.ID,
		Details: map[string]any{"payment_id": pay.ID, "order_id": pay.OrderID, "amount": amount, "reason": reason}}); err != nil {
		return nil, err
	}
	return r, nil
}

// RefundTx is how other domains (after-sales) refund a payment in their
// own transaction.
func (s *Service) RefundTx(ctx context.Context, tx *db.Tx, paymentID string, amount int64, reason, requestKey string) (*Refund, error) {
	pay, err := loadPayment(ctx, tx, paymentID, true)
	if err != nil {
		return nil, err
	}
	if pay == nil {
		return nil, problem.NotFoundError()
	}
	return s.refundTx(ctx, tx, pay, amount, reason, requestKey)
}

// Refund is a platform admin correcting a payment by a reasoned refund
// (R-8.2-4): full or partial, never above what was paid. requestKey (the
// Idempotency-Key) makes a retry answer the same refund.
func (s *Service) Refund(ctx context.Context, paymentID string, amount int64, reason, requestKey string) (*Refund, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var fields []problem.FieldError
	if n := utf8.RuneCountInString(reason); n < 2 || n > 200 {
		fields = append(fields, problem.Field("reason", i18n.T("请说明退款原因（2–200 个字）", "Give the reason for the refund (2–200 characters)")))
	}
	if amount <= 0 {
		fields = append(fields, problem.Field("amount", i18n.T("退款金额（分）必须为正数", "The refund amount (fen) must be positive")))
	}
	if len(fields) > 0 {
		return nil, problem.Invalid(fields...)
	}
	if requestKey == "" {
		requestKey = id.New()
	}
	var out *Refund
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = s.RefundTx(ctx, tx, paymentID, amount, reason, "admin:"+requestKey)
		return err
	})
	return out, err
}

// runSubmitRefund sends a refund instruction (idempotent on out_refund_no).
// A refusal by the provider fails the refund; a transport error is retried
// by the queue.
func (s *Service) runSubmitRefund(ctx context.Context, payload []byte) error {
	var p refundPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	r, err := loadRefund(ctx, s.db.Reader(ctx), p.RefundID)
	if err != nil || r == nil {
		return err
	}
	if r.Status != RefundProcessing {
		return nil
	}
	pay, err := loadPayment(ctx, s.db.Reader(ctx), r.PaymentID, false)
	if err != nil || pay == nil {
		return err
	}
	var out payproto.RefundResponse
	callErr := s.call(ctx, pay.ProviderID, "refund", r.ID, "POST", "/v1/refunds",
		payproto.RefundRequest{OutRefundNo: r.ID, OutTradeNo: pay.ID, Amount: r.Amount.Amount, Reason: truncateRunes(r.Reason, 250)}, &out)
	now := s.clock.Now().UTC()
	if callErr != nil && !remoteRefusal(callErr) {
		return callErr
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if callErr != nil {
			res, err := tx.ExecContext(ctx, `UPDATE payment_refunds SET status = 'failed', last_error = $1, completed_at = $2, updated_at = $3 WHERE id = $4 AND status = 'processing'`,
				errorText(callErr), now, now, r.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			s.log.Warn("payment: refund refused by the provider", "refund_id", r.ID, "err", errorText(callErr))
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.refund.failed", ObjectType: "payment_refund", ObjectID: r.ID, Outcome: "failure",
				Details: map[string]any{"payment_id": pay.ID, "error": errorText(callErr)}})
		}
		_, err := tx.ExecContext(ctx, `UPDATE payment_refunds SET refund_no = $1, submitted_at = COALESCE(submitted_at, $2), updated_at = $3 WHERE id = $4`,
			out.RefundNo, now, now, r.ID)
		return err
	})
}

func truncateRunes(v string, n int) string {
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	return string([]rune(v)[:n])
}

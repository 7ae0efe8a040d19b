package payment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

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

// dbNonces is the NonceStore in the database, so that every serve process
// sharing it refuses a replay (R-6.5-3). Each nonce is committed on its own:
// remembering it is not part of any change a request makes.
type dbNonces struct{ d *db.DB }

func (n dbNonces) Remember(ctx context.Context, nonce string, now, until time.Time) (bool, error) {
	fresh := false
	err := n.d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_nonces (nonce, seen_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING`,
			nonce, now.UTC(), until.UTC())
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		fresh = k == 1
		return err
	})
	return fresh, err
}

// ForgetNonces deletes nonces past their memory (a periodic job).
func (s *Service) ForgetNonces(ctx context.Context, now time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM payment_nonces WHERE expires_at <= $1`, now.UTC())
		return err
	})
}

// Incident kinds.
const (
	IncidentBadSignature   = "bad_signature"
	IncidentMalformed      = "malformed"
	IncidentUnknownTrade   = "unknown_trade"
	IncidentAmountMismatch = "amount_mismatch"
	IncidentContradiction  = "contradiction"
)

// Incident is a refused or mismatching notification.
type Incident struct {
	ID         string    `json:"id"`
	ProviderID string    `json:"provider_id"`
	Kind       string    `json:"kind" enum:"bad_signature,malformed,unknown_trade,amount_mismatch,contradiction"`
	Detail     string    `json:"detail"`
	PaymentID  string    `json:"payment_id,omitempty"`
	OutTradeNo string    `json:"out_trade_no,omitempty"`
	Event      string    `json:"event,omitempty"`
	Body       string    `json:"body,omitempty" doc:"the notification body as received (first 2 KB)"`
	SourceIP   string    `json:"source_ip,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// recordIncident writes an incident in a transaction of its own: outside
// the change that was refused (R-6.5-3, R-6.5-4).
func (s *Service) recordIncident(ctx context.Context, in Incident) {
	if len(in.Body) > 2048 {
		in.Body = in.Body[:2048]
	}
	if !utf8.ValidString(in.Body) {
		in.Body = fmt.Sprintf("%q", in.Body)
		if len(in.Body) > 2048 {
			in.Body = in.Body[:2048]
		}
	}
	if len(in.ProviderID) > 64 {
		in.ProviderID = in.ProviderID[:64]
	}
	in.ID = id.New()
	in.CreatedAt = s.clock.Now().UTC()
	err := s.db.InTx(context.WithoutCancel(ctx), func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_incidents (id, provider_id, kind, detail, payment_id, out_trade_no, event, body, source_ip, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, in.ID, in.ProviderID, in.Kind, in.Detail, in.PaymentID, in.OutTradeNo, in.Event, in.Body, in.SourceIP, in.CreatedAt); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.incident", ObjectType: "payment_incident", ObjectID: in.ID, Outcome: "failure",
			Details: map[string]any{"provider_id": in.ProviderID, "kind": in.Kind, "payment_id": in.PaymentID}})
	})
	if err != nil {
		s.log.Error("payment: cannot record incident", "kind", in.Kind, "provider_id", in.ProviderID, "err", err)
	}
	s.log.Warn("payment: notification refused", "kind", in.Kind, "provider_id", in.ProviderID, "payment_id", in.PaymentID, "detail", in.Detail)
}

// MaxNotification bounds a notification body.
const MaxNotification = 64 << 10

// mismatch is a notification that verified but does not fit the platform's
// records: recorded as an incident, answered 422 amount-mismatch, never
// applied (R-6.5-4).
type mismatch struct {
	kind, detail, paymentID string
}

func (m *mismatch) Error() string { return m.kind + ": " + m.detail }

func mismatchProblem(m *mismatch) error {
	return problem.Newf(problem.AmountMismatch, "通知与平台记录不符（%s）：未处理", "The notification does not match the platform's records (%s); not applied", m.kind).
		With("reason", m.kind)
}

// Notify processes a provider's signed notification (payment-protocol.md):
// header is its Signature header, pathWithQuery the request target as
// received. It answers nil when the notification is applied or was applied
// before (200 {"result":"success"}); a 401 bad-signature problem when the
// signature, key, clock window or nonce fails (nothing changed); a 422
// amount-mismatch problem when it is not for a trade of the platform or its
// amount or currency differ. Every refusal is recorded as an incident. No
// session or cookie counts here: only the signature.
func (s *Service) Notify(ctx context.Context, providerID, header, method, pathWithQuery string, body []byte, sourceIP string) error {
	ctx = identity.WithPrincipal(ctx, nil)
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: "payment_provider:" + truncate(providerID, 64), OrganizationID: truncate(providerID, 64),
		Role: "payment_provider", SourceIP: sourceIP, RequestID: audit.ActorFrom(ctx).RequestID})
	base := Incident{ProviderID: providerID, Body: string(body), SourceIP: sourceIP}
	if len(body) > MaxNotification {
		return problem.New(problem.PayloadTooLarge, i18n.T("通知过大", "Notification too large"))
	}
	v := payproto.Verifier{Keys: s.providerKeys(providerID), Nonces: s.nonces, Clock: s.clock}
	if _, err := v.Verify(ctx, header, method, pathWithQuery, body); err != nil {
		if p, ok := problem.As(err); ok {
			in := base
			in.Kind, in.Detail = IncidentBadSignature, p.Detail.EN
			s.recordIncident(ctx, in)
		}
		return err
	}
	var n payproto.Notification
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&n); err != nil || n.OutTradeNo == "" {
		in := base
		in.Kind, in.Detail = IncidentMalformed, "body is not a notification"
		s.recordIncident(ctx, in)
		return problem.Invalid(problem.Field("body", i18n.T("不是有效的支付通知", "Not a valid notification")))
	}
	base.Event, base.OutTradeNo = n.Event, n.OutTradeNo
	var err error
	switch n.Event {
	case payproto.EventTradeSucceeded, payproto.EventTradeClosed:
		err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return s.applyTrade(ctx, tx, providerID, n, "notification")
		})
	case payproto.EventRefundSucceeded, payproto.EventRefundFailed:
		err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error { return s.applyRefund(ctx, tx, providerID, n) })
	default:
		in := base
		in.Kind, in.Detail = IncidentMalformed, "unknown event"
		s.recordIncident(ctx, in)
		return problem.Invalid(problem.Field("event", i18n.T("未知的通知事件", "Unknown event")))
	}
	var m *mismatch
	if errors.As(err, &m) {
		in := base
		in.Kind, in.Detail, in.PaymentID = m.kind, m.detail, m.paymentID
		s.recordIncident(ctx, in)
		return mismatchProblem(m)
	}
	return err
}

func truncate(v string, n int) string {
	if len(v) > n {
		return v[:n]
	}
	return v
}

// applyTrade applies a trade's outcome, told by a notification or found by
// the active query (via), inside tx. It checks that the trade is the
// platform's with this provider and that amount and currency match
// exactly; a repeated outcome changes nothing.
func (s *Service) applyTrade(ctx context.Context, tx *db.Tx, providerID string, n payproto.Notification, via string) error {
	pay, err := loadPayment(ctx, tx, n.OutTradeNo, true)
	if err != nil {
		return err
	}
	if pay == nil || pay.ProviderID != providerID {
		return &mismatch{kind: IncidentUnknownTrade, detail: "out_trade_no " + truncate(n.OutTradeNo, 64) + " is not a trade of the platform with this provider"}
	}
	if pay.TradeNo != "" && n.TradeNo != "" && pay.TradeNo != n.TradeNo {
		return &mismatch{kind: IncidentUnknownTrade, paymentID: pay.ID, detail: "trade_no differs from the one the provider gave"}
	}
	if n.Amount != pay.Amount.Amount || n.Currency != catalog.Currency {
		return &mismatch{kind: IncidentAmountMismatch, paymentID: pay.ID,
			detail: fmt.Sprintf("notified %d %s, the platform asked for %d %s", n.Amount, truncate(n.Currency, 8), pay.Amount.Amount, catalog.Currency)}
	}
	now := s.clock.Now().UTC()
	switch n.Event {
	case payproto.EventTradeSucceeded:
		if pay.Status != StatusPending && pay.Status != StatusFailed {
			return nil // applied before
		}
		paidAt := now
		if !n.OccurredAt.IsZero() {
			paidAt = n.OccurredAt.UTC()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'succeeded', paid_at = $1, trade_no = CASE WHEN trade_no = '' THEN $2 ELSE trade_no END,
			confirmed_by = $3, next_query_at = NULL, closed_at = NULL, close_reason = '', updated_at = $4 WHERE id = $5`, paidAt, n.TradeNo, via, now, pay.ID); err != nil {
			return err
		}
		if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.succeeded", ObjectType: "payment", ObjectID: pay.ID,
			Details: map[string]any{"order_id": pay.OrderID, "amount": pay.Amount.Amount, "via": via, "trade_no": n.TradeNo}}); err != nil {
			return err
		}
		pay.Status = StatusSucceeded
		// The order moves to paid in this same transaction — or, when it
		// can no longer be paid (cancelled, or paid through another
		// payment), the money goes back in full: never paid-and-cancelled.
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, pay.OrderID).Scan(&status); err != nil {
			return err
		}
		if order.Status(status) == order.AwaitingPayment {
			_, err := s.orders.FireTx(ctx, tx, pay.OrderID, order.EvPay, "")
			return err
		}
		_, err := s.refundTx(ctx, tx, pay, pay.Amount.Amount, "order "+status+" when the payment arrived: automatic full refund", "auto-full")
		return err
	case payproto.EventTradeClosed:
		switch pay.Status {
		case StatusPending:
			if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'failed', closed_at = $1, close_reason = 'closed_by_provider', next_query_at = NULL, updated_at = $2 WHERE id = $3`,
				now, now, pay.ID); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.closed", ObjectType: "payment", ObjectID: pay.ID,
				Details: map[string]any{"order_id": pay.OrderID, "via": via}})
		case StatusFailed:
			return nil
		default:
			return &mismatch{kind: IncidentContradiction, paymentID: pay.ID, detail: "trade.closed for a payment the provider confirmed as paid"}
		}
	}
	return nil
}

// applyRefund applies refund.succeeded or refund.failed inside tx.
func (s *Service) applyRefund(ctx context.Context, tx *db.Tx, providerID string, n payproto.Notification) error {
	pay, err := loadPayment(ctx, tx, n.OutTradeNo, true)
	if err != nil {
		return err
	}
	if pay == nil || pay.ProviderID != providerID {
		return &mismatch{kind: IncidentUnknownTrade, detail: "out_trade_no " + truncate(n.OutTradeNo, 64) + " is not a trade of the platform with this provider"}
	}
	r, err := loadRefund(ctx, tx, n.OutRefundNo)
	if err != nil {
		return err
	}
	if r == nil || r.PaymentID != pay.ID {
		return &mismatch{kind: IncidentUnknownTrade, paymentID: pay.ID, detail: "out_refund_no " + truncate(n.OutRefundNo, 64) + " is not a refund of this payment"}
	}
	if n.Amount != r.Amount.Amount || n.Currency != catalog.Currency {
		return &mismatch{kind: IncidentAmountMismatch, paymentID: pay.ID,
			detail: fmt.Sprintf("refund notified as %d %s, the platform asked for %d %s", n.Amount, truncate(n.Currency, 8), r.Amount.Amount, catalog.Currency)}
	}
	now := s.clock.Now().UTC()
	if r.Status != RefundProcessing {
		if (r.Status == RefundSucceeded) == (n.Event == payproto.EventRefundSucceeded) {
			return nil // applied before
		}
		return &mismatch{kind: IncidentContradiction, paymentID: pay.ID, detail: "refund outcome contradicts the one notified before"}
	}
	if n.Event == payproto.EventRefundFailed {
		if _, err := tx.ExecContext(ctx, `UPDATE payment_refunds SET status = 'failed', refund_no = CASE WHEN refund_no = '' THEN $1 ELSE refund_no END, completed_at = $2, updated_at = $3 WHERE id = $4`,
			n.RefundNo, now, now, r.ID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.refund.failed", ObjectType: "payment_refund", ObjectID: r.ID,
			Details: map[string]any{"payment_id": pay.ID, "amount": r.Amount.Amount}})
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payment_refunds SET status = 'succeeded', refund_no = CASE WHEN refund_no = '' THEN $1 ELSE refund_no END, completed_at = $2, updated_at = $3 WHERE id = $4`,
		n.RefundNo, now, now, r.ID); err != nil {
		return err
	}
	refunded := pay.RefundedAmount.Amount + r.Amount.Amount
	status := StatusPartiallyRefunded
	if refunded >= pay.Amount.Amount {
		status = StatusRefunded
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET refunded_fen = $1, status = $2, updated_at = $3 WHERE id = $4`, refunded, status, now, pay.ID); err != nil {
		return err
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.refund.succeeded", ObjectType: "payment_refund", ObjectID: r.ID,
		Details: map[string]any{"payment_id": pay.ID, "amount": r.Amount.Amount, "refunded_total": refunded}})
}

// closePayload is the payload of JobCloseTrade.
type closePayload struct {
	PaymentID string `json:"payment_id"`
}

// enqueueCloseTx queues the closing of a pending payment's trade.
func enqueueCloseTx(ctx context.Context, tx *db.Tx, now time.Time, paymentID string) error {
	_, err := jobs.EnqueueTx(ctx, tx, now, JobCloseTrade, closePayload{PaymentID: paymentID}, now, 0, "close:"+paymentID)
	return err
}

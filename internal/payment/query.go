package payment

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/order"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/problem"
)

// nextQuery is when a pending payment created at created is queried after
// its n-th query (n = 0 before any): 2, 4, 8, 16 minutes after creation,
// then every 30 minutes; never past the trade's expiry, at which one last
// query finds it closed.
func nextQuery(created, expires time.Time, n int) time.Time {
	var at time.Time
	if n < len(QuerySchedule) {
		at = created.Add(QuerySchedule[n])
	} else {
		at = created.Add(QuerySchedule[len(QuerySchedule)-1] + time.Duration(n-len(QuerySchedule)+1)*QueryEvery)
	}
	if at.After(expires) {
		at = expires.Add(5 * time.Second)
	}
	return at
}

// QueryPending is the active query (R-6.5-5): the platform does not trust
// notifications alone. Each payment still pending at its next query time
// is asked for with GET /v1/trades/{out_trade_no}; a succeeded or closed
// answer is applied exactly as its notification would be.
func (s *Service) QueryPending(ctx context.Context, now time.Time) error {
	ids, err := db.Strings(ctx, s.db.Reader(ctx), `SELECT id FROM payments WHERE status = 'pending' AND next_query_at <= $1 AND trade_no <> '' ORDER BY next_query_at LIMIT 200`, now.UTC())
	if err != nil {
		return err
	}
	var errs []error
	for _, pid := range ids {
		if ctx.Err() != nil {
			break
		}
		if err := s.queryOne(ctx, pid, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) queryOne(ctx context.Context, paymentID string, now time.Time) error {
	ctx = systemCtx(ctx)
	pay, err := loadPayment(ctx, s.db.Reader(ctx), paymentID, false)
	if err != nil || pay == nil || pay.Status != StatusPending {
		return err
	}
	var t payproto.Trade
	callErr := s.call(ctx, pay.ProviderID, "", pay.ID, "GET", "/v1/trades/"+url.PathEscape(pay.ID), nil, &t)
	notFound := isRemote(callErr, 404)
	if callErr != nil && !notFound {
		s.log.Warn("payment: trade query failed", "payment_id", pay.ID, "err", errorText(callErr))
	}
	var applyErr error
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cur, err := loadPayment(ctx, tx, paymentID, true)
		if err != nil || cur == nil || cur.Status != StatusPending {
			return err
		}
		n := cur.queryCount + 1
		next := nextQuery(cur.CreatedAt, cur.ExpiresAt, n)
		if !next.After(now) {
			next = now.Add(QueryEvery)
		}
		if callErr == nil && (t.Status == payproto.TradeSucceeded || t.Status == payproto.TradeClosed) {
			ev := payproto.EventTradeSucceeded
			at := now
			if t.Status == payproto.TradeClosed {
				ev = payproto.EventTradeClosed
			} else if t.PaidAt != nil {
				at = *t.PaidAt
			}
			// The answer is applied as its notification would be, checks
			// included.
			applyErr = s.applyTrade(ctx, tx, cur.ProviderID, payproto.Notification{Event: ev, TradeNo: t.TradeNo, OutTradeNo: t.OutTradeNo,
				Amount: t.Amount, Currency: catalog.Currency, OccurredAt: at}, "query")
			var m *mismatch
			if errors.As(applyErr, &m) {
				return applyErr
			}
			if applyErr != nil {
				return applyErr
			}
			_, err := tx.ExecContext(ctx, `UPDATE payments SET query_count = $1 WHERE id = $2`, n, cur.ID)
			return err
		}
		if notFound && !now.Before(cur.ExpiresAt) {
			// The provider never had it and nobody can pay it now.
			_, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'failed', closed_at = $1, close_reason = 'not_found_at_provider', next_query_at = NULL, query_count = $2, updated_at = $3 WHERE id = $4`,
				now, n, now, cur.ID)
			return err
		}
		if callErr == nil && t.Status == payproto.TradePending && !now.Before(cur.ExpiresAt) {
			// Past the deadline and still open at the provider: close it.
			if err := enqueueCloseTx(ctx, tx, now, cur.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE payments SET query_count = $1, next_query_at = $2 WHERE id = $3`, n, next, cur.ID)
		return err
	})
	var m *mismatch
	if errors.As(err, &m) {
		s.recordIncident(ctx, Incident{ProviderID: pay.ProviderID, Kind: m.kind, Detail: "active query: " + m.detail, PaymentID: pay.ID, OutTradeNo: pay.ID})
		// Do not ask again and again: the incident is for a person.
		return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE payments SET next_query_at = $1, query_count = query_count + 1 WHERE id = $2 AND status = 'pending'`, now.Add(QueryEvery), pay.ID)
			return err
		})
	}
	return err
}

// runCloseTrade closes a payment's trade with the provider: for a
// cancelled order, a passed deadline, or a trade whose creation answer was
// lost. A trade the provider reports as paid is applied as paid (and, the
// order being cancelled, refunded in full).
func (s *Service) runCloseTrade(ctx context.Context, payload []byte) error {
	var p closePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	pay, err := loadPayment(ctx, s.db.Reader(ctx), p.PaymentID, false)
	if err != nil || pay == nil {
		return err
	}
	if pay.Status != StatusPending && pay.Status != StatusFailed {
		return nil
	}
	var t payproto.Trade
	callErr := s.call(ctx, pay.ProviderID, "close_trade", pay.ID, "POST", "/v1/trades/"+url.PathEscape(pay.ID)+"/close", nil, &t)
	now := s.clock.Now().UTC()
	switch {
	case callErr == nil || isRemote(callErr, 404):
		return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'failed', closed_at = $1, close_reason = CASE WHEN close_reason = '' THEN 'closed_by_platform' ELSE close_reason END,
				next_query_at = NULL, updated_at = $2 WHERE id = $3 AND status = 'pending'`, now, now, pay.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.closed", ObjectType: "payment", ObjectID: pay.ID,
				Details: map[string]any{"order_id": pay.OrderID, "via": "close"}})
		})
	case problem.Code(codeOf(callErr)) == problem.InvalidTransition || isRemote(callErr, 409):
		// Paid before the close arrived: learn the truth and apply it.
		var q payproto.Trade
		if err := s.call(ctx, pay.ProviderID, "", pay.ID, "GET", "/v1/trades/"+url.PathEscape(pay.ID), nil, &q); err != nil {
			return err
		}
		if q.Status != payproto.TradeSucceeded {
			return errors.New("payment: close refused but trade not paid; retrying")
		}
		at := now
		if q.PaidAt != nil {
			at = *q.PaidAt
		}
		err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return s.applyTrade(ctx, tx, pay.ProviderID, payproto.Notification{Event: payproto.EventTradeSucceeded, TradeNo: q.TradeNo, OutTradeNo: q.OutTradeNo,
				Amount: q.Amount, Currency: catalog.Currency, OccurredAt: at}, "query")
		})
		var m *mismatch
		if errors.As(err, &m) {
			s.recordIncident(ctx, Incident{ProviderID: pay.ProviderID, Kind: m.kind, Detail: "close: " + m.detail, PaymentID: pay.ID, OutTradeNo: pay.ID})
			return nil
		}
		return err
	default:
		return callErr
	}
}

func codeOf(err error) string {
	var re *payproto.RemoteError
	if errors.As(err, &re) {
		return re.Code()
	}
	return ""
}

// onOrderChange reacts to order transitions inside their transaction:
// a cancelled unpaid order's open trades are closed; a paid order the
// seller rejects or lets lapse is refunded in full; a completed order is
// settled to the seller.
func (s *Service) onOrderChange(ctx context.Context, tx *db.Tx, c order.Change) error {
	now := s.clock.Now().UTC()
	switch {
	case c.Event == order.EvCancel || c.Event == order.EvPaymentExpired:
		ids, err := db.Strings(ctx, tx, `SELECT id FROM payments WHERE order_id = $1 AND status = 'pending'`, c.Order.ID)
		if err != nil {
			return err
		}
		for _, pid := range ids {
			if err := enqueueCloseTx(ctx, tx, now, pid); err != nil {
				return err
			}
		}
	case (c.Event == order.EvReject || c.Event == order.EvAcceptExpired) && c.From == order.Paid:
		ids, err := db.Strings(ctx, tx, `SELECT id FROM payments WHERE order_id = $1 AND status IN ('succeeded', 'partially_refunded')`, c.Order.ID)
		if err != nil {
			return err
		}
		for _, pid := range ids {
			pay, err := loadPayment(ctx, tx, pid, true)
			if err != nil {
				return err
			}
			var asked int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM payment_refunds WHERE payment_id = $1 AND status <> 'failed'`, pid).Scan(&asked); err != nil {
				return err
			}
			if left := pay.Amount.Amount - asked; left > 0 {
				reason := "order cancelled (" + string(c.Event) + "): full refund"
				if c.Order.CancelReason != "" {
					reason += ": " + truncateRunes(c.Order.CancelReason, 150)
				}
				if _, err := s.refundTx(ctx, tx, pay, left, reason, "order-cancelled"); err != nil {
					return err
				}
			}
		}
	case c.To == order.Completed:
		return s.settleTx(ctx, tx, c.Order)
	}
	return nil
}

package order

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// FireTx moves order orderID by event ev inside tx: the one way an order's
// status changes (R-6.6-9). It locks the order, refuses an event the
// machine does not allow from the current state (409 invalid-transition,
// nothing changed), applies the event's stock effects, records the status
// history and the audit entry, and tells listeners — all in tx. Callers
// check who may fire the event; FireTx checks only that it is legal now.
func (s *Service) FireTx(ctx context.Context, tx *db.Tx, orderID string, ev Event, reason string) (*Order, error) {
	o, err := s.lockOrder(ctx, tx, orderID)
	if err != nil {
		return nil, err
	}
	return s.fireLocked(ctx, tx, o, ev, reason)
}

// fireLocked is FireTx for an order already locked by lockOrder in tx.
func (s *Service) fireLocked(ctx context.Context, tx *db.Tx, o *Order, ev Event, reason string) (*Order, error) {
	from := o.Status
	to, err := Next(from, ev)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	lines := make([]inventory.Line, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = inventory.Line{SKUID: l.SKUID, Quantity: l.Quantity}
	}
	set := []string{"status = $1", "updated_at = $2"}
	args := []any{string(to), now}
	stamp := func(col string) { set = append(set, col+" = $2") }
	switch ev {
	case EvPay:
		// The reserved units become a sale; the sale is a fact for honest
		// reference prices (R-6.4-9) and the sales count (R-5.5-3).
		if err := s.stock.CommitSaleTx(ctx, tx, lines, o.ID); err != nil {
			return nil, err
		}
		for _, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sku_sales (id, sku_id, order_id, unit_price_fen, quantity, sold_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				id.New(), l.SKUID, o.ID, l.UnitPrice.Amount, l.Quantity, now); err != nil {
				return nil, fmt.Errorf("order: sale fact: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE products SET sales_count = sales_count + $1 WHERE id = $2`, l.Quantity, l.ProductID); err != nil {
				return nil, err
			}
		}
		stamp("paid_at")
		set = append(set, fmt.Sprintf("accept_before = $%d", len(args)+1))
		args = append(args, now.Add(s.AcceptWindow))
		o.PaidAt = &now
	case EvCancel, EvPaymentExpired:
		// R-6.6-7: an unpaid order gives its stock back.
		if err := s.stock.ReleaseTx(ctx, tx, lines, o.ID); err != nil {
			return nil, err
		}
		stamp("cancelled_at")
	case EvReject, EvAcceptExpired:
		// R-6.6-8: a paid order the seller declines or lets lapse is
		// cancelled; its goods never left, so they return to stock, the
		// sale no longer counts, and the full amount is owed back.
		if err := s.stock.ReturnTx(ctx, tx, lines, o.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sku_sales WHERE order_id = $1`, o.ID); err != nil {
			return nil, err
		}
		for _, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET sales_count = sales_count - $1 WHERE id = $2 AND sales_count >= $1`, l.Quantity, l.ProductID); err != nil {
				return nil, err
			}
		}
		stamp("cancelled_at")
		set = append(set, "refund_due = TRUE")
		o.RefundDue = true
	case EvAccept:
		stamp("accepted_at")
	case EvShip:
		stamp("shipped_at")
	case EvDeliver:
		stamp("delivered_at")
	case EvConfirmReceipt, EvAutoComplete:
		if from == Shipped {
			stamp("delivered_at")
		}
		stamp("completed_at")
	}
	if to == Cancelled {
		set = append(set, fmt.Sprintf("cancel_reason = $%d", len(args)+1))
		args = append(args, reason)
		o.CancelReason = reason
	}
	args = append(args, o.ID, string(from))
	q := `UPDATE orders SET ` + strings.Join(set, ", ") + fmt.Sprintf(` WHERE id = $%d AND status = $%d`, len(args)-1, len(args))
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("order: transition: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, problem.New(problem.Conflict, i18n.T("订单状态刚刚发生了变化，请刷新后重试", "The order changed meanwhile; reload and try again"))
	}
	actor := actorOf(ctx)
	if err := s.history(ctx, tx, o.ID, from, to, string(ev), actor, reason, now); err != nil {
		return nil, err
	}
	if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "order." + string(ev), ObjectType: "order", ObjectID: o.ID,
		Details: map[string]any{"number": o.Number, "from": string(from), "to": string(to), "reason": reason}}); err != nil {
		return nil, err
	}
	o.Status = to
	o.UpdatedAt = now
	for _, l := range s.listeners {
		if err := l(ctx, tx, Change{Order: o, From: from, To: to, Event: ev, Actor: actor}); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// fire runs FireTx in its own transaction after check has approved the
// caller, and returns the order as it now is.
func (s *Service) fire(ctx context.Context, orderID string, ev Event, reason string, check func(o *Order) error) (*Order, error) {
	var out *Order
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := check(o); err != nil {
			return err
		}
		if _, err := s.fireLocked(ctx, tx, o, ev, reason); err != nil {
			return err
		}
		out, err = s.load(ctx, tx, orderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The actor passed check, so it may read the order; only the consumer
	// who placed it sees the address whole.
	own, _ := access(ctx, out)
	return s.present(ctx, out, own)
}

// ownOrder lets only the consumer who placed the order act; anyone else
// sees 404.
func ownOrder(ctx context.Context) func(o *Order) error {
	return func(o *Order) error {
		p, err := consumer(ctx)
		if err != nil {
			return err
		}
		if p.AccountID != o.AccountID {
			return problem.NotFoundError()
		}
		return nil
	}
}

// sellerOrder lets only the seller's staff with orders.manage act.
func sellerOrder(ctx context.Context) func(o *Order) error {
	return func(o *Order) error {
		_, err := identity.Authorize(ctx, identity.PermOrdersManage, o.SellerID)
		return err
	}
}

// Cancel is the consumer cancelling before payment. After payment a
// consumer asks for a refund through after-sales instead.
func (s *Service) Cancel(ctx context.Context, orderID, reason string) (*Order, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "consumer cancelled"
	}
	if utf8.RuneCountInString(reason) > 200 {
		return nil, problem.Invalid(problem.Field("reason", i18n.T("原因最多 200 个字", "The reason is at most 200 characters")))
	}
	return s.fire(ctx, orderID, EvCancel, reason, ownOrder(ctx))
}

// Accept is the seller's order confirmation (§6.6, R-6.6-8): a paid order
// must be accepted before it can ship.
func (s *Service) Accept(ctx context.Context, orderID string) (*Order, error) {
	return s.fire(ctx, orderID, EvAccept, "", sellerOrder(ctx))
}

// Reject is the seller declining a paid order with a reason: the order is
// cancelled and refunded in full (R-6.6-8).
func (s *Service) Reject(ctx context.Context, orderID, reason string) (*Order, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 200 {
		return nil, problem.Invalid(problem.Field("reason", i18n.T("请说明拒绝接单的原因（2–200 个字）", "Give the reason for rejecting (2–200 characters)")))
	}
	return s.fire(ctx, orderID, EvReject, reason, sellerOrder(ctx))
}

// ConfirmReceipt is the consumer confirming the goods arrived.
func (s *Service) ConfirmReceipt(ctx context.Context, orderID string) (*Order, error) {
	return s.fire(ctx, orderID, EvConfirmReceipt, "", ownOrder(ctx))
}

// expireDue fires ev on every order in state st whose deadline column is
// past, each in its own transaction so one failure stops nothing else.
func (s *Service) expireDue(ctx context.Context, now time.Time, st Status, col string, ev Event, reason string) error {
	now = now.UTC()
	ctx = audit.WithActor(ctx, audit.System)
	for {
		ids, err := db.Strings(ctx, s.db.Reader(ctx), `SELECT id FROM orders WHERE status = $1 AND `+col+` <= $2 ORDER BY `+col+` LIMIT 200`, string(st), now)
		if err != nil {
			return err
		}
		moved := 0
		for _, oid := range ids {
			err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
				_, err := s.FireTx(ctx, tx, oid, ev, reason)
				return err
			})
			switch code := problem.CodeOf(err); {
			case err == nil:
				moved++
			case code == problem.InvalidTransition || code == problem.Conflict:
				// Paid or moved meanwhile: nothing to do.
			default:
				return err
			}
		}
		if len(ids) < 200 || moved == 0 || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// ExpireUnpaid cancels orders not paid by pay_before and releases their
// stock (R-6.6-7). A periodic job.
func (s *Service) ExpireUnpaid(ctx context.Context, now time.Time) error {
	return s.expireDue(ctx, now, AwaitingPayment, "pay_before", EvPaymentExpired, "not paid before the deadline")
}

// ExpireUnaccepted cancels paid orders the seller did not accept within
// AcceptWindow; they are refunded in full (R-6.6-8). A periodic job.
func (s *Service) ExpireUnaccepted(ctx context.Context, now time.Time) error {
	return s.expireDue(ctx, now, Paid, "accept_before", EvAcceptExpired, "not accepted by the seller within 24 hours")
}

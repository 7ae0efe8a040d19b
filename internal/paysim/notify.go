package paysim

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"gbmall/internal/payproto"
)

// notification faults applied to one notification when it is queued.
type applied struct {
	drop, duplicate, wrongAmount, wrongKey bool
	delay                                  time.Duration
}

// takeFaults consumes the sandbox-fault counters for one notification. A
// dropped notification consumes only the drop counter.
func (s *Server) takeFaults() applied {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	f := &s.faults
	var a applied
	if f.DropNext > 0 {
		f.DropNext--
		a.drop = true
		return a
	}
	if f.DuplicateNext > 0 {
		f.DuplicateNext--
		a.duplicate = true
	}
	if f.DelayNextSeconds > 0 {
		a.delay = time.Duration(f.DelayNextSeconds) * time.Second
		f.DelayNextSeconds = 0
	}
	if f.WrongAmountNext > 0 {
		f.WrongAmountNext--
		a.wrongAmount = true
	}
	if f.WrongKeyNext > 0 {
		f.WrongKeyNext--
		a.wrongKey = true
	}
	return a
}

// enqueue queues notification n to url in tx and returns the ids of the
// rows to deliver now (none when dropped or delayed). It is persisted, so a
// restart continues its deliveries.
func (s *Server) enqueue(ctx context.Context, tx *sql.Tx, url string, n payproto.Notification, now time.Time) ([]int64, error) {
	f := s.takeFaults()
	if f.wrongAmount {
		n.Amount++ // one fen off: the platform must refuse it
	}
	body, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	status := "pending"
	if f.drop {
		status = "dropped"
	}
	copies := 1
	if f.duplicate {
		copies = 2
	}
	due := now.Add(f.delay)
	var ids []int64
	for range copies {
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (event, trade_no, url, body, wrong_key, status, created_at, next_attempt_at, last_result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.Event, n.TradeNo, url, body, f.wrongKey, status, micros(now), micros(due), map[bool]string{true: "dropped by sandbox fault", false: ""}[f.drop])
		if err != nil {
			return nil, err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		if status == "pending" && f.delay == 0 {
			ids = append(ids, id)
		}
	}
	s.log.Info("paysim: notification queued", "event", n.Event, "trade_no", n.TradeNo, "drop", f.drop, "duplicate", f.duplicate,
		"delay", f.delay.String(), "wrong_amount", f.wrongAmount, "wrong_key", f.wrongKey)
	return ids, nil
}

// RunDue does, once, all background work that is due by the clock:
// completes refunds whose processing time has passed (queuing their
// refund.succeeded notifications) and delivers every notification whose
// next attempt is due. Start calls it periodically; tests call it after
// moving a fake clock.
func (s *Server) RunDue(ctx context.Context) error {
	s.passMu.Lock()
	defer s.passMu.Unlock()
	now := s.clock.Now()
	if err := s.completeRefunds(ctx, now); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 500`, micros(now))
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.deliver(ctx, id)
		}()
	}
	wg.Wait()
	return nil
}

func (s *Server) completeRefunds(ctx context.Context, now time.Time) error {
	type due struct {
		refundNo, outRefundNo, tradeNo, outTradeNo, currency, notifyURL string
		amount                                                          int64
	}
	var list []due
	rows, err := s.db.QueryContext(ctx, `SELECT r.refund_no, r.out_refund_no, t.trade_no, t.out_trade_no, t.currency, t.notify_url, r.amount
		FROM refunds r JOIN trades t ON t.trade_no = r.trade_no WHERE r.status = 'processing' AND r.complete_at <= ? ORDER BY r.complete_at LIMIT 500`, micros(now))
	if err != nil {
		return err
	}
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.refundNo, &d.outRefundNo, &d.tradeNo, &d.outTradeNo, &d.currency, &d.notifyURL, &d.amount); err != nil {
			rows.Close()
			return err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range list {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = 'succeeded', completed_at = ? WHERE refund_no = ? AND status = 'processing'`, micros(now), d.refundNo)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			_, err = s.enqueue(ctx, tx, d.notifyURL, payproto.Notification{
				Event: payproto.EventRefundSucceeded, TradeNo: d.tradeNo, OutTradeNo: d.outTradeNo,
				RefundNo: d.refundNo, OutRefundNo: d.outRefundNo, Amount: d.amount, Currency: d.currency, OccurredAt: now,
			}, now)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// deliver makes one attempt to deliver notification id, unless another
// goroutine is already delivering it, and records the outcome: delivered
// on 200 {"result":"success"}, otherwise the next attempt by the
// protocol's retry schedule, or failed once it is used up.
func (s *Server) deliver(ctx context.Context, id int64) {
	s.inflightMu.Lock()
	if s.inflight[id] {
		s.inflightMu.Unlock()
		return
	}
	s.inflight[id] = true
	s.inflightMu.Unlock()
	defer func() {
		s.inflightMu.Lock()
		delete(s.inflight, id)
		s.inflightMu.Unlock()
	}()

	var target, status, event, tradeNo string
	var body []byte
	var wrongKey bool
	var attempts int
	var first sql.NullInt64
	var next int64
	err := s.db.QueryRowContext(ctx, `SELECT url, body, wrong_key, status, attempts, first_attempt_at, next_attempt_at, event, trade_no FROM notifications WHERE id = ?`, id).
		Scan(&target, &body, &wrongKey, &status, &attempts, &first, &next, &event, &tradeNo)
	if err != nil {
		s.log.Error("paysim: load notification", "id", id, "err", err)
		return
	}
	now := s.clock.Now()
	if status != "pending" || next > micros(now) {
		return // delivered, given up, or not due (someone else got there first)
	}
	result, ok := s.post(ctx, target, body, wrongKey, now)
	attempts++
	firstAt := now
	if first.Valid {
		firstAt = fromMicros(first.Int64)
	}
	if ok {
		_, err = s.db.ExecContext(ctx, `UPDATE notifications SET status = 'delivered', attempts = ?, first_attempt_at = ?, last_attempt_at = ?, last_result = ?, delivered_at = ? WHERE id = ?`,
			attempts, micros(firstAt), micros(now), result, micros(now), id)
		s.log.Info("paysim: notification delivered", "id", id, "event", event, "trade_no", tradeNo, "attempt", attempts)
	} else if at, more := payproto.NextRetry(firstAt, now, attempts); more {
		_, err = s.db.ExecContext(ctx, `UPDATE notifications SET attempts = ?, first_attempt_at = ?, last_attempt_at = ?, last_result = ?, next_attempt_at = ? WHERE id = ?`,
			attempts, micros(firstAt), micros(now), result, micros(at), id)
		s.log.Warn("paysim: notification not acknowledged; will retry", "id", id, "event", event, "trade_no", tradeNo, "attempt", attempts, "result", result, "next", at)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE notifications SET status = 'failed', attempts = ?, first_attempt_at = ?, last_attempt_at = ?, last_result = ? WHERE id = ?`,
			attempts, micros(firstAt), micros(now), result, id)
		s.log.Error("paysim: notification given up after 24 hours", "id", id, "event", event, "trade_no", tradeNo, "attempts", attempts, "result", result)
	}
	if err != nil {
		s.log.Error("paysim: record delivery", "id", id, "err", err)
	}
}

// post sends one signed notification and reports whether the platform
// acknowledged it: 200 with {"result":"success"}, nothing else.
func (s *Server) post(ctx context.Context, target string, body []byte, wrongKey bool, now time.Time) (string, bool) {
	key := s.key
	if wrongKey {
		key = s.rogue
	}
	u, err := url.Parse(target)
	if err != nil {
		return "bad notify_url", false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "bad notify_url", false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(payproto.HeaderName, payproto.Sign(key, now, http.MethodPost, u.RequestURI(), body))
	resp, err := s.http.Do(req)
	if err != nil {
		return truncate("error: "+err.Error(), 300), false
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var ack payproto.NotificationAck
	if resp.StatusCode == http.StatusOK && json.Unmarshal(data, &ack) == nil && ack.Result == payproto.AckSuccess {
		return "200 success", true
	}
	return truncate(fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(data)), 300), false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// deliverNow makes the first attempt of freshly queued notifications
// before the cashier page redirects, so the platform usually knows the
// outcome by the time the consumer is back. Failures are retried by the
// background loop.
func (s *Server) deliverNow(ctx context.Context, ids []int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, id := range ids {
		s.deliver(ctx, id)
	}
}

// NotificationRecord is one queued notification as paysim recorded it.
type NotificationRecord struct {
	ID         int64
	Event      string
	TradeNo    string
	Status     string // pending, delivered, dropped, failed
	Attempts   int
	NextAt     time.Time
	LastResult string
	Body       []byte
}

// Notifications lists the notifications of a trade (all when tradeNo is
// ""), oldest first: for tests and the sandbox's own page.
func (s *Server) Notifications(ctx context.Context, tradeNo string) ([]NotificationRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, event, trade_no, status, attempts, next_attempt_at, last_result, body FROM notifications WHERE ? = '' OR trade_no = ? ORDER BY id`, tradeNo, tradeNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NotificationRecord
	for rows.Next() {
		var n NotificationRecord
		var next int64
		if err := rows.Scan(&n.ID, &n.Event, &n.TradeNo, &n.Status, &n.Attempts, &next, &n.LastResult, &n.Body); err != nil {
			return nil, err
		}
		n.NextAt = fromMicros(next)
		out = append(out, n)
	}
	return out, rows.Err()
}

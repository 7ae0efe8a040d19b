package paysim

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"gbmall/internal/payproto"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

const maxBody = 64 << 10

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/keys", s.handleKeys)
	m.HandleFunc("POST /v1/trades", s.signed(s.handleCreateTrade))
	m.HandleFunc("GET /v1/trades/{out_trade_no}", s.signed(s.handleGetTrade))
	m.HandleFunc("POST /v1/trades/{out_trade_no}/close", s.signed(s.handleCloseTrade))
	m.HandleFunc("POST /v1/refunds", s.signed(s.handleRefund))
	m.HandleFunc("POST /v1/settlements", s.signed(s.handleSettlement))
	m.HandleFunc("GET /v1/statements/{day}", s.signed(s.handleStatement))
	m.HandleFunc("POST /v1/sandbox/faults", s.loopbackOnly(s.handleFaults))
	m.HandleFunc("GET /v1/sandbox/faults", s.loopbackOnly(s.handleFaults))
	m.HandleFunc("GET /cashier/{trade_no}", s.handleCashier)
	m.HandleFunc("POST /cashier/{trade_no}", s.handleCashierAction)
	m.HandleFunc("GET /{$}", s.handleHome)
	s.mux = m
}

// signed admits only requests signed with one of the platform's keys
// (R-6.5-3): anything else is 401 bad-signature and changes nothing.
func (s *Server) signed(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _, err := s.verifier.VerifyRequest(r, maxBody)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				s.log.Warn("paysim: cannot verify the platform's request", "err", err)
				err = problem.New(problem.Unavailable, i18n.T("暂时无法获取平台公钥", "Cannot read the platform's keys now")).Wrap(err)
			}
			s.writeProblem(w, r, err)
			return
		}
		h(w, r, body)
	}
}

// loopbackOnly serves the sandbox endpoints to loopback callers only.
func (s *Server) loopbackOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			s.writeProblem(w, r, problem.New(problem.Forbidden, i18n.T("沙箱故障注入仅限本机访问", "The sandbox endpoints answer on loopback only")))
			return
		}
		h(w, r)
	}
}

func (s *Server) handleKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, payproto.KeysResponse{Keys: []payproto.PublicKeyInfo{s.key.Info()}})
}

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem.New(problem.Validation, i18n.T("请求体不是有效的 JSON 或含有未知字段："+err.Error(), "The body is not valid JSON or has unknown fields: "+err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.Validation, i18n.T("请求体在 JSON 之后还有内容", "Trailing data after the JSON body"))
	}
	return nil
}

var noPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func checkNo(fields []problem.FieldError, name, v string) []problem.FieldError {
	if !noPattern.MatchString(v) {
		return append(fields, problem.Field(name, i18n.T("必填，1–64 个字母、数字或 _ . : -", "Required: 1–64 letters, digits or _ . : -")))
	}
	return fields
}

func checkURL(fields []problem.FieldError, name, v string) []problem.FieldError {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return append(fields, problem.Field(name, i18n.T("必须是 http(s) 绝对地址", "Must be an absolute http(s) URL")))
	}
	return fields
}

func checkCurrency(fields []problem.FieldError, v string) []problem.FieldError {
	if v != payproto.CurrencyCNY {
		return append(fields, problem.Field("currency", i18n.T("沙箱只支持 CNY", "The sandbox supports CNY only")))
	}
	return fields
}

func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return "http://" + r.Host
}

func (s *Server) payURL(r *http.Request, tradeNo string) string {
	return s.baseURL(r) + "/cashier/" + tradeNo
}

func (s *Server) handleCreateTrade(w http.ResponseWriter, r *http.Request, body []byte) {
	var in payproto.CreateTradeRequest
	if err := decodeStrict(body, &in); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	now := s.clock.Now()
	var fields []problem.FieldError
	fields = checkNo(fields, "out_trade_no", in.OutTradeNo)
	if in.Amount <= 0 || in.Amount > 1_000_000_000_00 {
		fields = append(fields, problem.Field("amount", i18n.T("金额（分）必须为正数", "Amount (fen) must be positive")))
	}
	fields = checkCurrency(fields, in.Currency)
	if in.Subject == "" || len([]rune(in.Subject)) > 256 {
		fields = append(fields, problem.Field("subject", i18n.T("必填，至多 256 个字符", "Required, at most 256 characters")))
	}
	fields = checkURL(fields, "notify_url", in.NotifyURL)
	fields = checkURL(fields, "return_url", in.ReturnURL)
	if !in.ExpiresAt.After(now) {
		fields = append(fields, problem.Field("expires_at", i18n.T("必须晚于当前时间", "Must be in the future")))
	}
	if len(fields) > 0 {
		s.writeProblem(w, r, problem.Invalid(fields...))
		return
	}
	var tradeNo string
	err := s.inTx(r.Context(), func(tx *sql.Tx) error {
		t, err := loadTrade(r.Context(), tx, "out_trade_no", in.OutTradeNo, now)
		if err != nil {
			return err
		}
		if t != nil {
			// The same out_trade_no again is the same trade, if it asks
			// for the same money.
			if t.Amount != in.Amount || t.Currency != in.Currency {
				return problem.New(problem.IdempotencyKeyReused, i18n.T("该商户订单号已用于另一金额的交易", "out_trade_no was already used for a trade of another amount"))
			}
			tradeNo = t.TradeNo
			return nil
		}
		tradeNo = newNo("PS", now)
		_, err = tx.ExecContext(r.Context(), `INSERT INTO trades (`+tradeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, NULL, NULL, '')`,
			tradeNo, in.OutTradeNo, in.Amount, in.Currency, in.Subject, in.NotifyURL, in.ReturnURL, micros(in.ExpiresAt), micros(now))
		return err
	})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, payproto.CreateTradeResponse{TradeNo: tradeNo, PayURL: s.payURL(r, tradeNo)})
}

func tradeView(t *trade) payproto.Trade {
	v := payproto.Trade{TradeNo: t.TradeNo, OutTradeNo: t.OutTradeNo, Status: t.Status, Amount: t.Amount}
	if t.PaidAt != nil {
		p := *t.PaidAt
		v.PaidAt = &p
	}
	return v
}

func (s *Server) handleGetTrade(w http.ResponseWriter, r *http.Request, _ []byte) {
	var t *trade
	err := s.inTx(r.Context(), func(tx *sql.Tx) (err error) {
		t, err = loadTrade(r.Context(), tx, "out_trade_no", r.PathValue("out_trade_no"), s.clock.Now())
		return err
	})
	if err == nil && t == nil {
		err = problem.NotFoundError()
	}
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tradeView(t))
}

// handleCloseTrade closes an unpaid trade. Closing a closed trade again
// answers it as it is; a paid trade cannot be closed (409). The platform
// asked for it, so no notification is sent.
func (s *Server) handleCloseTrade(w http.ResponseWriter, r *http.Request, _ []byte) {
	var t *trade
	err := s.inTx(r.Context(), func(tx *sql.Tx) (err error) {
		now := s.clock.Now()
		t, err = loadTrade(r.Context(), tx, "out_trade_no", r.PathValue("out_trade_no"), now)
		if err != nil || t == nil {
			return err
		}
		switch t.Status {
		case payproto.TradeSucceeded:
			return problem.New(problem.InvalidTransition, i18n.T("交易已支付，不能关闭；请发起退款", "The trade is paid and cannot be closed; refund it instead"))
		case payproto.TradePending:
			if _, err := tx.ExecContext(r.Context(), `UPDATE trades SET status = 'closed', closed_at = ?, close_reason = 'merchant' WHERE trade_no = ?`, micros(now), t.TradeNo); err != nil {
				return err
			}
			t.Status, t.CloseReason, t.ClosedAt = payproto.TradeClosed, "merchant", &now
		}
		return nil
	})
	if err == nil && t == nil {
		err = problem.NotFoundError()
	}
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tradeView(t))
}

// handleRefund accepts a refund of a paid trade. The refunds of one trade,
// other than failed ones, never add up to more than its amount
// (R-6.5-5). The same out_refund_no again answers the same refund.
func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request, body []byte) {
	var in payproto.RefundRequest
	if err := decodeStrict(body, &in); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	var fields []problem.FieldError
	fields = checkNo(fields, "out_refund_no", in.OutRefundNo)
	fields = checkNo(fields, "out_trade_no", in.OutTradeNo)
	if in.Amount <= 0 {
		fields = append(fields, problem.Field("amount", i18n.T("金额（分）必须为正数", "Amount (fen) must be positive")))
	}
	if len([]rune(in.Reason)) > 256 {
		fields = append(fields, problem.Field("reason", i18n.T("至多 256 个字符", "At most 256 characters")))
	}
	if len(fields) > 0 {
		s.writeProblem(w, r, problem.Invalid(fields...))
		return
	}
	now := s.clock.Now()
	var out payproto.RefundResponse
	err := s.inTx(r.Context(), func(tx *sql.Tx) error {
		ctx := r.Context()
		var tradeNo, outTradeNo string
		var amount int64
		err := tx.QueryRowContext(ctx, `SELECT r.refund_no, r.status, r.amount, t.out_trade_no, t.trade_no FROM refunds r JOIN trades t ON t.trade_no = r.trade_no WHERE r.out_refund_no = ?`,
			in.OutRefundNo).Scan(&out.RefundNo, &out.Status, &amount, &outTradeNo, &tradeNo)
		if err == nil {
			if outTradeNo != in.OutTradeNo || amount != in.Amount {
				return problem.New(problem.IdempotencyKeyReused, i18n.T("该退款单号已用于另一笔退款", "out_refund_no was already used for another refund"))
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		t, err := loadTrade(ctx, tx, "out_trade_no", in.OutTradeNo, now)
		if err != nil {
			return err
		}
		if t == nil {
			return problem.NotFoundError()
		}
		if t.Status != payproto.TradeSucceeded {
			return problem.New(problem.InvalidTransition, i18n.T("交易未支付，不能退款", "The trade is not paid; nothing to refund"))
		}
		var refunded int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE trade_no = ? AND status <> 'failed'`, t.TradeNo).Scan(&refunded); err != nil {
			return err
		}
		if refunded+in.Amount > t.Amount {
			return problem.Newf(problem.Conflict, "退款总额不能超过交易金额：已退 %d 分，交易 %d 分，本次 %d 分",
				"Refunds may not exceed the trade: %d fen refunded of %d, %d more asked", refunded, t.Amount, in.Amount).
				With("refundable", t.Amount-refunded)
		}
		out = payproto.RefundResponse{RefundNo: newNo("RF", now), Status: payproto.RefundProcessing}
		_, err = tx.ExecContext(ctx, `INSERT INTO refunds (refund_no, out_refund_no, trade_no, amount, reason, status, created_at, complete_at) VALUES (?, ?, ?, ?, ?, 'processing', ?, ?)`,
			out.RefundNo, in.OutRefundNo, t.TradeNo, in.Amount, in.Reason, micros(now), micros(now.Add(s.cfg.RefundDelay)))
		return err
	})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	s.wake()
	writeJSON(w, http.StatusCreated, out)
}

// handleSettlement releases the seller's share of a paid trade. Amount plus
// commission of all a trade's settlements never exceeds what was paid less
// what was refunded.
func (s *Server) handleSettlement(w http.ResponseWriter, r *http.Request, body []byte) {
	var in payproto.SettlementRequest
	if err := decodeStrict(body, &in); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	var fields []problem.FieldError
	fields = checkNo(fields, "out_settlement_no", in.OutSettlementNo)
	fields = checkNo(fields, "out_trade_no", in.OutTradeNo)
	if in.Payee == "" || len(in.Payee) > 64 {
		fields = append(fields, problem.Field("payee", i18n.T("必填：收款的商家组织编号", "Required: the payee organisation's id")))
	}
	if in.Amount < 0 {
		fields = append(fields, problem.Field("amount", i18n.T("不能为负数", "Must not be negative")))
	}
	if in.Commission < 0 {
		fields = append(fields, problem.Field("commission", i18n.T("不能为负数", "Must not be negative")))
	}
	if in.Amount >= 0 && in.Commission >= 0 && in.Amount+in.Commission == 0 {
		fields = append(fields, problem.Field("amount", i18n.T("结算金额与佣金不能同时为零", "Amount and commission cannot both be zero")))
	}
	if len(fields) > 0 {
		s.writeProblem(w, r, problem.Invalid(fields...))
		return
	}
	now := s.clock.Now()
	var out payproto.SettlementResponse
	err := s.inTx(r.Context(), func(tx *sql.Tx) error {
		ctx := r.Context()
		var outTradeNo, payee string
		var amount, commission int64
		err := tx.QueryRowContext(ctx, `SELECT s.settlement_no, s.status, s.amount, s.commission, s.payee, t.out_trade_no FROM settlements s JOIN trades t ON t.trade_no = s.trade_no WHERE s.out_settlement_no = ?`,
			in.OutSettlementNo).Scan(&out.SettlementNo, &out.Status, &amount, &commission, &payee, &outTradeNo)
		if err == nil {
			if outTradeNo != in.OutTradeNo || amount != in.Amount || commission != in.Commission || payee != in.Payee {
				return problem.New(problem.IdempotencyKeyReused, i18n.T("该结算单号已用于另一笔结算", "out_settlement_no was already used for another settlement"))
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		t, err := loadTrade(ctx, tx, "out_trade_no", in.OutTradeNo, now)
		if err != nil {
			return err
		}
		if t == nil {
			return problem.NotFoundError()
		}
		if t.Status != payproto.TradeSucceeded {
			return problem.New(problem.InvalidTransition, i18n.T("交易未支付，不能结算", "The trade is not paid; nothing to settle"))
		}
		var refunded, settled int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE trade_no = ? AND status <> 'failed'`, t.TradeNo).Scan(&refunded); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount + commission), 0) FROM settlements WHERE trade_no = ?`, t.TradeNo).Scan(&settled); err != nil {
			return err
		}
		if settled+in.Amount+in.Commission > t.Amount-refunded {
			return problem.Newf(problem.Conflict, "结算金额加佣金超过可结算余额 %d 分", "Amount plus commission exceeds the %d fen left to settle",
				t.Amount-refunded-settled).With("settleable", t.Amount-refunded-settled)
		}
		out = payproto.SettlementResponse{SettlementNo: newNo("ST", now), Status: payproto.SettlementSucceeded}
		_, err = tx.ExecContext(ctx, `INSERT INTO settlements (settlement_no, out_settlement_no, trade_no, payee, amount, commission, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			out.SettlementNo, in.OutSettlementNo, t.TradeNo, in.Payee, in.Amount, in.Commission, out.Status, micros(now))
		return err
	})
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// handleStatement answers the day's statement (UTC day): every trade,
// refund and settlement created that day, with its status now.
func (s *Server) handleStatement(w http.ResponseWriter, r *http.Request, _ []byte) {
	day, err := time.Parse("2006-01-02", r.PathValue("day"))
	if err != nil {
		s.writeProblem(w, r, problem.Invalid(problem.Field("day", i18n.T("日期格式为 YYYY-MM-DD", "The day is YYYY-MM-DD"))))
		return
	}
	rows, err := s.statement(r.Context(), day)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="statement-`+day.Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_ = payproto.WriteStatement(w, rows)
}

func (s *Server) statement(ctx context.Context, day time.Time) ([]payproto.StatementRow, error) {
	from, to := micros(day), micros(day.Add(24*time.Hour))
	now := s.clock.Now()
	var out []payproto.StatementRow
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Expire what is due first, so the statement shows closed trades as closed.
		if _, err := tx.ExecContext(ctx, `UPDATE trades SET status = 'closed', closed_at = expires_at, close_reason = 'expired' WHERE status = 'pending' AND expires_at <= ?`, micros(now)); err != nil {
			return err
		}
		queries := []struct{ kind, sql string }{
			{payproto.KindTrade, `SELECT trade_no, out_trade_no, amount, currency, status, created_at FROM trades WHERE created_at >= ? AND created_at < ? ORDER BY created_at, trade_no`},
			{payproto.KindRefund, `SELECT r.refund_no, r.out_refund_no, r.amount, t.currency, r.status, r.created_at FROM refunds r JOIN trades t ON t.trade_no = r.trade_no WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at, r.refund_no`},
			{payproto.KindSettlement, `SELECT s.settlement_no, s.out_settlement_no, s.amount, t.currency, s.status, s.created_at FROM settlements s JOIN trades t ON t.trade_no = s.trade_no WHERE s.created_at >= ? AND s.created_at < ? ORDER BY s.created_at, s.settlement_no`},
		}
		for _, q := range queries {
			rs, err := tx.QueryContext(ctx, q.sql, from, to)
			if err != nil {
				return err
			}
			for rs.Next() {
				row := payproto.StatementRow{Kind: q.kind}
				var at int64
				if err := rs.Scan(&row.No, &row.OutNo, &row.Amount, &row.Currency, &row.Status, &at); err != nil {
					rs.Close()
					return err
				}
				row.Time = fromMicros(at)
				out = append(out, row)
			}
			if err := rs.Close(); err != nil {
				return err
			}
			if err := rs.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var in payproto.SandboxFaults
		if err := decodeStrict(body, &in); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var fields []problem.FieldError
		for name, p := range map[string]*int{"drop_next": in.DropNext, "duplicate_next": in.DuplicateNext, "delay_next_seconds": in.DelayNextSeconds,
			"wrong_amount_next": in.WrongAmountNext, "wrong_key_next": in.WrongKeyNext} {
			if p != nil && (*p < 0 || *p > 1_000_000) {
				fields = append(fields, problem.Field(name, i18n.T("必须在 0 到 1000000 之间", "Must be between 0 and 1000000")))
			}
		}
		if len(fields) > 0 {
			s.writeProblem(w, r, problem.Invalid(fields...))
			return
		}
		s.faultsMu.Lock()
		set := func(dst *int, p *int) {
			if p != nil {
				*dst = *p
			}
		}
		set(&s.faults.DropNext, in.DropNext)
		set(&s.faults.DuplicateNext, in.DuplicateNext)
		set(&s.faults.DelayNextSeconds, in.DelayNextSeconds)
		set(&s.faults.WrongAmountNext, in.WrongAmountNext)
		set(&s.faults.WrongKeyNext, in.WrongKeyNext)
		s.faultsMu.Unlock()
		s.log.Info("paysim: sandbox faults set", "faults", string(body))
	}
	s.faultsMu.Lock()
	st := s.faults
	s.faultsMu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

// inTx runs fn in a transaction. A *problem.Error from fn rolls back.
func (s *Server) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

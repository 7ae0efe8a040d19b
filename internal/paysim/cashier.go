package paysim

import (
	"database/sql"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/payproto"
	"gbmall/internal/platform/clock"
)

//go:embed cashier.html
var cashierFS embed.FS

var cashierTmpl = template.Must(template.New("cashier.html").Funcs(template.FuncMap{
	"yuan": yuan,
}).ParseFS(cashierFS, "cashier.html"))

// yuan formats fen as yuan with thousands separators: 123456 → "1,234.56".
func yuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	s := b.String() + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
	if neg {
		s = "-" + s
	}
	return s
}

type cashierPage struct {
	Merchant   string
	Trade      *trade
	Expires    string // Beijing time
	Remaining  string // English
	RemainZH   string
	State      string // pending, succeeded, closed, expired, notfound
	ReturnURL  string
	FormAction string
	KeyID      string
	Error      string
}

func (s *Server) cashierView(r *http.Request, t *trade) cashierPage {
	p := cashierPage{Merchant: s.cfg.MerchantName, KeyID: s.key.ID, State: "notfound"}
	if t == nil {
		return p
	}
	now := s.clock.Now()
	p.Trade, p.ReturnURL, p.FormAction = t, t.ReturnURL, "/cashier/"+url.PathEscape(t.TradeNo)
	p.Expires = t.ExpiresAt.In(clock.Shanghai).Format("2006-01-02 15:04")
	p.State = t.Status
	if t.Status == payproto.TradeClosed && t.CloseReason == "expired" {
		p.State = "expired"
	}
	if t.Status == payproto.TradePending {
		left := t.ExpiresAt.Sub(now).Round(time.Minute)
		if left < time.Minute {
			left = time.Minute
		}
		h, m := int(left.Hours()), int(left.Minutes())%60
		p.Remaining, p.RemainZH = strconv.Itoa(m)+" min", strconv.Itoa(m)+" 分钟"
		if h > 0 {
			p.Remaining = strconv.Itoa(h) + " h " + p.Remaining
			p.RemainZH = strconv.Itoa(h) + " 小时 " + p.RemainZH
		}
	}
	return p
}

func (s *Server) renderCashier(w http.ResponseWriter, status int, p cashierPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := cashierTmpl.Execute(w, p); err != nil {
		s.log.Error("paysim: render cashier", "err", err)
	}
}

func (s *Server) handleCashier(w http.ResponseWriter, r *http.Request) {
	var t *trade
	err := s.inTx(r.Context(), func(tx *sql.Tx) (err error) {
		t, err = loadTrade(r.Context(), tx, "trade_no", r.PathValue("trade_no"), s.clock.Now())
		return err
	})
	if err != nil {
		s.log.Error("paysim: cashier", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	if t == nil {
		status = http.StatusNotFound
	}
	s.renderCashier(w, status, s.cashierView(r, t))
}

// handleCashierAction is the consumer's choice on the cashier page:
// action=pay or action=cancel. The trade changes, its notification is
// queued in the same transaction, its first delivery is attempted, and the
// consumer is sent back to return_url with 303.
func (s *Server) handleCashierAction(w http.ResponseWriter, r *http.Request) {
	// The form is posted from the page itself; a post from another site's
	// page is refused.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			http.Error(w, "cross-origin form post refused", http.StatusForbidden)
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	action := r.PostFormValue("action")
	if action != "pay" && action != "cancel" {
		http.Error(w, "action must be pay or cancel", http.StatusBadRequest)
		return
	}
	now := s.clock.Now()
	var t *trade
	var ids []int64
	changed := false
	err := s.inTx(r.Context(), func(tx *sql.Tx) error {
		ctx := r.Context()
		var err error
		t, err = loadTrade(ctx, tx, "trade_no", r.PathValue("trade_no"), now)
		if err != nil || t == nil || t.Status != payproto.TradePending {
			return err
		}
		n := payproto.Notification{TradeNo: t.TradeNo, OutTradeNo: t.OutTradeNo, Amount: t.Amount, Currency: t.Currency, OccurredAt: now}
		if action == "pay" {
			_, err = tx.ExecContext(ctx, `UPDATE trades SET status = 'succeeded', paid_at = ? WHERE trade_no = ? AND status = 'pending'`, micros(now), t.TradeNo)
			t.Status, t.PaidAt, n.Event = payproto.TradeSucceeded, &now, payproto.EventTradeSucceeded
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE trades SET status = 'closed', closed_at = ?, close_reason = 'cancelled' WHERE trade_no = ? AND status = 'pending'`, micros(now), t.TradeNo)
			t.Status, t.ClosedAt, t.CloseReason, n.Event = payproto.TradeClosed, &now, "cancelled", payproto.EventTradeClosed
		}
		if err != nil {
			return err
		}
		ids, err = s.enqueue(ctx, tx, t.NotifyURL, n, now)
		changed = err == nil
		return err
	})
	if err != nil {
		s.log.Error("paysim: cashier action", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if t == nil {
		s.renderCashier(w, http.StatusNotFound, s.cashierView(r, nil))
		return
	}
	if !changed {
		// Already paid, closed or expired: say so, change nothing.
		p := s.cashierView(r, t)
		s.renderCashier(w, http.StatusConflict, p)
		return
	}
	s.deliverNow(r.Context(), ids)
	s.wake()
	http.Redirect(w, r, t.ReturnURL, http.StatusSeeOther)
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("gbmall paysim — sandbox payment provider\nkey-id: " + s.key.ID + "\npublic-key: " + s.PublicKey() + "\nkeys: " + s.baseURL(r) + "/v1/keys\n"))
}

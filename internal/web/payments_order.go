package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gbmall/internal/order"
	"gbmall/internal/payment"
	"gbmall/internal/platform/i18n"
)

// paymentRoutes mounts the payment pages (issue 6 point 7): the
// consumer's pay button on the order page, the seller's payments and
// settlements, and the operator's payments, incidents and daily
// reconciliation reports.
func (s *server) paymentRoutes(mux *http.ServeMux) {
	if s.d.Payments == nil || s.d.Orders == nil {
		return
	}
	mux.HandleFunc("POST /orders/{id}/pay", s.orderPay)
	mux.HandleFunc("GET /admin/payments", s.adminPayments)
	mux.HandleFunc("GET /admin/payment-incidents", s.adminIncidents)
	mux.HandleFunc("GET /admin/reconciliation", s.adminReconciliation)
	mux.HandleFunc("GET /admin/reconciliation/{rid}/exceptions/{eid}/resolve", s.resolveForm)
	mux.HandleFunc("POST /admin/reconciliation/{rid}/exceptions/{eid}/resolve", s.resolveException)
	if s.d.Orgs != nil {
		mux.HandleFunc("GET /orgs/{id}/payments", s.sellerPayments)
	}
}

// paymentView is one payment as the pages show it, amounts written out.
type paymentView struct {
	ID, OrderID, OrderNumber string
	SellerID                 string
	Provider                 string
	Status                   string
	Badge                    string
	Amount, Refunded         string
	HasRefund                bool
	TradeNo                  string
	PayURL                   string // the cashier page, for the paying consumer while pending
	CreatedAt                time.Time
	PaidAt                   *time.Time
	ConfirmedBy              string
	Refunds                  []refundView
}

// refundView is one refund, amount written out.
type refundView struct {
	Amount, Reason, Status, Badge string
	CreatedAt                     time.Time
	CompletedAt                   *time.Time
}

// paymentBadge is the badge style of a payment status.
func paymentBadge(st string) string {
	switch st {
	case payment.StatusSucceeded:
		return "badge-ok"
	case payment.StatusPending:
		return "badge-warn"
	case payment.StatusRefunded, payment.StatusPartiallyRefunded:
		return "badge-info"
	}
	return ""
}

// refundBadge is the badge style of a refund or settlement status.
func refundBadge(st string) string {
	switch st {
	case payment.RefundSucceeded:
		return "badge-ok"
	case payment.RefundProcessing, payment.SettlementPending:
		return "badge-warn"
	case payment.RefundFailed:
		return "badge-bad"
	}
	return ""
}

func paymentViewOf(p *payment.Payment, lang i18n.Lang) paymentView {
	v := paymentView{ID: p.ID, OrderID: p.OrderID, OrderNumber: p.OrderNumber, SellerID: p.SellerID, Provider: p.ProviderName, Status: p.Status,
		Badge: paymentBadge(p.Status), Amount: storeYuan(p.Amount), Refunded: storeYuan(p.RefundedAmount), HasRefund: p.RefundedAmount.Amount > 0 || len(p.Refunds) > 0,
		TradeNo: p.TradeNo, PayURL: p.PayURL, CreatedAt: p.CreatedAt, PaidAt: p.PaidAt, ConfirmedBy: p.ConfirmedBy}
	for _, r := range p.Refunds {
		v.Refunds = append(v.Refunds, refundView{Amount: storeYuan(r.Amount), Reason: refundReason(r.Reason, lang), Status: r.Status, Badge: refundBadge(r.Status),
			CreatedAt: r.CreatedAt, CompletedAt: r.CompletedAt})
	}
	return v
}

// refundReason shows a refund's reason. The automatic full refund of a
// cancelled paid order is stored as "order cancelled (EVENT): full
// refund[: the cancellation reason]"; it is shown in the page's language
// with the cancellation reason. Reasons people wrote are shown as written.
func refundReason(reason string, lang i18n.Lang) string {
	rest, ok := strings.CutPrefix(reason, "order cancelled (")
	if !ok {
		return reason
	}
	out := msg("pay.refund.order_cancelled").In(lang)
	if _, why, ok := strings.Cut(rest, "full refund: "); ok && why != "" {
		out += msg("punct.colon").In(lang) + why
	}
	return out
}

// orderPayView is the data of the "order-pay" block on the order page:
// the pay section while the order awaits payment, and the order's
// payments with their refunds.
type orderPayView struct {
	OrderID   string
	CanPay    bool // the consumer who placed it, while it awaits payment
	Amount    string
	Providers []payment.Provider
	Error     string // a message key after a refused pay form
	Pending   *paymentView
	Payments  []paymentView
	Paid      bool // a payment succeeded
	CSRF      string
}

// orderPaySection builds the "order-pay" block of order o's detail page
// (nil when payments are not wired): the order page's handler calls it
// and hands the result to the template.
func (s *server) orderPaySection(r *http.Request, o *order.Order) *orderPayView {
	if s.d.Payments == nil || o == nil {
		return nil
	}
	p := user(r)
	if p == nil {
		return nil
	}
	own := p.AccountID == o.AccountID
	v := &orderPayView{OrderID: o.ID, Amount: storeYuan(o.Total), CSRF: p.CSRFToken,
		CanPay: own && o.Status == order.AwaitingPayment && s.d.Clock.Now().Before(o.PayBefore)}
	if own {
		switch r.URL.Query().Get("payerr") {
		case "choose":
			v.Error = "pay.error.choose"
		}
	}
	ctx := r.Context()
	for _, ref := range o.Payments {
		pay, err := s.d.Payments.Get(ctx, ref.ID)
		if err != nil {
			// Shown from the order's own reference when the payment itself
			// cannot be read: the page must not fail for it.
			v.Payments = append(v.Payments, paymentView{ID: ref.ID, Status: ref.Status, Badge: paymentBadge(ref.Status),
				Amount: storeYuan(ref.Amount), Refunded: storeYuan(ref.RefundedAmount), HasRefund: ref.RefundedAmount.Amount > 0})
			continue
		}
		pv := paymentViewOf(pay, langOf(r))
		v.Payments = append(v.Payments, pv)
		if pay.Status == payment.StatusPending && v.Pending == nil && own {
			cp := pv
			v.Pending = &cp
		}
		if pay.Status != payment.StatusPending && pay.Status != payment.StatusFailed {
			v.Paid = true
		}
	}
	if v.CanPay {
		ps, err := s.d.Payments.Offered(ctx)
		if err != nil {
			s.d.Log.ErrorContext(ctx, "web: payment providers", "err", err)
		}
		v.Providers = ps
	}
	return v
}

// payRedirectPage is the data of payments_redirect.html.
type payRedirectPage struct {
	OrderID  string
	PayURL   string
	Provider string
}

// orderPay starts paying an order with the chosen provider — the same
// call as POST /api/v1/orders/{id}/payments — and sends the browser on to
// the provider's cashier page (R-6.5-1, R-8.1-1). The pages' Content
// Security Policy says form-action 'self', which browsers apply to the
// redirects that follow a form post too, so a 303 to the provider's
// origin would be blocked: the answer is a short page that moves on at
// once (a Refresh header, a navigation rather than a form submission)
// with a link for browsers that do not follow it.
func (s *server) orderPay(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	provider := strings.TrimSpace(r.PostForm.Get("provider"))
	if provider == "" {
		http.Redirect(w, r, "/orders/"+id+"?payerr=choose#pay", http.StatusSeeOther)
		return
	}
	st, err := s.d.Payments.Pay(r.Context(), id, provider)
	if err != nil {
		s.orderActionFailed(w, r, id, err)
		return
	}
	u, err := url.Parse(st.PayURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		s.fail(w, r, fmt.Errorf("web: provider's pay_url %q is not an http(s) URL", st.PayURL))
		return
	}
	name := ""
	if ps, err := s.d.Payments.Offered(r.Context()); err == nil {
		for _, p := range ps {
			if p.ID == provider {
				name = p.Name
			}
		}
	}
	w.Header().Set("Refresh", "0; url="+u.String())
	s.render(w, r, http.StatusOK, "payments_redirect", "orders", payRedirectPage{OrderID: id, PayURL: u.String(), Provider: name})
}

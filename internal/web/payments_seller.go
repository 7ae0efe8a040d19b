package web

import (
	"net/http"
	"net/url"
	"time"

	"gbmall/internal/payment"
	"gbmall/internal/platform/problem"
)

// paymentStatuses are the payment statuses the lists filter by.
var paymentStatuses = []string{payment.StatusPending, payment.StatusSucceeded, payment.StatusPartiallyRefunded, payment.StatusRefunded, payment.StatusFailed}

// settlementView is one settlement, amounts written out.
type settlementView struct {
	OrderID, OrderNumber string
	Amount, Commission   string
	Status, Badge        string
	SettlementNo         string
	CreatedAt            time.Time
	SubmittedAt          *time.Time
}

// sellerPaymentsPage is the data of payments_seller.html.
type sellerPaymentsPage struct {
	sellerHead
	Settlements []settlementView
	SNext       string
	Payments    []paymentView
	Table       payTable
	Statuses    []string
	Status      string
	Next        string
	First       string
}

// sellerPayments is the seller's settlements — its share of each completed
// order less the platform's commission (R-8.1-2) — and the payments and
// refunds of its orders. Only members who handle orders see it; others
// see the 404 page (R-10.4-9).
func (s *server) sellerPayments(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrdersOrg(w, r)
	if o == nil {
		return
	}
	q := r.URL.Query()
	page := sellerPaymentsPage{sellerHead: sellerHead{o, "payments"}, Statuses: paymentStatuses}
	for _, st := range paymentStatuses {
		if q.Get("status") == st {
			page.Status = st
		}
	}
	ctx := r.Context()
	base := "/orgs/" + o.ID + "/payments"
	sts, snext, err := s.d.Payments.Settlements(ctx, o.ID, payment.Page{Limit: 20, Cursor: q.Get("scursor")})
	if err == nil {
		var ps []*payment.Payment
		var next string
		ps, next, err = s.d.Payments.List(ctx, payment.PaymentFilter{SellerID: o.ID, Status: page.Status, Page: payment.Page{Limit: 20, Cursor: q.Get("cursor")}})
		if err == nil {
			for _, p := range ps {
				page.Payments = append(page.Payments, paymentViewOf(p, langOf(r)))
			}
			if next != "" {
				v := url.Values{"cursor": {next}}
				if page.Status != "" {
					v.Set("status", page.Status)
				}
				page.Next = base + "?" + v.Encode() + "#payments"
			}
		}
	}
	if err != nil {
		if problem.CodeOf(err) == problem.Validation { // a stale cursor
			http.Redirect(w, r, base, http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	for _, st := range sts {
		page.Settlements = append(page.Settlements, settlementView{OrderID: st.OrderID, OrderNumber: st.OrderNumber, Amount: storeYuan(st.Amount),
			Commission: storeYuan(st.Commission), Status: st.Status, Badge: refundBadge(st.Status), SettlementNo: st.SettlementNo,
			CreatedAt: st.CreatedAt, SubmittedAt: st.SubmittedAt})
	}
	page.Table = payTable{Payments: page.Payments, OrderLink: o.ID}
	if snext != "" {
		page.SNext = base + "?" + url.Values{"scursor": {snext}}.Encode()
	}
	if q.Get("cursor") != "" || q.Get("scursor") != "" {
		page.First = base
	}
	s.render(w, r, http.StatusOK, "payments_seller", "orgs", page)
}

// payTable is the data of the "pay-table" partial: payments with their
// refunds; OrderLink is "admin" (links to the order page) or the seller's
// id (links to its order console).
type payTable struct {
	Payments  []paymentView
	OrderLink string
}

package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"gbmall/internal/order"
	"gbmall/internal/platform/i18n"
)

// orderRoutes mounts the order consoles (issue 5 point 8): the consumer's
// cart, checkout confirmation (R-6.6-1), orders and their e-contracts
// (R-6.6-2); the seller's order list with acceptance (§6.6, R-6.6-8); the
// platform's order search. The transaction terms page is public.
func (s *server) orderRoutes(mux *http.ServeMux) {
	if s.d.Orders == nil {
		return
	}
	mux.HandleFunc("GET /terms/transaction", s.termsPage)
	mux.HandleFunc("GET /terms/transaction/{version}", s.termsPage)
	mux.HandleFunc("GET /cart", s.cartPage)
	mux.HandleFunc("POST /cart/items", s.cartAdd)
	mux.HandleFunc("POST /cart/items/{sku}", s.cartSet)
	mux.HandleFunc("GET /cart/items/{sku}/remove", s.cartRemoveConfirm)
	mux.HandleFunc("POST /cart/items/{sku}/remove", s.cartRemove)
	mux.HandleFunc("GET /checkout", s.checkoutForm)
	mux.HandleFunc("POST /checkout", s.checkoutQuote)
	mux.HandleFunc("POST /checkout/place", s.checkoutPlace)
	mux.HandleFunc("GET /orders", s.ordersList)
	mux.HandleFunc("GET /orders/{id}", s.orderDetail)
	mux.HandleFunc("GET /orders/{id}/contract", s.orderContract)
	mux.HandleFunc("GET /orders/{id}/cancel", s.orderCancelConfirm)
	mux.HandleFunc("POST /orders/{id}/cancel", s.orderCancel)
	mux.HandleFunc("GET /orders/{id}/confirm-receipt", s.orderReceiptConfirm)
	mux.HandleFunc("POST /orders/{id}/confirm-receipt", s.orderReceipt)
	mux.HandleFunc("GET /admin/orders", s.adminOrders)
	if s.d.Orgs != nil {
		mux.HandleFunc("GET /orgs/{id}/orders", s.sellerOrders)
		mux.HandleFunc("GET /orgs/{id}/orders/{oid}", s.sellerOrder)
		mux.HandleFunc("POST /orgs/{id}/orders/{oid}/accept", s.sellerAccept)
		mux.HandleFunc("GET /orgs/{id}/orders/{oid}/reject", s.sellerRejectForm)
		mux.HandleFunc("POST /orgs/{id}/orders/{oid}/reject", s.sellerReject)
	}
}

// ordersFlash is the confirmation to show after a redirect (?msg=) on an
// order page, or "". Only known keys are shown.
func ordersFlash(r *http.Request) string {
	key := r.URL.Query().Get("msg")
	if key == "" {
		return ""
	}
	t, ok := catalogue["orders.flash."+key]
	if !ok {
		return ""
	}
	return t.In(langOf(r))
}

// attrText writes SKU attributes as "颜色：白 · 尺码：L", names sorted.
func attrText(attrs map[string]string, lang i18n.Lang) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	colon := msg("punct.colon").In(lang)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + colon + attrs[n]
	}
	return strings.Join(parts, " · ")
}

// statusBadge is the badge style of an order status.
func statusBadge(st order.Status) string {
	switch st {
	case order.AwaitingPayment:
		return "badge-warn"
	case order.Paid:
		return "badge-info"
	case order.Accepted, order.Shipped, order.Delivered:
		return "badge-info"
	case order.Completed:
		return "badge-ok"
	}
	return ""
}

// orderRow is one order in a list, amounts written out.
type orderRow struct {
	ID, Number       string
	SellerID         string
	SellerName       string
	Status           order.Status
	Badge            string
	Total            string
	PlacedAt         time.Time
	PayBefore        time.Time
	AcceptBefore     *time.Time
	FirstTitle       string
	Lines, Units     int
	RefundDue        bool
	CancelReason     string
	AddressMasked    string
	AwaitingPayment  bool
	AwaitingSeller   bool
	LineSummaries    []orderLineView
	ContractSHA256   string
	ContractTermsVer string
}

// orderLineView is one order line, amounts written out.
type orderLineView struct {
	No         int
	SKUID      string
	ProductID  string
	Title      string
	Attrs      string
	Unit       string
	Quantity   int
	Total      string
	Returnable bool
}

func orderRowOf(o *order.Order, lang i18n.Lang) orderRow {
	row := orderRow{ID: o.ID, Number: o.Number, SellerID: o.SellerID, SellerName: o.SellerName, Status: o.Status, Badge: statusBadge(o.Status),
		Total: storeYuan(o.Total), PlacedAt: o.PlacedAt, PayBefore: o.PayBefore, AcceptBefore: o.AcceptBefore, Lines: len(o.Lines),
		RefundDue: o.RefundDue, CancelReason: o.CancelReason, AwaitingPayment: o.Status == order.AwaitingPayment, AwaitingSeller: o.Status == order.Paid,
		ContractSHA256: o.Contract.SHA256, ContractTermsVer: o.Contract.TermsVersion}
	for _, l := range o.Lines {
		row.Units += l.Quantity
		row.LineSummaries = append(row.LineSummaries, orderLineView{No: l.LineNo, SKUID: l.SKUID, ProductID: l.ProductID, Title: l.Title,
			Attrs: attrText(l.Attributes, lang), Unit: storeYuan(l.UnitPrice), Quantity: l.Quantity, Total: storeYuan(l.LineTotal), Returnable: l.Returnable7d})
	}
	if len(o.Lines) > 0 {
		row.FirstTitle = o.Lines[0].Title
	}
	a := o.Address
	row.AddressMasked = strings.TrimSpace(a.Recipient + " " + a.Mobile + " · " + a.RegionCode + " " + a.Detail)
	return row
}

// historyView is one status change as the order pages show it.
type historyView struct {
	At     time.Time
	Event  i18n.Text
	From   order.Status
	To     order.Status
	By     i18n.Text
	Reason string
}

func historyOf(o *order.Order) []historyView {
	out := make([]historyView, 0, len(o.History))
	for _, h := range o.History {
		ev := order.Event(h.Event).Label()
		if h.Event == "place" {
			ev = msg("orders.ev.place")
		}
		by := msg("orders.by.other")
		switch {
		case h.Actor == o.AccountID:
			by = msg("orders.by.buyer")
		case h.Actor == "system" || h.Actor == "":
			by = msg("orders.by.system")
		case h.Event == string(order.EvAccept) || h.Event == string(order.EvReject) || h.Event == string(order.EvShip):
			by = msg("orders.by.seller")
		}
		out = append(out, historyView{At: h.At, Event: ev, From: h.From, To: h.To, By: by, Reason: h.Reason})
	}
	// Newest first: the current state leads.
	slices.Reverse(out)
	return out
}

package web

import (
	"net/http"
	"net/url"
	"time"

	"gbmall/internal/catalog"
	"gbmall/internal/order"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// ordersPageSize is how many orders a list page shows.
const ordersPageSize = 20

// ordersListPage is the data of orders_list.html.
type ordersListPage struct {
	Orders   []orderRow
	Next     string // the next page's URL, "" on the last
	First    string // the first page's URL, "" on it
	Flash    string
	Statuses []order.Status
	Status   string
}

// ordersList is the consumer's orders, newest first, with status badges.
func (s *server) ordersList(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	q := r.URL.Query()
	st := q.Get("status")
	if !order.Status(st).Valid() {
		st = ""
	}
	xs, next, err := s.d.Orders.List(r.Context(), order.Filter{Status: order.Status(st), Limit: ordersPageSize, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation { // a stale cursor: start again
			http.Redirect(w, r, "/orders", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	page := ordersListPage{Flash: ordersFlash(r), Statuses: order.Statuses, Status: st}
	for _, o := range xs {
		page.Orders = append(page.Orders, orderRowOf(o, langOf(r)))
	}
	base := url.Values{}
	if st != "" {
		base.Set("status", st)
	}
	if next != "" {
		v := url.Values{"cursor": {next}}
		if st != "" {
			v.Set("status", st)
		}
		page.Next = "/orders?" + v.Encode()
	}
	if q.Get("cursor") != "" {
		page.First = "/orders"
		if enc := base.Encode(); enc != "" {
			page.First += "?" + enc
		}
	}
	s.render(w, r, http.StatusOK, "orders_list", "orders", page)
}

// orderDetailPage is the data of orders_detail.html.
type orderDetailPage struct {
	O          *order.Order
	Row        orderRow
	History    []historyView
	Own        bool // the consumer who placed it (actions, full address)
	Flash      string
	CanCancel  bool
	CanReceive bool
	ItemsTotal string
	Shipping   string
	LicenceURL string
	Pay        *orderPayView // the pay section and the payments (payments_order.go); nil without payments
}

// orderFor reads order id for the signed-in person; the service answers
// 404 to anyone who may not see it (R-10.4-9).
func (s *server) orderFor(w http.ResponseWriter, r *http.Request) *order.Order {
	if s.requireUser(w, r, false) == nil {
		return nil
	}
	o, err := s.d.Orders.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	return o
}

// orderDetail is an order: status, history, lines, totals, the payment
// deadline, the consumer's actions and the e-contract with its SHA-256.
func (s *server) orderDetail(w http.ResponseWriter, r *http.Request) {
	o := s.orderFor(w, r)
	if o == nil {
		return
	}
	own := user(r).AccountID == o.AccountID
	page := orderDetailPage{O: o, Row: orderRowOf(o, langOf(r)), History: historyOf(o), Own: own, Flash: ordersFlash(r),
		CanCancel: own && o.Status == order.AwaitingPayment, CanReceive: own && (o.Status == order.Shipped || o.Status == order.Delivered),
		ItemsTotal: storeYuan(o.ItemsTotal), Shipping: storeYuan(o.Shipping), LicenceURL: catalog.LicenceURL(o.SellerID), Pay: s.orderPaySection(r, o)}
	s.render(w, r, http.StatusOK, "orders_detail", "orders", page)
}

// contractPage is the data of orders_contract.html, the printable
// e-contract.
type contractPage struct {
	C          *order.Contract
	SHA256     string
	Lines      []orderLineView
	ItemsTotal string
	Shipping   string
	Total      string
	Status     order.Status
	OrderID    string
	TermsText  i18n.Text
	HasTerms   bool
}

// orderContract is the e-contract as a printable page: the stored
// snapshot, exactly as confirmed, with its SHA-256 (R-6.6-2).
func (s *server) orderContract(w http.ResponseWriter, r *http.Request) {
	o := s.orderFor(w, r)
	if o == nil {
		return
	}
	raw, sum, err := s.d.Orders.Contract(r.Context(), o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := order.ParseContract(raw)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := contractPage{C: c, SHA256: sum, ItemsTotal: storeYuan(c.ItemsTotal), Shipping: storeYuan(c.Shipping), Total: storeYuan(c.Total),
		Status: o.Status, OrderID: o.ID}
	for _, l := range c.Lines {
		page.Lines = append(page.Lines, orderLineView{No: l.LineNo, SKUID: l.SKUID, ProductID: l.ProductID, Title: l.Title, Attrs: attrText(l.Attributes, langOf(r)),
			Unit: storeYuan(l.UnitPrice), Quantity: l.Quantity, Total: storeYuan(l.LineTotal), Returnable: l.Returnable7d})
	}
	if t, ok := order.TermsVersion(c.Terms.Version); ok {
		page.TermsText, page.HasTerms = t.Text, true
	}
	s.render(w, r, http.StatusOK, "orders_contract", "orders", page)
}

// orderCancelConfirm asks before the consumer cancels an unpaid order.
func (s *server) orderCancelConfirm(w http.ResponseWriter, r *http.Request) {
	o := s.orderFor(w, r)
	if o == nil {
		return
	}
	if user(r).AccountID != o.AccountID {
		s.notFound(w, r)
		return
	}
	if o.Status != order.AwaitingPayment {
		http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", "orders", confirmPage{Title: msg("orders.cancel_title"), Body: msg("orders.cancel_body"),
		Facts: []confirmFact{{Label: msg("orders.number"), Value: o.Number}, {Label: msg("orders.seller"), Value: o.SellerName},
			{Label: msg("orders.total"), Value: storeYuan(o.Total)}},
		Action: "/orders/" + o.ID + "/cancel", Confirm: msg("orders.cancel"), Cancel: "/orders/" + o.ID, Danger: true})
}

func (s *server) orderCancel(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := s.d.Orders.Cancel(r.Context(), id, ""); err != nil {
		s.orderActionFailed(w, r, id, err)
		return
	}
	http.Redirect(w, r, "/orders/"+id+"?msg=cancelled", http.StatusSeeOther)
}

// orderReceiptConfirm asks before the consumer confirms receipt.
func (s *server) orderReceiptConfirm(w http.ResponseWriter, r *http.Request) {
	o := s.orderFor(w, r)
	if o == nil {
		return
	}
	if user(r).AccountID != o.AccountID {
		s.notFound(w, r)
		return
	}
	if o.Status != order.Shipped && o.Status != order.Delivered {
		http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", "orders", confirmPage{Title: msg("orders.receipt_title"), Body: msg("orders.receipt_body"),
		Facts:  []confirmFact{{Label: msg("orders.number"), Value: o.Number}, {Label: msg("orders.seller"), Value: o.SellerName}},
		Action: "/orders/" + o.ID + "/confirm-receipt", Confirm: msg("orders.confirm_receipt"), Cancel: "/orders/" + o.ID})
}

func (s *server) orderReceipt(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := s.d.Orders.ConfirmReceipt(r.Context(), id); err != nil {
		s.orderActionFailed(w, r, id, err)
		return
	}
	http.Redirect(w, r, "/orders/"+id+"?msg=received", http.StatusSeeOther)
}

// orderActionFailed shows why an action on an order was refused (most
// often: its state changed meanwhile) with the way back to it.
func (s *server) orderActionFailed(w http.ResponseWriter, r *http.Request, orderID string, err error) {
	p, ok := problem.As(err)
	if !ok || p.Code == problem.NotFound || p.Code == problem.Unauthenticated || p.Code == problem.Forbidden || p.Code == problem.MFAEnrolmentRequired {
		s.fail(w, r, err)
		return
	}
	msgs := []i18n.Text{p.Detail}
	for _, fe := range p.Fields {
		msgs = append(msgs, fe.Message)
	}
	s.render(w, r, p.Code.Status(), "orders_cart_error", "orders", cartErrorPage{Back: "/orders/" + orderID, Errors: msgs})
}

// termsPageData is the data of orders_terms.html.
type termsPageData struct {
	T       order.Terms
	SHA256  string
	Current bool
	When    time.Time
}

// termsPage shows a version of the transaction terms (R-6.6-1, R-5.3-4):
// the text the e-contracts point at.
func (s *server) termsPage(w http.ResponseWriter, r *http.Request) {
	t := order.CurrentTerms()
	if v := r.PathValue("version"); v != "" {
		var ok bool
		if t, ok = order.TermsVersion(v); !ok {
			s.notFound(w, r)
			return
		}
	}
	s.render(w, r, http.StatusOK, "orders_terms", "", termsPageData{T: t, SHA256: t.SHA256(), Current: t.Version == order.CurrentTerms().Version, When: t.PublishedAt})
}

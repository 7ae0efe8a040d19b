package web

import (
	"net/http"
	"net/url"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// adminOrdersPage is the data of orders_admin.html.
type adminOrdersPage struct {
	Orders    []orderRow
	Sellers   []org.Summary
	Statuses  []order.Status
	Status    string
	Number    string
	SellerID  string
	RefundDue bool
	Next      string
	First     string
}

// adminOrders is the platform's transaction supervision: every
// order by number, status, seller or refund owed. The order service audits
// every search (R-5.5-7).
func (s *server) adminOrders(w http.ResponseWriter, r *http.Request) {
	// Platform staff only: regulators have their own views, and everyone
	// else sees the 404 page (R-10.4-9).
	if s.platformStaff(w, r, identity.PermSuperviseRead) == nil {
		return
	}
	q := r.URL.Query()
	page := adminOrdersPage{Statuses: order.Statuses, Number: strings.TrimSpace(q.Get("number")), SellerID: q.Get("seller"), RefundDue: q.Get("refund_due") == "1"}
	if st := q.Get("status"); order.Status(st).Valid() {
		page.Status = st
	}
	ctx := r.Context()
	if s.d.Orgs != nil {
		sellers, _, err := s.d.Orgs.List(ctx, org.ListFilter{Kind: string(identity.KindSeller), Limit: 100})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Sellers = sellers
	}
	xs, next, err := s.d.Orders.List(ctx, order.Filter{All: true, Status: order.Status(page.Status), Number: page.Number, SellerID: page.SellerID,
		RefundDue: page.RefundDue, Limit: ordersPageSize, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/admin/orders", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	for _, x := range xs {
		page.Orders = append(page.Orders, orderRowOf(x, langOf(r)))
	}
	v := url.Values{}
	for k, val := range map[string]string{"status": page.Status, "number": page.Number, "seller": page.SellerID} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page.RefundDue {
		v.Set("refund_due", "1")
	}
	if q.Get("cursor") != "" {
		page.First = "/admin/orders"
		if enc := v.Encode(); enc != "" {
			page.First += "?" + enc
		}
	}
	if next != "" {
		v.Set("cursor", next)
		page.Next = "/admin/orders?" + v.Encode()
	}
	s.render(w, r, http.StatusOK, "orders_admin", "admin-orders", page)
}

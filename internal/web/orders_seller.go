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

// sellerOrdersOrg is the seller organisation of {id} when the signed-in
// person may handle its orders; anyone else sees the 404 page (R-10.4-9).
func (s *server) sellerOrdersOrg(w http.ResponseWriter, r *http.Request) *org.Organization {
	if s.requireUser(w, r, false) == nil {
		return nil
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := identity.Authorize(ctx, identity.PermOrdersManage, id); err != nil {
		if problem.CodeOf(err) == problem.Forbidden {
			s.notFound(w, r)
			return nil
		}
		s.fail(w, r, err)
		return nil
	}
	o, err := s.d.Orgs.Get(ctx, id, false)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	if o.Kind != identity.KindSeller {
		s.notFound(w, r)
		return nil
	}
	return o
}

// sellerOrdersPage is the data of orders_seller_list.html.
type sellerOrdersPage struct {
	sellerHead
	Orders   []orderRow
	Statuses []order.Status
	Status   string
	Number   string
	Next     string
	First    string
	Flash    string
	Errors   []string
}

// sellerOrders lists the seller's orders, newest first, by status and
// order number, with acceptance for paid ones (§6.6, R-6.6-8).
func (s *server) sellerOrders(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrdersOrg(w, r)
	if o == nil {
		return
	}
	q := r.URL.Query()
	st := q.Get("status")
	if !order.Status(st).Valid() {
		st = ""
	}
	number := strings.TrimSpace(q.Get("number"))
	page := sellerOrdersPage{sellerHead: sellerHead{o, "orders"}, Statuses: order.Statuses, Status: st, Number: number, Flash: ordersFlash(r)}
	xs, next, err := s.d.Orders.List(r.Context(), order.Filter{OrganizationID: o.ID, Status: order.Status(st), Number: number, Limit: ordersPageSize, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/orgs/"+o.ID+"/orders", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	for _, x := range xs {
		page.Orders = append(page.Orders, orderRowOf(x, langOf(r)))
	}
	v := url.Values{}
	if st != "" {
		v.Set("status", st)
	}
	if number != "" {
		v.Set("number", number)
	}
	base := "/orgs/" + o.ID + "/orders"
	if q.Get("cursor") != "" {
		page.First = base
		if enc := v.Encode(); enc != "" {
			page.First += "?" + enc
		}
	}
	if next != "" {
		v.Set("cursor", next)
		page.Next = base + "?" + v.Encode()
	}
	s.render(w, r, http.StatusOK, "orders_seller_list", "orgs", page)
}

// sellerOrderOf reads order {oid} of the seller {id}; another seller's
// order is not found.
func (s *server) sellerOrderOf(w http.ResponseWriter, r *http.Request) (*org.Organization, *order.Order) {
	o := s.sellerOrdersOrg(w, r)
	if o == nil {
		return nil, nil
	}
	x, err := s.d.Orders.Get(r.Context(), r.PathValue("oid"))
	if err != nil {
		s.fail(w, r, err)
		return nil, nil
	}
	if x.SellerID != o.ID {
		s.notFound(w, r)
		return nil, nil
	}
	return o, x
}

// sellerOrderPage is the data of orders_seller_detail.html and
// orders_seller_reject.html.
type sellerOrderPage struct {
	sellerHead
	O          *order.Order
	Row        orderRow
	History    []historyView
	ItemsTotal string
	Shipping   string
	Flash      string
	Form       *form
}

// sellerOrder is one order for the seller: lines, totals, history and the
// delivery address masked (personal data, R-10.3).
func (s *server) sellerOrder(w http.ResponseWriter, r *http.Request) {
	o, x := s.sellerOrderOf(w, r)
	if x == nil {
		return
	}
	s.render(w, r, http.StatusOK, "orders_seller_detail", "orgs", s.sellerOrderData(r, o, x))
}

func (s *server) sellerOrderData(r *http.Request, o *org.Organization, x *order.Order) sellerOrderPage {
	return sellerOrderPage{sellerHead: sellerHead{o, "orders"}, O: x, Row: orderRowOf(x, langOf(r)), History: historyOf(x),
		ItemsTotal: storeYuan(x.ItemsTotal), Shipping: storeYuan(x.Shipping), Flash: ordersFlash(r), Form: newForm()}
}

// sellerAccept is the seller's order confirmation of a paid order.
func (s *server) sellerAccept(w http.ResponseWriter, r *http.Request) {
	o, x := s.sellerOrderOf(w, r)
	if x == nil {
		return
	}
	if _, err := s.d.Orders.Accept(r.Context(), x.ID); err != nil {
		s.sellerOrderFailed(w, r, o, x, err)
		return
	}
	back := "/orgs/" + o.ID + "/orders"
	if r.PostForm.Get("from") == "detail" {
		back += "/" + x.ID
	}
	http.Redirect(w, r, back+"?msg=accepted", http.StatusSeeOther)
}

// sellerRejectForm is the confirmation step of a rejection: the order,
// what rejecting does, and the reason the consumer will read.
func (s *server) sellerRejectForm(w http.ResponseWriter, r *http.Request) {
	o, x := s.sellerOrderOf(w, r)
	if x == nil {
		return
	}
	if x.Status != order.Paid {
		http.Redirect(w, r, "/orgs/"+o.ID+"/orders/"+x.ID, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "orders_seller_reject", "orgs", s.sellerOrderData(r, o, x))
}

func (s *server) sellerReject(w http.ResponseWriter, r *http.Request) {
	o, x := s.sellerOrderOf(w, r)
	if x == nil {
		return
	}
	reason := r.PostForm.Get("reason")
	if _, err := s.d.Orders.Reject(r.Context(), x.ID, reason); err != nil {
		if problem.CodeOf(err) == problem.Validation {
			page := s.sellerOrderData(r, o, x)
			page.Form.Values["reason"] = reason
			page.Form.addProblem(err, nil)
			s.render(w, r, http.StatusUnprocessableEntity, "orders_seller_reject", "orgs", page)
			return
		}
		s.sellerOrderFailed(w, r, o, x, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/orders/"+x.ID+"?msg=rejected", http.StatusSeeOther)
}

// sellerOrderFailed shows the order again with why the action was refused.
func (s *server) sellerOrderFailed(w http.ResponseWriter, r *http.Request, o *org.Organization, x *order.Order, err error) {
	p, ok := problem.As(err)
	if !ok || p.Code == problem.NotFound || p.Code == problem.Unauthenticated || p.Code == problem.Forbidden || p.Code == problem.MFAEnrolmentRequired {
		s.fail(w, r, err)
		return
	}
	if fresh, err := s.d.Orders.Get(r.Context(), x.ID); err == nil {
		x = fresh
	}
	page := s.sellerOrderData(r, o, x)
	page.Form.addProblem(err, nil)
	s.render(w, r, p.Code.Status(), "orders_seller_detail", "orgs", page)
}

package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/order"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// cartLineView is one cart line as the cart page shows it.
type cartLineView struct {
	SKUID      string
	ProductID  string
	Title      string
	Attrs      string
	Unit       string
	Total      string
	Quantity   int
	Available  int
	State      string // ok, short, unavailable
	Returnable bool
	CSRF       string // the session's form token (the line has its own form)
}

// cartGroup is one seller's lines.
type cartGroup struct {
	SellerID, SellerName string
	Lines                []cartLineView
	Subtotal             string
	Shipping             string
}

// cartPageData is the data of orders_cart.html.
type cartPageData struct {
	Groups      []cartGroup
	Unavailable []cartLineView
	Total       string
	Count       int  // lines
	Buyable     int  // lines that can be checked out now
	Problems    bool // some line is short or unavailable
	Flash       string
	Errors      []i18n.Text
}

// cartView groups the cart per seller, sellers in first-added order.
func cartView(c *order.Cart, lang i18n.Lang, csrf string) cartPageData {
	page := cartPageData{Total: storeYuan(c.Total), Count: len(c.Lines)}
	idx := map[string]int{}
	subtotal := map[string]int64{}
	for _, l := range c.Lines {
		v := cartLineView{SKUID: l.SKUID, ProductID: l.ProductID, Title: l.Title, Attrs: attrText(l.Attributes, lang), Quantity: l.Quantity,
			Available: l.Available, State: l.State, Returnable: l.Returnable7d, CSRF: csrf}
		if l.UnitPrice != nil {
			v.Unit = storeYuan(*l.UnitPrice)
		}
		if l.LineTotal != nil {
			v.Total = storeYuan(*l.LineTotal)
		}
		if l.State != "ok" {
			page.Problems = true
		} else {
			page.Buyable++
		}
		if l.State == "unavailable" || l.SellerID == "" {
			page.Unavailable = append(page.Unavailable, v)
			continue
		}
		i, ok := idx[l.SellerID]
		if !ok {
			i = len(page.Groups)
			idx[l.SellerID] = i
			page.Groups = append(page.Groups, cartGroup{SellerID: l.SellerID, SellerName: l.SellerName})
		}
		page.Groups[i].Lines = append(page.Groups[i].Lines, v)
		if l.State == "ok" && l.LineTotal != nil {
			subtotal[l.SellerID] += l.LineTotal.Amount
		}
	}
	for i := range page.Groups {
		g := &page.Groups[i]
		fen := subtotal[g.SellerID]
		g.Subtotal = fenYuanSigned(fen)
		if fen > 0 {
			g.Shipping = fenYuanSigned(order.ShippingFor(fen))
		}
	}
	return page
}

func fenYuanSigned(fen int64) string { return "¥" + fenYuan(fen) }

// cartPage is the consumer's cart: lines per seller at today's price with
// their stock state (R-6.4-10), quantities, removal, totals.
func (s *server) cartPage(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	c, err := s.d.Orders.Cart(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := cartView(c, langOf(r), csrfOf(r))
	page.Flash = ordersFlash(r)
	s.render(w, r, http.StatusOK, "orders_cart", "cart", page)
}

// cartAdd is the product page's "加入购物车" form.
func (s *server) cartAdd(w http.ResponseWriter, r *http.Request) {
	product := r.PostForm.Get("product_id")
	back := "/shop"
	if id.Valid(product) {
		back = "/p/" + product
	}
	if user(r) == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusSeeOther)
		return
	}
	if s.requireUser(w, r, false) == nil {
		return
	}
	sku := r.PostForm.Get("sku")
	qty, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("quantity")))
	if err != nil {
		qty = -1
	}
	var problems []i18n.Text
	if sku == "" {
		problems = append(problems, msg("orders.cart.choose_sku"))
	} else if _, err = s.d.Orders.AddToCart(r.Context(), sku, qty); err != nil {
		p, ok := problem.As(err)
		if !ok || p.Code == problem.Unauthenticated || p.Code == problem.MFAEnrolmentRequired {
			s.fail(w, r, err)
			return
		}
		if len(p.Fields) == 0 {
			problems = append(problems, p.Detail)
		}
		for _, fe := range p.Fields {
			problems = append(problems, fe.Message)
		}
		if p.Code == problem.NotFound {
			problems = append(problems, msg("orders.cart.not_on_sale"))
		}
	}
	if len(problems) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "orders_cart_error", "cart", cartErrorPage{Back: back, Errors: problems})
		return
	}
	http.Redirect(w, r, "/cart?msg=added", http.StatusSeeOther)
}

// cartErrorPage is the data of orders_cart_error.html.
type cartErrorPage struct {
	Back   string
	Errors []i18n.Text
}

// cartSet changes a line's quantity.
func (s *server) cartSet(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	qty, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("quantity")))
	if err != nil {
		qty = -1
	}
	c, err := s.d.Orders.SetCartQuantity(r.Context(), r.PathValue("sku"), qty)
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Code != problem.Validation && p.Code != problem.Conflict {
			s.fail(w, r, err)
			return
		}
		if c, err = s.d.Orders.Cart(r.Context()); err != nil {
			s.fail(w, r, err)
			return
		}
		page := cartView(c, langOf(r), csrfOf(r))
		for _, fe := range p.Fields {
			page.Errors = append(page.Errors, fe.Message)
		}
		if len(p.Fields) == 0 {
			page.Errors = append(page.Errors, p.Detail)
		}
		s.render(w, r, http.StatusUnprocessableEntity, "orders_cart", "cart", page)
		return
	}
	_ = c
	http.Redirect(w, r, "/cart?msg=updated", http.StatusSeeOther)
}

// cartLineTitle finds a line's title for the removal confirmation.
func (s *server) cartLineTitle(r *http.Request, sku string) (string, bool, error) {
	c, err := s.d.Orders.Cart(r.Context())
	if err != nil {
		return "", false, err
	}
	for _, l := range c.Lines {
		if l.SKUID == sku {
			t := l.Title
			if a := attrText(l.Attributes, langOf(r)); a != "" {
				t += " · " + a
			}
			if t == "" {
				t = msg("orders.cart.unavailable_item").In(langOf(r))
			}
			return t + " × " + strconv.Itoa(l.Quantity), true, nil
		}
	}
	return "", false, nil
}

// cartRemoveConfirm asks before a line leaves the cart.
func (s *server) cartRemoveConfirm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	sku := r.PathValue("sku")
	title, ok, err := s.cartLineTitle(r, sku)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", "cart", confirmPage{Title: msg("orders.cart.remove_title"), Body: msg("orders.cart.remove_body"),
		Facts: []confirmFact{{Label: msg("orders.item"), Value: title}}, Action: "/cart/items/" + sku + "/remove",
		Confirm: msg("orders.cart.remove"), Cancel: "/cart", Danger: true})
}

func (s *server) cartRemove(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	if _, err := s.d.Orders.SetCartQuantity(r.Context(), r.PathValue("sku"), 0); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cart?msg=removed", http.StatusSeeOther)
}

// checkoutItems are the cart lines that can be bought now; the others are
// named on the page and stay in the cart.
func checkoutItems(c *order.Cart) (items []order.Item, left []order.CartLine) {
	for _, l := range c.Lines {
		if l.State == "ok" {
			items = append(items, order.Item{SKUID: l.SKUID, Quantity: l.Quantity})
		} else {
			left = append(left, l)
		}
	}
	return items, left
}

// checkoutPageData is the data of orders_checkout.html (the address step).
type checkoutPageData struct {
	Cart cartPageData
	Form *form
	Left int // lines that stay in the cart
}

var addressFields = []string{"recipient", "mobile", "region_code", "detail"}

var addressRename = map[string]string{"address.recipient": "recipient", "address.mobile": "mobile", "address.region_code": "region_code", "address.detail": "detail"}

func addressFrom(f *form) order.Address {
	return order.Address{Recipient: f.Values["recipient"], Mobile: f.Values["mobile"], RegionCode: f.Values["region_code"], Detail: f.Values["detail"]}
}

// checkoutForm is the first checkout step: where the goods go.
func (s *server) checkoutForm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	s.renderCheckout(w, r, http.StatusOK, newForm())
}

func (s *server) renderCheckout(w http.ResponseWriter, r *http.Request, status int, f *form) {
	c, err := s.d.Orders.Cart(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, left := checkoutItems(c)
	if len(items) == 0 {
		http.Redirect(w, r, "/cart?msg=nothing_to_buy", http.StatusSeeOther)
		return
	}
	s.render(w, r, status, "orders_checkout", "cart", checkoutPageData{Cart: cartView(c, langOf(r), csrfOf(r)), Form: f, Left: len(left)})
}

// quoteOrderView is one seller's part of the confirmation page.
type quoteOrderView struct {
	No                   int
	SellerID, SellerName string
	LicenceURL           string
	Lines                []orderLineView
	Items                string
	Shipping             string
	FreeShipping         bool
	Total                string
	ShipsWithinHours     int
}

// confirmPageData is the data of orders_confirm.html: the order
// confirmation before the consumer commits (R-6.6-1).
type confirmPageData struct {
	QuoteID        string
	Key            string // the Idempotency-Key of this rendering
	ExpiresAt      time.Time
	Orders         []quoteOrderView
	Total          string
	TermsVersion   string
	TermsURL       string
	AddOns         []order.AddOn
	Address        order.Address
	NonReturnable  bool // some line is not returnable within 7 days
	Form           *form
	Left           int
	FreeFrom       string
	AcknowledgeBox bool // the acknowledgement box was ticked (kept on errors)
}

func confirmView(q *order.Quote, lang i18n.Lang) confirmPageData {
	page := confirmPageData{QuoteID: q.ID, Key: id.New(), ExpiresAt: q.ExpiresAt, Total: storeYuan(q.Total), TermsVersion: q.TermsVersion,
		TermsURL: q.TermsURL, AddOns: q.AddOns, Address: q.Address, FreeFrom: fenYuanSigned(order.FreeShippingFromFen)}
	for n, qo := range q.Orders {
		v := quoteOrderView{No: n + 1, SellerID: qo.SellerID, SellerName: qo.SellerName, LicenceURL: qo.SellerLicenceURL, Items: storeYuan(qo.ItemsTotal),
			Shipping: storeYuan(qo.Shipping), FreeShipping: qo.Shipping.Amount == 0, Total: storeYuan(qo.Total), ShipsWithinHours: qo.DeliveryPromise.ShipsWithinHours}
		for i, l := range qo.Lines {
			v.Lines = append(v.Lines, orderLineView{No: i + 1, SKUID: l.SKUID, ProductID: l.ProductID, Title: l.Title, Attrs: attrText(l.Attributes, lang),
				Unit: storeYuan(l.UnitPrice), Quantity: l.Quantity, Total: storeYuan(l.LineTotal), Returnable: l.Returnable7d})
			if !l.Returnable7d {
				page.NonReturnable = true
			}
		}
		page.Orders = append(page.Orders, v)
	}
	return page
}

// checkoutQuote takes the address, prices the cart's buyable lines and
// shows the confirmation page.
func (s *server) checkoutQuote(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	f := newForm()
	for _, k := range addressFields {
		f.Values[k] = r.PostForm.Get(k)
	}
	s.quoteAndConfirm(w, r, f, http.StatusOK)
}

// quoteAndConfirm quotes the cart's buyable lines for the address in f and
// renders the confirmation page; an invalid address goes back to the
// address step, stock or sale problems to the error page. f's summary and
// field messages (a refused placement) are shown on the confirmation.
func (s *server) quoteAndConfirm(w http.ResponseWriter, r *http.Request, f *form, status int) {
	ctx := r.Context()
	c, err := s.d.Orders.Cart(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, left := checkoutItems(c)
	if len(items) == 0 {
		s.checkoutProblem(w, r, http.StatusConflict, []i18n.Text{msg("orders.checkout.nothing")})
		return
	}
	q, err := s.d.Orders.QuoteCheckout(ctx, items, addressFrom(f))
	if err != nil {
		p, ok := problem.As(err)
		switch {
		case ok && p.Code == problem.Validation:
			af := newForm()
			af.Values = f.Values
			af.addProblem(err, addressRename)
			s.renderCheckout(w, r, http.StatusUnprocessableEntity, af)
		case ok && (p.Code == problem.OutOfStock || p.Code == problem.Conflict):
			s.checkoutProblem(w, r, http.StatusConflict, []i18n.Text{p.Detail})
		default:
			s.fail(w, r, err)
		}
		return
	}
	page := confirmView(q, langOf(r))
	page.Form, page.Left = f, len(left)
	page.AcknowledgeBox = r.PostForm.Get("acknowledge_non_returnable") == "yes" && f.Invalid()
	s.render(w, r, status, "orders_confirm", "cart", page)
}

// checkoutProblem is the page for a checkout that cannot go on: what went
// wrong and the way back to the cart.
func (s *server) checkoutProblem(w http.ResponseWriter, r *http.Request, status int, msgs []i18n.Text) {
	s.render(w, r, status, "orders_cart_error", "cart", cartErrorPage{Back: "/cart", Errors: msgs})
}

// checkoutPlace commits the confirmation: one order per seller, with the
// Idempotency-Key generated when the page was rendered, so a double
// submit places once (R-6.6-1..3).
func (s *server) checkoutPlace(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	in := order.PlaceInput{QuoteID: r.PostForm.Get("quote_id"), AcceptTerms: r.PostForm.Get("accept_terms") == "yes",
		AcknowledgeNonReturnable: r.PostForm.Get("acknowledge_non_returnable") == "yes", IdempotencyKey: r.PostForm.Get("idempotency_key")}
	placed, err := s.d.Orders.Place(r.Context(), in)
	if err == nil {
		target := "/orders?msg=placed"
		if len(placed) == 1 {
			target = "/orders/" + placed[0].ID + "?msg=placed"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	p, ok := problem.As(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	f := newForm()
	for _, k := range addressFields {
		f.Values[k] = r.PostForm.Get(k)
	}
	switch p.Code {
	case problem.Validation:
		// Terms not ticked (or a tampered form): the page again, with a
		// fresh confirmation and the message at the box.
		f.addProblem(err, map[string]string{"Idempotency-Key": "form", "quote_id": "form"})
		delete(f.Errors, "form")
		// The box is at the foot of a long page: say at the top, too,
		// what is missing.
		for _, fe := range p.Fields {
			f.Summary = append(f.Summary, fe.Message)
		}
		s.quoteAndConfirm(w, r, f, http.StatusUnprocessableEntity)
	case problem.QuoteExpired:
		// R-6.6-3: prices or terms moved, or the 15 minutes passed:
		// confirm again with what holds now.
		f.Summary = append(f.Summary, p.Detail, msg("orders.checkout.reconfirm"))
		s.quoteAndConfirm(w, r, f, http.StatusConflict)
	case problem.OutOfStock, problem.Conflict:
		s.checkoutProblem(w, r, http.StatusConflict, []i18n.Text{p.Detail})
	default:
		s.fail(w, r, err)
	}
}

// csrfOf is the signed-in person's form token, or "".
func csrfOf(r *http.Request) string {
	if p := user(r); p != nil {
		return p.CSRFToken
	}
	return ""
}

package web

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gbmall/internal/catalog"
	"gbmall/internal/org"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// productStatuses are the filters of the product list.
var productStatuses = []catalog.Status{catalog.StatusDraft, catalog.StatusPendingReview, catalog.StatusListed,
	catalog.StatusDelisted, catalog.StatusRemoved}

// sellerProductsPage is the data of seller_products.html.
type sellerProductsPage struct {
	sellerHead
	Products []sellerSummary
	Statuses []catalog.Status
	Status   string
	Next     string
	Flash    string
}

// sellerProducts lists the seller's products in every status, filtered
// by status, newest first.
func (s *server) sellerProducts(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	q := r.URL.Query()
	st := q.Get("status")
	valid := st == ""
	for _, x := range productStatuses {
		valid = valid || string(x) == st
	}
	if !valid {
		st = ""
	}
	xs, next, err := s.d.Catalog.SellerProducts(r.Context(), o.ID, catalog.ProductFilter{Status: st, Limit: 50, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation { // a stale cursor: start again
			http.Redirect(w, r, "/orgs/"+o.ID+"/products", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	rows := make([]sellerSummary, len(xs))
	for i, x := range xs {
		rows[i] = sellerSummary{x, money(x.MinPrice)}
	}
	s.render(w, r, http.StatusOK, "seller_products", "orgs", sellerProductsPage{sellerHead: sellerHead{o, "products"},
		Products: rows, Statuses: productStatuses, Status: st, Next: next, Flash: sellerFlash(r)})
}

// sellerSummary is a product in the list with its price in yuan.
type sellerSummary struct {
	catalog.ProductSummary
	Price string
}

// skuRows is how many SKU rows the create form offers (it works without
// script, so the rows are there from the start; empty rows are ignored).
const skuRows = 5

// sellerNewProductPage is the data of seller_product_new.html.
type sellerNewProductPage struct {
	sellerHead
	Categories []catalog.Category
	Form       *form
	Rows       []skuRowView
}

// skuRowView names the inputs of one SKU row of the create form.
type skuRowView struct {
	Num                int
	Code, Attrs, Price string
}

func (s *server) renderNewProduct(w http.ResponseWriter, r *http.Request, status int, h sellerHead, f *form) {
	cats, err := s.d.Catalog.Categories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	leaves := cats[:0:0]
	for _, c := range cats {
		if c.IsLeaf && !c.Prohibited {
			leaves = append(leaves, c)
		}
	}
	rows := make([]skuRowView, skuRows)
	for i := range rows {
		n := strconv.Itoa(i)
		rows[i] = skuRowView{i + 1, "sku_code_" + n, "sku_attrs_" + n, "sku_price_" + n}
	}
	s.render(w, r, status, "seller_product_new", "orgs", sellerNewProductPage{sellerHead: h, Categories: leaves, Form: f, Rows: rows})
}

func (s *server) sellerNewProduct(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	s.renderNewProduct(w, r, http.StatusOK, sellerHead{o, "products"}, newForm())
}

var (
	msgBadYuan  = i18n.T("请填写以元为单位的金额，最多两位小数，如 59.90", "Give an amount in yuan with at most two decimals, such as 59.90")
	msgBadAttrs = i18n.T("属性格式为“名=值”，多项用分号分隔，如 颜色=红;尺码=L", "Write attributes as name=value separated by semicolons, such as colour=red;size=L")
	msgNoSKU    = i18n.T("请至少填写一个规格（编码和价格）", "Fill in at least one SKU (code and price)")
	msgWholeNum = i18n.T("请填写整数", "Give a whole number")
)

// parseAttributes reads "颜色=红;尺码=L" (full-width ；＝ accepted).
func parseAttributes(v string) (map[string]string, bool) {
	v = strings.NewReplacer("；", ";", "＝", "=").Replace(v)
	out := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(val) == "" {
			return nil, false
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, true
}

// skuField maps the domain's "skus[2].price.amount" to the input name.
var skuField = regexp.MustCompile(`^skus\[(\d+)\]\.(code|price|attributes)`)

func (s *server) sellerCreateProduct(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	h := sellerHead{o, "products"}
	f := newForm()
	for _, k := range []string{"title", "category_id", "description", "standard_code", "certificate_number"} {
		f.Values[k] = r.PostForm.Get(k)
	}
	in := catalog.ProductInput{Title: f.Values["title"], CategoryID: f.Values["category_id"], Description: f.Values["description"],
		StandardCode: f.Values["standard_code"], CertificateNumber: f.Values["certificate_number"]}
	// rowOf maps the index of a SKU sent to the service to its form row.
	var rowOf []int
	for i := range skuRows {
		n := strconv.Itoa(i)
		code, attrs, price := r.PostForm.Get("sku_code_"+n), r.PostForm.Get("sku_attrs_"+n), r.PostForm.Get("sku_price_"+n)
		f.Values["sku_code_"+n], f.Values["sku_attrs_"+n], f.Values["sku_price_"+n] = code, attrs, price
		if strings.TrimSpace(code+attrs+price) == "" {
			continue
		}
		k := catalog.SKUInput{Code: code}
		if strings.TrimSpace(code) == "" {
			f.add("sku_code_"+n, msgRequired)
		}
		fen, ok := parseYuan(price)
		if !ok {
			f.add("sku_price_"+n, msgBadYuan)
		}
		k.Price = catalog.CNY(fen)
		if k.Attributes, ok = parseAttributes(attrs); !ok {
			f.add("sku_attrs_"+n, msgBadAttrs)
		}
		in.SKUs = append(in.SKUs, k)
		rowOf = append(rowOf, i)
	}
	if len(in.SKUs) == 0 {
		f.add("sku_code_0", msgNoSKU)
	}
	if f.Invalid() {
		// The service is not asked, so the fields it would check are
		// checked here too: every message shows at once.
		if n := utf8.RuneCountInString(strings.TrimSpace(in.Title)); n < 4 || n > 120 {
			f.add("title", msg("seller.title_len"))
		}
		if strings.TrimSpace(in.CategoryID) == "" {
			f.add("category_id", msg("seller.choose_category"))
		}
		if strings.TrimSpace(in.Description) == "" {
			f.add("description", msgRequired)
		}
		s.renderNewProduct(w, r, http.StatusUnprocessableEntity, h, f)
		return
	}
	p, err := s.d.Catalog.CreateProduct(r.Context(), o.ID, in)
	if err != nil {
		pr, ok := problem.As(err)
		if !ok || pr.Code == problem.NotFound || pr.Code == problem.Unauthenticated {
			s.fail(w, r, err)
			return
		}
		if len(pr.Fields) == 0 {
			f.Summary = append(f.Summary, pr.Detail)
		}
		for _, fe := range pr.Fields {
			name := fe.Field
			if m := skuField.FindStringSubmatch(name); m != nil {
				i, _ := strconv.Atoi(m[1])
				row := 0
				if i < len(rowOf) {
					row = rowOf[i]
				}
				name = "sku_" + m[2] + "_" + strconv.Itoa(row)
				name = strings.Replace(name, "attributes", "attrs", 1)
			} else if name == "skus" {
				name = "sku_code_0"
			}
			f.add(name, fe.Message)
		}
		s.renderNewProduct(w, r, pr.Code.Status(), h, f)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/products/"+url.PathEscape(p.ID)+"?msg=product_created", http.StatusSeeOther)
}

// sellerPriceRow is a SKU on the product page with its price form and log.
type sellerPriceRow struct {
	SKU       catalog.SKU
	Price     string
	Reference string
	Attrs     string
	History   []sellerPriceChange
	Form      *form
}

// sellerPriceChange is a price log entry in yuan.
type sellerPriceChange struct {
	catalog.PriceChange
	Old, New, Reference string
}

// sellerProductPage is the data of seller_product.html.
type sellerProductPage struct {
	sellerHead
	Product  *catalog.Product
	Rows     []sellerPriceRow
	Errors   *form
	Phrases  []string // prohibited claims found when listing
	Missing  []string // qualifications missing when listing
	Flash    string
	Category string
	// Description is the product's description, sanitised by the
	// catalogue when it was saved (bluemonday UGC policy).
	Description template.HTML
	// Title is the title with refused phrases marked.
	Title template.HTML
}

// markPhrases escapes s and wraps every occurrence of phrases in <mark>.
func markPhrases(s string, phrases []string) template.HTML {
	var pairs []string
	for _, ph := range phrases {
		if e := template.HTMLEscapeString(ph); e != "" {
			pairs = append(pairs, e, `<mark class="seller-claim-inline">`+e+`</mark>`)
		}
	}
	out := template.HTMLEscapeString(s)
	if len(pairs) > 0 {
		// One pass: a mark is never searched again.
		out = strings.NewReplacer(pairs...).Replace(out)
	}
	return template.HTML(out) // #nosec G203 -- built from escaped text
}

// sellerProductOf loads product {pid} when it belongs to o's seller.
func (s *server) sellerProductOf(w http.ResponseWriter, r *http.Request, orgID string) *catalog.Product {
	p, err := s.d.Catalog.Product(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	if p.SellerID != orgID {
		s.notFound(w, r)
		return nil
	}
	return p
}

func (s *server) sellerProduct(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	s.renderProduct(w, r, http.StatusOK, o, newForm(), nil, "", nil)
}

// renderProduct shows the product page; errs are messages about the
// listing, priceSKU and pf the price form that was sent.
func (s *server) renderProduct(w http.ResponseWriter, r *http.Request, status int, o *org.Organization, errs *form, refusal error, priceSKU string, pf *form) {
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	page := sellerProductPage{sellerHead: sellerHead{o, "products"}, Product: p, Errors: errs, Category: p.CategoryName,
		Description: template.HTML(p.Description)} // #nosec G203 -- sanitised on save
	if langOf(r) == i18n.EN && p.CategoryNameEN != "" {
		page.Category = p.CategoryNameEN
	}
	if status == http.StatusOK {
		page.Flash = sellerFlash(r)
	}
	if pr, ok := problem.As(refusal); ok {
		page.Phrases, _ = pr.Extra["phrases"].([]string)
		page.Missing, _ = pr.Extra["missing"].([]string)
	}
	page.Title = markPhrases(p.Title, page.Phrases)
	for _, k := range p.SKUs {
		hist, _, err := s.d.Catalog.PriceHistory(r.Context(), k.ID, 20, "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		row := sellerPriceRow{SKU: k, Price: money(k.Price), Attrs: attrString(k.Attributes), Form: newForm()}
		if k.ReferencePrice != nil {
			row.Reference = money(*k.ReferencePrice)
		}
		for _, c := range hist {
			e := sellerPriceChange{PriceChange: c, New: money(c.NewPrice)}
			if c.OldPrice != nil {
				e.Old = money(*c.OldPrice)
			}
			if c.ReferencePrice != nil {
				e.Reference = money(*c.ReferencePrice)
			}
			row.History = append(row.History, e)
		}
		if k.ID == priceSKU && pf != nil {
			row.Form = pf
		} else {
			row.Form.Values["price"] = fenYuan(k.Price.Amount)
			if k.ReferencePrice != nil {
				row.Form.Values["reference_price"] = fenYuan(k.ReferencePrice.Amount)
			}
		}
		page.Rows = append(page.Rows, row)
	}
	s.render(w, r, status, "seller_product", "orgs", page)
}

// attrString writes attributes back as "颜色=红;尺码=L", sorted by name.
func attrString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ";")
}

// sellerList puts the product on sale; a refusal is shown on the page.
func (s *server) sellerList(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	if s.sellerProductOf(w, r, o.ID) == nil {
		return
	}
	p, err := s.d.Catalog.List(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.productError(w, r, o, err)
		return
	}
	key := "product_listed"
	if p.Status == catalog.StatusPendingReview {
		key = "product_in_review"
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/products/"+url.PathEscape(p.ID)+"?msg="+key, http.StatusSeeOther)
}

// productError shows a refused action's messages on the product page.
func (s *server) productError(w http.ResponseWriter, r *http.Request, o *org.Organization, err error) {
	errs := newForm()
	status := summaryStatus(errs, err)
	if status == 0 {
		s.fail(w, r, err)
		return
	}
	s.renderProduct(w, r, status, o, errs, err, "", nil)
}

// sellerDelistConfirm asks before a product leaves sale.
func (s *server) sellerDelistConfirm(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	base := "/orgs/" + o.ID + "/products/" + p.ID
	s.render(w, r, http.StatusOK, "confirm", "orgs", confirmPage{Title: msg("seller.delist_title"), Body: msg("seller.delist_body"),
		Facts:  []confirmFact{{msg("seller.product_title"), p.Title}, {msg("seller.status"), label("pstatus."+string(p.Status), string(p.Status), langOf(r))}},
		Action: base + "/delist", Confirm: msg("seller.delist"), Cancel: base, Danger: true})
}

func (s *server) sellerDelist(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	if s.sellerProductOf(w, r, o.ID) == nil {
		return
	}
	p, err := s.d.Catalog.Delist(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.productError(w, r, o, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/products/"+url.PathEscape(p.ID)+"?msg=product_delisted", http.StatusSeeOther)
}

// sellerSetPrice changes one SKU's price and reference price.
func (s *server) sellerSetPrice(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	skuID := r.PathValue("sku")
	found := false
	for _, k := range p.SKUs {
		found = found || k.ID == skuID
	}
	if !found {
		s.notFound(w, r)
		return
	}
	f := newForm()
	f.Values["price"], f.Values["reference_price"] = r.PostForm.Get("price"), r.PostForm.Get("reference_price")
	in := catalog.PriceInput{}
	fen, ok := parseYuan(f.Values["price"])
	if !ok {
		f.add("price", msgBadYuan)
	}
	in.Price = catalog.CNY(fen)
	if strings.TrimSpace(f.Values["reference_price"]) != "" {
		ref, ok := parseYuan(f.Values["reference_price"])
		if !ok {
			f.add("reference_price", msgBadYuan)
		}
		m := catalog.CNY(ref)
		in.ReferencePrice = &m
	}
	if !f.Invalid() {
		_, err := s.d.Catalog.SetPrice(r.Context(), skuID, in)
		if err == nil {
			http.Redirect(w, r, "/orgs/"+o.ID+"/products/"+p.ID+"?msg=price_set#sku-"+skuID, http.StatusSeeOther)
			return
		}
		status := formStatus(f, err, map[string]string{"price.amount": "price", "price.currency": "price",
			"reference_price.amount": "reference_price", "reference_price.currency": "reference_price"})
		if status == 0 {
			s.fail(w, r, err)
			return
		}
		if problem.CodeOf(err) == problem.ReferencePriceHigh {
			// The message is about the reference price: show it there.
			f.Summary = nil
			pr, _ := problem.As(err)
			f.add("reference_price", pr.Detail)
		}
		s.renderProduct(w, r, status, o, newForm(), nil, skuID, f)
		return
	}
	s.renderProduct(w, r, http.StatusUnprocessableEntity, o, newForm(), nil, skuID, f)
}

// money shows a catalogue amount in yuan.
func money(m catalog.Money) string { return "¥" + fenYuan(m.Amount) }

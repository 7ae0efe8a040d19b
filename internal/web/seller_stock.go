package web

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gbmall/internal/inventory"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// supplierLicenceTypes are the licence types the supplier form offers.
var supplierLicenceTypes = []string{"business_license", "food_production_license", "food_business_license", "ccc_certificate",
	"brand_authorization", "production_license", "other"}

// sellerSuppliersPage is the data of seller_suppliers.html.
type sellerSuppliersPage struct {
	sellerHead
	Suppliers []inventory.Supplier
	Types     []string
	Next      string
	Form      *form
	Flash     string
}

func (s *server) sellerSuppliers(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	f := newForm()
	f.Values["lic_type"] = "business_license"
	s.renderSuppliers(w, r, http.StatusOK, o, f)
}

func (s *server) renderSuppliers(w http.ResponseWriter, r *http.Request, status int, o *org.Organization, f *form) {
	xs, next, err := s.d.Inventory.Suppliers(r.Context(), o.ID, inventory.Page{Limit: 100, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := sellerSuppliersPage{sellerHead: sellerHead{o, "suppliers"}, Suppliers: xs, Types: supplierLicenceTypes, Next: next, Form: f}
	if status == http.StatusOK {
		page.Flash = sellerFlash(r)
	}
	s.render(w, r, status, "seller_suppliers", "orgs", page)
}

var supplierFields = map[string]string{"contact.name": "contact_name", "contact.mobile": "contact_mobile",
	"qualifications": "lic_number", "qualifications[0].type": "lic_type", "qualifications[0].number": "lic_number",
	"qualifications[0].valid_until": "lic_valid_until"}

// sellerFileSupplier files a supplier with its first licence (R-6.4-1).
func (s *server) sellerFileSupplier(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	f := newForm()
	for _, k := range []string{"name", "uscc", "contact_name", "contact_mobile", "lic_type", "lic_number", "lic_valid_until"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	typ := f.Values["lic_type"]
	if typ == "other" || typ == "" {
		typ = strings.TrimSpace(r.PostForm.Get("lic_type_other"))
		f.Values["lic_type_other"] = typ
	}
	in := inventory.SupplierInput{Name: f.Values["name"], USCC: f.Values["uscc"],
		Contact:        inventory.SupplierContact{Name: f.Values["contact_name"], Mobile: f.Values["contact_mobile"]},
		Qualifications: []inventory.QualificationInput{{Type: typ, Number: f.Values["lic_number"], ValidUntil: f.Values["lic_valid_until"]}}}
	_, err := s.d.Inventory.FileSupplier(r.Context(), o.ID, in)
	if err != nil {
		rename := supplierFields
		if f.Values["lic_type"] == "other" || f.Values["lic_type"] == "" {
			rename = maps.Clone(supplierFields)
			rename["qualifications[0].type"] = "lic_type_other"
		}
		status := formStatus(f, err, rename)
		if status == 0 {
			s.fail(w, r, err)
			return
		}
		if problem.CodeOf(err) == problem.Conflict && len(f.Errors) == 0 {
			f.add("uscc", f.Summary[0])
			f.Summary = nil
		}
		s.renderSuppliers(w, r, status, o, f)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/suppliers?msg=supplier_filed", http.StatusSeeOther)
}

// sellerLevel is a SKU with its stock level.
type sellerLevel struct {
	SKU   sellerSKU
	Level *inventory.StockLevel
}

// sellerStockPage is the data of seller_stock.html.
type sellerStockPage struct {
	sellerHead
	SKUs      []sellerSKU
	Levels    []sellerLevel
	Suppliers []inventory.Supplier
	Receipts  []inventory.StockReceipt
	SKUNames  map[string]string
	SupNames  map[string]string
	Counts    []inventory.StockCount
	Receipt   *form
	Count     *form
	Flash     string
	Today     string
}

func (s *server) sellerStock(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	rf := newForm()
	rf.Values["inspection"] = "pass"
	s.renderStock(w, r, http.StatusOK, o, rf, newForm())
}

func (s *server) renderStock(w http.ResponseWriter, r *http.Request, status int, o *org.Organization, rf, cf *form) {
	ctx := r.Context()
	skus, err := s.sellerSKUs(ctx, o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := sellerStockPage{sellerHead: sellerHead{o, "stock"}, SKUs: skus, Receipt: rf, Count: cf,
		SKUNames: map[string]string{}, SupNames: map[string]string{}, Today: org.Today(s.d.Clock.Now())}
	for _, k := range skus {
		lv, err := s.d.Inventory.StockOf(ctx, k.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Levels = append(page.Levels, sellerLevel{k, lv})
		page.SKUNames[k.ID] = k.Label()
	}
	if page.Suppliers, _, err = s.d.Inventory.Suppliers(ctx, o.ID, inventory.Page{Limit: 100}); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, x := range page.Suppliers {
		page.SupNames[x.ID] = x.Name
	}
	if page.Receipts, _, err = s.d.Inventory.Receipts(ctx, o.ID, "", inventory.Page{Limit: 30}); err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Counts, _, err = s.d.Inventory.Counts(ctx, o.ID, inventory.Page{Limit: 5}); err != nil {
		s.fail(w, r, err)
		return
	}
	if status == http.StatusOK {
		page.Flash = sellerFlash(r)
	}
	s.render(w, r, status, "seller_stock", "orgs", page)
}

var receiptFields = map[string]string{"inspection.result": "inspection", "inspection.notes": "inspection_notes"}

// sellerReceipt registers goods received from a supplier (R-6.4-2).
func (s *server) sellerReceipt(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	f := newForm()
	for _, k := range []string{"sku_id", "supplier_id", "quantity", "batch", "produced_on", "expires_on", "inspection", "inspection_notes"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	if f.Values["sku_id"] == "" {
		f.add("sku_id", msgRequired)
	}
	if f.Values["supplier_id"] == "" {
		f.add("supplier_id", msgRequired)
	}
	qty, err := strconv.Atoi(f.Values["quantity"])
	if err != nil {
		f.add("quantity", msgWholeNum)
	}
	if f.Invalid() {
		s.renderStock(w, r, http.StatusUnprocessableEntity, o, f, newForm())
		return
	}
	_, err = s.d.Inventory.RegisterReceipt(r.Context(), o.ID, inventory.StockReceiptInput{SKUID: f.Values["sku_id"], Quantity: qty,
		SupplierID: f.Values["supplier_id"], Batch: f.Values["batch"], ProducedOn: f.Values["produced_on"], ExpiresOn: f.Values["expires_on"],
		Inspection: inventory.ReceiptInspection{Result: f.Values["inspection"], Notes: f.Values["inspection_notes"]}})
	if err != nil {
		status := formStatus(f, err, receiptFields)
		if status == 0 {
			s.fail(w, r, err)
			return
		}
		s.renderStock(w, r, status, o, f, newForm())
		return
	}
	key := "receipt_passed"
	if f.Values["inspection"] == "fail" {
		key = "receipt_failed"
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/stock?msg="+key, http.StatusSeeOther)
}

// sellerCount books a stocktake: every SKU given a counted quantity.
func (s *server) sellerCount(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	skus, err := s.sellerSKUs(r.Context(), o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm()
	f.Values["counter_name"] = strings.TrimSpace(r.PostForm.Get("counter_name"))
	in := inventory.StockCountInput{CounterName: f.Values["counter_name"]}
	index := map[int]string{} // line → input name
	for _, k := range skus {
		name := "counted_" + k.ID
		v := strings.TrimSpace(r.PostForm.Get(name))
		f.Values[name] = v
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			f.add(name, msgWholeNum)
			continue
		}
		index[len(in.Lines)] = name
		in.Lines = append(in.Lines, inventory.StockCountLineInput{SKUID: k.ID, Counted: n})
	}
	if len(in.Lines) == 0 && !f.Invalid() {
		f.Summary = append(f.Summary, msg("seller.count_none"))
	}
	if f.Invalid() {
		s.renderStock(w, r, http.StatusUnprocessableEntity, o, newForm(), f)
		return
	}
	_, err = s.d.Inventory.RecordCount(r.Context(), o.ID, in)
	if err != nil {
		rename := map[string]string{}
		for i, name := range index {
			rename["lines["+strconv.Itoa(i)+"].counted"] = name
			rename["lines["+strconv.Itoa(i)+"].sku_id"] = name
		}
		status := formStatus(f, err, rename)
		if status == 0 {
			s.fail(w, r, err)
			return
		}
		s.renderStock(w, r, status, o, newForm(), f)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/stock?msg=count_booked#counts", http.StatusSeeOther)
}

// sellerSKUPage is the data of seller_sku.html.
type sellerSKUPage struct {
	sellerHead
	SKU      sellerSKU
	Level    *inventory.StockLevel
	Ledger   []inventory.LedgerEntry
	Receipts []inventory.StockReceipt
	Next     string
	Form     *form
	Flash    string
}

func (s *server) sellerSKUStock(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	s.renderSKU(w, r, http.StatusOK, o, r.PathValue("sku"), newForm())
}

func (s *server) renderSKU(w http.ResponseWriter, r *http.Request, status int, o *org.Organization, skuID string, f *form) {
	ctx := r.Context()
	skus, err := s.sellerSKUs(ctx, o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := sellerSKUPage{sellerHead: sellerHead{o, "stock"}, Form: f}
	found := false
	for _, k := range skus {
		if k.ID == skuID {
			page.SKU, found = k, true
		}
	}
	if !found {
		s.notFound(w, r)
		return
	}
	if page.Level, err = s.d.Inventory.StockOf(ctx, skuID); err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Ledger, page.Next, err = s.d.Inventory.Ledger(ctx, skuID, inventory.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}); err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/orgs/"+o.ID+"/stock/"+url.PathEscape(skuID), http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	if page.Receipts, _, err = s.d.Inventory.Receipts(ctx, o.ID, skuID, inventory.Page{Limit: 20}); err != nil {
		s.fail(w, r, err)
		return
	}
	if status == http.StatusOK {
		page.Flash = sellerFlash(r)
	}
	s.render(w, r, status, "seller_sku", "orgs", page)
}

// sellerAdjust books a manual correction with its reason (R-6.4-7).
func (s *server) sellerAdjust(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	skuID := r.PostForm.Get("sku_id")
	f := newForm()
	f.Values["delta"], f.Values["reason"] = strings.TrimSpace(r.PostForm.Get("delta")), strings.TrimSpace(r.PostForm.Get("reason"))
	delta, err := strconv.Atoi(strings.TrimPrefix(f.Values["delta"], "+"))
	if err != nil {
		f.add("delta", msgWholeNum)
		s.renderSKU(w, r, http.StatusUnprocessableEntity, o, skuID, f)
		return
	}
	_, err = s.d.Inventory.AdjustStock(r.Context(), o.ID, inventory.StockAdjustmentInput{SKUID: skuID, Delta: delta, Reason: f.Values["reason"]})
	if err != nil {
		status := formStatus(f, err, nil)
		if status == 0 {
			s.fail(w, r, err)
			return
		}
		if problem.CodeOf(err) == problem.Conflict {
			f.add("delta", f.Summary[0])
			f.Summary = nil
		}
		s.renderSKU(w, r, status, o, skuID, f)
		return
	}
	http.Redirect(w, r, "/orgs/"+o.ID+"/stock/"+url.PathEscape(skuID)+"?msg=stock_adjusted", http.StatusSeeOther)
}

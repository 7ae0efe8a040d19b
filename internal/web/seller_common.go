package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// sellerRoutes mounts the seller console (issue 4 point 10): products,
// prices, suppliers and stock of one seller organisation, for its members
// who manage the catalogue.
func (s *server) sellerRoutes(mux *http.ServeMux) {
	if s.d.Catalog == nil || s.d.Inventory == nil || s.d.Orgs == nil {
		return
	}
	mux.HandleFunc("GET /orgs/{id}/products", s.sellerProducts)
	mux.HandleFunc("GET /orgs/{id}/products/new", s.sellerNewProduct)
	mux.HandleFunc("POST /orgs/{id}/products/new", s.sellerCreateProduct)
	mux.HandleFunc("GET /orgs/{id}/products/{pid}", s.sellerProduct)
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/list", s.sellerList)
	mux.HandleFunc("GET /orgs/{id}/products/{pid}/delist", s.sellerDelistConfirm)
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/delist", s.sellerDelist)
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/skus/{sku}/price", s.sellerSetPrice)
	mux.HandleFunc("GET /orgs/{id}/suppliers", s.sellerSuppliers)
	mux.HandleFunc("POST /orgs/{id}/suppliers", s.sellerFileSupplier)
	mux.HandleFunc("GET /orgs/{id}/stock", s.sellerStock)
	mux.HandleFunc("POST /orgs/{id}/stock/receipts", s.sellerReceipt)
	mux.HandleFunc("POST /orgs/{id}/stock/adjust", s.sellerAdjust)
	mux.HandleFunc("POST /orgs/{id}/stock/count", s.sellerCount)
	mux.HandleFunc("GET /orgs/{id}/stock/{sku}", s.sellerSKUStock)
	s.sellerImageRoutes(mux)
}

// sellerOrg is the seller organisation of the request's {id} when the
// signed-in person may manage its catalogue. Anyone else — another
// tenant or a member without the permission — is shown the 404 page
// (R-10.4-9), as is an organisation that is not a seller.
func (s *server) sellerOrg(w http.ResponseWriter, r *http.Request) *org.Organization {
	if s.requireUser(w, r, false) == nil {
		return nil
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, id); err != nil {
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

// yuanPattern is a price typed in yuan: digits with at most two decimals.
var yuanPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)

// parseYuan converts "12.5" yuan to 1250 fen exactly, from the decimal
// string (never through a float). "¥" and thousands commas are accepted.
func parseYuan(v string) (int64, bool) {
	v = strings.TrimSpace(strings.NewReplacer("¥", "", "￥", "", ",", "", "，", "").Replace(v))
	if !yuanPattern.MatchString(v) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(v, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return w*100 + f, true
}

// fenYuan shows fen as yuan with two decimals.
func fenYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// sellerSKU is one of the seller's SKUs, for the stock forms.
type sellerSKU struct {
	ID, Code, Title string
	ProductID       string
}

// Label is how a SKU is named in selects and tables.
func (k sellerSKU) Label() string { return k.Title + " · " + k.Code }

// sellerSKUs reads the seller's SKUs, newest product first. The page only
// reads the catalogue's table; every change goes through the services.
func (s *server) sellerSKUs(ctx context.Context, orgID string) ([]sellerSKU, error) {
	rows, err := s.d.DB.Query(ctx, `SELECT k.id, k.code, p.title, p.id FROM skus k JOIN products p ON p.id = k.product_id
		WHERE k.organization_id = $1 ORDER BY p.created_at DESC, p.id, k.code LIMIT 500`, orgID)
	if err != nil {
		return nil, fmt.Errorf("web: seller skus: %w", err)
	}
	defer rows.Close()
	var out []sellerSKU
	for rows.Next() {
		var k sellerSKU
		if err := rows.Scan(&k.ID, &k.Code, &k.Title, &k.ProductID); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// sellerSubnav marks the current section of the seller console.
type sellerHead struct {
	Org     *org.Organization
	Section string // products, suppliers, stock
}

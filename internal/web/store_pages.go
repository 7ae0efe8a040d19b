package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// storeRoutes mounts the storefront: search, category, product and shop
// pages (issue 4 point 9; R-5.3-5, R-6.1-2, R-6.3-1, R-9.2-10). "/" is
// storeHome, mounted with the other top-level pages.
func (s *server) storeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /shop", s.storeShopHome)
	mux.HandleFunc("GET /search", s.storeSearch)
	mux.HandleFunc("GET /c/{id}", s.storeCategory)
	mux.HandleFunc("GET /p/{id}", s.storeProduct)
	mux.HandleFunc("GET /shops/{id}", s.storeSellerShop)
}

// storeHomeSize is how many newest products the storefront home shows.
const storeHomeSize = 20

// storeItem is one product card, prices already written out.
type storeItem struct {
	ID         string
	Title      string
	Price      string
	Reference  string // the crossed-out 原价, "" when none
	SellerID   string
	SellerName string
	InStock    bool
	Image      string // the main image's list rendition, "" when none
}

func storeItems(xs []catalog.ListItem) []storeItem {
	out := make([]storeItem, 0, len(xs))
	for _, x := range xs {
		out = append(out, storeItem{ID: x.ID, Title: x.Title, Price: storeYuan(x.MinPrice), Reference: storeRefYuan(x.ReferencePrice),
			SellerID: x.SellerID, SellerName: x.SellerName, InStock: x.InStock, Image: x.ImageURL})
	}
	return out
}

// storeYuan writes an amount in fen as "¥129.00".
func storeYuan(m catalog.Money) string {
	sign := ""
	v := m.Amount
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, v/100, v%100)
}

func storeRefYuan(m *catalog.Money) string {
	if m == nil {
		return ""
	}
	return storeYuan(*m)
}

// storeCat is a category as the storefront names it.
type storeCat struct {
	ID     string
	Name   string
	NameEN string
}

func storeCatOf(c catalog.Category) storeCat {
	return storeCat{ID: c.ID, Name: c.Name, NameEN: c.NameEN}
}

// storeSearchForm is the search box's state.
type storeSearchForm struct {
	Q, Category, Min, Max, Sort string
}

// storeHomePage is the data of store_home.html.
type storeHomePage struct {
	Search     storeSearchForm
	Categories []storeCat // top level
	AllCats    []storeCat
	Items      []storeItem
}

// storeHome is "/": the storefront for visitors; signed-in people go to
// their home page, which links here (/shop). Without a catalogue it is
// the welcome page.
func (s *server) storeHome(w http.ResponseWriter, r *http.Request) {
	if user(r) != nil || s.d.Catalog == nil {
		s.index(w, r)
		return
	}
	s.storeFront(w, r)
}

// storeShopHome is the storefront home under /shop, for everyone.
func (s *server) storeShopHome(w http.ResponseWriter, r *http.Request) {
	if s.d.Catalog == nil {
		s.notFound(w, r)
		return
	}
	s.storeFront(w, r)
}

// storeFront shows the search box, the top-level categories and the
// newest listed products. The order is the listing time, the same for
// everyone and said so on the page (R-9.2-10: a non-personalised option).
func (s *server) storeFront(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cats, err := s.d.Catalog.Categories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, _, err := s.d.Catalog.Browse(ctx, catalog.BrowseQuery{Sort: catalog.SortNewest, Limit: storeHomeSize})
	if err == nil {
		items, err = s.d.Catalog.WithImages(ctx, items)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := storeHomePage{Items: storeItems(items)}
	for _, c := range cats {
		if c.ParentID == nil && !c.Prohibited {
			page.Categories = append(page.Categories, storeCatOf(c))
		}
		if !c.Prohibited {
			page.AllCats = append(page.AllCats, storeCatOf(c))
		}
	}
	s.render(w, r, http.StatusOK, "store_home", "shop", page)
}

// storeListPage is the data of store_search.html and store_category.html.
type storeListPage struct {
	Search     storeSearchForm
	Action     string // where the filter form goes
	AllCats    []storeCat
	Category   *storeCat  // the category page's category
	Crumbs     []storeCat // its ancestors, top first
	Children   []storeCat
	Items      []storeItem
	NextURL    string // the next page, "" on the last
	FirstURL   string // the first page, "" on it
	Errors     map[string][]i18n.Text
	SortOrders []storeSort
}

// storeSort is one published order of the list.
type storeSort struct {
	Value string
	Key   string // message key
}

var storeSorts = []storeSort{
	{catalog.SortRelevance, "store.sort.relevance"},
	{catalog.SortNewest, "store.sort.newest"},
	{catalog.SortPriceAsc, "store.sort.price_asc"},
	{catalog.SortPriceDesc, "store.sort.price_desc"},
}

// storeParseYuan reads a price in yuan ("12", "12.5", "12.50") as fen.
func storeParseYuan(v string) (int64, bool) {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "¥"))
	if v == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || len(whole) > 9 {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return 0, false
		}
		if len(frac) == 1 {
			f *= 10
		}
	}
	return w*100 + f, true
}

// storeBrowseFrom reads the list parameters of a request into a query; bad
// prices are reported by field and left out of the query.
func storeBrowseFrom(r *http.Request, page *storeListPage) catalog.BrowseQuery {
	q := r.URL.Query()
	page.Search = storeSearchForm{Q: strings.TrimSpace(q.Get("q")), Category: q.Get("category"), Min: q.Get("min"), Max: q.Get("max"), Sort: q.Get("sort")}
	b := catalog.BrowseQuery{Q: page.Search.Q, CategoryID: page.Search.Category, Sort: page.Search.Sort, Cursor: q.Get("cursor")}
	page.Errors = map[string][]i18n.Text{}
	var ok bool
	if b.MinPrice, ok = storeParseYuan(page.Search.Min); !ok {
		page.Errors["min"] = append(page.Errors["min"], msg("store.bad_price"))
	}
	if b.MaxPrice, ok = storeParseYuan(page.Search.Max); !ok {
		page.Errors["max"] = append(page.Errors["max"], msg("store.bad_price"))
	}
	if page.Search.Sort == "" || (page.Search.Sort == catalog.SortRelevance && b.Q == "") {
		// The catalogue's default: relevance for a text query, else newest.
		page.Search.Sort = catalog.SortNewest
		if b.Q != "" {
			page.Search.Sort = catalog.SortRelevance
		}
	}
	page.SortOrders = storeSorts
	return b
}

// storeBrowsePage runs the query and fills the list, the pagination links and
// the field errors of a bad query.
func (s *server) storeBrowsePage(ctx context.Context, r *http.Request, page *storeListPage, b catalog.BrowseQuery) error {
	if len(page.Errors) > 0 {
		page.Items = []storeItem{}
		return nil
	}
	items, next, err := s.d.Catalog.Browse(ctx, b)
	if err != nil {
		p, isProblem := problem.As(err)
		if !isProblem || p.Code != problem.Validation {
			return err
		}
		rename := map[string]string{"min_price": "min", "max_price": "max"}
		for _, fe := range p.Fields {
			name := fe.Field
			if n, ok := rename[name]; ok {
				name = n
			}
			page.Errors[name] = append(page.Errors[name], fe.Message)
		}
		if len(p.Fields) == 0 {
			page.Errors["q"] = append(page.Errors["q"], p.Detail)
		}
		page.Items = []storeItem{}
		return nil
	}
	if items, err = s.d.Catalog.WithImages(ctx, items); err != nil {
		return err
	}
	page.Items = storeItems(items)
	q := r.URL.Query()
	q.Del("lang")
	if next != "" {
		q.Set("cursor", next)
		page.NextURL = r.URL.Path + "?" + q.Encode()
	}
	if b.Cursor != "" {
		q.Del("cursor")
		page.FirstURL = r.URL.Path
		if enc := q.Encode(); enc != "" {
			page.FirstURL += "?" + enc
		}
	}
	return nil
}

func (s *server) storeAllCats(ctx context.Context) ([]catalog.Category, []storeCat, error) {
	cats, err := s.d.Catalog.Categories(ctx)
	if err != nil {
		return nil, nil, err
	}
	var out []storeCat
	for _, c := range cats {
		if !c.Prohibited {
			out = append(out, storeCatOf(c))
		}
	}
	return cats, out, nil
}

// storeSearch is the search results page: text, category, price range and
// one of the published orders, none of which depends on who asks.
func (s *server) storeSearch(w http.ResponseWriter, r *http.Request) {
	if s.d.Catalog == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	page := storeListPage{Action: "/search"}
	b := storeBrowseFrom(r, &page)
	var err error
	if _, page.AllCats, err = s.storeAllCats(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.storeBrowsePage(ctx, r, &page, b); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(page.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "store_search", "shop", page)
}

// storeCategory is a category's page: where it sits, its subcategories
// and its products (those of the subcategories included).
func (s *server) storeCategory(w http.ResponseWriter, r *http.Request) {
	if s.d.Catalog == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	page := storeListPage{Action: "/c/" + id}
	b := storeBrowseFrom(r, &page)
	b.CategoryID, page.Search.Category = id, id
	cats, all, err := s.storeAllCats(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.AllCats = all
	byID := map[string]catalog.Category{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	c, ok := byID[id]
	if !ok || c.Prohibited {
		s.notFound(w, r)
		return
	}
	sc := storeCatOf(c)
	page.Category = &sc
	for p := c.ParentID; p != nil; {
		parent, ok := byID[*p]
		if !ok {
			break
		}
		page.Crumbs = append(page.Crumbs, storeCatOf(parent))
		p = parent.ParentID
	}
	slices.Reverse(page.Crumbs)
	for _, x := range cats {
		if x.ParentID != nil && *x.ParentID == id && !x.Prohibited {
			page.Children = append(page.Children, storeCatOf(x))
		}
	}
	if err := s.storeBrowsePage(ctx, r, &page, b); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(page.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "store_category", "shop", page)
}

// storeSKU is one SKU in the product page's picker.
type storeSKU struct {
	ID          string
	Code        string
	Attributes  []storeAttr
	Price       string
	Reference   string
	Stock       int64
	Purchasable bool
}

type storeAttr struct{ Name, Value string }

// storeProductPage is the data of store_product.html.
type storeProductPage struct {
	P           *catalog.Product
	Category    storeCat
	Crumbs      []storeCat
	Price       string
	Reference   string
	SKUs        []storeSKU
	Description template.HTML // sanitised by the catalogue (bluemonday UGC policy)
	Listed      bool
}

// storeProduct is the product page (R-6.3-1): what it is, its SKUs with
// price and stock, the 7-day return rule of its category, the seller and
// the seller's licences (R-6.1-2). Ordering opens with the orders module.
func (s *server) storeProduct(w http.ResponseWriter, r *http.Request) {
	if s.d.Catalog == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	p, err := s.d.Catalog.Product(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cats, _, err := s.storeAllCats(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := storeProductPage{P: p, Price: storeYuan(p.MinPrice), Reference: storeRefYuan(p.ReferencePrice),
		// The catalogue stores descriptions only after its HTML policy
		// has cleaned them; nothing else on the page is trusted.
		Description: template.HTML(p.Description),
		Listed:      p.Status == catalog.StatusListed,
		Category:    storeCat{ID: p.CategoryID, Name: p.CategoryName, NameEN: p.CategoryNameEN}}
	byID := map[string]catalog.Category{}
	for _, c := range cats {
		byID[c.ID] = c
	}
	if c, ok := byID[p.CategoryID]; ok {
		for q := c.ParentID; q != nil; {
			parent, ok := byID[*q]
			if !ok {
				break
			}
			page.Crumbs = append(page.Crumbs, storeCatOf(parent))
			q = parent.ParentID
		}
		slices.Reverse(page.Crumbs)
	}
	for _, k := range p.SKUs {
		sk := storeSKU{ID: k.ID, Code: k.Code, Price: storeYuan(k.Price), Reference: storeRefYuan(k.ReferencePrice), Stock: k.Stock, Purchasable: k.Purchasable}
		names := make([]string, 0, len(k.Attributes))
		for n := range k.Attributes {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			sk.Attributes = append(sk.Attributes, storeAttr{n, k.Attributes[n]})
		}
		page.SKUs = append(page.SKUs, sk)
	}
	s.render(w, r, http.StatusOK, "store_product", "shop", page)
}

// storeShopPage is the data of store_shop.html.
type storeShopPage struct {
	Org   *org.PublicOrganization
	Items []storeItem
	More  bool // more listed products than shown
}

// storeShopLimit bounds the products a shop page shows.
const storeShopLimit = 60

// storeSellerShop is a seller's shop: who it is, the link to its licences
// and its listed products, newest first.
func (s *server) storeSellerShop(w http.ResponseWriter, r *http.Request) {
	if s.d.Catalog == nil || s.d.Orgs == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	o, err := s.d.Orgs.Public(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if o.Kind != identity.KindSeller {
		s.notFound(w, r)
		return
	}
	items, more, err := s.storeShopItems(ctx, o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "store_shop", "shop", storeShopPage{Org: o, Items: items, More: more})
}

// storeShopItems lists a seller's listed, purchasable products, newest
// first, through the same public list as the storefront.
func (s *server) storeShopItems(ctx context.Context, orgID string) ([]storeItem, bool, error) {
	xs, next, err := s.d.Catalog.Browse(ctx, catalog.BrowseQuery{SellerID: orgID, Sort: catalog.SortNewest, Limit: storeShopLimit})
	if err == nil {
		xs, err = s.d.Catalog.WithImages(ctx, xs)
	}
	if err != nil {
		return nil, false, err
	}
	return storeItems(xs), next != "", nil
}

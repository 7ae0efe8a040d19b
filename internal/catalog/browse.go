package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/catalog/search"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// ListItem is a product in the public list.
type ListItem struct {
	ID             string `json:"id"`
	Title          string `json:"title"`
	MinPrice       Money  `json:"min_price" doc:"the headline price: the lowest SKU price"`
	ReferencePrice *Money `json:"reference_price,omitempty"`
	SellerID       string `json:"seller_id"`
	SellerName     string `json:"seller_name"`
	CategoryID     string `json:"category_id"`
	InStock        bool   `json:"in_stock"`
	ImageURL       string `json:"image_url,omitempty"`
	listedAt       time.Time
	rank           int
}

// The orders of the public list. None depends on who asks (R-6.4-10).
const (
	SortRelevance = "relevance"
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
	SortNewest    = "newest"
)

// BrowseQuery selects listed products. Prices are in fen; 0 means no bound.
type BrowseQuery struct {
	Q          string
	CategoryID string
	// SellerID limits the list to one seller's shop.
	SellerID string
	MinPrice int64
	MaxPrice int64
	Sort     string
	Limit    int
	Cursor   string
}

const listedCond = "p.status = 'listed'"

// finderCap bounds how many search hits one list request considers.
const finderCap = 1000

func (b *BrowseQuery) validate() error {
	var f []problem.FieldError
	switch b.Sort {
	case "", SortRelevance, SortPriceAsc, SortPriceDesc, SortNewest:
	default:
		f = append(f, problem.Field("sort", i18n.T("排序应为 relevance、price_asc、price_desc 或 newest", "sort must be relevance, price_asc, price_desc or newest")))
	}
	if b.MinPrice < 0 || b.MinPrice > MaxPriceFen {
		f = append(f, problem.Field("min_price", i18n.T("价格下限不正确", "Invalid min_price")))
	}
	if b.MaxPrice < 0 || b.MaxPrice > MaxPriceFen || (b.MaxPrice > 0 && b.MinPrice > b.MaxPrice) {
		f = append(f, problem.Field("max_price", i18n.T("价格上限不正确（不得低于下限）", "Invalid max_price (below min_price)")))
	}
	if len(f) > 0 {
		return problem.Invalid(f...)
	}
	b.Q = strings.TrimSpace(b.Q)
	if b.Sort == "" || (b.Sort == SortRelevance && b.Q == "") {
		b.Sort = SortNewest
		if b.Q != "" {
			b.Sort = SortRelevance
		}
	}
	b.Limit = pageSize(b.Limit)
	return nil
}

// Browse is the public product list: listed products that can be bought
// now (the seller may trade and holds the category's licences), filtered
// by text, category (with its subcategories) and price, in one of the
// published orders. A listing, delisting or price change shows on the
// next request: nothing is cached here (the API's answer cache is
// invalidated by every commit, see httpapi.catalogCache).
func (s *Service) Browse(ctx context.Context, b BrowseQuery) ([]ListItem, string, error) {
	if err := b.validate(); err != nil {
		return nil, "", err
	}
	q := s.db.Reader(ctx)
	t, err := s.loadTree(ctx, q)
	if err != nil {
		return nil, "", err
	}
	where := []string{listedCond, "o.status = 'approved'"}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if b.SellerID != "" {
		where = append(where, "p.organization_id = "+arg(b.SellerID))
	}
	var categories []string
	if b.CategoryID != "" {
		if t.byID[b.CategoryID] == nil {
			return []ListItem{}, "", nil
		}
		categories = t.subtree(b.CategoryID)
		var ph []string
		for _, c := range categories {
			ph = append(ph, arg(c))
		}
		where = append(where, "p.category_id IN ("+strings.Join(ph, ", ")+")")
	}
	if b.MinPrice > 0 {
		where = append(where, "p.min_price_fen >= "+arg(b.MinPrice))
	}
	if b.MaxPrice > 0 {
		where = append(where, "p.min_price_fen <= "+arg(b.MaxPrice))
	}
	check := s.purchasableFilter(ctx, t)
	if b.Q != "" && s.Finder != nil {
		return s.browseFound(ctx, b, categories, where, args, check)
	}
	if b.Q != "" {
		where = append(where, `LOWER(p.title) LIKE `+arg("%"+escapeLike(strings.ToLower(b.Q))+"%")+` ESCAPE '\'`)
	}
	return s.browseKeyset(ctx, b, where, args, check)
}

func escapeLike(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}

// purchasableFilter answers, once per seller and category, whether a
// listed product can be bought now.
func (s *Service) purchasableFilter(ctx context.Context, t *tree) func(it *ListItem) (bool, error) {
	now := s.now()
	seen := map[string]bool{}
	return func(it *ListItem) (bool, error) {
		key := it.SellerID + "|" + it.CategoryID
		if ok, done := seen[key]; done {
			return ok, nil
		}
		err := s.tradeCheck(ctx, t, it.SellerID, it.CategoryID, now)
		if err != nil {
			if _, isProblem := problem.As(err); !isProblem {
				return false, err
			}
		}
		seen[key] = err == nil
		return err == nil, nil
	}
}

const listCols = `p.id, p.title, p.min_price_fen, p.organization_id, o.name, p.category_id, p.listed_at
	FROM products p JOIN organizations o ON o.id = p.organization_id`

const listColsByID = `p.id, p.title, p.min_price_fen, p.organization_id, o.name, p.category_id, p.listed_at
	FROM products p CROSS JOIN organizations o`

func scanItems(rows *sql.Rows) ([]ListItem, error) {
	defer rows.Close()
	var out []ListItem
	for rows.Next() {
		var it ListItem
		var price int64
		var listed sql.NullTime
		if err := rows.Scan(&it.ID, &it.Title, &price, &it.SellerID, &it.SellerName, &it.CategoryID, &listed); err != nil {
			return nil, err
		}
		it.MinPrice, it.listedAt = CNY(price), listed.Time
		out = append(out, it)
	}
	return out, rows.Err()
}

// browseKeyset pages through listed products in SQL order, skipping those
// that cannot be bought, until a page is full.
func (s *Service) browseKeyset(ctx context.Context, b BrowseQuery, where []string, args []any, check func(*ListItem) (bool, error)) ([]ListItem, string, error) {
	order, cmp := "p.listed_at DESC, p.id DESC", "<"
	keyCol := "p.listed_at"
	switch b.Sort {
	case SortPriceAsc:
		order, cmp, keyCol = "p.min_price_fen ASC, p.id ASC", ">", "p.min_price_fen"
	case SortPriceDesc:
		order, cmp, keyCol = "p.min_price_fen DESC, p.id DESC", "<", "p.min_price_fen"
	}
	var afterKey any
	var afterID string
	if b.Cursor != "" {
		parts, err := decodeCursor(b.Cursor, 3)
		if err != nil || parts[0] != b.Sort {
			return nil, "", errBadCursor
		}
		if b.Sort == SortNewest {
			afterKey, err = parseCursorTime(parts[1])
		} else {
			afterKey, err = strconv.ParseInt(parts[1], 10, 64)
		}
		if err != nil {
			return nil, "", errBadCursor
		}
		afterID = parts[2]
	}
	batch := b.Limit + 1
	var out []ListItem
	for len(out) <= b.Limit {
		w, a := slices.Clone(where), slices.Clone(args)
		if afterID != "" {
			a = append(a, afterKey, afterID)
			w = append(w, fmt.Sprintf("(%[1]s %[2]s $%[3]d OR (%[1]s = $%[3]d AND p.id %[2]s $%[4]d))", keyCol, cmp, len(a)-1, len(a)))
		}
		rows, err := s.db.Query(ctx, `SELECT `+listCols+` WHERE `+strings.Join(w, " AND ")+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d`, batch), a...)
		if err != nil {
			return nil, "", fmt.Errorf("catalog: browse: %w", err)
		}
		got, err := scanItems(rows)
		if err != nil {
			return nil, "", err
		}
		for i := range got {
			ok, err := check(&got[i])
			if err != nil {
				return nil, "", err
			}
			if ok && len(out) <= b.Limit {
				out = append(out, got[i])
			}
		}
		if len(got) < batch {
			break
		}
		last := got[len(got)-1]
		afterID = last.ID
		if b.Sort == SortNewest {
			afterKey = last.listedAt
		} else {
			afterKey = last.MinPrice.Amount
		}
	}
	next := ""
	if len(out) > b.Limit {
		out = out[:b.Limit]
		last := out[len(out)-1]
		key := itoa(last.MinPrice.Amount)
		if b.Sort == SortNewest {
			key = last.listedAt.UTC().Format(time.RFC3339Nano)
		}
		next = encodeCursor(b.Sort, key, last.ID)
	}
	if err := s.decorate(ctx, out); err != nil {
		return nil, "", err
	}
	return orEmpty(out), next, nil
}

// filteredFinder is a Finder that narrows and orders in the index query
// itself (catalog/search), so a filtered or sorted page reads only what it
// shows instead of over-fetching finderCap hits and filtering them.
type filteredFinder interface {
	FindFiltered(ctx context.Context, q string, f search.Filter, limit int) ([]string, error)
}

// browseFound lists the listed products among the Finder's hits, in
// relevance or another published order, paged by offset.
func (s *Service) browseFound(ctx context.Context, b BrowseQuery, categories []string, where []string, args []any, check func(*ListItem) (bool, error)) ([]ListItem, string, error) {
	offset := 0
	if b.Cursor != "" {
		parts, err := decodeCursor(b.Cursor, 2)
		if err != nil || parts[0] != "o" {
			return nil, "", errBadCursor
		}
		if offset, err = strconv.Atoi(parts[1]); err != nil || offset < 0 {
			return nil, "", errBadCursor
		}
	}
	ff, pushdown := s.Finder.(filteredFinder)
	// need is what this page must see: the products before it, its own,
	// and one more to tell whether a next page exists.
	need := offset + b.Limit + 1
	ask := finderCap
	if pushdown {
		ask = min(need, finderCap)
	}
	var all []ListItem
	for {
		var ids []string
		var err error
		if pushdown {
			ids, err = ff.FindFiltered(ctx, b.Q, search.Filter{CategoryIDs: categories, SellerID: b.SellerID,
				MinPrice: b.MinPrice, MaxPrice: b.MaxPrice, Sort: b.Sort}, ask)
		} else {
			ids, err = s.Finder.Find(ctx, b.Q, ask)
		}
		if err != nil {
			return nil, "", fmt.Errorf("catalog: search: %w", err)
		}
		if all, err = s.foundItems(ctx, b, ids, where, args, check, !pushdown); err != nil {
			return nil, "", err
		}
		// Hits the purchasability check dropped (a seller who may not
		// trade now) leave the page short: ask again for more.
		if len(all) >= need || len(ids) < ask || ask >= finderCap {
			break
		}
		ask = min(ask*4, finderCap)
	}
	if offset > len(all) {
		offset = len(all)
	}
	page := all[offset:]
	next := ""
	if len(page) > b.Limit {
		page = page[:b.Limit]
		next = encodeCursor("o", strconv.Itoa(offset+b.Limit))
	}
	if err := s.decorate(ctx, page); err != nil {
		return nil, "", err
	}
	return orEmpty(page), next, nil
}

// foundItems reads the hits ids as list items that pass where and check,
// in the Finder's order, or sorted by b.Sort when the Finder did not sort.
func (s *Service) foundItems(ctx context.Context, b BrowseQuery, ids []string, where []string, args []any, check func(*ListItem) (bool, error), sortHere bool) ([]ListItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args = slices.Clone(args)
	rank := map[string]int{}
	var ph []string
	for i, id := range ids {
		if _, dup := rank[id]; !dup {
			rank[id] = i
			args = append(args, id)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
	}
	where = slices.Clone(where)
	for i, c := range where {
		if c == listedCond {
			where[i] = "p.status || '' = 'listed'"
		}
	}
	where = append(where, "o.id = p.organization_id", "p.id IN ("+strings.Join(ph, ", ")+")")
	// Look the hits up by id. SQLite without statistics would otherwise
	// start from the approved organisations and read every listed product
	// of each through products_org (JOIN), or walk products_price for
	// status = 'listed': CROSS JOIN keeps products outermost and the
	// expression keeps the status condition off the indexes (measured:
	// 500-900 ms → a few ms for a page at 100,000 products).
	rows, err := s.db.Query(ctx, `SELECT `+listColsByID+` WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: browse found: %w", err)
	}
	found, err := scanItems(rows)
	if err != nil {
		return nil, err
	}
	var all []ListItem
	for i := range found {
		ok, err := check(&found[i])
		if err != nil {
			return nil, err
		}
		if ok {
			found[i].rank = rank[found[i].ID]
			all = append(all, found[i])
		}
	}
	slices.SortFunc(all, func(x, y ListItem) int {
		if sortHere {
			switch b.Sort {
			case SortPriceAsc:
				if c := compareInt(x.MinPrice.Amount, y.MinPrice.Amount); c != 0 {
					return c
				}
			case SortPriceDesc:
				if c := compareInt(y.MinPrice.Amount, x.MinPrice.Amount); c != 0 {
					return c
				}
			case SortNewest:
				if c := y.listedAt.Compare(x.listedAt); c != 0 {
					return c
				}
			}
		}
		return x.rank - y.rank
	})
	return all, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orEmpty(xs []ListItem) []ListItem {
	if xs == nil {
		return []ListItem{}
	}
	return xs
}

// decorate adds stock state and the reference price of the cheapest SKU.
func (s *Service) decorate(ctx context.Context, xs []ListItem) error {
	if len(xs) == 0 {
		return nil
	}
	idx := map[string]int{}
	var ph []string
	var args []any
	for i, it := range xs {
		idx[it.ID] = i
		args = append(args, it.ID)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	rows, err := s.db.Query(ctx, `SELECT s.id, s.product_id, s.price_fen, s.reference_price_fen, COALESCE(l.on_hand - l.reserved, 0)
		FROM skus s LEFT JOIN stock_levels l ON l.sku_id = s.id WHERE s.product_id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("catalog: list stock: %w", err)
	}
	type line struct {
		sku skuRow
		pid string
		ref sql.NullInt64
	}
	var lines []line
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.sku.id, &l.pid, &l.sku.price, &l.ref, &l.sku.available); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	skus := make([]skuRow, len(lines))
	for i, l := range lines {
		skus[i] = l.sku
	}
	if err := s.sellable(ctx, skus); err != nil {
		return err
	}
	for i, l := range lines {
		pid, price, ref, available := l.pid, l.sku.price, l.ref, skus[i].available
		it := &xs[idx[pid]]
		it.InStock = it.InStock || available > 0
		if price == it.MinPrice.Amount && ref.Valid && (it.ReferencePrice == nil || ref.Int64 > it.ReferencePrice.Amount) {
			it.ReferencePrice = cnyPtr(&ref.Int64)
		}
	}
	return nil
}

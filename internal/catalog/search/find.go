package search

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gbmall/internal/platform/db"
)

// maxQueryGrams bounds the grams of one query; a longer query keeps its
// first grams, which must still all match. A search box rarely holds more
// than a dozen.
const maxQueryGrams = 32

// walkFrom returns the number of products every gram must be in before
// Find walks the newest listings instead of reading posting lists (see the
// package comment): a walk reads about limit × catalogue ÷ matches index
// entries, the posting lists matches × product rows.
func (ix *Index) walkFrom(limit int) int {
	if ix.walkMin > 0 {
		return ix.walkMin
	}
	return max(1000, 10*limit)
}

// maxWalkLimit bounds the answers Find walks for: PostgreSQL estimates a
// walk's cost in proportion to its limit, and past about 10,000 that
// estimate switches on JIT compilation, which costs more than the query.
const maxWalkLimit = 1000

// Find returns up to limit ids of listed products that have every gram of
// q, the best first: titles containing q as typed (ignoring case), then the
// newest listings (listed_at, then id, descending). A query of one gram
// ("手机", "pro") is contained in every title it matches, so its hits are
// simply newest first. A query without grams finds nothing.
func (ix *Index) Find(ctx context.Context, q string, limit int) ([]string, error) {
	return ix.FindFiltered(ctx, q, Filter{}, limit)
}

// Filter narrows and orders FindFiltered's answer in the same statement,
// so a caller asking for a page of a category or a price range never reads
// the matches it would throw away.
type Filter struct {
	// CategoryIDs, when not empty, are the categories allowed (a category
	// and its subcategories).
	CategoryIDs []string
	// SellerID, when set, is the one seller allowed.
	SellerID string
	// MinPrice and MaxPrice bound products.min_price_fen; 0 means no bound.
	MinPrice, MaxPrice int64
	// Sort is "relevance" (the default), "newest", "price_asc" or
	// "price_desc"; the last three break ties by id in the same direction.
	Sort string
}

func (f Filter) narrows() bool {
	return len(f.CategoryIDs) > 0 || f.SellerID != "" || f.MinPrice > 0 || f.MaxPrice > 0
}

// where appends the filter's conditions on products p.
func (f Filter) where(b *sqlBuilder) {
	if len(f.CategoryIDs) > 0 {
		b.WriteString(` AND p.category_id IN (`)
		for i, c := range f.CategoryIDs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(b.arg(c))
		}
		b.WriteString(`)`)
	}
	if f.SellerID != "" {
		b.WriteString(` AND p.organization_id = ` + b.arg(f.SellerID))
	}
	if f.MinPrice > 0 {
		b.WriteString(` AND p.min_price_fen >= ` + b.arg(f.MinPrice))
	}
	if f.MaxPrice > 0 {
		b.WriteString(` AND p.min_price_fen <= ` + b.arg(f.MaxPrice))
	}
}

// order returns the ORDER BY keys of a sort other than relevance.
func (f Filter) order() string {
	switch f.Sort {
	case "price_asc":
		return `p.min_price_fen ASC, p.id ASC`
	case "price_desc":
		return `p.min_price_fen DESC, p.id DESC`
	}
	return `p.listed_at DESC, p.id DESC`
}

// walkScan bounds the products a filtered walk reads before it gives up
// and reads the posting lists instead: a narrow filter can leave few
// matches among the newest (or cheapest) products.
const walkScan = 4000

// FindFiltered is Find narrowed by f and in f's order.
func (ix *Index) FindFiltered(ctx context.Context, q string, f Filter, limit int) ([]string, error) {
	gs := QueryGrams(q)
	if len(gs) == 0 || limit <= 0 {
		return nil, nil
	}
	if len(gs) > maxQueryGrams {
		gs = gs[:maxQueryGrams]
	}
	threshold := ix.walkFrom(min(limit, maxWalkLimit))
	counts, err := ix.counts(ctx, gs, threshold)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(gs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return counts[a] - counts[b] })
	rarest, commonest := counts[order[0]], counts[order[len(order)-1]]
	if rarest == 0 {
		return nil, nil
	}
	byRarity := make([]string, len(gs))
	for i, o := range order {
		byRarity[i] = gs[o]
	}
	phrase := ""
	if len(gs) > 1 && (f.Sort == "" || f.Sort == "relevance") {
		phrase = likeContains(q)
	}
	// Walk only when the phrase is likely in most matching titles: a lone
	// Han run ("智能手机"), not words a title holds apart ("官方 pro").
	if ix.walkMin >= 0 && limit <= maxWalkLimit && rarest >= threshold && (phrase == "" || tokenCount(q) == 1) {
		ids, complete, err := ix.walk(ctx, byRarity, phrase, f, limit)
		if err != nil || complete {
			return ids, err
		}
	}
	return ix.postings(ctx, byRarity, phrase, f, limit, rarest*4 <= commonest)
}

// walk reads listed products in the answer's order (newest first through
// products_newest, by price through products_price_id) and keeps those
// having every gram, stopping at limit: cheap when the grams are common.
// With a phrase the answer is complete only if every product found
// contains it (then no older one can rank above them) or if the walk saw
// every match; otherwise the caller falls back to the posting lists. A
// filtered walk reads at most walkScan products, and is incomplete if it
// stops there short of limit.
func (ix *Index) walk(ctx context.Context, gs []string, phrase string, f Filter, limit int) ([]string, bool, error) {
	var b sqlBuilder
	b.WriteString(`SELECT p.id, `)
	if phrase != "" {
		b.WriteString(`CASE WHEN lower(p.title) LIKE ` + b.arg(phrase) + ` ESCAPE '\' THEN 1 ELSE 0 END`)
	} else {
		b.WriteString(`1`)
	}
	narrow := f.narrows()
	if narrow {
		b.WriteString(` FROM (SELECT p.id, p.title, p.listed_at, p.min_price_fen FROM products p WHERE p.status = 'listed'`)
		f.where(&b)
		b.WriteString(` ORDER BY ` + f.order() + ` LIMIT ` + b.arg(walkScan) + `) p WHERE TRUE`)
	} else {
		b.WriteString(` FROM products p WHERE p.status = 'listed'`)
	}
	// OFFSET keeps PostgreSQL from turning the probes into a semi-join,
	// which would read every match before sorting them.
	for _, s := range gs {
		b.WriteString(` AND EXISTS (SELECT 1 FROM search_grams g WHERE g.gram = ` + b.arg(s) + ` AND g.product_id = p.id LIMIT 1 OFFSET 0)`)
	}
	b.WriteString(` ORDER BY ` + f.order() + ` LIMIT ` + b.arg(limit))
	rows, err := ix.db.Query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, false, fmt.Errorf("search: find: %w", err)
	}
	defer rows.Close()
	var exact, other []string
	for rows.Next() {
		var id string
		var contains int
		if err := rows.Scan(&id, &contains); err != nil {
			return nil, false, fmt.Errorf("search: find: %w", err)
		}
		if contains == 1 {
			exact = append(exact, id)
		} else {
			other = append(other, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search: find: %w", err)
	}
	if len(other) > 0 && len(exact)+len(other) == limit {
		return nil, false, nil
	}
	if narrow && len(exact)+len(other) < limit {
		// The scan may have stopped at walkScan before the matches ran
		// out; the posting lists know.
		return nil, false, nil
	}
	return append(exact, other...), true, nil
}

// postings intersects the grams' posting lists (the primary key of
// search_grams), then reads and ranks the matching products. Grouping the
// postings of all grams is best when they are of similar size; when one is
// far rarer, probing the others for each of its products is.
func (ix *Index) postings(ctx context.Context, gs []string, phrase string, f Filter, limit int, rarestFirst bool) ([]string, error) {
	var b sqlBuilder
	switch {
	case len(gs) == 1 || rarestFirst:
		// One row per product: (gram, product_id) is the primary key.
		b.WriteString(`SELECT p.id FROM search_grams g`)
		for i := range gs[1:] {
			b.WriteString(` CROSS JOIN search_grams x` + strconv.Itoa(i))
		}
		ix.joinProducts(&b)
		b.WriteString(` WHERE g.gram = ` + b.arg(gs[0]))
		for i, s := range gs[1:] {
			x := "x" + strconv.Itoa(i)
			b.WriteString(` AND ` + x + `.gram = ` + b.arg(s) + ` AND ` + x + `.product_id = g.product_id`)
		}
	default:
		b.WriteString(`SELECT p.id FROM (SELECT product_id FROM search_grams WHERE gram IN (`)
		for i, s := range gs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(b.arg(s))
		}
		b.WriteString(`) GROUP BY product_id HAVING count(*) = ` + b.arg(len(gs)) + `) g`)
		ix.joinProducts(&b)
		b.WriteString(` WHERE TRUE`)
	}
	if ix.db.Dialect() != db.Postgres {
		b.WriteString(` AND p.id = g.product_id AND p.status = 'listed'`)
	}
	f.where(&b)
	b.WriteString(` ORDER BY `)
	if phrase != "" {
		b.WriteString(`CASE WHEN lower(p.title) LIKE ` + b.arg(phrase) + ` ESCAPE '\' THEN 0 ELSE 1 END, `)
	}
	b.WriteString(f.order() + ` LIMIT ` + b.arg(limit))
	return ix.ids(ctx, &b)
}

// joinProducts joins the listed products to the postings g, looking each
// one up by id. The engines need telling: SQLite's planner, without
// statistics, would rather walk products_price_id and probe the postings,
// and CROSS JOIN makes it join in the order written; PostgreSQL's default
// costs prefer hashing the whole products table (about 40 ms at 100,000
// products on two cores) over a thousand index look-ups (about 5 ms), and a
// LATERAL subquery it cannot flatten (OFFSET 0) makes it look up.
func (ix *Index) joinProducts(b *sqlBuilder) {
	if ix.db.Dialect() == db.Postgres {
		b.WriteString(` CROSS JOIN LATERAL (SELECT p.id, p.title, p.listed_at, p.min_price_fen, p.category_id, p.organization_id FROM products p WHERE p.id = g.product_id AND p.status = 'listed' OFFSET 0) p`)
		return
	}
	b.WriteString(` CROSS JOIN products p`)
}

func (ix *Index) ids(ctx context.Context, b *sqlBuilder) ([]string, error) {
	rows, err := ix.db.Query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("search: find: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search: find: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: find: %w", err)
	}
	return ids, nil
}

// counts returns how many index entries each gram has, counting no
// further than upTo: enough to tell rare grams from common ones at the
// cost of at most upTo index entries per gram.
func (ix *Index) counts(ctx context.Context, gs []string, upTo int) ([]int, error) {
	var b sqlBuilder
	for i, s := range gs {
		if i > 0 {
			b.WriteString(` UNION ALL `)
		}
		b.WriteString(`SELECT ` + strconv.Itoa(i) + `, (SELECT count(*) FROM (SELECT 1 FROM search_grams WHERE gram = ` + b.arg(s) + ` LIMIT ` + strconv.Itoa(upTo) + `) c)`)
	}
	rows, err := ix.db.Query(ctx, b.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("search: count grams: %w", err)
	}
	defer rows.Close()
	counts := make([]int, len(gs))
	for rows.Next() {
		var i, n int
		if err := rows.Scan(&i, &n); err != nil {
			return nil, fmt.Errorf("search: count grams: %w", err)
		}
		counts[i] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: count grams: %w", err)
	}
	return counts, nil
}

// likeContains returns the LIKE pattern (escape character \) matching
// strings that contain s, lower-cased like the title it is compared with.
func likeContains(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.Map(fold, s)))
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// sqlBuilder accumulates a statement and its arguments, numbering the
// placeholders in the order they are written.
type sqlBuilder struct {
	strings.Builder
	args []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

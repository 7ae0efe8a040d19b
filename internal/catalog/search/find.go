package search

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Sort orders search results (R-5.3-5: by relevance, price or sales).
type Sort string

// The orders Search offers.
const (
	// SortRelevance puts products whose title contains the query as typed
	// first, then the newest listings.
	SortRelevance Sort = ""
	SortNewest    Sort = "newest"
	SortPriceAsc  Sort = "price_asc"
	SortPriceDesc Sort = "price_desc"
	SortSales     Sort = "sales"
)

// Query is a search with its filters.
type Query struct {
	Text string
	// CategoryIDs keeps products in any of these categories (the caller
	// expands a category to its leaves); empty means all.
	CategoryIDs []string
	// MinPriceFen and MaxPriceFen bound products.min_price_fen; 0 means
	// unbounded.
	MinPriceFen, MaxPriceFen int64
	Sort                     Sort
	Limit, Offset            int
}

// maxQueryGrams bounds the grams of one query; a longer query is cut (its
// first grams must still all match). A search box rarely holds more than a
// dozen.
const maxQueryGrams = 32

// Find returns up to limit ids of listed products that have every gram of
// q, the best first: titles containing q as typed, then the newest. An empty
// query (no grams) finds nothing.
func (ix *Index) Find(ctx context.Context, q string, limit int) ([]string, error) {
	return ix.Search(ctx, Query{Text: q, Limit: limit})
}

// strategy selects how Search intersects posting lists (see the package
// comment for the measurements behind the default).
var strategy = "rarest"

// Search runs q: products with status 'listed' having every gram of
// q.Text, filtered and ordered as q says.
func (ix *Index) Search(ctx context.Context, q Query) ([]string, error) {
	gs := QueryGrams(q.Text)
	if len(gs) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	if len(gs) > maxQueryGrams {
		gs = gs[:maxQueryGrams]
	}
	if len(gs) > 1 && strategy == "rarest" {
		var err error
		if gs, err = ix.byRarity(ctx, gs); err != nil || gs == nil {
			return nil, err
		}
	}
	var b sqlBuilder
	if len(gs) == 1 || strategy != "group" {
		b.WriteString(`SELECT p.id FROM search_grams g JOIN products p ON p.id = g.product_id WHERE g.gram = ` + b.arg(gs[0]))
		for _, s := range gs[1:] {
			b.WriteString(` AND EXISTS (SELECT 1 FROM search_grams x WHERE x.gram = ` + b.arg(s) + ` AND x.product_id = g.product_id)`)
		}
	} else {
		b.WriteString(`SELECT p.id FROM (SELECT product_id FROM search_grams WHERE gram IN (`)
		for i, s := range gs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(b.arg(s))
		}
		b.WriteString(`) GROUP BY product_id HAVING count(*) = ` + b.arg(len(gs)) + `) g JOIN products p ON p.id = g.product_id WHERE TRUE`)
	}
	b.WriteString(` AND p.status = 'listed'`)
	if len(q.CategoryIDs) > 0 {
		b.WriteString(` AND p.category_id IN (`)
		for i, c := range q.CategoryIDs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(b.arg(c))
		}
		b.WriteString(`)`)
	}
	if q.MinPriceFen > 0 {
		b.WriteString(` AND p.min_price_fen >= ` + b.arg(q.MinPriceFen))
	}
	if q.MaxPriceFen > 0 {
		b.WriteString(` AND p.min_price_fen <= ` + b.arg(q.MaxPriceFen))
	}
	switch q.Sort {
	case SortRelevance:
		b.WriteString(` ORDER BY CASE WHEN lower(p.title) LIKE ` + b.arg(likeContains(q.Text)) + ` ESCAPE '\' THEN 0 ELSE 1 END, p.listed_at DESC, p.id DESC`)
	case SortNewest:
		b.WriteString(` ORDER BY p.listed_at DESC, p.id DESC`)
	case SortPriceAsc:
		b.WriteString(` ORDER BY p.min_price_fen, p.id`)
	case SortPriceDesc:
		b.WriteString(` ORDER BY p.min_price_fen DESC, p.id DESC`)
	case SortSales:
		b.WriteString(` ORDER BY p.sales_count DESC, p.id DESC`)
	default:
		return nil, problem.Invalid(problem.Field("sort", i18n.T("排序方式无效", "unknown sort order")))
	}
	b.WriteString(` LIMIT ` + b.arg(q.Limit))
	if q.Offset > 0 {
		b.WriteString(` OFFSET ` + b.arg(q.Offset))
	}
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

// rarityCap bounds the index entries counted per gram when choosing which
// gram drives a query: beyond it a gram is common, and counting further
// would cost more than it saves.
const rarityCap = 2000

// byRarity returns gs ordered from the rarest gram to the most common, or
// nil when one of them is in no product (then nothing can match). Counts
// stop at rarityCap.
func (ix *Index) byRarity(ctx context.Context, gs []string) ([]string, error) {
	var b sqlBuilder
	for i, s := range gs {
		if i > 0 {
			b.WriteString(` UNION ALL `)
		}
		b.WriteString(`SELECT ` + strconv.Itoa(i) + `, (SELECT count(*) FROM (SELECT 1 FROM search_grams WHERE gram = ` + b.arg(s) + ` LIMIT ` + strconv.Itoa(rarityCap) + `) c)`)
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
	order := make([]int, len(gs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return counts[a] - counts[b] })
	if counts[order[0]] == 0 {
		return nil, nil
	}
	out := make([]string, len(gs))
	for i, o := range order {
		out[i] = gs[o]
	}
	return out, nil
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

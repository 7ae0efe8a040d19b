package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// SKUInfo is what an order needs to know about a SKU it sells: the price
// everyone pays now (R-6.4-10), the product version bought (R-6.3-2), the
// seller and the category's after-sales rule and commission.
type SKUInfo struct {
	SKUID          string            `json:"sku_id"`
	Code           string            `json:"code"`
	Attributes     map[string]string `json:"attributes"`
	Price          Money             `json:"price"`
	ReferencePrice *Money            `json:"reference_price,omitempty"`
	ProductID      string            `json:"product_id"`
	ProductVersion int               `json:"product_version"`
	Title          string            `json:"title"`
	CategoryID     string            `json:"category_id"`
	Returnable7d   bool              `json:"returnable_7d"`
	CommissionBP   int               `json:"commission_bp"`
	SellerID       string            `json:"seller_id"`
	SellerName     string            `json:"seller_name"`
}

// Purchasable returns SKU skuID if it may be bought at now: its product is
// listed, its category is not prohibited, and its seller may trade and
// holds in force every licence the category needs (R-5.4-8). Licence
// dates are read on this call, so a lapsed licence stops sales at once.
// It does not look at stock; reserving stock is the inventory's job.
func (s *Service) Purchasable(ctx context.Context, skuID string, now time.Time) (*SKUInfo, error) {
	if !id.Valid(skuID) {
		return nil, problem.NotFoundError()
	}
	q := s.db.Reader(ctx)
	var info SKUInfo
	var attrs string
	var ref sql.NullInt64
	var status Status
	var treeVersion int64
	var blockers int
	// One round trip: the SKU, the seller's standing (R-5.4-8) and the
	// version of the category tree held in memory.
	err := q.QueryRowContext(ctx, `SELECT s.id, s.code, s.attributes, s.price_fen, s.reference_price_fen, p.id, p.version, p.title,
		p.category_id, p.status, p.organization_id, o.name, (SELECT version FROM catalog_versions WHERE name = 'categories'),
		`+s.orgs.TradeBlockersSQL("p.organization_id", 2)+`
		FROM skus s JOIN products p ON p.id = s.product_id JOIN organizations o ON o.id = p.organization_id WHERE s.id = $1`, skuID, day(now)).
		Scan(&info.SKUID, &info.Code, &attrs, &info.Price.Amount, &ref, &info.ProductID, &info.ProductVersion, &info.Title,
			&info.CategoryID, &status, &info.SellerID, &info.SellerName, &treeVersion, &blockers)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: purchasable: %w", err)
	}
	info.Price.Currency = Currency
	info.ReferencePrice = cnyPtr(nullInt(ref))
	if err := json.Unmarshal([]byte(attrs), &info.Attributes); err != nil {
		return nil, fmt.Errorf("catalog: sku attributes: %w", err)
	}
	if status != StatusListed {
		return nil, ErrNotListed
	}
	t, err := s.cachedTree(ctx, q, treeVersion)
	if err != nil {
		return nil, err
	}
	if err := s.tradeCheckKnown(ctx, t, info.SellerID, info.CategoryID, now, blockers == 0); err != nil {
		return nil, err
	}
	c, _ := t.effective(info.CategoryID)
	info.Returnable7d, info.CommissionBP = c.Returnable7d, c.CommissionBP
	return &info, nil
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

// cachedTree returns the category tree at version v (catalog_versions,
// bumped by triggers on any change to the categories or their licence
// rules), reading it again only when v is not the version held. The tree
// is read after v was, so the tree held is never older than its version.
func (s *Service) cachedTree(ctx context.Context, q db.Querier, v int64) (*tree, error) {
	if c := s.trees.Load(); c != nil && c.version == v {
		return c.tree, nil
	}
	t, err := s.loadTree(ctx, q)
	if err != nil {
		return nil, err
	}
	if db.TxFrom(ctx) == nil { // a tree read in a transaction may not commit
		s.trees.Store(&versionedTree{version: v, tree: t})
	}
	return t, nil
}

type versionedTree struct {
	version int64
	tree    *tree
}

// day is now's date in Beijing, as licence dates are kept.
func day(now time.Time) string { return now.In(clock.Shanghai).Format(time.DateOnly) }

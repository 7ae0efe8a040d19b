package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
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
	infos, errs, err := s.PurchasableMany(ctx, s.db.Reader(ctx), []string{skuID}, now)
	if err != nil {
		return nil, err
	}
	if err := errs[skuID]; err != nil {
		return nil, err
	}
	return infos[skuID], nil
}

// PurchasableMany is Purchasable for several SKUs at once, read through q
// (a transaction, when the caller is in one) in one statement: the SKUs,
// their sellers' standing (R-5.4-8) and the version of the category tree
// held in memory. Each SKU gets its info or its error.
func (s *Service) PurchasableMany(ctx context.Context, q db.Querier, skuIDs []string, now time.Time) (map[string]*SKUInfo, map[string]error, error) {
	infos := make(map[string]*SKUInfo, len(skuIDs))
	errs := map[string]error{}
	args := []any{day(now)}
	for _, sku := range skuIDs {
		if !id.Valid(sku) {
			errs[sku] = problem.NotFoundError()
			continue
		}
		args = append(args, sku)
	}
	if len(args) == 1 {
		return infos, errs, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.code, s.attributes, s.price_fen, s.reference_price_fen, p.id, p.version, p.title,
		p.category_id, p.status, p.organization_id, o.name, (SELECT version FROM catalog_versions WHERE name = 'categories'),
		`+s.orgs.TradeBlockersSQL("p.organization_id", 1)+`
		FROM skus s JOIN products p ON p.id = s.product_id JOIN organizations o ON o.id = p.organization_id
		WHERE s.id IN (`+db.Marks(len(args)-1, 2)+`)`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: purchasable: %w", err)
	}
	type found struct {
		info     *SKUInfo
		status   Status
		version  int64
		blockers int
	}
	var all []found
	for rows.Next() {
		var f found
		var info SKUInfo
		var attrs string
		var ref sql.NullInt64
		if err := rows.Scan(&info.SKUID, &info.Code, &attrs, &info.Price.Amount, &ref, &info.ProductID, &info.ProductVersion, &info.Title,
			&info.CategoryID, &f.status, &info.SellerID, &info.SellerName, &f.version, &f.blockers); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("catalog: purchasable: %w", err)
		}
		info.Price.Currency = Currency
		info.ReferencePrice = cnyPtr(nullInt(ref))
		if err := json.Unmarshal([]byte(attrs), &info.Attributes); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("catalog: sku attributes: %w", err)
		}
		f.info = &info
		all = append(all, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, f := range all {
		info := f.info
		if f.status != StatusListed {
			errs[info.SKUID] = ErrNotListed
			continue
		}
		t, err := s.cachedTree(ctx, q, f.version)
		if err != nil {
			return nil, nil, err
		}
		if err := s.tradeCheckKnown(ctx, t, info.SellerID, info.CategoryID, now, f.blockers == 0); err != nil {
			if _, ok := problem.As(err); !ok {
				return nil, nil, err
			}
			errs[info.SKUID] = err
			continue
		}
		c, _ := t.effective(info.CategoryID)
		info.Returnable7d, info.CommissionBP = c.Returnable7d, c.CommissionBP
		infos[info.SKUID] = info
	}
	for _, sku := range skuIDs {
		if infos[sku] == nil && errs[sku] == nil {
			errs[sku] = problem.NotFoundError()
		}
	}
	return infos, errs, nil
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

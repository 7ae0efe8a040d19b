package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
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
	c, err := s.CheckPurchasable(ctx, s.db.Reader(ctx), []string{skuID}, now, false)
	if err != nil {
		return nil, err
	}
	if err := c.Errs[skuID]; err != nil {
		return nil, err
	}
	return c.Infos[skuID], nil
}

// Check is the catalogue's word on several SKUs and the stamp it holds
// under: the sum of the versions of everything it read (catalog_versions:
// the category tree, and the SKUs, listings, sellers and licences —
// migrations 0012 and 0014). Any committed change to what it read raises
// the stamp, so a check whose stamp equals the stamp a transaction reads
// (StampStep) is as good as one made in that transaction. Its infos are
// shared: read them, never change them.
type Check struct {
	Infos map[string]*SKUInfo
	Errs  map[string]error
	Stamp int64
}

// stampSQL reads the stamp.
const stampSQL = `(SELECT COALESCE(SUM(version), 0) FROM catalog_versions WHERE name IN ('categories', 'trade'))`

// StampStep reads the stamp into dst, as a step of a transaction's
// pipeline.
func (s *Service) StampStep(dst *int64) db.Step {
	return db.Step{SQL: `SELECT ` + stampSQL, Row: func(scan func(...any) error) error { return scan(dst) }}
}

// CheckPurchasable is Purchasable for several SKUs at once, read through q
// (a transaction, when the caller is in one) in one statement — the SKUs,
// their sellers' standing (R-5.4-8), the version of the category tree held
// in memory and the stamp — each SKU with its info or its error. With
// cached, and outside a transaction, it answers from the SKUs this process
// found purchasable under the newest stamp it has seen, on the same
// Beijing day, when it holds every one of them — no round trip. The
// caller must then hold the answer against the stamp of the transaction
// that acts on it: a stamp seen since means the answer may be out of date.
func (s *Service) CheckPurchasable(ctx context.Context, q db.Querier, skuIDs []string, now time.Time, cached bool) (Check, error) {
	_, inTx := q.(*db.Tx)
	inTx = inTx || db.TxFrom(ctx) != nil
	if cached && !inTx {
		if c, ok := s.held.lookup(skuIDs, day(now)); ok {
			return c, nil
		}
	}
	c, err := s.checkPurchasable(ctx, q, skuIDs, now)
	if err == nil && !inTx {
		// An answer read in a transaction may see its uncommitted writes:
		// never kept.
		s.held.keep(c, day(now))
	}
	return c, err
}

// SeenStamp tells the catalogue a stamp read by a transaction that has
// not written catalogue tables: answers held under an older one are
// dropped.
func (s *Service) SeenStamp(stamp int64) { s.held.see(stamp) }

func (s *Service) checkPurchasable(ctx context.Context, q db.Querier, skuIDs []string, now time.Time) (Check, error) {
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
		return Check{Infos: infos, Errs: errs}, nil
	}
	// The stamp is read in the same statement as the rows, so the rows
	// are never older than it.
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.code, s.attributes, s.price_fen, s.reference_price_fen, p.id, p.version, p.title,
		p.category_id, p.status, p.organization_id, o.name, (SELECT version FROM catalog_versions WHERE name = 'categories'), `+stampSQL+`,
		`+s.orgs.TradeBlockersSQL("p.organization_id", 1)+`
		FROM skus s JOIN products p ON p.id = s.product_id JOIN organizations o ON o.id = p.organization_id
		WHERE s.id IN (`+db.Marks(len(args)-1, 2)+`)`, args...)
	if err != nil {
		return Check{}, fmt.Errorf("catalog: purchasable: %w", err)
	}
	type found struct {
		info     *SKUInfo
		status   Status
		version  int64
		blockers int
	}
	var all []found
	var stamp int64
	for rows.Next() {
		var f found
		var info SKUInfo
		var attrs string
		var ref sql.NullInt64
		if err := rows.Scan(&info.SKUID, &info.Code, &attrs, &info.Price.Amount, &ref, &info.ProductID, &info.ProductVersion, &info.Title,
			&info.CategoryID, &f.status, &info.SellerID, &info.SellerName, &f.version, &stamp, &f.blockers); err != nil {
			rows.Close()
			return Check{}, fmt.Errorf("catalog: purchasable: %w", err)
		}
		info.Price.Currency = Currency
		info.ReferencePrice = cnyPtr(nullInt(ref))
		if err := json.Unmarshal([]byte(attrs), &info.Attributes); err != nil {
			rows.Close()
			return Check{}, fmt.Errorf("catalog: sku attributes: %w", err)
		}
		f.info = &info
		all = append(all, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Check{}, err
	}
	for _, f := range all {
		info := f.info
		if f.status != StatusListed {
			errs[info.SKUID] = ErrNotListed
			continue
		}
		t, err := s.cachedTree(ctx, q, f.version)
		if err != nil {
			return Check{}, err
		}
		if err := s.tradeCheckKnown(ctx, t, info.SellerID, info.CategoryID, now, f.blockers == 0); err != nil {
			if _, ok := problem.As(err); !ok {
				return Check{}, err
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
	if len(all) == 0 {
		stamp = -1 // nothing read: no stamp to hold it under
	}
	return Check{Infos: infos, Errs: errs, Stamp: stamp}, nil
}

// heldChecks are the purchasable SKUs this process found under the newest
// stamp it has seen, on one Beijing day, at most heldMax of them.
type heldChecks struct {
	mu    sync.RWMutex
	stamp int64
	day   string
	skus  map[string]*SKUInfo
}

const heldMax = 50000

func (h *heldChecks) lookup(skuIDs []string, day string) (Check, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.day != day || len(skuIDs) == 0 {
		return Check{}, false
	}
	infos := make(map[string]*SKUInfo, len(skuIDs))
	for _, sku := range skuIDs {
		info := h.skus[sku]
		if info == nil {
			return Check{}, false
		}
		infos[sku] = info
	}
	return Check{Infos: infos, Errs: map[string]error{}, Stamp: h.stamp}, true
}

// keep holds c's purchasable SKUs, unless a newer stamp was seen.
func (h *heldChecks) keep(c Check, day string) {
	if c.Stamp <= 0 || len(c.Infos) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Stamp < h.stamp {
		return
	}
	if c.Stamp > h.stamp || day != h.day || h.skus == nil || len(h.skus)+len(c.Infos) > heldMax {
		h.stamp, h.day, h.skus = c.Stamp, day, make(map[string]*SKUInfo, len(c.Infos))
	}
	for sku, info := range c.Infos {
		h.skus[sku] = info
	}
}

func (h *heldChecks) see(stamp int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if stamp > h.stamp {
		h.stamp, h.skus = stamp, nil
	}
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

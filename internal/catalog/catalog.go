// Package catalog owns what is sold on the platform: the category tree and
// the qualifications each category needs (R-5.4-8), claim screening
// (R-6.4-13), products with their SKUs and every version of a listing
// (R-6.3-2), the listing workflow and moderation (R-5.5-1), prices with
// their history and the reference-price rule (R-6.4-8, R-6.4-9), and the
// public product list and page. Search lives in catalog/search behind the
// Indexer and Finder interfaces declared here.
//
// Tables: categories, category_qualifications, claim_terms, products,
// product_versions, skus, price_changes; it reads sku_sales (written by
// orders) and stock_levels (kept by inventory).
package catalog

import (
	"context"
	"sync/atomic"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// OrgChecker answers whether a seller may trade now and holds a licence
// (satisfied by *org.Service). Both read the licence dates on every call,
// so a lapsed licence stops listings and sales at once.
type OrgChecker interface {
	CanTrade(ctx context.Context, orgID string, now time.Time) error
	HasQualification(ctx context.Context, orgID, code string, now time.Time) (bool, error)
	// TradeBlockersSQL is CanTrade as a SQL expression counting what stops
	// the organisation in column orgCol trading on day $dayParam; zero
	// means it may trade.
	TradeBlockersSQL(orgCol string, dayParam int) string
}

// Indexer keeps the search index in the caller's transaction, so a product
// is findable exactly while it is listed (implemented by catalog/search).
type Indexer interface {
	IndexTx(ctx context.Context, tx *db.Tx, productID string, texts ...string) error
	RemoveTx(ctx context.Context, tx *db.Tx, productID string) error
}

// Finder answers a free-text query with product ids, most relevant first
// (implemented by catalog/search).
type Finder interface {
	Find(ctx context.Context, q string, limit int) ([]string, error)
}

// Service is the catalogue domain.
type Service struct {
	db    *db.DB
	clock clock.Clock
	trail *audit.Trail
	orgs  OrgChecker
	// Indexer, when set, is told in the same transaction whenever a
	// product becomes listed, changes its text while listed, or leaves
	// listed. Set it before serving; nil means no index.
	Indexer Indexer
	// Finder, when set, answers the q parameter of the public list;
	// without it q matches titles by substring.
	Finder Finder
	// Stock, when set, tells sellable stock (inventory: on hand less
	// reserved less expired or frozen batches); without it stock_levels'
	// on hand less reserved is shown.
	Stock StockReader

	trees atomic.Pointer[versionedTree] // the category tree orders read (purchasable.go)
	held  heldChecks                    // SKUs found purchasable, under their stamp (purchasable.go)
}

// StockReader tells how many units of each SKU can be sold now
// (implemented by inventory).
type StockReader interface {
	AvailableMany(ctx context.Context, skuIDs []string) (map[string]int, error)
}

// sellable replaces the stock figures of rows with the inventory's
// sellable stock, so expired or frozen goods never show as in stock
// (R-6.4-11).
func (s *Service) sellable(ctx context.Context, rows []skuRow) error {
	if s.Stock == nil || len(rows) == 0 {
		return nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	avail, err := s.Stock.AvailableMany(ctx, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].available = int64(avail[rows[i].id])
	}
	return nil
}

// NewService returns the catalogue service.
func NewService(d *db.DB, c clock.Clock, trail *audit.Trail, orgs OrgChecker) *Service {
	return &Service{db: d, clock: c, trail: trail, orgs: orgs}
}

// Currency is the only currency the platform prices in.
const Currency = "CNY"

// MaxPriceFen bounds every price: 999,999,999.99 yuan.
const MaxPriceFen int64 = 99_999_999_999

// Money is an amount in fen with its currency; never a float.
type Money struct {
	Amount   int64  `json:"amount" doc:"minor units (fen)"`
	Currency string `json:"currency" doc:"CNY"`
}

// CNY returns fen as Money.
func CNY(fen int64) Money { return Money{Amount: fen, Currency: Currency} }

func cnyPtr(fen *int64) *Money {
	if fen == nil {
		return nil
	}
	m := CNY(*fen)
	return &m
}

// Status is a product's place in the listing workflow.
type Status string

// The listing workflow: draft → listed ⇄ delisted; pending_review when the
// category or a screening rule wants a reviewer; removed by the platform,
// from where only review brings a product back.
const (
	StatusDraft         Status = "draft"
	StatusPendingReview Status = "pending_review"
	StatusListed        Status = "listed"
	StatusDelisted      Status = "delisted"
	StatusRemoved       Status = "removed"
)

func invalidTransition(from Status, zh, en string) error {
	return problem.New(problem.InvalidTransition, i18n.T("商品当前状态（"+string(from)+"）不能"+zh, "A product in status "+string(from)+" cannot be "+en))
}

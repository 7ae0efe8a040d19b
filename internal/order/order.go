// Package order owns checkout and orders (GB/T 31524 §6.6, §5.5): the
// consumer's cart, the confirmation quote, orders with their immutable
// e-contract snapshots, stock reservation through the inventory, and the
// order state machine — the only place an order's status changes.
// Payments, delivery and after-sales move orders by firing events through
// Service.FireTx and learn of changes through listeners.
package order

import (
	"context"
	"log/slog"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Catalog is what checkout needs of the catalogue: whether a SKU may be
// bought now, at what price, from whom.
type Catalog interface {
	Purchasable(ctx context.Context, skuID string, now time.Time) (*catalog.SKUInfo, error)
	// CheckPurchasable is the catalogue's word on several SKUs, with the
	// stamp it holds under; cached lets it answer from memory.
	CheckPurchasable(ctx context.Context, q db.Querier, skuIDs []string, now time.Time, cached bool) (catalog.Check, error)
	// StampStep reads the catalogue's stamp in a transaction's pipeline;
	// SeenStamp reports one read by a transaction that wrote no catalogue
	// table.
	StampStep(dst *int64) db.Step
	SeenStamp(stamp int64)
}

// Stock moves an order's stock inside the order's own transaction.
type Stock interface {
	ReserveTx(ctx context.Context, tx *db.Tx, lines []inventory.Line, orderID string) error
	PlanBatch(tx *db.Tx, skus []string) *inventory.BatchPlan
	ReleaseTx(ctx context.Context, tx *db.Tx, lines []inventory.Line, orderID string) error
	CommitSaleTx(ctx context.Context, tx *db.Tx, lines []inventory.Line, orderID string) error
	ReturnTx(ctx context.Context, tx *db.Tx, lines []inventory.Line, orderID string) error
	AvailableMany(ctx context.Context, skuIDs []string) (map[string]int, error)
}

// Change is one transition, as listeners see it: inside the transaction
// that makes it, before commit.
type Change struct {
	Order *Order
	From  Status
	To    Status
	Event Event
	Actor string
}

// Listener reacts to a transition inside its transaction; an error rolls
// the transition back. The payments domain closes trades, refunds and
// settles through listeners.
type Listener func(ctx context.Context, tx *db.Tx, c Change) error

// PaymentRef is how an order shows its payments (the payments domain
// fills it in).
type PaymentRef struct {
	ID             string        `json:"id"`
	Status         string        `json:"status"`
	Amount         catalog.Money `json:"amount"`
	RefundedAmount catalog.Money `json:"refunded_amount"`
}

// Service is checkout and orders.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	trail   *audit.Trail
	keys    *fieldcrypt.Keyring
	catalog Catalog
	stock   Stock

	// QuoteTTL is how long a confirmation quote holds (R-6.6-3).
	QuoteTTL time.Duration
	// PayWindow is how long an order waits for payment (R-6.6-7).
	PayWindow time.Duration
	// AcceptWindow is how long a paid order waits for the seller (R-6.6-8).
	AcceptWindow time.Duration
	// Terms returns the transaction terms in force (tests swap it).
	Terms func() Terms
	// Payments lists an order's payments; nil until the payments domain
	// is wired.
	Payments func(ctx context.Context, orderID string) ([]PaymentRef, error)

	// Log receives what no request can be told (a failed batch).
	Log *slog.Logger

	listeners []Listener
	batch     batcher
	serials   serialPool
	quotes    heldQuotes
}

// NewService builds the order service with the standard windows: quotes 15
// minutes, payment 30 minutes, seller acceptance 24 hours.
func NewService(d *db.DB, c clock.Clock, trail *audit.Trail, keys *fieldcrypt.Keyring, cat Catalog, stock Stock) *Service {
	return &Service{db: d, clock: c, trail: trail, keys: keys, catalog: cat, stock: stock,
		QuoteTTL: 15 * time.Minute, PayWindow: 30 * time.Minute, AcceptWindow: 24 * time.Hour, Terms: CurrentTerms, Log: slog.Default()}
}

// OnChange registers a listener for every transition. Call at start-up.
func (s *Service) OnChange(l Listener) { s.listeners = append(s.listeners, l) }

// quoteExpired is 409 quote-expired with the reason.
func quoteExpired(zh, en string) error {
	return problem.New(problem.QuoteExpired, i18n.T(zh, en))
}

// consumer returns the signed-in caller who shops.
func consumer(ctx context.Context) (*identity.Principal, error) {
	p, err := identity.RequireSignedIn(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.APIKeyID != "" {
		return nil, problem.New(problem.Forbidden, i18n.T("API 密钥不能代表消费者下单", "An API key cannot shop for a consumer"))
	}
	return p, nil
}

func actorOf(ctx context.Context) string {
	if p := identity.PrincipalFrom(ctx); p != nil {
		return p.ActorID()
	}
	return audit.ActorFrom(ctx).AccountID
}

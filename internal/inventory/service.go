package inventory

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Service is the inventory domain.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	trail    *audit.Trail
	keys     *fieldcrypt.Keyring
	onFrozen func(ctx context.Context, tx *db.Tx, receiptID string, orderIDs []string) error
}

// NewService returns the inventory service.
func NewService(d *db.DB, c clock.Clock, trail *audit.Trail, keys *fieldcrypt.Keyring) *Service {
	return &Service{db: d, clock: c, trail: trail, keys: keys}
}

// OnBatchFrozen registers fn to run in the freeze's transaction with the
// orders that drew units from the frozen batch, so the order domain (which
// inventory may not import) can flag them (R-6.4-12). Call it at start-up.
func (s *Service) OnBatchFrozen(fn func(ctx context.Context, tx *db.Tx, receiptID string, orderIDs []string) error) {
	s.onFrozen = fn
}

// Line is a quantity of one SKU in an order.
type Line struct {
	SKUID    string
	Quantity int
}

// Errors of this package. They are problem values, so errors.Is matches on
// the code and the edges render them as problem+json.
var (
	// ErrOutOfStock is returned by ReserveTx when a line cannot be covered;
	// the returned error also carries "sku_ids" naming every short SKU
	// (R-6.4-6).
	ErrOutOfStock = problem.New(problem.OutOfStock, i18n.T("库存不足", "Not enough stock"))
	// ErrNotReserved is returned when an order releases or sells more of a
	// SKU than it holds reserved.
	ErrNotReserved = problem.New(problem.Conflict, i18n.T("该订单未预留这么多库存", "The order does not hold that much reserved stock"))
	// ErrNotSold is returned when an order returns more of a SKU than it bought.
	ErrNotSold = problem.New(problem.Conflict, i18n.T("退回数量超过该订单的售出数量", "More units returned than the order bought"))
)

// OutOfStock is 409 out-of-stock naming the short SKUs.
func OutOfStock(skuIDs []string) error {
	e := problem.New(problem.OutOfStock, i18n.T("库存不足："+strings.Join(skuIDs, ", "), "Not enough stock for: "+strings.Join(skuIDs, ", ")))
	return e.With("sku_ids", skuIDs)
}

// actorID names who moved stock on a ledger row.
func actorID(ctx context.Context) string {
	if p := identity.PrincipalFrom(ctx); p != nil {
		return p.ActorID()
	}
	return audit.ActorFrom(ctx).AccountID
}

// today is the Shanghai calendar day of now (licences and expiry dates are
// calendar days, R-X-2).
func (s *Service) today() string { return org.Today(s.clock.Now()) }

// skuOrg returns the organisation a SKU belongs to, or not-found.
func (s *Service) skuOrg(ctx context.Context, q db.Querier, skuID string) (string, error) {
	if !id.Valid(skuID) {
		return "", problem.NotFoundError()
	}
	var orgID string
	err := q.QueryRowContext(ctx, `SELECT organization_id FROM skus WHERE id = $1`, skuID).Scan(&orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", problem.NotFoundError()
	}
	if err != nil {
		return "", fmt.Errorf("inventory: sku: %w", err)
	}
	return orgID, nil
}

// authorizeSKU lets the SKU's seller staff in; others get 404 (R-10.4-9).
func (s *Service) authorizeSKU(ctx context.Context, skuID string) (string, error) {
	if _, err := identity.RequireSignedIn(ctx, false); err != nil {
		return "", err
	}
	orgID, err := s.skuOrg(ctx, s.db.Reader(ctx), skuID)
	if err != nil {
		return "", err
	}
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return "", err
	}
	return orgID, nil
}

// skuInOrg reports whether skuID is one of orgID's SKUs.
func skuInOrg(ctx context.Context, q db.Querier, skuID, orgID string) (bool, error) {
	if !id.Valid(skuID) {
		return false, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM skus WHERE id = $1 AND organization_id = $2`, skuID, orgID).Scan(&n); err != nil {
		return false, fmt.Errorf("inventory: sku: %w", err)
	}
	return n > 0, nil
}

var (
	msgNoSuchSKU = i18n.T("本店没有这个 SKU", "No such SKU in this shop")
	msgBadDate   = i18n.T("日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD")
)

// validDate reports whether v is a calendar date YYYY-MM-DD.
func validDate(v string) bool {
	t, err := time.Parse(time.DateOnly, v)
	return err == nil && t.Format(time.DateOnly) == v
}

// text trims v and checks its length in runes.
func text(f *[]problem.FieldError, field, v string, min, max int, zh, en string) string {
	v = strings.TrimSpace(v)
	if n := utf8.RuneCountInString(v); n < min || n > max {
		*f = append(*f, problem.Field(field, i18n.T(fmt.Sprintf("%s应为 %d 到 %d 个字符", zh, min, max), fmt.Sprintf("%s must be %d to %d characters", en, min, max))))
	}
	return v
}

// Lists are ordered by id (UUIDv7, so by creation) newest first; the cursor
// is the last id seen.

func encodeCursor(lastID string) string { return base64.RawURLEncoding.EncodeToString([]byte(lastID)) }

func decodeCursor(c string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !id.Valid(string(raw)) {
		return "", problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
	}
	return string(raw), nil
}

// Page selects one page of a list.
type Page struct {
	Limit  int
	Cursor string
}

// where returns the SQL condition and argument of the cursor, numbered n.
func (p *Page) where(column string, n int) (string, []any, error) {
	if p.Limit <= 0 || p.Limit > 100 {
		p.Limit = 20
	}
	if p.Cursor == "" {
		return "", nil, nil
	}
	last, err := decodeCursor(p.Cursor)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf(" AND %s < $%d", column, n), []any{last}, nil
}

// limit is the LIMIT clause: one more than the page to know whether a next
// page exists.
func (p Page) limit() string { return fmt.Sprintf(" LIMIT %d", p.Limit+1) }

// cut trims xs to the page and returns the next cursor.
func cut[T any](xs []T, p Page, idOf func(T) string) ([]T, string) {
	if len(xs) <= p.Limit {
		return xs, ""
	}
	xs = xs[:p.Limit]
	return xs, encodeCursor(idOf(xs[len(xs)-1]))
}

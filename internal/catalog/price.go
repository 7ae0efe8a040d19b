package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// ReferenceLookback is how far back the sales that justify a reference
// price go (R-6.4-9).
const ReferenceLookback = 7 * 24 * time.Hour

// PriceInput is a SKU's whole price state: the price, and the crossed-out
// reference price (原价) or none. A reference price left out is removed,
// never carried over: every reference shown was checked when it was set.
type PriceInput struct {
	Price          Money
	ReferencePrice *Money
}

// PriceChange is one entry of a SKU's price log (R-6.4-8).
type PriceChange struct {
	ID             string    `json:"id"`
	SKUID          string    `json:"sku_id"`
	OldPrice       *Money    `json:"old_price"`
	NewPrice       Money     `json:"new_price"`
	ReferencePrice *Money    `json:"reference_price"`
	ActorID        string    `json:"actor_id"`
	At             time.Time `json:"at"`
}

type skuOwner struct {
	productID, orgID string
}

func (s *Service) loadSKUOwner(ctx context.Context, q db.Querier, skuID string, lock bool) (*skuOwner, error) {
	if !id.Valid(skuID) {
		return nil, problem.NotFoundError()
	}
	query := `SELECT product_id, organization_id FROM skus WHERE id = $1`
	if tx, ok := q.(*db.Tx); ok && lock && tx.Dialect() == db.Postgres {
		query += ` FOR UPDATE`
	}
	var o skuOwner
	err := q.QueryRowContext(ctx, query, skuID).Scan(&o.productID, &o.orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	return &o, err
}

func recordPriceTx(ctx context.Context, tx *db.Tx, skuID string, old *int64, price int64, reference *int64, actor string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO price_changes (id, sku_id, old_price_fen, new_price_fen, reference_price_fen, actor_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id.New(), skuID, old, price, reference, actor, at); err != nil {
		return fmt.Errorf("catalog: record price change: %w", err)
	}
	return nil
}

// MaxReferencePrice is the highest reference price SKU skuID may show at
// now (R-6.4-9): the lowest price it actually sold at in the 7 days before
// now; with no sale in those days, its last sale price; with no sale ever,
// none (nil).
func (s *Service) MaxReferencePrice(ctx context.Context, skuID string, now time.Time) (*int64, error) {
	return maxReferenceTx(ctx, s.db.Reader(ctx), skuID, now)
}

func maxReferenceTx(ctx context.Context, q db.Querier, skuID string, now time.Time) (*int64, error) {
	var lowest sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MIN(unit_price_fen) FROM sku_sales WHERE sku_id = $1 AND sold_at > $2 AND sold_at <= $3`,
		skuID, now.Add(-ReferenceLookback), now).Scan(&lowest); err != nil {
		return nil, fmt.Errorf("catalog: recent sales: %w", err)
	}
	if lowest.Valid {
		return &lowest.Int64, nil
	}
	var last int64
	err := q.QueryRowContext(ctx, `SELECT unit_price_fen FROM sku_sales WHERE sku_id = $1 AND sold_at <= $2 ORDER BY sold_at DESC, id DESC LIMIT 1`,
		skuID, now).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: last sale: %w", err)
	}
	return &last, nil
}

func (in PriceInput) validate() error {
	var f []problem.FieldError
	validMoney(&f, "price", in.Price)
	if r := in.ReferencePrice; r != nil {
		validMoney(&f, "reference_price", *r)
		if r.Amount <= in.Price.Amount {
			f = append(f, problem.Field("reference_price.amount", i18n.T("划线价须高于售价", "The reference price must be above the price")))
		}
	}
	if len(f) > 0 {
		return problem.Invalid(f...)
	}
	return nil
}

func referenceTooHigh(allowed *int64) error {
	if allowed == nil {
		return problem.New(problem.ReferencePriceHigh, i18n.T("该规格尚无成交记录，不能标示划线价（原价）",
			"This SKU has never sold, so it cannot show a reference price")).With("max_allowed", nil)
	}
	return problem.New(problem.ReferencePriceHigh, i18n.T(
		fmt.Sprintf("划线价不得高于前 7 日内最低成交价（无成交则为最近一次成交价）：%s 元", yuan(*allowed)),
		fmt.Sprintf("The reference price may not exceed the lowest price sold at in the previous 7 days (or else the last sale price): CNY %s", yuan(*allowed)))).
		With("max_allowed", *allowed)
}

func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// SetPrice sets a SKU's price and reference price (seller staff). Every
// change is logged with actor and time (R-6.4-8) and makes a new version
// of the product; the product's headline price follows in the same
// transaction. A reference price must be honest (R-6.4-9) and above the
// price; one that is not is refused, never adjusted.
func (s *Service) SetPrice(ctx context.Context, skuID string, in PriceInput) (*SKU, error) {
	if identity.PrincipalFrom(ctx) == nil {
		return nil, identity.ErrUnauthenticated
	}
	owner, err := s.loadSKUOwner(ctx, s.db.Reader(ctx), skuID, false)
	if err != nil {
		return nil, err
	}
	p, err := identity.Authorize(ctx, identity.PermCatalogManage, owner.orgID)
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var ref *int64
	if in.ReferencePrice != nil {
		ref = &in.ReferencePrice.Amount
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := s.loadSKUOwner(ctx, tx, skuID, true); err != nil {
			return err
		}
		now := s.now()
		if ref != nil {
			allowed, err := maxReferenceTx(ctx, tx, skuID, now)
			if err != nil {
				return err
			}
			if allowed == nil || *ref > *allowed {
				return referenceTooHigh(allowed)
			}
		}
		var old int64
		var oldRef sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT price_fen, reference_price_fen FROM skus WHERE id = $1`, skuID).Scan(&old, &oldRef); err != nil {
			return err
		}
		if old == in.Price.Amount && (ref == nil) == !oldRef.Valid && (ref == nil || *ref == oldRef.Int64) {
			return nil // nothing changes, nothing to log
		}
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET price_fen = $1, reference_price_fen = $2, updated_at = $3 WHERE id = $4`,
			in.Price.Amount, ref, now, skuID); err != nil {
			return fmt.Errorf("catalog: set price: %w", err)
		}
		if err := recordPriceTx(ctx, tx, skuID, &old, in.Price.Amount, ref, p.ActorID(), now); err != nil {
			return err
		}
		// The list and the page read this one headline price (R-5.5-5).
		if _, err := tx.ExecContext(ctx, `UPDATE products SET min_price_fen = (SELECT MIN(price_fen) FROM skus WHERE product_id = $1),
			version = version + 1, updated_at = $2 WHERE id = $1`, owner.productID, now); err != nil {
			return fmt.Errorf("catalog: headline price: %w", err)
		}
		if err := s.snapshotTx(ctx, tx, owner.productID, p.ActorID()); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "sku.price_change", ObjectType: "sku", ObjectID: skuID,
			Details: map[string]any{"product_id": owner.productID, "old_price_fen": old, "new_price_fen": in.Price.Amount, "reference_price_fen": ref}})
	})
	if err != nil {
		return nil, err
	}
	prod, err := s.view(ctx, owner.productID)
	if err != nil {
		return nil, err
	}
	for _, k := range prod.SKUs {
		if k.ID == skuID {
			return &k, nil
		}
	}
	return nil, problem.NotFoundError()
}

// PriceHistory lists a SKU's price changes, newest first, for its seller's
// staff and platform staff (R-6.4-8).
func (s *Service) PriceHistory(ctx context.Context, skuID string, limit int, cursor string) ([]PriceChange, string, error) {
	if identity.PrincipalFrom(ctx) == nil {
		return nil, "", identity.ErrUnauthenticated
	}
	owner, err := s.loadSKUOwner(ctx, s.db.Reader(ctx), skuID, false)
	if err != nil {
		return nil, "", err
	}
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, owner.orgID); err != nil {
		if _, err2 := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err2 != nil {
			return nil, "", err
		}
	}
	limit = pageSize(limit)
	where, args := []string{"sku_id = $1"}, []any{skuID}
	if cursor != "" {
		parts, err := decodeCursor(cursor, 2)
		if err != nil {
			return nil, "", err
		}
		at, err := parseCursorTime(parts[0])
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, parts[1])
		where = append(where, "(at < $2 OR (at = $2 AND id < $3))")
	}
	rows, err := s.db.Query(ctx, `SELECT id, old_price_fen, new_price_fen, reference_price_fen, actor_id, at FROM price_changes
		WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT %d`, limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: price history: %w", err)
	}
	defer rows.Close()
	out := []PriceChange{}
	for rows.Next() {
		c := PriceChange{SKUID: skuID}
		var old, ref sql.NullInt64
		var price int64
		if err := rows.Scan(&c.ID, &old, &price, &ref, &c.ActorID, &c.At); err != nil {
			return nil, "", err
		}
		c.NewPrice = CNY(price)
		if old.Valid {
			c.OldPrice = cnyPtr(&old.Int64)
		}
		if ref.Valid {
			c.ReferencePrice = cnyPtr(&ref.Int64)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1].At.UTC().Format(time.RFC3339Nano), out[limit-1].ID)
	}
	return out, next, nil
}

package order

import (
	"context"
	"fmt"
	"time"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// maxCartLines bounds a cart.
const maxCartLines = 100

// CartLine is one cart line with the live price and stock state: the cart
// never shows a stale price (R-6.4-10).
type CartLine struct {
	SKUID        string            `json:"sku_id"`
	ProductID    string            `json:"product_id,omitempty"`
	Title        string            `json:"title,omitempty"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	SellerID     string            `json:"seller_id,omitempty"`
	SellerName   string            `json:"seller_name,omitempty"`
	Quantity     int               `json:"quantity"`
	UnitPrice    *catalog.Money    `json:"unit_price,omitempty"`
	LineTotal    *catalog.Money    `json:"line_total,omitempty"`
	Available    int               `json:"available" doc:"units in stock now"`
	Purchasable  bool              `json:"purchasable" doc:"on sale now (listed, seller's licences in force)"`
	State        string            `json:"state" enum:"ok,short,unavailable" doc:"ok; short: fewer in stock than wanted; unavailable: not on sale"`
	Returnable7d bool              `json:"returnable_7d"`
	AddedAt      time.Time         `json:"added_at"`
}

// Cart is the consumer's cart.
type Cart struct {
	Lines []CartLine    `json:"items"`
	Total catalog.Money `json:"total" doc:"goods of the lines that can be bought now, before shipping"`
}

// Cart returns the signed-in consumer's cart. It lives in the database, so
// it survives logging out and in.
func (s *Service) Cart(ctx context.Context) (*Cart, error) {
	p, err := consumer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT sku_id, quantity, added_at FROM cart_items WHERE account_id = $1 ORDER BY added_at, sku_id`, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("order: cart: %w", err)
	}
	c := &Cart{Lines: []CartLine{}, Total: catalog.CNY(0)}
	for rows.Next() {
		var l CartLine
		if err := rows.Scan(&l.SKUID, &l.Quantity, &l.AddedAt); err != nil {
			rows.Close()
			return nil, err
		}
		l.AddedAt = l.AddedAt.UTC()
		c.Lines = append(c.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(c.Lines))
	for i, l := range c.Lines {
		ids[i] = l.SKUID
	}
	avail, err := s.stock.AvailableMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for i := range c.Lines {
		l := &c.Lines[i]
		l.Available = avail[l.SKUID]
		l.State = "unavailable"
		info, err := s.catalog.Purchasable(ctx, l.SKUID, now)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				return nil, err
			}
			continue
		}
		l.ProductID, l.Title, l.Attributes, l.SellerID, l.SellerName = info.ProductID, info.Title, info.Attributes, info.SellerID, info.SellerName
		price, total := info.Price, catalog.CNY(info.Price.Amount*int64(l.Quantity))
		l.UnitPrice, l.LineTotal, l.Purchasable, l.Returnable7d = &price, &total, true, info.Returnable7d
		l.State = "ok"
		if l.Available < l.Quantity {
			l.State = "short"
			continue
		}
		c.Total.Amount += total.Amount
	}
	return c, nil
}

func validCartInput(skuID string, qty int, allowZero bool) error {
	var fs []problem.FieldError
	if !id.Valid(skuID) {
		fs = append(fs, problem.Field("sku_id", i18n.T("商品规格不存在", "No such SKU")))
	}
	min := 1
	if allowZero {
		min = 0
	}
	if qty < min || qty > maxQuantity {
		fs = append(fs, problem.Field("quantity", i18n.T(fmt.Sprintf("数量应在 %d 到 %d 之间", min, maxQuantity), fmt.Sprintf("Quantity must be %d to %d", min, maxQuantity))))
	}
	if len(fs) > 0 {
		return problem.Invalid(fs...)
	}
	return nil
}

// AddToCart adds qty of a SKU that is on sale now (adding to a line already
// there).
func (s *Service) AddToCart(ctx context.Context, skuID string, qty int) (*Cart, error) {
	p, err := consumer(ctx)
	if err != nil {
		return nil, err
	}
	if err := validCartInput(skuID, qty, false); err != nil {
		return nil, err
	}
	if _, err := s.catalog.Purchasable(ctx, skuID, s.clock.Now()); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var have, lines int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN sku_id = $1 THEN quantity ELSE 0 END), 0), COUNT(*) FROM cart_items WHERE account_id = $2`,
			skuID, p.AccountID).Scan(&have, &lines); err != nil {
			return err
		}
		if have == 0 && lines >= maxCartLines {
			return problem.Newf(problem.Conflict, "购物车最多 %d 种商品", "A cart holds at most %d different items", maxCartLines)
		}
		if have+qty > maxQuantity {
			return problem.Invalid(problem.Field("quantity", i18n.T(fmt.Sprintf("同一商品最多 %d 件", maxQuantity), fmt.Sprintf("At most %d of one item", maxQuantity))))
		}
		if have > 0 {
			_, err := tx.ExecContext(ctx, `UPDATE cart_items SET quantity = quantity + $1, updated_at = $2 WHERE account_id = $3 AND sku_id = $4`, qty, now, p.AccountID, skuID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cart_items (account_id, sku_id, quantity, added_at, updated_at) VALUES ($1, $2, $3, $4, $4)`, p.AccountID, skuID, qty, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Cart(ctx)
}

// SetCartQuantity sets a line's quantity; 0 removes it.
func (s *Service) SetCartQuantity(ctx context.Context, skuID string, qty int) (*Cart, error) {
	p, err := consumer(ctx)
	if err != nil {
		return nil, err
	}
	if err := validCartInput(skuID, qty, true); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		if qty == 0 {
			res, err = tx.ExecContext(ctx, `DELETE FROM cart_items WHERE account_id = $1 AND sku_id = $2`, p.AccountID, skuID)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE cart_items SET quantity = $1, updated_at = $2 WHERE account_id = $3 AND sku_id = $4`, qty, s.clock.Now().UTC(), p.AccountID, skuID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFoundError()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Cart(ctx)
}

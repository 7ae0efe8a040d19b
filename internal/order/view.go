package order

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Line is one line of an order as bought.
type Line struct {
	LineNo         int               `json:"line_no"`
	SKUID          string            `json:"sku_id"`
	ProductID      string            `json:"product_id"`
	ProductVersion int               `json:"product_version"`
	Title          string            `json:"title"`
	Attributes     map[string]string `json:"attributes"`
	UnitPrice      catalog.Money     `json:"unit_price"`
	Quantity       int               `json:"quantity"`
	LineTotal      catalog.Money     `json:"line_total"`
	Returnable7d   bool              `json:"returnable_7d"`
	CommissionBP   int               `json:"commission_bp" doc:"the platform's commission on this line, basis points"`
}

// StatusChange is one transition.
type StatusChange struct {
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to"`
	Event  string    `json:"event"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// ContractRef is how an order points to its e-contract.
type ContractRef struct {
	SHA256       string `json:"sha256"`
	TermsVersion string `json:"terms_version"`
	URL          string `json:"url"`
}

// Order is an order as its consumer, its seller and platform staff see it.
type Order struct {
	ID           string         `json:"id"`
	Number       string         `json:"number"`
	Status       Status         `json:"status"`
	AccountID    string         `json:"-"`
	SellerID     string         `json:"seller_id"`
	SellerName   string         `json:"seller_name"`
	Lines        []Line         `json:"lines"`
	ItemsTotal   catalog.Money  `json:"items_total"`
	Shipping     catalog.Money  `json:"shipping"`
	Total        catalog.Money  `json:"total"`
	Address      Address        `json:"address" doc:"in full for the consumer who placed the order, masked for everyone else"`
	PlacedAt     time.Time      `json:"placed_at"`
	PayBefore    time.Time      `json:"pay_before"`
	PaidAt       *time.Time     `json:"paid_at,omitempty"`
	AcceptBefore *time.Time     `json:"accept_before,omitempty"`
	CancelReason string         `json:"cancel_reason,omitempty"`
	RefundDue    bool           `json:"refund_due" doc:"cancelled after payment: the full amount is owed back"`
	UpdatedAt    time.Time      `json:"updated_at"`
	History      []StatusChange `json:"history"`
	Contract     ContractRef    `json:"contract"`
	Payments     []PaymentRef   `json:"payments"`

	addressEnc string
}

const orderCols = `o.id, o.number, o.status, o.account_id, o.seller_id, g.name, o.items_fen, o.shipping_fen, o.total_fen, o.placed_at, o.pay_before,
	o.paid_at, o.accept_before, o.cancel_reason, o.refund_due, o.updated_at, o.contract_sha256, o.terms_version, o.address_enc`

func scanOrder(sc interface{ Scan(...any) error }) (*Order, error) {
	var o Order
	var paid, acceptBefore sql.NullTime
	err := sc.Scan(&o.ID, &o.Number, &o.Status, &o.AccountID, &o.SellerID, &o.SellerName, &o.ItemsTotal.Amount, &o.Shipping.Amount, &o.Total.Amount,
		&o.PlacedAt, &o.PayBefore, &paid, &acceptBefore, &o.CancelReason, &o.RefundDue, &o.UpdatedAt, &o.Contract.SHA256, &o.Contract.TermsVersion, &o.addressEnc)
	if err != nil {
		return nil, err
	}
	o.ItemsTotal.Currency, o.Shipping.Currency, o.Total.Currency = catalog.Currency, catalog.Currency, catalog.Currency
	o.PlacedAt, o.PayBefore, o.UpdatedAt = o.PlacedAt.UTC(), o.PayBefore.UTC(), o.UpdatedAt.UTC()
	if paid.Valid {
		t := paid.Time.UTC()
		o.PaidAt = &t
	}
	if acceptBefore.Valid {
		t := acceptBefore.Time.UTC()
		o.AcceptBefore = &t
	}
	o.Contract.URL = "/api/v1/orders/" + o.ID + "/contract"
	o.Payments = []PaymentRef{}
	return &o, nil
}

// lockOrder loads an order for a transition, locking its row on
// PostgreSQL (SQLite's single writer already excludes others).
func (s *Service) lockOrder(ctx context.Context, tx *db.Tx, orderID string) (*Order, error) {
	if !id.Valid(orderID) {
		return nil, problem.NotFoundError()
	}
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE OF o"
	}
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders o JOIN organizations g ON g.id = o.seller_id WHERE o.id = $1`+lock, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("order: lock: %w", err)
	}
	if err := s.loadLines(ctx, tx, []*Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// load reads an order with its lines and history.
func (s *Service) load(ctx context.Context, q db.Querier, orderID string) (*Order, error) {
	if !id.Valid(orderID) {
		return nil, problem.NotFoundError()
	}
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders o JOIN organizations g ON g.id = o.seller_id WHERE o.id = $1`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("order: load: %w", err)
	}
	if err := s.loadLines(ctx, q, []*Order{o}); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT from_status, to_status, event, actor_id, reason, at FROM order_status_history WHERE order_id = $1 ORDER BY at, id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	o.History = []StatusChange{}
	for rows.Next() {
		var h StatusChange
		if err := rows.Scan(&h.From, &h.To, &h.Event, &h.Actor, &h.Reason, &h.At); err != nil {
			return nil, err
		}
		h.At = h.At.UTC()
		o.History = append(o.History, h)
	}
	return o, rows.Err()
}

func (s *Service) loadLines(ctx context.Context, q db.Querier, os []*Order) error {
	if len(os) == 0 {
		return nil
	}
	byID := map[string]*Order{}
	args := make([]any, len(os))
	ph := make([]string, len(os))
	for i, o := range os {
		byID[o.ID] = o
		o.Lines = []Line{}
		args[i] = o.ID
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT order_id, line_no, sku_id, product_id, product_version, title, attributes, unit_price_fen, quantity, line_fen,
		returnable_7d, commission_bp FROM order_lines WHERE order_id IN (`+strings.Join(ph, ", ")+`) ORDER BY order_id, line_no`, args...)
	if err != nil {
		return fmt.Errorf("order: lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		var oid, attrs string
		if err := rows.Scan(&oid, &l.LineNo, &l.SKUID, &l.ProductID, &l.ProductVersion, &l.Title, &attrs, &l.UnitPrice.Amount, &l.Quantity,
			&l.LineTotal.Amount, &l.Returnable7d, &l.CommissionBP); err != nil {
			return err
		}
		l.UnitPrice.Currency, l.LineTotal.Currency = catalog.Currency, catalog.Currency
		_ = json.Unmarshal([]byte(attrs), &l.Attributes)
		byID[oid].Lines = append(byID[oid].Lines, l)
	}
	return rows.Err()
}

// access decides who may read order o: the consumer who placed it, the
// seller's staff, and platform staff with the supervision permission.
// Anyone else gets 404. It reports whether the reader is the consumer.
func access(ctx context.Context, o *Order) (own bool, err error) {
	p := identity.PrincipalFrom(ctx)
	if p == nil {
		return false, identity.ErrUnauthenticated
	}
	if p.APIKeyID == "" && p.AccountID == o.AccountID {
		return true, nil
	}
	if p.Can(identity.PermSuperviseRead, "") || p.Can(identity.PermOrdersManage, o.SellerID) {
		return false, nil
	}
	return false, problem.NotFoundError()
}

// reveal fills in the address: whole for its owner, masked for others.
func (s *Service) reveal(o *Order, own bool) error {
	plain, err := s.keys.Decrypt(o.addressEnc, "orders.address|"+o.ID)
	if err != nil {
		return err
	}
	var a Address
	if err := json.Unmarshal([]byte(plain), &a); err != nil {
		return err
	}
	if own {
		o.Address = a
	} else {
		o.Address = a.Masked()
	}
	return nil
}

// present fills in what a reader sees beyond the row: the address (whole
// for its owner, masked for others) and the payments.
func (s *Service) present(ctx context.Context, o *Order, own bool) (*Order, error) {
	if err := s.reveal(o, own); err != nil {
		return nil, err
	}
	if s.Payments != nil {
		ps, err := s.Payments(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		o.Payments = ps
	}
	return o, nil
}

// Get returns order orderID to those allowed to see it. Platform staff
// reads are audited (R-5.5-7).
func (s *Service) Get(ctx context.Context, orderID string) (*Order, error) {
	o, err := s.load(ctx, s.db.Reader(ctx), orderID)
	if err != nil {
		return nil, err
	}
	own, err := access(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := s.auditStaffRead(ctx, o, own, "order.view"); err != nil {
		return nil, err
	}
	return s.present(ctx, o, own)
}

// auditStaffRead records a platform staff member's read of an order.
func (s *Service) auditStaffRead(ctx context.Context, o *Order, own bool, action string) error {
	p := identity.PrincipalFrom(ctx)
	if own || p == nil || !p.HasKind(identity.KindPlatform) && !p.HasKind(identity.KindRegulator) {
		return nil
	}
	return s.trail.Record(ctx, s.db, audit.Event{Action: action, ObjectType: "order", ObjectID: o.ID, Details: map[string]any{"number": o.Number}})
}

// Contract returns the e-contract bytes exactly as stored, with their
// SHA-256 (R-6.6-2).
func (s *Service) Contract(ctx context.Context, orderID string) ([]byte, string, error) {
	o, err := s.load(ctx, s.db.Reader(ctx), orderID)
	if err != nil {
		return nil, "", err
	}
	own, err := access(ctx, o)
	if err != nil {
		return nil, "", err
	}
	if err := s.auditStaffRead(ctx, o, own, "order.contract.view"); err != nil {
		return nil, "", err
	}
	var raw string
	if err := s.db.QueryRow(ctx, `SELECT contract FROM orders WHERE id = $1`, orderID).Scan(&raw); err != nil {
		return nil, "", err
	}
	return []byte(raw), o.Contract.SHA256, nil
}

// ParseContract decodes stored contract bytes for display.
func ParseContract(raw []byte) (*Contract, error) {
	var c Contract
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Filter narrows an order list.
type Filter struct {
	// OrganizationID lists a seller's orders (seller staff); empty lists
	// the caller's own orders as a consumer.
	OrganizationID string
	// All lists every order (platform staff with supervision.read).
	All      bool
	Status   Status
	Number   string
	SellerID string
	// RefundDue lists cancelled-after-payment orders awaiting a refund.
	RefundDue bool
	Limit     int
	Cursor    string
}

// List returns orders newest first with an opaque cursor.
func (s *Service) List(ctx context.Context, f Filter) ([]*Order, string, error) {
	p := identity.PrincipalFrom(ctx)
	if p == nil {
		return nil, "", identity.ErrUnauthenticated
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	switch {
	case f.All:
		if _, err := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err != nil {
			return nil, "", err
		}
		if f.SellerID != "" {
			where = append(where, "o.seller_id = "+arg(f.SellerID))
		}
	case f.OrganizationID != "":
		if _, err := identity.Authorize(ctx, identity.PermOrdersManage, f.OrganizationID); err != nil {
			return nil, "", err
		}
		where = append(where, "o.seller_id = "+arg(f.OrganizationID))
	default:
		if _, err := consumer(ctx); err != nil {
			return nil, "", err
		}
		where = append(where, "o.account_id = "+arg(p.AccountID))
	}
	var fs []problem.FieldError
	if f.Status != "" {
		if !f.Status.Valid() {
			fs = append(fs, problem.Field("status", i18n.T("未知的订单状态", "Unknown order status")))
		} else {
			where = append(where, "o.status = "+arg(string(f.Status)))
		}
	}
	if f.Number = strings.TrimSpace(f.Number); f.Number != "" {
		where = append(where, "o.number = "+arg(f.Number))
	}
	if f.RefundDue {
		where = append(where, "o.refund_due = TRUE")
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 100 {
		fs = append(fs, problem.Field("limit", i18n.T("每页最多 100 条", "At most 100 per page")))
	}
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || !id.Valid(string(b)) {
			fs = append(fs, problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
		} else {
			where = append(where, "o.id < "+arg(string(b)))
		}
	}
	if len(fs) > 0 {
		return nil, "", problem.Invalid(fs...)
	}
	if len(where) == 0 {
		// Staff searching every order with no filter.
		where = append(where, "TRUE")
	}
	q := `SELECT ` + orderCols + ` FROM orders o JOIN organizations g ON g.id = o.seller_id WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY o.id DESC LIMIT %d`, f.Limit+1)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("order: list: %w", err)
	}
	var out []*Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1].ID))
	}
	if err := s.loadLines(ctx, s.db.Reader(ctx), out); err != nil {
		return nil, "", err
	}
	own := !f.All && f.OrganizationID == ""
	for _, o := range out {
		if err := s.reveal(o, own); err != nil {
			return nil, "", err
		}
	}
	if f.All {
		if err := s.trail.Record(ctx, s.db, audit.Event{Action: "order.search", ObjectType: "order", ObjectID: "",
			Details: map[string]any{"status": string(f.Status), "number": f.Number, "seller_id": f.SellerID, "results": len(out)}}); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

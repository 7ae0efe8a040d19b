package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// SKUInput is one saleable variant of a new product.
type SKUInput struct {
	Code       string
	Attributes map[string]string
	Price      Money
}

// ProductInput is what a seller writes about a product. SKUs are read only
// when the product is created; prices change through SetPrice.
type ProductInput struct {
	Title             string
	CategoryID        string
	Description       string
	StandardCode      string
	CertificateNumber string
	SKUs              []SKUInput
}

// richText keeps the formatting of user-written HTML and drops scripts,
// styles, event handlers and javascript: links.
var richText = bluemonday.UGCPolicy()

// Limits of a product's fields.
const (
	MaxSKUs           = 100
	MaxAttributes     = 10
	maxDescriptionLen = 50_000
)

var (
	skuCodePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	standardPattern = regexp.MustCompile(`^[\p{Han}A-Za-z0-9][\p{Han}A-Za-z0-9 ./:()（）-]{1,59}$`)
	certPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 /-]{3,59}$`)
)

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) })
}

// validateText checks and normalises the text fields of a product and its
// category, listing every invalid field.
func (in *ProductInput) validateText(t *tree) []problem.FieldError {
	var f []problem.FieldError
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 120 || hasControl(in.Title) {
		f = append(f, problem.Field("title", i18n.T("标题应为 4 到 120 个字符，且不含控制字符", "title must be 4 to 120 characters without control characters")))
	}
	in.Description = strings.TrimSpace(richText.Sanitize(in.Description))
	if n := utf8.RuneCountInString(in.Description); n < 1 || n > maxDescriptionLen {
		f = append(f, problem.Field("description", i18n.T("请填写商品描述（不超过 50000 个字符）", "description is required (at most 50000 characters)")))
	}
	in.StandardCode = strings.TrimSpace(in.StandardCode)
	if in.StandardCode != "" && !standardPattern.MatchString(in.StandardCode) {
		f = append(f, problem.Field("standard_code", i18n.T("执行标准号格式不正确，如 GB/T 22849-2014", "standard_code is not a standard number such as GB/T 22849-2014")))
	}
	in.CertificateNumber = strings.TrimSpace(in.CertificateNumber)
	if in.CertificateNumber != "" && !certPattern.MatchString(in.CertificateNumber) {
		f = append(f, problem.Field("certificate_number", i18n.T("证书编号应为 4 到 60 位字母、数字", "certificate_number must be 4 to 60 letters and digits")))
	}
	in.CategoryID = strings.TrimSpace(in.CategoryID)
	if c, ok := t.effective(in.CategoryID); !ok {
		f = append(f, problem.Field("category_id", i18n.T("类目不存在", "No such category")))
	} else if !c.IsLeaf {
		f = append(f, problem.Field("category_id", i18n.T("商品须放在末级类目", "Products go in leaf categories")))
	} else if c.Prohibited {
		f = append(f, problem.Field("category_id", i18n.T("该类目商品禁止在平台销售", "Goods of this category may not be sold on the platform")))
	}
	return f
}

func validMoney(f *[]problem.FieldError, field string, m Money) {
	if m.Amount < 1 || m.Amount > MaxPriceFen {
		*f = append(*f, problem.Field(field+".amount", i18n.T("金额应为 1 到 99999999999 分", "amount must be 1 to 99999999999 fen")))
	}
	if m.Currency != Currency {
		*f = append(*f, problem.Field(field+".currency", i18n.T("币种只能为 CNY", "currency must be CNY")))
	}
}

func (in *ProductInput) validateSKUs() []problem.FieldError {
	var f []problem.FieldError
	if len(in.SKUs) < 1 || len(in.SKUs) > MaxSKUs {
		f = append(f, problem.Field("skus", i18n.T("规格数应为 1 到 100 个", "A product has 1 to 100 SKUs")))
	}
	seen := map[string]bool{}
	for i := range in.SKUs {
		k := &in.SKUs[i]
		field := fmt.Sprintf("skus[%d]", i)
		k.Code = strings.TrimSpace(k.Code)
		switch {
		case !skuCodePattern.MatchString(k.Code):
			f = append(f, problem.Field(field+".code", i18n.T("规格编码应为 1 到 64 位字母、数字、点、下划线或连字符", "code must be 1 to 64 letters, digits, dots, underscores or hyphens")))
		case seen[strings.ToLower(k.Code)]:
			f = append(f, problem.Field(field+".code", i18n.T("规格编码重复", "Duplicate SKU code")))
		}
		seen[strings.ToLower(k.Code)] = true
		if len(k.Attributes) > MaxAttributes {
			f = append(f, problem.Field(field+".attributes", i18n.T("规格属性不超过 10 项", "At most 10 attributes")))
		}
		clean := make(map[string]string, len(k.Attributes))
		for name, value := range k.Attributes {
			n, v := strings.TrimSpace(name), strings.TrimSpace(value)
			if ln, lv := utf8.RuneCountInString(n), utf8.RuneCountInString(v); ln < 1 || ln > 20 || lv < 1 || lv > 50 || hasControl(n+v) {
				f = append(f, problem.Field(field+".attributes."+name, i18n.T("属性名应为 1 到 20 个字符，属性值 1 到 50 个字符", "Attribute names are 1 to 20 characters, values 1 to 50")))
				continue
			}
			clean[n] = v
		}
		k.Attributes = clean
		validMoney(&f, field+".price", k.Price)
	}
	return f
}

func minPrice(skus []SKUInput) int64 {
	var m int64
	for i, k := range skus {
		if i == 0 || k.Price.Amount < m {
			m = k.Price.Amount
		}
	}
	return m
}

// CreateProduct creates a draft product with its SKUs (seller staff). The
// description is sanitised; the first version and the SKUs' first prices
// are recorded (R-6.3-2, R-6.4-8).
func (s *Service) CreateProduct(ctx context.Context, orgID string, in ProductInput) (*Product, error) {
	p, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID)
	if err != nil {
		return nil, err
	}
	productID := id.New()
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		if f := append(in.validateText(t), in.validateSKUs()...); len(f) > 0 {
			return problem.Invalid(f...)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, organization_id, category_id, title, description_html, standard_code,
			certificate_number, status, version, min_price_fen, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
			productID, orgID, in.CategoryID, in.Title, in.Description, in.StandardCode, in.CertificateNumber, string(StatusDraft), 1,
			minPrice(in.SKUs), now); err != nil {
			return fmt.Errorf("catalog: insert product: %w", err)
		}
		for _, k := range in.SKUs {
			skuID := id.New()
			attrs, _ := json.Marshal(k.Attributes)
			if _, err := tx.ExecContext(ctx, `INSERT INTO skus (id, product_id, organization_id, code, attributes, price_fen, currency,
				created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
				skuID, productID, orgID, k.Code, string(attrs), k.Price.Amount, Currency, now); err != nil {
				return fmt.Errorf("catalog: insert sku: %w", err)
			}
			if err := recordPriceTx(ctx, tx, skuID, nil, k.Price.Amount, nil, p.ActorID(), now); err != nil {
				return err
			}
		}
		if err := s.snapshotTx(ctx, tx, productID, p.ActorID()); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.create", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"organization_id": orgID, "category_id": in.CategoryID, "title": in.Title, "skus": len(in.SKUs)}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

// UpdateProduct changes a product's title, description, category,
// standard code and certificate number (seller staff), keeping the old
// version (R-6.3-2). Text of a listed or waiting product is screened
// again: a block term refuses the edit, a review term sends a listed
// product back to review; a listed product moved to another category must
// meet that category's rules.
func (s *Service) UpdateProduct(ctx context.Context, productID string, in ProductInput) (*Product, error) {
	cur, p, err := s.sellerProduct(ctx, productID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		old, err := loadProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		if f := in.validateText(t); len(f) > 0 {
			return problem.Invalid(f...)
		}
		textChanged := in.Title != old.title || in.Description != old.description || in.CategoryID != old.categoryID
		status, reason := old.status, old.reason
		var review []string
		if textChanged && (old.status == StatusListed || old.status == StatusPendingReview) {
			var blocked []string
			if blocked, review, err = s.screenTx(ctx, tx, t, in.CategoryID, in.Title, in.Description); err != nil {
				return err
			}
			if len(blocked) > 0 {
				return prohibitedClaim(blocked)
			}
		}
		if old.status == StatusListed {
			moved := in.CategoryID != old.categoryID
			c, _ := t.effective(in.CategoryID)
			switch {
			case moved:
				if err := s.listable(ctx, t, cur.orgID, in.CategoryID, in.CertificateNumber); err != nil {
					return err
				}
			case c.CertificateRequired && in.CertificateNumber == "":
				return errCertificateRequired()
			}
			if len(review) > 0 || (c.ReviewRequired && moved) {
				status, reason = StatusPendingReview, ""
			}
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE products SET title = $1, description_html = $2, category_id = $3, standard_code = $4,
			certificate_number = $5, status = $6, status_reason = $7, version = version + 1, updated_at = $8 WHERE id = $9`,
			in.Title, in.Description, in.CategoryID, in.StandardCode, in.CertificateNumber, string(status), reason, now, productID); err != nil {
			return fmt.Errorf("catalog: update product: %w", err)
		}
		if err := s.snapshotTx(ctx, tx, productID, p.ActorID()); err != nil {
			return err
		}
		switch {
		case status == StatusListed && textChanged:
			if err := s.indexTx(ctx, tx, t, productID); err != nil {
				return err
			}
		case old.status == StatusListed && status != StatusListed:
			if err := s.unindexTx(ctx, tx, productID); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.update", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"version": old.version + 1, "from": old.status, "to": status, "category_id": in.CategoryID,
				"title": in.Title, "review_phrases": review}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

// productRow is a product as stored.
type productRow struct {
	id, orgID, categoryID, title, description string
	standardCode, certificateNumber           string
	status                                    Status
	reason                                    string
	version                                   int
	minPrice                                  int64
	createdAt, updatedAt                      time.Time
	listedAt                                  sql.NullTime
}

const productCols = `id, organization_id, category_id, title, description_html, standard_code, certificate_number, status,
	status_reason, version, min_price_fen, created_at, updated_at, listed_at`

func scanProduct(row interface{ Scan(...any) error }) (*productRow, error) {
	var r productRow
	err := row.Scan(&r.id, &r.orgID, &r.categoryID, &r.title, &r.description, &r.standardCode, &r.certificateNumber, &r.status,
		&r.reason, &r.version, &r.minPrice, &r.createdAt, &r.updatedAt, &r.listedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	return &r, err
}

// loadProduct reads a product; lock takes the row lock on PostgreSQL
// (SQLite's single writer serialises anyway).
func loadProduct(ctx context.Context, q db.Querier, productID string, lock bool) (*productRow, error) {
	if !id.Valid(productID) {
		return nil, problem.NotFoundError()
	}
	query := `SELECT ` + productCols + ` FROM products WHERE id = $1`
	if tx, ok := q.(*db.Tx); ok && lock && tx.Dialect() == db.Postgres {
		query += ` FOR UPDATE`
	}
	return scanProduct(q.QueryRowContext(ctx, query, productID))
}

// sellerProduct loads a product for its seller's staff: another tenant's
// product is not found (R-10.4-9).
func (s *Service) sellerProduct(ctx context.Context, productID string) (*productRow, *identity.Principal, error) {
	if identity.PrincipalFrom(ctx) == nil {
		return nil, nil, identity.ErrUnauthenticated
	}
	r, err := loadProduct(ctx, s.db.Reader(ctx), productID, false)
	if err != nil {
		return nil, nil, err
	}
	p, err := identity.Authorize(ctx, identity.PermCatalogManage, r.orgID)
	if err != nil {
		return nil, nil, err
	}
	return r, p, nil
}

type snapshotSKU struct {
	ID                string            `json:"id"`
	Code              string            `json:"code"`
	Attributes        map[string]string `json:"attributes"`
	PriceFen          int64             `json:"price_fen"`
	Currency          string            `json:"currency"`
	ReferencePriceFen *int64            `json:"reference_price_fen,omitempty"`
}

type snapshot struct {
	ID                string        `json:"id"`
	Version           int           `json:"version"`
	OrganizationID    string        `json:"organization_id"`
	CategoryID        string        `json:"category_id"`
	Title             string        `json:"title"`
	Description       string        `json:"description_html"`
	StandardCode      string        `json:"standard_code"`
	CertificateNumber string        `json:"certificate_number"`
	MinPriceFen       int64         `json:"min_price_fen"`
	SKUs              []snapshotSKU `json:"skus"`
}

// snapshotTx stores the product as it now is in the transaction as its
// current version (R-6.3-2): every version stays, so an order line can
// point to what the buyer saw.
func (s *Service) snapshotTx(ctx context.Context, tx *db.Tx, productID, actor string) error {
	r, err := loadProduct(ctx, tx, productID, false)
	if err != nil {
		return err
	}
	snap := snapshot{ID: r.id, Version: r.version, OrganizationID: r.orgID, CategoryID: r.categoryID, Title: r.title,
		Description: r.description, StandardCode: r.standardCode, CertificateNumber: r.certificateNumber, MinPriceFen: r.minPrice}
	skus, err := loadSKUs(ctx, tx, productID)
	if err != nil {
		return err
	}
	for _, k := range skus {
		snap.SKUs = append(snap.SKUs, snapshotSKU{ID: k.id, Code: k.code, Attributes: k.attributes, PriceFen: k.price,
			Currency: Currency, ReferencePriceFen: k.reference})
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO product_versions (product_id, version, snapshot, created_at, created_by) VALUES ($1, $2, $3, $4, $5)`,
		productID, r.version, string(b), s.now(), actor); err != nil {
		return fmt.Errorf("catalog: store version: %w", err)
	}
	return nil
}

type skuRow struct {
	id, code   string
	attributes map[string]string
	price      int64
	reference  *int64
	available  int64
}

// loadSKUs reads a product's SKUs with their available stock: on hand
// less reserved, none when inventory has no row yet.
func loadSKUs(ctx context.Context, q db.Querier, productID string) ([]skuRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.code, s.attributes, s.price_fen, s.reference_price_fen,
		COALESCE(l.on_hand - l.reserved, 0) FROM skus s LEFT JOIN stock_levels l ON l.sku_id = s.id
		WHERE s.product_id = $1 ORDER BY s.created_at, s.id`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: load skus: %w", err)
	}
	defer rows.Close()
	var out []skuRow
	for rows.Next() {
		var k skuRow
		var attrs string
		var ref sql.NullInt64
		if err := rows.Scan(&k.id, &k.code, &attrs, &k.price, &ref, &k.available); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(attrs), &k.attributes); err != nil {
			return nil, fmt.Errorf("catalog: sku %s attributes: %w", k.id, err)
		}
		if ref.Valid {
			v := ref.Int64
			k.reference = &v
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// indexTx tells the search index the text of a listed product: its title,
// its category's names and its SKUs' attribute values.
func (s *Service) indexTx(ctx context.Context, tx *db.Tx, t *tree, productID string) error {
	if s.Indexer == nil {
		return nil
	}
	r, err := loadProduct(ctx, tx, productID, false)
	if err != nil {
		return err
	}
	texts := append([]string{r.title}, t.names(r.categoryID)...)
	skus, err := loadSKUs(ctx, tx, productID)
	if err != nil {
		return err
	}
	for _, k := range skus {
		keys := make([]string, 0, len(k.attributes))
		for name := range k.attributes {
			keys = append(keys, name)
		}
		slices.Sort(keys)
		for _, name := range keys {
			texts = append(texts, k.attributes[name])
		}
	}
	return s.Indexer.IndexTx(ctx, tx, productID, texts...)
}

func (s *Service) unindexTx(ctx context.Context, tx *db.Tx, productID string) error {
	if s.Indexer == nil {
		return nil
	}
	return s.Indexer.RemoveTx(ctx, tx, productID)
}

package catalog

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// SKU is a saleable variant as buyers and sellers see it. One price per
// SKU and moment, the same for everyone (R-6.4-10).
type SKU struct {
	ID             string            `json:"id"`
	Code           string            `json:"code"`
	Attributes     map[string]string `json:"attributes"`
	Price          Money             `json:"price"`
	ReferencePrice *Money            `json:"reference_price,omitempty" doc:"the crossed-out 原价, honest under R-6.4-9"`
	Stock          int64             `json:"stock" doc:"available now: on hand less reserved"`
	Purchasable    bool              `json:"purchasable"`
}

// Product is a product with its SKUs, its seller and its category's
// after-sales rule: the product page (R-6.3-1) and the answer of every
// action on a product.
type Product struct {
	ID                  string     `json:"id"`
	SellerID            string     `json:"seller_id"`
	SellerName          string     `json:"seller_name"`
	SellerDisclosureURL string     `json:"seller_disclosure_url" doc:"public disclosure data of the seller (licences)"`
	SellerLicenceURL    string     `json:"seller_licence_url" doc:"the storefront's licence page"`
	CategoryID          string     `json:"category_id"`
	CategoryName        string     `json:"category_name"`
	CategoryNameEN      string     `json:"category_name_en"`
	Returnable7d        bool       `json:"returnable_7d"`
	Title               string     `json:"title"`
	Description         string     `json:"description" doc:"sanitised HTML"`
	StandardCode        string     `json:"standard_code"`
	CertificateNumber   string     `json:"certificate_number"`
	Status              Status     `json:"status"`
	StatusReason        string     `json:"status_reason,omitempty"`
	Version             int        `json:"version"`
	MinPrice            Money      `json:"min_price"`
	ReferencePrice      *Money     `json:"reference_price,omitempty"`
	InStock             bool       `json:"in_stock"`
	Purchasable         bool       `json:"purchasable"`
	SKUs                []SKU      `json:"skus"`
	Images              []Image    `json:"images" doc:"in display order; the first is the main image"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ListedAt            *time.Time `json:"listed_at,omitempty"`
}

// DisclosureURL is the public disclosure data of a seller.
func DisclosureURL(orgID string) string { return "/api/v1/public/organizations/" + orgID }

// LicenceURL is the storefront page showing a seller's licences (R-5.4-9).
func LicenceURL(orgID string) string { return "/shops/" + orgID + "/licence" }

// view builds the product as it now is.
func (s *Service) view(ctx context.Context, productID string) (*Product, error) {
	q := s.db.Reader(ctx)
	r, err := loadProduct(ctx, q, productID, false)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTree(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &Product{ID: r.id, SellerID: r.orgID, SellerDisclosureURL: DisclosureURL(r.orgID), SellerLicenceURL: LicenceURL(r.orgID),
		CategoryID: r.categoryID, Title: r.title, Description: r.description, StandardCode: r.standardCode,
		CertificateNumber: r.certificateNumber, Status: r.status, StatusReason: r.reason, Version: r.version,
		MinPrice: CNY(r.minPrice), CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, SKUs: []SKU{}}
	if r.listedAt.Valid {
		at := r.listedAt.Time
		out.ListedAt = &at
	}
	if err := q.QueryRowContext(ctx, `SELECT name FROM organizations WHERE id = $1`, r.orgID).Scan(&out.SellerName); err != nil {
		return nil, fmt.Errorf("catalog: seller name: %w", err)
	}
	if c, ok := t.effective(r.categoryID); ok {
		out.CategoryName, out.CategoryNameEN, out.Returnable7d = c.Name, c.NameEN, c.Returnable7d
	}
	skus, err := loadSKUs(ctx, q, productID)
	if err != nil {
		return nil, err
	}
	if err := s.sellable(ctx, skus); err != nil {
		return nil, err
	}
	if out.Images, err = productImages(ctx, q, productID); err != nil {
		return nil, err
	}
	onSale := r.status == StatusListed && s.tradeCheck(ctx, t, r.orgID, r.categoryID, s.now()) == nil
	for _, k := range skus {
		sku := SKU{ID: k.id, Code: k.code, Attributes: k.attributes, Price: CNY(k.price), ReferencePrice: cnyPtr(k.reference),
			Stock: max(k.available, 0), Purchasable: onSale && k.available > 0}
		out.InStock = out.InStock || k.available > 0
		out.Purchasable = out.Purchasable || sku.Purchasable
		if k.price == r.minPrice && k.reference != nil && (out.ReferencePrice == nil || *k.reference > out.ReferencePrice.Amount) {
			out.ReferencePrice = cnyPtr(k.reference)
		}
		out.SKUs = append(out.SKUs, sku)
	}
	return out, nil
}

// Product returns a product page. Listed products are public; members of
// the seller and platform staff also see the others; anyone else is told
// it does not exist.
func (s *Service) Product(ctx context.Context, productID string) (*Product, error) {
	r, err := loadProduct(ctx, s.db.Reader(ctx), productID, false)
	if err != nil {
		return nil, err
	}
	if r.status != StatusListed {
		p := identity.PrincipalFrom(ctx)
		if p == nil || !(p.IsMember(r.orgID) || p.HasKind(identity.KindPlatform)) || p.MFAEnrolmentRequired {
			return nil, problem.NotFoundError()
		}
	}
	return s.view(ctx, productID)
}

// ProductSummary is a product in the seller's and the reviewers' lists.
type ProductSummary struct {
	ID            string    `json:"id"`
	SellerID      string    `json:"seller_id"`
	SellerName    string    `json:"seller_name"`
	CategoryID    string    `json:"category_id"`
	Title         string    `json:"title"`
	Status        Status    `json:"status"`
	StatusReason  string    `json:"status_reason,omitempty"`
	Version       int       `json:"version"`
	MinPrice      Money     `json:"min_price"`
	ReviewPhrases []string  `json:"review_phrases,omitempty" doc:"screening terms that sent it to review"`
	ImageURL      string    `json:"image_url,omitempty" doc:"the main image, 160 px"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func decodeCursor(c string, n int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(string(raw), "|")
	if err != nil || len(parts) != n {
		return nil, errBadCursor
	}
	return parts, nil
}

var errBadCursor = problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))

func parseCursorTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errBadCursor
	}
	return t, nil
}

// ProductFilter selects products for a seller's or a reviewer's list.
type ProductFilter struct {
	Status string
	Limit  int
	Cursor string
}

func validStatus(v string) bool {
	switch Status(v) {
	case StatusDraft, StatusPendingReview, StatusListed, StatusDelisted, StatusRemoved:
		return true
	}
	return false
}

// SellerProducts lists a seller's own products in every status, newest
// first (seller staff).
func (s *Service) SellerProducts(ctx context.Context, orgID string, f ProductFilter) ([]ProductSummary, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, "", err
	}
	return s.summaries(ctx, []string{"p.organization_id = $1"}, []any{orgID}, f, false)
}

// ReviewQueue lists products for moderation, oldest change first
// (platform reviewers; R-5.5-1). Without a status it is the review queue.
func (s *Service) ReviewQueue(ctx context.Context, f ProductFilter) ([]ProductSummary, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermReviewOrgs, ""); err != nil {
		return nil, "", err
	}
	if f.Status == "" {
		f.Status = string(StatusPendingReview)
	}
	return s.summaries(ctx, nil, nil, f, true)
}

func (s *Service) summaries(ctx context.Context, where []string, args []any, f ProductFilter, queue bool) ([]ProductSummary, string, error) {
	limit := pageSize(f.Limit)
	if f.Status != "" {
		if !validStatus(f.Status) {
			return nil, "", problem.Invalid(problem.Field("status", i18n.T("状态不正确", "Unknown status")))
		}
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("p.status = $%d", len(args)))
	}
	order, cmp, col := "p.created_at DESC, p.id DESC", "<", "p.created_at"
	if queue {
		order, cmp, col = "p.updated_at ASC, p.id ASC", ">", "p.updated_at"
	}
	if f.Cursor != "" {
		parts, err := decodeCursor(f.Cursor, 2)
		if err != nil {
			return nil, "", err
		}
		at, err := parseCursorTime(parts[0])
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, parts[1])
		where = append(where, fmt.Sprintf("(%[1]s %[2]s $%[3]d OR (%[1]s = $%[3]d AND p.id %[2]s $%[4]d))", col, cmp, len(args)-1, len(args)))
	}
	rows, err := s.db.Query(ctx, `SELECT p.id, p.organization_id, o.name, p.category_id, p.title, p.status, p.status_reason, p.version,
		p.min_price_fen, p.created_at, p.updated_at, p.description_html FROM products p JOIN organizations o ON o.id = p.organization_id
		`+whereClause(where)+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d`, limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: list products: %w", err)
	}
	out := []ProductSummary{}
	var descriptions []string
	for rows.Next() {
		var p ProductSummary
		var price int64
		var desc string
		if err := rows.Scan(&p.ID, &p.SellerID, &p.SellerName, &p.CategoryID, &p.Title, &p.Status, &p.StatusReason, &p.Version,
			&price, &p.CreatedAt, &p.UpdatedAt, &desc); err != nil {
			rows.Close()
			return nil, "", err
		}
		p.MinPrice = CNY(price)
		out = append(out, p)
		descriptions = append(descriptions, desc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out, descriptions = out[:limit], descriptions[:limit]
		last := out[limit-1]
		at := last.CreatedAt
		if queue {
			at = last.UpdatedAt
		}
		next = encodeCursor(at.UTC().Format(time.RFC3339Nano), last.ID)
	}
	if queue {
		if err := s.addReviewPhrases(ctx, out, descriptions); err != nil {
			return nil, "", err
		}
	}
	if err := summaryImages(ctx, s.db.Reader(ctx), out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// addReviewPhrases tells reviewers which terms sent each product to them.
func (s *Service) addReviewPhrases(ctx context.Context, xs []ProductSummary, descriptions []string) error {
	q := s.db.Reader(ctx)
	t, err := s.loadTree(ctx, q)
	if err != nil {
		return err
	}
	for i := range xs {
		_, review, err := s.screenTx(ctx, q, t, xs[i].CategoryID, xs[i].Title, descriptions[i])
		if err != nil {
			return err
		}
		xs[i].ReviewPhrases = review
	}
	return nil
}

// Versions are kept forever (R-6.3-2); version returns one snapshot.
func (s *Service) versionSnapshot(ctx context.Context, productID string, version int) (string, error) {
	var snap string
	err := s.db.QueryRow(ctx, `SELECT snapshot FROM product_versions WHERE product_id = $1 AND version = $2`, productID, version).Scan(&snap)
	if errors.Is(err, sql.ErrNoRows) {
		return "", problem.NotFoundError()
	}
	return snap, err
}

// VersionSnapshot returns the stored JSON of one version of a product, for
// its seller's staff and platform staff (orders keep the version bought).
func (s *Service) VersionSnapshot(ctx context.Context, productID string, version int) (string, error) {
	r, err := loadProduct(ctx, s.db.Reader(ctx), productID, false)
	if err != nil {
		return "", err
	}
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, r.orgID); err != nil {
		if _, err2 := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err2 != nil {
			return "", err
		}
	}
	return s.versionSnapshot(ctx, productID, version)
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(conds, " AND ")
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

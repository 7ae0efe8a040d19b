package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Category is a node of the category tree as it binds products: the
// requirements shown are those in effect, the category's own joined with
// every ancestor's (a licence the branch needs, or a prohibition, review
// or certification duty on it, holds for every leaf below).
type Category struct {
	ID                     string   `json:"id" doc:"a readable, stable slug such as food-snacks"`
	Name                   string   `json:"name" doc:"zh-CN name"`
	NameEN                 string   `json:"name_en"`
	ParentID               *string  `json:"parent_id"`
	IsLeaf                 bool     `json:"is_leaf" doc:"products go in leaf categories"`
	RequiredQualifications []string `json:"required_qualifications" doc:"qualification codes a seller needs here beyond the business licence"`
	Prohibited             bool     `json:"prohibited"`
	ReviewRequired         bool     `json:"review_required" doc:"listings here wait for a platform reviewer"`
	Returnable7d           bool     `json:"returnable_7d" doc:"goods here may be returned within 7 days without reason"`
	CommissionBP           int      `json:"commission_bp" doc:"platform commission in basis points"`
	CertificateRequired    bool     `json:"certificate_required" doc:"compulsory certification (CCC): listings need a certificate number"`
	Sort                   int      `json:"sort"`
}

type categoryRow struct {
	id, parent, nameZH, nameEN string
	sort, commission           int
	leaf, prohibited, review   bool
	returnable, certificate    bool
	quals                      []string
}

// tree is the whole category table, small enough to read at once.
type tree struct {
	byID     map[string]*categoryRow
	children map[string][]*categoryRow // "" holds the top level
}

func (s *Service) loadTree(ctx context.Context, q db.Querier) (*tree, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, parent_id, name_zh, name_en, sort, is_leaf, prohibited, review_required,
		returnable_7d, commission_bp, certificate_required FROM categories ORDER BY sort, id`)
	if err != nil {
		return nil, fmt.Errorf("catalog: load categories: %w", err)
	}
	t := &tree{byID: map[string]*categoryRow{}, children: map[string][]*categoryRow{}}
	for rows.Next() {
		var c categoryRow
		var parent sql.NullString
		if err := rows.Scan(&c.id, &parent, &c.nameZH, &c.nameEN, &c.sort, &c.leaf, &c.prohibited, &c.review,
			&c.returnable, &c.commission, &c.certificate); err != nil {
			rows.Close()
			return nil, err
		}
		c.parent = parent.String
		t.byID[c.id] = &c
		t.children[c.parent] = append(t.children[c.parent], &c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	qrows, err := q.QueryContext(ctx, `SELECT category_id, code FROM category_qualifications ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("catalog: load category qualifications: %w", err)
	}
	defer qrows.Close()
	for qrows.Next() {
		var cat, code string
		if err := qrows.Scan(&cat, &code); err != nil {
			return nil, err
		}
		if c := t.byID[cat]; c != nil {
			c.quals = append(c.quals, code)
		}
	}
	return t, qrows.Err()
}

// lineage returns the category and its ancestors, nearest first.
func (t *tree) lineage(id string) []*categoryRow {
	var out []*categoryRow
	for c := t.byID[id]; c != nil && len(out) <= len(t.byID); c = t.byID[c.parent] {
		out = append(out, c)
	}
	return out
}

// subtree returns id and every category below it.
func (t *tree) subtree(id string) []string {
	out := []string{id}
	for i := 0; i < len(out); i++ {
		for _, c := range t.children[out[i]] {
			out = append(out, c.id)
		}
	}
	return out
}

// effective is the category as it binds products.
func (t *tree) effective(id string) (Category, bool) {
	c := t.byID[id]
	if c == nil {
		return Category{}, false
	}
	out := Category{ID: c.id, Name: c.nameZH, NameEN: c.nameEN, IsLeaf: c.leaf, Returnable7d: c.returnable,
		CommissionBP: c.commission, Sort: c.sort, RequiredQualifications: []string{}}
	if c.parent != "" {
		p := c.parent
		out.ParentID = &p
	}
	for _, a := range t.lineage(id) {
		out.Prohibited = out.Prohibited || a.prohibited
		out.ReviewRequired = out.ReviewRequired || a.review
		out.CertificateRequired = out.CertificateRequired || a.certificate
		for _, q := range a.quals {
			if !slices.Contains(out.RequiredQualifications, q) {
				out.RequiredQualifications = append(out.RequiredQualifications, q)
			}
		}
	}
	slices.Sort(out.RequiredQualifications)
	return out, true
}

// names returns the zh and en names of the category and its ancestors
// (what the search index learns about a product's category).
func (t *tree) names(id string) []string {
	var out []string
	for _, c := range t.lineage(id) {
		out = append(out, c.nameZH, c.nameEN)
	}
	return out
}

// Categories returns the whole tree, parents before their children, each
// level in its sort order. Anyone may read it.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	t, err := s.loadTree(ctx, s.db.Reader(ctx))
	if err != nil {
		return nil, err
	}
	out := []Category{}
	var walk func(parent string)
	walk = func(parent string) {
		for _, c := range t.children[parent] {
			e, _ := t.effective(c.id)
			out = append(out, e)
			walk(c.id)
		}
	}
	walk("")
	return out, nil
}

// CategoryInput is what a platform administrator sets on a category. The
// flags and qualifications are the category's own; its descendants
// inherit the qualifications and the prohibition, review and
// certification flags.
type CategoryInput struct {
	ID                     string
	Name                   string
	NameEN                 string
	ParentID               string
	Sort                   int
	RequiredQualifications []string
	Prohibited             bool
	ReviewRequired         bool
	Returnable7d           bool
	CertificateRequired    bool
	CommissionBP           int
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (in *CategoryInput) validate(ctx context.Context, q db.Querier, t *tree, creating bool) error {
	var f []problem.FieldError
	if creating {
		in.ID = strings.TrimSpace(in.ID)
		switch {
		case len(in.ID) < 2 || len(in.ID) > 60 || !slugPattern.MatchString(in.ID):
			f = append(f, problem.Field("id", i18n.T("编号应为 2 到 60 位小写字母、数字和连字符，如 food-snacks", "id must be 2 to 60 lower-case letters, digits and hyphens, e.g. food-snacks")))
		case t.byID[in.ID] != nil:
			f = append(f, problem.Field("id", i18n.T("该编号已存在", "This id is taken")))
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 40 {
		f = append(f, problem.Field("name", i18n.T("中文名称应为 1 到 40 个字符", "name must be 1 to 40 characters")))
	}
	in.NameEN = strings.TrimSpace(in.NameEN)
	if n := utf8.RuneCountInString(in.NameEN); n < 1 || n > 80 {
		f = append(f, problem.Field("name_en", i18n.T("英文名称应为 1 到 80 个字符", "name_en must be 1 to 80 characters")))
	}
	if in.CommissionBP < 0 || in.CommissionBP > 5000 {
		f = append(f, problem.Field("commission_bp", i18n.T("佣金应为 0 到 5000 个基点", "commission_bp must be 0 to 5000")))
	}
	if in.Sort < 0 || in.Sort > 1_000_000 {
		f = append(f, problem.Field("sort", i18n.T("排序值应为 0 到 1000000", "sort must be 0 to 1000000")))
	}
	if in.ParentID = strings.TrimSpace(in.ParentID); in.ParentID != "" {
		switch {
		case t.byID[in.ParentID] == nil:
			f = append(f, problem.Field("parent_id", i18n.T("上级类目不存在", "No such parent category")))
		case !creating && slices.ContainsFunc(t.lineage(in.ParentID), func(c *categoryRow) bool { return c.id == in.ID }):
			f = append(f, problem.Field("parent_id", i18n.T("不能把类目移到它自己或它的下级之下", "A category cannot move under itself or its descendants")))
		}
	}
	allowed, err := sellerQualificationCodes(ctx, q)
	if err != nil {
		return err
	}
	var quals []string
	for i, code := range in.RequiredQualifications {
		code = strings.TrimSpace(code)
		if !slices.Contains(allowed, code) {
			f = append(f, problem.Field(fmt.Sprintf("required_qualifications[%d]", i), i18n.T("不是卖家适用的资质类型（营业执照之外）："+code, "Not a seller qualification code beyond the business licence: "+code)))
			continue
		}
		if !slices.Contains(quals, code) {
			quals = append(quals, code)
		}
	}
	in.RequiredQualifications = quals
	if len(f) > 0 {
		return problem.Invalid(f...)
	}
	return nil
}

// sellerQualificationCodes are the licences a category may ask of
// sellers: every seller qualification type except the business licence,
// which every seller holds anyway.
func sellerQualificationCodes(ctx context.Context, q db.Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code FROM qualification_requirements WHERE org_kind = 'seller' AND code <> 'business_license'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func hasProducts(ctx context.Context, tx *db.Tx, categoryID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM products WHERE category_id = $1`, categoryID).Scan(&n)
	return n > 0, err
}

var errCategoryHasProducts = problem.New(problem.Conflict, i18n.T("该类目下已有商品，不能再设下级类目", "This category holds products, so it cannot get subcategories"))

// CreateCategory adds a category (platform administrators). A new
// category is a leaf; its parent stops being one, which is refused while
// the parent holds products.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*Category, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		if err := in.validate(ctx, tx, t, true); err != nil {
			return err
		}
		if in.ParentID != "" {
			if err := s.makeInnerTx(ctx, tx, in.ParentID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO categories (id, parent_id, name_zh, name_en, sort, is_leaf, prohibited,
			review_required, returnable_7d, commission_bp, certificate_required, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			in.ID, nullString(in.ParentID), in.Name, in.NameEN, in.Sort, true, in.Prohibited, in.ReviewRequired,
			in.Returnable7d, in.CommissionBP, in.CertificateRequired, s.clock.Now()); err != nil {
			if db.IsUniqueViolation(err) {
				return problem.Invalid(problem.Field("id", i18n.T("该编号已存在", "This id is taken")))
			}
			return fmt.Errorf("catalog: insert category: %w", err)
		}
		if err := setQualificationsTx(ctx, tx, in.ID, in.RequiredQualifications); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "category.create", ObjectType: "category", ObjectID: in.ID, Details: in.details()})
	})
	if err != nil {
		return nil, err
	}
	return s.category(ctx, in.ID)
}

// UpdateCategory changes a category's names, parent, flags, commission and
// required qualifications (platform administrators). Tightened rules bind
// listed products from their next listing or sale: Purchasable and the
// public list read them on every call.
func (s *Service) UpdateCategory(ctx context.Context, id string, in CategoryInput) (*Category, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, err
	}
	in.ID = id
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		old := t.byID[id]
		if old == nil {
			return problem.NotFoundError()
		}
		if err := in.validate(ctx, tx, t, false); err != nil {
			return err
		}
		if in.ParentID != old.parent {
			if in.ParentID != "" {
				if err := s.makeInnerTx(ctx, tx, in.ParentID); err != nil {
					return err
				}
			}
			if old.parent != "" && len(t.children[old.parent]) == 1 {
				if _, err := tx.ExecContext(ctx, `UPDATE categories SET is_leaf = $1, updated_at = $2 WHERE id = $3`, true, s.clock.Now(), old.parent); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET parent_id = $1, name_zh = $2, name_en = $3, sort = $4, prohibited = $5,
			review_required = $6, returnable_7d = $7, commission_bp = $8, certificate_required = $9, updated_at = $10 WHERE id = $11`,
			nullString(in.ParentID), in.Name, in.NameEN, in.Sort, in.Prohibited, in.ReviewRequired, in.Returnable7d,
			in.CommissionBP, in.CertificateRequired, s.clock.Now(), id); err != nil {
			return fmt.Errorf("catalog: update category: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM category_qualifications WHERE category_id = $1`, id); err != nil {
			return err
		}
		if err := setQualificationsTx(ctx, tx, id, in.RequiredQualifications); err != nil {
			return err
		}
		d := in.details()
		d["previous"] = map[string]any{"name": old.nameZH, "parent_id": old.parent, "prohibited": old.prohibited, "review_required": old.review,
			"returnable_7d": old.returnable, "commission_bp": old.commission, "certificate_required": old.certificate, "required_qualifications": old.quals}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "category.update", ObjectType: "category", ObjectID: id, Details: d})
	})
	if err != nil {
		return nil, err
	}
	return s.category(ctx, id)
}

// makeInnerTx turns a category into one that has children.
func (s *Service) makeInnerTx(ctx context.Context, tx *db.Tx, id string) error {
	has, err := hasProducts(ctx, tx, id)
	if err != nil {
		return err
	}
	if has {
		return errCategoryHasProducts
	}
	_, err = tx.ExecContext(ctx, `UPDATE categories SET is_leaf = $1, updated_at = $2 WHERE id = $3`, false, s.clock.Now(), id)
	return err
}

func setQualificationsTx(ctx context.Context, tx *db.Tx, id string, codes []string) error {
	for _, code := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO category_qualifications (category_id, code) VALUES ($1, $2)`, id, code); err != nil {
			return fmt.Errorf("catalog: category qualification: %w", err)
		}
	}
	return nil
}

func (in CategoryInput) details() map[string]any {
	return map[string]any{"name": in.Name, "name_en": in.NameEN, "parent_id": in.ParentID, "prohibited": in.Prohibited,
		"review_required": in.ReviewRequired, "returnable_7d": in.Returnable7d, "commission_bp": in.CommissionBP,
		"certificate_required": in.CertificateRequired, "required_qualifications": in.RequiredQualifications}
}

func (s *Service) category(ctx context.Context, id string) (*Category, error) {
	t, err := s.loadTree(ctx, s.db.Reader(ctx))
	if err != nil {
		return nil, err
	}
	c, ok := t.effective(id)
	if !ok {
		return nil, problem.NotFoundError()
	}
	return &c, nil
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// now is the service's clock, named for readability at call sites.
func (s *Service) now() time.Time { return s.clock.Now() }

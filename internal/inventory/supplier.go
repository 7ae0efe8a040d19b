package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Supplier is a seller's filed supplier (商品供应商资质备案, R-6.4-1). The
// contact person's name and mobile are stored encrypted and shown masked.
type Supplier struct {
	ID             string                  `json:"id"`
	OrganizationID string                  `json:"organization_id"`
	Name           string                  `json:"name"`
	USCC           string                  `json:"uscc"`
	Contact        SupplierContact         `json:"contact" doc:"masked"`
	Qualifications []SupplierQualification `json:"qualifications"`
	PapersInForce  bool                    `json:"papers_in_force" doc:"every kind of licence on file has a copy valid today; stock from this supplier is refused otherwise"`
	LapsedTypes    []string                `json:"lapsed_types" doc:"licence types whose latest copy has expired"`
	CreatedAt      time.Time               `json:"created_at"`
}

// SupplierContact is the supplier's contact person.
type SupplierContact struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
}

// SupplierQualification is one licence of a supplier: business licence,
// CCC certificate, brand authorisation, production licence…
type SupplierQualification struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Number     string `json:"number"`
	ValidUntil string `json:"valid_until"`
	InForce    bool   `json:"in_force"`
}

// SupplierInput is what a seller files.
type SupplierInput struct {
	Name           string
	USCC           string
	Contact        SupplierContact
	Qualifications []QualificationInput
}

// QualificationInput is one licence being filed.
type QualificationInput struct {
	Type       string
	Number     string
	ValidUntil string
}

func validateQualifications(f *[]problem.FieldError, qs []QualificationInput, today string) []QualificationInput {
	if len(qs) == 0 || len(qs) > 20 {
		*f = append(*f, problem.Field("qualifications", i18n.T("请登记 1 到 20 项资质（至少营业执照）", "File 1 to 20 licences (at least the business licence)")))
	}
	out := make([]QualificationInput, len(qs))
	for i, q := range qs {
		at := fmt.Sprintf("qualifications[%d].", i)
		q.Type = text(f, at+"type", q.Type, 1, 60, "资质类型", "Type")
		q.Number = text(f, at+"number", q.Number, 1, 100, "证照编号", "Number")
		q.ValidUntil = strings.TrimSpace(q.ValidUntil)
		switch {
		case !validDate(q.ValidUntil):
			*f = append(*f, problem.Field(at+"valid_until", msgBadDate))
		case q.ValidUntil < today:
			*f = append(*f, problem.Field(at+"valid_until", i18n.T("资质已于"+q.ValidUntil+"过期（今天是"+today+"）",
				"the licence expired on "+q.ValidUntil+" (today is "+today+")")))
		}
		out[i] = q
	}
	return out
}

func (in *SupplierInput) validate(today string) error {
	var f []problem.FieldError
	in.Name = text(&f, "name", in.Name, 2, 100, "名称", "Name")
	if v, err := cnid.ValidateUSCC(in.USCC); err != nil {
		f = append(f, cnidField("uscc", err))
	} else {
		in.USCC = v
	}
	in.Contact.Name = text(&f, "contact.name", in.Contact.Name, 1, 50, "联系人姓名", "Contact name")
	if v, err := cnid.ValidateMobile(in.Contact.Mobile); err != nil {
		f = append(f, cnidField("contact.mobile", err))
	} else {
		in.Contact.Mobile = v
	}
	in.Qualifications = validateQualifications(&f, in.Qualifications, today)
	if len(f) > 0 {
		return problem.Invalid(f...)
	}
	return nil
}

func cnidField(field string, err error) problem.FieldError {
	var ce *cnid.Error
	if errors.As(err, &ce) {
		return problem.Field(field, ce.Message)
	}
	return problem.Field(field, i18n.T(err.Error(), err.Error()))
}

func supplierAAD(column, supplierID string) string { return "suppliers." + column + "|" + supplierID }

// FileSupplier files a supplier with its licences (R-6.4-1). Every invalid
// field is reported at once; a supplier with the same USCC already filed by
// this seller is a conflict.
func (s *Service) FileSupplier(ctx context.Context, orgID string, in SupplierInput) (*Supplier, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, err
	}
	if err := in.validate(s.today()); err != nil {
		return nil, err
	}
	supplierID := id.New()
	now := s.clock.Now()
	duplicate := problem.New(problem.Conflict, i18n.T("本店已登记该统一社会信用代码的供应商", "A supplier with this USCC is already on file"))
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM suppliers WHERE organization_id = $1 AND uscc = $2`, orgID, in.USCC).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return duplicate
		}
		nameEnc, err := s.keys.Encrypt(in.Contact.Name, supplierAAD("contact_name_enc", supplierID))
		if err != nil {
			return err
		}
		mobileEnc, err := s.keys.Encrypt(in.Contact.Mobile, supplierAAD("contact_mobile_enc", supplierID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO suppliers (id, organization_id, name, uscc, contact_name_enc, contact_mobile_enc, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, supplierID, orgID, in.Name, in.USCC, nameEnc, mobileEnc, now); err != nil {
			if db.IsUniqueViolation(err) {
				return duplicate
			}
			return fmt.Errorf("inventory: insert supplier: %w", err)
		}
		if err := insertQualifications(ctx, tx, supplierID, in.Qualifications); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "supplier.file", ObjectType: "supplier", ObjectID: supplierID,
			Details: map[string]any{"organization_id": orgID, "name": in.Name, "uscc": in.USCC, "qualifications": qualificationSummary(in.Qualifications)}})
	})
	if err != nil {
		return nil, err
	}
	return s.loadSupplier(ctx, supplierID)
}

// RenewSupplierQualifications files further licences of a supplier — a
// renewed copy supersedes an expired one of the same type, which lets
// stock from the supplier be received again.
func (s *Service) RenewSupplierQualifications(ctx context.Context, supplierID string, qs []QualificationInput) (*Supplier, error) {
	sup, err := s.Supplier(ctx, supplierID)
	if err != nil {
		return nil, err
	}
	var f []problem.FieldError
	qs = validateQualifications(&f, qs, s.today())
	if len(f) > 0 {
		return nil, problem.Invalid(f...)
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := insertQualifications(ctx, tx, supplierID, qs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE suppliers SET updated_at = $1 WHERE id = $2`, s.clock.Now(), supplierID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "supplier.qualifications.add", ObjectType: "supplier", ObjectID: supplierID,
			Details: map[string]any{"organization_id": sup.OrganizationID, "qualifications": qualificationSummary(qs)}})
	})
	if err != nil {
		return nil, err
	}
	return s.loadSupplier(ctx, supplierID)
}

func qualificationSummary(qs []QualificationInput) []map[string]string {
	out := make([]map[string]string, len(qs))
	for i, q := range qs {
		out[i] = map[string]string{"type": q.Type, "number": q.Number, "valid_until": q.ValidUntil}
	}
	return out
}

func insertQualifications(ctx context.Context, tx *db.Tx, supplierID string, qs []QualificationInput) error {
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supplier_qualifications (id, supplier_id, type, number, valid_until) VALUES ($1, $2, $3, $4, $5)`,
			id.New(), supplierID, q.Type, q.Number, q.ValidUntil); err != nil {
			return fmt.Errorf("inventory: insert supplier qualification: %w", err)
		}
	}
	return nil
}

// Supplier returns one supplier to its seller's staff; others get 404.
func (s *Service) Supplier(ctx context.Context, supplierID string) (*Supplier, error) {
	if _, err := identity.RequireSignedIn(ctx, false); err != nil {
		return nil, err
	}
	sup, err := s.loadSupplier(ctx, supplierID)
	if err != nil {
		return nil, err
	}
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, sup.OrganizationID); err != nil {
		return nil, err
	}
	return sup, nil
}

// Suppliers lists a seller's suppliers, newest first.
func (s *Service) Suppliers(ctx context.Context, orgID string, p Page) ([]Supplier, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermCatalogManage, orgID); err != nil {
		return nil, "", err
	}
	cond, args, err := p.where("id", 2)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE organization_id = $1`+cond+` ORDER BY id DESC`+p.limit(),
		append([]any{orgID}, args...)...)
	if err != nil {
		return nil, "", fmt.Errorf("inventory: suppliers: %w", err)
	}
	out := []Supplier{}
	for rows.Next() {
		sup, err := s.scanSupplier(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, *sup)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(out, p, func(x Supplier) string { return x.ID })
	for i := range out {
		if err := s.attachQualifications(ctx, &out[i]); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

const supplierCols = `id, organization_id, name, uscc, contact_name_enc, contact_mobile_enc, created_at`

func (s *Service) scanSupplier(r interface{ Scan(...any) error }) (*Supplier, error) {
	var sup Supplier
	var nameEnc, mobileEnc string
	err := r.Scan(&sup.ID, &sup.OrganizationID, &sup.Name, &sup.USCC, &nameEnc, &mobileEnc, &sup.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("inventory: scan supplier: %w", err)
	}
	// A value that no longer decrypts (a lost key) shows as masked blanks
	// rather than failing the whole record.
	name, _ := s.keys.Decrypt(nameEnc, supplierAAD("contact_name_enc", sup.ID))
	mobile, _ := s.keys.Decrypt(mobileEnc, supplierAAD("contact_mobile_enc", sup.ID))
	sup.Contact = SupplierContact{Name: fieldcrypt.MaskName(name), Mobile: fieldcrypt.MaskMobile(mobile)}
	return &sup, nil
}

func (s *Service) loadSupplier(ctx context.Context, supplierID string) (*Supplier, error) {
	if !id.Valid(supplierID) {
		return nil, problem.NotFoundError()
	}
	sup, err := s.scanSupplier(s.db.QueryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id = $1`, supplierID))
	if err != nil {
		return nil, err
	}
	return sup, s.attachQualifications(ctx, sup)
}

func (s *Service) attachQualifications(ctx context.Context, sup *Supplier) error {
	qs, err := supplierQualifications(ctx, s.db.Reader(ctx), sup.ID)
	if err != nil {
		return err
	}
	today := s.today()
	for i := range qs {
		qs[i].InForce = qs[i].ValidUntil >= today
	}
	sup.Qualifications = qs
	sup.LapsedTypes = lapsedTypes(qs, today)
	sup.PapersInForce = len(qs) > 0 && len(sup.LapsedTypes) == 0
	return nil
}

func supplierQualifications(ctx context.Context, q db.Querier, supplierID string) ([]SupplierQualification, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, type, number, valid_until FROM supplier_qualifications WHERE supplier_id = $1 ORDER BY type, valid_until, id`, supplierID)
	if err != nil {
		return nil, fmt.Errorf("inventory: supplier qualifications: %w", err)
	}
	defer rows.Close()
	out := []SupplierQualification{}
	for rows.Next() {
		var x SupplierQualification
		if err := rows.Scan(&x.ID, &x.Type, &x.Number, &x.ValidUntil); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// lapsedTypes lists the licence types whose latest copy expired before
// today. A renewed copy of a type supersedes the expired one.
func lapsedTypes(qs []SupplierQualification, today string) []string {
	latest := map[string]string{}
	for _, q := range qs {
		if q.ValidUntil > latest[q.Type] {
			latest[q.Type] = q.ValidUntil
		}
	}
	out := []string{}
	for typ, until := range latest {
		if until < today {
			out = append(out, typ)
		}
	}
	sort.Strings(out)
	return out
}

// supplierPapers checks, inside tx, that supplierID belongs to orgID and
// that its papers are in force today (R-6.4-1). It returns a field error
// for supplier_id, or nil.
func (s *Service) supplierPapers(ctx context.Context, tx *db.Tx, supplierID, orgID, today string) (*problem.FieldError, error) {
	if !id.Valid(supplierID) {
		f := problem.Field("supplier_id", i18n.T("本店没有登记这个供应商", "No such supplier on file"))
		return &f, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM suppliers WHERE id = $1 AND organization_id = $2`, supplierID, orgID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		f := problem.Field("supplier_id", i18n.T("本店没有登记这个供应商", "No such supplier on file"))
		return &f, nil
	}
	qs, err := supplierQualifications(ctx, tx, supplierID)
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		f := problem.Field("supplier_id", i18n.T("该供应商没有登记资质，不能进货", "The supplier has no licence on file; stock from it is refused"))
		return &f, nil
	}
	if lapsed := lapsedTypes(qs, today); len(lapsed) > 0 {
		f := problem.Field("supplier_id", i18n.T("该供应商的资质已过期（"+strings.Join(lapsed, "、")+"），不能进货",
			"The supplier's papers have lapsed ("+strings.Join(lapsed, ", ")+"); stock from it is refused"))
		return &f, nil
	}
	return nil, nil
}

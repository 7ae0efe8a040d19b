package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Registration is the registration data an applicant gives.
type Registration struct {
	Kind                identity.Kind
	Name                string
	USCC                string
	LegalRepresentative Person
	Contact             Contact
	Address             string
	BusinessScope       string
}

func fieldErr(f *[]problem.FieldError, err error, field string) {
	var ce *cnid.Error
	if errors.As(err, &ce) {
		*f = append(*f, problem.Field(field, ce.Message))
		return
	}
	*f = append(*f, problem.Field(field, i18n.T(err.Error(), err.Error())))
}

func textLen(f *[]problem.FieldError, field, v string, min, max int, zh, en string) string {
	v = strings.TrimSpace(v)
	if n := utf8.RuneCountInString(v); n < min || n > max {
		*f = append(*f, problem.Field(field, i18n.T(fmt.Sprintf("%s应为 %d 到 %d 个字符", zh, min, max), fmt.Sprintf("%s must be %d to %d characters", en, min, max))))
	}
	return v
}

// validate checks and normalises registration data, listing every invalid
// field at once — the checks a clerk would otherwise do by eye (R-5.4-1).
func (r *Registration) validate(now time.Time) error {
	var f []problem.FieldError
	if r.Kind != identity.KindSeller && r.Kind != identity.KindCarrier && r.Kind != identity.KindPaymentProvider {
		f = append(f, problem.Field("kind", i18n.T("类型应为 seller、carrier 或 payment_provider", "kind must be seller, carrier or payment_provider")))
	}
	r.Name = textLen(&f, "name", r.Name, 2, 100, "名称", "Name")
	if v, err := cnid.ValidateUSCC(r.USCC); err != nil {
		fieldErr(&f, err, "uscc")
	} else {
		r.USCC = v
	}
	r.LegalRepresentative.Name = textLen(&f, "legal_representative.name", r.LegalRepresentative.Name, 1, 50, "法定代表人姓名", "Legal representative's name")
	if v, err := cnid.ValidateResidentID(r.LegalRepresentative.IDNumber, now); err != nil {
		fieldErr(&f, err, "legal_representative.id_number")
	} else {
		r.LegalRepresentative.IDNumber = v
	}
	r.Contact.Name = textLen(&f, "contact.name", r.Contact.Name, 1, 50, "联系人姓名", "Contact name")
	if v, err := cnid.ValidateMobile(r.Contact.Mobile); err != nil {
		fieldErr(&f, err, "contact.mobile")
	} else {
		r.Contact.Mobile = v
	}
	if r.Contact.Email = strings.TrimSpace(strings.ToLower(r.Contact.Email)); r.Contact.Email != "" && !credential.ValidEmail(r.Contact.Email) {
		f = append(f, problem.Field("contact.email", i18n.T("邮箱格式不正确", "Not a valid email address")))
	}
	r.Address = textLen(&f, "address", r.Address, 5, 200, "地址", "Address")
	if utf8.RuneCountInString(r.BusinessScope) > 2000 {
		f = append(f, problem.Field("business_scope", i18n.T("经营范围不超过 2000 个字符", "Business scope is at most 2000 characters")))
	}
	r.BusinessScope = strings.TrimSpace(r.BusinessScope)
	if len(f) > 0 {
		return problem.Invalid(f...)
	}
	return nil
}

// personalColumns encrypts the personal fields of r for organisation orgID.
func (s *Service) personalColumns(orgID string, r Registration) ([]any, error) {
	vals := []struct{ field, v string }{
		{"legal_rep_name", r.LegalRepresentative.Name}, {"legal_rep_id", r.LegalRepresentative.IDNumber},
		{"contact_name", r.Contact.Name}, {"contact_mobile", r.Contact.Mobile}, {"contact_email", r.Contact.Email},
	}
	out := make([]any, 0, len(vals)+1)
	for _, v := range vals {
		if v.v == "" {
			out = append(out, "")
			continue
		}
		enc, err := s.keys.Encrypt(v.v, aad(v.field, orgID))
		if err != nil {
			return nil, err
		}
		out = append(out, enc)
	}
	return append(out, fieldcrypt.MaskIDNumber(r.LegalRepresentative.IDNumber)), nil
}

// Create starts an organisation's onboarding as a draft; the caller becomes
// its owner. Returns validation errors for every invalid field, and
// conflict when an open organisation of the same kind has that USCC.
func (s *Service) Create(ctx context.Context, r Registration) (*Organization, error) {
	p, err := identity.RequireSignedIn(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.APIKeyID != "" {
		return nil, identity.ErrForbidden
	}
	if err := r.validate(s.clock.Now()); err != nil {
		return nil, err
	}
	var orgID string
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE uscc = $1 AND kind = $2 AND status NOT IN ('closed', 'rejected')`,
			r.USCC, string(r.Kind)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return problem.Newf(problem.Conflict, "该统一社会信用代码已登记为同类组织", "An organisation of this kind is already registered with this USCC")
		}
		orgID, err = s.ids.CreateOrganizationTx(ctx, tx, r.Kind, r.Name, string(StatusDraft))
		if err != nil {
			return err
		}
		cols, err := s.personalColumns(orgID, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET uscc = $1, address = $2, business_scope = $3,
			legal_rep_name_enc = $4, legal_rep_id_enc = $5, contact_name_enc = $6, contact_mobile_enc = $7, contact_email_enc = $8,
			legal_rep_id_masked = $9 WHERE id = $10`,
			append(append([]any{r.USCC, r.Address, r.BusinessScope}, cols...), orgID)...); err != nil {
			return fmt.Errorf("org: store registration: %w", err)
		}
		if err := s.ids.GrantRoleTx(ctx, tx, orgID, p.AccountID, identity.RoleOwner, ""); err != nil {
			return err
		}
		o, err := s.load(ctx, tx, orgID)
		if err != nil {
			return err
		}
		return s.historyTx(ctx, tx, o, "create", "", StatusDraft, "")
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

// Update corrects the registration data. In draft or rejected it simply
// changes the dossier; an approved organisation whose identity data
// (name, USCC, legal representative) changes goes back to review
// (R-5.4-3) and stops trading until approved again.
func (s *Service) Update(ctx context.Context, orgID string, r Registration) (*Organization, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		r.Kind = o.Kind
		if err := r.validate(s.clock.Now()); err != nil {
			return err
		}
		if o.Status == StatusPendingReview || o.Status == StatusClosed {
			return errInvalidTransition(o.Status, "修改登记信息")
		}
		oldRep := s.decrypt(o.repIDEnc, aad("legal_rep_id", o.ID))
		identityChanged := r.Name != o.Name || r.USCC != o.USCC || r.LegalRepresentative.IDNumber != oldRep ||
			r.LegalRepresentative.Name != s.decrypt(o.repNameEnc, aad("legal_rep_name", o.ID))
		cols, err := s.personalColumns(orgID, r)
		if err != nil {
			return err
		}
		from, to := o.Status, o.Status
		if identityChanged && (o.Status == StatusApproved || o.Status == StatusSuspended) {
			to = StatusPendingReview
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET name = $1, uscc = $2, address = $3, business_scope = $4,
			legal_rep_name_enc = $5, legal_rep_id_enc = $6, contact_name_enc = $7, contact_mobile_enc = $8, contact_email_enc = $9,
			legal_rep_id_masked = $10, status = $11, dossier_version = dossier_version + 1, updated_at = $12 WHERE id = $13`,
			append(append([]any{r.Name, r.USCC, r.Address, r.BusinessScope}, cols...), string(to), s.clock.Now(), orgID)...); err != nil {
			return err
		}
		o, err = s.load(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "update", from, to, ""); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.update", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"identity_changed": identityChanged, "status": to, "dossier_version": o.DossierVersion}})
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

// Get returns an organisation to its members and platform staff. unmask
// shows personal fields in clear to callers with the personal.unmask
// permission, and audits the view (R-9.3-1).
func (s *Service) Get(ctx context.Context, orgID string, unmask bool) (*Organization, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgRead, orgID); err != nil {
		return nil, err
	}
	o, err := s.load(ctx, s.db.Reader(ctx), orgID)
	if err != nil {
		return nil, err
	}
	if unmask {
		if _, err := identity.Authorize(ctx, identity.PermPersonalUnmask, orgID); err != nil {
			return nil, err
		}
		if err := s.trail.Record(ctx, s.db, audit.Event{Action: "personal.unmask", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"fields": []string{"legal_representative", "contact"}}}); err != nil {
			return nil, err
		}
	}
	return s.view(ctx, o, unmask)
}

// QualificationInput is a licence to add to the dossier.
type QualificationInput struct {
	Type       string
	Number     string
	Issuer     string
	ValidFrom  string
	ValidUntil string
	DocumentID string
}

func parseDay(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// AddQualification adds a licence to the dossier. Before approval it is
// reviewed with the organisation; afterwards each new licence waits for a
// reviewer on its own and counts only once approved.
func (s *Service) AddQualification(ctx context.Context, orgID string, in QualificationInput) (*Qualification, error) {
	p, err := identity.Authorize(ctx, identity.PermOrgManage, orgID)
	if err != nil {
		return nil, err
	}
	var f []problem.FieldError
	in.Number = textLen(&f, "number", in.Number, 2, 60, "证照编号", "Licence number")
	in.Issuer = textLen(&f, "issuer", in.Issuer, 2, 100, "发证机关", "Issuer")
	from, ok1 := parseDay(in.ValidFrom)
	until, ok2 := parseDay(in.ValidUntil)
	if !ok1 {
		f = append(f, problem.Field("valid_from", i18n.T("日期格式应为 YYYY-MM-DD", "Date must be YYYY-MM-DD")))
	}
	if !ok2 {
		f = append(f, problem.Field("valid_until", i18n.T("日期格式应为 YYYY-MM-DD", "Date must be YYYY-MM-DD")))
	}
	if ok1 && ok2 {
		if err := cnid.ValidateValidity(from, until, s.clock.Now()); err != nil {
			for _, e := range flatten(err) {
				var ce *cnid.Error
				if errors.As(e, &ce) {
					f = append(f, problem.Field(ce.Field, ce.Message))
				}
			}
		}
	}
	var out *Qualification
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		var allowed int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM qualification_requirements WHERE org_kind = $1 AND code = $2`, string(o.Kind), in.Type).Scan(&allowed); err != nil {
			return err
		}
		if allowed == 0 {
			f = append(f, problem.Field("type", i18n.T("该类型组织不适用此资质类型："+in.Type, "Not a qualification type for this kind of organisation: "+in.Type)))
		}
		if len(f) > 0 {
			return problem.Invalid(f...)
		}
		if o.Status == StatusPendingReview || o.Status == StatusClosed {
			return errInvalidTransition(o.Status, "添加资质")
		}
		if in.DocumentID != "" {
			if s.docs == nil {
				return problem.Invalid(problem.Field("document_id", i18n.T("未启用文件上传", "Document uploads are not enabled")))
			}
			if err := s.docs.AttachTx(ctx, tx, in.DocumentID, orgID); err != nil {
				if problem.CodeOf(err) == problem.NotFound {
					return problem.Invalid(problem.Field("document_id", i18n.T("文件不存在或无权使用", "No such document")))
				}
				return err
			}
		}
		q := &Qualification{ID: id.New(), Type: in.Type, Number: in.Number, Issuer: in.Issuer, ValidFrom: from.Format(time.DateOnly),
			ValidUntil: until.Format(time.DateOnly), DocumentID: in.DocumentID, ReviewStatus: "pending", CreatedAt: s.clock.Now()}
		var doc any
		if in.DocumentID != "" {
			doc = in.DocumentID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO qualifications (id, organization_id, type_code, number, issuer, valid_from, valid_until,
			document_id, review_status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			q.ID, orgID, q.Type, q.Number, q.Issuer, q.ValidFrom, q.ValidUntil, doc, q.ReviewStatus, p.ActorID(), q.CreatedAt); err != nil {
			return fmt.Errorf("org: insert qualification: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET dossier_version = dossier_version + 1, updated_at = $1 WHERE id = $2`, s.clock.Now(), orgID); err != nil {
			return err
		}
		o.DossierVersion++
		if err := s.historyTx(ctx, tx, o, "qualification.add", o.Status, o.Status, ""); err != nil {
			return err
		}
		out = q
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "qualification.add", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"qualification_id": q.ID, "type": q.Type, "valid_until": q.ValidUntil, "document_id": in.DocumentID}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Submit sends the dossier to review: from draft, or from rejected once the
// dossier has changed since the rejection. Every required qualification
// type must be in the dossier.
func (s *Service) Submit(ctx context.Context, orgID string) (*Organization, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		switch {
		case o.Status == StatusDraft:
		case o.Status == StatusRejected && o.DossierVersion > o.submittedVersion:
		case o.Status == StatusRejected:
			return problem.New(problem.InvalidTransition, i18n.T("请先根据驳回原因修改资料后再提交", "Correct the dossier as the rejection reason says before resubmitting"))
		default:
			return errInvalidTransition(o.Status, "提交审核")
		}
		missing, err := s.missingRequired(ctx, tx, o, "pending", "approved")
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return problem.New(problem.QualificationMissing, i18n.T("缺少必需的资质："+strings.Join(missing, "、"), "Required qualifications missing: "+strings.Join(missing, ", "))).With("missing", missing)
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = $1, submitted_at = $2, submitted_version = dossier_version, status_reason = '', updated_at = $2 WHERE id = $3`,
			string(StatusPendingReview), now, orgID); err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "submit", o.Status, StatusPendingReview, ""); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.submit", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"dossier_version": o.DossierVersion}})
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

// missingRequired lists the required qualification types of o's kind that
// have no qualification in one of the given review statuses.
func (s *Service) missingRequired(ctx context.Context, q db.Querier, o *row, statuses ...string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.code FROM qualification_requirements r WHERE r.org_kind = $1 AND r.required = $2`, string(o.Kind), true)
	if err != nil {
		return nil, err
	}
	var required []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		required = append(required, c)
	}
	rows.Close()
	quals, err := s.qualifications(ctx, q, o.ID)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, code := range required {
		found := false
		for _, ql := range quals {
			for _, st := range statuses {
				if ql.Type == code && ql.ReviewStatus == st {
					found = true
				}
			}
		}
		if !found {
			missing = append(missing, code)
		}
	}
	return missing, nil
}

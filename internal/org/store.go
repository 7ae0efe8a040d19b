package org

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// row is an organisation as stored (personal fields encrypted).
type row struct {
	Organization
	repNameEnc, repIDEnc, repIDMasked       string
	contactNameEnc, contactMobileEnc, email string
	submittedVersion                        int
}

const orgCols = `id, kind, name, uscc, status, status_reason, legal_rep_name_enc, legal_rep_id_enc, legal_rep_id_masked,
	contact_name_enc, contact_mobile_enc, contact_email_enc, address, business_scope, dossier_version, submitted_version,
	created_at, submitted_at, approved_at, reverify_due_at, cessation_on, require_mfa`

func scanOrg(r interface{ Scan(...any) error }) (*row, error) {
	var o row
	var submitted, approved, reverify sql.NullTime
	err := r.Scan(&o.ID, &o.Kind, &o.Name, &o.USCC, &o.Status, &o.StatusReason, &o.repNameEnc, &o.repIDEnc, &o.repIDMasked,
		&o.contactNameEnc, &o.contactMobileEnc, &o.email, &o.Address, &o.BusinessScope, &o.DossierVersion, &o.submittedVersion,
		&o.CreatedAt, &submitted, &approved, &reverify, &o.CessationOn, &o.RequireMFA)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, fmt.Errorf("org: scan: %w", err)
	}
	if submitted.Valid {
		o.SubmittedAt = &submitted.Time
	}
	if approved.Valid {
		o.ApprovedAt = &approved.Time
	}
	if reverify.Valid {
		o.ReverifyDueAt = &reverify.Time
	}
	return &o, nil
}

func (s *Service) load(ctx context.Context, q db.Querier, orgID string) (*row, error) {
	if !id.Valid(orgID) {
		return nil, problem.NotFoundError()
	}
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgCols+` FROM organizations WHERE id = $1`, orgID))
	if err != nil {
		return nil, err
	}
	if o.Kind == identity.KindPlatform || o.Kind == identity.KindRegulator {
		// The platform's own and regulators' records are not part of this workflow.
		o.repNameEnc, o.repIDEnc = "", ""
	}
	return o, nil
}

func (s *Service) loadForUpdate(ctx context.Context, tx *db.Tx, orgID string) (*row, error) {
	q := `SELECT ` + orgCols + ` FROM organizations WHERE id = $1`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	return scanOrg(tx.QueryRowContext(ctx, q, orgID))
}

func (s *Service) decrypt(enc, aad string) string {
	if enc == "" {
		return ""
	}
	v, err := s.keys.Decrypt(enc, aad)
	if err != nil {
		return "?"
	}
	return v
}

func aad(field, orgID string) string { return "organizations." + field + "|" + orgID }

// view builds the record the caller sees: masked personal fields unless
// unmask is set (the caller has been checked and the view audited).
func (s *Service) view(ctx context.Context, o *row, unmask bool) (*Organization, error) {
	out := o.Organization
	name := s.decrypt(o.repNameEnc, aad("legal_rep_name", o.ID))
	cname := s.decrypt(o.contactNameEnc, aad("contact_name", o.ID))
	mobile := s.decrypt(o.contactMobileEnc, aad("contact_mobile", o.ID))
	email := s.decrypt(o.email, aad("contact_email", o.ID))
	if unmask {
		out.LegalRepresentative = Person{Name: name, IDNumber: s.decrypt(o.repIDEnc, aad("legal_rep_id", o.ID))}
		out.Contact = Contact{Name: cname, Mobile: mobile, Email: email}
		out.Unmasked = true
	} else {
		out.LegalRepresentative = Person{Name: fieldcrypt.MaskName(name), IDNumber: o.repIDMasked}
		out.Contact = Contact{Name: fieldcrypt.MaskName(cname), Mobile: fieldcrypt.MaskMobile(mobile), Email: fieldcrypt.MaskEmail(email)}
		if email == "" {
			out.Contact.Email = ""
		}
	}
	quals, err := s.qualifications(ctx, s.db.Reader(ctx), o.ID)
	if err != nil {
		return nil, err
	}
	out.Qualifications = quals
	_ = s.db.Reader(ctx).QueryRowContext(ctx, `SELECT register_number FROM filings WHERE organization_id = $1 ORDER BY filed_at DESC LIMIT 1`, o.ID).Scan(&out.FilingNumber)
	return &out, nil
}

func (s *Service) qualifications(ctx context.Context, q db.Querier, orgID string) ([]Qualification, error) {
	rows, err := q.QueryContext(ctx, `SELECT q.id, q.type_code, t.name_zh, t.name_en, q.number, q.issuer, q.valid_from, q.valid_until,
		COALESCE(q.document_id, ''), q.review_status, q.review_reason, q.created_at, q.reviewed_at
		FROM qualifications q JOIN qualification_types t ON t.code = q.type_code
		WHERE q.organization_id = $1 ORDER BY q.created_at`, orgID)
	if err != nil {
		return nil, fmt.Errorf("org: qualifications: %w", err)
	}
	defer rows.Close()
	out := []Qualification{}
	for rows.Next() {
		var q Qualification
		var reviewed sql.NullTime
		if err := rows.Scan(&q.ID, &q.Type, &q.TypeName, &q.TypeNameEN, &q.Number, &q.Issuer, &q.ValidFrom, &q.ValidUntil,
			&q.DocumentID, &q.ReviewStatus, &q.ReviewReason, &q.CreatedAt, &reviewed); err != nil {
			return nil, err
		}
		if reviewed.Valid {
			q.ReviewedAt = &reviewed.Time
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// snapshot is the registration data kept in the registration file at each
// step: personal fields only masked, never in clear.
func (s *Service) snapshot(ctx context.Context, tx *db.Tx, o *row) string {
	quals, _ := s.qualifications(ctx, tx, o.ID)
	b, _ := json.Marshal(map[string]any{
		"name": o.Name, "kind": o.Kind, "uscc": o.USCC, "address": o.Address, "business_scope": o.BusinessScope,
		"legal_representative_id": o.repIDMasked, "dossier_version": o.DossierVersion, "qualifications": quals,
	})
	return string(b)
}

// historyTx appends a step to the registration file (R-5.4-2).
func (s *Service) historyTx(ctx context.Context, tx *db.Tx, o *row, action string, from, to Status, reason string) error {
	actor := "system"
	if p := identity.PrincipalFrom(ctx); p != nil {
		actor = p.ActorID()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO organization_history (id, organization_id, at, actor_id, action, from_status, to_status, reason, dossier_version, snapshot)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id.New(), o.ID, s.clock.Now(), actor, action, string(from), string(to), reason, o.DossierVersion, s.snapshot(ctx, tx, o))
	return err
}

// noticeTx leaves a notice for the organisation.
func (s *Service) noticeTx(ctx context.Context, tx *db.Tx, orgID, kind, zh, en string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO org_notices (id, organization_id, kind, text_zh, text_en, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id.New(), orgID, kind, zh, en, s.clock.Now())
	return err
}

// HistoryEntry is one step of an organisation's registration file.
type HistoryEntry struct {
	At             time.Time `json:"at"`
	ActorID        string    `json:"actor_id"`
	Action         string    `json:"action"`
	FromStatus     string    `json:"from_status"`
	ToStatus       string    `json:"to_status"`
	Reason         string    `json:"reason,omitempty"`
	DossierVersion int       `json:"dossier_version"`
}

// History lists an organisation's registration file, oldest first.
func (s *Service) History(ctx context.Context, orgID string) ([]HistoryEntry, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgRead, orgID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT at, actor_id, action, from_status, to_status, reason, dossier_version
		FROM organization_history WHERE organization_id = $1 ORDER BY at, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		if err := rows.Scan(&h.At, &h.ActorID, &h.Action, &h.FromStatus, &h.ToStatus, &h.Reason, &h.DossierVersion); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Notice is a message to an organisation.
type Notice struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	TextZH    string    `json:"text_zh"`
	TextEN    string    `json:"text_en"`
	CreatedAt time.Time `json:"created_at"`
}

// Notices lists an organisation's notices, newest first.
func (s *Service) Notices(ctx context.Context, orgID string) ([]Notice, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgRead, orgID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, text_zh, text_en, created_at FROM org_notices WHERE organization_id = $1 ORDER BY created_at DESC LIMIT 100`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		if err := rows.Scan(&n.ID, &n.Kind, &n.TextZH, &n.TextEN, &n.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// viewByID is the masked record for a caller already authorised.
func (s *Service) viewByID(ctx context.Context, orgID string) (*Organization, error) {
	o, err := s.load(ctx, s.db.Reader(ctx), orgID)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, o, false)
}

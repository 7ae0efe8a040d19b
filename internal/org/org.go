// Package org owns the parties on the platform as organisations: their
// registration data, the qualification dossier, the review workflow
// (draft → pending_review → approved | rejected; suspended, closed), the
// registration file of every version and decision, the filing register,
// qualification expiry and periodic re-verification, and the data of the
// public disclosure page (GB/T 31524 §5.4, §6.1, §7.1, §8.1; E-Commerce Law
// arts. 15, 27).
//
// Tables: the registration columns of organizations, qualification_types,
// qualification_requirements, qualifications, organization_history,
// filings, filing_counters, qualification_warnings, org_notices.
package org

import (
	"context"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Status is an organisation's review status.
type Status string

// The statuses of the review workflow (R-5.4-1).
const (
	StatusDraft         Status = "draft"
	StatusPendingReview Status = "pending_review"
	StatusApproved      Status = "approved"
	StatusRejected      Status = "rejected"
	StatusSuspended     Status = "suspended"
	StatusClosed        Status = "closed"
)

// DocumentAttacher links an uploaded document to an organisation in the
// caller's transaction (implemented by the document package).
type DocumentAttacher interface {
	AttachTx(ctx context.Context, tx *db.Tx, docID, orgID string) error
}

// Service is the organisations domain.
type Service struct {
	db    *db.DB
	clock clock.Clock
	keys  *fieldcrypt.Keyring
	trail *audit.Trail
	ids   *identity.Service
	docs  DocumentAttacher
}

// NewService returns the organisations service. docs may be nil (then
// qualifications cannot reference documents).
func NewService(d *db.DB, c clock.Clock, keys *fieldcrypt.Keyring, trail *audit.Trail, ids *identity.Service, docs DocumentAttacher) *Service {
	return &Service{db: d, clock: c, keys: keys, trail: trail, ids: ids, docs: docs}
}

// Person is a natural person named in the registration data.
type Person struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
}

// Contact is the organisation's contact person.
type Contact struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	Email  string `json:"email,omitempty"`
}

// Organization is an organisation's record. Personal fields are masked
// unless the caller may and asked to see them (R-9.3-1).
type Organization struct {
	ID                  string          `json:"id"`
	Kind                identity.Kind   `json:"kind"`
	Name                string          `json:"name"`
	USCC                string          `json:"uscc"`
	Status              Status          `json:"status"`
	StatusReason        string          `json:"status_reason,omitempty"`
	LegalRepresentative Person          `json:"legal_representative"`
	Contact             Contact         `json:"contact"`
	Address             string          `json:"address"`
	BusinessScope       string          `json:"business_scope"`
	DossierVersion      int             `json:"dossier_version"`
	Qualifications      []Qualification `json:"qualifications"`
	CreatedAt           time.Time       `json:"created_at"`
	SubmittedAt         *time.Time      `json:"submitted_at,omitempty"`
	ApprovedAt          *time.Time      `json:"approved_at,omitempty"`
	ReverifyDueAt       *time.Time      `json:"reverify_due_at,omitempty"`
	CessationOn         string          `json:"cessation_on,omitempty"`
	FilingNumber        string          `json:"filing_number,omitempty"`
	Unmasked            bool            `json:"unmasked"`
	RequireMFA          bool            `json:"require_mfa"`
}

// Qualification is one licence in the dossier.
type Qualification struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	TypeName     string     `json:"type_name"`
	TypeNameEN   string     `json:"type_name_en"`
	Number       string     `json:"number"`
	Issuer       string     `json:"issuer"`
	ValidFrom    string     `json:"valid_from"`
	ValidUntil   string     `json:"valid_until"`
	DocumentID   string     `json:"document_id,omitempty"`
	ReviewStatus string     `json:"review_status"`
	ReviewReason string     `json:"review_reason,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
}

// InForce reports whether the qualification is approved and valid on day
// (YYYY-MM-DD, Asia/Shanghai).
func (q Qualification) InForce(day string) bool {
	return q.ReviewStatus == "approved" && q.ValidFrom <= day && day <= q.ValidUntil
}

// Today returns the calendar day in Asia/Shanghai as YYYY-MM-DD: licences
// are valid by local calendar day (R-X-2).
func Today(now time.Time) string { return now.In(clock.Shanghai).Format(time.DateOnly) }

var (
	errInvalidTransition = func(from Status, action string) error {
		return problem.Newf(problem.InvalidTransition, "当前状态（%s）不允许%s", "Cannot %[2]s an organisation in status %[1]s", from, action)
	}
	// ErrOwnOrganization is answered when a reviewer decides on an
	// organisation they belong to.
	ErrOwnOrganization = problem.New(problem.Forbidden, i18n.T("审核人员不能审核自己所属的组织", "A reviewer cannot decide on an organisation they are a member of"))
)

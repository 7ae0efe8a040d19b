package identity

import (
	"context"
	"slices"

	"gbmall/internal/audit"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

func problemText(zh, en string) i18n.Text { return i18n.T(zh, en) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller in ctx, or nil when anonymous.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Can reports whether p holds perm in organisation orgID. Platform staff
// holding a platform permission may use it on any organisation ("" means
// the permission is platform-wide).
func (p *Principal) Can(perm Permission, orgID string) bool {
	if p == nil || p.MFAEnrolmentRequired {
		return false
	}
	if p.APIKeyID != "" {
		return (orgID == "" || orgID == p.APIKeyOrg) && slices.Contains(p.APIKeyPerms, perm)
	}
	for _, m := range p.Memberships {
		if !Grants(m.Kind, m.Role, perm) {
			continue
		}
		if m.OrganizationID == orgID || orgID == "" || m.Kind == KindPlatform && platformWide(perm) {
			return true
		}
	}
	return false
}

// IsMember reports whether p belongs to organisation orgID.
func (p *Principal) IsMember(orgID string) bool {
	if p == nil {
		return false
	}
	if p.APIKeyID != "" {
		return p.APIKeyOrg == orgID
	}
	for _, m := range p.Memberships {
		if m.OrganizationID == orgID {
			return true
		}
	}
	return false
}

// HasKind reports whether p is a member of any organisation of kind k.
func (p *Principal) HasKind(k Kind) bool {
	if p == nil {
		return false
	}
	for _, m := range p.Memberships {
		if m.Kind == k {
			return true
		}
	}
	return p.APIKeyKind == k && p.APIKeyID != ""
}

// platformWide permissions reach across tenants: platform staff review and
// supervise every organisation.
func platformWide(perm Permission) bool {
	switch perm {
	case PermOrgRead, PermReviewOrgs, PermMediate, PermPlatformAdmin, PermSecurityAdmin, PermAuditRead, PermSuperviseRead, PermPersonalUnmask:
		return true
	}
	return false
}

// Authorize is the one authorisation check (R-10.4-9). A caller who is not
// signed in gets 401; a caller with no standing in organisation orgID gets
// 404 — another tenant's objects are indistinguishable from missing ones;
// a member lacking the permission gets 403.
func Authorize(ctx context.Context, perm Permission, orgID string) (*Principal, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, ErrUnauthenticated
	}
	if p.MFAEnrolmentRequired {
		return nil, problem.New(problem.MFAEnrolmentRequired, i18n.T("请先绑定动态验证码（TOTP）后再继续", "Enrol a second factor (TOTP) before continuing"))
	}
	if p.Can(perm, orgID) {
		return p, nil
	}
	if orgID != "" && !p.IsMember(orgID) && !p.Can(PermOrgRead, orgID) {
		return nil, problem.NotFoundError()
	}
	return nil, ErrForbidden
}

// RequireSignedIn returns the caller or 401; accounts still owing a second
// factor get mfa-enrolment-required unless allowEnrolment is set.
func RequireSignedIn(ctx context.Context, allowEnrolment bool) (*Principal, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, ErrUnauthenticated
	}
	if p.MFAEnrolmentRequired && !allowEnrolment {
		return nil, problem.New(problem.MFAEnrolmentRequired, i18n.T("请先绑定动态验证码（TOTP）后再继续", "Enrol a second factor (TOTP) before continuing"))
	}
	return p, nil
}

// PrincipalFor builds the principal of an account without a session, for
// in-process actors: demo loading, tests, and jobs acting for someone.
func (s *Service) PrincipalFor(ctx context.Context, accountID string) (*Principal, error) {
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &Principal{AccountID: a.ID, DisplayName: a.DisplayName, SessionKind: "internal", Memberships: a.Memberships,
		MFAEnrolmentRequired: mfaRequired(a.Memberships) && !a.TOTPEnabled}, nil
}

func auditEvent(action, orgID string, details map[string]any) audit.Event {
	return audit.Event{Action: action, ObjectType: "organization", ObjectID: orgID, Details: details}
}

// Package identity owns accounts, organisations and memberships, sessions,
// second factors, API keys, and the one authorisation check every request
// goes through (GB/T 31524 §10.4 user authentication and permissions;
// levels after GB/T 22239 level 3).
//
// Tables: accounts, organizations (the identity columns; the org package
// adds the qualification dossier), memberships, sessions, api_keys,
// consents, staff_agreements.
package identity

import (
	"slices"
	"sort"
)

// Kind is an organisation kind.
type Kind string

// The organisation kinds. Consumers are accounts with no membership.
const (
	KindPlatform        Kind = "platform"
	KindSeller          Kind = "seller"
	KindCarrier         Kind = "carrier"
	KindPaymentProvider Kind = "payment_provider"
	KindRegulator       Kind = "regulator"
)

// Kinds lists every organisation kind.
var Kinds = []Kind{KindPlatform, KindSeller, KindCarrier, KindPaymentProvider, KindRegulator}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Role is a role within an organisation.
type Role string

// Roles. Every kind has owner and staff; the platform has the posts of
// R-5.2-1 (三员: system admin, security admin, auditor kept apart) plus
// reviewers and mediators; carriers have the posts of R-7.2-1.
const (
	RoleOwner         Role = "owner"
	RoleStaff         Role = "staff"
	RoleAdmin         Role = "admin"
	RoleReviewer      Role = "reviewer"
	RoleMediator      Role = "mediator"
	RoleSecurityAdmin Role = "security_admin"
	RoleAuditor       Role = "auditor"
	RoleDispatcher    Role = "dispatcher"
	RoleCourier       Role = "courier"
	RoleService       Role = "service"
	RoleInspector     Role = "inspector"
)

// Permission is something a role allows.
type Permission string

// Permissions. Handlers ask for one of these through Authorize; roles map
// to them here and nowhere else.
const (
	PermOrgRead        Permission = "org.read"         // see the organisation's own records
	PermOrgManage      Permission = "org.manage"       // edit the organisation and its dossier
	PermMembersManage  Permission = "members.manage"   // invite, change roles, remove members
	PermAPIKeysManage  Permission = "apikeys.manage"   // issue and revoke API keys
	PermCatalogManage  Permission = "catalog.manage"   // products, suppliers, stock (sellers)
	PermOrdersManage   Permission = "orders.manage"    // accept, reject, ship (sellers)
	PermShipments      Permission = "shipments.manage" // handle shipments (carriers)
	PermPayments       Permission = "payments.manage"  // payment channel (providers)
	PermReviewOrgs     Permission = "platform.review"  // qualification review, moderation
	PermMediate        Permission = "platform.mediate" // complaints and disputes
	PermPlatformAdmin  Permission = "platform.admin"   // platform settings, accounts, reconciliation
	PermSecurityAdmin  Permission = "platform.security"
	PermAuditRead      Permission = "audit.read"       // read the audit trail
	PermSuperviseRead  Permission = "supervision.read" // regulators' read-only view
	PermPersonalUnmask Permission = "personal.unmask"  // see unmasked personal data (audited)
)

var rolePerms = map[Kind]map[Role][]Permission{
	KindPlatform: {
		RoleAdmin:         {PermOrgRead, PermPlatformAdmin, PermMembersManage, PermSuperviseRead},
		RoleReviewer:      {PermOrgRead, PermReviewOrgs, PermSuperviseRead, PermPersonalUnmask},
		RoleMediator:      {PermOrgRead, PermMediate, PermSuperviseRead},
		RoleSecurityAdmin: {PermOrgRead, PermSecurityAdmin, PermMembersManage},
		RoleAuditor:       {PermOrgRead, PermAuditRead},
	},
	KindSeller: {
		RoleOwner: {PermOrgRead, PermOrgManage, PermMembersManage, PermAPIKeysManage, PermCatalogManage, PermOrdersManage},
		RoleStaff: {PermOrgRead, PermCatalogManage, PermOrdersManage},
	},
	KindCarrier: {
		RoleOwner:      {PermOrgRead, PermOrgManage, PermMembersManage, PermAPIKeysManage, PermShipments},
		RoleStaff:      {PermOrgRead, PermShipments},
		RoleDispatcher: {PermOrgRead, PermShipments},
		RoleCourier:    {PermOrgRead, PermShipments},
		RoleService:    {PermOrgRead, PermShipments},
	},
	KindPaymentProvider: {
		RoleOwner: {PermOrgRead, PermOrgManage, PermMembersManage, PermAPIKeysManage, PermPayments},
		RoleStaff: {PermOrgRead, PermPayments},
	},
	KindRegulator: {
		RoleOwner:     {PermOrgRead, PermMembersManage, PermSuperviseRead},
		RoleInspector: {PermOrgRead, PermSuperviseRead},
		RoleStaff:     {PermOrgRead, PermSuperviseRead},
	},
}

// RolesOf lists the roles an organisation of kind k may grant.
func RolesOf(k Kind) []Role {
	var out []Role
	for r := range rolePerms[k] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ValidRole reports whether r exists for kind k.
func ValidRole(k Kind, r Role) bool { _, ok := rolePerms[k][r]; return ok }

// Grants reports whether role r in an organisation of kind k allows p.
func Grants(k Kind, r Role, p Permission) bool { return slices.Contains(rolePerms[k][r], p) }

// PermissionsOf lists what role r of kind k allows.
func PermissionsOf(k Kind, r Role) []Permission { return slices.Clone(rolePerms[k][r]) }

// separatedRoles are the 三员 of R-5.2-1: no account holds two of them.
var separatedRoles = []Role{RoleAdmin, RoleSecurityAdmin, RoleAuditor}

// personalDataRoles read personal data, so granting them needs a recorded
// confidentiality agreement (R-5.2-3).
var personalDataRoles = []Role{RoleAdmin, RoleReviewer, RoleMediator}

// NeedsAgreement reports whether granting r requires a confidentiality agreement.
func NeedsAgreement(k Kind, r Role) bool {
	return k == KindPlatform && slices.Contains(personalDataRoles, r)
}

// mfaRequiredKinds must use a second factor before any privileged call (R-10.4-4).
func mfaRequiredKind(k Kind) bool { return k == KindPlatform || k == KindRegulator }

// staffKind sessions idle out after 30 minutes (R-10.4-3).
func staffKind(k Kind) bool { return k == KindPlatform || k == KindRegulator }

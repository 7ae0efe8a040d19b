package web

import (
	"net/http"
	"slices"

	"gbmall/internal/identity"
)

// index is the public welcome page; signed-in people go to their home.
func (s *server) index(w http.ResponseWriter, r *http.Request) {
	if user(r) != nil {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "index", "", nil)
}

// homePage is the data of home.html: one section per kind of standing
// the person has. A consumer has no memberships.
type homePage struct {
	Name      string
	Consumer  bool
	Platform  []platformRole
	Business  []orgCard // sellers, carriers, payment providers
	Regulator []orgCard
}

// orgCard is one organisation the person belongs to.
type orgCard struct {
	ID    string
	Name  string
	Kind  identity.Kind
	Roles []identity.Role
	Perms []identity.Permission
}

// platformRole is one of the person's posts at the platform operator.
type platformRole struct {
	Role  identity.Role
	Perms []identity.Permission
	// Console is the page where the role works today ("" when its pages
	// are not built yet).
	Console string
}

// consoles are the working pages that exist for a platform role.
var consoles = map[identity.Role]string{
	identity.RoleAuditor:  "/console/audit",
	identity.RoleReviewer: "/console/review",
}

// home is the signed-in start page, built from the person's memberships.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, false)
	if p == nil {
		return
	}
	page := homePage{Name: p.DisplayName, Consumer: len(p.Memberships) == 0}
	for _, c := range groupByOrg(p.Memberships) {
		switch c.Kind {
		case identity.KindPlatform:
			for _, role := range c.Roles {
				page.Platform = append(page.Platform, platformRole{Role: role,
					Perms: identity.PermissionsOf(identity.KindPlatform, role), Console: consoles[role]})
			}
		case identity.KindRegulator:
			page.Regulator = append(page.Regulator, c)
		default:
			page.Business = append(page.Business, c)
		}
	}
	s.render(w, r, http.StatusOK, "home", "home", page)
}

// groupByOrg turns memberships (one per role) into one card per
// organisation with the union of its roles' permissions.
func groupByOrg(ms []identity.Membership) []orgCard {
	var cards []orgCard
	index := map[string]int{}
	for _, m := range ms {
		i, ok := index[m.OrganizationID]
		if !ok {
			i = len(cards)
			index[m.OrganizationID] = i
			cards = append(cards, orgCard{ID: m.OrganizationID, Name: m.OrganizationName, Kind: m.Kind})
		}
		c := &cards[i]
		c.Roles = append(c.Roles, m.Role)
		for _, perm := range identity.PermissionsOf(m.Kind, m.Role) {
			if !slices.Contains(c.Perms, perm) {
				c.Perms = append(c.Perms, perm)
			}
		}
	}
	return cards
}

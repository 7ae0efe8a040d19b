package web

import (
	"net/http"
	"net/url"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/i18n"
)

// membersPage is the data of members.html.
type membersPage struct {
	Org     *org.Organization
	Members []identity.Member
	Roles   []identity.Role // the roles the kind may grant
	// CanManage: the caller may invite and remove (members.manage).
	CanManage bool
	// CanSecurity: the caller may require a second factor (owners).
	CanSecurity bool
	// MFAAlways: platform and regulator accounts always need one.
	MFAAlways bool
	// Agreement: granting some of the kind's roles needs a confirmed
	// confidentiality agreement (platform roles that read personal data).
	Agreement bool
	Business  bool // a seller, carrier or payment provider (has a dossier)
	// SoleOwner is the account of the only owner, who cannot be removed
	// ("" when there are several).
	SoleOwner string
	Self      string
	Form      *form
	Errors    *form
	Flash     string
}

var msgChooseRole = i18n.T("请选择角色", "Choose a role")

// members lists an organisation's members and, for those who manage
// them, invites by login, removes roles, and sets the second-factor
// requirement (R-6.2-1, R-10.4-4).
func (s *server) members(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, false)
	if p == nil {
		return
	}
	s.renderMembers(w, r, http.StatusOK, newForm(), newForm())
}

func (s *server) renderMembers(w http.ResponseWriter, r *http.Request, status int, f, errs *form) {
	ctx := r.Context()
	p := identity.PrincipalFrom(ctx)
	id := r.PathValue("id")
	o, err := s.d.Orgs.Get(ctx, id, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.d.Identity.Members(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := membersPage{Org: o, Members: ms, Roles: identity.RolesOf(o.Kind), CanManage: p.Can(identity.PermMembersManage, id),
		CanSecurity: p.Can(identity.PermOrgManage, id), MFAAlways: o.Kind == identity.KindPlatform || o.Kind == identity.KindRegulator,
		Business: onboardKind(o.Kind), Self: p.AccountID, Form: f, Errors: errs}
	for _, role := range page.Roles {
		page.Agreement = page.Agreement || identity.NeedsAgreement(o.Kind, role)
	}
	owners := 0
	for _, m := range ms {
		if holds(m.Roles, identity.RoleOwner) {
			owners++
			page.SoleOwner = m.AccountID
		}
	}
	if owners != 1 {
		page.SoleOwner = ""
	}
	if status == http.StatusOK {
		page.Flash = flash(r)
	}
	s.render(w, r, status, "members", "orgs", page)
}

// addMember invites an existing account by its login with a role.
func (s *server) addMember(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	f := newForm()
	f.Values["login"] = strings.TrimSpace(r.PostForm.Get("login"))
	f.Values["role"] = r.PostForm.Get("role")
	if f.Values["role"] == "" {
		f.add("role", msgChooseRole)
	}
	if f.Values["login"] == "" {
		f.add("login", msgRequired)
	}
	if f.Invalid() {
		s.renderMembers(w, r, http.StatusUnprocessableEntity, f, newForm())
		return
	}
	id := r.PathValue("id")
	_, err := s.d.Identity.AddMember(r.Context(), id, f.Values["login"], identity.Role(f.Values["role"]), r.PostForm.Get("agreement") == "yes")
	if err != nil {
		if status := formStatus(f, err, nil); status != 0 {
			s.renderMembers(w, r, status, f, newForm())
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/members?msg=member_added", http.StatusSeeOther)
}

// removeMemberConfirm asks before a role (or, without ?role=, every role)
// is taken away; access ends at once.
func (s *server) removeMemberConfirm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	ctx := r.Context()
	id, account := r.PathValue("id"), r.PathValue("account")
	if _, err := identity.Authorize(ctx, identity.PermMembersManage, id); err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.d.Identity.Members(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	role := identity.Role(r.URL.Query().Get("role"))
	var m *identity.Member
	for i := range ms {
		if ms[i].AccountID == account {
			m = &ms[i]
		}
	}
	if m == nil || role != "" && !holds(m.Roles, role) {
		s.notFound(w, r)
		return
	}
	lang := langOf(r)
	page := confirmPage{Title: msg("members.remove_title"), Body: msg("members.remove_all_body"), Danger: true,
		Facts:   []confirmFact{{msg("members.name"), m.DisplayName}, {msg("members.login"), m.Login}},
		Action:  "/orgs/" + id + "/members/" + account + "/remove",
		Confirm: msg("members.remove_confirm"), Cancel: "/orgs/" + id + "/members"}
	if role != "" {
		page.Body = msg("members.remove_role_body")
		page.Hidden = map[string]string{"role": string(role)}
		page.Facts = append(page.Facts, confirmFact{msg("members.role"), label("role."+string(role), string(role), lang)})
	} else {
		var names []string
		for _, rl := range m.Roles {
			names = append(names, label("role."+string(rl), string(rl), lang))
		}
		page.Facts = append(page.Facts, confirmFact{msg("members.roles"), strings.Join(names, msg("list.sep").In(lang))})
	}
	if account == identity.PrincipalFrom(ctx).AccountID {
		page.Body = msg("members.remove_self_body")
	}
	s.render(w, r, http.StatusOK, "confirm", "orgs", page)
}

func holds(roles []identity.Role, role identity.Role) bool {
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// removeMember takes the role (or every role) away. The last owner
// cannot be removed; the page says so.
func (s *server) removeMember(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, false)
	if p == nil {
		return
	}
	id, account := r.PathValue("id"), r.PathValue("account")
	if err := s.d.Identity.RemoveMember(r.Context(), id, account, identity.Role(r.PostForm.Get("role"))); err != nil {
		errs := newForm()
		if status := summaryStatus(errs, err); status != 0 {
			s.renderMembers(w, r, status, newForm(), errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	if account == p.AccountID { // the page may no longer be theirs to see
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/members?msg=member_removed", http.StatusSeeOther)
}

// setRequireMFA lets an owner require a second factor of every member.
func (s *server) setRequireMFA(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	on := r.PostForm.Get("require_mfa") == "on"
	if err := s.d.Identity.SetRequireMFA(r.Context(), id, on); err != nil {
		errs := newForm()
		if status := summaryStatus(errs, err); status != 0 {
			s.renderMembers(w, r, status, newForm(), errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	done := "mfa_off"
	if on {
		done = "mfa_on"
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/members?msg="+done, http.StatusSeeOther)
}

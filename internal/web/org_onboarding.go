package web

import (
	"net/http"
	"net/url"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// onboardingPage is the data of onboarding.html: step 1 (choose the kind)
// or step 2 (the registration form); the same form edits the data of an
// existing organisation.
type onboardingPage struct {
	Step     int
	Kinds    []kindChoice
	Kind     identity.Kind
	Required []qualType
	Form     *form
	// Edit is set when correcting an existing organisation's data.
	Edit   bool
	Org    *org.Organization
	Action string
}

// kindChoice is one card of step 1.
type kindChoice struct {
	Kind     identity.Kind
	Required []qualType
}

// registrationInputs maps the domain's registration field names to the
// form's inputs.
var registrationInputs = map[string]string{
	"legal_representative.name":      "rep_name",
	"legal_representative.id_number": "rep_id",
	"contact.name":                   "contact_name",
	"contact.mobile":                 "contact_mobile",
	"contact.email":                  "contact_email",
}

// registrationFormFields are the inputs of the registration form.
var registrationFormFields = []string{"name", "uscc", "rep_name", "rep_id", "contact_name", "contact_mobile", "contact_email", "address", "business_scope"}

// onboarding is the wizard's first two steps for a signed-in person:
// choose the kind, then fill in the registration form (R-5.4-1).
func (s *server) onboarding(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	kind := identity.Kind(r.URL.Query().Get("kind"))
	if !onboardKind(kind) {
		page := onboardingPage{Step: 1}
		for _, k := range onboardKinds {
			types, err := s.qualTypes(r.Context(), k)
			if err != nil {
				s.renderError(w, r, http.StatusInternalServerError, err)
				return
			}
			c := kindChoice{Kind: k}
			for _, t := range types {
				if t.Required {
					c.Required = append(c.Required, t)
				}
			}
			page.Kinds = append(page.Kinds, c)
		}
		s.render(w, r, http.StatusOK, "onboarding", "orgs", page)
		return
	}
	s.renderRegistration(w, r, http.StatusOK, kind, newForm())
}

func (s *server) renderRegistration(w http.ResponseWriter, r *http.Request, status int, kind identity.Kind, f *form) {
	types, err := s.qualTypes(r.Context(), kind)
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, err)
		return
	}
	page := onboardingPage{Step: 2, Kind: kind, Form: f, Action: "/onboarding"}
	for _, t := range types {
		if t.Required {
			page.Required = append(page.Required, t)
		}
	}
	s.render(w, r, status, "onboarding", "orgs", page)
}

// registrationForm reads the registration inputs into f and a
// Registration.
func registrationForm(r *http.Request, kind identity.Kind) (*form, org.Registration) {
	f := newForm()
	for _, name := range registrationFormFields {
		f.Values[name] = strings.TrimSpace(r.PostForm.Get(name))
	}
	v := f.Values
	return f, org.Registration{Kind: kind, Name: v["name"], USCC: v["uscc"],
		LegalRepresentative: org.Person{Name: v["rep_name"], IDNumber: v["rep_id"]},
		Contact:             org.Contact{Name: v["contact_name"], Mobile: v["contact_mobile"], Email: v["contact_email"]},
		Address:             v["address"], BusinessScope: v["business_scope"]}
}

// createOrg starts the organisation as a draft with the caller as owner,
// then sends them to its dossier (step 3). Every invalid field is shown
// next to its input.
func (s *server) createOrg(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	kind := identity.Kind(r.PostForm.Get("kind"))
	if !onboardKind(kind) {
		http.Redirect(w, r, "/onboarding", http.StatusSeeOther)
		return
	}
	f, reg := registrationForm(r, kind)
	o, err := s.d.Orgs.Create(r.Context(), reg)
	if err != nil {
		if problem.CodeOf(err) == problem.Conflict { // the USCC is taken
			p, _ := problem.As(err)
			f.add("uscc", p.Detail)
			s.renderRegistration(w, r, http.StatusConflict, kind, f)
			return
		}
		if status := formStatus(f, err, registrationInputs); status != 0 {
			s.renderRegistration(w, r, status, kind, f)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(o.ID)+"/dossier?msg=created", http.StatusSeeOther)
}

// editOrgForm corrects the registration data of a draft, rejected,
// approved or suspended organisation. Personal data is never shown in
// clear to its members, so those inputs start empty and must be given
// again.
func (s *server) editOrgForm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	o, ok := s.managedOrg(w, r)
	if !ok {
		return
	}
	if o.Status == org.StatusPendingReview || o.Status == org.StatusClosed {
		http.Redirect(w, r, "/orgs/"+url.PathEscape(o.ID)+"/dossier", http.StatusSeeOther)
		return
	}
	f := newForm()
	f.Values["name"], f.Values["uscc"], f.Values["address"], f.Values["business_scope"] = o.Name, o.USCC, o.Address, o.BusinessScope
	s.render(w, r, http.StatusOK, "onboarding", "orgs", onboardingPage{Step: 2, Kind: o.Kind, Form: f, Edit: true, Org: o,
		Action: "/orgs/" + o.ID + "/edit"})
}

func (s *server) editOrg(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	o, ok := s.managedOrg(w, r)
	if !ok {
		return
	}
	f, reg := registrationForm(r, o.Kind)
	if _, err := s.d.Orgs.Update(r.Context(), o.ID, reg); err != nil {
		if status := formStatus(f, err, registrationInputs); status != 0 {
			s.render(w, r, status, "onboarding", "orgs", onboardingPage{Step: 2, Kind: o.Kind, Form: f, Edit: true, Org: o,
				Action: "/orgs/" + o.ID + "/edit"})
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(o.ID)+"/dossier?msg=updated", http.StatusSeeOther)
}

// managedOrg loads the organisation of the path for a caller who may
// manage it; otherwise it answers (404 to strangers, 403 to members
// without the permission) and reports false.
func (s *server) managedOrg(w http.ResponseWriter, r *http.Request) (*org.Organization, bool) {
	id := r.PathValue("id")
	if _, err := identity.Authorize(r.Context(), identity.PermOrgManage, id); err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	o, err := s.d.Orgs.Get(r.Context(), id, false)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if !onboardKind(o.Kind) {
		s.notFound(w, r)
		return nil, false
	}
	return o, true
}

// myOrgsPage is the data of orgs.html.
type myOrgsPage struct {
	Orgs []org.Summary
}

// myOrgs lists the organisations the person belongs to, with the way to
// start another.
func (s *server) myOrgs(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	xs, err := s.d.Orgs.MyOrganizations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "orgs", "orgs", myOrgsPage{Orgs: xs})
}

// orgIndex sends /orgs/{id} to the dossier.
func (s *server) orgIndex(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/orgs/"+url.PathEscape(r.PathValue("id"))+"/dossier", http.StatusSeeOther)
}

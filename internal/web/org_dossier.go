package web

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// dossierPage is the data of dossier.html: step 3 of onboarding and the
// organisation's licence file afterwards.
type dossierPage struct {
	Org      *org.Organization
	Types    []qualType // the kind's types, required first, with Present set
	Missing  []qualType // required types the dossier lacks
	Optional []qualType // the kind's other types
	Notices  []org.Notice
	History  []org.HistoryEntry
	// CanManage: the caller may change the dossier (owners).
	CanManage bool
	// CanAdd: licences may be added in the current status.
	CanAdd bool
	// CanSubmit: the dossier may be sent to review now.
	CanSubmit bool
	// CanEdit: the registration data may be corrected now.
	CanEdit bool
	// ReconfirmDue: the six-monthly re-confirmation is due within 30 days.
	ReconfirmDue bool
	Uploads      bool // documents are enabled: the form asks for a scan
	Form         *form
	Errors       *form // messages about the page's other actions
	Flash        string
	MaxMiB       int
}

var (
	msgChooseFile = i18n.T("请选择证照扫描件（PDF、PNG 或 JPEG）", "Choose the scan of the licence (PDF, PNG or JPEG)")
	msgRequired   = i18n.T("请填写此项", "This field is required")
	msgChooseType = i18n.T("请选择资质类型", "Choose the type of licence")
)

// qualificationInputs maps AddQualification's field names to inputs.
var qualificationInputs = map[string]string{"document_id": "file"}

// dossier shows an organisation's registration data (masked), the
// licences its kind needs, the add-a-licence form, its licences, notices
// and file, and the way to submit it for review.
func (s *server) dossier(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	s.renderDossier(w, r, http.StatusOK, newForm(), newForm())
}

// renderDossier loads and shows the dossier of the path's organisation
// with f (the add-a-licence form) and errs (the page's other messages).
func (s *server) renderDossier(w http.ResponseWriter, r *http.Request, status int, f, errs *form) {
	ctx := r.Context()
	id := r.PathValue("id")
	o, err := s.d.Orgs.Get(ctx, id, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !onboardKind(o.Kind) {
		s.notFound(w, r)
		return
	}
	page, err := s.dossierData(ctx, o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Form, page.Errors = f, errs
	if status == http.StatusOK {
		page.Flash = flash(r)
	}
	s.render(w, r, status, "dossier", "orgs", page)
}

func (s *server) dossierData(ctx context.Context, o *org.Organization) (*dossierPage, error) {
	p := identity.PrincipalFrom(ctx)
	page := &dossierPage{Org: o, CanManage: p.Can(identity.PermOrgManage, o.ID), Uploads: s.d.Documents != nil,
		MaxMiB: document.MaxSize >> 20}
	open := o.Status != org.StatusPendingReview && o.Status != org.StatusClosed
	page.CanAdd = page.CanManage && open
	page.CanEdit = page.CanManage && open
	page.CanSubmit = page.CanManage && (o.Status == org.StatusDraft || o.Status == org.StatusRejected)
	if o.ReverifyDueAt != nil && (o.Status == org.StatusApproved || o.Status == org.StatusSuspended) {
		page.ReconfirmDue = page.CanManage && o.ReverifyDueAt.Sub(s.d.Clock.Now()) < 30*24*time.Hour
	}
	types, err := s.qualTypes(ctx, o.Kind)
	if err != nil {
		return nil, err
	}
	for i := range types {
		for _, q := range o.Qualifications {
			if q.Type == types[i].Code && (q.ReviewStatus == "pending" || q.ReviewStatus == "approved") {
				types[i].Present = true
			}
		}
	}
	page.Types = types
	for _, t := range types {
		if t.Required && !t.Present {
			page.Missing = append(page.Missing, t)
		}
		if !t.Required {
			page.Optional = append(page.Optional, t)
		}
	}
	if page.Notices, err = s.d.Orgs.Notices(ctx, o.ID); err != nil {
		return nil, err
	}
	if page.History, err = s.d.Orgs.History(ctx, o.ID); err != nil {
		return nil, err
	}
	return page, nil
}

// addQualification uploads the scan (when one is chosen and documents are
// enabled), then adds the licence with the scan's id. A refused file
// (over 10 MiB: 413; not PDF, PNG or JPEG: 415) is shown next to the file
// input.
func (s *server) addQualification(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	f := newForm()
	if uploadTooLarge(r) {
		f.add("file", document.TooLargeError().Detail)
		s.renderDossier(w, r, http.StatusRequestEntityTooLarge, f, newForm())
		return
	}
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, id); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, name := range []string{"type", "number", "issuer", "valid_from", "valid_until"} {
		f.Values[name] = strings.TrimSpace(r.PostForm.Get(name))
	}
	// What can be told without the domain is told before the scan is
	// stored, so a form with a gap does not leave an unused upload.
	if f.Values["type"] == "" {
		f.add("type", msgChooseType)
	}
	for _, name := range []string{"number", "issuer", "valid_from", "valid_until"} {
		if f.Values[name] == "" {
			f.add(name, msgRequired)
		}
	}
	var file *uploadedFile
	if s.d.Documents != nil {
		var status int
		file, status = formFile(r, "file")
		switch {
		case status == http.StatusRequestEntityTooLarge:
			f.add("file", document.TooLargeError().Detail)
		case file == nil:
			f.add("file", msgChooseFile)
		}
		if file != nil {
			defer file.Close()
		}
		if status == http.StatusRequestEntityTooLarge {
			s.renderDossier(w, r, status, f, newForm())
			return
		}
	}
	if f.Invalid() {
		s.renderDossier(w, r, http.StatusUnprocessableEntity, f, newForm())
		return
	}
	in := org.QualificationInput{Type: f.Values["type"], Number: f.Values["number"], Issuer: f.Values["issuer"],
		ValidFrom: f.Values["valid_from"], ValidUntil: f.Values["valid_until"]}
	if file != nil {
		doc, err := s.d.Documents.Upload(ctx, file.Name, file, id)
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Code == problem.NotFound || p.Code == problem.Unauthenticated {
				s.fail(w, r, err)
				return
			}
			status := p.Code.Status()
			if p.Code == problem.Validation {
				status = http.StatusUnprocessableEntity
				for _, fe := range p.Fields {
					f.add("file", fe.Message)
				}
			} else {
				f.add("file", p.Detail)
			}
			s.renderDossier(w, r, status, f, newForm())
			return
		}
		in.DocumentID = doc.ID
	}
	if _, err := s.d.Orgs.AddQualification(ctx, id, in); err != nil {
		if status := formStatus(f, err, qualificationInputs); status != 0 {
			s.renderDossier(w, r, status, f, newForm())
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/dossier?msg=qualification_added#qualifications", http.StatusSeeOther)
}

// submitConfirm is the second step of submitting: once in review the
// dossier cannot be changed, so the owner confirms on a page of its own.
func (s *server) submitConfirm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	o, ok := s.managedOrg(w, r)
	if !ok {
		return
	}
	if o.Status != org.StatusDraft && o.Status != org.StatusRejected {
		http.Redirect(w, r, "/orgs/"+url.PathEscape(o.ID)+"/dossier", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", "orgs", confirmPage{
		Title: msg("submit.title"), Body: msg("submit.body"),
		Facts:  []confirmFact{{msg("org.name"), o.Name}, {msg("org.uscc"), o.USCC}, {msg("dossier.qualifications"), countText(len(o.Qualifications), langOf(r))}},
		Action: "/orgs/" + o.ID + "/submit", Confirm: msg("submit.confirm"), Cancel: "/orgs/" + o.ID + "/dossier",
	})
}

func countText(n int, lang i18n.Lang) string {
	return fmt.Sprintf(msg("count.items").In(lang), n)
}

// submit sends the dossier to review. Missing required licences are
// listed on the dossier page.
func (s *server) submit(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := s.d.Orgs.Submit(r.Context(), id); err != nil {
		errs := newForm()
		if status := summaryStatus(errs, err); status != 0 {
			s.renderDossier(w, r, status, newForm(), errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/dossier?msg=submitted", http.StatusSeeOther)
}

// reconfirm records that the owner checked the registration data, which
// is due every six months (R-5.4-4).
func (s *server) reconfirm(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := s.d.Orgs.Reconfirm(r.Context(), id); err != nil {
		errs := newForm()
		if status := summaryStatus(errs, err); status != 0 {
			s.renderDossier(w, r, status, newForm(), errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orgs/"+url.PathEscape(id)+"/dossier?msg=reconfirmed", http.StatusSeeOther)
}

// uploadedFile is the file of a multipart form.
type uploadedFile struct {
	multipart.File
	Name string
}

// formFile returns the file chosen in input name, or nil when none was;
// the status is 413 when the file is over document.MaxSize.
func formFile(r *http.Request, name string) (*uploadedFile, int) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return nil, 0
	}
	fh := r.MultipartForm.File[name][0]
	if fh.Size > document.MaxSize {
		return nil, http.StatusRequestEntityTooLarge
	}
	if fh.Size == 0 && fh.Filename == "" { // the input left empty
		return nil, 0
	}
	f, err := fh.Open()
	if err != nil {
		return nil, 0
	}
	return &uploadedFile{File: f, Name: fh.Filename}, 0
}

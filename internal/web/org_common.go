package web

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// orgRoutes mounts the organisation consoles: onboarding and the dossier,
// members, the reviewers' queue, the filing register, documents and the
// public licence page (issue 3 point 7).
func (s *server) orgRoutes(mux *http.ServeMux) {
	if s.d.Orgs == nil {
		return
	}
	mux.HandleFunc("GET /onboarding", s.onboarding)
	mux.HandleFunc("POST /onboarding", s.createOrg)
	mux.HandleFunc("GET /orgs", s.myOrgs)
	mux.HandleFunc("GET /orgs/{id}", s.orgIndex)
	mux.HandleFunc("GET /orgs/{id}/dossier", s.dossier)
	mux.HandleFunc("POST /orgs/{id}/qualifications", s.addQualification)
	mux.HandleFunc("GET /orgs/{id}/submit", s.submitConfirm)
	mux.HandleFunc("POST /orgs/{id}/submit", s.submit)
	mux.HandleFunc("POST /orgs/{id}/reconfirm", s.reconfirm)
	mux.HandleFunc("GET /orgs/{id}/edit", s.editOrgForm)
	mux.HandleFunc("POST /orgs/{id}/edit", s.editOrg)
	mux.HandleFunc("GET /orgs/{id}/members", s.members)
	mux.HandleFunc("POST /orgs/{id}/members", s.addMember)
	mux.HandleFunc("GET /orgs/{id}/members/{account}/remove", s.removeMemberConfirm)
	mux.HandleFunc("POST /orgs/{id}/members/{account}/remove", s.removeMember)
	mux.HandleFunc("POST /orgs/{id}/security", s.setRequireMFA)
	mux.HandleFunc("GET /console/review", s.reviewQueue)
	mux.HandleFunc("GET /console/review/{id}", s.reviewOrg)
	mux.HandleFunc("POST /console/review/{id}/reveal", s.revealOrg)
	mux.HandleFunc("GET /console/review/{id}/approve", s.approveConfirm)
	mux.HandleFunc("POST /console/review/{id}/decision", s.decideOrg)
	mux.HandleFunc("POST /console/review/{id}/suspend", s.suspendOrg)
	mux.HandleFunc("POST /console/review/{id}/lift", s.liftOrg)
	mux.HandleFunc("POST /console/review/{id}/qualifications/{qid}", s.decideQualification)
	mux.HandleFunc("GET /console/filings", s.filings)
	mux.HandleFunc("GET /console/filings.csv", s.filingsCSV)
	mux.HandleFunc("GET /shops/{id}/licence", s.shopLicence)
	if s.d.Documents != nil {
		mux.HandleFunc("GET /docs/{id}", s.document)
	}
}

// onboardKinds are the kinds of organisation a person may apply for.
var onboardKinds = []identity.Kind{identity.KindSeller, identity.KindCarrier, identity.KindPaymentProvider}

func onboardKind(k identity.Kind) bool {
	for _, x := range onboardKinds {
		if x == k {
			return true
		}
	}
	return false
}

// hasBusiness reports whether p belongs to a seller, carrier or payment
// provider: such people get "my organisations" in the header.
func hasBusiness(p *identity.Principal) bool {
	for _, m := range p.Memberships {
		if onboardKind(m.Kind) {
			return true
		}
	}
	return false
}

// qualType is a qualification type an organisation kind may hold.
type qualType struct {
	Code     string
	NameZH   string
	NameEN   string
	IssuerZH string
	IssuerEN string
	Required bool
	Present  bool // the dossier holds one pending or approved
}

// qualTypes reads the qualification types of kind, required ones first.
// They are reference data the org package seeds in its migrations; the
// pages only read them.
func (s *server) qualTypes(ctx context.Context, kind identity.Kind) ([]qualType, error) {
	rows, err := s.d.DB.Query(ctx, `SELECT t.code, t.name_zh, t.name_en, t.issuer_zh, t.issuer_en, r.required
		FROM qualification_requirements r JOIN qualification_types t ON t.code = r.code
		WHERE r.org_kind = $1 ORDER BY r.required DESC, t.code`, string(kind))
	if err != nil {
		return nil, fmt.Errorf("web: qualification types: %w", err)
	}
	defer rows.Close()
	var out []qualType
	for rows.Next() {
		var q qualType
		if err := rows.Scan(&q.Code, &q.NameZH, &q.NameEN, &q.IssuerZH, &q.IssuerEN, &q.Required); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// typeNames maps every qualification type code to its names.
func (s *server) typeNames(ctx context.Context) (map[string]qualType, error) {
	rows, err := s.d.DB.Query(ctx, `SELECT code, name_zh, name_en FROM qualification_types`)
	if err != nil {
		return nil, fmt.Errorf("web: qualification types: %w", err)
	}
	defer rows.Close()
	out := map[string]qualType{}
	for rows.Next() {
		var q qualType
		if err := rows.Scan(&q.Code, &q.NameZH, &q.NameEN); err != nil {
			return nil, err
		}
		out[q.Code] = q
	}
	return out, rows.Err()
}

// flash is the confirmation to show after a redirect (?msg=), or "".
// Only known keys are shown: the query string is the visitor's to edit.
func flash(r *http.Request) string {
	key := r.URL.Query().Get("msg")
	if key == "" {
		return ""
	}
	t, ok := catalogue["flash."+key]
	if !ok {
		return ""
	}
	return t.In(langOf(r))
}

// formStatus puts a domain error's messages on f and returns the status
// to answer with the form again, or 0 when the error is not one a form
// shows (not found, not signed in, internal errors): fail handles those.
func formStatus(f *form, err error, rename map[string]string) int {
	p, ok := problem.As(err)
	if !ok {
		return 0
	}
	switch p.Code {
	case problem.NotFound, problem.Unauthenticated, problem.MFAEnrolmentRequired:
		return 0
	case problem.Validation:
		f.addProblem(err, rename)
		return http.StatusUnprocessableEntity
	}
	f.addProblem(err, rename)
	return p.Code.Status()
}

// confirmPage is the data of confirm.html: the second step of an action
// that cannot be undone, so that it needs no script.
type confirmPage struct {
	Title   i18n.Text
	Body    i18n.Text
	Facts   []confirmFact
	Action  string
	Hidden  map[string]string
	Confirm i18n.Text
	Cancel  string
	Danger  bool
}

type confirmFact struct {
	Label i18n.Text
	Value string
}

// inlineDisposition names a served document (RFC 6266 / RFC 2231).
func inlineDisposition(d *document.Document) string {
	v := mime.FormatMediaType("inline", map[string]string{"filename": d.DownloadName()})
	if v == "" {
		return "inline"
	}
	return v
}

// Uploads: the qualification form carries a scan of at most
// document.MaxSize; the body may be that plus the other fields.
const (
	uploadBodyLimit = document.MaxSize + 64<<10
	uploadMemory    = 1 << 20
)

type uploadTooLargeKey struct{}

// uploadTooLarge reports that the upload body was refused unread.
func uploadTooLarge(r *http.Request) bool {
	v, _ := r.Context().Value(uploadTooLargeKey{}).(bool)
	return v
}

func isMultipart(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// isUploadPath reports whether path is a form that carries a file.
func isUploadPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/orgs/")
	if !ok {
		return false
	}
	id, tail, _ := strings.Cut(rest, "/")
	return id != "" && (tail == "qualifications" || isImageUploadTail(tail))
}

// summaryStatus is formStatus for messages about a page rather than one
// form: field messages go to the summary too.
func summaryStatus(f *form, err error) int {
	status := formStatus(f, err, nil)
	for name, msgs := range f.Errors {
		f.Summary = append(f.Summary, msgs...)
		delete(f.Errors, name)
	}
	return status
}

package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// filingsPageSize is the number of register entries per page.
const filingsPageSize = 25

// filingsPage is the data of filings.html.
type filingsPage struct {
	Query    string
	Kind     string
	Kinds    []identity.Kind
	Items    []filingRow
	Form     *form
	Filtered bool
	CSVURL   string
	NextURL  string
	FirstURL string
}

// filingRow is a register entry with its licences readable.
type filingRow struct {
	org.Filing
	Licences []filedLicence
}

type filedLicence struct {
	Type   qualType
	Number string
	Until  string
}

// requireRegisterReader answers 404 to anyone but platform staff and
// regulators (supervision.read).
func (s *server) requireRegisterReader(w http.ResponseWriter, r *http.Request) bool {
	if s.requireUser(w, r, false) == nil {
		return false
	}
	if _, err := identity.Authorize(r.Context(), identity.PermSuperviseRead, ""); err != nil {
		s.notFound(w, r)
		return false
	}
	return true
}

// filingQuery reads the register's search inputs.
func filingQuery(r *http.Request) (query, kind string) {
	q := r.URL.Query()
	query = strings.TrimSpace(q.Get("q"))
	if len(query) > maxFilterLen {
		query = query[:maxFilterLen]
	}
	if k := identity.Kind(q.Get("kind")); onboardKind(k) {
		kind = string(k)
	}
	return query, kind
}

// filings is the filing register (备案, R-5.4-2): search by name, USCC or
// register number, filter by kind, page, and export.
func (s *server) filings(w http.ResponseWriter, r *http.Request) {
	if !s.requireRegisterReader(w, r) {
		return
	}
	ctx := r.Context()
	page := filingsPage{Kinds: onboardKinds, Form: newForm()}
	page.Query, page.Kind = filingQuery(r)
	page.Filtered = page.Query != "" || page.Kind != ""
	filter := org.FilingFilter{Query: page.Query, Kind: page.Kind, Limit: filingsPageSize, Cursor: r.URL.Query().Get("cursor")}
	items, next, err := s.d.Orgs.Filings(ctx, filter)
	if problem.CodeOf(err) == problem.Validation {
		page.Form.Summary = append(page.Form.Summary, msgBadCursor)
		filter.Cursor = ""
		items, next, err = s.d.Orgs.Filings(ctx, filter)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, err := s.typeNames(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, x := range items {
		row := filingRow{Filing: x}
		var lics []struct{ Type, Number, ValidUntil string }
		if json.Unmarshal([]byte(x.Qualifications), &lics) == nil {
			for _, l := range lics {
				t, ok := names[l.Type]
				if !ok {
					t = qualType{Code: l.Type, NameZH: l.Type, NameEN: l.Type}
				}
				row.Licences = append(row.Licences, filedLicence{Type: t, Number: l.Number, Until: l.ValidUntil})
			}
		}
		page.Items = append(page.Items, row)
	}
	page.CSVURL = filingsURL("/console/filings.csv", page.Query, page.Kind, "")
	if next != "" {
		page.NextURL = filingsURL("/console/filings", page.Query, page.Kind, next)
	}
	if filter.Cursor != "" {
		page.FirstURL = filingsURL("/console/filings", page.Query, page.Kind, "")
	}
	s.render(w, r, http.StatusOK, "filings", "filings", page)
}

func filingsURL(path, query, kind, cursor string) string {
	q := url.Values{}
	if query != "" {
		q.Set("q", query)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// filingsCSV exports the matching register entries (audited by the org
// service, R-10.4-13).
func (s *server) filingsCSV(w http.ResponseWriter, r *http.Request) {
	if !s.requireRegisterReader(w, r) {
		return
	}
	query, kind := filingQuery(r)
	var buf bytes.Buffer
	if err := s.d.Orgs.ExportFilingsCSV(r.Context(), org.FilingFilter{Query: query, Kind: kind}, &buf); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="filing-register.csv"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}

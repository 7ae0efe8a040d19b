package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

var msgBadCursor = i18n.T("分页位置无效，已回到第一页", "The page position was not valid; showing the first page")

// auditPageSize is the number of entries per page of the console.
const auditPageSize = 25

// maxFilterLen bounds each filter value; ids and action codes are short.
const maxFilterLen = 200

// auditPage is the data of audit.html.
type auditPage struct {
	Form     *form
	Entries  []audit.Entry
	Actions  []string // known action codes, offered in the action filter
	Filtered bool
	NextURL  string // "" on the last page
	FirstURL string // "" on the first page
}

// auditConsole lets auditors page and filter the audit trail (R-10.4-12).
// Anyone else gets the not-found page: the console's existence is no
// business of theirs (R-10.4-9).
func (s *server) auditConsole(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	if _, err := identity.Authorize(r.Context(), identity.PermAuditRead, ""); err != nil {
		s.notFound(w, r)
		return
	}
	q := r.URL.Query()
	f := newForm()
	for _, name := range []string{"action", "object_type", "object_id"} {
		v := strings.TrimSpace(q.Get(name))
		if len(v) > maxFilterLen {
			v = v[:maxFilterLen]
		}
		f.Values[name] = v
	}
	filter := audit.Filter{Action: f.Values["action"], ObjectType: f.Values["object_type"], ObjectID: f.Values["object_id"],
		Limit: auditPageSize, Cursor: q.Get("cursor")}
	page := auditPage{Form: f, Actions: knownActions(),
		Filtered: filter.Action != "" || filter.ObjectType != "" || filter.ObjectID != ""}

	entries, next, err := audit.List(r.Context(), s.d.DB, filter)
	if problem.CodeOf(err) == problem.Validation { // a tampered or stale cursor: start again
		f.Summary = append(f.Summary, msgBadCursor)
		filter.Cursor = ""
		entries, next, err = audit.List(r.Context(), s.d.DB, filter)
	}
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, err)
		return
	}
	page.Entries = entries
	if next != "" {
		page.NextURL = auditURL(f, next)
	}
	if filter.Cursor != "" {
		page.FirstURL = auditURL(f, "")
	}
	s.render(w, r, http.StatusOK, "audit", "audit", page)
}

// auditURL is the console with the form's filters and a cursor.
func auditURL(f *form, cursor string) string {
	q := url.Values{}
	for _, name := range []string{"action", "object_type", "object_id"} {
		if v := f.Values[name]; v != "" {
			q.Set(name, v)
		}
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return "/console/audit"
	}
	return "/console/audit?" + q.Encode()
}

// knownActions lists the action codes that have labels.
func knownActions() []string {
	var out []string
	for key := range labels {
		if a, ok := strings.CutPrefix(key, "action."); ok {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageSet holds every page parsed once per language, so the "t" function
// is bound at start-up rather than per request.
type pageSet struct {
	byLang map[i18n.Lang]map[string]*template.Template
}

// templateKeys finds the catalogue keys templates ask for, so a missing
// translation fails at start-up (and in every test) instead of on a page.
var templateKeys = regexp.MustCompile(`\b(?:t|tf|alt) "([a-z0-9_.-]+)"`)

func loadPages(static *staticFiles) *pageSet {
	checkCatalogue()
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		src, _ := templateFS.ReadFile(f)
		for _, m := range templateKeys.FindAllSubmatch(src, -1) {
			if _, ok := lookup(string(m[1])); !ok {
				panic(fmt.Sprintf("web: %s uses message %q missing from the catalogue", f, m[1]))
			}
		}
	}
	set := &pageSet{byLang: map[i18n.Lang]map[string]*template.Template{}}
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		// Files starting with "_" hold partials shared by several pages.
		base := template.Must(template.New("base.html").Funcs(funcs(lang, static)).ParseFS(templateFS, "templates/base.html", "templates/_*.html"))
		set.byLang[lang] = map[string]*template.Template{}
		for _, f := range files {
			name := path.Base(f)
			if name == "base.html" || strings.HasPrefix(name, "_") {
				continue
			}
			set.byLang[lang][strings.TrimSuffix(name, ".html")] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
		}
	}
	return set
}

// funcs are the template functions, bound to one language.
func funcs(lang i18n.Lang, static *staticFiles) template.FuncMap {
	return template.FuncMap{
		"t":    func(key string) string { return msg(key).In(lang) },
		"tf":   func(key string, args ...any) string { return fmt.Sprintf(msg(key).In(lang), args...) },
		"alt":  func(key string) string { return msg(key).In(other(lang)) },
		"text": func(t i18n.Text) string { return t.In(lang) },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(clock.Shanghai).Format("2006-01-02 15:04:05")
		},
		"date":       func(t time.Time) string { return t.In(clock.Shanghai).Format("2006-01-02") },
		"kind":       func(k identity.Kind) string { return label("kind."+string(k), string(k), lang) },
		"role":       func(r identity.Role) string { return label("role."+string(r), string(r), lang) },
		"roleName":   func(r string) string { return label("role."+r, r, lang) },
		"roleDesc":   func(r identity.Role) string { return label("roledesc."+string(r), "", lang) },
		"perm":       func(p identity.Permission) string { return label("perm."+string(p), string(p), lang) },
		"action":     func(a string) string { return label("action."+a, "", lang) },
		"outcome":    func(o string) string { return label("outcome."+o, o, lang) },
		"static":     static.url,
		"paragraphs": func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") },
		// pick chooses between a Chinese and an English string stored side
		// by side (qualification type names, notices).
		"pick": func(zh, en string) string {
			if lang == i18n.EN && en != "" {
				return en
			}
			return zh
		},
		"status":      func(st any) string { v := fmt.Sprint(st); return label("status."+v, v, lang) },
		"statusClass": statusClass,
		"pubstatus":   func(st any) string { v := fmt.Sprint(st); return label("pubstatus."+v, v, lang) },
		"qstatus":     func(st string) string { return label("qstatus."+st, st, lang) },
		"qstatusClass": func(st string) string {
			return map[string]string{"approved": "badge-ok", "pending": "badge-warn", "rejected": "badge-bad"}[st]
		},
		"hist":    func(a string) string { return label("hist."+a, a, lang) },
		"isImage": func(contentType string) bool { return strings.HasPrefix(contentType, "image/") },
		"kb":      func(n int64) string { return fmt.Sprintf("%.0f KB", float64(n)/1024+0.5) },
		"inp":     newInput,
	}
}

// statusClass is the badge style of an organisation status (an
// org.Status or the string of one).
func statusClass(v any) string {
	switch org.Status(fmt.Sprint(v)) {
	case org.StatusApproved:
		return "badge-ok"
	case org.StatusPendingReview:
		return "badge-warn"
	case org.StatusRejected, org.StatusSuspended:
		return "badge-bad"
	}
	return ""
}

// input is one labelled form control, for the "input" template.
type input struct {
	field
	Label, Type, Hint string
	MaxLen            int
	Autocomplete      string
	Inputmode         string
	Optional          bool
	Required          bool
}

// newInput describes the control called name of form f. opts are
// space-separated: "optional", "required", "autocomplete=x", "inputmode=x".
func newInput(f *form, name, label, typ, hint string, maxLen int, opts string) input {
	in := input{field: f.Field(name), Label: label, Type: typ, Hint: hint, MaxLen: maxLen}
	for _, o := range strings.Fields(opts) {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "optional":
			in.Optional = true
		case "required":
			in.Required = true
		case "autocomplete":
			in.Autocomplete = v
		case "inputmode":
			in.Inputmode = v
		}
	}
	return in
}

// view is what every page template receives.
type view struct {
	Lang      i18n.Lang
	User      *identity.Principal
	CSRF      string
	Nav       string // the header link to mark as current
	SwitchURL string // the same page in the other language
	CanAudit  bool
	CanReview bool // platform reviewers: the review queue
	CanFiling bool // platform staff and regulators: the filing register
	HasOrgs   bool // members of sellers, carriers, payment providers
	Data      any
}

// render writes a page. Pages are personal and carry CSRF tokens, so
// they are never cached.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name, nav string, data any) {
	lang := langOf(r)
	v := view{Lang: lang, Nav: nav, SwitchURL: switchURL(r, lang), Data: data}
	if p := user(r); p != nil {
		v.User, v.CSRF = p, p.CSRFToken
		v.CanAudit = p.Can(identity.PermAuditRead, "")
		v.CanReview = p.Can(identity.PermReviewOrgs, "")
		v.CanFiling = p.Can(identity.PermSuperviseRead, "")
		v.HasOrgs = hasBusiness(p)
	}
	var buf bytes.Buffer
	if err := s.pages.byLang[lang][name].ExecuteTemplate(&buf, "base", v); err != nil {
		s.d.Log.ErrorContext(r.Context(), "web: render", "page", name, "err", err.Error(), "request_id", httpapi.RequestID(r.Context()))
		http.Error(w, "500 服务器内部错误 Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// switchURL is the current page in the other language.
func switchURL(r *http.Request, lang i18n.Lang) string {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q = r.URL.Query()
	}
	q.Set("lang", string(other(lang)))
	return r.URL.Path + "?" + q.Encode()
}

// other is the language a page is not in.
func other(lang i18n.Lang) i18n.Lang {
	if lang == i18n.EN {
		return i18n.ZH
	}
	return i18n.EN
}

// errorPage is the data of error.html.
type errorPage struct {
	Status    int
	Kind      string // catalogue suffix: "404", "403", "csrf", "500", "400"
	RequestID string
}

// errCSRF marks the 403 caused by a missing or stale form token.
var errCSRF = problem.New(problem.Forbidden, i18n.T("表单已过期", "Stale form"))

// renderError writes the page for status. For 500 it logs err with the
// request id and shows only the id.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, err error) {
	e := errorPage{Status: status, Kind: fmt.Sprint(status)}
	switch {
	case err == errCSRF:
		e.Kind = "csrf"
	case status >= 500:
		e.Kind, e.RequestID = "500", httpapi.RequestID(r.Context())
		msg := "<nil>"
		if err != nil {
			msg = err.Error()
		}
		s.d.Log.ErrorContext(r.Context(), "web: internal error", "path", r.URL.Path, "err", msg, "request_id", e.RequestID)
	case status != 400 && status != 403 && status != 404:
		e.Kind = "404"
	}
	s.render(w, r, status, "error", "", e)
}

// notFound is the page for unknown paths and for objects the caller may
// not see (the two are indistinguishable, R-10.4-9).
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, nil)
}

// fail answers err from a domain call made on behalf of a page: problems
// map to their page, anything else is an internal error.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch problem.CodeOf(err) {
	case problem.Unauthenticated:
		s.toLogin(w, r)
	case problem.MFAEnrolmentRequired:
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
	case problem.NotFound:
		s.notFound(w, r)
	case problem.Forbidden:
		s.renderError(w, r, http.StatusForbidden, err)
	default:
		s.renderError(w, r, http.StatusInternalServerError, err)
	}
}

// form is a submitted form: the values to show again and the messages
// next to each field.
type form struct {
	Values  map[string]string
	Errors  map[string][]i18n.Text
	Summary []i18n.Text // messages about the whole form
}

func newForm() *form {
	return &form{Values: map[string]string{}, Errors: map[string][]i18n.Text{}}
}

// field is one input's state, for the templates.
type field struct {
	Name  string
	Value string
	Msgs  []i18n.Text
}

// Field returns the state of the input called name.
func (f *form) Field(name string) field {
	return field{Name: name, Value: f.Values[name], Msgs: f.Errors[name]}
}

// Invalid reports whether any message was added.
func (f *form) Invalid() bool { return len(f.Errors) > 0 || len(f.Summary) > 0 }

func (f *form) add(name string, m i18n.Text) { f.Errors[name] = append(f.Errors[name], m) }

// addProblem puts a domain error's messages next to the form's fields;
// rename maps the domain's field names to input names. It reports false
// for an error that is not a problem (an internal error).
func (f *form) addProblem(err error, rename map[string]string) bool {
	p, ok := problem.As(err)
	if !ok {
		return false
	}
	if len(p.Fields) == 0 {
		f.Summary = append(f.Summary, p.Detail)
		return true
	}
	for _, fe := range p.Fields {
		f.addField(fe, rename)
	}
	return true
}

// addField puts one domain field error next to its input.
func (f *form) addField(fe problem.FieldError, rename map[string]string) {
	name := fe.Field
	if n, ok := rename[name]; ok {
		name = n
	}
	f.add(name, fe.Message)
}

// staticFiles serves the embedded assets with long cache lifetimes; URLs
// carry a content hash, so a new build is fetched at once.
type staticFiles struct {
	root     fs.FS
	hashes   map[string]string
	handler  http.Handler
	fallback http.Handler // answers unknown names with the 404 page
}

func loadStatic() *staticFiles {
	root, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	sf := &staticFiles{root: root, hashes: map[string]string{}}
	_ = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(root, p)
		sum := sha256.Sum256(b)
		sf.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	sf.handler = http.StripPrefix("/static/", http.FileServerFS(root))
	return sf
}

func (sf *staticFiles) url(name string) string {
	return "/static/" + name + "?v=" + sf.hashes[name]
}

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if _, ok := sf.hashes[name]; !ok { // no directory listings
		sf.fallback.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	sf.handler.ServeHTTP(w, r)
}

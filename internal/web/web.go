// Package web serves gbmall's server-rendered pages: the public pages
// (home, privacy policy, rules, licence disclosure, merchants' licence
// pages), sign-up and login, the account and second-factor pages, the
// per-role home page, the organisation pages (onboarding wizard, licence
// dossier, members) and the consoles (review queue, filing register,
// audit trail). Templates and static files are
// embedded; pages work without JavaScript and speak zh-CN (the default) and
// English.
//
// Every page sits behind the same authenticator as the JSON API, Go's
// cross-origin protection and, for signed-in browser sessions, a per-session
// CSRF token in every form (R-10.6-4).
package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/document"
	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/payment"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
)

// Deps are the consoles' collaborators.
type Deps struct {
	DB            *db.DB
	Clock         clock.Clock
	Identity      *identity.Service
	Trail         *audit.Trail
	Log           *slog.Logger
	SecureCookies bool
	TrustProxy    bool
	RateLimits    bool
	// Limiter throttles failing login addresses; shared with the API.
	Limiter *identity.LoginLimiter
	// Orgs is the organisations service (consoles for onboarding and review).
	Orgs *org.Service
	// Documents keeps uploaded scans (qualification evidence).
	Documents *document.Store
	// Catalog is the catalogue (the storefront pages); nil leaves the
	// public welcome page at "/" and no storefront.
	Catalog *catalog.Service
	// Images keeps product images (the seller console's image section);
	// nil leaves it out.
	Images *catalog.ImageStore
	// Inventory is stock and suppliers (the seller console); the seller
	// console needs it and Catalog.
	Inventory *inventory.Service
	// Orders is checkout and orders (cart, confirmation, order pages,
	// the seller's and the operator's order consoles); nil leaves them out.
	Orders *order.Service
	// Payments is the payments domain (pay button, payment consoles); nil
	// leaves them out.
	Payments *payment.Service
}

// server holds the parsed templates and the handlers' shared state.
type server struct {
	d       Deps
	pages   *pageSet
	static  *staticFiles
	limiter *identity.LoginLimiter
}

// langCookie remembers the language chosen with ?lang=.
const langCookie = "gbmall_lang"

// maxFormBytes bounds every form body; the largest form is sign-up.
const maxFormBytes = 64 << 10

// New returns the consoles' handler, mounted at "/".
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	static := loadStatic()
	s := &server{d: d, pages: loadPages(static), static: static, limiter: d.Limiter}
	if s.limiter == nil {
		s.limiter = identity.NewLoginLimiter(d.Clock, d.RateLimits)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.storeHome)
	mux.HandleFunc("GET /signup", s.signupForm)
	mux.HandleFunc("POST /signup", s.signup)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /home", s.home)
	mux.HandleFunc("GET /account", s.account)
	mux.HandleFunc("GET /account/totp", s.totpForm)
	mux.HandleFunc("POST /account/totp", s.totpConfirm)
	mux.HandleFunc("GET /console/audit", s.auditConsole)
	mux.HandleFunc("GET /privacy", s.privacy)
	mux.HandleFunc("GET /rules", s.rules)
	mux.HandleFunc("GET /about/licences", s.licences)
	s.orgRoutes(mux)
	s.storeRoutes(mux)
	s.sellerRoutes(mux)
	s.productReviewRoutes(mux)
	s.orderRoutes(mux)
	s.paymentRoutes(mux)
	mux.HandleFunc("/", s.notFound)

	var pages http.Handler = mux
	pages = s.checkCSRF(pages)
	pages = s.withLanguage(pages)
	pages = httpapi.Authenticator(d.Identity, d.TrustProxy, d.Log)(pages)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	pages = cop.Handler(pages)

	// Static files need no session, so they skip the authenticator's
	// database lookup.
	s.static.fallback = pages
	outer := http.NewServeMux()
	outer.Handle("GET /static/", s.static)
	outer.Handle("/", pages)
	return outer
}

type langKey struct{}

// language picks the page language: ?lang= first, then the remembered
// choice, then the browser's Accept-Language; zh-CN by default.
func language(r *http.Request) (lang i18n.Lang, chosen bool) {
	if v := r.URL.Query().Get("lang"); v != "" {
		return i18n.Parse(v), true
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value != "" {
		return i18n.Parse(c.Value), false
	}
	return i18n.Parse(r.Header.Get("Accept-Language")), false
}

// langOf returns the request's language.
func langOf(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(langKey{}).(i18n.Lang); ok {
		return l
	}
	l, _ := language(r)
	return l
}

// withLanguage resolves the language once and remembers an explicit choice.
func (s *server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, chosen := language(r)
		if chosen {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: s.d.SecureCookies, SameSite: http.SameSiteLaxMode})
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), langKey{}, lang)))
	})
}

// checkCSRF refuses a state-changing request from a signed-in browser
// session unless its form carries the session's CSRF token (R-10.6-4).
// Bearer tokens are not sent by browsers on their own, so they need none.
// Multipart forms are read too (the token travels in them like in any
// form); only the upload pages may send a body larger than maxFormBytes.
func (s *server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		multipart := isMultipart(r)
		upload := multipart && isUploadPath(r.URL.Path)
		limit := int64(maxFormBytes)
		if upload {
			limit = uploadBodyLimit
		}
		var err error
		if upload && r.ContentLength > limit {
			err = &http.MaxBytesError{Limit: limit}
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if multipart {
				err = r.ParseMultipartForm(uploadMemory)
				if r.MultipartForm != nil {
					// The server removes only the temporary files of the
					// request it made, not of the copies middlewares make.
					defer r.MultipartForm.RemoveAll()
				}
			} else {
				err = r.ParseForm()
			}
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if upload && errors.As(err, &mbe) {
				// The form could not be read, so nothing is done: the
				// handler only shows the form again with the file's error.
				next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadTooLargeKey{}, true)))
				return
			}
			s.renderError(w, r, http.StatusBadRequest, nil)
			return
		}
		p := identity.PrincipalFrom(r.Context())
		if p != nil && p.SessionKind == "cookie" {
			got := r.PostForm.Get("csrf_token")
			if p.CSRFToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRFToken)) != 1 {
				s.d.Log.WarnContext(r.Context(), "web: csrf token mismatch", "request_id", httpapi.RequestID(r.Context()), "path", r.URL.Path)
				s.renderError(w, r, http.StatusForbidden, errCSRF)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers a cross-site form post with the CSRF page.
func (s *server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusForbidden, errCSRF)
}

// user returns the signed-in person, or nil. API keys are machine
// credentials and never a person on these pages.
func user(r *http.Request) *identity.Principal {
	p := identity.PrincipalFrom(r.Context())
	if p == nil || p.APIKeyID != "" {
		return nil
	}
	return p
}

// requireUser returns the signed-in person, or sends the browser to the
// login page (and returns nil). Accounts that owe a second factor are sent
// to enrol first unless the page is part of enrolment.
func (s *server) requireUser(w http.ResponseWriter, r *http.Request, allowEnrolment bool) *identity.Principal {
	p := user(r)
	if p == nil {
		s.toLogin(w, r)
		return nil
	}
	if p.MFAEnrolmentRequired && !allowEnrolment {
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		return nil
	}
	return p
}

// toLogin sends the browser to the login page, to come back to this page
// afterwards when it was a GET.
func (s *server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, else "". "//x"
// and "/\x" are other hosts to a browser.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return next
}

// setSession stores a session token in the browser.
func (s *server) setSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// clearSession removes the session cookie.
func (s *server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: httpapi.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.d.SecureCookies, SameSite: http.SameSiteLaxMode})
}

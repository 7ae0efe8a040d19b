package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/problem"
)

// accountPage is the data of account.html.
type accountPage struct {
	Account *identity.Account
	Masked  string
}

// account shows who is signed in, their organisations and roles, and the
// state of the second factor. The login is shown masked only.
func (s *server) account(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, false)
	if p == nil {
		return
	}
	a, err := s.d.Identity.AccountByID(r.Context(), p.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "account", "account", accountPage{Account: a, Masked: a.MaskedLogin()})
}

// totpState is which variant of totp.html to show.
type totpState string

const (
	totpEnabled totpState = "enabled" // already enrolled
	totpEnrol   totpState = "enrol"   // QR code, secret and code form
	totpRetry   totpState = "retry"   // a wrong code: the form again, same secret
	totpDone    totpState = "done"    // just enrolled
)

// totpPage is the data of totp.html.
type totpPage struct {
	State    totpState
	Required bool // the account may do nothing else until it enrols
	QRCode   template.URL
	Secret   []string // in blocks of four, for typing by hand
	Form     *form
}

// totpForm starts (or restarts) enrolment: every visit makes a fresh
// secret until one is confirmed (R-10.4-4).
func (s *server) totpForm(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, true)
	if p == nil {
		return
	}
	page := totpPage{Required: p.MFAEnrolmentRequired, Form: newForm()}
	a, err := s.d.Identity.AccountByID(r.Context(), p.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.TOTPEnabled {
		page.State = totpEnabled
		s.render(w, r, http.StatusOK, "totp", "account", page)
		return
	}
	e, err := s.d.Identity.BeginTOTP(r.Context())
	if problem.CodeOf(err) == problem.Conflict { // enrolled in another tab meanwhile
		page.State = totpEnabled
		s.render(w, r, http.StatusOK, "totp", "account", page)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	png, err := credential.QRCodePNG(e.URI, 240)
	if err != nil {
		s.renderError(w, r, http.StatusInternalServerError, err)
		return
	}
	page.State = totpEnrol
	// A data: URL of our own PNG; the CSP allows data: images.
	page.QRCode = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	page.Secret = blocks(e.Secret, 4)
	s.render(w, r, http.StatusOK, "totp", "account", page)
}

// totpConfirm enables the second factor when the code matches.
func (s *server) totpConfirm(w http.ResponseWriter, r *http.Request) {
	p := s.requireUser(w, r, true)
	if p == nil {
		return
	}
	page := totpPage{Required: p.MFAEnrolmentRequired, Form: newForm()}
	err := s.d.Identity.ConfirmTOTP(r.Context(), strings.TrimSpace(r.PostForm.Get("code")))
	switch {
	case err == nil:
	case problem.CodeOf(err) == problem.Validation:
		page.State = totpRetry
		page.Form.addProblem(err, nil)
		s.render(w, r, http.StatusUnprocessableEntity, "totp", "account", page)
		return
	case problem.CodeOf(err) == problem.Conflict: // already enrolled, or never started
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		return
	default:
		s.fail(w, r, err)
		return
	}
	page.State, page.Required = totpDone, false
	s.render(w, r, http.StatusOK, "totp", "account", page)
}

// blocks splits s into groups of n characters.
func blocks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

package web

import (
	"net/http"
	"strings"
	"time"

	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
	"gbmall/internal/privacy"
)

// signupPage is the data of signup.html.
type signupPage struct {
	Form          *form
	PolicyVersion string
}

// registrationFields maps Register's field names to the form's inputs.
var registrationFields = map[string]string{
	"consent.accepted":               "consent",
	"consent.privacy_policy_version": "consent",
}

var (
	msgPasswordsDiffer = i18n.T("两次输入的密码不一致", "The two passwords do not match")
	msgEnterOTP        = i18n.T("请输入动态验证码", "Enter the 6-digit code")
	msgWrongOTP        = i18n.T("动态验证码不正确或已使用，请输入验证器中显示的新验证码", "The code is wrong or was already used; enter the new code your app shows")
	msgTooManyLogins   = i18n.T("该地址登录失败次数过多，请 15 分钟后再试", "Too many failed logins from this address; try again in 15 minutes")
)

func (s *server) signupForm(w http.ResponseWriter, r *http.Request) {
	if user(r) != nil {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signup", "signup", signupPage{Form: newForm(), PolicyVersion: privacy.Current().Version})
}

// signup creates a consumer account with explicit consent to the privacy
// policy version shown (R-9.1-3, R-9.2-6) and signs the person in.
func (s *server) signup(w http.ResponseWriter, r *http.Request) {
	if user(r) != nil {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	f := newForm()
	f.Values["login"] = strings.TrimSpace(r.PostForm.Get("login"))
	f.Values["display_name"] = strings.TrimSpace(r.PostForm.Get("display_name"))
	password := r.PostForm.Get("password")
	reg := identity.Registration{
		Login: f.Values["login"], Password: password, DisplayName: f.Values["display_name"],
		PolicyVersion: r.PostForm.Get("policy_version"), Accepted: r.PostForm.Get("consent") == "yes",
		SourceIP: httpapi.ClientIP(r, s.d.TrustProxy),
	}
	page := signupPage{Form: f, PolicyVersion: privacy.Current().Version}
	if password != r.PostForm.Get("password_confirm") {
		f.add("password_confirm", msgPasswordsDiffer)
		// Validate the rest without creating the account: Register
		// refuses any registration without consent, so asking it with
		// Accepted=false returns every other field's messages too.
		dry := reg
		dry.Accepted = false
		_, err := s.d.Identity.Register(r.Context(), dry, privacy.Current().Version)
		if p, ok := problem.As(err); ok {
			for _, fe := range p.Fields {
				if fe.Field != "consent.accepted" || !reg.Accepted {
					f.addField(fe, registrationFields)
				}
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "signup", "signup", page)
		return
	}
	if _, err := s.d.Identity.Register(r.Context(), reg, privacy.Current().Version); err != nil {
		if !f.addProblem(err, registrationFields) {
			s.renderError(w, r, http.StatusInternalServerError, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "signup", "signup", page)
		return
	}
	res, err := s.d.Identity.Login(r.Context(), identity.LoginRequest{Login: reg.Login, Password: password, Kind: "cookie", SourceIP: reg.SourceIP})
	if err != nil { // the account exists; let the person log in by hand
		s.d.Log.WarnContext(r.Context(), "web: login after sign-up failed", "err", err.Error(), "request_id", httpapi.RequestID(r.Context()))
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.setSession(w, res.Token, res.ExpiresAt)
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

// loginPage is the data of login.html.
type loginPage struct {
	Form       *form
	Next       string
	SecondStep bool // the account has a second factor: ask for the code too
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if user(r) != nil {
		if next == "" {
			next = "/home"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "login", loginPage{Form: newForm(), Next: next})
}

// login checks the password (and the code, for accounts with a second
// factor). The password is never written back into the page: the second
// step asks for it again together with the code. Messages never say
// whether a login exists.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["login"] = strings.TrimSpace(r.PostForm.Get("login"))
	otp := strings.TrimSpace(r.PostForm.Get("otp"))
	page := loginPage{Form: f, Next: safeNext(r.PostForm.Get("next")), SecondStep: r.PostForm.Get("step") == "otp"}
	ip := httpapi.ClientIP(r, s.d.TrustProxy)

	delay, stopped := s.limiter.Check(ip)
	if stopped {
		f.Summary = append(f.Summary, msgTooManyLogins)
		s.render(w, r, http.StatusTooManyRequests, "login", "login", page)
		return
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if page.SecondStep && otp == "" {
		f.add("otp", msgEnterOTP)
		s.render(w, r, http.StatusUnprocessableEntity, "login", "login", page)
		return
	}
	res, err := s.d.Identity.Login(r.Context(), identity.LoginRequest{
		Login: f.Values["login"], Password: r.PostForm.Get("password"), OTP: otp, Kind: "cookie", SourceIP: ip,
	})
	if err != nil {
		code := problem.CodeOf(err)
		switch {
		case code == problem.MFARequired && otp == "":
			page.SecondStep = true
			s.render(w, r, http.StatusUnauthorized, "login", "login", page)
		case code == problem.MFARequired:
			s.limiter.Fail(ip)
			page.SecondStep = true
			f.add("otp", msgWrongOTP)
			s.render(w, r, http.StatusUnauthorized, "login", "login", page)
		case code == problem.Unauthenticated || code == problem.AccountLocked:
			s.limiter.Fail(ip)
			f.addProblem(err, nil)
			s.render(w, r, code.Status(), "login", "login", page)
		default:
			s.renderError(w, r, http.StatusInternalServerError, err)
		}
		return
	}
	s.setSession(w, res.Token, res.ExpiresAt)
	target := page.Next
	switch {
	case res.MFAEnrolmentRequired:
		target = "/account/totp"
	case target == "":
		target = "/home"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// logout ends the session (the CSRF check has already run) and forgets
// the cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if p := user(r); p != nil && p.SessionID != "" {
		if err := s.d.Identity.Logout(r.Context(), p); err != nil {
			s.renderError(w, r, http.StatusInternalServerError, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

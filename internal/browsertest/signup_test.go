package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gbmall/internal/identity/credential"
)

// TestSignupLoginEnrolTOTP walks the foundation's browser path: sign up with
// consent, log out, log in, enrol a second factor, reach the home page.
func TestSignupLoginEnrolTOTP(t *testing.T) {
	h := start(t, false)
	const login, password = "browser-user@example.cn", "Str0ng!Passw0rd#2026"
	h.do(
		chromedp.Navigate(h.url+"/signup"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/signup"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`input[name=display_name]`), "浏览器用户"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`input[name=password_confirm]`), password),
	)
	h.shot("signup")
	// The consent box starts unticked: submitting now is refused.
	// Wait for the re-rendered page's error, not the old form (which is
	// still in the DOM until the navigation lands).
	h.do(chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.has-error`)))
	if loc := h.location(); !strings.HasSuffix(loc, "/signup") {
		t.Fatalf("signed up without consent: %s", loc)
	}
	h.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`input[name=password_confirm]`), password),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	if body := h.text("main"); !strings.Contains(body, "浏览器用户") {
		t.Fatalf("home after sign-up does not greet the user: %q", body)
	}
	// Log out, then log in again.
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(h.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	// Enrol TOTP with the secret the page shows.
	h.do(chromedp.Navigate(h.url+"/account/totp"), chromedp.WaitVisible(chromedp.CSS(`.secret`)))
	h.shot("totp")
	secret := strings.Join(strings.Fields(h.text(".secret")), "")
	code, err := credential.TOTPCode(secret, h.p.Clock.Now())
	if err != nil {
		t.Fatalf("secret %q from the page: %v", secret, err)
	}
	h.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/totp"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=code]`)),
		chromedp.Navigate(h.url+"/home"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	h.shot("home")
	if body := h.text("main"); !strings.Contains(body, "浏览器用户") {
		t.Fatalf("home: %q", body)
	}
	acct, err := h.p.Identity.PrincipalFor(h.ctx, accountID(t, h, login))
	if err != nil {
		t.Fatal(err)
	}
	a, err := h.p.Identity.AccountByID(h.ctx, acct.AccountID)
	if err != nil || !a.TOTPEnabled {
		t.Fatalf("TOTP not enabled after enrolment: %v", err)
	}
}

func accountID(t *testing.T, h *harness, login string) string {
	t.Helper()
	var id string
	// The login is stored encrypted; find the newest account instead.
	if err := h.p.DB.QueryRow(h.ctx, `SELECT id FROM accounts ORDER BY created_at DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

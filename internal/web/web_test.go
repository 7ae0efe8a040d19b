package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/privacy"
	"gbmall/internal/web"
)

const password = "Str0ng!Passw0rd#2026"

type env struct {
	t     *testing.T
	srv   *httptest.Server
	ids   *identity.Service
	clk   *clock.Fake
	db    *db.DB
	trail *audit.Trail
}

func setup(t *testing.T) *env {
	t.Helper()
	d := dbtest.SQLite(t)
	keys, err := fieldcrypt.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	// Near the real time, so the cookie jar keeps cookies that expire
	// by the fake clock.
	clk := clock.NewFake(time.Now())
	trail := audit.New(clk)
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	ids := identity.NewService(d, clk, keys, trail, cfg)
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}
}

// browser is a client with a cookie jar that follows redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// noFollow is a client that reports redirects instead of following them.
func noFollow(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	path   string // the final path after redirects
	body   string
	resp   *http.Response
}

func (e *env) do(c *http.Client, req *http.Request) page {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, path: resp.Request.URL.RequestURI(), body: string(b), resp: resp}
}

func (e *env) get(c *http.Client, path string) page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	return e.do(c, req)
}

func (e *env) post(c *http.Client, path string, form url.Values) page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(c, req)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf_token in page")
	}
	return m[1]
}

func signupForm(login, name string) url.Values {
	return url.Values{"login": {login}, "display_name": {name}, "password": {password}, "password_confirm": {password},
		"consent": {"yes"}, "policy_version": {privacy.Current().Version}}
}

// signUp registers a consumer through the page and returns the signed-in
// browser and its /home page.
func (e *env) signUp(login, name string) (*http.Client, page) {
	e.t.Helper()
	c := e.browser()
	p := e.post(c, "/signup", signupForm(login, name))
	if p.status != http.StatusOK || p.path != "/home" {
		e.t.Fatalf("sign-up: status %d at %s\n%s", p.status, p.path, p.body)
	}
	return c, p
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("page contains %q", w)
		}
	}
}

func TestSignupFormHasUntickedConsent(t *testing.T) {
	e := setup(t)
	p := e.get(e.browser(), "/signup")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	box := regexp.MustCompile(`<input id="consent"[^>]*>`).FindString(p.body)
	if box == "" || strings.Contains(box, "checked") || !strings.Contains(box, `type="checkbox"`) {
		t.Errorf("consent box missing or pre-ticked: %q", box)
	}
	mustContain(t, p.body, `<html lang="zh-CN">`, "我已阅读并同意", `href="/privacy?version=`+privacy.Current().Version+`"`,
		`name="policy_version" value="`+privacy.Current().Version+`"`, `for="login"`, `for="password_confirm"`)
}

func TestSignupWithoutConsentCreatesNoAccount(t *testing.T) {
	e := setup(t)
	f := signupForm("nobody@example.com", "小王")
	f.Del("consent")
	p := e.post(e.browser(), "/signup", f)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "需要阅读并同意隐私政策", `id="consent-error"`, `value="nobody@example.com"`, `value="小王"`)
	mustNotContain(t, p.body, password)
	_, err := e.ids.Login(context.Background(), identity.LoginRequest{Login: "nobody@example.com", Password: password})
	if err == nil {
		t.Fatal("an account was created without consent")
	}
}

func TestSignupMismatchedPasswordsShowsEveryFieldError(t *testing.T) {
	e := setup(t)
	f := signupForm("bad-login", "")
	f.Set("password_confirm", "something else")
	p := e.post(e.browser(), "/signup", f)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "两次输入的密码不一致", `id="login-error"`, `id="display_name-error"`)
	mustNotContain(t, p.body, `id="consent-error"`) // the box was ticked
}

func TestSignupSignsInAndHomeShowsName(t *testing.T) {
	e := setup(t)
	c := e.browser()
	p := e.post(noFollow(c), "/signup", signupForm("Alice@Example.com", "爱丽丝"))
	if p.status != http.StatusSeeOther || p.resp.Header.Get("Location") != "/home" {
		t.Fatalf("status %d, location %q", p.status, p.resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range p.resp.Cookies() {
		if ck.Name == httpapi.SessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Expires.IsZero() {
		t.Fatalf("session cookie %+v", session)
	}
	home := e.get(c, "/home")
	if home.status != http.StatusOK {
		t.Fatalf("home: status %d", home.status)
	}
	mustContain(t, home.body, "您好，爱丽丝", `href="/orders"`, `href="/cart"`, `action="/logout"`)

	acct := e.get(c, "/account")
	mustContain(t, acct.body, "爱丽丝", "@example.com", "未启用")
	mustNotContain(t, acct.body, "alice@example.com")

	// Signed in, the public pages lead home.
	if p := e.get(c, "/"); p.path != "/home" {
		t.Errorf("/ went to %s", p.path)
	}
}

func TestLoginWrongPasswordShowsError(t *testing.T) {
	e := setup(t)
	if _, _, err := e.ids.EnsureAccount(context.Background(), "bob@example.com", password, "Bob"); err != nil {
		t.Fatal(err)
	}
	wrong := "Wr0ng!Password#99"
	p := e.post(e.browser(), "/login", url.Values{"login": {"bob@example.com"}, "password": {wrong}})
	if p.status != http.StatusUnauthorized {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "账号或密码错误", `value="bob@example.com"`)
	mustNotContain(t, p.body, wrong)

	// An unknown login gets the very same message.
	p = e.post(e.browser(), "/login", url.Values{"login": {"nobody@example.com"}, "password": {wrong}})
	mustContain(t, p.body, "账号或密码错误")

	// Five failures lock the account, whatever the password.
	c := e.browser()
	for range 5 {
		e.post(c, "/login", url.Values{"login": {"bob@example.com"}, "password": {wrong}})
	}
	p = e.post(c, "/login", url.Values{"login": {"bob@example.com"}, "password": {password}})
	if p.status != http.StatusLocked {
		t.Fatalf("locked: status %d", p.status)
	}
	mustContain(t, p.body, "账户已被临时锁定")
}

func TestLoginReturnsToSafeNext(t *testing.T) {
	e := setup(t)
	if _, _, err := e.ids.EnsureAccount(context.Background(), "carol@example.com", password, "Carol"); err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	p := e.get(noFollow(c), "/account")
	if p.status != http.StatusSeeOther || p.resp.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Fatalf("anonymous /account: %d %q", p.status, p.resp.Header.Get("Location"))
	}
	login := e.get(c, "/login?next=%2Faccount")
	mustContain(t, login.body, `name="next" value="/account"`)

	for next, want := range map[string]string{"/account": "/account", "//evil.example/x": "/home", `/\evil.example`: "/home", "https://evil.example": "/home"} {
		p := e.post(noFollow(e.browser()), "/login", url.Values{"login": {"carol@example.com"}, "password": {password}, "next": {next}})
		if got := p.resp.Header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestLogoutNeedsCSRFToken(t *testing.T) {
	e := setup(t)
	c, home := e.signUp("dave@example.com", "Dave")
	p := e.post(c, "/logout", url.Values{})
	if p.status != http.StatusForbidden {
		t.Fatalf("logout without token: status %d", p.status)
	}
	mustContain(t, p.body, "表单已过期", "This form has expired")
	p = e.post(c, "/logout", url.Values{"csrf_token": {"forged"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("logout with a wrong token: status %d", p.status)
	}
	if p := e.get(c, "/home"); p.status != http.StatusOK || p.path != "/home" {
		t.Fatalf("refused logout still ended the session: %d at %s", p.status, p.path)
	}

	p = e.post(c, "/logout", url.Values{"csrf_token": {csrf(t, home.body)}})
	if p.status != http.StatusOK || p.path != "/" {
		t.Fatalf("logout: status %d at %s", p.status, p.path)
	}
	if p := e.get(c, "/home"); !strings.HasPrefix(p.path, "/login") {
		t.Fatalf("after logout /home ended at %s", p.path)
	}
}

func TestCrossSitePostIsRefused(t *testing.T) {
	e := setup(t)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader("login=x%40example.com&password=y"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	p := e.do(e.browser(), req)
	if p.status != http.StatusForbidden {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "表单已过期")
}

// loginOperator logs a TOTP-enrolled operator in through both steps.
func (e *env) loginOperator(login, secret string) *http.Client {
	e.t.Helper()
	c := e.browser()
	p := e.post(c, "/login", url.Values{"login": {login}, "password": {password}})
	if p.status != http.StatusUnauthorized {
		e.t.Fatalf("first step: status %d", p.status)
	}
	mustContain(e.t, p.body, `name="otp"`, "此账号已启用动态验证码", `value="`+login+`"`)
	mustNotContain(e.t, p.body, password)
	code, err := credential.TOTPCode(secret, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	p = e.post(c, "/login", url.Values{"login": {login}, "password": {password}, "otp": {code}, "step": {"otp"}})
	if p.status != http.StatusOK || p.path != "/home" {
		e.t.Fatalf("second step: status %d at %s", p.status, p.path)
	}
	return c
}

func TestAuditorSeesAuditConsole(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	op, err := e.ids.CreateOperator(ctx, "auditor@example.com", password, "审计员甲", []identity.Role{identity.RoleAuditor}, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := e.trail.Record(ctx, e.db, audit.Event{Action: "test.page", ObjectType: "thing", ObjectID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.loginOperator("auditor@example.com", op.TOTPSecret)

	home := e.get(c, "/home")
	mustContain(t, home.body, "审计员", `href="/console/audit"`, "查阅审计日志")

	p := e.get(c, "/console/audit")
	if p.status != http.StatusOK {
		t.Fatalf("console: status %d", p.status)
	}
	mustContain(t, p.body, "operator.create", "account.login", `name="action"`)

	p = e.get(c, "/console/audit?action=test.page")
	if n := strings.Count(p.body, `<span class="mono">test.page</span>`); n != 25 {
		t.Fatalf("first page has %d entries", n)
	}
	mustNotContain(t, p.body, `<span class="mono">operator.create</span>`)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next-page link")
	}
	p = e.get(c, strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := strings.Count(p.body, `<span class="mono">test.page</span>`); n != 5 {
		t.Fatalf("second page has %d entries", n)
	}
	mustContain(t, p.body, "回到第一页")
	mustNotContain(t, p.body, `rel="next"`)

	if p := e.get(c, "/console/audit?cursor=garbage"); p.status != http.StatusOK {
		t.Fatalf("bad cursor: status %d", p.status)
	}
}

func TestConsumerGetsNotFoundOnAuditConsole(t *testing.T) {
	e := setup(t)
	c, _ := e.signUp("erin@example.com", "Erin")
	p := e.get(c, "/console/audit")
	if p.status != http.StatusNotFound {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, "页面不存在", "Page not found")
	mustNotContain(t, p.body, `href="/console/audit"`)

	if p := e.get(noFollow(e.browser()), "/console/audit"); p.status != http.StatusSeeOther {
		t.Fatalf("anonymous: status %d", p.status)
	}
}

func TestStaffMustEnrolSecondFactor(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	accountID, _, err := e.ids.EnsureAccount(ctx, "frank@example.com", password, "Frank")
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		orgID, err := e.ids.EnsurePlatformOrgTx(ctx, tx)
		if err != nil {
			return err
		}
		return e.ids.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleAuditor, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	p := e.post(c, "/login", url.Values{"login": {"frank@example.com"}, "password": {password}, "next": {"/console/audit"}})
	if p.path != "/account/totp" {
		t.Fatalf("login ended at %s", p.path)
	}
	mustContain(t, p.body, "GB/T 22239", `src="data:image/png;base64,`, `name="code"`)
	// Every visit starts enrolment afresh, so read the secret from the
	// last page shown.
	p = e.get(c, "/home")
	if p.path != "/account/totp" {
		t.Fatalf("/home ended at %s", p.path)
	}
	secret := strings.Join(regexp.MustCompile(`<span>([A-Z2-7]{1,4})</span>`).FindAllString(p.body, -1), "")
	secret = regexp.MustCompile(`</?span>`).ReplaceAllString(secret, "")
	token := csrf(t, p.body)

	bad := e.post(c, "/account/totp", url.Values{"code": {"000000"}, "csrf_token": {token}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: status %d", bad.status)
	}
	mustContain(t, bad.body, "验证码不正确", `id="code-error"`)

	code, err := credential.TOTPCode(secret, e.clk.Now())
	if err != nil {
		t.Fatalf("secret %q from page: %v", secret, err)
	}
	ok := e.post(c, "/account/totp", url.Values{"code": {code}, "csrf_token": {token}})
	if ok.status != http.StatusOK {
		t.Fatalf("confirm: status %d", ok.status)
	}
	mustContain(t, ok.body, "启用成功")
	if p := e.get(c, "/console/audit"); p.status != http.StatusOK {
		t.Fatalf("console after enrolment: status %d at %s", p.status, p.path)
	}
	if p := e.get(c, "/account/totp"); !strings.Contains(p.body, "动态验证码已启用") {
		t.Error("enrolment page does not say the factor is on")
	}
}

func TestEnglish(t *testing.T) {
	e := setup(t)
	c := e.browser()
	p := e.get(c, "/signup?lang=en")
	mustContain(t, p.body, `<html lang="en">`, "Create an account", "I have read and agree to the", "Privacy policy", `href="/signup?lang=zh-CN"`)
	mustNotContain(t, p.body, "我已阅读并同意")
	// The choice is remembered.
	p = e.get(c, "/login")
	mustContain(t, p.body, `<html lang="en">`, "Log in with the email address")
	// Domain messages follow the language.
	p = e.post(c, "/login", url.Values{"login": {"x@example.com"}, "password": {"nope"}})
	mustContain(t, p.body, "Wrong login or password")
	// The browser's language counts when nothing was chosen.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	mustContain(t, e.do(e.browser(), req).body, `<html lang="en">`, "Create an account")
	// Switching back.
	p = e.get(c, "/?lang=zh-CN")
	mustContain(t, p.body, `<html lang="zh-CN">`, "免费注册")
}

func TestPublicPagesInBothLanguages(t *testing.T) {
	e := setup(t)
	for _, lang := range []string{"zh-CN", "en"} {
		for path, status := range map[string]int{
			"/": 200, "/signup": 200, "/login": 200, "/privacy": 200, "/rules": 200, "/about/licences": 200,
			"/privacy?version=" + privacy.Current().Version: 200, "/privacy?version=1999-01-01": 404, "/no/such/page": 404,
		} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			p := e.get(e.browser(), path+sep+"lang="+lang)
			if p.status != status {
				t.Errorf("%s (%s): status %d, want %d", path, lang, p.status, status)
			}
			mustContain(t, p.body, `<html lang="`+lang+`">`, `href="/privacy"`, `href="/rules"`, `href="/about/licences"`, "<title>")
		}
	}
	p := e.get(e.browser(), "/privacy")
	mustContain(t, p.body, "版本 "+privacy.Current().Version, "gbmall 隐私政策")
	p = e.get(e.browser(), "/no/such/page?lang=en")
	mustContain(t, p.body, "Page not found", "页面不存在")
}

func TestStaticFiles(t *testing.T) {
	e := setup(t)
	p := e.get(e.browser(), "/")
	css := regexp.MustCompile(`href="(/static/gbmall\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(p.body)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	s := e.get(e.browser(), css[1])
	if s.status != http.StatusOK || !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(s.resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stylesheet: %d %v", s.status, s.resp.Header)
	}
	if p := e.get(e.browser(), "/static/"); p.status != http.StatusNotFound {
		t.Errorf("directory listing: status %d", p.status)
	}
	if p := e.get(e.browser(), "/static/missing.css"); p.status != http.StatusNotFound {
		t.Errorf("missing file: status %d", p.status)
	}
}

func TestSellerHomeListsOrganisationAndCapabilities(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	accountID, _, err := e.ids.EnsureAccount(ctx, "grace@example.com", password, "Grace")
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		orgID, err := e.ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "示例小店", "approved")
		if err != nil {
			return err
		}
		return e.ids.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleStaff, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	p := e.post(c, "/login", url.Values{"login": {"grace@example.com"}, "password": {password}})
	if p.path != "/home" {
		t.Fatalf("login ended at %s", p.path)
	}
	mustContain(t, p.body, "示例小店", "卖家", "员工", "管理商品、供货商和库存", "接单、拒单和发货")
	mustNotContain(t, p.body, "还没有订单", "签发和吊销 API 密钥", `href="/console/audit"`)
	p = e.get(c, "/home?lang=en")
	mustContain(t, p.body, "Seller", "Staff", "Manage products, suppliers and stock")
}

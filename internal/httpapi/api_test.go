package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/inventory"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/privacy"
)

type bundle struct {
	t      *testing.T
	db     *db.DB
	clock  *clock.Fake
	ids    *identity.Service
	orgs   *org.Service
	orders *order.Service
	srv    *httptest.Server
}

// world is every service the API tests wire, on one fake clock at
// 10:00 Beijing time on 2026-11-28. setup serves it as is; the image and
// payment tests add their collaborators to deps before serving.
type world struct {
	clk   *clock.Fake
	keys  *fieldcrypt.Keyring
	trail *audit.Trail
	ids   *identity.Service
	log   *slog.Logger
	orgs  *org.Service
	inv   *inventory.Service
	cat   *catalog.Service
	ord   *order.Service
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	w := &world{clk: clk, keys: keys, trail: audit.New(clk), log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	w.ids = identity.NewService(d, clk, keys, w.trail, cfg)
	w.orgs = org.NewService(d, clk, keys, w.trail, w.ids, nil)
	w.inv = inventory.NewService(d, clk, w.trail, keys)
	w.cat = catalog.NewService(d, clk, w.trail, w.orgs)
	w.cat.Stock = w.inv
	w.ord = order.NewService(d, clk, w.trail, keys, w.cat, w.inv)
	return w
}

// deps are the API's collaborators from w.
func (w *world) deps(d *db.DB) httpapi.Deps {
	return httpapi.Deps{DB: d, Clock: w.clk, Identity: w.ids, Orgs: w.orgs, Catalog: w.cat, Inventory: w.inv, Orders: w.ord,
		Trail: w.trail, Log: w.log, Version: "test", RateLimits: false}
}

// serve starts h behind the observing middleware and returns the bundle.
func (w *world) serve(t *testing.T, d *db.DB, h http.Handler) *bundle {
	srv := httptest.NewServer(httpapi.Observe(h, w.log, nil, false))
	t.Cleanup(srv.Close)
	return &bundle{t: t, db: d, clock: w.clk, ids: w.ids, orgs: w.orgs, orders: w.ord, srv: srv}
}

func setup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	w := newWorld(t, d)
	return w.serve(t, d, httpapi.New(w.deps(d)).Handler())
}

type resp struct {
	status int
	ctype  string
	body   map[string]any
	raw    string
}

func (b *bundle) do(method, path, token, body string, hdr ...string) resp {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r resp) problemCode() string {
	t, _ := r.body["type"].(string)
	return t[strings.LastIndex(t, "/")+1:]
}

func registerBody(login, password string, accepted bool) string {
	b, _ := json.Marshal(map[string]any{"login": login, "password": password, "display_name": "测试用户",
		"consent": map[string]any{"privacy_policy_version": privacy.Current().Version, "accepted": accepted}})
	return string(b)
}

func (b *bundle) login(login, password, otp string) resp {
	body, _ := json.Marshal(map[string]any{"login": login, "password": password, "otp": otp})
	return b.do("POST", "/api/v1/auth/login", "", string(body))
}

func countAccounts(t *testing.T, d *db.DB) int {
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterLoginMe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		r := b.do("POST", "/api/v1/auth/register", "", registerBody("Alice@Example.com", "Str0ng!Passw0rd#2026", true))
		if r.status != 201 || r.body["id"] == "" {
			t.Fatalf("register: %d %s", r.status, r.raw)
		}
		if strings.Contains(r.raw, "alice@example.com") {
			t.Fatalf("register answer shows the login unmasked: %s", r.raw)
		}
		r = b.login("alice@example.com", "Str0ng!Passw0rd#2026", "")
		if r.status != 200 || r.body["token"] == nil || r.body["mfa_enrolment_required"] != false {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		token := r.body["token"].(string)
		me := b.do("GET", "/api/v1/me", token, "")
		if me.status != 200 || me.body["display_name"] != "测试用户" {
			t.Fatalf("me: %d %s", me.status, me.raw)
		}
		if ms, ok := me.body["memberships"].([]any); !ok || len(ms) != 0 {
			t.Fatalf("a consumer has no memberships: %s", me.raw)
		}
		// Logout revokes the token.
		if r := b.do("POST", "/api/v1/auth/logout", token, ""); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/me", token, ""); r.status != 401 || r.problemCode() != "unauthenticated" {
			t.Fatalf("revoked token still works: %d %s", r.status, r.raw)
		}
		// The consent was recorded with its version.
		var version string
		if err := d.QueryRow(context.Background(), `SELECT version FROM consents`).Scan(&version); err != nil || version != privacy.Current().Version {
			t.Fatalf("consent not recorded: %v %q", err, version)
		}
	})
}

func TestBadInputIsRefusedAndNothingWritten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		cases := []struct {
			name, body string
			status     int
			code       string
		}{
			{"malformed json", `{"login": "a@b.cn", `, 400, "validation"},
			{"unknown field", strings.Replace(registerBody("a@b.cn", "Str0ng!Passw0rd#2026", true), `"login"`, `"admin":true,"login"`, 1), 400, "validation"},
			{"wrong type", `{"login": 12, "password": "Str0ng!Passw0rd#2026", "display_name": "x", "consent": {"privacy_policy_version": "v", "accepted": true}}`, 400, "validation"},
			{"missing field", `{"login": "a@b.cn"}`, 400, "validation"},
			{"no consent", registerBody("a@b.cn", "Str0ng!Passw0rd#2026", false), 400, "validation"},
			{"weak password", registerBody("a@b.cn", "password", true), 400, "validation"},
			{"too large", `{"login": "` + strings.Repeat("x", 1<<20+10) + `"}`, 413, "payload-too-large"},
		}
		for _, c := range cases {
			r := b.do("POST", "/api/v1/auth/register", "", c.body)
			if r.status != c.status || r.problemCode() != c.code || !strings.HasPrefix(r.ctype, "application/problem+json") {
				t.Errorf("%s: got %d %s %s", c.name, r.status, r.ctype, r.raw)
			}
			if c.status == 400 {
				if errs, ok := r.body["errors"].([]any); !ok || len(errs) == 0 {
					t.Errorf("%s: no field errors: %s", c.name, r.raw)
				}
			}
		}
		if n := countAccounts(t, d); n != 0 {
			t.Fatalf("bad input created %d accounts", n)
		}
		// Field errors name the fields, in English when asked.
		r := b.do("POST", "/api/v1/auth/register", "", `{"login": "a@b.cn"}`, "Accept-Language", "en")
		if !strings.Contains(r.raw, `"field":"password"`) || r.body["title"] != "Invalid request" {
			t.Fatalf("missing-field answer: %s", r.raw)
		}
	})
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		if r := b.do("POST", "/api/v1/auth/register", "", registerBody("13812345678", "Str0ng!Passw0rd#2026", true)); r.status != 201 {
			t.Fatal(r.raw)
		}
		for i := 0; i < 5; i++ {
			if r := b.login("+86 138 1234 5678", "Wrong-Pass-1", ""); r.status != 401 || r.problemCode() != "unauthenticated" {
				t.Fatalf("attempt %d: %d %s", i, r.status, r.raw)
			}
		}
		r := b.login("13812345678", "Str0ng!Passw0rd#2026", "")
		if r.status != 423 || r.problemCode() != "account-locked" {
			t.Fatalf("right password on a locked account: %d %s", r.status, r.raw)
		}
		// A wrong password learns nothing more, and no unlock time is told.
		r = b.login("13812345678", "Wrong-Pass-1", "")
		if r.status != 423 || strings.Contains(r.raw, "2026-11-28T02:15") {
			t.Fatalf("locked wrong-password answer: %d %s", r.status, r.raw)
		}
		b.clock.Advance(16 * time.Minute)
		if r := b.login("13812345678", "Str0ng!Passw0rd#2026", ""); r.status != 200 {
			t.Fatalf("not unlocked after 15 minutes: %d %s", r.status, r.raw)
		}
		var failures int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'account.login' AND outcome = 'failure'`).Scan(&failures); err != nil || failures != 7 { // 5 wrong, then 2 refused while locked
			t.Fatalf("failed logins audited: %d %v", failures, err)
		}
	})
}

func TestOperatorNeedsSecondFactorAndIdlesOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		op, err := b.ids.CreateOperator(ctx, "ops@example.cn", "Str0ng!Passw0rd#2026", "运营", []identity.Role{identity.RoleAdmin, identity.RoleReviewer}, "test", false)
		if err != nil {
			t.Fatal(err)
		}
		r := b.login("ops@example.cn", "Str0ng!Passw0rd#2026", "")
		if r.status != 401 || r.problemCode() != "mfa-required" || r.body["token"] != nil {
			t.Fatalf("no otp: %d %s", r.status, r.raw)
		}
		if r := b.login("ops@example.cn", "Str0ng!Passw0rd#2026", "000000"); r.status != 401 || r.problemCode() != "mfa-required" {
			t.Fatalf("wrong otp: %d %s", r.status, r.raw)
		}
		code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
		r = b.login("ops@example.cn", "Str0ng!Passw0rd#2026", code)
		if r.status != 200 {
			t.Fatalf("with otp: %d %s", r.status, r.raw)
		}
		token := r.body["token"].(string)
		// The same code cannot be used twice.
		if r := b.login("ops@example.cn", "Str0ng!Passw0rd#2026", code); r.status != 401 {
			t.Fatalf("replayed otp accepted: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/me", token, ""); r.status != 200 {
			t.Fatal(r.raw)
		}
		b.clock.Advance(31 * time.Minute)
		if r := b.do("GET", "/api/v1/me", token, ""); r.status != 401 {
			t.Fatalf("staff session survived 31 idle minutes: %d", r.status)
		}
		// Separation of duties: an admin cannot also be the auditor.
		if _, err := b.ids.CreateOperator(ctx, "ops@example.cn", "Str0ng!Passw0rd#2026", "", []identity.Role{identity.RoleAuditor}, "test", true); err == nil {
			t.Fatal("admin was also made auditor")
		}
	})
}

func TestTenantIsolationAndAuditTrailAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := audit.WithActor(context.Background(), audit.System)
		owners := map[string]string{}
		orgs := map[string]string{}
		for _, name := range []string{"a", "b"} {
			login := "seller-" + name + "@example.cn"
			accountID, _, err := b.ids.EnsureAccount(ctx, login, "Str0ng!Passw0rd#2026", "卖家"+name)
			if err != nil {
				t.Fatal(err)
			}
			err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
				orgID, err := b.ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "店铺"+name, "approved")
				if err != nil {
					return err
				}
				orgs[name] = orgID
				return b.ids.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleOwner, "")
			})
			if err != nil {
				t.Fatal(err)
			}
			r := b.login(login, "Str0ng!Passw0rd#2026", "")
			owners[name] = r.body["token"].(string)
		}
		// A creates a key in its own organisation and lists it.
		r := b.do("POST", "/api/v1/organizations/"+orgs["a"]+"/api-keys", owners["a"], `{"name":"erp","permissions":["catalog.manage"]}`)
		if r.status != 201 || !strings.HasPrefix(r.body["key"].(string), "gbk_") {
			t.Fatalf("create key: %d %s", r.status, r.raw)
		}
		keyID := r.body["id"].(string)
		// B sees 404 for A's objects, never 403.
		if r := b.do("GET", "/api/v1/organizations/"+orgs["a"]+"/api-keys", owners["b"], ""); r.status != 404 {
			t.Fatalf("other tenant's keys: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+orgs["a"]+"/api-keys/"+keyID+"/revoke", owners["b"], ""); r.status != 404 {
			t.Fatalf("other tenant's revoke: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/organizations/"+orgs["a"]+"/api-keys", owners["a"], ""); r.status != 200 || !strings.Contains(r.raw, keyID) || strings.Contains(r.raw, "key_hash") {
			t.Fatalf("own keys: %d %s", r.status, r.raw)
		}
		// Consumers and sellers cannot read the audit trail; the auditor can.
		if r := b.do("GET", "/api/v1/audit-entries", owners["a"], ""); r.status != 403 {
			t.Fatalf("seller read audit trail: %d", r.status)
		}
		op, err := b.ids.CreateOperator(ctx, "audit@example.cn", "Str0ng!Passw0rd#2026", "审计", []identity.Role{identity.RoleAuditor}, "test", false)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
		tok := b.login("audit@example.cn", "Str0ng!Passw0rd#2026", code).body["token"].(string)
		r = b.do("GET", "/api/v1/audit-entries?action=apikey.create&limit=5", tok, "")
		items, _ := r.body["items"].([]any)
		if r.status != 200 || len(items) != 1 {
			t.Fatalf("auditor list: %d %s", r.status, r.raw)
		}
		res, err := audit.Verify(context.Background(), d)
		if err != nil || !res.OK() {
			t.Fatalf("audit chain: %+v %v", res, err)
		}
	})
}

func TestIdempotencyKeyReplays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		body := registerBody("idem@example.cn", "Str0ng!Passw0rd#2026", true)
		first := b.do("POST", "/api/v1/auth/register", "", body, "Idempotency-Key", "k1")
		second := b.do("POST", "/api/v1/auth/register", "", body, "Idempotency-Key", "k1")
		if first.status != 201 || second.status != 201 || first.body["id"] != second.body["id"] {
			t.Fatalf("replay: %s / %s", first.raw, second.raw)
		}
		other := b.do("POST", "/api/v1/auth/register", "", registerBody("idem2@example.cn", "Str0ng!Passw0rd#2026", true), "Idempotency-Key", "k1")
		if other.status != 422 || other.problemCode() != "idempotency-key-reused" {
			t.Fatalf("reused key: %d %s", other.status, other.raw)
		}
		if n := countAccounts(t, d); n != 1 {
			t.Fatalf("want 1 account, got %d", n)
		}
	})
}

func TestOpenAPIDocument(t *testing.T) {
	b := setup(t, dbtest.SQLite(t))
	r := b.do("GET", "/api/v1/openapi.json", "", "")
	if r.status != 200 || r.body["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %d %.200s", r.status, r.raw)
	}
	paths, _ := r.body["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me", "/api/v1/privacy-policy"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi lacks %s", p)
		}
	}
	if strings.Contains(r.raw, "$schema") {
		t.Error("bodies must not carry $schema links")
	}
	if r := b.do("GET", "/api/v1/no-such-thing", "", ""); r.status != 404 || r.problemCode() != "not-found" {
		t.Errorf("unknown route: %d %s", r.status, r.raw)
	}
}

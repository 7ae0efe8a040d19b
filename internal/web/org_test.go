package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/id"
	"gbmall/internal/web"
)

// orgEnv is the web shell with the organisations service and documents.
type orgEnv struct {
	*env
	orgs *org.Service
	docs *document.Store
}

func setupOrgs(t *testing.T, d *db.DB) *orgEnv {
	t.Helper()
	keys, err := fieldcrypt.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	trail := audit.New(clk)
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	ids := identity.NewService(d, clk, keys, trail, cfg)
	docs := document.NewStore(d, trail, clk, t.TempDir())
	orgs := org.NewService(d, clk, keys, trail, ids, docs)
	h := web.New(web.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Orgs: orgs, Documents: docs,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &orgEnv{env: &env{t: t, srv: srv, ids: ids, clk: clk, db: d, trail: trail}, orgs: orgs, docs: docs}
}

func residentID(first17 string) string {
	c, _ := cnid.ResidentIDCheckChar(first17)
	return first17 + string(c)
}

var (
	repID     = residentID("11010519800101123")
	shopUSCC  = cnid.MakeUSCC("9111010856789012")
	otherUSCC = cnid.MakeUSCC("9131011567890123")
)

func registrationValues(token, name, uscc string) url.Values {
	return url.Values{"csrf_token": {token}, "kind": {"seller"}, "name": {name}, "uscc": {uscc},
		"rep_name": {"王建国"}, "rep_id": {repID}, "contact_name": {"李联系"}, "contact_mobile": {"13800138000"},
		"contact_email": {"shop@example.cn"}, "address": {"北京市海淀区中关村大街 1 号"}, "business_scope": {"日用百货"}}
}

// pngBytes is a small real PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a multipart form with one file.
func (e *orgEnv) upload(c *http.Client, path string, fields url.Values, fileName string, content []byte) page {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(c, req)
}

func (e *orgEnv) day(offset int) string {
	return e.clk.Now().AddDate(0, 0, offset).Format(time.DateOnly)
}

func (e *orgEnv) licenceFields(token, number string) url.Values {
	return url.Values{"csrf_token": {token}, "type": {"business_license"}, "number": {number},
		"issuer": {"北京市海淀区市场监督管理局"}, "valid_from": {e.day(-400)}, "valid_until": {e.day(700)}}
}

// createOrg runs wizard step 2 and returns the organisation id and the
// dossier page.
func (e *orgEnv) createOrg(c *http.Client, name, uscc string) (string, page) {
	e.t.Helper()
	form := e.get(c, "/onboarding?kind=seller")
	p := e.post(c, "/onboarding", registrationValues(csrf(e.t, form.body), name, uscc))
	m := regexp.MustCompile(`^/orgs/([0-9a-f-]{36})/dossier`).FindStringSubmatch(p.path)
	if p.status != http.StatusOK || m == nil {
		e.t.Fatalf("create: status %d at %s\n%s", p.status, p.path, p.body)
	}
	return m[1], p
}

// reviewer creates a platform reviewer and logs them in.
func (e *orgEnv) reviewer(login string) *http.Client {
	e.t.Helper()
	op, err := e.ids.CreateOperator(context.Background(), login, password, "审核员甲", []identity.Role{identity.RoleReviewer}, "test", false)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.loginOperator(login, op.TOTPSecret)
}

var docLink = regexp.MustCompile(`href="/docs/([0-9a-f-]{36})"`)

func auditCount(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	entries, _, err := audit.List(context.Background(), d, audit.Filter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestOnboardingWizardShowsFieldErrors(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	c, home := e.signUp("owner@example.cn", "店主")
	mustContain(t, home.body, `href="/onboarding"`, "开店 / 入驻")

	step1 := e.get(c, "/onboarding")
	mustContain(t, step1.body, `href="/onboarding?kind=seller"`, `href="/onboarding?kind=carrier"`, `href="/onboarding?kind=payment_provider"`,
		"快递业务经营许可证", "支付业务许可证", "在平台开店销售商品")
	mustNotContain(t, step1.body, "onboard.kind.")

	form := e.get(c, "/onboarding?kind=seller")
	mustContain(t, form.body, `name="kind" value="seller"`, `for="uscc"`, `for="rep_id"`, `for="contact_mobile"`, `name="business_scope"`)
	v := registrationValues(csrf(t, form.body), "优选好物旗舰店", "91110108MA01ABCDE0")
	p := e.post(c, "/onboarding", v)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid USCC: status %d", p.status)
	}
	mustContain(t, p.body, `id="uscc-error"`, `aria-invalid="true"`, `value="优选好物旗舰店"`, `value="91110108MA01ABCDE0"`)
	if n := strings.Count(p.body, `class="field-error"`); n != 1 {
		t.Errorf("%d field errors, want only the USCC's", n)
	}

	// Every invalid field is reported at once, each next to its input.
	v.Set("rep_id", "110105198001011234")
	v.Set("contact_mobile", "12345")
	v.Set("name", "")
	p = e.post(c, "/onboarding?lang=en", v)
	mustContain(t, p.body, `id="uscc-error"`, `id="rep_id-error"`, `id="contact_mobile-error"`, `id="name-error"`, "Please check the fields marked below.")

	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM organizations WHERE kind = 'seller'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("an organisation was created from an invalid form: %d %v", n, err)
	}
}

func TestOnboardingToPublicLicencePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setupOrgs(t, d)
		owner, _ := e.signUp("owner@example.cn", "店主")
		orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
		mustContain(t, dossier.body, "组织已创建", "营业执照", "尚未添加", `action="/orgs/`+orgID+`/qualifications#add-qualification"`,
			`enctype="multipart/form-data"`, `type="file"`, `type="date"`)
		mustNotContain(t, dossier.body, repID, "13800138000")
		token := csrf(t, dossier.body)

		// Submitting without the business licence is refused on the dossier.
		confirm := e.get(owner, "/orgs/"+orgID+"/submit")
		mustContain(t, confirm.body, "提交后审核期间不能修改，确认提交？", `action="/orgs/`+orgID+`/submit"`, `href="/orgs/`+orgID+`/dossier"`)
		p := e.post(owner, "/orgs/"+orgID+"/submit", url.Values{"csrf_token": {token}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("submit without licence: status %d", p.status)
		}
		mustContain(t, p.body, "缺少必需的资质")

		// A file that is not a PDF, PNG or JPEG is refused next to the file input.
		p = e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(token, "110108000123456"), "licence.png", []byte("<html><script>alert(1)</script></html>"))
		if p.status != http.StatusUnsupportedMediaType {
			t.Fatalf("html upload: status %d", p.status)
		}
		mustContain(t, p.body, `id="file-error"`, "只接受 PDF、PNG 或 JPEG", `value="110108000123456"`)
		// No file at all.
		p = e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(token, "110108000123456"), "", nil)
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("no file: status %d", p.status)
		}
		mustContain(t, p.body, `id="file-error"`, "请选择证照扫描件")

		p = e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(token, "110108000123456"), "营业执照.png", pngBytes(t))
		if p.status != http.StatusOK || !strings.HasPrefix(p.path, "/orgs/"+orgID+"/dossier") {
			t.Fatalf("add licence: status %d at %s\n%s", p.status, p.path, p.body)
		}
		mustContain(t, p.body, "资质已添加", "110108000123456", "待审核", "已添加")
		m := docLink.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("no link to the scan")
		}
		docID := m[1]
		scan := e.get(owner, "/docs/"+docID)
		if scan.status != http.StatusOK || scan.resp.Header.Get("Content-Type") != "image/png" ||
			scan.resp.Header.Get("X-Content-Type-Options") != "nosniff" || scan.resp.Header.Get("Cache-Control") != "private, no-store" ||
			!bytes.Equal([]byte(scan.body), pngBytes(t)) {
			t.Fatalf("scan: %d %v", scan.status, scan.resp.Header)
		}

		p = e.post(owner, "/orgs/"+orgID+"/submit", url.Values{"csrf_token": {token}})
		if p.status != http.StatusOK {
			t.Fatalf("submit: status %d", p.status)
		}
		mustContain(t, p.body, "提交成功", "审核中")
		mustNotContain(t, p.body, `action="/orgs/`+orgID+`/qualifications`)

		// The reviewer finds it in the queue and approves it.
		rev := e.reviewer("reviewer@example.cn")
		home := e.get(rev, "/home")
		mustContain(t, home.body, `href="/console/review"`, `href="/console/filings"`)
		queue := e.get(rev, "/console/review")
		mustContain(t, queue.body, "优选好物旗舰店", `href="/console/review/`+orgID+`"`)
		if q := e.get(rev, "/console/review?tab=approved"); strings.Contains(q.body, "优选好物旗舰店") {
			t.Error("a pending organisation is under the approved tab")
		}
		if q := e.get(rev, "/console/review?tab=pending_review&q=nothing-like-it"); strings.Contains(q.body, "优选好物旗舰店") {
			t.Error("search does not filter")
		}
		r := e.get(rev, "/console/review/"+orgID)
		mustContain(t, r.body, "1101**", `<img src="/docs/`+docID+`"`, "显示完整证件号（将被审计）", `action="/console/review/`+orgID+`/reveal"`,
			`href="/console/review/`+orgID+`/approve"`, `name="reject_reason"`, "创建组织", "提交审核")
		mustNotContain(t, r.body, repID)
		if s := e.get(rev, "/docs/"+docID); s.status != http.StatusOK {
			t.Fatalf("reviewer reads the scan: status %d", s.status)
		}

		confirm = e.get(rev, "/console/review/"+orgID+"/approve")
		mustContain(t, confirm.body, "确认审核通过", `name="decision" value="approve"`)
		p = e.post(rev, "/console/review/"+orgID+"/decision", url.Values{"csrf_token": {csrf(t, confirm.body)}, "decision": {"approve"}})
		if p.status != http.StatusOK || !strings.HasPrefix(p.path, "/console/review/"+orgID) {
			t.Fatalf("approve: status %d at %s", p.status, p.path)
		}
		mustContain(t, p.body, "已审核通过", "GBM-S-", `name="suspend_reason"`)

		// Anyone sees the licence on the public page, and no personal data.
		pub := e.get(e.browser(), "/shops/"+orgID+"/licence")
		if pub.status != http.StatusOK {
			t.Fatalf("public page: status %d", pub.status)
		}
		mustContain(t, pub.body, "优选好物旗舰店", shopUSCC, "110108000123456", "北京市海淀区市场监督管理局", "营业执照", "GBM-S-", "✓")
		mustNotContain(t, pub.body, "王建国", "王*", repID, "13800138000", "李联系", "shop@example.cn", "停止经营", "目前不能经营")

		// The filing register lists it and exports it.
		f := e.get(rev, "/console/filings?q="+url.QueryEscape(shopUSCC))
		mustContain(t, f.body, "优选好物旗舰店", "GBM-S-", `href="/console/filings.csv?q=`+shopUSCC+`"`)
		csv := e.get(rev, "/console/filings.csv?kind=seller")
		if csv.status != http.StatusOK || !strings.HasPrefix(csv.resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.body, shopUSCC) {
			t.Fatalf("csv: %d %q", csv.status, csv.body)
		}
		if auditCount(t, d, "filings.export") != 1 {
			t.Error("the export was not audited")
		}

		// The owner sees the outcome.
		p = e.get(owner, "/orgs/"+orgID+"/dossier")
		mustContain(t, p.body, "已通过审核，可以经营", "入驻审核已通过", `href="/shops/`+orgID+`/licence"`)
		p = e.get(owner, "/orgs")
		mustContain(t, p.body, "优选好物旗舰店", "已通过")
	})
}

func TestRevealIsAudited(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, _ := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	rev := e.reviewer("reviewer@example.cn")
	r := e.get(rev, "/console/review/"+orgID)
	if auditCount(t, e.db, "personal.unmask") != 0 {
		t.Fatal("the masked page was recorded as an unmask")
	}
	// Without the form token nothing is revealed.
	if p := e.post(rev, "/console/review/"+orgID+"/reveal", url.Values{}); p.status != http.StatusForbidden || strings.Contains(p.body, repID) {
		t.Fatalf("reveal without token: status %d", p.status)
	}
	p := e.post(rev, "/console/review/"+orgID+"/reveal", url.Values{"csrf_token": {csrf(t, r.body)}})
	if p.status != http.StatusOK {
		t.Fatalf("reveal: status %d", p.status)
	}
	mustContain(t, p.body, repID, "13800138000", "王建国", "本次查看已记入审计日志")
	entries, _, err := audit.List(context.Background(), e.db, audit.Filter{Action: "personal.unmask"})
	if err != nil || len(entries) != 1 || entries[0].ObjectID != orgID {
		t.Fatalf("unmask audit: %v %+v", err, entries)
	}

	// A seller cannot reveal, nor see the console at all.
	p = e.post(owner, "/console/review/"+orgID+"/reveal", url.Values{"csrf_token": {csrf(t, e.get(owner, "/home").body)}})
	if p.status != http.StatusNotFound || strings.Contains(p.body, repID) {
		t.Fatalf("owner reveal: status %d", p.status)
	}
}

func TestSellerGetsNotFoundOnConsoles(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	mustNotContain(t, dossier.body, `href="/console/review"`, `href="/console/filings"`)
	mustContain(t, dossier.body, `href="/orgs"`)
	for _, path := range []string{"/console/review", "/console/review/" + orgID, "/console/review/" + orgID + "/approve", "/console/filings", "/console/filings.csv"} {
		if p := e.get(owner, path); p.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, p.status)
		}
	}
	p := e.post(owner, "/console/review/"+orgID+"/decision", url.Values{"csrf_token": {csrf(t, dossier.body)}, "decision": {"approve"}})
	if p.status != http.StatusNotFound {
		t.Errorf("decision: status %d", p.status)
	}
	o, err := e.orgs.Public(context.Background(), orgID)
	if err == nil || o != nil {
		t.Fatal("the owner approved their own organisation")
	}
	// Anonymous visitors are sent to log in.
	if p := e.get(noFollow(e.browser()), "/console/review"); p.status != http.StatusSeeOther {
		t.Errorf("anonymous: status %d", p.status)
	}
}

func TestOtherOrganisationsAreNotFound(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	a, _ := e.signUp("a@example.cn", "甲")
	orgA, dossierA := e.createOrg(a, "甲店铺", shopUSCC)
	p := e.upload(a, "/orgs/"+orgA+"/qualifications", e.licenceFields(csrf(t, dossierA.body), "110108000123456"), "licence.png", pngBytes(t))
	m := docLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no scan link: %d %s", p.status, p.path)
	}
	b, _ := e.signUp("b@example.cn", "乙")
	_, dossierB := e.createOrg(b, "乙店铺", otherUSCC)
	token := csrf(t, dossierB.body)

	for _, path := range []string{"/orgs/" + orgA + "/dossier", "/docs/" + m[1], "/orgs/" + orgA + "/members", "/orgs/" + orgA + "/submit",
		"/orgs/" + orgA + "/edit", "/shops/" + orgA + "/licence", "/orgs/" + id.New() + "/dossier", "/docs/" + id.New(), "/docs/not-an-id"} {
		p := e.get(b, path)
		if p.status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, p.status)
		}
		mustNotContain(t, p.body, "甲店铺", "110108000123456")
	}
	p = e.upload(b, "/orgs/"+orgA+"/qualifications", e.licenceFields(token, "X-1"), "licence.png", pngBytes(t))
	if p.status != http.StatusNotFound {
		t.Errorf("adding to another's dossier: status %d", p.status)
	}
	p = e.post(b, "/orgs/"+orgA+"/submit", url.Values{"csrf_token": {token}})
	if p.status != http.StatusNotFound {
		t.Errorf("submitting another's dossier: status %d", p.status)
	}
	// Anonymous visitors are sent to log in, not shown the scan.
	if p := e.get(noFollow(e.browser()), "/docs/"+m[1]); p.status != http.StatusSeeOther {
		t.Errorf("anonymous scan: status %d", p.status)
	}
}

func TestRejectionReasonIsShown(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	token := csrf(t, dossier.body)
	e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(token, "110108000123456"), "licence.png", pngBytes(t))
	if p := e.post(owner, "/orgs/"+orgID+"/submit", url.Values{"csrf_token": {token}}); p.status != http.StatusOK {
		t.Fatalf("submit: %d", p.status)
	}
	rev := e.reviewer("reviewer@example.cn")
	rtoken := csrf(t, e.get(rev, "/console/review/"+orgID).body)
	p := e.post(rev, "/console/review/"+orgID+"/decision", url.Values{"csrf_token": {rtoken}, "decision": {"reject"}, "reject_reason": {""}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without reason: status %d", p.status)
	}
	mustContain(t, p.body, `id="reject_reason-error"`, "请填写理由")
	p = e.post(rev, "/console/review/"+orgID+"/decision", url.Values{"csrf_token": {rtoken}, "decision": {"reject"}, "reject_reason": {"营业执照扫描件不清晰"}})
	if p.status != http.StatusOK {
		t.Fatalf("reject: status %d", p.status)
	}
	mustContain(t, p.body, "已驳回，申请人会看到驳回原因")

	p = e.get(owner, "/orgs/"+orgID+"/dossier")
	mustContain(t, p.body, "入驻审核未通过", "营业执照扫描件不清晰", `class="alert alert-error alert-strong"`, `href="/orgs/`+orgID+`/submit"`)
	if p := e.get(e.browser(), "/shops/"+orgID+"/licence"); p.status != http.StatusNotFound {
		t.Errorf("public page of a rejected applicant: status %d", p.status)
	}
}

func TestUploadOverTenMiBIsRefusedAtTheFileInput(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	big := append(pngBytes(t), make([]byte, document.MaxSize)...)
	p := e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(csrf(t, dossier.body), "110108000123456"), "big.png", big)
	if p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, `id="file-error"`, "文件超过 10 MiB 上限")
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT count(*) FROM qualifications`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("qualifications: %d %v", n, err)
	}
}

func TestMembersPage(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, _ := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	staff, _ := e.signUp("clerk@example.cn", "店员小张")

	p := e.get(owner, "/orgs/"+orgID+"/members")
	mustContain(t, p.body, "店主", "负责人", `name="login"`, `action="/orgs/`+orgID+`/members#invite"`, `<option value="staff">员工</option>`, "要求全部成员使用动态验证码")
	mustNotContain(t, p.body, "owner@example.cn", `<option value="reviewer"`)
	token := csrf(t, p.body)

	p = e.post(owner, "/orgs/"+orgID+"/members", url.Values{"csrf_token": {token}, "login": {"nobody@example.cn"}, "role": {"staff"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown login: status %d", p.status)
	}
	mustContain(t, p.body, `id="login-error"`, "找不到该账号")
	p = e.post(owner, "/orgs/"+orgID+"/members", url.Values{"csrf_token": {token}, "login": {"clerk@example.cn"}, "role": {"staff"}})
	if p.status != http.StatusOK {
		t.Fatalf("invite: status %d", p.status)
	}
	mustContain(t, p.body, "成员已添加", "店员小张", "员工")
	mustNotContain(t, p.body, "clerk@example.cn")

	// The new member sees the organisation but cannot manage members.
	sp := e.get(staff, "/orgs/"+orgID+"/members")
	mustContain(t, sp.body, "店员小张", "只有负责人可以修改此设置")
	mustNotContain(t, sp.body, `action="/orgs/`+orgID+`/members`)
	mustContain(t, e.get(staff, "/home").body, `href="/orgs/`+orgID+`/dossier"`, `href="/orgs"`)

	staffID := regexp.MustCompile(`href="/orgs/`+orgID+`/members/([0-9a-f-]{36})/remove"`).FindAllStringSubmatch(p.body, -1)
	var clerk string
	for _, m := range staffID {
		if confirm := e.get(owner, "/orgs/"+orgID+"/members/"+m[1]+"/remove"); strings.Contains(confirm.body, "店员小张") {
			clerk = m[1]
			mustContain(t, confirm.body, "确认收回", `action="/orgs/`+orgID+`/members/`+m[1]+`/remove"`)
		}
	}
	if clerk == "" {
		t.Fatal("no remove link for the clerk")
	}
	p = e.post(owner, "/orgs/"+orgID+"/members/"+clerk+"/remove", url.Values{"csrf_token": {token}})
	if p.status != http.StatusOK {
		t.Fatalf("remove: status %d", p.status)
	}
	mustNotContain(t, p.body, "店员小张")
	if p := e.get(staff, "/orgs/"+orgID+"/dossier"); p.status != http.StatusNotFound {
		t.Errorf("removed member still sees the dossier: %d", p.status)
	}

	// The last owner cannot be removed: the page offers no way, and the
	// form posted anyway is refused.
	mustContain(t, p.body, "唯一负责人，不能移出")
	mustNotContain(t, p.body, "/remove\"")
	var ownerID string
	if err := e.db.QueryRow(context.Background(), `SELECT account_id FROM memberships WHERE organization_id = $1 AND role = 'owner'`, orgID).Scan(&ownerID); err != nil {
		t.Fatal(err)
	}
	p = e.post(owner, "/orgs/"+orgID+"/members/"+ownerID+"/remove", url.Values{"csrf_token": {token}})
	if p.status != http.StatusConflict {
		t.Fatalf("removing the last owner: status %d", p.status)
	}
	mustContain(t, p.body, "不能移除最后一位负责人")

	// Requiring a second factor sends members without one to enrol.
	p = e.post(owner, "/orgs/"+orgID+"/security", url.Values{"csrf_token": {token}, "require_mfa": {"on"}})
	if p.path != "/account/totp" {
		t.Fatalf("after requiring a second factor the owner is at %s", p.path)
	}
	var on bool
	if err := e.db.QueryRow(context.Background(), `SELECT require_mfa FROM organizations WHERE id = $1`, orgID).Scan(&on); err != nil || !on {
		t.Fatalf("require_mfa: %v %v", on, err)
	}
}

// as is ctx acting as accountID, for calling the services directly.
func (e *orgEnv) as(accountID string) context.Context {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.ids.PrincipalFor(ctx, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: accountID, SourceIP: "test"}), p)
}

// approvedSeller onboards a seller through the services: owner login,
// approved by a reviewer whose account and TOTP secret are returned.
func (e *orgEnv) approvedSeller(ownerLogin string) (orgID string, reviewer *identity.Operator) {
	e.t.Helper()
	ctx := context.Background()
	ownerID, _, err := e.ids.EnsureAccount(ctx, ownerLogin, password, "店主")
	if err != nil {
		e.t.Fatal(err)
	}
	o, err := e.orgs.Create(e.as(ownerID), org.Registration{Kind: identity.KindSeller, Name: "优选好物旗舰店", USCC: shopUSCC,
		LegalRepresentative: org.Person{Name: "王建国", IDNumber: repID}, Contact: org.Contact{Name: "李联系", Mobile: "13800138000"},
		Address: "北京市海淀区中关村大街 1 号"})
	if err != nil {
		e.t.Fatal(err)
	}
	if p := e.get(e.browser(), "/shops/"+o.ID+"/licence"); p.status != http.StatusNotFound {
		e.t.Fatalf("draft: public page status %d", p.status)
	}
	if _, err := e.orgs.AddQualification(e.as(ownerID), o.ID, org.QualificationInput{Type: "business_license", Number: "110108000123456",
		Issuer: "北京市海淀区市场监督管理局", ValidFrom: e.day(-400), ValidUntil: e.day(700)}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.orgs.Submit(e.as(ownerID), o.ID); err != nil {
		e.t.Fatal(err)
	}
	op, err := e.ids.CreateOperator(ctx, "reviewer@example.cn", password, "审核员", []identity.Role{identity.RoleReviewer}, "test", false)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.orgs.Decide(e.as(op.AccountID), o.ID, "approve", ""); err != nil {
		e.t.Fatal(err)
	}
	return o.ID, op
}

func TestPublicLicencePageBanners(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	orgID, op := e.approvedSeller("owner@example.cn")
	ownerID, _, err := e.ids.EnsureAccount(context.Background(), "owner@example.cn", password, "店主")
	if err != nil {
		t.Fatal(err)
	}
	day := e.day(45)
	if _, err := e.orgs.AnnounceCessation(e.as(ownerID), orgID, day); err != nil {
		t.Fatal(err)
	}
	p := e.get(e.browser(), "/shops/"+orgID+"/licence")
	mustContain(t, p.body, "本店将于 "+day+" 停止经营", "110108000123456", "正常经营")
	mustNotContain(t, p.body, "目前不能经营")
	p = e.get(e.browser(), "/shops/"+orgID+"/licence?lang=en")
	mustContain(t, p.body, "This shop stops trading on "+day, "Business licence")

	if _, err := e.orgs.Suspend(e.as(op.AccountID), orgID, "虚假宣传"); err != nil {
		t.Fatal(err)
	}
	p = e.get(e.browser(), "/shops/"+orgID+"/licence")
	mustContain(t, p.body, "该经营者目前不能经营", "平台已暂停其经营")
	mustNotContain(t, p.body, "虚假宣传") // the reason is between the platform and the merchant

	if p := e.get(e.browser(), "/shops/"+id.New()+"/licence"); p.status != http.StatusNotFound {
		t.Errorf("unknown: status %d", p.status)
	}
}

func TestAboutLicencesListsPlatformLicences(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	ctx := context.Background()
	p := e.get(e.browser(), "/about/licences")
	mustContain(t, p.body, "公示内容")
	err := e.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		orgID, err := e.ids.EnsurePlatformOrgTx(ctx, tx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO qualifications (id, organization_id, type_code, number, issuer, valid_from, valid_until,
			review_status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id.New(), orgID, "icp_license", "京B2-20260001", "北京市通信管理局", e.day(-10), e.day(1000), "approved", "test", e.clk.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p = e.get(e.browser(), "/about/licences")
	mustContain(t, p.body, "京B2-20260001", "北京市通信管理局", "增值电信业务经营许可证", "✓")
	p = e.get(e.browser(), "/about/licences?lang=en")
	mustContain(t, p.body, "Value-added telecom licence", "Platform operator")
}

func TestUploadBodyOverLimitIsRefusedUnread(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	big := append(pngBytes(t), make([]byte, document.MaxSize+200<<10)...)
	p := e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(csrf(t, dossier.body), "110108000123456"), "big.png", big)
	if p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, p.body, `id="file-error"`, "文件超过 10 MiB 上限")
}

func TestLicenceAddedAfterApprovalAndSuspension(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	orgID, op := e.approvedSeller("owner@example.cn")
	owner := e.browser()
	if p := e.post(owner, "/login", url.Values{"login": {"owner@example.cn"}, "password": {password}}); p.path != "/home" {
		t.Fatalf("owner login ended at %s", p.path)
	}
	d := e.get(owner, "/orgs/"+orgID+"/dossier")
	mustContain(t, d.body, "已通过审核，可以经营", "添加其他资质或更新证照")
	f := e.licenceFields(csrf(t, d.body), "JY11108000123456")
	f.Set("type", "food_business_license")
	p := e.upload(owner, "/orgs/"+orgID+"/qualifications", f, "food.png", pngBytes(t))
	if p.status != http.StatusOK {
		t.Fatalf("add food licence: %d", p.status)
	}
	mustContain(t, p.body, "JY11108000123456", "待审核")

	rev := e.loginOperator("reviewer@example.cn", op.TOTPSecret)
	r := e.get(rev, "/console/review/"+orgID)
	m := regexp.MustCompile(`action="/console/review/` + orgID + `/qualifications/([0-9a-f-]{36})"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no decision form for the new licence")
	}
	qid := m[1]
	token := csrf(t, r.body)
	p = e.post(rev, "/console/review/"+orgID+"/qualifications/"+qid, url.Values{"csrf_token": {token}, "decision": {"reject"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without reason: %d", p.status)
	}
	mustContain(t, p.body, `id="q-`+qid+`-error"`)
	p = e.post(rev, "/console/review/"+orgID+"/qualifications/"+qid, url.Values{"csrf_token": {token}, "decision": {"approve"}})
	if p.status != http.StatusOK {
		t.Fatalf("approve licence: %d", p.status)
	}
	mustContain(t, p.body, "资质已审核通过")
	mustNotContain(t, p.body, `action="/console/review/`+orgID+`/qualifications/`)
	mustContain(t, e.get(e.browser(), "/shops/"+orgID+"/licence").body, "JY11108000123456", "食品经营许可证")
	// A qualification of another organisation is not found through this one.
	if p := e.post(rev, "/console/review/"+orgID+"/qualifications/"+id.New(), url.Values{"csrf_token": {token}, "decision": {"approve"}}); p.status != http.StatusNotFound {
		t.Errorf("unknown licence: %d", p.status)
	}

	// Suspension needs a reason; lifting restores trading.
	p = e.post(rev, "/console/review/"+orgID+"/suspend", url.Values{"csrf_token": {token}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("suspend without reason: %d", p.status)
	}
	mustContain(t, p.body, `id="suspend_reason-error"`)
	p = e.post(rev, "/console/review/"+orgID+"/suspend", url.Values{"csrf_token": {token}, "suspend_reason": {"虚假宣传"}})
	mustContain(t, p.body, "已暂停该组织经营", `name="lift_reason"`)
	mustContain(t, e.get(rev, "/console/review?tab=suspended").body, "优选好物旗舰店")
	mustContain(t, e.get(owner, "/orgs/"+orgID+"/dossier").body, "已暂停经营", "虚假宣传")
	p = e.post(rev, "/console/review/"+orgID+"/lift", url.Values{"csrf_token": {token}})
	mustContain(t, p.body, "已恢复该组织经营", `name="suspend_reason"`)
	if err := e.orgs.CanTrade(context.Background(), orgID, e.clk.Now()); err != nil {
		t.Fatalf("cannot trade after the suspension was lifted: %v", err)
	}
}

func TestPDFScanIsSandboxedAndLinked(t *testing.T) {
	e := setupOrgs(t, dbtest.SQLite(t))
	owner, _ := e.signUp("owner@example.cn", "店主")
	orgID, dossier := e.createOrg(owner, "优选好物旗舰店", shopUSCC)
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	p := e.upload(owner, "/orgs/"+orgID+"/qualifications", e.licenceFields(csrf(t, dossier.body), "110108000123456"), "licence.pdf", pdf)
	m := docLink.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("pdf upload: %d", p.status)
	}
	doc := e.get(owner, "/docs/"+m[1])
	if doc.status != http.StatusOK || doc.resp.Header.Get("Content-Type") != "application/pdf" ||
		doc.resp.Header.Get("Content-Security-Policy") != "sandbox" || !strings.HasPrefix(doc.resp.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("pdf: %d %v", doc.status, doc.resp.Header)
	}
	rev := e.reviewer("reviewer@example.cn")
	r := e.get(rev, "/console/review/"+orgID)
	mustContain(t, r.body, `class="scan-pdf"`, `href="/docs/`+m[1]+`"`, "打开 PDF 扫描件")
	mustNotContain(t, r.body, `<img src="/docs/`)
	if auditCount(t, e.db, "document.read") != 0 {
		t.Error("showing the review page recorded a read of the scan")
	}
	e.get(rev, "/docs/"+m[1])
	if auditCount(t, e.db, "document.read") != 1 {
		t.Error("the reviewer's read of the scan was not audited")
	}
}

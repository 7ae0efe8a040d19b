package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
)

// licencePNG writes a small scan-like PNG (a pale card with dark bars) and
// returns its path.
func licencePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 480, 320))
	for x := range 480 {
		for y := range 320 {
			c := color.RGBA{250, 246, 236, 255}
			switch {
			case x < 8 || x >= 472 || y < 8 || y >= 312:
				c = color.RGBA{180, 40, 30, 255}
			case y > 40 && y < 64 && x > 140 && x < 340:
				c = color.RGBA{60, 60, 60, 255}
			case (y-100)%36 < 10 && y > 100 && y < 280 && x > 40 && x < 300+(y%3)*40:
				c = color.RGBA{110, 110, 110, 255}
			case x > 360 && x < 440 && y > 200 && y < 280 && (x-400)*(x-400)+(y-240)*(y-240) < 1500:
				c = color.RGBA{200, 30, 30, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "营业执照.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOnboardingReviewDisclosure walks issue 3's path in a browser: a new
// seller signs up, onboards with a licence scan and submits; the platform
// operator logs in with a second factor and approves it in the review
// queue; the public licence page shows the licence.
func TestOnboardingReviewDisclosure(t *testing.T) {
	h := start(t, true)
	const login, password = "new-seller@example.cn", "Str0ng!Passw0rd#2026"
	uscc := cnid.MakeUSCC("9144030071526726")
	c, _ := cnid.ResidentIDCheckChar("44030519900307215")
	repID := "44030519900307215" + string(c)
	today := h.p.Clock.Now()
	from, until := today.AddDate(-1, 0, 0).Format(time.DateOnly), today.AddDate(4, 0, 0).Format(time.DateOnly)
	const licenceNumber = "914403007152672612"

	// Sign up.
	h.do(
		chromedp.Navigate(h.url+"/signup?lang=zh-CN"), // the pages remember the choice
		chromedp.WaitVisible(chromedp.CSS(`form[action="/signup"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`input[name=display_name]`), "深圳小店店主"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`input[name=password_confirm]`), password),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.btn[href="/onboarding"]`)),
	)
	h.shot("1-home")

	// Step 1: choose the kind.
	h.do(chromedp.Click(chromedp.CSS(`a.btn[href="/onboarding"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/onboarding?kind=seller"]`)))
	h.shot("2-choose-kind")
	if body := h.text("main"); !strings.Contains(body, "快递业务经营许可证") || !strings.Contains(body, "支付业务许可证") {
		t.Fatalf("step 1 does not say what each kind needs: %q", body)
	}

	// Step 2: the registration form; a wrong USCC is shown at its field.
	h.do(
		chromedp.Click(chromedp.CSS(`a[href="/onboarding?kind=seller"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "深圳市鹏城好物商贸有限公司"),
		chromedp.SendKeys(chromedp.CSS(`input[name=uscc]`), "91440300715267260X"),
		chromedp.SendKeys(chromedp.CSS(`input[name=rep_name]`), "陈志明"),
		chromedp.SendKeys(chromedp.CSS(`input[name=rep_id]`), repID),
		chromedp.SendKeys(chromedp.CSS(`input[name=contact_name]`), "林晓"),
		chromedp.SendKeys(chromedp.CSS(`input[name=contact_mobile]`), "13912345678"),
		chromedp.SendKeys(chromedp.CSS(`input[name=contact_email]`), "shop@pengcheng.example.cn"),
		chromedp.SendKeys(chromedp.CSS(`input[name=address]`), "广东省深圳市南山区科技园南区 8 栋 301"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=business_scope]`), "日用百货、家居用品、预包装食品销售"),
		chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#uscc-error`)),
	)
	h.shot("3-field-error")
	if msg := h.text("#uscc-error"); msg == "" {
		t.Fatal("no message at the USCC field")
	}
	h.do(
		chromedp.Clear(chromedp.CSS(`input[name=uscc]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=uscc]`), uscc),
		chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[enctype="multipart/form-data"]`)),
	)
	h.shot("4-dossier")
	m := regexp.MustCompile(`/orgs/([0-9a-f-]{36})/dossier`).FindStringSubmatch(h.location())
	if m == nil {
		t.Fatalf("not on a dossier: %s", h.location())
	}
	orgID := m[1]
	hasFile, err := chromedp.Run(h.ctx, chromedp.Evaluate[bool](`document.querySelector('input[name=file]') !== null`))
	if err != nil || !hasFile {
		t.Fatalf("the dossier has no file input (%v): app.NewHandler must pass Documents: p.Documents to web.Deps", err)
	}

	// Step 3: the business licence with its scan.
	h.do(
		chromedp.SetValue(chromedp.CSS(`select[name=type]`), "business_license"),
		chromedp.SendKeys(chromedp.CSS(`input[name=number]`), licenceNumber),
		chromedp.SendKeys(chromedp.CSS(`input[name=issuer]`), "深圳市市场监督管理局南山监管局"),
		chromedp.SetValue(chromedp.CSS(`input[name=valid_from]`), from),
		chromedp.SetValue(chromedp.CSS(`input[name=valid_until]`), until),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{licencePNG(t)}),
	)
	h.shot("5-licence-form")
	h.do(
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#qualifications a[href^="/docs/"]`)),
	)
	h.shot("6-licence-added")
	if body := h.text("#qualifications"); !strings.Contains(body, licenceNumber) {
		t.Fatalf("licence not listed: %q", body)
	}

	// Submit, confirming on the second page.
	h.do(
		chromedp.Click(chromedp.CSS(`a[href="/orgs/`+orgID+`/submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.confirm-card`)),
	)
	h.shot("7-confirm-submit")
	if body := h.text("main"); !strings.Contains(body, "提交后审核期间不能修改，确认提交？") {
		t.Fatalf("confirmation page: %q", body)
	}
	h.do(
		chromedp.Click(chromedp.CSS(`.confirm-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-info`)),
	)
	h.shot("8-submitted")
	h.do(chromedp.Navigate(h.url+"/orgs/"+orgID+"/members"), chromedp.WaitVisible(chromedp.CSS(`#security`)))
	h.shot("9-members")

	// The operator logs in with the second factor.
	op, err := h.p.Identity.CreateOperator(context.Background(), "operator@demo.gbmall.test", "Demo-Pass-2026", "",
		[]identity.Role{identity.RoleReviewer}, "demo", true)
	if err != nil {
		t.Fatal(err)
	}
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(h.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), "operator@demo.gbmall.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "Demo-Pass-2026"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
	)
	code, err := credential.TOTPCode(op.TOTPSecret, h.p.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "Demo-Pass-2026"),
		chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), code),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/console/review"]`)),
	)
	h.shot("10-operator-home")

	// The queue, the dossier with the scan, the approval.
	h.do(
		chromedp.Click(chromedp.CSS(`nav a[href="/console/review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/console/review/`+orgID+`"]`)),
	)
	h.shot("11-queue")
	h.do(
		chromedp.Click(chromedp.CSS(`td a[href="/console/review/`+orgID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`img.scan-preview`)),
	)
	h.shot("12-review")
	if body := h.text("main"); strings.Contains(body, repID) || !strings.Contains(body, licenceNumber) {
		t.Fatalf("review page shows the ID in clear or lacks the licence: %q", body)
	}
	h.do(
		chromedp.Click(chromedp.CSS(`form[action="/console/review/`+orgID+`/reveal"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-warn`)),
	)
	h.shot("13-revealed")
	if body := h.text("main"); !strings.Contains(body, repID) {
		t.Fatal("reveal did not show the ID number")
	}
	h.do(
		chromedp.Click(chromedp.CSS(`a[href="/console/review/`+orgID+`/approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.confirm-card`)),
	)
	h.shot("14-confirm-approve")
	h.do(
		chromedp.Click(chromedp.CSS(`.confirm-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=suspend_reason]`)),
	)
	h.shot("15-approved")
	h.do(chromedp.Navigate(h.url+"/console/filings"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/console/filings.csv"]`)))
	h.shot("16-filings")
	if body := h.text("main"); !strings.Contains(body, "深圳市鹏城好物商贸有限公司") {
		t.Fatalf("filing register lacks the new seller: %q", body)
	}

	// Anyone sees the licence on the public page.
	h.do(chromedp.Navigate(h.url+"/shops/"+orgID+"/licence"), chromedp.WaitVisible(chromedp.CSS(`.licence-doc`)))
	h.shot("17-public")
	body := h.text("main")
	for _, want := range []string{"深圳市鹏城好物商贸有限公司", uscc, licenceNumber, "深圳市市场监督管理局南山监管局", "GBM-S-"} {
		if !strings.Contains(body, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"陈志明", repID, "13912345678", "林晓"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("public page shows personal data %q", unwanted)
		}
	}

	// The same page in English.
	h.do(chromedp.Navigate(h.url+"/shops/"+orgID+"/licence?lang=en"), chromedp.WaitVisible(chromedp.CSS(`.licence-doc`)))
	h.shot("18-public-en")
	if body := h.text("main"); !strings.Contains(body, "Business licence") || !strings.Contains(body, licenceNumber) {
		t.Fatalf("English public page: %q", body)
	}
}

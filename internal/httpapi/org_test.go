package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

func validID(first17 string) string {
	c, _ := cnid.ResidentIDCheckChar(first17)
	return first17 + string(c)
}

func orgBody(name, uscc, idNumber string) string {
	b, _ := json.Marshal(map[string]any{"kind": "seller", "name": name, "uscc": uscc,
		"legal_representative": map[string]any{"name": "王建国", "id_number": idNumber},
		"contact":              map[string]any{"name": "李联系", "mobile": "+86 138-0013-8000", "email": "shop@example.cn"},
		"address":              "北京市海淀区中关村大街 1 号", "business_scope": "日用百货"})
	return string(b)
}

func qualBody(typ, from, until string) string {
	return fmt.Sprintf(`{"type":%q,"number":"110108000123456","issuer":"北京市海淀区市场监督管理局","valid_from":%q,"valid_until":%q}`, typ, from, until)
}

// consumerToken registers and logs in a consumer.
func (b *bundle) consumerToken(login string) string {
	b.t.Helper()
	if r := b.do("POST", "/api/v1/auth/register", "", registerBody(login, "Str0ng!Passw0rd#2026", true)); r.status != 201 {
		b.t.Fatalf("register %s: %s", login, r.raw)
	}
	r := b.login(login, "Str0ng!Passw0rd#2026", "")
	return r.body["token"].(string)
}

func (b *bundle) reviewerToken(login string) string {
	b.t.Helper()
	op, err := b.ids.CreateOperator(context.Background(), login, "Str0ng!Passw0rd#2026", "审核员", []identity.Role{identity.RoleReviewer}, "test", false)
	if err != nil {
		b.t.Fatal(err)
	}
	code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
	r := b.login(login, "Str0ng!Passw0rd#2026", code)
	if r.status != 200 {
		b.t.Fatalf("reviewer login: %s", r.raw)
	}
	return r.body["token"].(string)
}

func TestOnboardingReviewAndDisclosure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
		seller := b.consumerToken("owner1@example.cn")
		reviewer := b.reviewerToken("reviewer@example.cn")

		r := b.do("POST", "/api/v1/organizations", seller, orgBody("优选好物旗舰店", cnid.MakeUSCC("9111010856789012"), validID("11010519800101123")))
		if r.status != 201 || r.body["status"] != "draft" {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		orgID := r.body["id"].(string)
		if strings.Contains(r.raw, "13800138000") || strings.Contains(r.raw, validID("11010519800101123")) || !strings.Contains(r.raw, "1101**********") {
			t.Fatalf("personal data not masked: %s", r.raw)
		}
		// Submitting without the business licence is refused.
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/submit", seller, ""); r.status != 422 || r.problemCode() != "qualification-missing" {
			t.Fatalf("submit without licence: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/qualifications", seller, qualBody("business_license", day(-400), day(700))); r.status != 201 {
			t.Fatalf("add licence: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/submit", seller, ""); r.status != 200 || r.body["status"] != "pending_review" {
			t.Fatalf("submit: %d %s", r.status, r.raw)
		}
		// Not public before approval.
		if r := b.do("GET", "/api/v1/public/organizations/"+orgID, "", ""); r.status != 404 {
			t.Fatalf("public before approval: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/admin/organizations?status=pending_review", reviewer, ""); r.status != 200 || !strings.Contains(r.raw, orgID) {
			t.Fatalf("queue: %d %s", r.status, r.raw)
		}
		r = b.do("POST", "/api/v1/admin/organizations/"+orgID+"/decision", reviewer, `{"decision":"approve"}`)
		if r.status != 200 || r.body["status"] != "approved" || !strings.HasPrefix(r.body["filing_number"].(string), "GBM-S-") {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		pub := b.do("GET", "/api/v1/public/organizations/"+orgID, "", "")
		if pub.status != 200 || !strings.Contains(pub.raw, "110108000123456") || pub.body["can_trade_now"] != true {
			t.Fatalf("public page: %d %s", pub.status, pub.raw)
		}
		for _, secret := range []string{"王建国", "110105", "13800138000", "李联系"} {
			if strings.Contains(pub.raw, secret) {
				t.Fatalf("public page leaks personal data %q: %s", secret, pub.raw)
			}
		}
		// The reviewer may reveal personal data, and the view is audited.
		r = b.do("GET", "/api/v1/organizations/"+orgID+"?reveal=true", reviewer, "")
		if r.status != 200 || !strings.Contains(r.raw, validID("11010519800101123")) {
			t.Fatalf("reveal: %d %s", r.status, r.raw)
		}
		var unmaskAudits int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'personal.unmask' AND object_id = $1`, orgID).Scan(&unmaskAudits)
		if unmaskAudits != 1 {
			t.Fatalf("unmask audited %d times", unmaskAudits)
		}
		// The owner cannot reveal.
		if r := b.do("GET", "/api/v1/organizations/"+orgID+"?reveal=true", seller, ""); r.status != 403 {
			t.Fatalf("owner reveal: %d", r.status)
		}

		// A second seller is rejected with a reason, corrects, resubmits, is approved.
		seller2 := b.consumerToken("owner2@example.cn")
		r = b.do("POST", "/api/v1/organizations", seller2, orgBody("第二家店", cnid.MakeUSCC("9144030012345678"), validID("44030119900202456")))
		org2 := r.body["id"].(string)
		b.do("POST", "/api/v1/organizations/"+org2+"/qualifications", seller2, qualBody("business_license", day(-10), day(100)))
		b.do("POST", "/api/v1/organizations/"+org2+"/submit", seller2, "")
		if r := b.do("POST", "/api/v1/admin/organizations/"+org2+"/decision", reviewer, `{"decision":"reject"}`); r.status != 400 {
			t.Fatalf("reject without reason: %d %s", r.status, r.raw)
		}
		r = b.do("POST", "/api/v1/admin/organizations/"+org2+"/decision", reviewer, `{"decision":"reject","reason":"营业执照扫描件缺失"}`)
		if r.status != 200 || r.body["status"] != "rejected" || r.body["status_reason"] != "营业执照扫描件缺失" {
			t.Fatalf("reject: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+org2+"/submit", seller2, ""); r.status != 409 {
			t.Fatalf("resubmit unchanged: %d %s", r.status, r.raw)
		}
		b.do("POST", "/api/v1/organizations/"+org2+"/qualifications", seller2, qualBody("business_license", day(-10), day(400)))
		if r := b.do("POST", "/api/v1/organizations/"+org2+"/submit", seller2, ""); r.status != 200 {
			t.Fatalf("resubmit: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/admin/organizations/"+org2+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 || r.body["status"] != "approved" {
			t.Fatalf("approve 2: %d %s", r.status, r.raw)
		}
		h := b.do("GET", "/api/v1/organizations/"+org2+"/history", seller2, "")
		for _, step := range []string{`"create"`, `"submit"`, `"reject"`, `"approve"`} {
			if !strings.Contains(h.raw, step) {
				t.Fatalf("history lacks %s: %s", step, h.raw)
			}
		}
		// Tenant isolation: the first seller cannot see the second's dossier.
		if r := b.do("GET", "/api/v1/organizations/"+org2, seller, ""); r.status != 404 {
			t.Fatalf("other seller's dossier: %d", r.status)
		}
		if r := b.do("GET", "/api/v1/organizations/"+org2+"/history", seller, ""); r.status != 404 {
			t.Fatalf("other seller's history: %d", r.status)
		}
		// The register finds both and exports CSV.
		reg := b.do("GET", "/api/v1/filings?q=第二家", reviewer, "")
		if reg.status != 200 || !strings.Contains(reg.raw, org2) || strings.Contains(reg.raw, orgID) {
			t.Fatalf("register search: %s", reg.raw)
		}
		if r := b.do("GET", "/api/v1/filings.csv", reviewer, ""); r.status != 200 || !strings.Contains(r.raw, "register_number,kind,name") || strings.Count(r.raw, "GBM-S-") != 2 {
			t.Fatalf("csv: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/filings", seller, ""); r.status != 403 {
			t.Fatalf("seller read register: %d", r.status)
		}
	})
}

func TestOnboardingValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		seller := b.consumerToken("v@example.cn")
		good := cnid.MakeUSCC("9111010856789012")
		bad := good[:17] + map[bool]string{true: "1", false: "2"}[good[17] != '1']
		r := b.do("POST", "/api/v1/organizations", seller, orgBody("测试店", bad, "110105198001011230"), "Accept-Language", "en")
		if r.status != 400 || !strings.Contains(r.raw, `"field":"uscc"`) || !strings.Contains(r.raw, `"field":"legal_representative.id_number"`) {
			t.Fatalf("invalid codes: %d %s", r.status, r.raw)
		}
		r = b.do("POST", "/api/v1/organizations", seller, orgBody("测试店", good, validID("11010519800101123")))
		orgID := r.body["id"].(string)
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
		for name, body := range map[string]string{
			"from after until": qualBody("business_license", day(10), day(5)),
			"already expired":  qualBody("business_license", day(-100), day(-1)),
			"bad date":         qualBody("business_license", "2026-13-01", day(5)),
			"wrong type":       qualBody("express_business_license", day(-1), day(5)),
		} {
			if r := b.do("POST", "/api/v1/organizations/"+orgID+"/qualifications", seller, body); r.status != 400 || len(r.body["errors"].([]any)) == 0 {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM qualifications`).Scan(&n)
		if n != 0 {
			t.Fatalf("invalid qualifications stored: %d", n)
		}
	})
}

func TestReviewerCannotApproveOwnOrganizationAndExpiryStopsTrading(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
		reviewer := b.reviewerToken("rev@example.cn")
		// The reviewer opens a shop of their own.
		r := b.do("POST", "/api/v1/organizations", reviewer, orgBody("审核员的店", cnid.MakeUSCC("9111010856789012"), validID("11010519800101123")))
		if r.status != 201 {
			t.Fatalf("create: %s", r.raw)
		}
		own := r.body["id"].(string)
		b.do("POST", "/api/v1/organizations/"+own+"/qualifications", reviewer, qualBody("business_license", day(-1), day(10)))
		b.do("POST", "/api/v1/organizations/"+own+"/submit", reviewer, "")
		if r := b.do("POST", "/api/v1/admin/organizations/"+own+"/decision", reviewer, `{"decision":"approve"}`); r.status != 403 {
			t.Fatalf("reviewer approved own organisation: %d %s", r.status, r.raw)
		}
		other := b.reviewerToken("rev2@example.cn")
		if r := b.do("POST", "/api/v1/admin/organizations/"+own+"/decision", other, `{"decision":"approve"}`); r.status != 200 {
			t.Fatalf("other reviewer: %d %s", r.status, r.raw)
		}
		if err := b.orgs.CanTrade(ctx, own, b.clock.Now()); err != nil {
			t.Fatalf("approved org cannot trade: %v", err)
		}
		// Warnings at 7 days left: the daily job notifies once.
		if err := b.orgs.DailyCheck(ctx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := b.orgs.DailyCheck(ctx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		notices := b.do("GET", "/api/v1/organizations/"+own+"/notices", reviewer, "")
		if strings.Count(notices.raw, "qualification.expiry") != 1 {
			t.Fatalf("expiry warnings: %s", notices.raw)
		}
		// Past the end date the organisation stops trading at once.
		b.clock.Advance(11 * 24 * time.Hour)
		if err := b.orgs.CanTrade(ctx, own, b.clock.Now()); err == nil {
			t.Fatal("trading on an expired licence")
		}
		if r := b.do("GET", "/api/v1/public/organizations/"+own, "", ""); r.body["can_trade_now"] != false {
			t.Fatalf("public page: %s", r.raw)
		}
		// A new licence, once approved, restores trading.
		reviewer = b.login("rev@example.cn", "Str0ng!Passw0rd#2026", mustCode(t, b, "rev@example.cn")).body["token"].(string)
		r = b.do("POST", "/api/v1/organizations/"+own+"/qualifications", reviewer, qualBody("business_license", day(-1), day(365)))
		if r.status != 201 {
			t.Fatalf("new licence: %d %s", r.status, r.raw)
		}
		if err := b.orgs.CanTrade(ctx, own, b.clock.Now()); err == nil {
			t.Fatal("an unreviewed licence restored trading")
		}
		other = b.login("rev2@example.cn", "Str0ng!Passw0rd#2026", mustCode(t, b, "rev2@example.cn")).body["token"].(string)
		if r := b.do("POST", "/api/v1/admin/qualifications/"+r.body["id"].(string)+"/decision", other, `{"decision":"approve"}`); r.status != 200 {
			t.Fatalf("approve licence: %d %s", r.status, r.raw)
		}
		if err := b.orgs.CanTrade(ctx, own, b.clock.Now()); err != nil {
			t.Fatalf("not back after a new licence: %v", err)
		}
	})
}

func mustCode(t *testing.T, b *bundle, login string) string {
	t.Helper()
	op, err := b.ids.CreateOperator(context.Background(), login, "Str0ng!Passw0rd#2026", "", []identity.Role{identity.RoleReviewer}, "test", true)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
	return code
}

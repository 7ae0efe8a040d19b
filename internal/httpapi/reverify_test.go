package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// R-5.4-4: an approved organisation is asked to re-confirm its data every
// six months and is suspended, and listed for reviewers, after a 30-day
// grace; R-5.1-3 / E-Commerce Law art. 16: a cessation date is announced at
// least 30 days ahead and shown on the public page.
func TestReverificationAndCessation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		day := func(offset int) string { return b.clock.Now().AddDate(0, 0, offset).Format("2006-01-02") }
		reviewer := b.reviewerToken("rv-rev@example.cn")
		owner := b.consumerToken("rv-owner@example.cn")
		mk := func(name, uscc16 string) string {
			r := b.do("POST", "/api/v1/organizations", owner, orgBody(name, cnid.MakeUSCC(uscc16), validID("11010519800101123")))
			id := r.body["id"].(string)
			b.do("POST", "/api/v1/organizations/"+id+"/qualifications", owner, qualBody("business_license", day(-10), day(3000)))
			b.do("POST", "/api/v1/organizations/"+id+"/submit", owner, "")
			if r := b.do("POST", "/api/v1/admin/organizations/"+id+"/decision", reviewer, `{"decision":"approve"}`); r.status != 200 {
				t.Fatalf("approve: %s", r.raw)
			}
			return id
		}
		lazy, diligent := mk("不确认的店", "9111010877770001"), mk("按时确认的店", "9111010877770002")

		// Cessation: less than 30 days ahead is refused; 40 days is shown publicly.
		if r := b.do("POST", "/api/v1/organizations/"+diligent+"/cessation", owner, `{"effective_on":"`+day(20)+`"}`); r.status != 400 {
			t.Fatalf("cessation in 20 days: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+diligent+"/cessation", owner, `{"effective_on":"`+day(400)+`"}`); r.status != 200 {
			t.Fatalf("cessation: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/public/organizations/"+diligent, "", ""); r.body["cessation_on"] != day(400) {
			t.Fatalf("public page lacks the cessation date: %s", r.raw)
		}

		// Six months on, both are asked to re-confirm.
		b.clock.Advance(184 * 24 * time.Hour)
		if err := b.orgs.DailyCheck(ctx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		owner = b.login("rv-owner@example.cn", "Str0ng!Passw0rd#2026", "").body["token"].(string)
		for _, id := range []string{lazy, diligent} {
			if n := b.do("GET", "/api/v1/organizations/"+id+"/notices", owner, ""); !strings.Contains(n.raw, "reverify.due") {
				t.Fatalf("no re-verification notice: %s", n.raw)
			}
		}
		if r := b.do("POST", "/api/v1/organizations/"+diligent+"/reconfirm", owner, ""); r.status != 200 {
			t.Fatalf("reconfirm: %d %s", r.status, r.raw)
		}
		// After the 30-day grace the one that did not re-confirm is suspended and listed.
		b.clock.Advance(31 * 24 * time.Hour)
		if err := b.orgs.DailyCheck(ctx, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		reviewer = b.login("rv-rev@example.cn", "Str0ng!Passw0rd#2026", mustCode(t, b, "rv-rev@example.cn")).body["token"].(string)
		if r := b.do("GET", "/api/v1/admin/organizations?reverify_overdue=true", reviewer, ""); !strings.Contains(r.raw, lazy) || strings.Contains(r.raw, diligent) {
			t.Fatalf("overdue list: %s", r.raw)
		}
		if err := b.orgs.CanTrade(ctx, lazy, b.clock.Now()); err == nil {
			t.Fatal("an organisation overdue for re-verification still trades")
		}
		if err := b.orgs.CanTrade(ctx, diligent, b.clock.Now()); err != nil {
			t.Fatalf("the diligent one was suspended: %v", err)
		}
	})
}

package httpapi_test

import (
	"strings"
	"testing"

	"gbmall/internal/identity/credential"
	"gbmall/internal/org/cnid"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// R-6.2-1: the owner manages members and roles; removal ends access at
// once; the last owner stays; an organisation may require TOTP (R-10.4-4).
func TestMembersAndRequiredSecondFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		owner := b.consumerToken("m-owner@example.cn")
		staff := b.consumerToken("m-staff@example.cn")
		r := b.do("POST", "/api/v1/organizations", owner, orgBody("成员测试店", cnid.MakeUSCC("9111010866660001"), validID("11010519800101123")))
		orgID := r.body["id"].(string)
		if r := b.do("GET", "/api/v1/organizations/"+orgID, staff, ""); r.status != 404 {
			t.Fatalf("outsider sees the organisation: %d", r.status)
		}
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/members", owner, `{"login":"nobody@example.cn","role":"staff"}`); r.status != 400 {
			t.Fatalf("unknown login: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/members", owner, `{"login":"m-staff@example.cn","role":"cashier"}`); r.status != 400 {
			t.Fatalf("unknown role: %d %s", r.status, r.raw)
		}
		r = b.do("POST", "/api/v1/organizations/"+orgID+"/members", owner, `{"login":"m-staff@example.cn","role":"staff"}`)
		if r.status != 201 || strings.Contains(r.raw, "m-staff@example.cn") {
			t.Fatalf("invite: %d %s", r.status, r.raw)
		}
		staffID := r.body["account_id"].(string)
		if r := b.do("GET", "/api/v1/organizations/"+orgID, staff, ""); r.status != 200 {
			t.Fatalf("member cannot see: %d", r.status)
		}
		// Staff cannot manage members or security.
		if r := b.do("POST", "/api/v1/organizations/"+orgID+"/members", staff, `{"login":"m-owner@example.cn","role":"staff"}`); r.status != 403 {
			t.Fatalf("staff managed members: %d", r.status)
		}
		ownerID := ""
		for _, m := range b.do("GET", "/api/v1/organizations/"+orgID+"/members", owner, "").body["items"].([]any) {
			if mm := m.(map[string]any); mm["account_id"] != staffID {
				ownerID = mm["account_id"].(string)
			}
		}
		if r := b.do("DELETE", "/api/v1/organizations/"+orgID+"/members/"+ownerID, owner, ""); r.status != 409 {
			t.Fatalf("last owner removed: %d %s", r.status, r.raw)
		}
		// Requiring TOTP: the staff member's next login must enrol first.
		if r := b.do("PUT", "/api/v1/organizations/"+orgID+"/security", owner, `{"require_mfa":true}`); r.status != 200 || r.body["require_mfa"] != true {
			t.Fatalf("require mfa: %d %s", r.status, r.raw)
		}
		login := b.login("m-staff@example.cn", "Str0ng!Passw0rd#2026", "")
		if login.body["mfa_enrolment_required"] != true {
			t.Fatalf("enrolment not required: %s", login.raw)
		}
		if r := b.do("GET", "/api/v1/organizations/"+orgID, login.body["token"].(string), ""); r.status != 403 || r.problemCode() != "mfa-enrolment-required" {
			t.Fatalf("un-enrolled staff reached data: %d %s", r.status, r.raw)
		}
		// The owner is a member too: enrol, then carry on.
		enrol := b.do("POST", "/api/v1/auth/totp/enrol", owner, "")
		code, _ := credential.TOTPCode(enrol.body["secret"].(string), b.clock.Now())
		if r := b.do("POST", "/api/v1/auth/totp/confirm", owner, `{"code":"`+code+`"}`); r.status != 204 {
			t.Fatalf("owner enrol: %d %s", r.status, r.raw)
		}
		// Removal ends access at once.
		if r := b.do("DELETE", "/api/v1/organizations/"+orgID+"/members/"+staffID, owner, ""); r.status != 204 {
			t.Fatalf("remove: %d %s", r.status, r.raw)
		}
		if r := b.do("GET", "/api/v1/organizations/"+orgID, staff, ""); r.status != 404 {
			t.Fatalf("removed member still sees: %d", r.status)
		}
	})
}

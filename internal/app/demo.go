package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
)

// DemoPassword is the password of every demo account (api-contract.md).
const DemoPassword = "Demo-Pass-2026"

// DemoAccount is one printed demo login.
type DemoAccount struct {
	Login, Role, TOTPSecret string
}

// DemoInfo is what serve --demo prints.
type DemoInfo struct {
	Accounts []DemoAccount
}

// Print writes the demo logins.
func (d *DemoInfo) Print(w io.Writer, url string) {
	fmt.Fprintf(w, "\nDemo platform ready: open %s\nEvery demo account's password is %s\n\n", url, DemoPassword)
	for _, a := range d.Accounts {
		line := fmt.Sprintf("  %-30s %s", a.Login, a.Role)
		if a.TOTPSecret != "" {
			line += "   totp-secret: " + a.TOTPSecret
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "\nStaff accounts log in with a code from the TOTP secret shown (any authenticator app).")
}

// LoadDemo loads the demo dataset idempotently: running it again finds
// what is there and adds what is missing.
func LoadDemo(ctx context.Context, p *Platform) (*DemoInfo, error) {
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: "demo-loader", Role: "system", SourceIP: "local"})
	info := &DemoInfo{}
	var reviewerID string
	for _, c := range []struct{ login, name string }{
		{"consumer1@demo.gbmall.test", "张小明"}, {"consumer2@demo.gbmall.test", "李小红"},
	} {
		if _, _, err := p.Identity.EnsureAccount(ctx, c.login, DemoPassword, c.name); err != nil {
			return nil, err
		}
		info.Accounts = append(info.Accounts, DemoAccount{Login: c.login, Role: "consumer"})
	}
	for _, s := range []struct {
		login, name string
		roles       []identity.Role
	}{
		{"operator@demo.gbmall.test", "平台运营", []identity.Role{identity.RoleAdmin, identity.RoleReviewer, identity.RoleMediator}},
		{"security@demo.gbmall.test", "安全管理员", []identity.Role{identity.RoleSecurityAdmin}},
		{"auditor@demo.gbmall.test", "审计员", []identity.Role{identity.RoleAuditor}},
	} {
		op, err := p.Identity.CreateOperator(ctx, s.login, DemoPassword, s.name, s.roles, "demo", true)
		if err != nil {
			return nil, fmt.Errorf("demo operator %s: %w", s.login, err)
		}
		roles := ""
		for i, r := range s.roles {
			if i > 0 {
				roles += ","
			}
			roles += string(r)
		}
		info.Accounts = append(info.Accounts, DemoAccount{Login: s.login, Role: "platform " + roles, TOTPSecret: op.TOTPSecret})
		if s.login == "operator@demo.gbmall.test" {
			reviewerID = op.AccountID
		}
	}
	for _, o := range []struct {
		login, name string
		kind        identity.Kind
	}{
		{"seller1@demo.gbmall.test", "王店长", identity.KindSeller},
		{"carrier1@demo.gbmall.test", "赵调度", identity.KindCarrier},
	} {
		accountID, _, err := p.Identity.EnsureAccount(ctx, o.login, DemoPassword, o.name)
		if err != nil {
			return nil, err
		}
		if err := ensureOwnedOrg(ctx, p, accountID, reviewerID, o.kind); err != nil {
			return nil, fmt.Errorf("demo %s: %w", o.kind, err)
		}
		info.Accounts = append(info.Accounts, DemoAccount{Login: o.login, Role: string(o.kind) + " owner"})
	}
	if err := loadDemoCatalog(ctx, p); err != nil {
		return nil, err
	}
	if err := loadDemoImages(ctx, p); err != nil {
		return nil, err
	}
	if err := loadDemoOrders(ctx, p, info, reviewerID); err != nil {
		return nil, err
	}
	return info, nil
}

// demoOrg is an organisation the demo onboards through the real workflow.
type demoOrg struct {
	kind           identity.Kind
	name, uscc16   string
	repName, repID string
	address, scope string
	quals          []org.QualificationInput
}

func demoOrgs(today time.Time) map[identity.Kind]demoOrg {
	from := today.AddDate(-2, 0, 0).Format(time.DateOnly)
	until := today.AddDate(3, 0, 0).Format(time.DateOnly)
	rep := func(first17 string) string {
		c, _ := cnid.ResidentIDCheckChar(first17)
		return first17 + string(c)
	}
	return map[identity.Kind]demoOrg{
		identity.KindSeller: {kind: identity.KindSeller, name: "演示旗舰店 Demo Flagship Store", uscc16: "9111010856789012",
			repName: "王建国", repID: rep("11010519800101123"), address: "北京市海淀区中关村大街 1 号", scope: "日用百货、服装鞋帽、预包装食品销售",
			quals: []org.QualificationInput{
				{Type: "business_license", Number: "110108000123456", Issuer: "北京市海淀区市场监督管理局", ValidFrom: from, ValidUntil: until},
				{Type: "food_business_license", Number: "JY11108000123456", Issuer: "北京市海淀区市场监督管理局", ValidFrom: from, ValidUntil: until},
			}},
		identity.KindCarrier: {kind: identity.KindCarrier, name: "演示速运 Demo Express", uscc16: "9131011567890123",
			repName: "赵志强", repID: rep("31011519850505321"), address: "上海市浦东新区张江路 100 号", scope: "国内快递（邮政企业专营业务除外）",
			quals: []org.QualificationInput{
				{Type: "business_license", Number: "310115000654321", Issuer: "上海市浦东新区市场监督管理局", ValidFrom: from, ValidUntil: until},
				{Type: "express_business_license", Number: "沪快 2024-0099", Issuer: "上海市邮政管理局", ValidFrom: from, ValidUntil: until},
			}},
	}
}

// ensureOwnedOrg onboards the demo organisation of kind through the real
// workflow — create, add licences, submit as the owner, approve as the
// demo reviewer — unless the owner already has one.
func ensureOwnedOrg(ctx context.Context, p *Platform, accountID, reviewerID string, kind identity.Kind) error {
	owner, err := p.Identity.PrincipalFor(ctx, accountID)
	if err != nil {
		return err
	}
	if owner.HasKind(kind) {
		return nil
	}
	d := demoOrgs(p.Clock.Now())[kind]
	octx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: accountID, Role: "owner", SourceIP: "local"}), owner)
	o, err := p.Orgs.Create(octx, org.Registration{Kind: kind, Name: d.name, USCC: cnid.MakeUSCC(d.uscc16),
		LegalRepresentative: org.Person{Name: d.repName, IDNumber: d.repID},
		Contact:             org.Contact{Name: d.repName, Mobile: "13800138000", Email: "contact@demo.gbmall.test"},
		Address:             d.address, BusinessScope: d.scope})
	if err != nil {
		return err
	}
	if owner, err = p.Identity.PrincipalFor(ctx, accountID); err != nil {
		return err
	}
	octx = identity.WithPrincipal(octx, owner)
	for _, q := range d.quals {
		if _, err := p.Orgs.AddQualification(octx, o.ID, q); err != nil {
			return err
		}
	}
	if _, err := p.Orgs.Submit(octx, o.ID); err != nil {
		return err
	}
	rev, err := p.Identity.PrincipalFor(ctx, reviewerID)
	if err != nil {
		return err
	}
	rctx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: reviewerID, Role: "reviewer", SourceIP: "local"}), rev)
	_, err = p.Orgs.Decide(rctx, o.ID, "approve", "")
	return err
}

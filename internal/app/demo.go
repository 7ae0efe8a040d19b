package app

import (
	"context"
	"fmt"
	"io"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
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
	for _, c := range []struct{ login, name string }{
		{"consumer1@demo.gbmall.test", "张小明"}, {"consumer2@demo.gbmall.test", "李小红"},
	} {
		if _, _, err := p.Identity.EnsureAccount(ctx, c.login, DemoPassword, c.name); err != nil {
			return nil, err
		}
		info.Accounts = append(info.Accounts, DemoAccount{Login: c.login, Role: "consumer"})
	}
	for _, o := range []struct {
		login, name string
		kind        identity.Kind
		org         string
	}{
		{"seller1@demo.gbmall.test", "王店长", identity.KindSeller, "演示旗舰店 Demo Flagship Store"},
		{"carrier1@demo.gbmall.test", "赵调度", identity.KindCarrier, "演示速运 Demo Express"},
	} {
		accountID, _, err := p.Identity.EnsureAccount(ctx, o.login, DemoPassword, o.name)
		if err != nil {
			return nil, err
		}
		if err := ensureOwnedOrg(ctx, p, accountID, o.kind, o.org); err != nil {
			return nil, err
		}
		info.Accounts = append(info.Accounts, DemoAccount{Login: o.login, Role: string(o.kind) + " owner"})
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
	}
	return info, nil
}

func ensureOwnedOrg(ctx context.Context, p *Platform, accountID string, kind identity.Kind, name string) error {
	return p.DB.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships m JOIN organizations o ON o.id = m.organization_id
			WHERE m.account_id = $1 AND o.kind = $2`, accountID, string(kind)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		orgID, err := p.Identity.CreateOrganizationTx(ctx, tx, kind, name, "approved")
		if err != nil {
			return err
		}
		return p.Identity.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleOwner, "")
	})
}

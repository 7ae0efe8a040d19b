package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/org/cnid"
	"gbmall/internal/payproto"
	"gbmall/internal/paysim"
)

// DemoPaymentOwner owns the demo payment provider.
const DemoPaymentOwner = "pay1@demo.gbmall.test"

// startDemoPayments makes the demo payable end to end (issue 6): it starts
// paysim in-process on a free loopback port with its data under
// DATA/paysim, onboards the payment provider 演示支付 with a payment
// business licence through the real organisation workflow, and registers
// paysim as its channel. It returns the function that stops paysim. A
// failure is logged and leaves the demo without a payment provider.
func startDemoPayments(ctx context.Context, p *Platform, demo *DemoInfo) (stop func()) {
	stop = func() {}
	ps, addr, err := demoPaysim(ctx, p)
	if err != nil {
		p.Log.Error("demo: payment sandbox not started", "err", err)
		return stop
	}
	stop = func() { _ = ps.Close() }
	if err := demoProvider(ctx, p, ps, addr); err != nil {
		p.Log.Error("demo: payment provider not registered", "err", err)
		return stop
	}
	if demo != nil {
		demo.Accounts = append(demo.Accounts, DemoAccount{Login: DemoPaymentOwner, Role: "payment_provider owner (paysim cashier at http://" + addr + ")"})
	}
	p.Log.Info("demo payment provider ready", "paysim", "http://"+addr)
	return stop
}

func demoPaysim(ctx context.Context, p *Platform) (*paysim.Server, string, error) {
	lookup, err := payproto.StaticKeys(p.Payments.PlatformKeys()...)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ps, err := paysim.New(paysim.Config{DataDir: filepath.Join(p.DataDir, "paysim"), PlatformKeys: lookup, PublicURL: "http://" + addr,
		MerchantName: "gbmall 演示平台", Clock: p.Clock, Logger: p.Log.With("component", "paysim")})
	if err != nil {
		ln.Close()
		return nil, "", err
	}
	ps.Start(context.WithoutCancel(ctx))
	go func() {
		if err := ps.Serve(ln); err != nil {
			p.Log.Error("demo paysim stopped", "err", err)
		}
	}()
	return ps, addr, nil
}

// demoProvider onboards 演示支付 (once) and registers the channel (on
// every start: paysim's port changes, its key stays).
func demoProvider(ctx context.Context, p *Platform, ps *paysim.Server, addr string) error {
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: "demo-loader", Role: "system", SourceIP: "local"})
	reviewerID, _, err := p.Identity.EnsureAccount(ctx, "operator@demo.gbmall.test", DemoPassword, "平台运营")
	if err != nil {
		return err
	}
	ownerID, _, err := p.Identity.EnsureAccount(ctx, DemoPaymentOwner, DemoPassword, "钱出纳")
	if err != nil {
		return err
	}
	owner, err := p.Identity.PrincipalFor(ctx, ownerID)
	if err != nil {
		return err
	}
	octx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: ownerID, Role: "owner", SourceIP: "local"}), owner)
	orgID := ""
	for _, m := range owner.Memberships {
		if m.Kind == identity.KindPaymentProvider {
			orgID = m.OrganizationID
		}
	}
	if orgID == "" {
		now := p.Clock.Now()
		from, until := now.AddDate(-2, 0, 0).Format(time.DateOnly), now.AddDate(3, 0, 0).Format(time.DateOnly)
		rep := "11010519760606321"
		c, _ := cnid.ResidentIDCheckChar(rep)
		o, err := p.Orgs.Create(octx, org.Registration{Kind: identity.KindPaymentProvider, Name: "演示支付 Demo Pay", USCC: cnid.MakeUSCC("9111010278901234"),
			LegalRepresentative: org.Person{Name: "钱如海", IDNumber: rep + string(c)},
			Contact:             org.Contact{Name: "钱如海", Mobile: "13800138001", Email: "pay@demo.gbmall.test"},
			Address:             "北京市西城区金融大街 9 号", BusinessScope: "互联网支付（支付业务许可证范围内）"})
		if err != nil {
			return err
		}
		orgID = o.ID
		if owner, err = p.Identity.PrincipalFor(ctx, ownerID); err != nil {
			return err
		}
		octx = identity.WithPrincipal(octx, owner)
		for _, q := range []org.QualificationInput{
			{Type: "business_license", Number: "110102000778899", Issuer: "北京市西城区市场监督管理局", ValidFrom: from, ValidUntil: until},
			{Type: "payment_business_license", Number: "Z2099911000019", Issuer: "中国人民银行", ValidFrom: from, ValidUntil: until},
		} {
			if _, err := p.Orgs.AddQualification(octx, orgID, q); err != nil {
				return err
			}
		}
		if _, err := p.Orgs.Submit(octx, orgID); err != nil {
			return err
		}
		rev, err := p.Identity.PrincipalFor(ctx, reviewerID)
		if err != nil {
			return err
		}
		rctx := identity.WithPrincipal(audit.WithActor(ctx, audit.Actor{AccountID: reviewerID, Role: "reviewer", SourceIP: "local"}), rev)
		if _, err := p.Orgs.Decide(rctx, orgID, "approve", ""); err != nil {
			return fmt.Errorf("approve the demo payment provider: %w", err)
		}
		if owner, err = p.Identity.PrincipalFor(ctx, ownerID); err != nil {
			return err
		}
		octx = identity.WithPrincipal(octx, owner)
	}
	if orgID == "" {
		return errors.New("no payment provider organisation")
	}
	_, err = p.Payments.RegisterChannel(octx, orgID, payproto.ChannelRequest{APIBaseURL: "http://" + addr, KeyID: ps.KeyID(), PublicKey: ps.PublicKey()})
	return err
}

package app

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/order"
	"gbmall/internal/payment"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// StartDemoPayments starts the in-process paysim and registers it as the
// demo payment provider (startDemoPayments), for tests that drive the
// demo in a browser. It returns the function that stops paysim.
func StartDemoPayments(ctx context.Context, p *Platform, demo *DemoInfo) (stop func()) {
	return startDemoPayments(ctx, p, demo)
}

// loadDemoPayments gives the demo's payment consoles something to show
// (issue 6 point 7), once: consumer1 pays two new orders on the paysim
// cashier; the flagship store accepts and ships one, which consumer1
// receives (completed, so settled to the seller), and the home store
// rejects the other (refunded in full by the provider). Then yesterday
// is reconciled with the provider. serve calls it once the server is
// serving, so that paysim's notifications reach the platform; the refund
// and the settlement are queued jobs the scheduler runs. Without --demo
// it does nothing; a failure is logged and leaves the demo without these
// records.
func loadDemoPayments(ctx context.Context, p *Platform, demo *DemoInfo) {
	if demo == nil {
		return
	}
	if err := demoPaymentsData(ctx, p); err != nil {
		p.Log.Error("demo: payment records not loaded", "err", err)
		return
	}
	p.Log.Info("demo payment records ready")
}

func demoPaymentsData(ctx context.Context, p *Platform) error {
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: "demo-loader", Role: "system", SourceIP: "local"})
	providers, err := p.Payments.Offered(ctx)
	if err != nil {
		return err
	}
	var providerID string
	for _, pr := range providers {
		if strings.HasPrefix(pr.Name, "演示支付") {
			providerID = pr.ID
		}
	}
	if providerID == "" {
		return fmt.Errorf("no demo payment provider offered")
	}
	shopperID, _, err := p.Identity.EnsureAccount(ctx, demoShopperLogin, DemoPassword, "张小明")
	if err != nil {
		return err
	}
	var n int
	if err := p.DB.QueryRow(ctx, `SELECT count(*) FROM payments WHERE account_id = $1`, shopperID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if err := demoPaidOrders(ctx, p, shopperID, providerID); err != nil {
			return err
		}
	}
	// R-8.2-6: one report to show; a day already reconciled is answered
	// as it is.
	_, err = p.Payments.Reconcile(ctx, providerID, p.Clock.Now().UTC().AddDate(0, 0, -1))
	return err
}

// demoPaidOrders places and pays consumer1's two orders through paysim.
func demoPaidOrders(ctx context.Context, p *Platform, shopperID, providerID string) error {
	cctx, err := demoActor(ctx, p, shopperID, "", "consumer")
	if err != nil {
		return err
	}
	addr := order.Address{Recipient: "张小明", Mobile: "13912345678", RegionCode: "110105", Detail: "北京市朝阳区建国路 88 号 SOHO 现代城 2 号楼 1203 室"}
	place := func(code string, qty int) (*order.Placed, error) {
		sku, _, err := demoSKUByCode(ctx, p, code)
		if err != nil {
			return nil, fmt.Errorf("demo sku %s: %w", code, err)
		}
		q, err := p.Orders.QuoteCheckout(cctx, []order.Item{{SKUID: sku, Quantity: qty}}, addr)
		if err != nil {
			return nil, err
		}
		placed, err := p.Orders.Place(cctx, order.PlaceInput{QuoteID: q.ID, AcceptTerms: true, IdempotencyKey: id.New()})
		if err != nil || len(placed) != 1 {
			return nil, fmt.Errorf("place %s: %v (%d orders)", code, err, len(placed))
		}
		return &placed[0], nil
	}
	completed, err := place("LP-52", 1)
	if err != nil {
		return err
	}
	rejected, err := place("VF-500-G", 1)
	if err != nil {
		return err
	}
	for _, o := range []*order.Placed{completed, rejected} {
		st, err := p.Payments.Pay(cctx, o.ID, providerID)
		if err != nil {
			return fmt.Errorf("pay %s: %w", o.Number, err)
		}
		if err := demoCashierPay(ctx, st.PayURL); err != nil {
			return err
		}
	}
	// paysim delivers the notification before it redirects; should one
	// be lost, the active query finds the payment, as the periodic job
	// would two minutes on.
	if err := p.Payments.QueryPending(ctx, p.Clock.Now().Add(payment.QuerySchedule[0]+time.Second)); err != nil {
		return err
	}
	for _, o := range []*order.Placed{completed, rejected} {
		var status string
		if err := p.DB.QueryRow(ctx, `SELECT status FROM orders WHERE id = $1`, o.ID).Scan(&status); err != nil {
			return err
		}
		if order.Status(status) != order.Paid {
			return fmt.Errorf("demo order %s is %s after paying", o.Number, status)
		}
	}
	sellerOwner := func(orgID string) (context.Context, error) {
		var owner string
		if err := p.DB.QueryRow(ctx, `SELECT account_id FROM memberships WHERE organization_id = $1 AND role = 'owner' ORDER BY account_id LIMIT 1`, orgID).Scan(&owner); err != nil {
			if err == sql.ErrNoRows {
				return nil, fmt.Errorf("seller %s has no owner", orgID)
			}
			return nil, err
		}
		return demoActor(ctx, p, owner, orgID, "owner")
	}
	sctx, err := sellerOwner(completed.SellerID)
	if err != nil {
		return err
	}
	if _, err := p.Orders.Accept(sctx, completed.ID); err != nil {
		return err
	}
	// Shipping belongs to the delivery issue; the demo stands in for the
	// carrier's hand-over.
	if err := p.DB.InTx(audit.WithActor(ctx, audit.System), func(ctx context.Context, tx *db.Tx) error {
		_, err := p.Orders.FireTx(ctx, tx, completed.ID, order.EvShip, "")
		return err
	}); err != nil {
		return err
	}
	if _, err := p.Orders.ConfirmReceipt(cctx, completed.ID); err != nil {
		return err
	}
	rctx, err := sellerOwner(rejected.SellerID)
	if err != nil {
		return err
	}
	_, err = p.Orders.Reject(rctx, rejected.ID, "松石绿批次抽检发现瓶盖密封不良，暂停发货，全额退款")
	return err
}

// demoCashierPay clicks "pay" on paysim's cashier page, as a person would.
func demoCashierPay(ctx context.Context, payURL string) error {
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, payURL, strings.NewReader(url.Values{"action": {"pay"}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("paysim cashier answered %s", res.Status)
	}
	return nil
}

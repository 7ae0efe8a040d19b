package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/payment"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// The payments API (GB/T 31524 §6.5, §8; payment-protocol.md): the
// platform's keys, providers' channels, paying an order, the providers'
// signed notifications, and the sellers' and operators' views. Handlers
// translate; the rules are in the payment package.

type channelBody struct {
	APIBaseURL string `json:"api_base_url" maxLength:"500" doc:"https://, or http:// on a loopback address (sandboxes)"`
	KeyID      string `json:"key_id" maxLength:"64"`
	PublicKey  string `json:"public_key" maxLength:"100" doc:"the raw 32-byte Ed25519 public key, base64"`
}

// notificationInput is a provider's notification: the raw bytes are what
// was signed.
type notificationInput struct {
	ProviderID string `path:"provider_id" maxLength:"64"`
	Signature  string `header:"Signature" doc:"keyid=\"…\", ts=\"…\", nonce=\"…\", sig=\"…\" (payment-protocol.md)"`
	RawBody    []byte

	target string
}

// Resolve keeps the request target exactly as received: it is part of
// what was signed.
func (n *notificationInput) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	n.target = u.RequestURI()
	return nil
}

type ackOutput struct {
	Body payproto.NotificationAck
}

type pageQuery struct {
	Limit  int    `query:"limit" minimum:"0" maximum:"100"`
	Cursor string `query:"cursor"`
}

func (p pageQuery) page() payment.Page { return payment.Page{Limit: p.Limit, Cursor: p.Cursor} }

func (a *API) paymentRoutes() {
	svc := a.deps.Payments
	register(a.huma, op(http.MethodGet, "/payment-keys", "get-payment-keys", "The platform's current public keys for the payment protocol (payment-protocol.md)", "payments"),
		func(ctx context.Context, _ *struct{}) (*objectOutput[payproto.KeysResponse], error) {
			return object(http.StatusOK, payproto.KeysResponse{Keys: svc.PlatformKeys()}, nil)
		})
	register(a.huma, secured(op(http.MethodPut, "/organizations/{id}/payment-channel", "register-payment-channel",
		"The owner of an approved payment provider registers its API base URL and current public key (R-8.1-1); the previous key stays valid 24 hours", "payments")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body channelBody
		}) (*objectOutput[*payproto.ChannelResponse], error) {
			r, err := svc.RegisterChannel(ctx, in.ID, payproto.ChannelRequest{APIBaseURL: in.Body.APIBaseURL, KeyID: in.Body.KeyID, PublicKey: in.Body.PublicKey})
			return object(http.StatusOK, r, err)
		})
	register(a.huma, op(http.MethodGet, "/payment-providers", "list-payment-providers",
		"The payment providers offered now: approved, licensed today, with a registered channel (R-6.5-1)", "payments"),
		func(ctx context.Context, _ *struct{}) (*listOutput[payment.Provider], error) {
			ps, err := svc.Offered(ctx)
			return listOf(ps, "", err)
		})
	register(a.huma, secured(op(http.MethodPost, "/orders/{id}/payments", "pay-order",
		"The consumer pays an order awaiting payment through a provider: answers the provider's cashier page (pay_url); the trade expires at the order's payment deadline", "payments")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				ProviderID string `json:"provider_id" maxLength:"40" doc:"the provider organisation's id (GET /api/v1/payment-providers)"`
			}
		}) (*objectOutput[*payment.Started], error) {
			st, err := svc.Pay(ctx, in.ID, in.Body.ProviderID)
			return object(http.StatusCreated, st, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/payments/{id}", "get-payment",
		"A payment with its refunds: status pending, succeeded, failed, refunded or partially_refunded (the paying consumer, the seller's staff, platform staff)", "payments")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*payment.Payment], error) {
			p, err := svc.Get(ctx, in.ID)
			return object(http.StatusOK, p, err)
		})
	notify := op(http.MethodPost, "/payment-notifications/{provider_id}", "payment-notification",
		"A payment provider's signed notification (payment-protocol.md). Only the Signature counts — no session or cookie. 401 bad-signature for an unknown key, a timestamp more than 300 s off, a nonce seen within 10 minutes or a bad signature; 422 amount-mismatch for a trade that is not the platform's or whose amount or currency differ. Idempotent: 200 {\"result\":\"success\"} again for a repeat.", "payments")
	notify.MaxBodyBytes = payment.MaxNotification
	register(a.huma, notify,
		func(ctx context.Context, in *notificationInput) (*ackOutput, error) {
			if err := svc.Notify(ctx, in.ProviderID, in.Signature, http.MethodPost, in.target, in.RawBody, audit.ActorFrom(ctx).SourceIP); err != nil {
				return nil, err
			}
			return &ackOutput{Body: payproto.NotificationAck{Result: payproto.AckSuccess}}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/payments", "list-seller-payments", "A seller's payments, newest first (orders.manage)", "payments")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Status string `query:"status"`
			pageQuery
		}) (*listOutput[*payment.Payment], error) {
			return listOf(svc.List(ctx, payment.PaymentFilter{SellerID: in.ID, Status: in.Status, Page: in.page()}))
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/settlements", "list-settlements",
		"A seller's settlements: its share of each completed order, less the platform's commission, released by the provider (R-8.1-2)", "payments")),
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
			pageQuery
		}) (*listOutput[*payment.Settlement], error) {
			return listOf(svc.Settlements(ctx, in.ID, in.page()))
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/payments", "search-payments", "Every payment, newest first (platform staff)", "payments")),
		func(ctx context.Context, in *struct {
			Status  string `query:"status"`
			OrderID string `query:"order_id" maxLength:"40"`
			pageQuery
		}) (*listOutput[*payment.Payment], error) {
			return listOf(svc.List(ctx, payment.PaymentFilter{Status: in.Status, OrderID: in.OrderID, Page: in.page()}))
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/payments/{id}/refunds", "refund-payment",
		"A platform admin corrects a payment by a reasoned refund, full or partial (R-8.2-4); refunds never exceed what was paid. An Idempotency-Key makes a retry answer the same refund.", "payments")),
		func(ctx context.Context, in *struct {
			ID             string `path:"id"`
			IdempotencyKey string `header:"Idempotency-Key" maxLength:"200"`
			Body           struct {
				Amount int64  `json:"amount" doc:"fen"`
				Reason string `json:"reason" maxLength:"1000"`
			}
		}) (*objectOutput[*payment.Refund], error) {
			r, err := svc.Refund(ctx, in.ID, in.Body.Amount, in.Body.Reason, in.IdempotencyKey)
			return object(http.StatusCreated, r, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/payment-incidents", "list-payment-incidents",
		"Refused and mismatching notifications (bad signature, unknown trade, amount mismatch), newest first (platform admin)", "payments")),
		func(ctx context.Context, in *pageQuery) (*listOutput[payment.Incident], error) {
			return listOf(svc.Incidents(ctx, in.page()))
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/reconciliation-reports", "list-reconciliation-reports",
		"Daily reconciliation reports with the provider's statement, each with its exceptions (platform admin, R-8.2-6)", "payments")),
		func(ctx context.Context, in *pageQuery) (*listOutput[*payment.Report], error) {
			return listOf(svc.Reports(ctx, in.page()))
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/reconciliation-reports/{id}", "get-reconciliation-report", "One reconciliation report with its exceptions (platform admin)", "payments")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*payment.Report], error) {
			r, err := svc.GetReport(ctx, in.ID)
			return object(http.StatusOK, r, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/reconciliation-reports", "run-reconciliation",
		"Reconcile one provider's statement of one UTC day now (the daily job does yesterday's); a day already reconciled is answered as it is (platform admin)", "payments")),
		func(ctx context.Context, in *struct {
			Body struct {
				ProviderID string `json:"provider_id" maxLength:"40"`
				Day        string `json:"day" maxLength:"10" doc:"YYYY-MM-DD (UTC)"`
			}
		}) (*objectOutput[*payment.Report], error) {
			if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
				return nil, err
			}
			day, err := time.Parse(time.DateOnly, in.Body.Day)
			if err != nil {
				return nil, problem.Invalid(problem.Field("day", i18n.T("日期格式为 YYYY-MM-DD", "The day is YYYY-MM-DD")))
			}
			r, err := svc.Reconcile(ctx, in.Body.ProviderID, day)
			return object(http.StatusOK, r, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/reconciliation-exceptions/{id}/resolve", "resolve-reconciliation-exception",
		"A platform admin resolves a reconciliation exception with a note (R-8.2-6)", "payments")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Note string `json:"note" maxLength:"4000"`
			}
		}) (*objectOutput[*payment.Exception], error) {
			e, err := svc.ResolveException(ctx, in.ID, in.Body.Note)
			return object(http.StatusOK, e, err)
		})
}

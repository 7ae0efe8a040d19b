package httpapi

import (
	"context"
	"net/http"

	"gbmall/internal/order"
)

// The orders API (GB/T 31524 §6.6): cart, confirmation quote, placing
// orders, reading them and their e-contracts, and the consumer's and the
// seller's actions. Handlers translate; the rules and the state machine
// are in the order package.

type itemBody struct {
	SKUID    string `json:"sku_id" maxLength:"40"`
	Quantity int    `json:"quantity" doc:"1 to 999"`
}

type addressBody struct {
	Recipient  string `json:"recipient" maxLength:"100" doc:"stored encrypted; shown masked to the seller and staff"`
	Mobile     string `json:"mobile" maxLength:"30" doc:"mainland China mobile number"`
	RegionCode string `json:"region_code" maxLength:"12" doc:"6-digit GB/T 2260 administrative division code, e.g. 110105"`
	Detail     string `json:"detail" maxLength:"400" doc:"street address, 4 to 200 characters"`
}

type quoteBody struct {
	Items   []itemBody  `json:"items" maxItems:"100"`
	Address addressBody `json:"address"`
}

type placeBody struct {
	QuoteID     string `json:"quote_id" maxLength:"40"`
	AcceptTerms bool   `json:"accept_terms" doc:"must be true: the consumer read and accepts the transaction terms of the quote"`
	// R-6.6-5: optional; without it, lines not returnable by nature stay returnable.
	AcknowledgeNonReturnable bool `json:"acknowledge_non_returnable,omitempty" required:"false" doc:"the consumer confirms that lines marked not returnable within 7 days are bought as such; without it they stay returnable (R-6.6-5)"`
}

type placedOutput struct {
	Status int
	Body   struct {
		Orders []order.Placed `json:"orders"`
	}
}

type contractOutput struct {
	ContentType  string `header:"Content-Type"`
	Disposition  string `header:"Content-Disposition"`
	ContractHash string `header:"X-Contract-SHA256"`
	Body         []byte
}

// optionalReasonInput is an action whose body (a reason) may be left out.
type optionalReasonInput struct {
	ID   string `path:"id"`
	Body *struct {
		Reason string `json:"reason,omitempty" required:"false" maxLength:"1000"`
	} `required:"false"`
}

type cartItemInput struct {
	SKUID string `path:"sku_id"`
	Body  struct {
		Quantity int `json:"quantity" doc:"0 removes the line"`
	}
}

func (a *API) orderRoutes() {
	svc := a.deps.Orders
	register(a.huma, secured(op(http.MethodGet, "/cart", "get-cart", "The consumer's cart with live prices and stock state", "orders")),
		func(ctx context.Context, _ *struct{}) (*objectOutput[*order.Cart], error) {
			c, err := svc.Cart(ctx)
			return object(http.StatusOK, c, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/cart/items", "add-to-cart", "Add a SKU on sale to the cart (adds to a line already there)", "orders")),
		func(ctx context.Context, in *struct{ Body itemBody }) (*objectOutput[*order.Cart], error) {
			c, err := svc.AddToCart(ctx, in.Body.SKUID, in.Body.Quantity)
			return object(http.StatusOK, c, err)
		})
	register(a.huma, secured(op(http.MethodPut, "/cart/items/{sku_id}", "set-cart-quantity", "Change a cart line's quantity; 0 removes it", "orders")),
		func(ctx context.Context, in *cartItemInput) (*objectOutput[*order.Cart], error) {
			c, err := svc.SetCartQuantity(ctx, in.SKUID, in.Body.Quantity)
			return object(http.StatusOK, c, err)
		})
	register(a.huma, secured(op(http.MethodDelete, "/cart/items/{sku_id}", "remove-from-cart", "Remove a cart line", "orders")),
		func(ctx context.Context, in *struct {
			SKUID string `path:"sku_id"`
		}) (*objectOutput[*order.Cart], error) {
			c, err := svc.SetCartQuantity(ctx, in.SKUID, 0)
			return object(http.StatusOK, c, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/checkout/quote", "quote-checkout",
		"Order confirmation before committing (R-6.6-1): per seller the lines at today's prices, shipping, totals, the seller's licence link, delivery promise, 7-day returnability and the terms version; valid 15 minutes", "orders")),
		func(ctx context.Context, in *struct{ Body quoteBody }) (*objectOutput[*order.Quote], error) {
			items := make([]order.Item, len(in.Body.Items))
			for i, it := range in.Body.Items {
				items[i] = order.Item{SKUID: it.SKUID, Quantity: it.Quantity}
			}
			ad := in.Body.Address
			q, err := svc.QuoteCheckout(ctx, items, order.Address{Recipient: ad.Recipient, Mobile: ad.Mobile, RegionCode: ad.RegionCode, Detail: ad.Detail})
			return object(http.StatusOK, q, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/orders", "place-orders",
		"Place the orders of a quote: one per seller, stock reserved in the same transaction. Needs accept_terms true and an Idempotency-Key header; a stale quote or changed price is 409 quote-expired, short stock 409 out-of-stock", "orders")),
		func(ctx context.Context, in *struct {
			IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"required: a retry with the same key returns the first answer"`
			Body           placeBody
		}) (*placedOutput, error) {
			ps, err := svc.Place(ctx, order.PlaceInput{QuoteID: in.Body.QuoteID, AcceptTerms: in.Body.AcceptTerms,
				AcknowledgeNonReturnable: in.Body.AcknowledgeNonReturnable, IdempotencyKey: in.IdempotencyKey})
			if err != nil {
				return nil, err
			}
			out := &placedOutput{Status: http.StatusCreated}
			out.Body.Orders = ps
			return out, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/orders", "list-orders",
		"The caller's orders (consumer), or an organisation's orders (seller staff, ?organization_id=), newest first", "orders")),
		func(ctx context.Context, in *struct {
			OrganizationID string `query:"organization_id"`
			Status         string `query:"status" doc:"one of awaiting_payment, paid, accepted, shipped, delivered, completed, cancelled"`
			Number         string `query:"number" maxLength:"40"`
			Limit          int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor         string `query:"cursor"`
		}) (*listOutput[*order.Order], error) {
			return listOf(svc.List(ctx, order.Filter{OrganizationID: in.OrganizationID, Status: order.Status(in.Status), Number: in.Number, Limit: in.Limit, Cursor: in.Cursor}))
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/orders", "search-orders",
		"Platform transaction supervision (R-5.5): every order, filtered by number, status, seller or refund owed; each search is audited", "orders")),
		func(ctx context.Context, in *struct {
			Status    string `query:"status"`
			Number    string `query:"number" maxLength:"40"`
			SellerID  string `query:"seller_id"`
			RefundDue bool   `query:"refund_due" doc:"only orders cancelled after payment that are owed a refund"`
			Limit     int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor    string `query:"cursor"`
		}) (*listOutput[*order.Order], error) {
			return listOf(svc.List(ctx, order.Filter{All: true, Status: order.Status(in.Status), Number: in.Number, SellerID: in.SellerID,
				RefundDue: in.RefundDue, Limit: in.Limit, Cursor: in.Cursor}))
		})
	register(a.huma, secured(op(http.MethodGet, "/orders/{id}", "get-order",
		"An order with status, lines, status history, e-contract digest and payments (the consumer, the seller's staff, platform staff)", "orders")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*order.Order], error) {
			o, err := svc.Get(ctx, in.ID)
			return object(http.StatusOK, o, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/orders/{id}/contract", "get-order-contract",
		"The e-contract snapshot exactly as stored (R-6.6-2); the SHA-256 of these bytes equals contract.sha256", "orders")),
		func(ctx context.Context, in *orgIDInput) (*contractOutput, error) {
			raw, sum, err := svc.Contract(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &contractOutput{ContentType: "application/json", Disposition: `attachment; filename="order-contract-` + in.ID + `.json"`, ContractHash: sum, Body: raw}, nil
		})
	register(a.huma, secured(op(http.MethodPost, "/orders/{id}/cancel", "cancel-order", "The consumer cancels an unpaid order; its stock is released", "orders")),
		func(ctx context.Context, in *optionalReasonInput) (*objectOutput[*order.Order], error) {
			reason := ""
			if in.Body != nil {
				reason = in.Body.Reason
			}
			o, err := svc.Cancel(ctx, in.ID, reason)
			return object(http.StatusOK, o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/orders/{id}/accept", "accept-order", "The seller confirms a paid order (order confirmation control, §6.6)", "orders")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*order.Order], error) {
			o, err := svc.Accept(ctx, in.ID)
			return object(http.StatusOK, o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/orders/{id}/reject", "reject-order", "The seller declines a paid order with a reason: cancelled and refunded in full", "orders")),
		func(ctx context.Context, in *reasonInput) (*objectOutput[*order.Order], error) {
			o, err := svc.Reject(ctx, in.ID, in.Body.Reason)
			return object(http.StatusOK, o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/orders/{id}/confirm-receipt", "confirm-receipt", "The consumer confirms the goods arrived; the order completes", "orders")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*order.Order], error) {
			o, err := svc.ConfirmReceipt(ctx, in.ID)
			return object(http.StatusOK, o, err)
		})
	register(a.huma, op(http.MethodGet, "/terms/transaction", "get-transaction-terms", "The transaction terms in force, downloadable (R-6.6-1)", "orders"),
		func(ctx context.Context, _ *struct{}) (*objectOutput[termsBody], error) {
			return object(http.StatusOK, termsOf(order.CurrentTerms()), nil)
		})
}

type termsBody struct {
	Version     string `json:"version"`
	PublishedAt string `json:"published_at"`
	SHA256      string `json:"sha256"`
	TextZH      string `json:"text_zh"`
	TextEN      string `json:"text_en"`
}

func termsOf(t order.Terms) termsBody {
	return termsBody{Version: t.Version, PublishedAt: t.PublishedAt.Format("2006-01-02T15:04:05Z07:00"), SHA256: t.SHA256(), TextZH: t.Text.ZH, TextEN: t.Text.EN}
}

package httpapi

import (
	"context"
	"net/http"

	"gbmall/internal/inventory"
)

// The inventory API (GB/T 31524 §6.4): supplier filing, purchase
// registration and inspection, stock levels and ledger, adjustments,
// stocktakes and batch freezes. Handlers only translate; the rules are in
// the inventory package.

type supplierQualificationBody struct {
	Type       string `json:"type" maxLength:"60" doc:"e.g. business_license, ccc_certificate, brand_authorization, food_production_license"`
	Number     string `json:"number" maxLength:"100"`
	ValidUntil string `json:"valid_until" maxLength:"40" doc:"YYYY-MM-DD, not already past (Asia/Shanghai)"`
}

func qualificationInputs(qs []supplierQualificationBody) []inventory.QualificationInput {
	out := make([]inventory.QualificationInput, len(qs))
	for i, q := range qs {
		out[i] = inventory.QualificationInput{Type: q.Type, Number: q.Number, ValidUntil: q.ValidUntil}
	}
	return out
}

type supplierBody struct {
	Name    string `json:"name" maxLength:"200"`
	USCC    string `json:"uscc" maxLength:"40" doc:"18-character unified social credit code (GB 32100)"`
	Contact struct {
		Name   string `json:"name" maxLength:"100" doc:"stored encrypted, shown masked"`
		Mobile string `json:"mobile" maxLength:"30" doc:"stored encrypted, shown masked"`
	} `json:"contact"`
	Qualifications []supplierQualificationBody `json:"qualifications" maxItems:"20"`
}

type receiptBody struct {
	SKUID      string `json:"sku_id" maxLength:"40"`
	Quantity   int    `json:"quantity"`
	SupplierID string `json:"supplier_id" maxLength:"40"`
	Batch      string `json:"batch" maxLength:"200"`
	ProducedOn string `json:"produced_on,omitempty" required:"false" maxLength:"40" doc:"YYYY-MM-DD"`
	ExpiresOn  string `json:"expires_on,omitempty" required:"false" maxLength:"40" doc:"YYYY-MM-DD; goods already past it are refused"`
	Inspection struct {
		Result string `json:"result" enum:"pass,fail" doc:"only goods that passed become sellable stock"`
		Notes  string `json:"notes,omitempty" required:"false" maxLength:"2000" doc:"required when the result is fail"`
	} `json:"inspection"`
}

type adjustmentBody struct {
	SKUID     string `json:"sku_id" maxLength:"40"`
	Delta     int    `json:"delta" doc:"units to add (positive) or take off (negative)"`
	Reason    string `json:"reason" maxLength:"1000" doc:"2 to 200 characters"`
	ReceiptID string `json:"receipt_id,omitempty" required:"false" maxLength:"40" doc:"the batch the units belong to, e.g. to write off a frozen batch"`
}

type countBody struct {
	CounterName string `json:"counter_name" maxLength:"100" doc:"who counted; recorded on the ledger entries"`
	Lines       []struct {
		SKUID   string `json:"sku_id" maxLength:"40"`
		Counted int    `json:"counted"`
	} `json:"lines" maxItems:"500"`
}

func page(limit int, cursor string) inventory.Page {
	return inventory.Page{Limit: limit, Cursor: cursor}
}

type objectOutput[T any] struct {
	Status int
	Body   T
}

func object[T any](status int, v T, err error) (*objectOutput[T], error) {
	if err != nil {
		return nil, err
	}
	return &objectOutput[T]{Status: status, Body: v}, nil
}

func listOf[T any](xs []T, next string, err error) (*listOutput[T], error) {
	if err != nil {
		return nil, err
	}
	return items(xs, next), nil
}

func (a *API) inventoryRoutes() {
	a.supplierRoutes()
	a.stockRoutes()
}

func (a *API) supplierRoutes() {
	svc := a.deps.Inventory
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/suppliers", "file-supplier", "File a supplier with its licences (R-6.4-1)", "inventory")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body supplierBody
		}) (*objectOutput[*inventory.Supplier], error) {
			s, err := svc.FileSupplier(ctx, in.ID, inventory.SupplierInput{Name: in.Body.Name, USCC: in.Body.USCC,
				Contact:        inventory.SupplierContact{Name: in.Body.Contact.Name, Mobile: in.Body.Contact.Mobile},
				Qualifications: qualificationInputs(in.Body.Qualifications)})
			return object(http.StatusCreated, s, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/suppliers", "list-suppliers", "The seller's suppliers, newest first", "inventory")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[inventory.Supplier], error) {
			return listOf(svc.Suppliers(ctx, in.ID, page(in.Limit, in.Cursor)))
		})
	register(a.huma, secured(op(http.MethodGet, "/suppliers/{id}", "get-supplier", "A supplier's file, with whether its papers are in force", "inventory")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*inventory.Supplier], error) {
			s, err := svc.Supplier(ctx, in.ID)
			return object(http.StatusOK, s, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/suppliers/{id}/qualifications", "renew-supplier-qualifications", "File renewed or further licences of a supplier", "inventory")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Qualifications []supplierQualificationBody `json:"qualifications" maxItems:"20"`
			}
		}) (*objectOutput[*inventory.Supplier], error) {
			s, err := svc.RenewSupplierQualifications(ctx, in.ID, qualificationInputs(in.Body.Qualifications))
			return object(http.StatusCreated, s, err)
		})
}

func (a *API) stockRoutes() {
	svc := a.deps.Inventory
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/stock-receipts", "register-stock-receipt", "Purchase registration with inspection: passed goods become sellable, failed goods are quarantined (R-6.4-2, R-6.4-11)", "inventory")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body receiptBody
		}) (*objectOutput[*inventory.StockReceipt], error) {
			r, err := svc.RegisterReceipt(ctx, in.ID, inventory.StockReceiptInput{SKUID: in.Body.SKUID, Quantity: in.Body.Quantity, SupplierID: in.Body.SupplierID,
				Batch: in.Body.Batch, ProducedOn: in.Body.ProducedOn, ExpiresOn: in.Body.ExpiresOn,
				Inspection: inventory.ReceiptInspection{Result: in.Body.Inspection.Result, Notes: in.Body.Inspection.Notes}})
			return object(http.StatusCreated, r, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/stock-receipts", "list-stock-receipts", "Purchase registrations, newest first (?sku_id= for one SKU)", "inventory")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			SKUID  string `query:"sku_id"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[inventory.StockReceipt], error) {
			return listOf(svc.Receipts(ctx, in.ID, in.SKUID, page(in.Limit, in.Cursor)))
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/stock-adjustments", "adjust-stock", "Book a stock correction with its reason; a change that would make available stock negative is 409 conflict (R-6.4-6, R-6.4-7)", "inventory")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body adjustmentBody
		}) (*objectOutput[*inventory.StockAdjustment], error) {
			adj, err := svc.AdjustStock(ctx, in.ID, inventory.StockAdjustmentInput{SKUID: in.Body.SKUID, Delta: in.Body.Delta, Reason: in.Body.Reason, ReceiptID: in.Body.ReceiptID})
			return object(http.StatusCreated, adj, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/skus/{id}/stock", "sku-stock", "A SKU's stock: on hand, reserved, available", "inventory")),
		func(ctx context.Context, in *orgIDInput) (*objectOutput[*inventory.StockLevel], error) {
			st, err := svc.StockOf(ctx, in.ID)
			return object(http.StatusOK, st, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/skus/{id}/ledger", "sku-ledger", "A SKU's stock movements, newest first", "inventory")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[inventory.LedgerEntry], error) {
			return listOf(svc.Ledger(ctx, in.ID, page(in.Limit, in.Cursor)))
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/stock-counts", "record-stock-count", "Book a stocktake (盘点): expected, counted and variance per SKU (R-6.4-7)", "inventory")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body countBody
		}) (*objectOutput[*inventory.StockCount], error) {
			lines := make([]inventory.StockCountLineInput, len(in.Body.Lines))
			for i, ln := range in.Body.Lines {
				lines[i] = inventory.StockCountLineInput{SKUID: ln.SKUID, Counted: ln.Counted}
			}
			c, err := svc.RecordCount(ctx, in.ID, inventory.StockCountInput{CounterName: in.Body.CounterName, Lines: lines})
			return object(http.StatusCreated, c, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/stock-counts", "list-stock-counts", "Stocktakes, newest first", "inventory")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[inventory.StockCount], error) {
			return listOf(svc.Counts(ctx, in.ID, page(in.Limit, in.Cursor)))
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/batches/{receipt_id}/freeze", "freeze-batch", "Freeze a defective batch: it stops selling and the orders holding its units are named (R-6.4-12)", "inventory")),
		func(ctx context.Context, in *struct {
			ID        string `path:"id"`
			ReceiptID string `path:"receipt_id"`
			Body      struct {
				Reason string `json:"reason" maxLength:"1000" doc:"2 to 200 characters"`
			}
		}) (*objectOutput[*inventory.FrozenBatch], error) {
			fb, err := svc.FreezeBatch(ctx, in.ID, in.ReceiptID, in.Body.Reason)
			return object(http.StatusOK, fb, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/batches/{receipt_id}/orders", "batch-orders", "The orders that bought units of a batch, for a recall (R-6.4-3)", "inventory")),
		func(ctx context.Context, in *struct {
			ID        string `path:"id"`
			ReceiptID string `path:"receipt_id"`
		}) (*listOutput[inventory.BatchOrder], error) {
			xs, err := svc.BatchOrders(ctx, in.ID, in.ReceiptID)
			return listOf(xs, "", err)
		})
}

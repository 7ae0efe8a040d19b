package httpapi

import (
	"context"
	"net/http"

	"gbmall/internal/catalog"
)

type categoryBody struct {
	ID                     string   `json:"id,omitempty" required:"false" maxLength:"100" doc:"a readable slug, e.g. food-snacks (on creation; the path names it on update)"`
	Name                   string   `json:"name" maxLength:"200" doc:"zh-CN name"`
	NameEN                 string   `json:"name_en" maxLength:"200"`
	ParentID               string   `json:"parent_id,omitempty" required:"false" maxLength:"100" doc:"empty for a top-level category"`
	Sort                   int      `json:"sort,omitempty" required:"false"`
	RequiredQualifications []string `json:"required_qualifications,omitempty" required:"false" maxItems:"20" doc:"qualification codes beyond the business licence"`
	Prohibited             bool     `json:"prohibited,omitempty" required:"false"`
	ReviewRequired         bool     `json:"review_required,omitempty" required:"false"`
	Returnable7d           bool     `json:"returnable_7d"`
	CertificateRequired    bool     `json:"certificate_required,omitempty" required:"false" doc:"compulsory certification (CCC): listings need a certificate number"`
	CommissionBP           int      `json:"commission_bp" doc:"basis points"`
}

func (b categoryBody) input(id string) catalog.CategoryInput {
	return catalog.CategoryInput{ID: id, Name: b.Name, NameEN: b.NameEN, ParentID: b.ParentID, Sort: b.Sort,
		RequiredQualifications: b.RequiredQualifications, Prohibited: b.Prohibited, ReviewRequired: b.ReviewRequired,
		Returnable7d: b.Returnable7d, CertificateRequired: b.CertificateRequired, CommissionBP: b.CommissionBP}
}

type productTextBody struct {
	Title             string `json:"title" maxLength:"1000"`
	CategoryID        string `json:"category_id" maxLength:"100"`
	Description       string `json:"description" maxLength:"200000" doc:"rich text (HTML); scripts, styles and event handlers are removed"`
	StandardCode      string `json:"standard_code,omitempty" required:"false" maxLength:"200" doc:"the product standard it is made to, e.g. GB/T 22849-2014"`
	CertificateNumber string `json:"certificate_number,omitempty" required:"false" maxLength:"200" doc:"compulsory certification (CCC) certificate number"`
}

type productCreateBody struct {
	Title             string    `json:"title" maxLength:"1000"`
	CategoryID        string    `json:"category_id" maxLength:"100" doc:"a leaf category"`
	Description       string    `json:"description" maxLength:"200000" doc:"rich text (HTML); scripts, styles and event handlers are removed"`
	StandardCode      string    `json:"standard_code,omitempty" required:"false" maxLength:"200" doc:"the product standard it is made to, e.g. GB/T 22849-2014"`
	CertificateNumber string    `json:"certificate_number,omitempty" required:"false" maxLength:"200" doc:"compulsory certification (CCC) certificate number"`
	SKUs              []skuBody `json:"skus" doc:"1 to 100 SKUs with unique codes"`
}

type skuBody struct {
	Code       string            `json:"code" maxLength:"200"`
	Attributes map[string]string `json:"attributes,omitempty" required:"false" doc:"at most 10 name/value pairs, e.g. {\"颜色\": \"红\"}"`
	Price      catalog.Money     `json:"price"`
}

func (b productTextBody) input() catalog.ProductInput {
	return catalog.ProductInput{Title: b.Title, CategoryID: b.CategoryID, Description: b.Description,
		StandardCode: b.StandardCode, CertificateNumber: b.CertificateNumber}
}

type productOutput struct {
	Status int
	Body   *catalog.Product
}

func productOut(p *catalog.Product, err error) (*productOutput, error) {
	if err != nil {
		return nil, err
	}
	return &productOutput{Status: http.StatusOK, Body: p}, nil
}

type pageInput struct {
	Limit  int    `query:"limit" minimum:"0" maximum:"100"`
	Cursor string `query:"cursor"`
}

func (a *API) catalogRoutes() {
	svc := a.deps.Catalog
	register(a.huma, op(http.MethodGet, "/categories", "list-categories", "The whole category tree with each category's rules (public)", "catalogue"),
		func(ctx context.Context, _ *struct{}) (*listOutput[catalog.Category], error) {
			xs, err := svc.Categories(ctx)
			if err != nil {
				return nil, err
			}
			return items(xs, ""), nil
		})
	register(a.huma, op(http.MethodGet, "/products", "browse-products", "Listed products that can be bought now, by text, category and price (public)", "catalogue"),
		func(ctx context.Context, in *struct {
			Q          string `query:"q" maxLength:"100"`
			CategoryID string `query:"category_id"`
			MinPrice   int64  `query:"min_price" minimum:"0" doc:"fen"`
			MaxPrice   int64  `query:"max_price" minimum:"0" doc:"fen"`
			Sort       string `query:"sort" enum:"relevance,price_asc,price_desc,newest" doc:"default: relevance with q, else newest"`
			Limit      int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor     string `query:"cursor"`
		}) (*listOutput[catalog.ListItem], error) {
			xs, next, err := svc.Browse(ctx, catalog.BrowseQuery{Q: in.Q, CategoryID: in.CategoryID, MinPrice: in.MinPrice,
				MaxPrice: in.MaxPrice, Sort: in.Sort, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			if xs, err = svc.WithImages(ctx, xs); err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, op(http.MethodGet, "/products/{id}", "get-product", "A product page: SKUs, prices, stock, seller disclosure link (listed products are public)", "catalogue"),
		func(ctx context.Context, in *orgIDInput) (*productOutput, error) {
			return productOut(svc.Product(ctx, in.ID))
		})
	a.sellerCatalogRoutes()
	a.adminCatalogRoutes()
}

func (a *API) sellerCatalogRoutes() {
	svc := a.deps.Catalog
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/products", "create-product", "Create a draft product with its SKUs (seller staff)", "catalogue")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body productCreateBody
		}) (*productOutput, error) {
			pin := productTextBody{Title: in.Body.Title, CategoryID: in.Body.CategoryID, Description: in.Body.Description,
				StandardCode: in.Body.StandardCode, CertificateNumber: in.Body.CertificateNumber}.input()
			for _, k := range in.Body.SKUs {
				pin.SKUs = append(pin.SKUs, catalog.SKUInput{Code: k.Code, Attributes: k.Attributes, Price: k.Price})
			}
			p, err := svc.CreateProduct(ctx, in.ID, pin)
			if err != nil {
				return nil, err
			}
			return &productOutput{Status: http.StatusCreated, Body: p}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/products", "seller-products", "The seller's own products in every status, newest first", "catalogue")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Status string `query:"status" enum:"draft,pending_review,listed,delisted,removed"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[catalog.ProductSummary], error) {
			xs, next, err := svc.SellerProducts(ctx, in.ID, catalog.ProductFilter{Status: in.Status, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, secured(op(http.MethodPut, "/products/{id}", "update-product", "Edit a product's text, category, standard code and certificate (a new version is kept)", "catalogue")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body productTextBody
		}) (*productOutput, error) {
			return productOut(svc.UpdateProduct(ctx, in.ID, in.Body.input()))
		})
	register(a.huma, secured(op(http.MethodPost, "/products/{id}/list", "list-product", "Put a product on sale (or in the review queue)", "catalogue")),
		func(ctx context.Context, in *orgIDInput) (*productOutput, error) {
			return productOut(svc.List(ctx, in.ID))
		})
	register(a.huma, secured(op(http.MethodPost, "/products/{id}/delist", "delist-product", "Take a product off sale", "catalogue")),
		func(ctx context.Context, in *orgIDInput) (*productOutput, error) {
			return productOut(svc.Delist(ctx, in.ID))
		})
	register(a.huma, secured(op(http.MethodGet, "/products/{id}/versions/{version}", "product-version", "One stored version of a product, exactly as kept (seller staff, platform staff)", "catalogue")),
		func(ctx context.Context, in *struct {
			ID      string `path:"id"`
			Version int    `path:"version" minimum:"1"`
		}) (*struct {
			ContentType string `header:"Content-Type"`
			Body        []byte
		}, error) {
			snap, err := svc.VersionSnapshot(ctx, in.ID, in.Version)
			if err != nil {
				return nil, err
			}
			return &struct {
				ContentType string `header:"Content-Type"`
				Body        []byte
			}{"application/json", []byte(snap)}, nil
		})
	register(a.huma, secured(op(http.MethodPut, "/skus/{id}/price", "set-sku-price", "Set a SKU's price and optional reference price (R-6.4-9); every change is logged", "catalogue")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Price          catalog.Money  `json:"price"`
				ReferencePrice *catalog.Money `json:"reference_price,omitempty" required:"false" doc:"the crossed-out 原价; left out, the SKU shows none"`
			}
		}) (*struct{ Body *catalog.SKU }, error) {
			k, err := svc.SetPrice(ctx, in.ID, catalog.PriceInput{Price: in.Body.Price, ReferencePrice: in.Body.ReferencePrice})
			if err != nil {
				return nil, err
			}
			return &struct{ Body *catalog.SKU }{k}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/skus/{id}/price-history", "sku-price-history", "Every price change of a SKU with actor and time, newest first", "catalogue")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[catalog.PriceChange], error) {
			xs, next, err := svc.PriceHistory(ctx, in.ID, in.Limit, in.Cursor)
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
}

func (a *API) adminCatalogRoutes() {
	svc := a.deps.Catalog
	register(a.huma, secured(op(http.MethodPost, "/admin/categories", "create-category", "Add a category (platform administrators)", "catalogue admin")),
		func(ctx context.Context, in *struct{ Body categoryBody }) (*struct {
			Status int
			Body   *catalog.Category
		}, error) {
			c, err := svc.CreateCategory(ctx, in.Body.input(in.Body.ID))
			if err != nil {
				return nil, err
			}
			return &struct {
				Status int
				Body   *catalog.Category
			}{http.StatusCreated, c}, nil
		})
	register(a.huma, secured(op(http.MethodPut, "/admin/categories/{id}", "update-category", "Change a category's names, parent, rules and commission (platform administrators)", "catalogue admin")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body categoryBody
		}) (*struct{ Body *catalog.Category }, error) {
			c, err := svc.UpdateCategory(ctx, in.ID, in.Body.input(in.ID))
			if err != nil {
				return nil, err
			}
			return &struct{ Body *catalog.Category }{c}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/claim-terms", "list-claim-terms", "The claim-screening terms (platform administrators)", "catalogue admin")),
		func(ctx context.Context, in *pageInput) (*listOutput[catalog.ClaimTerm], error) {
			xs, next, err := svc.ClaimTerms(ctx, in.Limit, in.Cursor)
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/claim-terms", "add-claim-term", "Add a screened term, everywhere or for a category and its subcategories", "catalogue admin")),
		func(ctx context.Context, in *struct {
			Body struct {
				Term       string `json:"term" maxLength:"200"`
				CategoryID string `json:"category_id,omitempty" required:"false" maxLength:"100"`
				Action     string `json:"action" enum:"block,review"`
				Note       string `json:"note,omitempty" required:"false" maxLength:"1000"`
			}
		}) (*struct {
			Status int
			Body   *catalog.ClaimTerm
		}, error) {
			c, err := svc.AddClaimTerm(ctx, catalog.ClaimTermInput{Term: in.Body.Term, CategoryID: in.Body.CategoryID, Action: in.Body.Action, Note: in.Body.Note})
			if err != nil {
				return nil, err
			}
			return &struct {
				Status int
				Body   *catalog.ClaimTerm
			}{http.StatusCreated, c}, nil
		})
	register(a.huma, secured(op(http.MethodDelete, "/admin/claim-terms/{id}", "remove-claim-term", "Remove a screened term", "catalogue admin")),
		func(ctx context.Context, in *orgIDInput) (*emptyOutput, error) {
			if err := svc.RemoveClaimTerm(ctx, in.ID); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/admin/products", "moderation-queue", "Products for moderation: the review queue (?status=pending_review, the default) and other statuses", "moderation")),
		func(ctx context.Context, in *struct {
			Status string `query:"status" enum:"draft,pending_review,listed,delisted,removed"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[catalog.ProductSummary], error) {
			xs, next, err := svc.ReviewQueue(ctx, catalog.ProductFilter{Status: in.Status, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/products/{id}/decision", "decide-product", "Approve (list) or reject (back to draft, with reason) a product waiting for review", "moderation")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Decision string `json:"decision" enum:"approve,reject"`
				Reason   string `json:"reason,omitempty" required:"false" maxLength:"1000"`
			}
		}) (*productOutput, error) {
			return productOut(svc.Decide(ctx, in.ID, in.Body.Decision, in.Body.Reason))
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/products/{id}/remove", "remove-product", "Take a product down for a breach, with the reason; only review brings it back", "moderation")),
		func(ctx context.Context, in *reasonInput) (*productOutput, error) {
			return productOut(svc.Remove(ctx, in.ID, in.Body.Reason))
		})
}

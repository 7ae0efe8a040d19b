package httpapi

// routes lists the whole /api/v1 surface, one registration function per
// area.
func (a *API) routes() {
	a.authRoutes()
	a.apiKeyRoutes()
	a.auditRoutes()
	if a.deps.Documents != nil {
		RegisterDocumentRoutes(a.huma, a.deps.Documents)
	}
	if a.deps.Orgs != nil {
		a.orgRoutes()
	}
	if a.deps.Catalog != nil {
		a.catalogRoutes()
	}
	if a.deps.Images != nil {
		RegisterImageRoutes(a.huma, a.deps.Images)
	}
	if a.deps.Inventory != nil {
		a.inventoryRoutes()
	}
	if a.deps.Orders != nil {
		a.orderRoutes()
	}
	if a.deps.Payments != nil {
		a.paymentRoutes()
	}
}

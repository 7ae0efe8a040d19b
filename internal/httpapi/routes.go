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
	if a.deps.Inventory != nil {
		a.inventoryRoutes()
	}
}

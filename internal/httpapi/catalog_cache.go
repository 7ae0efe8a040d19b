package httpapi

import (
	"net/http"
	"os"
	"strings"

	"gbmall/internal/org"
	"gbmall/internal/platform/httpcache"
)

// catalogCache serves the public product list and product pages from an
// answer cache that any committed write, by this process or another, and
// the change of the Asia/Shanghai day invalidate (see httpcache): a
// listing, delisting, price or stock change shows on the next request.
// Anonymous requests only; signed-in callers may see more (their own
// unlisted products) and always get a fresh answer.
func (a *API) catalogCache(h http.Handler) http.Handler {
	if a.deps.DB == nil || a.deps.Catalog == nil || a.deps.Clock == nil || os.Getenv("GBMALL_HTTP_CACHE") == "off" {
		return h
	}
	clk := a.deps.Clock
	c := httpcache.New(a.deps.DB, func() string { return org.Today(clk.Now()) }, SessionCookie, 8<<20)
	a.cache = c
	return c.Wrap(h, isPublicCatalogRead)
}

// isPublicCatalogRead matches GET /api/v1/products and
// GET /api/v1/products/{id}.
func isPublicCatalogRead(r *http.Request) bool {
	p := r.URL.Path
	if p == "/api/v1/products" {
		return true
	}
	id, ok := strings.CutPrefix(p, "/api/v1/products/")
	return ok && id != "" && !strings.Contains(id, "/")
}

// Package web serves gbmall's server-rendered consoles.
package web

import (
	"log/slog"
	"net/http"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
)

// Deps are the consoles' collaborators.
type Deps struct {
	DB            *db.DB
	Clock         clock.Clock
	Identity      *identity.Service
	Trail         *audit.Trail
	Log           *slog.Logger
	SecureCookies bool
	TrustProxy    bool
	RateLimits    bool
}

// New returns the consoles' handler, mounted at "/".
func New(d Deps) http.Handler {
	return http.NotFoundHandler()
}

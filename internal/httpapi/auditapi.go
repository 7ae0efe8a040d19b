package httpapi

import (
	"context"
	"net/http"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
)

type auditListInput struct {
	Action     string    `query:"action"`
	ObjectType string    `query:"object_type"`
	ObjectID   string    `query:"object_id"`
	ActorID    string    `query:"actor_id"`
	From       time.Time `query:"from" doc:"RFC 3339, inclusive"`
	To         time.Time `query:"to" doc:"RFC 3339, exclusive"`
	Limit      int       `query:"limit" minimum:"0" maximum:"100" default:"20"`
	Cursor     string    `query:"cursor"`
}

type auditListOutput struct {
	Body struct {
		Items      []audit.Entry `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}
}

func (a *API) auditRoutes() {
	register(a.huma, secured(op(http.MethodGet, "/audit-entries", "list-audit-entries", "Page and filter the audit trail (platform auditors)", "audit")),
		func(ctx context.Context, in *auditListInput) (*auditListOutput, error) {
			if _, err := identity.Authorize(ctx, identity.PermAuditRead, ""); err != nil {
				return nil, err
			}
			f := audit.Filter{Action: in.Action, ObjectType: in.ObjectType, ObjectID: in.ObjectID, ActorID: in.ActorID, Limit: in.Limit, Cursor: in.Cursor}
			if !in.From.IsZero() {
				f.From = &in.From
			}
			if !in.To.IsZero() {
				f.To = &in.To
			}
			items, next, err := audit.List(ctx, a.deps.DB, f)
			if err != nil {
				return nil, err
			}
			out := &auditListOutput{}
			out.Body.Items, out.Body.NextCursor = items, next
			return out, nil
		})
}

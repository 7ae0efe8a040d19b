package org

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

func shanghai() *time.Location { return clockShanghai }

// Summary is an organisation in a list.
type Summary struct {
	ID            string        `json:"id"`
	Kind          identity.Kind `json:"kind"`
	Name          string        `json:"name"`
	USCC          string        `json:"uscc"`
	Status        Status        `json:"status"`
	StatusReason  string        `json:"status_reason,omitempty"`
	SubmittedAt   *time.Time    `json:"submitted_at,omitempty"`
	ReverifyDueAt *time.Time    `json:"reverify_due_at,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
}

// ListFilter selects organisations for platform staff.
type ListFilter struct {
	Status string
	Kind   string
	Query  string
	// ReverifyOverdue lists organisations suspended for missing re-verification.
	ReverifyOverdue bool
	Limit           int
	Cursor          string
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.SplitN(string(raw), "|", 2)
	if err != nil || len(parts) != 2 {
		return time.Time{}, "", problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
	}
	t, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return time.Time{}, "", problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
	}
	return t, parts[1], nil
}

// List is the reviewers' queue and organisation search (platform staff).
func (s *Service) List(ctx context.Context, f ListFilter) ([]Summary, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err != nil {
		if _, err2 := identity.Authorize(ctx, identity.PermReviewOrgs, ""); err2 != nil {
			return nil, "", err
		}
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	where := []string{"kind IN ('seller','carrier','payment_provider')"}
	var args []any
	add := func(cond string, vals ...any) {
		start := len(args)
		args = append(args, vals...)
		idx := make([]any, len(vals))
		for i := range vals {
			idx[i] = start + i + 1
		}
		where = append(where, fmt.Sprintf(cond, idx...))
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	if f.ReverifyOverdue {
		add("status_reason = $%d", ReasonReverifyOverdue)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add("(name LIKE $%d OR uscc = $%d)", "%"+q+"%", strings.ToUpper(q))
	}
	if f.Cursor != "" {
		t, cid, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		add("(created_at < $%d OR (created_at = $%d AND id < $%d))", t, t, cid)
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, name, uscc, status, status_reason, submitted_at, reverify_due_at, created_at
		FROM organizations WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, f.Limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("org: list: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var o Summary
		var sub, rev nullTime
		if err := rows.Scan(&o.ID, &o.Kind, &o.Name, &o.USCC, &o.Status, &o.StatusReason, &sub, &rev, &o.CreatedAt); err != nil {
			return nil, "", err
		}
		o.SubmittedAt, o.ReverifyDueAt = sub.ptr(), rev.ptr()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeCursor(out[len(out)-1].CreatedAt, out[len(out)-1].ID)
	}
	return out, next, nil
}

// MyOrganizations lists the organisations the caller belongs to.
func (s *Service) MyOrganizations(ctx context.Context) ([]Summary, error) {
	p, err := identity.RequireSignedIn(ctx, true)
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, m := range p.Memberships {
		if m.Kind == identity.KindPlatform || m.Kind == identity.KindRegulator {
			continue
		}
		o, err := s.load(ctx, s.db.Reader(ctx), m.OrganizationID)
		if err != nil {
			continue
		}
		dup := false
		for _, x := range out {
			dup = dup || x.ID == o.ID
		}
		if !dup {
			out = append(out, Summary{ID: o.ID, Kind: o.Kind, Name: o.Name, USCC: o.USCC, Status: o.Status, StatusReason: o.StatusReason,
				SubmittedAt: o.SubmittedAt, ReverifyDueAt: o.ReverifyDueAt, CreatedAt: o.CreatedAt})
		}
	}
	return out, nil
}

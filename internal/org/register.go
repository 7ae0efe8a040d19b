package org

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
)

// Filing is an entry of the filing register (备案).
type Filing struct {
	RegisterNumber string        `json:"register_number"`
	OrganizationID string        `json:"organization_id"`
	Kind           identity.Kind `json:"kind"`
	Name           string        `json:"name"`
	USCC           string        `json:"uscc"`
	Qualifications string        `json:"qualifications" doc:"JSON list of the licences on file at approval"`
	FiledAt        time.Time     `json:"filed_at"`
	Status         Status        `json:"status" doc:"the organisation's status now"`
	id             string
}

// FilingFilter searches the register.
type FilingFilter struct {
	Query  string // name, USCC or register number
	Kind   string
	Limit  int
	Cursor string
}

func (s *Service) filings(ctx context.Context, f FilingFilter, all bool) ([]Filing, string, error) {
	where := []string{"1 = 1"}
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		args = append(args, "%"+q+"%", strings.ToUpper(q))
		where = append(where, fmt.Sprintf("(f.name LIKE $%d OR f.uscc = $%d OR f.register_number = $%d)", len(args)-1, len(args), len(args)))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, fmt.Sprintf("f.kind = $%d", len(args)))
	}
	if f.Cursor != "" {
		t, cid, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, t, cid)
		where = append(where, fmt.Sprintf("(f.filed_at < $%d OR (f.filed_at = $%d AND f.id < $%d))", len(args)-1, len(args)-1, len(args)))
	}
	limit := ""
	if !all {
		if f.Limit <= 0 || f.Limit > 100 {
			f.Limit = 20
		}
		limit = fmt.Sprintf(" LIMIT %d", f.Limit+1)
	}
	rows, err := s.db.Query(ctx, `SELECT f.id, f.register_number, f.organization_id, f.kind, f.name, f.uscc, f.qualifications, f.filed_at, o.status
		FROM filings f JOIN organizations o ON o.id = f.organization_id WHERE `+strings.Join(where, " AND ")+` ORDER BY f.filed_at DESC, f.id DESC`+limit, args...)
	if err != nil {
		return nil, "", fmt.Errorf("org: filings: %w", err)
	}
	defer rows.Close()
	out := []Filing{}
	for rows.Next() {
		var x Filing
		if err := rows.Scan(&x.id, &x.RegisterNumber, &x.OrganizationID, &x.Kind, &x.Name, &x.USCC, &x.Qualifications, &x.FiledAt, &x.Status); err != nil {
			return nil, "", err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if !all && len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeCursor(out[len(out)-1].FiledAt, out[len(out)-1].id)
	}
	return out, next, nil
}

func registerReader(ctx context.Context) error {
	if _, err := identity.Authorize(ctx, identity.PermSuperviseRead, ""); err != nil {
		return err
	}
	return nil
}

// Filings searches the filing register: platform staff and regulators.
func (s *Service) Filings(ctx context.Context, f FilingFilter) ([]Filing, string, error) {
	if err := registerReader(ctx); err != nil {
		return nil, "", err
	}
	return s.filings(ctx, f, false)
}

// ExportFilingsCSV writes the matching register entries as CSV (UTF-8 with
// a BOM so spreadsheet software shows Chinese correctly). The export is
// audited (R-10.4-13).
func (s *Service) ExportFilingsCSV(ctx context.Context, f FilingFilter, w io.Writer) error {
	if err := registerReader(ctx); err != nil {
		return err
	}
	items, _, err := s.filings(ctx, f, true)
	if err != nil {
		return err
	}
	if err := s.trail.Record(ctx, s.db, audit.Event{Action: "filings.export", ObjectType: "filing_register", ObjectID: "all",
		Details: map[string]any{"query": f.Query, "kind": f.Kind, "rows": len(items)}}); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"register_number", "kind", "name", "uscc", "filed_at", "status", "organization_id", "qualifications"})
	for _, x := range items {
		_ = cw.Write([]string{x.RegisterNumber, string(x.Kind), x.Name, x.USCC, x.FiledAt.UTC().Format(time.RFC3339), string(x.Status), x.OrganizationID, x.Qualifications})
	}
	cw.Flush()
	return cw.Error()
}

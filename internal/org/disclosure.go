package org

import (
	"context"
	"time"

	"gbmall/internal/identity"
	"gbmall/internal/platform/problem"
)

// PublicLicence is a licence as disclosed to the public.
type PublicLicence struct {
	Type       string `json:"type"`
	TypeName   string `json:"type_name"`
	TypeNameEN string `json:"type_name_en"`
	Number     string `json:"number"`
	Issuer     string `json:"issuer"`
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
	InForce    bool   `json:"in_force"`
}

// PublicOrganization is the disclosure data of an organisation: who it is
// and what licences it holds, and no personal data of anyone (E-Commerce
// Law art. 15; R-5.4-9, R-6.1-2).
type PublicOrganization struct {
	ID             string          `json:"id"`
	Kind           identity.Kind   `json:"kind"`
	Name           string          `json:"name"`
	USCC           string          `json:"uscc"`
	Address        string          `json:"address"`
	Status         Status          `json:"status"`
	RegisteredAt   *time.Time      `json:"registered_at,omitempty"`
	FilingNumber   string          `json:"filing_number,omitempty"`
	Licences       []PublicLicence `json:"licences"`
	CessationOn    string          `json:"cessation_on,omitempty" doc:"The announced date it stops trading, shown at least 30 days ahead"`
	CanTradeNow    bool            `json:"can_trade_now"`
	DisclosedAtUTC time.Time       `json:"disclosed_at"`
}

// Public returns the disclosure data of an organisation that has been
// approved (and stays disclosed when suspended or closed, so buyers can
// still see who sold to them). Anyone may read it.
func (s *Service) Public(ctx context.Context, orgID string) (*PublicOrganization, error) {
	o, err := s.load(ctx, s.db.Reader(ctx), orgID)
	if err != nil {
		return nil, err
	}
	if o.ApprovedAt == nil || o.Kind == identity.KindPlatform || o.Kind == identity.KindRegulator {
		return nil, problem.NotFoundError()
	}
	quals, err := s.qualifications(ctx, s.db.Reader(ctx), o.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	day := Today(now)
	out := &PublicOrganization{ID: o.ID, Kind: o.Kind, Name: o.Name, USCC: o.USCC, Address: o.Address, Status: o.Status,
		RegisteredAt: o.ApprovedAt, CessationOn: o.CessationOn, Licences: []PublicLicence{}, DisclosedAtUTC: now}
	for _, q := range quals {
		if q.ReviewStatus != "approved" {
			continue
		}
		out.Licences = append(out.Licences, PublicLicence{Type: q.Type, TypeName: q.TypeName, TypeNameEN: q.TypeNameEN, Number: q.Number,
			Issuer: q.Issuer, ValidFrom: q.ValidFrom, ValidUntil: q.ValidUntil, InForce: q.InForce(day)})
	}
	_ = s.db.QueryRow(ctx, `SELECT register_number FROM filings WHERE organization_id = $1 ORDER BY filed_at DESC LIMIT 1`, o.ID).Scan(&out.FilingNumber)
	out.CanTradeNow = s.CanTrade(ctx, o.ID, now) == nil
	return out, nil
}

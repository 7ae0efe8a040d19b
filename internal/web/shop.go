package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"gbmall/internal/identity"
	"gbmall/internal/org"
)

// shopLicencePage is the data of shop_licence.html.
type shopLicencePage struct {
	Org *org.PublicOrganization
}

// shopLicence is a merchant's public disclosure: who it is, its filing
// number and its licences, whether it may trade now, and an announced
// cessation date — never anyone's personal data (E-Commerce Law arts. 15
// and 16; R-5.4-9, R-6.1-2). Organisations never approved are not found.
func (s *server) shopLicence(w http.ResponseWriter, r *http.Request) {
	o, err := s.d.Orgs.Public(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "shop_licence", "", shopLicencePage{Org: o})
}

// platformLicences is the data of licences.html: the operator's own
// licences as registered in the platform organisation's dossier.
type platformLicences struct {
	Name     string
	USCC     string
	Address  string
	Licences []org.PublicLicence
	Today    string
	Doc      documentPage
}

// platformDisclosure reads the platform organisation's approved licences;
// nil when it has none. The platform is not in the merchants' public
// disclosure (org.Public), so its few public columns are read here.
func (s *server) platformDisclosure(ctx context.Context) (*platformLicences, error) {
	var out platformLicences
	var orgID string
	err := s.d.DB.QueryRow(ctx, `SELECT id, name, uscc, address FROM organizations WHERE kind = $1 ORDER BY created_at LIMIT 1`,
		string(identity.KindPlatform)).Scan(&orgID, &out.Name, &out.USCC, &out.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: platform organisation: %w", err)
	}
	rows, err := s.d.DB.Query(ctx, `SELECT q.type_code, t.name_zh, t.name_en, q.number, q.issuer, q.valid_from, q.valid_until
		FROM qualifications q JOIN qualification_types t ON t.code = q.type_code
		WHERE q.organization_id = $1 AND q.review_status = 'approved' ORDER BY q.created_at`, orgID)
	if err != nil {
		return nil, fmt.Errorf("web: platform licences: %w", err)
	}
	defer rows.Close()
	out.Today = org.Today(s.d.Clock.Now())
	for rows.Next() {
		var l org.PublicLicence
		if err := rows.Scan(&l.Type, &l.TypeName, &l.TypeNameEN, &l.Number, &l.Issuer, &l.ValidFrom, &l.ValidUntil); err != nil {
			return nil, err
		}
		l.InForce = l.ValidFrom <= out.Today && out.Today <= l.ValidUntil
		out.Licences = append(out.Licences, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Licences) == 0 {
		return nil, nil
	}
	return &out, nil
}

package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"gbmall/internal/identity"
	"gbmall/internal/org"
)

type orgRegistrationBody struct {
	Kind                string `json:"kind" enum:"seller,carrier,payment_provider"`
	Name                string `json:"name" maxLength:"200"`
	USCC                string `json:"uscc" maxLength:"40" doc:"18-character unified social credit code (GB 32100)"`
	LegalRepresentative struct {
		Name     string `json:"name" maxLength:"100"`
		IDNumber string `json:"id_number" maxLength:"40" doc:"resident identity number (GB 11643); stored encrypted, shown masked"`
	} `json:"legal_representative"`
	Contact struct {
		Name   string `json:"name" maxLength:"100"`
		Mobile string `json:"mobile" maxLength:"30"`
		Email  string `json:"email,omitempty" required:"false" maxLength:"254"`
	} `json:"contact"`
	Address       string `json:"address" maxLength:"400"`
	BusinessScope string `json:"business_scope,omitempty" required:"false" maxLength:"4000"`
}

func (b orgRegistrationBody) registration() org.Registration {
	return org.Registration{Kind: identity.Kind(b.Kind), Name: b.Name, USCC: b.USCC,
		LegalRepresentative: org.Person{Name: b.LegalRepresentative.Name, IDNumber: b.LegalRepresentative.IDNumber},
		Contact:             org.Contact{Name: b.Contact.Name, Mobile: b.Contact.Mobile, Email: b.Contact.Email},
		Address:             b.Address, BusinessScope: b.BusinessScope}
}

type orgOutput struct {
	Status int
	Body   *org.Organization
}

type orgIDInput struct {
	ID string `path:"id"`
}

type reasonInput struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason,omitempty" required:"false" maxLength:"1000"`
	}
}

type listOutput[T any] struct {
	Body struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor,omitempty"`
	}
}

func items[T any](xs []T, next string) *listOutput[T] {
	out := &listOutput[T]{}
	out.Body.Items, out.Body.NextCursor = xs, next
	return out
}

func (a *API) orgRoutes() {
	svc := a.deps.Orgs
	register(a.huma, secured(op(http.MethodPost, "/organizations", "create-organization", "Start onboarding a seller, carrier or payment provider (the caller becomes owner)", "organizations")),
		func(ctx context.Context, in *struct{ Body orgRegistrationBody }) (*orgOutput, error) {
			o, err := svc.Create(ctx, in.Body.registration())
			if err != nil {
				return nil, err
			}
			return &orgOutput{Status: http.StatusCreated, Body: o}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations", "my-organizations", "The organisations the caller belongs to", "organizations")),
		func(ctx context.Context, _ *struct{}) (*listOutput[org.Summary], error) {
			xs, err := svc.MyOrganizations(ctx)
			if err != nil {
				return nil, err
			}
			return items(xs, ""), nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}", "get-organization", "An organisation's full record (members and platform staff; personal fields masked unless reveal=true by a reviewer, which is audited)", "organizations")),
		func(ctx context.Context, in *struct {
			ID     string `path:"id"`
			Reveal bool   `query:"reveal"`
		}) (*orgOutput, error) {
			o, err := svc.Get(ctx, in.ID, in.Reveal)
			if err != nil {
				return nil, err
			}
			return &orgOutput{Status: http.StatusOK, Body: o}, nil
		})
	register(a.huma, secured(op(http.MethodPut, "/organizations/{id}", "update-organization", "Correct the registration data (identity changes of an approved organisation go back to review)", "organizations")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body orgRegistrationBody
		}) (*orgOutput, error) {
			o, err := svc.Update(ctx, in.ID, in.Body.registration())
			if err != nil {
				return nil, err
			}
			return &orgOutput{Status: http.StatusOK, Body: o}, nil
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/qualifications", "add-qualification", "Add a licence to the dossier", "organizations")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Type       string `json:"type" maxLength:"60" doc:"qualification code, e.g. business_license"`
				Number     string `json:"number" maxLength:"100"`
				Issuer     string `json:"issuer" maxLength:"200"`
				ValidFrom  string `json:"valid_from" maxLength:"40" doc:"YYYY-MM-DD"`
				ValidUntil string `json:"valid_until" maxLength:"40" doc:"YYYY-MM-DD"`
				DocumentID string `json:"document_id,omitempty" required:"false" maxLength:"40" doc:"an uploaded scan (POST /api/v1/documents)"`
			}
		}) (*struct {
			Status int
			Body   *org.Qualification
		}, error) {
			q, err := svc.AddQualification(ctx, in.ID, org.QualificationInput{Type: in.Body.Type, Number: in.Body.Number, Issuer: in.Body.Issuer,
				ValidFrom: in.Body.ValidFrom, ValidUntil: in.Body.ValidUntil, DocumentID: in.Body.DocumentID})
			if err != nil {
				return nil, err
			}
			return &struct {
				Status int
				Body   *org.Qualification
			}{http.StatusCreated, q}, nil
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/submit", "submit-organization", "Send the dossier to review", "organizations")),
		func(ctx context.Context, in *orgIDInput) (*orgOutput, error) {
			o, err := svc.Submit(ctx, in.ID)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/reconfirm", "reconfirm-organization", "Re-confirm the registration data (due every 6 months)", "organizations")),
		func(ctx context.Context, in *orgIDInput) (*orgOutput, error) {
			o, err := svc.Reconfirm(ctx, in.ID)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/cessation", "announce-cessation", "Announce the date the organisation stops trading (at least 30 days ahead)", "organizations")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				EffectiveOn string `json:"effective_on" maxLength:"40" doc:"YYYY-MM-DD"`
			}
		}) (*orgOutput, error) {
			o, err := svc.AnnounceCessation(ctx, in.ID, in.Body.EffectiveOn)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/close", "close-organization", "Close the organisation (owner or platform reviewer, with a reason)", "organizations")),
		func(ctx context.Context, in *reasonInput) (*orgOutput, error) {
			o, err := svc.Close(ctx, in.ID, in.Body.Reason)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/history", "organization-history", "The registration file: every step, version and decision", "organizations")),
		func(ctx context.Context, in *orgIDInput) (*listOutput[org.HistoryEntry], error) {
			xs, err := svc.History(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return items(xs, ""), nil
		})
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/notices", "organization-notices", "Notices to the organisation (expiry warnings, review outcomes)", "organizations")),
		func(ctx context.Context, in *orgIDInput) (*listOutput[org.Notice], error) {
			xs, err := svc.Notices(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return items(xs, ""), nil
		})
	register(a.huma, secured(op(http.MethodPut, "/organizations/{id}/security", "organization-security", "Require a second factor (TOTP) of every member", "members")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				RequireMFA bool `json:"require_mfa"`
			}
		}) (*orgOutput, error) {
			if err := a.deps.Identity.SetRequireMFA(ctx, in.ID, in.Body.RequireMFA); err != nil {
				return nil, err
			}
			o, err := svc.Get(ctx, in.ID, false)
			return orgOut(o, err)
		})
	a.memberRoutes()
	a.reviewRoutes()
}

func orgOut(o *org.Organization, err error) (*orgOutput, error) {
	if err != nil {
		return nil, err
	}
	return &orgOutput{Status: http.StatusOK, Body: o}, nil
}

func (a *API) memberRoutes() {
	ids := a.deps.Identity
	register(a.huma, secured(op(http.MethodGet, "/organizations/{id}/members", "list-members", "The organisation's members and roles", "members")),
		func(ctx context.Context, in *orgIDInput) (*listOutput[identity.Member], error) {
			xs, err := ids.Members(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return items(xs, ""), nil
		})
	register(a.huma, secured(op(http.MethodPost, "/organizations/{id}/members", "add-member", "Invite an existing account by its login, with a role", "members")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Login                             string `json:"login" maxLength:"254"`
				Role                              string `json:"role" maxLength:"40"`
				ConfidentialityAgreementConfirmed bool   `json:"confidentiality_agreement_confirmed,omitempty" required:"false" doc:"required for platform roles that read personal data"`
			}
		}) (*struct {
			Status int
			Body   *identity.Member
		}, error) {
			m, err := ids.AddMember(ctx, in.ID, in.Body.Login, identity.Role(in.Body.Role), in.Body.ConfidentialityAgreementConfirmed)
			if err != nil {
				return nil, err
			}
			return &struct {
				Status int
				Body   *identity.Member
			}{http.StatusCreated, m}, nil
		})
	register(a.huma, secured(op(http.MethodDelete, "/organizations/{id}/members/{account_id}", "remove-member", "Remove a member (or one role with ?role=); access ends at once", "members")),
		func(ctx context.Context, in *struct {
			ID        string `path:"id"`
			AccountID string `path:"account_id"`
			Role      string `query:"role"`
		}) (*emptyOutput, error) {
			if err := ids.RemoveMember(ctx, in.ID, in.AccountID, identity.Role(in.Role)); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})
}

func (a *API) reviewRoutes() {
	svc := a.deps.Orgs
	register(a.huma, secured(op(http.MethodGet, "/admin/organizations", "review-queue", "Organisations for platform staff: the review queue (?status=pending_review) and search", "review")),
		func(ctx context.Context, in *struct {
			Status          string `query:"status"`
			Kind            string `query:"kind"`
			Q               string `query:"q"`
			ReverifyOverdue bool   `query:"reverify_overdue"`
			Limit           int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor          string `query:"cursor"`
		}) (*listOutput[org.Summary], error) {
			xs, next, err := svc.List(ctx, org.ListFilter{Status: in.Status, Kind: in.Kind, Query: in.Q, ReverifyOverdue: in.ReverifyOverdue, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/organizations/{id}/decision", "decide-organization", "Approve or reject an organisation pending review (platform reviewer)", "review")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Decision string `json:"decision" enum:"approve,reject"`
				Reason   string `json:"reason,omitempty" required:"false" maxLength:"1000"`
			}
		}) (*orgOutput, error) {
			o, err := svc.Decide(ctx, in.ID, in.Body.Decision, in.Body.Reason)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/organizations/{id}/suspend", "suspend-organization", "Suspend an approved organisation, with a reason", "review")),
		func(ctx context.Context, in *reasonInput) (*orgOutput, error) {
			o, err := svc.Suspend(ctx, in.ID, in.Body.Reason)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/organizations/{id}/lift", "lift-suspension", "Lift a suspension", "review")),
		func(ctx context.Context, in *reasonInput) (*orgOutput, error) {
			o, err := svc.Lift(ctx, in.ID, in.Body.Reason)
			return orgOut(o, err)
		})
	register(a.huma, secured(op(http.MethodPost, "/admin/qualifications/{id}/decision", "decide-qualification", "Approve or reject a licence added after approval", "review")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Decision string `json:"decision" enum:"approve,reject"`
				Reason   string `json:"reason,omitempty" required:"false" maxLength:"1000"`
			}
		}) (*struct{ Body *org.Qualification }, error) {
			q, err := svc.DecideQualification(ctx, in.ID, in.Body.Decision, in.Body.Reason)
			if err != nil {
				return nil, err
			}
			return &struct{ Body *org.Qualification }{q}, nil
		})
	register(a.huma, secured(op(http.MethodGet, "/filings", "filing-register", "Search the filing register (platform staff and regulators)", "review")),
		func(ctx context.Context, in *struct {
			Q      string `query:"q"`
			Kind   string `query:"kind"`
			Limit  int    `query:"limit" minimum:"0" maximum:"100"`
			Cursor string `query:"cursor"`
		}) (*listOutput[org.Filing], error) {
			xs, next, err := svc.Filings(ctx, org.FilingFilter{Query: in.Q, Kind: in.Kind, Limit: in.Limit, Cursor: in.Cursor})
			if err != nil {
				return nil, err
			}
			return items(xs, next), nil
		})
	register(a.huma, secured(op(http.MethodGet, "/filings.csv", "filing-register-csv", "Export the filing register as CSV", "review")),
		func(ctx context.Context, in *struct {
			Q    string `query:"q"`
			Kind string `query:"kind"`
		}) (*struct {
			ContentType        string `header:"Content-Type"`
			ContentDisposition string `header:"Content-Disposition"`
			Body               []byte
		}, error) {
			var buf bytes.Buffer
			if err := svc.ExportFilingsCSV(ctx, org.FilingFilter{Query: in.Q, Kind: in.Kind}, &buf); err != nil {
				return nil, err
			}
			return &struct {
				ContentType        string `header:"Content-Type"`
				ContentDisposition string `header:"Content-Disposition"`
				Body               []byte
			}{"text/csv; charset=utf-8", `attachment; filename="filing-register.csv"`, buf.Bytes()}, nil
		})
	register(a.huma, op(http.MethodGet, "/public/organizations/{id}", "public-organization", "Public disclosure of an organisation: name, USCC, licences, status (no personal data)", "public"),
		func(ctx context.Context, in *orgIDInput) (*struct{ Body *org.PublicOrganization }, error) {
			o, err := svc.Public(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &struct{ Body *org.PublicOrganization }{o}, nil
		})
}

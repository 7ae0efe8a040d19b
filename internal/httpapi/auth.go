package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
	"gbmall/internal/privacy"
)

type consentBody struct {
	PrivacyPolicyVersion string `json:"privacy_policy_version" doc:"The version of the privacy policy the person read (GET /api/v1/privacy-policy)."`
	Accepted             bool   `json:"accepted" doc:"Must be true: consent is explicit and never pre-ticked."`
}

type registerInput struct {
	Body struct {
		Login       string      `json:"login" doc:"Email address or mainland mobile number." maxLength:"254"`
		Password    string      `json:"password" maxLength:"256"`
		DisplayName string      `json:"display_name" maxLength:"200"`
		Consent     consentBody `json:"consent"`
	}
}

type accountBody struct {
	ID          string `json:"id"`
	Login       string `json:"login" doc:"The login, masked."`
	DisplayName string `json:"display_name"`
}

type registerOutput struct {
	Status int
	Body   accountBody
}

type loginInput struct {
	Body struct {
		Login    string `json:"login" maxLength:"254"`
		Password string `json:"password" maxLength:"256"`
		OTP      string `json:"otp,omitempty" required:"false" doc:"The 6-digit TOTP code, for accounts with a second factor." maxLength:"16"`
	}
}

type loginOutput struct {
	Body struct {
		Token                string    `json:"token"`
		ExpiresAt            time.Time `json:"expires_at"`
		MFAEnrolmentRequired bool      `json:"mfa_enrolment_required" doc:"True for an account that must enrol a second factor and has not: until it does, its token reaches only the enrolment endpoints."`
	}
}

type membershipBody struct {
	OrganizationID   string `json:"organization_id"`
	OrganizationName string `json:"organization_name"`
	Kind             string `json:"kind"`
	Role             string `json:"role"`
}

type meOutput struct {
	Body struct {
		ID                   string           `json:"id"`
		Login                string           `json:"login" doc:"The login, masked."`
		DisplayName          string           `json:"display_name"`
		TOTPEnabled          bool             `json:"totp_enabled"`
		MFAEnrolmentRequired bool             `json:"mfa_enrolment_required"`
		Memberships          []membershipBody `json:"memberships"`
	}
}

type policyOutput struct {
	Body struct {
		Version     string    `json:"version"`
		PublishedAt time.Time `json:"published_at"`
		Text        string    `json:"text"`
	}
}

type langInput struct {
	AcceptLanguage string `header:"Accept-Language"`
}

type enrolOutput struct {
	Body struct {
		Secret     string `json:"secret" doc:"Base32 TOTP secret for manual entry."`
		OTPAuthURI string `json:"otpauth_uri"`
		QRCodePNG  string `json:"qr_code_png" doc:"The otpauth URI as a PNG QR code, base64."`
	}
}

type confirmInput struct {
	Body struct {
		Code string `json:"code" maxLength:"16"`
	}
}

type emptyOutput struct {
	Status int
}

func (a *API) authRoutes() {
	ids := a.deps.Identity
	register(a.huma, op(http.MethodPost, "/auth/register", "register", "Create a consumer account with consent to the privacy policy", "accounts"),
		func(ctx context.Context, in *registerInput) (*registerOutput, error) {
			acct, err := ids.Register(ctx, identity.Registration{
				Login: in.Body.Login, Password: in.Body.Password, DisplayName: in.Body.DisplayName,
				PolicyVersion: in.Body.Consent.PrivacyPolicyVersion, Accepted: in.Body.Consent.Accepted,
				SourceIP: audit.ActorFrom(ctx).SourceIP,
			}, privacy.Current().Version)
			if err != nil {
				return nil, err
			}
			out := &registerOutput{Status: http.StatusCreated}
			out.Body = accountBody{ID: acct.ID, Login: acct.MaskedLogin(), DisplayName: acct.DisplayName}
			return out, nil
		})

	register(a.huma, op(http.MethodPost, "/auth/login", "login", "Log in and get a bearer token", "accounts"),
		func(ctx context.Context, in *loginInput) (*loginOutput, error) {
			ip := audit.ActorFrom(ctx).SourceIP
			delay, stopped := a.limiter.Check(ip)
			if stopped {
				return nil, problem.New(problem.TooManyRequests, i18n.T("该地址登录失败次数过多，请 15 分钟后再试", "Too many failed logins from this address; try again in 15 minutes"))
			}
			if delay > 0 {
				time.Sleep(delay)
			}
			res, err := ids.Login(ctx, identity.LoginRequest{Login: in.Body.Login, Password: in.Body.Password, OTP: in.Body.OTP, Kind: "bearer", SourceIP: ip})
			if err != nil {
				if c := problem.CodeOf(err); c == problem.Unauthenticated || c == problem.MFARequired && in.Body.OTP != "" || c == problem.AccountLocked {
					a.limiter.Fail(ip)
				}
				return nil, err
			}
			out := &loginOutput{}
			out.Body.Token, out.Body.ExpiresAt, out.Body.MFAEnrolmentRequired = res.Token, res.ExpiresAt, res.MFAEnrolmentRequired
			return out, nil
		})

	register(a.huma, secured(op(http.MethodPost, "/auth/logout", "logout", "End the current session", "accounts")),
		func(ctx context.Context, _ *struct{}) (*emptyOutput, error) {
			p, err := identity.RequireSignedIn(ctx, true)
			if err != nil {
				return nil, err
			}
			if p.SessionID == "" {
				return nil, problem.New(problem.Conflict, i18n.T("API 密钥无需登出，请吊销密钥", "API keys do not log out; revoke the key instead"))
			}
			if err := ids.Logout(ctx, p); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})

	register(a.huma, secured(op(http.MethodGet, "/me", "me", "The signed-in account and its memberships", "accounts")),
		func(ctx context.Context, _ *struct{}) (*meOutput, error) {
			p, err := identity.RequireSignedIn(ctx, true)
			if err != nil {
				return nil, err
			}
			if p.APIKeyID != "" {
				return nil, problem.NotFoundError()
			}
			acct, err := ids.AccountByID(ctx, p.AccountID)
			if err != nil {
				return nil, err
			}
			out := &meOutput{}
			out.Body.ID, out.Body.Login, out.Body.DisplayName = acct.ID, acct.MaskedLogin(), acct.DisplayName
			out.Body.TOTPEnabled, out.Body.MFAEnrolmentRequired = acct.TOTPEnabled, p.MFAEnrolmentRequired
			out.Body.Memberships = []membershipBody{}
			for _, m := range acct.Memberships {
				out.Body.Memberships = append(out.Body.Memberships, membershipBody{m.OrganizationID, m.OrganizationName, string(m.Kind), string(m.Role)})
			}
			return out, nil
		})

	register(a.huma, op(http.MethodGet, "/privacy-policy", "privacy-policy", "The current privacy policy (public)", "accounts"),
		func(ctx context.Context, in *langInput) (*policyOutput, error) {
			pol := privacy.Current()
			out := &policyOutput{}
			out.Body.Version, out.Body.PublishedAt, out.Body.Text = pol.Version, pol.PublishedAt, pol.Text.In(i18n.Parse(in.AcceptLanguage))
			return out, nil
		})

	register(a.huma, secured(op(http.MethodPost, "/auth/totp/enrol", "totp-enrol", "Start TOTP enrolment: returns the secret and a QR code", "accounts")),
		func(ctx context.Context, _ *struct{}) (*enrolOutput, error) {
			e, err := ids.BeginTOTP(ctx)
			if err != nil {
				return nil, err
			}
			png, err := credential.QRCodePNG(e.URI, 256)
			if err != nil {
				return nil, err
			}
			out := &enrolOutput{}
			out.Body.Secret, out.Body.OTPAuthURI, out.Body.QRCodePNG = e.Secret, e.URI, base64.StdEncoding.EncodeToString(png)
			return out, nil
		})

	register(a.huma, secured(op(http.MethodPost, "/auth/totp/confirm", "totp-confirm", "Finish TOTP enrolment with a code from the app", "accounts")),
		func(ctx context.Context, in *confirmInput) (*emptyOutput, error) {
			if err := ids.ConfirmTOTP(ctx, in.Body.Code); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})
}

func notFound() error { return problem.NotFoundError() }

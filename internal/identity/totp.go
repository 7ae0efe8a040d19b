package identity

import (
	"context"
	"fmt"

	"gbmall/internal/audit"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Enrolment is a pending TOTP enrolment.
type Enrolment struct {
	Secret string
	URI    string
}

// BeginTOTP creates (or re-creates, while not yet confirmed) the caller's
// TOTP secret and returns it for the authenticator app (R-10.4-4).
func (s *Service) BeginTOTP(ctx context.Context) (*Enrolment, error) {
	p, err := RequireSignedIn(ctx, true)
	if err != nil {
		return nil, err
	}
	a, err := s.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	if a.TOTPEnabled {
		return nil, problem.New(problem.Conflict, i18n.T("已绑定动态验证码", "A second factor is already enrolled"))
	}
	secret, uri, err := credential.NewTOTPSecret(credential.TOTPIssuer, a.MaskedLogin())
	if err != nil {
		return nil, err
	}
	enc, err := s.keys.Encrypt(secret, "accounts.totp|"+a.ID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_secret_enc = $1, updated_at = $2 WHERE id = $3 AND totp_enabled = $4`,
			enc, s.clock.Now(), a.ID, false); err != nil {
			return fmt.Errorf("identity: store totp secret: %w", err)
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.totp_begin", ObjectType: "account", ObjectID: a.ID})
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: secret, URI: uri}, nil
}

// ConfirmTOTP enables the second factor once the caller proves the app
// shows the right code.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) error {
	p, err := RequireSignedIn(ctx, true)
	if err != nil {
		return err
	}
	a, err := s.AccountByID(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if a.TOTPEnabled {
		return problem.New(problem.Conflict, i18n.T("已绑定动态验证码", "A second factor is already enrolled"))
	}
	if !a.totpEnc.Valid {
		return problem.New(problem.Conflict, i18n.T("请先开始绑定", "Start the enrolment first"))
	}
	secret, err := s.keys.Decrypt(a.totpEnc.String, "accounts.totp|"+a.ID)
	if err != nil {
		return err
	}
	ok, counter := credential.ValidateTOTP(code, secret, s.clock.Now())
	if !ok {
		return problem.Invalid(problem.Field("code", i18n.T("验证码不正确，请核对手机时间后重试", "Wrong code; check your phone's clock and try again")))
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		s.forgetHeldAfter(tx)
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_enabled = $1, totp_last_counter = $2, updated_at = $3 WHERE id = $4`,
			true, counter, s.clock.Now(), a.ID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.totp_enable", ObjectType: "account", ObjectID: a.ID})
	})
}

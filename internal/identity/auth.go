package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Registration is what a new consumer gives.
type Registration struct {
	Login         string
	Password      string
	DisplayName   string
	PolicyVersion string // the privacy-policy version the person accepted
	Accepted      bool
	SourceIP      string
}

// CurrentPolicyVersion is set by the privacy package's wiring; Register
// refuses consent to any other version (R-9.2-6).
type PolicyVersionFunc func() string

// Register creates a consumer account with recorded consent to the current
// privacy policy (R-9.2-6, R-9.1-3: consent is explicit, never pre-ticked).
func (s *Service) Register(ctx context.Context, r Registration, currentPolicy string) (*Account, error) {
	var fields []problem.FieldError
	login, kind, err := credential.NormalizeLogin(r.Login)
	if err != nil {
		var le *credential.LoginError
		msg := i18n.T("请输入有效的邮箱或手机号", "Enter a valid email address or mobile number")
		if errors.As(err, &le) {
			msg = le.Message
		}
		fields = append(fields, problem.Field("login", msg))
	}
	name := strings.TrimSpace(r.DisplayName)
	if name == "" || utf8.RuneCountInString(name) > 40 {
		fields = append(fields, problem.Field("display_name", i18n.T("昵称为 1 到 40 个字符", "Display name must be 1 to 40 characters")))
	}
	for _, m := range credential.CheckPassword(r.Password, login) {
		fields = append(fields, problem.Field("password", m))
	}
	if !r.Accepted {
		fields = append(fields, problem.Field("consent.accepted", i18n.T("需要阅读并同意隐私政策", "You must read and accept the privacy policy")))
	}
	if r.PolicyVersion != currentPolicy {
		fields = append(fields, problem.Field("consent.privacy_policy_version", i18n.T("隐私政策版本不是当前版本 "+currentPolicy, "Not the current privacy policy version "+currentPolicy)))
	}
	if len(fields) > 0 {
		return nil, problem.Invalid(fields...)
	}
	var acct *Account
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, err := s.createAccountTx(ctx, tx, login, kind, name, r.Password)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consents (id, account_id, purpose, version, accepted, ip, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id.New(), a.ID, "privacy_policy", r.PolicyVersion, true, r.SourceIP, s.clock.Now()); err != nil {
			return fmt.Errorf("identity: record consent: %w", err)
		}
		acct = a
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.register", ObjectType: "account", ObjectID: a.ID,
			Details: map[string]any{"login": a.MaskedLogin(), "privacy_policy_version": r.PolicyVersion}})
	})
	return acct, err
}

// ErrLoginTaken is answered when the login already has an account.
var ErrLoginTaken = problem.Invalid(problem.Field("login", i18n.T("该账号已注册", "This login is already registered")))

func (s *Service) createAccountTx(ctx context.Context, tx *db.Tx, login string, kind credential.LoginKind, name, password string) (*Account, error) {
	hash, err := credential.HashPassword(password, s.cfg.PasswordParams)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	a := &Account{ID: id.New(), Login: login, LoginKind: kind, DisplayName: name, Status: "active", CreatedAt: now, PasswordAge: now}
	enc, err := s.encrypt(login, "accounts.login|"+a.ID)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts (id, login_hash, login_kind, login_enc, display_name, password_hash,
		password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, s.loginHash(login), string(kind), enc, name, hash, now, now, now)
	if db.IsUniqueViolation(err) {
		return nil, ErrLoginTaken
	}
	if err != nil {
		return nil, fmt.Errorf("identity: insert account: %w", err)
	}
	return a, nil
}

// LoginRequest is a login attempt.
type LoginRequest struct {
	Login    string
	Password string
	OTP      string
	Kind     string // "bearer" (API) or "cookie" (browser)
	SourceIP string
}

// LoginResult is a successful login.
type LoginResult struct {
	Token                string
	CSRFToken            string
	ExpiresAt            time.Time
	MFAEnrolmentRequired bool
	Account              *Account
}

// Login checks a password (and second factor) and opens a session.
// Returns ErrUnauthenticated for an unknown login or wrong password,
// ErrMFARequired when the second factor is missing or wrong, ErrLocked
// while the account is locked — whatever the password, so a locked account
// is no oracle and the unlock time is never told (R-10.4-2).
func (s *Service) Login(ctx context.Context, r LoginRequest) (*LoginResult, error) {
	login, _, err := credential.NormalizeLogin(r.Login)
	if err != nil || r.Password == "" {
		credential.DummyVerify(r.Password)
		return nil, ErrUnauthenticated
	}
	a, err := s.accountByLogin(ctx, login)
	if problem.CodeOf(err) == problem.NotFound {
		credential.DummyVerify(r.Password)
		_ = s.trail.Record(ctx, s.db, audit.Event{Action: "account.login", ObjectType: "login", ObjectID: s.loginHash(login)[:16],
			Outcome: "failure", Details: map[string]any{"reason": "unknown_login"}})
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	actx := audit.WithActor(ctx, withAccount(audit.ActorFrom(ctx), a.ID))
	fail := func(reason string, count bool) error {
		return s.db.InTx(actx, func(ctx context.Context, tx *db.Tx) error {
			details := map[string]any{"reason": reason}
			if count {
				locked, err := s.countFailureTx(ctx, tx, a, now)
				if err != nil {
					return err
				}
				if locked {
					details["locked"] = true
					if err := s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.lock", ObjectType: "account", ObjectID: a.ID,
						Details: map[string]any{"minutes": int(s.cfg.LockDuration.Minutes())}}); err != nil {
						return err
					}
				}
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.login", ObjectType: "account", ObjectID: a.ID, Outcome: "failure", Details: details})
		})
	}
	if a.Status != "active" {
		credential.DummyVerify(r.Password)
		if err := fail("account_"+a.Status, false); err != nil {
			return nil, err
		}
		return nil, ErrUnauthenticated
	}
	if a.lockedUntil != nil && now.Before(*a.lockedUntil) {
		if err := fail("locked", false); err != nil {
			return nil, err
		}
		return nil, ErrLocked
	}
	ok, err := credential.VerifyPassword(r.Password, a.passwordHash)
	if err != nil {
		return nil, fmt.Errorf("identity: verify password: %w", err)
	}
	if !ok {
		if err := fail("wrong_password", true); err != nil {
			return nil, err
		}
		return nil, ErrUnauthenticated
	}
	var totpCounter int64
	if a.TOTPEnabled {
		if strings.TrimSpace(r.OTP) == "" {
			return nil, ErrMFARequired
		}
		secret, err := s.keys.Decrypt(a.totpEnc.String, "accounts.totp|"+a.ID)
		if err != nil {
			return nil, fmt.Errorf("identity: decrypt totp secret: %w", err)
		}
		valid, counter := credential.ValidateTOTP(r.OTP, secret, now)
		if !valid || counter <= a.totpCounter { // a used code is never accepted again
			if err := fail("wrong_otp", true); err != nil {
				return nil, err
			}
			return nil, ErrMFARequired
		}
		totpCounter = counter
	}
	ms, err := s.memberships(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	a.Memberships = ms
	var res *LoginResult
	err = s.db.InTx(actx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET failed_logins = 0, failed_window_start = NULL, locked_until = NULL,
			last_login_at = $1, totp_last_counter = CASE WHEN $2 > totp_last_counter THEN $2 ELSE totp_last_counter END, updated_at = $1
			WHERE id = $3`, now, totpCounter, a.ID); err != nil {
			return err
		}
		kind := r.Kind
		if kind != "cookie" {
			kind = "bearer"
		}
		sess, err := s.openSessionTx(ctx, tx, a, kind, r.SourceIP, now)
		if err != nil {
			return err
		}
		res = sess
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.login", ObjectType: "account", ObjectID: a.ID,
			Details: map[string]any{"session_kind": kind, "mfa": a.TOTPEnabled}})
	})
	if err != nil {
		return nil, err
	}
	res.Account = a
	res.MFAEnrolmentRequired = mfaRequired(ms) && !a.TOTPEnabled
	return res, nil
}

func withAccount(a audit.Actor, accountID string) audit.Actor {
	if a.AccountID == "" || a.AccountID == "system" || a.AccountID == "anonymous" {
		a.AccountID = accountID
	}
	return a
}

// countFailureTx counts a failed attempt in the account's 15-minute window
// and locks the account when the window holds LockThreshold failures.
func (s *Service) countFailureTx(ctx context.Context, tx *db.Tx, a *Account, now time.Time) (locked bool, err error) {
	var n int
	var start sql.NullTime
	if err := tx.QueryRowContext(ctx, `SELECT failed_logins, failed_window_start FROM accounts WHERE id = $1`, a.ID).Scan(&n, &start); err != nil {
		return false, err
	}
	if !start.Valid || now.Sub(start.Time) > s.cfg.LockWindow {
		n, start = 0, sql.NullTime{Time: now, Valid: true}
	}
	n++
	if n >= s.cfg.LockThreshold {
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET failed_logins = 0, failed_window_start = NULL, locked_until = $1, updated_at = $2 WHERE id = $3`,
			now.Add(s.cfg.LockDuration), now, a.ID)
		return true, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET failed_logins = $1, failed_window_start = $2, updated_at = $3 WHERE id = $4`, n, start.Time, now, a.ID)
	return false, err
}

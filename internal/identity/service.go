package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Config holds the numbers of the authentication rules.
type Config struct {
	// LockThreshold failed logins within LockWindow lock the account for
	// LockDuration (R-10.4-2: 5 in 15 min → 15 min).
	LockThreshold int
	LockWindow    time.Duration
	LockDuration  time.Duration
	// StaffIdle ends idle platform and regulator sessions (R-10.4-3).
	StaffIdle time.Duration
	// SessionLifetime is every session's absolute lifetime.
	SessionLifetime time.Duration
	// PasswordParams are the argon2id costs.
	PasswordParams credential.Params
}

// DefaultConfig returns the production numbers.
func DefaultConfig() Config {
	return Config{
		LockThreshold: 5, LockWindow: 15 * time.Minute, LockDuration: 15 * time.Minute,
		StaffIdle: 30 * time.Minute, SessionLifetime: 12 * time.Hour,
		PasswordParams: credential.DefaultParams,
	}
}

// Service is the identity domain.
type Service struct {
	db    *db.DB
	clock clock.Clock
	keys  *fieldcrypt.Keyring
	trail *audit.Trail
	cfg   Config
	held  heldSessions // consumers' sessions answered from memory (held.go)
}

// NewService returns the identity service.
func NewService(d *db.DB, c clock.Clock, keys *fieldcrypt.Keyring, trail *audit.Trail, cfg Config) *Service {
	return &Service{db: d, clock: c, keys: keys, trail: trail, cfg: cfg}
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// Account is a person's account. Login is decrypted only where needed.
type Account struct {
	ID           string
	Login        string // normalised email or mobile, in clear (decrypted)
	LoginKind    credential.LoginKind
	DisplayName  string
	TOTPEnabled  bool
	Status       string
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	PasswordAge  time.Time
	Memberships  []Membership
	lockedUntil  *time.Time
	failed       int
	failedStart  *time.Time
	passwordHash string
	totpEnc      sql.NullString
	totpCounter  int64
}

// MaskedLogin is the login as shown in lists and logs.
func (a *Account) MaskedLogin() string {
	if a.LoginKind == credential.LoginMobile {
		return fieldcrypt.MaskMobile(a.Login)
	}
	return fieldcrypt.MaskEmail(a.Login)
}

// Membership is an account's role in an organisation.
type Membership struct {
	OrganizationID   string
	OrganizationName string
	Kind             Kind
	Role             Role
	RequireMFA       bool
}

// Errors of this package.
var (
	ErrUnauthenticated = problem.New(problem.Unauthenticated, i18n.T("账号或密码错误", "Wrong login or password"))
	ErrMFARequired     = problem.New(problem.MFARequired, i18n.T("请输入动态验证码", "Enter the code from your authenticator app"))
	ErrLocked          = problem.New(problem.AccountLocked, i18n.T("登录失败次数过多，账户已被临时锁定，请稍后再试", "Too many failed logins; the account is temporarily locked. Try again later"))
	ErrSessionExpired  = problem.New(problem.Unauthenticated, i18n.T("登录已过期，请重新登录", "Session expired; please log in again"))
)

func (s *Service) loginHash(normalized string) string {
	return s.keys.LookupHash("account.login", normalized)
}

func (s *Service) encrypt(plain, aad string) (string, error) { return s.keys.Encrypt(plain, aad) }

const accountCols = `id, login_kind, login_enc, display_name, password_hash, password_changed_at, totp_secret_enc,
	totp_enabled, totp_last_counter, status, failed_logins, failed_window_start, locked_until, last_login_at, created_at`

func (s *Service) scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var loginEnc string
	var kind string
	var lastLogin, failedStart, locked sql.NullTime
	if err := row.Scan(&a.ID, &kind, &loginEnc, &a.DisplayName, &a.passwordHash, &a.PasswordAge, &a.totpEnc,
		&a.TOTPEnabled, &a.totpCounter, &a.Status, &a.failed, &failedStart, &locked, &lastLogin, &a.CreatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, problem.NotFoundError()
		}
		return nil, err
	}
	a.LoginKind = credential.LoginKind(kind)
	login, err := s.keys.Decrypt(loginEnc, "accounts.login|"+a.ID)
	if err != nil {
		return nil, fmt.Errorf("identity: decrypt login of %s: %w", a.ID, err)
	}
	a.Login = login
	if lastLogin.Valid {
		a.LastLoginAt = &lastLogin.Time
	}
	if failedStart.Valid {
		a.failedStart = &failedStart.Time
	}
	if locked.Valid {
		a.lockedUntil = &locked.Time
	}
	return &a, nil
}

// AccountByID loads an account with its memberships.
func (s *Service) AccountByID(ctx context.Context, id string) (*Account, error) {
	a, err := s.scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return nil, err
	}
	a.Memberships, err = s.memberships(ctx, id)
	return a, err
}

func (s *Service) accountByLogin(ctx context.Context, normalized string) (*Account, error) {
	return s.scanAccount(s.db.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE login_hash = $1`, s.loginHash(normalized)))
}

func (s *Service) memberships(ctx context.Context, accountID string) ([]Membership, error) {
	rows, err := s.db.Query(ctx, `SELECT m.organization_id, o.name, o.kind, m.role, o.require_mfa
		FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.account_id = $1 ORDER BY o.kind, o.name, m.role`, accountID)
	if err != nil {
		return nil, fmt.Errorf("identity: memberships: %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.OrganizationID, &m.OrganizationName, &m.Kind, &m.Role, &m.RequireMFA); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// mfaRequired reports whether an account with these memberships must use
// a second factor (R-10.4-4).
func mfaRequired(ms []Membership) bool {
	for _, m := range ms {
		if mfaRequiredKind(m.Kind) || m.RequireMFA {
			return true
		}
	}
	return false
}

func isStaff(ms []Membership) bool {
	for _, m := range ms {
		if staffKind(m.Kind) {
			return true
		}
	}
	return false
}

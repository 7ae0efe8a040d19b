package identity

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

func (s *Service) openSessionTx(ctx context.Context, tx *db.Tx, a *Account, kind, ip string, now time.Time) (*LoginResult, error) {
	token, hash := credential.NewToken(credential.TokenPrefixSession)
	csrf, _ := credential.NewToken("")
	idle := 0
	if isStaff(a.Memberships) {
		idle = int(s.cfg.StaffIdle.Seconds())
	}
	expires := now.Add(s.cfg.SessionLifetime)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, account_id, kind, idle_seconds, csrf_token, ip,
		created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id.New(), hash, a.ID, kind, idle, csrf, ip, now, now, expires); err != nil {
		return nil, fmt.Errorf("identity: open session: %w", err)
	}
	return &LoginResult{Token: token, CSRFToken: csrf, ExpiresAt: expires}, nil
}

// Principal is the authenticated caller of one request.
type Principal struct {
	AccountID   string
	DisplayName string
	SessionID   string
	SessionKind string // "bearer", "cookie", or "apikey"
	CSRFToken   string
	Memberships []Membership
	// MFAEnrolmentRequired: the account must enrol a second factor and has
	// not; until it does, it reaches only the enrolment endpoints.
	MFAEnrolmentRequired bool
	// APIKey fields are set for machine clients.
	APIKeyID    string
	APIKeyOrg   string
	APIKeyKind  Kind
	APIKeyPerms []Permission
}

// IsConsumer reports whether the caller is a consumer (no memberships, not a machine).
func (p *Principal) IsConsumer() bool { return p != nil && p.APIKeyID == "" && len(p.Memberships) == 0 }

// ActorID is the id recorded in the audit trail.
func (p *Principal) ActorID() string {
	if p.APIKeyID != "" {
		return "apikey:" + p.APIKeyID
	}
	return p.AccountID
}

// Authenticate resolves a session or API-key token to a principal.
// Staff sessions idle out (R-10.4-3); every session ends at its absolute
// lifetime. last_seen_at is written at most once a minute to keep the hot
// path free of writes.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if strings.HasPrefix(token, credential.TokenPrefixAPIKey) {
		return s.authenticateAPIKey(ctx, token)
	}
	if !strings.HasPrefix(token, credential.TokenPrefixSession) {
		return nil, ErrUnauthenticated
	}
	hash := credential.HashToken(token)
	start := s.clock.Now()
	if p, ok := s.held.lookup(hash, start); ok {
		return p, nil
	}
	var p Principal
	var idle int
	var lastSeen, expires time.Time
	var revoked sql.NullTime
	var status, totpEnabled = "", false
	var stamp int64
	// One round trip: the session, its account and the account's
	// memberships (one row each; none for a consumer).
	rows, err := s.db.Query(ctx, `SELECT s.id, s.account_id, s.kind, s.csrf_token, s.idle_seconds, s.last_seen_at, s.expires_at, s.revoked_at,
		a.display_name, a.status, a.totp_enabled, m.organization_id, o.name, o.kind, m.role, o.require_mfa,
		(SELECT version FROM auth_versions WHERE name = 'sessions')
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		LEFT JOIN memberships m ON m.account_id = s.account_id LEFT JOIN organizations o ON o.id = m.organization_id
		WHERE s.token_hash = $1 ORDER BY o.kind, o.name, m.role`, hash)
	if err != nil {
		return nil, fmt.Errorf("identity: authenticate: %w", err)
	}
	found := false
	for rows.Next() {
		var orgID, orgName, orgKind, role sql.NullString
		var requireMFA sql.NullBool
		if err := rows.Scan(&p.SessionID, &p.AccountID, &p.SessionKind, &p.CSRFToken, &idle, &lastSeen, &expires, &revoked, &p.DisplayName, &status, &totpEnabled,
			&orgID, &orgName, &orgKind, &role, &requireMFA, &stamp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("identity: authenticate: %w", err)
		}
		found = true
		if orgID.Valid {
			p.Memberships = append(p.Memberships, Membership{OrganizationID: orgID.String, OrganizationName: orgName.String, Kind: Kind(orgKind.String),
				Role: Role(role.String), RequireMFA: requireMFA.Bool})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("identity: authenticate: %w", err)
	}
	if !found {
		return nil, ErrUnauthenticated
	}
	now := s.clock.Now()
	if revoked.Valid || status != "active" {
		return nil, ErrSessionExpired
	}
	if !now.Before(expires) || (idle > 0 && now.Sub(lastSeen) > time.Duration(idle)*time.Second) {
		reason := "expired"
		if now.Before(expires) {
			reason = "idle"
		}
		_ = s.revokeSession(ctx, p.SessionID, p.AccountID, reason)
		return nil, ErrSessionExpired
	}
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.db.WritePool().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, now, p.SessionID); err != nil {
			return nil, fmt.Errorf("identity: touch session: %w", err)
		}
		lastSeen = now
	}
	p.MFAEnrolmentRequired = mfaRequired(p.Memberships) && !totpEnabled
	// Every read refreshes the version held; a consumer's session is held
	// (held.go).
	var e *heldSession
	if p.IsConsumer() && idle == 0 && !p.MFAEnrolmentRequired {
		e = &heldSession{p: p, expires: expires, lastSeen: lastSeen}
	}
	s.held.keep(hash, e, stamp, start)
	return &p, nil
}

func (s *Service) revokeSession(ctx context.Context, sessionID, accountID, reason string) error {
	return s.db.InTx(audit.WithActor(ctx, withAccount(audit.ActorFrom(ctx), accountID)), func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL`, s.clock.Now(), reason, sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		s.forgetHeldAfter(tx)
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "session.end", ObjectType: "session", ObjectID: sessionID,
			Details: map[string]any{"reason": reason, "account_id": accountID}})
	})
}

// Logout revokes the caller's session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.SessionID == "" {
		return ErrUnauthenticated
	}
	return s.revokeSession(ctx, p.SessionID, p.AccountID, "logout")
}

// RevokeAllSessionsTx ends every open session of an account (used when a
// staff account is disabled or removed, R-5.2-2).
func (s *Service) RevokeAllSessionsTx(ctx context.Context, tx *db.Tx, accountID, reason string) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE account_id = $3 AND revoked_at IS NULL`,
		s.clock.Now(), reason, accountID)
	s.forgetHeldAfter(tx)
	return err
}

// ExpireSessions is the periodic job that closes sessions past their
// absolute lifetime or idle timeout, so an abandoned staff session cannot
// be picked up later and the list of open sessions stays true.
func (s *Service) ExpireSessions(ctx context.Context, now time.Time) error {
	rows, err := s.db.Query(ctx, `SELECT id, account_id, idle_seconds, last_seen_at, expires_at FROM sessions WHERE revoked_at IS NULL`)
	if err != nil {
		return err
	}
	type victim struct{ id, account, reason string }
	var victims []victim
	for rows.Next() {
		var v victim
		var idle int
		var last, exp time.Time
		if err := rows.Scan(&v.id, &v.account, &idle, &last, &exp); err != nil {
			rows.Close()
			return err
		}
		switch {
		case !now.Before(exp):
			v.reason = "expired"
		case idle > 0 && now.Sub(last) > time.Duration(idle)*time.Second:
			v.reason = "idle"
		default:
			continue
		}
		victims = append(victims, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range victims {
		if err := s.revokeSession(ctx, v.id, v.account, v.reason); err != nil {
			return err
		}
	}
	return nil
}

// ErrForbidden is answered when an authenticated caller lacks a permission
// on an object it may see.
var ErrForbidden = problem.New(problem.Forbidden, problemText("没有权限执行此操作", "You are not permitted to do this"))

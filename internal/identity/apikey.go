package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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

// APIKey is a machine client's credential (a carrier's or payment
// provider's system), scoped to one organisation and a set of permissions
// (R-10.4-6). The secret is shown once and stored only as a hash.
type APIKey struct {
	ID             string       `json:"id"`
	OrganizationID string       `json:"organization_id"`
	Name           string       `json:"name"`
	Prefix         string       `json:"prefix"`
	Permissions    []Permission `json:"permissions"`
	CreatedAt      time.Time    `json:"created_at"`
	LastUsedAt     *time.Time   `json:"last_used_at,omitempty"`
	RevokedAt      *time.Time   `json:"revoked_at,omitempty"`
}

// CreateAPIKey issues a key for orgID with perms, which must all be
// permissions the issuing owner's organisation kind can grant.
func (s *Service) CreateAPIKey(ctx context.Context, orgID, name string, perms []Permission) (*APIKey, string, error) {
	p, err := Authorize(ctx, PermAPIKeysManage, orgID)
	if err != nil {
		return nil, "", err
	}
	var kind Kind
	if err := s.db.QueryRow(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind); err != nil {
		return nil, "", problem.NotFoundError()
	}
	var fields []problem.FieldError
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		fields = append(fields, problem.Field("name", i18n.T("名称为 1 到 60 个字符", "Name must be 1 to 60 characters")))
	}
	if len(perms) == 0 {
		fields = append(fields, problem.Field("permissions", i18n.T("至少选择一项权限", "Choose at least one permission")))
	}
	grantable := PermissionsOf(kind, RoleOwner)
	for _, perm := range perms {
		if !slices.Contains(grantable, perm) || perm == PermAPIKeysManage || perm == PermMembersManage {
			fields = append(fields, problem.Field("permissions", i18n.T("不可授予的权限："+string(perm), "Permission not grantable: "+string(perm))))
		}
	}
	if len(fields) > 0 {
		return nil, "", problem.Invalid(fields...)
	}
	token, hash := credential.NewToken(credential.TokenPrefixAPIKey)
	k := &APIKey{ID: id.New(), OrganizationID: orgID, Name: name, Prefix: token[:10], Permissions: perms, CreatedAt: s.clock.Now()}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, organization_id, name, key_hash, key_prefix, permissions, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, orgID, name, hash, k.Prefix, joinPerms(perms), p.AccountID, k.CreatedAt); err != nil {
			return fmt.Errorf("identity: insert api key: %w", err)
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "apikey.create", ObjectType: "api_key", ObjectID: k.ID,
			Details: map[string]any{"organization_id": orgID, "name": name, "permissions": perms}})
	})
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// RevokeAPIKey revokes a key of orgID at once.
func (s *Service) RevokeAPIKey(ctx context.Context, orgID, keyID string) error {
	if _, err := Authorize(ctx, PermAPIKeysManage, orgID); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND organization_id = $3 AND revoked_at IS NULL`, s.clock.Now(), keyID, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.NotFoundError()
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "apikey.revoke", ObjectType: "api_key", ObjectID: keyID,
			Details: map[string]any{"organization_id": orgID}})
	})
}

// ListAPIKeys lists an organisation's keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, orgID string) ([]APIKey, error) {
	if _, err := Authorize(ctx, PermAPIKeysManage, orgID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, organization_id, name, key_prefix, permissions, created_at, last_used_at, revoked_at
		FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []APIKey{}
	for rows.Next() {
		var k APIKey
		var perms string
		var used, revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.OrganizationID, &k.Name, &k.Prefix, &perms, &k.CreatedAt, &used, &revoked); err != nil {
			return nil, err
		}
		k.Permissions = splitPerms(perms)
		if used.Valid {
			k.LastUsedAt = &used.Time
		}
		if revoked.Valid {
			k.RevokedAt = &revoked.Time
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Service) authenticateAPIKey(ctx context.Context, token string) (*Principal, error) {
	var p Principal
	var perms string
	var revoked, expires, used sql.NullTime
	var orgStatus string
	err := s.db.QueryRow(ctx, `SELECT k.id, k.organization_id, o.kind, o.status, k.permissions, k.revoked_at, k.expires_at, k.last_used_at
		FROM api_keys k JOIN organizations o ON o.id = k.organization_id WHERE k.key_hash = $1`, credential.HashToken(token)).
		Scan(&p.APIKeyID, &p.APIKeyOrg, &p.APIKeyKind, &orgStatus, &perms, &revoked, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if revoked.Valid || (expires.Valid && !now.Before(expires.Time)) || orgStatus == "closed" {
		return nil, ErrUnauthenticated
	}
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		if _, err := s.db.WritePool().ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, p.APIKeyID); err != nil {
			return nil, err
		}
	}
	p.SessionKind = "apikey"
	p.APIKeyPerms = splitPerms(perms)
	return &p, nil
}

func joinPerms(ps []Permission) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = string(p)
	}
	return strings.Join(ss, ",")
}

func splitPerms(s string) []Permission {
	var out []Permission
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, Permission(p))
		}
	}
	return out
}

package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gbmall/internal/audit"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// PlatformOrgName is the name of the operator's own organisation.
const PlatformOrgName = "平台运营方 Platform operator"

// EnsurePlatformOrgTx returns the id of the platform organisation,
// creating it on first use. There is exactly one.
func (s *Service) EnsurePlatformOrgTx(ctx context.Context, tx *db.Tx) (string, error) {
	var orgID string
	err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE kind = $1 ORDER BY created_at LIMIT 1`, string(KindPlatform)).Scan(&orgID)
	if err == nil {
		return orgID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return s.CreateOrganizationTx(ctx, tx, KindPlatform, PlatformOrgName, "approved")
}

// CreateOrganizationTx inserts the identity part of an organisation (the
// org package adds its dossier).
func (s *Service) CreateOrganizationTx(ctx context.Context, tx *db.Tx, kind Kind, name, status string) (string, error) {
	if !kind.Valid() {
		return "", problem.Invalid(problem.Field("kind", i18n.T("未知的组织类型", "Unknown organisation kind")))
	}
	orgID := id.New()
	now := s.clock.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, kind, name, status, require_mfa, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, orgID, string(kind), name, status, mfaRequiredKind(kind), now, now); err != nil {
		return "", fmt.Errorf("identity: insert organisation: %w", err)
	}
	return orgID, s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.create", ObjectType: "organization", ObjectID: orgID,
		Details: map[string]any{"kind": kind, "name": name}})
}

// GrantRoleTx gives accountID role in orgID, enforcing the separation of
// the 三员 roles (R-5.2-1) and the confidentiality agreement for roles that
// read personal data (R-5.2-3). agreementBy names who confirmed the
// agreement ("" when none was confirmed).
func (s *Service) GrantRoleTx(ctx context.Context, tx *db.Tx, orgID, accountID string, role Role, agreementBy string) error {
	var kind Kind
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind); err != nil {
		return problem.NotFoundError()
	}
	if !ValidRole(kind, role) {
		return problem.Invalid(problem.Field("role", i18n.T("该组织类型没有此角色："+string(role), "No such role for this organisation kind: "+string(role))))
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND account_id = $2 AND role = $3`,
		orgID, accountID, string(role)).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 {
		return nil // already held: granting again changes nothing
	}
	if kind == KindPlatform && slices.Contains(separatedRoles, role) {
		rows, err := tx.QueryContext(ctx, `SELECT role FROM memberships WHERE organization_id = $1 AND account_id = $2`, orgID, accountID)
		if err != nil {
			return err
		}
		var held []Role
		for rows.Next() {
			var r Role
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			held = append(held, r)
		}
		rows.Close()
		for _, h := range held {
			if h != role && slices.Contains(separatedRoles, h) {
				return problem.Invalid(problem.Field("role", i18n.T(
					"系统管理员、安全管理员和审计员须由不同人员担任（三员分立）",
					"System administrator, security administrator and auditor must be different people (separation of duties)")))
			}
		}
	}
	if NeedsAgreement(kind, role) {
		if agreementBy == "" {
			return problem.Invalid(problem.Field("confidentiality_agreement", i18n.T(
				"授予可查看个人信息的角色前须确认保密协议与培训", "Confirm the confidentiality agreement and training before granting a role that reads personal data")))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_agreements (id, account_id, kind, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5)`,
			id.New(), accountID, "confidentiality", agreementBy, s.clock.Now()); err != nil {
			return err
		}
	}
	a := audit.ActorFrom(ctx)
	s.forgetHeldAfter(tx)
	if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (organization_id, account_id, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (organization_id, account_id, role) DO NOTHING`, orgID, accountID, string(role), s.clock.Now(), a.AccountID); err != nil {
		return fmt.Errorf("identity: grant role: %w", err)
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "membership.grant", ObjectType: "organization", ObjectID: orgID,
		Details: map[string]any{"account_id": accountID, "role": role}})
}

// RevokeRoleTx removes a role; with no role left the account leaves the
// organisation, and access ends at once because memberships are read on
// every request (R-6.2-1). A staff account leaving the platform also loses
// its sessions (R-5.2-2).
func (s *Service) RevokeRoleTx(ctx context.Context, tx *db.Tx, orgID, accountID string, role Role) error {
	s.forgetHeldAfter(tx)
	res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND account_id = $2 AND role = $3`, orgID, accountID, string(role))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return problem.NotFoundError()
	}
	var kind Kind
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind); err != nil {
		return err
	}
	if staffKind(kind) {
		if err := s.RevokeAllSessionsTx(ctx, tx, accountID, "role_revoked"); err != nil {
			return err
		}
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "membership.revoke", ObjectType: "organization", ObjectID: orgID,
		Details: map[string]any{"account_id": accountID, "role": role}})
}

// Operator is the result of creating a platform staff account.
type Operator struct {
	AccountID  string
	TOTPSecret string
	Created    bool
}

// CreateOperator creates (or, with reuse, finds) a platform staff account
// with roles, enrolled in TOTP at once — the bootstrap path of `gbmall
// operator create` and of the demo. confirmedBy records who confirmed the
// confidentiality agreement for roles that read personal data.
func (s *Service) CreateOperator(ctx context.Context, login, password, displayName string, roles []Role, confirmedBy string, reuse bool) (*Operator, error) {
	norm, kind, err := credential.NormalizeLogin(login)
	if err != nil {
		return nil, problem.Invalid(problem.Field("login", i18n.T("请输入有效的邮箱或手机号", "Enter a valid email address or mobile number")))
	}
	if len(roles) == 0 {
		return nil, problem.Invalid(problem.Field("role", i18n.T("至少指定一个平台角色", "Give at least one platform role")))
	}
	if msgs := credential.CheckPassword(password, norm); len(msgs) > 0 {
		fields := make([]problem.FieldError, len(msgs))
		for i, m := range msgs {
			fields[i] = problem.Field("password", m)
		}
		return nil, problem.Invalid(fields...)
	}
	if displayName == "" {
		displayName = strings.SplitN(norm, "@", 2)[0]
	}
	out := &Operator{}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		orgID, err := s.EnsurePlatformOrgTx(ctx, tx)
		if err != nil {
			return err
		}
		a, err := s.scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE login_hash = $1`, s.loginHash(norm)))
		switch {
		case err == nil && reuse:
			out.AccountID = a.ID
			if a.totpEnc.Valid && a.TOTPEnabled {
				if out.TOTPSecret, err = s.keys.Decrypt(a.totpEnc.String, "accounts.totp|"+a.ID); err != nil {
					return err
				}
			}
		case err == nil:
			return ErrLoginTaken
		case problem.CodeOf(err) == problem.NotFound:
			a, err = s.createAccountTx(ctx, tx, norm, kind, displayName, password)
			if err != nil {
				return err
			}
			out.AccountID, out.Created = a.ID, true
		default:
			return err
		}
		for _, r := range roles {
			if err := s.GrantRoleTx(ctx, tx, orgID, out.AccountID, r, confirmedBy); err != nil {
				return err
			}
		}
		if out.TOTPSecret == "" {
			secret, _, err := credential.NewTOTPSecret(credential.TOTPIssuer, norm)
			if err != nil {
				return err
			}
			enc, err := s.keys.Encrypt(secret, "accounts.totp|"+out.AccountID)
			if err != nil {
				return err
			}
			s.forgetHeldAfter(tx)
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET totp_secret_enc = $1, totp_enabled = $2 WHERE id = $3`, enc, true, out.AccountID); err != nil {
				return err
			}
			out.TOTPSecret = secret
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "operator.create", ObjectType: "account", ObjectID: out.AccountID,
			Details: map[string]any{"roles": roles, "confirmed_by": confirmedBy}})
	})
	return out, err
}

// EnsureAccount finds or creates an account (demo data and tests).
func (s *Service) EnsureAccount(ctx context.Context, login, password, displayName string) (string, bool, error) {
	norm, kind, err := credential.NormalizeLogin(login)
	if err != nil {
		return "", false, err
	}
	var accountID string
	created := false
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE login_hash = $1`, s.loginHash(norm)).Scan(&accountID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		a, err := s.createAccountTx(ctx, tx, norm, kind, displayName, password)
		if err != nil {
			return err
		}
		accountID, created = a.ID, true
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "account.create", ObjectType: "account", ObjectID: a.ID})
	})
	return accountID, created, err
}

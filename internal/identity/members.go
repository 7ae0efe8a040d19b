package identity

import (
	"context"
	"slices"
	"time"

	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Member is an account's standing in an organisation, as its managers see
// it: the login is masked.
type Member struct {
	AccountID   string    `json:"account_id"`
	DisplayName string    `json:"display_name"`
	Login       string    `json:"login" doc:"masked"`
	Roles       []Role    `json:"roles"`
	Since       time.Time `json:"since"`
}

// Members lists an organisation's members (members and platform staff).
func (s *Service) Members(ctx context.Context, orgID string) ([]Member, error) {
	if _, err := Authorize(ctx, PermOrgRead, orgID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT m.account_id, m.role, m.created_at, `+prefixed("a.", accountCols)+`
		FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.organization_id = $1 ORDER BY m.created_at, m.role`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Member{}
	index := map[string]int{}
	for rows.Next() {
		var accountID string
		var role Role
		var since time.Time
		var a *Account
		a, err = s.scanAccount(scanPrefix{rows, []any{&accountID, &role, &since}})
		if err != nil {
			return nil, err
		}
		if i, ok := index[accountID]; ok {
			out[i].Roles = append(out[i].Roles, role)
			continue
		}
		index[accountID] = len(out)
		out = append(out, Member{AccountID: accountID, DisplayName: a.DisplayName, Login: a.MaskedLogin(), Roles: []Role{role}, Since: since})
	}
	return out, rows.Err()
}

type scanPrefix struct {
	rows interface{ Scan(...any) error }
	pre  []any
}

func (p scanPrefix) Scan(dest ...any) error { return p.rows.Scan(append(p.pre, dest...)...) }

func prefixed(prefix, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += prefix + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	cur := ""
	for _, r := range cols {
		switch r {
		case ',':
			out = append(out, cur)
			cur = ""
		case ' ', '\n', '\t':
		default:
			cur += string(r)
		}
	}
	return append(out, cur)
}

// AddMember invites an existing account, by its login, into orgID with
// role (R-6.2-1). confirmedAgreement records, for platform roles that read
// personal data, that the inviter confirmed the confidentiality agreement.
func (s *Service) AddMember(ctx context.Context, orgID, login string, role Role, confirmedAgreement bool) (*Member, error) {
	p, err := Authorize(ctx, PermMembersManage, orgID)
	if err != nil {
		return nil, err
	}
	norm, _, err := credential.NormalizeLogin(login)
	if err != nil {
		return nil, problem.Invalid(problem.Field("login", i18n.T("请输入有效的邮箱或手机号", "Enter a valid email address or mobile number")))
	}
	a, err := s.accountByLogin(ctx, norm)
	if err != nil {
		if problem.CodeOf(err) == problem.NotFound {
			return nil, problem.Invalid(problem.Field("login", i18n.T("找不到该账号：请对方先注册", "No account with this login: ask them to sign up first")))
		}
		return nil, err
	}
	agreement := ""
	if confirmedAgreement {
		agreement = p.ActorID()
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.GrantRoleTx(ctx, tx, orgID, a.ID, role, agreement)
	})
	if err != nil {
		return nil, err
	}
	ms, err := s.Members(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.AccountID == a.ID {
			return &m, nil
		}
	}
	return nil, problem.NotFoundError()
}

// RemoveMember takes role (or every role, when role is empty) away from an
// account; the last owner cannot be removed. Access ends at once.
func (s *Service) RemoveMember(ctx context.Context, orgID, accountID string, role Role) error {
	if _, err := Authorize(ctx, PermMembersManage, orgID); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
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
		if len(held) == 0 || role != "" && !slices.Contains(held, role) {
			return problem.NotFoundError()
		}
		remove := held
		if role != "" {
			remove = []Role{role}
		}
		if slices.Contains(remove, RoleOwner) {
			var owners int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2`, orgID, string(RoleOwner)).Scan(&owners); err != nil {
				return err
			}
			if owners <= 1 {
				return problem.New(problem.Conflict, i18n.T("不能移除最后一位负责人", "The last owner cannot be removed"))
			}
		}
		for _, r := range remove {
			if err := s.RevokeRoleTx(ctx, tx, orgID, accountID, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetRequireMFA lets an organisation require a second factor of its own
// staff (R-10.4-4; off by default for sellers, carriers and payment
// providers, always on for the platform and regulators).
func (s *Service) SetRequireMFA(ctx context.Context, orgID string, require bool) error {
	if _, err := Authorize(ctx, PermOrgManage, orgID); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var kind Kind
		if err := tx.QueryRowContext(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind); err != nil {
			return problem.NotFoundError()
		}
		if mfaRequiredKind(kind) && !require {
			return problem.Invalid(problem.Field("require_mfa", i18n.T("平台与监管机构账号必须使用动态验证码", "Platform and regulator accounts must use a second factor")))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET require_mfa = $1, updated_at = $2 WHERE id = $3`, require, s.clock.Now(), orgID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, auditEvent("organization.require_mfa", orgID, map[string]any{"require_mfa": require}))
	})
}

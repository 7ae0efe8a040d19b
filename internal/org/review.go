package org

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// ReverifyEvery is how often an approved organisation must re-confirm its
// registration data, and ReverifyGrace how long after that it is suspended
// when it has not (R-5.4-4).
const (
	ReverifyEvery = 6 // months
	ReverifyGrace = 30 * 24 * time.Hour
)

func needReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 2 || utf8.RuneCountInString(reason) > 500 {
		return "", problem.Invalid(problem.Field("reason", i18n.T("请填写理由（2 到 500 个字符）", "Give a reason (2 to 500 characters)")))
	}
	return reason, nil
}

// reviewer checks that the caller may review orgID: a platform reviewer
// who is not a member of it.
func reviewer(ctx context.Context, orgID string) (*identity.Principal, error) {
	p, err := identity.Authorize(ctx, identity.PermReviewOrgs, orgID)
	if err != nil {
		return nil, err
	}
	if p.IsMember(orgID) {
		return nil, ErrOwnOrganization
	}
	return p, nil
}

// Decide approves or rejects an organisation pending review (R-5.4-1,
// R-5.4-3). Rejection needs a reason. Approval approves the pending
// licences, files the organisation in the register and starts its
// re-verification clock.
func (s *Service) Decide(ctx context.Context, orgID, decision, reason string) (*Organization, error) {
	if _, err := reviewer(ctx, orgID); err != nil {
		return nil, err
	}
	if decision != "approve" && decision != "reject" {
		return nil, problem.Invalid(problem.Field("decision", i18n.T("应为 approve 或 reject", "Must be approve or reject")))
	}
	if decision == "reject" {
		var err error
		if reason, err = needReason(reason); err != nil {
			return nil, err
		}
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if o.Status != StatusPendingReview {
			return errInvalidTransition(o.Status, "审核")
		}
		now := s.clock.Now()
		p := identity.PrincipalFrom(ctx)
		if decision == "reject" {
			if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
				string(StatusRejected), reason, now, orgID); err != nil {
				return err
			}
			if err := s.noticeTx(ctx, tx, orgID, "review.rejected", "入驻审核未通过："+reason+"。请修改后重新提交。", "Your application was rejected: "+reason+". Correct it and resubmit."); err != nil {
				return err
			}
			if err := s.historyTx(ctx, tx, o, "reject", o.Status, StatusRejected, reason); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.reject", ObjectType: "organization", ObjectID: orgID,
				Details: map[string]any{"reason": reason, "dossier_version": o.DossierVersion}})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE qualifications SET review_status = 'approved', reviewed_at = $1, reviewed_by = $2
			WHERE organization_id = $3 AND review_status = 'pending'`, now, p.ActorID(), orgID); err != nil {
			return err
		}
		missing, err := s.missingRequired(ctx, tx, o, "approved")
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return problem.New(problem.QualificationMissing, i18n.T("缺少必需的资质："+strings.Join(missing, "、"), "Required qualifications missing: "+strings.Join(missing, ", ")))
		}
		due := now.AddDate(0, ReverifyEvery, 0)
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = $1, status_reason = '', approved_at = $2, reverify_due_at = $3,
			reverify_notified_at = NULL, updated_at = $2 WHERE id = $4`, string(StatusApproved), now, due, orgID); err != nil {
			return err
		}
		number, err := s.fileTx(ctx, tx, o)
		if err != nil {
			return err
		}
		if err := s.noticeTx(ctx, tx, orgID, "review.approved", "入驻审核已通过，备案号 "+number+"。", "Your application was approved; filing number "+number+"."); err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "approve", o.Status, StatusApproved, ""); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.approve", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"filing_number": number, "dossier_version": o.DossierVersion}})
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

var kindLetter = map[identity.Kind]string{identity.KindSeller: "S", identity.KindCarrier: "C", identity.KindPaymentProvider: "P"}

// fileTx creates the filing entry (备案) of an approval with a register
// number GBM-<kind>-<year>-<serial>, serial per year (R-5.4-2).
func (s *Service) fileTx(ctx context.Context, tx *db.Tx, o *row) (string, error) {
	now := s.clock.Now()
	year := now.In(shanghai()).Year()
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO filing_counters (year, n) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET n = filing_counters.n + 1 RETURNING n`, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("org: filing number: %w", err)
	}
	number := fmt.Sprintf("GBM-%s-%d-%06d", kindLetter[o.Kind], year, n)
	quals, err := s.qualifications(ctx, tx, o.ID)
	if err != nil {
		return "", err
	}
	type lic struct{ Type, Number, ValidUntil string }
	var lics []lic
	for _, q := range quals {
		if q.ReviewStatus == "approved" {
			lics = append(lics, lic{q.Type, q.Number, q.ValidUntil})
		}
	}
	b, _ := json.Marshal(lics)
	_, err = tx.ExecContext(ctx, `INSERT INTO filings (id, register_number, organization_id, kind, name, uscc, qualifications, filed_at, filed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id.New(), number, o.ID, string(o.Kind), o.Name, o.USCC, string(b), now,
		identity.PrincipalFrom(ctx).ActorID())
	return number, err
}

// Suspend takes an approved organisation off trading, with a reason.
func (s *Service) Suspend(ctx context.Context, orgID, reason string) (*Organization, error) {
	if _, err := reviewer(ctx, orgID); err != nil {
		return nil, err
	}
	reason, err := needReason(reason)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, orgID, "suspend", StatusSuspended, reason, StatusApproved)
}

// Lift ends a suspension.
func (s *Service) Lift(ctx context.Context, orgID, reason string) (*Organization, error) {
	if _, err := reviewer(ctx, orgID); err != nil {
		return nil, err
	}
	return s.transition(ctx, orgID, "lift", StatusApproved, strings.TrimSpace(reason), StatusSuspended)
}

// Close ends an organisation's time on the platform, by the platform (with
// a reason) or by its owner. Its records are kept (R-5.4-5).
func (s *Service) Close(ctx context.Context, orgID, reason string) (*Organization, error) {
	p := identity.PrincipalFrom(ctx)
	if p != nil && p.IsMember(orgID) {
		if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
			return nil, err
		}
	} else if _, err := reviewer(ctx, orgID); err != nil {
		return nil, err
	}
	reason, err := needReason(reason)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, orgID, "close", StatusClosed, reason, StatusDraft, StatusRejected, StatusApproved, StatusSuspended)
}

func (s *Service) transition(ctx context.Context, orgID, action string, to Status, reason string, from ...Status) (*Organization, error) {
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.transitionTx(ctx, tx, orgID, action, to, reason, from...)
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

func (s *Service) transitionTx(ctx context.Context, tx *db.Tx, orgID, action string, to Status, reason string, from ...Status) error {
	o, err := s.loadForUpdate(ctx, tx, orgID)
	if err != nil {
		return err
	}
	ok := false
	for _, f := range from {
		ok = ok || o.Status == f
	}
	if !ok {
		return errInvalidTransition(o.Status, action)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4`,
		string(to), reason, s.clock.Now(), orgID); err != nil {
		return err
	}
	zh := map[string]string{"suspend": "已被暂停经营", "lift": "已恢复经营", "close": "已关闭"}[action]
	en := map[string]string{"suspend": "has been suspended", "lift": "may trade again", "close": "has been closed"}[action]
	if zh == "" {
		zh, en = "状态已变更", "status changed"
	}
	if err := s.noticeTx(ctx, tx, orgID, "status."+action, "您的组织"+zh+suffix(reason, "：", "。"), "Your organisation "+en+suffix(reason, ": ", ".")); err != nil {
		return err
	}
	if err := s.historyTx(ctx, tx, o, action, o.Status, to, reason); err != nil {
		return err
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization." + action, ObjectType: "organization", ObjectID: orgID,
		Details: map[string]any{"from": o.Status, "to": to, "reason": reason}})
}

func suffix(reason, sep, end string) string {
	if reason == "" {
		return end
	}
	return sep + reason + end
}

// DecideQualification approves or rejects a licence added after the
// organisation's approval; until approved it does not count (R-6.1-1).
func (s *Service) DecideQualification(ctx context.Context, qualID, decision, reason string) (*Qualification, error) {
	var orgID string
	if err := s.db.QueryRow(ctx, `SELECT organization_id FROM qualifications WHERE id = $1`, qualID).Scan(&orgID); err != nil {
		return nil, problem.NotFoundError()
	}
	p, err := reviewer(ctx, orgID)
	if err != nil {
		return nil, err
	}
	status := map[string]string{"approve": "approved", "reject": "rejected"}[decision]
	if status == "" {
		return nil, problem.Invalid(problem.Field("decision", i18n.T("应为 approve 或 reject", "Must be approve or reject")))
	}
	if decision == "reject" {
		if reason, err = needReason(reason); err != nil {
			return nil, err
		}
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE qualifications SET review_status = $1, review_reason = $2, reviewed_at = $3, reviewed_by = $4
			WHERE id = $5 AND review_status = 'pending'`, status, reason, s.clock.Now(), p.ActorID(), qualID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.InvalidTransition, i18n.T("该资质不在待审核状态", "This qualification is not pending review"))
		}
		o, err := s.load(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "qualification."+decision, o.Status, o.Status, reason); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "qualification." + decision, ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"qualification_id": qualID, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	quals, err := s.qualifications(ctx, s.db.Reader(ctx), orgID)
	if err != nil {
		return nil, err
	}
	for _, q := range quals {
		if q.ID == qualID {
			return &q, nil
		}
	}
	return nil, problem.NotFoundError()
}

// Reconfirm records that the owner re-confirmed the registration data,
// restarting the six-month re-verification clock (R-5.4-4).
func (s *Service) Reconfirm(ctx context.Context, orgID string) (*Organization, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if o.Status != StatusApproved && o.Status != StatusSuspended {
			return errInvalidTransition(o.Status, "确认登记信息")
		}
		due := s.clock.Now().AddDate(0, ReverifyEvery, 0)
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET reverify_due_at = $1, reverify_notified_at = NULL WHERE id = $2`, due, orgID); err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "reconfirm", o.Status, o.Status, ""); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.reconfirm", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"next_due": due}})
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

// AnnounceCessation records the date the organisation stops trading; it is
// shown on the public page and must be at least 30 days away (E-Commerce
// Law art. 16; R-5.1-3).
func (s *Service) AnnounceCessation(ctx context.Context, orgID, effectiveOn string) (*Organization, error) {
	if _, err := identity.Authorize(ctx, identity.PermOrgManage, orgID); err != nil {
		return nil, err
	}
	day, ok := parseDay(effectiveOn)
	today, _ := time.Parse(time.DateOnly, Today(s.clock.Now()))
	if !ok {
		return nil, problem.Invalid(problem.Field("effective_on", i18n.T("日期格式应为 YYYY-MM-DD", "Date must be YYYY-MM-DD")))
	}
	if day.Sub(today) < 30*24*time.Hour {
		return nil, problem.Invalid(problem.Field("effective_on", i18n.T("停止经营日期须在至少 30 天之后公示", "The cessation date must be at least 30 days away")))
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		o, err := s.loadForUpdate(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if o.Status != StatusApproved && o.Status != StatusSuspended {
			return errInvalidTransition(o.Status, "公示停止经营")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET cessation_on = $1, cessation_announced_at = $2 WHERE id = $3`,
			day.Format(time.DateOnly), s.clock.Now(), orgID); err != nil {
			return err
		}
		if err := s.historyTx(ctx, tx, o, "cessation.announce", o.Status, o.Status, day.Format(time.DateOnly)); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.cessation", ObjectType: "organization", ObjectID: orgID,
			Details: map[string]any{"effective_on": day.Format(time.DateOnly)}})
	})
	if err != nil {
		return nil, err
	}
	return s.viewByID(ctx, orgID)
}

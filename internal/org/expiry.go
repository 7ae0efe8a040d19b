package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// WarnDays are the days before expiry at which an organisation is warned
// (R-5.1-2, R-6.1-1).
var WarnDays = []int{90, 30, 7}

// ReasonReverifyOverdue is the status reason of an organisation suspended
// for not re-confirming its data in time (R-5.4-4).
const ReasonReverifyOverdue = "reverification_overdue"

// ErrCannotTrade is answered when an organisation may not trade now.
var ErrCannotTrade = problem.New(problem.QualificationMissing, i18n.T("该经营者目前不具备经营资格", "This organisation is not qualified to trade now"))

// CanTrade reports whether organisation orgID may trade on day now: it is
// approved and holds, in force, every qualification its kind requires. A
// licence that lapses stops trading at once — this reads the dates on
// every call, without waiting for the daily job (R-6.1-1, R-7.1-1, R-8.1-1).
func (s *Service) CanTrade(ctx context.Context, orgID string, now time.Time) error {
	var blockers int
	err := s.db.QueryRow(ctx, `SELECT `+s.TradeBlockersSQL("o.id", 2)+` FROM organizations o WHERE o.id = $1`, orgID, Today(now)).Scan(&blockers)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.NotFoundError()
	}
	if err != nil {
		return err
	}
	if blockers > 0 {
		return ErrCannotTrade
	}
	return nil
}

// TradeBlockersSQL is CanTrade's rule as a SQL expression, for queries that
// need it beside other data in one round trip (placing an order): the
// number of reasons the organisation whose id is orgCol may not trade on
// day $dayParam (YYYY-MM-DD, Beijing) — 1 if it is not approved, plus one
// per qualification its kind requires that is not in force. Zero means it
// may trade.
func (s *Service) TradeBlockersSQL(orgCol string, dayParam int) string {
	d := fmt.Sprintf("$%d", dayParam)
	return `((SELECT CASE WHEN ob.status = 'approved' THEN 0 ELSE 1 END FROM organizations ob WHERE ob.id = ` + orgCol + `)
		+ (SELECT count(*) FROM qualification_requirements r JOIN organizations ok ON ok.kind = r.org_kind
		WHERE ok.id = ` + orgCol + ` AND r.required = TRUE AND NOT EXISTS (
			SELECT 1 FROM qualifications q WHERE q.organization_id = ok.id AND q.type_code = r.code
			AND q.review_status = 'approved' AND q.valid_from <= ` + d + ` AND q.valid_until >= ` + d + `)))`
}

// HasQualification reports whether orgID holds an approved licence of type
// code in force on day now (used by the catalogue for categories that
// need more than the business licence, R-5.4-8).
func (s *Service) HasQualification(ctx context.Context, orgID, code string, now time.Time) (bool, error) {
	var n int
	day := Today(now)
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM qualifications WHERE organization_id = $1 AND type_code = $2
		AND review_status = 'approved' AND valid_from <= $3 AND valid_until >= $3`, orgID, code, day).Scan(&n)
	return n > 0, err
}

// DailyCheck is the daily job: it warns organisations 90, 30 and 7 days
// before a licence expires and on expiry, asks approved organisations to
// re-confirm their data when due, suspends those 30 days overdue, and
// closes organisations whose announced cessation date has come.
func (s *Service) DailyCheck(ctx context.Context, now time.Time) error {
	if err := s.warnExpiries(ctx, now); err != nil {
		return err
	}
	if err := s.reverify(ctx, now); err != nil {
		return err
	}
	return s.ceaseDue(ctx, now)
}

func (s *Service) warnExpiries(ctx context.Context, now time.Time) error {
	today := Today(now)
	horizon := now.In(shanghai()).AddDate(0, 0, WarnDays[0]).Format(time.DateOnly)
	rows, err := s.db.Query(ctx, `SELECT q.id, q.organization_id, q.type_code, t.name_zh, t.name_en, q.number, q.valid_until
		FROM qualifications q JOIN qualification_types t ON t.code = q.type_code
		JOIN organizations o ON o.id = q.organization_id
		WHERE q.review_status = 'approved' AND q.valid_until <= $1 AND o.status IN ('approved', 'suspended')`, horizon)
	if err != nil {
		return fmt.Errorf("org: expiring qualifications: %w", err)
	}
	type due struct{ id, org, code, zh, en, number, until string }
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.org, &d.code, &d.zh, &d.en, &d.number, &d.until); err != nil {
			rows.Close()
			return err
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	todayT, _ := time.Parse(time.DateOnly, today)
	for _, d := range dues {
		untilT, _ := time.Parse(time.DateOnly, d.until)
		left := int(untilT.Sub(todayT).Hours() / 24)
		threshold := -1 // expired
		if left >= 0 {
			for _, w := range WarnDays {
				if left <= w {
					threshold = w
				}
			}
		}
		err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			days := threshold
			if days < 0 {
				days = 0
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO qualification_warnings (qualification_id, days_before, sent_at) VALUES ($1, $2, $3)
				ON CONFLICT (qualification_id, days_before) DO NOTHING`, d.id, days, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // already warned at this threshold
			}
			var zh, en string
			if threshold < 0 {
				zh = fmt.Sprintf("您的%s（%s）已于 %s 到期，依赖该资质的经营已暂停，请尽快上传新证照并提交审核。", d.zh, d.number, d.until)
				en = fmt.Sprintf("Your %s (%s) expired on %s; what depends on it is stopped until a new one is approved.", d.en, d.number, d.until)
			} else {
				zh = fmt.Sprintf("您的%s（%s）将于 %s 到期（剩余 %d 天），请及时续期并上传新证照。", d.zh, d.number, d.until, left)
				en = fmt.Sprintf("Your %s (%s) expires on %s (%d days left); renew it and upload the new one in time.", d.en, d.number, d.until, left)
			}
			if err := s.noticeTx(ctx, tx, d.org, "qualification.expiry", zh, en); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "qualification.expiry_notice", ObjectType: "organization", ObjectID: d.org,
				Details: map[string]any{"qualification_id": d.id, "type": d.code, "valid_until": d.until, "days_left": left}})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) reverify(ctx context.Context, now time.Time) error {
	rows, err := s.db.Query(ctx, `SELECT id, reverify_due_at, reverify_notified_at FROM organizations
		WHERE status = 'approved' AND reverify_due_at <= $1`, now)
	if err != nil {
		return err
	}
	type due struct {
		id       string
		at       time.Time
		notified sql.NullTime
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.at, &d.notified); err != nil {
			rows.Close()
			return err
		}
		dues = append(dues, d)
	}
	rows.Close()
	sysCtx := identity.WithPrincipal(audit.WithActor(ctx, audit.System), nil)
	for _, d := range dues {
		err := s.db.InTx(sysCtx, func(ctx context.Context, tx *db.Tx) error {
			if now.Sub(d.at) >= ReverifyGrace {
				return s.transitionTx(ctx, tx, d.id, "suspend", StatusSuspended, ReasonReverifyOverdue, StatusApproved)
			}
			if d.notified.Valid {
				return nil
			}
			if _, err := tx.ExecContext(ctx, `UPDATE organizations SET reverify_notified_at = $1 WHERE id = $2`, now, d.id); err != nil {
				return err
			}
			if err := s.noticeTx(ctx, tx, d.id, "reverify.due", "请在 30 天内核对并确认您的登记信息，逾期将暂停经营。",
				"Please review and re-confirm your registration data within 30 days, or trading will be suspended."); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "organization.reverify_due", ObjectType: "organization", ObjectID: d.id})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) ceaseDue(ctx context.Context, now time.Time) error {
	rows, err := s.db.Query(ctx, `SELECT id FROM organizations WHERE cessation_on <> '' AND cessation_on <= $1 AND status IN ('approved', 'suspended')`, Today(now))
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	sysCtx := audit.WithActor(ctx, audit.System)
	for _, id := range ids {
		if err := s.db.InTx(sysCtx, func(ctx context.Context, tx *db.Tx) error {
			return s.transitionTx(ctx, tx, id, "close", StatusClosed, "cessation", StatusApproved, StatusSuspended)
		}); err != nil {
			return err
		}
	}
	return nil
}

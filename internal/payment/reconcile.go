package payment

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Reconciliation exception kinds (R-8.2-6).
const (
	ExMissingOnPlatform = "missing_on_platform"
	ExMissingAtProvider = "missing_at_provider"
	ExAmountMismatch    = "amount_mismatch"
	ExStatusMismatch    = "status_mismatch"
)

// Report is one provider's reconciliation of one (UTC) day.
type Report struct {
	ID             string      `json:"id"`
	ProviderID     string      `json:"provider_id"`
	ProviderName   string      `json:"provider_name"`
	Day            string      `json:"day" doc:"YYYY-MM-DD, UTC"`
	Status         string      `json:"status" enum:"balanced,exceptions,failed"`
	ProviderRows   int         `json:"provider_rows"`
	PlatformRows   int         `json:"platform_rows"`
	MatchedRows    int         `json:"matched_rows"`
	TradesFen      int64       `json:"trades_fen" doc:"sum of the statement's trade amounts"`
	RefundsFen     int64       `json:"refunds_fen"`
	SettlementsFen int64       `json:"settlements_fen"`
	ExceptionCount int         `json:"exception_count"`
	OpenCount      int         `json:"open_count"`
	Error          string      `json:"error,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	Exceptions     []Exception `json:"exceptions"`
}

// Exception is one difference between the statement and the platform's
// records, resolved by a platform admin with a note.
type Exception struct {
	ID             string     `json:"id"`
	ReportID       string     `json:"report_id"`
	Kind           string     `json:"kind" enum:"missing_on_platform,missing_at_provider,amount_mismatch,status_mismatch"`
	RecordKind     string     `json:"record_kind" enum:"trade,refund,settlement"`
	OutNo          string     `json:"out_no"`
	ProviderNo     string     `json:"provider_no,omitempty"`
	PlatformAmount *int64     `json:"platform_amount,omitempty"`
	ProviderAmount *int64     `json:"provider_amount,omitempty"`
	PlatformStatus string     `json:"platform_status,omitempty"`
	ProviderStatus string     `json:"provider_status,omitempty"`
	Status         string     `json:"status" enum:"open,resolved"`
	Note           string     `json:"note,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
}

// platformRecord is the platform's side of one statement row.
type platformRecord struct {
	kind, outNo, no, status string
	amount                  int64
}

// tradeStatus maps a payment's status to the provider's trade status.
func tradeStatus(st string) string {
	switch st {
	case StatusSucceeded, StatusRefunded, StatusPartiallyRefunded:
		return payproto.TradeSucceeded
	case StatusFailed:
		return payproto.TradeClosed
	}
	return payproto.TradePending
}

// ReconcileYesterday reconciles the previous UTC day with every provider
// that has a channel (a periodic job, R-8.2-6). A provider whose licence
// lapsed is still reconciled: its refunds go on.
func (s *Service) ReconcileYesterday(ctx context.Context, now time.Time) error {
	day := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	ids, err := db.Strings(ctx, s.db.Reader(ctx), `SELECT organization_id FROM payment_channels ORDER BY organization_id`)
	if err != nil {
		return err
	}
	var errs []error
	for _, pid := range ids {
		if _, err := s.Reconcile(ctx, pid, day); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Reconcile fetches provider providerID's statement of day (UTC) and
// compares it with the platform's trades, refunds and settlements of that
// day, recording each difference as an exception. A day already reconciled
// is answered as it is; a failed one is tried again.
func (s *Service) Reconcile(ctx context.Context, providerID string, day time.Time) (*Report, error) {
	ctx = systemCtx(ctx)
	day = day.UTC().Truncate(24 * time.Hour)
	dayText := day.Format(time.DateOnly)
	if _, err := s.baseURL(ctx, providerID); err != nil {
		return nil, problem.NotFoundError()
	}
	var existing, status string
	err := s.db.QueryRow(ctx, `SELECT id, status FROM reconciliation_reports WHERE provider_id = $1 AND day = $2`, providerID, dayText).Scan(&existing, &status)
	if err == nil && status != "failed" {
		return s.report(ctx, existing)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var raw []byte
	callErr := s.call(ctx, providerID, "", "statement:"+dayText, "GET", "/v1/statements/"+dayText, nil, &raw)
	var rows []payproto.StatementRow
	if callErr == nil {
		rows, callErr = payproto.ParseStatement(bytes.NewReader(raw))
	}
	now := s.clock.Now().UTC()
	if callErr != nil {
		s.log.Warn("payment: statement not fetched", "provider_id", providerID, "day", dayText, "err", errorText(callErr))
		rid := existing
		err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if rid == "" {
				rid = id.New()
				_, err := tx.ExecContext(ctx, `INSERT INTO reconciliation_reports (id, provider_id, day, status, error, created_at, updated_at) VALUES ($1, $2, $3, 'failed', $4, $5, $6)`,
					rid, providerID, dayText, errorText(callErr), now, now)
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE reconciliation_reports SET error = $1, updated_at = $2 WHERE id = $3`, errorText(callErr), now, rid)
			return err
		})
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("payment: statement %s of %s: %w", dayText, providerID, callErr)
	}
	platform, err := s.platformRecords(ctx, providerID, day)
	if err != nil {
		return nil, err
	}
	var exs []Exception
	rep := Report{ProviderID: providerID, Day: dayText, ProviderRows: len(rows), PlatformRows: len(platform)}
	seen := map[string]bool{}
	for _, r := range rows {
		switch r.Kind {
		case payproto.KindTrade:
			rep.TradesFen += r.Amount
		case payproto.KindRefund:
			rep.RefundsFen += r.Amount
		case payproto.KindSettlement:
			rep.SettlementsFen += r.Amount
		}
		key := r.Kind + "|" + r.OutNo
		seen[key] = true
		p, ok := platform[key]
		if !ok {
			// Not among the platform's records of the day: perhaps of
			// another day (around midnight), else truly missing.
			p2, found, err := s.platformRecordAnyDay(ctx, providerID, r.Kind, r.OutNo)
			if err != nil {
				return nil, err
			}
			if !found {
				a := r.Amount
				exs = append(exs, Exception{Kind: ExMissingOnPlatform, RecordKind: r.Kind, OutNo: r.OutNo, ProviderNo: r.No, ProviderAmount: &a, ProviderStatus: r.Status})
				continue
			}
			p = p2
		}
		pa, ra := p.amount, r.Amount
		switch {
		case p.amount != r.Amount || r.Currency != "CNY":
			exs = append(exs, Exception{Kind: ExAmountMismatch, RecordKind: r.Kind, OutNo: r.OutNo, ProviderNo: r.No, PlatformAmount: &pa, ProviderAmount: &ra,
				PlatformStatus: p.status, ProviderStatus: r.Status})
		case p.status != r.Status:
			exs = append(exs, Exception{Kind: ExStatusMismatch, RecordKind: r.Kind, OutNo: r.OutNo, ProviderNo: r.No, PlatformAmount: &pa, ProviderAmount: &ra,
				PlatformStatus: p.status, ProviderStatus: r.Status})
		default:
			rep.MatchedRows++
		}
	}
	for key, p := range platform {
		if seen[key] {
			continue
		}
		pa := p.amount
		exs = append(exs, Exception{Kind: ExMissingAtProvider, RecordKind: p.kind, OutNo: p.outNo, ProviderNo: p.no, PlatformAmount: &pa, PlatformStatus: p.status})
	}
	rep.ExceptionCount = len(exs)
	rep.Status = "balanced"
	if len(exs) > 0 {
		rep.Status = "exceptions"
	}
	rid := existing
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if rid == "" {
			rid = id.New()
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconciliation_reports (id, provider_id, day, status, provider_rows, platform_rows, matched_rows, trades_fen, refunds_fen,
				settlements_fen, exception_count, error, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12, $13)`,
				rid, providerID, dayText, rep.Status, rep.ProviderRows, rep.PlatformRows, rep.MatchedRows, rep.TradesFen, rep.RefundsFen, rep.SettlementsFen, rep.ExceptionCount, now, now); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE reconciliation_reports SET status = $1, provider_rows = $2, platform_rows = $3, matched_rows = $4, trades_fen = $5, refunds_fen = $6,
				settlements_fen = $7, exception_count = $8, error = '', updated_at = $9 WHERE id = $10`,
			rep.Status, rep.ProviderRows, rep.PlatformRows, rep.MatchedRows, rep.TradesFen, rep.RefundsFen, rep.SettlementsFen, rep.ExceptionCount, now, rid); err != nil {
			return err
		}
		for _, e := range exs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconciliation_exceptions (id, report_id, kind, record_kind, out_no, provider_no, platform_amount, provider_amount,
				platform_status, provider_status, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11)`,
				id.New(), rid, e.Kind, e.RecordKind, e.OutNo, e.ProviderNo, nullInt(e.PlatformAmount), nullInt(e.ProviderAmount), e.PlatformStatus, e.ProviderStatus, now); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.reconcile", ObjectType: "reconciliation_report", ObjectID: rid,
			Details: map[string]any{"provider_id": providerID, "day": dayText, "status": rep.Status, "exceptions": rep.ExceptionCount}})
	})
	if err != nil {
		return nil, err
	}
	if len(exs) > 0 {
		s.log.Warn("payment: reconciliation found differences", "provider_id", providerID, "day", dayText, "exceptions", len(exs))
	}
	return s.report(ctx, rid)
}

func nullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// platformRecords are the platform's trades, refunds and settlements with
// provider providerID that reached the provider on day: keyed by
// kind|out_no.
func (s *Service) platformRecords(ctx context.Context, providerID string, day time.Time) (map[string]platformRecord, error) {
	from, to := day, day.Add(24*time.Hour)
	out := map[string]platformRecord{}
	queries := []struct{ kind, sql string }{
		{payproto.KindTrade, `SELECT id, trade_no, status, amount_fen FROM payments WHERE provider_id = $1 AND submitted_at >= $2 AND submitted_at < $3`},
		{payproto.KindRefund, `SELECT r.id, r.refund_no, r.status, r.amount_fen FROM payment_refunds r JOIN payments p ON p.id = r.payment_id
			WHERE p.provider_id = $1 AND r.submitted_at >= $2 AND r.submitted_at < $3`},
		{payproto.KindSettlement, `SELECT s.id, s.settlement_no, s.status, s.amount_fen FROM payment_settlements s JOIN payments p ON p.id = s.payment_id
			WHERE p.provider_id = $1 AND s.status = 'succeeded' AND s.submitted_at >= $2 AND s.submitted_at < $3`},
	}
	for _, q := range queries {
		rows, err := s.db.Query(ctx, q.sql, providerID, from, to)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r := platformRecord{kind: q.kind}
			if err := rows.Scan(&r.outNo, &r.no, &r.status, &r.amount); err != nil {
				rows.Close()
				return nil, err
			}
			if q.kind == payproto.KindTrade {
				r.status = tradeStatus(r.status)
			}
			out[q.kind+"|"+r.outNo] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) platformRecordAnyDay(ctx context.Context, providerID, kind, outNo string) (platformRecord, bool, error) {
	r := platformRecord{kind: kind, outNo: outNo}
	if !id.Valid(outNo) {
		return r, false, nil
	}
	var q string
	switch kind {
	case payproto.KindTrade:
		q = `SELECT trade_no, status, amount_fen FROM payments WHERE id = $1 AND provider_id = $2`
	case payproto.KindRefund:
		q = `SELECT r.refund_no, r.status, r.amount_fen FROM payment_refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1 AND p.provider_id = $2`
	case payproto.KindSettlement:
		q = `SELECT s.settlement_no, s.status, s.amount_fen FROM payment_settlements s JOIN payments p ON p.id = s.payment_id WHERE s.id = $1 AND p.provider_id = $2`
	default:
		return r, false, nil
	}
	err := s.db.QueryRow(ctx, q, outNo, providerID).Scan(&r.no, &r.status, &r.amount)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	if kind == payproto.KindTrade {
		r.status = tradeStatus(r.status)
	}
	return r, true, nil
}

const reportCols = `r.id, r.provider_id, g.name, r.day, r.status, r.provider_rows, r.platform_rows, r.matched_rows, r.trades_fen, r.refunds_fen, r.settlements_fen,
	r.exception_count, r.error, r.created_at, (SELECT count(*) FROM reconciliation_exceptions e WHERE e.report_id = r.id AND e.status = 'open')`

func scanReport(sc interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	if err := sc.Scan(&r.ID, &r.ProviderID, &r.ProviderName, &r.Day, &r.Status, &r.ProviderRows, &r.PlatformRows, &r.MatchedRows, &r.TradesFen, &r.RefundsFen,
		&r.SettlementsFen, &r.ExceptionCount, &r.Error, &r.CreatedAt, &r.OpenCount); err != nil {
		return nil, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	r.Exceptions = []Exception{}
	return &r, nil
}

func (s *Service) report(ctx context.Context, reportID string) (*Report, error) {
	r, err := scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM reconciliation_reports r JOIN organizations g ON g.id = r.provider_id WHERE r.id = $1`, reportID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.NotFoundError()
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, report_id, kind, record_kind, out_no, provider_no, platform_amount, provider_amount, platform_status, provider_status,
		status, note, resolved_by, resolved_at FROM reconciliation_exceptions WHERE report_id = $1 ORDER BY id`, reportID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e Exception
		var pa, ra sql.NullInt64
		var at sql.NullTime
		if err := rows.Scan(&e.ID, &e.ReportID, &e.Kind, &e.RecordKind, &e.OutNo, &e.ProviderNo, &pa, &ra, &e.PlatformStatus, &e.ProviderStatus,
			&e.Status, &e.Note, &e.ResolvedBy, &at); err != nil {
			return nil, err
		}
		if pa.Valid {
			e.PlatformAmount = &pa.Int64
		}
		if ra.Valid {
			e.ProviderAmount = &ra.Int64
		}
		if at.Valid {
			t := at.Time.UTC()
			e.ResolvedAt = &t
		}
		r.Exceptions = append(r.Exceptions, e)
	}
	return r, rows.Err()
}

// Reports lists reconciliation reports newest day first, each with its
// exceptions (platform admin).
func (s *Service) Reports(ctx context.Context, pg Page) ([]*Report, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, "", err
	}
	after, err := pg.check()
	if err != nil {
		return nil, "", err
	}
	q := `SELECT r.id FROM reconciliation_reports r`
	var args []any
	if after != "" {
		q += ` WHERE r.id < $1`
		args = append(args, after)
	}
	rows, err := s.db.Query(ctx, q+fmt.Sprintf(` ORDER BY r.id DESC LIMIT %d`, pg.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	var ids []string
	for rows.Next() {
		var rid string
		if err := rows.Scan(&rid); err != nil {
			rows.Close()
			return nil, "", err
		}
		ids = append(ids, rid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(ids) > pg.Limit {
		ids = ids[:pg.Limit]
		next = nextCursor(pg.Limit+1, pg.Limit, ids[len(ids)-1])
	}
	out := []*Report{}
	for _, rid := range ids {
		r, err := s.report(ctx, rid)
		if err != nil {
			return nil, "", err
		}
		out = append(out, r)
	}
	return out, next, nil
}

// GetReport returns one report with its exceptions (platform admin).
func (s *Service) GetReport(ctx context.Context, reportID string) (*Report, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, err
	}
	if !id.Valid(reportID) {
		return nil, problem.NotFoundError()
	}
	return s.report(ctx, reportID)
}

// ResolveException closes an exception with a platform admin's note
// (R-8.2-6).
func (s *Service) ResolveException(ctx context.Context, exceptionID, note string) (*Exception, error) {
	p, err := identity.Authorize(ctx, identity.PermPlatformAdmin, "")
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n < 2 || n > 1000 {
		return nil, problem.Invalid(problem.Field("note", i18n.T("请写明处理说明（2–1000 个字）", "Write how it was resolved (2–1000 characters)")))
	}
	if !id.Valid(exceptionID) {
		return nil, problem.NotFoundError()
	}
	var reportID string
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT report_id, status FROM reconciliation_exceptions WHERE id = $1`+lockSuffix(tx), exceptionID).Scan(&reportID, &status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return problem.NotFoundError()
			}
			return err
		}
		if status != "open" {
			return problem.New(problem.InvalidTransition, i18n.T("该差错已处理", "This exception is resolved already"))
		}
		now := s.clock.Now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE reconciliation_exceptions SET status = 'resolved', note = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4`,
			note, p.ActorID(), now, exceptionID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "payment.reconciliation.resolve", ObjectType: "reconciliation_exception", ObjectID: exceptionID,
			Details: map[string]any{"report_id": reportID, "note": note}})
	})
	if err != nil {
		return nil, err
	}
	r, err := s.report(ctx, reportID)
	if err != nil {
		return nil, err
	}
	for _, e := range r.Exceptions {
		if e.ID == exceptionID {
			return &e, nil
		}
	}
	return nil, problem.NotFoundError()
}

// Incidents lists refused and mismatching notifications, newest first
// (platform admin).
func (s *Service) Incidents(ctx context.Context, pg Page) ([]Incident, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, "", err
	}
	after, err := pg.check()
	if err != nil {
		return nil, "", err
	}
	q := `SELECT id, provider_id, kind, detail, payment_id, out_trade_no, event, body, source_ip, created_at FROM payment_incidents`
	var args []any
	if after != "" {
		q += ` WHERE id < $1`
		args = append(args, after)
	}
	rows, err := s.db.Query(ctx, q+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, pg.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		var in Incident
		if err := rows.Scan(&in.ID, &in.ProviderID, &in.Kind, &in.Detail, &in.PaymentID, &in.OutTradeNo, &in.Event, &in.Body, &in.SourceIP, &in.CreatedAt); err != nil {
			return nil, "", err
		}
		in.CreatedAt = in.CreatedAt.UTC()
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > pg.Limit {
		out = out[:pg.Limit]
		next = nextCursor(pg.Limit+1, pg.Limit, out[len(out)-1].ID)
	}
	return out, next, nil
}

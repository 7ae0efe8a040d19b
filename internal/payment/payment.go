// Package payment is the platform side of payments through licensed payment
// providers (GB/T 31524 §6.5 and §8; ../shared/docs/payment-protocol.md):
// providers' channels and keys, payments (one trade each) created when the
// consumer chooses to pay, verification and idempotent processing of the
// providers' signed notifications, the active query of pending trades,
// closing trades of cancelled orders, refunds with their own state machine,
// settlement to sellers after completion, incidents, and the daily
// reconciliation with each provider's statement.
//
// The platform never holds buyers' money nor card data (R-6.5-2, R-8.1-2):
// the consumer pays on the provider's page; the order moves to paid only
// through the order state machine, in the same transaction as the payment
// record (order.Service.FireTx). Calls to a provider are never made inside
// a database transaction: they run in queued jobs or between transactions.
//
// Tables: payment_channels, payment_channel_keys, payments,
// payment_refunds, payment_settlements, payment_instructions,
// payment_nonces, payment_incidents, reconciliation_reports,
// reconciliation_exceptions.
package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/catalog"
	"gbmall/internal/order"
	"gbmall/internal/org"
	"gbmall/internal/payproto"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/jobs"
	"gbmall/internal/platform/problem"
)

// Payment statuses (api-contract.md, GET /api/v1/payments/{id}).
const (
	StatusPending           = "pending"
	StatusSucceeded         = "succeeded"
	StatusFailed            = "failed"
	StatusRefunded          = "refunded"
	StatusPartiallyRefunded = "partially_refunded"
)

// Refund statuses: processing → succeeded | failed (R-6.5-5).
const (
	RefundProcessing = "processing"
	RefundSucceeded  = "succeeded"
	RefundFailed     = "failed"
)

// Settlement statuses.
const (
	SettlementPending   = "pending"
	SettlementSucceeded = "succeeded"
	SettlementFailed    = "failed"
)

// Queued job kinds.
const (
	JobCloseTrade       = "payment.close-trade"
	JobSubmitRefund     = "payment.submit-refund"
	JobSubmitSettlement = "payment.submit-settlement"
)

// KeyRotationGrace is how long a provider's replaced key stays valid.
const KeyRotationGrace = 24 * time.Hour

// QuerySchedule is the active query of a pending trade (R-6.5-5,
// payment-protocol.md): 2, 4, 8 and 16 minutes after creation, then every
// QueryEvery until the trade expires.
var QuerySchedule = []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute}

// QueryEvery is the query interval after QuerySchedule.
const QueryEvery = 30 * time.Minute

// Service is the payments domain.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	trail  *audit.Trail
	orgs   *org.Service
	orders *order.Service
	log    *slog.Logger
	key    *payproto.KeyPair

	// PublicURL is the base of the links handed to providers (notify_url,
	// return_url): serve's --public-url.
	PublicURL string
	// HTTP calls the providers (default: 15 s timeout).
	HTTP *http.Client

	nonces payproto.NonceStore
}

// NewService builds the payments domain. key is the platform's signing key
// (LoadKey).
func NewService(d *db.DB, c clock.Clock, trail *audit.Trail, orgs *org.Service, orders *order.Service, key *payproto.KeyPair, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d, clock: c, trail: trail, orgs: orgs, orders: orders, log: log, key: key,
		HTTP: &http.Client{Timeout: 15 * time.Second}}
	s.nonces = dbNonces{d}
	return s
}

// Wire connects the payments domain to the orders: order detail shows the
// payments, and order transitions close trades, refund and settle.
func (s *Service) Wire() {
	s.orders.Payments = s.RefsFor
	s.orders.OnChange(s.onOrderChange)
}

// RegisterJobs adds the periodic and queued jobs.
func (s *Service) RegisterJobs(sch *jobs.Scheduler) {
	// R-6.5-5: trades still pending are queried with back-off.
	sch.Register(jobs.Periodic{Name: "payment.query-pending", Every: 30 * time.Second, DailyAt: -1, Run: s.QueryPending})
	// R-8.2-6: yesterday's (UTC) statement, at 10:00 Beijing time (02:00 UTC).
	sch.Register(jobs.Periodic{Name: "payment.reconcile", DailyAt: 10, Run: s.ReconcileYesterday})
	// R-6.5-3: nonces are remembered 10 minutes.
	sch.Register(jobs.Periodic{Name: "payment.forget-nonces", Every: 10 * time.Minute, DailyAt: -1, Run: s.ForgetNonces})
	sch.Handle(JobCloseTrade, s.runCloseTrade)
	sch.Handle(JobSubmitRefund, s.runSubmitRefund)
	sch.Handle(JobSubmitSettlement, s.runSubmitSettlement)
}

// KeyEnv is the environment variable that may hold the platform's payment
// signing key (PEM, or base64 of the 32-byte seed).
const KeyEnv = "GBMALL_PAYMENT_KEY"

// LoadKey returns the platform's Ed25519 signing key: from GBMALL_PAYMENT_KEY
// when set, else DATA/payment.key (mode 0600), created on first use. The key
// is never logged.
func LoadKey(dataDir string, getenv func(string) string) (*payproto.KeyPair, error) {
	if v := strings.TrimSpace(getenv(KeyEnv)); v != "" {
		k, err := payproto.ParsePrivateKey([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyEnv, err)
		}
		return k, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	k, _, err := payproto.LoadOrCreateKey(filepath.Join(dataDir, "payment.key"))
	if err != nil {
		return nil, fmt.Errorf("payment key: %w", err)
	}
	return k, nil
}

// PlatformKeys are the platform's published keys (GET /api/v1/payment-keys).
func (s *Service) PlatformKeys() []payproto.PublicKeyInfo {
	return []payproto.PublicKeyInfo{s.key.Info()}
}

// NotifyURL is where provider providerID sends its notifications.
func (s *Service) NotifyURL(providerID string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/api/v1/payment-notifications/" + providerID
}

func money(fen int64) catalog.Money { return catalog.CNY(fen) }

// lockSuffix locks rows read for an update on PostgreSQL; SQLite's single
// writer already excludes others.
func lockSuffix(tx *db.Tx) string {
	if tx.Dialect() == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

var errNotProvider = problem.New(problem.Conflict, i18n.T("该组织不是支付机构", "This organisation is not a payment provider"))

// errorText is an error's text for storage: bounded, never a secret (the
// errors here come from HTTP status lines and problem documents).
func errorText(err error) string {
	if err == nil {
		return ""
	}
	t := err.Error()
	if len(t) > 500 {
		t = t[:500]
	}
	return t
}

func isRemote(err error, status int) bool {
	var re *payproto.RemoteError
	return errors.As(err, &re) && re.Status == status
}

// remoteRefusal reports whether err is a definite refusal by the provider
// (a 4xx other than 401 and 429): retrying the same instruction cannot help.
func remoteRefusal(err error) bool {
	var re *payproto.RemoteError
	return errors.As(err, &re) && re.Status >= 400 && re.Status < 500 && re.Status != 401 && re.Status != 429 && re.Status != 408
}

func systemCtx(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.System)
}

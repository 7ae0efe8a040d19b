package payproto

import "time"

// Trade statuses ("status" of GET /v1/trades/{out_trade_no}).
const (
	TradePending   = "pending"
	TradeSucceeded = "succeeded"
	TradeClosed    = "closed"
)

// Refund statuses.
const (
	RefundProcessing = "processing"
	RefundSucceeded  = "succeeded"
	RefundFailed     = "failed"
)

// SettlementSucceeded is the status of a settlement the provider executed.
const SettlementSucceeded = "succeeded"

// Notification events.
const (
	EventTradeSucceeded  = "trade.succeeded"
	EventTradeClosed     = "trade.closed"
	EventRefundSucceeded = "refund.succeeded"
	EventRefundFailed    = "refund.failed"
)

// CurrencyCNY is the only currency gbmall uses.
const CurrencyCNY = "CNY"

// PublicKeyInfo is one published key: the raw 32-byte Ed25519 public key in
// standard base64.
type PublicKeyInfo struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
}

// KeysResponse is GET /api/v1/payment-keys (the platform's keys) and
// GET {base}/v1/keys (paysim's).
type KeysResponse struct {
	Keys []PublicKeyInfo `json:"keys"`
}

// ChannelRequest is PUT /api/v1/organizations/{id}/payment-channel.
type ChannelRequest struct {
	APIBaseURL string `json:"api_base_url"`
	KeyID      string `json:"key_id"`
	PublicKey  string `json:"public_key"`
}

// ChannelResponse answers ChannelRequest.
type ChannelResponse struct {
	NotifyURL    string          `json:"notify_url"`
	PlatformKeys []PublicKeyInfo `json:"platform_keys"`
}

// CreateTradeRequest is POST {base}/v1/trades. Amount is in fen.
type CreateTradeRequest struct {
	OutTradeNo string    `json:"out_trade_no"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Subject    string    `json:"subject"`
	NotifyURL  string    `json:"notify_url"`
	ReturnURL  string    `json:"return_url"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// CreateTradeResponse answers CreateTradeRequest (201; the same again for a
// repeated out_trade_no).
type CreateTradeResponse struct {
	TradeNo string `json:"trade_no"`
	PayURL  string `json:"pay_url"`
}

// Trade is GET {base}/v1/trades/{out_trade_no}, and the answer of
// POST {base}/v1/trades/{out_trade_no}/close.
type Trade struct {
	TradeNo    string     `json:"trade_no"`
	OutTradeNo string     `json:"out_trade_no"`
	Status     string     `json:"status"`
	Amount     int64      `json:"amount"`
	PaidAt     *time.Time `json:"paid_at,omitempty"`
}

// RefundRequest is POST {base}/v1/refunds.
type RefundRequest struct {
	OutRefundNo string `json:"out_refund_no"`
	OutTradeNo  string `json:"out_trade_no"`
	Amount      int64  `json:"amount"`
	Reason      string `json:"reason"`
}

// RefundResponse answers RefundRequest: 201 with status "processing" (a
// repeated out_refund_no answers the refund's current status).
type RefundResponse struct {
	RefundNo string `json:"refund_no"`
	Status   string `json:"status"`
}

// SettlementRequest is POST {base}/v1/settlements: release Amount to Payee
// (the seller organisation's id); Commission is the platform's share.
type SettlementRequest struct {
	OutSettlementNo string `json:"out_settlement_no"`
	OutTradeNo      string `json:"out_trade_no"`
	Payee           string `json:"payee"`
	Amount          int64  `json:"amount"`
	Commission      int64  `json:"commission"`
}

// SettlementResponse answers SettlementRequest (201).
type SettlementResponse struct {
	SettlementNo string `json:"settlement_no"`
	Status       string `json:"status"`
}

// Notification is POST {notify_url} from the provider.
type Notification struct {
	Event       string    `json:"event"`
	TradeNo     string    `json:"trade_no"`
	OutTradeNo  string    `json:"out_trade_no"`
	RefundNo    string    `json:"refund_no,omitempty"`
	OutRefundNo string    `json:"out_refund_no,omitempty"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	OccurredAt  time.Time `json:"occurred_at"`
}

// NotificationAck is the only answer that stops the provider's retries
// (with status 200).
type NotificationAck struct {
	Result string `json:"result"`
}

// AckSuccess is the value of NotificationAck.Result that acknowledges.
const AckSuccess = "success"

// RetrySchedule is the provider's wait after each failed delivery of a
// notification: 15 s, 1 min, 5 min, 30 min, 2 h, then every 6 h, for as
// long as the next attempt falls within RetryHorizon of the first.
var RetrySchedule = []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// RetryEvery is the wait between attempts after RetrySchedule is used up.
const RetryEvery = 6 * time.Hour

// RetryHorizon is how long after its first attempt a notification is
// still retried.
const RetryHorizon = 24 * time.Hour

// NextRetry returns when to try again after the failed attempt number
// attempt (1 = the first) made at last, for a notification first tried at
// first; ok=false when the provider gives up.
func NextRetry(first, last time.Time, attempt int) (next time.Time, ok bool) {
	if attempt < 1 {
		return first, true
	}
	wait := RetryEvery
	if attempt <= len(RetrySchedule) {
		wait = RetrySchedule[attempt-1]
	}
	next = last.Add(wait)
	if next.Sub(first) > RetryHorizon {
		return time.Time{}, false
	}
	return next, true
}

// SandboxFaults is POST {base}/v1/sandbox/faults (paysim only; unsigned;
// loopback only). Each field present sets that counter; absent fields keep
// theirs. DelayNextSeconds delays the next notification by that many
// seconds.
type SandboxFaults struct {
	DropNext         *int `json:"drop_next,omitempty"`
	DuplicateNext    *int `json:"duplicate_next,omitempty"`
	DelayNextSeconds *int `json:"delay_next_seconds,omitempty"`
	WrongAmountNext  *int `json:"wrong_amount_next,omitempty"`
	WrongKeyNext     *int `json:"wrong_key_next,omitempty"`
}

// FaultState is the answer of the sandbox-fault endpoint: the counters now
// pending.
type FaultState struct {
	DropNext         int `json:"drop_next"`
	DuplicateNext    int `json:"duplicate_next"`
	DelayNextSeconds int `json:"delay_next_seconds"`
	WrongAmountNext  int `json:"wrong_amount_next"`
	WrongKeyNext     int `json:"wrong_key_next"`
}

// Int is a helper for SandboxFaults literals.
func Int(n int) *int { return &n }

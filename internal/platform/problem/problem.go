// Package problem is gbmall's error vocabulary. Domain code returns *Error
// values with a stable Code; the edges (the JSON API and the consoles) turn
// them into RFC 9457 problem+json or a message on the page, in the
// request's language. Anything that is not a *Error is an internal error and
// its text never reaches the client.
package problem

import (
	"errors"
	"fmt"
	"net/http"

	"gbmall/internal/platform/i18n"
)

// TypeBase prefixes every problem type URI; the code is the last segment
// and is stable (api-contract.md, "Problem types that clients rely on").
const TypeBase = "https://gbmall.dev/problems/"

// Code is the stable last segment of a problem type URI.
type Code string

// The codes of api-contract.md, and a few of gbmall's own.
const (
	Validation           Code = "validation"
	Unauthenticated      Code = "unauthenticated"
	MFARequired          Code = "mfa-required"
	MFAEnrolmentRequired Code = "mfa-enrolment-required"
	AccountLocked        Code = "account-locked"
	Forbidden            Code = "forbidden"
	NotFound             Code = "not-found"
	Conflict             Code = "conflict"
	InvalidTransition    Code = "invalid-transition"
	OutOfStock           Code = "out-of-stock"
	QuoteExpired         Code = "quote-expired"
	IdempotencyKeyReused Code = "idempotency-key-reused"
	ProhibitedClaim      Code = "prohibited-claim"
	ReferencePriceHigh   Code = "reference-price-too-high"
	QualificationMissing Code = "qualification-missing"
	BadSignature         Code = "bad-signature"
	AmountMismatch       Code = "amount-mismatch"
	PayloadTooLarge      Code = "payload-too-large"
	UnsupportedMedia     Code = "unsupported-media-type"
	TooManyRequests      Code = "too-many-requests"
	MethodNotAllowed     Code = "method-not-allowed"
	Internal             Code = "internal"
	Unavailable          Code = "unavailable"
)

type codeInfo struct {
	status int
	title  i18n.Text
}

var codes = map[Code]codeInfo{
	Validation:           {http.StatusBadRequest, i18n.T("请求数据无效", "Invalid request")},
	Unauthenticated:      {http.StatusUnauthorized, i18n.T("未登录或登录已失效", "Authentication required")},
	MFARequired:          {http.StatusUnauthorized, i18n.T("需要动态验证码", "Second factor required")},
	MFAEnrolmentRequired: {http.StatusForbidden, i18n.T("请先绑定动态验证码", "Second-factor enrolment required")},
	AccountLocked:        {http.StatusLocked, i18n.T("账户已被临时锁定", "Account temporarily locked")},
	Forbidden:            {http.StatusForbidden, i18n.T("没有权限执行此操作", "Not permitted")},
	NotFound:             {http.StatusNotFound, i18n.T("未找到", "Not found")},
	Conflict:             {http.StatusConflict, i18n.T("与当前状态冲突", "Conflict")},
	InvalidTransition:    {http.StatusConflict, i18n.T("当前状态不允许此操作", "Invalid state transition")},
	OutOfStock:           {http.StatusConflict, i18n.T("库存不足", "Out of stock")},
	QuoteExpired:         {http.StatusConflict, i18n.T("报价已失效，请重新确认订单", "Quote expired")},
	IdempotencyKeyReused: {http.StatusUnprocessableEntity, i18n.T("幂等键已用于其他请求", "Idempotency key reused with another request")},
	ProhibitedClaim:      {http.StatusUnprocessableEntity, i18n.T("含有禁用宣传用语", "Prohibited claim")},
	ReferencePriceHigh:   {http.StatusUnprocessableEntity, i18n.T("划线价高于允许的参考价", "Reference price too high")},
	QualificationMissing: {http.StatusUnprocessableEntity, i18n.T("缺少所需资质", "Qualification missing")},
	BadSignature:         {http.StatusUnauthorized, i18n.T("签名无效", "Bad signature")},
	AmountMismatch:       {http.StatusUnprocessableEntity, i18n.T("金额不一致", "Amount mismatch")},
	PayloadTooLarge:      {http.StatusRequestEntityTooLarge, i18n.T("请求体过大", "Payload too large")},
	UnsupportedMedia:     {http.StatusUnsupportedMediaType, i18n.T("不支持的文件类型", "Unsupported media type")},
	TooManyRequests:      {http.StatusTooManyRequests, i18n.T("请求过于频繁", "Too many requests")},
	MethodNotAllowed:     {http.StatusMethodNotAllowed, i18n.T("不支持的请求方法", "Method not allowed")},
	Internal:             {http.StatusInternalServerError, i18n.T("服务器内部错误", "Internal error")},
	Unavailable:          {http.StatusServiceUnavailable, i18n.T("服务暂不可用", "Service unavailable")},
}

// Status returns the HTTP status of a code.
func (c Code) Status() int {
	if info, ok := codes[c]; ok {
		return info.status
	}
	return http.StatusInternalServerError
}

// Title returns the title of a code.
func (c Code) Title() i18n.Text {
	if info, ok := codes[c]; ok {
		return info.title
	}
	return codes[Internal].title
}

// Type returns the problem type URI of a code.
func (c Code) Type() string { return TypeBase + string(c) }

// FieldError names one invalid input field (a JSON path such as
// "contact.mobile") and what is wrong with it.
type FieldError struct {
	Field   string
	Message i18n.Text
}

// Error is a domain error that the edges can show to the client.
type Error struct {
	Code   Code
	Detail i18n.Text
	Fields []FieldError
	// Extra members added to the problem document (for example "phrases"
	// for prohibited-claim). Values must be JSON-encodable and must never
	// carry personal data.
	Extra map[string]any
	// Cause is an underlying error, kept for logs, never shown.
	Cause error
}

// New returns an error with code and detail.
func New(code Code, detail i18n.Text) *Error { return &Error{Code: code, Detail: detail} }

// Newf is New with an English-and-Chinese format pair.
func Newf(code Code, zh, en string, args ...any) *Error {
	return &Error{Code: code, Detail: i18n.T(fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))}
}

// Invalid returns a validation error listing every invalid field.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: Validation, Detail: i18n.T("请检查标出的字段", "Please check the fields listed"), Fields: fields}
}

// Field builds a FieldError.
func Field(name string, msg i18n.Text) FieldError { return FieldError{Field: name, Message: msg} }

// NotFoundError is the answer for anything the caller may not see or that
// does not exist: the two are deliberately indistinguishable (R-10.4-9).
func NotFoundError() *Error {
	return New(NotFound, i18n.T("对象不存在或无权访问", "No such object"))
}

// With adds an extra member and returns e.
func (e *Error) With(key string, v any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = v
	return e
}

// Wrap records a cause and returns e.
func (e *Error) Wrap(cause error) *Error { e.Cause = cause; return e }

// Status is the HTTP status of the error.
func (e *Error) Status() int { return e.Code.Status() }

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Detail.EN != "" {
		msg += ": " + e.Detail.EN
	}
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Message.EN)
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, problem.New(code, ...)) match on the code, so
// domain packages can declare sentinel values.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code
}

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}

// CodeOf returns the code of err, or Internal.
func CodeOf(err error) Code {
	if p, ok := As(err); ok {
		return p.Code
	}
	return Internal
}

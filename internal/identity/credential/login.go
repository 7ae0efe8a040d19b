package credential

import (
	"net/mail"
	"strings"
	"unicode"

	"gbmall/internal/platform/i18n"
)

// LoginKind says which identifier an account logs in with.
type LoginKind string

// The supported login kinds.
const (
	LoginEmail  LoginKind = "email"
	LoginMobile LoginKind = "mobile"
)

// maxEmailLen is the longest usable address (RFC 5321 path limit less the
// angle brackets).
const maxEmailLen = 254

// LoginError is a login identifier the platform cannot accept. Message is
// safe to show to the user.
type LoginError struct {
	Message i18n.Text
}

// Error returns the English message, for logs.
func (e *LoginError) Error() string { return "credential: " + e.Message.EN }

// Reasons a login is refused, in both languages.
var (
	msgLoginEmpty  = i18n.T("请输入邮箱或手机号", "Enter an email address or mobile number")
	msgLoginEmail  = i18n.T("邮箱地址格式不正确", "The email address is not valid")
	msgLoginMobile = i18n.T(
		"手机号格式不正确，请输入 11 位中国大陆手机号",
		"The mobile number is not valid; enter an 11-digit mainland China mobile number")
)

// NormalizeLogin turns what a user typed into the canonical identifier used
// to find the account, so "Alice@Example.com " and "alice@example.com", or
// "+86 138-0013-8000" and "13800138000", are the same account. Emails are
// trimmed and lower-cased (no mainstream provider treats the local part as
// case-sensitive, and two accounts differing only in case invite phishing).
// Mobiles lose spaces, dashes and a +86, 0086 or 86 country prefix.
// An identifier that is neither a valid email nor a valid mobile number is a
// *LoginError.
func NormalizeLogin(s string) (normalized string, kind LoginKind, err error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "", &LoginError{Message: msgLoginEmpty}
	case strings.Contains(s, "@"):
		email := strings.ToLower(s)
		if !ValidEmail(email) {
			return "", "", &LoginError{Message: msgLoginEmail}
		}
		return email, LoginEmail, nil
	default:
		mobile := normalizeMobile(s)
		if !ValidMobile(mobile) {
			return "", "", &LoginError{Message: msgLoginMobile}
		}
		return mobile, LoginMobile, nil
	}
}

// normalizeMobile removes separators and the mainland country code.
func normalizeMobile(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
	for _, prefix := range []string{"+86", "0086"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			return rest
		}
	}
	// A bare "86" is only a country code when 11 digits follow; otherwise it
	// may be part of a (malformed) number and is left for ValidMobile.
	if rest, ok := strings.CutPrefix(s, "86"); ok && len(rest) == 11 {
		return rest
	}
	return s
}

// ValidMobile reports whether s is an already normalised mainland China
// mobile number: 11 digits, a leading 1 and a second digit from 3 to 9
// (^1[3-9]\d{9}$). Use NormalizeLogin to accept user input.
func ValidMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidEmail reports whether s is a bare address we can send mail to: it
// parses per RFC 5322, has no display name, comments or angle brackets, is
// at most 254 characters and its domain has a dot (so "root@localhost" and
// other intranet-only addresses are refused).
func ValidEmail(s string) bool {
	if len(s) > maxEmailLen || strings.ContainsFunc(s, unicode.IsSpace) {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || strings.HasPrefix(domain, "[") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return false
		}
	}
	return strings.Contains(domain, ".")
}

package cnid

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gbmall/internal/platform/i18n"
)

// ValidateMobile checks a mainland China mobile number and returns its 11
// bare digits. Merchants paste numbers in many shapes ("+86 138-0013-8000",
// "0086 13800138000"), so spaces and dashes are dropped and an optional
// +86, 0086 or 86 country prefix is stripped before matching ^1[3-9]\d{9}$.
func ValidateMobile(s string) (string, error) {
	n := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, normalize(s))
	if n == "" {
		return "", newError(FieldMobile, CodeRequired, i18n.T(
			"请填写手机号码",
			"the mobile number is required"))
	}
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	case strings.HasPrefix(n, "86") && len(n) == 13:
		// A bare 86 is only a prefix when 11 digits follow; an 11-digit
		// number itself can never start with 8.
		n = n[2:]
	}
	if strings.HasPrefix(n, "+") {
		return "", newError(FieldMobile, CodePrefix, i18n.T(
			"仅支持中国大陆手机号码（+86）",
			"only mainland China mobile numbers (+86) are accepted"))
	}
	pos := 0
	for _, r := range n {
		pos++
		if r < '0' || r > '9' {
			return "", newError(FieldMobile, CodeCharset, i18n.T(
				fmt.Sprintf("手机号码含非数字字符“%s”（第%d位）", quoteRune(r), pos),
				fmt.Sprintf("the mobile number contains the non-digit %q at position %d", quoteRune(r), pos)))
		}
	}
	if c := utf8.RuneCountInString(n); c != 11 {
		return "", newError(FieldMobile, CodeLength, i18n.T(
			fmt.Sprintf("手机号码应为11位数字，实际为%d位", c),
			fmt.Sprintf("the mobile number must have 11 digits, got %d", c)))
	}
	if n[0] != '1' || n[1] < '3' {
		return "", newError(FieldMobile, CodePrefix, i18n.T(
			fmt.Sprintf("“%s”不是中国大陆手机号码：应以13-19开头", n),
			fmt.Sprintf("%q is not a mainland China mobile number: it must start with 13-19", n)))
	}
	return n, nil
}

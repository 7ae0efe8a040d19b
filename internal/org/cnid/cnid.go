// Package cnid validates the Chinese identifiers that a qualification-review
// clerk would otherwise check by eye (GB/T 31524 §5.4, R-5.4-1..3): the
// unified social credit code of a merchant (GB 32100), the resident identity
// number of its legal representative (GB 11643), a mainland mobile number and
// the validity window of a qualification document.
//
// Every validator normalises its input first (trims spaces, folds full-width
// characters typed with a Chinese IME, upper-cases letters) and returns the
// normalised value, so callers store one canonical spelling. Failures are
// *Error values whose Message carries both Chinese and English text that says
// exactly what is wrong, because the clerk has to tell the merchant what to fix.
package cnid

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gbmall/internal/platform/i18n"
)

// Field names used in Error.Field. They match the form fields a merchant fills
// in, so the edge can attach the message to the right input.
const (
	FieldUSCC       = "uscc"
	FieldResidentID = "resident_id"
	FieldMobile     = "mobile"
	FieldValidFrom  = "valid_from"
	FieldValidUntil = "valid_until"
)

// Machine-readable error codes used in Error.Code. Messages may be reworded;
// codes are stable and safe to branch on.
const (
	CodeRequired     = "required"       // value is empty
	CodeLength       = "length"         // wrong number of characters
	CodeCharset      = "charset"        // a character outside the allowed set
	CodeDepartment   = "department"     // USCC position 1 is not a registration department
	CodeCategory     = "category"       // USCC position 2 is not an organisation category
	CodeDivision     = "division"       // USCC positions 3-8 are not an administrative division code
	CodeOrgCheckChar = "org_check_char" // USCC position 17 (GB 11714 check) is wrong
	CodeCheckChar    = "check_char"     // final check character is wrong
	CodeRegion       = "region"         // resident ID province code does not exist
	CodeBirthDate    = "birth_date"     // resident ID birth date is impossible
	CodePrefix       = "prefix"         // mobile number is not a mainland mobile number
	CodeOrder        = "order"          // validity starts on or after it ends
	CodeExpired      = "expired"        // validity has already ended
)

// Error is the error type of this package. Field and Code are for programs;
// Message is what the clerk or merchant reads.
type Error struct {
	Field   string
	Code    string
	Message i18n.Text
}

// Error returns the English message prefixed with the field, for logs.
func (e *Error) Error() string { return e.Field + ": " + e.Message.EN }

func newError(field, code string, msg i18n.Text) *Error {
	return &Error{Field: field, Code: code, Message: msg}
}

// normalize trims surrounding white space (including the ideographic space),
// folds full-width ASCII (ＡＢＣ１２３, common when typing with a Chinese IME)
// to its half-width form and upper-cases the result.
func normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		return r
	}, s)
	return strings.ToUpper(strings.TrimSpace(s))
}

// quoteRune renders an offending character for a message, replacing bytes
// that are not valid UTF-8 so the message itself stays printable.
func quoteRune(r rune) string {
	if r == utf8.RuneError || !utf8.ValidRune(r) {
		return "\uFFFD"
	}
	return string(r)
}

// shanghai is the zone in which "today" is decided. Reviews happen in China,
// so a certificate expiring on 5 May is still valid at 01:00 Beijing time on
// 5 May even though it is still 4 May in UTC. The fixed +8 fallback keeps the
// behaviour correct on hosts without tzdata (China has no daylight saving).
var shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
})

// civilDate is a calendar date without a time of day, so comparisons are not
// thrown off by clocks or zones.
type civilDate struct{ y, m, d int }

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, int(m), d}
}

// today returns now's calendar date in Asia/Shanghai.
func today(now time.Time) civilDate { return dateOf(now.In(shanghai())) }

func (a civilDate) before(b civilDate) bool {
	if a.y != b.y {
		return a.y < b.y
	}
	if a.m != b.m {
		return a.m < b.m
	}
	return a.d < b.d
}

func (a civilDate) String() string {
	return time.Date(a.y, time.Month(a.m), a.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

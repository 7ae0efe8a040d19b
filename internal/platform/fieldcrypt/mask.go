package fieldcrypt

import (
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Masking helpers for views and logs (R-9.3-1). They work on runes, not
// bytes, so Chinese names and addresses are masked character by character
// and never cut inside a UTF-8 sequence. Each one hides enough that the
// result can be shown to staff or written to logs; none of them is a
// substitute for encryption at rest.

const maskRune = '*'

// emailLocalMask replaces all but the first rune of an e-mail local part.
// Its width is fixed so the mask does not reveal the local part's length.
const emailLocalMask = "*******"

// stars returns n mask characters.
func stars(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(string(maskRune), n)
}

// keepEnds keeps the first head and last tail runes of s and masks the rest,
// preserving the rune count. If that would hide nothing, everything is
// masked.
func keepEnds(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return stars(len(r))
	}
	return string(r[:head]) + stars(len(r)-head-tail) + string(r[len(r)-tail:])
}

// MaskMobile masks a mobile number for display, keeping the operator prefix
// and the last four digits that users recognise their number by:
// "13812341234" -> "138****1234", "+8613812341234" -> "+86138****1234".
// A "+86" country code is kept as is and not counted. Numbers shorter than 8
// runes are masked entirely, since keeping 7 runes would hide nothing.
func MaskMobile(s string) string {
	if rest, ok := strings.CutPrefix(s, "+86"); ok {
		return "+86" + maskSubscriber(rest)
	}
	return maskSubscriber(s)
}

func maskSubscriber(s string) string {
	if n := utf8.RuneCountInString(s); n < 8 {
		return stars(n)
	}
	return keepEnds(s, 3, 4)
}

// MaskEmail masks an e-mail address, keeping the first rune of the local
// part and the domain so that a user can still tell which address is meant:
// "zhang.san@example.com" -> "z*******@example.com". The local part is
// replaced by a fixed-width mask that does not reveal its length. A string
// without "@" or with an empty local part is masked entirely.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return stars(utf8.RuneCountInString(s))
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + emailLocalMask + s[at:]
}

// MaskIDNumber masks a resident ID number. An 18-character number keeps its
// first 4 (province and city) and last 4 characters:
// "110101199003071234" -> "1101**********1234", hiding the birth date. Other
// lengths keep only the first and last rune; 2 runes or fewer are masked
// entirely.
func MaskIDNumber(s string) string {
	if utf8.RuneCountInString(s) == 18 {
		return keepEnds(s, 4, 4)
	}
	return keepEnds(s, 1, 1)
}

// MaskName masks a personal name, keeping only its first rune (usually the
// surname) and one mask character per remaining rune: "张三" -> "张*",
// "欧阳娜娜" -> "欧***", "John Smith" -> "J*********". Surrounding white space
// is ignored, a single-rune name becomes "*", and "" stays "".
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return stars(n)
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + stars(n-1)
}

// MaskAddress masks a postal address, keeping the first 6 runes (roughly
// province and city, "广东省深圳市") and replacing the rest with "****".
// Addresses of 6 runes or fewer keep only their first half, so some part is
// always hidden; "" stays "".
func MaskAddress(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) == 0 {
		return ""
	}
	keep := 6
	if len(r) <= keep {
		keep = len(r) / 2
	}
	return string(r[:keep]) + "****"
}

// Kinds of personal value understood by Redacted.
const (
	KindMobile   = "mobile"
	KindEmail    = "email"
	KindIDNumber = "id_number"
	KindName     = "name"
	KindAddress  = "address"
)

// Redacted wraps a personal value for logging: its LogValue is the masked
// form chosen by kind, so passing it to slog can never write the clear
// value. Kind is one of KindMobile, KindEmail, KindIDNumber, KindName or
// KindAddress; an unknown kind masks the value entirely, as "****".
//
// String, GoString and MarshalText return the same masked form, so fmt and
// encoding/json do not leak the value either.
type Redacted struct {
	Kind  string
	Value string
}

// Masked returns the masked form of the value according to Kind.
func (r Redacted) Masked() string {
	switch r.Kind {
	case KindMobile:
		return MaskMobile(r.Value)
	case KindEmail:
		return MaskEmail(r.Value)
	case KindIDNumber:
		return MaskIDNumber(r.Value)
	case KindName:
		return MaskName(r.Value)
	case KindAddress:
		return MaskAddress(r.Value)
	default:
		if r.Value == "" {
			return ""
		}
		return "****" // unknown kind: reveal nothing, not even the length
	}
}

// LogValue implements slog.LogValuer.
func (r Redacted) LogValue() slog.Value {
	return slog.StringValue(r.Masked())
}

// String implements fmt.Stringer.
func (r Redacted) String() string { return r.Masked() }

// GoString implements fmt.GoStringer, covering the %#v verb.
func (r Redacted) GoString() string { return r.Masked() }

// MarshalText implements encoding.TextMarshaler, covering encoding/json.
func (r Redacted) MarshalText() ([]byte, error) { return []byte(r.Masked()), nil }

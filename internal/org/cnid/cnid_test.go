package cnid

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gbmall/internal/platform/i18n"
)

// checkErr asserts err is nil when code is "", and otherwise an *Error with
// the given field and code whose message exists in both languages.
func checkErr(t *testing.T, err error, field, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error %s/%s", err, err, field, code)
	}
	if e.Field != field || e.Code != code {
		t.Fatalf("error = %s/%s (%v), want %s/%s", e.Field, e.Code, e, field, code)
	}
	if e.Message.ZH == "" || e.Message.EN == "" || e.Message.ZH == e.Message.EN {
		t.Errorf("message must be bilingual, got %+v", e.Message)
	}
	if !strings.HasPrefix(e.Error(), field+": ") || !strings.HasSuffix(e.Error(), e.Message.EN) {
		t.Errorf("Error() = %q, want field prefix and English message", e.Error())
	}
}

// codesOf flattens a possibly joined error into "field/code" strings.
func codesOf(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, codesOf(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return []string{e.Field + "/" + e.Code}
	}
	return []string{"?" + err.Error()}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  abc ", "ABC"},
		{"\u3000９１３５ｍ\t", "9135M"}, // ideographic space and full-width IME input
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShanghaiToday(t *testing.T) {
	if shanghai() == nil {
		t.Fatal("no location")
	}
	// 2024-06-14 17:00 UTC is already 2024-06-15 01:00 in Beijing.
	now := time.Date(2024, 6, 14, 17, 0, 0, 0, time.UTC)
	if got, want := today(now), (civilDate{2024, 6, 15}); got != want {
		t.Errorf("today(%v) = %v, want %v", now, got, want)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Field: FieldMobile, Code: CodeLength, Message: i18n.T("长度", "length")}
	if got := e.Error(); got != "mobile: length" {
		t.Errorf("Error() = %q", got)
	}
}

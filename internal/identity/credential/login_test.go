package credential

import (
	"errors"
	"strings"
	"testing"

	"gbmall/internal/platform/i18n"
)

func TestNormalizeLogin(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		kind    LoginKind
		wantErr i18n.Text // zero when the login is valid
	}{
		{"email lower-cased and trimmed", "  Alice@Example.COM ", "alice@example.com", LoginEmail, i18n.Text{}},
		{"email with plus tag", "bob.smith+shop@mail.example.cn", "bob.smith+shop@mail.example.cn", LoginEmail, i18n.Text{}},
		{"mobile bare", "13800138000", "13800138000", LoginMobile, i18n.Text{}},
		{"mobile +86 with spaces", "+86 138 0013 8000", "13800138000", LoginMobile, i18n.Text{}},
		{"mobile +86 with dashes", "+86-138-0013-8000", "13800138000", LoginMobile, i18n.Text{}},
		{"mobile 0086", "0086 13800138000", "13800138000", LoginMobile, i18n.Text{}},
		{"mobile 86", "8613800138000", "13800138000", LoginMobile, i18n.Text{}},
		{"mobile spaces only", " 199 1234 5678 ", "19912345678", LoginMobile, i18n.Text{}},

		{"empty", "", "", "", msgLoginEmpty},
		{"blank", "   ", "", "", msgLoginEmpty},
		{"mobile second digit 2", "12345678901", "", "", msgLoginMobile},
		{"letters", "abc", "", "", msgLoginMobile},
		{"mobile too short", "1380013800", "", "", msgLoginMobile},
		{"mobile too long", "138001380001", "", "", msgLoginMobile},
		{"foreign number", "+1 415 555 2671", "", "", msgLoginMobile},
		{"86 prefix without 11 digits", "86138001380", "", "", msgLoginMobile},
		{"email without dot in domain", "alice@localhost", "", "", msgLoginEmail},
		{"email with display name", "Alice <alice@example.com>", "", "", msgLoginEmail},
		{"email double at", "alice@@example.com", "", "", msgLoginEmail},
		{"email empty local part", "@example.com", "", "", msgLoginEmail},
		{"email empty label", "alice@example..com", "", "", msgLoginEmail},
		{"email inner space", "a b@example.com", "", "", msgLoginEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind, err := NormalizeLogin(tt.in)
			if tt.wantErr.IsZero() {
				if err != nil || got != tt.want || kind != tt.kind {
					t.Errorf("NormalizeLogin(%q) = %q, %q, %v; want %q, %q, nil", tt.in, got, kind, err, tt.want, tt.kind)
				}
				return
			}
			var lerr *LoginError
			if !errors.As(err, &lerr) {
				t.Fatalf("NormalizeLogin(%q) error = %v; want *LoginError", tt.in, err)
			}
			if lerr.Message != tt.wantErr {
				t.Errorf("NormalizeLogin(%q) message = %v; want %v", tt.in, lerr.Message, tt.wantErr)
			}
			if got != "" || kind != "" {
				t.Errorf("NormalizeLogin(%q) = %q, %q with error; want empty", tt.in, got, kind)
			}
			if !strings.Contains(err.Error(), tt.wantErr.EN) {
				t.Errorf("Error() = %q; want it to contain %q", err.Error(), tt.wantErr.EN)
			}
		})
	}
}

func TestValidMobile(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"13800138000", true},
		{"19912345678", true},
		{"12800138000", false}, // second digit must be 3-9
		{"23800138000", false}, // must start with 1
		{"+8613800138000", false},
		{"138 0013 8000", false}, // ValidMobile takes normalised input
		{"1380013800a", false},
		{"１３８００１３８０００", false}, // full-width digits
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidMobile(tt.in); got != tt.want {
			t.Errorf("ValidMobile(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 chars
	tests := []struct {
		in   string
		want bool
	}{
		{"alice@example.com", true},
		{"a.b-c+d@sub.example.com.cn", true},
		{long, true},
		{"a" + long, false}, // 255 chars
		{"alice@localhost", false},
		{"Alice <alice@example.com>", false},
		{"<alice@example.com>", false},
		{"alice@example.com (comment)", false},
		{`"alice smith"@example.com`, false},
		{"alice@[192.168.0.1]", false},
		{"alice@.example.com", false},
		{"alice@example.com.", false},
		{"alice", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.in); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

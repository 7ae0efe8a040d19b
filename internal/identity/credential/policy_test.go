package credential

import (
	"slices"
	"strings"
	"testing"

	"github.com/trustelem/zxcvbn"

	"gbmall/internal/platform/i18n"
)

func TestCheckPassword(t *testing.T) {
	var (
		short   = msgPasswordTooShort
		long    = msgPasswordTooLong
		classes = msgPasswordClasses
		login   = msgPasswordHasLogin
		common  = msgPasswordCommon
	)
	tests := []struct {
		name     string
		password string
		login    string
		want     []i18n.Text
	}{
		// Accepted.
		{"demo sample", "Demo-Pass-2026", "alice@example.com", nil},
		{"strong sample", "Str0ng!Passw0rd#2026", "13800138000", nil},
		{"passphrase with chinese", "钱包-Blue-Tiger-88", "", nil},
		{"short local part not checked", "Li-Qiang-2026!", "li@example.com", nil},
		{"128 runes", strings.Repeat("aB3!x9Qz", 16), "alice@example.com", nil},

		// R-10.4-1: length.
		{"too short", "Ab1!", "", []i18n.Text{short, common}},
		{"short counts runes not bytes", "强密码Ab1", "", []i18n.Text{short, common}},
		{"too long", strings.Repeat("aB3!", 33), "", []i18n.Text{long}},

		// R-10.4-1: character classes.
		{"one class", "abcdefgh", "alice@example.com", []i18n.Text{classes, common}},
		{"two classes", "qpzmwoxnal", "", []i18n.Text{classes}},

		// R-10.4-1: login.
		{"equals mobile login", "13800138000", "13800138000", []i18n.Text{classes, login, common}},
		{"equals email ignoring case", "ALICE@EXAMPLE.COM", "alice@example.com", []i18n.Text{classes, login, common}},
		{"contains local part", "Zhangwei#2026!x", "zhangwei@example.com", []i18n.Text{login}},
		{"contains normalised mobile", "X13800138000!q", "+86 138 0013 8000", []i18n.Text{login}},

		// R-10.4-1: common or guessable.
		{"Password1!", "Password1!", "alice@example.com", []i18n.Text{common}},
		{"Passw0rd!", "Passw0rd!", "alice@example.com", []i18n.Text{common}},
		{"keyboard walk", "Qwerty123!", "", []i18n.Text{common}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckPassword(tt.password, tt.login)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckPassword(%q, %q) =\n  %v\nwant\n  %v", tt.password, tt.login, got, tt.want)
			}
		})
	}
}

// TestSamplePasswordScores pins the zxcvbn scores the policy relies on, so a
// library upgrade that changes them is noticed.
func TestSamplePasswordScores(t *testing.T) {
	inputs := []string{"alice@example.com", "alice", "gbmall"}
	tests := []struct {
		password string
		accepted bool
	}{
		{"Demo-Pass-2026", true},
		{"Str0ng!Passw0rd#2026", true},
		{"Password1!", false},
		{"Passw0rd!", false},
		{"abcdefgh", false},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			score := zxcvbn.PasswordStrength(tt.password, inputs).Score
			t.Logf("zxcvbn score %d", score)
			if got := score >= MinPasswordScore; got != tt.accepted {
				t.Errorf("score %d >= %d is %v; want %v", score, MinPasswordScore, got, tt.accepted)
			}
		})
	}
}

func TestPasswordClasses(t *testing.T) {
	tests := []struct {
		password string
		want     int
	}{
		{"", 0},
		{"abc", 1},
		{"abcABC", 2},
		{"abcABC123", 3},
		{"abcABC123!", 4},
		{"密码密码", 1}, // CJK characters are "other"
		{"ÄÖÜäöü", 2},
	}
	for _, tt := range tests {
		if got := passwordClasses(tt.password); got != tt.want {
			t.Errorf("passwordClasses(%q) = %d; want %d", tt.password, got, tt.want)
		}
	}
}

func TestPolicyMessagesBilingual(t *testing.T) {
	for _, m := range []i18n.Text{
		msgPasswordTooShort, msgPasswordTooLong, msgPasswordClasses, msgPasswordHasLogin, msgPasswordCommon,
		msgLoginEmpty, msgLoginEmail, msgLoginMobile,
	} {
		if m.ZH == "" || m.EN == "" {
			t.Errorf("message %+v lacks a language", m)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	for b.Loop() {
		CheckPassword("Str0ng!Passw0rd#2026", "alice@example.com")
	}
}

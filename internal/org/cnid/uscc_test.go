package cnid

import (
	"strings"
	"testing"
)

// rawUSCC appends both check characters without validating structure, so
// tests can build codes that are wrong in exactly one respect.
func rawUSCC(prefix16 string) string {
	p := prefix16 + string(orgCheckChar(prefix16[8:16]))
	return p + string(usccCheck(p))
}

// withOrgCheck replaces position 17 and recomputes position 18, producing a
// code whose only defect is the organisation-code check character.
func withOrgCheck(code string, c byte) string {
	p := code[:16] + string(c)
	return p + string(usccCheck(p))
}

func TestValidateUSCC(t *testing.T) {
	valid := MakeUSCC("91110108MA01ABCD")
	tests := []struct {
		name, in, want, code string
	}{
		{"public example Fuzhou", "91350100M000100Y43", "91350100M000100Y43", ""},
		{"public example Beijing 802100433", "91110000802100433B", "91110000802100433B", ""},
		{"made enterprise", valid, valid, ""},
		{"made public institution", MakeUSCC("12100000MB0123RT"), MakeUSCC("12100000MB0123RT"), ""},
		{"made other department Y", MakeUSCC("Y1440300PQ7UW8XY"), MakeUSCC("Y1440300PQ7UW8XY"), ""},
		{"made rural collective N", MakeUSCC("N2370102MF000012"), MakeUSCC("N2370102MF000012"), ""},
		{"org check char X", "9111010800000006X7", "9111010800000006X7", ""},
		{"lower case normalised", "91350100m000100y43", "91350100M000100Y43", ""},
		{"spaces and full width", " ９１３５０１００Ｍ０００１００Ｙ４３\u3000", "91350100M000100Y43", ""},

		{"empty", "   ", "", CodeRequired},
		{"17 chars", "91350100M000100Y4", "", CodeLength},
		{"19 chars", "91350100M000100Y433", "", CodeLength},
		{"inner space", "91350100 M000100Y4", "", CodeCharset},
		{"forbidden I", "91350100I000100Y43", "", CodeCharset},
		{"forbidden O", "91350100O000100Y43", "", CodeCharset},
		{"forbidden Z", "91350100M000100Z43", "", CodeCharset},
		{"forbidden S", "9135010SM000100Y43", "", CodeCharset},
		{"forbidden V", "V1350100M000100Y43", "", CodeCharset},
		{"chinese character", "91350100M000100Y4号", "", CodeCharset},
		{"punctuation", "91350100M000100Y4-", "", CodeCharset},
		{"department 0", rawUSCC("01350100M000100Y"), "", CodeDepartment},
		{"department H", rawUSCC("H1350100M000100Y"), "", CodeDepartment},
		{"category 0", rawUSCC("90350100M000100Y"), "", CodeCategory},
		{"category letter", rawUSCC("9A350100M000100Y"), "", CodeCategory},
		{"division letter", rawUSCC("9135A100M000100Y"), "", CodeDivision},
		{"org check wrong, final right", withOrgCheck("91350100M000100Y43", '5'), "", CodeOrgCheckChar},
		{"often-cited 911101087263832840", "911101087263832840", "", CodeOrgCheckChar},
		{"final check wrong", "91350100M000100Y44", "", CodeCheckChar},
		{"lower-case check letter", "91110000802100433b", "91110000802100433B", ""},
		{"final check wrong letter", "91110000802100433C", "", CodeCheckChar},
		{"transposed digits", "91350100M000010Y43", "", CodeOrgCheckChar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateUSCC(tt.in)
			checkErr(t, err, FieldUSCC, tt.code)
			if got != tt.want {
				t.Errorf("ValidateUSCC(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestUSCCDetectsEverySingleSubstitution relies on 31 being prime: any one
// wrong character must be caught, wherever it is.
func TestUSCCDetectsEverySingleSubstitution(t *testing.T) {
	for _, code := range []string{"91350100M000100Y43", MakeUSCC("52440300MJL0QW8U")} {
		for i := range len(code) {
			for _, c := range []byte(usccAlphabet) {
				if c == code[i] {
					continue
				}
				bad := code[:i] + string(c) + code[i+1:]
				if _, err := ValidateUSCC(bad); err == nil {
					t.Errorf("ValidateUSCC(%q) accepted a single substitution of %q", bad, code)
				}
			}
		}
	}
}

func TestUSCCCheckChar(t *testing.T) {
	tests := []struct {
		name, in string
		want     byte
		code     string
	}{
		{"Fuzhou example", "91350100M000100Y4", '3', ""},
		{"Beijing example", "91110000802100433", 'B', ""},
		{"result 31 maps to 0", zeroCheckPrefix(t), '0', ""},
		{"lower case", "91350100m000100y4", '3', ""},
		{"too short", "91350100M000100Y", 0, CodeLength},
		{"full code", "91350100M000100Y43", 0, CodeLength},
		{"forbidden letter", "91350100M000100I4", 0, CodeCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := USCCCheckChar(tt.in)
			checkErr(t, err, FieldUSCC, tt.code)
			if got != tt.want {
				t.Errorf("USCCCheckChar(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// zeroCheckPrefix finds a 17-character prefix whose weighted sum is a
// multiple of 31, where a broken "31 - sum%31" without the final mod would
// yield an out-of-range index.
func zeroCheckPrefix(t *testing.T) string {
	t.Helper()
	for _, c := range []byte(usccAlphabet) {
		p := "9111010800000000" + string(c)
		if usccCheck(p) == '0' {
			return p
		}
	}
	t.Fatal("no prefix with check 0 found")
	return ""
}

func TestOrgCheckChar(t *testing.T) {
	tests := []struct {
		body string
		want byte
	}{
		{"M000100Y", '4'},
		{"80210043", '3'},
		{"72638328", '2'},
		{"00000000", '0'}, // 11 - 0 = 11 -> '0'
		{"00000006", 'X'}, // 11 - 12%11 = 10 -> 'X'
	}
	for _, tt := range tests {
		if got := orgCheckChar(tt.body); got != tt.want {
			t.Errorf("orgCheckChar(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestMakeUSCC(t *testing.T) {
	for _, p := range []string{"91350100M000100Y", "91110108ma01abcd", "93440300MA5F0001"} {
		code := MakeUSCC(p)
		if !strings.HasPrefix(code, strings.ToUpper(p)) || len(code) != 18 {
			t.Errorf("MakeUSCC(%q) = %q, want the prefix plus two characters", p, code)
		}
		if _, err := ValidateUSCC(code); err != nil {
			t.Errorf("MakeUSCC(%q) = %q, invalid: %v", p, code, err)
		}
	}
	if got := MakeUSCC("91350100M000100Y"); got != "91350100M000100Y43" {
		t.Errorf("MakeUSCC rebuilt the public example as %q", got)
	}
}

func TestMakeUSCCPanicsOnBadPrefix(t *testing.T) {
	for _, p := range []string{"", "91350100M000100", "91350100M000100Y4", "91350100I000100Y", "01350100M000100Y", "9135A100M000100Y"} {
		t.Run(p, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("MakeUSCC(%q) did not panic", p)
				}
			}()
			MakeUSCC(p)
		})
	}
}

package cnid

import (
	"testing"
	"time"
)

// reviewNow is a fixed review time: 2024-06-15 10:00 in Beijing.
var reviewNow = time.Date(2024, 6, 15, 2, 0, 0, 0, time.UTC)

// makeID appends the check character to 17 digits.
func makeID(t *testing.T, first17 string) string {
	t.Helper()
	c, err := ResidentIDCheckChar(first17)
	if err != nil {
		t.Fatalf("ResidentIDCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

func TestValidateResidentID(t *testing.T) {
	shenzhen := makeID(t, "44030419900307123")
	tests := []struct {
		name, in string
		now      time.Time
		want     string
		code     string
	}{
		{"GB 11643 example", "11010519491231002X", reviewNow, "11010519491231002X", ""},
		{"lower-case x", "11010519491231002x", reviewNow, "11010519491231002X", ""},
		{"built with check char", shenzhen, reviewNow, shenzhen, ""},
		{"spaces and full width", " ４４０３０４" + shenzhen[6:] + " ", reviewNow, shenzhen, ""},
		{"leap day 2000", makeID(t, "31010120000229001"), reviewNow, makeID(t, "31010120000229001"), ""},
		{"born today", makeID(t, "31010120240615001"), reviewNow, makeID(t, "31010120240615001"), ""},
		{"born today in Beijing, yesterday in UTC", makeID(t, "31010120240615001"),
			time.Date(2024, 6, 14, 17, 0, 0, 0, time.UTC), makeID(t, "31010120240615001"), ""},
		{"born 1900-01-01", makeID(t, "65010219000101001"), reviewNow, makeID(t, "65010219000101001"), ""},
		{"Hong Kong Macao Taiwan permit", makeID(t, "83000019850505123"), reviewNow, makeID(t, "83000019850505123"), ""},

		{"empty", "", reviewNow, "", CodeRequired},
		{"retired 15 digits", "110105491231002", reviewNow, "", CodeLength},
		{"17 digits", "11010519491231002", reviewNow, "", CodeLength},
		{"19 digits", "11010519491231002X1", reviewNow, "", CodeLength},
		{"letter inside", "1101051949123100AX", reviewNow, "", CodeCharset},
		{"X not last", "11010519491231X021", reviewNow, "", CodeCharset},
		{"bad last char", "11010519491231002Y", reviewNow, "", CodeCharset},
		{"wrong check digit", "110105194912310021", reviewNow, "", CodeCheckChar},
		{"transposed digits", "11010519491213002X", reviewNow, "", CodeCheckChar},
		{"Feb 30", makeID(t, "11010519900230123"), reviewNow, "", CodeBirthDate},
		{"Feb 29 1900 not leap", makeID(t, "11010519000229123"), reviewNow, "", CodeBirthDate},
		{"month 13", makeID(t, "11010519901301123"), reviewNow, "", CodeBirthDate},
		{"day 00", makeID(t, "11010519900100123"), reviewNow, "", CodeBirthDate},
		{"before 1900", makeID(t, "11010518991231123"), reviewNow, "", CodeBirthDate},
		{"born tomorrow", makeID(t, "31010120240616001"), reviewNow, "", CodeBirthDate},
		{"future year", makeID(t, "31010120990101001"), reviewNow, "", CodeBirthDate},
		{"province 99", makeID(t, "99010519491231002"), reviewNow, "", CodeRegion},
		{"province 10", makeID(t, "10010519491231002"), reviewNow, "", CodeRegion},
		{"province 16", makeID(t, "16010519491231002"), reviewNow, "", CodeRegion},
		{"province 00", makeID(t, "00010519491231002"), reviewNow, "", CodeRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateResidentID(tt.in, tt.now)
			checkErr(t, err, FieldResidentID, tt.code)
			if got != tt.want {
				t.Errorf("ValidateResidentID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestResidentIDDetectsEverySingleSubstitution: MOD 11-2 catches any single
// wrong digit, so no one-character typo may slip through.
func TestResidentIDDetectsEverySingleSubstitution(t *testing.T) {
	const id = "11010519491231002X"
	for i := range len(id) {
		for _, c := range []byte("0123456789X") {
			if c == id[i] {
				continue
			}
			bad := id[:i] + string(c) + id[i+1:]
			if _, err := ValidateResidentID(bad, reviewNow); err == nil {
				t.Errorf("ValidateResidentID(%q) accepted a single substitution", bad)
			}
		}
	}
}

func TestResidentIDCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		code string
	}{
		{"11010519491231002", 'X', ""}, // the GB 11643 example
		{"44052418800101001", '4', ""},
		{"11010519491231001", '1', ""}, // sum%11 == 0 -> '1'
		{"44030419900300006", '0', ""}, // sum%11 == 1 -> '0'
		{"1101051949123100", 0, CodeLength},
		{"11010519491231002X", 0, CodeLength},
		{"1101051949123100X", 0, CodeCharset},
	}
	for _, tt := range tests {
		got, err := ResidentIDCheckChar(tt.in)
		checkErr(t, err, FieldResidentID, tt.code)
		if got != tt.want {
			t.Errorf("ResidentIDCheckChar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

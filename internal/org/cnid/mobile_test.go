package cnid

import "testing"

func TestValidateMobile(t *testing.T) {
	tests := []struct {
		name, in, want, code string
	}{
		{"bare", "13800138000", "13800138000", ""},
		{"199 range", "19912345678", "19912345678", ""},
		{"+86 with spaces", "+86 138 0013 8000", "13800138000", ""},
		{"+86 with dashes", "+86-138-0013-8000", "13800138000", ""},
		{"0086", "0086 13800138000", "13800138000", ""},
		{"bare 86", "8613800138000", "13800138000", ""},
		{"full width IME input", "＋８６ １３８００１３８０００", "13800138000", ""},
		{"surrounding space", "  15012345678\t", "15012345678", ""},

		{"empty", " - ", "", CodeRequired},
		{"starts with 12", "12345678901", "", CodePrefix},
		{"starts with 10", "10012345678", "", CodePrefix},
		{"starts with 2", "23800138000", "", CodePrefix},
		{"10 digits", "1380013800", "", CodeLength},
		{"12 digits", "138001380001", "", CodeLength},
		{"+86 then 10 digits", "+861380013800", "", CodeLength},
		{"86 then 12 digits is not a prefix", "86138001380001", "", CodeLength},
		{"landline with area code", "010-62345678", "", CodePrefix},
		{"letter O for zero", "1380013800O", "", CodeCharset},
		{"parentheses", "(+86)13800138000", "", CodeCharset},
		{"foreign number", "+1 415 555 0100", "", CodePrefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateMobile(tt.in)
			checkErr(t, err, FieldMobile, tt.code)
			if got != tt.want {
				t.Errorf("ValidateMobile(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

package cnid

import (
	"slices"
	"testing"
	"time"
)

func TestValidateValidity(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name            string
		from, until, at time.Time
		want            []string // field/code, in order
	}{
		{"ok", day(2023, 1, 1), day(2026, 1, 1), reviewNow, nil},
		{"ends today", day(2023, 1, 1), day(2024, 6, 15), reviewNow, nil},
		{"ends today at UTC midnight", day(2023, 1, 1), day(2024, 6, 15), time.Date(2024, 6, 15, 15, 59, 0, 0, time.UTC), nil},
		{"date parsed in another zone keeps its calendar day", day(2023, 1, 1),
			time.Date(2024, 6, 15, 0, 0, 0, 0, tokyo), reviewNow, nil},
		{"one-day window", day(2024, 6, 15), day(2024, 6, 16), reviewNow, nil},

		{"expired yesterday", day(2021, 6, 15), day(2024, 6, 14), reviewNow,
			[]string{"valid_until/expired"}},
		{"expired in Beijing though not yet in UTC", day(2021, 6, 15), day(2024, 6, 14),
			time.Date(2024, 6, 14, 17, 0, 0, 0, time.UTC), []string{"valid_until/expired"}},
		{"from after until", day(2025, 1, 1), day(2024, 12, 31), reviewNow,
			[]string{"valid_from/order"}},
		{"from equals until", day(2025, 1, 1), day(2025, 1, 1), reviewNow,
			[]string{"valid_from/order"}},
		{"same day different hours", time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 18, 0, 0, 0, time.UTC), reviewNow,
			[]string{"valid_from/order"}},
		{"reversed and expired", day(2024, 1, 1), day(2023, 1, 1), reviewNow,
			[]string{"valid_from/order", "valid_until/expired"}},
		{"missing from", time.Time{}, day(2026, 1, 1), reviewNow,
			[]string{"valid_from/required"}},
		{"missing until", day(2023, 1, 1), time.Time{}, reviewNow,
			[]string{"valid_until/required"}},
		{"missing both", time.Time{}, time.Time{}, reviewNow,
			[]string{"valid_from/required", "valid_until/required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateValidity(tt.from, tt.until, tt.at)
			if got := codesOf(err); !slices.Equal(got, tt.want) {
				t.Fatalf("ValidateValidity = %v (%v), want %v", got, err, tt.want)
			}
			if len(tt.want) == 1 {
				// A single problem is the bare *Error, checked in full.
				if _, ok := err.(*Error); !ok {
					t.Errorf("single problem returned as %T, want *Error", err)
				}
				f, c, _ := cut(tt.want[0])
				checkErr(t, err, f, c)
			}
		})
	}
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

package payment

import (
	"testing"
	"time"
)

func TestNextQueryBacksOffAndStopsAtExpiry(t *testing.T) {
	created := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	expires := created.Add(2 * time.Hour)
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 46 * time.Minute, 76 * time.Minute, 106 * time.Minute,
		2*time.Hour + 5*time.Second, 2*time.Hour + 5*time.Second}
	for n, w := range want {
		if got := nextQuery(created, expires, n).Sub(created); got != w {
			t.Errorf("query %d at +%v, want +%v", n, got, w)
		}
	}
}

func TestChannelBaseURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://pay.example.cn":         true,
		"https://pay.example.cn/api/":    true,
		"http://127.0.0.1:8090":          true,
		"http://[::1]:8090":              true,
		"http://localhost:8090":          true,
		"http://pay.example.cn":          false,
		"http://10.0.0.1:8090":           false,
		"ftp://pay.example.cn":           false,
		"https://pay.example.cn/?a=1":    false,
		"https://user:pw@pay.example.cn": false,
		"pay.example.cn":                 false,
	} {
		if _, err := checkBaseURL(url); (err == nil) != ok {
			t.Errorf("%s: accepted=%v, want %v", url, err == nil, ok)
		}
	}
}

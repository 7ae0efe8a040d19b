package credential

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// rfcSecret is the RFC 6238 appendix B SHA-1 key "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestTOTPCodeRFCVectors(t *testing.T) {
	// RFC 6238 appendix B, last 6 of the 8 published digits.
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	}
	for _, tt := range tests {
		got, err := TOTPCode(rfcSecret, time.Unix(tt.unix, 0))
		if err != nil || got != tt.want {
			t.Errorf("TOTPCode at %d = %q, %v; want %q", tt.unix, got, err, tt.want)
		}
	}
}

func TestValidateTOTP(t *testing.T) {
	at := time.Unix(1234567890+10, 0) // 10 s into step 41152263
	const step = int64(41152263)
	code, err := TOTPCode(rfcSecret, at)
	if err != nil {
		t.Fatal(err)
	}
	spaced := code[:3] + " " + code[3:]
	tests := []struct {
		name        string
		code        string
		secret      string
		offset      time.Duration
		wantOK      bool
		wantCounter int64
	}{
		{"same time", code, rfcSecret, 0, true, step},
		{"end of same step", code, rfcSecret, 19 * time.Second, true, step},
		{"one step later", code, rfcSecret, 30 * time.Second, true, step},
		{"one step earlier", code, rfcSecret, -30 * time.Second, true, step},
		{"with space", spaced, rfcSecret, 0, true, step},
		{"lower-case secret", code, "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 0, true, step},
		{"two steps later", code, rfcSecret, 60 * time.Second, false, 0},
		{"three steps later", code, rfcSecret, 90 * time.Second, false, 0},
		{"two steps earlier", code, rfcSecret, -60 * time.Second, false, 0},
		{"wrong code", wrongCode(code), rfcSecret, 0, false, 0},
		{"too short", code[:5], rfcSecret, 0, false, 0},
		{"not digits", "12a456", rfcSecret, 0, false, 0},
		{"empty secret", code, "", 0, false, 0},
		{"short secret", code, "GEZDGNBVGY3TQOJQ", 0, false, 0},
		{"bad base32", code, "not-base32!", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, counter := ValidateTOTP(tt.code, tt.secret, at.Add(tt.offset))
			if ok != tt.wantOK || counter != tt.wantCounter {
				t.Errorf("ValidateTOTP(%q) at %+v = %v, %d; want %v, %d", tt.code, tt.offset, ok, counter, tt.wantOK, tt.wantCounter)
			}
		})
	}
}

func TestValidateTOTPCounterPerStep(t *testing.T) {
	now := time.Unix(1234567890+10, 0)
	for _, delta := range []int64{-1, 0, 1} {
		code, err := TOTPCode(rfcSecret, now.Add(time.Duration(delta)*TOTPPeriod*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ok, counter := ValidateTOTP(code, rfcSecret, now)
		if want := 41152263 + delta; !ok || counter != want {
			t.Errorf("code of step %+d: ValidateTOTP = %v, %d; want true, %d", delta, ok, counter, want)
		}
	}
}

func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestNewTOTPSecret(t *testing.T) {
	secret, uri, err := NewTOTPSecret("", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 32 { // 20 bytes in unpadded base32
		t.Errorf("secret %q has %d characters; want 32", secret, len(secret))
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("otpauth URI %q: %v", uri, err)
	}
	if key.Type() != "totp" || key.Issuer() != TOTPIssuer || key.AccountName() != "alice@example.com" ||
		key.Secret() != secret || key.Period() != TOTPPeriod || key.Digits() != otp.DigitsSix ||
		key.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("key from URI = %s; want gbmall/alice@example.com, SHA1, 6 digits, 30 s", uri)
	}
	now := time.Now()
	code, err := TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := ValidateTOTP(code, secret, now); !ok {
		t.Error("code for a fresh secret does not validate")
	}
	other, _, err := NewTOTPSecret(TOTPIssuer, "alice@example.com")
	if err != nil || other == secret {
		t.Errorf("second secret = %q, %v; want a different secret", other, err)
	}
	if _, _, err := NewTOTPSecret(TOTPIssuer, ""); err == nil {
		t.Error("NewTOTPSecret with empty account: want error")
	}
}

func TestTOTPCodeBadSecret(t *testing.T) {
	if _, err := TOTPCode("", time.Now()); !errors.Is(err, ErrInvalidTOTPSecret) {
		t.Errorf("TOTPCode(empty) error = %v; want ErrInvalidTOTPSecret", err)
	}
}

func TestQRCodePNG(t *testing.T) {
	_, uri, err := NewTOTPSecret(TOTPIssuer, "13800138000")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		uri     string
		size    int
		wantErr bool
	}{
		{"ok", uri, 256, false},
		{"zero size", uri, 0, true},
		{"huge size", uri, 100000, true},
		{"not otpauth", "https://example.com", 256, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := QRCodePNG(tt.uri, tt.size)
			if (err != nil) != tt.wantErr {
				t.Fatalf("QRCodePNG error = %v; wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.size || b.Dy() != tt.size {
				t.Errorf("image is %dx%d; want %dx%d", b.Dx(), b.Dy(), tt.size, tt.size)
			}
		})
	}
}

// ExampleValidateTOTP shows the replay check callers must add: a code is
// only accepted when its counter is newer than the last one used.
func ExampleValidateTOTP() {
	now := time.Unix(1234567890, 0)
	code, _ := TOTPCode(rfcSecret, now)

	var lastCounter int64 // stored per account
	accept := func(code string, at time.Time) bool {
		ok, counter := ValidateTOTP(code, rfcSecret, at)
		if !ok || counter <= lastCounter {
			return false // wrong, expired or replayed
		}
		lastCounter = counter
		return true
	}
	fmt.Println(accept(code, now))
	fmt.Println(accept(code, now.Add(10*time.Second))) // replay
	// Output:
	// true
	// false
}

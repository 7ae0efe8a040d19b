package credential

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"
)

// TOTP settings (R-10.4-4, RFC 6238). SHA-1, 6 digits and a 30-second step
// are what every mainstream authenticator app supports; other choices are
// silently ignored by some apps, which then show wrong codes.
const (
	TOTPIssuer     = "gbmall"
	TOTPPeriod     = 30 // seconds per time step
	TOTPDigits     = 6
	TOTPSecretSize = 20 // bytes: RFC 4226 recommends 160 bits
	// TOTPSkew is how many steps either side of now are accepted, to absorb
	// phone clock drift and the time the user takes to type.
	TOTPSkew = 1
	// minTOTPSecretBytes is RFC 4226 §4 R6: a shared secret of at least
	// 128 bits.
	minTOTPSecretBytes = 16
	maxQRCodeSize      = 2048 // pixels
)

// ErrInvalidTOTPSecret reports a secret that is not base32 or too short.
var ErrInvalidTOTPSecret = errors.New("credential: invalid TOTP secret")

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTPSecret creates a random TOTP secret for accountName and returns it
// in base32 (for storage and manual entry) together with the otpauth:// URI
// that authenticator apps read from a QR code. An empty issuer means
// TOTPIssuer.
//
// R-10.4-4 (§10.4): a second, possession-based authentication factor.
func NewTOTPSecret(issuer, accountName string) (secretBase32, otpauthURI string, err error) {
	if issuer == "" {
		issuer = TOTPIssuer
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: accountName,
		Period:      TOTPPeriod,
		SecretSize:  TOTPSecretSize,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("credential: generating TOTP secret: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// ValidateTOTP reports whether code is valid for secretBase32 at now,
// accepting the current time step and one step either side (TOTPSkew).
// Spaces in code are ignored, since apps display "123 456".
//
// On success it returns the time-step counter (Unix seconds / 30) the code
// belongs to. A valid code stays valid for up to 90 seconds, so callers MUST
// prevent replay (RFC 6238 §5.2): store the last accepted counter per
// account and reject any result whose counter is <= that stored value,
// updating it atomically on success. If the code happens to match several
// steps, the highest counter is returned so that the stored value can never
// let the same code through twice.
func ValidateTOTP(code, secretBase32 string, now time.Time) (ok bool, counter int64) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != TOTPDigits || !isDigits(code) || checkTOTPSecret(secretBase32) != nil {
		return false, 0
	}
	current := floorDiv(now.Unix(), TOTPPeriod)
	// Check every step in the window without stopping early, so timing does
	// not reveal which step matched.
	for step := current - TOTPSkew; step <= current+TOTPSkew; step++ {
		if step < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secretBase32, uint64(step), totpOpts)
		if err != nil {
			return false, 0
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1 {
			ok, counter = true, step
		}
	}
	return ok, counter
}

// TOTPCode returns the code for secretBase32 at t, as an authenticator app
// would show it. It is used by tests and the demo.
func TOTPCode(secretBase32 string, t time.Time) (string, error) {
	if err := checkTOTPSecret(secretBase32); err != nil {
		return "", err
	}
	return totp.GenerateCodeCustom(secretBase32, t, totp.ValidateOpts{
		Period:    TOTPPeriod,
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
}

// QRCodePNG renders otpauthURI as a size×size PNG QR code for enrolment.
// Medium error correction (15%) keeps the code small yet readable from a
// screen photo.
func QRCodePNG(otpauthURI string, size int) ([]byte, error) {
	if !strings.HasPrefix(otpauthURI, "otpauth://") {
		return nil, errors.New("credential: not an otpauth:// URI")
	}
	if size <= 0 || size > maxQRCodeSize {
		return nil, fmt.Errorf("credential: QR code size %d out of range 1..%d", size, maxQRCodeSize)
	}
	png, err := qrcode.Encode(otpauthURI, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("credential: encoding QR code: %w", err)
	}
	return png, nil
}

// checkTOTPSecret rejects secrets that are not base32 (padding optional,
// any case) or shorter than 128 bits, the latter including the empty secret
// that would otherwise produce predictable codes.
func checkTOTPSecret(secret string) error {
	s := strings.ToUpper(strings.TrimSpace(secret))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	key, err := base32.StdEncoding.DecodeString(s)
	if err != nil || len(key) < minTOTPSecretBytes {
		return ErrInvalidTOTPSecret
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// floorDiv divides rounding towards negative infinity, as RFC 6238's
// T = floor((Unix time - T0) / X) requires.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

package credential

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"gbmall/internal/platform/i18n"
)

// Password policy limits (R-10.4-1).
const (
	// MinPasswordLen is counted in runes, so a Chinese character counts once.
	MinPasswordLen = 8
	// MaxPasswordLen caps the input so hashing and strength estimation stay
	// cheap; 128 runes is far beyond any memorised passphrase.
	MaxPasswordLen = 128
	// MinPasswordClasses of lower, upper, digit and other must appear.
	MinPasswordClasses = 3
	// MinPasswordScore is the lowest zxcvbn score (0–4) we accept. 3 means
	// "safely unguessable: moderate protection from offline slow-hash
	// attacks" (about 10^8 guesses). The sample passwords the product uses,
	// "Demo-Pass-2026" and "Str0ng!Passw0rd#2026", both score 4, so the
	// stricter threshold did not need lowering.
	MinPasswordScore = 3
	// zxcvbnMaxRunes bounds the input to the strength estimator, whose
	// pattern matching grows faster than linearly (a 128-rune password can
	// take a second). A prefix can only look weaker than the whole, so
	// truncation never lets a weak password through.
	zxcvbnMaxRunes = 64
	// minLoginFragment is the shortest login part we look for inside a
	// password; shorter fragments would refuse too many innocent passwords.
	minLoginFragment = 4
)

// Reasons a password is refused, in both languages.
var (
	msgPasswordTooShort = i18n.T("密码至少需要 8 个字符", "Password must be at least 8 characters")
	msgPasswordTooLong  = i18n.T("密码不能超过 128 个字符", "Password must be at most 128 characters")
	msgPasswordClasses  = i18n.T(
		"密码需包含小写字母、大写字母、数字、特殊字符中的至少 3 类",
		"Password must contain at least 3 of: lower-case letters, upper-case letters, digits, other characters")
	msgPasswordHasLogin = i18n.T("密码不能与登录名相同或包含登录名", "Password must not be or contain your login name")
	msgPasswordCommon   = i18n.T("密码过于常见或容易被猜到，请换一个", "Password is too common or easy to guess; choose another")
)

// CheckPassword returns every reason password is refused for the account
// whose login is login; an empty result means it is accepted. All reasons
// are returned at once so the user can fix them in one attempt.
func CheckPassword(password, login string) []i18n.Text {
	var reasons []i18n.Text
	n := utf8.RuneCountInString(password)
	// R-10.4-1 (§10.4): at least 8 characters.
	if n < MinPasswordLen {
		reasons = append(reasons, msgPasswordTooShort)
	}
	if n > MaxPasswordLen {
		reasons = append(reasons, msgPasswordTooLong)
	}
	// R-10.4-1 (§10.4): at least 3 of 4 character classes.
	if passwordClasses(password) < MinPasswordClasses {
		reasons = append(reasons, msgPasswordClasses)
	}
	// R-10.4-1 (§10.4): not derived from the account's own identifier.
	fragments := loginFragments(login)
	if containsLogin(password, fragments) {
		reasons = append(reasons, msgPasswordHasLogin)
	}
	// R-10.4-1 (§10.4): not a common or guessable password.
	if n <= MaxPasswordLen && passwordScore(password, fragments) < MinPasswordScore {
		reasons = append(reasons, msgPasswordCommon)
	}
	return reasons
}

// passwordClasses counts which of lower, upper, digit and other occur.
func passwordClasses(password string) int {
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	count := 0
	for _, has := range []bool{lower, upper, digit, other} {
		if has {
			count++
		}
	}
	return count
}

// loginFragments lists the lower-cased forms of login a password must not
// contain: the login as typed, its normalised form, and an email's local
// part. Empty and duplicate entries are dropped.
func loginFragments(login string) []string {
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" {
		return nil
	}
	candidates := []string{login}
	if norm, _, err := NormalizeLogin(login); err == nil {
		candidates = append(candidates, norm)
	}
	if local, _, found := strings.Cut(login, "@"); found {
		candidates = append(candidates, local)
	}
	var out []string
	for _, c := range candidates {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// containsLogin reports whether password equals a fragment, or contains one
// that is long enough to be meaningful (case-insensitive).
func containsLogin(password string, fragments []string) bool {
	pw := strings.ToLower(password)
	for _, f := range fragments {
		if pw == f || (utf8.RuneCountInString(f) >= minLoginFragment && strings.Contains(pw, f)) {
			return true
		}
	}
	return false
}

// passwordScore is the zxcvbn score of password, penalising the login and
// the brand name as dictionary words.
func passwordScore(password string, fragments []string) int {
	if utf8.RuneCountInString(password) > zxcvbnMaxRunes {
		password = string([]rune(password)[:zxcvbnMaxRunes])
	}
	inputs := append([]string{"gbmall"}, fragments...)
	return zxcvbn.PasswordStrength(password, inputs).Score
}

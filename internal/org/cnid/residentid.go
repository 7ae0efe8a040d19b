package cnid

import (
	"fmt"
	"time"
	"unicode/utf8"

	"gbmall/internal/platform/i18n"
)

// residentWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for the
// first 17 digits (GB 11643-1999 §8.2).
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentCheckMap maps sum mod 11 to the check character.
const residentCheckMap = "10X98765432"

// provinces are the province-level codes (GB/T 2260 first two digits) that can
// start a resident ID, plus 83 (Hong Kong, Macao and Taiwan residence permits)
// and 91 (foreigners' permanent residence IDs), which share the 18-digit format.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true, "91": true,
}

// earliestBirth is the lower bound for a plausible birth date: nobody alive
// applying for a shop licence was born before 1900, so such a date is a typo.
var earliestBirth = civilDate{1900, 1, 1}

// ValidateResidentID checks an 18-character resident identity number
// (居民身份证号码) per GB 11643-1999 and returns it normalised (a lower-case
// x becomes X). Besides the MOD 11-2 check character it requires a real
// province code and a real birth date between 1900-01-01 and today (in
// Asia/Shanghai, taken from now), because a clerk checks those by eye and a
// checksum alone does not catch a made-up number.
func ValidateResidentID(s string, now time.Time) (string, error) {
	id := normalize(s)
	if id == "" {
		return "", newError(FieldResidentID, CodeRequired, i18n.T(
			"请填写居民身份证号码",
			"the resident identity number is required"))
	}
	switch n := utf8.RuneCountInString(id); {
	case n == 15:
		return "", newError(FieldResidentID, CodeLength, i18n.T(
			"这是已停用的15位旧身份证号码，请填写18位号码",
			"this is a retired 15-digit identity number; enter the 18-character number"))
	case n != 18:
		return "", newError(FieldResidentID, CodeLength, i18n.T(
			fmt.Sprintf("居民身份证号码应为18位，实际为%d位", n),
			fmt.Sprintf("the resident identity number must have 18 characters, got %d", n)))
	}
	if err := checkResidentChars(id, true); err != nil {
		return "", err
	}
	if !provinces[id[:2]] {
		return "", newError(FieldResidentID, CodeRegion, i18n.T(
			fmt.Sprintf("前两位省级行政区划代码“%s”不存在", id[:2]),
			fmt.Sprintf("the province code %q in positions 1-2 does not exist", id[:2])))
	}
	if err := checkBirthDate(id[6:14], now); err != nil {
		return "", err
	}
	if id[17] != residentCheck(id[:17]) {
		return "", newError(FieldResidentID, CodeCheckChar, i18n.T(
			"第18位校验码不符，号码可能录入有误，请逐位核对身份证",
			"the check character (position 18) does not match; the number is probably mistyped, compare it with the ID card digit by digit"))
	}
	return id, nil
}

// checkResidentChars requires digits everywhere except that the 18th
// character, when present (withCheck), may also be X.
func checkResidentChars(id string, withCheck bool) error {
	pos := 0
	for _, r := range id {
		pos++
		if r >= '0' && r <= '9' || withCheck && pos == 18 && r == 'X' {
			continue
		}
		if withCheck && pos == 18 {
			return newError(FieldResidentID, CodeCharset, i18n.T(
				fmt.Sprintf("第18位“%s”不允许：只能是数字或X", quoteRune(r)),
				fmt.Sprintf("position 18: %q is not allowed; it must be a digit or X", quoteRune(r))))
		}
		return newError(FieldResidentID, CodeCharset, i18n.T(
			fmt.Sprintf("第%d位“%s”不允许：前17位只能是数字", pos, quoteRune(r)),
			fmt.Sprintf("position %d: %q is not allowed; the first 17 characters must be digits", pos, quoteRune(r))))
	}
	return nil
}

// checkBirthDate validates the YYYYMMDD at positions 7-14. The round trip
// through time.Date rejects dates like 19490230 that time.Date would
// silently normalise to March.
func checkBirthDate(ymd string, now time.Time) error {
	y, m, d := atoi(ymd[:4]), atoi(ymd[4:6]), atoi(ymd[6:8])
	birth := civilDate{y, m, d}
	if m < 1 || m > 12 || dateOf(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)) != birth {
		return newError(FieldResidentID, CodeBirthDate, i18n.T(
			fmt.Sprintf("第7-14位出生日期“%s”不是有效日期", ymd),
			fmt.Sprintf("the birth date %q at positions 7-14 is not a real calendar date", ymd)))
	}
	if birth.before(earliestBirth) {
		return newError(FieldResidentID, CodeBirthDate, i18n.T(
			fmt.Sprintf("出生日期%s早于1900-01-01，号码可能录入有误", birth),
			fmt.Sprintf("the birth date %s is before 1900-01-01; the number is probably mistyped", birth)))
	}
	if t := today(now); t.before(birth) {
		return newError(FieldResidentID, CodeBirthDate, i18n.T(
			fmt.Sprintf("出生日期%s晚于今天（%s）", birth, t),
			fmt.Sprintf("the birth date %s is after today (%s)", birth, t)))
	}
	return nil
}

// atoi parses a string already known to be ASCII digits.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// residentCheck computes the MOD 11-2 check character over 17 digits.
func residentCheck(first17 string) byte {
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * residentWeights[i]
	}
	return residentCheckMap[sum%11]
}

// ResidentIDCheckChar returns the GB 11643 check character ('0'-'9' or 'X')
// for the first 17 digits of a resident identity number, for building test
// and demo numbers. It checks only length and digits.
func ResidentIDCheckChar(first17 string) (byte, error) {
	s := normalize(first17)
	if n := utf8.RuneCountInString(s); n != 17 {
		return 0, newError(FieldResidentID, CodeLength, i18n.T(
			fmt.Sprintf("计算校验码需要前17位数字，实际为%d位", n),
			fmt.Sprintf("computing the check character needs the first 17 digits, got %d characters", n)))
	}
	if err := checkResidentChars(s, false); err != nil {
		return 0, err
	}
	return residentCheck(s), nil
}

package cnid

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gbmall/internal/platform/i18n"
)

// usccAlphabet is the GB 32100 character set in value order: the 31 symbols
// 0-9 and A-Z without I, O, Z, S and V, which are left out because they are
// easily confused with 1, 0, 2, 5 and U on handwritten and printed licences.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i) mod 31 for positions 1-17 (GB 32100 §4.3 / GB/T 17710).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights for the 8 body characters of the
// organisation code embedded at USCC positions 9-16.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// usccDepartments are the registration-management department codes (position
// 1): 1-9 and A-G as allowed by GB 32100 and its amendment, N for rural
// collective economic organisations registered by agriculture departments (in
// real use since 2018, e.g. N2…), and Y for "other".
const usccDepartments = "123456789ABCDEFGNY"

// usccValue returns the GB 32100 value of c, or -1 if c is not in the alphabet.
func usccValue(c byte) int { return strings.IndexByte(usccAlphabet, c) }

// ValidateUSCC checks an 18-character unified social credit code
// (统一社会信用代码) per GB 32100-2015 and returns it normalised (trimmed,
// upper-cased, full-width folded).
//
// Besides the final check character it verifies the structure the clerk would
// otherwise eyeball: the registration department (position 1), organisation
// category (position 2), administrative division digits (positions 3-8) and
// the GB 11714 check character of the embedded organisation code (position 17),
// so a typo is reported at the part that is wrong rather than only as a bad
// checksum.
func ValidateUSCC(s string) (string, error) {
	code := normalize(s)
	if code == "" {
		return "", newError(FieldUSCC, CodeRequired, i18n.T(
			"请填写统一社会信用代码",
			"the unified social credit code is required"))
	}
	if n := utf8.RuneCountInString(code); n != 18 {
		return "", newError(FieldUSCC, CodeLength, i18n.T(
			fmt.Sprintf("统一社会信用代码应为18位，实际为%d位", n),
			fmt.Sprintf("the unified social credit code must have 18 characters, got %d", n)))
	}
	if err := checkUSCCChars(code); err != nil {
		return "", err
	}
	if strings.IndexByte(usccDepartments, code[0]) < 0 {
		return "", newError(FieldUSCC, CodeDepartment, i18n.T(
			fmt.Sprintf("第1位登记管理部门代码“%c”不存在（应为1-9、A-G、N或Y）", code[0]),
			fmt.Sprintf("position 1 %q is not a registration department code (expected 1-9, A-G, N or Y)", code[0])))
	}
	if code[1] < '1' || code[1] > '9' {
		return "", newError(FieldUSCC, CodeCategory, i18n.T(
			fmt.Sprintf("第2位机构类别代码“%c”不存在（应为数字1-9）", code[1]),
			fmt.Sprintf("position 2 %q is not an organisation category code (expected a digit 1-9)", code[1])))
	}
	for i := 2; i < 8; i++ {
		if c := code[i]; c < '0' || c > '9' {
			return "", newError(FieldUSCC, CodeDivision, i18n.T(
				fmt.Sprintf("第3-8位应为行政区划代码（数字），第%d位却是“%c”", i+1, c),
				fmt.Sprintf("positions 3-8 must be an administrative division code (digits), position %d is %q", i+1, c)))
		}
	}
	if want := orgCheckChar(code[8:16]); code[16] != want {
		return "", newError(FieldUSCC, CodeOrgCheckChar, i18n.T(
			"第9-17位组织机构代码的校验码（第17位）不符，代码可能录入有误，请逐位核对证照",
			"the organisation code at positions 9-17 fails its check character (position 17); the code is probably mistyped, compare it with the licence character by character"))
	}
	if want := usccCheck(code[:17]); code[17] != want {
		return "", newError(FieldUSCC, CodeCheckChar, i18n.T(
			"第18位校验码不符，代码可能录入有误，请逐位核对证照",
			"the check character (position 18) does not match; the code is probably mistyped, compare it with the licence character by character"))
	}
	return code, nil
}

// checkUSCCChars reports the first character outside the GB 32100 alphabet,
// naming the position and, for I/O/Z/S/V, why the letter is not allowed.
func checkUSCCChars(code string) error {
	pos := 0
	for _, r := range code {
		pos++
		if r < utf8.RuneSelf && usccValue(byte(r)) >= 0 {
			continue
		}
		switch r {
		case 'I', 'O', 'Z', 'S', 'V':
			return newError(FieldUSCC, CodeCharset, i18n.T(
				fmt.Sprintf("第%d位字母“%c”不允许：统一社会信用代码不使用I、O、Z、S、V（易与1、0、2、5、U混淆）", pos, r),
				fmt.Sprintf("position %d: letter %q is not allowed; unified social credit codes never use I, O, Z, S or V (confusable with 1, 0, 2, 5, U)", pos, r)))
		}
		return newError(FieldUSCC, CodeCharset, i18n.T(
			fmt.Sprintf("第%d位字符“%s”不允许：只能是数字和大写字母（不含I、O、Z、S、V）", pos, quoteRune(r)),
			fmt.Sprintf("position %d: character %q is not allowed; only digits and capital letters (except I, O, Z, S, V) are used", pos, quoteRune(r))))
	}
	return nil
}

// usccCheck computes the position-18 check character over 17 valid characters.
func usccCheck(first17 string) byte {
	sum := 0
	for i := range 17 {
		sum += usccValue(first17[i]) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// orgCheckChar computes the GB 11714 check character over the 8-character
// organisation-code body. GB 11714 values letters A=10 … Z=35; the USCC
// alphabet is a subset, so the digit-or-letter value is the same.
func orgCheckChar(body string) byte {
	sum := 0
	for i := range 8 {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// USCCCheckChar returns the position-18 check character for the first 17
// characters of a unified social credit code. It only checks length and
// alphabet, not structure, so it can be used to probe arbitrary inputs.
func USCCCheckChar(first17 string) (byte, error) {
	s := normalize(first17)
	if n := utf8.RuneCountInString(s); n != 17 {
		return 0, newError(FieldUSCC, CodeLength, i18n.T(
			fmt.Sprintf("计算校验码需要前17位，实际为%d位", n),
			fmt.Sprintf("computing the check character needs the first 17 characters, got %d", n)))
	}
	if err := checkUSCCChars(s); err != nil {
		return 0, err
	}
	return usccCheck(s), nil
}

// MakeUSCC builds a valid unified social credit code from its first 16
// characters by appending the GB 11714 check character (position 17) and the
// GB 32100 check character (position 18). It exists so tests and demo data
// use codes that pass ValidateUSCC; like regexp.MustCompile it panics if
// prefix16 cannot start a valid code, because that is a programming error.
func MakeUSCC(prefix16 string) string {
	p := normalize(prefix16)
	if len(p) != 16 || checkUSCCChars(p) != nil {
		panic(fmt.Sprintf("cnid.MakeUSCC: %q is not 16 GB 32100 characters", prefix16))
	}
	p += string(orgCheckChar(p[8:16]))
	code := p + string(usccCheck(p))
	if _, err := ValidateUSCC(code); err != nil {
		panic(fmt.Sprintf("cnid.MakeUSCC(%q): %v", prefix16, err))
	}
	return code
}

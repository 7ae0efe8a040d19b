// Package i18n holds the two languages gbmall speaks: zh-CN (the default)
// and English. Domain code returns Text values carrying both, and the edge
// (API or console) picks one from the request's language.
package i18n

import "strings"

// Lang is a supported language tag.
type Lang string

// The supported languages. ZH is the default.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Text is a message in both languages.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// T builds a Text.
func T(zh, en string) Text { return Text{ZH: zh, EN: en} }

// In returns the message in lang, falling back to Chinese.
func (t Text) In(lang Lang) string {
	if lang == EN && t.EN != "" {
		return t.EN
	}
	if t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// IsZero reports whether the text is empty in both languages.
func (t Text) IsZero() bool { return t.ZH == "" && t.EN == "" }

// Parse picks a supported language from an Accept-Language header or a
// "lang" parameter value. Anything that is not English is Chinese.
func Parse(v string) Lang {
	for _, part := range strings.Split(v, ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		tag = strings.ToLower(tag)
		switch {
		case tag == "":
			continue
		case strings.HasPrefix(tag, "en"):
			return EN
		case strings.HasPrefix(tag, "zh"):
			return ZH
		}
	}
	return ZH
}

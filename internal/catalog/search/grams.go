package search

import (
	"strings"
	"unicode"
)

// maxWordRunes bounds a word gram. A longer run of letters and digits (a
// pasted serial number, a URL without separators) is cut to this length in
// both the index and queries, so it still matches itself without letting one
// title put kilobytes into the index.
const maxWordRunes = 64

// fold maps full-width ASCII forms (U+FF01..U+FF5E, common in Chinese input
// methods: "ＰＲＯ", "１２８ＧＢ") to their ASCII counterparts and the
// ideographic space to a space. Full NFKC needs golang.org/x/text, which
// gbmall does not take for this alone.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tokens splits text into runs of Han characters and lower-cased words of
// letters and digits, in order; everything else separates them.
func tokens(text string, han func(run []rune), word func(w string)) {
	var run []rune
	var w []rune
	flush := func() {
		if len(run) > 0 {
			han(run)
			run = run[:0]
		}
		if len(w) > 0 {
			if len(w) > maxWordRunes {
				w = w[:maxWordRunes]
			}
			word(strings.ToLower(string(w)))
			w = w[:0]
		}
	}
	for _, r := range text {
		r = fold(r)
		switch {
		case isHan(r):
			if len(w) > 0 {
				flush()
			}
			run = append(run, r)
		case isWordRune(r):
			if len(run) > 0 {
				flush()
			}
			w = append(w, r)
		default:
			flush()
		}
	}
	flush()
}

// grams collects distinct strings in the order first seen.
type grams struct {
	seen map[string]struct{}
	list []string
}

func (g *grams) add(s string) {
	if _, ok := g.seen[s]; ok {
		return
	}
	if g.seen == nil {
		g.seen = map[string]struct{}{}
	}
	g.seen[s] = struct{}{}
	g.list = append(g.list, s)
}

// Grams returns the index terms of a text, deduplicated: for every run of
// Han characters each single character and every overlapping two-character
// gram ("智能手机" → 智, 能, 手, 机, 智能, 能手, 手机), so that any one
// character and any Chinese substring of two or more characters can be found
// by equality look-ups; for other text the lower-cased words of letters and
// digits after folding full-width ASCII ("Mate70 Pro" → mate70, pro).
func Grams(text string) []string {
	var g grams
	tokens(text, func(run []rune) {
		for i := range run {
			g.add(string(run[i]))
			if i+1 < len(run) {
				g.add(string(run[i : i+2]))
			}
		}
	}, g.add)
	return g.list
}

// QueryGrams returns the grams a product must all have to match query q: a
// lone Han character as itself, a longer Han run as its bigrams (a product
// having every bigram of "智能手机" almost always contains the phrase; the
// ranking puts those that do first), and the words.
func QueryGrams(q string) []string {
	var g grams
	tokens(q, func(run []rune) {
		if len(run) == 1 {
			g.add(string(run))
			return
		}
		for i := 0; i+1 < len(run); i++ {
			g.add(string(run[i : i+2]))
		}
	}, g.add)
	return g.list
}

// tokenCount returns the number of Han runs and words in text.
func tokenCount(text string) int {
	n := 0
	tokens(text, func([]rune) { n++ }, func(string) { n++ })
	return n
}

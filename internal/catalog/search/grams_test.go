package search_test

import (
	"slices"
	"testing"

	"gbmall/internal/catalog/search"
)

func TestGrams(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"punctuation only", " +-/。！", nil},
		{"lone Han character", "手", []string{"手"}},
		{"Han run", "智能手机", []string{"智", "智能", "能", "能手", "手", "手机", "机"}},
		{"two runs deduplicated", "手机 手机壳", []string{"手", "手机", "机", "机壳", "壳"}},
		{"mixed title", "华为 Mate 70 Pro 智能手机 12GB+256GB", []string{"华", "华为", "为", "mate", "70", "pro", "智", "智能", "能", "能手", "手", "手机", "机", "12gb", "256gb"}},
		{"letters run into Han", "Mate70手机", []string{"mate70", "手", "手机", "机"}},
		{"decimal split", "1.8m 床", []string{"1", "8m", "床"}},
		{"English words lower-cased", "iPhone16 PRO max", []string{"iphone16", "pro", "max"}},
		{"full-width letters and digits", "ＰＲＯ１２８ＧＢ", []string{"pro128gb"}},
		{"ideographic space and full-width punctuation", "纯棉　四件套！Ａ类", []string{"纯", "纯棉", "棉", "四", "四件", "件", "件套", "套", "a", "类"}},
		{"apostrophe splits words", "L'Oreal", []string{"l", "oreal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := search.Grams(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Grams(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestQueryGrams(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"机", []string{"机"}},
		{"手机", []string{"手机"}},
		{"智能手机", []string{"智能", "能手", "手机"}},
		{"手 机", []string{"手", "机"}},
		{"华为 PRO", []string{"华为", "pro"}},
		{"ｐｒｏ", []string{"pro"}},
		{"手机手机", []string{"手机", "机手"}},
		{"100%", []string{"100"}},
	}
	for _, tt := range tests {
		if got := search.QueryGrams(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("QueryGrams(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

// Every gram a query asks for is one the indexed text has, for any
// substring of two or more Han characters and any single one.
func TestQueryGramsOfSubstringsAreIndexed(t *testing.T) {
	title := []rune("北欧风纯棉四件套")
	indexed := search.Grams(string(title))
	for i := range title {
		for j := i + 1; j <= len(title); j++ {
			for _, g := range search.QueryGrams(string(title[i:j])) {
				if !slices.Contains(indexed, g) {
					t.Errorf("query %q needs gram %q, which %q is not indexed under", string(title[i:j]), g, string(title))
				}
			}
		}
	}
}

package document

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileNameRunes bounds a kept file name.
const MaxFileNameRunes = 200

// SanitizeFileName turns a client-supplied file name into one safe to keep
// and to show: the last path segment only (clients send "C:\\scans\\x.pdf"),
// valid UTF-8, without control or invisible formatting characters (a
// right-to-left override can make "gpj.exe" read as "exe.jpg"), without
// the characters file systems and headers treat specially, without leading
// dots, and at most MaxFileNameRunes runes with the extension kept.
func SanitizeFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			continue
		case strings.ContainsRune(`"*:<>?|;`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	name = strings.TrimRight(name, ". ")
	if name == "" {
		return "document"
	}
	if utf8.RuneCountInString(name) > MaxFileNameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		stem := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimRight(string(stem[:MaxFileNameRunes-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	return name
}

var extensions = map[string][]string{
	TypePDF:  {".pdf"},
	TypePNG:  {".png"},
	TypeJPEG: {".jpg", ".jpeg"},
}

// DownloadName is the name to offer when the document is served: the kept
// file name, with the extension of its real type appended when the name
// claims another (so "invoice.html" holding a PNG is saved as
// "invoice.html.png" and never opened as a page).
func (d *Document) DownloadName() string {
	name := d.FileName
	if name == "" {
		name = "document"
	}
	exts := extensions[d.ContentType]
	if len(exts) == 0 {
		return name
	}
	ext := strings.ToLower(path.Ext(name))
	for _, e := range exts {
		if ext == e {
			return name
		}
	}
	return name + exts[0]
}

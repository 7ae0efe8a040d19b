package document

import (
	"bufio"
	"bytes"
	"image/jpeg"
	"image/png"
	"io"
)

var (
	pdfMagic  = []byte("%PDF-")
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
)

// Sniff decides the type of a document from its first bytes and, for
// images, from a successful decode of the image header — a file that only
// begins like a PNG or JPEG (a polyglot, a truncated file) is refused. It
// returns TypePDF, TypePNG or TypeJPEG, or a 415 unsupported-media-type
// error for anything else: SVG, GIF, HTML, archives, executables.
//
// The file name and the Content-Type the client declared are deliberately
// not consulted: both are chosen by the uploader, so an executable renamed
// to x.pdf is judged by what it is (R-10.6-5).
func Sniff(r io.Reader) (string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	head, _ := br.Peek(8)
	switch {
	case bytes.HasPrefix(head, pdfMagic):
		return TypePDF, nil
	case bytes.Equal(head, pngMagic):
		if cfg, err := png.DecodeConfig(br); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			return TypePNG, nil
		}
	case bytes.HasPrefix(head, jpegMagic):
		if cfg, err := jpeg.DecodeConfig(br); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			return TypeJPEG, nil
		}
	}
	return "", errUnsupported()
}

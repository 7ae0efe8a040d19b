package catalog

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// The content types a product image may have.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
)

// jpegQuality is the quality of the renditions: small files without
// visible blocking on product photos.
const jpegQuality = 85

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
)

// sniffImage decides the type of an upload from its first bytes and reads
// its dimensions from its header, without decoding the pixels. The file
// name and the declared Content-Type are never consulted. Anything but
// JPEG, PNG and WebP (SVG, GIF, HTML, a polyglot whose header does not
// parse) is 415; more than MaxImagePixels is refused before a byte of
// pixels is allocated.
func sniffImage(b []byte) (typ string, w, h int, err error) {
	var cfg image.Config
	r := bytes.NewReader(b)
	switch {
	case bytes.HasPrefix(b, pngMagic):
		typ = TypePNG
		cfg, err = png.DecodeConfig(r)
	case bytes.HasPrefix(b, jpegMagic):
		typ = TypeJPEG
		cfg, err = jpeg.DecodeConfig(r)
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		typ = TypeWebP
		cfg, err = webp.DecodeConfig(r)
	default:
		return "", 0, 0, errImageType()
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", 0, 0, errImageType()
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return "", 0, 0, problem.Invalid(problem.Field("file", i18n.T(
			fmt.Sprintf("图片尺寸过大（%d×%d 像素）：最多 4000 万像素，请缩小后再上传", cfg.Width, cfg.Height),
			fmt.Sprintf("The image is too large (%d×%d pixels): at most 40 megapixels, please scale it down", cfg.Width, cfg.Height))))
	}
	return typ, cfg.Width, cfg.Height, nil
}

// decodeImage decodes an image already sniffed as typ.
func decodeImage(b []byte, typ string) (image.Image, error) {
	r := bytes.NewReader(b)
	var img image.Image
	var err error
	switch typ {
	case TypePNG:
		img, err = png.Decode(r)
	case TypeJPEG:
		img, err = jpeg.Decode(r)
	case TypeWebP:
		img, err = webp.Decode(r)
	default:
		return nil, errImageType()
	}
	if err != nil {
		// The header parsed but the pixels do not: a truncated or damaged
		// file, refused like any other thing that is not an image.
		return nil, errImageType()
	}
	return img, nil
}

// fit returns w×h scaled so that its longest side is at most size,
// never enlarged, never below one pixel.
func fit(w, h, size int) (int, int) {
	if w <= size && h <= size {
		return w, h
	}
	if w >= h {
		return size, max(1, (h*size+w/2)/w)
	}
	return max(1, (w*size+h/2)/h), size
}

// resize draws src into a new white w×h canvas with Catmull-Rom
// resampling; transparent areas become white, as JPEG has no alpha.
func resize(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	return dst
}

// renditions makes the JPEG renditions of src, largest first; each
// smaller one is resampled from the one before, which keeps a 40-megapixel
// upload to one expensive pass.
func renditions(src image.Image) (map[int][]byte, error) {
	out := map[int][]byte{}
	cur := src
	for _, size := range ImageSizes {
		b := cur.Bounds()
		w, h := fit(b.Dx(), b.Dy(), size)
		img := resize(cur, w, h)
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return nil, fmt.Errorf("catalog: encode rendition: %w", err)
		}
		out[size] = buf.Bytes()
		cur = img
	}
	return out, nil
}

// store writes the original and the renditions of image sha, unless a
// complete set is already there (the same content uploaded before).
// Each file is written to a temporary name and renamed, so a reader sees a
// whole file or none.
func (st *ImageStore) store(ctx context.Context, sha string, data []byte, typ string) error {
	dir := st.blobDir(sha)
	names := []string{"original"}
	for _, size := range ImageSizes {
		names = append(names, strconv.Itoa(size)+".jpg")
	}
	complete := true
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || !fi.Mode().IsRegular() {
			complete = false
			break
		}
	}
	if complete {
		return nil
	}
	select {
	case st.work <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	src, err := decodeImage(data, typ)
	var files map[int][]byte
	if err == nil {
		files, err = renditions(src)
	}
	<-st.work
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("catalog: create image directory: %w", err)
	}
	if err := writeAtomic(dir, "original", data); err != nil {
		return err
	}
	for _, size := range ImageSizes {
		if err := writeAtomic(dir, strconv.Itoa(size)+".jpg", files[size]); err != nil {
			return err
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func writeAtomic(dir, name string, b []byte) error {
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("catalog: temporary file: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("catalog: write image %s: %w", name, err)
	}
	return nil
}

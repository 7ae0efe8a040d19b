package catalog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/problem"
)

// testImage draws a w×h picture whose colours depend on seed, so that two
// seeds give two different files.
func testImage(w, h int, seed uint8) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x*255/w) ^ seed, uint8(y * 255 / h), seed, 255})
		}
	}
	return img
}

func pngBytes(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h, seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h, seed), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG header claiming w×h pixels followed by no pixel
// data: tiny on the wire, gigabytes if decoded.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}

func wantCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	if problem.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func TestProductImages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		dir := t.TempDir()
		st := catalog.NewImageStore(e.cat, dir)
		orgID, owner := e.seller("图片测试店")
		p := e.product(owner, orgID, "apparel-mens", "纯棉男士衬衫", 12900)

		// A PNG wider than the largest rendition: three JPEG renditions,
		// the longest side of each at its size.
		img, err := st.AddImage(owner, p.ID, bytes.NewReader(pngBytes(t, 1200, 800, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if img.ContentType != catalog.TypePNG || img.Width != 1200 || img.Height != 800 || img.Position != 0 ||
			img.URL != "/media/"+img.SHA256+"/480.jpg" {
			t.Fatalf("image %+v", img)
		}
		for size, want := range map[int][2]int{160: {160, 107}, 480: {480, 320}, 960: {960, 640}} {
			f, err := os.Open(filepath.Join(dir, "media", img.SHA256[:2], img.SHA256, strings.TrimPrefix(catalog.MediaURL(img.SHA256, size), "/media/"+img.SHA256+"/")))
			if err != nil {
				t.Fatal(err)
			}
			cfg, format, err := image.DecodeConfig(f)
			f.Close()
			if err != nil || format != "jpeg" || cfg.Width != want[0] || cfg.Height != want[1] {
				t.Fatalf("rendition %d: %s %dx%d %v", size, format, cfg.Width, cfg.Height, err)
			}
		}
		var n int
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'product.image.add' AND object_id = $1`, p.ID).Scan(&n)
		if n != 1 {
			t.Fatalf("%d audit entries", n)
		}

		// The same picture twice on one product is refused.
		_, err = st.AddImage(owner, p.ID, bytes.NewReader(pngBytes(t, 1200, 800, 1)))
		wantCode(t, err, problem.Conflict)

		// Not an image, whatever it claims: 415. An empty file: 400.
		for _, bad := range [][]byte{
			[]byte("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
			[]byte("GIF89a\x01\x00\x01\x00"),
			append([]byte("\x89PNG\r\n\x1a\n"), "not really"...),
			[]byte("%PDF-1.7\n"),
		} {
			_, err = st.AddImage(owner, p.ID, bytes.NewReader(bad))
			wantCode(t, err, problem.UnsupportedMedia)
		}
		_, err = st.AddImage(owner, p.ID, bytes.NewReader(nil))
		wantCode(t, err, problem.Validation)

		// A decompression bomb is refused from its header, with a message
		// that says why.
		_, err = st.AddImage(owner, p.ID, bytes.NewReader(bombPNG(100000, 100000)))
		wantCode(t, err, problem.Validation)
		if pr, _ := problem.As(err); !strings.Contains(pr.Fields[0].Message.In("zh-CN"), "4000 万像素") {
			t.Fatalf("bomb message %+v", pr.Fields)
		}
		// Over 10 MiB: 413, read no further than the limit.
		_, err = st.AddImage(owner, p.ID, bytes.NewReader(make([]byte, catalog.MaxImageBytes+1)))
		wantCode(t, err, problem.PayloadTooLarge)

		// Another seller's staff are told the product does not exist.
		_, other := e.seller("别家店")
		_, err = st.AddImage(other, p.ID, bytes.NewReader(jpegBytes(t, 300, 300, 9)))
		wantCode(t, err, problem.NotFound)
		wantCode(t, st.DeleteImage(other, p.ID, img.ID), problem.NotFound)
		_, err = st.OrderImages(other, p.ID, []string{img.ID})
		wantCode(t, err, problem.NotFound)

		// Up to nine images; the tenth is refused.
		ids := []string{img.ID}
		for i := 2; i <= catalog.MaxImages; i++ {
			x, err := st.AddImage(owner, p.ID, bytes.NewReader(jpegBytes(t, 200+i, 150, uint8(i*20))))
			if err != nil {
				t.Fatalf("image %d: %v", i, err)
			}
			if x.Position != i-1 || x.ContentType != catalog.TypeJPEG {
				t.Fatalf("image %d: %+v", i, x)
			}
			ids = append(ids, x.ID)
		}
		_, err = st.AddImage(owner, p.ID, bytes.NewReader(jpegBytes(t, 300, 300, 250)))
		wantCode(t, err, problem.Conflict)

		// Delete the first: the others move up, the second becomes main.
		if err := st.DeleteImage(owner, p.ID, ids[0]); err != nil {
			t.Fatal(err)
		}
		wantCode(t, st.DeleteImage(owner, p.ID, ids[0]), problem.NotFound)
		view, err := e.cat.Product(owner, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Images) != catalog.MaxImages-1 || view.Images[0].ID != ids[1] || view.Images[0].Position != 0 ||
			view.Images[7].Position != 7 {
			t.Fatalf("after delete: %+v", view.Images)
		}
		ids = ids[1:]

		// Reorder: the last becomes main; a partial or foreign list is refused.
		order := append([]string{ids[len(ids)-1]}, ids[:len(ids)-1]...)
		got, err := st.OrderImages(owner, p.ID, order)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range got {
			if x.ID != order[i] || x.Position != i {
				t.Fatalf("order: %d is %+v", i, x)
			}
		}
		_, err = st.OrderImages(owner, p.ID, order[1:])
		wantCode(t, err, problem.Validation)
		_, err = st.OrderImages(owner, p.ID, append(order[1:], order[1]))
		wantCode(t, err, problem.Validation)
		_ = d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('product.image.delete', 'product.image.order') AND object_id = $1`, p.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("%d delete/order audit entries", n)
		}

		// The reviewers' and the seller's lists show the main image.
		sums, _, err := e.cat.SellerProducts(owner, orgID, catalog.ProductFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 1 || sums[0].ImageURL != catalog.MediaURL(got[0].SHA256, catalog.ImageThumb) {
			t.Fatalf("summaries %+v", sums)
		}
		items, err := e.cat.WithImages(context.Background(), []catalog.ListItem{{ID: p.ID}, {ID: "none"}})
		if err != nil {
			t.Fatal(err)
		}
		if items[0].ImageURL != catalog.MediaURL(got[0].SHA256, catalog.ImageCard) || items[1].ImageURL != "" {
			t.Fatalf("list items %+v", items)
		}
	})
}

func TestServeMedia(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		st := catalog.NewImageStore(e.cat, t.TempDir())
		orgID, owner := e.seller("图片服务店")
		p := e.product(owner, orgID, "apparel-mens", "纯棉男士衬衫", 12900)
		// A transparent PNG: the rendition is a JPEG on white.
		src := image.NewNRGBA(image.Rect(0, 0, 100, 50))
		var b bytes.Buffer
		_ = png.Encode(&b, src)
		img, err := st.AddImage(owner, p.ID, &b)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /media/{sha}/{file}", st.ServeMedia)
		get := func(path string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec
		}
		rec := get(img.ThumbURL)
		h := rec.Header()
		if rec.Code != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("%d %v", rec.Code, h)
		}
		dec, err := jpeg.Decode(rec.Body)
		if err != nil || dec.Bounds().Dx() != 100 || dec.Bounds().Dy() != 50 {
			t.Fatalf("small images are not enlarged: %v %v", dec.Bounds(), err)
		}
		if r, g, bl, _ := dec.At(50, 25).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
			t.Fatalf("transparent pixels should be white, got %x %x %x", r, g, bl)
		}
		for _, bad := range []string{"/media/" + img.SHA256 + "/original", "/media/" + img.SHA256 + "/100.jpg",
			"/media/" + strings.Repeat("0", 64) + "/160.jpg", "/media/..%2f..%2fetc/160.jpg"} {
			if rec := get(bad); rec.Code != http.StatusNotFound {
				t.Errorf("%s: %d", bad, rec.Code)
			}
		}
		// Deleted from every product: no longer served.
		if err := st.DeleteImage(owner, p.ID, img.ID); err != nil {
			t.Fatal(err)
		}
		if rec := get(img.ThumbURL); rec.Code != http.StatusNotFound {
			t.Fatalf("deleted image served: %d", rec.Code)
		}
	})
}

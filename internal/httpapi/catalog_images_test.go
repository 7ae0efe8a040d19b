package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"testing"

	"gbmall/internal/catalog"
	"gbmall/internal/httpapi"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
)

// imageSetup is setup with the product image store wired and /media/
// served beside the API, as the app mounts them.
func imageSetup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	w := newWorld(t, d)
	images := catalog.NewImageStore(w.cat, t.TempDir())
	deps := w.deps(d)
	deps.Images = images
	mux := http.NewServeMux()
	mux.Handle("/api/", httpapi.New(deps).Handler())
	mux.HandleFunc("GET /media/{sha}/{file}", images.ServeMedia)
	return w.serve(t, d, mux)
}

func (b *bundle) sendImage(token, productID, partType string, content []byte) resp {
	b.t.Helper()
	body, ctype := multipartBody(b.t, nil, filePart{"file", "商品图.jpg", partType, content})
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/products/"+productID+"/images", body)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func apiTestImage(t *testing.T, w, h int, seed uint8, asJPEG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x) ^ seed, uint8(y), seed, 255})
		}
	}
	var buf bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&buf, img, nil)
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// apiBombPNG is a PNG header claiming w×h pixels with no pixel data.
func apiBombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

func TestProductImagesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := imageSetup(t, d)
		reviewer := b.reviewerToken("img-rev@example.cn")
		seller := b.approvedSeller("图片旗舰店", reviewer)
		pid, _ := b.newProduct(seller, "纯棉男士衬衫", "apparel-mens", 12900)

		// Signed out: 401 before the body is read. Another seller, a
		// consumer: the product does not exist for them.
		if r := b.sendImage("", pid, "image/png", apiTestImage(t, 40, 40, 1, false)); r.status != 401 {
			t.Fatalf("anonymous upload: %d %s", r.status, r.raw)
		}
		other := b.approvedSeller("别家店", reviewer)
		if r := b.sendImage(other.token, pid, "image/png", apiTestImage(t, 40, 40, 1, false)); r.status != 404 {
			t.Fatalf("other tenant upload: %d %s", r.status, r.raw)
		}
		consumer := b.consumerToken("img-shopper@example.cn")
		if r := b.sendImage(consumer, pid, "image/png", apiTestImage(t, 40, 40, 1, false)); r.status != 404 {
			t.Fatalf("consumer upload: %d %s", r.status, r.raw)
		}

		// A PNG declared as anything: 201 with the image and its URLs.
		r := b.sendImage(seller.token, pid, "application/octet-stream", apiTestImage(t, 640, 480, 1, false))
		if r.status != 201 || r.body["content_type"] != "image/png" || r.body["width"] != float64(640) || r.body["position"] != float64(0) {
			t.Fatalf("upload: %d %s", r.status, r.raw)
		}
		first := r.body["id"].(string)
		thumb := r.body["thumb_url"].(string)
		res, err := http.Get(b.srv.URL + thumb)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || format != "jpeg" || cfg.Width != 160 || cfg.Height != 120 ||
			res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("thumbnail: %d %s %dx%d %v %v", res.StatusCode, format, cfg.Width, cfg.Height, res.Header, err)
		}

		// Refusals, each with its problem code.
		for _, c := range []struct {
			name    string
			content []byte
			status  int
			code    string
		}{
			{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415, "unsupported-media-type"},
			{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 415, "unsupported-media-type"},
			{"bomb", apiBombPNG(50000, 50000), 400, "validation"},
			{"oversize", make([]byte, 10<<20+70<<10), 413, "payload-too-large"},
			{"duplicate", apiTestImage(t, 640, 480, 1, false), 409, "conflict"},
		} {
			r := b.sendImage(seller.token, pid, "image/png", c.content)
			if r.status != c.status || r.problemCode() != c.code {
				t.Errorf("%s: %d %s", c.name, r.status, r.raw)
			}
		}
		if r := b.do("POST", "/api/v1/products/"+pid+"/images", seller.token, `{"file":"x"}`); r.status != 415 {
			t.Errorf("JSON instead of multipart: %d %s", r.status, r.raw)
		}

		// A JPEG second; then order it first.
		r = b.sendImage(seller.token, pid, "image/jpeg", apiTestImage(t, 300, 400, 7, true))
		if r.status != 201 || r.body["position"] != float64(1) {
			t.Fatalf("second upload: %d %s", r.status, r.raw)
		}
		second := r.body["id"].(string)
		if r := b.do("PUT", "/api/v1/products/"+pid+"/images/order", other.token, `{"ids":["`+second+`","`+first+`"]}`); r.status != 404 {
			t.Fatalf("other tenant order: %d %s", r.status, r.raw)
		}
		if r := b.do("PUT", "/api/v1/products/"+pid+"/images/order", seller.token, `{"ids":["`+second+`"]}`); r.status != 400 || r.problemCode() != "validation" {
			t.Fatalf("partial order: %d %s", r.status, r.raw)
		}
		r = b.do("PUT", "/api/v1/products/"+pid+"/images/order", seller.token, `{"ids":["`+second+`","`+first+`"]}`)
		if r.status != 200 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}

		// The product page and the public list show them, main first.
		if r := b.do("POST", "/api/v1/products/"+pid+"/list", seller.token, ""); r.status != 200 || r.body["status"] != "listed" {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		r = b.do("GET", "/api/v1/products/"+pid, "", "")
		imgs, _ := r.body["images"].([]any)
		if r.status != 200 || len(imgs) != 2 || imgs[0].(map[string]any)["id"] != second {
			t.Fatalf("product page images: %d %s", r.status, r.raw)
		}
		mainURL := imgs[0].(map[string]any)["url"]
		r = b.do("GET", "/api/v1/products", "", "")
		items, _ := r.body["items"].([]any)
		if r.status != 200 || len(items) != 1 || items[0].(map[string]any)["image_url"] != mainURL {
			t.Fatalf("list image: %d %s", r.status, r.raw)
		}

		// Delete: another tenant cannot; the seller can, once.
		if r := b.do("DELETE", "/api/v1/products/"+pid+"/images/"+second, other.token, ""); r.status != 404 {
			t.Fatalf("other tenant delete: %d %s", r.status, r.raw)
		}
		if r := b.do("DELETE", "/api/v1/products/"+pid+"/images/"+second, seller.token, ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		if r := b.do("DELETE", "/api/v1/products/"+pid+"/images/"+second, seller.token, ""); r.status != 404 {
			t.Fatalf("delete again: %d %s", r.status, r.raw)
		}
		r = b.do("GET", "/api/v1/products/"+pid, "", "")
		imgs, _ = r.body["images"].([]any)
		if len(imgs) != 1 || imgs[0].(map[string]any)["id"] != first || imgs[0].(map[string]any)["position"] != float64(0) {
			t.Fatalf("after delete: %s", r.raw)
		}
		var n int
		_ = d.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action LIKE 'product.image.%' AND object_id = $1`, pid).Scan(&n)
		if n != 4 { // two uploads, one order, one delete
			t.Fatalf("%d image audit entries", n)
		}
	})
}

package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/document"
	"gbmall/internal/httpapi"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
)

const docPassword = "Str0ng!Passw0rd#2026"

type docBundle struct {
	t       *testing.T
	db      *db.DB
	clock   *clock.Fake
	ids     *identity.Service
	srv     *httptest.Server
	dataDir string
}

func docSetup(t *testing.T, d *db.DB) *docBundle {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	keys, err := fieldcrypt.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cfg := identity.DefaultConfig()
	cfg.PasswordParams = credential.TestParams
	trail := audit.New(clk)
	ids := identity.NewService(d, clk, keys, trail, cfg)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	api := httpapi.New(httpapi.Deps{DB: d, Clock: clk, Identity: ids, Trail: trail, Log: log, Version: "test", RateLimits: false})
	dataDir := t.TempDir()
	httpapi.RegisterDocumentRoutes(api.Huma(), document.NewStore(d, trail, clk, dataDir))
	srv := httptest.NewServer(httpapi.Observe(api.Handler(), log, nil, false))
	t.Cleanup(srv.Close)
	return &docBundle{t: t, db: d, clock: clk, ids: ids, srv: srv, dataDir: dataDir}
}

type docResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r docResp) code() string {
	t, _ := r.body["type"].(string)
	return t[strings.LastIndex(t, "/")+1:]
}

func (b *docBundle) send(method, path, token, ctype string, body io.Reader) docResp {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := docResp{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// filePart is one file in a multipart upload; partType "" sends no
// Content-Type for the part.
type filePart struct {
	field, name, partType string
	content               []byte
}

func multipartBody(t *testing.T, fields map[string]string, files ...filePart) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.field+`"; filename="`+strings.ReplaceAll(f.name, `"`, `\"`)+`"`)
		if f.partType != "" {
			h.Set("Content-Type", f.partType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(f.content)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (b *docBundle) upload(token, orgID, name, partType string, content []byte) docResp {
	b.t.Helper()
	fields := map[string]string{}
	if orgID != "" {
		fields["organization_id"] = orgID
	}
	body, ctype := multipartBody(b.t, fields, filePart{"file", name, partType, content})
	return b.send("POST", "/api/v1/documents", token, ctype, body)
}

func (b *docBundle) login(login, otp string) string {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"login": login, "password": docPassword, "otp": otp})
	r := b.send("POST", "/api/v1/auth/login", "", "application/json", bytes.NewReader(body))
	tok, _ := r.body["token"].(string)
	if r.status != 200 || tok == "" {
		b.t.Fatalf("login %s: %d %s", login, r.status, r.raw)
	}
	return tok
}

// seller creates an organisation with an owner and returns its id and the
// owner's token.
func (b *docBundle) seller(name string) (string, string) {
	b.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System)
	login := "doc-" + name + "@example.cn"
	accountID, _, err := b.ids.EnsureAccount(ctx, login, docPassword, "卖家"+name)
	if err != nil {
		b.t.Fatal(err)
	}
	var orgID string
	if err := b.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if orgID, err = b.ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "店铺"+name, "approved"); err != nil {
			return err
		}
		return b.ids.GrantRoleTx(ctx, tx, orgID, accountID, identity.RoleOwner, "")
	}); err != nil {
		b.t.Fatal(err)
	}
	return orgID, b.login(login, "")
}

func (b *docBundle) reviewer() string {
	b.t.Helper()
	op, err := b.ids.CreateOperator(audit.WithActor(context.Background(), audit.System), "doc-reviewer@example.cn", docPassword, "审核员",
		[]identity.Role{identity.RoleReviewer}, "test", false)
	if err != nil {
		b.t.Fatal(err)
	}
	code, _ := credential.TOTPCode(op.TOTPSecret, b.clock.Now())
	return b.login("doc-reviewer@example.cn", code)
}

func (b *docBundle) storedFiles() int {
	n := 0
	_ = filepath.WalkDir(filepath.Join(b.dataDir, "documents"), func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func docPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 5, 5))
	img.Set(2, 2, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var docPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestDocumentUploadAndServe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := docSetup(t, d)
		orgA, tokA := b.seller("a")
		img := docPNG(t)
		sum := sha256.Sum256(img)
		// The part's declared type is ignored: a PNG declared as HTML is a PNG.
		r := b.upload(tokA, orgA, "营业执照 副本.html", "text/html", img)
		if r.status != 201 || r.body["sha256"] != hex.EncodeToString(sum[:]) || r.body["content_type"] != "image/png" ||
			r.body["size"] != float64(len(img)) || r.body["id"] == "" || len(r.body) != 4 {
			t.Fatalf("upload png: %d %s", r.status, r.raw)
		}
		pngID := r.body["id"].(string)
		r = b.upload(tokA, "", "licence.pdf", "", docPDF)
		if r.status != 201 || r.body["content_type"] != "application/pdf" || r.body["size"] != float64(len(docPDF)) {
			t.Fatalf("upload pdf: %d %s", r.status, r.raw)
		}
		pdfID := r.body["id"].(string)
		// The same bytes again: a second document, one file.
		if r := b.upload(tokA, orgA, "again.png", "image/png", img); r.status != 201 || r.body["id"] == pngID {
			t.Fatalf("second upload: %d %s", r.status, r.raw)
		}
		if n := b.storedFiles(); n != 2 {
			t.Fatalf("want 2 files on disk, got %d", n)
		}
		var rows int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM documents`).Scan(&rows); err != nil || rows != 3 {
			t.Fatalf("want 3 rows, got %d %v", rows, err)
		}

		meta := b.send("GET", "/api/v1/documents/"+pngID, tokA, "", nil)
		if meta.status != 200 || meta.body["organization_id"] != orgA || meta.body["file_name"] != "营业执照 副本.html" || meta.body["content_type"] != "image/png" {
			t.Fatalf("metadata: %d %s", meta.status, meta.raw)
		}
		c := b.send("GET", "/api/v1/documents/"+pngID+"/content", tokA, "", nil)
		if c.status != 200 || !bytes.Equal(c.raw, img) || c.header.Get("Content-Type") != "image/png" ||
			c.header.Get("X-Content-Type-Options") != "nosniff" || c.header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("png content: %d %v", c.status, c.header)
		}
		cd := c.header.Get("Content-Disposition")
		if cd != `inline; filename="____ __.html.png"; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20%E5%89%AF%E6%9C%AC.html.png` {
			t.Fatalf("content disposition: %s", cd)
		}
		for _, v := range c.header.Values("Content-Security-Policy") {
			if v == "sandbox" {
				t.Fatal("images need no sandbox policy")
			}
		}
		c = b.send("GET", "/api/v1/documents/"+pdfID+"/content", tokA, "", nil)
		sandboxed := false
		for _, v := range c.header.Values("Content-Security-Policy") {
			sandboxed = sandboxed || v == "sandbox"
		}
		if c.status != 200 || !bytes.Equal(c.raw, docPDF) || c.header.Get("Content-Type") != "application/pdf" || !sandboxed ||
			!strings.HasPrefix(c.header.Get("Content-Disposition"), `inline; filename="licence.pdf"`) {
			t.Fatalf("pdf content: %d %v", c.status, c.header)
		}

		// Each upload is in the audit trail, without its file name.
		var n int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'document.upload' AND object_type = 'document' AND object_id = $1 AND details NOT LIKE '%营业执照%'`, pngID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit entry: %d %v", n, err)
		}
		if res, err := audit.Verify(context.Background(), d); err != nil || !res.OK() {
			t.Fatalf("audit chain: %+v %v", res, err)
		}
	})
}

func TestDocumentUploadRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := docSetup(t, d)
		_, tokA := b.seller("a")
		orgB, _ := b.seller("b")
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 512)...)
		big := append(append([]byte{}, docPDF...), bytes.Repeat([]byte{' '}, document.MaxSize+1-len(docPDF))...)
		cases := []struct {
			name, file, partType string
			content              []byte
			org                  string
			status               int
			code                 string
		}{
			{"exe renamed pdf", "x.pdf", "application/pdf", exe, "", 415, "unsupported-media-type"},
			{"exe no part type", "x.pdf", "", exe, "", 415, "unsupported-media-type"},
			{"svg", "x.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", 415, "unsupported-media-type"},
			{"gif", "x.gif", "image/gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", 415, "unsupported-media-type"},
			{"empty", "x.pdf", "application/pdf", nil, "", 400, "validation"},
			{"empty no part type", "x.pdf", "", nil, "", 400, "validation"},
			{"10 MiB + 1", "big.pdf", "application/pdf", big, "", 413, "payload-too-large"},
			{"other organisation", "x.pdf", "application/pdf", docPDF, orgB, 404, "not-found"},
		}
		for _, c := range cases {
			r := b.upload(tokA, c.org, c.file, c.partType, c.content)
			if r.status != c.status || r.code() != c.code || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s: %d %.300s", c.name, r.status, r.raw)
			}
			if c.status == 400 && !strings.Contains(string(r.raw), `"field":"file"`) {
				t.Errorf("%s: the error must name field file: %s", c.name, r.raw)
			}
		}
		// No file field at all.
		body, ctype := multipartBody(t, map[string]string{"note": "x"})
		if r := b.send("POST", "/api/v1/documents", tokA, ctype, body); r.status != 400 || r.code() != "validation" {
			t.Errorf("no file: %d %s", r.status, r.raw)
		}
		// Not a multipart form.
		if r := b.send("POST", "/api/v1/documents", tokA, "application/pdf", bytes.NewReader(docPDF)); r.status != 415 || r.code() != "unsupported-media-type" {
			t.Errorf("raw body: %d %s", r.status, r.raw)
		}
		// A body over the request limit, with and without a Content-Length.
		huge := append(append([]byte{}, docPDF...), bytes.Repeat([]byte{' '}, 11<<20)...)
		body, ctype = multipartBody(t, nil, filePart{"file", "huge.pdf", "application/pdf", huge})
		if r := b.send("POST", "/api/v1/documents", tokA, ctype, bytes.NewReader(body.Bytes())); r.status != 413 || r.code() != "payload-too-large" {
			t.Errorf("huge body: %d %s", r.status, r.raw)
		}
		if r := b.send("POST", "/api/v1/documents", tokA, ctype, io.MultiReader(bytes.NewReader(body.Bytes()))); r.status != 413 || r.code() != "payload-too-large" {
			t.Errorf("huge chunked body: %d %s", r.status, r.raw)
		}
		// Nobody signed in.
		if r := b.upload("", "", "x.pdf", "application/pdf", docPDF); r.status != 401 || r.code() != "unauthenticated" {
			t.Errorf("anonymous: %d %s", r.status, r.raw)
		}
		var n int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM documents`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("refused uploads left %d rows (%v)", n, err)
		}
		if n := b.storedFiles(); n != 0 {
			t.Fatalf("refused uploads left %d files", n)
		}
	})
}

func TestDocumentAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := docSetup(t, d)
		orgA, tokA := b.seller("a")
		_, tokB := b.seller("b")
		reviewer := b.reviewer()
		ctx := audit.WithActor(context.Background(), audit.System)
		if _, _, err := b.ids.EnsureAccount(ctx, "doc-consumer@example.cn", docPassword, "顾客"); err != nil {
			t.Fatal(err)
		}
		consumer := b.login("doc-consumer@example.cn", "")
		r := b.upload(tokA, orgA, "licence.pdf", "application/pdf", docPDF)
		if r.status != 201 {
			t.Fatalf("upload: %d %s", r.status, r.raw)
		}
		docID := r.body["id"].(string)
		for _, c := range []struct {
			who, token string
			status     int
		}{
			{"uploader", tokA, 200},
			{"platform reviewer", reviewer, 200},
			{"other organisation", tokB, 404},
			{"consumer", consumer, 404},
			{"anonymous", "", 401},
		} {
			for _, path := range []string{"/api/v1/documents/" + docID, "/api/v1/documents/" + docID + "/content"} {
				r := b.send("GET", path, c.token, "", nil)
				if r.status != c.status {
					t.Errorf("%s %s: %d %s", c.who, path, r.status, r.raw)
				}
				if c.status == 200 && strings.HasSuffix(path, "/content") && !bytes.Equal(r.raw, docPDF) {
					t.Errorf("%s: wrong content", c.who)
				}
				if c.status == 404 && (r.code() != "not-found" || bytes.Contains(r.raw, []byte("licence"))) {
					t.Errorf("%s: 404 must not tell anything: %s", c.who, r.raw)
				}
			}
		}
		if r := b.send("GET", "/api/v1/documents/0190a1b2-0000-7000-8000-000000000000", tokA, "", nil); r.status != 404 {
			t.Errorf("unknown id: %d", r.status)
		}
		if r := b.send("GET", "/api/v1/documents/..%2F..%2Fetc%2Fpasswd/content", tokA, "", nil); r.status != 404 {
			t.Errorf("path id: %d", r.status)
		}
	})
}

func TestDocumentOpenAPI(t *testing.T) {
	b := docSetup(t, dbtest.SQLite(t))
	r := b.send("GET", "/api/v1/openapi.json", "", "", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]any `json:"properties"`
						Required   []string       `json:"required"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	form, ok := doc.Paths["/api/v1/documents"]["post"].RequestBody.Content["multipart/form-data"]
	if !ok || form.Schema.Properties["file"] == nil || form.Schema.Properties["organization_id"] == nil || len(form.Schema.Required) != 1 || form.Schema.Required[0] != "file" {
		t.Fatalf("upload request body: %+v", doc.Paths["/api/v1/documents"])
	}
	if _, ok := doc.Paths["/api/v1/documents/{id}"]["get"]; !ok {
		t.Fatal("openapi lacks the metadata endpoint")
	}
	content := doc.Paths["/api/v1/documents/{id}/content"]["get"].Responses["200"].Content
	for _, ct := range []string{"application/pdf", "image/png", "image/jpeg"} {
		if content[ct] == nil {
			t.Errorf("content endpoint does not document %s: %v", ct, content)
		}
	}
}

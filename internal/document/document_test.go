package document_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/identity/credential"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/fieldcrypt"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

func pngBytes(t testing.TB, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: seed, G: 2, B: 3, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

var exeBytes = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...)

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type env struct {
	t       *testing.T
	db      *db.DB
	store   *document.Store
	dataDir string
	orgA    string
	orgB    string
}

func newEnv(t *testing.T, d *db.DB) *env {
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
	e := &env{t: t, db: d, dataDir: t.TempDir()}
	e.store = document.NewStore(d, trail, clk, e.dataDir)
	ctx := audit.WithActor(context.Background(), audit.System)
	if err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if e.orgA, err = ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "店铺A", "approved"); err != nil {
			return err
		}
		e.orgB, err = ids.CreateOrganizationTx(ctx, tx, identity.KindSeller, "店铺B", "approved")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func as(p *identity.Principal) context.Context {
	ctx := context.Background()
	if p != nil {
		ctx = identity.WithPrincipal(ctx, p)
		ctx = audit.WithActor(ctx, audit.Actor{AccountID: p.ActorID(), SourceIP: "127.0.0.1"})
	}
	return ctx
}

func member(orgID string, kind identity.Kind, role identity.Role) *identity.Principal {
	return &identity.Principal{AccountID: id.New(), SessionKind: "bearer",
		Memberships: []identity.Membership{{OrganizationID: orgID, Kind: kind, Role: role}}}
}

func consumer() *identity.Principal {
	return &identity.Principal{AccountID: id.New(), SessionKind: "bearer"}
}

// blobs lists the stored files, failing on leftover temporary files.
func (e *env) blobs() map[string]fs.FileInfo {
	e.t.Helper()
	out := map[string]fs.FileInfo{}
	root := filepath.Join(e.dataDir, "documents")
	_ = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return nil
		}
		if strings.HasPrefix(de.Name(), ".upload-") {
			e.t.Errorf("temporary file left behind: %s", p)
		}
		fi, _ := de.Info()
		out[de.Name()] = fi
		return nil
	})
	return out
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code problem.Code) {
	t.Helper()
	if problem.CodeOf(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestSniff(t *testing.T) {
	ok := map[string][]byte{
		document.TypePDF:  pdfBytes,
		document.TypePNG:  pngBytes(t, 1),
		document.TypeJPEG: jpegBytes(t),
	}
	for want, b := range ok {
		got, err := document.Sniff(bytes.NewReader(b))
		if err != nil || got != want {
			t.Errorf("%s: got %q %v", want, got, err)
		}
	}
	bad := map[string][]byte{
		"exe":             exeBytes,
		"svg":             []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"html":            []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
		"gif":             []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
		"zip":             []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"),
		"png signature":   []byte("\x89PNG\r\n\x1a\n"),
		"png bad header":  append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 40)...),
		"jpeg magic only": append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("<html><script>alert(1)</script>")...),
		"pdf no dash":     []byte("%PDF1.4"),
		"pdf late":        append([]byte(" "), pdfBytes...),
		"empty":           nil,
	}
	for name, b := range bad {
		if got, err := document.Sniff(bytes.NewReader(b)); problem.CodeOf(err) != problem.UnsupportedMedia {
			t.Errorf("%s: accepted as %q (%v)", name, got, err)
		}
	}
	// A bufio.Reader is used as given.
	if got, err := document.Sniff(bufio.NewReader(bytes.NewReader(pngBytes(t, 9)))); err != nil || got != document.TypePNG {
		t.Errorf("bufio: %q %v", got, err)
	}
}

func TestSanitizeFileName(t *testing.T) {
	cases := map[string]string{
		"licence.pdf":                     "licence.pdf",
		`C:\scans\营业执照.png`:               "营业执照.png",
		"../../etc/passwd":                "passwd",
		"..hidden.jpg":                    "hidden.jpg",
		"a\x00b\r\nc.pdf":                 "abc.pdf",
		"photo\u202egpj.exe":              "photogpj.exe",
		`say "hi"; x=1.pdf`:               "say _hi__ x=1.pdf",
		"   ":                             "document",
		"":                                "document",
		"bad\xffutf8.png":                 "badutf8.png",
		"trailing dots. . .":              "trailing dots",
		"tab\there.pdf":                   "tabhere.pdf",
		"wide\u3000space.pdf":             "wide space.pdf",
		strings.Repeat("长", 300) + ".pdf": strings.Repeat("长", 196) + ".pdf",
	}
	for in, want := range cases {
		if got := document.SanitizeFileName(in); got != want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", in, got, want)
		}
	}
	long := document.SanitizeFileName(strings.Repeat("x", 1000) + "." + strings.Repeat("y", 40))
	if n := len([]rune(long)); n != document.MaxFileNameRunes {
		t.Errorf("long name kept %d runes", n)
	}
	for _, c := range []struct{ name, ctype, want string }{
		{"a.pdf", document.TypePDF, "a.pdf"},
		{"a.PDF", document.TypePDF, "a.PDF"},
		{"a.jpeg", document.TypeJPEG, "a.jpeg"},
		{"a.html", document.TypePNG, "a.html.png"},
		{"x.pdf", document.TypeJPEG, "x.pdf.jpg"},
		{"", document.TypePDF, "document.pdf"},
	} {
		d := &document.Document{FileName: c.name, ContentType: c.ctype}
		if got := d.DownloadName(); got != c.want {
			t.Errorf("DownloadName(%q, %s) = %q, want %q", c.name, c.ctype, got, c.want)
		}
	}
}

func TestUploadIsContentAddressedAndAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := member(e.orgA, identity.KindSeller, identity.RoleOwner)
		ctx := as(owner)
		img := pngBytes(t, 1)
		first, err := e.store.Upload(ctx, `C:\scans\张三身份证.png`, bytes.NewReader(img), e.orgA)
		if err != nil {
			t.Fatal(err)
		}
		if first.SHA256 != hexSHA(img) || first.Size != int64(len(img)) || first.ContentType != document.TypePNG ||
			first.FileName != "张三身份证.png" || first.OrganizationID != e.orgA || first.UploadedBy != owner.AccountID || !id.Valid(first.ID) {
			t.Fatalf("first upload: %+v", first)
		}
		second, err := e.store.Upload(ctx, "again.png", bytes.NewReader(img), "")
		if err != nil {
			t.Fatal(err)
		}
		if second.ID == first.ID || second.SHA256 != first.SHA256 || second.OrganizationID != "" {
			t.Fatalf("second upload: %+v", second)
		}
		pdf, err := e.store.Upload(ctx, "licence.pdf", bytes.NewReader(pdfBytes), e.orgA)
		if err != nil || pdf.ContentType != document.TypePDF {
			t.Fatalf("pdf: %+v %v", pdf, err)
		}
		if n := e.count(`SELECT count(*) FROM documents`); n != 3 {
			t.Fatalf("want 3 rows, got %d", n)
		}
		blobs := e.blobs()
		if len(blobs) != 2 {
			t.Fatalf("identical content must be stored once: %v", blobs)
		}
		fi := blobs[first.SHA256]
		if fi == nil || fi.Mode().Perm() != 0o600 || fi.Size() != int64(len(img)) {
			t.Fatalf("blob: %v", fi)
		}
		dir, err := os.Stat(filepath.Join(e.dataDir, "documents", first.SHA256[:2]))
		if err != nil || dir.Mode().Perm() != 0o700 {
			t.Fatalf("blob directory: %v %v", dir, err)
		}
		// The content reads back.
		got, rc, err := e.store.Open(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, img) || got.ID != first.ID || got.CreatedAt.IsZero() {
			t.Fatalf("open: %+v %d bytes", got, len(b))
		}
		// One audit entry per upload, without the file name.
		rows, err := d.Query(context.Background(), `SELECT object_id, details FROM audit_log WHERE action = 'document.upload' AND object_type = 'document'`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var obj, details string
			if err := rows.Scan(&obj, &details); err != nil {
				t.Fatal(err)
			}
			n++
			if strings.Contains(details, "张三") || strings.Contains(details, ".png") || strings.Contains(details, ".pdf") ||
				!strings.Contains(details, `"sha256"`) || !strings.Contains(details, `"content_type"`) || !strings.Contains(details, `"size"`) || !strings.Contains(details, `"organization_id"`) {
				t.Errorf("audit details: %s", details)
			}
		}
		rows.Close()
		if n != 3 {
			t.Fatalf("want 3 audit entries, got %d", n)
		}
		if res, err := audit.Verify(context.Background(), d); err != nil || !res.OK() {
			t.Fatalf("audit chain: %+v %v", res, err)
		}
	})
}

func TestUploadRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := member(e.orgA, identity.KindSeller, identity.RoleOwner)
		ctx := as(owner)
		_, err := e.store.Upload(ctx, "x.pdf", bytes.NewReader(exeBytes), e.orgA)
		wantCode(t, err, problem.UnsupportedMedia)
		_, err = e.store.Upload(ctx, "x.svg", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "")
		wantCode(t, err, problem.UnsupportedMedia)
		_, err = e.store.Upload(ctx, "empty.pdf", bytes.NewReader(nil), "")
		wantCode(t, err, problem.Validation)
		if pe, _ := problem.As(err); len(pe.Fields) != 1 || pe.Fields[0].Field != "file" {
			t.Fatalf("empty: %v", err)
		}
		big := append(append([]byte{}, pdfBytes...), bytes.Repeat([]byte{' '}, document.MaxSize+1-len(pdfBytes))...)
		_, err = e.store.Upload(ctx, "big.pdf", bytes.NewReader(big), "")
		wantCode(t, err, problem.PayloadTooLarge)
		// Not a member of B: B does not exist as far as A's owner knows.
		_, err = e.store.Upload(ctx, "x.pdf", bytes.NewReader(pdfBytes), e.orgB)
		wantCode(t, err, problem.NotFound)
		_, err = e.store.Upload(ctx, "x.pdf", bytes.NewReader(pdfBytes), "not-an-id")
		wantCode(t, err, problem.NotFound)
		_, err = e.store.Upload(context.Background(), "x.pdf", bytes.NewReader(pdfBytes), "")
		wantCode(t, err, problem.Unauthenticated)
		pending := member(e.orgA, identity.KindSeller, identity.RoleOwner)
		pending.MFAEnrolmentRequired = true
		_, err = e.store.Upload(as(pending), "x.pdf", bytes.NewReader(pdfBytes), "")
		wantCode(t, err, problem.MFAEnrolmentRequired)
		if n := e.count(`SELECT count(*) FROM documents`); n != 0 {
			t.Fatalf("refused uploads left %d rows", n)
		}
		if b := e.blobs(); len(b) != 0 {
			t.Fatalf("refused uploads left files: %v", b)
		}
		// Exactly 10 MiB is accepted.
		doc, err := e.store.Upload(ctx, "max.pdf", bytes.NewReader(big[:document.MaxSize]), "")
		if err != nil || doc.Size != document.MaxSize {
			t.Fatalf("10 MiB: %+v %v", doc, err)
		}
	})
}

func TestReadAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := member(e.orgA, identity.KindSeller, identity.RoleOwner)
		staffA := member(e.orgA, identity.KindSeller, identity.RoleStaff)
		ownerB := member(e.orgB, identity.KindSeller, identity.RoleOwner)
		reviewer := member(id.New(), identity.KindPlatform, identity.RoleReviewer)
		auditor := member(id.New(), identity.KindPlatform, identity.RoleAuditor)
		regulator := member(id.New(), identity.KindRegulator, identity.RoleInspector)
		keyA := &identity.Principal{APIKeyID: id.New(), APIKeyOrg: e.orgA, APIKeyKind: identity.KindSeller, APIKeyPerms: []identity.Permission{identity.PermCatalogManage}, SessionKind: "apikey"}
		platformKey := &identity.Principal{APIKeyID: id.New(), APIKeyOrg: id.New(), APIKeyKind: identity.KindPlatform, APIKeyPerms: []identity.Permission{identity.PermOrgRead}, SessionKind: "apikey"}
		pendingStaff := member(id.New(), identity.KindPlatform, identity.RoleReviewer)
		pendingStaff.MFAEnrolmentRequired = true

		orgDoc, err := e.store.Upload(as(owner), "a.png", bytes.NewReader(pngBytes(t, 1)), e.orgA)
		if err != nil {
			t.Fatal(err)
		}
		loose, err := e.store.Upload(as(owner), "b.png", bytes.NewReader(pngBytes(t, 2)), "")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name        string
			p           *identity.Principal
			org, orphan bool
		}{
			{"uploader", owner, true, true},
			{"member", staffA, true, false},
			{"other tenant", ownerB, false, false},
			{"platform reviewer", reviewer, true, true},
			{"platform auditor", auditor, true, true},
			{"regulator", regulator, false, false},
			{"consumer", consumer(), false, false},
			{"org api key", keyA, true, false},
			{"platform api key", platformKey, false, false},
			{"staff owing mfa", pendingStaff, false, false},
		}
		for _, c := range cases {
			for _, x := range []struct {
				doc  *document.Document
				want bool
			}{{orgDoc, c.org}, {loose, c.orphan}} {
				if got := e.store.CanRead(c.p, x.doc); got != x.want {
					t.Errorf("%s CanRead(org=%q) = %v, want %v", c.name, x.doc.OrganizationID, got, x.want)
				}
				_, err := e.store.Get(as(c.p), x.doc.ID)
				_, rc, oerr := e.store.Open(as(c.p), x.doc.ID)
				if rc != nil {
					rc.Close()
				}
				switch {
				case x.want && (err != nil || oerr != nil):
					t.Errorf("%s: refused %q: %v / %v", c.name, x.doc.OrganizationID, err, oerr)
				case !x.want && c.p.MFAEnrolmentRequired:
					wantCode(t, err, problem.MFAEnrolmentRequired)
				case !x.want && (problem.CodeOf(err) != problem.NotFound || problem.CodeOf(oerr) != problem.NotFound):
					t.Errorf("%s: want 404 on %q, got %v / %v", c.name, x.doc.OrganizationID, err, oerr)
				}
			}
		}
		_, err = e.store.Get(context.Background(), orgDoc.ID)
		wantCode(t, err, problem.Unauthenticated)
		_, err = e.store.Get(as(owner), id.New())
		wantCode(t, err, problem.NotFound)
		_, err = e.store.Get(as(owner), "../../etc/passwd")
		wantCode(t, err, problem.NotFound)
		// Staff reading another organisation's content is audited; the
		// uploader and members are not.
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'document.read'`); n != 4 {
			t.Fatalf("want 4 staff reads audited (2 staff x 2 documents), got %d", n)
		}
		// A machine client's upload belongs to its organisation.
		byKey, err := e.store.Upload(as(keyA), "k.pdf", bytes.NewReader(pdfBytes), "")
		if err != nil || byKey.OrganizationID != e.orgA || byKey.UploadedBy != "apikey:"+keyA.APIKeyID {
			t.Fatalf("api key upload: %+v %v", byKey, err)
		}
		if !e.store.CanRead(staffA, byKey) || e.store.CanRead(ownerB, byKey) {
			t.Fatal("api key upload access")
		}
	})
}

func TestAttachTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := member(e.orgA, identity.KindSeller, identity.RoleOwner)
		ownerB := member(e.orgB, identity.KindSeller, identity.RoleOwner)
		attach := func(p *identity.Principal, docID, orgID string) error {
			return d.InTx(as(p), func(ctx context.Context, tx *db.Tx) error { return e.store.AttachTx(ctx, tx, docID, orgID) })
		}
		loose, err := e.store.Upload(as(owner), "a.pdf", bytes.NewReader(pdfBytes), "")
		if err != nil {
			t.Fatal(err)
		}
		// Someone else cannot pull the uploader's document into their dossier.
		wantCode(t, attach(ownerB, loose.ID, e.orgB), problem.NotFound)
		if err := attach(owner, loose.ID, e.orgA); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.Get(as(owner), loose.ID)
		if err != nil || got.OrganizationID != e.orgA {
			t.Fatalf("after attach: %+v %v", got, err)
		}
		// Attaching again to the same organisation is a no-op; to another is 404.
		if err := attach(owner, loose.ID, e.orgA); err != nil {
			t.Fatal(err)
		}
		wantCode(t, attach(owner, loose.ID, e.orgB), problem.NotFound)
		// A member of A who did not upload it may reference a document of A.
		staffA := member(e.orgA, identity.KindSeller, identity.RoleStaff)
		if err := attach(staffA, loose.ID, e.orgA); err != nil {
			t.Fatal(err)
		}
		wantCode(t, attach(owner, id.New(), e.orgA), problem.NotFound)
		wantCode(t, attach(owner, "nope", e.orgA), problem.NotFound)
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'document.attach' AND object_id = $1`, loose.ID); n != 1 {
			t.Fatalf("want one attach entry, got %d", n)
		}
	})
}

type scannerFunc func(ctx context.Context, sha string, r io.Reader) error

func (f scannerFunc) Scan(ctx context.Context, sha string, r io.Reader) error { return f(ctx, sha, r) }

// The scanner hook runs before anything is kept; these scanners are test
// doubles for the hook's contract, not a scanner.
func TestScannerHook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := as(member(e.orgA, identity.KindSeller, identity.RoleOwner))
		img := pngBytes(t, 5)
		var seen []byte
		var seenSHA string
		e.store.Scanner = scannerFunc(func(_ context.Context, sha string, r io.Reader) error {
			seenSHA = sha
			seen, _ = io.ReadAll(r)
			return nil
		})
		if _, err := e.store.Upload(ctx, "a.png", bytes.NewReader(img), ""); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(seen, img) || seenSHA != hexSHA(img) {
			t.Fatalf("scanner saw %d bytes, sha %s", len(seen), seenSHA)
		}
		infected := problem.New(problem.UnsupportedMedia, i18n.T("文件未通过安全检查", "The file failed the malware scan"))
		e.store.Scanner = scannerFunc(func(context.Context, string, io.Reader) error { return infected })
		_, err := e.store.Upload(ctx, "b.pdf", bytes.NewReader(pdfBytes), "")
		if !errors.Is(err, infected) {
			t.Fatalf("refusing scanner: %v", err)
		}
		e.store.Scanner = scannerFunc(func(context.Context, string, io.Reader) error { return errors.New("scanner unreachable") })
		_, err = e.store.Upload(ctx, "b.pdf", bytes.NewReader(pdfBytes), "")
		if err == nil || problem.CodeOf(err) != problem.Internal {
			t.Fatalf("broken scanner must fail closed: %v", err)
		}
		if n := e.count(`SELECT count(*) FROM documents`); n != 1 {
			t.Fatalf("want only the clean upload, got %d rows", n)
		}
		if b := e.blobs(); len(b) != 1 {
			t.Fatalf("want one file, got %v", b)
		}
	})
}

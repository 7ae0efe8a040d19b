// Package document keeps the files organisations upload as evidence —
// business licences, permits, qualification scans — and serves them only
// to those entitled to see them (GB/T 31524 R-10.6-5: documents uploaded to
// the platform are checked before they are shared; R-10.4-12: every upload
// is recorded in the audit trail).
//
// Storage is content-addressed: the bytes of a document are written once
// to <dataDir>/documents/<sha256[0:2]>/<sha256>, however many times the same
// file is uploaded, and each upload is a row in the documents table (who,
// when, for which organisation, under which name). A file on disk is never
// rewritten, so a row that points at it can never see other bytes.
//
// The type of a document is decided from its content, never from the file
// name or the Content-Type the client declared: only PDF, PNG and JPEG are
// accepted, so nothing that a browser would run (HTML, SVG, scripts) or an
// operator might execute (a renamed .exe) is ever stored or served.
package document

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/clock"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// MaxSize is the largest document accepted: 10 MiB (api-contract.md,
// "Documents").
const MaxSize = 10 << 20

// The content types a document may have.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// Document is one upload.
type Document struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256" doc:"Hex SHA-256 of the content."`
	ContentType string `json:"content_type" doc:"Sniffed from the content: application/pdf, image/png or image/jpeg."`
	Size        int64  `json:"size" doc:"Bytes."`
	// FileName is the name the client gave, sanitised (SanitizeFileName).
	FileName string `json:"file_name"`
	// OrganizationID is empty until the document belongs to an organisation.
	OrganizationID string `json:"organization_id,omitempty"`
	// UploadedBy is the uploader's actor id: an account id, or
	// "apikey:<id>" for a machine client.
	UploadedBy string    `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// Scanner checks a document for malware before it is shared (R-10.6-5:
// the platform "scans each before sharing"). No scanner ships with gbmall —
// none is available on the machines it targets — so this is the hook an
// operator fills (for example with a clamd client). Scan returns nil when
// the content is clean; a *problem.Error to refuse the upload with that
// answer; any other error when the scan could not run, and the upload then
// fails (fail closed: an unscanned document is never stored once a
// scanner is configured).
type Scanner interface {
	Scan(ctx context.Context, sha256 string, r io.Reader) error
}

// Store keeps documents on disk and their rows in the database.
type Store struct {
	db    *db.DB
	trail *audit.Trail
	clock clock.Clock
	dir   string
	// Scanner, when set, must pass every upload before its file is placed
	// and its row committed. Nil means no malware scan runs (see Scanner).
	Scanner Scanner
}

// NewStore returns a store keeping files under <dataDir>/documents.
func NewStore(d *db.DB, trail *audit.Trail, clk clock.Clock, dataDir string) *Store {
	return &Store{db: d, trail: trail, clock: clk, dir: filepath.Join(dataDir, "documents")}
}

func errTooLarge() *problem.Error {
	return problem.New(problem.PayloadTooLarge, i18n.T("文件超过 10 MiB 上限", "The file exceeds the 10 MiB limit"))
}

func errUnsupported() *problem.Error {
	return problem.New(problem.UnsupportedMedia, i18n.T("只接受 PDF、PNG 或 JPEG 文件（按文件内容判断，与文件名无关）",
		"Only PDF, PNG or JPEG files are accepted (judged by their content, not their name)"))
}

func errEmpty() *problem.Error {
	return problem.Invalid(problem.Field("file", i18n.T("文件为空", "The file is empty")))
}

// TooLargeError is the answer to a document over MaxSize (413
// payload-too-large); the HTTP layer gives it for bodies cut off early.
func TooLargeError() *problem.Error { return errTooLarge() }

// UnsupportedTypeError is the answer to anything but PDF, PNG or JPEG (415
// unsupported-media-type).
func UnsupportedTypeError() *problem.Error { return errUnsupported() }

// Upload stores the content of r as a new document named name (the
// client's file name, sanitised before it is kept), for organisation orgID
// when it is not empty — the caller must be a member of it, else 404. It
// reads at most MaxSize+1 bytes, hashing as it reads, so an oversize file
// is refused without being buffered whole. The row and its audit entry are
// written in one transaction, after the file is on disk, so a committed
// row always has its bytes.
func (s *Store) Upload(ctx context.Context, name string, r io.Reader, orgID string) (*Document, error) {
	p, err := identity.RequireSignedIn(ctx, false)
	if err != nil {
		return nil, err
	}
	if orgID == "" && p.APIKeyID != "" {
		// A machine client acts for its organisation; a document only its
		// key could read would be lost when the key is revoked.
		orgID = p.APIKeyOrg
	}
	if orgID != "" && (!id.Valid(orgID) || !p.IsMember(orgID)) {
		return nil, problem.NotFoundError()
	}
	blob, err := s.receive(ctx, r)
	if err != nil {
		return nil, err
	}
	defer blob.discard()
	if err := s.place(blob); err != nil {
		return nil, err
	}
	doc := &Document{
		ID: id.New(), SHA256: blob.sha, ContentType: blob.contentType, Size: blob.size,
		FileName: SanitizeFileName(name), OrganizationID: orgID, UploadedBy: p.ActorID(), CreatedAt: s.clock.Now(),
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (id, sha256, content_type, size, file_name, organization_id, uploaded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			doc.ID, doc.SHA256, doc.ContentType, doc.Size, doc.FileName, nullable(doc.OrganizationID), doc.UploadedBy, doc.CreatedAt); err != nil {
			return fmt.Errorf("document: insert: %w", err)
		}
		// The file name is left out: people name scans after themselves
		// ("张三身份证.jpg"), and the trail is kept for years.
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "document.upload", ObjectType: "document", ObjectID: doc.ID,
			Details: map[string]any{"sha256": doc.SHA256, "content_type": doc.ContentType, "size": doc.Size, "organization_id": nullable(doc.OrganizationID)}})
	})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// received is an upload written to a temporary file beside the store,
// hashed and typed, not yet placed.
type received struct {
	f           *os.File
	sha         string
	size        int64
	contentType string
}

// discard removes the temporary file if it was not placed.
func (b *received) discard() {
	if b.f != nil {
		b.f.Close()
		os.Remove(b.f.Name())
		b.f = nil
	}
}

func (s *Store) receive(ctx context.Context, r io.Reader) (_ *received, err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("document: create store: %w", err)
	}
	// The temporary file lives in the store itself so that placing it is a
	// rename on one file system, never a copy.
	f, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("document: temporary file: %w", err)
	}
	b := &received{f: f}
	defer func() {
		if err != nil {
			b.discard()
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxSize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge()
		}
		return nil, fmt.Errorf("document: receive: %w", err)
	}
	if n > MaxSize {
		return nil, errTooLarge()
	}
	if n == 0 {
		return nil, errEmpty()
	}
	b.size, b.sha = n, hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if b.contentType, err = Sniff(bufio.NewReader(f)); err != nil {
		return nil, err
	}
	if s.Scanner != nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if err := s.Scanner.Scan(ctx, b.sha, f); err != nil {
			if _, ok := problem.As(err); ok {
				return nil, err
			}
			return nil, fmt.Errorf("document: malware scan did not complete: %w", err)
		}
	}
	return b, nil
}

// place moves the received file to its content address. When a file with
// that address is already there, the upload is the same content and the
// temporary file is dropped: identical content is stored once.
func (s *Store) place(b *received) error {
	final := s.blobPath(b.sha)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("document: create directory: %w", err)
	}
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == b.size {
		return nil // deferred discard removes the duplicate
	}
	if err := b.f.Chmod(0o600); err != nil {
		return fmt.Errorf("document: chmod: %w", err)
	}
	if err := b.f.Sync(); err != nil {
		return fmt.Errorf("document: sync: %w", err)
	}
	if err := b.f.Close(); err != nil {
		return fmt.Errorf("document: close: %w", err)
	}
	tmp := b.f.Name()
	b.f = nil
	// rename is atomic: a reader sees the whole file or none, and two
	// concurrent uploads of the same content both leave identical bytes.
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("document: place: %w", err)
	}
	// Make the new directory entry durable before the row that points at it
	// is committed.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (s *Store) blobPath(sha string) string {
	return filepath.Join(s.dir, sha[:2], sha)
}

// validSHA guards the path built from a stored hash.
func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const docCols = `id, sha256, content_type, size, file_name, organization_id, uploaded_by, created_at`

func scanDoc(row interface{ Scan(...any) error }) (*Document, error) {
	var d Document
	var org sql.NullString
	if err := row.Scan(&d.ID, &d.SHA256, &d.ContentType, &d.Size, &d.FileName, &org, &d.UploadedBy, &d.CreatedAt); err != nil {
		return nil, err
	}
	d.OrganizationID = org.String
	return &d, nil
}

// access says why p may read d: as its uploader, as a member of its
// organisation, or as platform staff; "" when p may not.
func access(p *identity.Principal, d *Document) string {
	if p == nil || p.MFAEnrolmentRequired {
		return ""
	}
	if d.UploadedBy != "" && p.ActorID() == d.UploadedBy {
		return "uploader"
	}
	if d.OrganizationID != "" && p.IsMember(d.OrganizationID) {
		return "member"
	}
	if isPlatformStaff(p, d.OrganizationID) {
		return "staff"
	}
	return ""
}

// isPlatformStaff reports whether p reads organisations' records as
// platform staff: a platform membership granting org.read, which
// Principal.Can extends across tenants. It is not p.Can(PermOrgRead, "")
// alone: for a document with no organisation that would let any member of
// any organisation through, and a platform API key is a machine, not staff.
func isPlatformStaff(p *identity.Principal, orgID string) bool {
	if p.APIKeyID != "" {
		return false
	}
	for _, m := range p.Memberships {
		if m.Kind == identity.KindPlatform && identity.Grants(m.Kind, m.Role, identity.PermOrgRead) {
			return p.Can(identity.PermOrgRead, orgID)
		}
	}
	return false
}

// CanRead reports whether p may see d: its uploader, the members of its
// organisation, and platform staff. Everyone else is told it does not
// exist (R-10.4-9).
func (s *Store) CanRead(p *identity.Principal, d *Document) bool { return access(p, d) != "" }

// Get returns the metadata of document docID if the caller may see it,
// else 404 (401 when nobody is signed in).
func (s *Store) Get(ctx context.Context, docID string) (*Document, error) {
	d, _, err := s.get(ctx, docID)
	return d, err
}

func (s *Store) get(ctx context.Context, docID string) (*Document, string, error) {
	p, err := identity.RequireSignedIn(ctx, false)
	if err != nil {
		return nil, "", err
	}
	if !id.Valid(docID) {
		return nil, "", problem.NotFoundError()
	}
	d, err := scanDoc(s.db.QueryRow(ctx, `SELECT `+docCols+` FROM documents WHERE id = $1`, docID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", problem.NotFoundError()
	}
	if err != nil {
		return nil, "", fmt.Errorf("document: get: %w", err)
	}
	why := access(p, d)
	if why == "" {
		return nil, "", problem.NotFoundError()
	}
	return d, why, nil
}

// Open returns document docID and its content if the caller may see it,
// else 404. The caller closes the reader. Platform staff opening another
// organisation's document is recorded in the audit trail: qualification
// scans carry personal data (identity cards of legal representatives).
func (s *Store) Open(ctx context.Context, docID string) (*Document, io.ReadCloser, error) {
	d, why, err := s.get(ctx, docID)
	if err != nil {
		return nil, nil, err
	}
	if !validSHA(d.SHA256) {
		return nil, nil, fmt.Errorf("document: %s has a malformed hash", d.ID)
	}
	f, err := os.Open(s.blobPath(d.SHA256))
	if err != nil {
		return nil, nil, fmt.Errorf("document: open content of %s: %w", d.ID, err)
	}
	if why == "staff" {
		if err := s.trail.Record(ctx, s.db, audit.Event{Action: "document.read", ObjectType: "document", ObjectID: d.ID,
			Details: map[string]any{"organization_id": nullable(d.OrganizationID)}}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return d, f, nil
}

// AttachTx makes document docID belong to organisation orgID, inside tx
// (the organisations package calls it when a qualification references a
// document). The document must exist and either already belong to orgID
// or be unattached and uploaded by the caller; anything else is 404, so a
// document id cannot be used to pull someone else's file into one's own
// dossier. The caller has already authorised the action on orgID.
func (s *Store) AttachTx(ctx context.Context, tx *db.Tx, docID, orgID string) error {
	if !id.Valid(docID) || orgID == "" {
		return problem.NotFoundError()
	}
	var org sql.NullString
	var uploadedBy string
	err := tx.QueryRowContext(ctx, `SELECT organization_id, uploaded_by FROM documents WHERE id = $1`, docID).Scan(&org, &uploadedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.NotFoundError()
	}
	if err != nil {
		return fmt.Errorf("document: attach: %w", err)
	}
	if org.Valid {
		if org.String == orgID {
			return nil
		}
		return problem.NotFoundError()
	}
	p := identity.PrincipalFrom(ctx)
	if p == nil || p.ActorID() != uploadedBy {
		return problem.NotFoundError()
	}
	res, err := tx.ExecContext(ctx, `UPDATE documents SET organization_id = $1 WHERE id = $2 AND organization_id IS NULL`, orgID, docID)
	if err != nil {
		return fmt.Errorf("document: attach: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Attached concurrently: fine only if to the same organisation.
		if err := tx.QueryRowContext(ctx, `SELECT organization_id FROM documents WHERE id = $1`, docID).Scan(&org); err != nil || org.String != orgID {
			return problem.NotFoundError()
		}
		return nil
	}
	return s.trail.RecordTx(ctx, tx, audit.Event{Action: "document.attach", ObjectType: "document", ObjectID: docID,
		Details: map[string]any{"organization_id": orgID}})
}

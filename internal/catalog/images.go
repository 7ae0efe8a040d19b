package catalog

// Product images (issue 4 point 2): a seller uploads up to MaxImages
// pictures per product; each is judged by its content (JPEG, PNG or
// WebP), checked for size before it is decoded, and turned at upload into
// JPEG renditions whose longest side is one of ImageSizes. Files are kept
// content-addressed like documents (internal/document): the bytes of an
// image are written once under <dataDir>/media/<sha[0:2]>/<sha>/, however
// many products use them, and a row of product_images puts an image on a
// product at a position (0 is the main image, the one lists show).
//
// The renditions are public and never change, so they are served with a
// one-year immutable cache lifetime. The original is kept but never served:
// it may carry EXIF data (camera serial numbers, GPS positions) that the
// re-encoded renditions do not.

import (
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
	"slices"
	"strconv"
	"strings"
	"time"

	"gbmall/internal/audit"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Limits of product images.
const (
	// MaxImages is the most images a product has.
	MaxImages = 9
	// MaxImageBytes is the largest upload: 10 MiB.
	MaxImageBytes = 10 << 20
	// MaxImagePixels bounds width × height, read from the header before
	// anything is decoded: a small file that claims 100,000 × 100,000
	// pixels (a decompression bomb) is refused without allocating them.
	MaxImagePixels = 40_000_000
)

// The renditions made of every image: the longest side in pixels. Lists
// show ImageCard, the product page's gallery ImageLarge with ImageThumb
// thumbnails.
const (
	ImageThumb = 160
	ImageCard  = 480
	ImageLarge = 960
)

// ImageSizes are the rendition sizes, largest first.
var ImageSizes = []int{ImageLarge, ImageCard, ImageThumb}

// Image is one picture of a product.
type Image struct {
	ID          string    `json:"id"`
	SHA256      string    `json:"sha256" doc:"hex SHA-256 of the uploaded file"`
	ContentType string    `json:"content_type" doc:"of the uploaded file, sniffed from its content: image/jpeg, image/png or image/webp"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Position    int       `json:"position" doc:"0 is the main image"`
	ThumbURL    string    `json:"thumb_url" doc:"JPEG, longest side at most 160 px"`
	URL         string    `json:"url" doc:"JPEG, longest side at most 480 px"`
	LargeURL    string    `json:"large_url" doc:"JPEG, longest side at most 960 px"`
	CreatedAt   time.Time `json:"created_at"`
}

// MediaURL is where the rendition of size px of image sha is served.
func MediaURL(sha string, size int) string {
	return "/media/" + sha + "/" + strconv.Itoa(size) + ".jpg"
}

func (img *Image) setURLs() {
	img.ThumbURL = MediaURL(img.SHA256, ImageThumb)
	img.URL = MediaURL(img.SHA256, ImageCard)
	img.LargeURL = MediaURL(img.SHA256, ImageLarge)
}

// ImageStore keeps product images on disk and their rows in the database.
type ImageStore struct {
	svc *Service
	dir string
	// work admits one decode at a time: a 40-megapixel image takes up to
	// 160 MB while it is resized, and two at once would double that.
	work chan struct{}
}

// NewImageStore returns the image store of the catalogue svc, keeping
// files under <dataDir>/media.
func NewImageStore(svc *Service, dataDir string) *ImageStore {
	return &ImageStore{svc: svc, dir: filepath.Join(dataDir, "media"), work: make(chan struct{}, 1)}
}

func errImageTooLarge() error {
	return problem.New(problem.PayloadTooLarge, i18n.T("图片超过 10 MiB 上限", "The image exceeds the 10 MiB limit"))
}

func errImageType() error {
	return problem.New(problem.UnsupportedMedia, i18n.T("只接受 JPEG、PNG 或 WebP 图片（按文件内容判断，与文件名无关）",
		"Only JPEG, PNG or WebP images are accepted (judged by their content, not their name)"))
}

func errTooManyImages() error {
	return problem.New(problem.Conflict, i18n.T(fmt.Sprintf("每个商品最多 %d 张图片，请先删除不需要的图片", MaxImages),
		fmt.Sprintf("A product has at most %d images: delete one first", MaxImages)))
}

func errDuplicateImage() error {
	return problem.New(problem.Conflict, i18n.T("这张图片已在该商品的图片中", "This image is already one of the product's images"))
}

// TooLargeImageError is the answer to an image over MaxImageBytes (413);
// the HTTP layers give it for bodies cut off early.
func TooLargeImageError() error { return errImageTooLarge() }

// readImage reads at most MaxImageBytes+1 bytes, so an oversize upload is
// refused without being buffered whole.
func readImage(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errImageTooLarge()
		}
		return nil, fmt.Errorf("catalog: receive image: %w", err)
	}
	switch {
	case len(b) > MaxImageBytes:
		return nil, errImageTooLarge()
	case len(b) == 0:
		return nil, problem.Invalid(problem.Field("file", i18n.T("文件为空", "The file is empty")))
	}
	return b, nil
}

// AddImage uploads an image for product productID, as its last image
// (seller staff of the product's seller; anyone else is told it does not
// exist). The type is sniffed from the content, the dimensions are checked
// from the header before decoding, the renditions are made and written
// before the row and its audit entry are committed, so a committed row
// always has its files.
func (st *ImageStore) AddImage(ctx context.Context, productID string, r io.Reader) (*Image, error) {
	s := st.svc
	cur, p, err := s.sellerProduct(ctx, productID)
	if err != nil {
		return nil, err
	}
	data, err := readImage(r)
	if err != nil {
		return nil, err
	}
	typ, w, h, err := sniffImage(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	// Cheap refusals first: no decoding for an upload that cannot be kept.
	if err := roomFor(ctx, s.db.Reader(ctx), productID, sha); err != nil {
		return nil, err
	}
	if err := st.store(ctx, sha, data, typ); err != nil {
		return nil, err
	}
	img := &Image{ID: id.New(), SHA256: sha, ContentType: typ, Width: w, Height: h, CreatedAt: s.now()}
	img.setURLs()
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := loadProduct(ctx, tx, productID, true); err != nil {
			return err
		}
		if err := roomFor(ctx, tx, productID, sha); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM product_images WHERE product_id = $1`, productID).Scan(&img.Position); err != nil {
			return fmt.Errorf("catalog: count images: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_images (id, product_id, organization_id, sha256, content_type, size, width,
			height, position, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			img.ID, productID, cur.orgID, sha, typ, len(data), w, h, img.Position, img.CreatedAt, p.ActorID()); err != nil {
			return fmt.Errorf("catalog: insert image: %w", err)
		}
		if err := touchProduct(ctx, tx, productID, img.CreatedAt); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.image.add", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"image_id": img.ID, "sha256": sha, "content_type": typ, "size": len(data), "width": w, "height": h,
				"position": img.Position, "organization_id": cur.orgID}})
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// roomFor refuses a tenth image and an image the product already has.
func roomFor(ctx context.Context, q db.Querier, productID, sha string) error {
	var n, dup int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN sha256 = $1 THEN 1 ELSE 0 END), 0)
		FROM product_images WHERE product_id = $2`, sha, productID).Scan(&n, &dup); err != nil {
		return fmt.Errorf("catalog: count images: %w", err)
	}
	switch {
	case dup > 0:
		return errDuplicateImage()
	case n >= MaxImages:
		return errTooManyImages()
	}
	return nil
}

// touchProduct marks a product changed (the review queue is ordered by
// the last change).
func touchProduct(ctx context.Context, tx *db.Tx, productID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE products SET updated_at = $1 WHERE id = $2`, now, productID); err != nil {
		return fmt.Errorf("catalog: touch product: %w", err)
	}
	return nil
}

// DeleteImage takes image imageID off product productID; the images after
// it move up. The files stay: they are content-addressed and may serve
// another product.
func (st *ImageStore) DeleteImage(ctx context.Context, productID, imageID string) error {
	s := st.svc
	cur, _, err := s.sellerProduct(ctx, productID)
	if err != nil {
		return err
	}
	if !id.Valid(imageID) {
		return problem.NotFoundError()
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := loadProduct(ctx, tx, productID, true); err != nil {
			return err
		}
		var pos int
		var sha string
		err := tx.QueryRowContext(ctx, `SELECT position, sha256 FROM product_images WHERE id = $1 AND product_id = $2`, imageID, productID).Scan(&pos, &sha)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.NotFoundError()
		}
		if err != nil {
			return fmt.Errorf("catalog: find image: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM product_images WHERE id = $1`, imageID); err != nil {
			return fmt.Errorf("catalog: delete image: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE product_images SET position = position - 1 WHERE product_id = $1 AND position > $2`, productID, pos); err != nil {
			return fmt.Errorf("catalog: renumber images: %w", err)
		}
		if err := touchProduct(ctx, tx, productID, s.now()); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.image.delete", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"image_id": imageID, "sha256": sha, "position": pos, "organization_id": cur.orgID}})
	})
}

// OrderImages puts the images of product productID in the order of ids,
// which must name each of its images exactly once; the first becomes the
// main image.
func (st *ImageStore) OrderImages(ctx context.Context, productID string, ids []string) ([]Image, error) {
	s := st.svc
	cur, _, err := s.sellerProduct(ctx, productID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := loadProduct(ctx, tx, productID, true); err != nil {
			return err
		}
		have, err := productImages(ctx, tx, productID)
		if err != nil {
			return err
		}
		if !samePermutation(have, ids) {
			return problem.Invalid(problem.Field("ids", i18n.T("请按新顺序列出该商品的每张图片，每张一次",
				"List every image of the product exactly once, in the new order")))
		}
		for i, imageID := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE product_images SET position = $1 WHERE id = $2`, i, imageID); err != nil {
				return fmt.Errorf("catalog: order images: %w", err)
			}
		}
		if err := touchProduct(ctx, tx, productID, s.now()); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.image.order", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"image_ids": ids, "organization_id": cur.orgID}})
	})
	if err != nil {
		return nil, err
	}
	return productImages(ctx, s.db.Reader(ctx), productID)
}

func samePermutation(have []Image, ids []string) bool {
	if len(have) != len(ids) {
		return false
	}
	want := make([]string, len(have))
	for i, img := range have {
		want[i] = img.ID
	}
	got := slices.Clone(ids)
	slices.Sort(want)
	slices.Sort(got)
	return slices.Equal(want, got)
}

// productImages reads a product's images in order.
func productImages(ctx context.Context, q db.Querier, productID string) ([]Image, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, sha256, content_type, width, height, position, created_at
		FROM product_images WHERE product_id = $1 ORDER BY position, id`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: load images: %w", err)
	}
	defer rows.Close()
	out := []Image{}
	for rows.Next() {
		var img Image
		if err := rows.Scan(&img.ID, &img.SHA256, &img.ContentType, &img.Width, &img.Height, &img.Position, &img.CreatedAt); err != nil {
			return nil, err
		}
		img.setURLs()
		out = append(out, img)
	}
	return out, rows.Err()
}

// mainImages returns the main image's hash of each of productIDs that has
// one.
func mainImages(ctx context.Context, q db.Querier, productIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(productIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(productIDs))
	ph := make([]string, len(productIDs))
	for i, pid := range productIDs {
		args[i] = pid
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT product_id, sha256 FROM product_images WHERE position = 0 AND product_id IN (`+
		strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: main images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, sha string
		if err := rows.Scan(&pid, &sha); err != nil {
			return nil, err
		}
		out[pid] = sha
	}
	return out, rows.Err()
}

// WithImages returns a copy of the list items xs with ImageURL set to the
// main image's list rendition (ImageCard px) where the product has one.
// The items are copied, never changed in place: lists may be shared.
func (s *Service) WithImages(ctx context.Context, xs []ListItem) ([]ListItem, error) {
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = x.ID
	}
	main, err := mainImages(ctx, s.db.Reader(ctx), ids)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(xs)
	for i := range out {
		if sha, ok := main[out[i].ID]; ok {
			out[i].ImageURL = MediaURL(sha, ImageCard)
		} else {
			out[i].ImageURL = ""
		}
	}
	return out, nil
}

// summaryImages sets the main image of products in the seller's and the
// reviewers' lists.
func summaryImages(ctx context.Context, q db.Querier, xs []ProductSummary) error {
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = x.ID
	}
	main, err := mainImages(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range xs {
		if sha, ok := main[xs[i].ID]; ok {
			xs[i].ImageURL = MediaURL(sha, ImageThumb)
		}
	}
	return nil
}

// blobDir is where the files of image sha live.
func (st *ImageStore) blobDir(sha string) string { return filepath.Join(st.dir, sha[:2], sha) }

// ServeMedia serves GET /media/{sha}/{file}: a rendition ("480.jpg") of
// an image that some product shows. Renditions never change under their
// address, so they are cached for a year; an image no product uses any
// more is gone.
func (st *ImageStore) ServeMedia(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	sha, file := r.PathValue("sha"), r.PathValue("file")
	size, ok := strings.CutSuffix(file, ".jpg")
	if !ok || !validSHA(sha) || !slices.Contains([]string{"160", "480", "960"}, size) {
		http.NotFound(w, r)
		return
	}
	var one int
	err := st.svc.db.Reader(r.Context()).QueryRowContext(r.Context(), `SELECT 1 FROM product_images WHERE sha256 = $1 LIMIT 1`, sha).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "503 service unavailable", http.StatusServiceUnavailable)
		return
	}
	f, err := os.Open(filepath.Join(st.blobDir(sha), file))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+sha[:16]+"-"+size+`"`)
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// validSHA guards the paths built from a hash.
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

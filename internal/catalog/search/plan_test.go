package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/db/dbtest"
	"gbmall/internal/platform/id"
)

// Both plans — walking the newest listings and intersecting posting
// lists — answer every query alike, whichever Find picks.
func TestPlansAgree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		org, cat := id.New(), id.New()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, kind, name, status, created_at, updated_at) VALUES ($1, 'seller', 'x', 'approved', $2, $3)`, org, now, now); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO categories (id, name_zh, name_en, is_leaf, updated_at) VALUES ($1, 'x', 'x', TRUE, $2)`, cat, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := Generate(ctx, d, 600, org, cat, nil); err != nil {
			t.Fatal(err)
		}
		// Some matches are not listed, and two share a listing time.
		_, err = d.WritePool().ExecContext(ctx, `UPDATE products SET status = 'delisted' WHERE id IN (SELECT id FROM products ORDER BY title LIMIT 50)`)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.WritePool().ExecContext(ctx, `UPDATE products SET listed_at = $1 WHERE id IN (SELECT id FROM products ORDER BY title DESC LIMIT 30)`, now)
		if err != nil {
			t.Fatal(err)
		}
		// The newest product has every pair of 智能手机 but not the phrase: a
		// walk for it must not stop there.
		scattered := id.New()
		err = d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			later := now.Add(time.Hour)
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, organization_id, category_id, title, description_html, status, created_at, updated_at, listed_at)
				VALUES ($1, $2, $3, '智能手表 手机支架', '', 'listed', $4, $5, $6)`, scattered, org, cat, later, later, later); err != nil {
				return err
			}
			return New(d).IndexTx(ctx, tx, scattered, "智能手表 手机支架")
		})
		if err != nil {
			t.Fatal(err)
		}
		walking := &Index{db: d, walkMin: 5}
		if ids, err := walking.Find(ctx, "智能手机", 1); err != nil || len(ids) != 1 || ids[0] == scattered {
			t.Errorf("Find(智能手机, 1) = %v, %v; want the newest product containing the phrase", ids, err)
		}
		postings := &Index{db: d, walkMin: -1}
		queries := []string{
			"机", "手机", "新款", "pro", "纯棉", "12gb", // one gram: walks
			"智能手机", "官方旗舰", "空气炸锅", "手机支", // one Han run: walks for the phrase, may fall back
			"华为 手机", "官方 pro", "2025新款", "包邮 纯棉 四件套", // several words: posting lists
			"机手机", "dyson 手机", // few or no matches
		}
		for _, q := range queries {
			for _, limit := range []int{1, 20, 1000} {
				want, err := postings.Find(ctx, q, limit)
				if err != nil {
					t.Fatal(err)
				}
				got, err := walking.Find(ctx, q, limit)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("Find(%q, %d): walking gives %d ids, posting lists %d; first differ at %d", q, limit, len(got), len(want), firstDiff(got, want))
				}
			}
		}
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

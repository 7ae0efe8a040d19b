package search_test

import (
	"context"
	"testing"
	"time"

	"gbmall/internal/platform/db"
	"gbmall/internal/platform/id"
)

// seedOrgAndCategory inserts the seller organisation and leaf category that
// products reference, and returns their ids.
func seedOrgAndCategory(tb testing.TB, d *db.DB) (orgID, categoryID string) {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	orgID, categoryID = id.New(), id.New()
	err := d.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, kind, name, status, created_at, updated_at) VALUES ($1, 'seller', $2, 'approved', $3, $4)`, orgID, "测试店铺", now, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO categories (id, name_zh, name_en, is_leaf, updated_at) VALUES ($1, $2, $3, TRUE, $4)`, categoryID, "手机", "Phones", now)
		return err
	})
	if err != nil {
		tb.Fatalf("seed organisation and category: %v", err)
	}
	return orgID, categoryID
}

package search

import (
	"context"
	"fmt"

	"gbmall/internal/platform/db"
)

// Index is the n-gram search index over products (table search_grams).
type Index struct {
	db *db.DB
	// walkMin overrides walkFrom in tests: > 0 a fixed threshold, < 0
	// never walk.
	walkMin int
}

// New returns the index stored in d.
func New(d *db.DB) *Index { return &Index{db: d} }

// gramsPerInsert bounds the rows of one INSERT statement written by
// IndexTx: a long title has a few dozen grams, so one or two statements
// carry a product.
const gramsPerInsert = 200

// IndexTx replaces the product's grams with those of texts (title, brand,
// category names …), in the caller's transaction, so a listing change and
// its index entries commit or roll back together and the next request
// already sees the change.
func (ix *Index) IndexTx(ctx context.Context, tx *db.Tx, productID string, texts ...string) error {
	if err := ix.RemoveTx(ctx, tx, productID); err != nil {
		return err
	}
	var g grams
	for _, t := range texts {
		for _, s := range Grams(t) {
			g.add(s)
		}
	}
	rows := make([]gramRow, len(g.list))
	for i, s := range g.list {
		rows[i] = gramRow{gram: s, productID: productID}
	}
	if err := insertGrams(ctx, tx, rows, gramsPerInsert); err != nil {
		return fmt.Errorf("search: index product %s: %w", productID, err)
	}
	return nil
}

// RemoveTx drops the product from the index, in the caller's transaction.
// Find already ignores products that are not listed; removing their grams
// keeps the index small.
func (ix *Index) RemoveTx(ctx context.Context, tx *db.Tx, productID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_grams WHERE product_id = $1`, productID); err != nil {
		return fmt.Errorf("search: remove product %s: %w", productID, err)
	}
	return nil
}

type gramRow struct{ gram, productID string }

// insertGrams writes rows in multi-row INSERTs of at most perStmt rows.
func insertGrams(ctx context.Context, tx *db.Tx, rows []gramRow, perStmt int) error {
	for start := 0; start < len(rows); start += perStmt {
		part := rows[start:min(start+perStmt, len(rows))]
		q := insertStmt(`INSERT INTO search_grams (gram, product_id) VALUES `, ` ON CONFLICT DO NOTHING`, 2, len(part))
		args := make([]any, 0, 2*len(part))
		for _, r := range part {
			args = append(args, r.gram, r.productID)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert grams: %w", err)
		}
	}
	return nil
}

// insertStmt returns prefix followed by rows tuples of cols placeholders,
// numbered $1.. in order, and suffix.
func insertStmt(prefix, suffix string, cols, rows int) string {
	return prefix + db.Values(rows, cols, 1) + suffix
}

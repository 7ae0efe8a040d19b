package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/id"
	"gbmall/internal/platform/problem"
)

// Claim-screening actions (R-6.4-13).
const (
	ActionBlock  = "block"  // listing is refused with prohibited-claim
	ActionReview = "review" // listing waits for a reviewer
)

// ClaimTerm is one screened phrase. A term with a category applies to
// that category and every category below it; one without applies
// everywhere.
type ClaimTerm struct {
	ID         string    `json:"id"`
	Term       string    `json:"term"`
	CategoryID *string   `json:"category_id"`
	Action     string    `json:"action" enum:"block,review"`
	Note       string    `json:"note"`
	CreatedAt  time.Time `json:"created_at"`
}

// textPolicy strips every tag and keeps the text between them.
var textPolicy = bluemonday.StrictPolicy()

// screenText reduces listing text to what a reader sees, in a form where
// the usual evasions do not hide a term: tags stripped, entities decoded,
// full-width letters folded, lower case, zero-width characters dropped,
// and spaces next to a Chinese character removed ("最 佳" reads as 最佳).
func screenText(s string) string {
	s = html.UnescapeString(textPolicy.Sanitize(s))
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
			continue
		}
		if unicode.IsSpace(r) {
			prev, next := neighbour(runes, i, -1), neighbour(runes, i, +1)
			if prev > unicode.MaxASCII || next > unicode.MaxASCII {
				continue
			}
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// neighbour is the nearest rune from i in direction dir that is not
// space, or 0.
func neighbour(runes []rune, i, dir int) rune {
	for j := i + dir; j >= 0 && j < len(runes); j += dir {
		if !unicode.IsSpace(runes[j]) && runes[j] != 0x3000 {
			if runes[j] >= 0xFF01 && runes[j] <= 0xFF5E {
				return runes[j] - 0xFEE0
			}
			return runes[j]
		}
	}
	return 0
}

type screenRule struct {
	term, norm, action string
}

func (s *Service) rulesFor(ctx context.Context, q db.Querier, t *tree, categoryID string) ([]screenRule, error) {
	cats := map[string]bool{}
	for _, c := range t.lineage(categoryID) {
		cats[c.id] = true
	}
	rows, err := q.QueryContext(ctx, `SELECT term, category_id, action FROM claim_terms ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("catalog: load claim terms: %w", err)
	}
	defer rows.Close()
	var out []screenRule
	for rows.Next() {
		var r screenRule
		var cat sql.NullString
		if err := rows.Scan(&r.term, &cat, &r.action); err != nil {
			return nil, err
		}
		if cat.Valid && !cats[cat.String] {
			continue
		}
		if r.norm = screenText(r.term); r.norm != "" {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

func applyRules(rules []screenRule, texts []string) (blocked, review []string) {
	var norm []string
	for _, t := range texts {
		norm = append(norm, screenText(t))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.action+"|"+r.term] {
			continue
		}
		for _, t := range norm {
			if strings.Contains(t, r.norm) {
				seen[r.action+"|"+r.term] = true
				if r.action == ActionBlock {
					blocked = append(blocked, r.term)
				} else {
					review = append(review, r.term)
				}
				break
			}
		}
	}
	return blocked, review
}

// Screen checks listing text against the claim terms that apply in
// category categoryID (R-6.4-13): it returns the terms that block the
// listing and those that send it to a reviewer. Matching ignores case and
// HTML markup.
func (s *Service) Screen(ctx context.Context, categoryID string, texts ...string) (blocked []string, review []string, err error) {
	q := s.db.Reader(ctx)
	t, err := s.loadTree(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	rules, err := s.rulesFor(ctx, q, t, categoryID)
	if err != nil {
		return nil, nil, err
	}
	blocked, review = applyRules(rules, texts)
	return blocked, review, nil
}

func prohibitedClaim(phrases []string) error {
	return problem.New(problem.ProhibitedClaim, i18n.T("标题或描述含有禁用宣传用语："+strings.Join(phrases, "、"),
		"The title or description contains prohibited claims: "+strings.Join(phrases, ", "))).With("phrases", phrases)
}

// ClaimTerms lists the screening terms (platform administrators), by id.
func (s *Service) ClaimTerms(ctx context.Context, limit int, cursor string) ([]ClaimTerm, string, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, "", err
	}
	limit = pageSize(limit)
	rows, err := s.db.Query(ctx, fmt.Sprintf(`SELECT id, term, category_id, action, note, created_at FROM claim_terms
		WHERE id > $1 ORDER BY id LIMIT %d`, limit+1), cursor)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: list claim terms: %w", err)
	}
	defer rows.Close()
	out := []ClaimTerm{}
	for rows.Next() {
		var c ClaimTerm
		var cat sql.NullString
		if err := rows.Scan(&c.ID, &c.Term, &cat, &c.Action, &c.Note, &c.CreatedAt); err != nil {
			return nil, "", err
		}
		if cat.Valid {
			c.CategoryID = &cat.String
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// ClaimTermInput is a new screening term.
type ClaimTermInput struct {
	Term       string
	CategoryID string
	Action     string
	Note       string
}

// AddClaimTerm adds a screening term (platform administrators). It binds
// listings and edits from now on; products already listed are screened
// again when their text next changes or they are listed again.
func (s *Service) AddClaimTerm(ctx context.Context, in ClaimTermInput) (*ClaimTerm, error) {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return nil, err
	}
	var f []problem.FieldError
	in.Term = strings.TrimSpace(in.Term)
	if n := utf8.RuneCountInString(in.Term); n < 1 || n > 50 || screenText(in.Term) == "" {
		f = append(f, problem.Field("term", i18n.T("用语应为 1 到 50 个字符", "term must be 1 to 50 characters")))
	}
	if in.Action != ActionBlock && in.Action != ActionReview {
		f = append(f, problem.Field("action", i18n.T("处理方式应为 block 或 review", "action must be block or review")))
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 200 {
		f = append(f, problem.Field("note", i18n.T("说明不超过 200 个字符", "note is at most 200 characters")))
	}
	out := &ClaimTerm{ID: "ct-" + id.New(), Term: in.Term, Action: in.Action, Note: in.Note, CreatedAt: s.now()}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if in.CategoryID = strings.TrimSpace(in.CategoryID); in.CategoryID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM categories WHERE id = $1`, in.CategoryID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				f = append(f, problem.Field("category_id", i18n.T("类目不存在", "No such category")))
			}
			out.CategoryID = &in.CategoryID
		}
		if len(f) > 0 {
			return problem.Invalid(f...)
		}
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM claim_terms WHERE lower(term) = lower($1) AND COALESCE(category_id, '') = $2`,
			in.Term, in.CategoryID).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return problem.New(problem.Conflict, i18n.T("该用语已在此范围内登记", "This term is already screened in this scope"))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO claim_terms (id, term, category_id, action, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			out.ID, out.Term, nullString(in.CategoryID), out.Action, out.Note, out.CreatedAt); err != nil {
			return fmt.Errorf("catalog: add claim term: %w", err)
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "claim_term.add", ObjectType: "claim_term", ObjectID: out.ID,
			Details: map[string]any{"term": out.Term, "category_id": in.CategoryID, "action": out.Action}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveClaimTerm deletes a screening term (platform administrators); the
// audit entry keeps what it was.
func (s *Service) RemoveClaimTerm(ctx context.Context, termID string) error {
	if _, err := identity.Authorize(ctx, identity.PermPlatformAdmin, ""); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var term, action string
		var cat sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT term, category_id, action FROM claim_terms WHERE id = $1`, termID).Scan(&term, &cat, &action)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.NotFoundError()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM claim_terms WHERE id = $1`, termID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "claim_term.remove", ObjectType: "claim_term", ObjectID: termID,
			Details: map[string]any{"term": term, "category_id": cat.String, "action": action}})
	})
}

// pageSize applies the list convention: default 20, at most 100.
func pageSize(limit int) int {
	if limit <= 0 || limit > 100 {
		return 20
	}
	return limit
}

package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
	"gbmall/internal/platform/db"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// ErrNotListed answers an attempt to buy what is not on sale.
var ErrNotListed = problem.New(problem.Conflict, i18n.T("该商品未在售（已下架或待审核）", "This product is not on sale (delisted or awaiting review)"))

func errProhibitedCategory() error {
	return problem.New(problem.Conflict, i18n.T("该类目商品禁止在平台销售", "Goods of this category may not be sold on the platform"))
}

// tradeCheck says whether organisation orgID may sell in category
// categoryID at now: the category is not prohibited, the seller may trade,
// and it holds, in force, every licence the category needs (R-5.4-8).
// Licence dates are read on every call, so a lapse stops sales at once.
func (s *Service) tradeCheck(ctx context.Context, t *tree, orgID, categoryID string, now time.Time) error {
	c, ok := t.effective(categoryID)
	if !ok || c.Prohibited {
		return errProhibitedCategory()
	}
	if err := s.orgs.CanTrade(ctx, orgID, now); err != nil {
		return err
	}
	return s.categoryLicences(ctx, c, orgID, now)
}

// tradeCheckKnown is tradeCheck when whether the seller may trade was
// already read (with TradeBlockersSQL).
func (s *Service) tradeCheckKnown(ctx context.Context, t *tree, orgID, categoryID string, now time.Time, canTrade bool) error {
	c, ok := t.effective(categoryID)
	if !ok || c.Prohibited {
		return errProhibitedCategory()
	}
	if !canTrade {
		if err := s.orgs.CanTrade(ctx, orgID, now); err != nil { // the precise answer
			return err
		}
	}
	return s.categoryLicences(ctx, c, orgID, now)
}

// categoryLicences checks the licences category c needs beyond the
// business licence (R-5.4-8).
func (s *Service) categoryLicences(ctx context.Context, c Category, orgID string, now time.Time) error {
	var missing []string
	for _, code := range c.RequiredQualifications {
		has, err := s.orgs.HasQualification(ctx, orgID, code, now)
		if err != nil {
			return err
		}
		if !has {
			missing = append(missing, code)
		}
	}
	if len(missing) > 0 {
		return problem.New(problem.QualificationMissing, i18n.T("经营该类目商品须持有有效的资质："+strings.Join(missing, "、"),
			"Selling in this category needs a licence in force: "+strings.Join(missing, ", "))).With("missing", missing)
	}
	return nil
}

// listable checks everything but the claims before a product goes on
// sale: a leaf category that is not prohibited, the certificate number a
// compulsory-certification category needs (R-6.4-5), and the seller's
// standing and licences (R-5.4-8).
func (s *Service) listable(ctx context.Context, t *tree, orgID, categoryID, certificate string) error {
	c, ok := t.effective(categoryID)
	switch {
	case !ok || !c.IsLeaf:
		return problem.Invalid(problem.Field("category_id", i18n.T("商品须放在末级类目", "Products go in leaf categories")))
	case c.Prohibited:
		return problem.Invalid(problem.Field("category_id", i18n.T("该类目商品禁止在平台销售", "Goods of this category may not be sold on the platform")))
	case c.CertificateRequired && certificate == "":
		return errCertificateRequired()
	}
	return s.tradeCheck(ctx, t, orgID, categoryID, s.now())
}

func errCertificateRequired() error {
	return problem.Invalid(problem.Field("certificate_number", i18n.T("该类目属强制性产品认证（CCC）目录，须填写认证证书编号",
		"This category is under compulsory certification (CCC): give the certificate number")))
}

func (s *Service) screenTx(ctx context.Context, q db.Querier, t *tree, categoryID string, texts ...string) (blocked, review []string, err error) {
	rules, err := s.rulesFor(ctx, q, t, categoryID)
	if err != nil {
		return nil, nil, err
	}
	blocked, review = applyRules(rules, texts)
	return blocked, review, nil
}

// setStatusTx moves a product from one status to another, refusing if
// another request moved it first.
func (s *Service) setStatusTx(ctx context.Context, tx *db.Tx, r *productRow, to Status, reason string) error {
	now := s.now()
	query := `UPDATE products SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5`
	if to == StatusListed {
		query = `UPDATE products SET status = $1, status_reason = $2, updated_at = $3, listed_at = $3 WHERE id = $4 AND status = $5`
	}
	res, err := tx.ExecContext(ctx, query, string(to), reason, now, r.id, string(r.status))
	if err != nil {
		return fmt.Errorf("catalog: set status: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return problem.New(problem.Conflict, i18n.T("商品状态已被其他操作改变，请刷新后重试", "The product changed meanwhile; reload and try again"))
	}
	return nil
}

// List puts a product on sale (seller staff). A product in a category
// that needs review, whose text hits a review term, or that the platform
// had removed waits for a reviewer; a block term refuses it with the
// offending phrases (R-6.4-13); a missing licence refuses it (R-5.4-8).
func (s *Service) List(ctx context.Context, productID string) (*Product, error) {
	cur, _, err := s.sellerProduct(ctx, productID)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		if r.status != StatusDraft && r.status != StatusDelisted && r.status != StatusRemoved {
			return invalidTransition(r.status, "上架", "listed")
		}
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.listable(ctx, t, cur.orgID, r.categoryID, r.certificateNumber); err != nil {
			return err
		}
		blocked, review, err := s.screenTx(ctx, tx, t, r.categoryID, r.title, r.description)
		if err != nil {
			return err
		}
		if len(blocked) > 0 {
			return prohibitedClaim(blocked)
		}
		c, _ := t.effective(r.categoryID)
		to, action := StatusListed, "product.list"
		if c.ReviewRequired || len(review) > 0 || r.status == StatusRemoved {
			to, action = StatusPendingReview, "product.submit_review"
		}
		if err := s.setStatusTx(ctx, tx, r, to, ""); err != nil {
			return err
		}
		if to == StatusListed {
			if err := s.indexTx(ctx, tx, t, productID); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: action, ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"from": r.status, "to": to, "review_phrases": review, "category_review": c.ReviewRequired}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

// Delist takes a listed product off sale (seller staff).
func (s *Service) Delist(ctx context.Context, productID string) (*Product, error) {
	if _, _, err := s.sellerProduct(ctx, productID); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		if r.status != StatusListed {
			return invalidTransition(r.status, "下架", "delisted")
		}
		if err := s.setStatusTx(ctx, tx, r, StatusDelisted, ""); err != nil {
			return err
		}
		if err := s.unindexTx(ctx, tx, productID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.delist", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"from": r.status}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

func needReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
		return "", problem.Invalid(problem.Field("reason", i18n.T("请填写理由（2 到 500 个字符）", "Give a reason (2 to 500 characters)")))
	}
	return reason, nil
}

var errOwnProduct = problem.New(problem.Forbidden, i18n.T("审核人员不能审核自己所属组织的商品", "A reviewer cannot decide on a product of their own organisation"))

// moderator loads a product for a platform reviewer who is not a member of
// its seller.
func (s *Service) moderator(ctx context.Context, productID string) (*identity.Principal, error) {
	p, err := identity.Authorize(ctx, identity.PermReviewOrgs, "")
	if err != nil {
		return nil, err
	}
	r, err := loadProduct(ctx, s.db.Reader(ctx), productID, false)
	if err != nil {
		return nil, err
	}
	if p.IsMember(r.orgID) {
		return nil, errOwnProduct
	}
	return p, nil
}

// Decide approves or rejects a product waiting for review (platform
// reviewers; R-5.5-1). Approval lists it, provided the seller still may
// sell in the category and no block term applies; the review terms it
// carried are recorded with the approval, as the log of the override
// (R-6.4-13). Rejection returns it to draft with the reason.
func (s *Service) Decide(ctx context.Context, productID, decision, reason string) (*Product, error) {
	if _, err := s.moderator(ctx, productID); err != nil {
		return nil, err
	}
	if decision != "approve" && decision != "reject" {
		return nil, problem.Invalid(problem.Field("decision", i18n.T("应为 approve 或 reject", "Must be approve or reject")))
	}
	if decision == "reject" {
		var err error
		if reason, err = needReason(reason); err != nil {
			return nil, err
		}
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		if r.status != StatusPendingReview {
			return invalidTransition(r.status, "审核", "reviewed")
		}
		if decision == "reject" {
			if err := s.setStatusTx(ctx, tx, r, StatusDraft, reason); err != nil {
				return err
			}
			return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.reject", ObjectType: "product", ObjectID: productID,
				Details: map[string]any{"reason": reason, "version": r.version}})
		}
		t, err := s.loadTree(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.listable(ctx, t, r.orgID, r.categoryID, r.certificateNumber); err != nil {
			return err
		}
		blocked, review, err := s.screenTx(ctx, tx, t, r.categoryID, r.title, r.description)
		if err != nil {
			return err
		}
		if len(blocked) > 0 {
			return prohibitedClaim(blocked)
		}
		if err := s.setStatusTx(ctx, tx, r, StatusListed, ""); err != nil {
			return err
		}
		if err := s.indexTx(ctx, tx, t, productID); err != nil {
			return err
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.approve", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"version": r.version, "review_phrases_overridden": review}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

// Remove takes a product down for a breach (platform reviewers; R-5.5-1),
// with the reason shown to the seller. Only review brings it back.
func (s *Service) Remove(ctx context.Context, productID, reason string) (*Product, error) {
	if _, err := s.moderator(ctx, productID); err != nil {
		return nil, err
	}
	reason, err := needReason(reason)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadProduct(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		if r.status == StatusRemoved {
			return invalidTransition(r.status, "再次下架处理", "removed again")
		}
		if err := s.setStatusTx(ctx, tx, r, StatusRemoved, reason); err != nil {
			return err
		}
		if r.status == StatusListed {
			if err := s.unindexTx(ctx, tx, productID); err != nil {
				return err
			}
		}
		return s.trail.RecordTx(ctx, tx, audit.Event{Action: "product.remove", ObjectType: "product", ObjectID: productID,
			Details: map[string]any{"from": r.status, "reason": reason, "version": r.version, "organization_id": r.orgID}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, productID)
}

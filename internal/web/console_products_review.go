package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// productReviewRoutes mounts the reviewers' product moderation console
// (issue 4 point 8; R-5.5-1): the queue of products waiting for review
// with the phrases that sent them there, approval and rejection with a
// reason, and the removal of a product on sale, with a reason, after a
// confirmation step.
func (s *server) productReviewRoutes(mux *http.ServeMux) {
	if s.d.Catalog == nil {
		return
	}
	mux.HandleFunc("GET /console/products", s.productQueue)
	mux.HandleFunc("POST /console/products/{id}/decision", s.productDecide)
	mux.HandleFunc("GET /console/products/{id}/remove", s.productRemoveForm)
	mux.HandleFunc("POST /console/products/{id}/remove", s.productRemove)
}

// productReviewTabs are the queue's tabs, in order.
var productReviewTabs = []string{string(catalog.StatusPendingReview), string(catalog.StatusListed), string(catalog.StatusRemoved)}

const productReviewPageSize = 20

// productReviewPage is the data of console_products_review.html.
type productReviewPage struct {
	Tab      string
	Tabs     []string
	Items    []productReviewItem
	Form     *form // messages about the page (a decision that failed)
	Flash    string
	NextURL  string
	FirstURL string
}

// productReviewItem is one product in the queue.
type productReviewItem struct {
	catalog.ProductSummary
	// TitleHTML is the title with the flagged phrases marked.
	TitleHTML template.HTML
	Price     string
	Category  string
	Phrases   []flaggedPhrase
	Reject    *form // the rejection form, with its messages
}

// flaggedPhrase is a screening term and where it was found.
type flaggedPhrase struct {
	Term    string
	InTitle bool
}

// productQueue lists products by status; pending review by default,
// the longest waiting first.
func (s *server) productQueue(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	s.renderProductQueue(w, r, http.StatusOK, r.URL.Query().Get("tab"), "", nil, newForm())
}

// renderProductQueue shows tab; failedID and failed are a rejection form
// sent back with its messages, page the page's own messages.
func (s *server) renderProductQueue(w http.ResponseWriter, r *http.Request, status int, tab, failedID string, failed, page *form) {
	ctx := r.Context()
	if !slices.Contains(productReviewTabs, tab) {
		tab = productReviewTabs[0]
	}
	data := productReviewPage{Tab: tab, Tabs: productReviewTabs, Form: page}
	if status == http.StatusOK {
		data.Flash = productReviewFlash(r)
	}
	cursor := r.URL.Query().Get("cursor")
	if r.Method != http.MethodGet {
		cursor = ""
	}
	filter := catalog.ProductFilter{Status: tab, Limit: productReviewPageSize, Cursor: cursor}
	xs, next, err := s.d.Catalog.ReviewQueue(ctx, filter)
	if problem.CodeOf(err) == problem.Validation { // a tampered or stale cursor
		data.Form.Summary = append(data.Form.Summary, msgBadCursor)
		filter.Cursor = ""
		xs, next, err = s.d.Catalog.ReviewQueue(ctx, filter)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cats, err := s.d.Catalog.Categories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := langOf(r)
	names := map[string]string{}
	for _, c := range cats {
		names[c.ID] = c.Name
		if lang == i18n.EN && c.NameEN != "" {
			names[c.ID] = c.NameEN
		}
	}
	for _, x := range xs {
		it := productReviewItem{ProductSummary: x, TitleHTML: markPhrases(x.Title, x.ReviewPhrases), Price: money(x.MinPrice),
			Category: names[x.CategoryID], Reject: newForm()}
		for _, ph := range x.ReviewPhrases {
			it.Phrases = append(it.Phrases, flaggedPhrase{Term: ph, InTitle: strings.Contains(x.Title, ph)})
		}
		if x.ID == failedID && failed != nil {
			it.Reject = failed
		}
		data.Items = append(data.Items, it)
	}
	if next != "" {
		data.NextURL = productQueueURL(tab, next)
	}
	if filter.Cursor != "" {
		data.FirstURL = productQueueURL(tab, "")
	}
	s.render(w, r, status, "console_products_review", "product-review", data)
}

func productQueueURL(tab, cursor string) string {
	q := url.Values{"tab": {tab}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return "/console/products?" + q.Encode()
}

// productReviewFlash is the confirmation named by ?msg=.
func productReviewFlash(r *http.Request) string {
	t, ok := catalogue["modr.flash."+r.URL.Query().Get("msg")]
	if !ok {
		return ""
	}
	return t.In(langOf(r))
}

// productDecide approves (the product goes on sale) or rejects (back to
// draft, with the reason the seller sees) a product waiting for review.
func (s *server) productDecide(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	id := r.PathValue("id")
	decision := r.PostForm.Get("decision")
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	_, err := s.d.Catalog.Decide(r.Context(), id, decision, reason)
	if err == nil {
		done := map[string]string{"approve": "approved", "reject": "rejected"}[decision]
		http.Redirect(w, r, productQueueURL(string(catalog.StatusPendingReview), "")+"&msg="+done, http.StatusSeeOther)
		return
	}
	f, page := newForm(), newForm()
	f.Values["reason"] = reason
	if pr, ok := problem.As(err); ok && pr.Code == problem.Validation && decision == "reject" {
		f.addProblem(err, map[string]string{"decision": "reason"})
		s.renderProductQueue(w, r, http.StatusUnprocessableEntity, string(catalog.StatusPendingReview), id, f, page)
		return
	}
	if status := summaryStatus(page, err); status != 0 {
		// Decided meanwhile by someone else, or the reviewer's own
		// organisation's product: say so above the queue.
		s.renderProductQueue(w, r, status, string(catalog.StatusPendingReview), "", nil, page)
		return
	}
	s.fail(w, r, err)
}

// productRemovePage is the data of console_products_remove.html.
type productRemovePage struct {
	P        *catalog.Product
	Category string
	Price    string
	Form     *form
}

// productRemoveForm is the confirmation step of a removal: what is taken
// down, and the reason, which the seller sees.
func (s *server) productRemoveForm(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	s.renderRemove(w, r, http.StatusOK, newForm())
}

func (s *server) renderRemove(w http.ResponseWriter, r *http.Request, status int, f *form) {
	p, err := s.d.Catalog.Product(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Status == catalog.StatusRemoved {
		http.Redirect(w, r, productQueueURL(string(catalog.StatusRemoved), ""), http.StatusSeeOther)
		return
	}
	page := productRemovePage{P: p, Category: p.CategoryName, Price: money(p.MinPrice), Form: f}
	if langOf(r) == i18n.EN && p.CategoryNameEN != "" {
		page.Category = p.CategoryNameEN
	}
	s.render(w, r, status, "console_products_remove", "product-review", page)
}

// productRemove takes a product down for a breach; only review brings it
// back.
func (s *server) productRemove(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	_, err := s.d.Catalog.Remove(r.Context(), r.PathValue("id"), reason)
	if err == nil {
		http.Redirect(w, r, productQueueURL(string(catalog.StatusRemoved), "")+"&msg=removed", http.StatusSeeOther)
		return
	}
	f := newForm()
	f.Values["reason"] = reason
	if status := formStatus(f, err, nil); status != 0 {
		s.renderRemove(w, r, status, f)
		return
	}
	s.fail(w, r, err)
}

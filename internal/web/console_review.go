package web

import (
	"net/http"
	"net/url"
	"strings"

	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/org"
	"gbmall/internal/platform/problem"
)

// reviewTabs are the queue's tabs, in order; "overdue" lists organisations
// suspended for not re-confirming their data (R-5.4-4).
var reviewTabs = []string{"pending_review", "approved", "suspended", "rejected", "overdue"}

// reviewPageSize is the number of organisations per page of the queue.
const reviewPageSize = 25

// reviewQueuePage is the data of review_queue.html.
type reviewQueuePage struct {
	Tab      string
	Tabs     []string
	Query    string
	Items    []org.Summary
	Form     *form
	NextURL  string
	FirstURL string
}

// requireReviewer answers 404 to anyone but a platform reviewer: the
// consoles' existence is no business of others (R-10.4-9).
func (s *server) requireReviewer(w http.ResponseWriter, r *http.Request) bool {
	if s.requireUser(w, r, false) == nil {
		return false
	}
	if _, err := identity.Authorize(r.Context(), identity.PermReviewOrgs, ""); err != nil {
		s.notFound(w, r)
		return false
	}
	return true
}

// reviewQueue is the reviewers' list of organisations by status, with a
// search by name or USCC (R-5.4-1).
func (s *server) reviewQueue(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	q := r.URL.Query()
	page := reviewQueuePage{Tab: q.Get("tab"), Tabs: reviewTabs, Form: newForm()}
	valid := false
	for _, t := range reviewTabs {
		valid = valid || t == page.Tab
	}
	if !valid {
		page.Tab = reviewTabs[0]
	}
	page.Query = strings.TrimSpace(q.Get("q"))
	if len(page.Query) > maxFilterLen {
		page.Query = page.Query[:maxFilterLen]
	}
	filter := org.ListFilter{Status: page.Tab, Query: page.Query, Limit: reviewPageSize, Cursor: q.Get("cursor")}
	if page.Tab == "overdue" {
		filter.Status, filter.ReverifyOverdue = string(org.StatusSuspended), true
	}
	items, next, err := s.d.Orgs.List(r.Context(), filter)
	if problem.CodeOf(err) == problem.Validation { // a tampered or stale cursor
		page.Form.Summary = append(page.Form.Summary, msgBadCursor)
		filter.Cursor = ""
		items, next, err = s.d.Orgs.List(r.Context(), filter)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Items = items
	if next != "" {
		page.NextURL = queueURL(page.Tab, page.Query, next)
	}
	if filter.Cursor != "" {
		page.FirstURL = queueURL(page.Tab, page.Query, "")
	}
	s.render(w, r, http.StatusOK, "review_queue", "review", page)
}

func queueURL(tab, query, cursor string) string {
	q := url.Values{"tab": {tab}}
	if query != "" {
		q.Set("q", query)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return "/console/review?" + q.Encode()
}

// reviewPage is the data of review.html.
type reviewPage struct {
	Org     *org.Organization
	Types   []qualType
	Docs    map[string]*document.Document
	History []org.HistoryEntry
	Form    *form
	Flash   string
	// PendingQuals: licences added after approval that wait for a decision.
	PendingQuals bool
}

// reviewOrg shows a reviewer the dossier with personal data masked, the
// scans, the file and the decisions the status allows.
func (s *server) reviewOrg(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	s.renderReview(w, r, http.StatusOK, false, newForm())
}

// revealOrg shows the same page with personal data in clear; the view is
// recorded in the audit trail (R-9.3-1).
func (s *server) revealOrg(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	s.renderReview(w, r, http.StatusOK, true, newForm())
}

func (s *server) renderReview(w http.ResponseWriter, r *http.Request, status int, unmask bool, f *form) {
	ctx := r.Context()
	o, err := s.d.Orgs.Get(ctx, r.PathValue("id"), unmask)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !onboardKind(o.Kind) {
		s.notFound(w, r)
		return
	}
	page := reviewPage{Org: o, Form: f, Docs: map[string]*document.Document{}}
	if status == http.StatusOK {
		page.Flash = flash(r)
	}
	if page.Types, err = s.qualTypes(ctx, o.Kind); err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range page.Types {
		for _, q := range o.Qualifications {
			if q.Type == page.Types[i].Code && (q.ReviewStatus == "pending" || q.ReviewStatus == "approved") {
				page.Types[i].Present = true
			}
		}
	}
	for _, q := range o.Qualifications {
		if q.ReviewStatus == "pending" {
			page.PendingQuals = true
		}
		if q.DocumentID == "" || s.d.Documents == nil {
			continue
		}
		if d, err := s.d.Documents.Get(ctx, q.DocumentID); err == nil {
			page.Docs[q.DocumentID] = d
		}
	}
	if page.History, err = s.d.Orgs.History(ctx, o.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "review", "review", page)
}

// approveConfirm is the second step of an approval: it files the
// organisation in the register and lets it trade.
func (s *server) approveConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	o, err := s.d.Orgs.Get(r.Context(), r.PathValue("id"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if o.Status != org.StatusPendingReview || !onboardKind(o.Kind) {
		http.Redirect(w, r, "/console/review/"+url.PathEscape(o.ID), http.StatusSeeOther)
		return
	}
	lang := langOf(r)
	s.render(w, r, http.StatusOK, "confirm", "review", confirmPage{
		Title: msg("approve.title"), Body: msg("approve.body"),
		Facts: []confirmFact{{msg("org.name"), o.Name}, {msg("org.kind"), label("kind."+string(o.Kind), string(o.Kind), lang)},
			{msg("org.uscc"), o.USCC}, {msg("dossier.qualifications"), countText(len(o.Qualifications), lang)}},
		Action: "/console/review/" + o.ID + "/decision", Hidden: map[string]string{"decision": "approve"},
		Confirm: msg("approve.confirm"), Cancel: "/console/review/" + o.ID,
	})
}

// decided names the confirmation shown after a decision.
var decided = map[string]string{"approve": "approved", "reject": "rejected"}

// decideOrg approves or rejects an organisation pending review; a
// rejection needs a reason, which the applicant sees (R-5.4-3).
func (s *server) decideOrg(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	decision := r.PostForm.Get("decision")
	f := newForm()
	reason := ""
	if decision == "reject" {
		reason = strings.TrimSpace(r.PostForm.Get("reject_reason"))
		f.Values["reject_reason"] = reason
	}
	s.reviewAction(w, r, f, map[string]string{"reason": "reject_reason", "decision": "reject_reason"}, decided[decision], func() error {
		_, err := s.d.Orgs.Decide(r.Context(), r.PathValue("id"), decision, reason)
		return err
	})
}

// suspendOrg takes an approved organisation off trading, with a reason.
func (s *server) suspendOrg(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	f := newForm()
	f.Values["suspend_reason"] = strings.TrimSpace(r.PostForm.Get("suspend_reason"))
	s.reviewAction(w, r, f, map[string]string{"reason": "suspend_reason"}, "suspended", func() error {
		_, err := s.d.Orgs.Suspend(r.Context(), r.PathValue("id"), f.Values["suspend_reason"])
		return err
	})
}

// liftOrg ends a suspension.
func (s *server) liftOrg(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	f := newForm()
	f.Values["lift_reason"] = strings.TrimSpace(r.PostForm.Get("lift_reason"))
	s.reviewAction(w, r, f, map[string]string{"reason": "lift_reason"}, "lifted", func() error {
		_, err := s.d.Orgs.Lift(r.Context(), r.PathValue("id"), f.Values["lift_reason"])
		return err
	})
}

// decideQualification approves or rejects a licence an approved
// organisation added; it counts only once approved (R-6.1-1).
func (s *server) decideQualification(w http.ResponseWriter, r *http.Request) {
	if !s.requireReviewer(w, r) {
		return
	}
	o, err := s.d.Orgs.Get(r.Context(), r.PathValue("id"), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	qid := r.PathValue("qid")
	found := false
	for _, q := range o.Qualifications {
		found = found || q.ID == qid
	}
	if !found {
		s.notFound(w, r)
		return
	}
	decision := r.PostForm.Get("decision")
	input := "q-" + qid
	f := newForm()
	f.Values[input] = strings.TrimSpace(r.PostForm.Get("reason"))
	s.reviewAction(w, r, f, map[string]string{"reason": input, "decision": input}, "qualification_"+decided[decision], func() error {
		_, err := s.d.Orgs.DecideQualification(r.Context(), qid, decision, f.Values[input])
		return err
	})
}

// reviewAction runs a reviewer's decision and goes back to the dossier,
// or shows the dossier again with the decision's messages.
func (s *server) reviewAction(w http.ResponseWriter, r *http.Request, f *form, rename map[string]string, done string, act func() error) {
	if err := act(); err != nil {
		if status := formStatus(f, err, rename); status != 0 {
			s.renderReview(w, r, status, false, f)
			return
		}
		s.fail(w, r, err)
		return
	}
	target := "/console/review/" + url.PathEscape(r.PathValue("id"))
	if _, ok := catalogue["flash."+done]; ok {
		target += "?msg=" + done
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

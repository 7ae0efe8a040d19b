package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"gbmall/internal/identity"
	"gbmall/internal/payment"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// adminPayHead is what the operator's payment pages share: the section
// shown and whether the tabs for platform admins are offered.
type adminPayHead struct {
	Section string // payments, incidents, reconciliation
	IsAdmin bool
}

// platformStaff is the signed-in platform staff member holding perm, or
// nil after answering: the login page for the signed-out, the 404 page for
// everyone else (R-10.4-9).
func (s *server) platformStaff(w http.ResponseWriter, r *http.Request, perm identity.Permission) *identity.Principal {
	p := s.requireUser(w, r, false)
	if p == nil {
		return nil
	}
	if !p.HasKind(identity.KindPlatform) || !p.Can(perm, "") {
		s.notFound(w, r)
		return nil
	}
	return p
}

// adminPaymentsPage is the data of payments_admin.html.
type adminPaymentsPage struct {
	adminPayHead
	Payments []paymentView
	Table    payTable
	Statuses []string
	Status   string
	Next     string
	First    string
}

// adminPayments lists every payment, newest first, by status, with its
// refunds (platform staff, supervision.read).
func (s *server) adminPayments(w http.ResponseWriter, r *http.Request) {
	p := s.platformStaff(w, r, identity.PermSuperviseRead)
	if p == nil {
		return
	}
	q := r.URL.Query()
	page := adminPaymentsPage{adminPayHead: adminPayHead{"payments", p.Can(identity.PermPlatformAdmin, "")}, Statuses: paymentStatuses}
	for _, st := range paymentStatuses {
		if q.Get("status") == st {
			page.Status = st
		}
	}
	ps, next, err := s.d.Payments.List(r.Context(), payment.PaymentFilter{Status: page.Status, Page: payment.Page{Limit: 20, Cursor: q.Get("cursor")}})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/admin/payments", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	for _, x := range ps {
		page.Payments = append(page.Payments, paymentViewOf(x, langOf(r)))
	}
	page.Table = payTable{Payments: page.Payments, OrderLink: "admin"}
	if next != "" {
		v := url.Values{"cursor": {next}}
		if page.Status != "" {
			v.Set("status", page.Status)
		}
		page.Next = "/admin/payments?" + v.Encode()
	}
	if q.Get("cursor") != "" {
		page.First = "/admin/payments"
		if page.Status != "" {
			page.First += "?status=" + url.QueryEscape(page.Status)
		}
	}
	s.render(w, r, http.StatusOK, "payments_admin", "admin-payments", page)
}

// adminIncidentsPage is the data of payments_incidents.html.
type adminIncidentsPage struct {
	adminPayHead
	Incidents []payment.Incident
	Next      string
	First     string
}

// adminIncidents lists refused and mismatching provider notifications
// (R-6.5-3, R-6.5-4), newest first (platform admin).
func (s *server) adminIncidents(w http.ResponseWriter, r *http.Request) {
	if s.platformStaff(w, r, identity.PermPlatformAdmin) == nil {
		return
	}
	q := r.URL.Query()
	xs, next, err := s.d.Payments.Incidents(r.Context(), payment.Page{Limit: 20, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/admin/payment-incidents", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	page := adminIncidentsPage{adminPayHead: adminPayHead{"incidents", true}, Incidents: xs}
	if next != "" {
		page.Next = "/admin/payment-incidents?" + url.Values{"cursor": {next}}.Encode()
	}
	if q.Get("cursor") != "" {
		page.First = "/admin/payment-incidents"
	}
	s.render(w, r, http.StatusOK, "payments_incidents", "admin-payments", page)
}

// reportView is one day's reconciliation as the page shows it.
type reportView struct {
	*payment.Report
	Trades, Refunds, Settlements string
	Badge                        string
	Exceptions                   []exceptionView
}

// exceptionView is one reconciliation exception, amounts written out.
type exceptionView struct {
	payment.Exception
	PlatformYuan, ProviderYuan   string
	PlatformState, ProviderState string // the statuses in the page's language
}

// recordState names a trade's, refund's or settlement's status as the
// statement and the platform write it.
func recordState(st string, lang i18n.Lang) string {
	if st == "" {
		return ""
	}
	return label("pay.ps."+st, st, lang)
}

func exceptionViewOf(e payment.Exception, lang i18n.Lang) exceptionView {
	v := exceptionView{Exception: e, PlatformYuan: "—", ProviderYuan: "—",
		PlatformState: recordState(e.PlatformStatus, lang), ProviderState: recordState(e.ProviderStatus, lang)}
	if e.PlatformAmount != nil {
		v.PlatformYuan = "¥" + fenYuan(*e.PlatformAmount)
	}
	if e.ProviderAmount != nil {
		v.ProviderYuan = "¥" + fenYuan(*e.ProviderAmount)
	}
	return v
}

// adminReconPage is the data of payments_reconciliation.html.
type adminReconPage struct {
	adminPayHead
	Reports []reportView
	Flash   string
	Next    string
	First   string
}

// adminReconciliation shows the daily reconciliation reports, newest
// first, with their counts, totals and exceptions (R-8.2-6; platform
// admin).
func (s *server) adminReconciliation(w http.ResponseWriter, r *http.Request) {
	if s.platformStaff(w, r, identity.PermPlatformAdmin) == nil {
		return
	}
	q := r.URL.Query()
	xs, next, err := s.d.Payments.Reports(r.Context(), payment.Page{Limit: 14, Cursor: q.Get("cursor")})
	if err != nil {
		if problem.CodeOf(err) == problem.Validation {
			http.Redirect(w, r, "/admin/reconciliation", http.StatusSeeOther)
			return
		}
		s.fail(w, r, err)
		return
	}
	page := adminReconPage{adminPayHead: adminPayHead{"reconciliation", true}}
	if q.Get("msg") == "resolved" {
		page.Flash = msg("pay.flash.resolved").In(langOf(r))
	}
	for _, x := range xs {
		v := reportView{Report: x, Trades: "¥" + fenYuan(x.TradesFen), Refunds: "¥" + fenYuan(x.RefundsFen), Settlements: "¥" + fenYuan(x.SettlementsFen)}
		switch x.Status {
		case "balanced":
			v.Badge = "badge-ok"
		case "exceptions":
			v.Badge = "badge-warn"
			if x.OpenCount == 0 {
				v.Badge = "badge-info"
			}
		case "failed":
			v.Badge = "badge-bad"
		}
		for _, e := range x.Exceptions {
			v.Exceptions = append(v.Exceptions, exceptionViewOf(e, langOf(r)))
		}
		page.Reports = append(page.Reports, v)
	}
	if next != "" {
		page.Next = "/admin/reconciliation?" + url.Values{"cursor": {next}}.Encode()
	}
	if q.Get("cursor") != "" {
		page.First = "/admin/reconciliation"
	}
	s.render(w, r, http.StatusOK, "payments_reconciliation", "admin-payments", page)
}

// resolvePage is the data of payments_resolve.html.
type resolvePage struct {
	Report    *payment.Report
	Exception exceptionView
	Form      *form
	Action    string
}

// exceptionOf finds exception {eid} of report {rid}, or answers 404.
func (s *server) exceptionOf(w http.ResponseWriter, r *http.Request) (*payment.Report, *payment.Exception) {
	if s.platformStaff(w, r, identity.PermPlatformAdmin) == nil {
		return nil, nil
	}
	rep, err := s.d.Payments.GetReport(r.Context(), r.PathValue("rid"))
	if err != nil {
		s.fail(w, r, err)
		return nil, nil
	}
	for i := range rep.Exceptions {
		if rep.Exceptions[i].ID == r.PathValue("eid") {
			return rep, &rep.Exceptions[i]
		}
	}
	s.notFound(w, r)
	return nil, nil
}

func (s *server) renderResolve(w http.ResponseWriter, r *http.Request, status int, rep *payment.Report, e *payment.Exception, f *form) {
	s.render(w, r, status, "payments_resolve", "admin-payments", resolvePage{Report: rep, Exception: exceptionViewOf(*e, langOf(r)), Form: f,
		Action: fmt.Sprintf("/admin/reconciliation/%s/exceptions/%s/resolve", rep.ID, e.ID)})
}

// resolveForm asks for the note that closes a reconciliation exception.
func (s *server) resolveForm(w http.ResponseWriter, r *http.Request) {
	rep, e := s.exceptionOf(w, r)
	if e == nil {
		return
	}
	if e.Status != "open" {
		http.Redirect(w, r, "/admin/reconciliation#report-"+rep.ID, http.StatusSeeOther)
		return
	}
	s.renderResolve(w, r, http.StatusOK, rep, e, newForm())
}

// resolveException takes the note, asks for confirmation, and then
// closes the exception with it (R-8.2-6).
func (s *server) resolveException(w http.ResponseWriter, r *http.Request) {
	rep, e := s.exceptionOf(w, r)
	if e == nil {
		return
	}
	f := newForm()
	note := strings.TrimSpace(r.PostForm.Get("note"))
	f.Values["note"] = note
	if n := utf8.RuneCountInString(note); n < 2 || n > 1000 {
		f.add("note", i18n.T("请写明处理说明（2–1000 个字）", "Write how it was resolved (2–1000 characters)"))
		s.renderResolve(w, r, http.StatusBadRequest, rep, e, f)
		return
	}
	action := fmt.Sprintf("/admin/reconciliation/%s/exceptions/%s/resolve", rep.ID, e.ID)
	if r.PostForm.Get("confirmed") != "1" {
		s.render(w, r, http.StatusOK, "confirm", "admin-payments", confirmPage{Title: msg("pay.resolve.confirm_title"), Body: msg("pay.resolve.confirm_body"),
			Facts: []confirmFact{
				{Label: msg("pay.recon.day"), Value: rep.Day + " · " + rep.ProviderName},
				{Label: msg("pay.ex.kind"), Value: msg("pay.exk." + e.Kind).In(langOf(r))},
				{Label: msg("pay.ex.record"), Value: msg("pay.rk."+e.RecordKind).In(langOf(r)) + " " + e.OutNo},
				{Label: msg("pay.resolve.by"), Value: note},
			},
			Action: action, Hidden: map[string]string{"note": note, "confirmed": "1"}, Confirm: msg("pay.resolve.confirm"),
			Cancel: "/admin/reconciliation#report-" + rep.ID})
		return
	}
	if _, err := s.d.Payments.ResolveException(r.Context(), e.ID, note); err != nil {
		if pr, ok := problem.As(err); ok && pr.Code != problem.NotFound && pr.Code != problem.Forbidden && pr.Code != problem.Unauthenticated {
			if !f.addProblem(err, nil) {
				s.fail(w, r, err)
				return
			}
			s.renderResolve(w, r, pr.Code.Status(), rep, e, f)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/reconciliation?msg=resolved#report-"+rep.ID, http.StatusSeeOther)
}

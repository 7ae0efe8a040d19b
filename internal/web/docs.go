package web

import (
	"io"
	"net/http"
	"strconv"

	"gbmall/internal/document"
)

// document streams an uploaded scan to someone allowed to read it (its
// uploader, the organisation's members, platform staff); anyone else gets
// the not-found page (R-10.4-9). Staff reads are audited by the store.
// The type is the one sniffed at upload; PDFs are sandboxed so a hostile
// file cannot run script in gbmall's origin.
func (s *server) document(w http.ResponseWriter, r *http.Request) {
	if s.requireUser(w, r, false) == nil {
		return
	}
	d, rc, err := s.d.Documents.Open(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Content-Disposition", inlineDisposition(d))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if d.ContentType == document.TypePDF {
		// Beside the site-wide policy: browsers enforce every policy
		// given, so this only narrows it.
		h.Add("Content-Security-Policy", "sandbox")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, rc)
}

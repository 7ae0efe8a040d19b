package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/problem"
)

// sellerImageRoutes mounts the image section of the seller's product page
// (issue 4 point 2): upload, delete with a confirmation, and moving an
// image first, up or down. Everything works without script.
func (s *server) sellerImageRoutes(mux *http.ServeMux) {
	if s.d.Images == nil {
		return
	}
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/images", s.sellerAddImage)
	mux.HandleFunc("GET /orgs/{id}/products/{pid}/images/{iid}/delete", s.sellerDeleteImageConfirm)
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/images/{iid}/delete", s.sellerDeleteImage)
	mux.HandleFunc("POST /orgs/{id}/products/{pid}/images/{iid}/move", s.sellerMoveImage)
}

// isImageUploadTail reports whether the part of a path after /orgs/{id}/
// is the image upload form, "products/{pid}/images".
func isImageUploadTail(tail string) bool {
	rest, ok := strings.CutPrefix(tail, "products/")
	if !ok {
		return false
	}
	pid, t, _ := strings.Cut(rest, "/")
	return pid != "" && t == "images"
}

func sellerProductURL(orgID, productID string) string {
	return "/orgs/" + orgID + "/products/" + url.PathEscape(productID)
}

// sellerAddImage receives one image from the upload form; a refusal is
// shown next to the file input.
func (s *server) sellerAddImage(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	errs := newForm()
	if uploadTooLarge(r) {
		// The body was refused unread (and so its CSRF token): nothing is done.
		pr, _ := problem.As(catalog.TooLargeImageError())
		errs.add("file", pr.Detail)
		s.renderProduct(w, r, http.StatusRequestEntityTooLarge, o, errs, nil, "", nil)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		errs.add("file", msg("images.choose"))
		s.renderProduct(w, r, http.StatusBadRequest, o, errs, nil, "", nil)
		return
	}
	defer file.Close()
	if _, err := s.d.Images.AddImage(r.Context(), p.ID, file); err != nil {
		s.imageError(w, r, o.ID, errs, err)
		return
	}
	http.Redirect(w, r, sellerProductURL(o.ID, p.ID)+"?msg=image_added#images", http.StatusSeeOther)
}

// imageError shows a refused image action next to the upload form.
func (s *server) imageError(w http.ResponseWriter, r *http.Request, orgID string, errs *form, err error) {
	pr, ok := problem.As(err)
	if !ok || pr.Code == problem.NotFound || pr.Code == problem.Unauthenticated || pr.Code == problem.Forbidden {
		s.fail(w, r, err)
		return
	}
	if len(pr.Fields) == 0 {
		errs.add("file", pr.Detail)
	}
	for _, fe := range pr.Fields {
		errs.add("file", fe.Message)
	}
	o, oerr := s.d.Orgs.Get(r.Context(), orgID, false)
	if oerr != nil {
		s.fail(w, r, oerr)
		return
	}
	s.renderProduct(w, r, pr.Code.Status(), o, errs, nil, "", nil)
}

// imageOf finds image {iid} of product p.
func imageOf(p *catalog.Product, iid string) (int, bool) {
	i := slices.IndexFunc(p.Images, func(img catalog.Image) bool { return img.ID == iid })
	return i, i >= 0
}

// sellerDeleteImageConfirm asks before an image is removed.
func (s *server) sellerDeleteImageConfirm(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	i, ok := imageOf(p, r.PathValue("iid"))
	if !ok {
		s.notFound(w, r)
		return
	}
	base := sellerProductURL(o.ID, p.ID)
	s.render(w, r, http.StatusOK, "confirm", "orgs", confirmPage{Title: msg("images.delete_title"), Body: msg("images.delete_body"),
		Facts: []confirmFact{{msg("seller.product_title"), p.Title},
			{msg("images.which"), fmt.Sprintf(msg("images.nth").In(langOf(r)), i+1, len(p.Images))}},
		Action: base + "/images/" + url.PathEscape(p.Images[i].ID) + "/delete", Confirm: msg("images.delete"),
		Cancel: base + "#images", Danger: true})
}

func (s *server) sellerDeleteImage(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	if err := s.d.Images.DeleteImage(r.Context(), p.ID, r.PathValue("iid")); err != nil {
		s.imageError(w, r, o.ID, newForm(), err)
		return
	}
	http.Redirect(w, r, sellerProductURL(o.ID, p.ID)+"?msg=image_deleted#images", http.StatusSeeOther)
}

// sellerMoveImage moves an image first ("to=first"), one place earlier
// ("up") or later ("down").
func (s *server) sellerMoveImage(w http.ResponseWriter, r *http.Request) {
	o := s.sellerOrg(w, r)
	if o == nil {
		return
	}
	p := s.sellerProductOf(w, r, o.ID)
	if p == nil {
		return
	}
	i, ok := imageOf(p, r.PathValue("iid"))
	if !ok {
		s.notFound(w, r)
		return
	}
	ids := make([]string, len(p.Images))
	for k, img := range p.Images {
		ids[k] = img.ID
	}
	j := i
	switch r.PostForm.Get("to") {
	case "first":
		j = 0
	case "up":
		j = max(i-1, 0)
	case "down":
		j = min(i+1, len(ids)-1)
	}
	moved := ids[i]
	ids = slices.Insert(slices.Delete(ids, i, i+1), j, moved)
	if _, err := s.d.Images.OrderImages(r.Context(), p.ID, ids); err != nil {
		s.imageError(w, r, o.ID, newForm(), err)
		return
	}
	http.Redirect(w, r, sellerProductURL(o.ID, p.ID)+"?msg=images_ordered#images", http.StatusSeeOther)
}

package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"gbmall/internal/document"
	"gbmall/internal/identity"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// uploadBodyLimit bounds a whole upload request: the 10 MiB file plus room
// for the multipart framing and the other fields. A file between 10 MiB
// and this limit reaches document.Store, which answers 413 itself.
const uploadBodyLimit = document.MaxSize + 64<<10

// uploadMemory is how much of an upload is held in memory; larger files
// spill to temporary files that the upload middleware removes.
const uploadMemory = 1 << 20

type documentUploadForm struct {
	// The declared part type includes application/octet-stream so that
	// huma accepts any declared type: document.Sniff decides from the
	// bytes, and a wrong or missing part Content-Type must not matter.
	File           huma.FormFile `form:"file" contentType:"application/pdf,image/png,image/jpeg,application/octet-stream" required:"true" doc:"The file: PDF, PNG or JPEG, at most 10 MiB. Its type is sniffed from the content; the file name and the part's Content-Type are ignored."`
	OrganizationID string        `form:"organization_id" required:"false" doc:"The organisation the document belongs to; the caller must be a member."`
}

type documentUploadInput struct {
	RawBody huma.MultipartFormFiles[documentUploadForm]
}

type documentCreatedBody struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

type documentUploadOutput struct {
	Status int
	Body   documentCreatedBody
}

type documentIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type documentOutput struct {
	Body *document.Document
}

// RegisterDocumentRoutes mounts the document endpoints (R-10.6-5) on api:
// upload, metadata, and content. It needs the net/http adapter (humago),
// which the upload's size limit reaches through.
func RegisterDocumentRoutes(api huma.API, store *document.Store) {
	up := secured(op(http.MethodPost, "/documents", "upload-document", "Upload a PDF, PNG or JPEG document (at most 10 MiB; type sniffed from content)", "documents"))
	up.DefaultStatus = http.StatusCreated
	// Documentation only: huma does not apply MaxBodyBytes to multipart
	// bodies, so limitUpload enforces the same number.
	up.MaxBodyBytes = uploadBodyLimit
	up.Middlewares = huma.Middlewares{limitUpload(api)}
	up.Description = "Multipart form with field `file` and optional `organization_id`. Anything but PDF, PNG or JPEG is 415 unsupported-media-type, whatever its name; over 10 MiB is 413 payload-too-large; an empty file is 400."
	register(api, up, func(ctx context.Context, in *documentUploadInput) (*documentUploadOutput, error) {
		form := in.RawBody.Data()
		if form == nil || !form.File.IsSet {
			return nil, problem.Invalid(problem.Field("file", i18n.T("请选择要上传的文件", "Choose a file to upload")))
		}
		defer form.File.Close()
		d, err := store.Upload(ctx, form.File.Filename, form.File, strings.TrimSpace(form.OrganizationID))
		if err != nil {
			return nil, err
		}
		return &documentUploadOutput{Status: http.StatusCreated,
			Body: documentCreatedBody{ID: d.ID, SHA256: d.SHA256, ContentType: d.ContentType, Size: d.Size}}, nil
	})

	register(api, secured(op(http.MethodGet, "/documents/{id}", "get-document", "A document's metadata", "documents")),
		func(ctx context.Context, in *documentIDInput) (*documentOutput, error) {
			d, err := store.Get(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &documentOutput{Body: d}, nil
		})

	content := secured(op(http.MethodGet, "/documents/{id}/content", "get-document-content", "A document's content", "documents"))
	content.Description = "Served inline with its sniffed type, `X-Content-Type-Options: nosniff`, `Cache-Control: private, no-store`, and for PDFs `Content-Security-Policy: sandbox` so a hostile PDF cannot run script in gbmall's origin."
	binary := &huma.Schema{Type: "string", Format: "binary"}
	content.Responses = map[string]*huma.Response{"200": {
		Description: "The content",
		Content: map[string]*huma.MediaType{
			document.TypePDF: {Schema: binary}, document.TypePNG: {Schema: binary}, document.TypeJPEG: {Schema: binary},
		},
	}}
	register(api, content, func(ctx context.Context, in *documentIDInput) (*huma.StreamResponse, error) {
		d, rc, err := store.Open(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer rc.Close()
			hctx.SetHeader("Content-Type", d.ContentType)
			hctx.SetHeader("Content-Length", strconv.FormatInt(d.Size, 10))
			hctx.SetHeader("Content-Disposition", contentDisposition("inline", d.DownloadName()))
			hctx.SetHeader("X-Content-Type-Options", "nosniff")
			hctx.SetHeader("Cache-Control", "private, no-store")
			if d.ContentType == document.TypePDF {
				// Added beside the site-wide policy: browsers enforce every
				// policy given, so this only narrows it.
				hctx.AppendHeader("Content-Security-Policy", "sandbox")
			}
			hctx.SetStatus(http.StatusOK)
			_, _ = io.Copy(hctx.BodyWriter(), rc)
		}}, nil
	})
}

// limitUpload caps the upload body and parses the multipart form before
// huma does, once the caller is known to be signed in. huma reads
// multipart bodies without its MaxBodyBytes limit and reports any read
// failure as a validation error; parsing here under
// http.MaxBytesReader turns an oversize body into 413 payload-too-large and
// a body that is not multipart into 415. The parsed form is what huma then
// decodes, and its temporary files are removed when the request ends (the
// server only cleans up the form of the request it created, not of the
// copies middlewares make).
func limitUpload(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		// Who is asking is known before the body is read: a stranger's
		// 10 MiB is not parsed only to be refused.
		if _, err := identity.RequireSignedIn(ctx.Context(), false); err != nil {
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "", err)
			return
		}
		r, w, ok := unwrapHTTP(ctx)
		if !ok {
			_ = huma.WriteErr(api, ctx, http.StatusInternalServerError, "", errors.New("document upload: not served by the net/http adapter"))
			return
		}
		if r.ContentLength > uploadBodyLimit {
			_ = huma.WriteErr(api, ctx, http.StatusRequestEntityTooLarge, "", document.TooLargeError())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, uploadBodyLimit)
		if err := r.ParseMultipartForm(uploadMemory); err != nil {
			if r.MultipartForm != nil {
				_ = r.MultipartForm.RemoveAll()
			}
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe) || strings.Contains(err.Error(), "request body too large"):
				_ = huma.WriteErr(api, ctx, http.StatusRequestEntityTooLarge, "", document.TooLargeError())
			case errors.Is(err, http.ErrNotMultipart):
				_ = huma.WriteErr(api, ctx, http.StatusUnsupportedMediaType, "", problem.New(problem.UnsupportedMedia,
					i18n.T("请以 multipart/form-data 表单上传文件（字段 file）", "Send the file as multipart/form-data (field file)")))
			default:
				_ = huma.WriteErr(api, ctx, http.StatusBadRequest, "", problem.Invalid(problem.Field("body",
					i18n.T("无法解析 multipart 表单", "Malformed multipart form"))).Wrap(err))
			}
			return
		}
		defer r.MultipartForm.RemoveAll()
		next(ctx)
	}
}

// unwrapHTTP returns the request and writer under a humago context (as
// humago.Unwrap does, without its panic for other adapters).
func unwrapHTTP(ctx huma.Context) (*http.Request, http.ResponseWriter, bool) {
	for {
		c, ok := ctx.(interface{ Unwrap() huma.Context })
		if !ok {
			break
		}
		ctx = c.Unwrap()
	}
	if c, ok := ctx.(interface {
		Unwrap() (*http.Request, http.ResponseWriter)
	}); ok {
		r, w := c.Unwrap()
		return r, w, true
	}
	return nil, nil, false
}

// contentDisposition builds a Content-Disposition value safe under RFC
// 6266: a quoted ASCII fallback with anything that could end or escape the
// quoted string replaced, and the exact name as RFC 8187 filename*.
func contentDisposition(disposition, name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			ext.WriteByte(c)
		} else {
			fmt.Fprintf(&ext, "%%%02X", c)
		}
	}
	return disposition + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar is RFC 8187's attr-char.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

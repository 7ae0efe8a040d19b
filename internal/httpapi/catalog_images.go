package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"gbmall/internal/catalog"
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

type imageUploadForm struct {
	// As for documents, the declared part type does not matter: the
	// catalogue sniffs the bytes.
	File huma.FormFile `form:"file" contentType:"image/jpeg,image/png,image/webp,application/octet-stream" required:"true" doc:"The image: JPEG, PNG or WebP, at most 10 MiB and 40 megapixels. Its type is sniffed from the content; the file name and the part's Content-Type are ignored."`
}

type imageUploadInput struct {
	ID      string `path:"id"`
	RawBody huma.MultipartFormFiles[imageUploadForm]
}

type imageOutput struct {
	Status int
	Body   *catalog.Image
}

type imagesOutput struct {
	Body struct {
		Items []catalog.Image `json:"items"`
	}
}

// RegisterImageRoutes mounts the product image endpoints on api: upload,
// delete and order (seller staff of the product's seller). The images
// themselves are served under /media/ (catalog.ImageStore.ServeMedia).
func RegisterImageRoutes(api huma.API, store *catalog.ImageStore) {
	up := secured(op(http.MethodPost, "/products/{id}/images", "add-product-image", "Upload an image for a product (seller staff; JPEG, PNG or WebP, at most 10 MiB, at most 9 per product)", "catalogue"))
	up.DefaultStatus = http.StatusCreated
	up.MaxBodyBytes = uploadBodyLimit // documentation: limitUpload enforces it
	up.Middlewares = huma.Middlewares{limitUpload(api)}
	up.Description = "Multipart form with field `file`. The type is sniffed from the content: anything but JPEG, PNG or WebP is 415 unsupported-media-type; over 10 MiB is 413 payload-too-large; more than 40 megapixels (read from the header, before decoding) is 400; a tenth image or one the product already has is 409 conflict. JPEG renditions of 160, 480 and 960 px (longest side) are made at once and served at the image's `thumb_url`, `url` and `large_url`."
	register(api, up, func(ctx context.Context, in *imageUploadInput) (*imageOutput, error) {
		form := in.RawBody.Data()
		if form == nil || !form.File.IsSet {
			return nil, problem.Invalid(problem.Field("file", i18n.T("请选择要上传的图片", "Choose an image to upload")))
		}
		defer form.File.Close()
		img, err := store.AddImage(ctx, in.ID, form.File)
		if err != nil {
			return nil, err
		}
		return &imageOutput{Status: http.StatusCreated, Body: img}, nil
	})
	register(api, secured(op(http.MethodDelete, "/products/{id}/images/{image_id}", "delete-product-image", "Remove an image from a product; the images after it move up (seller staff)", "catalogue")),
		func(ctx context.Context, in *struct {
			ID      string `path:"id"`
			ImageID string `path:"image_id"`
		}) (*emptyOutput, error) {
			if err := store.DeleteImage(ctx, in.ID, in.ImageID); err != nil {
				return nil, err
			}
			return &emptyOutput{Status: http.StatusNoContent}, nil
		})
	register(api, secured(op(http.MethodPut, "/products/{id}/images/order", "order-product-images", "Set the order of a product's images; the first is the main image (seller staff)", "catalogue")),
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				IDs []string `json:"ids" maxItems:"9" doc:"every image id of the product, once each, in the new order"`
			}
		}) (*imagesOutput, error) {
			xs, err := store.OrderImages(ctx, in.ID, in.Body.IDs)
			if err != nil {
				return nil, err
			}
			out := &imagesOutput{}
			out.Body.Items = xs
			return out, nil
		})
}

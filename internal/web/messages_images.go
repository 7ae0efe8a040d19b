package web

import (
	"fmt"

	"gbmall/internal/platform/i18n"
)

// The messages of product images (storefront gallery, seller console) and
// of the reviewers' product moderation console join the catalogue at
// start-up, under the same checks as the others.
func init() {
	for k, t := range imageMessages {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("web: message %q defined twice", k))
		}
		catalogue[k] = t
	}
}

var imageMessages = map[string]i18n.Text{
	// Images.
	"images.title":        i18n.T("商品图片", "Product images"),
	"images.count":        i18n.T("已上传 %d 张，最多 %d 张。第一张为主图，在商品列表和搜索结果中展示。", "%d uploaded, at most %d. The first is the main image, shown in lists and search results."),
	"images.main":         i18n.T("主图", "Main image"),
	"images.make_main":    i18n.T("设为主图", "Make main"),
	"images.move_up":      i18n.T("前移一位", "Move earlier"),
	"images.move_down":    i18n.T("后移一位", "Move later"),
	"images.delete":       i18n.T("删除", "Delete"),
	"images.delete_title": i18n.T("删除这张图片？", "Delete this image?"),
	"images.delete_body":  i18n.T("图片将从商品中移除，其后的图片依次前移；此操作记入审计日志。", "The image is removed from the product and the ones after it move up; the change is recorded in the audit trail."),
	"images.which":        i18n.T("图片", "Image"),
	"images.nth":          i18n.T("第 %d 张（共 %d 张）", "No. %d of %d"),
	"images.none_short":   i18n.T("暂无图片", "No image"),
	"images.none_body":    i18n.T("还没有图片。有图片的商品更容易被买家看到和信任。", "No images yet. Buyers find and trust products with pictures more easily."),
	"images.file":         i18n.T("上传图片", "Upload an image"),
	"images.hint":         i18n.T("JPEG、PNG 或 WebP，不超过 10 MiB、4000 万像素；按文件内容识别格式。上传后自动生成 160、480、960 像素的缩略图。", "JPEG, PNG or WebP, at most 10 MiB and 40 megapixels; the type is judged by the content. 160, 480 and 960 px versions are made on upload."),
	"images.upload":       i18n.T("上传", "Upload"),
	"images.choose":       i18n.T("请选择要上传的图片", "Choose an image to upload"),
	"images.full":         i18n.T("已达 9 张上限；如需更换，请先删除一张。", "The limit of 9 is reached: delete one to add another."),
	"images.gallery":      i18n.T("商品图片", "Product pictures"),
	"images.choose_view":  i18n.T("选择要查看的图片", "Choose a picture to view"),
	"images.view":         i18n.T("查看这张图片", "View this picture"),

	"seller.flash.image_added":    i18n.T("图片已上传，缩略图已生成。", "The image is uploaded and its thumbnails are made."),
	"seller.flash.image_deleted":  i18n.T("图片已删除。", "The image is deleted."),
	"seller.flash.images_ordered": i18n.T("图片顺序已更新。", "The order of the images is changed."),

	// The reviewers' product moderation console.
	"nav.product_review":       i18n.T("商品审核", "Products"),
	"console.product_review":   i18n.T("打开商品审核", "Open product moderation"),
	"modr.title":               i18n.T("商品审核", "Product moderation"),
	"modr.lead":                i18n.T("审核因筛查用语或类目规则进入人工复核的商品，并处理违规在售商品。每项决定都告知商家并记入审计日志。", "Review products that claim screening or their category sent to a reviewer, and take down listings that break the rules. Every decision is shown to the seller and recorded in the audit trail."),
	"modr.tabs":                i18n.T("按状态筛选", "Filter by status"),
	"modr.tab.pending_review":  i18n.T("待审核", "Waiting for review"),
	"modr.tab.listed":          i18n.T("在售", "On sale"),
	"modr.tab.removed":         i18n.T("已违规下架", "Removed"),
	"modr.none.pending_review": i18n.T("没有待审核的商品", "Nothing is waiting for review"),
	"modr.none.listed":         i18n.T("没有在售商品", "No products on sale"),
	"modr.none.removed":        i18n.T("没有被违规下架的商品", "No products have been removed"),
	"modr.none_body":           i18n.T("商品标题或描述命中需复核的用语，或所在类目要求审核时，会出现在这里。", "Products appear here when their title or description uses a term that needs review, or their category requires review."),
	"modr.updated":             i18n.T("更新于", "updated"),
	"modr.flagged":             i18n.T("需复核用语", "Flagged terms"),
	"modr.in_title":            i18n.T("标题", "title"),
	"modr.in_description":      i18n.T("描述", "description"),
	"modr.category_review":     i18n.T("所在类目要求人工审核。", "The category requires review."),
	"modr.reason":              i18n.T("理由", "Reason"),
	"modr.approve":             i18n.T("通过并上架", "Approve and list"),
	"modr.reject":              i18n.T("驳回…", "Reject…"),
	"modr.reject_reason":       i18n.T("驳回理由", "Reason for rejection"),
	"modr.reject_hint":         i18n.T("商家会看到这段理由，请写明需要修改的内容。商品退回草稿。", "The seller sees this reason: say what must change. The product goes back to draft."),
	"modr.reject_go":           i18n.T("驳回", "Reject"),
	"modr.remove":              i18n.T("违规下架…", "Remove…"),
	"modr.view":                i18n.T("查看商品页", "View product page"),
	"modr.seller":              i18n.T("商家", "Seller"),
	"modr.remove_title":        i18n.T("违规下架商品", "Remove a product"),
	"modr.remove_body":         i18n.T("商品将立即停止销售并从搜索中移除；商家修改后须重新提交审核才能再次上架。", "The product stops selling at once and leaves search; the seller must submit it for review again before it can return."),
	"modr.remove_reason":       i18n.T("下架理由", "Reason for removal"),
	"modr.remove_hint":         i18n.T("商家会看到这段理由，并记入审计日志（2 到 500 个字符）。", "The seller sees this reason; it is recorded in the audit trail (2 to 500 characters)."),
	"modr.remove_go":           i18n.T("确认下架", "Remove the product"),
	"modr.flash.approved":      i18n.T("已通过，商品已上架。", "Approved: the product is on sale."),
	"modr.flash.rejected":      i18n.T("已驳回，商品已退回草稿，商家可看到理由。", "Rejected: the product is back in draft and the seller sees the reason."),
	"modr.flash.removed":       i18n.T("商品已违规下架。", "The product is removed."),
}

package web

import (
	"fmt"
	"net/http"

	"gbmall/internal/platform/i18n"
)

// The seller console's messages join the catalogue at start-up; the same
// check (both languages, every key a template names) covers them.
func init() {
	for k, t := range sellerMessages {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("web: message %q defined twice", k))
		}
		catalogue[k] = t
	}
}

// sellerFlash is the confirmation to show after a redirect (?msg=) on a
// seller page, or "". Only known keys are shown.
func sellerFlash(r *http.Request) string {
	key := r.URL.Query().Get("msg")
	if key == "" {
		return ""
	}
	t, ok := catalogue["seller.flash."+key]
	if !ok {
		return ""
	}
	return t.In(langOf(r))
}

var sellerMessages = map[string]i18n.Text{
	// Sections and shared words.
	"seller.sections":   i18n.T("卖家后台", "Seller console"),
	"seller.products":   i18n.T("商品", "Products"),
	"seller.suppliers":  i18n.T("供应商", "Suppliers"),
	"seller.stock":      i18n.T("库存", "Stock"),
	"seller.pages":      i18n.T("翻页", "Pages"),
	"seller.next_page":  i18n.T("下一页", "Next page"),
	"seller.when":       i18n.T("时间", "When"),
	"seller.yuan_hint":  i18n.T("单位：元，最多两位小数", "In yuan, at most two decimals"),
	"seller.to_home":    i18n.T("商品管理", "Products"),
	"seller.to_stock":   i18n.T("库存管理", "Stock"),
	"seller.count_none": i18n.T("请至少为一个规格填写盘点数量", "Give a counted quantity for at least one SKU"),

	// Product list.
	"seller.new_product":            i18n.T("发布商品", "New product"),
	"seller.filter_status":          i18n.T("按状态筛选", "Filter by status"),
	"seller.all":                    i18n.T("全部", "All"),
	"seller.product_title":          i18n.T("商品标题", "Title"),
	"seller.status":                 i18n.T("状态", "Status"),
	"seller.from_price":             i18n.T("最低价", "From"),
	"seller.version":                i18n.T("版本", "Version"),
	"seller.updated":                i18n.T("更新时间", "Updated"),
	"seller.no_products":            i18n.T("还没有商品", "No products yet"),
	"seller.no_products_body":       i18n.T("发布商品后，可以在这里上架、下架和调整价格。", "Products you create appear here, where you can list, delist and reprice them."),
	"seller.pstatus.draft":          i18n.T("草稿", "Draft"),
	"seller.pstatus.pending_review": i18n.T("待审核", "In review"),
	"seller.pstatus.listed":         i18n.T("在售", "Listed"),
	"seller.pstatus.delisted":       i18n.T("已下架", "Delisted"),
	"seller.pstatus.removed":        i18n.T("已被平台下架", "Removed by the platform"),

	// Create form.
	"seller.new_lead":         i18n.T("新商品保存为草稿，上架前会检查类目资质和宣传用语。", "A new product is saved as a draft; listing checks the category's licences and the wording."),
	"seller.basics":           i18n.T("基本信息", "Basics"),
	"seller.title_hint":       i18n.T("4 到 120 个字符；不得使用“最佳”“国家级”等绝对化用语", "4 to 120 characters; no absolute claims such as 最佳 (best) or 国家级 (national-level)"),
	"seller.category":         i18n.T("类目", "Category"),
	"seller.choose_category":  i18n.T("请选择末级类目", "Choose a leaf category"),
	"seller.needs_review":     i18n.T("需平台审核", "platform review"),
	"seller.description":      i18n.T("商品描述", "Description"),
	"seller.description_hint": i18n.T("可使用简单的 HTML 格式；脚本和样式会被去除。", "Simple HTML formatting is kept; scripts and styles are removed."),
	"seller.standard_code":    i18n.T("执行标准号", "Product standard"),
	"seller.standard_hint":    i18n.T("如 GB/T 22849-2014", "Such as GB/T 22849-2014"),
	"seller.certificate":      i18n.T("认证证书编号", "Certificate number"),
	"seller.certificate_hint": i18n.T("强制性产品认证（CCC）类目必填", "Required in compulsory certification (CCC) categories"),
	"seller.skus":             i18n.T("规格与价格", "SKUs and prices"),
	"seller.skus_lead":        i18n.T("每行一个规格；不需要的行留空即可。", "One SKU per row; leave rows you do not need empty."),
	"seller.sku_code_n":       i18n.T("规格 %d 编码", "SKU %d code"),
	"seller.sku_attrs":        i18n.T("属性", "Attributes"),
	"seller.sku_attrs_hint":   i18n.T("如 颜色=红;尺码=L", "Such as colour=red;size=L"),
	"seller.sku_price":        i18n.T("售价（元）", "Price (yuan)"),
	"seller.title_len":        i18n.T("标题应为 4 到 120 个字符", "The title must be 4 to 120 characters"),
	"seller.create":           i18n.T("保存为草稿", "Save as draft"),

	// Product page.
	"seller.list":            i18n.T("上架", "List for sale"),
	"seller.delist":          i18n.T("下架", "Delist"),
	"seller.delist_title":    i18n.T("下架商品？", "Delist this product?"),
	"seller.delist_body":     i18n.T("下架后消费者将无法购买该商品，已下的订单不受影响。您可以随时重新上架。", "Buyers will no longer be able to buy it; orders already placed are not affected. You can list it again at any time."),
	"seller.claims_title":    i18n.T("不能上架：含有禁用宣传用语", "Cannot list: prohibited claims"),
	"seller.claims_body":     i18n.T("标题或描述中含有以下用语（《广告法》第九条），请修改后再上架：", "The title or description contains these phrases (Advertising Law, Article 9). Change them, then list again:"),
	"seller.missing_title":   i18n.T("不能上架：缺少类目资质", "Cannot list: licence missing"),
	"seller.missing_body":    i18n.T("经营该类目须持有有效的以下资质，请在资质档案中补充并通过审核：", "Selling in this category needs these licences in force. Add them to your dossier and have them approved:"),
	"seller.to_dossier":      i18n.T("前往资质档案", "Go to the dossier"),
	"seller.in_review_body":  i18n.T("该商品正在等待平台审核，审核通过后自动上架。", "This product is waiting for a platform reviewer and goes on sale once approved."),
	"seller.status_reason":   i18n.T("平台说明", "Platform note"),
	"seller.returnable":      i18n.T("支持七天无理由退货", "7-day no-reason returns"),
	"seller.listed_at":       i18n.T("上架时间", "Listed"),
	"seller.stock_n":         i18n.T("库存 %d", "Stock %d"),
	"seller.new_price":       i18n.T("新售价（元）", "New price (yuan)"),
	"seller.reference_price": i18n.T("划线价（元）", "Reference price (yuan)"),
	"seller.reference_hint":  i18n.T("不得高于前 7 日内最低成交价；留空则不显示", "At most the lowest price sold at in the previous 7 days; leave empty for none"),
	"seller.set_price":       i18n.T("改价", "Change price"),
	"seller.price_history":   i18n.T("价格记录", "Price history"),
	"seller.old_price":       i18n.T("原售价", "Old price"),
	"seller.new_price_col":   i18n.T("新售价", "New price"),
	"seller.no_history":      i18n.T("暂无价格记录", "No price changes yet"),

	// Suppliers.
	"seller.suppliers_lead":              i18n.T("进货前须登记供应商及其资质（营业执照等）；资质过期的供应商不能再入库。", "File each supplier and its licences before receiving goods; goods from a supplier whose papers have lapsed are refused."),
	"seller.supplier_name":               i18n.T("供应商名称", "Supplier name"),
	"seller.licences":                    i18n.T("资质", "Licences"),
	"seller.papers":                      i18n.T("资质状态", "Papers"),
	"seller.filed_on":                    i18n.T("登记于 %s", "Filed %s"),
	"seller.valid_until":                 i18n.T("有效期至 %s", "valid until %s"),
	"seller.lapsed":                      i18n.T("已过期", "Expired"),
	"seller.in_force":                    i18n.T("有效", "In force"),
	"seller.papers_lapsed":               i18n.T("资质过期", "Papers lapsed"),
	"seller.no_suppliers":                i18n.T("还没有登记供应商", "No suppliers filed yet"),
	"seller.no_suppliers_body":           i18n.T("使用下面的表单登记第一个供应商。", "Use the form below to file your first supplier."),
	"seller.file_supplier":               i18n.T("登记供应商", "File a supplier"),
	"seller.supplier_who":                i18n.T("供应商信息", "Supplier"),
	"seller.uscc_hint":                   i18n.T("18 位，见营业执照", "18 characters, on the business licence"),
	"seller.contact_privacy":             i18n.T("联系人姓名和手机号加密保存，列表中只显示部分。", "The contact's name and mobile are stored encrypted and shown masked."),
	"seller.licence":                     i18n.T("资质证照", "Licence"),
	"seller.licence_type":                i18n.T("证照类型", "Type"),
	"seller.licence_number":              i18n.T("证照编号", "Number"),
	"seller.licence_valid_until":         i18n.T("有效期至", "Valid until"),
	"seller.licence_other":               i18n.T("其他证照名称", "Other licence name"),
	"seller.licence_other_hint":          i18n.T("证照类型选“其他”时填写", "When the type is “Other”"),
	"seller.file":                        i18n.T("登记", "File supplier"),
	"seller.lic.business_license":        i18n.T("营业执照", "Business licence"),
	"seller.lic.food_production_license": i18n.T("食品生产许可证", "Food production licence"),
	"seller.lic.food_business_license":   i18n.T("食品经营许可证", "Food business licence"),
	"seller.lic.ccc_certificate":         i18n.T("CCC 认证证书", "CCC certificate"),
	"seller.lic.brand_authorization":     i18n.T("品牌授权书", "Brand authorisation"),
	"seller.lic.production_license":      i18n.T("工业产品生产许可证", "Production licence"),
	"seller.lic.other":                   i18n.T("其他", "Other"),

	// Stock.
	"seller.stock_lead":            i18n.T("登记进货与验货结果、查看库存台账、调整库存和盘点。", "Register deliveries and their inspection, see the stock ledger, adjust stock and count it."),
	"seller.no_skus":               i18n.T("还没有商品规格，发布商品后即可入库。", "No SKUs yet: create a product to receive stock."),
	"seller.levels":                i18n.T("库存水平", "Stock levels"),
	"seller.sku":                   i18n.T("规格", "SKU"),
	"seller.on_hand":               i18n.T("在库", "On hand"),
	"seller.reserved":              i18n.T("已占用", "Reserved"),
	"seller.unsellable":            i18n.T("不可售", "Unsellable"),
	"seller.available":             i18n.T("可售", "Available"),
	"seller.ledger":                i18n.T("库存台账", "Stock ledger"),
	"seller.ledger_adjust":         i18n.T("台账与调整", "Ledger and adjust"),
	"seller.receive":               i18n.T("进货登记", "Receive goods"),
	"seller.receive_lead":          i18n.T("验货合格的商品入库可售；不合格的只登记、隔离，不计入库存。", "Goods that pass inspection go on hand; goods that fail are recorded and quarantined, never sold."),
	"seller.need_supplier":         i18n.T("进货前请先登记供应商。", "File a supplier before receiving goods."),
	"seller.choose_sku":            i18n.T("请选择规格", "Choose a SKU"),
	"seller.supplier":              i18n.T("供应商", "Supplier"),
	"seller.choose_supplier":       i18n.T("请选择供应商", "Choose a supplier"),
	"seller.quantity":              i18n.T("数量", "Quantity"),
	"seller.batch":                 i18n.T("批次号", "Batch"),
	"seller.produced_on":           i18n.T("生产日期", "Produced on"),
	"seller.expires_on":            i18n.T("到期日期", "Expires on"),
	"seller.inspection":            i18n.T("验货结果", "Inspection"),
	"seller.inspection_pass":       i18n.T("合格", "Passed"),
	"seller.inspection_fail":       i18n.T("不合格", "Failed"),
	"seller.inspection_notes":      i18n.T("验货说明", "Inspection notes"),
	"seller.inspection_notes_hint": i18n.T("不合格时必填", "Required when the goods fail"),
	"seller.register_receipt":      i18n.T("登记入库", "Register delivery"),
	"seller.receipts":              i18n.T("进货记录", "Deliveries"),
	"seller.received_at":           i18n.T("入库时间", "Received"),
	"seller.remaining":             i18n.T("剩余", "Remaining"),
	"seller.state":                 i18n.T("批次状态", "Batch"),
	"seller.no_receipts":           i18n.T("暂无进货记录", "No deliveries yet"),
	"seller.state.sellable":        i18n.T("可售", "Sellable"),
	"seller.state.sold_out":        i18n.T("已售完", "Sold out"),
	"seller.state.expired":         i18n.T("已过期", "Expired"),
	"seller.state.frozen":          i18n.T("已冻结", "Frozen"),
	"seller.state.quarantined":     i18n.T("已隔离", "Quarantined"),
	"seller.count":                 i18n.T("盘点", "Stock count"),
	"seller.count_lead":            i18n.T("填写实际清点的数量，系统按账面在库数计算差异并记入台账。", "Enter what you counted; the difference from the book quantity on hand is booked to the ledger."),
	"seller.counter_name":          i18n.T("盘点人", "Counted by"),
	"seller.counted":               i18n.T("实盘数量", "Counted"),
	"seller.count_hint":            i18n.T("未填写的规格不参与本次盘点。", "SKUs left empty are not part of this count."),
	"seller.book_count":            i18n.T("提交盘点", "Book the count"),
	"seller.recent_counts":         i18n.T("最近盘点", "Recent counts"),
	"seller.counted_by":            i18n.T("盘点人：%s", "counted by %s"),
	"seller.expected":              i18n.T("账面数量", "Book quantity"),
	"seller.variance":              i18n.T("差异", "Variance"),
	"seller.to_product":            i18n.T("查看商品", "View the product"),
	"seller.adjust":                i18n.T("库存调整", "Adjust stock"),
	"seller.adjust_lead":           i18n.T("报损、丢失或找回时调整在库数量，并写明原因。", "Correct the quantity on hand for breakage, loss or goods found, with the reason."),
	"seller.delta":                 i18n.T("调整数量", "Change"),
	"seller.delta_hint":            i18n.T("增加填正数，减少填负数，如 -2", "Positive to add, negative to remove, such as -2"),
	"seller.reason":                i18n.T("原因", "Reason"),
	"seller.reason_hint":           i18n.T("如：运输破损", "Such as: damaged in transit"),
	"seller.book_adjust":           i18n.T("记入台账", "Book it"),
	"seller.movement":              i18n.T("变动", "Movement"),
	"seller.delta_on_hand":         i18n.T("在库变动", "On hand"),
	"seller.delta_reserved":        i18n.T("占用变动", "Reserved"),
	"seller.no_ledger":             i18n.T("暂无库存变动", "No movements yet"),
	"seller.kind.receipt":          i18n.T("进货入库", "Receipt"),
	"seller.kind.reservation":      i18n.T("订单占用", "Reserved for an order"),
	"seller.kind.release":          i18n.T("释放占用", "Reservation released"),
	"seller.kind.sale":             i18n.T("销售出库", "Sale"),
	"seller.kind.return":           i18n.T("退货入库", "Return"),
	"seller.kind.adjustment":       i18n.T("库存调整", "Adjustment"),
	"seller.kind.count":            i18n.T("盘点差异", "Count variance"),
	"seller.kind.expiry":           i18n.T("过期", "Expiry"),
	"seller.kind.quarantine":       i18n.T("验货不合格隔离", "Quarantined on inspection"),

	// Confirmations after a redirect.
	"seller.flash.product_created":   i18n.T("商品已保存为草稿，确认无误后即可上架。", "The product is saved as a draft; list it when it is ready."),
	"seller.flash.product_listed":    i18n.T("商品已上架。", "The product is on sale."),
	"seller.flash.product_in_review": i18n.T("商品已提交平台审核，审核通过后上架。", "The product is waiting for platform review and goes on sale once approved."),
	"seller.flash.product_delisted":  i18n.T("商品已下架。", "The product is delisted."),
	"seller.flash.price_set":         i18n.T("价格已更新，并已记入价格记录。", "The price is changed and logged."),
	"seller.flash.supplier_filed":    i18n.T("供应商已登记。", "The supplier is filed."),
	"seller.flash.receipt_passed":    i18n.T("进货已登记，商品已入库可售。", "The delivery is registered and on hand."),
	"seller.flash.receipt_failed":    i18n.T("进货已登记为验货不合格，商品已隔离，不计入库存。", "The delivery is registered as failed: quarantined, not on hand."),
	"seller.flash.count_booked":      i18n.T("盘点已记录，差异已记入台账。", "The count is booked; variances are in the ledger."),
	"seller.flash.stock_adjusted":    i18n.T("库存调整已记入台账。", "The adjustment is booked."),
}

package web

import (
	"fmt"

	"gbmall/internal/platform/i18n"
)

// The storefront's messages join the catalogue at start-up; the same
// check (both languages, every key a template names) covers them.
func init() {
	for k, t := range storeMessages {
		if _, dup := catalogue[k]; dup {
			panic(fmt.Sprintf("web: message %q defined twice", k))
		}
		catalogue[k] = t
	}
}

var storeMessages = map[string]i18n.Text{
	"store.nav":             i18n.T("逛商城", "Shop"),
	"store.title":           i18n.T("商城首页", "Storefront"),
	"store.heading":         i18n.T("逛 gbmall", "Shop on gbmall"),
	"store.lead":            i18n.T("来自经平台审核、证照在有效期内的商家的商品。", "Goods from sellers the platform has approved and whose licences are in force."),
	"store.search":          i18n.T("搜索", "Search"),
	"store.search_label":    i18n.T("搜索商品", "Search products"),
	"store.search_ph":       i18n.T("输入商品名称，例如：衬衫", "Product name, e.g. shirt"),
	"store.categories":      i18n.T("商品分类", "Categories"),
	"store.newest":          i18n.T("最新上架", "Newly listed"),
	"store.order_note":      i18n.T("按上架时间排序（非个性化推荐）", "Ordered by listing time (not personalised)"),
	"store.sort_note":       i18n.T("所有排序方式对每位用户相同，不依据个人信息（非个性化）。", "Every order is the same for everyone and uses no personal data (not personalised)."),
	"store.none_yet":        i18n.T("还没有上架的商品", "No products listed yet"),
	"store.none_yet_body":   i18n.T("商家上架商品后会显示在这里。", "Products appear here once sellers list them."),
	"store.in_stock":        i18n.T("有货", "In stock"),
	"store.out_of_stock":    i18n.T("暂时缺货", "Out of stock"),
	"store.reference":       i18n.T("原价", "Was"),
	"store.from":            i18n.T("%s 起", "from %s"),
	"store.all_categories":  i18n.T("全部分类", "All categories"),
	"store.category":        i18n.T("分类", "Category"),
	"store.min":             i18n.T("最低价（元）", "Min price (yuan)"),
	"store.max":             i18n.T("最高价（元）", "Max price (yuan)"),
	"store.sort":            i18n.T("排序", "Sort by"),
	"store.sort.relevance":  i18n.T("相关度", "Relevance"),
	"store.sort.newest":     i18n.T("最新上架", "Newest"),
	"store.sort.price_asc":  i18n.T("价格从低到高", "Price: low to high"),
	"store.sort.price_desc": i18n.T("价格从高到低", "Price: high to low"),
	"store.apply":           i18n.T("筛选", "Apply"),
	"store.results_title":   i18n.T("搜索结果", "Search results"),
	"store.results_for":     i18n.T("“%s”的搜索结果", "Results for \"%s\""),
	"store.all_products":    i18n.T("全部商品", "All products"),
	"store.no_results":      i18n.T("没有找到符合条件的商品", "No products match"),
	"store.no_results_body": i18n.T("换个关键词，或放宽分类和价格条件再试试。", "Try other words, or widen the category and price range."),
	"store.next_page":       i18n.T("下一页", "Next page"),
	"store.first_page":      i18n.T("回到第一页", "Back to the first page"),
	"store.pagination":      i18n.T("分页", "Pagination"),
	"store.bad_price":       i18n.T("请输入金额，如 59.90", "Enter an amount such as 59.90"),
	"store.breadcrumb":      i18n.T("当前位置", "You are here"),
	"store.home_crumb":      i18n.T("商城", "Shop"),
	"store.subcategories":   i18n.T("子分类", "Subcategories"),
	"store.sku_legend":      i18n.T("选择规格", "Choose a variant"),
	"store.stock_n":         i18n.T("库存 %d 件", "%d in stock"),
	"store.not_purchasable": i18n.T("暂不可购买", "Not available"),
	"store.returns_yes":     i18n.T("支持7天无理由退货", "7-day no-reason returns accepted"),
	"store.returns_no":      i18n.T("不支持7天无理由退货", "No 7-day no-reason returns"),
	"store.returns_no_body": i18n.T("依照《网络购买商品七日无理由退货暂行办法》，该类商品不适用七日无理由退货。", "Under the interim measures on 7-day no-reason returns of goods bought online, goods of this kind are excluded."),
	"store.add_to_cart":     i18n.T("加入购物车", "Add to cart"),
	"store.cart_soon":       i18n.T("下单功能将随订单模块开放，目前仅可浏览商品。", "Ordering opens with the orders module; for now products can only be browsed."),
	"store.description":     i18n.T("商品详情", "Product details"),
	"store.details":         i18n.T("商品信息", "Product information"),
	"store.standard_code":   i18n.T("执行标准", "Standard"),
	"store.certificate":     i18n.T("强制性产品认证证书编号", "CCC certificate number"),
	"store.sold_by":         i18n.T("销售商家", "Sold by"),
	"store.licence_link":    i18n.T("查看营业执照与资质", "View business licence and qualifications"),
	"store.visit_shop":      i18n.T("进入店铺", "Visit the shop"),
	"store.not_listed":      i18n.T("该商品当前未上架，只有商家和平台工作人员能看到此页面。", "This product is not listed; only the seller and platform staff can see this page."),
	"store.shop_title":      i18n.T("店铺", "Shop"),
	"store.shop_products":   i18n.T("在售商品", "Products on sale"),
	"store.shop_empty":      i18n.T("该店铺暂无在售商品", "This shop has no products on sale"),
	"store.shop_more":       i18n.T("仅显示最新上架的 %d 件商品。", "Showing the %d most recently listed products."),
	"store.shop_cannot":     i18n.T("该店铺目前不能经营，商品暂不可购买。", "This shop cannot trade at the moment; its products cannot be bought."),
	"store.fix_filters":     i18n.T("请修正上面标出的筛选条件。", "Please correct the filters marked above."),
}

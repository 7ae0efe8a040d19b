package order

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gbmall/internal/platform/i18n"
)

// Terms is one published version of the platform's transaction terms (交易规则),
// the terms a consumer accepts when placing an order (R-6.6-1). A replaced
// version stays readable (R-5.3-4); every order's e-contract names the
// version it was made under and the SHA-256 of its text.
type Terms struct {
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	Text        i18n.Text `json:"-"`
}

// SHA256 is the digest of the terms text (Chinese then English, joined by a
// blank line), so a contract proves which words were agreed.
func (t Terms) SHA256() string {
	h := sha256.Sum256([]byte(t.Text.ZH + "\n\n" + t.Text.EN))
	return hex.EncodeToString(h[:])
}

// R-9.4-6: the terms exclude no statutory right, never void paid orders
// unilaterally and claim no "final right of interpretation" (最终解释权).
var termsVersions = []Terms{{
	Version:     "2026-11-01",
	PublishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	Text: i18n.T(`gbmall 平台交易规则（2026-11-01 版）

一、合同双方：您与订单所示的商家订立买卖合同；平台是电子商务平台经营者，负责审核商家资质、监督交易并受理投诉。商家名称及营业执照信息可在订单和店铺页面查看。
二、订单成立：您在确认页核对商品、数量、价格、运费与收货信息并同意本规则后提交订单，合同即成立；每个商家单独生成一个订单，订单内容（电子合同）保存不少于三年，您可随时查看和下载。
三、付款：请在页面显示的付款期限内通过持牌支付机构付款；逾期未付款的订单自动关闭并释放库存。平台不收集也不保存您的银行卡或支付账户凭证。
四、商家接单与发货：商家应在付款后 24 小时内确认接单，逾期未接单或商家拒绝接单的，订单取消并全额退款。商家接单后按页面承诺的时间发货。
五、价格：您支付的价格即下单时页面显示的价格；划线价只表示该商品近期的真实成交价。平台不默认勾选任何搭售商品或服务。
六、七日无理由退货：除页面明示不适用且经您确认的商品外，您自收货之日起七日内可无理由退货，依法承担的运费规则见售后规则。
七、投诉与争议：您可通过平台投诉渠道投诉，平台依法调解；本规则不排除或限制您依法享有的任何权利。
八、变更：本规则变更将提前公示，已成立的订单适用下单时的版本。`,
		`gbmall transaction terms (version 2026-11-01)

1. Parties: you contract with the seller shown on the order; the platform is the e-commerce platform operator, which vets sellers' licences, supervises trading and handles complaints. The seller's name and business licence are shown on the order and the shop page.
2. Formation: you check items, quantities, prices, shipping and delivery details on the confirmation page and accept these terms; the contract is then formed. Each seller gets its own order; the order record (the e-contract) is kept at least three years and you may view and download it at any time.
3. Payment: pay through a licensed payment provider before the deadline shown; unpaid orders close automatically and the stock is released. The platform never collects or keeps your card or payment-account credentials.
4. Acceptance and shipping: the seller must accept a paid order within 24 hours; an order the seller rejects or does not accept in time is cancelled and refunded in full. The seller ships within the time promised on the page after accepting.
5. Prices: you pay the price shown when you order; a crossed-out price only shows a recent real selling price. No add-on goods or services are ever pre-selected.
6. Seven-day no-reason returns: except for goods marked as not eligible and confirmed by you, you may return goods within seven days of receipt without giving a reason; shipping costs follow the after-sales rules.
7. Complaints and disputes: you may complain through the platform's channels and the platform mediates as the law provides; these terms exclude or limit none of your statutory rights.
8. Changes: changes are announced in advance; an order is governed by the version in force when it was placed.`),
}}

// CurrentTerms is the version new orders are made under.
func CurrentTerms() Terms { return termsVersions[len(termsVersions)-1] }

// TermsVersion returns a published version by its name.
func TermsVersion(v string) (Terms, bool) {
	for _, t := range termsVersions {
		if t.Version == v {
			return t, true
		}
	}
	return Terms{}, false
}

// TermsURL is where a version can be read and downloaded.
func TermsURL(version string) string { return "/terms/transaction/" + version }

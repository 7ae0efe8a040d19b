// Package privacy owns consumers' personal-information rights: the
// versioned privacy policy people consent to (R-9.2-5, R-9.2-6), and later
// data export, correction, deletion and requests.
package privacy

import (
	"time"

	"gbmall/internal/platform/i18n"
)

// Policy is one published version of the privacy policy.
type Policy struct {
	Version     string
	PublishedAt time.Time
	Text        i18n.Text
}

// policies are kept whole, oldest first: a replaced version stays readable
// (R-5.3-4) and every consent names the version it accepted.
var policies = []Policy{{
	Version:     "2026-11-01",
	PublishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	Text: i18n.T(`gbmall 隐私政策（2026-11-01 版）

一、我们是谁：本平台运营方是个人信息处理者，个人信息保护负责人联系方式见平台首页“联系我们”。
二、我们收集哪些信息及目的：注册时收集登录用的邮箱或手机号、昵称和密码（仅保存不可逆的摘要），用于创建与保护您的账户；下单时收集收货人姓名、电话和地址，仅用于履行订单与配送；我们记录登录时间与来源地址，用于账户安全与依法留存的日志。可选信息会明确标注，拒绝提供不影响基本服务。
三、存储与保护：手机号、邮箱、姓名、证件号码和地址在数据库中加密保存，在页面与日志中以掩码显示；工作人员查看完整信息须有权限并留下审计记录。个人信息存储于中华人民共和国境内。
四、保存期限：账户信息在账户存续期间保存；交易记录依《电子商务法》自交易完成之日起保存不少于三年；期满后删除或匿名化。
五、共享与委托处理：仅在履行订单所必需时向卖家、配送服务商和持牌支付机构提供必要信息（如收货信息），不出售个人信息。
六、您的权利：您可以查阅、复制、更正、删除个人信息，撤回同意，注销账户；我们在法定期限内答复。您可以关闭个性化推荐。
七、未成年人：不满十四周岁的未成年人须经监护人同意。
八、变更：本政策发生实质变更时，我们会再次征得您的同意。`,
		`gbmall Privacy Policy (version 2026-11-01)

1. Who we are: the platform operator is the personal-information handler; the contact of its personal-information protection officer is under "Contact us" on the home page.
2. What we collect and why: at sign-up, the email or mobile number you log in with, a display name and your password (kept only as an irreversible hash), to create and protect your account; when you order, the recipient's name, phone and address, only to fulfil and deliver the order; login times and source addresses, for account security and the logs the law requires. Optional fields are marked; declining them never refuses the basic service.
3. Storage and protection: mobile numbers, emails, names, identity numbers and addresses are encrypted in the database and masked on pages and in logs; staff see them in full only with a permission, and every such view is audited. Personal information is stored in the People's Republic of China.
4. Retention: account data while the account exists; transaction records at least three years after completion, as the E-Commerce Law requires; then deleted or anonymised.
5. Sharing: only what an order needs, with the seller, the carrier and the licensed payment provider (such as delivery details); we never sell personal information.
6. Your rights: you may access, copy, correct and delete your information, withdraw consent and close your account; we answer within the legal time limits. You can switch off personalised recommendations.
7. Minors: children under 14 need a guardian's consent.
8. Changes: we ask for your consent again when this policy changes materially.`),
}}

// Current returns the policy in force.
func Current() Policy { return policies[len(policies)-1] }

// ByVersion returns a published version.
func ByVersion(v string) (Policy, bool) {
	for _, p := range policies {
		if p.Version == v {
			return p, true
		}
	}
	return Policy{}, false
}

// All returns every published version, oldest first.
func All() []Policy { return append([]Policy(nil), policies...) }

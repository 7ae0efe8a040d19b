package web

import (
	"net/http"

	"gbmall/internal/platform/i18n"
	"gbmall/internal/privacy"
)

// privacyPage is the data of privacy.html.
type privacyPage struct {
	Policy   privacy.Policy
	Text     string
	Current  bool
	Versions []privacy.Policy // newest first
	Latest   string
}

// privacy shows the policy in force, or with ?version= a replaced one:
// every version people consented to stays readable (R-9.2-5, R-5.3-4).
func (s *server) privacy(w http.ResponseWriter, r *http.Request) {
	current := privacy.Current()
	pol := current
	if v := r.URL.Query().Get("version"); v != "" {
		var ok bool
		if pol, ok = privacy.ByVersion(v); !ok {
			s.notFound(w, r)
			return
		}
	}
	all := privacy.All()
	versions := make([]privacy.Policy, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		versions = append(versions, all[i])
	}
	s.render(w, r, http.StatusOK, "privacy", "", privacyPage{
		Policy: pol, Text: pol.Text.In(langOf(r)), Current: pol.Version == current.Version,
		Versions: versions, Latest: current.Version,
	})
}

// documentPage is the data of document.html: a public text in sections.
type documentPage struct {
	Title    i18n.Text
	Lead     i18n.Text
	Sections []section
	Notice   i18n.Text
}

type section struct {
	Heading i18n.Text
	Body    i18n.Text
}

// rules publishes the service agreement and trading rules, linked from
// every page (R-5.3-2).
func (s *server) rules(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "document", "", rulesDocument)
}

// licences is where the operator's business licence and ICP/EDI licences
// are disclosed, linked from every page (R-5.1-1): the licences registered
// in the platform organisation's dossier when there are any, else what
// will be disclosed here.
func (s *server) licences(w http.ResponseWriter, r *http.Request) {
	if s.d.DB != nil {
		pl, err := s.platformDisclosure(r.Context())
		if err != nil {
			s.renderError(w, r, http.StatusInternalServerError, err)
			return
		}
		if pl != nil {
			pl.Doc = licencesDocument
			s.render(w, r, http.StatusOK, "licences", "", pl)
			return
		}
	}
	s.render(w, r, http.StatusOK, "document", "", licencesDocument)
}

var rulesDocument = documentPage{
	Title: i18n.T("服务协议与交易规则", "Service agreement and trading rules"),
	Lead: i18n.T("本页面持续公示平台服务协议和交易规则的现行版本。在平台注册、开店或下单，即表示您同意按照这些规则使用平台。",
		"This page publishes the service agreement and trading rules in force. Registering, opening a shop or placing an order on the platform means you agree to use it under these rules."),
	Sections: []section{
		{i18n.T("一、公示与修改", "1. Publication and changes"),
			i18n.T("服务协议和交易规则在本页面持续公示，任何人无需登录即可查阅。修改时，平台在本页面公开征求意见，并至少在生效前七日公示修改内容；不接受修改的经营者可以退出平台，并按修改前的规则承担相关责任。被替换的版本继续保留供查阅。",
				"The service agreement and trading rules are published on this page and can be read without logging in. Changes are put to public consultation here and published at least seven days before they take effect; merchants who do not accept a change may leave the platform under the rules that applied before it. Replaced versions remain available to read.")},
		{i18n.T("二、账户", "2. Accounts"),
			i18n.T("每个账户对应一个真实的个人，登录名为本人的邮箱或手机号。请妥善保管密码；平台工作人员和监管部门账户须启用动态验证码。连续多次登录失败时，账户会被临时锁定。",
				"Each account belongs to one real person and logs in with that person's email address or mobile number. Keep your password safe; platform staff and regulators must use a second factor. After repeated failed logins an account is locked for a while.")},
		{i18n.T("三、经营者入驻", "3. Merchants and service providers"),
			i18n.T("卖家、配送服务商和支付服务商须如实提交主体身份与经营资质，经平台审核通过后方可经营；资质变更或到期时应及时更新。商品和服务信息、价格须真实、准确、完整，不得使用违法或误导性的宣传用语。",
				"Sellers, carriers and payment providers must give true identity and licence information and may trade only after the platform approves it; they must update it when it changes or expires. Product and service information and prices must be true, accurate and complete, without unlawful or misleading claims.")},
		{i18n.T("四、交易", "4. Trading"),
			i18n.T("订单一经提交即成立电子合同，平台保存订单及交易记录不少于三年。消费者依法享有知情权、选择权和退换货等权利。",
				"A submitted order forms an electronic contract; the platform keeps orders and transaction records for at least three years. Consumers have the rights the law gives them, including to be informed, to choose, and to return or exchange goods.")},
		{i18n.T("五、投诉与争议", "5. Complaints and disputes"),
			i18n.T("对商品、服务或平台有异议的，可以向平台投诉。平台调解员依照本规则公正处理，并告知处理结果；当事人也可以依法向有关部门投诉或提起诉讼。",
				"Anyone who disputes a product, a service or the platform may complain to the platform. The platform's mediators handle complaints fairly under these rules and report the outcome; the parties may also turn to the authorities or the courts as the law provides.")},
		{i18n.T("六、个人信息", "6. Personal information"),
			i18n.T("平台按照《隐私政策》处理个人信息，您可以在页脚随时查阅现行及历史版本。",
				"The platform handles personal information under its privacy policy; the current and earlier versions are linked in the footer of every page.")},
	},
}

var licencesDocument = documentPage{
	Title: i18n.T("营业执照与许可证信息", "Business licence and permits"),
	Lead: i18n.T("依照《电子商务法》第十五条，平台运营方在此公示其营业执照信息和与经营业务有关的行政许可信息。",
		"As Article 15 of the E-Commerce Law requires, the platform operator discloses its business licence and the administrative licences its business needs on this page."),
	Sections: []section{
		{i18n.T("公示内容", "What is disclosed"),
			i18n.T("营业执照：运营主体名称、统一社会信用代码、住所和经营范围；增值电信业务经营许可证（ICP 经营许可证、EDI 在线数据处理与交易处理业务许可证）：许可证编号、业务种类、有效期；以及 ICP 备案号和公安机关互联网备案号。",
				"Business licence: the operator's name, unified social credit code, domicile and business scope; value-added telecommunications licences (ICP, and EDI online data processing and transaction processing): licence numbers, service categories and validity; and the ICP filing number and public-security internet filing number.")},
		{i18n.T("登记与更新", "Registration and updates"),
			i18n.T("上述证照由平台运营方在管理控制台登记，并在证照变更或到期前更新；登记后即在本页面公示。",
				"The operator registers these licences in its administration console and updates them before they change or expire; once registered they are published on this page.")},
	},
	Notice: i18n.T("如对证照信息有疑问，可以在国家企业信用信息公示系统和工业和信息化部 ICP/IP 地址/域名信息备案管理系统核验。",
		"You can verify licence information in the National Enterprise Credit Information Publicity System and the MIIT ICP/IP/domain filing system."),
}

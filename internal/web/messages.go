package web

import (
	"fmt"

	"gbmall/internal/platform/i18n"
)

// msg returns the catalogue entry for key. An unknown key shows itself,
// which the start-up check keeps out of the templates.
func msg(key string) i18n.Text {
	if t, ok := lookup(key); ok {
		return t
	}
	return i18n.T(key, key)
}

// lookup finds key in the catalogue or the labels.
func lookup(key string) (i18n.Text, bool) {
	if t, ok := catalogue[key]; ok {
		return t, true
	}
	t, ok := labels[key]
	return t, ok
}

// label is the catalogue entry for key in lang, or fallback when there
// is none (a role or action added elsewhere before it got a label).
func label(key, fallback string, lang i18n.Lang) string {
	if t, ok := lookup(key); ok {
		return t.In(lang)
	}
	return fallback
}

// checkCatalogue refuses to start with a message missing a language.
func checkCatalogue() {
	for _, m := range []map[string]i18n.Text{catalogue, labels} {
		for k, t := range m {
			if t.ZH == "" || t.EN == "" {
				panic(fmt.Sprintf("web: message %q lacks a language", k))
			}
		}
	}
}

// catalogue holds every string the pages show, in both languages; the
// identity and audit vocabulary is in labels.
var catalogue = map[string]i18n.Text{
	// Layout.
	"brand.tagline":      i18n.T("电子商务平台", "E-commerce marketplace"),
	"nav.skip":           i18n.T("跳到正文", "Skip to content"),
	"nav.label":          i18n.T("主导航", "Main navigation"),
	"nav.home":           i18n.T("我的首页", "My home"),
	"nav.audit":          i18n.T("审计日志", "Audit trail"),
	"nav.account":        i18n.T("账户", "Account"),
	"nav.signed_in_as":   i18n.T("当前登录用户", "Signed in as"),
	"nav.logout":         i18n.T("退出登录", "Log out"),
	"nav.login":          i18n.T("登录", "Log in"),
	"nav.signup":         i18n.T("注册", "Sign up"),
	"nav.switch":         i18n.T("English", "中文"),
	"nav.switch_lang":    i18n.T("en", "zh-CN"),
	"footer.label":       i18n.T("平台公示信息", "Platform disclosures"),
	"footer.privacy":     i18n.T("隐私政策", "Privacy policy"),
	"footer.rules":       i18n.T("服务协议与交易规则", "Service agreement and trading rules"),
	"footer.licences":    i18n.T("营业执照 / ICP 许可证信息", "Business licence / ICP licence"),
	"footer.note":        i18n.T("gbmall 按照 GB/T 31524-2015《电子商务平台运营与技术规范》运营。页面时间均为北京时间。", "gbmall operates under GB/T 31524-2015, Specification of operations and technology for e-commerce platforms. Times are Beijing time."),
	"form.check_fields":  i18n.T("请检查下面标出的内容。", "Please check the fields marked below."),
	"list.sep":           i18n.T("、", ", "),
	"field.login":        i18n.T("邮箱或手机号", "Email or mobile number"),
	"field.login_hint":   i18n.T("用于登录，手机号请填写 11 位中国大陆手机号。", "Used to log in; mobile numbers are 11-digit mainland China numbers."),
	"field.display_name": i18n.T("昵称", "Display name"),
	"field.password":     i18n.T("密码", "Password"),
	"field.password_hint": i18n.T("至少 8 个字符，包含小写字母、大写字母、数字、特殊字符中的至少 3 类，且不要包含登录名。",
		"At least 8 characters with at least 3 of: lower-case, upper-case, digits, other characters; must not contain your login."),
	"field.password_confirm": i18n.T("确认密码", "Confirm password"),
	"field.otp":              i18n.T("动态验证码", "Authenticator code"),
	"field.otp_hint":         i18n.T("打开验证器应用，输入当前显示的 6 位数字。", "Open your authenticator app and enter the 6 digits it shows now."),

	// Public home.
	"index.title":   i18n.T("欢迎", "Welcome"),
	"index.eyebrow": i18n.T("依照 GB/T 31524-2015 运营", "Run to GB/T 31524-2015"),
	"index.heading": i18n.T("放心买，安心卖", "Buy with confidence, sell with peace of mind"),
	"index.lead": i18n.T("gbmall 是一个网络交易平台：消费者、卖家、配送服务商、支付服务商和监管部门在同一个平台上各司其职，每一步都有规则可依、有记录可查。",
		"gbmall is an online marketplace where consumers, sellers, carriers, payment providers and regulators each play their part on one platform — every step follows published rules and leaves a record."),
	"index.signup":    i18n.T("免费注册", "Create an account"),
	"index.login":     i18n.T("登录", "Log in"),
	"index.parties":   i18n.T("平台参与方", "Who uses the platform"),
	"index.consumers": i18n.T("消费者", "Consumers"),
	"index.consumers_body": i18n.T("用邮箱或手机号注册。我们只收集必要的信息，并在隐私政策中写清收集什么、为什么收集；手机号和邮箱加密保存。",
		"Sign up with an email address or mobile number. We collect only what is needed and the privacy policy says what and why; mobile numbers and emails are stored encrypted."),
	"index.business": i18n.T("卖家与服务商", "Sellers and service providers"),
	"index.business_body": i18n.T("卖家、配送服务商和支付服务商按组织开户，由负责人为员工分配角色，每个角色只拥有完成工作所需的权限。",
		"Sellers, carriers and payment providers work as organisations: owners give their staff roles, and each role has only the permissions its work needs."),
	"index.staff": i18n.T("平台与监管", "Platform staff and regulators"),
	"index.staff_body": i18n.T("平台工作人员实行三员分立，登录须使用动态验证码；关键操作写入防篡改的审计日志，供审计员和监管部门查验。",
		"Platform staff keep separate admin, security and audit duties and log in with a second factor; key actions go into a tamper-evident audit trail that auditors and regulators can check."),
	"index.disclosure": i18n.T("平台公示", "Disclosures"),
	"index.disclosure_body": i18n.T("平台运营方的证照信息、服务协议与交易规则、隐私政策随时可查，每个页面的页脚都有链接。",
		"The operator's licences, the service agreement and trading rules, and the privacy policy can be read at any time; every page links to them in its footer."),

	// Sign-up and login.
	"signup.title":          i18n.T("注册账号", "Create an account"),
	"signup.lead":           i18n.T("注册后即可使用消费者账户。卖家与服务商请先注册个人账号，再申请入驻。", "You get a consumer account at once. Sellers and service providers sign up as a person first, then apply to join."),
	"signup.consent_before": i18n.T("我已阅读并同意", "I have read and agree to the "),
	"signup.consent_link":   i18n.T("《隐私政策》", "privacy policy"),
	"signup.consent_after":  i18n.T("（版本 %s）", " (version %s)"),
	"signup.submit":         i18n.T("注册", "Sign up"),
	"signup.have_account":   i18n.T("已有账号？", "Already have an account?"),
	"signup.to_login":       i18n.T("登录", "Log in"),
	"login.title":           i18n.T("登录", "Log in"),
	"login.lead":            i18n.T("使用注册时填写的邮箱或手机号登录。", "Log in with the email address or mobile number you signed up with."),
	"login.second_factor": i18n.T("此账号已启用动态验证码：请再次输入密码，并输入验证器应用中的 6 位验证码。",
		"This account uses a second factor: enter your password again and the 6-digit code from your authenticator app."),
	"login.submit":     i18n.T("登录", "Log in"),
	"login.no_account": i18n.T("还没有账号？", "No account yet?"),
	"login.to_signup":  i18n.T("免费注册", "Sign up"),

	// Account and second factor.
	"account.title":          i18n.T("我的账户", "My account"),
	"account.lead":           i18n.T("您的账户信息、所属组织和登录安全设置。", "Your account details, organisations and login security."),
	"account.profile":        i18n.T("基本信息", "Profile"),
	"account.login":          i18n.T("登录账号", "Login"),
	"account.created":        i18n.T("注册时间", "Created"),
	"account.last_login":     i18n.T("上次登录", "Last login"),
	"account.masked_note":    i18n.T("为保护个人信息，登录账号以掩码显示。", "To protect personal information, your login is shown masked."),
	"account.security":       i18n.T("登录安全", "Login security"),
	"account.totp":           i18n.T("动态验证码", "Authenticator app"),
	"account.totp_on":        i18n.T("已启用", "On"),
	"account.totp_off":       i18n.T("未启用", "Off"),
	"account.totp_on_body":   i18n.T("登录时除密码外还需输入验证器应用中的动态验证码。", "Logging in needs the code from your authenticator app as well as your password."),
	"account.totp_off_body":  i18n.T("启用后，即使密码泄露，他人也无法登录您的账户。", "Once on, nobody can log in to your account with your password alone."),
	"account.totp_enrol":     i18n.T("启用动态验证码", "Set up authenticator app"),
	"account.memberships":    i18n.T("所属组织与角色", "Organisations and roles"),
	"account.org":            i18n.T("组织", "Organisation"),
	"account.kind":           i18n.T("类型", "Type"),
	"account.role":           i18n.T("角色", "Role"),
	"account.no_memberships": i18n.T("您目前是消费者账户，不属于任何组织。", "This is a consumer account; it belongs to no organisation."),
	"account.privacy":        i18n.T("个人信息", "Personal information"),
	"account.privacy_body":   i18n.T("隐私政策说明了我们如何处理您的个人信息，以及您享有的查阅、更正、删除等权利。", "The privacy policy explains how we handle your personal information and your rights to access, correct and delete it."),
	"account.privacy_link":   i18n.T("阅读隐私政策", "Read the privacy policy"),
	"totp.title":             i18n.T("动态验证码", "Authenticator app"),
	"totp.required_title":    i18n.T("请先启用动态验证码", "Set up a second factor first"),
	"totp.required_body": i18n.T("依照 GB/T 22239 网络安全等级保护要求，平台工作人员和监管部门账户必须使用两种身份验证方式。完成下面的步骤后才能使用其他页面。",
		"GB/T 22239 (cybersecurity classified protection) requires two authentication factors for platform staff and regulators. Complete the steps below before using other pages."),
	"totp.enabled_title": i18n.T("动态验证码已启用", "Your authenticator app is set up"),
	"totp.enabled_body":  i18n.T("登录时请输入验证器应用中的 6 位验证码。如手机丢失，请联系平台安全管理员重置。", "Enter the 6-digit code from your app when you log in. If you lose your phone, ask the platform's security administrator to reset it."),
	"totp.done_title":    i18n.T("启用成功", "Done"),
	"totp.done_body":     i18n.T("从下次登录起，除密码外还需输入验证器应用中的 6 位验证码。", "From your next login, enter the 6-digit code from your app as well as your password."),
	"totp.to_home":       i18n.T("进入我的首页", "Go to my home"),
	"totp.step1":         i18n.T("安装验证器应用", "Install an authenticator app"),
	"totp.step1_body":    i18n.T("在手机上安装任一支持 TOTP 的验证器应用，例如 Microsoft Authenticator、Google 身份验证器或 FreeOTP。", "Install any TOTP authenticator app on your phone, such as Microsoft Authenticator, Google Authenticator or FreeOTP."),
	"totp.step2":         i18n.T("扫描二维码", "Scan the QR code"),
	"totp.qr_alt":        i18n.T("用验证器应用扫描此二维码", "QR code to scan with your authenticator app"),
	"totp.manual":        i18n.T("无法扫码时，请在应用中手动输入以下密钥：", "If you cannot scan it, enter this key in the app by hand:"),
	"totp.secret_label":  i18n.T("密钥", "Key"),
	"totp.manual_hint":   i18n.T("类型选择“基于时间”，6 位数字，30 秒刷新。请勿将密钥告诉任何人。", "Choose \"time-based\", 6 digits, 30 seconds. Never share this key."),
	"totp.retry_body":    i18n.T("请输入应用中当前显示的验证码。应用中保存的仍是刚才扫描的密钥。", "Enter the code the app shows now; it still holds the key you just scanned."),
	"totp.restart":       i18n.T("重新生成二维码", "Start again with a new QR code"),
	"totp.step3":         i18n.T("输入验证码完成绑定", "Enter the code to finish"),
	"totp.submit":        i18n.T("启用", "Turn on"),

	// Signed-in home.
	"home.title":             i18n.T("我的首页", "My home"),
	"home.hello":             i18n.T("您好，%s", "Hello, %s"),
	"home.lead_consumer":     i18n.T("这里汇总您的订单和账户信息。", "Your orders and account at a glance."),
	"home.lead_member":       i18n.T("以下是您在各组织中的角色，以及每个角色可以做的事。", "Your roles in each organisation, and what each role can do."),
	"home.orders":            i18n.T("我的订单", "My orders"),
	"home.no_orders":         i18n.T("还没有订单", "No orders yet"),
	"home.no_orders_body":    i18n.T("您在平台下的订单会显示在这里。", "Orders you place on the platform will be listed here."),
	"home.account_card":      i18n.T("账户与安全", "Account and security"),
	"home.account_card_body": i18n.T("查看账户信息，为登录启用动态验证码。", "See your account details and turn on an authenticator app for logging in."),
	"home.to_account":        i18n.T("管理账户", "Manage account"),
	"home.privacy_card":      i18n.T("隐私与个人信息", "Privacy"),
	"home.privacy_card_body": i18n.T("了解我们收集哪些信息、为什么收集，以及您享有的权利。", "What we collect, why, and your rights."),
	"home.to_privacy":        i18n.T("阅读隐私政策", "Read the privacy policy"),
	"home.platform":          i18n.T("平台岗位", "Platform posts"),
	"home.business":          i18n.T("我的组织", "My organisations"),
	"home.regulator":         i18n.T("监管", "Supervision"),
	"home.your_roles":        i18n.T("您的角色：", "Your roles: "),
	"home.can_do":            i18n.T("可执行的操作", "What this role can do"),
	"home.console_pending":   i18n.T("该角色的操作页面尚未开放。", "This role's working pages are not open yet."),
	"home.supervision":       i18n.T("监管查看", "Supervision view"),
	"home.supervision_body":  i18n.T("只读的监管视图尚未开放；开放后，您可以在此查看平台经营者的公示信息和交易情况。", "The read-only supervision view is not open yet; once it is, you will see merchants' disclosures and trading here."),
	"console.auditor":        i18n.T("查看审计日志", "Open the audit trail"),

	// Audit console.
	"audit.title":         i18n.T("审计日志", "Audit trail"),
	"audit.lead":          i18n.T("平台上每一项关键操作都记录在防篡改的哈希链中，按时间倒序显示。", "Every key action on the platform, recorded in tamper-evident hash chains, newest first."),
	"audit.filters":       i18n.T("筛选审计日志", "Filter the audit trail"),
	"audit.action":        i18n.T("操作", "Action"),
	"audit.object_type":   i18n.T("对象类型", "Object type"),
	"audit.object_id":     i18n.T("对象 ID", "Object ID"),
	"audit.apply":         i18n.T("筛选", "Filter"),
	"audit.clear":         i18n.T("清除筛选", "Clear filters"),
	"audit.caption":       i18n.T("审计日志条目", "Audit entries"),
	"audit.at":            i18n.T("时间", "Time"),
	"audit.object":        i18n.T("对象", "Object"),
	"audit.actor":         i18n.T("操作者", "Actor"),
	"audit.source":        i18n.T("来源", "Source"),
	"audit.request_id":    i18n.T("请求 ID", "Request ID"),
	"audit.outcome":       i18n.T("结果", "Outcome"),
	"audit.details":       i18n.T("详情", "Details"),
	"audit.none":          i18n.T("暂无审计记录", "No audit entries yet"),
	"audit.none_filtered": i18n.T("没有符合条件的记录", "No entries match these filters"),
	"audit.pages":         i18n.T("翻页", "Pages"),
	"audit.first":         i18n.T("回到第一页", "First page"),
	"audit.next":          i18n.T("下一页", "Next page"),
	"audit.time_note":     i18n.T("时间为北京时间（UTC+8）。", "Times are Beijing time (UTC+8)."),
	"outcome.success":     i18n.T("成功", "Success"),
	"outcome.failure":     i18n.T("失败", "Failure"),

	// Privacy policy page.
	"privacy.title":         i18n.T("隐私政策", "Privacy policy"),
	"privacy.version":       i18n.T("版本 %s", "Version %s"),
	"privacy.published":     i18n.T("发布于 %s", "Published %s"),
	"privacy.current":       i18n.T("现行版本", "In force"),
	"privacy.replaced":      i18n.T("已被替换", "Replaced"),
	"privacy.replaced_note": i18n.T("这是已被替换的历史版本，仅供查阅。", "This version has been replaced and is kept for reference."),
	"privacy.read_current":  i18n.T("阅读现行版本（%s）", "Read the version in force (%s)"),
	"privacy.versions":      i18n.T("所有版本", "All versions"),

	// Error pages.
	"error.404.title":  i18n.T("页面不存在", "Page not found"),
	"error.404.body":   i18n.T("您访问的页面不存在，或者您没有查看它的权限。", "The page does not exist, or you are not allowed to see it."),
	"error.403.title":  i18n.T("没有权限", "Not allowed"),
	"error.403.body":   i18n.T("您的账户没有执行此操作的权限。", "Your account is not allowed to do this."),
	"error.csrf.title": i18n.T("表单已过期", "This form has expired"),
	"error.csrf.body": i18n.T("为保护您的账户，我们拒绝了这次提交：表单来自其他网站，或页面打开后登录状态已经改变。请返回上一页，刷新后再试。",
		"To protect your account we refused this submission: the form came from another site, or your login changed after the page was opened. Go back, reload the page and try again."),
	"error.400.title":  i18n.T("请求无效", "Bad request"),
	"error.400.body":   i18n.T("提交的内容无法识别，请返回上一页重试。", "The submission could not be read; go back and try again."),
	"error.500.title":  i18n.T("服务器出了点问题", "Something went wrong"),
	"error.500.body":   i18n.T("我们已记录这个问题，请稍后再试。如需联系我们，请提供下面的请求编号。", "We have logged the problem; please try again later. If you contact us, quote the request ID below."),
	"error.request_id": i18n.T("请求编号：", "Request ID:"),
	"error.to_home":    i18n.T("返回首页", "Back to home"),
}

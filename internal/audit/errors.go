package audit

import (
	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

func problemBadCursor() error {
	return problem.Invalid(problem.Field("cursor", i18n.T("分页游标无效", "Invalid cursor")))
}

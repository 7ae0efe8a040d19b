package cnid

import (
	"errors"
	"time"

	"gbmall/internal/platform/i18n"
)

// ValidateValidity checks a qualification's validity window.
//
// from and until are read as calendar dates (their own year, month and day),
// because that is what is printed on the certificate, whatever zone the
// caller parsed them in. The window must start before it ends, and it must
// not already have ended: until may be today but not earlier, where today is
// now's date in Asia/Shanghai, since a certificate is valid through its last
// day in Chinese time.
//
// Each problem is an *Error naming the field to fix (FieldValidFrom or
// FieldValidUntil). If there are several, they are combined with errors.Join,
// so errors.As yields the first one; a single problem is returned as the
// bare *Error. Certificates valid indefinitely (长期) have no end date and
// must not be passed here.
func ValidateValidity(from, until, now time.Time) error {
	var errs []error
	if from.IsZero() {
		errs = append(errs, newError(FieldValidFrom, CodeRequired, i18n.T(
			"请填写有效期起始日期",
			"the validity start date is required")))
	}
	if until.IsZero() {
		errs = append(errs, newError(FieldValidUntil, CodeRequired, i18n.T(
			"请填写有效期截止日期",
			"the validity end date is required")))
		return join(errs)
	}
	f, u := dateOf(from), dateOf(until)
	if !from.IsZero() && !f.before(u) {
		errs = append(errs, newError(FieldValidFrom, CodeOrder, i18n.T(
			"有效期起始日期"+f.String()+"须早于截止日期"+u.String(),
			"the validity start date "+f.String()+" must be before the end date "+u.String())))
	}
	if t := today(now); u.before(t) {
		errs = append(errs, newError(FieldValidUntil, CodeExpired, i18n.T(
			"资质已于"+u.String()+"过期（今天是"+t.String()+"）",
			"the qualification expired on "+u.String()+" (today is "+t.String()+")")))
	}
	return join(errs)
}

// join returns nil, the single error itself (so a type assertion to *Error
// works in the common case), or all of them joined.
func join(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

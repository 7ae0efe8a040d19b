package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"gbmall/internal/platform/i18n"
	"gbmall/internal/platform/problem"
)

// Problem is an RFC 9457 problem document in one language. It implements
// huma.StatusError and huma.ContentTypeFilter so huma writes it as
// application/problem+json.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
	Extra    map[string]any `json:"-"`
}

// FieldProblem is one invalid field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string                       { return p.Title + ": " + p.Detail }
func (p *Problem) GetStatus() int                      { return p.Status }
func (p *Problem) ContentType(string) string           { return "application/problem+json" }
func (p *Problem) MarshalJSON() ([]byte, error)        { return json.Marshal(p.asMap()) }
func (p *Problem) Schema(r huma.Registry) *huma.Schema { return problemSchema }

var problemSchema = &huma.Schema{
	Type:        "object",
	Description: "RFC 9457 problem details. `type` ends in a stable code; `errors` lists every invalid field.",
	Properties: map[string]*huma.Schema{
		"type":   {Type: "string", Format: "uri"},
		"title":  {Type: "string"},
		"status": {Type: "integer"},
		"detail": {Type: "string"},
		"errors": {Type: "array", Items: &huma.Schema{Type: "object", Properties: map[string]*huma.Schema{
			"field": {Type: "string"}, "message": {Type: "string"},
		}}},
	},
}

func (p *Problem) asMap() map[string]any {
	m := map[string]any{"type": p.Type, "title": p.Title, "status": p.Status}
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	if len(p.Errors) > 0 {
		m["errors"] = p.Errors
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

// fromDomain renders a domain error in lang.
func fromDomain(e *problem.Error, lang i18n.Lang) *Problem {
	p := &Problem{Type: e.Code.Type(), Title: e.Code.Title().In(lang), Status: e.Code.Status(), Detail: e.Detail.In(lang), Extra: e.Extra}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, FieldProblem{Field: f.Field, Message: f.Message.In(lang)})
	}
	return p
}

// Localize turns any error into a problem document: domain errors keep
// their code; anything else is an internal error whose text is logged with
// the request id and never shown (only "Internal error").
func Localize(ctx context.Context, err error, lang i18n.Lang, log *slog.Logger) *Problem {
	if pe, ok := problem.As(err); ok {
		if pe.Code == problem.Internal && pe.Cause != nil {
			log.ErrorContext(ctx, "internal error", "err", pe.Cause.Error(), "request_id", RequestID(ctx))
		}
		return fromDomain(pe, lang)
	}
	if errors.Is(err, context.Canceled) {
		return fromDomain(problem.New(problem.Unavailable, i18n.T("请求已取消", "Request cancelled")), lang)
	}
	log.ErrorContext(ctx, "internal error", "err", err.Error(), "request_id", RequestID(ctx))
	return fromDomain(problem.New(problem.Internal, i18n.T("服务器内部错误，请稍后再试（请求号 "+RequestID(ctx)+"）", "Internal error; please try again later (request "+RequestID(ctx)+")")), lang)
}

// hugaMessages translates huma's validation messages that people see most.
var humaMessages = []struct{ prefix, zh string }{
	{"unexpected property", "不允许的字段"},
	{"expected required property", "缺少必填字段"},
	{"expected string", "应为字符串"},
	{"expected integer", "应为整数"},
	{"expected number", "应为数字"},
	{"expected boolean", "应为布尔值"},
	{"expected object", "应为对象"},
	{"expected array", "应为数组"},
	{"expected length", "长度不符合要求"},
	{"expected value to be one of", "取值不在允许范围内"},
	{"expected number >=", "数值过小"},
	{"expected number <=", "数值过大"},
	{"expected string to match pattern", "格式不正确"},
	{"invalid character", "JSON 格式错误"},
	{"unexpected end of JSON input", "JSON 不完整"},
}

func translateHuma(msg string) i18n.Text {
	for _, m := range humaMessages {
		if strings.HasPrefix(msg, m.prefix) {
			return i18n.T(m.zh+"（"+msg+"）", msg)
		}
	}
	return i18n.T(msg, msg)
}

// installErrors replaces huma's error constructor once, centrally, so every
// error huma raises itself (malformed JSON, unknown fields, wrong types,
// missing fields, oversize bodies) is gbmall's problem+json with a stable
// type: validation failures are 400 validation with every field listed,
// as api-contract.md says, not huma's default 422.
func installErrors(log *slog.Logger) {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		lang := i18n.ZH
		var ctx context.Context = context.Background()
		if hctx != nil {
			lang = i18n.Parse(hctx.Header("Accept-Language"))
			ctx = hctx.Context()
		}
		for _, e := range errs {
			if pe, ok := problem.As(e); ok {
				return Localize(ctx, pe, lang, log)
			}
		}
		switch {
		case status == http.StatusRequestEntityTooLarge:
			return fromDomain(problem.New(problem.PayloadTooLarge, i18n.T("请求体超过 1 MiB 上限", "Request body exceeds the 1 MiB limit")), lang)
		case status == http.StatusUnprocessableEntity || status == http.StatusBadRequest:
			var fields []problem.FieldError
			for _, e := range errs {
				var d *huma.ErrorDetail
				if errors.As(e, &d) {
					field := strings.TrimPrefix(strings.TrimPrefix(d.Location, "body."), "body")
					if field == "" {
						field = "body"
					}
					if strings.HasPrefix(d.Message, "expected required property ") {
						name := strings.TrimSuffix(strings.TrimPrefix(d.Message, "expected required property "), " to be present")
						if field == "body" {
							field = name
						} else {
							field += "." + name
						}
					}
					fields = append(fields, problem.Field(field, translateHuma(d.Message)))
				} else if e != nil {
					fields = append(fields, problem.Field("body", translateHuma(e.Error())))
				}
			}
			if len(fields) == 0 {
				fields = append(fields, problem.Field("body", translateHuma(msg)))
			}
			return fromDomain(problem.Invalid(fields...), lang)
		case status == http.StatusUnsupportedMediaType:
			return fromDomain(problem.New(problem.UnsupportedMedia, i18n.T("不支持的内容类型", "Unsupported content type")), lang)
		case status == http.StatusNotFound:
			return fromDomain(problem.NotFoundError(), lang)
		case status == http.StatusMethodNotAllowed:
			return fromDomain(problem.New(problem.MethodNotAllowed, i18n.T("不支持的请求方法", "Method not allowed")), lang)
		case status == http.StatusUnauthorized:
			return fromDomain(problem.New(problem.Unauthenticated, i18n.T("请先登录", "Authentication required")), lang)
		case status >= 500:
			var err error = errors.New(msg)
			if len(errs) > 0 && errs[0] != nil {
				err = errors.Join(errs...)
			}
			return Localize(ctx, err, lang, log)
		}
		return &Problem{Type: problem.TypeBase + "http-" + http.StatusText(status), Title: http.StatusText(status), Status: status, Detail: msg}
	}
}

// writeProblem writes err as problem+json outside huma (middleware,
// unknown routes).
func writeProblem(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	p := Localize(r.Context(), err, i18n.Parse(r.Header.Get("Accept-Language")), log)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

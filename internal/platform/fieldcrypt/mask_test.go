package fieldcrypt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type maskCase struct {
	in, want string
}

func runMaskTests(t *testing.T, fn func(string) string, tests []maskCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := fn(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaskMobile(t *testing.T) {
	runMaskTests(t, MaskMobile, []maskCase{
		{"13812341234", "138****1234"},
		{"+8613812341234", "+86138****1234"},
		{"12345678", "123*5678"},
		{"1234567", "*******"},
		{"123", "***"},
		{"+861234567", "+86*******"},
		{"+14155552671", "+14*****2671"},
		{"１３８１２３４１２３４", "１３８****１２３４"}, // full-width digits are runes, not bytes
		{"", ""},
	})
}

func TestMaskEmail(t *testing.T) {
	runMaskTests(t, MaskEmail, []maskCase{
		{"zhang.san@example.com", "z*******@example.com"},
		{"a@b.cn", "a*******@b.cn"},
		{"张三@例子.中国", "张*******@例子.中国"},
		{"odd@local@example.com", "o*******@example.com"},
		{"@example.com", "************"},
		{"no-at-sign", "**********"},
		{"", ""},
	})
}

func TestMaskIDNumber(t *testing.T) {
	runMaskTests(t, MaskIDNumber, []maskCase{
		{"110101199003071234", "1101**********1234"},
		{"11010119900307123X", "1101**********123X"},
		{"110101900307123", "1*************3"}, // old 15-digit number
		{"E12345678", "E*******8"},             // passport
		{"123", "1*3"},
		{"12", "**"},
		{"1", "*"},
		{"", ""},
	})
}

func TestMaskName(t *testing.T) {
	runMaskTests(t, MaskName, []maskCase{
		{"张三", "张*"},
		{"欧阳娜娜", "欧***"},
		{"王小明", "王**"},
		{"John Smith", "J*********"},
		{"  李四 ", "李*"},
		{"张", "*"},
		{"", ""},
	})
}

func TestMaskAddress(t *testing.T) {
	runMaskTests(t, MaskAddress, []maskCase{
		{"广东省深圳市南山区科技园路1号", "广东省深圳市****"},
		{"北京市朝阳区建国路88号", "北京市朝阳区****"},
		{"北京市朝阳区", "北京市****"},
		{"1600 Amphitheatre Parkway", "1600 A****"},
		{"某小区", "某****"},
		{"", ""},
	})
}

func TestRedactedLogValue(t *testing.T) {
	tests := []struct {
		kind, value, want string
	}{
		{KindMobile, "13812341234", "138****1234"},
		{KindEmail, "zhang.san@example.com", "z*******@example.com"},
		{KindIDNumber, "110101199003071234", "1101**********1234"},
		{KindName, "欧阳娜娜", "欧***"},
		{KindAddress, "广东省深圳市南山区科技园路1号", "广东省深圳市****"},
		{"unknown", "secret-value", "****"},
		{"", "secret-value", "****"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.value, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil))
			r := Redacted{Kind: tt.kind, Value: tt.value}
			logger.Info("user updated", "field", r, slog.Any("nested", []any{r}), slog.Group("g", "v", r))

			out := buf.String()
			if strings.Contains(out, tt.value) {
				t.Fatalf("log line contains the clear value: %s", out)
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log line is not JSON: %v\n%s", err, out)
			}
			if got := rec["field"]; got != tt.want {
				t.Errorf("field = %v, want %q", got, tt.want)
			}
			if g, _ := rec["g"].(map[string]any); g["v"] != tt.want {
				t.Errorf("g.v = %v, want %q", rec["g"], tt.want)
			}

			// fmt and encoding/json must not leak the value either.
			for verb, s := range map[string]string{
				"%v": fmt.Sprintf("%v", r), "%s": fmt.Sprintf("%s", r), "%+v": fmt.Sprintf("%+v", r), "%#v": fmt.Sprintf("%#v", r),
			} {
				if strings.Contains(s, tt.value) || s != tt.want {
					t.Errorf("fmt %s = %q, want %q", verb, s, tt.want)
				}
			}
			js, err := json.Marshal(struct{ V Redacted }{r})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(js), tt.value) {
				t.Errorf("json.Marshal leaks the value: %s", js)
			}
		})
	}
}

func TestRedactedTextHandler(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("login", "mobile", Redacted{Kind: KindMobile, Value: "13812341234"})
	if out := buf.String(); strings.Contains(out, "13812341234") || !strings.Contains(out, "mobile=138****1234") {
		t.Errorf("text log = %q, want masked mobile", out)
	}
}

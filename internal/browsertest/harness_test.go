// Package browsertest drives gbmall's consoles in headless Chromium (Debian's
// chromium package) through chromedp, as a person would use them.
package browsertest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gbmall/internal/app"
	"gbmall/internal/identity"
)

// harness is a running gbmall and a browser tab.
type harness struct {
	t   *testing.T
	p   *app.Platform
	url string
	ctx context.Context
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI must run the browser tests (apt-get install chromium fonts-noto-cjk)")
	}
	t.Skip("chromium not installed; browser tests skipped (apt-get install chromium fonts-noto-cjk)")
	return ""
}

// start runs gbmall on SQLite in a temp directory (with the demo data when
// demo is set) and opens a browser.
func start(t *testing.T, demo bool) *harness {
	t.Helper()
	chrome := chromiumPath(t)
	dir := t.TempDir()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	getenv := func(string) string { return "" }
	cfg := identity.DefaultConfig()
	p, err := app.Open(context.Background(), app.Common{DataDir: dir}, getenv, log, true, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if demo {
		if _, err := app.LoadDemo(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	sc := app.ServeConfig{Common: app.Common{DataDir: dir}, RateLimits: "off", PublicURL: "http://127.0.0.1"}
	srv := httptest.NewServer(app.NewHandler(p, sc))
	t.Cleanup(srv.Close)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(filepath.Join(dir, "chrome")), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return &harness{t: t, p: p, url: srv.URL, ctx: ctx}
}

// do runs browser steps, failing the test on error.
func (h *harness) do(steps ...chromedp.Action[chromedp.Void]) {
	h.t.Helper()
	if err := chromedp.Do(h.ctx, steps...); err != nil {
		h.shot("failure")
		h.t.Fatal(err)
	}
}

// text returns the text of the first element matching sel.
func (h *harness) text(sel string) string {
	h.t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		h.shot("failure")
		h.t.Fatalf("text %s: %v", sel, err)
	}
	return v
}

func (h *harness) location() string {
	h.t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Location())
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// shot saves a screenshot into GBMALL_SCREENSHOTS (when set) so people can
// look at what the test saw.
func (h *harness) shot(name string) {
	dir := os.Getenv("GBMALL_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(h.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, h.t.Name()+"-"+name+".png"), b, 0o644)
	}
}

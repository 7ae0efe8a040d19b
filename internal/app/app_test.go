package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gbmall/internal/app"
	"gbmall/internal/platform/db/dbtest"
)

// backend is one database a CLI test runs against.
type backend struct {
	name    string
	dataDir string
	url     string // "" = SQLite in dataDir
}

func backends(t *testing.T) []backend {
	t.Helper()
	out := []backend{{name: "sqlite", dataDir: t.TempDir()}}
	if base, ok := dbtest.PostgresURL(t); ok {
		u, _ := dbtest.NewSchema(t, base)
		out = append(out, backend{name: "postgres", dataDir: t.TempDir(), url: u})
	}
	return out
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.Run(context.Background(), app.Env{
		Args:   append([]string{"gbmall"}, args...),
		Getenv: func(k string) string { return env[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &out, Stderr: &errb,
	})
	return code, out.String(), errb.String()
}

func (b backend) flags() []string {
	f := []string{"--data", b.dataDir}
	if b.url != "" {
		f = append(f, "--database", b.url)
	}
	return f
}

func TestOperatorCreateAndAuditVerify(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			env := map[string]string{}
			code, out, errs := run(t, env, append([]string{"operator", "create", "--login", "boss@example.cn", "--password", "Str0ng!Passw0rd#2026", "--role", "admin,reviewer"}, b.flags()...)...)
			if code != 0 || !regexp.MustCompile(`(?m)^totp-secret: [A-Z2-7]{32}$`).MatchString(out) {
				t.Fatalf("operator create: %d\n%s\n%s", code, out, errs)
			}
			code, out, _ = run(t, env, append([]string{"audit", "verify"}, b.flags()...)...)
			if code != 0 || !regexp.MustCompile(`^ok: \d+ entries\n$`).MatchString(out) {
				t.Fatalf("audit verify: %d %q", code, out)
			}
			// Edit one entry directly, as someone with database access could.
			var conn *sql.DB
			var err error
			if b.url == "" {
				conn, err = sql.Open("sqlite", filepath.Join(b.dataDir, "gbmall.db"))
			} else {
				conn, err = sql.Open("pgx", b.url)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			edit := `UPDATE audit_log SET actor_id = 'someone-else' WHERE action = 'operator.create'`
			if b.url != "" {
				edit = `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update; ` + edit + `; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`
			}
			if _, err := conn.Exec(edit); err != nil {
				t.Fatal(err)
			}
			code, out, _ = run(t, env, append([]string{"audit", "verify"}, b.flags()...)...)
			if code == 0 || !strings.Contains(out, "first bad entry") {
				t.Fatalf("tampering not detected: %d %q", code, out)
			}
			// Duplicate login and weak passwords are refused.
			if code, _, _ := run(t, env, append([]string{"operator", "create", "--login", "boss@example.cn", "--password", "Str0ng!Passw0rd#2026", "--role", "auditor"}, b.flags()...)...); code == 0 {
				t.Fatal("second operator with the same login")
			}
			if code, _, _ := run(t, env, append([]string{"operator", "create", "--login", "x@example.cn", "--password", "password", "--role", "auditor"}, b.flags()...)...); code == 0 {
				t.Fatal("weak password accepted")
			}
		})
	}
}

func TestJobsRunDueAndFakeClock(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, map[string]string{}, "migrate", "--data", dir); code != 0 {
		t.Fatal(errs)
	}
	code, _, errs := run(t, map[string]string{"GBMALL_FAKE_NOW": "2030-01-01T00:00:00Z"}, "jobs", "run-due", "--data", dir)
	if code == 0 || !strings.Contains(errs, "GBMALL_ALLOW_FAKE_CLOCK") {
		t.Fatalf("fake clock accepted without permission: %d %s", code, errs)
	}
	env := map[string]string{"GBMALL_FAKE_NOW": "2030-01-01T00:00:00Z", "GBMALL_ALLOW_FAKE_CLOCK": "1"}
	code, out, errs := run(t, env, "jobs", "run-due", "--data", dir)
	if code != 0 || !strings.Contains(out, "identity.expire-sessions: ok") || !strings.Contains(out, "2030-01-01T00:00") {
		t.Fatalf("run-due: %d %s %s", code, out, errs)
	}
	code, out, _ = run(t, env, "jobs", "run-due", "--data", dir)
	if code != 0 || !strings.Contains(out, "ran 0 due jobs") {
		t.Fatalf("a job ran twice at the same time: %s", out)
	}
}

func TestHelpExplainsFlags(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "audit verify") {
		t.Fatalf("help: %d %s", code, out)
	}
	code, _, errs := run(t, map[string]string{}, "serve", "--help")
	for _, f := range []string{"-listen", "-public-url", "-rate-limits", "-demo", "-data", "-database", "-tls-cert"} {
		if !strings.Contains(errs, f) {
			t.Errorf("serve --help lacks %s", f)
		}
	}
	if code != 0 {
		t.Fatalf("serve --help exit %d", code)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeDemoAnswersHealthz(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- app.Run(ctx, app.Env{Args: []string{"gbmall", "serve", "--demo", "--data", dir, "--listen", addr},
			Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no /healthz: %v\n%s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, errb.String())
	}
	for _, login := range []string{"consumer1@demo.gbmall.test", "consumer2@demo.gbmall.test", "seller1@demo.gbmall.test",
		"carrier1@demo.gbmall.test", "operator@demo.gbmall.test", "security@demo.gbmall.test", "auditor@demo.gbmall.test"} {
		if !strings.Contains(out.String(), login) {
			t.Errorf("demo output lacks %s", login)
		}
	}
	if strings.Count(out.String(), "totp-secret: ") != 3 {
		t.Errorf("want the three staff TOTP secrets printed:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "master.key")); err != nil {
		t.Errorf("no master key in the data directory: %v", err)
	}
	fmt.Fprint(os.Stderr, "")
}

func TestDemoRefusedOnPostgresWithoutForce(t *testing.T) {
	code, _, errs := run(t, map[string]string{}, "serve", "--demo", "--database", "postgres://nowhere/x", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errs, "--demo-force") {
		t.Fatalf("demo on postgres: %d %s", code, errs)
	}
}

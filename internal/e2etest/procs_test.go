// Package e2etest runs gbmall as real processes — the binary built from
// this tree, talking over real HTTP — for the end-to-end checks of the
// issues (issue 6: `gbmall serve` and `gbmall paysim` as two processes).
package e2etest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// gbmallBinary builds ./cmd/gbmall of this module once per test binary
// (without -race: the children need not be instrumented).
func gbmallBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = fmt.Errorf("not inside the gbmall module")
			return
		}
		if binDir, err = os.MkdirTemp("", "gbmall-e2e-"); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "gbmall")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/gbmall")
		cmd.Dir = filepath.Dir(gomod)
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/gbmall: %v\n%s", err, b)
			return
		}
		fmt.Fprintf(os.Stderr, "e2etest: built gbmall in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// logBuf collects a child's stdout and stderr; safe for concurrent use.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is one running child process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout *logBuf
	stderr *logBuf
	done   chan struct{}
}

// childEnv is this process's environment without any GBMALL_ setting, plus
// extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GBMALL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startProc starts bin with args; it is stopped (SIGINT, then SIGKILL after
// 10 s) when the test ends, and its output goes to the test log if the
// test failed.
func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), stdout: &logBuf{}, stderr: &logBuf{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("---- %s stdout ----\n%s", name, tail(p.stdout.String(), 8000))
			t.Logf("---- %s stderr ----\n%s", name, tail(p.stderr.String(), 30000))
		}
	})
	return p
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitStdout waits for re to match the process's stdout and returns the
// submatches.
func (p *proc) waitStdout(t *testing.T, re *regexp.Regexp, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
			return m
		}
		if p.exited() {
			t.Fatalf("%s exited before printing %s", p.name, re)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %s within %v", p.name, re, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logLines are the JSON log lines of the process's stderr that have every
// key=value of match.
func (p *proc) logLines(match map[string]string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		ok := true
		for k, v := range match {
			if fmt.Sprint(m[k]) != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// eventually polls cond every 100 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// resp is one HTTP answer.
type resp struct {
	status int
	raw    string
	body   map[string]any
	header http.Header
}

func (r resp) problemCode() string {
	t, _ := r.body["type"].(string)
	return t[strings.LastIndex(t, "/")+1:]
}

var client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call makes one request; header is pairs of name, value.
func call(t *testing.T, method, url, token string, body io.Reader, contentType string, header ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

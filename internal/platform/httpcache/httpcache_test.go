package httpcache_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"gbmall/internal/platform/httpcache"
)

type fakeVersions struct {
	gen atomic.Uint64
	ver atomic.Int64
	err error
}

func (f *fakeVersions) Generation() uint64 { return f.gen.Load() }
func (f *fakeVersions) DataVersion(context.Context) (string, error) {
	return strconv.FormatInt(f.ver.Load(), 10), f.err
}

func TestCacheServesOnlyWhileNothingChanged(t *testing.T) {
	src := &fakeVersions{}
	day := "2026-11-28"
	var computed atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := computed.Add(1)
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"n":`+strconv.FormatInt(n, 10)+`}`)
	})
	c := httpcache.New(src, func() string { return day }, "gbmall_session", 1<<20)
	h := c.Wrap(next, func(r *http.Request) bool { return r.URL.Path != "/other" })
	get := func(path string, hdr ...string) string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: content type %q", path, rec.Header().Get("Content-Type"))
		}
		return rec.Body.String()
	}
	steps := []struct {
		name, path string
		hdr        []string
		change     func()
		want       string
	}{
		{"first computes", "/p", nil, nil, `{"n":1}`},
		{"second is served", "/p", nil, nil, `{"n":1}`},
		{"another query computes", "/p?x=1", nil, nil, `{"n":2}`},
		{"another Accept computes", "/p", []string{"Accept", "application/cbor"}, nil, `{"n":3}`},
		{"a commit in this process", "/p", nil, func() { src.gen.Add(1) }, `{"n":4}`},
		{"served again", "/p", nil, nil, `{"n":4}`},
		{"a commit elsewhere", "/p", nil, func() { src.ver.Add(1) }, `{"n":5}`},
		{"a new day", "/p", nil, func() { day = "2026-11-29" }, `{"n":6}`},
		{"credentials bypass", "/p", []string{"Authorization", "Bearer x"}, nil, `{"n":7}`},
		{"session cookie bypass", "/p", []string{"Cookie", "a=b; gbmall_session=x"}, nil, `{"n":8}`},
		{"other cookies do not", "/p", []string{"Cookie", "a=b"}, nil, `{"n":6}`},
		{"unmatched paths bypass", "/other", nil, nil, `{"n":9}`},
		{"unmatched paths bypass again", "/other", nil, nil, `{"n":10}`},
	}
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		if got := get(s.path, s.hdr...); got != s.want {
			t.Fatalf("%s: got %s, want %s", s.name, got, s.want)
		}
	}
	// Errors are not kept.
	get("/p?fail=1")
	before := computed.Load()
	get("/p?fail=1")
	if computed.Load() != before+1 {
		t.Fatal("an error answer was served from the cache")
	}
	// Without a data version the cache steps aside.
	src.err = errors.New("down")
	before = computed.Load()
	get("/p")
	if computed.Load() != before+1 {
		t.Fatal("served from the cache without a data version")
	}
	if hits, misses, bypassed := c.Stats(); hits == 0 || misses == 0 || bypassed != 1 {
		t.Fatalf("stats: %d hits %d misses %d bypassed", hits, misses, bypassed)
	}
}

func TestCacheIsBounded(t *testing.T) {
	src := &fakeVersions{}
	body := make([]byte, 1000)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
	c := httpcache.New(src, func() string { return "d" }, "s", 8000)
	h := c.Wrap(next, func(*http.Request) bool { return true })
	for i := range 100 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/p?i="+strconv.Itoa(i), nil))
	}
	if n := c.Bytes(); n > 8000 {
		t.Fatalf("cache holds %d bytes, bound 8000", n)
	}
}

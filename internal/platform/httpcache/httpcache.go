// Package httpcache keeps encoded answers of public GET endpoints in
// memory and serves them again only while nothing they depend on can have
// changed: no write transaction committed anywhere (the database's
// generation in this process and its data version, which sees every
// connection and process), and the same Asia/Shanghai day (licence
// validity and batch expiry are decided by the day). A listing, delisting,
// price or stock change is therefore seen by the very next request, and
// the cache only saves work between writes.
//
// Only anonymous requests (no Authorization header, no session cookie)
// are served from it or fill it, and only 200 answers are kept, keyed by
// path, query and Accept header; memory is bounded.
package httpcache

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// Versions tells whether the data may have changed (implemented by
// *db.DB).
type Versions interface {
	// Generation changes after every write transaction of this process.
	Generation() uint64
	// DataVersion changes after every commit by any connection; it reads
	// the database after the call begins.
	DataVersion(ctx context.Context) (string, error)
}

// tag names the state of the data an answer was computed from.
type tag struct {
	gen uint64
	ver string
	day string
}

type entry struct {
	contentType string
	body        []byte
}

// Cache is a bounded in-memory answer cache. The zero value is not usable;
// call New.
type Cache struct {
	src Versions
	day func() string
	// MaxBytes bounds the bodies kept; MaxEntry the size of one body.
	maxBytes, maxEntry int
	// skip reports requests that carry credentials (their answers may
	// depend on the caller).
	cookie string

	mu      sync.RWMutex
	cur     tag
	entries map[string]*entry
	bytes   int

	hits, misses, bypass atomic.Int64
}

// New returns a cache over src; day returns today's date in the time zone
// that decides date-dependent state; cookie is the session cookie's name.
func New(src Versions, day func() string, cookie string, maxBytes int) *Cache {
	if maxBytes <= 0 {
		maxBytes = 8 << 20
	}
	return &Cache{src: src, day: day, cookie: cookie, maxBytes: maxBytes, maxEntry: max(maxBytes/64, 4096), entries: map[string]*entry{}}
}

// Stats returns the hits, misses and bypassed requests so far.
func (c *Cache) Stats() (hits, misses, bypassed int64) {
	return c.hits.Load(), c.misses.Load(), c.bypass.Load()
}

// Bytes returns the size of the bodies kept.
func (c *Cache) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}

// anonymous reports whether r carries no credentials.
func (c *Cache) anonymous(r *http.Request) bool {
	if len(r.Header["Authorization"]) > 0 {
		return false
	}
	if len(r.Header["Cookie"]) == 0 {
		return true
	}
	_, err := r.Cookie(c.cookie)
	return err != nil
}

// Wrap serves the GET requests that match from the cache, and fills it
// from next.
func (c *Cache) Wrap(next http.Handler, match func(r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !match(r) || !c.anonymous(r) {
			next.ServeHTTP(w, r)
			return
		}
		// The tag is read before the answer is computed: a write that
		// commits meanwhile changes the tag the next request reads, so an
		// answer that missed it is never served.
		gen := c.src.Generation()
		ver, err := c.src.DataVersion(r.Context())
		if err != nil {
			c.bypass.Add(1)
			next.ServeHTTP(w, r)
			return
		}
		t := tag{gen: gen, ver: ver, day: c.day()}
		key := r.URL.EscapedPath() + "?" + r.URL.RawQuery + "\x00" + r.Header.Get("Accept")
		c.mu.RLock()
		var e *entry
		if c.cur == t {
			e = c.entries[key]
		}
		c.mu.RUnlock()
		if e != nil {
			c.hits.Add(1)
			h := w.Header()
			h["Content-Type"] = []string{e.contentType}
			h["Content-Length"] = []string{strconv.Itoa(len(e.body))}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(e.body)
			return
		}
		c.misses.Add(1)
		rec := &recorder{ResponseWriter: w, limit: c.maxEntry}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusOK && !rec.over {
			c.store(t, key, &entry{contentType: w.Header().Get("Content-Type"), body: rec.body})
		}
	})
}

func (c *Cache) store(t tag, key string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != t {
		// Entries of another state can never be served again; an answer
		// computed from an older state than the current one is dropped
		// by the next lookup's tag comparison at worst.
		if t.gen < c.cur.gen {
			return
		}
		c.cur, c.entries, c.bytes = t, map[string]*entry{}, 0
	}
	if old := c.entries[key]; old != nil {
		c.bytes -= len(old.body)
	}
	for k, old := range c.entries { // evict arbitrary entries until it fits
		if c.bytes+len(e.body) <= c.maxBytes {
			break
		}
		c.bytes -= len(old.body)
		delete(c.entries, k)
	}
	c.entries[key] = e
	c.bytes += len(e.body)
}

// recorder passes the answer through and keeps a copy of its body.
type recorder struct {
	http.ResponseWriter
	status int
	body   []byte
	limit  int
	over   bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.over {
		if len(r.body)+len(b) > r.limit {
			r.over, r.body = true, nil
		} else {
			r.body = append(r.body, b...)
		}
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

package order

import (
	"sync"
	"time"
)

// heldQuotes are the quotes this process issued and that have not been
// placed yet, so that placing one needs no read of it: a quote's content
// (lines, prices, address, terms version, expiry) never changes once
// issued. Whether it was used meanwhile — by another request or another
// process — is decided where it always is, by the claim in the placing
// transaction; a quote this process does not hold (issued by another
// process, or dropped) is read from the database as before.
type heldQuotes struct {
	mu    sync.Mutex
	m     map[string]*quoteRow
	swept time.Time // when expired quotes were last dropped
}

// heldQuotesMax bounds the memory held (a quote of a few lines is about a
// kilobyte): past it, expired quotes are dropped (at most once a second,
// so a full map does not cost every new quote a scan), and if none has
// expired the new quote is simply not held.
const heldQuotesMax = 20000

// hold keeps an issued quote.
func (h *heldQuotes) hold(q *quoteRow, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*quoteRow{}
	}
	if len(h.m) >= heldQuotesMax && now.Sub(h.swept) >= time.Second {
		h.swept = now
		for id, o := range h.m {
			if !now.Before(o.expiresAt) {
				delete(h.m, id)
			}
		}
	}
	if len(h.m) >= heldQuotesMax {
		return
	}
	h.m[q.id] = q
}

// get returns the held quote id, or nil. The row is shared: never change it.
func (h *heldQuotes) get(id string) *quoteRow {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[id]
}

// drop forgets quotes that were placed.
func (h *heldQuotes) drop(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.m, id)
	}
}

package payproto

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrNonceStoreFull is returned by MemoryNonces when it holds its maximum of
// unexpired nonces. The request is refused (not accepted unchecked): the
// store fails closed.
var ErrNonceStoreFull = errors.New("payproto: nonce store full")

// DefaultMaxNonces bounds MemoryNonces: 500 000 nonces in 10 minutes is over
// 800 signed requests a second, about 60 MB at most.
const DefaultMaxNonces = 500_000

// MemoryNonces is a NonceStore in memory with bounded size. Entries expire
// in the order they were added (until = now + a fixed TTL), so a queue in
// insertion order lets each call drop the expired ones cheaply.
type MemoryNonces struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	queue []nonceEntry
	head  int
}

type nonceEntry struct {
	nonce string
	until time.Time
}

// NewMemoryNonces returns a store holding at most max unexpired nonces
// (DefaultMaxNonces when max <= 0).
func NewMemoryNonces(max int) *MemoryNonces {
	if max <= 0 {
		max = DefaultMaxNonces
	}
	return &MemoryNonces{max: max, seen: map[string]time.Time{}}
}

// Remember implements NonceStore.
func (m *MemoryNonces) Remember(_ context.Context, nonce string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.head < len(m.queue) && !m.queue[m.head].until.After(now) {
		e := m.queue[m.head]
		if u, ok := m.seen[e.nonce]; ok && u.Equal(e.until) {
			delete(m.seen, e.nonce)
		}
		m.queue[m.head] = nonceEntry{}
		m.head++
	}
	if m.head > 1024 && m.head*2 > len(m.queue) {
		m.queue = append([]nonceEntry(nil), m.queue[m.head:]...)
		m.head = 0
	}
	if u, ok := m.seen[nonce]; ok && u.After(now) {
		return false, nil
	}
	if len(m.seen) >= m.max {
		return false, ErrNonceStoreFull
	}
	m.seen[nonce] = until
	m.queue = append(m.queue, nonceEntry{nonce, until})
	return true, nil
}

// Len is the number of nonces held.
func (m *MemoryNonces) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

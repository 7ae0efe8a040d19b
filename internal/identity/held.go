package identity

import (
	"sync"
	"time"

	"gbmall/internal/platform/db"
)

// heldSessions answers consumers' session tokens from memory under load,
// so that most requests of a busy consumer pay no query for their session.
//
// Only consumer sessions are held (no memberships, no idle timeout, no
// second factor owed): staff sessions, whose disabling must end them at
// once everywhere (R-5.2-2) and which idle out (R-10.4-3), are read from
// the database on every request. A held answer is used only while the
// version of everything that can end or change a session
// (auth_versions, raised by triggers, migration 0015) is the one this
// process read most recently, and that read is less than heldFor old; any
// miss reads the session and the version again. So a session ended by
// another process stops working here within heldFor; one ended by this
// process stops at once (forget).
type heldSessions struct {
	mu     sync.Mutex
	stamp  int64     // the newest version read
	seenAt time.Time // when it was read (the query's start)
	floor  time.Time // reads that started before this process ended a session are not held
	m      map[string]*heldSession
}

type heldSession struct {
	p        Principal
	expires  time.Time
	lastSeen time.Time
}

// heldFor is how long after the version was read a held answer may be
// given; heldMax bounds the sessions held.
const (
	heldFor = 100 * time.Millisecond
	heldMax = 10000
)

// lookup answers token hash from memory, or not.
func (h *heldSessions) lookup(hash string, now time.Time) (*Principal, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.m[hash]
	if e == nil || now.Sub(h.seenAt) >= heldFor || now.Before(h.seenAt) || !now.Before(e.expires) || now.Sub(e.lastSeen) > time.Minute {
		// A session last seen over a minute ago is read again, so that
		// last_seen_at is written as it would be.
		return nil, false
	}
	p := e.p
	return &p, true
}

// keep holds a consumer's session read under version stamp by a query
// that started at seenAt.
func (h *heldSessions) keep(hash string, e *heldSession, stamp int64, seenAt time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case stamp < h.stamp || seenAt.Before(h.floor):
		return // read before a newer version was seen, or before a session ended here
	case stamp > h.stamp || h.m == nil || len(h.m) >= heldMax:
		h.stamp, h.seenAt, h.m = stamp, seenAt, map[string]*heldSession{}
	case seenAt.After(h.seenAt):
		h.seenAt = seenAt
	}
	if e != nil {
		h.m[hash] = e
	}
}

// forget drops every held session: this process ended one (and the
// version its change raised has not been read yet).
func (h *heldSessions) forget(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m, h.floor = nil, now
}

// forgetHeldAfter drops the held sessions once tx commits: tx ends a
// session or changes what a principal holds (memberships, second factor),
// and this process's next request must see it at once.
func (s *Service) forgetHeldAfter(tx *db.Tx) {
	tx.AfterCommit(func() { s.held.forget(s.clock.Now()) })
}

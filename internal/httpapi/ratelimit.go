package httpapi

import (
	"sync"
	"time"

	"gbmall/internal/platform/clock"
)

// loginLimiter slows and then stops an address that keeps failing to log
// in (R-10.6-4), independent of the per-account lockout, which stays on
// even with --rate-limits off.
type loginLimiter struct {
	mu      sync.Mutex
	on      bool
	clock   clock.Clock
	entries map[string]*ipFailures
}

type ipFailures struct {
	count int
	start time.Time
}

const (
	ipWindow    = 15 * time.Minute
	ipSlowAfter = 5  // failures before answers slow down
	ipStopAfter = 30 // failures before the address gets 429
)

func newLoginLimiter(c clock.Clock, on bool) *loginLimiter {
	return &loginLimiter{on: on, clock: c, entries: map[string]*ipFailures{}}
}

// check returns the delay to impose and whether the address is stopped.
func (l *loginLimiter) check(ip string) (time.Duration, bool) {
	if !l.on {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[ip]
	if e == nil || l.clock.Now().Sub(e.start) > ipWindow {
		return 0, false
	}
	if e.count >= ipStopAfter {
		return 0, true
	}
	if e.count >= ipSlowAfter {
		d := time.Duration(e.count-ipSlowAfter+1) * 250 * time.Millisecond
		if d > 3*time.Second {
			d = 3 * time.Second
		}
		return d, false
	}
	return 0, false
}

func (l *loginLimiter) fail(ip string) {
	if !l.on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	e := l.entries[ip]
	if e == nil || now.Sub(e.start) > ipWindow {
		if len(l.entries) > 100000 { // bound memory under a spray of addresses
			l.entries = map[string]*ipFailures{}
		}
		e = &ipFailures{start: now}
		l.entries[ip] = e
	}
	e.count++
}

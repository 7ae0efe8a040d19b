package identity

import (
	"sync"
	"time"

	"gbmall/internal/platform/clock"
)

// LoginLimiter slows and then stops an address that keeps failing to log
// in (R-10.6-4), independent of the per-account lockout, which stays on
// even with --rate-limits off.
type LoginLimiter struct {
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

// NewLoginLimiter returns a limiter; on=false (--rate-limits off) disables it.
func NewLoginLimiter(c clock.Clock, on bool) *LoginLimiter {
	return &LoginLimiter{on: on, clock: c, entries: map[string]*ipFailures{}}
}

// Check returns the delay to impose and whether the address is stopped.
func (l *LoginLimiter) Check(ip string) (time.Duration, bool) {
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

// Fail counts a failed login from ip.
func (l *LoginLimiter) Fail(ip string) {
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

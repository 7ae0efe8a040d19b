// Package clock is the one source of "now" in gbmall. Every deadline and
// expiry reads it, so tests (and operators rehearsing a date) can move time
// with GBMALL_FAKE_NOW.
package clock

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Clock tells the time. Implementations return UTC, truncated to the
// microsecond so values survive a round trip through PostgreSQL.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns the current UTC time.
func (Real) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Fake is a clock that stands still unless moved. It starts at a fixed
// instant and advances with real time from there when Running is set, so a
// fake "now" in serve still ticks forward (sessions and quotes age).
type Fake struct {
	mu      sync.Mutex
	base    time.Time
	started time.Time
	running bool
}

// NewFake returns a frozen fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{base: t.UTC().Truncate(time.Microsecond)} }

// NewRunningFake returns a fake clock that starts at t and runs forward.
func NewRunningFake(t time.Time) *Fake {
	return &Fake{base: t.UTC().Truncate(time.Microsecond), started: time.Now(), running: true}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running {
		return f.base.Add(time.Since(f.started)).UTC().Truncate(time.Microsecond)
	}
	return f.base
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.base = t.UTC().Truncate(time.Microsecond)
	f.started = time.Now()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// ErrFakeNotAllowed is returned when GBMALL_FAKE_NOW is set without
// GBMALL_ALLOW_FAKE_CLOCK=1: a production process must never run on a
// clock someone set by accident.
var ErrFakeNotAllowed = errors.New("GBMALL_FAKE_NOW is set but GBMALL_ALLOW_FAKE_CLOCK is not 1; refusing to start with a fake clock")

// FromEnv returns the real clock, or a running fake clock starting at
// GBMALL_FAKE_NOW (RFC 3339) when GBMALL_ALLOW_FAKE_CLOCK=1.
func FromEnv(getenv func(string) string) (Clock, error) {
	v := getenv("GBMALL_FAKE_NOW")
	if v == "" {
		return Real{}, nil
	}
	if getenv("GBMALL_ALLOW_FAKE_CLOCK") != "1" {
		return nil, ErrFakeNotAllowed
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("GBMALL_FAKE_NOW: %w", err)
	}
	return NewRunningFake(t), nil
}

// Shanghai is the time zone the consoles show and in which calendar days
// are counted (R-X-2).
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Package id makes the identifiers of gbmall's records: UUIDv7, which sort
// by creation time (good for indexes and cursors) and carry 74 random bits,
// so they cannot be guessed from a neighbour the way sequential ids can.
package id

import (
	"regexp"

	"github.com/google/uuid"
)

// New returns a new UUIDv7 in canonical text form.
func New() string {
	u, err := uuid.NewV7()
	if err != nil {
		// NewV7 only fails when the system's random source fails, and then
		// nothing secure can continue.
		panic("id: " + err.Error())
	}
	return u.String()
}

var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Valid reports whether s looks like an id gbmall issued, so that handlers
// can answer 404 without a database round trip for garbage.
func Valid(s string) bool { return canonical.MatchString(s) }

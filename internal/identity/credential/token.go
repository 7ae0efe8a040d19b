package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Token prefixes used by callers. A prefix makes a leaked token
// recognisable to secret scanners and to people, and tells the server which
// table to look in before it hashes.
const (
	TokenPrefixSession = "gbs_"
	TokenPrefixAPIKey  = "gbk_"
)

// tokenBytes of randomness: 256 bits, far beyond guessing range.
const tokenBytes = 32

// NewToken mints a bearer token: prefix followed by 32 random bytes in
// unpadded base64url. It also returns HashToken(token), which is all the
// caller may store: a database leak then yields no usable sessions or keys.
// The plain token is shown to its owner once and never persisted.
func NewToken(prefix string) (token string, hash string) {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never fails on supported platforms (it crashes the
	// program instead of returning weak randomness).
	_, _ = rand.Read(b)
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the lower-case hex SHA-256 of the whole token, prefix
// included. A fast hash is enough here, unlike for passwords, because the
// token has 256 bits of entropy and cannot be guessed offline; it also lets
// the server look tokens up by hash with an index.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

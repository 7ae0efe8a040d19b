package credential

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters stored alongside each hash, so a
// hash made with older settings can still be verified after they change.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams follow the OWASP Password Storage Cheat Sheet guidance for
// argon2id (m ≥ 19 MiB, t ≥ 2, p = 1; more memory is better). We spend
// 64 MiB with two passes and two lanes: expensive enough to make offline
// guessing of a leaked database slow, cheap enough (about 0.1 s on two cores)
// for interactive logins. A 16-byte salt and 32-byte key match RFC 9106.
//
// R-10.4-1 (§10.4): passwords are stored salted and one-way, never in clear.
var DefaultParams = Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLen: 16, KeyLen: 32}

// TestParams are deliberately weak so tests and benchmarks run quickly.
// Never use them for real accounts.
var TestParams = Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash reports an encoded hash that is not a well-formed argon2id
// PHC string we are willing to verify.
var ErrMalformedHash = errors.New("credential: malformed password hash")

// Upper bounds on parameters read back from storage, so a corrupted or
// tampered hash cannot make a single verification allocate gigabytes or spin
// for minutes (denial of service through the login endpoint).
const (
	maxMemory      = 1 << 20 // KiB, 1 GiB
	maxIterations  = 64
	minSaltLen     = 8 // RFC 9106 minimum
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 128
	phcAlgorithm   = "argon2id"
	phcVersionPart = "v=19" // argon2.Version (0x13)
)

// b64 is the PHC string encoding: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// validate rejects parameters argon2 would panic on or that are unsafe.
func (p Params) validate() error {
	switch {
	case p.Memory < 8*uint32(max(p.Parallelism, 1)) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB out of range", p.Memory)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d out of range", p.Iterations)
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d out of range", p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d out of range", p.KeyLen)
	}
	return nil
}

// HashPassword derives an argon2id hash of password with a fresh random salt
// and returns it as a PHC string:
//
//	$argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>
//
// The string is self-describing, so VerifyPassword needs no Params and
// NeedsRehash can tell when the stored cost is out of date.
func HashPassword(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("credential: invalid argon2 params: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("credential: reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

// VerifyPassword reports whether password matches encoded. The final
// comparison is constant-time so response timing reveals nothing about how
// many bytes matched. A malformed encoded string is an error (wrapping
// ErrMalformedHash), never a silent false, so data corruption is noticed.
func VerifyPassword(password, encoded string) (ok bool, err error) {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p
// (or cannot be read at all). Callers rehash right after a successful login,
// the only moment the plain password is known, so stored hashes converge on
// the current cost as it is raised over the years.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decodePHC(encoded)
	return err != nil || got != p
}

// dummySalt is fixed: DummyVerify only needs to cost the same, not to be
// unpredictable, and it never matches a real hash.
var dummySalt = []byte("gbmall-dummy-salt-for-timing-eq!")

// DummyVerify burns the same time as a real VerifyPassword against a
// DefaultParams hash, so a login for an unknown account is not measurably
// faster than one for a known account with a wrong password (user
// enumeration by timing, GB/T 22239 identification). It runs the very same
// code path: parse a PHC string, derive, compare in constant time.
func DummyVerify(password string) {
	p := DefaultParams
	salt := dummySalt[:min(int(p.SaltLen), len(dummySalt))]
	encoded := encodePHC(p, salt, make([]byte, p.KeyLen))
	_, _ = VerifyPassword(password, encoded)
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$%s$%s$m=%d,t=%d,p=%d$%s$%s",
		phcAlgorithm, phcVersionPart, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodePHC parses a PHC string strictly: exactly our algorithm, version and
// parameter order, and values within the safe bounds of Params.validate.
func decodePHC(encoded string) (p Params, salt, key []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want 5 '$'-separated fields")
	}
	if parts[1] != phcAlgorithm {
		return fail("unsupported algorithm " + strconv.Quote(parts[1]))
	}
	if parts[2] != phcVersionPart {
		return fail("unsupported version " + strconv.Quote(parts[2]))
	}
	kvs := strings.Split(parts[3], ",")
	if len(kvs) != 3 {
		return fail("parameters must be m=,t=,p=")
	}
	var m, t, par uint64
	for i, kv := range kvs {
		name, value, found := strings.Cut(kv, "=")
		if !found || name != [...]string{"m", "t", "p"}[i] {
			return fail("parameters must be m=,t=,p=")
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, perr := strconv.ParseUint(value, 10, bits)
		if perr != nil || value != strconv.FormatUint(n, 10) {
			return fail("bad value for " + name)
		}
		switch name {
		case "m":
			m = n
		case "t":
			t = n
		default:
			par = n
		}
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return fail("salt is not raw base64")
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return fail("hash is not raw base64")
	}
	p = Params{
		Memory:      uint32(m),
		Iterations:  uint32(t),
		Parallelism: uint8(par),
		SaltLen:     uint32(len(salt)),
		KeyLen:      uint32(len(key)),
	}
	if verr := p.validate(); verr != nil {
		return fail(verr.Error())
	}
	return p, salt, key, nil
}

package credential

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "Demo-Pass-2026"},
		{"unicode", "密码-Pass-2026"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := HashPassword(tt.password, TestParams)
			if err != nil {
				t.Fatalf("HashPassword: %v", err)
			}
			if !phcPattern.MatchString(encoded) {
				t.Fatalf("encoded %q is not a PHC argon2id string", encoded)
			}
			if !strings.HasPrefix(encoded, "$argon2id$v=19$m=1024,t=1,p=1$") {
				t.Errorf("encoded %q does not carry TestParams", encoded)
			}
			ok, err := VerifyPassword(tt.password, encoded)
			if err != nil || !ok {
				t.Errorf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
			}
			ok, err = VerifyPassword(tt.password+"x", encoded)
			if err != nil || ok {
				t.Errorf("VerifyPassword(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashPasswordDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB argon2id is slow under -short")
	}
	encoded, err := HashPassword("Str0ng!Passw0rd#2026", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Errorf("encoded = %q; want DefaultParams prefix", encoded)
	}
	if ok, err := VerifyPassword("Str0ng!Passw0rd#2026", encoded); err != nil || !ok {
		t.Errorf("VerifyPassword = %v, %v; want true, nil", ok, err)
	}
	if NeedsRehash(encoded, DefaultParams) {
		t.Error("fresh DefaultParams hash reported as needing rehash")
	}
}

func TestHashPasswordSalted(t *testing.T) {
	a, err := HashPassword("same", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword("same", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two hashes of the same password are equal; salt is not random")
	}
}

func TestHashPasswordRejectsBadParams(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
	}{
		{"zero memory", func(p *Params) { p.Memory = 0 }},
		{"huge memory", func(p *Params) { p.Memory = maxMemory + 1 }},
		{"zero iterations", func(p *Params) { p.Iterations = 0 }},
		{"zero parallelism", func(p *Params) { p.Parallelism = 0 }},
		{"short salt", func(p *Params) { p.SaltLen = 4 }},
		{"short key", func(p *Params) { p.KeyLen = 8 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := TestParams
			tt.edit(&p)
			if _, err := HashPassword("x", p); err == nil {
				t.Errorf("HashPassword with %+v: want error", p)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := HashPassword("pw", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", alg, v, params, salt, hash
	join := func(p ...string) string { return strings.Join(p, "$") }
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "pw"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("", "argon2i", parts[2], parts[3], parts[4], parts[5])},
		{"old version", join("", parts[1], "v=16", parts[3], parts[4], parts[5])},
		{"missing field", join("", parts[1], parts[2], parts[3], parts[4])},
		{"extra field", good + "$x"},
		{"params out of order", join("", parts[1], parts[2], "t=1,m=1024,p=1", parts[4], parts[5])},
		{"missing p", join("", parts[1], parts[2], "m=1024,t=1", parts[4], parts[5])},
		{"leading zero", join("", parts[1], parts[2], "m=01024,t=1,p=1", parts[4], parts[5])},
		{"negative", join("", parts[1], parts[2], "m=1024,t=-1,p=1", parts[4], parts[5])},
		{"parallelism overflow", join("", parts[1], parts[2], "m=1024,t=1,p=256", parts[4], parts[5])},
		{"huge memory", join("", parts[1], parts[2], "m=4194304,t=1,p=1", parts[4], parts[5])},
		{"too many iterations", join("", parts[1], parts[2], "m=1024,t=1000,p=1", parts[4], parts[5])},
		{"padded salt", join("", parts[1], parts[2], parts[3], parts[4]+"==", parts[5])},
		{"bad base64 hash", join("", parts[1], parts[2], parts[3], parts[4], "!!!")},
		{"short salt", join("", parts[1], parts[2], parts[3], "AAAA", parts[5])},
		{"short hash", join("", parts[1], parts[2], parts[3], parts[4], "AAAA")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword("pw", tt.encoded)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("VerifyPassword(%q) = %v, %v; want false, ErrMalformedHash", tt.encoded, ok, err)
			}
			if !NeedsRehash(tt.encoded, TestParams) {
				t.Errorf("NeedsRehash(%q) = false; want true for unreadable hash", tt.encoded)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	encoded, err := HashPassword("pw", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Params)
		want bool
	}{
		{"same params", func(*Params) {}, false},
		{"more memory", func(p *Params) { p.Memory *= 2 }, true},
		{"more iterations", func(p *Params) { p.Iterations++ }, true},
		{"more parallelism", func(p *Params) { p.Parallelism++ }, true},
		{"longer salt", func(p *Params) { p.SaltLen = 32 }, true},
		{"longer key", func(p *Params) { p.KeyLen = 64 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := TestParams
			tt.edit(&p)
			if got := NeedsRehash(encoded, p); got != tt.want {
				t.Errorf("NeedsRehash(%+v) = %v; want %v", p, got, tt.want)
			}
		})
	}
}

// TestDummyVerifyCost checks DummyVerify really does the work of a
// DefaultParams verification instead of returning at once.
func TestDummyVerifyCost(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB argon2id is slow under -short")
	}
	encoded := encodePHC(DefaultParams, make([]byte, DefaultParams.SaltLen), make([]byte, DefaultParams.KeyLen))
	start := time.Now()
	if _, err := VerifyPassword("guess", encoded); err != nil {
		t.Fatal(err)
	}
	verifyTime := time.Since(start)
	start = time.Now()
	DummyVerify("guess")
	dummyTime := time.Since(start)
	t.Logf("real verify %v, dummy verify %v", verifyTime, dummyTime)
	if dummyTime < verifyTime/5 {
		t.Errorf("DummyVerify took %v, far less than a real verify (%v)", dummyTime, verifyTime)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("Str0ng!Passw0rd#2026", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

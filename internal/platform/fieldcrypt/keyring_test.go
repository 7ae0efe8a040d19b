package fieldcrypt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testMaster returns a deterministic 32-byte master key whose bytes are
// seed, seed+1, ...
func testMaster(seed byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func mustNew(t *testing.T, masters ...[]byte) *Keyring {
	t.Helper()
	k, err := New(masters...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

// Golden vectors for master key 00 01 02 ... 1f, computed outside Go (Python
// hashlib/hmac and the cryptography package's AESGCM). They pin the key id
// rule, the HKDF derivation and the value format: if any of them changes,
// data already stored becomes unreadable.
const (
	goldenKeyID      = "21378142"
	goldenLookupHash = "e5c52d22c7ed289b5c4ee564e5f7b5245412265eb077c8fa222bdd32afe7c6b1"
	goldenPlaintext  = "张三 13812341234"
	goldenAAD        = "accounts.name|42"
	goldenValue      = "v1.21378142.ZGVmZ2hpamtsbW5vKhFEjBbuvZLVNPgbHvSobN8I54qC9-AvHMkR6HR-0LAwLA"
)

func TestGoldenVectors(t *testing.T) {
	k := mustNew(t, testMaster(0))
	if got := k.CurrentKeyID(); got != goldenKeyID {
		t.Errorf("CurrentKeyID = %q, want %q", got, goldenKeyID)
	}
	if got := k.LookupHash("accounts.email", "zhang.san@example.com"); got != goldenLookupHash {
		t.Errorf("LookupHash = %q, want %q", got, goldenLookupHash)
	}
	got, err := k.Decrypt(goldenValue, goldenAAD)
	if err != nil {
		t.Fatalf("Decrypt(golden): %v", err)
	}
	if got != goldenPlaintext {
		t.Errorf("Decrypt(golden) = %q, want %q", got, goldenPlaintext)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	k := mustNew(t, testMaster(1))
	tests := []struct {
		name, plaintext, aad string
	}{
		{"email", "zhang.san@example.com", "accounts.email|1"},
		{"mobile", "+8613812341234", "accounts.mobile|1"},
		{"chinese name", "欧阳娜娜", "accounts.name|7"},
		{"address", "广东省深圳市南山区科技园路1号", "addresses.line|9"},
		{"empty plaintext", "", "accounts.email|2"},
		{"empty aad", "secret value", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := k.Encrypt(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			prefix := "v1." + k.CurrentKeyID() + "."
			if !strings.HasPrefix(enc, prefix) {
				t.Fatalf("Encrypt = %q, want prefix %q", enc, prefix)
			}
			if tt.plaintext != "" && strings.Contains(enc, tt.plaintext) {
				t.Fatalf("Encrypt output contains the plaintext")
			}
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(enc, prefix))
			if err != nil {
				t.Fatalf("payload not base64url-nopad: %v", err)
			}
			if want := 12 + len(tt.plaintext) + 16; len(raw) != want {
				t.Errorf("payload is %d bytes, want nonce+ciphertext+tag = %d", len(raw), want)
			}
			got, err := k.Decrypt(enc, tt.aad)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if got != tt.plaintext {
				t.Errorf("Decrypt = %q, want %q", got, tt.plaintext)
			}
			again, err := k.Encrypt(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if again == enc {
				t.Errorf("two encryptions are identical; nonce not random")
			}
		})
	}
}

func TestDecryptFailures(t *testing.T) {
	k := mustNew(t, testMaster(1))
	const aad = "accounts.email|1"
	enc, err := k.Encrypt("zhang.san@example.com", aad)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "v1." + k.CurrentKeyID() + "."
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(enc, prefix))
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return prefix + base64.RawURLEncoding.EncodeToString(b)
	}
	other := mustNew(t, testMaster(2))
	otherEnc, err := other.Encrypt("zhang.san@example.com", aad)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, value, aad string
	}{
		{"wrong aad", enc, "accounts.email|2"},
		{"aad of other column", enc, "accounts.mobile|1"},
		{"tampered nonce", tamper(0), aad},
		{"tampered ciphertext", tamper(12), aad},
		{"tampered tag", tamper(len(raw) - 1), aad},
		{"truncated", enc[:len(enc)-4], aad},
		{"payload too short", prefix + "AAAA", aad},
		{"not base64", prefix + "!!!!", aad},
		{"unknown key id", otherEnc, aad},
		{"forged key id", strings.Replace(enc, k.CurrentKeyID(), "00000000", 1), aad},
		{"wrong version", "v2" + strings.TrimPrefix(enc, "v1"), aad},
		{"clear text", "zhang.san@example.com", aad},
		{"empty", "", aad},
		{"missing payload", prefix, aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Decrypt(tt.value, tt.aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Decrypt err = %v, want ErrDecrypt", err)
			}
			if got != "" {
				t.Errorf("Decrypt returned %q alongside an error", got)
			}
			if strings.Contains(err.Error(), "zhang.san") {
				t.Errorf("error %q reveals the value", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	oldMaster, newMaster := testMaster(10), testMaster(20)
	oldRing := mustNew(t, oldMaster)
	const aad = "accounts.mobile|5"
	oldValue, err := oldRing.Encrypt("13812341234", aad)
	if err != nil {
		t.Fatal(err)
	}

	ring := mustNew(t, newMaster, oldMaster)
	if got, want := ring.CurrentKeyID(), KeyID(newMaster); got != want {
		t.Fatalf("CurrentKeyID = %s, want the first master's id %s", got, want)
	}
	if got := ring.KeyIDs(); len(got) != 2 || got[0] != KeyID(newMaster) || got[1] != KeyID(oldMaster) {
		t.Errorf("KeyIDs = %v, want [new old]", got)
	}
	got, err := ring.Decrypt(oldValue, aad)
	if err != nil || got != "13812341234" {
		t.Fatalf("Decrypt(old value) = %q, %v; want clear value", got, err)
	}
	newValue, err := ring.Encrypt(got, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(newValue, "v1."+KeyID(newMaster)+".") {
		t.Errorf("new value %q not under the new key", newValue)
	}
	if _, err := oldRing.Decrypt(newValue, aad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("old ring decrypted a value under the new key: %v", err)
	}

	tests := []struct {
		name  string
		value string
		want  bool
	}{
		{"old key", oldValue, true},
		{"current key", newValue, false},
		{"unknown key", strings.Replace(newValue, KeyID(newMaster), "deadbeef", 1), true},
		{"legacy clear text", "13812341234", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ring.NeedsRotation(tt.value); got != tt.want {
				t.Errorf("NeedsRotation(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}

	hashes := ring.LookupHashes("accounts.mobile", "+8613812341234")
	if len(hashes) != 2 ||
		hashes[0] != ring.LookupHash("accounts.mobile", "+8613812341234") ||
		hashes[1] != oldRing.LookupHash("accounts.mobile", "+8613812341234") {
		t.Errorf("LookupHashes = %v, want [current-key hash, old-key hash]", hashes)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		masters [][]byte
	}{
		{"no keys", nil},
		{"short key", [][]byte{make([]byte, 16)}},
		{"long key", [][]byte{make([]byte, 33)}},
		{"bad older key", [][]byte{testMaster(1), make([]byte, 31)}},
		{"duplicate key", [][]byte{testMaster(1), testMaster(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := New(tt.masters...); err == nil {
				t.Errorf("New succeeded with key ids %v, want error", k.KeyIDs())
			}
		})
	}
}

func TestLookupHash(t *testing.T) {
	k := mustNew(t, testMaster(1))
	h := k.LookupHash("accounts.email", "zhang.san@example.com")
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("LookupHash = %q, want 64 lower-case hex chars", h)
	}
	tests := []struct {
		name           string
		purpose, value string
		ring           *Keyring
		same           bool
	}{
		{"deterministic", "accounts.email", "zhang.san@example.com", k, true},
		{"deterministic across rings", "accounts.email", "zhang.san@example.com", mustNew(t, testMaster(1)), true},
		{"other purpose", "accounts.mobile", "zhang.san@example.com", k, false},
		{"other value", "accounts.email", "li.si@example.com", k, false},
		{"not normalised", "accounts.email", "Zhang.San@example.com", k, false},
		{"separator not ambiguous", "accounts.emailz", "hang.san@example.com", k, false},
		{"other key", "accounts.email", "zhang.san@example.com", mustNew(t, testMaster(2)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.ring.LookupHash(tt.purpose, tt.value)
			if (got == h) != tt.same {
				t.Errorf("LookupHash(%q, %q) = %s; equal to reference %s: %v, want %v",
					tt.purpose, tt.value, got, h, got == h, tt.same)
			}
		})
	}
}

func TestKeysAreDerived(t *testing.T) {
	// The master key must not be used directly for either purpose.
	master := testMaster(3)
	k := mustNew(t, master)
	direct, err := NewAESGCM(master)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := k.Encrypt("secret", "aad")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := base64.RawURLEncoding.DecodeString(enc[len("v1.")+keyIDLen+1:])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Open(sealed, []byte("aad")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("value opens under the raw master key (err %v); keys are not derived", err)
	}
	if k.keys[0].lookupKey == nil || bytes.Equal(k.keys[0].lookupKey, master) {
		t.Errorf("look-up key equals the master key")
	}
}

func TestNewAESGCMKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewAESGCM(make([]byte, n)); err == nil {
			t.Errorf("NewAESGCM accepted a %d-byte key", n)
		}
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	k := mustNew(t, testMaster(1), testMaster(2))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			aad := fmt.Sprintf("accounts.email|%d", i)
			for range 50 {
				enc, err := k.Encrypt("zhang.san@example.com", aad)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := k.Decrypt(enc, aad); err != nil || got != "zhang.san@example.com" {
					t.Errorf("Decrypt = %q, %v", got, err)
					return
				}
				_ = k.LookupHash("accounts.email", "zhang.san@example.com")
			}
		})
	}
	wg.Wait()
}

func TestKeyringStringHidesKeys(t *testing.T) {
	k := mustNew(t, testMaster(1))
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k)} {
		if want := "fieldcrypt.Keyring{current: " + k.CurrentKeyID() + ", keys: 1}"; s != want {
			t.Errorf("formatted Keyring = %q, want %q", s, want)
		}
	}
}

package credential

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	for _, prefix := range []string{TokenPrefixSession, TokenPrefixAPIKey, ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			seen := make(map[string]bool)
			for range 1000 {
				token, hash := NewToken(prefix)
				body, ok := strings.CutPrefix(token, prefix)
				if !ok {
					t.Fatalf("token %q lacks prefix %q", token, prefix)
				}
				raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
				if err != nil || len(raw) != tokenBytes {
					t.Fatalf("token body %q: %d bytes, err %v; want %d random bytes in base64url", body, len(raw), err, tokenBytes)
				}
				sum := sha256.Sum256([]byte(token))
				if want := hex.EncodeToString(sum[:]); hash != want || HashToken(token) != want {
					t.Fatalf("hash %q; want hex SHA-256 of the whole token %q", hash, want)
				}
				if seen[token] || seen[hash] {
					t.Fatalf("duplicate token %q", token)
				}
				seen[token], seen[hash] = true, true
			}
		})
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct {
		token, want string
	}{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := HashToken(tt.token); got != tt.want {
			t.Errorf("HashToken(%q) = %s; want %s", tt.token, got, tt.want)
		}
	}
	if HashToken("gbs_x") == HashToken("gbk_x") {
		t.Error("prefix must be part of the hashed token")
	}
}

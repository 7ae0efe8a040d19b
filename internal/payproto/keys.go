// Package payproto is the wire protocol between gbmall and a licensed
// payment provider (../shared/docs/payment-protocol.md, GB/T 31524 §6.5 and
// §8): Ed25519 keys, the Signature header, its verification (clock window
// and nonce replay), a signing HTTP client and the request and response
// bodies of every call. Both sides use it: the platform and `gbmall paysim`.
package payproto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyPair is one side's Ed25519 signing key. ID is derived from the public
// key (KeyIDOf), so the same key always has the same id.
type KeyPair struct {
	ID      string
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// GenerateKey makes a new key pair from the system's random source.
func GenerateKey() (*KeyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("payproto: generate key: %w", err)
	}
	return &KeyPair{ID: KeyIDOf(pub), Private: priv, Public: pub}, nil
}

// KeyIDOf derives a key id: the first 8 bytes of SHA-256 of the raw public
// key, in lower-case hex (16 characters). Either side may register another
// id for its key; this is only the default both gbmall and paysim use.
func KeyIDOf(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// PublicKeyBase64 is the raw 32-byte public key in standard base64, the form
// the protocol exchanges ("public_key").
func (k *KeyPair) PublicKeyBase64() string { return base64.StdEncoding.EncodeToString(k.Public) }

// Info is the key's public half as published ({"key_id", "public_key"}).
func (k *KeyPair) Info() PublicKeyInfo {
	return PublicKeyInfo{KeyID: k.ID, PublicKey: k.PublicKeyBase64()}
}

// MarshalPEM encodes the private key as PKCS #8 PEM ("PRIVATE KEY").
func (k *KeyPair) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, fmt.Errorf("payproto: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePublicKey decodes a "public_key" value: the raw 32-byte Ed25519 key
// in standard base64 (unpadded and URL-safe forms are accepted too).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("payproto: public key is not base64")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("payproto: public key has %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// ParsePrivateKey reads a private key from PKCS #8 PEM, or from base64 of the
// 32-byte seed or the 64-byte private key (the form convenient in an
// environment variable).
func ParsePrivateKey(data []byte) (*KeyPair, error) {
	var priv ed25519.PrivateKey
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("payproto: PEM block %q, want PRIVATE KEY", block.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("payproto: parse key: %w", err)
		}
		p, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, errors.New("payproto: key is not Ed25519")
		}
		priv = p
	} else {
		b, err := decodeBase64(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, errors.New("payproto: key is neither PEM nor base64")
		}
		switch len(b) {
		case ed25519.SeedSize:
			priv = ed25519.NewKeyFromSeed(b)
		case ed25519.PrivateKeySize:
			priv = ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
			if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(b[ed25519.SeedSize:])) {
				return nil, errors.New("payproto: private key's public half does not match its seed")
			}
		default:
			return nil, fmt.Errorf("payproto: key has %d bytes, want %d or %d", len(b), ed25519.SeedSize, ed25519.PrivateKeySize)
		}
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &KeyPair{ID: KeyIDOf(pub), Private: priv, Public: pub}, nil
}

// ErrKeyFileMode is returned by LoadKey for a key file that its group or
// other users may read or write (§8 security: private keys only with mode 0600).
var ErrKeyFileMode = errors.New("payproto: key file is accessible to group or others; chmod 600 it")

// LoadKey reads a private key file written by SaveKey. It refuses a file
// whose mode lets group or others read or write it.
func LoadKey(path string) (*KeyPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o", ErrKeyFileMode, path, st.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// SaveKey writes k to path as PKCS #8 PEM with mode 0600, atomically
// (a temporary file in the same directory renamed over path).
func SaveKey(path string, k *KeyPair) error {
	data, err := k.MarshalPEM()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// LoadOrCreateKey loads the key at path, or generates and saves one when
// the file does not exist. created reports which happened.
func LoadOrCreateKey(path string) (k *KeyPair, created bool, err error) {
	k, err = LoadKey(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if k, err = GenerateKey(); err != nil {
		return nil, false, err
	}
	if err := SaveKey(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

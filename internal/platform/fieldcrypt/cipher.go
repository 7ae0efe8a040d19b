package fieldcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// ErrDecrypt is returned, possibly wrapped, whenever a value cannot be
// decrypted: malformed input, an unknown key id, the wrong additional data or
// tampering. Callers test for it with errors.Is and should treat every case
// the same way, without telling users which check failed.
var ErrDecrypt = errors.New("fieldcrypt: cannot decrypt value")

// Cipher is the one interface behind which field cryptography sits
// (AES-256-GCM now; SM4-GCM could implement it later). Keeping the algorithm
// behind it lets the national-standard cipher be introduced by adding an
// implementation instead of changing every caller.
//
// Implementations must be safe for concurrent use and must be authenticated:
// Open fails if sealed or additionalData were altered.
type Cipher interface {
	// Seal encrypts and authenticates plaintext, binding additionalData to
	// it, and returns nonce||ciphertext. A fresh nonce is used per call.
	Seal(plaintext, additionalData []byte) ([]byte, error)
	// Open reverses Seal. It fails with an error wrapping ErrDecrypt if
	// sealed was modified or additionalData differs from the one given to
	// Seal.
	Open(sealed, additionalData []byte) ([]byte, error)
}

// KeySize is the length in bytes of master keys and of the derived
// AES-256 and HMAC keys.
const KeySize = 32

// aesGCM is the AES-256-GCM Cipher with random 96-bit nonces.
type aesGCM struct {
	aead cipher.AEAD
}

// NewAESGCM returns a Cipher that seals with AES-256-GCM under key, which
// must be exactly 32 bytes. Nonces are random, so one key must not seal more
// than 2^32 values; rotate well before that.
func NewAESGCM(key []byte) (Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("fieldcrypt: AES-256-GCM key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: %w", err)
	}
	// NewGCMWithRandomNonce draws the nonce itself and prepends it to the
	// output, which is exactly the nonce||ciphertext layout Cipher promises.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: %w", err)
	}
	return aesGCM{aead: aead}, nil
}

// Seal implements Cipher.
func (c aesGCM) Seal(plaintext, additionalData []byte) ([]byte, error) {
	return c.aead.Seal(nil, nil, plaintext, additionalData), nil
}

// Open implements Cipher.
func (c aesGCM) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < c.aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed value too short", ErrDecrypt)
	}
	plaintext, err := c.aead.Open(nil, nil, sealed, additionalData)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrDecrypt)
	}
	return plaintext, nil
}

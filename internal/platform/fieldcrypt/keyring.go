package fieldcrypt

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Format constants of encrypted values: "v1.<keyid>.<payload>".
const (
	formatVersion = "v1"
	keyIDLen      = 8 // hex characters
)

// HKDF info strings. They fix the derivation of every stored value and hash:
// changing them makes existing data unreadable, so they are pinned by tests.
const (
	infoFieldKey  = "gbmall/fieldcrypt/v1 aes-256-gcm field key"
	infoLookupKey = "gbmall/fieldcrypt/v1 hmac-sha256 lookup key"
)

// payloadEncoding is strict so that each sealed value has exactly one
// textual form.
var payloadEncoding = base64.RawURLEncoding.Strict()

// ringKey is one master key's derived material.
type ringKey struct {
	id        string
	cipher    Cipher
	lookupKey []byte
}

// Keyring holds the field keys by key id, one of them current, plus a
// separate HMAC key for look-up hashes. Values are always encrypted under the
// current key; the older keys are kept only so that values written before a
// rotation stay readable.
//
// A Keyring is immutable after construction and safe for concurrent use.
type Keyring struct {
	keys []ringKey // keys[0] is current; the rest are older, in given order
	byID map[string]*ringKey
}

// New builds a keyring directly from raw 32-byte master keys (first is
// current) — used by tests and by Load. Each master yields, through
// HKDF-SHA256, an AES-256-GCM key and an HMAC-SHA256 look-up key; the masters
// themselves are not retained. Two masters with the same key id are an
// error.
func New(masters ...[]byte) (*Keyring, error) {
	if len(masters) == 0 {
		return nil, errors.New("fieldcrypt: at least one master key is required")
	}
	k := &Keyring{
		keys: make([]ringKey, 0, len(masters)),
		byID: make(map[string]*ringKey, len(masters)),
	}
	for i, master := range masters {
		rk, err := deriveKey(master)
		if err != nil {
			return nil, fmt.Errorf("fieldcrypt: master key %d: %w", i, err)
		}
		for _, prev := range k.keys {
			if prev.id == rk.id {
				return nil, fmt.Errorf("fieldcrypt: master key %d duplicates key id %s", i, rk.id)
			}
		}
		k.keys = append(k.keys, rk)
	}
	for i := range k.keys {
		k.byID[k.keys[i].id] = &k.keys[i]
	}
	return k, nil
}

// KeyID returns the id of a master key: the first 8 hex characters of
// SHA-256 of "gbmall-keyid|" + master. It identifies the key in encrypted
// values and key file names without revealing it.
func KeyID(master []byte) string {
	h := sha256.New()
	h.Write([]byte("gbmall-keyid|"))
	h.Write(master)
	return hex.EncodeToString(h.Sum(nil))[:keyIDLen]
}

// deriveKey derives the per-purpose keys of one master key.
func deriveKey(master []byte) (ringKey, error) {
	if len(master) != KeySize {
		return ringKey{}, fmt.Errorf("must be %d bytes, got %d", KeySize, len(master))
	}
	fieldKey, err := hkdf.Key(sha256.New, master, nil, infoFieldKey, KeySize)
	if err != nil {
		return ringKey{}, err
	}
	lookupKey, err := hkdf.Key(sha256.New, master, nil, infoLookupKey, KeySize)
	if err != nil {
		return ringKey{}, err
	}
	c, err := NewAESGCM(fieldKey)
	if err != nil {
		return ringKey{}, err
	}
	return ringKey{id: KeyID(master), cipher: c, lookupKey: lookupKey}, nil
}

// CurrentKeyID returns the id of the current key, the one Encrypt uses. It
// is what an operator names the key file when retiring the key.
func (k *Keyring) CurrentKeyID() string {
	return k.keys[0].id
}

// KeyIDs returns the ids of all keys in the ring, current first, so that
// operators can see which keys a deployment can still read.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, len(k.keys))
	for i, rk := range k.keys {
		ids[i] = rk.id
	}
	return ids
}

// String describes the ring by key ids only, so that printing or logging a
// Keyring by mistake cannot reveal key material.
func (k *Keyring) String() string {
	return fmt.Sprintf("fieldcrypt.Keyring{current: %s, keys: %d}", k.CurrentKeyID(), len(k.keys))
}

// GoString is String, covering the %#v verb.
func (k *Keyring) GoString() string { return k.String() }

// Encrypt returns a self-describing string
// "v1.<keyid>.<base64url-nopad(nonce||ciphertext)>" under the current key.
// aad binds the value to its column/row, e.g. "accounts.email|<account id>";
// decrypting with another aad fails, so ciphertexts cannot be swapped
// between rows. The result is different on every call.
func (k *Keyring) Encrypt(plaintext, aad string) (string, error) {
	cur := &k.keys[0]
	sealed, err := cur.cipher.Seal([]byte(plaintext), []byte(aad))
	if err != nil {
		return "", fmt.Errorf("fieldcrypt: encrypt: %w", err)
	}
	return formatVersion + "." + cur.id + "." + payloadEncoding.EncodeToString(sealed), nil
}

// Decrypt reverses Encrypt with any key in the ring. A malformed value, an
// unknown key id, a different aad or tampering yields an error wrapping
// ErrDecrypt. The error never contains the value.
func (k *Keyring) Decrypt(value, aad string) (string, error) {
	id, payload, ok := parseValue(value)
	if !ok {
		return "", fmt.Errorf("%w: not a %s value", ErrDecrypt, formatVersion)
	}
	rk, ok := k.byID[id]
	if !ok {
		return "", fmt.Errorf("%w: unknown key id %s", ErrDecrypt, id)
	}
	sealed, err := payloadEncoding.DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("%w: bad encoding", ErrDecrypt)
	}
	plaintext, err := rk.cipher.Open(sealed, []byte(aad))
	if err != nil {
		if errors.Is(err, ErrDecrypt) {
			return "", err
		}
		return "", fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	return string(plaintext), nil
}

// NeedsRotation reports whether value was encrypted under a key other than
// the current one, i.e. whether a re-encryption sweep should rewrite it.
// Anything that is not a well-formed v1 value under the current key counts,
// including legacy clear text, so the sweep finds it too (Decrypt then
// reports it).
func (k *Keyring) NeedsRotation(value string) bool {
	id, _, ok := parseValue(value)
	return !ok || id != k.CurrentKeyID()
}

// parseValue splits "v1.<keyid>.<payload>" into key id and payload.
func parseValue(value string) (id, payload string, ok bool) {
	version, rest, ok := strings.Cut(value, ".")
	if !ok || version != formatVersion {
		return "", "", false
	}
	id, payload, ok = strings.Cut(rest, ".")
	if !ok || len(id) != keyIDLen || payload == "" {
		return "", "", false
	}
	return id, payload, true
}

// LookupHash returns hex HMAC-SHA256 over purpose+"\x00"+value under the
// look-up key of the current master: a deterministic, keyed hash used to
// find rows by email or mobile without storing them in clear. purpose (e.g.
// "accounts.email") separates domains so equal values in different columns
// hash differently. Callers normalise value first (trim, lower-case e-mail,
// E.164 mobile), since any byte difference changes the hash.
func (k *Keyring) LookupHash(purpose, value string) string {
	return lookupHash(k.keys[0].lookupKey, purpose, value)
}

// LookupHashes returns LookupHash of purpose and value under every key in
// the ring, current first. The look-up key changes with the master key, so
// during a rotation sweep rows not yet rewritten still carry an old hash;
// querying with all of these keeps them findable.
func (k *Keyring) LookupHashes(purpose, value string) []string {
	hashes := make([]string, len(k.keys))
	for i, rk := range k.keys {
		hashes[i] = lookupHash(rk.lookupKey, purpose, value)
	}
	return hashes
}

func lookupHash(key []byte, purpose, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Package fieldcrypt encrypts personal-information columns at rest and
// keeps those values out of views and logs.
//
// It implements GB/T 31524 §9.3 for the platform (requirements R-10.4-10 and
// R-10.4-11): personal data such as e-mail addresses, mobile numbers, ID
// numbers, names and addresses are stored only as AES-256-GCM ciphertext,
// under keys that live outside the database and can be rotated. All
// cryptography sits behind the [Cipher] interface so that an SM4-GCM
// implementation can be added later without touching callers.
//
// # Values
//
// [Keyring.Encrypt] produces a self-describing string
//
//	v1.<keyid>.<base64url-nopad(nonce || ciphertext || tag)>
//
// The key id names the master key the value was sealed under, so a ring that
// holds several keys can decrypt old values while encrypting new ones under
// the current key. The additional authenticated data (aad) binds a value to
// its place, for example "accounts.email|<account id>": a ciphertext copied
// into another column or row no longer decrypts.
//
// Rows are found by e-mail or mobile through [Keyring.LookupHash], a keyed
// HMAC-SHA256 that is deterministic but useless without the key.
//
// # Keys
//
// [Load] reads one 32-byte master key from GBMALL_MASTER_KEY or from
// <dataDir>/keys/master.key (creating that file on first start). Per-purpose
// keys are derived from it with HKDF-SHA256: one for field encryption, one
// for look-up hashes. The master key itself is never kept in memory after
// derivation and never used directly.
//
// # Rotation
//
//  1. Move keys/master.key to keys/master-<CurrentKeyID>.key (or, when the
//     key comes from GBMALL_MASTER_KEY, write the old value to that file
//     with mode 0600 and set a new value in the variable).
//  2. Restart: [Load] creates a new current key and keeps the old one for
//     decryption.
//  3. Sweep the encrypted columns: for every value where
//     [Keyring.NeedsRotation] is true, Decrypt and Encrypt it again, and
//     recompute its look-up hashes. Until the sweep is done, look rows up
//     with every hash from [Keyring.LookupHashes].
//  4. Delete the old key file once no value refers to it.
//
// # Masking
//
// [MaskMobile], [MaskEmail], [MaskIDNumber], [MaskName] and [MaskAddress]
// produce the partially hidden forms shown in views (R-9.3-1). For logs,
// wrap a value in [Redacted]; its slog LogValue is always the masked form, so
// a clear value cannot reach a log line by accident.
package fieldcrypt

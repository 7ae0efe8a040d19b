// Package credential holds gbmall's storage-free authentication rules:
// how passwords are hashed and judged, how logins are normalised, how
// TOTP second factors are issued and checked, and how bearer tokens are
// minted. Nothing here touches a database or the network, so every rule can
// be unit tested and reused by the API, the console and batch jobs alike.
//
// The rules implement GB/T 31524 §10.4 (authentication of e-commerce
// platform users) and the level-3 identity requirements of GB/T 22239.
// Requirement ids appear in short comments next to the code that meets them:
//
//   - R-10.4-1: password complexity and salted, slow one-way storage.
//   - R-10.4-4: a second authentication factor (RFC 6238 TOTP).
//
// User-facing messages are i18n.Text values carrying Chinese and English,
// so the edge can answer in the caller's language.
package credential

package fieldcrypt

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvMasterKey names the environment variable that, when set, supplies the
// current master key instead of the key file.
const EnvMasterKey = "GBMALL_MASTER_KEY"

// Key file layout under the data directory.
const (
	keysDirName       = "keys"
	currentKeyFile    = "master.key"
	oldKeyFilePrefix  = "master-"
	oldKeyFileSuffix  = ".key"
	keysDirPerm       = 0o700
	keyFilePerm       = 0o600
	maxKeyFileSize    = 4096
	permCheckDisabled = runtime.GOOS == "windows" // Unix mode bits are meaningless there
)

// Load returns the keyring. Keys live outside the database so that a copy
// of the database alone reveals no personal data. Source of the master key,
// in this order:
//
//  1. getenv("GBMALL_MASTER_KEY"): base64 (std or raw-url) of exactly 32
//     bytes; an invalid value is an error naming the variable (the value is
//     never printed).
//  2. the file <dataDir>/keys/master.key, created (directory mode 0700, file
//     mode 0600, holding base64 of 32 random bytes) if it does not exist. A
//     file with a mode more open than 0600 is refused, since anyone able to
//     read it can read every encrypted column.
//
// Older keys for rotation are the files <dataDir>/keys/master-<keyid>.key
// (same format and mode rule); they are loaded as non-current keys. Their
// <keyid> must match the key they hold, which catches mislabelled files. A
// copy of the current key among them is ignored.
//
// getenv is usually os.Getenv; nil means os.Getenv.
func Load(dataDir string, getenv func(string) string) (*Keyring, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	keysDir := filepath.Join(dataDir, keysDirName)

	var current []byte
	if env := getenv(EnvMasterKey); env != "" {
		key, err := decodeMasterKey(env)
		if err != nil {
			return nil, fmt.Errorf("fieldcrypt: %s is not base64 of %d bytes", EnvMasterKey, KeySize)
		}
		current = key
	} else {
		if dataDir == "" {
			return nil, fmt.Errorf("fieldcrypt: no data directory and %s not set", EnvMasterKey)
		}
		key, err := loadOrCreateCurrent(keysDir)
		if err != nil {
			return nil, err
		}
		current = key
	}

	masters := [][]byte{current}
	if dataDir != "" {
		older, err := loadOlderKeys(keysDir, KeyID(current))
		if err != nil {
			return nil, err
		}
		masters = append(masters, older...)
	}
	ring, err := New(masters...)
	for _, m := range masters {
		clear(m) // only the derived keys are needed from here on
	}
	return ring, err
}

// decodeMasterKey accepts standard or raw URL base64 of exactly KeySize
// bytes, surrounded by optional white space (a trailing newline in a file).
func decodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, errors.New("invalid master key encoding or length")
}

// loadOrCreateCurrent reads keys/master.key, creating it on first start.
func loadOrCreateCurrent(keysDir string) ([]byte, error) {
	path := filepath.Join(keysDir, currentKeyFile)
	key, err := readKeyFile(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(keysDir, keysDirPerm); err != nil {
		return nil, fmt.Errorf("fieldcrypt: create key directory: %w", err)
	}
	if err := createKeyFile(path); err != nil {
		// Another process may have created it first (O_EXCL): use theirs.
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return readKeyFile(path)
}

// createKeyFile writes a fresh random master key to path, which must not
// exist yet.
func createKeyFile(path string) (err error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("fieldcrypt: generate master key: %w", err)
	}
	defer clear(key)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, keyFilePerm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("fieldcrypt: create key file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("fieldcrypt: write key file: %w", cerr)
		}
		if err != nil {
			os.Remove(path) // never leave a half-written key behind
		}
	}()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return fmt.Errorf("fieldcrypt: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fieldcrypt: write key file: %w", err)
	}
	return nil
}

// readKeyFile reads and decodes one key file after checking its mode. A
// missing file yields an error wrapping fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("fieldcrypt: open key file: %w", err)
	}
	defer f.Close()

	// Stat the open file, not the path, so the checked file is the read one.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: stat key file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("fieldcrypt: key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); !permCheckDisabled && perm&^keyFilePerm != 0 {
		return nil, fmt.Errorf("fieldcrypt: key file %s has mode %04o, want %04o or stricter", path, perm, keyFilePerm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: read key file %s: %w", path, err)
	}
	defer clear(data)
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("fieldcrypt: key file %s is too large", path)
	}
	key, err := decodeMasterKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: key file %s is not base64 of %d bytes", path, KeySize)
	}
	return key, nil
}

// loadOlderKeys reads keys/master-<keyid>.key files in name order, skipping
// a copy of the current key. A missing directory means no older keys.
func loadOlderKeys(keysDir, currentID string) ([][]byte, error) {
	entries, err := os.ReadDir(keysDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fieldcrypt: read key directory: %w", err)
	}
	var keys [][]byte
	for _, e := range entries {
		name := e.Name()
		id, ok := strings.CutPrefix(name, oldKeyFilePrefix)
		if !ok || e.IsDir() {
			continue
		}
		if id, ok = strings.CutSuffix(id, oldKeyFileSuffix); !ok {
			continue
		}
		key, err := readKeyFile(filepath.Join(keysDir, name))
		if err != nil {
			return nil, err
		}
		got := KeyID(key)
		if got != id {
			return nil, fmt.Errorf("fieldcrypt: key file %s holds key id %s, not %s", name, got, id)
		}
		if got == currentID {
			continue
		}
		keys = append(keys, key)
	}
	return keys, nil
}

package fieldcrypt

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// env returns a getenv that knows only the given variables.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

var noEnv = env(nil)

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes are not enforced on Windows")
	}
}

// writeKey writes master as a key file with exactly the given mode.
func writeKey(t *testing.T, path string, master []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(master)+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is subject to umask
		t.Fatal(err)
	}
}

func TestLoadCreatesAndReusesKeyFile(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	first, err := Load(dir, noEnv)
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}

	keysDir := filepath.Join(dir, "keys")
	path := filepath.Join(keysDir, "master.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	dirInfo, err := os.Stat(keysDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := dirInfo.Mode().Perm(); got != 0o700 {
		t.Errorf("key directory mode = %04o, want 0700", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	master, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(master) != KeySize {
		t.Fatalf("key file holds %d bytes (err %v), want base64 of %d", len(master), err, KeySize)
	}
	if got, want := first.CurrentKeyID(), KeyID(master); got != want {
		t.Errorf("CurrentKeyID = %s, want id of the file's key %s", got, want)
	}

	enc, err := first.Encrypt("13812341234", "accounts.mobile|1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load(dir, noEnv)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if second.CurrentKeyID() != first.CurrentKeyID() {
		t.Errorf("second Load key id %s, want reused %s", second.CurrentKeyID(), first.CurrentKeyID())
	}
	if got, err := second.Decrypt(enc, "accounts.mobile|1"); err != nil || got != "13812341234" {
		t.Errorf("second ring Decrypt = %q, %v", got, err)
	}
	after, err := os.ReadFile(path)
	if err != nil || string(after) != string(data) {
		t.Errorf("key file changed by second Load")
	}
}

func TestLoadRefusesOpenKeyFile(t *testing.T) {
	skipOnWindows(t)
	tests := []struct {
		name string
		file string
		mode os.FileMode
		ok   bool
	}{
		{"current 0600", "master.key", 0o600, true},
		{"current 0400", "master.key", 0o400, true},
		{"current 0644", "master.key", 0o644, false},
		{"current 0640", "master.key", 0o640, false},
		{"current 0700", "master.key", 0o700, false},
		{"older 0644", "master-" + KeyID(testMaster(9)) + ".key", 0o644, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeKey(t, filepath.Join(dir, "keys", "master.key"), testMaster(1), 0o600)
			master := testMaster(1)
			if tt.file != "master.key" {
				master = testMaster(9)
			}
			writeKey(t, filepath.Join(dir, "keys", tt.file), master, tt.mode)

			k, err := Load(dir, noEnv)
			if tt.ok {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if k.CurrentKeyID() != KeyID(testMaster(1)) {
					t.Errorf("CurrentKeyID = %s, want the file's key", k.CurrentKeyID())
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted a key file with mode %04o", tt.mode)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadFromEnv(t *testing.T) {
	master := testMaster(5)
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"std base64", base64.StdEncoding.EncodeToString(master), true},
		{"raw url base64", base64.RawURLEncoding.EncodeToString(master), true},
		{"surrounding space", " " + base64.StdEncoding.EncodeToString(master) + "\n", true},
		{"too short", base64.StdEncoding.EncodeToString(master[:16]), false},
		{"too long", base64.StdEncoding.EncodeToString(append(master, 0)), false},
		{"not base64", "this is not a key!!", false},
		{"hex", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			k, err := Load(dir, env(map[string]string{"GBMALL_MASTER_KEY": tt.value}))
			if !tt.ok {
				if err == nil {
					t.Fatal("Load accepted an invalid GBMALL_MASTER_KEY")
				}
				if !strings.Contains(err.Error(), "GBMALL_MASTER_KEY") {
					t.Errorf("error %q does not name the variable", err)
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tt.value)) {
					t.Errorf("error %q prints the value", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := k.CurrentKeyID(), KeyID(master); got != want {
				t.Errorf("CurrentKeyID = %s, want %s from the variable", got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "keys", "master.key")); !os.IsNotExist(err) {
				t.Errorf("key file created although the variable was set (stat err %v)", err)
			}
		})
	}
}

func TestLoadEnvTakesPrecedenceOverFile(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, "keys", "master.key"), testMaster(1), 0o600)
	k, err := Load(dir, env(map[string]string{
		"GBMALL_MASTER_KEY": base64.StdEncoding.EncodeToString(testMaster(2)),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.CurrentKeyID(), KeyID(testMaster(2)); got != want {
		t.Errorf("CurrentKeyID = %s, want env key %s", got, want)
	}
}

func TestLoadOlderKeys(t *testing.T) {
	skipOnWindows(t)
	cur, old1, old2 := testMaster(1), testMaster(2), testMaster(3)
	older := func(m []byte) string { return "master-" + KeyID(m) + ".key" }

	tests := []struct {
		name    string
		files   map[string][]byte // file name in keys/ -> master
		envKey  []byte            // optional GBMALL_MASTER_KEY
		wantIDs []string
		wantErr string
	}{
		{
			name:    "current only",
			files:   map[string][]byte{"master.key": cur},
			wantIDs: []string{KeyID(cur)},
		},
		{
			name:    "two older keys",
			files:   map[string][]byte{"master.key": cur, older(old1): old1, older(old2): old2},
			wantIDs: []string{KeyID(cur), KeyID(old1), KeyID(old2)},
		},
		{
			name:    "older keys with env current",
			files:   map[string][]byte{older(old1): old1},
			envKey:  cur,
			wantIDs: []string{KeyID(cur), KeyID(old1)},
		},
		{
			name:    "copy of current ignored",
			files:   map[string][]byte{"master.key": cur, older(cur): cur},
			wantIDs: []string{KeyID(cur)},
		},
		{
			name:    "unrelated files ignored",
			files:   map[string][]byte{"master.key": cur, "master.key.bak": old1, "other-x.key": old2},
			wantIDs: []string{KeyID(cur)},
		},
		{
			name:    "mislabelled older key",
			files:   map[string][]byte{"master.key": cur, older(old1): old2},
			wantErr: older(old1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, m := range tt.files {
				writeKey(t, filepath.Join(dir, "keys", name), m, 0o600)
			}
			getenv := noEnv
			if tt.envKey != nil {
				getenv = env(map[string]string{"GBMALL_MASTER_KEY": base64.StdEncoding.EncodeToString(tt.envKey)})
			}
			k, err := Load(dir, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := strings.Join(k.KeyIDs(), ","); got != strings.Join(tt.wantIDs, ",") {
				t.Errorf("KeyIDs = %s, want %s", got, strings.Join(tt.wantIDs, ","))
			}
		})
	}
}

func TestLoadRejectsCorruptKeyFile(t *testing.T) {
	skipOnWindows(t)
	tests := []struct {
		name    string
		content string
	}{
		{"empty", ""},
		{"short key", base64.StdEncoding.EncodeToString(make([]byte, 16))},
		{"garbage", "not a key at all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "keys", "master.key")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir, noEnv); err == nil {
				t.Fatal("Load accepted a corrupt key file")
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != tt.content {
				t.Errorf("corrupt key file was overwritten")
			}
		})
	}
}

func TestLoadNeedsDataDirOrEnv(t *testing.T) {
	if _, err := Load("", noEnv); err == nil {
		t.Error("Load with no data directory and no variable succeeded")
	}
	k, err := Load("", env(map[string]string{"GBMALL_MASTER_KEY": base64.StdEncoding.EncodeToString(testMaster(4))}))
	if err != nil || k.CurrentKeyID() != KeyID(testMaster(4)) {
		t.Errorf("Load with variable only: err %v", err)
	}
}

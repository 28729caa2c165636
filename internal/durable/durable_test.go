package durable

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for _, content := range []string{"first", "second, longer", ""} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path); got != content {
			t.Errorf("file = %q, want %q", got, content)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", info.Mode(), err)
	}
	checkNames(t, dir, "state")
}

// TestReplaceFailureKeepsOldFile: a rename that fails leaves what was at
// the path and no temporary file.
func TestReplaceFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at the path makes the rename fail.
	path := filepath.Join(dir, "state")
	if err := os.MkdirAll(filepath.Join(path, "kept"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Replace(path, []byte("new"), 0o600, true)
	if err == nil || !strings.HasPrefix(err.Error(), "rename "+dir+"/.state.tmp ") {
		t.Errorf("Replace = %v", err)
	}
	checkNames(t, dir, "state")
	checkNames(t, path, "kept")
}

func TestReplaceMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	err := WriteFile(filepath.Join(dir, "state"), nil, 0o600)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "open "+dir+"/.state.tmp") {
		t.Errorf("WriteFile = %v", err)
	}
}

// TestReplaceAppends: Replace returns the new file open after its data,
// with or without sync, and a temporary file left by a crash is reused.
func TestReplaceAppends(t *testing.T) {
	for _, sync := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "log")
		if err := os.WriteFile(path, []byte("old log"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".log.tmp"), []byte("left by a crash, longer"), 0o640); err != nil {
			t.Fatal(err)
		}
		f, err := Replace(path, []byte("header|"), 0o640, sync)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("record")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path); got != "header|record" {
			t.Errorf("sync %v: file = %q", sync, got)
		}
		checkNames(t, dir, "log")
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if err := SyncDir(missing); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "syncing directory: open "+missing) {
		t.Errorf("SyncDir(missing) = %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkNames checks that dir holds exactly names.
func checkNames(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func flipped(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x10
	return b
}

package replay

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckEntry: whatever an archive calls an entry, an entry that is not
// refused lands inside the extraction directory.
func FuzzCheckEntry(f *testing.F) {
	for _, seed := range []string{"connection_tracing/HTTP-1-C.txt", "../x", "a/../../x", "/etc/x", "C:x", `a\..\x`, ".", "a/./b", "..", "a/..", "./../x", "a//b", ""} {
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, name string, dir bool) {
		h := &zip.FileHeader{Name: name}
		if dir {
			h.SetMode(fs.ModeDir | 0o755)
		}
		if checkEntry(&zip.File{FileHeader: *h}) != nil {
			return
		}
		const root = "/extract"
		rel, err := filepath.Rel(root, filepath.Join(root, filepath.FromSlash(name)))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
			t.Fatalf("entry %q accepted but lands at %q", name, rel)
		}
	})
}

// FuzzNormalizeAirlock: input that is rewritten (not copied as is) comes
// out as one valid JSON value per line.
func FuzzNormalizeAirlock(f *testing.F) {
	for _, seed := range []string{
		"{\"log_id\":\"WR-SG-SUMMARY\"}\n",
		"{\n \"_source\": {\"log_id\": \"x\"}\n}\n",
		"[{\"a\":\"b\"},\n{\"c\":\"d\"}]",
		"{\"hits\":{\"hits\":[\n{\"_source\":{}}]}}",
		"<134>1 - - {\"log_id\":\"x\"}",
		"\ufeff[\n]",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := NormalizeAirlock(&out, strings.NewReader(in)); err != nil || out.String() == in {
			return
		}
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if out.Len() > 0 && !json.Valid([]byte(line)) {
				t.Fatalf("rewritten line %q is not JSON (input %q)", line, in)
			}
		}
	})
}

package replay

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is one member of a test archive.
type entry struct {
	name, data string
	mode       fs.FileMode
}

// writeZip writes entries into a zip file in dir and returns its path.
func writeZip(t *testing.T, dir string, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "archive.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnzip(t *testing.T) {
	tmp := t.TempDir()
	archive := writeZip(t, tmp,
		entry{name: "connection_tracing/", mode: fs.ModeDir | 0o755},
		entry{name: "connection_tracing/HTTP-1a-C.txt", data: ">>>\nGET http://a/ HTTP/1.1\n"},
		entry{name: "connection_tracing/HTTP-1a-S.txt", data: "<<<\nHTTP/1.1 200 OK"})
	dir := filepath.Join(tmp, "out")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Unzip(archive, dir, MaxUnzipBytes); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "connection_tracing", "HTTP-1a-S.txt"))
	if err != nil || string(got) != "<<<\nHTTP/1.1 200 OK" {
		t.Fatalf("got %q, %v", got, err)
	}
	info, err := os.Stat(filepath.Join(dir, "connection_tracing", "HTTP-1a-C.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC); !info.ModTime().Equal(want) {
		t.Errorf("mtime %v, want the entry's %v", info.ModTime(), want)
	}
}

// TestUnzipRefuses: every way an entry can name a place outside the
// extraction directory refuses the whole archive, with a message naming the
// entry, and nothing is written anywhere.
func TestUnzipRefuses(t *testing.T) {
	for _, tt := range []struct {
		entry entry
		want  string
	}{
		{entry{name: "../evil.txt", data: "x"}, `entry "../evil.txt": would be written outside the extraction directory ("..`},
		{entry{name: "connection_tracing/../../evil.txt", data: "x"}, `"connection_tracing/../../evil.txt": would be written outside`},
		{entry{name: "..", mode: fs.ModeDir | 0o755}, `entry "..": would be written outside`},
		{entry{name: "/tmp/evil.txt", data: "x"}, `entry "/tmp/evil.txt": would be written outside the extraction directory (absolute path)`},
		{entry{name: "C:/evil.txt", data: "x"}, `(absolute path)`},
		{entry{name: `..\evil.txt`, data: "x"}, `(backslash in the name)`},
		{entry{name: "connection_tracing/link", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}, `entry "connection_tracing/link": would be written outside the extraction directory (a symbolic link)`},
		{entry{name: "fifo", mode: fs.ModeNamedPipe | 0o644}, `entry "fifo": not a regular file`},
	} {
		t.Run(tt.entry.name, func(t *testing.T) {
			tmp := t.TempDir()
			// A harmless entry first: nothing of the archive may be written
			// when a later entry is refused.
			archive := writeZip(t, tmp, entry{name: "connection_tracing/HTTP-1-C.txt", data: ">>>\n"}, tt.entry)
			dir := filepath.Join(tmp, "out")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			err := Unzip(archive, dir, MaxUnzipBytes)
			if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
			for _, d := range []string{dir, tmp} {
				names, _ := os.ReadDir(d)
				for _, n := range names {
					if n.Name() != "out" && n.Name() != "archive.zip" {
						t.Errorf("%s was written in %s", n.Name(), d)
					}
				}
			}
		})
	}
}

func TestUnzipDuplicateAndLimit(t *testing.T) {
	tmp := t.TempDir()
	dup := writeZip(t, tmp, entry{name: "a.txt", data: "1"}, entry{name: "a.txt", data: "2"})
	if err := Unzip(dup, t.TempDir(), MaxUnzipBytes); err == nil || !strings.Contains(err.Error(), `entry "a.txt"`) {
		t.Errorf("duplicate entry: error %v", err)
	}
	big := writeZip(t, t.TempDir(), entry{name: "a.txt", data: strings.Repeat("x", 100)}, entry{name: "b.txt", data: strings.Repeat("y", 100)})
	if err := Unzip(big, t.TempDir(), 150); err == nil || !strings.Contains(err.Error(), "more than 150 bytes") {
		t.Errorf("limit: error %v", err)
	}
	if err := Unzip(filepath.Join(tmp, "missing.zip"), t.TempDir(), MaxUnzipBytes); err == nil {
		t.Error("missing archive: no error")
	}
}

package sink

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func recs(lines ...string) []Record {
	out := make([]Record, len(lines))
	for i, l := range lines {
		out[i] = Record{Line: []byte(l)}
	}
	return out
}

func TestWriter(t *testing.T) {
	for _, tt := range []struct {
		crlf bool
		want string
	}{{false, "a=1\nb=2\n"}, {true, "a=1\r\nb=2\r\n"}} {
		var buf bytes.Buffer
		w := NewWriter(&buf, tt.crlf)
		if err := w.Send(recs("a=1", "b=2")); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("crlf=%v: got %q want %q", tt.crlf, buf.String(), tt.want)
		}
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

func TestFileAppendsAndFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.welf")
	if err := os.WriteFile(path, []byte("old\r\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	send := func(lines ...string) {
		t.Helper()
		if err := f.Send(recs(lines...)); err != nil {
			t.Fatal(err)
		}
	}
	send("one")
	// logrotate "create": rename away, the next batch starts a new file.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	send("two")
	// logrotate "copytruncate": truncate in place, appends start at 0.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	send("three")
	// deleted: recreated.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	send("four")

	if got, want := readFile(t, path+".1"), "old\r\none\r\n"; got != want {
		t.Errorf("rotated file: got %q want %q", got, want)
	}
	if got, want := readFile(t, path), "four\r\n"; got != want {
		t.Errorf("current file: got %q want %q", got, want)
	}
}

func TestFileTruncatedInPlaceKeepsAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.welf")
	f, err := OpenFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Send(recs("aaaaaaaa"))
	os.Truncate(path, 0)
	if err := f.Send(recs("b")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "b\n" {
		t.Errorf("got %q: writes after copytruncate must start at the new end, without a hole", got)
	}
}

func TestOpenFileError(t *testing.T) {
	_, err := OpenFile("/nonexistent-dir/x.welf", true)
	want := "file destination: open /nonexistent-dir/x.welf: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v want %s", err, want)
	}
}

package replay

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles creates files (path → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"connection_tracing/HTTP-1a-C.txt":   ">>>\n",
		"connection_tracing/HTTP-1a-S.txt":   "",
		"connection_tracing/FTP-2b-CC.txt":   "",
		"connection_tracing/notes.txt":       "looked at client 10.1.1.1\n",
		"connection_tracing/.DS_Store":       "\x00\x01",
		"__MACOSX/connection_tracing/._x":    "",
		"airlock/gw01.log":                   `2024-03-05T09:12:44.331+01:00 gw01 {"log_id":"WR-SG-SUMMARY"}` + "\n",
		"airlock/export.json":                "\ufeff[\n  {\"_source\": {}}\n]\n",
		"airlock/discover.csv":               "@timestamp,log_id\n",
		"connection_tracing/HTTP-1a-C.txt.1": ">>>\n",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "connection_tracing", "HTTP-9-C.txt")); err != nil {
		t.Fatal(err)
	}
	files, skipped, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Kind.String()+" "+f.Rel)
	}
	want := []string{"airlock airlock/export.json", "airlock airlock/gw01.log", "mwg connection_tracing/FTP-2b-CC.txt", "mwg connection_tracing/HTTP-1a-C.txt", "mwg connection_tracing/HTTP-1a-S.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files:\n got %q\nwant %q", got, want)
	}
	var gotSkipped []string
	for _, s := range skipped {
		gotSkipped = append(gotSkipped, s.Rel)
	}
	wantSkipped := []string{"__MACOSX", "airlock/discover.csv", "connection_tracing/.DS_Store", "connection_tracing/HTTP-1a-C.txt.1", "connection_tracing/HTTP-9-C.txt", "connection_tracing/notes.txt"}
	// __MACOSX is skipped as a directory, without an entry.
	wantSkipped = wantSkipped[1:]
	if !reflect.DeepEqual(gotSkipped, wantSkipped) {
		t.Errorf("skipped:\n got %q\nwant %q", gotSkipped, wantSkipped)
	}

	one := filepath.Join(dir, "connection_tracing", "HTTP-1a-C.txt")
	files, _, err = Discover(one)
	if err != nil || len(files) != 1 || files[0].Kind != MWG || files[0].Path != one {
		t.Errorf("single file: %v %v", files, err)
	}
	if _, _, err := Discover(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing input: no error")
	}
}

func TestStage(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"a/HTTP-1-C.txt": ">>>\nGET http://a/ HTTP/1.1\n\n",
		"a/HTTP-1-S.txt": "<<<\nHTTP/1.1 200 OK\n\nbody without LF",
		"b/HTTP-1-C.txt": "",
		"gw.log":         "{\"log_id\":\"WR-SG-SUMMARY\"}",
	})
	mtime := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	for _, f := range []string{"a/HTTP-1-C.txt", "a/HTTP-1-S.txt", "b/HTTP-1-C.txt", "gw.log"} {
		if err := os.Chtimes(filepath.Join(src, f), mtime, mtime.Add(time.Duration(len(f)))); err != nil {
			t.Fatal(err)
		}
	}
	files, _, err := Discover(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := Stage(files, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "mwg/*/*.txt"), filepath.Join(dir, "airlock/*.log")}; !reflect.DeepEqual(st.Globs, want) {
		t.Errorf("globs %q, want %q", st.Globs, want)
	}
	want := map[string]string{
		"mwg/0/HTTP-1-C.txt": ">>>\nGET http://a/ HTTP/1.1\n\n",
		"mwg/0/HTTP-1-S.txt": "<<<\nHTTP/1.1 200 OK\n\nbody without LF\n",
		"mwg/1/HTTP-1-C.txt": "",
		"airlock/3.log":      "{\"log_id\":\"WR-SG-SUMMARY\"}\n",
	}
	if len(st.Files) != len(want) {
		t.Fatalf("staged %v", st.Files)
	}
	for _, f := range st.Files {
		rel, _ := filepath.Rel(dir, f.Path)
		data, err := os.ReadFile(f.Path)
		if err != nil || string(data) != want[filepath.ToSlash(rel)] {
			t.Errorf("%s: %q (%v), want %q", rel, data, err, want[rel])
		}
		info, err := os.Stat(f.Path)
		if err != nil || !info.ModTime().Equal(f.ModTime) || f.ModTime.Year() != 2024 {
			t.Errorf("%s: mtime %v, recorded %v, want the original's", rel, info.ModTime(), f.ModTime)
		}
	}
	if st.Lines != 3+4+1 {
		t.Errorf("lines %d, want 8", st.Lines)
	}
}

func TestNormalizeAirlock(t *testing.T) {
	const (
		a = `{"log_id":"WR-SG-SUMMARY","message":"x <b> & \"q\" \u00e9 é"}`
		b = `{"_index":"airlock-gateway-default-2024.03.05","_source":{"log_id":"WR-SG-CONNTRACE"},"fields":{"log_id":["WR-SG-CONNTRACE"]}}`
	)
	pretty := func(s string) string {
		return strings.NewReplacer(`{"`, "{\n  \"", `,"`, ",\n  \"", `":`, `": `).Replace(s)
	}
	for _, tt := range []struct {
		name, in, want string
	}{
		{"JSON lines unchanged", a + "\n" + b + "\n", a + "\n" + b + "\n"},
		{"JSON lines with a bad line unchanged", a + "\n{\"log_id\": \n", a + "\n{\"log_id\": \n"},
		{"prefixed lines unchanged", "<134>1 2024-03-05T08:12:44Z gw01 SG - - - " + a + "\n", "<134>1 2024-03-05T08:12:44Z gw01 SG - - - " + a + "\n"},
		{"one line without LF", a, a},
		{"pretty-printed hit", pretty(b) + "\n", b + "\n"},
		{"pretty-printed hits in a row", pretty(b) + "\n" + pretty(a) + "\n", b + "\n" + a + "\n"},
		{"array", "[\n" + pretty(a) + ",\n" + b + "\n]\n", a + "\n" + b + "\n"},
		{"search response", `{"took": 3, "hits": {"total": {"value": 2}, "hits": [` + "\n" + b + ",\n" + pretty(b) + "]}}", b + "\n" + b + "\n"},
		{"byte order mark", "\ufeff" + pretty(a), a + "\n"},
		{"blank lines copied", "\n\n", "\n\n"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := NormalizeAirlock(&out, strings.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
	var out bytes.Buffer
	err := NormalizeAirlock(&out, strings.NewReader("{\n  \"log_id\": \"WR-SG-SUMMARY\",\n"))
	if err == nil || !strings.Contains(err.Error(), "not a JSON export either") {
		t.Errorf("truncated export: error %v", err)
	}
}

// TestStageGzip: rotated, gzip-compressed logs and traces are judged by
// their content and their name without .gz, and staged decompressed.
func TestStageGzip(t *testing.T) {
	src := t.TempDir()
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	writeFiles(t, src, map[string]string{
		"HTTP-2-C.txt.gz":    gz(">>>\nGET http://a/ HTTP/1.1"),
		"airlock.log.1.gz":   gz(`{"log_id":"WR-SG-SUMMARY"}` + "\n"),
		"notes.txt.gz":       gz("nothing\n"),
		"HTTP-3-C.txt.gz.gz": gz(gz(">>>\n")),
	})
	files, skipped, err := Discover(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Kind != MWG || files[1].Kind != Airlock || len(skipped) != 2 {
		t.Fatalf("files %v, skipped %v", files, skipped)
	}
	dir := t.TempDir()
	st, err := Stage(files, dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"mwg/0/HTTP-2-C.txt": ">>>\nGET http://a/ HTTP/1.1\n", "airlock/1.log": `{"log_id":"WR-SG-SUMMARY"}` + "\n"} {
		if got, err := os.ReadFile(filepath.Join(dir, path)); err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", path, got, err, want)
		}
	}
	if st.Lines != 3 {
		t.Errorf("lines %d, want 3", st.Lines)
	}
}

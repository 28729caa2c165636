package test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// replayTimeout is far beyond what a replay of the fixtures takes: a run
// that hits it did not end by itself.
const replayTimeout = 3 * time.Minute

// mwgReplayFlags make the MWG replay comparable with TestMWGFixtures' live
// run: the same fw, zone and line ending (the event time comes from the
// files' modification times, set to the harness's fixed time).
var mwgReplayFlags = []string{"-engine", "harness", "-set", "FW=mwg01", "-set", "Time_Zone=UTC", "-set", "Line_Ending=lf"}

// replayResult is one welf-replay run.
type replayResult struct {
	stdout, stderr string
	exit           int
	tmp            string // the TMPDIR it ran with
}

// runReplay runs argv (make, or the built welf-replay) from the repository
// root with its own TMPDIR, and fails the test if it does not exit by
// itself.
func runReplay(t *testing.T, argv ...string) replayResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
	defer cancel()
	tmp := t.TempDir()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v did not exit by itself within %v\nstderr:\n%s", argv, replayTimeout, stderr.String())
	}
	r := replayResult{stdout: stdout.String(), stderr: stderr.String(), tmp: tmp}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.exit = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// replayBinary builds cmd/welf-replay once per test binary.
var replayBinary = func() func(t *testing.T) string {
	var path string
	return func(t *testing.T) string {
		t.Helper()
		if path != "" {
			return path
		}
		p := filepath.Join(root, "build", "welf-replay")
		build := exec.Command("go", "build", "-o", p, "./cmd/welf-replay")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/welf-replay: %v\n%s", err, out)
		}
		path = p
		return path
	}
}()

// assertCleanedUp fails if the replay left anything in its TMPDIR.
func assertCleanedUp(t *testing.T, r replayResult) {
	t.Helper()
	left, err := os.ReadDir(r.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("replay left %s in its temporary directory", e.Name())
	}
}

// stampTraces copies the MWG fixtures into dir with the harness's fixed
// time as their modification time, and returns their names.
func stampTraces(t *testing.T, dir string) []string {
	t.Helper()
	copyTraces(t, dir)
	stamp, err := time.Parse(time.RFC3339, harnessTime)
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.Chtimes(n, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// assertReplayMatchesLive compares a replay of the MWG fixtures with the
// golden WELF of the live path (TestMWGFixtures). They hold the same
// records but one: the truncated file HTTP-2c000a-C.txt ends without LF,
// and tail never hands that last line over, live; replay reads it
// ("Content-Le", 10 bytes and the LF), so that transaction counts 51
// response bytes instead of 40 — and, finished later, comes out at another
// place. The replay's own golden pins the order.
func assertReplayMatchesLive(t *testing.T, got string) {
	t.Helper()
	golden(t, "replay_mwg.welf", got)
	live, err := os.ReadFile(fixture("golden/mwg_fixtures.welf"))
	if err != nil {
		t.Fatal(err)
	}
	const liveLine, replayLine = " rcvd=40 msg=\"incomplete (shutdown): response headers truncated\" agent=Mozilla/5.0 conn=2c000a ", " rcvd=51 msg=\"incomplete (shutdown): response headers truncated\" agent=Mozilla/5.0 conn=2c000a "
	if !strings.Contains(got, replayLine) {
		t.Errorf("replay lacks the truncated file's last line (%q):\n%s", replayLine, got)
	}
	gotLines := strings.Split(strings.Replace(got, replayLine, liveLine, 1), "\n")
	liveLines := strings.Split(string(live), "\n")
	sort.Strings(gotLines)
	sort.Strings(liveLines)
	if g, l := strings.Join(gotLines, "\n"), strings.Join(liveLines, "\n"); g != l {
		t.Errorf("replay and live path differ beyond conn 2c000a:\n%s", firstDiff(gotLines, liveLines))
	}
}

// TestReplayDirectory: `make replay` on a directory of trace files, as
// KB89213's zip unpacks it, writes exactly the live path's WELF, says that
// it runs in the harness, and exits by itself.
func TestReplayDirectory(t *testing.T) {
	traces := filepath.Join(t.TempDir(), "connection_tracing")
	if err := os.Mkdir(traces, 0o755); err != nil {
		t.Fatal(err)
	}
	stampTraces(t, traces)
	out := filepath.Join(t.TempDir(), "replay.welf")
	r := runReplay(t, "make", "--no-print-directory", "replay", "TRACES="+traces, "OUT="+out, "REPLAY_FLAGS="+strings.Join(mwgReplayFlags, " "))
	if r.exit != 0 {
		t.Fatalf("make replay: exit %d\n%s", r.exit, r.stderr)
	}
	assertReplayMatchesLive(t, readOutput(t, out))
	for _, want := range []string{
		"welf-replay: " + traces + ": 32 files, 777 lines",
		"welf-replay: -engine harness; running conf/fluent-bit-replay.conf with the same plugin in the test harness (build/flbhost)",
		"[ info] [output:welf:welf.0] exit: events=777 written=48 unparsed=0 malformed=0 truncated=0",
	} {
		if !contains(stderrLines(r.stderr), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if got := mwgCounters(t, r.stderr); !strings.Contains(got, "records=777 lines=777 ") || !strings.Contains(got, " conns_open=0 conns_timeout=0 conns_pressure=0 ") {
		t.Errorf("counters: %s", got)
	}
	assertCleanedUp(t, r)
}

// writeZip writes a zip archive of entries (name → content), every entry
// dated mtime.
func writeZip(t *testing.T, path string, mtime time.Time, names []string, content func(string) []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReplayZip: the archive KB89213 has administrators make (`zip
// filename.zip connection_tracing/`) replays to the same WELF, its
// temporary directory removed afterwards.
func TestReplayZip(t *testing.T) {
	dir := t.TempDir()
	paths := stampTraces(t, dir)
	var names []string
	for _, p := range paths {
		names = append(names, "connection_tracing/"+filepath.Base(p))
	}
	stamp, _ := time.Parse(time.RFC3339, harnessTime)
	archive := filepath.Join(t.TempDir(), "traces.zip")
	writeZip(t, archive, stamp, names, func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, filepath.Base(name)))
		if err != nil {
			t.Fatal(err)
		}
		return data
	})
	out := filepath.Join(t.TempDir(), "replay.welf")
	r := runReplay(t, append([]string{replayBinary(t), "-traces", archive, "-out", out}, mwgReplayFlags...)...)
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	assertReplayMatchesLive(t, readOutput(t, out))
	assertCleanedUp(t, r)
}

// TestReplayZipSlip: an archive with an entry that climbs out of the
// extraction directory is refused as a whole, with a message that names
// the entry; nothing is written, and no output is created.
func TestReplayZipSlip(t *testing.T) {
	for _, evil := range []string{"../evil.txt", "connection_tracing/../../HTTP-1-S.txt", "/tmp/HTTP-1-S.txt"} {
		t.Run(evil, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "traces.zip")
			writeZip(t, archive, time.Now(), []string{"connection_tracing/HTTP-1-C.txt", evil}, func(string) []byte {
				return []byte(">>>\nGET http://a.example/ HTTP/1.1\n\n")
			})
			out := filepath.Join(dir, "out", "replay.welf")
			r := runReplay(t, replayBinary(t), "-engine", "harness", "-traces", archive, "-out", out)
			want := fmt.Sprintf("welf-replay: replay: archive %s: refused: entry %q: would be written outside the extraction directory", archive, evil)
			if r.exit != 1 || !strings.Contains(r.stderr, want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to contain %q", r.exit, r.stderr, want)
			}
			if _, err := os.Stat(filepath.Dir(out)); !os.IsNotExist(err) {
				t.Errorf("output directory created: %v", err)
			}
			for _, d := range []string{dir, filepath.Dir(dir), r.tmp} {
				if _, err := os.Stat(filepath.Join(d, filepath.Base(evil))); err == nil {
					t.Errorf("%s written into %s", filepath.Base(evil), d)
				}
			}
			assertCleanedUp(t, r)
		})
	}
}

// kibanaSearchResponse wraps the bundled sample's records as Kibana hits in
// an Elasticsearch _search response, pretty-printed the way Kibana's
// Inspect view shows it.
func kibanaSearchResponse(t *testing.T) []byte {
	t.Helper()
	type hit struct {
		Index  string              `json:"_index"`
		ID     string              `json:"_id"`
		Source json.RawMessage     `json:"_source"`
		Fields map[string][]string `json:"fields"`
	}
	var hits []hit
	for i, line := range bareJSONLines(t) {
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("sample line %d: %v", i, err)
		}
		hits = append(hits, hit{"airlock-gateway-default-2024.03.05", fmt.Sprintf("id%d", i), json.RawMessage(line), map[string][]string{"log_id": {rec["log_id"]}}})
	}
	var resp struct {
		Took int `json:"took"`
		Hits struct {
			Total map[string]int `json:"total"`
			Hits  []hit          `json:"hits"`
		} `json:"hits"`
	}
	resp.Took = 4
	resp.Hits.Total = map[string]int{"value": len(hits)}
	resp.Hits.Hits = hits
	b, err := json.MarshalIndent(resp, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplayKibana: Airlock records exported from Kibana — an
// Elasticsearch _search response, pretty-printed over many lines, and
// hits one per line — replay to the live path's WELF, correlated (to
// standard output) and one record per record.
func TestReplayKibana(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "kibana-export.json")
	if err := os.WriteFile(export, kibanaSearchResponse(t), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runReplay(t, replayBinary(t), "-engine", "harness", "-traces", export, "-set", "Time_Zone=UTC")
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	golden(t, "airlock_correlated.welf", r.stdout)
	assertCleanedUp(t, r)

	out := filepath.Join(dir, "single.welf")
	r = runReplay(t, replayBinary(t), "-engine", "harness", "-traces", export, "-out", out, "-set", "Time_Zone=UTC", "-set", "Correlate=off")
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	golden(t, "airlock_sample.welf", readOutput(t, out))

	out = filepath.Join(dir, "kibana.welf")
	r = runReplay(t, replayBinary(t), "-engine", "harness", "-traces", fixture("airlock/kibana.json"), "-out", out, "-set", "Time_Zone=UTC", "-set", "Correlate=off", "-set", "Line_Ending=lf")
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	golden(t, "airlock_kibana.welf", readOutput(t, out))
}

// TestReplayFluentBitConfig: with fluent-bit on PATH, welf-replay runs it
// with the plugin and a configuration that adds the lua filter giving each
// record its file's modification time. The fluent-bit here is a stand-in
// that keeps what it was given and runs the harness on it (the harness
// ignores the [FILTER] and takes the times from the files itself).
func TestReplayFluentBitConfig(t *testing.T) {
	traces := filepath.Join(t.TempDir(), "connection_tracing")
	if err := os.Mkdir(traces, 0o755); err != nil {
		t.Fatal(err)
	}
	names := stampTraces(t, traces)
	bin, kept := t.TempDir(), t.TempDir()
	fake := "#!/bin/sh\n" +
		"conf=; prev=; for a in \"$@\"; do [ \"$prev\" = -c ] && conf=$a; prev=$a; done\n" +
		"cp \"$conf\" " + kept + "/fluent-bit.conf && cp \"$(dirname \"$conf\")/replay-time.lua\" " + kept + "/ || exit 3\n" +
		"exec " + harness + " -q --time-from-mtime \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "fluent-bit"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out := filepath.Join(t.TempDir(), "replay.welf")
	flags := append([]string{replayBinary(t), "-traces", traces, "-out", out}, mwgReplayFlags[2:]...) // -engine auto
	r := runReplay(t, flags...)
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	assertReplayMatchesLive(t, readOutput(t, out))
	if want := "welf-replay: running conf/fluent-bit-replay.conf in Fluent Bit (" + filepath.Join(bin, "fluent-bit") + ")"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}

	conf := readOutput(t, filepath.Join(kept, "fluent-bit.conf"))
	for _, want := range []string{"    Exit_On_EOF      on\n", "    Path_Key         file\n", "    Destination   file://" + out + "\n", "    FW mwg01\n",
		"[FILTER]\n    Name   lua\n    Match  *\n    Script ", "/replay-time.lua\n    Call   welf_replay_time\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	script := readOutput(t, filepath.Join(kept, "replay-time.lua"))
	for _, n := range names {
		if want := "/" + filepath.Base(n) + `"] = 1709625600.000000000` + "\n"; !strings.Contains(script, want) {
			t.Errorf("time script lacks %q:\n%s", want, script)
		}
	}
}

// TestReplayStopsFluentBit: a Fluent Bit whose tail read every file (it
// logged "ended, stop" for each) but that does not stop — a file dropped
// on an error keeps Exit_On_EOF from firing — is stopped by welf-replay
// with SIGTERM, and the replay completes. The stand-in runs the harness,
// then logs the ends and waits for the signal.
func TestReplayStopsFluentBit(t *testing.T) {
	traces := filepath.Join(t.TempDir(), "connection_tracing")
	if err := os.Mkdir(traces, 0o755); err != nil {
		t.Fatal(err)
	}
	stampTraces(t, traces)
	bin := t.TempDir()
	fake := "#!/bin/sh\n" +
		"conf=; prev=; for a in \"$@\"; do [ \"$prev\" = -c ] && conf=$a; prev=$a; done\n" +
		harness + " -q --time-from-mtime \"$@\" || exit 3\n" +
		"for f in $(sed -n 's/^ *Path  *//p' \"$conf\" | tr ',' ' '); do echo \"[2026/12/05 15:50:01] [ info] [input:tail:tail.0] inode=1 file=$f ended, stop\" >&2; done\n" +
		"trap 'exit 0' TERM\n" +
		"while :; do sleep 1; done\n"
	if err := os.WriteFile(filepath.Join(bin, "fluent-bit"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out := filepath.Join(t.TempDir(), "replay.welf")
	r := runReplay(t, append([]string{replayBinary(t), "-traces", traces, "-out", out}, mwgReplayFlags[2:]...)...)
	if r.exit != 0 {
		t.Fatalf("welf-replay: exit %d\n%s", r.exit, r.stderr)
	}
	assertReplayMatchesLive(t, readOutput(t, out))
	if want := "welf-replay: every file was read, but fluent-bit did not stop within 5s; stopping it"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

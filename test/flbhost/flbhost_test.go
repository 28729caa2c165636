package flbhost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixedTime is passed as --time so event times, chunk names, sizes and
// checksums are deterministic: 1714564800 s, 250000000 ns.
const fixedTime = "2024-05-01T12:00:00.25Z"

// artifacts are the harness and the probe plugin, built once per test
// process into a temporary directory removed by TestMain.
//
// A fuzzing run starts worker processes of this test binary that would each
// build them again; the coordinator announces its directory in
// artifactsEnv, which the workers inherit, so they reuse it instead.
type artifacts struct {
	host       string
	probe      string
	probeNoCtx string
}

const artifactsEnv = "FLBHOST_TEST_ARTIFACTS"

var build struct {
	once  sync.Once
	dir   string
	owned bool // built by this process, so removed by TestMain
	arts  artifacts
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.owned {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

func mustBuild(t testing.TB) artifacts {
	t.Helper()
	build.once.Do(func() {
		if dir := os.Getenv(artifactsEnv); dir != "" {
			build.dir, build.arts = dir, artifactsIn(dir)
			return
		}
		build.dir, build.err = os.MkdirTemp("", "flbhost-test-")
		if build.err != nil {
			return
		}
		build.owned = true
		if build.arts, build.err = buildArtifacts(build.dir); build.err == nil {
			build.err = os.Setenv(artifactsEnv, build.dir)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.arts
}

func artifactsIn(dir string) artifacts {
	return artifacts{
		host:       filepath.Join(dir, "flbhost"),
		probe:      filepath.Join(dir, "probe.so"),
		probeNoCtx: filepath.Join(dir, "probe-noctx.so"),
	}
}

func buildArtifacts(dir string) (artifacts, error) {
	arts := artifactsIn(dir)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return arts, fmt.Errorf("gcc is required to build the flbhost harness (apt-get install gcc): %w", err)
	}
	if err := readSources(); err != nil {
		return arts, err
	}
	steps := [][]string{
		{gcc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", arts.host, "flbhost.c", "-ldl", "-lpthread"},
		{"go", "build", "-buildmode=c-shared", "-o", arts.probe, "./probe"},
		{"go", "build", "-buildmode=c-shared", "-tags", "noctx", "-o", arts.probeNoCtx, "./probe"},
	}
	for _, step := range steps {
		out, err := exec.Command(step[0], step[1:]...).CombinedOutput()
		if err != nil {
			return arts, fmt.Errorf("%s: %w\n%s", strings.Join(step, " "), err, out)
		}
	}
	return arts, nil
}

// readSources reads the harness and probe sources in this process. The go
// command caches test results keyed by the files the test process opens;
// gcc and go build read them in subprocesses, so without this an edited
// flbhost.c would still get a cached "ok".
func readSources() error {
	probeFiles, err := filepath.Glob(filepath.Join("probe", "*.go"))
	if err != nil {
		return err
	}
	for _, path := range append([]string{"flbhost.c"}, probeFiles...) {
		if _, err := os.ReadFile(path); err != nil {
			return fmt.Errorf("reading build input: %w", err)
		}
	}
	return nil
}

// result is what one harness run left behind.
type result struct {
	code     int
	stderr   string // Fluent Bit log timestamps removed
	probeLog string // $PROBE_LOG, thread ids named (see nameThreads)
	pid      int
	rawLog   string // $PROBE_LOG as written
}

var logTimestamp = regexp.MustCompile(`(?m)^\[\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] `)

// runHost writes conf to dir/fluent-bit.conf and runs the harness on it.
func runHost(t *testing.T, dir, conf string, args ...string) result {
	t.Helper()
	arts := mustBuild(t)
	confPath := filepath.Join(dir, "fluent-bit.conf")
	writeFile(t, confPath, conf)
	logPath := filepath.Join(dir, "probe.log")

	// The deadline only guards against a hung harness; nothing asserts time.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, arts.host, append([]string{"-c", confPath}, args...)...)
	cmd.Env = append(os.Environ(), "PROBE_LOG="+logPath, "FLBHOST_TEST_VAR=from-env", "FLBHOST_TEST_UNSET=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running flbhost: %v", err)
	}
	raw := readFileOrEmpty(t, logPath)
	return result{
		code:     code,
		stderr:   logTimestamp.ReplaceAllString(stderr.String(), ""),
		probeLog: nameThreads(raw, cmd.Process.Pid),
		pid:      cmd.Process.Pid,
		rawLog:   raw,
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFileOrEmpty(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	threadField = regexp.MustCompile(`thread=(\d+)`)
	initThread  = regexp.MustCompile(`(?m)^init .*thread=(\d+)`)
	threadName  = regexp.MustCompile(`thread=\S+`)
)

// nameThreads replaces thread ids with roles: "main" for the process's main
// thread, "engine" for the thread of the first init line, T1, T2, ... for
// any other thread in order of appearance.
func nameThreads(text string, pid int) string {
	names := map[string]string{strconv.Itoa(pid): "main"}
	if m := initThread.FindStringSubmatch(text); m != nil && names[m[1]] == "" {
		names[m[1]] = "engine"
	}
	others := 0
	return threadField.ReplaceAllStringFunc(text, func(field string) string {
		id := strings.TrimPrefix(field, "thread=")
		name, ok := names[id]
		if !ok {
			others++
			name = "T" + strconv.Itoa(others)
			names[id] = name
		}
		return "thread=" + name
	})
}

func assertEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s mismatch\n--- got:\n%s\n--- want:\n%s", what, got, want)
	}
}

func TestProperties(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.log"), "hello\n")
	one, two := filepath.Join(dir, "one.out"), filepath.Join(dir, "two.out")
	conf := fmt.Sprintf(`@SET base=from-set
[INPUT]
    Name tail
    Path %s/in.log
    Tag  app

[OUTPUT]
    Name          probe
    Match         app
    ID            one
    Probe_Out     %s
    Probe_Keys    ID,id,Id,host,port,match,workers,tls,tls.verify,net.keepalive,retry_limit,alias,log_level,Empty,Expanded,Only_One,Unset
    host          10.0.0.1
    port          514
    workers       0
    tls           on
    tls.verify    off
    net.keepalive on
    retry_limit   3
    alias         first
    log_level     debug
    Log_Message   hello from one
    Empty         ${FLBHOST_TEST_UNSET}
    Expanded      ${base}/${FLBHOST_TEST_VAR}/${FLBHOST_TEST_NOT_SET}
    Only_One      yes

[OUTPUT]
    Name       Probe
    Match      app
    id         two
    Probe_Out  %s
    Probe_Keys Id,Only_One,Expanded
    Expanded   ${FLBHOST_TEST_VAR}
    Log_Message hello from two
`, dir, one, two)

	r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "--time", fixedTime)

	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	assertEqual(t, "instance one", nameThreads(readFileOrEmpty(t, one), r.pid),
		`init id=one thread=engine plugin=first ID="one" id="one" Id="one" host=<nil> port=<nil> match=<nil> workers=<nil> tls=<nil> tls.verify=<nil> net.keepalive=<nil> retry_limit=<nil> alias=<nil> log_level=<nil> Empty=<nil> Expanded="from-set/from-env/" Only_One="yes" Unset=<nil> level_check=4 ret=1
flush id=one tag=app records=1 bytes=24 crc=18e855bc thread=engine ret=1
  record 1714564800.250000000 {"log":"hello"}
exit id=one thread=engine flushes=1
`)
	assertEqual(t, "instance two", nameThreads(readFileOrEmpty(t, two), r.pid),
		`init id=two thread=engine plugin=first Id="two" Only_One=<nil> Expanded="from-env" level_check=3 ret=1
flush id=two tag=app records=1 bytes=24 crc=18e855bc thread=engine ret=1
  record 1714564800.250000000 {"log":"hello"}
exit id=two thread=engine flushes=1
`)
	assertEqual(t, "stderr", r.stderr, `[ info] [output:probe:one] hello from one
[ info] [output:probe:two] hello from two
[flbhost] chunks=1 records=1 ok=2 retry=0 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0
`)
}

func TestRecords(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"logs", "raw"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "logs", "a.log"),
		`{"msg":"a1","n":1}`+"\r\n"+
			"\r\n"+
			`{"msg":"a2","f":2.5,"neg":-7,"ok":true,"nil":null,"arr":[1,"x",{"k":[]}]}`+"\n"+
			"\n"+
			`{"esc":"q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00","big":18446744073709551615,"huge":1e400,"lone":"\ud800x"}`+"\n")
	// b4 has no LF: in_tail waits for the line's end, so it is not read.
	writeFile(t, filepath.Join(dir, "logs", "b.log"), "plain text b1\n{\"broken\": \n[1,2,3]\nb4")
	writeFile(t, filepath.Join(dir, "logs", "skipped.txt"), "not matched by the glob\n")
	writeFile(t, filepath.Join(dir, "raw", "c.log"), "hi\n")
	writeFile(t, filepath.Join(dir, "parsers.conf"), "[PARSER]\n    Name   json\n    Format json\n")
	jsonOut, rawOut := filepath.Join(dir, "json.out"), filepath.Join(dir, "raw.out")
	conf := fmt.Sprintf(`[SERVICE]
    Parsers_File parsers.conf

[INPUT]
    Name       tail
    Path       %[1]s/logs/*.log
    Tag        app
    Parser     json
    Path_Key   file
    Offset_Key offset

[INPUT]
    Name tail
    Path %[1]s/raw/c.log
    Tag  raw.*
    Key  message

[OUTPUT]
    Name      probe
    Match     app
    Id        json
    Probe_Out %[2]s

[OUTPUT]
    Name      probe
    Match     raw.*
    Id        raw
    Dump      on
    Probe_Out %[3]s
`, dir, jsonOut, rawOut)

	r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "--time", fixedTime)

	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	a, b := dir+"/logs/a.log", dir+"/logs/b.log"
	// Lines interleave a, b, a, b, ...; empty lines are records (in_tail's
	// Skip_Empty_Lines is off by default). The header's size and checksum
	// depend on the temporary path and are checked in other tests.
	gotJSON := regexp.MustCompile(`bytes=\d+ crc=[0-9a-f]{8}`).ReplaceAllString(
		nameThreads(readFileOrEmpty(t, jsonOut), r.pid), "bytes=* crc=*")
	assertEqual(t, "json instance", gotJSON, fmt.Sprintf(`init id=json thread=engine plugin=first ret=1
flush id=json tag=app records=8 bytes=* crc=* thread=engine ret=1
  record 1714564800.250000000 {"file":%[1]q,"msg":"a1","n":1,"offset":0}
  record 1714564800.250000000 {"file":%[2]q,"log":"plain text b1","offset":0}
  record 1714564800.250000000 {"file":%[1]q,"log":"","offset":20}
  record 1714564800.250000000 {"file":%[2]q,"log":"{\"broken\": ","offset":14}
  record 1714564800.250000000 {"arr":[1,"x",{"k":[]}],"f":2.5,"file":%[1]q,"msg":"a2","neg":-7,"nil":null,"offset":22,"ok":true}
  record 1714564800.250000000 {"file":%[2]q,"log":"[1,2,3]","offset":26}
  record 1714564800.250000000 {"file":%[1]q,"log":"","offset":96}
  record 1714564800.250000000 {"big":18446744073709551615,"esc":"q\"b\\s/n\nt\tué😀","file":%[1]q,"huge":+Inf,"lone":"�x","offset":97}
exit id=json thread=engine flushes=1
`, a, b))

	rawTag := "raw." + strings.ReplaceAll(strings.TrimPrefix(dir, "/"), "/", ".") + ".raw.c.log"
	assertEqual(t, "raw instance", nameThreads(readFileOrEmpty(t, rawOut), r.pid), fmt.Sprintf(`init id=raw thread=engine plugin=first ret=1
flush id=raw tag=%s records=1 bytes=25 crc=2ac3daa0 thread=engine ret=1
  record 1714564800.250000000 {"message":"hi"}
  hex 9292d70066322ec00ee6b2808081a76d657373616765a26869
exit id=raw thread=engine flushes=1
`, rawTag))
	assertEqual(t, "stderr", r.stderr, "[flbhost] chunks=2 records=9 ok=2 retry=0 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n")
}

func TestChunking(t *testing.T) {
	// Each record is one 21-byte event: 92 92 d7 00 <8> 80 81 a3"log" a2"lN".
	flush := func(records, bytes int, crc string) string {
		return fmt.Sprintf("flush id=c tag=app records=%d bytes=%d crc=%s thread=engine ret=1\n", records, bytes, crc)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "defaults: one chunk at end of input",
			want: flush(5, 105, "044583e2"),
		},
		{
			name: "chunk-records 2",
			args: []string{"--chunk-records", "2"},
			want: flush(2, 42, "7639dd4c") + flush(2, 42, "b10ab1f9") + flush(1, 21, "a2974df9"),
		},
		{
			name: "chunk-bytes 45 fits two events",
			args: []string{"--chunk-bytes", "45"},
			want: flush(2, 42, "7639dd4c") + flush(2, 42, "b10ab1f9") + flush(1, 21, "a2974df9"),
		},
		{
			name: "chunk-bytes smaller than an event sends each alone",
			args: []string{"--chunk-bytes", "20"},
			want: flush(1, 21, "a5fa89e0") + flush(1, 21, "3cf3d85a") + flush(1, 21, "4bf4e8cc") +
				flush(1, 21, "d5907d6f") + flush(1, 21, "a2974df9"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "in.log"), "l1\nl2\nl3\nl4\nl5\n")
			conf := fmt.Sprintf("[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag app\n"+
				"[OUTPUT]\n    Name probe\n    Match app\n    Id c\n", dir)

			r := runHost(t, dir, conf, append([]string{"-q", "-e", mustBuild(t).probe, "--time", fixedTime}, tc.args...)...)

			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
			}
			want := "preregister hot=0 thread=main\nregister thread=main\n" +
				"init id=c thread=engine plugin=first ret=1\nprerun hot=0 thread=engine\n" +
				tc.want +
				"preexit hot=0 thread=engine\nexit id=c thread=engine flushes=" + strconv.Itoa(strings.Count(tc.want, "\n")) +
				"\nunregister thread=main\n"
			assertEqual(t, "probe log", r.probeLog, want)
		})
	}
}

func TestRouting(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airlock.log"), "a\n")
	writeFile(t, filepath.Join(dir, "mwg.log"), "m\n")
	conf := fmt.Sprintf(`[INPUT]
    Name tail
    Path %[1]s/airlock.log
    Tag  airlock.access

[INPUT]
    Name tail
    Path %[1]s/mwg.log
    Tag  mwg.trace

[OUTPUT]
    Name  probe
    Match airlock.*
    Id    airlock-only

[OUTPUT]
    Name  probe
    Match *
    Id    all

[OUTPUT]
    Name        probe
    Match_Regex ^mwg\.
    Id          mwg-regex

[OUTPUT]
    Name  probe
    Match *.access.*
    Id    no-hit

[OUTPUT]
    Name  probe
    Alias unrouted
    Id    none

[FILTER]
    Name  grep
    Match *
`, dir)

	r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "--time", fixedTime)

	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	var flushes []string
	for _, line := range strings.Split(r.probeLog, "\n") {
		if strings.HasPrefix(line, "flush ") {
			flushes = append(flushes, strings.Join(strings.Fields(line)[1:3], " "))
		}
	}
	assertEqual(t, "flushes", strings.Join(flushes, "\n"), `id=airlock-only tag=airlock.access
id=all tag=airlock.access
id=all tag=mwg.trace
id=mwg-regex tag=mwg.trace`)
	assertEqual(t, "stderr", r.stderr, fmt.Sprintf(
		`[ warn] [config] output 'unrouted' has no Match or Match_Regex rule; it receives no records
[ warn] [config] %s/fluent-bit.conf:36: section [FILTER] is not supported by flbhost; ignored
[flbhost] chunks=2 records=2 ok=4 retry=0 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0
`, dir))
}

// flushThreads returns the raw thread ids of the probe log's flush lines.
func flushThreads(t *testing.T, rawLog string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(rawLog, "\n") {
		if !strings.HasPrefix(line, "flush ") {
			continue
		}
		m := threadField.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("flush line without thread: %q", line)
		}
		ids = append(ids, m[1])
	}
	return ids
}

func distinct(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func TestThreads(t *testing.T) {
	// threadsConf writes an eight-line input into a fresh directory and
	// returns it with a config that sends every line as its own chunk to
	// one probe instance with the given extra properties.
	threadsConf := func(t *testing.T, properties string) (dir, conf string) {
		dir = t.TempDir()
		writeFile(t, filepath.Join(dir, "in.log"), "1\n2\n3\n4\n5\n6\n7\n8\n")
		return dir, fmt.Sprintf("[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag app\n"+
			"[OUTPUT]\n    Name probe\n    Match app\n    Id t\n%s", dir, properties)
	}

	t.Run("without workers every flush runs on the engine thread", func(t *testing.T) {
		dir, conf := threadsConf(t, "")
		r := runHost(t, dir, conf, "-q", "-e", mustBuild(t).probe, "--chunk-records", "1")

		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
		}
		var names []string
		for _, line := range strings.Split(r.probeLog, "\n") {
			if strings.HasPrefix(line, "flush ") {
				names = append(names, threadName.FindString(line))
			}
		}
		assertEqual(t, "flush threads", strings.Join(names, " "), strings.TrimSpace(strings.Repeat("thread=engine ", 8)))
		if engine := initThread.FindStringSubmatch(r.rawLog); engine == nil || engine[1] == strconv.Itoa(r.pid) {
			t.Errorf("init must run on an engine thread that is not the main thread (pid %d):\n%s", r.pid, r.rawLog)
		}
	})

	t.Run("workers 2 flush concurrently on two worker threads", func(t *testing.T) {
		dir, conf := threadsConf(t, "    workers 2\n    Barrier 2\n")
		r := runHost(t, dir, conf, "-q", "-e", mustBuild(t).probe, "--chunk-records", "1")

		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
		}
		if got := strings.Count(r.rawLog, " barrier=ok"); got != 2 {
			t.Errorf("barrier=ok on %d flushes, want 2 (the first two flushes must overlap):\n%s", got, r.rawLog)
		}
		threads := distinct(flushThreads(t, r.rawLog))
		engine := initThread.FindStringSubmatch(r.rawLog)
		if engine == nil {
			t.Fatalf("no init line:\n%s", r.rawLog)
		}
		if len(threads) != 2 {
			t.Errorf("flushes ran on %d threads %v, want 2", len(threads), threads)
		}
		for _, id := range threads {
			if id == engine[1] || id == strconv.Itoa(r.pid) {
				t.Errorf("flush on thread %s, which is the engine (%s) or main (%d) thread", id, engine[1], r.pid)
			}
		}
		if got := len(flushThreads(t, r.rawLog)); got != 8 {
			t.Errorf("%d flushes, want 8", got)
		}
	})
}

func TestRetries(t *testing.T) {
	const chunk = "'0-1714564800.250000000.flb'"
	const route = "task_id=0, input=tail.0 > output=probe.0"
	flush := func(ret int) string {
		return fmt.Sprintf("flush id=r tag=app records=1 bytes=21 crc=a5fa89e0 thread=engine ret=%d\n", ret)
	}
	tests := []struct {
		name       string
		properties string
		wantLog    string
		wantStderr string
	}{
		{
			name:       "Retry_First flushes the same bytes again",
			properties: "Retry_First on\n",
			wantLog:    flush(2) + flush(1),
			wantStderr: "[ warn] [engine] failed to flush chunk " + chunk + ", retry in 0.001 seconds: " + route + " (out_id=0)\n" +
				"[ info] [engine] flush chunk " + chunk + " succeeded at retry 1: " + route + " (out_id=0)\n" +
				"[flbhost] chunks=1 records=1 ok=1 retry=1 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n",
		},
		{
			name:       "no_retries drops the chunk",
			properties: "Retry_First on\n    Retry_Limit no_retries\n",
			wantLog:    flush(2),
			wantStderr: "[error] [engine] chunk " + chunk + " cannot be retried: " + route + "\n" +
				"[flbhost] chunks=1 records=1 ok=0 retry=1 error=0 dropped=1 dropped_records=1 lost_records=0 stored_chunks=0\n",
		},
		{
			name:       "Retry_Limit 2 allows two retries",
			properties: "Flush_Return 2\n    Retry_Limit 2\n",
			wantLog:    flush(2) + flush(2) + flush(2),
			wantStderr: "[ warn] [engine] failed to flush chunk " + chunk + ", retry in 0.001 seconds: " + route + " (out_id=0)\n" +
				"[ warn] [engine] failed to flush chunk " + chunk + ", retry in 0.001 seconds: " + route + " (out_id=0)\n" +
				"[error] [engine] chunk " + chunk + " cannot be retried: " + route + "\n" +
				"[flbhost] chunks=1 records=1 ok=0 retry=3 error=0 dropped=1 dropped_records=1 lost_records=0 stored_chunks=0\n",
		},
		{
			name:       "FLB_ERROR counts as error",
			properties: "Flush_Return 0\n",
			wantLog:    flush(0),
			wantStderr: "[flbhost] chunks=1 records=1 ok=0 retry=0 error=1 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n",
		},
		{
			name:       "unknown return code counts as error",
			properties: "Flush_Return 7\n",
			wantLog:    flush(7),
			wantStderr: "[flbhost] chunks=1 records=1 ok=0 retry=0 error=1 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "in.log"), "l1\n")
			conf := fmt.Sprintf("[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag app\n"+
				"[OUTPUT]\n    Name probe\n    Match app\n    Id r\n    %s", dir, tc.properties)

			r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "--time", fixedTime, "--retry-wait-ms", "1")

			if r.code != 0 {
				t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
			}
			flushes := strings.Count(tc.wantLog, "\n")
			assertEqual(t, "probe log", r.probeLog, "preregister hot=0 thread=main\nregister thread=main\n"+
				"init id=r thread=engine plugin=first ret=1\nprerun hot=0 thread=engine\n"+
				tc.wantLog+
				"preexit hot=0 thread=engine\nexit id=r thread=engine flushes="+strconv.Itoa(flushes)+"\n"+
				"unregister thread=main\n")
			assertEqual(t, "stderr", r.stderr, tc.wantStderr)
		})
	}
}

func TestInitFailure(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.log"), "l1\n")
	conf := fmt.Sprintf(`[INPUT]
    Name tail
    Path %s/in.log
    Tag  app
[OUTPUT]
    Name  probe
    Match app
    Id    good
    workers 1
[OUTPUT]
    Name      probe
    Match     app
    Id        bad
    Fail_Init on
[OUTPUT]
    Name  probe
    Match app
    Id    never
`, dir)

	r := runHost(t, dir, conf, "-e", mustBuild(t).probe)

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	assertEqual(t, "stderr", r.stderr, `[error] [go proxy]: plugin 'probe' failed to initialize
[error] [output] failed to initialize 'probe' plugin
`)
	assertEqual(t, "probe log", r.probeLog, `preregister hot=0 thread=main
register thread=main
init id=good thread=engine plugin=first ret=1
init id=bad thread=engine plugin=first ret=0
unregister thread=main
`)
}

func TestLifecycle(t *testing.T) {
	arts := mustBuild(t)
	dir := t.TempDir()
	if err := os.Symlink(arts.probe, filepath.Join(dir, "out_probe.so")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "in.log"), "one\ntwo\nthree\n")
	writeFile(t, filepath.Join(dir, "plugins.conf"), "[PLUGINS]\n    Path out_probe.so\n")
	writeFile(t, filepath.Join(dir, "outputs.conf"),
		"[OUTPUT]\n    Name probe\n    Match app\n    Id a\n"+
			"[OUTPUT]\n    Name probe\n    Match app\n    Id b\n")
	conf := fmt.Sprintf(`[SERVICE]
    # relative to this file's directory, like Fluent Bit
    plugins_file plugins.conf

[INPUT]
    Name tail
    Path %s/in.log
    Tag  app

@INCLUDE outputs.conf
`, dir)

	r := runHost(t, dir, conf, "--time", fixedTime, "--chunk-records", "2")

	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	assertEqual(t, "probe log", r.probeLog, `preregister hot=0 thread=main
register thread=main
init id=a thread=engine plugin=first ret=1
init id=b thread=engine plugin=first ret=1
prerun hot=0 thread=engine
prerun hot=0 thread=engine
flush id=a tag=app records=2 bytes=44 crc=e123a8c7 thread=engine ret=1
flush id=b tag=app records=2 bytes=44 crc=e123a8c7 thread=engine ret=1
flush id=a tag=app records=1 bytes=24 crc=683d2bcf thread=engine ret=1
flush id=b tag=app records=1 bytes=24 crc=683d2bcf thread=engine ret=1
preexit hot=0 thread=engine
exit id=a thread=engine flushes=2
preexit hot=0 thread=engine
exit id=b thread=engine flushes=2
unregister thread=main
`)
	assertEqual(t, "stderr", r.stderr, "[flbhost] chunks=2 records=3 ok=4 retry=0 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n")
}

func TestWithoutContextCallbacks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.log"), "one\ntwo\nthree\n")
	conf := fmt.Sprintf("[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag app\n"+
		"[OUTPUT]\n    Name probe\n    Match app\n    Id a\n"+
		"[OUTPUT]\n    Name probe\n    Match app\n    Id b\n", dir)

	r := runHost(t, dir, conf, "-q", "-e", mustBuild(t).probeNoCtx, "--time", fixedTime)

	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	// FLBPluginFlush carries no context, so the probe attributes both
	// flushes to the last initialised instance; FLBPluginExit runs once per
	// instance.
	assertEqual(t, "probe log", r.probeLog, `preregister hot=0 thread=main
register thread=main
init id=a thread=engine plugin=first ret=1
init id=b thread=engine plugin=first ret=1
prerun hot=0 thread=engine
prerun hot=0 thread=engine
flush-noctx id=b tag=app records=3 bytes=68 crc=442f272e thread=engine ret=1
flush-noctx id=b tag=app records=3 bytes=68 crc=442f272e thread=engine ret=1
preexit hot=0 thread=engine
exit-noctx call=1 thread=engine
preexit hot=0 thread=engine
exit-noctx call=2 thread=engine
unregister thread=main
`)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name       string
		conf       string // {dir} is the test directory
		wantStderr string // {dir} is the test directory
		wantLog    string
	}{
		{
			name:       "unknown output plugin",
			conf:       "[OUTPUT]\n    Name nosuch\n    Match *\n",
			wantStderr: "[error] [config] section 'nosuch' tried to instance a plugin name that doesn't exist\n",
			wantLog:    "preregister hot=0 thread=main\nregister thread=main\nunregister thread=main\n",
		},
		{
			name:       "input other than tail",
			conf:       "[INPUT]\n    Name dummy\n",
			wantStderr: "[error] [config] {dir}/fluent-bit.conf:1: input plugin 'dummy' is not supported by flbhost (only tail)\n",
			wantLog:    "preregister hot=0 thread=main\nregister thread=main\nunregister thread=main\n",
		},
		{
			name:       "missing include",
			conf:       "@INCLUDE nothere.conf\n",
			wantStderr: "[error] [config] {dir}/fluent-bit.conf:1: cannot include '{dir}/nothere.conf': no such file\n",
			wantLog:    "preregister hot=0 thread=main\nregister thread=main\nunregister thread=main\n",
		},
		{
			name:       "key without value",
			conf:       "[OUTPUT]\n    Name probe\n    Match\n",
			wantStderr: "[error] [config] {dir}/fluent-bit.conf:3: undefined value for key 'Match'\n",
			wantLog:    "preregister hot=0 thread=main\nregister thread=main\nunregister thread=main\n",
		},
		{
			name: "parser that is not json",
			conf: "[SERVICE]\n    parsers_file parsers.conf\n" +
				"[INPUT]\n    Name tail\n    Path {dir}/in.log\n    Parser apache\n",
			wantStderr: "[error] [input:tail:tail.0] parser 'apache' has format 'regex'; flbhost supports only json\n",
			wantLog:    "preregister hot=0 thread=main\nregister thread=main\nunregister thread=main\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "parsers.conf"), "[PARSER]\n    Name apache\n    Format regex\n")

			r := runHost(t, dir, strings.ReplaceAll(tc.conf, "{dir}", dir), "-e", mustBuild(t).probe)

			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			assertEqual(t, "stderr", r.stderr, strings.ReplaceAll(tc.wantStderr, "{dir}", dir))
			assertEqual(t, "probe log", r.probeLog, tc.wantLog)
		})
	}
}

// TestEmptyLines: in_tail hands empty lines over as records (an empty
// "log"), unless Skip_Empty_Lines is on. MWG traces need them: an empty line
// ends an HTTP header block.
func TestEmptyLines(t *testing.T) {
	for _, tt := range []struct {
		skip    string
		records string
	}{
		{"off", `  record 1714564800.250000000 {"log":"a"}
  record 1714564800.250000000 {"log":""}
  record 1714564800.250000000 {"log":"b"}
`},
		{"on", `  record 1714564800.250000000 {"log":"a"}
  record 1714564800.250000000 {"log":"b"}
`},
	} {
		t.Run("Skip_Empty_Lines "+tt.skip, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "in.log"), "a\r\n\r\nb\n")
			out := filepath.Join(dir, "probe.out")
			conf := fmt.Sprintf("[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag t\n    Skip_Empty_Lines %s\n\n"+
				"[OUTPUT]\n    Name probe\n    Match t\n    Id e\n    Probe_Out %s\n", dir, tt.skip, out)
			r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "--time", fixedTime)
			if r.code != 0 {
				t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
			}
			got := regexp.MustCompile(`bytes=\d+ crc=[0-9a-f]{8}`).ReplaceAllString(nameThreads(readFileOrEmpty(t, out), r.pid), "bytes=* crc=*")
			n := strings.Count(tt.records, "\n")
			want := fmt.Sprintf("init id=e thread=engine plugin=first ret=1\nflush id=e tag=t records=%d bytes=* crc=* thread=engine ret=1\n%sexit id=e thread=engine flushes=1\n", n, tt.records)
			assertEqual(t, "probe", got, want)
		})
	}
}

// TestHotReload: the reload sequence of Fluent Bit 5.1.1 (reference §8):
// pending chunks flushed first, then per instance OutputPreExit(1) and
// ExitCtx on the old engine thread; Unregister, PreRegister(1) and Register
// on the main thread; a new engine thread with a new plugin structure for
// the Inits and OutputPreRun(1); the input goes on where it was.
func TestHotReload(t *testing.T) {
	arts := mustBuild(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.log"), "one\ntwo\nthree\nfour\nfive\n")
	conf := fmt.Sprintf(`[INPUT]
    Name tail
    Path %s/in.log
    Tag  app

[OUTPUT]
    Name  probe
    Match app
    Id    a

[OUTPUT]
    Name  probe
    Match app
    Id    b
`, dir)

	r := runHost(t, dir, conf, "-e", arts.probe, "--time", fixedTime, "--chunk-records", "2", "--reload-every-chunks", "1", "--reloads", "1")

	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	// T1 is the second engine thread.
	assertEqual(t, "probe log", r.probeLog, `preregister hot=0 thread=main
register thread=main
init id=a thread=engine plugin=first ret=1
init id=b thread=engine plugin=first ret=1
prerun hot=1 thread=engine
prerun hot=1 thread=engine
flush id=a tag=app records=2 bytes=44 crc=e123a8c7 thread=engine ret=1
flush id=b tag=app records=2 bytes=44 crc=e123a8c7 thread=engine ret=1
preexit hot=1 thread=engine
exit id=a thread=engine flushes=1
preexit hot=1 thread=engine
exit id=b thread=engine flushes=1
unregister thread=main
preregister hot=1 thread=main
register thread=main
init id=a thread=T1 plugin=other ret=1
init id=b thread=T1 plugin=other ret=1
prerun hot=1 thread=T1
prerun hot=1 thread=T1
flush id=a tag=app records=2 bytes=47 crc=57878223 thread=T1 ret=1
flush id=b tag=app records=2 bytes=47 crc=57878223 thread=T1 ret=1
flush id=a tag=app records=1 bytes=23 crc=4d2c5e06 thread=T1 ret=1
flush id=b tag=app records=1 bytes=23 crc=4d2c5e06 thread=T1 ret=1
preexit hot=0 thread=T1
exit id=a thread=T1 flushes=2
preexit hot=0 thread=T1
exit id=b thread=T1 flushes=2
unregister thread=main
`)
	assertEqual(t, "stderr", r.stderr, "[ info] [reload] hot reload #1: old context stopped, starting the new one\n"+
		"[flbhost] chunks=3 records=5 ok=6 retry=0 error=0 dropped=0 dropped_records=0 lost_records=0 stored_chunks=0\n")
}

// Package test holds welfbridge's integration tests: the plugin is built as
// a .so and loaded by test/flbhost, the harness that drives it exactly as
// Fluent Bit 5.x's Go proxy does, with classic Fluent Bit configs written by
// each test.
package test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under test/fixtures/golden")

// root is the repository root; plugin and harness are the built artefacts.
var root, plugin, harness string

func TestMain(m *testing.M) {
	flag.Parse()
	_, file, _, _ := runtime.Caller(0)
	root = filepath.Dir(filepath.Dir(file))
	plugin = filepath.Join(root, "build", "out_welf.so")
	harness = filepath.Join(root, "build", "flbhost")
	// The Makefile is the one place that knows how to build both.
	build := exec.Command("make", "--no-print-directory", "build")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "make build: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// fixture returns the path of a file under test/fixtures.
func fixture(name string) string { return filepath.Join(root, "test", "fixtures", name) }

// run is one harness run.
type run struct {
	stdout, stderr string
	exit           int
}

// harnessTime fixes the event time of every record, so output is reproducible.
const harnessTime = "2024-03-05T08:00:00Z"

// runHarness writes conf into a temporary directory, runs the harness on it
// with the plugin loaded like `fluent-bit -e`, and returns what it printed.
func runHarness(t *testing.T, conf string, args ...string) run {
	t.Helper()
	return startHarness(t, conf, args...)()
}

// startHarness starts the harness like runHarness and returns a function
// that waits for it to end.
func startHarness(t *testing.T, conf string, args ...string) (wait func() run) {
	t.Helper()
	dir := t.TempDir()
	confPath := filepath.Join(dir, "fluent-bit.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"--time", harnessTime, "-e", plugin, "-c", confPath}, args...)
	cmd := exec.Command(harness, argv...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return func() run {
		t.Helper()
		err := cmd.Wait()
		r := run{stdout: stdout.String(), stderr: stderr.String()}
		if exitErr, ok := err.(*exec.ExitError); ok {
			r.exit = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("harness: %v", err)
		}
		return r
	}
}

// mustRun is runHarness for runs that must succeed.
func mustRun(t *testing.T, conf string, args ...string) run {
	t.Helper()
	r := runHarness(t, conf, args...)
	if r.exit != 0 {
		t.Fatalf("harness exit %d\nstderr:\n%s", r.exit, r.stderr)
	}
	// Every run checks the plugin's record accounting at exit.
	if strings.Contains(r.stderr, "records do not add up") {
		t.Errorf("record accounting does not balance:\n%s", r.stderr)
	}
	return r
}

// golden compares got with the golden file name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := fixture(filepath.Join("golden", name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// readOutput returns the contents of a file the plugin wrote.
func readOutput(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stderrLines returns the plugin's and the harness's log lines without the
// timestamp prefix, so they can be compared exactly.
func stderrLines(stderr string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if strings.HasPrefix(line, "[20") {
			if i := strings.Index(line, "] "); i > 0 {
				line = line[i+2:]
			}
		}
		out = append(out, line)
	}
	return out
}

// tailInput is a classic [INPUT] section tailing path.
func tailInput(tag, path string, extra ...string) string {
	s := "[INPUT]\n    Name tail\n    Tag " + tag + "\n    Path " + path + "\n    Read_from_Head on\n"
	for _, kv := range extra {
		s += "    " + kv + "\n"
	}
	return s
}

// single turns correlation off: one WELF record per Airlock record, for the
// tests of the mapping and of the carriers.
const single = "Correlate off"

// welfOutput is a classic [OUTPUT] section for the plugin.
func welfOutput(match string, props ...string) string {
	s := "[OUTPUT]\n    Name welf\n    Match " + match + "\n"
	for _, kv := range props {
		s += "    " + kv + "\n"
	}
	return s
}

package delivery

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// waitLimit bounds every wait for the engine's goroutine; reaching it means
// the test failed, not that something was slow.
const waitLimit = 10 * time.Second

var _ sink.Sink = (*Engine)(nil)

// testRecords returns n records numbered from first. Every field varies, and
// every frame has the same size (recFrameLen), so offsets are predictable.
// Record 7 of each hundred has the zero time.
func testRecords(first, n int) []sink.Record {
	recs := make([]sink.Record, n)
	for i := range recs {
		k := first + i
		t := time.Date(2024, 3, 5, 9, 12, 0, 0, time.UTC).Add(time.Duration(k) * 1500 * time.Millisecond)
		if k%100 == 7 {
			t = time.Time{}
		}
		recs[i] = sink.Record{Time: t, Severity: k % 8, Host: fmt.Sprintf("gw%d", k%3), Line: fmt.Appendf(nil, "rec=%04d", k)}
	}
	return recs
}

// recFrameLen is the size of a frame of testRecords: header, time,
// severity, host length, "gwN", "rec=NNNN".
const recFrameLen = 8 + 8 + 1 + 1 + 3 + 8

// describe renders a record with all its fields.
func describe(r sink.Record) string {
	t := "zero"
	if !r.Time.IsZero() {
		t = r.Time.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s %d %s %s", t, r.Severity, r.Host, r.Line)
}

// want describes testRecords(first, n).
func want(first, n int) []string {
	var out []string
	for _, r := range testRecords(first, n) {
		out = append(out, describe(r))
	}
	return out
}

// fakeCarrier records what it delivers. Its hook, if set, runs at the start
// of every Send with the call number (from 1) and the batch, and returns how
// many records to deliver and the error to return.
type fakeCarrier struct {
	hook func(call int, recs []sink.Record) (int, error)

	mu     sync.Mutex
	calls  int
	sizes  []int    // records per Send
	got    []string // delivered records, described
	closed bool

	delivered chan string // if set, receives each delivered record's description
}

func (c *fakeCarrier) Send(recs []sink.Record) error {
	c.mu.Lock()
	c.calls++
	call := c.calls
	c.sizes = append(c.sizes, len(recs))
	c.mu.Unlock()
	n, err := len(recs), error(nil)
	if c.hook != nil {
		n, err = c.hook(call, recs)
	}
	for _, r := range recs[:min(max(n, 0), len(recs))] {
		d := describe(r) // copies Line: it is valid only during Send
		c.mu.Lock()
		c.got = append(c.got, d)
		c.mu.Unlock()
		if c.delivered != nil {
			c.delivered <- d
		}
	}
	return err
}

func (c *fakeCarrier) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *fakeCarrier) result() (got []string, sizes []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got), slices.Clone(c.sizes)
}

// logRecorder keeps log lines as "info: …", "warn: …", "error: …".
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	added chan string // if set, receives every line
}

func (l *logRecorder) Infof(f string, a ...any)  { l.add("info: " + fmt.Sprintf(f, a...)) }
func (l *logRecorder) Warnf(f string, a ...any)  { l.add("warn: " + fmt.Sprintf(f, a...)) }
func (l *logRecorder) Errorf(f string, a ...any) { l.add("error: " + fmt.Sprintf(f, a...)) }

func (l *logRecorder) add(line string) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	if l.added != nil {
		l.added <- line
	}
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// testOptions are fast and quiet: tiny backoff, no periodic stats.
func testOptions(log Logger) Options {
	return Options{
		BatchRecords:    10,
		BackoffMin:      time.Millisecond,
		BackoffMax:      2 * time.Millisecond,
		ShutdownTimeout: waitLimit,
		StatsInterval:   -1,
		Log:             log,
	}
}

func newEngine(t *testing.T, c sink.Sink, opt Options) *Engine {
	t.Helper()
	e, err := New(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func send(t *testing.T, e *Engine, recs []sink.Record) {
	t.Helper()
	if err := e.Send(recs); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func closeEngine(t *testing.T, e *Engine) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// receive waits for the next value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// checkBalance verifies that every record is accounted for exactly once.
func checkBalance(t *testing.T, c Counters) {
	t.Helper()
	if c.Accepted+c.Replayed != c.Sent+c.Dropped+c.Queued+c.Spooled {
		t.Errorf("counters do not add up: %s", c)
	}
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %#v\nwant %#v", what, got, want)
	}
}

// stats is the line Close logs for c.
func stats(c Counters) string { return "info: delivery stats: " + c.String() }

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// writeSegment writes a segment file of recs as the spool writes it.
func writeSegment(t *testing.T, dir string, seq uint64, recs []sink.Record) string {
	t.Helper()
	frames, err := encodeBatch(nil, recs, true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%016x.seg", seq))
	if err := os.WriteFile(path, append([]byte(segmentHeader), frames...), 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

// segName is the name of segment seq.
func segName(seq uint64) string { return fmt.Sprintf("%016x.seg", seq) }

// lines joins expected log lines for messages that mention paths.
func lines(dir string, ls ...string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = strings.ReplaceAll(l, "DIR", dir)
	}
	return out
}

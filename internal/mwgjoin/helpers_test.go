package mwgjoin

import (
	"bytes"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/welf"
)

// traceDir is where the fixtures appear to tail: the files of one
// connection must share a directory, wherever the test reads them from.
const traceDir = "/opt/mwg/log/debug/connection_tracing/"

// t0 is the event time of the first record fed.
var t0 = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)

// readTrace reads a fixture from this package's testdata, else from the
// mwg package's.
func readTrace(t testing.TB, name string) []byte {
	t.Helper()
	for _, dir := range []string{"testdata/traces", "../mwg/testdata/traces"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return data
		}
		if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	t.Fatalf("fixture %s not found", name)
	return nil
}

// tailRecord is one record as Fluent Bit's tail input hands it over.
type tailRecord struct {
	path   string
	offset int64 // of the line's first byte
	line   []byte
}

// tailLines splits a file the way tail does: one record per LF-terminated
// line, the LF removed and, unless keepCR, one trailing CR too; a last line
// without LF is a record too.
func tailLines(path string, data []byte, keepCR bool) []tailRecord {
	var recs []tailRecord
	offset := int64(0)
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		n := int64(len(data) - len(rest))
		if !keepCR {
			line = bytes.TrimSuffix(line, []byte{'\r'})
		}
		recs = append(recs, tailRecord{path: path, offset: offset, line: line})
		offset += n
		data = rest
	}
	return recs
}

// roundRobin interleaves the lines of several files: one line of each in
// turn, as tail does when all of them grow at once.
func roundRobin(files ...[]tailRecord) []tailRecord {
	var out []tailRecord
	for i := 0; ; i++ {
		more := false
		for _, f := range files {
			if i < len(f) {
				out = append(out, f[i])
				more = true
			}
		}
		if !more {
			return out
		}
	}
}

// traceRecords reads fixtures and interleaves their lines round-robin.
func traceRecords(t testing.TB, keepCR bool, names ...string) []tailRecord {
	t.Helper()
	var files [][]tailRecord
	for _, name := range names {
		files = append(files, tailLines(traceDir+name, readTrace(t, name), keepCR))
	}
	return roundRobin(files...)
}

// collector encodes outputs the way the pipeline does and keeps the WELF
// lines.
type collector struct {
	t     testing.TB
	b     *welf.Builder
	lines []string
}

func newCollector(t testing.TB) *collector {
	return &collector{t: t, b: welf.NewBuilder(welf.Options{Location: time.UTC})}
}

func (c *collector) emit(o *Output) {
	c.b.Begin(welf.Header{ID: "firewall", Time: o.Time(), FW: "mwg01", Pri: o.Pri()})
	o.WriteWELF(c.b)
	if o.Partial != "" {
		c.b.Str("partial", o.Partial)
	}
	line, err := c.b.Finish()
	if err != nil {
		c.t.Errorf("encoding %+v: %v", o, err)
		return
	}
	c.lines = append(c.lines, string(line))
}

func (c *collector) take() string {
	s := joinLines(c.lines...)
	c.lines = nil
	return s
}

// joinLines joins expected lines as collector.take does.
func joinLines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// feeder passes records to a Joiner from one reused buffer, overwritten
// after each Add, so that anything kept without copying shows. Each record
// gets the event time t0 plus one second per record fed.
type feeder struct {
	t   testing.TB
	j   *Joiner
	c   *collector
	n   int
	buf []byte
}

func newFeeder(t testing.TB, cfg Config) *feeder {
	t.Helper()
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &feeder{t: t, j: j, c: newCollector(t)}
}

// recordTime is the default test configuration: deterministic clock.
func recordTime() Config { return Config{Clock: correlate.ClockRecord} }

func (f *feeder) feed(recs []tailRecord) {
	f.t.Helper()
	for _, r := range recs {
		f.add(r.path, r.offset, r.line, t0.Add(time.Duration(f.n)*time.Second))
		f.n++
	}
}

func (f *feeder) add(path string, offset int64, line []byte, evTime time.Time) {
	f.t.Helper()
	f.buf = append(f.buf[:0], line...)
	if err := f.j.Add([]byte(path), offset, f.buf, evTime, f.c.emit); err != nil {
		f.t.Fatalf("Add(%q): %v", path, err)
	}
	for i := range f.buf {
		f.buf[i] = '#'
	}
	if cs := f.j.Counters(); cs.PendingBytes > f.j.cfg.MaxBytes || cs.ConnsOpen > f.j.cfg.MaxConnections {
		f.t.Fatalf("state not bounded: %s", cs)
	}
}

func (f *feeder) drain() string {
	f.t.Helper()
	f.j.Drain(f.c.emit)
	if err := f.j.Counters().Check(); err != nil {
		f.t.Error(err)
	}
	return f.c.take()
}

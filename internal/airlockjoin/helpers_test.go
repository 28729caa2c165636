package airlockjoin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// collector encodes every output the way the pipeline does and keeps the
// WELF lines, each prefixed with the number of records it stands for.
type collector struct {
	b     *welf.Builder
	lines []string
}

func newCollector() *collector {
	return &collector{b: welf.NewBuilder(welf.Options{Location: time.UTC})}
}

func (c *collector) emit(o *Output) {
	t, ok := o.Rec.Time()
	if !ok {
		t = o.Time
	}
	host := string(o.Rec.Get(airlock.FieldHost))
	if host == "" {
		host = "-"
	}
	c.b.Begin(welf.Header{ID: "firewall", Time: t, FW: host, Pri: o.Pri})
	o.Rec.WriteWELF(c.b)
	if o.Partial != "" {
		c.b.Str("partial", o.Partial)
	}
	line, err := c.b.Finish()
	if err != nil {
		c.lines = append(c.lines, "error: "+err.Error())
		return
	}
	c.lines = append(c.lines, fmt.Sprintf("[%d] %s", o.Records, line))
}

// take returns the lines collected so far and forgets them.
func (c *collector) take() []string {
	l := c.lines
	c.lines = nil
	return l
}

// feeder passes fixtures to a Joiner the way the pipeline does: parsed
// into one reused Record from one reused line buffer, which it overwrites
// after each Add so that anything the Joiner kept without copying shows.
type feeder struct {
	t    testing.TB
	line []byte
	rec  airlock.Record
}

func (f *feeder) add(j *Joiner, c *collector, name string) {
	f.t.Helper()
	f.addAt(j, c, name, time.Time{})
}

// addAt adds fixture name with event time evTime (zero: its @timestamp).
func (f *feeder) addAt(j *Joiner, c *collector, name string, evTime time.Time) {
	f.t.Helper()
	f.line = append(f.line[:0], fixture(f.t, name)...)
	if err := airlock.ParseLine(f.line, &f.rec); err != nil {
		f.t.Fatalf("%s: %v", name, err)
	}
	j.Add(&f.rec, evTime, c.emit)
	for i := range f.line {
		f.line[i] = 'X'
	}
	f.rec.Reset()
}

// addFields adds a record made of key/value pairs.
func (f *feeder) addFields(j *Joiner, c *collector, evTime time.Time, kv ...string) {
	f.t.Helper()
	f.line = f.line[:0]
	f.rec.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		f.line = append(f.line, kv[i]...)
		f.line = append(f.line, kv[i+1]...)
	}
	at := 0
	for i := 0; i+1 < len(kv); i += 2 {
		k := f.line[at : at+len(kv[i])]
		at += len(kv[i])
		v := f.line[at : at+len(kv[i+1])]
		at += len(kv[i+1])
		f.rec.Set(k, v)
	}
	j.Add(&f.rec, evTime, c.emit)
	for i := range f.line {
		f.line[i] = 'X'
	}
	f.rec.Reset()
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newJoiner(t testing.TB, cfg Config) *Joiner {
	t.Helper()
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// checkCounters fails unless the counters are want and add up.
func checkCounters(t *testing.T, j *Joiner, want string) {
	t.Helper()
	c := j.Counters()
	if got := c.String(); got != want {
		t.Errorf("counters:\n got %s\nwant %s", got, want)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
}

func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

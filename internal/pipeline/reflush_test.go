package pipeline

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/destination"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// TestReflushAfterRestart: with a spool, a chunk processed before a restart
// that Fluent Bit flushes again is acknowledged without being processed
// again; a new chunk, and an identical chunk within one run, are processed.
func TestReflushAfterRestart(t *testing.T) {
	dir := t.TempDir()
	var out lockedBuffer
	start := func(logs *bytes.Buffer) *Pipeline {
		t.Helper()
		e, err := delivery.New(sink.NewWriter(&out, false), delivery.Options{SpoolDir: dir, StatsInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		log := flblog.New(logs, "welf", "welf.0", flblog.Info).WithClock(func() time.Time { return evTime })
		p, err := New(testConfig(), &destination.Destination{Sink: e, Admit: e.Admit}, log)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	chunk := eventtest.AppendV2(nil, evTime, map[string]any{"log": summaryLine})
	other := eventtest.AppendV2(nil, evTime.Add(time.Second), map[string]any{"log": summaryLine})

	var logs1 bytes.Buffer
	p := start(&logs1)
	for i := 0; i < 2; i++ { // identical chunks within a run are all processed
		if res, err := p.Flush(chunk, "airlock"); err != nil || res.Written != 1 {
			t.Fatalf("first run: %+v, %v", res, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	var logs2 bytes.Buffer
	p = start(&logs2)
	if res, err := p.Flush(chunk, "airlock"); err != nil || res != (Result{}) {
		t.Errorf("re-flushed chunk: %+v, %v; want it acknowledged untouched", res, err)
	}
	if res, err := p.Flush(chunk, "other"); err != nil || res.Written != 1 {
		t.Errorf("same bytes, another tag: %+v, %v; want it processed", res, err)
	}
	if res, err := p.Flush(other, "airlock"); err != nil || res.Written != 1 {
		t.Errorf("new chunk: %+v, %v; want it processed", res, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != 4 {
		t.Errorf("delivered %d records, want 4:\n%s", got, out.String())
	}
	want := `[2024/03/05 08:00:00] [ info] [output:welf:welf.0] chunk (tag "airlock", ` + strconv.Itoa(len(chunk)) + ` bytes) was processed before the restart and is flushed again by Fluent Bit: acknowledged without processing it twice`
	if !strings.Contains(logs2.String(), want+"\n") {
		t.Errorf("log:\n%s\nwant line:\n%s", logs2.String(), want)
	}
}

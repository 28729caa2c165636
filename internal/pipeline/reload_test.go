package pipeline

import (
	"bytes"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/destination"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
)

// TestRestartLeavesNoGoroutines does what Fluent Bit's hot reload does to
// a Go plugin: the process stays, every instance is closed, and new ones
// start. Whatever an instance started — sender, stats and fsync timers,
// the correlation and MWG tickers, connections — must end with Close, or
// each reload would leave it behind.
func TestRestartLeavesNoGoroutines(t *testing.T) {
	fwd := forwardtest.Start(t, forwardtest.Options{})
	tcp := sinktest.Listen(t, nil, sinktest.Discard)
	dir := t.TempDir()
	destinations := map[string][]string{
		"forward": {"Destination", "forward://" + fwd.Addr(), "Forward_Require_Ack", "on", "Spool_Dir", filepath.Join(dir, "spool-fwd")},
		"tcp":     {"Destination", "tcp://" + tcp, "Spool_Dir", filepath.Join(dir, "spool-tcp"), "Spool_Fsync", "interval"},
		"file":    {"Destination", "file://" + filepath.Join(dir, "out.welf")},
	}
	var chunk []byte
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": summaryLine})
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": "[[[", "file": "/opt/mwg/log/debug/connection_tracing/HTTP-1-C.txt"})

	baseline := runtime.NumGoroutine()
	for round := range 3 {
		for name, kv := range destinations {
			props := map[string]string{
				"stats_interval": "1s", "correlation_clock": "wall",
				"state_file": filepath.Join(dir, name+".state"),
			}
			for i := 0; i < len(kv); i += 2 {
				props[strings.ToLower(kv[i])] = kv[i+1]
			}
			cfg, err := config.Parse(func(key string) string { return props[strings.ToLower(key)] }, "collector")
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := flblog.New(&logs, "welf", "welf.0", flblog.Info)
			dest, err := destination.Open(cfg, io.Discard, log)
			if err != nil {
				t.Fatal(err)
			}
			p, err := New(cfg, dest, log)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Flush(chunk, "airlock"); err != nil {
				t.Fatalf("round %d, %s: %v", round, name, err)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("round %d, %s: %v\n%s", round, name, err, logs.String())
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left behind by closed instances:\n%s", n-baseline, buf[:runtime.Stack(buf, true)])
	}
}

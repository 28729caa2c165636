package delivery

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

type discardCarrier struct{}

func (discardCarrier) Send([]sink.Record) error { return nil }
func (discardCarrier) Close() error             { return nil }

// BenchmarkEngine measures the engine's cost per record: one op is a Send
// of 1,000 records of 400-byte lines, and the timing includes the sender
// handing them to a carrier that discards them (Close drains at the end).
// send-ns/record is the part spent in Send, on Fluent Bit's flush thread.
func BenchmarkEngine(b *testing.B) {
	const batch = 1000
	recs := make([]sink.Record, batch)
	for i := range recs {
		line := fmt.Appendf(nil, "id=firewall time=\"2024-03-05 09:12:44\" fw=gw1 pri=6 src=10.0.0.%d ", i%250)
		recs[i] = sink.Record{
			Time:     time.Date(2024, 3, 5, 9, 12, 44, i, time.UTC),
			Severity: 6,
			Host:     "gw1.example.net",
			Line:     append(line, bytes.Repeat([]byte("x"), 400-len(line))...),
		}
	}
	for _, tt := range []struct {
		name  string
		spool bool
	}{{"memory", false}, {"spool", true}} {
		b.Run(tt.name, func(b *testing.B) {
			opt := Options{StatsInterval: -1, ShutdownTimeout: time.Minute}
			if tt.spool {
				opt.SpoolDir = b.TempDir() // FsyncInterval
			}
			e, err := New(discardCarrier{}, opt)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(batch * 400)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var inSend time.Duration
			b.ResetTimer()
			for range b.N {
				for !e.Admit() { // as the flush path: Fluent Bit would retry later
					runtime.Gosched()
				}
				start := time.Now()
				if err := e.Send(recs); err != nil {
					b.Fatal(err)
				}
				inSend += time.Since(start)
			}
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			if c := e.Counters(); c.Sent != uint64(b.N*batch) {
				b.Fatalf("sent %d of %d", c.Sent, b.N*batch)
			}
			n := float64(b.N * batch)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
			b.ReportMetric(float64(inSend.Nanoseconds())/n, "send-ns/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
			b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
		})
	}
}

package forward_test

import (
	"runtime"
	"testing"

	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
)

// BenchmarkSend sends batches of 1,000 records with 400-byte lines to a
// receiver in the same process, which decodes every message (so the figures
// include its work): records/s from the Send to the receiver having every
// event, allocs/record counted in both.
func BenchmarkSend(b *testing.B) {
	recs := sameSizeRecords(1000)
	lineBytes := 0
	for i := range recs {
		lineBytes += len(recs[i].Line)
	}
	for _, bm := range []struct {
		name       string
		requireAck bool
		gzip       bool
	}{{"no_ack", false, false}, {"ack", true, false}, {"ack_gzip", true, true}} {
		b.Run(bm.name, func(b *testing.B) {
			r := forwardtest.Start(b, forwardtest.Options{CountOnly: true})
			c := newClient(b, forward.Config{Address: r.Addr(), RequireAck: bm.requireAck, Gzip: bm.gzip})
			if err := c.Send(recs); err != nil { // connect and size the buffers untimed
				b.Fatal(err)
			}
			r.WaitEvents(len(recs), waitTimeout)
			b.SetBytes(int64(lineBytes))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for range b.N {
				if err := c.Send(recs); err != nil {
					b.Fatal(err)
				}
			}
			r.WaitEvents((b.N+1)*len(recs), waitTimeout)
			b.StopTimer()
			runtime.ReadMemStats(&after)
			records := float64(b.N * len(recs))
			b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
		})
	}
}

package airlockjoin

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// benchStream returns the lines of a correlated Airlock stream of n
// requests: each a conntrace and a summary, every fifth with a block (2.2
// records per request). A summary comes 50 requests after its conntrace,
// so that about 50 requests are pending, as when several gateway processes
// interleave. The req_ids are idPrefix, two letters and 5 digits: the
// benchmark changes the letters in place to keep them unique.
func benchStream(b *testing.B, n int) [][]byte {
	conntrace, summary, block := fixture(b, "request_conntrace"), fixture(b, "request_summary"), fixture(b, "blocked_block")
	const lag = 50
	withID := func(line []byte, oldID string, i int) []byte {
		return bytes.Replace(line, []byte(oldID), fmt.Appendf(nil, "%sAA%05d", idPrefix, i), 1)
	}
	var lines [][]byte
	if n > 100_000 {
		b.Fatal("5 digits per req_id")
	}
	for i := 0; i < n+lag; i++ {
		if i < n {
			lines = append(lines, withID(conntrace, "ZebVfGq3rXx9Qm2kYcE1HwAAAEk", i))
			if i%5 == 0 {
				lines = append(lines, withID(block, "ZebVjmq3rXx9Qm2kYcE1IAAAAE0", i))
			}
		}
		if i >= lag {
			lines = append(lines, withID(summary, "ZebVfGq3rXx9Qm2kYcE1HwAAAEk", i-lag))
		}
	}
	return lines
}

const idPrefix = "ZebVfGq3rXx9Qm2kYcE1"

// renumber changes the req_id of every line, in place, to one of
// generation gen: only the two letters after idPrefix change, which keeps
// lengths and so the parsed records' slices valid.
func renumber(lines [][]byte, gen int) {
	for _, l := range lines {
		if i := bytes.Index(l, []byte(idPrefix)) + len(idPrefix); i >= len(idPrefix) {
			l[i], l[i+1] = byte('A'+gen/26%26), byte('A'+gen%26)
		}
	}
}

const chunkRecords = 1000 // records per flush: Tick after this many

// BenchmarkJoin measures the Joiner on a correlated stream, one op being
// one record: "parse" decodes the lines only, as a baseline; "parse+join"
// adds the Joiner, so the difference is the Joiner's share; and
// "parse+join+welf" adds the WELF encoding of the outputs, which is the
// whole plugin path but the destination.
func BenchmarkJoin(b *testing.B) {
	const requests = 10_000
	lines := benchStream(b, requests)
	for _, stage := range []string{"parse", "parse+join", "parse+join+welf"} {
		b.Run(stage, func(b *testing.B) {
			j, err := New(Config{Conntrace: ConntraceOn})
			if err != nil {
				b.Fatal(err)
			}
			builder := welf.NewBuilder(welf.Options{Location: time.UTC})
			emit := func(*Output) {}
			if stage == "parse+join+welf" {
				emit = func(o *Output) {
					t, _ := o.Rec.Time()
					builder.Begin(welf.Header{ID: "firewall", Time: t, FW: string(o.Rec.Get(airlock.FieldHost)), Pri: o.Pri})
					o.Rec.WriteWELF(builder)
					if o.Partial != "" {
						builder.Str("partial", o.Partial)
					}
					if _, err := builder.Finish(); err != nil {
						b.Fatal(err)
					}
				}
			}
			var rec airlock.Record
			evTime := time.Date(2024, 3, 5, 8, 12, 44, 0, time.UTC)
			gen := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(lines)
				if k == 0 && i > 0 {
					b.StopTimer()
					gen++
					renumber(lines, gen)
					b.StartTimer()
				}
				if err := airlock.ParseLine(lines[k], &rec); err != nil {
					b.Fatal(err)
				}
				if stage == "parse" {
					continue
				}
				j.Add(&rec, evTime, emit)
				if i%chunkRecords == chunkRecords-1 {
					j.Tick(emit)
				}
			}
			j.Tick(emit)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			// Only the requests still waiting for their summary are partial.
			j.Drain(emit)
			if c := j.Counters(); c.Duplicate+c.Orphan+c.PartialTimeout+c.PartialPressure > 0 || c.Check() != nil {
				b.Fatalf("the stream did not join cleanly: %s", c)
			}
		})
	}
}

// BenchmarkPendingMemory measures the heap a pending request costs, all
// included (table entry, map slot, key, value), for a conntrace waiting
// for its summary, and compares it with what Max_Pending_Bytes is charged.
func BenchmarkPendingMemory(b *testing.B) {
	const n = 100_000
	line := bytes.Replace(fixture(b, "request_conntrace"), []byte("ZebVfGq3rXx9Qm2kYcE1HwAAAEk"), []byte("ZebVfGq3rXx9Qm2kYcE1H000000"), 1)
	idAt := bytes.Index(line, []byte("H000000")) + 1
	var rec airlock.Record
	if err := airlock.ParseLine(line, &rec); err != nil {
		b.Fatal(err)
	}
	evTime := time.Date(2024, 3, 5, 8, 12, 44, 0, time.UTC)
	var measured, charged int64
	for i := 0; i < b.N; i++ {
		j, err := New(Config{Conntrace: ConntraceOn, MaxPending: n})
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for k := range n {
			copy(line[idAt:idAt+6], fmt.Appendf(nil, "%06d", k))
			j.Add(&rec, evTime, nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		requests, _, bytes := j.Pending()
		if requests != n {
			b.Fatalf("%d requests pending, want %d", requests, n)
		}
		measured += int64(after.HeapAlloc - before.HeapAlloc)
		charged += bytes
		runtime.KeepAlive(j)
	}
	b.ReportMetric(float64(measured)/float64(b.N*n), "bytes/request")
	b.ReportMetric(float64(charged)/float64(b.N*n), "charged-bytes/request")
}

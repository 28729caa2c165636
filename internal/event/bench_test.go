package event_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
)

// benchChunk is a realistic chunk for the decoder benchmarks.
type benchChunk struct {
	name    string
	chunk   []byte
	records int
}

// benchChunks returns ~1 MiB chunks of V2 events built from the Airlock
// block record in testdata: once as a tail-style {"log": "<JSON line>"}
// record, once as its 26 string fields.
func benchChunks(b *testing.B) []benchChunk {
	b.Helper()
	line, err := os.ReadFile("testdata/airlock_block.json")
	if err != nil {
		b.Fatal(err)
	}
	line = bytes.TrimSpace(line)
	var fields map[string]any
	if err := json.Unmarshal(line, &fields); err != nil {
		b.Fatalf("parse testdata/airlock_block.json: %v", err)
	}
	build := func(name string, record map[string]any) benchChunk {
		c := benchChunk{name: name}
		t0 := time.Date(2024, 3, 5, 8, 13, 2, 907000000, time.UTC)
		for len(c.chunk) < 1<<20 {
			c.chunk = eventtest.AppendV2(c.chunk, t0.Add(time.Duration(c.records)*time.Millisecond), record)
			c.records++
		}
		return c
	}
	return []benchChunk{
		build("log_line", map[string]any{"log": string(line)}),
		build("26_fields", fields),
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range benchChunks(b) {
		b.Run(c.name, func(b *testing.B) {
			var (
				d     event.Decoder
				ev    event.Event
				total int
			)
			b.SetBytes(int64(len(c.chunk)))
			b.ReportAllocs()
			for b.Loop() {
				d.Reset(c.chunk)
				n := 0
				for {
					err := d.Next(&ev)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					for it := ev.Body.Iter(); it.Next(); {
						total += len(it.Key()) + len(it.Value().Bytes())
					}
					n++
				}
				if n != c.records {
					b.Fatalf("decoded %d records, want %d", n, c.records)
				}
			}
			b.ReportMetric(float64(c.records*b.N)/b.Elapsed().Seconds(), "records/s")
			if total == 0 {
				b.Fatal("no bytes seen")
			}
		})
	}
}

// BenchmarkFluentBitGoDecoder runs fluent-bit-go's decoder, as a plugin's
// flush would (including its copy of the chunk), on the same chunks.
func BenchmarkFluentBitGoDecoder(b *testing.B) {
	for _, c := range benchChunks(b) {
		b.Run(c.name, func(b *testing.B) {
			total := 0
			b.SetBytes(int64(len(c.chunk)))
			b.ReportAllocs()
			for b.Loop() {
				dec := output.NewDecoder(unsafe.Pointer(&c.chunk[0]), len(c.chunk))
				n := 0
				for {
					ret, _, rec := output.GetRecord(dec)
					if ret != 0 {
						break
					}
					for k, v := range rec {
						s, _ := v.([]byte)
						total += len(k.(string)) + len(s)
					}
					n++
				}
				if n != c.records {
					b.Fatalf("decoded %d records, want %d", n, c.records)
				}
			}
			b.ReportMetric(float64(c.records*b.N)/b.Elapsed().Seconds(), "records/s")
			if total == 0 {
				b.Fatal("no bytes seen")
			}
		})
	}
}

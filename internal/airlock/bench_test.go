package airlock

import (
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/welf"
)

func BenchmarkParseLine(b *testing.B) {
	summary := readFixture(b, "summary.json")
	// The same summary with escapes in four values (URLs, User-Agent).
	escaped := []byte(strings.NewReplacer("https://", `https:\/\/`, `"Mozilla/5.0"`, `"Mozilla\/5.0 \"X\""`).
		Replace(string(summary)))
	for _, bc := range []struct {
		name string
		line []byte
	}{
		{"summary", summary},
		{"summary_escaped", escaped},
		{"block_escaped", readFixture(b, "block.json")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var r Record
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ParseLine(bc.line, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkSet is the map case: Fluent Bit parsed the JSON, 30 fields.
func BenchmarkSet(b *testing.B) {
	keys, vals := summaryPairs(b)
	keys, vals = keys[:30], vals[:30]
	var r Record
	b.ReportAllocs()
	for b.Loop() {
		r.Reset()
		for i := range keys {
			r.Set(keys[i], vals[i])
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkWriteWELF(b *testing.B) {
	var r Record
	if err := ParseLine(readFixture(b, "summary.json"), &r); err != nil {
		b.Fatal(err)
	}
	var w welf.FieldWriter = discard{}
	b.ReportAllocs()
	for b.Loop() {
		r.WriteWELF(w)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecord is this package's whole share of one record: decode the
// line, read the header values, write the WELF fields.
func BenchmarkRecord(b *testing.B) {
	line := readFixture(b, "summary.json")
	var r Record
	var w welf.FieldWriter = discard{}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseLine(line, &r); err != nil {
			b.Fatal(err)
		}
		r.Time()
		r.Severity()
		r.WriteWELF(w)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

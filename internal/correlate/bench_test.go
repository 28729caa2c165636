package correlate

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// fixed is a value of a fixed size held inline in the entry, so that
// benchmarks measure the table and not the values.
type fixed int

func (f fixed) Size() int { return int(f) }

// benchKeys returns n distinct keys shaped like Airlock req_ids (27 bytes).
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "X4asK6znLjlW-3ZhEhrC%07d", i)
	}
	return keys
}

func discard(string, fixed, Reason) {}

// BenchmarkPutGetDelete is one request's life in a table holding 10,000
// others: it arrives, its second record finds it, it completes.
func BenchmarkPutGetDelete(b *testing.B) {
	tb, err := NewTable(Config{Timeout: time.Minute, MaxEntries: 1 << 20, MaxBytes: 1 << 30}, discard)
	if err != nil {
		b.Fatal(err)
	}
	for i, k := range benchKeys(10_000) {
		tb.Put(append(k, 'p'), fixed(300), base.Add(time.Duration(i)))
	}
	keys := benchKeys(1 << 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		tb.Put(k, fixed(300), base.Add(time.Duration(i)))
		if _, ok := tb.Get(k); !ok {
			b.Fatal("lost a key")
		}
		tb.Delete(k)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkAdvance measures timing out entries: each op is one entry
// evicted by Advance.
func BenchmarkAdvance(b *testing.B) {
	const batch = 10_000
	keys := benchKeys(batch)
	tb, err := NewTable(Config{Timeout: time.Second, MaxEntries: batch, MaxBytes: 1 << 30}, discard)
	if err != nil {
		b.Fatal(err)
	}
	now := base
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		b.StopTimer()
		for _, k := range keys[:min(batch, b.N-done)] {
			now = now.Add(time.Microsecond)
			tb.Put(k, fixed(300), now)
		}
		now = now.Add(time.Hour)
		b.StartTimer()
		tb.Advance(now)
	}
	if tb.Len() != 0 {
		b.Fatalf("Len() = %d after Advance", tb.Len())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkEntryMemory measures the heap the table itself uses per entry,
// key bytes included: EntryOverhead plus the key length should match it.
func BenchmarkEntryMemory(b *testing.B) {
	const n = 100_000
	keys := benchKeys(n)
	var total uint64
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tb, err := NewTable(Config{Timeout: time.Minute, MaxEntries: n, MaxBytes: 1 << 30}, discard)
		if err != nil {
			b.Fatal(err)
		}
		for j, k := range keys {
			tb.Put(k, fixed(0), base.Add(time.Duration(j)))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		total += after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(tb)
	}
	b.ReportMetric(float64(total)/float64(b.N*n), "bytes/entry")
}

package welf

import (
	"strings"
	"testing"
	"time"
)

// writeAirlockRecord writes a realistic request-summary record: the header
// and 21 fields, among them a User-Agent with spaces, a URL with a query and
// a free-text message.
func writeAirlockRecord(b *Builder, h Header) {
	b.Begin(h)
	b.Str("proto", "https")
	b.Str("src", "203.0.113.45")
	b.Int("srcport", 51544)
	b.Str("dst", "10.20.30.40")
	b.Int("dstport", 443)
	b.Str("dstname", "shop.example.com")
	b.Str("user", "smueller@intra.com")
	b.Str("op", "GET")
	b.Str("arg", "/shop/cart?item=42&qty=1&ref=mail%20promo")
	b.Int("result", 200)
	b.Int("sent", 1532)
	b.Int("rcvd", 48211)
	b.Str("duration", "0.084")
	b.Str("rule", "shop-mapping")
	b.Str("req_id", "X4asK6znLjlW-3ZhEhrCOgAAADY")
	b.Str("sess_id", "e36a8ba0dc23afc17210311a4a2246a7")
	b.Str("vhost", "shop.example.com")
	b.Str("cat", "shopping,e-commerce")
	b.Text("ref", "https://shop.example.com/shop/list?page=2")
	b.Text("agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
	b.Text("msg", "Request summary: GET /shop/cart 200")
}

func BenchmarkBuilder(b *testing.B) {
	w := NewBuilder(Options{Location: time.UTC})
	h := testHeader()
	writeAirlockRecord(w, h)
	rec, err := w.Finish()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		// Records of one chunk share a second but not the nanoseconds.
		h.Time = h.Time.Add(time.Microsecond)
		writeAirlockRecord(w, h)
		if _, err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkBuilderTruncate(b *testing.B) {
	w := NewBuilder(Options{Location: time.UTC, MaxSize: 512})
	h := testHeader()
	long := strings.Repeat("Blocked parameter: \"comment=<script>alert(1)</script>\" ", 40)
	b.ReportAllocs()
	for b.Loop() {
		writeAirlockRecord(w, h)
		w.Text("detail", long)
		rec, err := w.Finish()
		if err != nil || !w.Truncated() || len(rec) > 512 {
			b.Fatalf("Finish: %d bytes, truncated %v, %v", len(rec), w.Truncated(), err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecode(b *testing.B) {
	w := NewBuilder(Options{Location: time.UTC})
	writeAirlockRecord(w, testHeader())
	rec, err := w.Finish()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

package mwg

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// benchTrace builds a client-side trace in tail form (CRs stripped): a
// keep-alive plain HTTP connection with HTML bodies and a chunked JSON
// response, then a CONNECT whose decrypted layer carries API requests.
func benchTrace(exchanges int) [][]byte {
	var b strings.Builder
	reqHeaders := func(target, host string) {
		fmt.Fprintf(&b, "GET %s HTTP/1.1\nHost: %s\n", target, host)
		b.WriteString("User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\n")
		b.WriteString("Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\n")
		b.WriteString("Accept-Language: de-CH,de;q=0.9,en;q=0.8\nAccept-Encoding: gzip, deflate, br\n")
		fmt.Fprintf(&b, "Referer: https://%s/start\nCookie: session=3f2a9c0d1e; theme=dark; consent=1\n", host)
		b.WriteString("Proxy-Connection: keep-alive\nProxy-Authorization: Basic YWxpY2U6UzNjcjN0LVBhNTU=\n\n")
	}
	html := strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n", 50)
	for i := range exchanges {
		b.WriteString(">>>\n")
		reqHeaders(fmt.Sprintf("http://www.example.com/articles/%d.html?ref=home", i), "www.example.com")
		b.WriteString("<<<\n")
		fmt.Fprintf(&b, "HTTP/1.1 200 OK\nDate: Tue, 05 Mar 2024 09:12:44 GMT\nContent-Type: text/html; charset=utf-8\nCache-Control: max-age=60\nVia: 1.1 mwg.corp.example\nContent-Length: %d\n\n%s", len(html), html)
		b.WriteString(">>>\n")
		reqHeaders("http://www.example.com/api/feed", "www.example.com")
		b.WriteString("<<<\nHTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\n\n")
		for range 4 {
			chunk := `{"id":12345,"title":"An item of the feed","tags":["a","b","c"]}`
			fmt.Fprintf(&b, "%x\n%s\n", len(chunk), chunk)
		}
		b.WriteString("0\n\n")
	}
	b.WriteString(">>>\nCONNECT api.example.org:443 HTTP/1.1\nHost: api.example.org:443\nUser-Agent: okhttp/4.12.0\n\n<<<\nHTTP/1.1 200 Connection established\n\n")
	b.WriteString(">>>\n\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x8a", 200) + "\n<<<\n\x16\x03\x03\x00\x7a\x02" + strings.Repeat("\x5c", 120) + "\n")
	json := strings.Repeat(`{"id":1,"name":"widget","price":9.5,"stock":true},`, 40) + "\n"
	for i := range exchanges {
		b.WriteString("[[[\n")
		fmt.Fprintf(&b, "POST /v1/orders/%d HTTP/1.1\nHost: api.example.org\nUser-Agent: okhttp/4.12.0\nContent-Type: application/json\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\nContent-Length: %d\n\n%s", i, len(json), json)
		fmt.Fprintf(&b, "]]]\nHTTP/1.1 201 Created\nContent-Type: application/json\nContent-Length: %d\n\n%s", len(json), json)
	}
	return tailLines([]byte(b.String()), false)
}

func BenchmarkStream(b *testing.B) {
	lines := benchTrace(20)
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	name := Name{Proto: "HTTP", ID: "b1", Side: "C"}
	txs, incomplete := 0, 0
	emit := func(tx Transaction) {
		txs++
		if !tx.Complete || tx.Msg != "" {
			incomplete++
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		s := NewStream(name, DefaultOptions(), emit)
		for _, l := range lines {
			s.Feed(l)
		}
		s.Flush(FlushShutdown)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if want := b.N * 61; txs != want || incomplete > 0 { // 20 × 2 plain, CONNECT, 20 decrypted
		b.Fatalf("%d transactions (%d incomplete), want %d complete", txs, incomplete, want)
	}
	b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*len(lines)), "allocs/line")
	b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkOpenConnection reports what a stream retains in the middle of a
// typical exchange: request pending, response headers read, body flowing.
func BenchmarkOpenConnection(b *testing.B) {
	lines := benchTrace(1)
	// Stop inside the first HTML body.
	cut := 0
	for i, l := range lines {
		if strings.HasPrefix(string(l), "<p>") {
			cut = i + 10
			break
		}
	}
	name := Name{Proto: "HTTP", ID: "b2", Side: "C"}
	b.ReportAllocs()
	var retained int
	for range b.N {
		s := NewStream(name, DefaultOptions(), nil)
		for _, l := range lines[:cut] {
			s.Feed(l)
		}
		retained = s.Size()
	}
	b.ReportMetric(float64(retained), "bytes/conn")
}

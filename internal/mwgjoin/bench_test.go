package mwgjoin

import (
	"fmt"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// benchExchanges is the number of plain and of decrypted exchanges per
// benchmark connection.
const benchExchanges = 10

// benchTrace returns the two sides of a realistic connection, CRs stripped
// as tail does: keep-alive plain HTTP with HTML bodies and chunked JSON
// responses, then a CONNECT whose decrypted layer carries API requests
// with JSON bodies. The server side has the same requests in origin form
// with X-Forwarded-For, and no CONNECT.
func benchTrace(conn int) (client, server string) {
	var c, s strings.Builder
	host := fmt.Sprintf("www%d.example.com", conn)
	request := func(b *strings.Builder, target string, upstream bool) {
		fmt.Fprintf(b, "GET %s HTTP/1.1\nHost: %s\n", target, host)
		b.WriteString("User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\n")
		b.WriteString("Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\n")
		b.WriteString("Accept-Language: de-CH,de;q=0.9,en;q=0.8\nAccept-Encoding: gzip, deflate, br\n")
		fmt.Fprintf(b, "Referer: https://%s/start\nCookie: session=3f2a9c0d1e; theme=dark; consent=1\n", host)
		if upstream {
			b.WriteString("Via: 1.1 mwg.corp.example\nX-Forwarded-For: 192.0.2.44\n\n")
		} else {
			b.WriteString("Proxy-Connection: keep-alive\nProxy-Authorization: Basic YWxpY2U6UzNjcjN0LVBhNTU=\n\n")
		}
	}
	html := strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n", 50)
	item := `{"id":12345,"title":"An item of the feed","tags":["a","b","c"]}`
	for i := range benchExchanges {
		for _, b := range []*strings.Builder{&c, &s} {
			target := fmt.Sprintf("/articles/%d.html?ref=home", i)
			if b == &c {
				target = "http://" + host + target
			}
			b.WriteString(">>>\n")
			request(b, target, b == &s)
			fmt.Fprintf(b, "<<<\nHTTP/1.1 200 OK\nDate: Tue, 05 Mar 2024 09:12:44 GMT\nContent-Type: text/html; charset=utf-8\nCache-Control: max-age=60\nContent-Length: %d\n\n%s", len(html), html)
			b.WriteString(">>>\n")
			target = "/api/feed"
			if b == &c {
				target = "http://" + host + target
			}
			request(b, target, b == &s)
			b.WriteString("<<<\nHTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\n\n")
			for range 4 {
				fmt.Fprintf(b, "%x\n%s\n", len(item), item)
			}
			b.WriteString("0\n\n")
		}
	}
	fmt.Fprintf(&c, ">>>\nCONNECT api.%[1]s:443 HTTP/1.1\nHost: api.%[1]s:443\nUser-Agent: okhttp/4.12.0\n\n<<<\nHTTP/1.1 200 Connection established\n\n", host)
	c.WriteString(">>>\n\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x8a", 200) + "\n<<<\n\x16\x03\x03\x00\x7a\x02" + strings.Repeat("\x5c", 120) + "\n")
	json := strings.Repeat(`{"id":1,"name":"widget","price":9.5,"stock":true},`, 40) + "\n"
	for i := range benchExchanges {
		for _, b := range []*strings.Builder{&c, &s} {
			b.WriteString("[[[\n")
			fmt.Fprintf(b, "POST /v1/orders/%d HTTP/1.1\nHost: api.%s\nUser-Agent: okhttp/4.12.0\nContent-Type: application/json\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\nContent-Length: %d\n\n%s", i, host, len(json), json)
			fmt.Fprintf(b, "]]]\nHTTP/1.1 201 Created\nContent-Type: application/json\nContent-Length: %d\n\n%s", len(json), json)
		}
	}
	return c.String(), s.String()
}

// benchChunks builds Fluent Bit chunks ({"log", "path", "offset"} records)
// for conns connections. Each file is read in runs of run lines, as tail
// reads a buffer of one file at a time; the runs of all files interleave.
func benchChunks(conns, run int) (chunks [][]byte, lines, lineBytes int) {
	var files [][]tailRecord
	for i := range conns {
		c, s := benchTrace(i)
		id := fmt.Sprintf("%x", 0xb00000+i)
		files = append(files,
			tailLines(traceDir+"HTTP-"+id+"-C.txt", []byte(c), false),
			tailLines(traceDir+"HTTP-"+id+"-S.txt", []byte(s), false))
	}
	var chunk []byte
	n := 0
	for r := 0; ; r += run {
		more := false
		for _, f := range files {
			for _, rec := range f[min(r, len(f)):min(r+run, len(f))] {
				more = true
				chunk = eventtest.AppendV2(chunk, t0, map[string]any{"log": rec.line, "path": rec.path, "offset": rec.offset})
				lines++
				lineBytes += len(rec.line)
				if n++; n == 2000 {
					chunks, chunk, n = append(chunks, chunk), nil, 0
				}
			}
		}
		if !more {
			break
		}
	}
	return append(chunks, chunk), lines, lineBytes
}

// BenchmarkJoin measures the whole MWG path per line: msgpack decoding of
// the tail records, trace decoding, joining and WELF encoding; and, without
// msgpack, this package's part with the trace decoding and WELF encoding.
func BenchmarkJoin(b *testing.B) {
	const conns = 20
	for _, bm := range []struct {
		name    string
		run     int
		msgpack bool
	}{
		{"msgpack/runs of 64 lines", 64, true},
		{"msgpack/interleaved line by line", 1, true},
		{"records/runs of 64 lines", 64, false},
		{"records/interleaved line by line", 1, false},
	} {
		b.Run(bm.name, func(b *testing.B) {
			chunks, lines, lineBytes := benchChunks(conns, bm.run)
			var recs []benchRecord
			if !bm.msgpack {
				recs = decodeChunks(b, chunks)
			}
			builder := welf.NewBuilder(welf.Options{Location: time.UTC})
			outputs, welfBytes := 0, 0
			emit := func(o *Output) {
				builder.Begin(welf.Header{ID: "firewall", Time: o.Time(), FW: "mwg01", Pri: o.Pri()})
				o.WriteWELF(builder)
				if o.Partial != "" {
					builder.Str("partial", o.Partial)
				}
				line, err := builder.Finish()
				if err != nil {
					b.Fatal(err)
				}
				outputs++
				welfBytes += len(line)
			}
			var dec event.Decoder
			var ev event.Event
			b.SetBytes(int64(lineBytes))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for range b.N {
				j, err := New(Config{Clock: correlate.ClockRecord})
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range recs {
					if err := j.Add(r.path, r.offset, r.log, r.time, emit); err != nil {
						b.Fatal(err)
					}
				}
				for _, chunk := range chunks[:len(chunks)*boolInt(bm.msgpack)] {
					dec.Reset(chunk)
					for {
						if err := dec.Next(&ev); err == io.EOF {
							break
						} else if err != nil {
							b.Fatal(err)
						}
						// One pass over the record, as the plugin reads it.
						var log, path []byte
						offset := int64(-1)
						for it := ev.Body.Iter(); it.Next(); {
							switch string(it.Key()) {
							case "log":
								log = it.Value().Bytes()
							case "path":
								path = it.Value().Bytes()
							case "offset":
								offset = it.Value().Int()
							}
						}
						if err := j.Add(path, offset, log, ev.Time, emit); err != nil {
							b.Fatal(err)
						}
					}
					j.Tick(emit)
				}
				j.Drain(emit)
				if cs := j.Counters(); cs.Joined != conns*3*benchExchanges || cs.ClientOnly != conns || cs.Incomplete != 0 || cs.Check() != nil {
					b.Fatalf("counters: %s", cs)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*lines)/sec, "lines/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*lines), "allocs/line")
			b.ReportMetric(float64(outputs)/sec, "records/s")
			b.ReportMetric(float64(welfBytes)/float64(outputs), "B/record")
		})
	}
}

// benchRecord is a tail record decoded ahead of the benchmark.
type benchRecord struct {
	path, log []byte
	offset    int64
	time      time.Time
}

func decodeChunks(b *testing.B, chunks [][]byte) []benchRecord {
	var recs []benchRecord
	var dec event.Decoder
	var ev event.Event
	for _, chunk := range chunks {
		dec.Reset(chunk)
		for dec.Next(&ev) == nil {
			var log, path, offset event.Value
			for it := ev.Body.Iter(); it.Next(); {
				switch string(it.Key()) {
				case "log":
					log = it.Value()
				case "path":
					path = it.Value()
				case "offset":
					offset = it.Value()
				}
			}
			recs = append(recs, benchRecord{path.Bytes(), log.Bytes(), offset.Int(), ev.Time})
		}
	}
	return recs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkOpenConnection reports the heap one open connection takes in
// the middle of an exchange: both files open, request done, response
// headers read, body flowing. bytes/conn is measured with runtime.MemStats
// over many connections; charged/conn is what the connection table
// accounts for against MaxBytes.
func BenchmarkOpenConnection(b *testing.B) {
	const conns = 2000
	var recs []tailRecord
	for i := range conns {
		c, s := benchTrace(i)
		id := fmt.Sprintf("%x", 0xc00000+i)
		cut := func(path, trace string) []tailRecord {
			lines := tailLines(path, []byte(trace), false)
			for k, l := range lines {
				if strings.HasPrefix(string(l.line), "<p>") {
					return lines[:k+10]
				}
			}
			b.Fatal("no body")
			return nil
		}
		recs = append(recs, cut(traceDir+"HTTP-"+id+"-C.txt", c)...)
		recs = append(recs, cut(traceDir+"HTTP-"+id+"-S.txt", s)...)
	}
	paths := make([][]byte, len(recs))
	for i, r := range recs {
		paths[i] = []byte(r.path)
	}
	b.ReportAllocs()
	var heap, charged float64
	for range b.N {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		j, err := New(Config{Clock: correlate.ClockRecord})
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range recs {
			if err := j.Add(paths[i], r.offset, r.line, t0, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		cs := j.Counters()
		if cs.ConnsOpen != conns || cs.Transactions != 0 {
			b.Fatalf("counters: %s", cs)
		}
		heap = float64(after.HeapAlloc-before.HeapAlloc) / conns
		charged = float64(cs.PendingBytes) / conns
		runtime.KeepAlive(j)
		b.StartTimer()
	}
	b.ReportMetric(heap, "bytes/conn")
	b.ReportMetric(charged, "charged/conn")
}

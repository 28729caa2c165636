package mwg

import (
	"fmt"
	"strings"
	"testing"
)

// TestEviction pipelines more requests than fit in the smallest cap, then
// their responses: the oldest requests are emitted early as evicted, their
// responses dropped, and the rest pair correctly.
func TestEviction(t *testing.T) {
	const n = 40
	var b strings.Builder
	b.WriteString(">>>\n")
	for i := range n {
		fmt.Fprintf(&b, "GET /%d HTTP/1.1\nUser-Agent: %s\n\n", i, strings.Repeat("x", 200))
	}
	b.WriteString("<<<\n")
	for range n {
		b.WriteString("HTTP/1.1 204 No Content\n\n")
	}
	opts := DefaultOptions()
	opts.MaxHeaderBytes = MinMaxHeaderBytes
	got := feedLines(t, "HTTP-4e0001-C.txt", opts, tailLines([]byte(b.String()), false))
	if len(got) != n {
		t.Fatalf("%d transactions, want %d:\n%s", len(got), n, formatAll(got))
	}
	evicted := 0
	for i, tx := range got {
		if tx.Seq != i || tx.Target != fmt.Sprintf("/%d", i) {
			t.Errorf("transaction %d is #%d %s", i, tx.Seq, tx.Target)
		}
		if tx.Msg == "evicted: header cap reached" {
			evicted++
			if tx.Complete || tx.Status != 0 || i >= evicted {
				t.Errorf("evicted transaction %s after a kept one", format(tx))
			}
			continue
		}
		if !tx.Complete || tx.Status != 204 || tx.Msg != "" || tx.RespBytes != 25 {
			t.Errorf("transaction after the evicted ones: %s", format(tx))
		}
	}
	if evicted == 0 || evicted == n {
		t.Errorf("evicted %d of %d, want the oldest ones only", evicted, n)
	}
}

func TestFieldCap(t *testing.T) {
	opts := DefaultOptions()
	opts.MaxHeaderBytes = 16 << 10
	ua, ref := strings.Repeat("u", 7000), "http://r.example/"+strings.Repeat("r", 7000)
	text := ">>>\nGET http://a.example/ HTTP/1.1\nUser-Agent: " + ua + "\nReferer: " + ref + "\n\n<<<\nHTTP/1.1 204 No Content\n\n"
	got := feedLines(t, "HTTP-4e0002-C.txt", opts, tailLines([]byte(text), false))
	if len(got) != 1 {
		t.Fatalf("got %d transactions", len(got))
	}
	tx := got[0]
	if tx.UserAgent != ua || len(tx.Referer) == 0 || len(tx.Referer) >= len(ref) || !strings.HasPrefix(ref, tx.Referer) {
		t.Errorf("UserAgent %d bytes, Referer %d bytes: want the whole User-Agent and a truncated Referer", len(tx.UserAgent), len(tx.Referer))
	}
	if !tx.Complete || tx.Status != 204 || tx.Msg != "header cap reached" {
		t.Errorf("got Complete %v Status %d Msg %q", tx.Complete, tx.Status, tx.Msg)
	}
}

func TestHeaderBlockTooLarge(t *testing.T) {
	opts := DefaultOptions()
	opts.MaxHeaderBytes = MinMaxHeaderBytes
	var b strings.Builder
	b.WriteString(">>>\nGET /big HTTP/1.1\n")
	for i := range 10 {
		fmt.Fprintf(&b, "X-Pad-%d: %s\n", i, strings.Repeat("p", 1000))
	}
	b.WriteString("\nGET /next HTTP/1.1\n\n<<<\nHTTP/1.1 431 Request Header Fields Too Large\nContent-Length: 0\n\nHTTP/1.1 204 No Content\n\n")
	got := formatAll(feedLines(t, "HTTP-4e0003-S.txt", opts, tailLines([]byte(b.String()), false)))
	want := lines(
		`HTTP-4e0003-S #0 http method="GET" target="/big" path="/big" port=80 req=10232 msg="header block too large: rest of the connection not decoded; marker line inside a message read as its data; incomplete (idle): no response"`,
	)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFlushReasons(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		text   string
		reason FlushReason
		want   string
	}{
		{
			name: "FTP data at shutdown", file: "FTP-4e0004-CL.txt", reason: FlushShutdown,
			text: "<<<\nabc\n",
			want: lines(`FTP-4e0004-CL #0 ftp resp=4 msg="incomplete (shutdown): data connection still open"`),
		},
		{
			name: "FTP data when the file is replaced", file: "FTP-4e0004-SD.txt", reason: FlushTruncated,
			text: ">>>\nabc\n",
			want: lines(`FTP-4e0004-SD #0 ftp req=4 msg="incomplete (truncated): data connection still open"`),
		},
		{
			name: "request without response at shutdown", file: "HTTP-4e0005-C.txt", reason: FlushShutdown,
			text: ">>>\nGET http://a.example/ HTTP/1.1\n\n",
			want: lines(`HTTP-4e0005-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 req=32 msg="incomplete (shutdown): no response"`),
		},
		{
			name: "request body cut", file: "HTTP-4e0006-C.txt", reason: FlushIdle,
			text: ">>>\nPUT http://a.example/f HTTP/1.1\nContent-Length: 100\n\n0123456789\n",
			want: lines(`HTTP-4e0006-C #0 http method="PUT" target="http://a.example/f" path="/f" host="a.example" port=80 req=64 msg="incomplete (idle): request body 11 of 100 bytes"`),
		},
		{
			name: "request line only", file: "HTTP-4e0007-C.txt", reason: FlushIdle,
			text: ">>>\nGET http://a.example/ HTTP/1.1\n",
			want: lines(`HTTP-4e0007-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 req=31 msg="incomplete (idle): request headers truncated"`),
		},
		{
			name: "chunked response cut", file: "HTTP-4e0008-S.txt", reason: FlushIdle,
			text: ">>>\nGET / HTTP/1.1\n\n<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n",
			want: lines(`HTTP-4e0008-S #0 http method="GET" target="/" path="/" port=80 status=200 req=16 resp=52 msg="incomplete (idle): response body truncated"`),
		},
		{
			name: "websocket tunnel is complete at flush", file: "HTTP-4e0009-S.txt", reason: FlushShutdown,
			text: ">>>\nGET /ws HTTP/1.1\n\n<<<\nHTTP/1.1 101 Switching Protocols\n\n",
			want: lines(`HTTP-4e0009-S #0 http method="GET" target="/ws" path="/ws" port=80 status=101 req=18 resp=34 complete`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var got []Transaction
			s := NewStream(n, DefaultOptions(), func(tx Transaction) { got = append(got, tx) })
			for _, line := range tailLines([]byte(tt.text), false) {
				s.Feed(line)
			}
			s.Flush(tt.reason)
			if s.Size() != NewStream(n, DefaultOptions(), nil).Size() {
				t.Errorf("Size() after Flush = %d, want that of an empty stream", s.Size())
			}
			if g := formatAll(got); g != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", g, tt.want)
			}
		})
	}
}

// TestFlushThenContinue checks that a stream goes on after an idle flush,
// numbering on.
func TestFlushThenContinue(t *testing.T) {
	n, _ := ParseName("HTTP-4e000a-C.txt")
	var got []Transaction
	s := NewStream(n, DefaultOptions(), func(tx Transaction) { got = append(got, tx) })
	feed := func(text string) {
		for _, line := range tailLines([]byte(text), false) {
			s.Feed(line)
		}
	}
	feed(">>>\nGET http://a.example/1 HTTP/1.1\n\n")
	s.Flush(FlushIdle)
	feed("<<<\nHTTP/1.1 204 No Content\n\n>>>\nGET http://a.example/2 HTTP/1.1\n\n<<<\nHTTP/1.1 204 No Content\n\n")
	s.Flush(FlushIdle)
	want := lines(
		`HTTP-4e000a-C #0 http method="GET" target="http://a.example/1" path="/1" host="a.example" port=80 req=33 msg="incomplete (idle): no response"`,
		`HTTP-4e000a-C #1 http status=204 resp=25 msg="response without request"`,
		`HTTP-4e000a-C #2 http method="GET" target="http://a.example/2" path="/2" host="a.example" port=80 status=204 req=33 resp=25 complete`,
	)
	if g := formatAll(got); g != want {
		t.Errorf("got:\n%s\nwant:\n%s", g, want)
	}
}

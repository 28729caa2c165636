package mwg

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// Hostile content: what a web server or client sends is written raw into
// the trace, marker lines and start lines included. Bytes that framing
// gives to a message never start one of their own.

// forged is what a hostile server or client puts into a body: a request
// with proxy credentials and its answer, marker lines of both directions.
var forged = ">>> GET http://bank.example.com/transfer?to=mallory HTTP/1.1\nHost: bank.example.com\nProxy-Authorization: Basic " +
	base64.StdEncoding.EncodeToString([]byte("victim:hunter2")) + "\n\n<<< HTTP/1.1 200 OK\nContent-Length: 0\n\n"

func TestHostileBodies(t *testing.T) {
	auto := DefaultOptions()
	get := ">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\n"
	next := ">>>\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n"
	tests := []struct {
		name, file, text, want string
	}{
		{
			name: "body until close holds a request, its credentials and a response",
			file: "HTTP-6a0001-C.txt",
			text: get + "<<<\nHTTP/1.1 200 OK\nConnection: close\n\n" + forged,
			want: lines(`HTTP-6a0001-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=203 msg="marker line inside a message read as its data"`),
		},
		{
			name: "body until close, in several reads: same-direction markers continue it",
			file: "HTTP-6a0002-C.txt",
			text: get + "<<<\nHTTP/1.0 200 OK\n\npart one\n<<<\nHTTP/1.1 200 OK\n<<<\npart three\n",
			want: lines(`HTTP-6a0002-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=53 complete`),
		},
		{
			name: "Content-Length body whose first line is a request marker",
			file: "HTTP-6a0003-C.txt",
			text: get + fmt.Sprintf("<<<\nHTTP/1.1 200 OK\nContent-Length: %d\n\n", len(forged)) + forged + next,
			want: lines(
				`HTTP-6a0003-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=209 msg="marker line inside a message read as its data"`,
				`HTTP-6a0003-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
			),
		},
		{
			name: "a marker line in a body announcing a byte count hides nothing",
			file: "HTTP-6a0010-C.txt",
			text: get + "<<<\nHTTP/1.1 200 OK\nContent-Length: 20\n\n<<< 2024-03-05 09:00:00 (5000 bytes)\n0123456789abcdefghi\n" + next,
			want: lines(
				`HTTP-6a0010-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=56 complete`,
				`HTTP-6a0010-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
			),
		},
		{
			name: "bytes behind a body on its last line: a marker of the other side there is ambiguous",
			file: "HTTP-6a0011-C.txt",
			text: get + "<<<\nHTTP/1.1 200 OK\nContent-Length: 5\n\nhello" + forged + next,
			want: lines(
				`HTTP-6a0011-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=40 complete`,
				`HTTP-6a0011-C #1 http method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
				`HTTP-6a0011-C #2 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
			),
		},
		{
			name: "chunked body with markers between chunks",
			file: "HTTP-6a0004-S.txt",
			text: ">>>\nGET /x HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n" + forged + "0\n\n" + next,
			want: lines(`HTTP-6a0004-S #0 http method="GET" target="/x" path="/x" host="a.example" port=80 status=200 req=33 resp=304 msg="marker line inside a message read as its data; malformed chunk size: rest of the connection not decoded"`),
		},
		{
			name: "chunked body in several reads; chunk data that looks like a marker is data",
			file: "HTTP-6a0005-S.txt",
			text: ">>>\nGET /x HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n<<<\n5\nhello\n<<<\n6\nabcdef\n<<<\n6\n>>> ab\n0\n\n",
			want: lines(`HTTP-6a0005-S #0 http method="GET" target="/x" path="/x" host="a.example" port=80 status=200 req=33 resp=73 msg="marker line inside a message read as its data"`),
		},
		{
			// Each bare-LF line of the body may have lost a CR to tail, so
			// a marker 16 bytes short of the declared length may end it.
			name: "Content-Length body of bare LF lines, short by as many bytes as lines: ambiguous",
			file: "HTTP-6a0006-C.txt",
			text: get + fmt.Sprintf("<<<\nHTTP/1.1 200 OK\nContent-Length: %d\n\n", 32+16) + strings.Repeat("x\n", 16) + forged + next,
			want: lines(
				`HTTP-6a0006-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=84 complete`,
				`HTTP-6a0006-C #1 http method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
				`HTTP-6a0006-C #2 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
			),
		},
		{
			name: "request body starting with a forged answer: ambiguous",
			file: "HTTP-6a0007-C.txt",
			text: ">>>\nPOST http://a.example/form HTTP/1.1\nHost: a.example\nContent-Length: 40\n\n<<< HTTP/1.1 200 OK\nContent-Length: 0\n\n<<<\nHTTP/1.1 403 Forbidden\nContent-Length: 0\n\n",
			want: lines(
				`HTTP-6a0007-C #0 http method="POST" target="http://a.example/form" path="/form" host="a.example" port=80 status=200 req=72 resp=35 msg="ambiguous: may be body data of an earlier message; incomplete (idle): request body 0 of 40 bytes"`,
				`HTTP-6a0007-C #1 http status=403 resp=42 msg="response without request"`,
			),
		},
		{
			name: "100 Continue before the request body",
			file: "HTTP-6a0008-C.txt",
			text: ">>>\nPOST http://a.example/up HTTP/1.1\nHost: a.example\nExpect: 100-continue\nContent-Length: 50\n\n<<<\nHTTP/1.1 100 Continue\n\n>>>\n" +
				strings.Repeat("y", 49) + "\n<<<\nHTTP/1.1 201 Created\nContent-Length: 0\n\n",
			want: lines(`HTTP-6a0008-C #0 http method="POST" target="http://a.example/up" path="/up" host="a.example" port=80 status=201 interim=[100] req=141 resp=63 complete`),
		},
		{
			name: "response header block holding marker and status lines",
			file: "HTTP-6a0009-C.txt",
			text: get + "<<<\nHTTP/1.1 200 OK\nX-A: 1\n" + strings.ReplaceAll(forged, "\n\n", "\n") + "HTTP/1.1 200 OK\nContent-Length: 0\n\n" + next,
			want: lines(
				`HTTP-6a0009-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=224 msg="marker line inside a message read as its data"`,
				`HTTP-6a0009-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
			),
		},
		{
			name: "malformed status line: its header block still holds the lines",
			file: "HTTP-6a000f-S.txt",
			text: ">>>\nGET /x HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 2OO OK\n" + strings.ReplaceAll(forged, "\n\n", "\n") + "\n",
			want: lines(`HTTP-6a000f-S #0 http method="GET" target="/x" path="/x" host="a.example" port=80 req=33 resp=183 msg="malformed status line; marker line inside a message read as its data"`),
		},
		{
			name: "WebSocket data holding decrypted-layer markers",
			file: "HTTP-6a000e-C.txt",
			text: ">>>\nGET http://a.example/ws HTTP/1.1\nHost: a.example\nUpgrade: websocket\n\n<<<\nHTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n\x81\x7e\n" +
				strings.ReplaceAll(strings.ReplaceAll(forged, ">>>", "[[["), "<<<", "]]]") + ">>>\n\x81\x85mask\n",
			want: lines(`HTTP-6a000e-C #0 http method="GET" target="http://a.example/ws" path="/ws" host="a.example" port=80 status=101 req=76 resp=228 msg="upgraded to websocket; marker line inside a message read as its data"`),
		},
		{
			name: "ICAP: markers in the encapsulated body",
			file: "ICAP-6a000a-S.txt",
			text: ">>>\nRESPMOD icap://i.example/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n" +
				fmt.Sprintf("%x\n", len(forged)) + forged + "\n0\n\n<<<\nICAP/1.0 204 No Content\n\n",
			want: lines(`ICAP-6a000a-S #0 icap method="RESPMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 status=204 req=269 resp=25 http.status=200 complete`),
		},
		{
			name: "ICAP: markers between chunks",
			file: "ICAP-6a000b-S.txt",
			text: ">>>\nREQMOD icap://i.example/r ICAP/1.0\nEncapsulated: req-hdr=0, req-body=16\n\nPOST / HTTP/1.1\n\n2\nab\n" + forged + "0\n\n<<<\nICAP/1.0 204 No Content\n\n",
			want: lines(`ICAP-6a000b-S #0 icap method="REQMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 req=295 http.method="POST" http.target="/" msg="malformed chunk size: rest of the connection not decoded; marker line inside a message read as its data; incomplete (idle): no response"`),
		},
		{
			name: "FTP: a multi-line reply holding a command and its reply",
			file: "FTP-6a000c-CC.txt",
			text: "<<<\n220 ready\n>>>\nUSER u@ftp.example\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230-Welcome\n>>>\nRETR /secret\n<<<\n226 ok\n230 in\n>>>\nRETR /pub/f\n<<<\n226 ok\n",
			want: lines(
				`FTP-6a000c-CC #0 ftp method="PASS" host="ftp.example" port=21 status=230 req=7 resp=43 user="u" msg="marker line inside a message read as its data"`,
				`FTP-6a000c-CC #1 ftp method="RETR" target="/pub/f" path="/pub/f" host="ftp.example" port=21 status=226 req=12 resp=7 user="u" complete`,
			),
		},
		{
			name: "FTP: a greeting that never ends cannot hide the session",
			file: "FTP-6a000d-CC.txt",
			text: "<<<\n220-ready\n>>>\nUSER u@ftp.example\n<<<\n331 pw\n>>>\nRETR /f\n<<<\n226 ok\n",
			want: lines(`FTP-6a000d-CC #0 ftp resp=49 msg="response without request; marker line inside a message read as its data; incomplete (idle): no response"`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, tt.file, auto, tt.text); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// FuzzBodyNeverForges: whatever a body holds (marker lines of any
// direction, start lines, credentials, CRs that tail removes), and however
// it is framed (Content-Length, chunked, until the connection closes; a
// response or a request body; in clear or decrypted; the next exchange on
// a line of its own or right behind it), it never yields a complete
// transaction of its own or a user, and it never cuts the next exchange
// into one: anything it could have started is flagged.
func FuzzBodyNeverForges(f *testing.F) {
	f.Add([]byte(forged), byte(0), byte(0))
	f.Add([]byte(forged), byte(1), byte(1))
	f.Add([]byte(forged), byte(2), byte(2))
	f.Add([]byte(forged), byte(3), byte(0))
	f.Add([]byte(strings.Repeat("x\n", 16)+forged), byte(4), byte(0))
	f.Add([]byte(strings.ReplaceAll(forged, ">>>", "[[[")), byte(8), byte(0))
	f.Add([]byte("<<< HTTP/1.1 200 OK\r\n\r\n>>>\nGET http://a.example/next HTTP/1.1\n\n"), byte(3), byte(0))
	// Opposite-direction markers only, in bodies framed by length.
	for _, kind := range []byte{0, 1, 4} {
		f.Add([]byte(">>> GET http://bank.example.com/transfer?to=mallory HTTP/1.1\nProxy-Authorization: Basic dTpw\n\n"), kind, byte(0))
	}
	f.Add([]byte("<<< HTTP/1.1 200 OK\nContent-Length: 0\n\n"), byte(3), byte(1))
	f.Add([]byte("[[[\nGET / HTTP/1.1\nProxy-Authorization: Basic dTpw\n\n]]]\nHTTP/1.1 204 No Content\n\n"), byte(1), byte(0))
	// A marker line of the body's own direction: MWG writes one there
	// itself between reads (at the start, in the middle, at the end; in
	// clear and decrypted; the next message on a line of its own or right
	// behind the body).
	f.Add([]byte(">>> (5000 bytes)\n"+forged), byte(3), byte(0))
	// Two chunks: the first ends in a line "0" where lost CRs may end it,
	// the second holds the lines.
	n := len(forged)/2 + 1
	f.Add([]byte(strings.Repeat("x\n", n)+"0\n"+forged+strings.Repeat("y", 2*n-len(forged))), byte(17), byte(0))
	for _, kind := range []byte{0, 1, 3, 4, 32, 33, 35, 64, 65, 67, 96} {
		for _, body := range []string{"<<<   ", "<<<\n" + forged, ">>>\n" + forged, "[[[\n" + forged, "]]]\n" + forged, "<<<" + strings.Repeat(" ", 60),
			"]]] (99 bytes)\n<<<\nHTTP/1.1 200 OK\n\n", ">>>\n<<<\nHTTP/1.1 200 OK\n\n", "ab\n<<<\ncd", "ab\n<<<", "ab\n]]]\n", "<<<\n<<<\n<<< GET / HTTP/1.1\n\n"} {
			f.Add([]byte(body), kind, byte(0))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, kind, mode byte) {
		if len(body) > 4096 {
			return
		}
		var b strings.Builder
		method, reqFraming, reqBody := "GET", "", ""
		if kind%4 == 3 {
			method, reqFraming, reqBody = "POST", fmt.Sprintf("Content-Length: %d\n", len(body)), string(body)
		}
		// The layer: in clear or decrypted; and whether the next message
		// follows on a line of its own or right behind the body.
		req, resp, after := ">>>\n", "<<<\n", "\n"
		if kind&64 != 0 {
			req, resp = "[[[\n", "]]]\n"
		}
		if kind&32 != 0 {
			after = ""
		}
		b.WriteString(req + method + " http://a.example/x HTTP/1.1\nHost: a.example\n" + reqFraming + "\n" + reqBody + resp)
		if kind%4 != 0 || kind&8 == 0 {
			b.WriteString("HTTP/1.1 200 OK\n")
		}
		switch {
		case kind%4 == 0 && kind&8 != 0: // the data of a WebSocket connection
			b.WriteString("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n" + string(body))
		case kind%4 == 0:
			n := len(body)
			if kind&4 != 0 { // as long as the body plus one CR per line
				n += strings.Count(string(body), "\n")
			}
			fmt.Fprintf(&b, "Content-Length: %d\n\n%s", n, body)
		case kind%4 == 1:
			b.WriteString("Transfer-Encoding: chunked\n\n")
			switch {
			case kind&16 != 0 && len(body) > 1: // in two chunks
				h := len(body) / 2
				fmt.Fprintf(&b, "%x\r\n%s\r\n%x\r\n%s\r\n", h, body[:h], len(body)-h, body[h:])
			case len(body) > 0:
				fmt.Fprintf(&b, "%x\r\n%s\r\n", len(body), body)
			}
			b.WriteString("0\r\n\r\n")
		case kind%4 == 2:
			b.WriteString("Connection: close\n\n" + string(body))
		default:
			b.WriteString("Content-Length: 0\n\n")
		}
		if kind%4 != 2 {
			b.WriteString(after + req + "GET http://a.example/next HTTP/1.1\nHost: a.example\n\n" + resp + "HTTP/1.1 204 No Content\n\n")
		}
		seen, status := map[string]int{}, map[string]int{method + " http://a.example/x": 200, "GET http://a.example/next": 204}
		if kind%4 == 0 && kind&8 != 0 {
			status[method+" http://a.example/x"] = 101
		}
		for _, tx := range feedLines(t, "HTTP-f5-C.txt", fuzzOptions(mode), tailLines([]byte(b.String()), false)) {
			if !tx.Complete {
				continue
			}
			key := tx.Method + " " + tx.Target
			seen[key]++
			switch {
			case tx.User != "":
				t.Fatalf("a complete transaction with a user from the body: %s", format(tx))
			case key != method+" http://a.example/x" && key != "GET http://a.example/next":
				t.Fatalf("a complete transaction from the body: %s\ntrace:\n%s", format(tx), b.String())
			case seen[key] > 1:
				t.Fatalf("%s complete twice\ntrace:\n%s", key, b.String())
			case tx.Status != status[key]:
				t.Fatalf("a complete transaction with a status from the body: %s\ntrace:\n%s", format(tx), b.String())
			}
		}
	})
}

// A body framed by length that holds a marker line of its own direction
// ("<<<" in a response body, ">>>" in a request body) at its start: MWG
// writes such a line there itself between reads, so either reading holds.
func TestOwnMarkerInBody(t *testing.T) {
	get := ">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\n"
	next := ">>>\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n"
	resp := func(body string) string {
		return get + fmt.Sprintf("<<<\nHTTP/1.1 200 OK\nContent-Length: %d\n\n", len(body)) + body + "\n"
	}
	tests := []struct {
		name, file, text, want string
	}{
		{"Content-Length response whose body is one own marker line: the next request is not cut", "HTTP-7a0001-C.txt", resp("<<<   ") + next, lines(
			`HTTP-7a0001-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=41 complete`,
			`HTTP-7a0001-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 msg="ambiguous: may be body data of an earlier message"`,
		)},
		{"Content-Length response body: own marker line, then a forged exchange", "HTTP-7a0002-C.txt", resp("<<<\n"+forged) + next, lines(
			`HTTP-7a0002-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=213 msg="marker line inside a message read as its data"`,
			`HTTP-7a0002-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"Content-Length response body: an own marker line padded to shift the framing far", "HTTP-7a0003-C.txt", resp("<<<"+strings.Repeat(" ", 40)) + next, lines(
			`HTTP-7a0003-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=79 complete`,
			`HTTP-7a0003-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 msg="ambiguous: may be body data of an earlier message"`,
		)},
		{"normal: MWG's own marker between the header block and the body stays unflagged", "HTTP-7a0004-C.txt", get + "<<<\nHTTP/1.1 200 OK\nContent-Length: 6\n\n<<<\nhello\n" + next, lines(
			`HTTP-7a0004-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=41 complete`,
			`HTTP-7a0004-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"chunked response whose chunk data is one own marker line", "HTTP-7a0005-C.txt", get + "<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n6\r\n<<<   \r\n0\r\n\r\n" + next, lines(
			`HTTP-7a0005-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=55 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7a0005-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"chunked response: chunk data starting with an own marker line and a forged exchange", "HTTP-7a0006-C.txt", get + fmt.Sprintf("<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n%x\r\n<<<\n%s\r\n0\r\n\r\n", len(forged)+4, forged) + next, lines(
			`HTTP-7a0006-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=226 msg="marker line inside a message read as its data"`,
			`HTTP-7a0006-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"Content-Length request body that is an own marker line", "HTTP-7a0007-C.txt", ">>>\nPOST http://a.example/f HTTP/1.1\nHost: a.example\nContent-Length: 4\n\n>>>\n<<<\nHTTP/1.1 200 OK\nContent-Length: 0\n\n" + next, lines(
			`HTTP-7a0007-C #0 http method="POST" target="http://a.example/f" path="/f" host="a.example" port=80 status=200 req=72 resp=35 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7a0007-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"decrypted layer: a response body that is a \"]]]\" line", "HTTP-7a0008-S.txt", "[[[\nGET /x HTTP/1.1\nHost: a.example\n\n]]]\nHTTP/1.1 200 OK\nContent-Length: 4\n\n]]]\n[[[\nGET /next HTTP/1.1\nHost: a.example\n\n]]]\nHTTP/1.1 204 No Content\n\n", lines(
			`HTTP-7a0008-S #0 https tls="inspected" method="GET" target="/x" path="/x" host="a.example" port=443 status=200 req=33 resp=39 complete`,
			`HTTP-7a0008-S #1 https tls="inspected" method="GET" target="/next" path="/next" host="a.example" port=443 status=204 req=36 resp=25 complete`,
		)},
		{"own marker padded so that the shifted framing lands on a forged exchange in the next body", "HTTP-7a000b-C.txt", aimed(false), lines(
			`HTTP-7a000b-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=133 complete`,
			`HTTP-7a000b-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=200 req=52 resp=209 msg="ambiguous: may be body data of an earlier message; marker line inside a message read as its data"`,
		)},
		{"request body starting with an own marker that announces a byte count", "HTTP-7a000d-C.txt", fmt.Sprintf(">>>\nPOST http://a.example/f HTTP/1.1\nHost: a.example\nContent-Length: %d\n\n>>> (5000 bytes)\n%s", 17+len(forged), forged) +
			"<<<\nHTTP/1.1 200 OK\nContent-Length: 0\n\n" + next, lines(
			`HTTP-7a000d-C #0 http method="POST" target="http://a.example/f" path="/f" host="a.example" port=80 status=200 req=259 resp=35 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7a000d-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"decrypted request body, the answer right behind it: the next request is not taken for the body", "HTTP-7a000e-C.txt",
			"[[[\nPOST http://a.example/x HTTP/1.1\nHost: a.example\nContent-Length: 6\n\n<<<   ]]]\nHTTP/1.1 200 OK\nContent-Length: 0\n\n[[[\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n]]]\nHTTP/1.1 204 No Content\n\n", lines(
				`HTTP-7a000e-C #0 https tls="inspected" method="POST" target="http://a.example/x" path="/x" host="a.example" port=80 status=204 req=74 resp=25 msg="ambiguous: may be body data of an earlier message"`,
				`HTTP-7a000e-C #1 http resp=41 msg="ambiguous: may be body data of an earlier message; response without request; malformed status line"`,
				`HTTP-7a000e-C #2 https tls="inspected" host="a.example" port=443 req=46 msg="malformed request line; incomplete (idle): no response"`,
			)},
		{"the same, the next exchange right behind the body on its last line", "HTTP-7a000c-C.txt", aimed(true), lines(
			`HTTP-7a000c-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=134 complete`,
			`HTTP-7a000c-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=200 req=52 resp=209 msg="ambiguous: may be body data of an earlier message; marker line inside a message read as its data"`,
		)},
		{"ICAP: encapsulated chunk data that is an own marker line", "ICAP-7c0001-S.txt", ">>>\nRESPMOD icap://i.example/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\nd\n>>>          \n0\n\n<<<\nICAP/1.0 204 No Content\n\n" +
			">>>\nRESPMOD icap://i.example/next ICAP/1.0\nEncapsulated: null-body=0\n\n<<<\nICAP/1.0 204 No Content\n\n", lines(
			`ICAP-7c0001-S #0 icap method="RESPMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 status=204 req=109 resp=25 http.status=200 msg="ambiguous: may be body data of an earlier message"`,
			`ICAP-7c0001-S #1 icap method="RESPMOD" target="icap://i.example/next" path="/next" host="i.example" port=1344 status=204 req=66 resp=25 complete`,
		)},
		{"ICAP: chunk data cut short by a chunk-size line, the body ended: the rest of the chunk is ambiguous", "ICAP-7c0002-C.txt",
			"[[[\nRESPMOD icap://i.example/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n4\r\n\n\n00\r\n4\r\n000\n\r\n0\r\n\r\n]]]\nICAP/1.0 204 No Content\n\n" +
				"[[[\nRESPMOD icap://i.example/next ICAP/1.0\nEncapsulated: null-body=0\n\n]]]\nICAP/1.0 204 No Content\n\n", lines(
				`ICAP-7c0002-C #0 icap tls="inspected" method="RESPMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 status=204 req=107 resp=25 http.status=200 complete`,
				`ICAP-7c0002-C #1 icap tls="inspected" port=1344 status=204 req=3 resp=25 msg="ambiguous: may be body data of an earlier message; malformed request line"`,
				`ICAP-7c0002-C #2 icap tls="inspected" method="RESPMOD" target="icap://i.example/next" path="/next" host="i.example" port=1344 req=66 msg="incomplete (idle): no response"`,
			)},
		{"ICAP: a chunk cut short by a chunk-size line; read with bare LF, the next chunk holds a marker and an answer", "ICAP-7c0003-C.txt",
			icapRespmod("7\r\n00000\n0\r\n18\r\n\n\n<<< \nICAP/1.0 200 OK\n\n\r\n0\r\n\r\n"), lines(
				`ICAP-7c0003-C #0 icap method="RESPMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 status=200 req=106 resp=17 http.status=200 msg="ambiguous: may be body data of an earlier message"`,
				`ICAP-7c0003-C #1 icap resp=3 msg="ambiguous: may be body data of an earlier message; response without request; malformed status line"`,
				`ICAP-7c0003-C #2 icap status=204 resp=25 msg="response without request"`,
				`ICAP-7c0003-C #3 icap method="RESPMOD" target="icap://i.example/next" path="/next" host="i.example" port=1344 status=204 req=66 resp=25 complete`,
			)},
		{"ICAP: the same inside the one chunk: what follows the body is held until the other reading resolves", "ICAP-7c0005-C.txt",
			icapRespmod(oneChunk(strings.Repeat("x\n", 40) + "0\n\n<<< \nICAP/1.0 200 OK\n\n" + strings.Repeat("y", 10))), lines(
				`ICAP-7c0005-C #0 icap method="RESPMOD" target="icap://i.example/r" path="/r" host="i.example" port=1344 status=200 req=212 resp=17 http.status=200 msg="ambiguous: may be body data of an earlier message"`,
				`ICAP-7c0005-C #1 icap resp=14 msg="response without request; malformed status line; ambiguous: may be body data of an earlier message"`,
				`ICAP-7c0005-C #2 icap status=204 resp=25 msg="response without request"`,
				`ICAP-7c0005-C #3 icap method="RESPMOD" target="icap://i.example/next" path="/next" host="i.example" port=1344 status=204 req=66 resp=25 complete`,
			)},
		{"a CRLF chunked body of many lines, its CRs removed, then a short exchange at the end of the file: the price of tail", "HTTP-7c0004-C.txt",
			">>>\nGET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n<<<\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n578\r\n" + strings.Repeat("line of text\r\n", 100) + "\r\n0\r\n\r\n" +
				">>>\nGET http://a.example/next HTTP/1.1\r\nHost: a.example\r\n\r\n<<<\nHTTP/1.1 204 No Content\r\n\r\n", lines(
				`HTTP-7c0004-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=1451 complete`,
				`HTTP-7c0004-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 msg="ambiguous: may be body data of an earlier message"`,
			)},
		{"own marker line in the middle of a body is data", "HTTP-7a0009-C.txt", resp("ab\n<<<\ncd") + next, lines(
			`HTTP-7a0009-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=44 complete`,
			`HTTP-7a0009-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"own marker line at the end of a body is data", "HTTP-7a000a-C.txt", resp("ab\n<<<") + next, lines(
			`HTTP-7a000a-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=41 complete`,
			`HTTP-7a000a-C #1 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, tt.file, DefaultOptions(), tt.text); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// aimed is a response whose body is an own marker line (and, glued, a
// byte more on the next line, where the next exchange follows right
// behind it) padded so that, read as MWG's own marker, the body ends right
// where the next response's body holds a forged exchange.
func aimed(glued bool) string {
	get := ">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\n"
	p := fmt.Sprintf(">>>\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\nContent-Length: %d\n\n", len(forged))
	body, after := "<<<"+strings.Repeat(" ", len(p)-3), "\n"
	if glued {
		body, after = "<<<"+strings.Repeat(" ", len(p)-4)+"\nx", ""
	}
	return get + fmt.Sprintf("<<<\nHTTP/1.1 200 OK\nContent-Length: %d\n\n", len(body)) + body + after + p + forged
}

// TestBeyondMessage: bytes a server writes beyond the end of its message
// in the same read are outside any message, so framing cannot claim them;
// a request line there (which only the client sends) makes the rest of the
// chunk ambiguous, and a command there sets no FTP session state.
func TestBeyondMessage(t *testing.T) {
	unmarked := strings.ReplaceAll(strings.TrimPrefix(forged, ">>> "), "<<< ", "")
	get := ">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\n<<<\n"
	next := ">>>\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n"
	tests := []struct {
		name, file, text, want string
	}{
		{"204 response followed by a request and its answer", "HTTP-7b0001-C.txt", get + "HTTP/1.1 204 No Content\n\n" + unmarked + next, lines(
			`HTTP-7b0001-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=204 req=49 resp=25 complete`,
			`HTTP-7b0001-C #1 http method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0001-C #2 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"304 response followed by a request and its answer", "HTTP-7b0002-C.txt", get + "HTTP/1.1 304 Not Modified\n\n" + unmarked + next, lines(
			`HTTP-7b0002-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=304 req=49 resp=27 complete`,
			`HTTP-7b0002-C #1 http method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0002-C #2 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"more than Content-Length, the request right behind the body", "HTTP-7b0003-C.txt", get + "HTTP/1.1 200 OK\nContent-Length: 2\n\nok" + unmarked + next, lines(
			`HTTP-7b0003-C #0 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=37 complete`,
			`HTTP-7b0003-C #1 http method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0003-C #2 http method="GET" target="http://a.example/next" path="/next" host="a.example" port=80 status=204 req=52 resp=25 complete`,
		)},
		{"a body after the answer to HEAD, decrypted", "HTTP-7b0004-S.txt", "[[[\nHEAD /x HTTP/1.1\nHost: a.example\n\n]]]\nHTTP/1.1 200 OK\nContent-Length: 300\n\n" + unmarked, lines(
			`HTTP-7b0004-S #0 https tls="inspected" method="HEAD" target="/x" path="/x" host="a.example" port=443 status=200 req=34 resp=37 complete`,
			`HTTP-7b0004-S #1 https tls="inspected" method="GET" target="http://bank.example.com/transfer?to=mallory" path="/transfer?to=mallory" host="bank.example.com" port=80 status=200 req=129 resp=35 user="victim" msg="ambiguous: may be body data of an earlier message"`,
		)},
		{"a client's status line behind its request, once the file shows its layout", "HTTP-7b0007-C.txt", ">>>\nGET http://a.example/first HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n" +
			">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\nHTTP/1.1 200 OK\nContent-Length: 0\n\n<<<\nHTTP/1.1 403 Forbidden\nContent-Length: 0\n\n", lines(
			`HTTP-7b0007-C #0 http method="GET" target="http://a.example/first" path="/first" host="a.example" port=80 status=204 req=53 resp=25 complete`,
			`HTTP-7b0007-C #1 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=35 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0007-C #2 http status=403 resp=42 msg="response without request"`,
		)},
		{"the same behind two pipelined requests: the second's answer is in doubt too", "HTTP-7b0008-C.txt", ">>>\nGET http://a.example/first HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n" +
			">>>\nGET http://a.example/x HTTP/1.1\nHost: a.example\n\nGET http://a.example/y HTTP/1.1\nHost: a.example\n\nHTTP/1.1 200 OK\nContent-Length: 0\n\n" +
			"<<<\nHTTP/1.1 403 Forbidden\nContent-Length: 0\n\nHTTP/1.1 404 Not Found\nContent-Length: 0\n\n", lines(
			`HTTP-7b0008-C #0 http method="GET" target="http://a.example/first" path="/first" host="a.example" port=80 status=204 req=53 resp=25 complete`,
			`HTTP-7b0008-C #1 http method="GET" target="http://a.example/x" path="/x" host="a.example" port=80 status=200 req=49 resp=35 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0008-C #2 http method="GET" target="http://a.example/y" path="/y" host="a.example" port=80 status=403 req=49 resp=42 msg="ambiguous: may be body data of an earlier message"`,
			`HTTP-7b0008-C #3 http status=404 resp=42 msg="response without request"`,
		)},
		{"FTP: commands behind the greeting", "FTP-7b0005-CC.txt", "<<<\n220 ready\nUSER victim\nRETR /secret\n226 ok\n>>>\nUSER u@ftp.example\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\n>>>\nRETR /pub/f\n<<<\n226 ok\n", lines(
			`FTP-7b0005-CC #0 ftp method="USER" status=226 req=12 resp=7 msg="ambiguous: may be body data of an earlier message"`,
			`FTP-7b0005-CC #1 ftp method="RETR" target="/secret" path="/secret" status=331 req=13 resp=7 msg="ambiguous: may be body data of an earlier message"`,
			`FTP-7b0005-CC #2 ftp method="RETR" target="/pub/f" path="/pub/f" host="ftp.example" port=21 req=12 user="u" msg="incomplete (idle): no response"`,
		)},
		{"FTP: USER and CWD behind a reply change no session", "FTP-7b0006-CC.txt", "<<<\n220 ready\n>>>\nUSER u@ftp.example\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\nUSER victim\n331 pw\nCWD /evil\n250 ok\n>>>\nRETR f\n<<<\n226 ok\n", lines(
			`FTP-7b0006-CC #0 ftp method="USER" host="ftp.example" port=21 status=331 req=12 resp=7 user="u" msg="ambiguous: may be body data of an earlier message"`,
			`FTP-7b0006-CC #1 ftp method="RETR" target="f" path="f" host="ftp.example" port=21 status=226 req=7 resp=7 user="u" complete`,
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, tt.file, DefaultOptions(), tt.text); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// FuzzBeyondMessage: bytes a server writes beyond the end of its response
// (a "body" after HEAD, 204 or 304, more than its Content-Length), or a
// client behind its request, in the same read, never yield a complete
// transaction, a user or a status of their own, in auto and direction
// mode. (Region mode reads messages wherever they are; a marker line there,
// and a client's status line in the first exchange of a file, which may be
// region-style, are documented limits.)
func FuzzBeyondMessage(f *testing.F) {
	unmarked := strings.ReplaceAll(strings.TrimPrefix(forged, ">>> "), "<<< ", "")
	for kind := range byte(8) {
		f.Add([]byte(unmarked), kind, byte(0))
		f.Add([]byte("ok"+unmarked), kind, byte(1))
	}
	f.Add([]byte("HTTP/1.1 200 OK\nContent-Length: 0\n"), byte(8), byte(0))
	f.Add([]byte("HTTP/1.1 200 OK\nContent-Length: 0\n"), byte(12), byte(1))
	f.Fuzz(func(t *testing.T, extra []byte, kind, mode byte) {
		opts := fuzzOptions(mode)
		if len(extra) > 4096 || opts.MarkerMode == MarkerRegion || bytes.Contains(extra, []byte("<<<")) || bytes.Contains(extra, []byte(">>>")) ||
			bytes.Contains(extra, []byte("[[[")) || bytes.Contains(extra, []byte("]]]")) {
			return
		}
		req, resp := ">>>\n", "<<<\n"
		if kind&4 != 0 {
			req, resp = "[[[\n", "]]]\n"
		}
		method, head := "GET", []string{"HTTP/1.1 204 No Content\n\n", "HTTP/1.1 304 Not Modified\n\n", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "HTTP/1.1 200 OK\nContent-Length: 3\n\n"}[kind%4]
		if kind%4 == 3 {
			method = "HEAD"
		}
		trace := req + method + " http://a.example/x HTTP/1.1\nHost: a.example\n\n" + resp + head + string(extra) + "\n" +
			req + "GET http://a.example/next HTTP/1.1\nHost: a.example\n\n" + resp + "HTTP/1.1 204 No Content\n\n"
		status := map[string]int{method + " http://a.example/x": []int{204, 304, 200, 200}[kind%4], "GET http://a.example/next": 204}
		if kind&8 != 0 { // a client that writes bytes behind its request, once the file shows its layout
			method = "GET"
			trace = req + "GET http://a.example/first HTTP/1.1\nHost: a.example\n\n" + resp + "HTTP/1.1 204 No Content\n\n" +
				req + "GET http://a.example/x HTTP/1.1\nHost: a.example\n\n" + string(extra) + "\n" + resp + "HTTP/1.1 403 Forbidden\nContent-Length: 0\n\n"
			status = map[string]int{"GET http://a.example/first": 204, "GET http://a.example/x": 403}
		}
		for _, tx := range feedLines(t, "HTTP-f6-S.txt", opts, tailLines([]byte(trace), false)) {
			key := tx.Method + " " + tx.Target
			if want, ok := status[key]; tx.Complete && (tx.User != "" || !ok || tx.Status != want) {
				t.Fatalf("a complete transaction from bytes beyond a message: %s\ntrace:\n%s", format(tx), trace)
			}
		}
	})
}

// icapForged is what a hostile client of an ICAP server puts into an
// encapsulated body: another ICAP request with a user, and its answer.
var icapForged = ">>> REQMOD icap://evil.example/r ICAP/1.0\nX-Authenticated-User: " + base64.StdEncoding.EncodeToString([]byte("Local://victim")) +
	"\nEncapsulated: null-body=0\n\n<<< ICAP/1.0 204 No Content\n\n"

// FuzzICAPBodyNeverForges is FuzzBodyNeverForges for the chunked body an
// ICAP request encapsulates (in one chunk, or cut into two; in clear or
// decrypted): it never yields a complete transaction, a user or a status
// of its own.
func FuzzICAPBodyNeverForges(f *testing.F) {
	for _, body := range []string{icapForged, ">>>\n" + icapForged, ">>>" + strings.Repeat(" ", 40), "<<<\n" + icapForged, "ICAP/1.0 200 OK\n\n"} {
		for kind := range byte(4) {
			f.Add([]byte(body), kind, byte(0))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, kind, mode byte) {
		if len(body) > 4096 {
			return
		}
		req, resp := ">>>\n", "<<<\n"
		if kind&2 != 0 {
			req, resp = "[[[\n", "]]]\n"
		}
		var chunks string
		switch {
		case len(body) == 0:
		case kind&1 != 0 && len(body) > 1: // two chunks
			h := len(body) / 2
			chunks = fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n", h, body[:h], len(body)-h, body[h:])
		default:
			chunks = fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
		}
		trace := req + "RESPMOD icap://i.example/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n" + chunks + "0\r\n\r\n" +
			resp + "ICAP/1.0 204 No Content\n\n" + req + "RESPMOD icap://i.example/next ICAP/1.0\nEncapsulated: null-body=0\n\n" + resp + "ICAP/1.0 204 No Content\n\n"
		seen := map[string]int{}
		for _, tx := range feedLines(t, "ICAP-f7-C.txt", fuzzOptions(mode), tailLines([]byte(trace), false)) {
			if !tx.Complete {
				continue
			}
			key := tx.Method + " " + tx.Target
			seen[key]++
			switch {
			case tx.User != "":
				t.Fatalf("a complete transaction with a user from the body: %s\ntrace:\n%s", format(tx), trace)
			case key != "RESPMOD icap://i.example/r" && key != "RESPMOD icap://i.example/next", seen[key] > 1, tx.Status != 204:
				t.Fatalf("a complete transaction from the body: %s\ntrace:\n%s", format(tx), trace)
			}
		}
	})
}

// icapRespmod is a RESPMOD whose encapsulated response body is chunks,
// answered with 204, and a next RESPMOD.
func icapRespmod(chunks string) string {
	return ">>>\nRESPMOD icap://i.example/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n" + chunks +
		"<<<\nICAP/1.0 204 No Content\n\n>>>\nRESPMOD icap://i.example/next ICAP/1.0\nEncapsulated: null-body=0\n\n<<<\nICAP/1.0 204 No Content\n\n"
}

// oneChunk is a chunked body of one chunk holding data.
func oneChunk(data string) string { return fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(data), data) }

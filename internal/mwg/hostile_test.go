package mwg

import (
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
// response or a request body), it never yields a complete transaction of
// its own or a user: anything it could have started is flagged.
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
	f.Fuzz(func(t *testing.T, body []byte, kind, mode byte) {
		if len(body) > 4096 {
			return
		}
		// Known limit (README, "Limits of MWG support"): inside a body
		// framed by length (Content-Length, chunks), a line that is a
		// marker of the body's own direction is read as what MWG writes
		// there itself, a later read of the same message, so the body's
		// byte count runs on over the lines after it.
		if framedByLength := kind%4 == 1 || kind%4 == 3 || kind%4 == 0 && kind&8 == 0; framedByLength &&
			hasOwnMarkerLine(body, kind%4 == 3) {
			return
		}
		var b strings.Builder
		method, reqFraming, reqBody := "GET", "", ""
		if kind%4 == 3 {
			method, reqFraming, reqBody = "POST", fmt.Sprintf("Content-Length: %d\n", len(body)), string(body)
		}
		b.WriteString(">>>\n" + method + " http://a.example/x HTTP/1.1\nHost: a.example\n" + reqFraming + "\n" + reqBody + "<<<\n")
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
			if len(body) > 0 {
				fmt.Fprintf(&b, "%x\r\n%s\r\n", len(body), body)
			}
			b.WriteString("0\r\n\r\n")
		case kind%4 == 2:
			b.WriteString("Connection: close\n\n" + string(body))
		default:
			b.WriteString("Content-Length: 0\n\n")
		}
		if kind%4 != 2 {
			b.WriteString("\n>>>\nGET http://a.example/next HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n")
		}
		seen := map[string]int{}
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
			}
		}
	})
}

// hasOwnMarkerLine reports whether a line of body starts with a marker of
// the direction the body travels in: ">>>" or "[[[" for a request's body,
// "<<<" or "]]]" for a response's.
func hasOwnMarkerLine(body []byte, request bool) bool {
	own := []string{"<<<", "]]]"}
	if request {
		own = []string{">>>", "[[["}
	}
	for _, line := range strings.Split(string(body), "\n") {
		for _, m := range own {
			if strings.HasPrefix(strings.TrimLeft(line, " \t"), m) {
				return true
			}
		}
	}
	return false
}

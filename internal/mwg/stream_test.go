package mwg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run feeds text (LF-separated lines, tail form) to a Stream for name.
func run(t *testing.T, name string, opts Options, text string) string {
	t.Helper()
	return formatAll(feedLines(t, name, opts, tailLines([]byte(text), false)))
}

func TestOrientation(t *testing.T) {
	tests := []struct {
		file string
		mode MarkerMode
		want orientation
	}{
		{"HTTP-1a2b3c-C.txt", MarkerAuto, orientNormal},
		{"FTP-1a2b41-CC.txt", MarkerAuto, orientNormal}, // first chunk "<<<" 220: a reply
		{"HTTP-2c0004-S.txt", MarkerAuto, orientNormal}, // calibrated from "[[["
		{"HTTP-2c0010-C.txt", MarkerAuto, orientMirrored},
		{"HTTP-2c0010-C.txt", MarkerDirection, orientNormal},
		{"HTTP-2c0010-C.txt", MarkerRegion, orientUnknown},
		{"FTP-2c0007-CL.txt", MarkerAuto, orientUnknown}, // data only
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.mode.String(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "traces", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := ParseName(tt.file)
			opts := DefaultOptions()
			opts.MarkerMode = tt.mode
			s := NewStream(n, opts, nil)
			for _, line := range tailLines(data, false) {
				s.Feed(line)
			}
			if s.orient != tt.want {
				t.Errorf("orientation %d, want %d", s.orient, tt.want)
			}
			s.Flush(FlushTruncated)
			if want := map[MarkerMode]orientation{MarkerDirection: orientNormal}[tt.mode]; s.orient != want {
				t.Errorf("after FlushTruncated: orientation %d, want %d", s.orient, want)
			}
		})
	}
}

// TestNoSecrets checks that no password, nor its encoded form, reaches any
// field of any transaction.
func TestNoSecrets(t *testing.T) {
	secrets := []string{"S3cr3t-Pa55", "UrlPa55w0rd", "RefPa55", "Tunn3l-S3cret", "wrong-Pa55", "guest-Pa55", "guest@example.com"}
	for _, s := range []string{"alice:S3cr3t-Pa55", "carol:Tunn3l-S3cret"} {
		secrets = append(secrets, b64(s))
	}
	files := []string{"HTTP-2c0006-C.txt", "HTTP-2c0004-C.txt", "FTP-2c0007-CC.txt", "FTP-2c0007-SC.txt", "FTP-1a2b41-CC.txt", "ICAP-2c0009-C.txt"}
	users := map[string]bool{}
	for _, f := range files {
		for _, keepCR := range []bool{false, true} {
			for _, tx := range feedFile(t, f, DefaultOptions(), keepCR) {
				all := fmt.Sprintf("%#v", tx)
				for _, secret := range secrets {
					if strings.Contains(all, secret) {
						t.Errorf("%s: %q found in %s", f, secret, all)
					}
				}
				users[tx.User] = true
			}
		}
	}
	for _, u := range []string{"alice", "carol", "anonymous", "CORP/alice"} {
		if !users[u] {
			t.Errorf("user %q not reported; users seen: %v", u, users)
		}
	}
}

func b64(s string) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var v uint
		n := min(3, len(s)-i)
		for j := range 3 {
			v <<= 8
			if j < n {
				v |= uint(s[i+j])
			}
		}
		for j := range 4 {
			if j <= n {
				b.WriteByte(enc[v>>(18-6*j)&63])
			} else {
				b.WriteByte('=')
			}
		}
	}
	return b.String()
}

// TestFeedRecords checks that records carrying several lines (multiline
// parser) decode like single lines.
func TestFeedRecords(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "traces", "HTTP-2c0004-C.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ls := tailLines(data, false)
	want := formatAll(feedLines(t, "HTTP-2c0004-C.txt", DefaultOptions(), ls))
	// In every grouping some records end with an empty line, which the
	// joined record carries as a trailing LF.
	for _, per := range []int{2, 3, 7, len(ls)} {
		var records [][]byte
		for i := 0; i < len(ls); i += per {
			records = append(records, bytes.Join(ls[i:min(i+per, len(ls))], []byte("\n")))
		}
		if got := formatAll(feedLines(t, "HTTP-2c0004-C.txt", DefaultOptions(), records)); got != want {
			t.Errorf("%d lines per record:\ngot:\n%s\nwant:\n%s", per, got, want)
		}
	}
}

func TestStreamCases(t *testing.T) {
	auto := DefaultOptions()
	noPrefix := DefaultOptions()
	noPrefix.TimestampPrefix = false
	zurich := DefaultOptions()
	zurich.Location = time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		file string
		opts Options
		text string
		want string
	}{
		{
			// The marker may be real (the writer added no line break) or
			// bytes the server sent after the body: the request it opens
			// says so.
			name: "body followed by a marker of the other side on the same line: ambiguous",
			file: "HTTP-3d0001-C.txt", opts: auto,
			text: ">>>\nGET http://a.example/ HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok>>>\nGET http://a.example/2 HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d0001-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=200 req=48 resp=37 complete`,
				`HTTP-3d0001-C #1 http method="GET" target="http://a.example/2" path="/2" host="a.example" port=80 status=204 req=49 resp=25 msg="ambiguous: may be body data of an earlier message"`,
			),
		},
		{
			name: "body followed by a marker of the same side on the same line",
			file: "HTTP-3d0013-C.txt", opts: auto,
			text: ">>>\nGET http://a.example/ HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok<<<\n>>>\nGET http://a.example/2 HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d0013-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=200 req=48 resp=37 complete`,
				`HTTP-3d0013-C #1 http method="GET" target="http://a.example/2" path="/2" host="a.example" port=80 status=204 req=49 resp=25 complete`,
			),
		},
		{
			name: "announced chunk size makes a marker line payload",
			file: "HTTP-3d0002-C.txt", opts: auto,
			text: ">>>\nGET http://a.example/ HTTP/1.0\n\n<<< (31 bytes)\nHTTP/1.0 200 OK\n\nline\n<<<\nmore\n",
			want: lines(`HTTP-3d0002-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=200 req=32 resp=31 complete`),
		},
		{
			name: "without the announced size the marker line is a marker",
			file: "HTTP-3d0003-C.txt", opts: auto,
			text: ">>>\nGET http://a.example/ HTTP/1.0\n\n<<<\nHTTP/1.0 200 OK\n\nline\n<<<\nmore\n",
			want: lines(`HTTP-3d0003-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=200 req=32 resp=27 complete`),
		},
		{
			name: "body without framing lasts until the connection ends: a later status line is its data",
			file: "HTTP-3d0004-S.txt", opts: auto,
			text: ">>>\nGET /a HTTP/1.1\nHost: a.example\n\n>>>\nGET /b HTTP/1.1\nHost: a.example\n\n<<<\nHTTP/1.1 200 OK\n\nbody\n<<<\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
			want: lines(
				`HTTP-3d0004-S #0 http method="GET" target="/a" path="/a" host="a.example" port=80 status=200 req=33 resp=57 complete`,
				`HTTP-3d0004-S #1 http method="GET" target="/b" path="/b" host="a.example" port=80 req=33 msg="incomplete (idle): no response"`,
			),
		},
		{
			name: "101 upgrade counts the rest until Flush",
			file: "HTTP-3d0005-S.txt", opts: auto,
			text: ">>>\nGET /chat HTTP/1.1\nHost: ws.example\nUpgrade: websocket\nConnection: Upgrade\n\n<<<\nHTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n\x81\x05hello\n>>>\n\x81\x85mask!\n",
			want: lines(`HTTP-3d0005-S #0 http method="GET" target="/chat" path="/chat" host="ws.example" port=80 status=101 req=84 resp=81 msg="upgraded to websocket" complete`),
		},
		{
			name: "binary handshake before the decrypted data: undecoded run",
			file: "HTTP-3d0006-S.txt", opts: auto,
			text: ">>>\n\x16\x03\x01\x00\x05hello\n<<<\n\x16\x03\x03\x00\x02hi\n[[[\nGET / HTTP/1.1\nHost: t.example\n\n]]]\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d0006-S #0 http req=11 resp=8 msg="binary data not decoded"`,
				`HTTP-3d0006-S #1 https tls="inspected" method="GET" target="/" path="/" host="t.example" port=443 status=204 req=32 resp=25 complete`,
			),
		},
		{
			name: "POST answered 407 before its body: the body never comes",
			file: "HTTP-3d0010-C.txt", opts: auto,
			text: ">>>\nPOST http://a.example/f HTTP/1.1\nContent-Length: 3\nExpect: 100-continue\n\n<<<\nHTTP/1.1 407 Proxy Authentication Required\nContent-Length: 0\n\n>>>\nPOST http://a.example/f HTTP/1.1\nProxy-Authorization: Basic dTpw\nContent-Length: 3\nExpect: 100-continue\n\n<<<\nHTTP/1.1 100 Continue\n\n>>>\nabc\n<<<\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
			want: lines(
				`HTTP-3d0010-C #0 http method="POST" target="http://a.example/f" path="/f" host="a.example" port=80 status=407 req=73 resp=62 msg="request body not sent" complete`,
				`HTTP-3d0010-C #1 http method="POST" target="http://a.example/f" path="/f" host="a.example" port=80 status=200 interim=[100] req=108 resp=58 user="u" complete`,
			),
		},
		{
			name: "response without request",
			file: "HTTP-3d0007-C.txt", opts: auto,
			text: "<<<\nHTTP/1.1 408 Request Timeout\nContent-Length: 0\n\n",
			want: lines(`HTTP-3d0007-C #0 http status=408 resp=48 msg="response without request"`),
		},
		{
			name: "malformed chunk size: the rest of the connection is not decoded",
			file: "HTTP-3d0008-S.txt", opts: auto,
			text: ">>>\nGET /a HTTP/1.1\n\nGET /b HTTP/1.1\n\n<<<\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\ngarbage\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
			want: lines(
				`HTTP-3d0008-S #0 http method="GET" target="/a" path="/a" port=80 status=200 req=17 resp=90 msg="malformed chunk size: rest of the connection not decoded"`,
				`HTTP-3d0008-S #1 http method="GET" target="/b" path="/b" port=80 req=17 msg="incomplete (idle): no response"`,
			),
		},
		{
			name: "a request line inside a header block is a header line, even after a marker",
			file: "HTTP-3d0009-C.txt", opts: auto,
			text: ">>>\nGET http://a.example/1 HTTP/1.1\nHost: a.example\n>>>\nGET http://a.example/2 HTTP/1.1\n\n<<<\nHTTP/1.1 204 No Content\n\n<<<\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d0009-C #0 http method="GET" target="http://a.example/1" path="/1" host="a.example" port=80 status=204 req=81 resp=25 complete`,
				`HTTP-3d0009-C #1 http status=204 resp=25 msg="response without request"`,
			),
		},
		{
			name: "times: prefixes, midnight rollover, zone offset, default location",
			file: "HTTP-3d000a-C.txt", opts: zurich,
			text: "[2024-12-31 23:59:59.900] >>>\nGET http://a.example/ HTTP/1.1\n\n00:00:00.250 <<<\nHTTP/1.1 204 No Content\n\n2025-01-01T08:00:00+09:00 >>>\nGET http://a.example/z HTTP/1.1\n\n<<< 07:00:01,5\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d000a-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=204 req=32 resp=25 start=2024-12-31T22:59:59.900 end=2024-12-31T23:00:00.250 complete`,
				`HTTP-3d000a-C #1 http method="GET" target="http://a.example/z" path="/z" host="a.example" port=80 status=204 req=33 resp=25 start=2024-12-31T23:00:00.000 end=2025-01-01T06:00:01.500 complete`,
			),
		},
		{
			// The prefixed marker is a malformed request; the status line
			// still starts a response (auto mode routes by content).
			name: "prefixes off: a prefixed marker is data",
			file: "HTTP-3d000b-C.txt", opts: noPrefix,
			text: ">>>\nGET http://a.example/ HTTP/1.1\n\n12:00:00 <<<\nHTTP/1.1 204 No Content\n\n",
			want: lines(
				`HTTP-3d000b-C #0 http method="GET" target="http://a.example/" path="/" host="a.example" port=80 status=204 req=32 resp=25 complete`,
				`HTTP-3d000b-C #1 http port=80 req=13 msg="malformed request line; incomplete (idle): request headers truncated"`,
			),
		},
		{
			name: "a lone address is the peer: the server on a server side",
			file: "HTTP-3d000c-S.txt", opts: auto,
			text: "trace 3d000c 198.51.100.7:443\n[[[\nGET / HTTP/1.1\n\n]]] [2001:db8::7]:443\nHTTP/1.1 204 No Content\n\n",
			want: lines(`HTTP-3d000c-S #0 https tls="inspected" method="GET" target="/" path="/" port=443 status=204 req=16 resp=25 dst="198.51.100.7:443" complete`),
		},
		{
			name: "pipelined chunked request and response within one chunk each",
			file: "HTTP-3d000d-S.txt", opts: auto,
			text: ">>>\nPOST /a HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\nGET /b HTTP/1.1\n\n<<<\nHTTP/1.1 201 Created\nContent-Length: 0\n\nHTTP/1.1 200 OK\nContent-Length: 3\n\nxyz\n",
			want: lines(
				`HTTP-3d000d-S #0 http method="POST" target="/a" path="/a" port=80 status=201 req=54 resp=40 complete`,
				`HTTP-3d000d-S #1 http method="GET" target="/b" path="/b" port=80 status=200 req=17 resp=38 complete`,
			),
		},
		{
			name: "FTP: EPRT, PORT, LIST without argument, DELE, CDUP and PWD",
			file: "FTP-3d000e-SC.txt", opts: auto,
			text: "<<<\n220 ready\n>>>\nUSER u\n<<<\n230 ok\n>>>\nPWD\n<<<\n257 \"/home/u\" is the current directory\n>>>\nPORT 10,0,0,1,4,1\n<<<\n200 PORT ok\n>>>\nLIST\n<<<\n150 Here comes the listing\n226 Done\n>>>\nCDUP\n<<<\n250 ok\n>>>\nEPRT |1|10.0.0.1|6275|\n<<<\n200 EPRT ok\n>>>\nDELE old.txt\n<<<\n550 Permission denied\n",
			want: lines(
				`FTP-3d000e-SC #0 ftp method="LIST" path="/home/u" status=226 interim=[150] req=5 resp=36 user="u" dataport=1025 complete`,
				`FTP-3d000e-SC #1 ftp method="DELE" target="old.txt" path="/home/old.txt" status=550 req=13 resp=22 user="u" complete`,
			),
		},
		{
			// The chunk data "ab\r\ncd\r\n" lost its CRs to tail: the
			// marker ends it; the body then lacks its last chunk. Read
			// with bare LF, the marker is chunk data, and the answer
			// need not be this request's: ambiguous.
			name: "ICAP: chunk data ended by a marker, body cut",
			file: "ICAP-3d0011-C.txt", opts: auto,
			text: ">>>\nRESPMOD icap://i/r ICAP/1.0\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n8\nab\ncd\n\n<<<\nICAP/1.0 500 Error\n\n",
			want: lines(
				`ICAP-3d0011-C #0 icap method="RESPMOD" target="icap://i/r" path="/r" host="i" port=1344 status=500 req=93 resp=20 http.status=200 msg="ambiguous: may be body data of an earlier message; incomplete (idle): request body truncated"`,
			),
		},
		{
			name: "ICAP: request headers cut",
			file: "ICAP-3d0012-S.txt", opts: auto,
			text: ">>>\nOPTIONS icap://[2001:db8::5]:1345/o ICAP/1.0\nHost: [2001:db8::5]:1345\n",
			want: lines(
				`ICAP-3d0012-S #0 icap method="OPTIONS" target="icap://[2001:db8::5]:1345/o" path="/o" host="2001:db8::5" port=1345 req=70 msg="incomplete (idle): request headers truncated"`,
			),
		},
		{
			name: "ICAP: malformed Encapsulated and a response without request",
			file: "ICAP-3d000f-S.txt", opts: auto,
			text: ">>>\nREQMOD icap://i.example/req ICAP/1.0\nEncapsulated: req-hdr=5\n\n<<<\nICAP/1.0 204 No Content\n\n<<<\nICAP/1.0 500 Server Error\n\n",
			want: lines(
				`ICAP-3d000f-S #0 icap method="REQMOD" target="icap://i.example/req" path="/req" host="i.example" port=1344 status=204 req=62 resp=25 msg="malformed Encapsulated header"`,
				`ICAP-3d000f-S #1 icap status=500 resp=27 msg="response without request"`,
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, tt.file, tt.opts, tt.text); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

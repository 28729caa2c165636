package mwg

import (
	"testing"
)

// TestTraces feeds the fixture files line by line, as tail does, and
// compares every emitted transaction in full.
func TestTraces(t *testing.T) {
	auto := DefaultOptions()
	region := DefaultOptions()
	region.MarkerMode = MarkerRegion
	direction := DefaultOptions()
	direction.MarkerMode = MarkerDirection

	tests := []struct {
		name   string
		file   string
		opts   Options
		keepCR bool // tail delivered the CRs
		want   string
	}{
		{
			name: "mwg.md A: plain HTTP client side (its Content-Length 45 exceeds the 34-byte body)",
			file: "HTTP-1a2b3c-C.txt", opts: auto,
			want: lines(
				`HTTP-1a2b3c-C #0 http method="GET" target="http://www.example.com/index.html" path="/index.html" host="www.example.com" port=80 status=407 req=165 resp=87 ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" complete`,
				`HTTP-1a2b3c-C #1 http method="GET" target="http://www.example.com/index.html" path="/index.html" host="www.example.com" port=80 status=200 req=153 resp=147 msg="incomplete (idle): response body 35 of 45 bytes"`,
			),
		},
		{
			name: "mwg.md A with CRs kept by tail: exact counts",
			file: "HTTP-1a2b3c-C.txt", opts: auto, keepCR: true,
			want: lines(
				`HTTP-1a2b3c-C #0 http method="GET" target="http://www.example.com/index.html" path="/index.html" host="www.example.com" port=80 status=407 req=171 resp=91 ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" complete`,
				`HTTP-1a2b3c-C #1 http method="GET" target="http://www.example.com/index.html" path="/index.html" host="www.example.com" port=80 status=200 req=157 resp=152 msg="incomplete (idle): response body 35 of 45 bytes"`,
			),
		},
		{
			name: "mwg.md B: server side, origin form",
			file: "HTTP-1a2b3c-S.txt", opts: auto,
			want: lines(
				`HTTP-1a2b3c-S #0 http method="GET" target="/index.html" path="/index.html" host="www.example.com" port=80 status=200 req=140 resp=95 ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" msg="incomplete (idle): response body 35 of 45 bytes"`,
			),
		},
		{
			name: "mwg.md C: CONNECT then decrypted POST",
			file: "HTTP-1a2b40-C.txt", opts: auto,
			want: lines(
				`HTTP-1a2b40-C #0 http method="CONNECT" target="login.example.org:443" host="login.example.org" port=443 status=200 req=92 resp=37 ua="Mozilla/5.0" complete`,
				`HTTP-1a2b40-C #1 https tls="inspected" method="POST" target="/session" path="/session" host="login.example.org" port=443 status=302 req=144 resp=120 complete`,
			),
		},
		{
			name: "mwg.md D: FTP control, client side",
			file: "FTP-1a2b41-CC.txt", opts: auto,
			want: lines(
				`FTP-1a2b41-CC #0 ftp method="RETR" target="/pub/readme.txt" path="/pub/readme.txt" host="ftp.example.net" port=21 status=226 interim=[150] req=21 resp=62 user="anonymous" dataport=50000 complete`,
			),
		},
		{
			name: "keep-alive: body, HEAD, 100-continue, 304",
			file: "HTTP-2c0001-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0001-C #0 http method="GET" target="http://intranet.example.com/" path="/" host="intranet.example.com" port=80 status=200 req=105 resp=111 ua="curl/8.5.0" complete`,
				`HTTP-2c0001-C #1 http method="HEAD" target="http://intranet.example.com/big.iso" path="/big.iso" host="intranet.example.com" port=80 status=200 req=101 resp=82 ua="curl/8.5.0" complete`,
				`HTTP-2c0001-C #2 http method="POST" target="http://intranet.example.com/search" path="/search" host="intranet.example.com" port=80 status=303 interim=[100] req=198 resp=84 ua="curl/8.5.0" ref="http://intranet.example.com/" complete`,
				`HTTP-2c0001-C #3 http method="GET" target="http://intranet.example.com/logo.png" path="/logo.png" host="intranet.example.com" port=80 status=304 req=122 resp=39 ua="curl/8.5.0" complete`,
			),
		},
		{
			name: "chunked request and response with trailer",
			file: "HTTP-2c0002-S.txt", opts: auto,
			want: lines(
				`HTTP-2c0002-S #0 http method="POST" target="/upload" path="/upload" host="api.example.net" port=80 status=200 req=93 resp=143 complete`,
			),
		},
		{
			name: "chunked with CRs kept: the chunks' exact sizes",
			file: "HTTP-2c0002-S.txt", opts: auto, keepCR: true,
			want: lines(
				`HTTP-2c0002-S #0 http method="POST" target="/upload" path="/upload" host="api.example.net" port=80 status=200 req=103 resp=153 complete`,
			),
		},
		{
			name: "pipelining: two requests then two responses, one body running into the next status line",
			file: "HTTP-2c0003-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0003-C #0 http method="GET" target="http://static.example.com/a.css" path="/a.css" host="static.example.com" port=80 status=200 req=71 resp=37 complete`,
				`HTTP-2c0003-C #1 http method="GET" target="http://static.example.com/b.js" path="/b.js" host="static.example.com" port=80 status=404 req=70 resp=51 complete`,
			),
		},
		{
			name: "CONNECT, TLS handshake bytes counted into it, two decrypted requests",
			file: "HTTP-2c0004-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0004-C #0 http method="CONNECT" target="api.example.org:8443" host="api.example.org" port=8443 status=200 req=182 resp=103 ua="okhttp/4.12.0" user="carol" complete`,
				`HTTP-2c0004-C #1 https tls="inspected" method="GET" target="/v1/items" path="/v1/items" host="api.example.org" port=8443 status=200 req=102 resp=85 ua="okhttp/4.12.0" complete`,
				`HTTP-2c0004-C #2 https tls="inspected" method="GET" target="/v1/items" path="/v1/items" host="api.example.org" port=8443 status=304 req=98 resp=27 ua="okhttp/4.12.0" complete`,
			),
		},
		{
			name: "server side starting with [[[",
			file: "HTTP-2c0004-S.txt", opts: auto,
			want: lines(
				`HTTP-2c0004-S #0 https tls="inspected" method="GET" target="/v1/items" path="/v1/items" host="api.example.org" port=8443 status=200 req=130 resp=85 ua="okhttp/4.12.0" client="192.0.2.44" complete`,
				`HTTP-2c0004-S #1 https tls="inspected" method="GET" target="/v1/items" path="/v1/items" host="api.example.org" port=8443 status=304 req=126 resp=27 ua="okhttp/4.12.0" client="192.0.2.44" complete`,
			),
		},
		{
			name: "NTLM 407 handshake: no user",
			file: "HTTP-2c0005-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0005-C #0 http method="GET" target="http://portal.example.com/" path="/" host="portal.example.com" port=80 status=407 req=90 resp=154 ua="Mozilla/5.0" complete`,
				`HTTP-2c0005-C #1 http method="GET" target="http://portal.example.com/" path="/" host="portal.example.com" port=80 status=407 req=173 resp=192 ua="Mozilla/5.0" complete`,
				`HTTP-2c0005-C #2 http method="GET" target="http://portal.example.com/" path="/" host="portal.example.com" port=80 status=200 req=213 resp=39 ua="Mozilla/5.0" complete`,
			),
		},
		{
			name: "Basic 407: user kept, URL and Referer passwords removed, their users kept",
			file: "HTTP-2c0006-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0006-C #0 http method="GET" target="http://bob@files.example.com:8080/private/report.pdf" path="/private/report.pdf" host="files.example.com" port=8080 status=407 req=130 resp=100 ua="Wget/1.21" complete`,
				`HTTP-2c0006-C #1 http method="GET" target="http://bob@files.example.com:8080/private/report.pdf" path="/private/report.pdf" host="files.example.com" port=8080 status=200 req=242 resp=73 ua="Wget/1.21" ref="http://eve@files.example.com:8080/private/" user="alice" complete`,
			),
		},
		{
			name: "FTP client control: failed login, multi-line reply, CWD, PASV, relative RETR",
			file: "FTP-2c0007-CC.txt", opts: auto,
			want: lines(
				`FTP-2c0007-CC #0 ftp method="PASS" host="ftp.example.net" port=21 status=530 req=16 resp=20 user="anonymous" complete`,
				`FTP-2c0007-CC #1 ftp method="RETR" target="readme.txt" path="/pub/readme.txt" host="ftp.example.net" port=21 status=226 interim=[150] req=16 resp=88 user="anonymous" dataport=50000 complete`,
			),
		},
		{
			name: "FTP server control: EPSV",
			file: "FTP-2c0007-SC.txt", opts: auto,
			want: lines(
				`FTP-2c0007-SC #0 ftp method="RETR" target="readme.txt" path="/pub/readme.txt" status=226 interim=[150] req=16 resp=90 user="anonymous" dataport=41733 complete`,
			),
		},
		{
			name: "FTP client data connection",
			file: "FTP-2c0007-CL.txt", opts: auto,
			want: lines(`FTP-2c0007-CL #0 ftp resp=58 complete`),
		},
		{
			name: "FTP server data connection",
			file: "FTP-2c0007-SD.txt", opts: auto,
			want: lines(`FTP-2c0007-SD #0 ftp resp=58 complete`),
		},
		{
			name: "ICAP client side: OPTIONS, REQMOD answered with a block page",
			file: "ICAP-2c0008-S.txt", opts: auto,
			want: lines(
				`ICAP-2c0008-S #0 icap method="OPTIONS" target="icap://icap.example.net/reqmod" path="/reqmod" host="icap.example.net" port=1344 status=200 req=98 resp=98 complete`,
				`ICAP-2c0008-S #1 icap method="REQMOD" target="icap://icap.example.net/reqmod" path="/reqmod" host="icap.example.net" port=1344 status=200 req=239 resp=183 client="192.0.2.44" http.method="GET" http.target="http://www.example.com/download.exe" http.host="www.example.com" http.status=403 complete`,
			),
		},
		{
			name: "ICAP server side: RESPMOD with preview, 100 Continue, 204",
			file: "ICAP-2c0009-C.txt", opts: auto,
			want: lines(
				`ICAP-2c0009-C #0 icap method="RESPMOD" target="icap://mwg.example.net:1344/respmod" path="/respmod" host="mwg.example.net" port=1344 status=204 interim=[100] req=410 resp=89 user="CORP/alice" client="198.51.100.23" http.method="GET" http.target="http://cdn.example.com/file.bin" http.host="cdn.example.com" http.status=200 complete`,
			),
		},
		{
			name: "ICAP with CRs kept: exact counts",
			file: "ICAP-2c0009-C.txt", opts: auto, keepCR: true,
			want: lines(
				`ICAP-2c0009-C #0 icap method="RESPMOD" target="icap://mwg.example.net:1344/respmod" path="/respmod" host="mwg.example.net" port=1344 status=204 interim=[100] req=433 resp=95 user="CORP/alice" client="198.51.100.23" http.method="GET" http.target="http://cdn.example.com/file.bin" http.host="cdn.example.com" http.status=200 complete`,
			),
		},
		{
			name: "file ends inside the response headers",
			file: "HTTP-2c000a-C.txt", opts: auto,
			want: lines(
				`HTTP-2c000a-C #0 http method="GET" target="http://news.example.com/today" path="/today" host="news.example.com" port=80 status=200 req=91 resp=51 ua="Mozilla/5.0" msg="incomplete (idle): response headers truncated"`,
			),
		},
		{
			name: "binary body with marker and status lines inside its Content-Length",
			file: "HTTP-2c000b-S.txt", opts: auto,
			want: lines(
				`HTTP-2c000b-S #0 http method="GET" target="/img/marker.png" path="/img/marker.png" host="img.example.com" port=80 status=200 req=52 resp=110 complete`,
				`HTTP-2c000b-S #1 http method="GET" target="/img/next.png" path="/img/next.png" host="img.example.com" port=80 status=204 req=50 resp=25 complete`,
			),
		},
		{
			name: "binary body, CRs kept",
			file: "HTTP-2c000b-S.txt", opts: auto, keepCR: true,
			want: lines(
				`HTTP-2c000b-S #0 http method="GET" target="/img/marker.png" path="/img/marker.png" host="img.example.com" port=80 status=200 req=55 resp=114 complete`,
				`HTTP-2c000b-S #1 http method="GET" target="/img/next.png" path="/img/next.png" host="img.example.com" port=80 status=204 req=53 resp=27 complete`,
			),
		},
		{
			name: "CRLF payload, CRs stripped by tail: headers one byte short per line, body exact",
			file: "HTTP-2c000c-C.txt", opts: auto,
			want: lines(
				`HTTP-2c000c-C #0 http method="GET" target="http://www.example.com/lines.txt" path="/lines.txt" host="www.example.com" port=80 status=200 req=69 resp=56 complete`,
				`HTTP-2c000c-C #1 http method="GET" target="http://www.example.com/empty" path="/empty" host="www.example.com" port=80 status=204 req=65 resp=25 complete`,
			),
		},
		{
			name: "CRLF payload, CRs kept: exact",
			file: "HTTP-2c000c-C.txt", opts: auto, keepCR: true,
			want: lines(
				`HTTP-2c000c-C #0 http method="GET" target="http://www.example.com/lines.txt" path="/lines.txt" host="www.example.com" port=80 status=200 req=72 resp=59 complete`,
				`HTTP-2c000c-C #1 http method="GET" target="http://www.example.com/empty" path="/empty" host="www.example.com" port=80 status=204 req=68 resp=27 complete`,
			),
		},
		{
			name: "LF payload: exact",
			file: "HTTP-2c000d-C.txt", opts: auto,
			want: lines(
				`HTTP-2c000d-C #0 http method="GET" target="http://www.example.com/lines.txt" path="/lines.txt" host="www.example.com" port=80 status=200 req=69 resp=54 complete`,
				`HTTP-2c000d-C #1 http method="GET" target="http://www.example.com/empty" path="/empty" host="www.example.com" port=80 status=204 req=65 resp=25 complete`,
			),
		},
		{
			name: "timestamp prefixes, addresses, byte counts, data on the marker line",
			file: "HTTP-2c000e-C.txt", opts: auto,
			want: lines(
				`HTTP-2c000e-C #0 http method="GET" target="http://time.example.com/" path="/" host="time.example.com" port=80 status=200 req=62 resp=40 src="192.0.2.44:51234" dst="192.0.2.10:8080" start=2024-03-05T09:12:44.120 end=2024-03-05T09:12:44.350 complete`,
				`HTTP-2c000e-C #1 http method="GET" target="http://time.example.com/b" path="/b" host="time.example.com" port=80 status=204 req=63 resp=25 src="192.0.2.44:51234" dst="192.0.2.10:8080" start=2024-03-05T09:12:45.001 end=2024-03-05T09:12:45.250 complete`,
			),
		},
		{
			name: "region layout in region mode",
			file: "HTTP-2c000f-C.txt", opts: region,
			want: lines(
				`HTTP-2c000f-C #0 http method="GET" target="http://plain.example.com/" path="/" host="plain.example.com" port=80 status=200 req=64 resp=37 complete`,
				`HTTP-2c000f-C #1 https tls="inspected" method="GET" target="/secure" path="/secure" host="secure.example.com" port=443 status=403 req=47 resp=42 complete`,
			),
		},
		{
			name: "region layout in auto mode: content starts the responses",
			file: "HTTP-2c000f-C.txt", opts: auto,
			want: lines(
				`HTTP-2c000f-C #0 http method="GET" target="http://plain.example.com/" path="/" host="plain.example.com" port=80 status=200 req=64 resp=37 complete`,
				`HTTP-2c000f-C #1 https tls="inspected" method="GET" target="/secure" path="/secure" host="secure.example.com" port=443 status=403 req=47 resp=42 complete`,
			),
		},
		{
			name: "region layout in direction mode: responses read as requests",
			file: "HTTP-2c000f-C.txt", opts: direction,
			want: lines(
				`HTTP-2c000f-C #0 http method="GET" target="http://plain.example.com/" path="/" host="plain.example.com" port=80 req=64 msg="incomplete (idle): no response"`,
				`HTTP-2c000f-C #1 http port=80 req=37 msg="malformed request line; incomplete (idle): no response"`,
				`HTTP-2c000f-C #2 https tls="inspected" method="GET" target="/secure" path="/secure" host="secure.example.com" port=443 req=47 msg="incomplete (idle): no response"`,
				`HTTP-2c000f-C #3 https tls="inspected" port=443 req=42 msg="malformed request line; incomplete (idle): no response"`,
			),
		},
		{
			name: "mirrored markers, auto: calibrated, handshake bytes go to the right side",
			file: "HTTP-2c0010-C.txt", opts: auto,
			want: lines(
				`HTTP-2c0010-C #0 http method="CONNECT" target="mirror.example.com:443" host="mirror.example.com" port=443 status=200 req=104 resp=71 complete`,
				`HTTP-2c0010-C #1 https tls="inspected" method="GET" target="/index.html" path="/index.html" host="mirror.example.com" port=443 status=200 req=51 resp=38 complete`,
			),
		},
		{
			name: "HTTP/2 preface inside TLS",
			file: "HTTP-2c0011-S.txt", opts: auto,
			want: lines(
				`HTTP-2c0011-S #0 https tls="inspected" method="PRI" target="*" path="*" port=443 req=48 resp=28 msg="http2 not decoded"`,
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatAll(feedFile(t, tt.file, tt.opts, tt.keepCR))
			if got != tt.want {
				t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tt.file, got, tt.want)
			}
		})
	}
}

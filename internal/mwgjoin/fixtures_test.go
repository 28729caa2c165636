package mwgjoin

import "testing"

// TestFixtures feeds trace files line by line as tail does, the files of a
// connection interleaved round-robin, and compares the WELF lines emitted
// while feeding and then by Drain.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		keepCR  bool   // tail delivered the CRs
		live    string // emitted while the lines were fed
		drained string // emitted by Drain
	}{
		{
			name:  "mwg.md A and B: plain HTTP, proxy 407 alone, then the request joined with its server side (body shorter than Content-Length)",
			files: []string{"HTTP-1a2b3c-C.txt", "HTTP-1a2b3c-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:22" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=407 sent=165 rcvd=87 agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c view=client`,
				`id=firewall time="2024-03-05 09:00:36" fw=mwg01 pri=4 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=200 sent=153 rcvd=147 msg="incomplete (shutdown): response body 35 of 45 bytes" agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c upstream_sent=140 upstream_rcvd=95 partial=shutdown`,
			),
		},
		{
			name:  "mwg.md C: CONNECT and decrypted POST, no server file",
			files: []string{"HTTP-1a2b40-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=6 proto=http dstport=443 dstname=login.example.org op=CONNECT arg=login.example.org:443 result=200 sent=92 rcvd=37 agent=Mozilla/5.0 conn=1a2b40 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:20" fw=mwg01 pri=6 proto=https dstport=443 dstname=login.example.org op=POST arg=https://login.example.org/session result=302 sent=144 rcvd=120 conn=1a2b40 view=client tls=inspected partial=shutdown`,
			),
		},
		{
			name:  "mwg.md D: FTP client control only",
			files: []string{"FTP-1a2b41-CC.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:19" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=RETR arg=/pub/readme.txt result=226 sent=21 rcvd=62 conn=1a2b41 view=client partial=shutdown`,
			),
		},
		{
			name:  "keep-alive C+S: chunked POST, MWG's own HEAD, block page after scanning, block without upstream",
			files: []string{"HTTP-3e0001-C.txt", "HTTP-3e0001-S.txt"},
			live: joinLines(
				`id=firewall time="2024-03-05 09:00:27" fw=mwg01 pri=6 proto=http src=192.0.2.60 dstport=80 dstname=shop.example.com op=GET arg=http://shop.example.com/ result=200 sent=118 rcvd=81 agent="Mozilla/5.0 (X11; Linux x86_64)" conn=3e0001 upstream_sent=149 upstream_rcvd=81`,
				`id=firewall time="2024-03-05 09:01:13" fw=mwg01 pri=6 proto=http src=192.0.2.60 dstport=80 dstname=shop.example.com op=POST arg=http://shop.example.com/cart result=200 sent=188 rcvd=52 ref=http://shop.example.com/ agent="Mozilla/5.0 (X11; Linux x86_64)" conn=3e0001 upstream_sent=219 upstream_rcvd=52`,
				`id=firewall time="2024-03-05 09:01:33" fw=mwg01 pri=6 proto=http dstport=80 dstname=shop.example.com op=HEAD arg=http://shop.example.com/setup.exe result=200 sent=75 rcvd=80 conn=3e0001 view=server`,
				`id=firewall time="2024-03-05 09:01:59" fw=mwg01 pri=6 proto=http src=192.0.2.60 dstport=80 dstname=shop.example.com op=GET arg=http://shop.example.com/setup.exe result=403 sent=115 rcvd=92 agent="Mozilla/5.0 (X11; Linux x86_64)" conn=3e0001 upstream_result=200 upstream_sent=146 upstream_rcvd=91`,
				`id=firewall time="2024-03-05 09:01:48" fw=mwg01 pri=6 proto=http dstport=80 dstname=malware.example.net op=GET arg=http://malware.example.net/dropper.js result=403 sent=122 rcvd=98 agent="Mozilla/5.0 (X11; Linux x86_64)" conn=3e0001 view=client`,
				`id=firewall time="2024-03-05 09:02:20" fw=mwg01 pri=6 proto=http src=192.0.2.60 dstport=80 dstname=shop.example.com op=GET arg=http://shop.example.com/logo.png result=200 sent=148 rcvd=64 ref=http://shop.example.com/ agent="Mozilla/5.0 (X11; Linux x86_64)" conn=3e0001 upstream_sent=179 upstream_rcvd=64`,
			),
		},
		{
			name:  "keep-alive client side only: body, HEAD, 100-continue, 304",
			files: []string{"HTTP-2c0001-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:13" fw=mwg01 pri=6 proto=http dstport=80 dstname=intranet.example.com op=GET arg=http://intranet.example.com/ result=200 sent=105 rcvd=111 agent=curl/8.5.0 conn=2c0001 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:23" fw=mwg01 pri=6 proto=http dstport=80 dstname=intranet.example.com op=HEAD arg=http://intranet.example.com/big.iso result=200 sent=101 rcvd=82 agent=curl/8.5.0 conn=2c0001 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:41" fw=mwg01 pri=6 proto=http dstport=80 dstname=intranet.example.com op=POST arg=http://intranet.example.com/search result=303 sent=198 rcvd=84 ref=http://intranet.example.com/ agent=curl/8.5.0 conn=2c0001 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:51" fw=mwg01 pri=6 proto=http dstport=80 dstname=intranet.example.com op=GET arg=http://intranet.example.com/logo.png result=304 sent=122 rcvd=39 agent=curl/8.5.0 conn=2c0001 view=client partial=shutdown`,
			),
		},
		{
			name:  "chunked request and response with trailer, server side only",
			files: []string{"HTTP-2c0002-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:23" fw=mwg01 pri=6 proto=http dstport=80 dstname=api.example.net op=POST arg=http://api.example.net/upload result=200 sent=93 rcvd=143 conn=2c0002 view=server partial=shutdown`,
			),
		},
		{
			name:  "pipelining: two requests then two responses",
			files: []string{"HTTP-2c0003-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:11" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/a.css result=200 sent=71 rcvd=37 conn=2c0003 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:14" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/b.js result=404 sent=70 rcvd=51 conn=2c0003 view=client partial=shutdown`,
			),
		},
		{
			name:  "CONNECT + decrypted, joined with the decrypted server side",
			files: []string{"HTTP-2c0004-C.txt", "HTTP-2c0004-S.txt"},
			live: joinLines(
				`id=firewall time="2024-03-05 09:00:42" fw=mwg01 pri=6 proto=http dstport=8443 dstname=api.example.org user=carol op=CONNECT arg=api.example.org:8443 result=200 sent=182 rcvd=103 agent=okhttp/4.12.0 conn=2c0004 view=client`,
				`id=firewall time="2024-03-05 09:00:54" fw=mwg01 pri=6 proto=https src=192.0.2.44 dstport=8443 dstname=api.example.org op=GET arg=https://api.example.org:8443/v1/items result=200 sent=102 rcvd=85 agent=okhttp/4.12.0 conn=2c0004 tls=inspected upstream_sent=130 upstream_rcvd=85`,
				`id=firewall time="2024-03-05 09:01:03" fw=mwg01 pri=6 proto=https src=192.0.2.44 dstport=8443 dstname=api.example.org op=GET arg=https://api.example.org:8443/v1/items result=304 sent=98 rcvd=27 agent=okhttp/4.12.0 conn=2c0004 tls=inspected upstream_sent=126 upstream_rcvd=27`,
			),
		},
		{
			name:  "NTLM 407 exchange: the two challenges alone, the authenticated request joined",
			files: []string{"HTTP-2c0005-C.txt", "HTTP-2c0005-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:22" fw=mwg01 pri=6 proto=http dstport=80 dstname=portal.example.com op=GET arg=http://portal.example.com/ result=407 sent=90 rcvd=154 agent=Mozilla/5.0 conn=2c0005 view=client`,
				`id=firewall time="2024-03-05 09:00:34" fw=mwg01 pri=6 proto=http dstport=80 dstname=portal.example.com op=GET arg=http://portal.example.com/ result=407 sent=173 rcvd=192 agent=Mozilla/5.0 conn=2c0005 view=client`,
				`id=firewall time="2024-03-05 09:00:45" fw=mwg01 pri=6 proto=http src=192.0.2.51 dstport=80 dstname=portal.example.com op=GET arg=http://portal.example.com/ result=200 sent=213 rcvd=39 agent=Mozilla/5.0 conn=2c0005 upstream_sent=119 upstream_rcvd=39`,
			),
		},
		{
			name:  "Basic 407: user, passwords removed from URL and Referer",
			files: []string{"HTTP-2c0006-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=6 proto=http dstport=8080 dstname=files.example.com op=GET arg=http://bob@files.example.com:8080/private/report.pdf result=407 sent=130 rcvd=100 agent=Wget/1.21 conn=2c0006 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:22" fw=mwg01 pri=6 proto=http dstport=8080 dstname=files.example.com user=alice op=GET arg=http://bob@files.example.com:8080/private/report.pdf result=200 sent=242 rcvd=73 ref=http://eve@files.example.com:8080/private/ agent=Wget/1.21 conn=2c0006 view=client partial=shutdown`,
			),
		},
		{
			name:  "FTP passive download: four files, failed login alone, data counts added",
			files: []string{"FTP-2c0007-CC.txt", "FTP-2c0007-CL.txt", "FTP-2c0007-SC.txt", "FTP-2c0007-SD.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:24" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=PASS result=530 sent=16 rcvd=20 conn=2c0007 view=client`,
				`id=firewall time="2024-03-05 09:01:15" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=RETR arg=/pub/readme.txt result=226 sent=16 rcvd=146 conn=2c0007 upstream_sent=16 upstream_rcvd=148`,
			),
		},
		{
			name:  "FTP data counts go to the transfer of their data port, not the latest",
			files: []string{"FTP-3e0003-CC.txt", "FTP-3e0003-CL.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:22" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=RETR arg=/pub/a.txt result=226 sent=16 rcvd=92 conn=3e0003 view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:32" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=LIST arg=/pub result=226 sent=10 rcvd=59 conn=3e0003 view=client partial=shutdown`,
			),
		},
		{
			name:  "ICAP client side: OPTIONS, REQMOD answered with a block page",
			files: []string{"ICAP-2c0008-S.txt"},
			live: joinLines(
				`id=firewall time="2024-03-05 09:00:11" fw=mwg01 pri=6 proto=icap dstport=1344 dstname=icap.example.net op=OPTIONS arg=icap://icap.example.net/reqmod result=200 sent=98 rcvd=98 conn=2c0008 view=server`,
				`id=firewall time="2024-03-05 09:00:35" fw=mwg01 pri=6 proto=icap src=192.0.2.44 dstport=1344 dstname=icap.example.net op=REQMOD arg=icap://icap.example.net/reqmod result=200 sent=239 rcvd=183 conn=2c0008 view=server http_op=GET http_arg=http://www.example.com/download.exe http_host=www.example.com http_result=403`,
			),
		},
		{
			name:  "ICAP server side: RESPMOD with preview",
			files: []string{"ICAP-2c0009-C.txt"},
			live: joinLines(
				`id=firewall time="2024-03-05 09:00:32" fw=mwg01 pri=6 proto=icap src=198.51.100.23 dstport=1344 dstname=mwg.example.net user=CORP/alice op=RESPMOD arg=icap://mwg.example.net:1344/respmod result=204 sent=410 rcvd=89 conn=2c0009 view=client http_op=GET http_arg=http://cdn.example.com/file.bin http_host=cdn.example.com http_result=200`,
			),
		},
		{
			name:  "truncated file: ends inside the response headers",
			files: []string{"HTTP-2c000a-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:08" fw=mwg01 pri=4 proto=http dstport=80 dstname=news.example.com op=GET arg=http://news.example.com/today result=200 sent=91 rcvd=51 msg="incomplete (shutdown): response headers truncated" agent=Mozilla/5.0 conn=2c000a view=client partial=shutdown`,
			),
		},
		{
			name:  "binary body with marker and status lines inside its Content-Length",
			files: []string{"HTTP-2c000b-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:17" fw=mwg01 pri=6 proto=http dstport=80 dstname=img.example.com op=GET arg=http://img.example.com/img/marker.png result=200 sent=52 rcvd=110 conn=2c000b view=server partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:23" fw=mwg01 pri=6 proto=http dstport=80 dstname=img.example.com op=GET arg=http://img.example.com/img/next.png result=204 sent=50 rcvd=25 conn=2c000b view=server partial=shutdown`,
			),
		},
		{
			name:  "CRLF file, CRs stripped by tail",
			files: []string{"HTTP-2c000c-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:10" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/lines.txt result=200 sent=69 rcvd=56 conn=2c000c view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:16" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/empty result=204 sent=65 rcvd=25 conn=2c000c view=client partial=shutdown`,
			),
		},
		{
			name:   "CRLF file, CRs kept",
			files:  []string{"HTTP-2c000c-C.txt"},
			keepCR: true,
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/lines.txt result=200 sent=72 rcvd=59 conn=2c000c view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:16" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/empty result=204 sent=68 rcvd=27 conn=2c000c view=client partial=shutdown`,
			),
		},
		{
			name:  "LF file",
			files: []string{"HTTP-2c000d-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/lines.txt result=200 sent=69 rcvd=54 conn=2c000d view=client partial=shutdown`,
				`id=firewall time="2024-03-05 09:00:16" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/empty result=204 sent=65 rcvd=25 conn=2c000d view=client partial=shutdown`,
			),
		},
		{
			name:  "timestamps and addresses on both sides: src, dst, duration, differing statuses",
			files: []string{"HTTP-3e0002-C.txt", "HTTP-3e0002-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dst=198.51.100.7 dstport=80 dstname=time.example.com op=GET arg=http://time.example.com/clock result=502 sent=67 rcvd=44 duration=0.230 conn=3e0002 upstream_result=500 upstream_sent=98 upstream_rcvd=60 proxy_addr=192.0.2.10:8080 upstream_src=192.0.2.10:40211`,
			),
		},
		{
			name:  "timestamp prefixes, data on the marker line",
			files: []string{"HTTP-2c000e-C.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dstport=80 dstname=time.example.com op=GET arg=http://time.example.com/ result=200 sent=62 rcvd=40 duration=0.230 conn=2c000e view=client proxy_addr=192.0.2.10:8080 partial=shutdown`,
				`id=firewall time="2024-03-05 09:12:45" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dstport=80 dstname=time.example.com op=GET arg=http://time.example.com/b result=204 sent=63 rcvd=25 duration=0.249 conn=2c000e view=client proxy_addr=192.0.2.10:8080 partial=shutdown`,
			),
		},
		{
			name:  "HTTP/2 inside TLS: a protocol notice",
			files: []string{"HTTP-2c0011-S.txt"},
			drained: joinLines(
				`id=firewall time="2024-03-05 09:00:07" fw=mwg01 pri=4 proto=https op=PRI arg=* sent=48 rcvd=28 msg="http2 not decoded" conn=2c0011 view=server tls=inspected partial=shutdown`,
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFeeder(t, recordTime())
			f.feed(traceRecords(t, tt.keepCR, tt.files...))
			if got := f.c.take(); got != tt.live {
				t.Errorf("while feeding, got:\n%s\nwant:\n%s", got, tt.live)
			}
			if got := f.drain(); got != tt.drained {
				t.Errorf("at Drain, got:\n%s\nwant:\n%s", got, tt.drained)
			}
		})
	}
}

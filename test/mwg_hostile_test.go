package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Hostile MWG traces (issue 10, items 1 to 3): content that a web server or
// client controls must not forge a transaction or leak a password, and made-up
// file names must not shut out the real files of a connection.

// copyFixtureTraces copies the named trace fixtures of internal/mwgjoin into dir.
func copyFixtureTraces(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(root, "internal/mwgjoin/testdata/traces", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMWGUnknownSides: files with made-up sides next to the real ones, more
// of them than any connection has real files (8 and then 12, with letters
// before and after C and S, and sides of other protocols), each reported
// once; the real client and server sides are joined as usual.
func TestMWGUnknownSides(t *testing.T) {
	for _, sides := range [][]string{
		{"A", "B", "D", "E", "F", "G", "H", "I"},
		{"A", "B", "D", "E", "F", "G", "H", "I", "T", "Z", "CC", "SD"},
	} {
		t.Run(fmt.Sprint(len(sides)), func(t *testing.T) {
			traces := t.TempDir()
			var wantLog []string
			for _, side := range sides {
				path := writeLines(t, traces, "HTTP-3e0002-"+side+".txt", ">>>", "GET http://time.example.com/clock HTTP/1.1", "Host: time.example.com", "")
				wantLog = append(wantLog, fmt.Sprintf(`[ warn] [output:welf:welf.0] trace file not decoded: mwgjoin: %s: side %q is not a trace side of HTTP (C, S)`, path, side))
			}
			copyFixtureTraces(t, traces, "HTTP-3e0002-C.txt", "HTTP-3e0002-S.txt")
			out := filepath.Join(t.TempDir(), "mwg.welf")
			r := mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out, "Source mwg"), "--chunk-records", "1")

			want := `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dst=198.51.100.7 dstport=80 dstname=time.example.com op=GET arg=http://time.example.com/clock result=502 sent=67 rcvd=44 duration=0.230 conn=3e0002 upstream_result=500 upstream_sent=98 upstream_rcvd=60 proxy_addr=192.0.2.10:8080 upstream_src=192.0.2.10:40211` + "\n"
			if got := readOutput(t, out); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			wantLog = append(wantLog, fmt.Sprintf(`[ info] [output:welf:welf.0] exit: events=%d written=1 unparsed=%d malformed=0 truncated=0`, 19+4*len(sides), 4*len(sides)))
			got := pluginLines(r.stderr)
			sort.Strings(got)
			sort.Strings(wantLog)
			if strings.Join(got, "\n") != strings.Join(wantLog, "\n") {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
			}
			counters := fmt.Sprintf("records=19 lines=19 bytes=506 bad_names=%d truncations=0 transactions=2 joined=1 client_only=0 server_only=0 attached=0 incomplete=0"+
				" partial_timeout=0 partial_pressure=0 partial_shutdown=0 conns_open=0 conns_timeout=0 conns_pressure=0 conns_shutdown=1 pending_bytes=0", 4*len(sides))
			if got := mwgCounters(t, r.stderr); got != counters {
				t.Errorf("counters:\n got %s\nwant %s", got, counters)
			}
		})
	}
}

// urlSpellings are URLs with the password Pw9Secret in the spellings
// browsers and servers accept.
var urlSpellings = []string{
	"http://u:Pw9Secret@host.example/x",
	"HTTP://u:Pw9Secret@host.example/x",
	`http:\\u:Pw9Secret@host.example/x`,
	`http:/\u:Pw9Secret@host.example/x`,
	"http:u:Pw9Secret@host.example/x",
	"//u:Pw9Secret@host.example/x",
	"http://[u:Pw9Secret@host.example]/x",
	"http://u:Pw9Secret@[2001:db8::1]:8080/x",
	"http://host.example//u:Pw9Secret@h.example/x",
	"r:Pw9Secret@host.example",
	"http://u%3APw9Secret@host.example/x",
	"http://u:Pw9%40Secret@host.example/x",
	"http://u:Pw9Secret%40host.example/x",
	"http://u:Pw9 Secret@host.example/x",
}

// TestMWGURLPasswords: each spelling as request target, Referer,
// User-Agent and Location of a client-side trace, and in an ICAP and an FTP
// trace. No part of the password reaches the output; users stay.
func TestMWGURLPasswords(t *testing.T) {
	traces := t.TempDir()
	for i, url := range urlSpellings {
		writeLines(t, traces, fmt.Sprintf("HTTP-5a%04d-C.txt", i), ">>>", "GET "+url+" HTTP/1.1", "Host: host.example", "Referer: "+url, "User-Agent: "+url, "",
			"<<<", "HTTP/1.1 302 Found", "Location: "+url, "Content-Length: 0", "")
	}
	writeLines(t, traces, "ICAP-5b0001-S.txt", ">>>", "REQMOD icap://u:Pw9Secret@icap.example/reqmod ICAP/1.0", "Host: icap.example", "X-Client-IP: 192.0.2.44",
		"Encapsulated: req-hdr=0, null-body=70", "", `GET http:\\u:Pw9Secret@www.example.com/ HTTP/1.1`, "Host: u:Pw9Secret@www.example.com", "",
		"<<<", "ICAP/1.0 204 No Content", "Encapsulated: null-body=0", "")
	writeLines(t, traces, "FTP-5c0001-CC.txt", "<<<", "220 ready", ">>>", "USER anonymous:Pw9Secret@ftp.example.net", "<<<", "331 pw", ">>>", "PASS x", "<<<", "230 ok",
		">>>", "RETR ftp://u:Pw9Secret@ftp.example.net/pub/f", "<<<", "550 no", ">>>", "CWD r:Pw9Secret@dir", "<<<", "250 ok", ">>>", "DELE f", "<<<", "250 ok")
	out := filepath.Join(t.TempDir(), "mwg.welf")
	mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out))
	got := readOutput(t, out)
	golden(t, "mwg_url_passwords.welf", got)
	for _, part := range []string{"Pw9", "Secret", "9Sec"} {
		if strings.Contains(got, part) {
			t.Errorf("%q leaked:\n%s", part, got)
		}
	}
}

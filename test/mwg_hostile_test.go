package test

import (
	"encoding/base64"
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
	"h\tttp://u:Pw9Secret@host.example/x",
	"http://u%3\tAPw9Secret@host.example/x",
	"http://u:Pw9Secret%25%34%30host.example/x",
	"http://u\uff1aPw9Secret\uff20host.example/x",
	"http://u\ufe55Pw9Secret\ufe6bhost.example/x",
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

// hostileBody is what a hostile server or client puts into a body: a
// request to another site with a victim's proxy credentials and its answer,
// behind marker lines of both directions.
var hostileBody = []string{
	">>> GET http://bank.example.com/transfer?to=mallory HTTP/1.1",
	"Host: bank.example.com",
	"Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("victim:hunter2")),
	"",
	"<<< HTTP/1.1 200 OK",
	"Content-Length: 0",
	"",
}

// bodyLen is the length of lines as a body with LF line ends.
func bodyLen(lines []string) int { return len(strings.Join(lines, "\n")) + 1 }

// TestMWGHostileBodies: bodies holding marker lines, start lines and
// credentials, framed every way HTTP frames them, on both sides of a
// connection, in ICAP and in an FTP multi-line reply. None yields a
// transaction or a user of its own; where a trace could be read either way
// (a body that tail may have shortened by its CRs, a request body that may
// follow its answer) the record says so and is pri=4.
func TestMWGHostileBodies(t *testing.T) {
	traces := t.TempDir()
	get := func(target string) []string {
		return []string{">>>", "GET " + target + " HTTP/1.1", "Host: www.example.com", ""}
	}
	both := func(id string, resp ...string) {
		writeLines(t, traces, "HTTP-"+id+"-C.txt", append(get("http://www.example.com/x"), resp...)...)
		writeLines(t, traces, "HTTP-"+id+"-S.txt", append(get("/x"), resp...)...)
	}
	next := []string{">>>", "GET http://www.example.com/next HTTP/1.1", "Host: www.example.com", "", "<<<", "HTTP/1.1 204 No Content", ""}
	// The response of the issue: no length, Connection: close.
	both("7a0001", append([]string{"<<<", "HTTP/1.1 200 OK", "Connection: close", ""}, hostileBody...)...)
	// A Content-Length body whose first line is a request marker.
	both("7a0002", append([]string{"<<<", "HTTP/1.1 200 OK", fmt.Sprintf("Content-Length: %d", bodyLen(hostileBody)), ""}, hostileBody...)...)
	// A chunked body with the lines between two chunks.
	both("7a0003", append(append([]string{"<<<", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "", "5", "hello"}, hostileBody...), "0", "")...)
	// Bare LF lines, the length counting one CR more per line: tail may
	// have removed them, so the marker may end the body, or be in it.
	pad := strings.Repeat("x\n", 20)
	writeLines(t, traces, "HTTP-7a0004-C.txt", append(append(append(get("http://www.example.com/x"), "<<<", "HTTP/1.1 200 OK", fmt.Sprintf("Content-Length: %d", len(pad)+20), "", strings.TrimSuffix(pad, "\n")), hostileBody...), next...)...)
	// A client whose request body starts with an answer.
	writeLines(t, traces, "HTTP-7a0005-C.txt", ">>>", "POST http://www.example.com/form HTTP/1.1", "Host: www.example.com", "Content-Length: 40", "",
		"<<< HTTP/1.1 200 OK", "Content-Length: 0", "", "<<<", "HTTP/1.1 403 Forbidden", "Content-Length: 0", "")
	// A response header block holding the lines.
	writeLines(t, traces, "HTTP-7a0006-C.txt", append(append(append(get("http://www.example.com/x"), "<<<", "HTTP/1.1 200 OK", "X-A: 1"), hostileBody[:3]...), "Content-Length: 0", "")...)
	// ICAP: the lines between the chunks of an encapsulated body.
	writeLines(t, traces, "ICAP-7a0007-S.txt", append(append([]string{">>>", "RESPMOD icap://icap.example.net/respmod ICAP/1.0", "Host: icap.example.net", "Encapsulated: res-hdr=0, res-body=19", "", "HTTP/1.1 200 OK", "", "2", "ab"}, hostileBody...), "0", "", "<<<", "ICAP/1.0 204 No Content", "")...)
	// WebSocket data holding decrypted-layer markers.
	writeLines(t, traces, "HTTP-7a0009-C.txt", append(append([]string{">>>", "GET http://www.example.com/ws HTTP/1.1", "Host: www.example.com", "Upgrade: websocket", "",
		"<<<", "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "", "\x81\x7e"}, strings.Split(strings.ReplaceAll(strings.ReplaceAll(strings.Join(hostileBody, "\n"), ">>>", "[[["), "<<<", "]]]"), "\n")...), ">>>", "\x81\x85mask")...)
	// FTP: a multi-line reply holding a command and its reply.
	writeLines(t, traces, "FTP-7a0008-CC.txt", "<<<", "220 ready", ">>>", "USER anonymous@ftp.example.net", "<<<", "331 pw", ">>>", "PASS x", "<<<", "230-Welcome",
		">>>", "RETR /secret", "<<<", "226 ok", "230 in", ">>>", "RETR /pub/f", "<<<", "226 ok")

	// A body that is one marker line of its own direction, which MWG also
	// writes itself before a body: padded so that, read as MWG's, the body
	// would end where the next response's body holds the lines; the next
	// exchange on a line of its own or right behind the body; in clear and
	// decrypted.
	writeLines(t, traces, "HTTP-7a000a-C.txt", aimedBody("http://www.example.com", ">>>", "<<<", false)...)
	writeLines(t, traces, "HTTP-7a000a-S.txt", aimedBody("", ">>>", "<<<", false)...)
	writeLines(t, traces, "HTTP-7a000b-C.txt", aimedBody("http://www.example.com", ">>>", "<<<", true)...)
	writeLines(t, traces, "HTTP-7a000c-S.txt", aimedBody("", "[[[", "]]]", false)...)
	// Chunk data and a request body starting with a marker line of their
	// own direction.
	writeLines(t, traces, "HTTP-7a000d-C.txt", append(append(append(get("http://www.example.com/x"), "<<<", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "",
		fmt.Sprintf("%x", 4+bodyLen(hostileBody)), "<<<"), hostileBody...), append([]string{"", "0", ""}, next...)...)...)
	writeLines(t, traces, "HTTP-7a000e-C.txt", append([]string{">>>", "POST http://www.example.com/form HTTP/1.1", "Host: www.example.com", "Content-Length: 4", "",
		">>>", "<<<", "HTTP/1.1 200 OK", "Content-Length: 0", ""}, next...)...)

	// Bytes a server writes beyond its message in the same read: a "body"
	// after 204 and after HEAD, more than its Content-Length; FTP commands
	// behind a reply.
	unmarked := strings.Split(strings.TrimPrefix(strings.ReplaceAll(strings.Join(hostileBody, "\n"), "<<< ", ""), ">>> "), "\n")
	both("7a000f", append(append([]string{"<<<", "HTTP/1.1 204 No Content", ""}, unmarked...), next...)...)
	writeLines(t, traces, "HTTP-7a0010-S.txt", append([]string{"[[[", "HEAD /x HTTP/1.1", "Host: www.example.com", "", "]]]", "HTTP/1.1 200 OK", "Content-Length: 300", ""}, unmarked...)...)
	writeLines(t, traces, "HTTP-7a0011-C.txt", append(append(append(get("http://www.example.com/x"), "<<<", "HTTP/1.1 200 OK", "Content-Length: 2", "", "ok"+unmarked[0]), unmarked[1:]...), next...)...)
	writeLines(t, traces, "HTTP-7a0013-C.txt", append(append(append(get("http://www.example.com/first"), "<<<", "HTTP/1.1 204 No Content", ""),
		get("http://www.example.com/x")...), "HTTP/1.1 200 OK", "Content-Length: 0", "", "<<<", "HTTP/1.1 403 Forbidden", "Content-Length: 0", "")...)
	writeLines(t, traces, "FTP-7a0012-CC.txt", "<<<", "220 ready", ">>>", "USER anonymous@ftp.example.net", "<<<", "331 pw", ">>>", "PASS x", "<<<", "230 ok",
		"USER victim", "331 pw", "CWD /secret", "250 ok", "RETR /secret/f", "226 ok", ">>>", "RETR f", "<<<", "226 ok")

	out := filepath.Join(t.TempDir(), "mwg.welf")
	mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out))
	got := readOutput(t, out)
	golden(t, "mwg_hostile_bodies.welf", got)
	assertStrictWELF(t, got, "\n")
	for _, rec := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		forged := strings.Contains(rec, "bank.example") || strings.Contains(rec, "victim") || strings.Contains(rec, "/secret")
		if forged && !(strings.Contains(rec, " pri=4 ") && strings.Contains(rec, `msg="ambiguous: may be body data of an earlier message`)) {
			t.Errorf("a transaction from a body that does not say so:\n%s", rec)
		}
		if strings.Contains(rec, "pri=6") && strings.Contains(rec, " msg=") {
			t.Errorf("a record with a notice at pri=6:\n%s", rec)
		}
	}
}

// aimedBody is a trace (with targets on origin, markers req and resp) whose
// first response body is one resp marker line, padded so that read as the
// marker MWG writes before a body, the body would end where the next
// response's body holds hostileBody. glued puts the next exchange right
// behind the body, on its last line.
func aimedBody(origin, req, resp string, glued bool) []string {
	next := []string{req, "GET " + origin + "/next HTTP/1.1", "Host: www.example.com", "", resp, "HTTP/1.1 200 OK", fmt.Sprintf("Content-Length: %d", bodyLen(hostileBody)), ""}
	n := bodyLen(next)
	body := []string{resp + strings.Repeat(" ", n-3)}
	if glued {
		body = []string{resp + strings.Repeat(" ", n-4), "x" + next[0]}
		next = next[1:]
		n++
	}
	lines := []string{req, "GET " + origin + "/x HTTP/1.1", "Host: www.example.com", "", resp, "HTTP/1.1 200 OK", fmt.Sprintf("Content-Length: %d", n), ""}
	lines = append(append(lines, body...), next...)
	for _, l := range hostileBody {
		l = strings.NewReplacer(">>>", req, "<<<", resp).Replace(l)
		lines = append(lines, l)
	}
	return lines
}

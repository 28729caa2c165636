package test

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// traceDirs hold the MWG trace fixtures of the unit tests; the end-to-end
// tests run the same files through the plugin.
var traceDirs = []string{"internal/mwg/testdata/traces", "internal/mwgjoin/testdata/traces"}

// copyTraces copies every trace fixture into dir, the way they would lie
// side by side in /opt/mwg/log/debug/connection_tracing/: the plugin groups
// the files of a connection by directory, and the two packages split some
// connections (HTTP-2c0005's client side is in one, its server side in the
// other). It returns the concatenated contents.
func copyTraces(t *testing.T, dir string) string {
	t.Helper()
	var all strings.Builder
	for _, d := range traceDirs {
		paths, err := filepath.Glob(filepath.Join(root, d, "*.txt"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no trace fixtures in %s (%v)", d, err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, filepath.Base(p))
			if _, err := os.Stat(dst); err == nil {
				t.Fatalf("trace fixture %s exists in both %v", filepath.Base(p), traceDirs)
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
			all.Write(data)
		}
	}
	return all.String()
}

// mwgCounters returns the plugin's MWG counter line, logged at exit.
func mwgCounters(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`\] mwg: (records=.*)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no mwg counters in:\n%s", stderr)
	}
	return m[1]
}

// mwgOutput is the output section of these tests, deterministic: UTC, LF,
// a fixed fw, and idle timeouts on the harness's fixed event time rather
// than on the wall clock, so that how fast the harness runs cannot matter.
func mwgOutput(out string, props ...string) string {
	return welfOutput("mwg", append([]string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf", "FW mwg01", "Correlation_Clock record"}, props...)...)
}

// TestMWGFixtures runs every trace fixture through the plugin at once, the
// lines of all files interleaved as tail reads growing files: the synthetic
// traces of mwg.md §1.5, keep-alive, chunked bodies, pipelining, CONNECT
// with decrypted traffic, NTLM and Basic proxy authentication, an FTP
// passive download with its data files, ICAP REQMOD and RESPMOD, a
// truncated file, a binary body holding marker and status lines, CRLF and
// LF payloads, timestamped markers, region-style and mirrored markers,
// HTTP/2.
func TestMWGFixtures(t *testing.T) {
	traces := t.TempDir()
	input := copyTraces(t, traces)
	out := filepath.Join(t.TempDir(), "mwg.welf")
	r := mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out))
	got := readOutput(t, out)
	golden(t, "mwg_fixtures.welf", got)
	assertStrictWELF(t, got, "\n")

	// 776 of the fixtures' 777 lines: the truncated file's last line has
	// no LF, and tail does not read a line before its end.
	const counters = "records=776 lines=776 bytes=12268 bad_names=0 truncations=0 transactions=61 joined=10 client_only=31 server_only=7 attached=3 incomplete=3" +
		" partial_timeout=0 partial_pressure=0 partial_shutdown=29 conns_open=0 conns_timeout=0 conns_pressure=0 conns_shutdown=23 pending_bytes=0"
	if got := mwgCounters(t, r.stderr); got != counters {
		t.Errorf("counters:\n got %s\nwant %s", got, counters)
	}
	if want := "[ info] [output:welf:welf.0] exit: events=776 written=48 unparsed=0 malformed=0 truncated=0"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}

	// Credentials in the fixtures: Basic proxy credentials (the token and
	// the password in it), user:password in a URL and in a Referer, FTP
	// PASS arguments. None may reach the output or the log.
	basic := func(cred string) string { return base64.StdEncoding.EncodeToString([]byte(cred)) }
	for _, tt := range []struct{ traced, secret string }{
		{"Basic " + basic("alice:S3cr3t-Pa55"), "S3cr3t-Pa55"}, // HTTP-2c0006-C
		{"Basic " + basic("alice:S3cr3t-Pa55"), basic("alice:S3cr3t-Pa55")},
		{"Basic " + basic("carol:Tunn3l-S3cret"), "Tunn3l-S3cret"}, // HTTP-2c0004-C
		{"Basic " + basic("carol:Tunn3l-S3cret"), basic("carol:Tunn3l-S3cret")},
		{"http://bob:UrlPa55w0rd@", "UrlPa55w0rd"}, // HTTP-2c0006-C
		{"http://eve:RefPa55@", "RefPa55"},
		{"PASS wrong-Pa55", "wrong-Pa55"}, // FTP-2c0007-CC
		{"PASS guest-Pa55@example.com", "guest-Pa55"},
		{"PASS guest@example.com", "guest@example.com"}, // FTP-1a2b41-CC, FTP-3e0003-CC
	} {
		if !strings.Contains(input, tt.traced) {
			t.Errorf("%q is not in the fixtures any more: update the list", tt.traced)
		}
		if strings.Contains(got, tt.secret) || strings.Contains(r.stderr, tt.secret) {
			t.Errorf("secret %q leaked into the output or the log", tt.secret)
		}
	}
}

// traced is what a message counts as in WELF sent/rcvd when tail strips the
// CR of each CRLF line: its length without the CRs.
func traced(msg string) int {
	return len(msg) - strings.Count(msg, "\r")
}

// loadConn generates connection i of TestMWGManyConnections: the client-
// and server-side traces of a keep-alive connection with 2 or 3 requests
// (a GET, a POST with a form body, a GET), every response with a body, and
// the joined WELF record each request must yield.
func loadConn(i int) (client, server string, want []string) {
	id := fmt.Sprintf("4%05x", i)
	host := fmt.Sprintf("site%d.example.com", i%37)
	src := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
	var c, s strings.Builder
	for j := range 2 + i%2 {
		path := fmt.Sprintf("/c%d/r%d", i, j)
		method, body, framing := "GET", "", ""
		if j == 1 {
			method = "POST"
			body = fmt.Sprintf("conn=%d&req=%d&pad=%s\n", i, j, strings.Repeat("x", i%29))
			framing = fmt.Sprintf("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(body))
		}
		creq := method + " http://" + host + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: loadgen/1.0\r\n" + framing + "\r\n" + body
		sreq := method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: loadgen/1.0\r\nVia: 1.1 mwg.example.net\r\nX-Forwarded-For: " + src + "\r\n" + framing + "\r\n" + body
		respBody := fmt.Sprintf("response %d/%d %s\n", i, j, strings.Repeat("y", (i+j)%53))
		resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(respBody)) + respBody
		c.WriteString(">>>\n" + creq + "<<<\n" + resp)
		s.WriteString(">>>\n" + sreq + "<<<\n" + resp)
		want = append(want, fmt.Sprintf(`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=6 proto=http src=%s dstport=80 dstname=%s op=%s arg=http://%s%s result=200 sent=%d rcvd=%d agent=loadgen/1.0 conn=%s upstream_sent=%d upstream_rcvd=%d`,
			src, host, method, host, path, traced(creq), traced(resp), id, traced(sreq), traced(resp)))
	}
	return c.String(), s.String(), want
}

// TestMWGManyConnections: 1,000 keep-alive connections traced at once, the
// lines of their 2,000 files interleaved one by one, in chunks of 500
// records. Every request is joined with its server side and written exactly
// once, and the default caps hold them all without pressure.
func TestMWGManyConnections(t *testing.T) {
	const conns = 1000
	traces := t.TempDir()
	var want []string
	var lines, lineBytes int // what tail hands over: lines without CR and LF
	for i := range conns {
		client, server, records := loadConn(i)
		want = append(want, records...)
		for _, f := range [...]struct{ side, data string }{{"C", client}, {"S", server}} {
			if err := os.WriteFile(filepath.Join(traces, fmt.Sprintf("HTTP-4%05x-%s.txt", i, f.side)), []byte(f.data), 0o644); err != nil {
				t.Fatal(err)
			}
			lines += strings.Count(f.data, "\n")
			lineBytes += traced(f.data) - strings.Count(f.data, "\n")
		}
	}
	out := filepath.Join(t.TempDir(), "mwg.welf")
	r := mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out), "--chunk-records", "500")

	got := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	seen := map[string]int{}
	arg := regexp.MustCompile(` arg=(\S+)`)
	for _, rec := range got {
		if m := arg.FindStringSubmatch(rec); m != nil {
			seen[m[1]]++
		}
	}
	for url, n := range seen {
		if n != 1 {
			t.Errorf("%s written %d times", url, n)
		}
	}
	// Connections complete in an order the interleaving decides: compare
	// the sets of records.
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %d records for %d URLs, want %d; first difference:\n%s", len(got), len(seen), len(want), firstDiff(got, want))
	}

	counters := fmt.Sprintf("records=%d lines=%d bytes=%d bad_names=0 truncations=0 transactions=%d joined=%d client_only=0 server_only=0 attached=0 incomplete=0"+
		" partial_timeout=0 partial_pressure=0 partial_shutdown=0 conns_open=0 conns_timeout=0 conns_pressure=0 conns_shutdown=%d pending_bytes=0",
		lines, lines, lineBytes, 2*len(want), len(want), conns)
	if got := mwgCounters(t, r.stderr); got != counters {
		t.Errorf("counters:\n got %s\nwant %s", got, counters)
	}
	exit := fmt.Sprintf("[ info] [output:welf:welf.0] exit: events=%d written=%d unparsed=0 malformed=0 truncated=0", lines, len(want))
	if !contains(stderrLines(r.stderr), exit) {
		t.Errorf("stderr lacks %q:\n%s", exit, r.stderr)
	}
}

// TestMWGBadFileName: with Source mwg every record with a path is a trace
// line. Files whose names do not parse are reported once each, their
// records counted as unparsed, and the trace files next to them decoded as
// usual — every record in a chunk of its own, so that "once" is per file,
// not per chunk.
func TestMWGBadFileName(t *testing.T) {
	traces := t.TempDir()
	for _, name := range []string{"HTTP-3e0002-C.txt", "HTTP-3e0002-S.txt"} {
		data, err := os.ReadFile(filepath.Join(root, "internal/mwgjoin/testdata/traces", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(traces, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noSide := writeLines(t, traces, "HTTP-3e0002.txt", ">>>", "GET http://time.example.com/x HTTP/1.1", "Host: time.example.com")
	notTrace := writeLines(t, traces, "notes.log", "traced client 192.0.2.44", "ticket 4711")
	out := filepath.Join(t.TempDir(), "mwg.welf")
	r := mustRun(t, tailInput("mwg", filepath.Join(traces, "*"), "Path_Key file")+mwgOutput(out, "Source mwg"), "--chunk-records", "1")

	want := `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dst=198.51.100.7 dstport=80 dstname=time.example.com op=GET arg=http://time.example.com/clock result=502 sent=67 rcvd=44 duration=0.230 conn=3e0002 upstream_result=500 upstream_sent=98 upstream_rcvd=60 proxy_addr=192.0.2.10:8080 upstream_src=192.0.2.10:40211` + "\n"
	if got := readOutput(t, out); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	wantLog := []string{
		`[ warn] [output:welf:welf.0] trace file not decoded: mwgjoin: ` + noSide + `: mwg: trace file name "HTTP-3e0002.txt": want PROTO-ID-SIDE.txt`,
		`[ warn] [output:welf:welf.0] trace file not decoded: mwgjoin: ` + notTrace + `: mwg: trace file name "notes.log": no .txt suffix`,
		`[ info] [output:welf:welf.0] exit: events=24 written=1 unparsed=5 malformed=0 truncated=0`,
	}
	if got := pluginLines(r.stderr); strings.Join(got, "\n") != strings.Join(wantLog, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}
	const counters = "records=19 lines=19 bytes=506 bad_names=5 truncations=0 transactions=2 joined=1 client_only=0 server_only=0 attached=0 incomplete=0" +
		" partial_timeout=0 partial_pressure=0 partial_shutdown=0 conns_open=0 conns_timeout=0 conns_pressure=0 conns_shutdown=1 pending_bytes=0"
	if got := mwgCounters(t, r.stderr); got != counters {
		t.Errorf("counters:\n got %s\nwant %s", got, counters)
	}
}

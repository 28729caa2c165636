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

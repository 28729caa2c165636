package test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileReusedReqID: a record whose req_id (and kind) was already
// emitted in a joined request but whose content differs (another gateway,
// another status, a forged or colliding id) is not taken for a duplicate
// and dropped: it comes out on its own, partial=orphan; only the same
// record again is a duplicate.
func TestHostileReusedReqID(t *testing.T) {
	other := func(from, to string) string { return strings.Replace(requestLines[3], from, to, 1) }
	for _, tc := range []struct {
		name, line, orphanHas string
	}{
		{"other status", other(`"http_status":"400"`, `"http_status":"200"`), "result=200"},
		{"other gateway", other(`"host":"gw01"`, `"host":"gw02"`), "fw=gw02"},
		{"other client", other(`"client_ip":"198.51.100.23"`, `"client_ip":"192.0.2.66"`), "src=192.0.2.66"},
		{"extra field", other(`"http_user_agent"`, `"evil":"x","http_user_agent"`), "evil=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// The request is emitted before its records come again: the
			// conntraces of four other requests two minutes later advance
			// the release clock past it.
			lines := append([]string(nil), requestLines...)
			for _, id := range []string{"F1", "F2", "F3", "F4"} {
				lines = append(lines, strings.NewReplacer(`"req_id":"R9"`, `"req_id":"`+id+`"`, "09:13:02.900", "09:15:02.900").Replace(requestLines[0]))
			}
			lines = append(append(lines, requestLines[:3]...), tc.line)
			out := filepath.Join(dir, "out.welf")
			r := mustRun(t, tailInput("a", writeLines(t, dir, "in.log", lines...))+
				welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on"), "--chunk-records", "4")
			got := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
			if len(got) != 6 || got[0] != joinedRequest || !strings.Contains(got[1], tc.orphanHas) || !strings.Contains(got[1], "partial=orphan") {
				t.Errorf("got:\n%s\nwant the joined request and an orphan with %s", strings.Join(got, "\n"), tc.orphanHas)
			}
			if got, want := correlationCounters(t, r.stderr), "in=12 joined=4 partial=4 duplicate=3 orphan=1"; got != want {
				t.Errorf("counters %s, want %s", got, want)
			}
		})
	}
}

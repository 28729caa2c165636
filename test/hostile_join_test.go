package test

import (
	"fmt"
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

// TestHostileIDsStateFile: requests whose req_id and sess_id hold
// separators, control bytes, JSON escapes, non-UTF-8 bytes or are as long
// as an id may be survive a restart through State_File and join their
// own records only, each once.
func TestHostileIDsStateFile(t *testing.T) {
	ids := []string{" ", "R\nS", "R\x00S", `R"S`, "R\\u0000S", "R\xffS", "R S\t", "R=S", strings.Repeat("I", 256), "R\u2028S"}
	dir := t.TempDir()
	state := filepath.Join(dir, "welf.state")
	out := filepath.Join(dir, "out.welf")
	props := []string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "State_File " + state}
	var first, second []string
	for i, id := range ids {
		first = append(first, fmt.Sprintf(`{"@timestamp":"2024-03-05T09:12:44.000+01:00","log_id":"WR-SG-CONNTRACE","host":"gw","req_id":%s,"sess_id":%s,"client_ip":"10.0.0.%d"}`, jsonString(id), jsonString(id), i))
		second = append(second, fmt.Sprintf(`{"@timestamp":"2024-03-05T09:12:44.500+01:00","log_id":"WR-SG-SUMMARY","host":"gw","req_id":%s,"sess_id":%s,"http_status":"%d"}`, jsonString(id), jsonString(id), 200+i))
	}
	r := mustRun(t, tailInput("a", writeLines(t, dir, "1.log", first...))+welfOutput("*", props...))
	if !strings.Contains(r.stderr, fmt.Sprintf("saved %d pending requests", len(ids))) {
		t.Fatalf("first run did not save its state:\n%s", r.stderr)
	}
	r = mustRun(t, tailInput("a", writeLines(t, dir, "2.log", second...))+welfOutput("*", props...))
	got := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	if len(got) != len(ids) {
		t.Fatalf("%d records for %d requests:\n%s", len(got), len(ids), strings.Join(got, "\n"))
	}
	seen := map[int]bool{}
	for _, rec := range got {
		var i int
		if _, err := fmt.Sscanf(rec[strings.Index(rec, "src=10.0.0.")+len("src=10.0.0."):], "%d", &i); err != nil {
			t.Fatalf("no src in %s", rec)
		}
		if !strings.Contains(rec, fmt.Sprintf("result=%d ", 200+i)) || seen[i] || strings.Contains(rec, "partial=") {
			t.Errorf("request %d (req_id %q) not joined with its own summary once:\n%s", i, ids[i], rec)
		}
		seen[i] = true
	}
	if got, want := correlationCounters(t, r.stderr), fmt.Sprintf("in=%d joined=%d partial=0 duplicate=0 orphan=0", 2*len(ids), 2*len(ids)); got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

// TestHostileConflictingComponents: records joined under one req_id that
// disagree on a field (another gateway, client, mapping, vhost, attack
// type) keep every value: the first component's (summary, conntrace,
// block, block detail, in that order) in the field, the others beside it
// under the field's own key, none lost.
func TestHostileConflictingComponents(t *testing.T) {
	lines := []string{
		`{"@timestamp":"2024-03-05T09:12:44.000+01:00","log_id":"WR-SG-CONNTRACE","host":"gw","req_id":"P1","client_ip":"1.1.1.1","mapping":"m1","vhost":"v1"}`,
		`{"@timestamp":"2024-03-05T09:12:44.100+01:00","log_id":"WR-SG-BLOCK-1","host":"gw","req_id":"P1","message":"block","attack_type":"A1","mapping":"m3"}`,
		`{"@timestamp":"2024-03-05T09:12:44.200+01:00","log_id":"WR-SG-BLOCKDET-1","host":"gw","req_id":"P1","message":"detail","attack_type":"A2"}`,
		`{"@timestamp":"2024-03-05T09:12:44.500+01:00","log_id":"WR-SG-SUMMARY","host":"gw2","req_id":"P1","http_status":"200","client_ip":"2.2.2.2","mapping":"m2"}`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, "Conntrace on")
			assertRecords(t, got, []string{
				`id=firewall time="2024-03-05 08:12:44" fw=gw2 pri=4 src=2.2.2.2 dstname=v1 result=200 cat=A1 cat_action=block msg=detail log_id=WR-SG-BLOCK-1 req_id=P1 mapping=m2 host=gw mapping_2=m1 client_ip=1.1.1.1 mapping_3=m3 attack_type=A2`,
			})
		})
	}
}

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
)

// writeLines writes lines, LF-terminated, to a new file in dir.
func writeLines(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// correlationCounters returns the plugin's correlation counter line.
func correlationCounters(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`correlation: (in=\d+ joined=\d+ partial=\d+ duplicate=\d+ orphan=\d+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no correlation counters in:\n%s", stderr)
	}
	return m[1]
}

// TestCorrelatedSample: the bundled sample with correlation on (the
// default): one record per request, the session record enriched from the
// session start, and what never completes emitted at exit, partial.
func TestCorrelatedSample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "airlock.welf")
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf"))
	got := readOutput(t, out)
	golden(t, "airlock_correlated.welf", got)
	assertStrictWELF(t, got, "\n")
	if got, want := correlationCounters(t, r.stderr), "in=7 joined=4 partial=3 duplicate=0 orphan=0"; got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

// One request: its conntrace, block, block detail and summary, each in a
// chunk of its own.
var requestLines = []string{
	`{"@timestamp":"2024-03-05T09:13:02.900+01:00","host":"gw01","priority":"info","log_id":"WR-SG-CONNTRACE","req_id":"R9","sess_id":"S9","mapping":"shop","client_ip":"198.51.100.23","front_src_ip":"198.51.100.23","front_src_port":"51544","front_dst_ip":"203.0.113.10","front_dst_port":"443","back_src_ip":"10.20.0.5","back_src_port":"40118","back_dst_ip":"10.20.1.17","back_dst_port":"8080"}`,
	`{"@timestamp":"2024-03-05T09:13:02.907+01:00","host":"gw01","priority":"info","log_id":"WR-SG-BLOCK-110-01","req_id":"R9","sess_id":"S9","mapping":"shop","block_type":"deny rule","attack_type":"SQL injection","constraint":"(default) SQL Injection","message":"Blocked parameter"}`,
	`{"@timestamp":"2024-03-05T09:13:02.908+01:00","host":"gw01","priority":"info","log_id":"WR-SG-BLOCKDET-110-01","req_id":"R9","sess_id":"S9","mapping":"shop","message":"Blocked parameter: \"s=' or 1=1--\""}`,
	`{"@timestamp":"2024-03-05T09:13:02.911+01:00","host":"gw01","priority":"info","log_id":"WR-SG-SUMMARY","req_id":"R9","sess_id":"S9","mapping":"shop","client_ip":"198.51.100.23","vhost":"shop.example.com","vhost_proto":"https","http_method":"GET","entry_path":"/search","entry_query":"s=x","http_status":"400","req_size":"233","resp_size":"512","http_user_agent":"sqlmap/1.7.2"}`,
}

const joinedRequest = `id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule/(default) SQL Injection" proto=https src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/search?s=x result=400 sent=233 rcvd=512 cat="SQL injection" cat_action=block msg="Blocked parameter: \x22s=' or 1=1--\x22" agent=sqlmap/1.7.2 log_id=WR-SG-BLOCK-110-01 req_id=R9 sess_id=S9 mapping=shop front_dst=203.0.113.10:443 back_src=10.20.0.5:40118`

// permutations returns every order of a.
func permutations(a []string) [][]string {
	if len(a) <= 1 {
		return [][]string{append([]string(nil), a...)}
	}
	var out [][]string
	for i := range a {
		rest := append(append([]string(nil), a[:i]...), a[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{a[i]}, p...))
		}
	}
	return out
}

// TestEveryArrivalOrder: whatever order a request's records arrive in,
// each in a chunk of its own, the plugin writes the same single joined
// record (Correlation_Linger holds a completed request for block records
// that come a chunk later).
func TestEveryArrivalOrder(t *testing.T) {
	for i, order := range permutations(requestLines) {
		dir := t.TempDir()
		in := writeLines(t, dir, "in.log", order...)
		out := filepath.Join(dir, "out.welf")
		r := mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "Correlation_Linger 2s"),
			"--chunk-records", "1")
		if got := readOutput(t, out); got != joinedRequest+"\n" {
			t.Errorf("order %d:\n got %s\nwant %s", i, got, joinedRequest)
		}
		if got, want := correlationCounters(t, r.stderr), "in=4 joined=4 partial=0 duplicate=0 orphan=0"; got != want {
			t.Errorf("order %d: counters %s, want %s", i, got, want)
		}
	}
}

// TestTimeoutOnRecordTime: a summary whose conntrace never comes is
// emitted, partial, once the records' own time has moved past
// Correlation_Timeout — no sleeping, and before the plugin exits.
func TestTimeoutOnRecordTime(t *testing.T) {
	dir := t.TempDir()
	later := `{"@timestamp":"2024-03-05T09:13:45.000+01:00","host":"gw01","log_id":"WR-SG-FILT-016","message":"filter notice"}`
	in := writeLines(t, dir, "in.log", requestLines[3], later)
	out := filepath.Join(dir, "out.welf")
	r := mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "Correlation_Timeout 30s"))
	// The later record moves the clock first: the timed-out request goes out
	// before it.
	want := `id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=6 proto=https src=198.51.100.23 dstname=shop.example.com op=GET arg=/search?s=x result=400 sent=233 rcvd=512 agent=sqlmap/1.7.2 log_id=WR-SG-SUMMARY req_id=R9 sess_id=S9 mapping=shop partial=timeout` + "\n" +
		`id=firewall time="2024-03-05 08:13:45" fw=gw01 pri=6 msg="filter notice" log_id=WR-SG-FILT-016` + "\n"
	if got := readOutput(t, out); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got, want := correlationCounters(t, r.stderr), "in=2 joined=1 partial=1 duplicate=0 orphan=0"; got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

// TestStateFileRestart: the plugin stops in the middle of a request; with
// State_File the pending half survives the restart and joins the other half
// into exactly the record an uninterrupted run writes.
func TestStateFileRestart(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "welf.state")
	out := filepath.Join(dir, "out.welf")
	props := []string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "State_File " + state}

	r := mustRun(t, tailInput("a", writeLines(t, dir, "1.log", requestLines[:3]...))+welfOutput("*", props...))
	if !strings.Contains(r.stderr, "State_File "+state+": saved 1 pending requests and 0 sessions for the next start") {
		t.Fatalf("first run did not save its state:\n%s", r.stderr)
	}
	if got := readOutput(t, out); got != "" {
		t.Fatalf("first run wrote %q; the request is not complete yet", got)
	}

	r = mustRun(t, tailInput("a", writeLines(t, dir, "2.log", requestLines[3]))+welfOutput("*", props...))
	if !strings.Contains(r.stderr, "State_File "+state+": restored 1 pending requests and sessions") {
		t.Errorf("second run did not restore the state:\n%s", r.stderr)
	}
	if got := readOutput(t, out); got != joinedRequest+"\n" {
		t.Errorf("after the restart:\n got %s\nwant %s", got, joinedRequest)
	}
}

// TestCorruptStateFile: a damaged state file is a warning, not a failure.
func TestCorruptStateFile(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "welf.state")
	if err := os.WriteFile(state, []byte("WBJOIN garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.welf")
	r := mustRun(t, tailInput("a", writeLines(t, dir, "in.log", requestLines...))+
		welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "State_File "+state))
	if !strings.Contains(r.stderr, "[ warn] [output:welf:welf.0] State_File "+state+": ") || !strings.Contains(r.stderr, "correlation starts without the saved state") {
		t.Errorf("want a warning about the state file:\n%s", r.stderr)
	}
	if got := readOutput(t, out); got != joinedRequest+"\n" {
		t.Errorf("got %s", got)
	}
}

// TestReplayedChunk: Fluent Bit flushes a chunk again after a retry; the
// records it already processed are duplicates, not a second record.
func TestReplayedChunk(t *testing.T) {
	dir := t.TempDir()
	lines := append(append([]string(nil), requestLines...), requestLines...) // the same chunk twice
	out := filepath.Join(dir, "out.welf")
	r := mustRun(t, tailInput("a", writeLines(t, dir, "in.log", lines...))+
		welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on"), "--chunk-records", "4")
	if got := readOutput(t, out); got != joinedRequest+"\n" {
		t.Errorf("got:\n%s\nwant one record:\n%s", got, joinedRequest)
	}
	if got, want := correlationCounters(t, r.stderr), "in=8 joined=4 partial=0 duplicate=4 orphan=0"; got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

// TestRetriesWithCorrelation: the receiver is down, the outbound buffer
// fills, chunks come back with FLB_RETRY and are flushed again; FLB_RETRY
// happens before any state is touched, so every request is written once.
func TestRetriesWithCorrelation(t *testing.T) {
	rcv := forwardtest.Start(t, forwardtest.Options{})
	rcv.Stop()
	dir := t.TempDir()
	const n = 25
	var lines []string
	for i := 0; i < n; i++ {
		// Two seconds apart, so that the records' time moves on and
		// completed requests are written while chunks still come (they are
		// held for records up to Correlation_Timeout late until it has).
		for _, l := range requestLines {
			l = strings.ReplaceAll(l, `"R9"`, fmt.Sprintf(`"R%02d"`, i))
			lines = append(lines, strings.ReplaceAll(l, "T09:13:02.", fmt.Sprintf("T09:13:%02d.", 2+2*i)))
		}
	}
	wait := startHarness(t, tailInput("a", writeLines(t, dir, "in.log", lines...))+
		welfOutput("*", "Destination forward://"+rcv.Addr(), "Forward_Require_Ack on", "Time_Zone UTC", "Conntrace on",
			"Queue_Max_Bytes 1", "Flush_Wait 0", "Retry_Limit no_limits", "Shutdown_Timeout 30s"),
		"--chunk-records", "3", "--retry-wait-ms", "100")
	time.Sleep(1500 * time.Millisecond)
	rcv.Restart()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}
	events := rcv.WaitEvents(n, 10*time.Second)
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Record["req_id"]]++
		var i int
		fmt.Sscanf(e.Record["req_id"], "R%d", &i)
		want := strings.ReplaceAll(joinedRequest, "req_id=R9", "req_id="+e.Record["req_id"])
		if want = strings.ReplaceAll(want, "08:13:02", fmt.Sprintf("08:13:%02d", 2+2*i)); e.Record["welf"] != want {
			t.Errorf("record:\n got %s\nwant %s", e.Record["welf"], want)
		}
	}
	if len(seen) != n || len(events) != n {
		t.Errorf("got %d records for %d requests, want %d each", len(events), len(seen), n)
	}
	if !strings.Contains(r.stderr, "chunks go back to Fluent Bit with FLB_RETRY") {
		t.Errorf("want FLB_RETRY from admission control:\n%s", r.stderr)
	}
	if got, want := correlationCounters(t, r.stderr), fmt.Sprintf("in=%d joined=%d partial=0 duplicate=0 orphan=0", 4*n, 4*n); got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

// TestPendingFlood: unique requests that never complete stay within
// Max_Pending and Max_Pending_Bytes; every one is emitted (partial) and the
// counters add up.
func TestPendingFlood(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"@timestamp":"2024-03-05T09:00:00.000+01:00","host":"gw01","log_id":"WR-SG-CONNTRACE","req_id":"F%06d","mapping":"m","client_ip":"198.51.100.1","front_src_ip":"198.51.100.1","front_src_port":"1","back_dst_ip":"10.0.0.1","back_dst_port":"80"}`+"\n", i)
	}
	in := filepath.Join(dir, "flood.log")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.welf")
	r := mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf",
		"Max_Pending 1000", "Max_Pending_Bytes 256K"))
	lines := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	pressure, shutdown := 0, 0
	ids := map[string]bool{}
	for _, l := range lines {
		switch {
		case strings.HasSuffix(l, " partial=pressure"):
			pressure++
		case strings.HasSuffix(l, " partial=shutdown"):
			shutdown++
		}
		if m := regexp.MustCompile(`req_id=(F\d+)`).FindStringSubmatch(l); m != nil {
			ids[m[1]] = true
		}
	}
	if len(lines) != n || len(ids) != n || pressure+shutdown != n {
		t.Errorf("%d records for %d requests (%d pressure, %d shutdown), want %d each", len(lines), len(ids), pressure, shutdown, n)
	}
	if shutdown > 1000 {
		t.Errorf("%d requests were pending at exit, more than Max_Pending 1000", shutdown)
	}
	if got, want := correlationCounters(t, r.stderr), fmt.Sprintf("in=%d joined=0 partial=%d duplicate=0 orphan=0", n, n); got != want {
		t.Errorf("counters %s, want %s", got, want)
	}
}

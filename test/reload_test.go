package test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
)

// sessionFeed is an Airlock feed of interleaved sessions: every session
// starts, makes requests (conntrace, a block record for some, summary) and
// ends, and the sessions take turns line by line, so that at any point of
// the feed sessions are open and requests are half read.
func sessionFeed(sessions, requests int) []string {
	base := time.Date(2024, 3, 5, 9, 0, 0, 0, time.FixedZone("", 3600))
	var perSession [][]string
	for s := range sessions {
		sess := fmt.Sprintf("S%04d", s)
		req := func(r int) string { return fmt.Sprintf("R%04d-%02d", s, r) }
		lines := []string{fmt.Sprintf(`{"log_id":"WR-SG-SESS-004","host":"gw01","priority":"info","req_id":"%s","sess_id":"%s","mapping":"shop","entry_url":"https://shop.example.com/","client_ip":"198.51.100.%d","vhost":"shop.example.com","vhost_ip":"203.0.113.10","vhost_port":"443","vhost_proto":"https","message":"Session created"}`, req(0), sess, s%250)}
		for r := range requests {
			lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-CONNTRACE","host":"gw01","priority":"info","req_id":"%s","sess_id":"%s","mapping":"shop","client_ip":"198.51.100.%d","front_src_ip":"198.51.100.%d","front_src_port":"%d","front_dst_ip":"203.0.113.10","front_dst_port":"443","back_src_ip":"10.20.0.5","back_src_port":"%d","back_dst_ip":"10.20.1.17","back_dst_port":"8080"}`, req(r), sess, s%250, s%250, 40000+r, 50000+r))
			if r%3 == 2 {
				lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-BLOCK-110-01","host":"gw01","priority":"info","req_id":"%s","sess_id":"%s","mapping":"shop","block_type":"deny rule","attack_type":"SQL injection","constraint":"(default) SQL Injection","message":"Blocked parameter"}`, req(r), sess))
			}
			lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-SUMMARY","host":"gw01","priority":"info","req_id":"%s","sess_id":"%s","mapping":"shop","client_ip":"198.51.100.%d","vhost":"shop.example.com","vhost_proto":"https","http_method":"GET","entry_path":"/p/%d","http_status":"200","req_size":"100","resp_size":"%d"}`, req(r), sess, s%250, r, 1000+r))
		}
		lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-SESS-005","host":"gw01","priority":"info","sess_id":"%s","audit_token":"user%d","lifetime":"60","reason":"logout","message":"Session terminated"}`, sess, s))
		perSession = append(perSession, lines)
	}
	var out []string
	for i := 0; ; i++ {
		emitted := false
		for _, lines := range perSession {
			if i < len(lines) {
				ts := base.Add(time.Duration(len(out)) * 50 * time.Millisecond).Format("2006-01-02T15:04:05.000-07:00")
				out = append(out, `{"@timestamp":"`+ts+`",`+lines[i][1:])
				emitted = true
			}
		}
		if !emitted {
			return out
		}
	}
}

// reloadRun is one harness run and what it wrote.
type reloadRun struct {
	out     []string
	stderr  string
	reloads int
}

// runReloading runs conf, which writes to out, with the harness's hot
// reloads (args) and returns what it wrote.
func runReloading(t *testing.T, conf, out string, args ...string) reloadRun {
	t.Helper()
	r := mustRun(t, conf, args...)
	got := strings.TrimRight(readOutput(t, out), "\n")
	return reloadRun{
		out:     strings.Split(got, "\n"),
		stderr:  r.stderr,
		reloads: strings.Count(r.stderr, "[reload] hot reload #"),
	}
}

// compareReloaded asserts that a run with hot reloads wrote exactly what
// the run without wrote: same records, same order, none partial at a
// reload, none twice, none lost. It returns the figures for the log.
func compareReloaded(t *testing.T, base, reloaded reloadRun, wantReloads int) string {
	t.Helper()
	if reloaded.reloads != wantReloads {
		t.Errorf("%d hot reloads, want %d", reloaded.reloads, wantReloads)
	}
	count := func(lines []string) map[string]int {
		m := make(map[string]int)
		for _, l := range lines {
			m[l]++
		}
		return m
	}
	want, got := count(base.out), count(reloaded.out)
	var twice, lost, extra int
	for l, n := range got {
		switch w := want[l]; {
		case w == 0:
			extra += n
		case n > w:
			twice += n - w
		}
	}
	for l, w := range want {
		if got[l] < w {
			lost += w - got[l]
		}
	}
	partial := func(lines []string) int {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, " partial=") {
				n++
			}
		}
		return n
	}
	figures := fmt.Sprintf("reloads=%d out=%d (without reloads %d) partial=%d (without %d) twice=%d lost=%d other=%d",
		reloaded.reloads, len(reloaded.out), len(base.out), partial(reloaded.out), partial(base.out), twice, lost, extra)
	if twice+lost+extra > 0 || partial(reloaded.out) != partial(base.out) {
		t.Errorf("hot reloads changed the output: %s\nfirst difference: %s", figures, firstDiff(reloaded.out, base.out))
	} else if !slices.Equal(reloaded.out, base.out) {
		t.Errorf("hot reloads changed the order of the output:\n%s", firstDiff(reloaded.out, base.out))
	}
	return figures
}

// TestHotReloadAirlock: hot reloads in the middle of a feed of interleaved
// sessions and requests change nothing in the output — no session or
// request written partial at a reload, none split in two, none twice —
// with the pending state kept in memory and with State_File, flushed on
// the engine thread and on a worker thread (joined and started again at
// each reload).
func TestHotReloadAirlock(t *testing.T) {
	feed := sessionFeed(40, 5)
	const sessions, requests = 40, 40 * 5
	for _, tt := range []struct {
		name  string
		props []string
	}{
		{"memory", nil},
		{"state_file", []string{"State_File welf.state"}},
		{"worker", []string{"Workers 1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := func(args ...string) reloadRun {
				dir := t.TempDir()
				in := writeLines(t, dir, "airlock.log", feed...)
				out := filepath.Join(dir, "out.welf")
				props := []string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on"}
				for _, p := range tt.props {
					props = append(props, strings.Replace(p, "welf.state", filepath.Join(dir, "welf.state"), 1))
				}
				return runReloading(t, tailInput("airlock", in)+welfOutput("airlock", props...), out,
					append([]string{"--chunk-records", "7"}, args...)...)
			}
			base := run()
			if len(base.out) != sessions+requests {
				t.Fatalf("without reloads: %d records, want %d (one per request and session)", len(base.out), sessions+requests)
			}
			reloaded := run("--reload-every-chunks", "5")
			// 520 lines in chunks of 7: 75 chunks, a reload after every fifth.
			figures := compareReloaded(t, base, reloaded, 15)
			if got, want := correlationCounters(t, reloaded.stderr), correlationCounters(t, base.stderr); got != want {
				t.Errorf("correlation counters with reloads %s, without %s", got, want)
			}
			t.Logf("in=%d %s", len(feed), figures)
		})
	}
}

// TestHotReloadMWG: hot reloads while MWG connection traces are read
// change nothing: connections open at a reload go on in the new instance,
// with and without State_File.
func TestHotReloadMWG(t *testing.T) {
	for _, stateFile := range []bool{false, true} {
		t.Run(fmt.Sprintf("state_file=%t", stateFile), func(t *testing.T) {
			run := func(args ...string) reloadRun {
				traces := t.TempDir()
				copyTraces(t, traces)
				out := filepath.Join(t.TempDir(), "mwg.welf")
				var props []string
				if stateFile {
					props = append(props, "State_File "+filepath.Join(filepath.Dir(out), "welf.state"))
				}
				return runReloading(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out, props...), out,
					append([]string{"--chunk-records", "10"}, args...)...)
			}
			base := run()
			reloaded := run("--reload-every-chunks", "4")
			// A reload after every fourth chunk; a reload also closes the
			// chunks being filled (trace files end mid-chunk), so there are
			// more chunks than without reloads.
			chunks, _ := strconv.Atoi(regexp.MustCompile(`\[flbhost\] chunks=(\d+)`).FindStringSubmatch(reloaded.stderr)[1])
			figures := compareReloaded(t, base, reloaded, chunks/4)
			if got, want := mwgCounters(t, reloaded.stderr), mwgCounters(t, base.stderr); got != want {
				t.Errorf("mwg counters with reloads:\n%s\nwithout:\n%s", got, want)
			}
			t.Logf("in=776 %s", figures)
		})
	}
}

// TestHotReloadFreesOldInstances: 100 hot reloads of an idle pipeline
// holding open sessions and half-read requests leave nothing of the old
// instances behind, both when each new instance takes its predecessor's
// pipeline over (same configuration) and when every reload changes the
// configuration, so that each closes the old pipeline and opens a new one.
// After each reload the plugin logs the Go heap in use after a collection
// and its goroutines; neither may grow from reload to reload. With the configuration
// unchanged, the output is still that of a run without reloads.
func TestHotReloadFreesOldInstances(t *testing.T) {
	feed := sessionFeed(20, 5)
	feed = feed[:len(feed)/2] // every session open, requests half read
	for _, changed := range []bool{false, true} {
		t.Run(fmt.Sprintf("config_changes=%t", changed), func(t *testing.T) {
			dir := t.TempDir()
			in := writeLines(t, dir, "airlock.log", feed...)
			out := filepath.Join(dir, "out.welf")
			conf := func(fw string) string {
				return tailInput("airlock", in) +
					welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "FW "+fw) +
					welfOutput("airlock", "Destination file://"+filepath.Join(dir, "out2.welf"), "Correlate off", "FW "+fw)
			}
			args := []string{"--chunk-records", "7", "--reloads", "100"}
			wantClosed := "0"
			if changed {
				other := filepath.Join(dir, "other.conf")
				if err := os.WriteFile(other, []byte(conf("fw-b")), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--reload-config", other)
				wantClosed = "2"
			}
			reloaded := runReloading(t, conf("fw-a"), out, args...)
			m := regexp.MustCompile(`hot reload done: (\d+) instances running, (\d+) without successor closed; Go heap in use (\d+) bytes, (\d+) goroutines`).FindAllStringSubmatch(reloaded.stderr, -1)
			if len(m) != 100 {
				t.Fatalf("%d hot reloads reported, want 100:\n%s", len(m), reloaded.stderr)
			}
			heap := make([]int, len(m))
			for i, s := range m {
				if s[1] != "2" || s[2] != wantClosed {
					t.Errorf("reload %d: %s instances running, %s closed; want 2 and %s", i+1, s[1], s[2], wantClosed)
				}
				if s[4] != m[0][4] {
					t.Errorf("reload %d: %s goroutines, after the first reload %s", i+1, s[4], m[0][4])
				}
				heap[i], _ = strconv.Atoi(s[3])
			}
			// The first reloads still fill caches (pools, the runtime's
			// own) up to a plateau; the last 50 reloads must not add to
			// it beyond runtime bookkeeping: one old instance kept alive
			// (a closed pipeline, ~170 KB) costs more than the slack.
			const slack = 64 << 10
			plateau := slices.Max(heap[:50])
			if heap[99] > plateau+slack {
				t.Errorf("Go heap grew from at most %d bytes in the first 50 reloads to %d after reload 100", plateau, heap[99])
			}
			t.Logf("Go heap in use after a collection: reload 1 %d, reload 10 %d, first 50 at most %d, reload 100 %d bytes", heap[0], heap[9], plateau, heap[99])
			if !changed {
				dir := t.TempDir()
				out = filepath.Join(dir, "out.welf")
				in = writeLines(t, dir, "airlock.log", feed...)
				base := runReloading(t, conf("fw-a"), out, "--chunk-records", "7")
				t.Log(compareReloaded(t, base, reloaded, 100))
			}
		})
	}
}

// TestHotReloadKeepsConnection: over a syslog TCP destination, hot reloads
// hand the destination over with its queue and its connection: one
// connection for the whole run, and the receiver gets exactly the records
// of a run without reloads.
func TestHotReloadKeepsConnection(t *testing.T) {
	feed := sessionFeed(40, 5)
	var (
		mu    sync.Mutex
		conns int
		recv  bytes.Buffer
	)
	addr := sinktest.Listen(t, nil, func(c net.Conn) {
		mu.Lock()
		conns++
		mu.Unlock()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			recv.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				c.Close()
				return
			}
		}
	})
	dir := t.TempDir()
	in := writeLines(t, dir, "airlock.log", feed...)
	props := []string{"Time_Zone UTC", "Conntrace on"}
	reloaded := mustRun(t, tailInput("airlock", in)+welfOutput("airlock", append(props, "Destination tcp://"+addr, "Framing lf")...),
		"--chunk-records", "7", "--reload-every-chunks", "5")
	out := filepath.Join(dir, "out.welf")
	base := runReloading(t, tailInput("airlock", in)+welfOutput("airlock", append(props, "Destination file://"+out, "Line_Ending lf")...), out,
		"--chunk-records", "7")

	var got []string
	waitFor(t, 5*time.Second, "every record at the receiver", func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = got[:0]
		for _, line := range strings.Split(strings.TrimRight(recv.String(), "\n"), "\n") {
			if i := strings.Index(line, "id=firewall "); i >= 0 {
				got = append(got, line[i:])
			}
		}
		return len(got) >= len(base.out)
	})
	figures := compareReloaded(t, base, reloadRun{out: got, stderr: reloaded.stderr, reloads: strings.Count(reloaded.stderr, "[reload] hot reload #")}, 15)
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections to the receiver, want 1: the connection is handed over", conns)
	}
	t.Logf("in=%d %s connections=%d", len(feed), figures, conns)
}

// TestHotReloadChangedConfigStateFile: a reload that changes the
// configuration cannot hand the pipeline over, but with State_File nothing
// is written partial either: the old instance saves its pending state
// before the new one, with the same State_File, restores it.
func TestHotReloadChangedConfigStateFile(t *testing.T) {
	feed := sessionFeed(40, 5)
	run := func(args ...string) reloadRun {
		dir := t.TempDir()
		in := writeLines(t, dir, "airlock.log", feed...)
		out := filepath.Join(dir, "out.welf")
		conf := func(timeout string) string {
			return tailInput("airlock", in) + welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", "Line_Ending lf",
				"Conntrace on", "State_File "+filepath.Join(dir, "welf.state"), "Correlation_Timeout "+timeout)
		}
		other := filepath.Join(dir, "other.conf")
		if err := os.WriteFile(other, []byte(conf("61s")), 0o644); err != nil {
			t.Fatal(err)
		}
		return runReloading(t, conf("60s"), out, append([]string{"--chunk-records", "7", "--reload-config", other}, args...)...)
	}
	base := run()
	reloaded := run("--reload-every-chunks", "5")
	figures := compareReloaded(t, base, reloaded, 15)
	if n := strings.Count(reloaded.stderr, "without successor closed"); n != 15 {
		t.Errorf("%d reloads reported, want 15", n)
	}
	if n := strings.Count(reloaded.stderr, "1 without successor closed"); n != 15 {
		t.Errorf("%d reloads closed the old pipeline, want all 15: the configuration changed", n)
	}
	t.Logf("in=%d %s", len(feed), figures)
}

// TestHotReloadFailedStart: when a new instance fails to start, Fluent Bit
// aborts the reload and exits; the pipeline kept for it is closed as at a
// shutdown first, so its pending state is saved and its records written.
func TestHotReloadFailedStart(t *testing.T) {
	dir := t.TempDir()
	in := writeLines(t, dir, "airlock.log", sessionFeed(10, 2)...)
	out := filepath.Join(dir, "out.welf")
	state := filepath.Join(dir, "welf.state")
	conf := func(extra ...string) string {
		return tailInput("airlock", in) + welfOutput("airlock", append([]string{"Destination file://" + out, "Time_Zone UTC",
			"Line_Ending lf", "Conntrace on", "State_File " + state}, extra...)...)
	}
	broken := filepath.Join(dir, "broken.conf")
	if err := os.WriteFile(broken, []byte(conf("Max_Size lots")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runHarness(t, conf(), "--chunk-records", "7", "--reload-every-chunks", "2", "--reload-config", broken)
	if r.exit != 1 {
		t.Fatalf("exit %d, want 1 (the new configuration fails)\n%s", r.exit, r.stderr)
	}
	for _, want := range []string{
		"hot reload: an instance failed to start; 1 instances of the old configuration closed as at a shutdown",
		"State_File " + state + ": saved 4 pending requests and 10 sessions for the next start", // after 14 records
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

package test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// syslogReceiver is a TCP syslog receiver (octet-counting) that reads as
// slowly as it is told to, and counts the records it got by req_id.
type syslogReceiver struct {
	t    *testing.T
	addr string
	// readDelay is the pause after every read of at most readSize bytes.
	readDelay time.Duration
	readSize  int

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	ids   map[string]int
	total int
	wg    sync.WaitGroup
}

// newSyslogReceiver reserves a loopback port; listen starts serving on it.
func newSyslogReceiver(t *testing.T, readDelay time.Duration, readSize int) *syslogReceiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &syslogReceiver{t: t, addr: ln.Addr().String(), readDelay: readDelay, readSize: readSize, ids: map[string]int{}}
	ln.Close()
	t.Cleanup(r.stop)
	return r
}

func (r *syslogReceiver) listen() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("listen again on %s: %v", r.addr, err)
	}
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			r.wg.Add(1)
			go r.serve(c)
		}
	}()
}

var reqIDPattern = regexp.MustCompile(` req_id=(\S+)`)

func (r *syslogReceiver) serve(c net.Conn) {
	defer r.wg.Done()
	br := bufio.NewReader(slowReader{c, r.readDelay, r.readSize})
	for {
		lenText, err := br.ReadString(' ')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
		if err != nil {
			r.t.Errorf("receiver: bad frame length %q", lenText)
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(br, msg); err != nil {
			return
		}
		id := "?"
		if m := reqIDPattern.FindSubmatch(msg); m != nil {
			id = string(m[1])
		}
		r.mu.Lock()
		r.ids[id]++
		r.total++
		r.mu.Unlock()
	}
}

func (r *syslogReceiver) stop() {
	r.mu.Lock()
	if r.ln != nil {
		r.ln.Close()
	}
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// waitTotal waits until n records arrived, or the timeout passed.
func (r *syslogReceiver) waitTotal(n int, timeout time.Duration) {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		total := r.total
		r.mu.Unlock()
		if total >= n {
			return
		}
	}
}

// check reports records missing or arrived more than once, against the ids
// want; it returns "in/out/twice" for the log.
func (r *syslogReceiver) check(t *testing.T, want []string) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	return checkCounts(t, r.ids, r.total, want)
}

func checkCounts(t *testing.T, ids map[string]int, total int, want []string) string {
	t.Helper()
	missing, twice := 0, 0
	for _, id := range want {
		switch n := ids[id]; {
		case n == 0:
			missing++
		case n > 1:
			twice += n - 1
		}
	}
	if missing > 0 || twice > 0 || total != len(want) {
		t.Errorf("records in %d, delivered %d: %d missing, %d more than once", len(want), total, missing, twice)
	}
	return fmt.Sprintf("in=%d out=%d twice=%d", len(want), total, twice)
}

type slowReader struct {
	r     io.Reader
	delay time.Duration
	size  int
}

func (s slowReader) Read(p []byte) (int, error) {
	if s.size > 0 && len(p) > s.size {
		p = p[:s.size]
	}
	n, err := s.r.Read(p)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	return n, err
}

// requests writes n correlated requests (the four records of
// requestLines, with req_id R00000 …) to a new file and returns its path
// and the ids.
func requests(t *testing.T, dir string, first, n int) (string, []string) {
	t.Helper()
	var lines, ids []string
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("R%05d", i)
		ids = append(ids, id)
		for _, l := range requestLines {
			lines = append(lines, strings.ReplaceAll(l, `"R9"`, `"`+id+`"`))
		}
	}
	return writeLines(t, dir, fmt.Sprintf("requests-%d.log", first), lines...), ids
}

// singleRecords writes n Airlock records, one request summary each, for
// Correlate off: one WELF record per line, each with its own req_id.
func singleRecords(t *testing.T, dir string, n int) (string, []string) {
	t.Helper()
	var lines, ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("S%05d", i)
		ids = append(ids, id)
		lines = append(lines, strings.ReplaceAll(requestLines[3], `"R9"`, `"`+id+`"`))
	}
	return writeLines(t, dir, "single.log", lines...), ids
}

// harnessStats returns the harness's final stats line.
func harnessStats(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`\[flbhost\] (chunks=.*)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no harness stats in:\n%s", stderr)
	}
	return m[1]
}

// TestSlowReceiverLosesNothing (issue 9, condition 1): with Fluent Bit's
// default Retry_Limit (1), a receiver that reads slowly, or is down for a
// while, makes the flush wait instead of losing chunks: every request
// arrives once, with and without workers, and Spool_Dir adds room on disk
// (no flush has to wait, let alone retry).
func TestSlowReceiverLosesNothing(t *testing.T) {
	const requestsIn = 1500
	tests := []struct {
		name      string
		down      time.Duration // the receiver listens only after this
		readDelay time.Duration
		props     []string
		noRetry   bool // the harness must see no FLB_RETRY at all
	}{
		{name: "slow engine thread", readDelay: time.Millisecond},
		{name: "slow workers 2", readDelay: time.Millisecond, props: []string{"workers 2"}},
		{name: "down 3s engine thread", down: 3 * time.Second},
		{name: "down 3s workers 2", down: 3 * time.Second, props: []string{"workers 2"}},
		{name: "down 3s spool adds room", down: 3 * time.Second, props: []string{"Spool_Dir " + t.TempDir(), "Flush_Wait 1s"}, noRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, ids := requests(t, dir, 0, requestsIn)
			rcv := newSyslogReceiver(t, tt.readDelay, 512)
			if tt.down == 0 {
				rcv.listen()
			} else {
				time.AfterFunc(tt.down, rcv.listen)
			}
			props := append([]string{"Destination tcp://" + rcv.addr, "Time_Zone UTC", "Conntrace on",
				"Queue_Max_Bytes 16K", "Shutdown_Timeout 60s"}, tt.props...)
			r := mustRun(t, tailInput("a", in)+welfOutput("*", props...), "--chunk-records", "40")
			rcv.waitTotal(requestsIn, 10*time.Second)
			time.Sleep(200 * time.Millisecond) // a duplicate would have arrived by now
			figures := rcv.check(t, ids)
			stats := harnessStats(t, r.stderr)
			if !strings.Contains(stats, " dropped=0 ") || strings.Contains(r.stderr, "cannot be retried") {
				t.Errorf("Fluent Bit dropped chunks: %s", stats)
			}
			if tt.noRetry && !strings.Contains(stats, " retry=0 ") {
				t.Errorf("with the spool no flush should be handed back: %s", stats)
			}
			if got, want := correlationCounters(t, r.stderr), fmt.Sprintf("in=%d joined=%d partial=0 duplicate=0 orphan=0", 4*requestsIn, 4*requestsIn); got != want {
				t.Errorf("counters %s, want %s", got, want)
			}
			t.Logf("condition 1 (%s): %s; harness: %s", tt.name, figures, stats)
			if t.Failed() {
				t.Log(r.stderr)
			}
		})
	}
}

// TestRetryLimitDropsChunks shows the harness's Retry_Limit as Fluent Bit
// 5.1.1 has it (reference §8): a chunk answered FLB_RETRY more often than
// Retry_Limit allows is discarded, logged ("cannot be retried") and counted
// with its records. Flush_Wait 0 makes the plugin hand chunks back at once,
// as it did before back-pressure waited: with the receiver down, the first
// of ten chunks is taken and the nine others come back.
func TestRetryLimitDropsChunks(t *testing.T) {
	tests := []struct {
		limit string // "" = Fluent Bit's default, 1
		stats string
	}{
		{"", "retry=18 error=0 dropped=9 dropped_records=180 "},
		{"Retry_Limit 3", "retry=36 error=0 dropped=9 dropped_records=180 "},
		{"Retry_Limit no_retries", "retry=9 error=0 dropped=9 dropped_records=180 "},
	}
	for _, tt := range tests {
		t.Run("limit "+tt.limit, func(t *testing.T) {
			dir := t.TempDir()
			in, _ := singleRecords(t, dir, 200)
			rcv := newSyslogReceiver(t, 0, 0) // never listens
			props := []string{"Destination tcp://" + rcv.addr, single, "Queue_Max_Bytes 1", "Flush_Wait 0", "Shutdown_Timeout 100ms"}
			if tt.limit != "" {
				props = append(props, tt.limit)
			}
			r := mustRun(t, tailInput("a", in)+welfOutput("*", props...), "--chunk-records", "20", "--retry-wait-ms", "10")
			if stats := harnessStats(t, r.stderr); !strings.Contains(stats, tt.stats) {
				t.Errorf("stats %s, want %s", stats, tt.stats)
			}
			if n := strings.Count(r.stderr, "' cannot be retried: "); n != 9 {
				t.Errorf("want 9 \"cannot be retried\" lines, got %d:\n%s", n, r.stderr)
			}
			if !strings.Contains(r.stderr, "Retry_Limit no_limits") {
				t.Errorf("the plugin must explain FLB_RETRY:\n%s", r.stderr)
			}
		})
	}
}

// TestShutdownOrder: on SIGTERM the harness, as Fluent Bit, pauses the
// inputs first, flushes what is pending within Grace, then calls the
// plugin's exit.
func TestShutdownOrder(t *testing.T) {
	dir := t.TempDir()
	in, _ := singleRecords(t, dir, 50)
	out := filepath.Join(dir, "out.welf")
	stop := signalHarness(t, "[SERVICE]\n    Grace 1\n"+tailInput("a", in)+welfOutput("*", "Destination file://"+out, single))
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(out); bytes.Count(b, []byte("\n")) == 50 {
			break
		}
	}
	r := stop()
	order := []string{"[engine] caught signal (SIGTERM)", "[engine] service will shutdown in max 1 seconds", "[input] pausing tail.0", "exit: events=50 written=50 "}
	at := -1
	for _, s := range order {
		i := strings.Index(r.stderr, s)
		if i <= at {
			t.Fatalf("want, in this order, %q:\n%s", order, r.stderr)
		}
		at = i
	}
	if r.exit != 0 {
		t.Errorf("exit %d", r.exit)
	}
}

// signalHarness runs the harness with --wait-signal and returns a function
// that sends SIGTERM and waits for the end.
func signalHarness(t *testing.T, conf string, args ...string) (stop func() run) {
	t.Helper()
	dir := t.TempDir()
	confPath := filepath.Join(dir, "fluent-bit.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"--time", harnessTime, "-e", plugin, "-c", confPath, "--wait-signal"}, args...)
	cmd := exec.Command(harness, argv...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return func() run {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		r := run{stdout: stdout.String(), stderr: stderr.String()}
		if exitErr, ok := err.(*exec.ExitError); ok {
			r.exit = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("harness: %v", err)
		}
		return r
	}
}

// TestRsyslogDownLosesNothing: condition 1 with a real rsyslog that is
// down when the plugin starts and comes up 3 s later, Fluent Bit's and
// welf's defaults otherwise: every request arrives once.
func TestRsyslogDownLosesNothing(t *testing.T) {
	const requestsIn = 1000
	s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	s.Stop()
	in, ids := requests(t, t.TempDir(), 0, requestsIn)
	up := time.AfterFunc(3*time.Second, s.Start)
	defer up.Stop()
	r := mustRun(t, tailInput("a", in)+welfOutput("*", "Destination tcp://"+s.TCPAddr, "Time_Zone UTC", "Conntrace on",
		"Queue_Max_Bytes 16K", "Shutdown_Timeout 60s"), "--chunk-records", "40")
	lines := s.WaitLines(requestsIn, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // a duplicate would have arrived by now
	if more := s.Lines(); len(more) > len(lines) {
		lines = more
	}
	counts := map[string]int{}
	for _, l := range lines {
		if m := reqIDPattern.FindStringSubmatch(l); m != nil {
			counts[m[1]]++
		}
	}
	figures := checkCounts(t, counts, len(lines), ids)
	if stats := harnessStats(t, r.stderr); !strings.Contains(stats, " retry=0 error=0 dropped=0 ") {
		t.Errorf("harness: %s", stats)
	}
	t.Logf("condition 1 (rsyslog down 3s): %s", figures)
}

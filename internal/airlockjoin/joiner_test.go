package airlockjoin

import (
	"fmt"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"strings"
	"testing"
	"time"
)

// permutations returns every order of names.
func permutations(names []string) [][]string {
	if len(names) <= 1 {
		return [][]string{append([]string(nil), names...)}
	}
	var all [][]string
	for i := range names {
		rest := append(append([]string(nil), names[:i]...), names[i+1:]...)
		for _, p := range permutations(rest) {
			all = append(all, append([]string{names[i]}, p...))
		}
	}
	return all
}

// TestArrivalOrder feeds the records of one request in every order, in one
// flush, in each Conntrace mode: the output is always the same one record.
func TestArrivalOrder(t *testing.T) {
	const (
		joined4 = "in=4 joined=4 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"
		joined3 = "in=3 joined=3 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"
		joined2 = "in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"
		drained = "in=2 joined=0 partial=2 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=2"
	)
	type result struct{ line, counters string }
	tests := []struct {
		name     string
		fixtures []string
		want     map[ConntraceMode]result
	}{
		{"blocked request", []string{"blocked_conntrace", "blocked_summary", "blocked_block", "blocked_blockdet"}, map[ConntraceMode]result{
			ConntraceAuto: {lineBlocked, joined4},
			ConntraceOn:   {lineBlocked, joined4},
			ConntraceOff:  {lineBlocked, joined4},
		}},
		{"request with TLS session start", []string{"request_tls_start", "request_conntrace", "request_summary"}, map[ConntraceMode]result{
			ConntraceAuto: {lineRequestTLS, joined3},
			ConntraceOn:   {lineRequestTLS, joined3},
			ConntraceOff:  {lineRequestTLS, joined3},
		}},
		// No conntrace: complete with the summary unless the mode waits
		// for one, which never comes.
		{"back-end error", []string{"backend_error", "backend_summary"}, map[ConntraceMode]result{
			ConntraceAuto: {lineBackend, joined2},
			ConntraceOn:   {withPartial(lineBackend, "shutdown"), drained},
			ConntraceOff:  {lineBackend, joined2},
		}},
	}
	for _, tt := range tests {
		for _, mode := range []ConntraceMode{ConntraceAuto, ConntraceOn, ConntraceOff} {
			for _, order := range permutations(tt.fixtures) {
				t.Run(fmt.Sprintf("%s/%s/%s", tt.name, mode, strings.Join(order, ",")), func(t *testing.T) {
					j := newJoiner(t, Config{Conntrace: mode})
					c := newCollector()
					f := &feeder{t: t}
					for _, name := range order {
						f.add(j, c, name)
					}
					j.Tick(c.emit)
					j.Drain(c.emit)
					diffLines(t, "outputs", c.take(), []string{tt.want[mode].line})
					checkCounters(t, j, tt.want[mode].counters)
				})
			}
		}
	}
}

// step is one thing a test does to a Joiner: add a fixture (at its
// @timestamp, or at a time given as an offset from base), tick, release
// (what is complete, as at a shutdown) or drain.
type step struct {
	fixture string
	at      time.Duration // if not 0: the event time is base + at
	tick    bool
	release bool
	drain   bool
}

// base is the time offsets in steps count from: the minute of the fixtures.
var base = time.Date(2024, 3, 5, 8, 12, 0, 0, time.UTC)

func add(name string) step                     { return step{fixture: name} }
func addAt(name string, at time.Duration) step { return step{fixture: name, at: at} }

var (
	tick    = step{tick: true}
	release = step{release: true}
	drain   = step{drain: true}
)

// run performs steps on j and returns the lines emitted.
func run(t *testing.T, j *Joiner, steps ...step) []string {
	t.Helper()
	c := newCollector()
	f := &feeder{t: t}
	for _, s := range steps {
		switch {
		case s.tick:
			j.Tick(c.emit)
		case s.release:
			j.Release(c.emit)
		case s.drain:
			j.Drain(c.emit)
		case s.at != 0:
			f.addAt(j, c, s.fixture, base.Add(s.at))
		default:
			f.add(j, c, s.fixture)
		}
	}
	return c.take()
}

// TestConntraceModes feeds a conntrace and a summary in separate flushes.
func TestConntraceModes(t *testing.T) {
	tests := []struct {
		name     string
		mode     ConntraceMode
		steps    []step
		want     []string
		counters string
	}{
		{"on: conntrace first", ConntraceOn,
			[]step{add("request_conntrace"), tick, add("request_summary"), tick},
			[]string{lineRequest},
			"in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		// The conntrace comes a flush late: the request waits for late
		// records until the clock has moved on, or a shutdown.
		{"on: summary first", ConntraceOn,
			[]step{add("request_summary"), tick, add("request_conntrace"), tick, release},
			[]string{lineRequest},
			"in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"off: conntrace first", ConntraceOff,
			[]step{add("request_conntrace"), tick, add("request_summary"), tick},
			[]string{lineRequest},
			"in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"off: summary first, the conntrace is late", ConntraceOff,
			[]step{add("request_summary"), tick, add("request_conntrace"), tick},
			[]string{lineRequestSummary, withPartial(lineRequestConntrace, "orphan")},
			"in=2 joined=1 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"auto: conntrace first", ConntraceAuto,
			[]step{add("request_conntrace"), tick, add("request_summary"), tick},
			[]string{lineRequest},
			"in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		// The gateway is not known to write conntraces until its first one
		// arrives, late: from then on its requests wait for theirs.
		{"auto: learns from a late conntrace", ConntraceAuto,
			[]step{add("request_summary"), tick, add("request_conntrace"), tick,
				add("blocked_summary"), tick, add("blocked_conntrace"), tick, release},
			[]string{lineRequestSummary, withPartial(lineRequestConntrace, "orphan"), lineBlockedUnblocked},
			"in=4 joined=3 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"auto: in one flush the late conntrace still joins", ConntraceAuto,
			[]step{add("request_summary"), add("request_conntrace"), tick},
			[]string{lineRequest},
			"in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(t, Config{Conntrace: tt.mode})
			diffLines(t, "outputs", run(t, j, tt.steps...), tt.want)
			checkCounters(t, j, tt.counters)
		})
	}
}

// TestTimeout runs on record time: later records move the clock.
func TestTimeout(t *testing.T) {
	// blocked_* are at 08:13:02.9, reject is only there to move the clock.
	const at = 62907 * time.Millisecond
	tests := []struct {
		name     string
		steps    []step
		want     []string
		counters string
	}{
		{"summary without conntrace",
			[]step{addAt("blocked_summary", at), tick, addAt("reject", at+30*time.Second), tick, addAt("reject", at+30*time.Second+time.Millisecond)},
			[]string{lineReject, withPartial(lineBlockedSummary, "timeout"), lineReject},
			"in=3 joined=2 partial=1 duplicate=0 orphan=0 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
		{"conntrace without summary",
			[]step{addAt("request_conntrace", 44*time.Second), addAt("reject", 75*time.Second)},
			[]string{withPartial(lineRequestConntrace, "timeout"), lineReject},
			"in=2 joined=1 partial=1 duplicate=0 orphan=0 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
		{"an update restarts the timeout",
			[]step{addAt("blocked_block", at), addAt("blocked_summary", at+20*time.Second), addAt("reject", at+40*time.Second),
				addAt("reject", at+50*time.Second+time.Millisecond)},
			[]string{lineReject, withPartial(lineBlockedNoConntrace, "timeout"), lineReject},
			"in=4 joined=2 partial=2 duplicate=0 orphan=0 partial_timeout=2 partial_pressure=0 partial_shutdown=0"},
		// The conntrace is stamped with the latest time seen, an hour.
		{"the clock does not go back",
			[]step{addAt("reject", time.Hour), addAt("request_conntrace", time.Second), addAt("reject", 2*time.Second),
				addAt("reject", time.Hour+30*time.Second), addAt("reject", time.Hour+30*time.Second+time.Millisecond)},
			[]string{lineReject, lineReject, lineReject, withPartial(lineRequestConntrace, "timeout"), lineReject},
			"in=5 joined=4 partial=1 duplicate=0 orphan=0 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(t, Config{Conntrace: ConntraceOn, Timeout: 30 * time.Second})
			diffLines(t, "outputs", run(t, j, tt.steps...), tt.want)
			checkCounters(t, j, tt.counters)
		})
	}
}

// conntraceFields returns the fields of a conntrace of request id.
func conntraceFields(id string) []string {
	return []string{"@timestamp", "2024-03-05T09:12:44.318+01:00", "host", "gw01", "log_id", "WR-SG-CONNTRACE",
		"req_id", id, "client_ip", "198.51.100.23", "front_src_ip", "198.51.100.23", "front_src_port", "51544",
		"back_dst_ip", "10.20.1.17", "back_dst_port", "8080"}
}

// lineConntrace is the output of conntraceFields(id) alone.
func lineConntrace(id string) string {
	return `[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 log_id=WR-SG-CONNTRACE req_id=` + id
}

func TestPressure(t *testing.T) {
	// What one pending conntrace of conntraceFields costs.
	probe := newJoiner(t, Config{})
	(&feeder{t: t}).addFields(probe, newCollector(), base, conntraceFields("A")...)
	_, _, size := probe.Pending()

	tests := []struct {
		name string
		cfg  Config
	}{
		{"entries", Config{MaxPending: 2}},
		// The request table gets three quarters of the bytes: room for 2.5.
		{"bytes", Config{MaxPendingBytes: size * 5 / 2 * 4 / 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(t, tt.cfg)
			c := newCollector()
			f := &feeder{t: t}
			for _, id := range []string{"A", "B", "C"} {
				f.addFields(j, c, base, conntraceFields(id)...)
			}
			diffLines(t, "after three", c.take(), []string{withPartial(lineConntrace("A"), "pressure")})
			if requests, _, bytes := j.Pending(); requests != 2 || bytes != 2*size {
				t.Errorf("Pending() = %d requests, %d bytes; want 2, %d", requests, bytes, 2*size)
			}
			j.Drain(c.emit)
			diffLines(t, "drained", c.take(), []string{withPartial(lineConntrace("B"), "shutdown"), withPartial(lineConntrace("C"), "shutdown")})
			checkCounters(t, j, "in=3 joined=0 partial=3 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=1 partial_shutdown=2")
		})
	}
}

// TestPressureOnCompleteRequest: a complete request evicted before the
// end of its flush is emitted complete.
func TestPressureOnCompleteRequest(t *testing.T) {
	j := newJoiner(t, Config{MaxPending: 1, Conntrace: ConntraceOn})
	got := run(t, j, add("request_conntrace"), add("request_summary"), add("blocked_summary"), tick, drain)
	diffLines(t, "outputs", got, []string{lineRequest, withPartial(lineBlockedSummary, "shutdown")})
	checkCounters(t, j, "in=3 joined=2 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1")
}

// TestTickOverdue: without Tick, complete requests do not pile up.
func TestTickOverdue(t *testing.T) {
	j := newJoiner(t, Config{MaxPending: 1, Conntrace: ConntraceOff})
	// Each summary evicts the one before, complete, for pressure; the
	// list of ready requests drops what was evicted and holds no more
	// than the table.
	got := run(t, j, add("request_summary"), add("blocked_summary"), add("backend_summary"))
	diffLines(t, "outputs", got, []string{lineRequestSummary, lineBlockedSummary})
	if requests, _, _ := j.Pending(); requests != 1 || len(j.ready) != 1 {
		t.Errorf("pending requests = %d, listed ready %d, want 1 each", requests, len(j.ready))
	}
	if got := j.Counters().String(); got != "in=3 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0" {
		t.Errorf("counters %s", got)
	}
}

// TestConntraceAutoPerMapping: Airlock writes conntraces per mapping (in
// Integration log mode), so Conntrace auto learns gateway and mapping
// together.
func TestConntraceAutoPerMapping(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceAuto})
	got := run(t, j, add("request_conntrace"), add("request_summary"), tick) // gw01, shop
	c := newCollector()
	(&feeder{t: t}).addFields(j, c, base, "@timestamp", "2024-03-05T09:13:05.000+01:00", "host", "gw01",
		"log_id", "WR-SG-SUMMARY", "req_id", "ZebVkGq3rXx9Qm2kYcE1IQAAAE1", "mapping", "static", "http_status", "304")
	got = append(got, c.take()...)
	got = append(got, run(t, j, add("blocked_summary"), tick)...)
	diffLines(t, "outputs", got, []string{lineRequest,
		`[1] id=firewall time="2024-03-05 08:13:05" fw=gw01 pri=6 result=304 log_id=WR-SG-SUMMARY req_id=ZebVkGq3rXx9Qm2kYcE1IQAAAE1 mapping=static`})
	if requests, _, _ := j.Pending(); requests != 1 {
		t.Errorf("pending requests = %d, want 1: the summary of mapping shop waits for its conntrace", requests)
	}
}

// TestWallClock: with WallClock, event times do not move the clock, so a
// record from years later times nothing out.
func TestWallClock(t *testing.T) {
	j := newJoiner(t, Config{Clock: correlate.ClockWall, Conntrace: ConntraceOn})
	got := run(t, j, addAt("request_conntrace", time.Second), addAt("reject", 10*365*24*time.Hour), tick)
	diffLines(t, "outputs", got, []string{lineReject})
	got = run(t, j, addAt("request_summary", 2*time.Second), tick)
	diffLines(t, "outputs", got, []string{lineRequest})
	checkCounters(t, j, "in=3 joined=3 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
}

// TestLinger: with Correlation_Linger, a request completed by its summary
// and conntrace still takes a block record that comes in a later chunk, as
// long as the correlation clock has not passed the linger; with no linger
// the block is an orphan.
func TestLinger(t *testing.T) {
	for _, tt := range []struct {
		linger  time.Duration
		outputs int
		partial string
	}{
		{0, 2, "orphan"},
		{2 * time.Second, 1, ""},
	} {
		j := newJoiner(t, Config{Conntrace: ConntraceOn, Linger: tt.linger})
		c := newCollector()
		f := &feeder{t: t}
		f.add(j, c, "blocked_conntrace")
		f.add(j, c, "blocked_summary")
		j.Tick(c.emit) // end of the first chunk
		f.add(j, c, "blocked_block")
		j.Tick(c.emit) // end of the second chunk
		j.Drain(c.emit)
		got := c.take()
		if len(got) != tt.outputs {
			t.Fatalf("linger %v: %d outputs, want %d:\n%s", tt.linger, len(got), tt.outputs, strings.Join(got, "\n"))
		}
		if hasOrphan := strings.Contains(strings.Join(got, "\n"), "partial=orphan"); hasOrphan != (tt.partial == "orphan") {
			t.Errorf("linger %v: orphan %v:\n%s", tt.linger, hasOrphan, strings.Join(got, "\n"))
		}
		if tt.linger > 0 && !strings.Contains(got[0], "cat_action=block") {
			t.Errorf("linger %v: the block did not join:\n%s", tt.linger, got[0])
		}
	}
}

// TestLingerEmitsWhenTheClockMoves: a lingering request is emitted once a
// later record moves the record clock past the linger, not only at exit.
func TestLingerEmitsWhenTheClockMoves(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn, Linger: time.Second})
	c := newCollector()
	f := &feeder{t: t}
	f.add(j, c, "blocked_conntrace")
	f.add(j, c, "blocked_summary")
	j.Tick(c.emit)
	if got := c.take(); len(got) != 0 {
		t.Fatalf("emitted before the linger passed: %v", got)
	}
	f.addFields(j, c, time.Time{}, "@timestamp", "2030-01-01T00:00:00.000+00:00", "host", "gw01", "log_id", "WR-SG-FILT-016")
	j.Tick(c.emit)
	// Both the filter notice and the request, now that its linger passed.
	got := strings.Join(c.take(), "\n")
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "log_id=WR-SG-FILT-016") || !strings.Contains(got, "log_id=WR-SG-SUMMARY req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0") {
		t.Errorf("after the clock moved:\n%s", got)
	}
}

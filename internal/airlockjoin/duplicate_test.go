package airlockjoin

import (
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

// TestReplayedChunk: Fluent Bit flushes the same chunk twice. The second
// time, nothing is emitted and every record counts as a duplicate.
func TestReplayedChunk(t *testing.T) {
	chunk := []step{add("blocked_conntrace"), add("blocked_summary"), add("blocked_block"), add("blocked_blockdet"),
		add("session_start"), add("request_tls_start"), add("request_conntrace"), add("request_summary"),
		add("login_summary"), add("backend_error"), add("session_end"), tick}
	for _, mode := range []ConntraceMode{ConntraceAuto, ConntraceOn, ConntraceOff} {
		t.Run(mode.String(), func(t *testing.T) {
			j := newJoiner(t, Config{Conntrace: mode})
			first := run(t, j, chunk...)
			requests, sessions, _ := j.Pending()
			before := j.Counters()
			if again := run(t, j, chunk...); len(again) != 0 {
				t.Errorf("the replayed chunk gave %d outputs:\n\t%s", len(again), strings.Join(again, "\n\t"))
			}
			after := j.Counters()
			if after.Duplicate != before.Duplicate+11 || after.In != before.In+11 {
				t.Errorf("counters before the replay: %s\nafter: %s\nwant 11 more in and duplicate", before, after)
			}
			if r, s, _ := j.Pending(); r != requests || s != sessions {
				t.Errorf("pending after the replay: %d requests, %d sessions; before: %d, %d", r, s, requests, sessions)
			}
			rest := run(t, j, drain)
			// The blocked request, the request with its TLS start, the
			// login, the session, the back-end error.
			if got := len(first) + len(rest); got != 5 {
				t.Errorf("%d outputs in all, want 5:\n\t%s", got, strings.Join(append(first, rest...), "\n\t"))
			}
			if err := j.Counters().Check(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDuplicatesAndOrphans(t *testing.T) {
	const id = "ZebVfGq3rXx9Qm2kYcE1HwAAAEk" // request_*'s req_id
	tests := []struct {
		name     string
		steps    []step
		fields   []string // added after steps, then the Joiner is ticked and drained
		want     []string
		counters string
	}{
		{"replayed while pending",
			[]step{add("request_conntrace"), tick, add("request_conntrace"), tick}, nil,
			[]string{withPartial(lineRequestConntrace, "shutdown")},
			"in=2 joined=0 partial=1 duplicate=1 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1"},
		{"a different record of a kind pending",
			[]step{add("request_conntrace")}, conntraceFields(id),
			[]string{withPartial(lineConntrace(id), "orphan"), withPartial(lineRequestConntrace, "shutdown")},
			"in=2 joined=0 partial=1 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=1"},
		{"a record after its request was emitted",
			[]step{add("blocked_conntrace"), add("blocked_summary"), tick, add("blocked_blockdet"), tick}, nil,
			[]string{lineBlockedUnblocked, withPartial(lineBlockedDetail, "orphan")},
			"in=3 joined=2 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"a different record of a kind emitted (reused req_id)",
			[]step{add("request_conntrace"), add("request_summary"), tick}, conntraceFields(id),
			[]string{lineRequest, withPartial(lineConntrace(id), "orphan")},
			"in=3 joined=2 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"the records of a request emitted again, and a different one",
			[]step{add("request_conntrace"), add("request_summary"), tick, add("request_summary"), add("request_conntrace")}, conntraceFields(id),
			[]string{lineRequest, withPartial(lineConntrace(id), "orphan")},
			"in=5 joined=2 partial=0 duplicate=2 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"an orphan replayed",
			[]step{add("blocked_conntrace"), add("blocked_summary"), tick, add("blocked_blockdet"), tick,
				add("blocked_blockdet"), add("blocked_summary"), tick}, nil,
			[]string{lineBlockedUnblocked, withPartial(lineBlockedDetail, "orphan")},
			"in=5 joined=2 partial=0 duplicate=2 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"records of a request that timed out",
			[]step{add("blocked_block"), tick, addAt("reject", time.Hour), add("blocked_block"), add("blocked_summary")}, nil,
			[]string{withPartial(lineBlockedBlock, "timeout"), lineReject, withPartial(lineBlockedSummary, "orphan")},
			"in=4 joined=1 partial=1 duplicate=1 orphan=1 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
		{"session end replayed",
			[]step{add("session_start"), add("session_end"), add("session_end"), add("session_start")}, nil,
			[]string{lineSession},
			"in=4 joined=2 partial=0 duplicate=2 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"summary without req_id", nil,
			[]string{"@timestamp", "2024-03-05T09:12:44.331+01:00", "host", "gw01", "log_id", "WR-SG-SUMMARY", "http_status", "200"},
			[]string{`[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 result=200 log_id=WR-SG-SUMMARY partial=orphan`},
			"in=1 joined=0 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"req_id too long to be one", nil,
			[]string{"log_id", "WR-SG-CONNTRACE", "host", "gw01", "req_id", strings.Repeat("x", maxIDLen+1)},
			[]string{`[1] id=firewall time="2024-03-05 08:12:00" fw=gw01 pri=6 log_id=WR-SG-CONNTRACE req_id=` + strings.Repeat("x", maxIDLen+1) + ` partial=orphan`},
			"in=1 joined=0 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"record too large to keep", nil,
			[]string{"log_id", "WR-SG-CONNTRACE", "host", "gw01", "req_id", id, "x_big", strings.Repeat("a", maxPendingValue)},
			[]string{`[1] id=firewall time="2024-03-05 08:12:00" fw=gw01 pri=6 log_id=WR-SG-CONNTRACE req_id=` + id + ` x_big=` + strings.Repeat("a", maxPendingValue) + ` partial=orphan`},
			"in=1 joined=0 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"session end without sess_id", nil,
			[]string{"log_id", "WR-SG-SESS-005", "host", "gw01", "lifetime", "5"},
			[]string{`[1] id=firewall time="2024-03-05 08:12:00" fw=gw01 pri=6 duration=5 log_id=WR-SG-SESS-005 partial=orphan`},
			"in=1 joined=0 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"records that are not joined pass through", []step{add("reject"), add("reject")},
			[]string{"log_id", "WR-SG-FILT-016", "host", "gw01", "req_id", id, "message", "header not allowed"},
			[]string{lineReject, lineReject,
				`[1] id=firewall time="2024-03-05 08:12:00" fw=gw01 pri=6 msg="header not allowed" log_id=WR-SG-FILT-016 req_id=` + id},
			"in=3 joined=3 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(t, Config{Conntrace: ConntraceOn})
			got := run(t, j, tt.steps...)
			c := newCollector()
			if tt.fields != nil {
				(&feeder{t: t}).addFields(j, c, base, tt.fields...)
			}
			j.Tick(c.emit)
			j.Drain(c.emit)
			diffLines(t, "outputs", append(got, c.take()...), tt.want)
			checkCounters(t, j, tt.counters)
		})
	}
}

// TestRecentCapacity: a record of a request forgotten since it was
// emitted is taken for the first of a new one.
func TestRecentCapacity(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn, RecentCapacity: 1})
	// The request is 18 s older than the blocked one: it waits for late
	// records until a reject moves the clock on (and goes out first).
	got := run(t, j, add("blocked_conntrace"), add("blocked_summary"), tick,
		add("request_conntrace"), add("request_summary"), tick, addAt("reject", 2*time.Minute), tick, add("blocked_block"), drain)
	diffLines(t, "outputs", got, []string{lineBlockedUnblocked, lineRequest, lineReject, withPartial(lineBlockedBlock, "shutdown")})
	checkCounters(t, j, "in=6 joined=5 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1")
}

// TestEmittedForgets: the fields remembered of emitted records are
// forgotten with their IDs, so the memory stays within RecentCapacity.
func TestEmittedForgets(t *testing.T) {
	e := newEmitted(2)
	for i := range 10 {
		id := string(rune('a' + i))
		var rec airlock.Record
		rec.Set([]byte("req_id"), []byte(id))
		p := newPending(appendComponent(nil, &rec, airlock.KindSummary, base), airlock.KindSummary, 0)
		e.insertNewOutput(id, bit(airlock.KindSummary), p)
		e.add([]byte(id), bit(airlock.KindBlock))
		e.noteRecord([]byte(id), airlock.KindBlock, []byte("x"))
	}
	if len(e.kinds) != 2 || len(e.records) != 4 {
		t.Errorf("%d IDs and %d records remembered, want 2 and 4", len(e.kinds), len(e.records))
	}
}

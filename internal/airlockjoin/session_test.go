package airlockjoin

import (
	"strings"
	"testing"
	"time"
)

// The fixtures' session.
const fixtureSession = "3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4"

// sessionStartOf is a minimal session start.
func sessionStartOf(id, user string) []string {
	return []string{"@timestamp", "2024-03-05T09:12:44.329+01:00", "host", "gw01", "log_id", "WR-SG-SESS-004",
		"sess_id", id, "audit_token", user, "client_ip", "198.51.100.23"}
}

func TestSessions(t *testing.T) {
	const sessionOf = "[1] id=firewall time=\"2024-03-05 08:12:44\" fw=gw01 pri=6 src=198.51.100.23 user=alice@example.com log_id=WR-SG-SESS-004 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4"
	tests := []struct {
		name     string
		cfg      Config
		start    []string // a session start given as fields, before the steps
		steps    []step
		want     []string
		sessions int // pending at the end, before Drain
		counters string
	}{
		{"the user of a later summary", Config{},
			nil,
			[]step{add("session_start"), add("login_summary"), add("account_summary"), tick, add("session_end"), tick},
			[]string{lineLogin, lineAccount, lineSession},
			0, "in=4 joined=4 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"no session context", Config{},
			nil,
			[]step{add("account_summary"), tick},
			[]string{lineAccountAnonymous},
			0, "in=1 joined=1 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"the user of the session start", Config{},
			sessionStartOf(fixtureSession, "alice@example.com"),
			[]step{add("account_summary"), tick},
			[]string{strings.Replace(lineAccount, "jdoe@", "alice@", 1)},
			1, "in=2 joined=1 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		// The login's own user stays; the session keeps its first one,
		// also in the session record, and what the session end says
		// comes as audit_token beside it (not lost).
		{"the first user wins", Config{},
			sessionStartOf(fixtureSession, "alice@example.com"),
			[]step{add("login_summary"), add("account_summary"), tick, add("session_end"), tick},
			[]string{lineLogin, strings.Replace(lineAccount, "jdoe@", "alice@", 1),
				"[2] id=firewall time=\"2024-03-05 08:48:10\" fw=gw01 pri=6 src=198.51.100.23 user=alice@example.com duration=2126 msg=\"idle timeout\" log_id=WR-SG-SESS-005 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 audit_token=jdoe@example.com"},
			0, "in=4 joined=4 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		// A session end waits for its start as a summary for its
		// conntrace: Correlation_Timeout, then it is written alone.
		{"session end without start", Config{},
			nil,
			[]step{add("session_end"), tick, addAt("reject", 36*time.Minute+41*time.Second), tick, addAt("reject", 36*time.Minute+42*time.Second), tick},
			[]string{lineReject, withPartial(lineSessionEnd, "timeout"), lineReject},
			0, "in=3 joined=2 partial=1 duplicate=0 orphan=0 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
		{"session end without start at shutdown", Config{},
			nil,
			[]step{add("session_end"), tick, drain},
			[]string{withPartial(lineSessionEnd, "shutdown")},
			0, "in=1 joined=0 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1"},
		// Workers or a retry delivered the end first: it waits, and the
		// start, a flush later, completes the session, which then waits
		// for late records too (here until the shutdown).
		{"session end before its start", Config{},
			nil,
			[]step{add("session_end"), tick, add("session_start"), tick, release},
			[]string{lineSession},
			0, "in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"session end before its start and the user's summary", Config{},
			nil,
			[]step{add("session_end"), tick, add("session_start"), add("login_summary"), add("account_summary"), tick, release},
			[]string{lineLogin, lineAccount, lineSession},
			0, "in=4 joined=4 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"a session end twice", Config{},
			nil,
			[]step{add("session_end"), add("session_end"), add("session_start"), tick},
			[]string{lineSession},
			0, "in=3 joined=2 partial=0 duplicate=1 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		// Timed out an hour after 08:12:44.329; the end is then late.
		{"session timeout", Config{},
			nil,
			[]step{add("session_start"), addAt("reject", time.Hour+44329*time.Millisecond), addAt("reject", time.Hour+44330*time.Millisecond),
				add("session_end")},
			[]string{lineReject, withPartial(lineSessionStart, "timeout"), lineReject, withPartial(lineSessionEnd, "orphan")},
			0, "in=4 joined=2 partial=1 duplicate=0 orphan=1 partial_timeout=1 partial_pressure=0 partial_shutdown=0"},
		{"a request keeps its session alive", Config{},
			nil,
			[]step{add("session_start"), addAt("account_summary", 50*time.Minute), tick, addAt("reject", 61*time.Minute)},
			[]string{lineAccountAnonymous, lineReject},
			1, "in=3 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
		{"session pressure", Config{MaxPending: 1},
			sessionStartOf("0000000000000000000000000000000a", "alice@example.com"),
			[]step{add("session_start")},
			[]string{withPartial(strings.Replace(sessionOf, fixtureSession, "0000000000000000000000000000000a", 1), "pressure")},
			1, "in=2 joined=0 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=1 partial_shutdown=0"},
		// Not a replay: emitted on its own rather than dropped.
		{"a different start of the same session", Config{},
			sessionStartOf(fixtureSession, "alice@example.com"),
			[]step{add("session_start")},
			[]string{withPartial(lineSessionStartAsIs, "orphan")},
			1, "in=2 joined=0 partial=0 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=0 partial_shutdown=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJoiner(t, tt.cfg)
			c := newCollector()
			if tt.start != nil {
				(&feeder{t: t}).addFields(j, c, time.Time{}, tt.start...)
			}
			got := append(c.take(), run(t, j, tt.steps...)...)
			diffLines(t, "outputs", got, tt.want)
			if _, sessions, _ := j.Pending(); sessions != tt.sessions {
				t.Errorf("pending sessions = %d, want %d", sessions, tt.sessions)
			}
			if tt.sessions == 0 {
				checkCounters(t, j, tt.counters)
			} else if got := j.Counters().String(); got != tt.counters {
				t.Errorf("counters:\n got %s\nwant %s", got, tt.counters)
			}
		})
	}
}

package airlockjoin

import (
	"github.com/welfbridge/welfbridge/internal/correlate"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

func TestParseConntrace(t *testing.T) {
	tests := []struct {
		in   string
		want ConntraceMode
		err  string
	}{
		{"", ConntraceAuto, ""},
		{"auto", ConntraceAuto, ""},
		{" On ", ConntraceOn, ""},
		{"OFF", ConntraceOff, ""},
		{"yes", 0, `conntrace mode "yes": allowed: auto, on, off`},
	}
	for _, tt := range tests {
		got, err := ParseConntrace(tt.in)
		if errText(err) != tt.err || got != tt.want {
			t.Errorf("ParseConntrace(%q) = %v, %q; want %v, %q", tt.in, got, errText(err), tt.want, tt.err)
		}
	}
	for m, want := range map[ConntraceMode]string{ConntraceAuto: "auto", ConntraceOn: "on", ConntraceOff: "off", 7: "ConntraceMode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", m, got, want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want Config // after defaults
		err  string
	}{
		{"defaults", Config{},
			Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 100_000, MaxPendingBytes: 64 << 20, RecentCapacity: 100_000}, ""},
		{"recent capacity follows max pending", Config{MaxPending: 5, Conntrace: ConntraceOff, Clock: correlate.ClockWall},
			Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 5, MaxPendingBytes: 64 << 20, RecentCapacity: 5, Conntrace: ConntraceOff, Clock: correlate.ClockWall}, ""},
		{"negative timeout", Config{Timeout: -1}, Config{}, "airlockjoin: invalid config: correlation timeout -1ns is negative"},
		{"negative session timeout", Config{SessionTimeout: -time.Second}, Config{}, "airlockjoin: invalid config: session timeout -1s is negative"},
		{"negative max pending", Config{MaxPending: -1}, Config{}, "airlockjoin: invalid config: max pending -1 is negative"},
		{"negative max pending bytes", Config{MaxPendingBytes: -1}, Config{}, "airlockjoin: invalid config: max pending bytes -1 is negative"},
		{"negative recent capacity", Config{RecentCapacity: -1}, Config{}, "airlockjoin: invalid config: recent capacity -1 is negative"},
		{"unknown conntrace mode", Config{Conntrace: 3}, Config{}, "airlockjoin: invalid config: conntrace mode 3 is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := New(tt.cfg)
			if errText(err) != tt.err {
				t.Fatalf("New: %v, want %s", err, tt.err)
			}
			if err == nil && j.cfg != tt.want {
				t.Errorf("config %+v, want %+v", j.cfg, tt.want)
			}
		})
	}
}

// TestSmallestBytesCap: a cap too small for any request still emits
// every record: evicted at once, so the second half of the request is an
// orphan.
func TestSmallestBytesCap(t *testing.T) {
	j := newJoiner(t, Config{MaxPendingBytes: 1, Conntrace: ConntraceOn})
	got := run(t, j, add("request_conntrace"), add("session_start"), add("request_summary"), tick, drain)
	diffLines(t, "outputs", got, []string{withPartial(lineRequestConntrace, "pressure"),
		withPartial(lineSessionStart, "pressure"), withPartial(lineRequestSummary, "orphan")})
	checkCounters(t, j, "in=3 joined=0 partial=2 duplicate=0 orphan=1 partial_timeout=0 partial_pressure=2 partial_shutdown=0")
}

// TestCallerMistakes: a nil record is no record; a nil emit loses the
// outputs, counted as usual, but does not crash the host.
func TestCallerMistakes(t *testing.T) {
	j := newJoiner(t, Config{})
	j.Add(nil, base, func(*Output) { t.Error("emitted for a nil record") })
	var rec airlock.Record
	if err := airlock.ParseLine(fixture(t, "reject"), &rec); err != nil {
		t.Fatal(err)
	}
	j.Add(&rec, base, nil)
	run(t, j, add("request_conntrace"))
	j.Tick(nil)
	j.Drain(nil)
	checkCounters(t, j, "in=2 joined=1 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1")
}

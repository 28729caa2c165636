package airlockjoin

import (
	"testing"
)

// TestHostileKeysJoin: whatever keys the records of a request hold — an
// empty key, a known key repeated with another value, an unknown key that
// two records give different values — the joined record keeps every
// value, also when State_File carries the request over a restart (classes
// 6 and 7).
func TestHostileKeysJoin(t *testing.T) {
	conntrace := []string{"log_id", "WR-SG-CONNTRACE", "host", "gw01", "req_id", "R1",
		"", "empty", "x", "from conntrace", "client_ip", "1.1.1.1", "client_ip", "2.2.2.2", "@", "at"}
	summary := []string{"log_id", "WR-SG-SUMMARY", "host", "gw01", "req_id", "R1",
		"x", "from summary", "", "empty", "http_status", "200", "http_status", "999"}
	const want = `[2] id=firewall time="2024-03-05 08:12:00" fw=gw01 pri=6 src=2.2.2.2 result=999 log_id=WR-SG-SUMMARY req_id=R1 ` +
		`x="from summary" _=empty http_status=200 x_2="from conntrace" client_ip=1.1.1.1 __2=at`
	const counters = "in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0"
	cfg := Config{Conntrace: ConntraceOn}
	for _, restarted := range []bool{false, true} {
		j := newJoiner(t, cfg)
		c := newCollector()
		(&feeder{t: t}).addFields(j, c, base, conntrace...)
		if restarted {
			j = restart(t, j, cfg, 1)
		}
		(&feeder{t: t}).addFields(j, c, base, summary...)
		j.Tick(c.emit)
		j.Drain(c.emit)
		diffLines(t, "outputs", c.take(), []string{want})
		if !restarted {
			checkCounters(t, j, counters)
		}
	}
}

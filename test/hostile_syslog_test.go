package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
	"github.com/welfbridge/welfbridge/internal/transport/syslogngtest"
)

// hostileHosts are gateway hosts (the Airlock "host" field, which becomes
// the syslog HOSTNAME) that a syslog parser could take for something else
// than a host name: a TAG with a PID, a TAG, a path, an address.
var hostileHosts = []string{"sshd[1]", "evil:", "cron", "gw/01", "a@b", "[::1]", "2001:db8::1", "gw:1", "gw]", "gw 01", "gw\nx", "gw.", "_", "gw-", "-"}

// TestHostileSyslogHost: whatever a record's gateway host holds, a real
// rsyslog reads the syslog message's MSG as the WELF record, byte for byte,
// over RFC 3164 and RFC 5424: the host cannot shift the header (pose as the
// TAG, forge the program name a receiver routes on, or push the TAG into
// the MSG).
func TestHostileSyslogHost(t *testing.T) {
	var lines []string
	for i, h := range hostileHosts {
		lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-X","host":%s,"req_id":"H%d"}`, jsonString(h), i))
	}
	dir := t.TempDir()
	in := writeLines(t, dir, "in.log", lines...)
	// The WELF records, as a file destination writes them.
	file := filepath.Join(dir, "out.welf")
	mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+file, "Time_Zone UTC", "Line_Ending lf", single))
	want := strings.Split(strings.TrimSuffix(readOutput(t, file), "\n"), "\n")
	if len(want) != len(lines) {
		t.Fatalf("%d records for %d lines", len(want), len(lines))
	}
	for _, format := range []string{"rfc3164", "rfc5424"} {
		t.Run(format, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{UDP: true})
			mustRun(t, tailInput("a", in)+welfOutput("*", "Destination udp://"+s.UDPAddr, "Syslog_Format "+format, "Time_Zone UTC", single))
			got := s.WaitLines(len(want), 10*time.Second)
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], " ") // rsyslog keeps RFC 3164's space before MSG
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("host %q: rsyslog MSG\n got %s\nwant %s", hostileHosts[i], got[i], want[i])
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d messages, want %d", len(got), len(want))
			}
		})
	}
	// syslog-ng too (RFC 3164 and RFC 5424 over TCP).
	for _, format := range []string{"rfc3164", "rfc5424"} {
		t.Run("syslog-ng "+format, func(t *testing.T) {
			s := syslogngtest.Start(t, syslogngtest.Config{})
			mustRun(t, tailInput("a", in)+welfOutput("*", "Destination tcp://"+s.TCPAddr, "Syslog_Format "+format, "Time_Zone UTC", single))
			s.WaitRecords(len(want), 20*time.Second)
			got := s.Records()
			for i := range min(len(got), len(want)) {
				if got[i].MSG != want[i] {
					t.Errorf("host %q: syslog-ng MSG\n got %s\nwant %s", hostileHosts[i], got[i].MSG, want[i])
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d messages, want %d", len(got), len(want))
			}
		})
	}
}

// TestHostileOversizeUDP: records whose structured fields alone exceed a
// UDP datagram (a huge host, req_id, client_ip) are counted and reported,
// not sent, and do not hold up the records behind them (they were retried
// until the shutdown dropped every record of the batch).
func TestHostileOversizeUDP(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("h", 70000)
	lines := []string{
		`{"log_id":"WR-SG-X","host":"` + huge + `","req_id":"A"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"B1"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"` + huge + `"}`,
		`{"log_id":"WR-SG-X","host":"gw","client_ip":"` + huge + `"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"B2"}`,
	}
	s := rsyslogtest.Start(t, rsyslogtest.Config{UDP: true})
	r := mustRun(t, tailInput("a", writeLines(t, dir, "in.log", lines...), "Buffer_Max_Size 1M")+
		welfOutput("*", "Destination udp://"+s.UDPAddr, "Time_Zone UTC", "Shutdown_Timeout 2s", single))
	equalLines(t, "rsyslog MSG", s.WaitLines(2, 10*time.Second), []string{
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X req_id=B1`,
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X req_id=B2`,
	})
	if n := strings.Count(r.stderr, "more than Max_Size 2048 (its structured fields alone exceed it)"); n != 3 {
		t.Errorf("%d records reported too large, want 3:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, "exit: events=5 written=2 unparsed=3 ") || !strings.Contains(r.stderr, " dropped=0 ") {
		t.Errorf("counters:\n%s", r.stderr)
	}
}

// TestHostileOversizeSplit: a record whose structured fields alone exceed
// Max_Size (a URL, a req_id) would be cut by a receiver with that limit
// (rsyslog's default maxMessageSize is 8k) and the rest read as a message
// of its own, in both framings: a forged record starting where the
// attacker chose. It is counted and reported instead, never sent.
func TestHostileOversizeSplit(t *testing.T) {
	dir := t.TempDir()
	forged := strings.Repeat("R", 12000) + ` id=firewall fw=bank pri=1 src=6.6.6.6 result=200`
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","req_id":"` + forged + `"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"B1","entry_path":"/` + strings.Repeat("a", 12000) + `/x?fw=bank"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"B2"}`,
	}
	in := writeLines(t, dir, "in.log", lines...)
	for _, framing := range []string{"lf", "octet-counting"} {
		t.Run(framing, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true, MaxMessageSize: "8k"})
			r := mustRun(t, tailInput("a", in, "Buffer_Max_Size 1M")+
				welfOutput("*", "Destination tcp://"+s.TCPAddr, "Framing "+framing, "Max_Size 8192", "Time_Zone UTC", single))
			equalLines(t, "rsyslog MSG", s.WaitLines(1, 10*time.Second), []string{
				`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X req_id=B2`,
			})
			time.Sleep(200 * time.Millisecond) // a forged message would have arrived by now
			if got := s.Lines(); len(got) != 1 {
				t.Errorf("%d messages at rsyslog, want 1", len(got))
			}
			if n := strings.Count(r.stderr, "more than Max_Size 8192"); n != 2 {
				t.Errorf("%d records reported too large, want 2:\n%s", n, r.stderr)
			}
		})
	}
}

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// sampleWELF returns the WELF lines the bundled sample becomes with
// Time_Zone UTC: the golden file, without its CR LF terminators.
func sampleWELF(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(fixture("golden/airlock_sample.welf"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got %d lines, want %d:\n%s", what, len(got), len(want), firstDiff(got, want))
	}
}

// TestSyslogToRsyslog delivers the sample through the plugin to a real
// rsyslog over every syslog carrier: rsyslog's parsed MSG is the WELF record,
// byte for byte.
func TestSyslogToRsyslog(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	tlsServer := &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey}
	mtlsServer := &rsyslogtest.TLS{AuthMode: "x509/certvalid", CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey}
	tests := []struct {
		name   string
		server rsyslogtest.Config
		props  func(s *rsyslogtest.Server) []string
		raw0   string // the first message as rsyslog received it, header included
	}{
		{"udp rfc5424", rsyslogtest.Config{UDP: true}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination udp://" + s.UDPAddr}
		}, `<134>1 2024-03-05T08:12:44.318000Z gw01 welfbridge - - - id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
		{"udp rfc3164", rsyslogtest.Config{UDP: true}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination udp://" + s.UDPAddr, "Syslog_Format rfc3164", "Syslog_Facility auth"}
		}, `<38>Mar  5 08:12:44 gw01 welfbridge: id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
		{"tcp octet-counting", rsyslogtest.Config{TCP: true}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination tcp://" + s.TCPAddr, "Syslog_Hostname proxy-1", "Syslog_Appname airlock"}
		}, `<134>1 2024-03-05T08:12:44.318000Z proxy-1 airlock - - - id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
		{"tcp lf", rsyslogtest.Config{TCP: true}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination tcp://" + s.TCPAddr, "Framing lf"}
		}, `<134>1 2024-03-05T08:12:44.318000Z gw01 welfbridge - - - id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
		{"tls", rsyslogtest.Config{TLS: tlsServer}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination tls://" + s.TLSAddr, "TLS_CA_File " + certs.CAFile}
		}, `<134>1 2024-03-05T08:12:44.318000Z gw01 welfbridge - - - id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
		{"mtls", rsyslogtest.Config{TLS: mtlsServer}, func(s *rsyslogtest.Server) []string {
			return []string{"Destination tls://" + s.TLSAddr, "TLS_CA_File " + certs.CAFile, "TLS_Cert_File " + certs.ClientCert, "TLS_Key_File " + certs.ClientKey}
		}, `<134>1 2024-03-05T08:12:44.318000Z gw01 welfbridge - - - id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23`},
	}
	want := sampleWELF(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, tt.server)
			r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
				welfOutput("airlock", append(tt.props(s), "Time_Zone UTC", single)...))
			equalLines(t, "rsyslog MSG", s.WaitLines(len(want), 20*time.Second), want)
			if raw := s.WaitRawLines(len(want), 10*time.Second); len(raw) == 0 || !strings.HasPrefix(raw[0], tt.raw0) {
				t.Errorf("raw message:\n got %.200q\nwant prefix %q", raw, tt.raw0)
			}
			if !strings.Contains(r.stderr, "exit: events=7 written=7 ") {
				t.Errorf("exit counters missing:\n%s", r.stderr)
			}
		})
	}
}

// TestReceiverDownAtStart: the receiver is down when the plugin starts and
// comes up a little later; every record arrives exactly once, in order.
func TestReceiverDownAtStart(t *testing.T) {
	for _, scheme := range []string{"tcp", "tls"} {
		t.Run(scheme, func(t *testing.T) {
			certs := rsyslogtest.GenerateCerts(t)
			cfg := rsyslogtest.Config{TCP: scheme == "tcp"}
			props := []string{"Time_Zone UTC", single, "Shutdown_Timeout 30s"}
			s := rsyslogtest.Start(t, cfg)
			if scheme == "tls" {
				s = rsyslogtest.Start(t, rsyslogtest.Config{TLS: &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey}})
				props = append(props, "Destination tls://"+s.TLSAddr, "TLS_CA_File "+certs.CAFile)
			} else {
				props = append(props, "Destination tcp://"+s.TCPAddr)
			}
			s.Stop()
			wait := startHarness(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", props...))
			time.Sleep(time.Second) // the plugin has tried and failed to connect by now
			s.Start()
			r := wait()
			if r.exit != 0 {
				t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
			}
			equalLines(t, "delivered", s.WaitLines(7, 10*time.Second), sampleWELF(t))
			if !strings.Contains(r.stderr, "connection refused") || !strings.Contains(r.stderr, " sent=7 ") {
				t.Errorf("want a logged connect failure and sent=7 in the exit counters:\n%s", r.stderr)
			}
		})
	}
}

// TestAdmissionControl: with the receiver down and Flush_Wait 0 (no waiting
// for room), the outbound buffer fills,
// FlushCtx returns FLB_RETRY without touching any state, the harness
// re-flushes those chunks later, and once the receiver is up every record
// arrives exactly once.
func TestAdmissionControl(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	s.Stop()
	wait := startHarness(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination tcp://"+s.TCPAddr, "Time_Zone UTC", single, "Queue_Max_Bytes 1", "Flush_Wait 0", "Retry_Limit no_limits", "Shutdown_Timeout 30s"),
		"--chunk-records", "1", "--retry-wait-ms", "100")
	time.Sleep(1500 * time.Millisecond)
	s.Start()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}
	got := s.WaitLines(7, 10*time.Second)
	want := sampleWELF(t)
	sort.Strings(got) // retried chunks are re-flushed after later ones
	sort.Strings(want)
	equalLines(t, "delivered", got, want)
	if !strings.Contains(r.stderr, "chunks go back to Fluent Bit with FLB_RETRY") || strings.Contains(r.stderr, "[flbhost] chunks=7 records=7 ok=7 retry=0") {
		t.Errorf("want FLB_RETRY from admission control:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "exit: events=7 written=7 ") {
		t.Errorf("each record must be processed exactly once:\n%s", r.stderr)
	}
}

// TestSpoolSurvivesRestart: the plugin stops with records it could not
// deliver; they stay in the spool and the next start delivers them, none
// twice.
func TestSpoolSurvivesRestart(t *testing.T) {
	spool := t.TempDir()
	s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	s.Stop()
	props := []string{"Destination tcp://" + s.TCPAddr, "Time_Zone UTC", single, "Spool_Dir " + spool, "Shutdown_Timeout 1s"}
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", props...))
	if !strings.Contains(r.stderr, "spool: spooled 7 records for the next start") {
		t.Fatalf("first run did not spool:\n%s", r.stderr)
	}

	s.Start()
	empty := filepath.Join(t.TempDir(), "empty.log")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	props[len(props)-1] = "Shutdown_Timeout 20s"
	r = mustRun(t, tailInput("airlock", empty)+welfOutput("airlock", props...))
	equalLines(t, "delivered after restart", s.WaitLines(7, 10*time.Second), sampleWELF(t))
	if !strings.Contains(r.stderr, " sent=7 ") {
		t.Errorf("second run: want sent=7:\n%s", r.stderr)
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would have arrived by now
	if n := len(s.Lines()); n != 7 {
		t.Errorf("receiver has %d records, want 7 (none twice)", n)
	}
}

// TestForwardDestination hands WELF back to a forward-protocol receiver
// (Fluent Bit's in_forward role) with chunk acknowledgements and gzip.
func TestForwardDestination(t *testing.T) {
	rcv := forwardtest.Start(t, forwardtest.Options{})
	mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination forward://"+rcv.Addr(), "Forward_Require_Ack on", "Forward_Tag welf.airlock", "Forward_Compress gzip", "Time_Zone UTC", single))
	events := rcv.WaitEvents(7, 10*time.Second)
	for _, m := range rcv.Messages() {
		if m.Mode != forwardtest.ModeCompressedPackedForward || !m.Acked {
			t.Errorf("message %+v: want CompressedPackedForward (gzip), acknowledged", m)
		}
	}
	want := sampleWELF(t)
	var got []string
	for _, e := range events {
		if e.Tag != "welf.airlock" {
			t.Errorf("tag %q", e.Tag)
		}
		got = append(got, e.Record["welf"])
	}
	equalLines(t, "forwarded welf lines", got, want)
	if len(events) == 7 {
		e := events[2] // the request summary
		if e.Record["src"] != "198.51.100.23" || e.Record["result"] != "200" || e.Record["agent"] != "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0" {
			t.Errorf("structured fields: %v", e.Record)
		}
		if wantTime := time.Date(2024, 3, 5, 8, 12, 44, 331e6, time.UTC); !e.Time.Equal(wantTime) {
			t.Errorf("event time %v, want %v", e.Time, wantTime)
		}
	}
}

// TestForwardSecureHandshake: over TLS, with a shared key and a user as an
// aggregating Fluent Bit would require them, every record arrives; with a
// wrong shared key none does, the failure names the likely cause, and the
// records are reported as given up at exit.
func TestForwardSecureHandshake(t *testing.T) {
	certs := forwardtest.NewCerts(t)
	secure := &forwardtest.Secure{SharedKey: "fleet-key", SelfHostname: "aggregator", Users: map[string]string{"welf": "pa55"}}
	props := func(addr, key string) []string {
		return []string{"Destination forward+tls://" + addr, "TLS_CA_File " + certs.CAFile, "Forward_Require_Ack on",
			"Forward_Shared_Key " + key, "Forward_Self_Hostname gw-collector", "Forward_Username welf", "Forward_Password pa55",
			"Time_Zone UTC", "Shutdown_Timeout 1s", single}
	}

	rcv := forwardtest.Start(t, forwardtest.Options{TLS: certs.ServerConfig(), Secure: secure})
	mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", props(rcv.Addr(), "fleet-key")...))
	var got []string
	for _, e := range rcv.WaitEvents(7, 10*time.Second) {
		got = append(got, e.Record["welf"])
	}
	equalLines(t, "forwarded welf lines", got, sampleWELF(t))

	wrong := forwardtest.Start(t, forwardtest.Options{TLS: certs.ServerConfig(), Secure: secure})
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", props(wrong.Addr(), "not-the-key")...))
	if n := wrong.EventCount(); n != 0 {
		t.Errorf("the receiver stored %d events from a client with the wrong key", n)
	}
	for _, want := range []string{
		"forward tls://" + wrong.Addr() + ": handshake: the receiver closed the connection after PING; in_forward does this when the shared key does not match",
		"not-the-key", // must not appear
	} {
		if strings.Contains(r.stderr, want) != (want != "not-the-key") {
			t.Errorf("stderr, looking for %q (a secret must not appear):\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "dropped 7 records: shutdown timeout (1s) reached") {
		t.Errorf("stderr does not account for the 7 undelivered records:\n%s", r.stderr)
	}
}

// TestMaxSizeTruncatesOnlyFreeText: with a tight Max_Size every whole
// syslog message fits, and only free-text WELF fields were shortened: the
// MSG still decodes as WELF, with every other field as without the cap.
func TestMaxSizeTruncatesOnlyFreeText(t *testing.T) {
	// The request summary needs 680 bytes, 523 of them structured fields that
	// are never cut: with 600 only its user agent and referrer give way.
	const maxSize = 600
	s := rsyslogtest.Start(t, rsyslogtest.Config{UDP: true})
	mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination udp://"+s.UDPAddr, "Syslog_Format rfc3164", fmt.Sprintf("Max_Size %d", maxSize), "Time_Zone UTC", single))
	raw := s.WaitRawLines(7, 20*time.Second)
	msgs := s.WaitLines(7, 20*time.Second)
	full := sampleWELF(t)
	if len(raw) != 7 || len(msgs) != 7 {
		t.Fatalf("got %d messages, want 7", len(raw))
	}
	truncated := 0
	for i := range msgs {
		if len(raw[i]) > maxSize {
			t.Errorf("message %d has %d bytes, over Max_Size %d: %s", i, len(raw[i]), maxSize, raw[i])
		}
		got, err := welf.Decode([]byte(msgs[i]))
		if err != nil {
			t.Fatalf("message %d is not valid WELF: %v\n%s", i, err, msgs[i])
		}
		want, _ := welf.Decode([]byte(full[i]))
		if msgs[i] != full[i] {
			truncated++
		}
		// Every field but the free-text ones is intact; free text is a prefix.
		wantByKey := map[string]string{}
		for _, f := range want {
			wantByKey[f.Key] = f.Value
		}
		for _, f := range got {
			switch f.Key {
			case "msg", "agent", "ref", "position", "reason":
				if !strings.HasPrefix(wantByKey[f.Key], f.Value) {
					t.Errorf("message %d: %s=%q is not a prefix of %q", i, f.Key, f.Value, wantByKey[f.Key])
				}
			default:
				if f.Value != wantByKey[f.Key] {
					t.Errorf("message %d: %s=%q, want %q", i, f.Key, f.Value, wantByKey[f.Key])
				}
			}
		}
	}
	if truncated == 0 {
		t.Error("no message needed shortening: the cap tests nothing")
	}
}

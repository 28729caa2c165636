package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// TestFailoverFirstReceiverDown: the first of two syslog receivers (TCP;
// TLS with one CA file for both, each verified as its own host) is down;
// every record arrives at the second, once, and the switch and the
// per-receiver counters are logged.
func TestFailoverFirstReceiverDown(t *testing.T) {
	for _, scheme := range []string{"tcp", "tls"} {
		t.Run(scheme, func(t *testing.T) {
			var a, b *rsyslogtest.Server
			var addrA, addrB string
			props := []string{"Time_Zone UTC", single}
			if scheme == "tls" {
				certs := rsyslogtest.GenerateCerts(t)
				cfg := rsyslogtest.Config{TLS: &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey}}
				a, b = rsyslogtest.Start(t, cfg), rsyslogtest.Start(t, cfg)
				// Different host names for the two, both in the certificate.
				addrA, addrB = strings.Replace(a.TLSAddr, "127.0.0.1", "localhost", 1), b.TLSAddr
				props = append(props, "TLS_CA_File "+certs.CAFile)
			} else {
				a, b = rsyslogtest.Start(t, rsyslogtest.Config{TCP: true}), rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
				addrA, addrB = a.TCPAddr, b.TCPAddr
			}
			a.Stop()
			props = append(props, "Destination "+scheme+"://"+addrA+", "+scheme+"://"+addrB)
			r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", props...))
			equalLines(t, "second receiver", b.WaitLines(7, 20*time.Second), sampleWELF(t))
			time.Sleep(200 * time.Millisecond)
			if n := len(b.Lines()); n != 7 {
				t.Errorf("second receiver got %d records, want 7", n)
			}
			if want := fmt.Sprintf("[ warn] [output:welf:welf.0] failover: switching from %s to %s: syslog %s://%s: connect: connection refused", addrA, addrB, scheme, addrA); !contains(stderrLines(r.stderr), want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			// Probes of the first receiver may fail before the exit, too.
			stats := regexp.MustCompile(`\[ info\] \[output:welf:welf.0\] failover stats: ` + regexp.QuoteMeta(addrA) + ` down sent=0 failures=[1-9]\d*; ` +
				regexp.QuoteMeta(addrB) + ` up sent=7 failures=0; switches=1 possible_duplicates=0\n`)
			if !stats.MatchString(r.stderr) {
				t.Errorf("stderr lacks %s:\n%s", stats, r.stderr)
			}
		})
	}
}

// TestFailoverRELPReceiverKilledMidStream kills the active RELP receiver
// (SIGKILL) while the plugin delivers; it stays down. Every record arrives
// at one of the two receivers, each receiver's in order, and the records
// both hold are no more than the possible duplicates the plugin reports.
func TestFailoverRELPReceiverKilledMidStream(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	in := filepath.Join(dir, "many.log")
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, `{"log_id":"WR-SG-SUMMARY","host":"gw01","req_id":"r%06d","http_method":"GET","entry_path":"/p","http_status":"200"}`+"\n", i)
	}
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf(`id=firewall time="2024-03-05 08:00:00" fw=gw01 pri=6 op=GET arg=/p result=200 log_id=WR-SG-SUMMARY req_id=r%06d`, i)
	}

	// Direct: rsyslog acknowledges a message only once it has written it.
	a := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true, Direct: true})
	b := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true, Direct: true})
	wait := startHarness(t, tailInput("a", in)+
		welfOutput("*", "Destination relp://"+a.RELPAddr+",relp://"+b.RELPAddr, "Time_Zone UTC", single, "Shutdown_Timeout 60s", "workers 1"),
		"--chunk-records", "500")
	waitFor(t, 20*time.Second, "the first records at the first receiver", func() bool { return len(a.Lines()) >= 2000 })
	a.Kill()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}

	var atB []string
	atA := a.Lines()
	waitFor(t, 30*time.Second, "every record at a receiver", func() bool {
		atB = b.Lines()
		return len(dedupe(append(append([]string(nil), atA...), atB...))) >= n
	})
	for name, got := range map[string][]string{"first receiver": atA, "second receiver": atB} {
		if !sort.StringsAreSorted(got) { // req_id counts up: sorted is in order
			t.Errorf("%s: records out of order", name)
		}
	}
	all := append(append([]string(nil), atA...), atB...)
	sort.Strings(all)
	equalLines(t, "delivered, duplicates removed", dedupe(all), want)
	duplicates := len(all) - n
	m := regexp.MustCompile(`failover stats: \S+ down sent=(\d+) failures=\d+; \S+ up sent=(\d+) failures=0; switches=1 possible_duplicates=(\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no failover counters in the log:\n%s", r.stderr)
	}
	sentA, _ := strconv.Atoi(m[1])
	sentB, _ := strconv.Atoi(m[2])
	possible, _ := strconv.Atoi(m[3])
	t.Logf("first receiver %d, second %d, duplicates %d; %s", len(atA), len(atB), duplicates, m[0])
	if sentA+sentB != n {
		t.Errorf("acknowledged %d + %d, want %d", sentA, sentB, n)
	}
	if duplicates > possible {
		t.Errorf("%d duplicates at the receivers, but only %d reported", duplicates, possible)
	}
	if !strings.Contains(r.stderr, "failover: switching from "+a.RELPAddr+" to "+b.RELPAddr+": ") {
		t.Errorf("no switch logged:\n%s", r.stderr)
	}
}

// TestFailoverAllReceiversDown: with both receivers down the outbound
// buffer fills and FlushCtx returns FLB_RETRY (back-pressure); once the
// second receiver is up every record arrives there exactly once.
func TestFailoverAllReceiversDown(t *testing.T) {
	a := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	b := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	a.Stop()
	b.Stop()
	// Fluent Bit's defaults (Retry_Limit 1): the flush waits for room
	// (Flush_Wait) rather than handing chunks back.
	wait := startHarness(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination tcp://"+a.TCPAddr+",tcp://"+b.TCPAddr, "Time_Zone UTC", single,
			"Queue_Max_Bytes 1", "Shutdown_Timeout 30s"),
		"--chunk-records", "1", "--retry-wait-ms", "100")
	time.Sleep(1500 * time.Millisecond)
	b.Start()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}
	equalLines(t, "delivered", b.WaitLines(7, 10*time.Second), sampleWELF(t))
	if !strings.Contains(r.stderr, " retry=0 error=0 dropped=0 ") {
		t.Errorf("want back-pressure as waiting, no chunk handed back:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "exit: events=7 written=7 ") {
		t.Errorf("each record must be processed exactly once:\n%s", r.stderr)
	}
	if want := "up sent=7 failures="; !strings.Contains(r.stderr, b.TCPAddr+" "+want) {
		t.Errorf("stderr lacks %q for the second receiver:\n%s", want, r.stderr)
	}
}

// TestFailoverConfigErrors: a Destination list with mixed schemes, a
// receiver twice or an empty element stops the start with a message naming
// the key.
func TestFailoverConfigErrors(t *testing.T) {
	for _, tt := range []struct{ dest, want string }{
		{"tls://siem-a:6514,relp://siem-b", `Destination: invalid value "tls://siem-a:6514,relp://siem-b": tls://siem-a:6514 and relp://siem-b:2514 mix schemes`},
		{"tcp://siem-a,tcp://siem-a:514", `Destination: invalid value "tcp://siem-a,tcp://siem-a:514": receiver siem-a:514 is listed twice`},
		{"tcp://siem-a,,tcp://siem-b", `Destination: invalid value "tcp://siem-a,,tcp://siem-b": element 2 of the list is empty`},
	} {
		r := runHarness(t, tailInput("airlock", fixture("airlock/sample.log"))+welfOutput("airlock", "Destination "+tt.dest))
		if r.exit == 0 || !strings.Contains(r.stderr, "invalid configuration:\n"+tt.want) {
			t.Errorf("%s: exit %d, want a failed start with %q:\n%s", tt.dest, r.exit, tt.want, r.stderr)
		}
	}
}

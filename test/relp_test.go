package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// TestRELPToRsyslog delivers the sample over RELP to rsyslog's imrelp.
func TestRELPToRsyslog(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true})
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination relp://"+s.RELPAddr, "Time_Zone UTC", single))
	equalLines(t, "rsyslog MSG", s.WaitLines(7, 20*time.Second), sampleWELF(t))
	if want := "[ info] [output:welf:welf.0] relp: acknowledged=7 resent=0 possible_duplicates=0 reconnects=0"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

// TestRELPOverTLSToRsyslog delivers the sample over RELP with TLS and a
// client certificate (TLS_* properties) to imrelp, which demands one.
func TestRELPOverTLSToRsyslog(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	s := rsyslogtest.Start(t, rsyslogtest.Config{RELPTLS: &rsyslogtest.RELPTLS{
		AuthMode: "name", PermittedPeer: "welfbridge",
		CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey,
	}})
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination relp+tls://"+s.RELPTLSAddr, "TLS_CA_File "+certs.CAFile,
			"TLS_Cert_File "+certs.ClientCert, "TLS_Key_File "+certs.ClientKey, "Time_Zone UTC", single))
	equalLines(t, "rsyslog MSG", s.WaitLines(7, 20*time.Second), sampleWELF(t))
	if want := "[ info] [output:welf:welf.0] relp: acknowledged=7 resent=0 possible_duplicates=0 reconnects=0"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

// TestRELPReceiverKilledMidStream kills rsyslog (SIGKILL) while the plugin
// is delivering over RELP, keeps it down for two seconds and restarts it.
// Every record arrives, in order of first arrival; the only duplicates are
// records resent after their acknowledgement was lost, and there are no
// more of them than the plugin reports.
func TestRELPReceiverKilledMidStream(t *testing.T) {
	const n = 60000
	dir := t.TempDir()
	in := filepath.Join(dir, "many.log")
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"log_id":"WR-SG-SUMMARY","host":"gw01","req_id":"r%06d","http_method":"GET","entry_path":"/p","http_status":"200"}`+"\n", i)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf(`id=firewall time="2024-03-05 08:00:00" fw=gw01 pri=6 op=GET arg=/p result=200 log_id=WR-SG-SUMMARY req_id=r%06d`, i)
	}

	// Direct: rsyslog acknowledges a message only once it has written it,
	// as a SIEM's rsyslog with a disk-assisted queue does; with its default
	// memory queue a SIGKILL loses messages it had already acknowledged.
	s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true, Direct: true})
	wait := startHarness(t, tailInput("a", in)+
		welfOutput("*", "Destination relp://"+s.RELPAddr, "Time_Zone UTC", single, "Shutdown_Timeout 60s", "workers 1"),
		"--chunk-records", "500")
	waitFor(t, 20*time.Second, "the first records at the receiver", func() bool { return len(s.Lines()) >= 2000 })
	s.Kill()
	time.Sleep(2 * time.Second)
	s.Start()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}

	var got []string
	waitFor(t, 30*time.Second, "every record at the receiver", func() bool {
		got = s.Lines()
		return len(dedupe(got)) >= n
	})
	equalLines(t, "delivered, duplicates removed", dedupe(got), want)
	duplicates := len(got) - n
	m := regexp.MustCompile(`relp: acknowledged=\d+ resent=(\d+) possible_duplicates=(\d+) reconnects=(\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no RELP counters in the log:\n%s", r.stderr)
	}
	possible, _ := strconv.Atoi(m[2])
	t.Logf("receiver saw %d duplicates; the plugin reported %d possible duplicates (%s)", duplicates, possible, m[0])
	if duplicates > possible {
		t.Errorf("%d duplicates at the receiver, but only %d reported", duplicates, possible)
	}
	if m[3] == "0" {
		t.Errorf("the kill went unnoticed: %s", m[0])
	}
}

// dedupe keeps the first occurrence of each line.
func dedupe(lines []string) []string {
	seen := make(map[string]bool, len(lines))
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

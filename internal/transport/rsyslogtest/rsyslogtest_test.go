package rsyslogtest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestServer checks the helper itself with hand-written messages: every
// input listens, both output files hold exactly what was sent, and a
// restarted server listens on the same ports and appends.
func TestServer(t *testing.T) {
	certs := GenerateCerts(t)
	s := Start(t, Config{UDP: true, TCP: true, PTCP: true, RELP: true,
		TLS: &TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey}})

	send := func(network, addr, data string) {
		t.Helper()
		c, err := net.Dial(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	send("udp", s.UDPAddr, "<134>1 2024-03-05T06:08:09.123456Z gw1 welfbridge - - - id=firewall pri=6 msg=udp")
	s.WaitLines(1, 10*time.Second) // UDP and TCP inputs run in different threads: keep the order
	send("tcp", s.TCPAddr, octetCounted("<134>Mar  5 06:08:09 gw1 welfbridge: id=firewall msg=ä"))
	s.WaitLines(2, 10*time.Second)
	send("tcp", s.PTCPAddr, "<134>1 - - - - - - id=firewall msg=ptcp\n") // LF framing
	s.WaitLines(3, 10*time.Second)

	pool := x509.NewCertPool()
	pem, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	c, err := tls.Dial("tcp", s.TLSAddr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte(octetCounted("<134>1 - - - - - - id=firewall msg=tls"))); err != nil {
		t.Fatal(err)
	}
	c.Close()

	want := []string{
		"id=firewall pri=6 msg=udp",
		"id=firewall msg=ä",
		"id=firewall msg=ptcp",
		"id=firewall msg=tls",
	}
	if got := s.WaitLines(len(want), 10*time.Second); !slices.Equal(got, want) {
		t.Errorf("Lines:\n got %q\nwant %q", got, want)
	}
	wantRaw := []string{
		"<134>1 2024-03-05T06:08:09.123456Z gw1 welfbridge - - - id=firewall pri=6 msg=udp",
		"<134>Mar  5 06:08:09 gw1 welfbridge: id=firewall msg=ä",
		"<134>1 - - - - - - id=firewall msg=ptcp",
		"<134>1 - - - - - - id=firewall msg=tls",
	}
	if got := s.WaitRawLines(len(wantRaw), 10*time.Second); !slices.Equal(got, wantRaw) { // raw.log may lag msg.log
		t.Errorf("RawLines:\n got %q\nwant %q", got, wantRaw)
	}
	if s.RELPAddr == "" {
		t.Error("no RELP input")
	}

	s.Kill()
	s.Start()
	send("tcp", s.TCPAddr, "<134>1 - - - - - - id=firewall msg=again\n")
	want = append(want, "id=firewall msg=again")
	if got := s.WaitLines(len(want), 10*time.Second); !slices.Equal(got, want) {
		t.Errorf("after restart:\n got %q\nwant %q", got, want)
	}
}

func octetCounted(msg string) string { return strconv.Itoa(len(msg)) + " " + msg }

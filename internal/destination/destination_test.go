package destination

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// logs collects warnings and errors.
type logs []string

func (l *logs) Infof(string, ...any)              {}
func (l *logs) Warnf(format string, args ...any)  { *l = append(*l, fmt.Sprintf(format, args...)) }
func (l *logs) Errorf(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }

func parse(t *testing.T, props map[string]string) *config.Config {
	t.Helper()
	c, err := config.Parse(func(key string) string {
		for k, v := range props {
			if strings.EqualFold(k, key) {
				return v
			}
		}
		return ""
	}, "collector")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var rec = sink.Record{Time: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), Severity: 4, Host: "gw01", Line: []byte("id=firewall pri=4")}

func TestStdoutAndFile(t *testing.T) {
	var out bytes.Buffer
	d, err := Open(parse(t, nil), &out, new(logs))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sink.Send([]sink.Record{rec}); err != nil || out.String() != "id=firewall pri=4\n" || d.Overhead != nil {
		t.Errorf("stdout: %v %q overhead=%v", err, out.String(), d.Overhead != nil)
	}

	path := filepath.Join(t.TempDir(), "out.welf")
	d, err = Open(parse(t, map[string]string{"Destination": "file://" + path}), nil, new(logs))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sink.Send([]sink.Record{rec}); err != nil {
		t.Fatal(err)
	}
	d.Sink.Close()
	if b, _ := os.ReadFile(path); string(b) != "id=firewall pri=4\r\n" {
		t.Errorf("file: %q", b)
	}
}

// TestUDPSyslog sends through the delivery engine and the UDP carrier to a
// real loopback socket.
func TestUDPSyslog(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	d, err := Open(parse(t, map[string]string{"Destination": "udp://" + conn.LocalAddr().String(), "Syslog_Facility": "local4"}), nil, new(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Sink.Close()
	if err := d.Sink.Send([]sink.Record{rec}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "<164>1 2024-03-05T08:00:00.000000Z gw01 welfbridge - - - id=firewall pri=4"
	if got := string(buf[:n]); got != want {
		t.Errorf("datagram:\n got %q\nwant %q", got, want)
	}
	if got, want := d.Overhead(&rec), len(want)-len(rec.Line); got != want {
		t.Errorf("overhead %d, want %d", got, want)
	}
	if d.Admit == nil || !d.Admit() {
		t.Error("a network destination must offer admission control, and admit an empty queue")
	}
}

func TestTLSErrors(t *testing.T) {
	_, err := Open(parse(t, map[string]string{"Destination": "tls://127.0.0.1", "TLS_CA_File": "/nonexistent/ca.pem"}), nil, new(logs))
	if err == nil || !strings.HasPrefix(err.Error(), "TLS settings (TLS_CA_File, TLS_Cert_File, TLS_Key_File): ") || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Errorf("got %v", err)
	}
	var l logs
	d, err := Open(parse(t, map[string]string{"Destination": "tls://127.0.0.1:6514", "TLS_Verify": "off"}), nil, &l)
	if err != nil {
		t.Fatal(err)
	}
	d.Sink.Close()
	want := logs{"TLS_Verify off: the certificate of 127.0.0.1:6514 is not verified; anyone on the path can read and change what is sent"}
	if fmt.Sprint(l) != fmt.Sprint(want) {
		t.Errorf("warnings %q", l)
	}
}

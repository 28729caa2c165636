package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{
			name:    "unknown network",
			cfg:     Config{Network: "dtls", Address: "127.0.0.1:6514"},
			wantErr: `unknown syslog network "dtls": want udp, tcp or tls`,
		},
		{
			name:    "address without port",
			cfg:     Config{Network: "tcp", Address: "siem.example"},
			wantErr: "syslog tcp://siem.example: address siem.example: missing port in address",
		},
		{
			name:    "invalid syslog options",
			cfg:     Config{Network: "udp", Address: "127.0.0.1:514", Syslog: syslog.Options{Facility: 24}},
			wantErr: "syslog udp://127.0.0.1:514: syslog facility 24 out of range 0..23",
		},
		{
			name:    "unframed stream",
			cfg:     Config{Network: "tcp", Address: "127.0.0.1:514", Framing: syslog.FramingNone},
			wantErr: "syslog tcp://127.0.0.1:514: framing none cannot delimit messages on a stream",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snk, err := New(tt.cfg)
			if err == nil {
				snk.Close()
				t.Fatalf("New succeeded, want %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("New error:\n got %q\nwant %q", err, tt.wantErr)
			}
		})
	}
}

// received is one message read by a test receiver and the connection it
// came on.
type received struct {
	conn int
	msg  string
}

// lfReceiver accepts connections and reports every LF-terminated message;
// with greet it first sends the client some bytes no syslog receiver would.
// Closing a connection is announced as a message "EOF".
func lfReceiver(t testing.TB, greet string) (string, <-chan received, chan<- struct{}) {
	t.Helper()
	msgs := make(chan received, 100)
	hangUp := make(chan struct{}, 1)
	var conns atomic.Int32
	addr := sinktest.Listen(t, nil, func(conn net.Conn) {
		defer conn.Close()
		id := int(conns.Add(1))
		if greet != "" {
			conn.Write([]byte(greet))
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					return
				}
				msgs <- received{id, line}
			case <-hangUp:
				conn.Close()
				msgs <- received{id, "EOF"}
				return
			}
		}
	})
	return addr, msgs, hangUp
}

func receive(t *testing.T, msgs <-chan received, n int) []received {
	t.Helper()
	var got []received
	for range n {
		select {
		case m := <-msgs:
			got = append(got, m)
		case <-time.After(waitTimeout):
			t.Fatalf("received %v, then nothing", got)
		}
	}
	return got
}

func rawRecords(lines ...string) []sink.Record {
	recs := make([]sink.Record, len(lines))
	for i, line := range lines {
		recs[i] = sink.Record{Line: []byte(line)}
	}
	return recs
}

// TestPeerClosedWhileIdle: the receiver closes the idle connection; the next
// batch goes over a new connection and none of it is lost.
func TestPeerClosedWhileIdle(t *testing.T) {
	addr, msgs, hangUp := lfReceiver(t, "")
	snk := newSink(t, Config{Network: "tcp", Address: addr, Framing: syslog.FramingLF, Syslog: syslog.Options{Format: syslog.FormatRaw}})

	if err := snk.Send(rawRecords("id=1", "id=2")); err != nil {
		t.Fatal(err)
	}
	got := receive(t, msgs, 2)
	hangUp <- struct{}{}
	got = append(got, receive(t, msgs, 1)...)
	if err := snk.Send(rawRecords("id=3")); err != nil {
		t.Fatal(err)
	}
	got = append(got, receive(t, msgs, 1)...)
	want := []received{{1, "id=1"}, {1, "id=2"}, {1, "EOF"}, {2, "id=3"}}
	if !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

// TestPeerSendsBytes: bytes from the receiver do not make the carrier drop a
// live connection.
func TestPeerSendsBytes(t *testing.T) {
	addr, msgs, _ := lfReceiver(t, "unexpected greeting\n")
	snk := newSink(t, Config{Network: "tcp", Address: addr, Framing: syslog.FramingLF, Syslog: syslog.Options{Format: syslog.FormatRaw}})

	for _, line := range []string{"id=1", "id=2", "id=3"} {
		if err := snk.Send(rawRecords(line)); err != nil {
			t.Fatal(err)
		}
	}
	want := []received{{1, "id=1"}, {1, "id=2"}, {1, "id=3"}}
	if got := receive(t, msgs, 3); !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

func TestOctetCountingOnTheWire(t *testing.T) {
	data := make(chan []byte, 1)
	addr := sinktest.Listen(t, nil, func(conn net.Conn) {
		defer conn.Close()
		var buf bytes.Buffer
		buf.ReadFrom(conn)
		data <- buf.Bytes()
	})
	snk, err := New(Config{Network: "tcp", Address: addr, Syslog: syslog.Options{Facility: 1, AppName: "app", Hostname: "host"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := []sink.Record{
		{Time: sinktest.Stamp, Severity: 3, Line: []byte(`id=firewall fw=a pri=3`)},
		{Time: sinktest.Stamp, Severity: 6, Line: []byte(`id=firewall fw=b pri=6 msg="Grüße"`)},
	}
	if err := snk.Send(recs); err != nil {
		t.Fatal(err)
	}
	snk.Close()
	want := "71 <11>1 2024-03-05T06:08:09.123456Z host app - - - id=firewall fw=a pri=3" +
		"85 <14>1 2024-03-05T06:08:09.123456Z host app - - - id=firewall fw=b pri=6 msg=\"Grüße\""
	select {
	case got := <-data:
		if string(got) != want {
			t.Errorf("on the wire:\n got %q\nwant %q", got, want)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the receiver saw no end of the connection")
	}
}

func TestUDPTooLarge(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	addr := pc.LocalAddr().String()
	snk := newSink(t, Config{Network: "udp", Address: addr, Syslog: syslog.Options{Format: syslog.FormatRaw}})

	recs := rawRecords("id=1", "id=2", "id="+strings.Repeat("x", maxDatagram), "id=4")
	err = snk.Send(recs)
	want := fmt.Sprintf("syslog udp://%s: record 2 has 65510 bytes: message too large for a UDP datagram (after 2 records were sent)", addr)
	if err == nil || err.Error() != want {
		t.Fatalf("Send: %v\nwant %q", err, want)
	}
	var partial *sink.PartialError
	if !errors.As(err, &partial) || partial.Sent != 2 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Send: %#v, want a *sink.PartialError with Sent 2 wrapping ErrTooLarge", err)
	}
	if err := snk.Send(recs[3:]); err != nil {
		t.Fatalf("Send after the failure: %v", err)
	}

	var got []string
	buf := make([]byte, 70000)
	for range 3 {
		pc.SetReadDeadline(time.Now().Add(waitTimeout))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	if want := []string{"id=1", "id=2", "id=4"}; !slices.Equal(got, want) {
		t.Errorf("datagrams %q, want %q", got, want)
	}
}

func TestSendAfterClose(t *testing.T) {
	addr, _, _ := lfReceiver(t, "")
	snk, err := New(Config{Network: "tcp", Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := snk.Close(); err != nil {
		t.Fatal(err)
	}
	err = snk.Send(rawRecords("id=1"))
	want := "syslog tcp://" + addr + ": use of closed network connection"
	if err == nil || err.Error() != want {
		t.Errorf("Send after Close: %v, want %q", err, want)
	}
	if err := snk.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCloseUnblocksSend: Close ends a Send stuck on a receiver that accepts
// but never reads, or never completes the TLS handshake, long before the
// carrier's own timeouts would.
func TestCloseUnblocksSend(t *testing.T) {
	tests := []struct {
		name    string
		network string
		recs    []sink.Record
		isErr   func(error) bool
	}{
		{
			name: "write", network: "tcp",
			// Far more than the socket buffers of both ends hold.
			recs:  rawRecords(slices.Repeat([]string{strings.Repeat("x", 1<<20)}, 64)...),
			isErr: func(err error) bool { return errors.Is(err, net.ErrClosed) },
		},
		{
			name: "tls handshake", network: "tls",
			recs:  rawRecords("id=1"),
			isErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first byte shows the carrier is connected and writing.
			firstByte := make(chan struct{})
			release := make(chan struct{})
			defer close(release)
			addr := sinktest.Listen(t, nil, func(conn net.Conn) {
				defer conn.Close()
				conn.Read(make([]byte, 1))
				close(firstByte)
				<-release // read no more, never answer
			})
			snk, err := New(Config{Network: tt.network, Address: addr, Framing: syslog.FramingLF,
				Syslog: syslog.Options{Format: syslog.FormatRaw}, DialTimeout: time.Hour, WriteTimeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			sent := make(chan error, 1)
			go func() { sent <- snk.Send(tt.recs) }()
			<-firstByte
			snk.Close()
			select {
			case err := <-sent:
				if !tt.isErr(err) {
					t.Errorf("Send: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Fatal("Send still blocked after Close")
			}
		})
	}
}

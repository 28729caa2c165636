package relp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// These tests run the client against fake RELP servers that misbehave on
// purpose; rsyslog_test.go runs it against the real one.

var rawSyslog = syslog.Options{Format: syslog.FormatRaw}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{
			name:    "address without port",
			cfg:     Config{Address: "siem.example"},
			wantErr: "syslog relp://siem.example: address siem.example: missing port in address",
		},
		{
			name:    "negative window",
			cfg:     Config{Address: "127.0.0.1:2514", Window: -1},
			wantErr: "syslog relp://127.0.0.1:2514: window -1 out of range 1..65536",
		},
		{
			name:    "window too large",
			cfg:     Config{Address: "127.0.0.1:2514", Window: MaxWindow + 1},
			wantErr: "syslog relp://127.0.0.1:2514: window 65537 out of range 1..65536",
		},
		{
			name:    "invalid syslog options",
			cfg:     Config{Address: "127.0.0.1:2514", Syslog: syslog.Options{Facility: 24}, TLS: &tls.Config{}},
			wantErr: "syslog relp+tls://127.0.0.1:2514: syslog facility 24 out of range 0..23",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err == nil {
				c.Close()
				t.Fatalf("New succeeded, want %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("New error:\n got %q\nwant %q", err, tt.wantErr)
			}
		})
	}
}

// recordingServer is ackAll that also delivers, once the client has closed
// the connection, every byte the client sent.
func recordingServer(t *testing.T) (string, <-chan string) {
	t.Helper()
	wire := make(chan string, 1)
	addr := fakeServer(t, nil, func(s *fakeSession) {
		var received bytes.Buffer
		s.r = newFrameReader(io.TeeReader(s.conn, &received))
		ackAll(nil)(s)
		s.waitClosed()
		wire <- received.String()
	})
	return addr, wire
}

func TestOnTheWire(t *testing.T) {
	recs := []sink.Record{
		{Time: sinktest.Stamp, Severity: 3, Line: []byte(`id=firewall fw=a pri=3`)},
		{Time: sinktest.Stamp, Severity: 6, Line: []byte(`id=firewall fw=b pri=6 msg="Grüße"`)},
	}
	const (
		open = "1 open 55 relp_version=0\nrelp_software=welfbridge\ncommands=syslog\n"
		msgA = "<11>1 2024-03-05T06:08:09.123456Z host app - - - id=firewall fw=a pri=3"
		msgB = "<14>1 2024-03-05T06:08:09.123456Z host app - - - id=firewall fw=b pri=6 msg=\"Grüße\""
	)
	tests := []struct {
		name string
		// txnr, when not 0, is set as the next transaction number after
		// the first Send, as if the session had carried that many.
		txnr int
		want string
	}{
		{
			name: "one session",
			want: open +
				"2 syslog 71 " + msgA + "\n3 syslog 85 " + msgB + "\n" +
				"4 syslog 71 " + msgA + "\n5 syslog 85 " + msgB + "\n" +
				"6 close 0\n",
		},
		{
			name: "transaction numbers wrap",
			txnr: 999_999_999,
			want: open +
				"2 syslog 71 " + msgA + "\n3 syslog 85 " + msgB + "\n" +
				"999999999 syslog 71 " + msgA + "\n1 syslog 85 " + msgB + "\n" +
				"2 close 0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, wire := recordingServer(t)
			c := newClient(t, Config{Address: addr, Syslog: syslog.Options{Facility: 1, AppName: "app", Hostname: "host"}})
			if err := c.Send(recs); err != nil {
				t.Fatal(err)
			}
			if tt.txnr != 0 {
				c.txnr, c.expect = tt.txnr, tt.txnr
			}
			if err := c.Send(recs); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			select {
			case got := <-wire:
				if got != tt.want {
					t.Errorf("on the wire:\n got %q\nwant %q", got, tt.want)
				}
			case <-time.After(waitTimeout):
				t.Fatal("the server saw no end of the connection")
			}
			if got, want := c.Stats(), (Stats{Sent: 4}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

// TestWindow: a server that acknowledges only a full window (and the end of
// the batch) sees no more than the window in flight, and every message.
func TestWindow(t *testing.T) {
	const total = 50
	for _, window := range []int{1, 4, 8} {
		t.Run(fmt.Sprintf("window %d", window), func(t *testing.T) {
			got := make(chan string, total)
			addr := fakeServer(t, nil, func(s *fakeSession) {
				if !s.open() {
					return
				}
				var unacked []int
				for received := 0; received < total; {
					f, ok := s.expect("syslog")
					if !ok {
						return
					}
					got <- string(f.data)
					received++
					unacked = append(unacked, f.txnr)
					if len(unacked) < window && received < total {
						continue
					}
					// Nothing acknowledged the last window: the client may
					// not have sent another message yet.
					if s.r.buffered() > 0 && received < total {
						s.t.Errorf("the client sent more than %d messages without an acknowledgement", window)
						return
					}
					for _, txnr := range unacked {
						s.w.WriteString(rsp(txnr, "200 OK"))
					}
					s.w.Flush()
					unacked = unacked[:0]
				}
				s.answerClose()
			})
			c := newClient(t, Config{Address: addr, Window: window, Syslog: rawSyslog})
			var recs []sink.Record
			for i := range total {
				recs = append(recs, rawRecords(fmt.Sprintf("id=%d", i))...)
			}
			if err := c.Send(recs); err != nil {
				t.Fatal(err)
			}
			if got, want := receive(t, got, total), sinktest.Lines(recs); !slices.Equal(got, want) {
				t.Errorf("received %q\nwant %q", got, want)
			}
		})
	}
}

// TestProtocolErrors: a server that answers the batch of five messages with
// reply gets an exact error and the acknowledged count; the retry of the
// rest goes over a new session to a well-behaved server.
func TestProtocolErrors(t *testing.T) {
	ok := func(txnrs ...int) string {
		var s string
		for _, txnr := range txnrs {
			s += rsp(txnr, "200 OK")
		}
		return s
	}
	tests := []struct {
		name       string
		reply      string
		hangUp     bool          // close the connection after reply
		ackTimeout time.Duration // 0: an hour
		wantErr    string        // after "syslog relp://ADDR: "
		wantSent   int
	}{
		{
			name:     "refused",
			reply:    ok(2, 3) + rsp(4, "500 error"),
			wantErr:  `server refused transaction 4: "500 error" (after 2 records were sent)`,
			wantSent: 2,
		},
		{
			name:    "refused with more lines",
			reply:   rsp(2, "500 message too long\nsee the server log"),
			wantErr: `server refused transaction 2: "500 message too long"`,
		},
		{
			name:     "wrong transaction number",
			reply:    ok(2, 5),
			wantErr:  "server answered transaction 5, want 3 (after 1 records were sent)",
			wantSent: 1,
		},
		{
			name:    "garbage",
			reply:   "hello world\n",
			wantErr: "bad frame from server: transaction number starts with 'h', want a digit",
		},
		{
			name:    "unexpected command",
			reply:   "2 syslog 1 x\n",
			wantErr: `bad frame from server: unexpected command "syslog"`,
		},
		{
			name:    "answer without status",
			reply:   rsp(2, "OK"),
			wantErr: `bad frame from server: answer "OK" to transaction 2 has no status code`,
		},
		{
			name:    "answer too long",
			reply:   "2 rsp 70000 200 OK",
			wantErr: "bad frame from server: data length 70000 exceeds 65536",
		},
		{
			name:     "trailer missing",
			reply:    ok(2) + "3 rsp 6 200 OKX",
			wantErr:  `bad frame from server: 'X' after 6 data bytes, want a line feed (after 1 records were sent)`,
			wantSent: 1,
		},
		{
			name:     "closed mid-window",
			reply:    ok(2, 3, 4),
			hangUp:   true,
			wantErr:  "server closed the connection (after 3 records were sent)",
			wantSent: 3,
		},
		{
			name:    "closed inside a frame",
			reply:   "2 rsp 6 200",
			hangUp:  true,
			wantErr: "server closed the connection inside a frame",
		},
		{
			name:     "serverclose",
			reply:    ok(2, 3) + "0 serverclose 0\n",
			hangUp:   true,
			wantErr:  "server closed the session (after 2 records were sent)",
			wantSent: 2,
		},
		{
			name:       "no acknowledgement",
			reply:      ok(2),
			ackTimeout: 50 * time.Millisecond,
			wantErr:    "no acknowledgement within 50ms: i/o timeout (after 1 records were sent)",
			wantSent:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 10)
			addr := fakeServer(t, nil, func(s *fakeSession) {
				if s.index > 1 {
					ackAll(got)(s)
					return
				}
				if !s.open() {
					return
				}
				for range 5 {
					if _, ok := s.expect("syslog"); !ok {
						return
					}
				}
				s.send(tt.reply)
				if !tt.hangUp {
					s.waitClosed()
				}
			})
			cfg := Config{Address: addr, Syslog: rawSyslog, AckTimeout: tt.ackTimeout}
			if cfg.AckTimeout == 0 {
				cfg.AckTimeout = time.Hour
			}
			c := newClient(t, cfg)
			recs := rawRecords("id=1", "id=2", "id=3", "id=4", "id=5")

			err := c.Send(recs)
			want := "syslog relp://" + addr + ": " + tt.wantErr
			if err == nil || err.Error() != want {
				t.Fatalf("Send:\n got %v\nwant %q", err, want)
			}
			var partial *sink.PartialError
			switch {
			case tt.wantSent == 0 && errors.As(err, &partial):
				t.Errorf("Send reports %d records sent, want a plain error", partial.Sent)
			case tt.wantSent > 0 && (!errors.As(err, &partial) || partial.Sent != tt.wantSent):
				t.Errorf("Send: %#v, want a *sink.PartialError with Sent %d", err, tt.wantSent)
			}

			if err := c.Send(recs[tt.wantSent:]); err != nil {
				t.Fatalf("Send of the rest: %v", err)
			}
			if got, want := receive(t, got, len(recs)-tt.wantSent), sinktest.Lines(recs[tt.wantSent:]); !slices.Equal(got, want) {
				t.Errorf("the retry delivered %q, want %q", got, want)
			}
			// The window took all five at once: every retried message had
			// been written before.
			doubt := uint64(len(recs) - tt.wantSent)
			if got, want := c.Stats(), (Stats{Sent: 5, Resent: doubt, PossibleDuplicates: doubt, Reconnects: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name        string
		reply       string
		hangUp      bool
		dialTimeout time.Duration
		wantErr     string // after "syslog relp://ADDR: open session: "
	}{
		{
			name:    "refused",
			reply:   rsp(1, "500 required command not supported by client"),
			wantErr: `server refused transaction 1: "500 required command not supported by client"`,
		},
		{
			name:    "no syslog command",
			reply:   rsp(1, "200 OK\nrelp_version=0\ncommands=foo,syslogx"),
			wantErr: `server does not offer the syslog command (commands="foo,syslogx")`,
		},
		{
			name:    "no offers",
			reply:   rsp(1, "200 OK"),
			wantErr: `server does not offer the syslog command (commands="")`,
		},
		{
			name:    "wrong transaction number",
			reply:   rsp(2, "200 OK\ncommands=syslog"),
			wantErr: "server answered transaction 2, want 1",
		},
		{
			name:    "serverclose",
			reply:   "0 serverclose 0\n",
			hangUp:  true,
			wantErr: "server closed the session",
		},
		{
			name:    "closed",
			hangUp:  true,
			wantErr: "server closed the connection",
		},
		{
			name:        "no answer",
			dialTimeout: 50 * time.Millisecond,
			wantErr:     "read: i/o timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, nil, func(s *fakeSession) {
				if _, ok := s.expect("open"); !ok {
					return
				}
				s.send(tt.reply)
				if !tt.hangUp {
					s.waitClosed()
				}
			})
			c := newClient(t, Config{Address: addr, Syslog: rawSyslog, DialTimeout: tt.dialTimeout})

			err := c.Send(rawRecords("id=1"))
			want := "syslog relp://" + addr + ": open session: " + tt.wantErr
			if err == nil || err.Error() != want {
				t.Fatalf("Send:\n got %v\nwant %q", err, want)
			}
			if got, want := c.Stats(), (Stats{}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

// TestResendAccounting follows the records of a failed Send through the
// retries: which of them are resent, and which the server may hold twice.
func TestResendAccounting(t *testing.T) {
	// breakOff acknowledges the first message of a session with window 2,
	// takes the next two and hangs up: one acknowledged, three written.
	breakOff := func(s *fakeSession) {
		if !s.open() {
			return
		}
		first, _ := s.expect("syslog")
		s.expect("syslog")
		s.send(rsp(first.txnr, "200 OK"))
		s.expect("syslog")
	}
	refuseOpen := func(s *fakeSession) {
		s.expect("open")
		s.send(rsp(1, "500 busy"))
		s.waitClosed()
	}
	recs := rawRecords("id=0", "id=1", "id=2", "id=3", "id=4", "id=5")
	others := rawRecords("id=a", "id=b", "id=c")
	type send struct {
		recs   []sink.Record
		failed bool
	}
	tests := []struct {
		name     string
		sessions []func(*fakeSession) // then ackAll
		sends    []send
		want     Stats
	}{
		{
			name:     "retry after a failed reconnect",
			sessions: []func(*fakeSession){breakOff, refuseOpen},
			sends:    []send{{recs, true}, {recs[1:], true}, {recs[1:], false}},
			// Records 1..5 are resent; 1 and 2 had been written.
			want: Stats{Sent: 6, Resent: 5, PossibleDuplicates: 2, Reconnects: 1},
		},
		{
			name:     "retry in two parts",
			sessions: []func(*fakeSession){breakOff},
			sends:    []send{{recs, true}, {recs[1:2], false}, {recs[2:], false}},
			want:     Stats{Sent: 6, Resent: 5, PossibleDuplicates: 2, Reconnects: 1},
		},
		{
			name:     "written twice without acknowledgement",
			sessions: []func(*fakeSession){breakOff, breakOff},
			// The second session writes 1, 2 and 3 and acknowledges 1; the
			// third gets 2 for the third time and 3 for the second.
			sends: []send{{recs, true}, {recs[1:], true}, {recs[2:], false}},
			want:  Stats{Sent: 6, Resent: 7, PossibleDuplicates: 4, Reconnects: 2},
		},
		{
			name:     "other records instead of a retry",
			sessions: []func(*fakeSession){breakOff},
			sends:    []send{{recs, true}, {others, false}},
			want:     Stats{Sent: 4, Reconnects: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, nil, func(s *fakeSession) {
				if s.index <= len(tt.sessions) {
					tt.sessions[s.index-1](s)
					return
				}
				ackAll(nil)(s)
			})
			c := newClient(t, Config{Address: addr, Window: 2, Syslog: rawSyslog, AckTimeout: time.Hour})
			for i, send := range tt.sends {
				if err := c.Send(send.recs); (err != nil) != send.failed {
					t.Fatalf("Send %d: %v, want failed=%v", i+1, err, send.failed)
				}
			}
			if got := c.Stats(); got != tt.want {
				t.Errorf("Stats() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSessionEndedWhileIdle: the server ends the idle session, with or
// without "serverclose"; the next batch goes over a new session and none
// of it is lost.
func TestSessionEndedWhileIdle(t *testing.T) {
	for _, goodbye := range []string{"0 serverclose 0\n", ""} {
		t.Run(fmt.Sprintf("%q", goodbye), func(t *testing.T) {
			got := make(chan string, 10)
			ended := make(chan struct{})
			addr := fakeServer(t, nil, func(s *fakeSession) {
				if s.index > 1 {
					ackAll(got)(s)
					return
				}
				if !s.open() {
					return
				}
				for range 2 {
					f, ok := s.expect("syslog")
					if !ok {
						return
					}
					got <- string(f.data)
					s.send(rsp(f.txnr, "200 OK"))
				}
				s.send(goodbye)
				s.conn.Close()
				close(ended)
			})
			c := newClient(t, Config{Address: addr, Syslog: rawSyslog})
			recs := rawRecords("id=1", "id=2", "id=3", "id=4")
			if err := c.Send(recs[:2]); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ended:
			case <-time.After(waitTimeout):
				t.Fatal("the server did not end the session")
			}
			if err := c.Send(recs[2:]); err != nil {
				t.Fatalf("Send after the session ended: %v", err)
			}
			if got, want := receive(t, got, 4), sinktest.Lines(recs); !slices.Equal(got, want) {
				t.Errorf("received %q, want %q", got, want)
			}
			if got, want := c.Stats(), (Stats{Sent: 4, Reconnects: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

// TestCloseUnblocksSend: Close ends a Send stuck on a server that never
// answers long before the client's own timeouts would.
func TestCloseUnblocksSend(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		serve   func(s *fakeSession, stuck chan<- struct{})
		wantErr string // after "syslog relp://ADDR: "
		isErr   func(error) bool
	}{
		{
			name: "waiting for acknowledgements",
			serve: func(s *fakeSession, stuck chan<- struct{}) {
				if s.open() {
					s.expect("syslog")
					close(stuck)
					s.waitClosed()
				}
			},
			wantErr: "read: use of closed network connection",
			isErr:   func(err error) bool { return errors.Is(err, net.ErrClosed) },
		},
		{
			name: "waiting for the session to open",
			serve: func(s *fakeSession, stuck chan<- struct{}) {
				s.expect("open")
				close(stuck)
				s.waitClosed()
			},
			wantErr: "open session: read: use of closed network connection",
			isErr:   func(err error) bool { return errors.Is(err, net.ErrClosed) },
		},
		{
			name: "TLS handshake",
			tls:  true,
			serve: func(s *fakeSession, stuck chan<- struct{}) {
				s.conn.Read(make([]byte, 1)) // the ClientHello, never answered
				close(stuck)
				io.Copy(io.Discard, s.conn)
			},
			isErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stuck := make(chan struct{})
			addr := fakeServer(t, nil, func(s *fakeSession) { tt.serve(s, stuck) })
			cfg := Config{Address: addr, Syslog: rawSyslog, DialTimeout: time.Hour, WriteTimeout: time.Hour, AckTimeout: time.Hour}
			if tt.tls {
				cfg.TLS = &tls.Config{}
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			sent := make(chan error, 1)
			go func() { sent <- c.Send(rawRecords("id=1")) }()
			select {
			case <-stuck:
			case <-time.After(waitTimeout):
				t.Fatal("the client did not reach the server")
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case err := <-sent:
				if !tt.isErr(err) {
					t.Errorf("Send: %v", err)
				}
				if want := "syslog relp://" + addr + ": " + tt.wantErr; tt.wantErr != "" && err.Error() != want {
					t.Errorf("Send:\n got %v\nwant %q", err, want)
				}
			case <-time.After(waitTimeout):
				t.Fatal("Send still blocked after Close")
			}
		})
	}
}

func TestSendAfterClose(t *testing.T) {
	addr := fakeServer(t, nil, ackAll(nil))
	c, err := New(Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	err = c.Send(rawRecords("id=1"))
	want := "syslog relp://" + addr + ": use of closed network connection"
	if err == nil || err.Error() != want {
		t.Errorf("Send after Close: %v, want %q", err, want)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCloseAfterServerclose: a session the server has ended needs no
// "close"; Close succeeds without one.
func TestCloseAfterServerclose(t *testing.T) {
	ended := make(chan struct{})
	addr := fakeServer(t, nil, func(s *fakeSession) {
		if !s.open() {
			return
		}
		f, _ := s.expect("syslog")
		s.send(rsp(f.txnr, "200 OK") + "0 serverclose 0\n")
		close(ended)
		if f, ok := s.next(); ok {
			s.t.Errorf("the client sent %q after serverclose", f.command)
		}
	})
	c := newClient(t, Config{Address: addr})
	if err := c.Send(rawRecords("id=1")); err != nil {
		t.Fatal(err)
	}
	<-ended
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestTLS(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	serverCert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	addr := fakeServer(t, &tls.Config{Certificates: []tls.Certificate{serverCert}}, ackAll(got))
	clientTLS := func(ca string) *tls.Config {
		cfg, err := transport.NewTLSConfig(transport.TLSOptions{CAFile: ca})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	t.Run("delivery", func(t *testing.T) {
		c := newClient(t, Config{Address: addr, Syslog: rawSyslog, TLS: clientTLS(certs.CAFile)})
		recs := rawRecords("id=1", "id=2", "id=3")
		for _, batch := range [][]sink.Record{recs[:2], recs[2:]} {
			if err := c.Send(batch); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := receive(t, got, 3), sinktest.Lines(recs); !slices.Equal(got, want) {
			t.Errorf("received %q, want %q", got, want)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if got, want := c.Stats(), (Stats{Sent: 3}); got != want {
			t.Errorf("Stats() = %+v, want %+v", got, want)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		c := newClient(t, Config{Address: addr, Syslog: rawSyslog, TLS: clientTLS(certs.OtherCAFile)})
		err := c.Send(rawRecords("id=1"))
		want := "syslog relp+tls://" + addr + ": TLS handshake: tls: failed to verify certificate: x509: certificate signed by unknown authority"
		if err == nil || err.Error() != want {
			t.Errorf("Send:\n got %v\nwant %q", err, want)
		}
	})
}

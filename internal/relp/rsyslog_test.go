package relp

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// These tests deliver to a real rsyslogd with imrelp (see package
// rsyslogtest).

func rsyslogConfig(addr string, format syslog.Format) Config {
	return Config{Address: addr, Syslog: syslog.Options{Format: format, Facility: syslog.DefaultFacility}}
}

func TestDeliveryToRsyslog(t *testing.T) {
	tests := []struct {
		name   string
		format syslog.Format
		window int
	}{
		{name: "rfc5424", format: syslog.FormatRFC5424},
		{name: "rfc3164", format: syslog.FormatRFC3164},
		{name: "raw", format: syslog.FormatRaw},
		{name: "rfc5424 window 1", format: syslog.FormatRFC5424, window: 1},
		{name: "rfc5424 window 7", format: syslog.FormatRFC5424, window: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true})
			cfg := rsyslogConfig(s.RELPAddr, tt.format)
			cfg.Window = tt.window
			c := newClient(t, cfg)

			// The first batch is larger than the default window; the second
			// reuses the session.
			recs := sinktest.Records(tt.name, 300)
			for _, batch := range [][]sink.Record{recs[:250], recs[250:]} {
				if err := c.Send(batch); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			if got, want := c.Stats(), (Stats{Sent: 300}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
			gotRaw := s.WaitRawLines(len(recs), waitTimeout)
			if want := sinktest.SyslogMessages(recs, tt.format); !slices.Equal(gotRaw, want) {
				t.Errorf("received messages:\n got %q\nwant %q", gotRaw, want)
			}
			if tt.format == syslog.FormatRaw {
				return // rsyslogd guesses a header in a headerless message; only rawmsg is meaningful
			}
			if got, want := s.Lines(), sinktest.Lines(recs); !slices.Equal(got, want) {
				t.Errorf("received MSG parts:\n got %q\nwant %q", got, want)
			}
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestReceiverDownAtFirstSend(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true})
	s.Stop()
	c := newClient(t, rsyslogConfig(s.RELPAddr, syslog.FormatRFC5424))
	recs := sinktest.Records("down", 10)

	err := c.Send(recs)
	want := "syslog relp://" + s.RELPAddr + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("Send with the receiver down: %v, want %q", err, want)
	}
	var partial *sink.PartialError
	if errors.As(err, &partial) {
		t.Fatalf("Send with the receiver down reports %d records sent", partial.Sent)
	}

	s.Start()
	if err := c.Send(recs); err != nil {
		t.Fatalf("Send with the receiver up: %v", err)
	}
	if got, want := s.WaitLines(len(recs), waitTimeout), sinktest.Lines(recs); !slices.Equal(got, want) {
		t.Errorf("received:\n got %q\nwant %q", got, want)
	}
	// The retry wrote the records for the first time: nothing can be
	// duplicated.
	if got, want := c.Stats(), (Stats{Sent: 10, Resent: 10}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

// TestReceiverRestartWhileIdle: the client must notice the session the old
// receiver ended ("serverclose" on SIGTERM, a bare close on SIGKILL) before
// writing into it, so the second batch goes through without an error.
func TestReceiverRestartWhileIdle(t *testing.T) {
	for _, r := range []struct {
		name    string
		restart func(*rsyslogtest.Server)
	}{
		{"stopped", func(s *rsyslogtest.Server) { s.Stop(); s.Start() }},
		{"killed", func(s *rsyslogtest.Server) { s.Kill(); s.Start() }},
	} {
		t.Run(r.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true})
			c := newClient(t, rsyslogConfig(s.RELPAddr, syslog.FormatRFC5424))
			first := sinktest.Records("before-"+r.name, 5)
			second := sinktest.Records("after-"+r.name, 5)

			if err := c.Send(first); err != nil {
				t.Fatalf("Send before the restart: %v", err)
			}
			s.WaitLines(len(first), waitTimeout)
			r.restart(s)
			if err := c.Send(second); err != nil {
				t.Fatalf("Send after the restart: %v", err)
			}
			want := append(sinktest.Lines(first), sinktest.Lines(second)...)
			if got := s.WaitLines(len(want), waitTimeout); !slices.Equal(got, want) {
				t.Errorf("received:\n got %q\nwant %q", got, want)
			}
			if got, want := c.Stats(), (Stats{Sent: 10, Reconnects: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

// TestReceiverKilledMidStream kills rsyslogd with SIGKILL while the client
// has a full window of messages in flight, keeps it down for two seconds
// and restarts it, while a loop retries like the delivery engine. Every
// record must arrive, in order of first arrival, and the only duplicates
// are messages written but not acknowledged.
//
// imrelp acknowledges a message once it is in rsyslogd's in-memory queue,
// so a SIGKILL at a random moment can lose acknowledged messages (seen in
// about one run out of eight) — a property of the receiver's queue, not of
// the protocol. A relay therefore holds back rsyslogd's answers from the
// point of the kill on, and the kill waits until rsyslogd has written every
// message it received: the client's window is full of messages rsyslogd
// holds but the client does not know about.
func TestReceiverKilledMidStream(t *testing.T) {
	const (
		batches   = 20
		batchSize = 500
		holdAfter = 3*batchSize + 200 // within the fourth batch
		downtime  = 2 * time.Second
	)
	s := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true})
	relay := startAckRelay(t, s.RELPAddr, holdAfter)
	cfg := rsyslogConfig(relay.addr, syslog.FormatRFC5424)
	cfg.DialTimeout = time.Second
	c := newClient(t, cfg)
	var recs []sink.Record
	for b := range batches {
		recs = append(recs, sinktest.Records(fmt.Sprintf("batch%d", b), batchSize)...)
	}

	delivered := make(chan delivery, 1)
	go func() { delivered <- deliver(c, recs, batchSize, time.Now().Add(downtime+waitTimeout)) }()
	// Runs before newClient's cleanup: a failed test stops the loop.
	t.Cleanup(func() {
		c.Close()
		<-delivered
	})

	// The client has written its whole window past the held answers.
	waitFor(t, "the client to fill its window", func() string {
		if written, acked := relay.messages.Load(), relay.acks.Load(); written < holdAfter || written-acked != DefaultWindow {
			return fmt.Sprintf("%d written, %d acknowledged", written, acked)
		}
		return ""
	})
	written, acked := int(relay.messages.Load()), int(relay.acks.Load())
	waitFor(t, "rsyslogd to write what it received", func() string {
		if n := len(s.Lines()); n != written {
			return fmt.Sprintf("%d of %d written", n, written)
		}
		return ""
	})
	s.Kill()
	time.Sleep(downtime)
	s.Start()
	select {
	case d := <-delivered:
		delivered <- d // for the cleanup
		if d.err != nil {
			t.Fatal(d.err)
		}
		t.Logf("%d failed Sends, the first %v", d.failures, d.first)
	case <-time.After(2 * waitTimeout):
		t.Fatal("the delivery loop did not end")
	}

	// Everything is acknowledged; wait for rsyslogd to write it.
	var got []string
	waitFor(t, "every record to arrive", func() string {
		got = s.Lines()
		if n := len(unique(got)); n < len(recs) {
			return fmt.Sprintf("%d of %d distinct records arrived", n, len(recs))
		}
		return ""
	})
	if first := unique(got); !slices.Equal(first, sinktest.Lines(recs)) {
		t.Errorf("the records in order of first arrival differ from those sent:\n got %q\nwant %q", first, sinktest.Lines(recs))
	}
	index := make(map[string]int, len(recs))
	for i, line := range sinktest.Lines(recs) {
		index[line] = i
	}
	seen := make(map[string]bool, len(got))
	duplicates := 0
	for _, line := range got {
		if !seen[line] {
			seen[line] = true
			continue
		}
		duplicates++
		if i := index[line]; i < acked || i >= written {
			t.Errorf("record %d arrived twice, but only records %d..%d were written without an acknowledgement", i, acked, written-1)
		}
	}
	stats := c.Stats()
	t.Logf("killed with records %d..%d unacknowledged; %d duplicate lines received, %d possible duplicates reported; %+v",
		acked, written-1, duplicates, stats.PossibleDuplicates, stats)
	if duplicates > int(stats.PossibleDuplicates) {
		t.Errorf("%d duplicate lines received, more than the %d possible duplicates reported", duplicates, stats.PossibleDuplicates)
	}
	// The first session ended with acked..written-1 in flight; the retry
	// resent the rest of the fourth batch, those in flight first.
	want := Stats{
		Sent:               uint64(len(recs)),
		Resent:             uint64(4*batchSize - acked),
		PossibleDuplicates: uint64(written - acked),
		Reconnects:         1,
	}
	if stats != want {
		t.Errorf("Stats() = %+v, want %+v", stats, want)
	}
}

// delivery is the outcome of deliver.
type delivery struct {
	failures int   // failed Sends
	first    error // the first failure
	err      error // why deliver gave up
}

// deliver sends recs in batches as the delivery engine does: a failed batch
// is retried from its first unacknowledged record after a short backoff,
// until deadline or until the client is closed.
func deliver(c *Client, recs []sink.Record, batchSize int, deadline time.Time) delivery {
	const backoff = 50 * time.Millisecond
	var d delivery
	for start := 0; start < len(recs); start += batchSize {
		batch := recs[start:min(start+batchSize, len(recs))]
		for {
			err := c.Send(batch)
			if err == nil {
				break
			}
			if d.failures++; d.first == nil {
				d.first = fmt.Errorf("in the batch from record %d: %w", start, err)
			}
			var partial *sink.PartialError
			if errors.As(err, &partial) {
				batch = batch[partial.Sent:]
			}
			if errors.Is(err, net.ErrClosed) || time.Now().After(deadline) {
				d.err = fmt.Errorf("delivery gave up after %d failures: %w", d.failures, err)
				return d
			}
			time.Sleep(backoff)
		}
	}
	return d
}

// waitFor polls until check returns "", failing with what it last returned
// after waitTimeout.
func waitFor(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		state := check()
		if state == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %s", waitTimeout, what, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unique returns lines without repetitions, in order of first appearance.
func unique(lines []string) []string {
	seen := make(map[string]bool, len(lines))
	var out []string
	for _, line := range lines {
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return out
}

// ackRelay passes RELP sessions between the client and a server frame by
// frame. In its first session it stops passing the server's answers on
// before the holdAfter-th message: from then on the server receives
// messages that the client never sees acknowledged.
type ackRelay struct {
	addr      string
	target    string
	holdAfter int64
	sessions  atomic.Int32
	held      atomic.Bool
	messages  atomic.Int64 // "syslog" commands passed to the server in the first session
	acks      atomic.Int64 // answers to them passed to the client
}

func startAckRelay(t *testing.T, target string, holdAfter int) *ackRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &ackRelay{addr: ln.Addr().String(), target: target, holdAfter: int64(holdAfter)}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(client)
		}
	}()
	return r
}

func (r *ackRelay) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", r.target)
	if err != nil {
		return // the server is down: the client sees its session end
	}
	defer server.Close()
	first := r.sessions.Add(1) == 1
	done := make(chan struct{}, 2)
	go func() {
		r.pass(client, server, func(f frame) bool {
			if first && string(f.command) == "syslog" && r.messages.Load()+1 == r.holdAfter {
				r.held.Store(true)
			}
			if first && string(f.command) == "syslog" {
				r.messages.Add(1)
			}
			return true
		})
		done <- struct{}{}
	}()
	go func() {
		r.pass(server, client, func(f frame) bool {
			if !first || f.txnr == 1 {
				return true
			}
			if r.held.Load() {
				return false
			}
			r.acks.Add(1)
			return true
		})
		done <- struct{}{}
	}()
	<-done // either side ended: end both
}

// pass copies frames from src to dst while forward says so and drops the
// others, until either connection fails.
func (r *ackRelay) pass(src, dst net.Conn, forward func(frame) bool) {
	defer src.Close()
	defer dst.Close()
	fr := newFrameReader(src)
	w := bufio.NewWriter(dst)
	var buf []byte
	for {
		f, err := fr.read()
		if err != nil {
			return
		}
		if forward(f) {
			buf = appendFrame(buf[:0], f.txnr, string(f.command), f.data)
			w.Write(buf)
		}
		if fr.buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// TestTLSToRsyslog delivers over TLS to imrelp, which demands a client
// certificate, and checks that a client it does not accept gets an error
// and has nothing delivered.
func TestTLSToRsyslog(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	clientTLS := func(withCert bool) *tls.Config {
		o := transport.TLSOptions{CAFile: certs.CAFile}
		if withCert {
			o.CertFile, o.KeyFile = certs.ClientCert, certs.ClientKey
		}
		cfg, err := transport.NewTLSConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	// The server ends the session after the handshake, before or after the
	// client's "open" reaches it: by closing the connection, or with an
	// alert, which needs no explanation.
	refused := regexp.MustCompile(`^syslog relp\+tls://127\.0\.0\.1:\d+: open session: (` +
		`(server closed the connection|(write|read): broken pipe|(write|read): connection reset by peer)` +
		` \(over TLS, this is how imrelp refuses a client whose certificate it does not accept\)` +
		`|read: remote error: tls: [a-z ]+)$`)
	tests := []struct {
		name          string
		authMode      string
		permittedPeer string
		withCert      bool
		wantErr       *regexp.Regexp // nil: delivered
	}{
		{name: "certvalid", authMode: "certvalid", withCert: true},
		{name: "name", authMode: "name", permittedPeer: "welfbridge", withCert: true},
		{name: "no client certificate", authMode: "certvalid", wantErr: refused},
		{name: "name not permitted", authMode: "name", permittedPeer: "someone-else", withCert: true, wantErr: refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{RELPTLS: &rsyslogtest.RELPTLS{
				AuthMode: tt.authMode, PermittedPeer: tt.permittedPeer,
				CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey,
			}})
			cfg := rsyslogConfig(s.RELPTLSAddr, syslog.FormatRFC5424)
			cfg.TLS = clientTLS(tt.withCert)
			c := newClient(t, cfg)
			recs := sinktest.Records(tt.name, 50)
			err := c.Send(recs)
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr.MatchString(err.Error()) {
					t.Errorf("Send:\n got %v\nwant %s", err, tt.wantErr)
				}
				if got := s.Lines(); len(got) != 0 {
					t.Errorf("received %q from a refused client", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v\nrsyslogd log:\n%s", err, s.Log())
			}
			if got, want := s.WaitRawLines(len(recs), waitTimeout), sinktest.SyslogMessages(recs, syslog.FormatRFC5424); !slices.Equal(got, want) {
				t.Errorf("received messages:\n got %q\nwant %q", got, want)
			}
		})
	}
}

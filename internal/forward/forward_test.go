package forward_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// waitTimeout bounds every wait for the receiver; tests never come close.
const waitTimeout = 10 * time.Second

// shortAck is the AckTimeout of tests in which an ack is withheld.
const shortAck = 200 * time.Millisecond

var baseTime = time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)

// fixture returns the records of testdata/records.welf, one second and one
// nanosecond apart.
func fixture(t testing.TB) []sink.Record {
	t.Helper()
	f, err := os.Open("testdata/records.welf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []sink.Record
	s := bufio.NewScanner(f)
	for s.Scan() {
		n := time.Duration(len(recs))
		recs = append(recs, sink.Record{Time: baseTime.Add(n*time.Second + n), Line: bytes.Clone(s.Bytes())})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// fixtureEvents is what the receiver must see for fixture(t) with tag.
func fixtureEvents(tag string) []forwardtest.Event {
	lines := []string{
		`id=firewall time="2024-05-01 10:00:00" fw=gw01 pri=6 src=198.51.100.7 dst=203.0.113.10 op=GET arg=/login result=200 req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk`,
		`id=firewall time="2024-05-01 10:00:01" fw=gw01 pri=4 src=198.51.100.8 agent="x\x22 src=6.6.6.6 user=admin" msg="Café ok" raw=\xff\x00a\\b`,
		`id=firewall time="2024-05-01 10:00:02" fw=gw02 pri=3 welf=shadow path=C:\\temp\\x`,
		`not a WELF record`,
	}
	records := []map[string]string{{
		"welf": lines[0], "id": "firewall", "time": "2024-05-01 10:00:00", "fw": "gw01", "pri": "6",
		"src": "198.51.100.7", "dst": "203.0.113.10", "op": "GET", "arg": "/login", "result": "200",
		"req_id": "ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
	}, {
		"welf": lines[1], "id": "firewall", "time": "2024-05-01 10:00:01", "fw": "gw01", "pri": "4",
		"src": "198.51.100.8", "agent": `x" src=6.6.6.6 user=admin`, "msg": "Café ok", "raw": "\xff\x00a\\b",
	}, {
		// The field named welf is only in the line.
		"welf": lines[2], "id": "firewall", "time": "2024-05-01 10:00:02", "fw": "gw02", "pri": "3",
		"path": `C:\temp\x`,
	}, {
		// Not WELF: the line alone.
		"welf": lines[3],
	}}
	events := make([]forwardtest.Event, len(records))
	for i, rec := range records {
		n := time.Duration(i)
		events[i] = forwardtest.Event{Tag: tag, Time: baseTime.Add(n*time.Second + n), Record: rec}
	}
	return events
}

func newClient(t testing.TB, cfg forward.Config) *forward.Client {
	t.Helper()
	c, err := forward.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func checkEvents(t *testing.T, got, want []forwardtest.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func checkError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Fatalf("got error %v\nwant %s", err, want)
	}
}

// acked describes messages as "events:acked" for compact comparisons.
func acked(msgs []forwardtest.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%d:%v", m.Events, m.Acked)
	}
	return out
}

func TestSendDeliversEveryField(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  forward.Config
		tag  string
		mode forwardtest.Mode
	}{
		{"default tag without ack", forward.Config{}, "welf", forwardtest.ModePackedForward},
		{"own tag with ack", forward.Config{Tag: "siem.welf", RequireAck: true}, "siem.welf", forwardtest.ModePackedForward},
		{"gzip with ack", forward.Config{RequireAck: true, Gzip: true}, "welf", forwardtest.ModeCompressedPackedForward},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := forwardtest.Start(t, forwardtest.Options{})
			tt.cfg.Address = r.Addr()
			c := newClient(t, tt.cfg)
			if err := c.Send(fixture(t)); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, r.WaitEvents(4, waitTimeout), fixtureEvents(tt.tag))
			msgs := r.Messages()
			if len(msgs) != 1 {
				t.Fatalf("got %d messages, want 1: %+v", len(msgs), msgs)
			}
			m := msgs[0]
			if m.Mode != tt.mode || m.Tag != tt.tag || m.Events != 4 || m.Acked != tt.cfg.RequireAck {
				t.Errorf("got %+v, want 4 events in %v mode, tag %q, acked %v", m, tt.mode, tt.tag, tt.cfg.RequireAck)
			}
			// A chunk id asks for an ack: only with RequireAck. Ids are
			// base64 of 16 bytes, like out_forward's.
			if wantLen := map[bool]int{false: 0, true: 24}[tt.cfg.RequireAck]; len(m.Chunk) != wantLen {
				t.Errorf("chunk %q: want %d characters", m.Chunk, wantLen)
			}
		})
	}
}

func TestEmptySendDoesNotConnect(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{})
	r.Stop()
	c := newClient(t, forward.Config{Address: r.Addr()})
	if err := c.Send(nil); err != nil {
		t.Errorf("got %v, want nil: nothing to send needs no connection", err)
	}
}

func TestNewRejectsAddressWithoutPort(t *testing.T) {
	_, err := forward.New(forward.Config{Address: "localhost"})
	checkError(t, err, "forward tcp://localhost: address localhost: missing port in address")
}

func TestAckWithheldThenResent(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{})
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, AckTimeout: shortAck})
	recs := fixture(t)

	r.DropNextAck()
	err := c.Send(recs)
	checkError(t, err, "forward tcp://"+r.Addr()+": wait for ack: i/o timeout")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%v is not os.ErrDeadlineExceeded", err)
	}
	var partial *sink.PartialError
	if errors.As(err, &partial) {
		t.Errorf("got %v: nothing was acknowledged, so nothing counts as sent", err)
	}

	// The delivery engine resends the batch: the receiver stored it the
	// first time too, so it has every event twice (at least once).
	if err := c.Send(recs); err != nil {
		t.Fatal(err)
	}
	want := fixtureEvents("welf")
	checkEvents(t, r.Events(), append(want, want...))
	msgs := r.Messages()
	if got, want := acked(msgs), []string{"4:false", "4:true"}; !reflect.DeepEqual(got, want) {
		t.Errorf("messages: got %q want %q", got, want)
	}
	if msgs[0].Chunk == msgs[1].Chunk {
		t.Errorf("the resent message reuses chunk id %q", msgs[0].Chunk)
	}
}

func TestMismatchedAck(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{})
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true})
	recs := fixture(t)

	r.CorruptNextAck()
	err := c.Send(recs)
	chunk := r.Messages()[0].Chunk
	checkError(t, err, fmt.Sprintf("forward tcp://%s: ack %q does not match chunk %q", r.Addr(), "x"+chunk, chunk))

	if err := c.Send(recs); err != nil {
		t.Fatal(err)
	}
	if got, want := acked(r.Messages()), []string{"4:true", "4:true"}; !reflect.DeepEqual(got, want) {
		t.Errorf("messages: got %q want %q", got, want)
	}
}

// TestReconnectsBeforeWriting covers a receiver that closed the idle
// connection (a restarted Fluent Bit). Without acks, a batch written into
// the dead connection would vanish without an error; with acks, the Send
// would fail. Either way the client must notice before writing.
func TestReconnectsBeforeWriting(t *testing.T) {
	for _, requireAck := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack=%v", requireAck), func(t *testing.T) {
			r := forwardtest.Start(t, forwardtest.Options{})
			c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: requireAck})
			recs := fixture(t)

			r.CloseAfterNextMessage()
			if err := c.Send(recs[:2]); err != nil {
				t.Fatal(err)
			}
			r.WaitClosed(1, waitTimeout)
			if err := c.Send(recs[2:]); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, r.WaitEvents(4, waitTimeout), fixtureEvents("welf"))
		})
	}
}

func TestReceiverDownAtFirstSend(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{KeepRaw: true})
	r.Stop()
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true})
	recs := fixture(t)

	checkError(t, c.Send(recs), "forward tcp://"+r.Addr()+": connect: connection refused")
	r.Restart()
	if err := c.Send(recs); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, r.Events(), fixtureEvents("welf"))
	if raw := r.Raw(); len(raw) != 1 {
		t.Errorf("got %d connections, want the one after the restart", len(raw))
	}
}

func TestCloseUnblocksSend(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{})
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, AckTimeout: time.Hour})
	recs := fixture(t)

	r.DropNextAck()
	done := make(chan error, 1)
	go func() { done <- c.Send(recs) }()
	r.WaitMessages(1, waitTimeout) // Send now waits for the ack
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		checkError(t, err, "forward tcp://"+r.Addr()+": wait for ack: use of closed network connection")
	case <-time.After(waitTimeout):
		t.Fatal("Send still blocked after Close")
	}
	err := c.Send(recs)
	checkError(t, err, "forward tcp://"+r.Addr()+": use of closed network connection")
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("%v is not net.ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// tlsRecords splits raw bytes into TLS records and returns their content
// types, and whether the first is a ClientHello. It fails the test when raw
// is not a sequence of complete TLS records.
func tlsRecords(t *testing.T, raw []byte) (types []byte, clientHello bool) {
	t.Helper()
	const headerLen = 5 // type, version (2), length (2)
	for len(raw) > 0 {
		if len(raw) < headerLen {
			t.Fatalf("%d bytes left, not a TLS record header: %x", len(raw), raw)
		}
		n := headerLen + (int(raw[3])<<8 | int(raw[4]))
		if raw[1] != 0x03 || len(raw) < n {
			t.Fatalf("not a TLS record: %x", raw[:headerLen])
		}
		if len(types) == 0 {
			const handshake, clientHelloType = 22, 1
			clientHello = raw[0] == handshake && n > headerLen && raw[headerLen] == clientHelloType
		}
		types = append(types, raw[0])
		raw = raw[n:]
	}
	return types, clientHello
}

// checkNoPlaintext checks that the bytes the receiver got on its only
// connection are TLS records starting with a ClientHello and contain none of
// recs nor the tag in plain text.
func checkNoPlaintext(t *testing.T, r *forwardtest.Receiver, recs []sink.Record) {
	t.Helper()
	raw := r.Raw()
	if len(raw) != 1 {
		t.Fatalf("got %d connections, want 1", len(raw))
	}
	if _, hello := tlsRecords(t, raw[0]); !hello {
		t.Errorf("the first record is not a ClientHello: %x", raw[0][:min(len(raw[0]), 16)])
	}
	for _, plain := range [][]byte{recs[0].Line, []byte("firewall"), []byte(forward.DefaultTag)} {
		if bytes.Contains(raw[0], plain) {
			t.Errorf("%q was sent in plain text", plain)
		}
	}
}

func TestTLS(t *testing.T) {
	certs := forwardtest.NewCerts(t)
	recs := fixture(t)

	t.Run("verified", func(t *testing.T) {
		r := forwardtest.Start(t, forwardtest.Options{TLS: certs.ServerConfig(), KeepRaw: true})
		// The server name to verify comes from the address: 127.0.0.1.
		c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, TLS: certs.ClientConfig()})
		if err := c.Send(recs); err != nil {
			t.Fatal(err)
		}
		checkEvents(t, r.Events(), fixtureEvents("welf"))
		checkNoPlaintext(t, r, recs)
	})

	t.Run("unknown CA", func(t *testing.T) {
		r := forwardtest.Start(t, forwardtest.Options{TLS: certs.ServerConfig(), KeepRaw: true})
		c := newClient(t, forward.Config{Address: r.Addr(), TLS: &tls.Config{RootCAs: certs.OtherCA}})
		checkError(t, c.Send(recs), "forward tls://"+r.Addr()+
			": TLS handshake: tls: failed to verify certificate: x509: certificate signed by unknown authority")
		if evs := r.Events(); len(evs) != 0 {
			t.Errorf("got %d events through an unverified connection", len(evs))
		}
		// The receiver sees the client abort the handshake.
		if errs := r.WaitHandshakeErrors(1, waitTimeout); len(errs) != 1 || errs[0].Error() != "remote error: tls: bad certificate" {
			t.Errorf("receiver handshake errors: got %v want [remote error: tls: bad certificate]", errs)
		}
		checkNoPlaintext(t, r, recs)
	})
}

// sameSizeRecords returns n records whose entries all have the same size:
// lines of 400 bytes that differ only in fixed-width numbers.
func sameSizeRecords(n int) []sink.Record {
	recs := make([]sink.Record, n)
	for i := range recs {
		line := fmt.Sprintf(`id=firewall time="2024-05-01 10:00:00" fw=gw01 pri=6 src=198.51.100.7 dst=203.0.113.10 `+
			`op=GET arg=/shop/basket/%06d result=200 sent=%06d rcvd=%06d duration=%06d req_id=req%06d `+
			`agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36" `+
			`msg="request passed all filters" vhost=shop.example.com:80 referer=https://shop.example.com/start?ref=%06d`, i, i, i, i, i, i)
		recs[i] = sink.Record{Time: baseTime.Add(time.Duration(i) * time.Millisecond), Line: []byte(line)}
	}
	return recs
}

// With gzip the bound holds for the entries before compression, which
// in_forward also bounds when it decompresses.
func TestBatchSplitsAtOneMiB(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testBatchSplitsAtOneMiB(t, false) })
	t.Run("gzip", func(t *testing.T) { testBatchSplitsAtOneMiB(t, true) })
}

func testBatchSplitsAtOneMiB(t *testing.T, gzip bool) {
	const maxEntries = 1 << 20
	r := forwardtest.Start(t, forwardtest.Options{})
	// The first message is a whole MiB for the receiver to read (and
	// gunzip) before it acknowledges: shortAck is too short for that on a
	// loaded machine.
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, AckTimeout: time.Second, Gzip: gzip})
	recs := sameSizeRecords(5000)
	if len(recs[0].Line) != 400 {
		t.Fatalf("fixture lines have %d bytes, want 400", len(recs[0].Line))
	}

	// The second message is not acknowledged: only the first counts as sent.
	r.DropAckAfter(1)
	err := c.Send(recs)
	msgs := r.Messages()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want 2: %+v", len(msgs), msgs)
	}
	first := msgs[0].Events
	entrySize := msgs[0].EntriesSize / first
	if msgs[0].EntriesSize != first*entrySize || first != maxEntries/entrySize {
		t.Fatalf("first message: %d events in %d bytes; want as many %d-byte entries as fit into %d bytes",
			first, msgs[0].EntriesSize, entrySize, maxEntries)
	}
	var partial *sink.PartialError
	if !errors.As(err, &partial) || partial.Sent != first {
		t.Fatalf("got %#v, want a *sink.PartialError with Sent %d", err, first)
	}
	checkError(t, partial.Err, "forward tcp://"+r.Addr()+": wait for ack: i/o timeout")

	// The retry resends the rest; the receiver keeps the unacknowledged
	// message too.
	if err := c.Send(recs[first:]); err != nil {
		t.Fatal(err)
	}
	msgs = r.Messages()
	wantMsgs := []string{fmt.Sprintf("%d:true", first), fmt.Sprintf("%d:false", first)} // the failed Send
	for rest := len(recs) - first; rest > 0; rest -= first {
		wantMsgs = append(wantMsgs, fmt.Sprintf("%d:true", min(rest, first))) // the retry
	}
	if got := acked(msgs); !reflect.DeepEqual(got, wantMsgs) {
		t.Errorf("messages: got %q want %q", got, wantMsgs)
	}
	for i, m := range msgs {
		if m.EntriesSize > maxEntries {
			t.Errorf("message %d: %d bytes of entries, more than %d", i, m.EntriesSize, maxEntries)
		}
	}
	want := append(append(append([]sink.Record(nil), recs[:first]...), recs[first:2*first]...), recs[first:]...)
	events := r.Events()
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d", len(events), len(want))
	}
	for i, ev := range events {
		if ev.Record["welf"] != string(want[i].Line) || !ev.Time.Equal(want[i].Time) {
			t.Fatalf("event %d: got %s %q\nwant %s %q", i, ev.Time, ev.Record["welf"], want[i].Time, want[i].Line)
		}
	}
}

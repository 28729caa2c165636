// Package forwardtest runs a forward-protocol receiver inside a test, in
// place of Fluentd's or Fluent Bit's in_forward input.
//
// The receiver listens on a free loopback port, plain or with TLS, and
// decodes every message as the Forward Protocol v1 defines it: Message,
// Forward, PackedForward and CompressedPackedForward (gzip) modes, with
// EventTime or integer times and Fluent Bit's [[time, metadata], record]
// entries. It answers {"ack": chunk} to every message whose option carries
// a chunk, after storing its events, as in_forward does. Hooks withhold or
// falsify an ack or close the connection after a message, to test how a
// client copes. With Options.Secure it requires the secure-forward
// handshake (shared key, users) as in_forward does.
//
// Input that violates the protocol closes its connection and fails the test
// when it ends, unless Options.AllowProtocolErrors is set.
package forwardtest

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// Mode is the forward-protocol mode of a message.
type Mode int

const (
	ModeMessage                 Mode = iota + 1 // [tag, time, record, option?]
	ModeForward                                 // [tag, [[time, record], ...], option?]
	ModePackedForward                           // [tag, entries as bin or str, option?]
	ModeCompressedPackedForward                 // PackedForward with gzip entries and {"compressed": "gzip"}
)

func (m Mode) String() string {
	switch m {
	case ModeMessage:
		return "Message"
	case ModeForward:
		return "Forward"
	case ModePackedForward:
		return "PackedForward"
	case ModeCompressedPackedForward:
		return "CompressedPackedForward"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Options configures a Receiver.
type Options struct {
	// TLS, when not nil, makes the receiver a TLS server (see Certs).
	TLS *tls.Config
	// KeepRaw records the bytes of every connection as they arrive, before
	// TLS, for Raw.
	KeepRaw bool
	// CountOnly checks the structure of every event but keeps none, for
	// benchmarks: Events stays empty and EventCount counts. Decoding then
	// allocates nothing per event.
	CountOnly bool
	// AllowProtocolErrors keeps malformed input from failing the test; the
	// errors are still in Errors.
	AllowProtocolErrors bool
	// Secure, when not nil, requires the secure-forward handshake on every
	// connection, after TLS.
	Secure *Secure
}

// Event is one received event.
type Event struct {
	Tag    string
	Time   time.Time // in UTC, with nanoseconds
	Record map[string]string
	// NonString lists the keys of Record whose values were neither
	// msgpack str nor bin; Record holds them formatted with %v.
	NonString []string
}

// Message describes one received forward message.
type Message struct {
	Mode   Mode
	Tag    string
	Events int
	// EntriesSize is the size of the packed entries in bytes, after
	// decompression; 0 in Message and Forward modes.
	EntriesSize int
	Chunk       string // the option "chunk"; empty when no ack was asked for
	Acked       bool   // an ack was sent (a correct one unless CorruptNextAck)
}

// ackWriteTimeout bounds the write of one ack.
const ackWriteTimeout = 5 * time.Second

// Receiver is a running forward receiver. Its methods are safe for
// concurrent use; those that fail the test must be called from the test's
// goroutine.
type Receiver struct {
	t    testing.TB
	opts Options
	addr string
	wg   sync.WaitGroup // serving goroutines

	mu         sync.Mutex
	ln         net.Listener // nil while stopped
	conns      map[net.Conn]struct{}
	events     []Event
	eventCount int
	messages   []Message
	raw        [][]byte // per connection, with KeepRaw
	errs       []error  // protocol errors
	handshakes []error  // failed TLS and secure-forward handshakes
	closed     int      // connections the receiver closed by a hook
	changed    chan struct{}

	// Hooks: the message index from now (0 = the next one) they act on;
	// -1 when unset.
	dropAck, corruptAck, closeAfter int
}

// Start starts a receiver on a free port of 127.0.0.1. It is stopped when
// the test ends, and the test fails if a client violated the protocol.
func Start(t testing.TB, opts Options) *Receiver {
	t.Helper()
	r := &Receiver{
		t: t, opts: opts,
		conns:   map[net.Conn]struct{}{},
		changed: make(chan struct{}),
		dropAck: -1, corruptAck: -1, closeAfter: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("forwardtest: listen: %v", err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(func() {
		r.Stop()
		if errs := r.Errors(); len(errs) > 0 && !opts.AllowProtocolErrors {
			t.Errorf("forwardtest: the receiver got malformed input: %v", errors.Join(errs...))
		}
	})
	return r
}

// Addr returns the address the receiver listens on, "127.0.0.1:port".
func (r *Receiver) Addr() string { return r.addr }

// Stop closes the listener and every connection, as a stopped Fluent Bit
// does, and waits until they are closed.
func (r *Receiver) Stop() {
	r.mu.Lock()
	ln := r.ln
	r.ln = nil
	for conn := range r.conns {
		conn.Close()
	}
	r.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	r.wg.Wait()
}

// Restart listens again on the same address after Stop.
func (r *Receiver) Restart() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("forwardtest: listen again on %s: %v", r.addr, err)
	}
	r.serve(ln)
}

// DropNextAck withholds the ack of the next message.
func (r *Receiver) DropNextAck() { r.DropAckAfter(0) }

// DropAckAfter acknowledges the next n messages as usual and withholds the
// ack of the one after them.
func (r *Receiver) DropAckAfter(n int) {
	r.mu.Lock()
	r.dropAck = n
	r.mu.Unlock()
}

// CorruptNextAck answers the next message with an ack for another chunk id:
// "x" followed by the right one.
func (r *Receiver) CorruptNextAck() {
	r.mu.Lock()
	r.corruptAck = 0
	r.mu.Unlock()
}

// CloseAfterNextMessage closes the connection after the next message has
// been stored and, when asked for, acknowledged.
func (r *Receiver) CloseAfterNextMessage() {
	r.mu.Lock()
	r.closeAfter = 0
	r.mu.Unlock()
}

// Events returns the events received so far.
func (r *Receiver) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// EventCount returns the number of events received so far.
func (r *Receiver) EventCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.eventCount
}

// Messages returns the messages received so far.
func (r *Receiver) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.messages...)
}

// Raw returns, with Options.KeepRaw, the bytes received on each connection
// so far, before TLS, in the order the connections were accepted.
func (r *Receiver) Raw() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(r.raw))
	for i, b := range r.raw {
		out[i] = bytes.Clone(b)
	}
	return out
}

// Errors returns the protocol errors so far, one per connection closed for
// malformed input.
func (r *Receiver) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// HandshakeErrors returns the errors of failed TLS handshakes and refused
// secure-forward handshakes so far.
func (r *Receiver) HandshakeErrors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.handshakes...)
}

// WaitEvents waits until at least n events have arrived and returns all of
// them. It fails the test, showing what did arrive, when timeout passes
// first.
func (r *Receiver) WaitEvents(n int, timeout time.Duration) []Event {
	r.t.Helper()
	if !r.wait(timeout, func() bool { return r.eventCount >= n }) {
		r.t.Fatalf("forwardtest: %d of %d events arrived within %v: %+v", r.EventCount(), n, timeout, r.Events())
	}
	return r.Events()
}

// WaitMessages waits until at least n messages have arrived and returns all
// of them, or fails the test when timeout passes first.
func (r *Receiver) WaitMessages(n int, timeout time.Duration) []Message {
	r.t.Helper()
	if !r.wait(timeout, func() bool { return len(r.messages) >= n }) {
		r.t.Fatalf("forwardtest: %d of %d messages arrived within %v: %+v", len(r.Messages()), n, timeout, r.Messages())
	}
	return r.Messages()
}

// WaitHandshakeErrors waits until at least n handshakes have failed
// and returns their errors, or fails the test when timeout passes first.
func (r *Receiver) WaitHandshakeErrors(n int, timeout time.Duration) []error {
	r.t.Helper()
	if !r.wait(timeout, func() bool { return len(r.handshakes) >= n }) {
		r.t.Fatalf("forwardtest: %d of %d handshakes failed within %v", len(r.HandshakeErrors()), n, timeout)
	}
	return r.HandshakeErrors()
}

// WaitClosed waits until the receiver has closed n connections by
// CloseAfterNextMessage, or fails the test when timeout passes first.
func (r *Receiver) WaitClosed(n int, timeout time.Duration) {
	r.t.Helper()
	if !r.wait(timeout, func() bool { return r.closed >= n }) {
		r.t.Fatalf("forwardtest: the receiver closed %d of %d connections within %v", r.closed, n, timeout)
	}
}

// wait waits until done, called with r.mu held, is true.
func (r *Receiver) wait(timeout time.Duration, done func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		ok, changed := done(), r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			return done()
		}
	}
}

// notify wakes the waiters; r.mu must be held.
func (r *Receiver) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Receiver) serve(ln net.Listener) {
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // Stop closed the listener
			}
			if !r.track(conn) {
				conn.Close()
				return
			}
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				defer r.untrack(conn)
				r.handle(conn)
			}()
		}
	}()
}

// track registers conn for Stop; false means Stop has begun.
func (r *Receiver) track(conn net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln == nil {
		return false
	}
	r.conns[conn] = struct{}{}
	return true
}

func (r *Receiver) untrack(conn net.Conn) {
	conn.Close()
	r.mu.Lock()
	delete(r.conns, conn)
	r.mu.Unlock()
}

// handle reads messages from one connection until it ends.
func (r *Receiver) handle(conn net.Conn) {
	var stream net.Conn = conn
	if r.opts.KeepRaw {
		r.mu.Lock()
		stream = &recordingConn{Conn: conn, r: r, index: len(r.raw)}
		r.raw = append(r.raw, nil)
		r.mu.Unlock()
	}
	if r.opts.TLS != nil {
		tlsConn := tls.Server(stream, r.opts.TLS)
		if err := tlsConn.Handshake(); err != nil {
			r.handshakeFailed(err)
			return
		}
		stream = tlsConn
	}
	reader := msgp.NewReader(stream)
	if r.opts.Secure != nil {
		err := r.secureHandshake(stream, reader)
		switch {
		case errors.Is(err, errRefused), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			r.handshakeFailed(err)
			return
		case err != nil:
			r.fail(fmt.Errorf("secure-forward handshake: %w", err))
			return
		}
	}
	var buf bytes.Buffer
	var dec decoder
	for {
		buf.Reset()
		if _, err := reader.CopyNext(&buf); err != nil {
			if err != io.EOF && !errors.Is(err, net.ErrClosed) {
				r.fail(fmt.Errorf("read message: %w", err))
			}
			return
		}
		msg, events, err := dec.message(buf.Bytes(), r.opts.CountOnly)
		if err != nil {
			r.fail(err)
			return
		}
		ack, closeConn := r.store(&msg, events)
		if ack != nil {
			if err := stream.SetWriteDeadline(time.Now().Add(ackWriteTimeout)); err != nil {
				return
			}
			if _, err := stream.Write(ack); err != nil {
				return // the client gave up waiting
			}
		}
		if closeConn {
			conn.Close()
			r.mu.Lock()
			r.closed++
			r.notify()
			r.mu.Unlock()
			return
		}
	}
}

// store records a message and its events and applies the hooks. It returns
// the ack to send, if any, and whether to close the connection.
func (r *Receiver) store(msg *Message, events []Event) (ack []byte, closeConn bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	drop := countDown(&r.dropAck)
	corrupt := countDown(&r.corruptAck)
	closeConn = countDown(&r.closeAfter)
	if msg.Chunk != "" && !drop {
		id := msg.Chunk
		if corrupt {
			id = "x" + id
		}
		ack = msgp.AppendMapHeader(nil, 1)
		ack = msgp.AppendString(ack, "ack")
		ack = msgp.AppendString(ack, id)
		msg.Acked = true
	}
	r.messages = append(r.messages, *msg)
	r.events = append(r.events, events...)
	r.eventCount += msg.Events
	r.notify()
	return ack, closeConn
}

// countDown advances a hook by one message and reports whether it fires on
// this one.
func countDown(hook *int) bool {
	switch {
	case *hook == 0:
		*hook = -1
		return true
	case *hook > 0:
		*hook--
	}
	return false
}

func (r *Receiver) handshakeFailed(err error) {
	r.mu.Lock()
	r.handshakes = append(r.handshakes, err)
	r.notify()
	r.mu.Unlock()
}

func (r *Receiver) fail(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.notify()
	r.mu.Unlock()
}

// recordingConn keeps a copy of everything read from the connection.
type recordingConn struct {
	net.Conn
	r     *Receiver
	index int
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.r.mu.Lock()
		c.r.raw[c.index] = append(c.r.raw[c.index], p[:n]...)
		c.r.mu.Unlock()
	}
	return n, err
}

// decoder decodes messages; it keeps a buffer for decompression.
type decoder struct {
	gunzipped bytes.Buffer
}

// message decodes one complete message. With countOnly it checks the events
// but returns none.
func (d *decoder) message(b []byte, countOnly bool) (Message, []Event, error) {
	var msg Message
	size, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return msg, nil, fmt.Errorf("message: %w", err)
	}
	if size < 2 || size > 4 {
		return msg, nil, fmt.Errorf("message: array of %d elements, want 2 to 4", size)
	}
	if msg.Tag, b, err = msgp.ReadStringBytes(b); err != nil {
		return msg, nil, fmt.Errorf("message tag: %w", err)
	}
	var events []Event
	opt := option{size: -1}
	switch msgp.NextType(b) {
	case msgp.ExtensionType, msgp.IntType, msgp.UintType:
		msg.Mode = ModeMessage
		if size < 3 {
			return msg, nil, errors.New("message mode: no record")
		}
		var ev Event
		if ev, b, err = timeAndRecord(b, msg.Tag, countOnly); err != nil {
			return msg, nil, fmt.Errorf("message mode: %w", err)
		}
		msg.Events = 1
		if !countOnly {
			events = append(events, ev)
		}
		if size == 4 {
			if opt, b, err = readOption(b); err != nil {
				return msg, nil, err
			}
		}
	case msgp.ArrayType:
		msg.Mode = ModeForward
		if size > 3 {
			return msg, nil, fmt.Errorf("forward mode: array of %d elements, want 2 or 3", size)
		}
		var n uint32
		if n, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
			return msg, nil, fmt.Errorf("forward mode: %w", err)
		}
		for i := range n {
			var ev Event
			if ev, b, err = entry(b, msg.Tag, countOnly); err != nil {
				return msg, nil, fmt.Errorf("forward mode: event %d: %w", i, err)
			}
			msg.Events++
			if !countOnly {
				events = append(events, ev)
			}
		}
		if size == 3 {
			if opt, b, err = readOption(b); err != nil {
				return msg, nil, err
			}
		}
	case msgp.StrType, msgp.BinType:
		msg.Mode = ModePackedForward
		if size > 3 {
			return msg, nil, fmt.Errorf("packed forward mode: array of %d elements, want 2 or 3", size)
		}
		var entries []byte
		if msgp.NextType(b) == msgp.StrType {
			entries, b, err = msgp.ReadStringZC(b)
		} else {
			entries, b, err = msgp.ReadBytesZC(b)
		}
		if err != nil {
			return msg, nil, fmt.Errorf("packed forward mode: %w", err)
		}
		if size == 3 {
			if opt, b, err = readOption(b); err != nil {
				return msg, nil, err
			}
		}
		switch opt.compressed {
		case "":
		case "gzip":
			msg.Mode = ModeCompressedPackedForward
			if entries, err = d.gunzip(entries); err != nil {
				return msg, nil, fmt.Errorf("compressed packed forward mode: %w", err)
			}
		default:
			return msg, nil, fmt.Errorf("packed forward mode: unknown compression %q", opt.compressed)
		}
		msg.EntriesSize = len(entries)
		for len(entries) > 0 {
			var ev Event
			if ev, entries, err = entry(entries, msg.Tag, countOnly); err != nil {
				return msg, nil, fmt.Errorf("%v: event %d: %w", msg.Mode, msg.Events, err)
			}
			msg.Events++
			if !countOnly {
				events = append(events, ev)
			}
		}
	default:
		return msg, nil, fmt.Errorf("message: unknown mode: second element is %v", msgp.NextType(b))
	}
	if len(b) > 0 {
		return msg, nil, fmt.Errorf("%v: %d bytes after the message", msg.Mode, len(b))
	}
	if opt.size >= 0 && opt.size != msg.Events {
		return msg, nil, fmt.Errorf("%v: option size %d, but %d events", msg.Mode, opt.size, msg.Events)
	}
	msg.Chunk = opt.chunk
	return msg, events, nil
}

func (d *decoder) gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	d.gunzipped.Reset()
	if _, err := d.gunzipped.ReadFrom(zr); err != nil {
		return nil, err
	}
	return d.gunzipped.Bytes(), zr.Close()
}

// option is what the receiver uses of a message's option map.
type option struct {
	size       int // -1 when absent
	chunk      string
	compressed string
}

func readOption(b []byte) (option, []byte, error) {
	opt := option{size: -1}
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return opt, b, fmt.Errorf("option: %w", err)
	}
	for range n {
		var key []byte
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return opt, b, fmt.Errorf("option key: %w", err)
		}
		switch string(key) {
		case "size":
			var size int
			size, b, err = msgp.ReadIntBytes(b)
			opt.size = size
		case "chunk":
			opt.chunk, b, err = msgp.ReadStringBytes(b)
		case "compressed":
			opt.compressed, b, err = msgp.ReadStringBytes(b)
		default:
			b, err = msgp.Skip(b)
		}
		if err != nil {
			return opt, b, fmt.Errorf("option %q: %w", key, err)
		}
	}
	return opt, b, nil
}

// entry decodes one event [time, record] or [[time, metadata], record].
func entry(b []byte, tag string, countOnly bool) (Event, []byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return Event{}, b, err
	}
	if n != 2 {
		return Event{}, b, fmt.Errorf("array of %d elements, want [time, record]", n)
	}
	if msgp.NextType(b) != msgp.ArrayType {
		return timeAndRecord(b, tag, countOnly)
	}
	// Fluent Bit's own format: [[time, metadata], record].
	if n, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
		return Event{}, b, err
	}
	if n != 2 {
		return Event{}, b, fmt.Errorf("header array of %d elements, want [time, metadata]", n)
	}
	t, b, err := eventTime(b)
	if err != nil {
		return Event{}, b, err
	}
	if msgp.NextType(b) != msgp.MapType {
		return Event{}, b, fmt.Errorf("metadata is %v, want a map", msgp.NextType(b))
	}
	if b, err = msgp.Skip(b); err != nil {
		return Event{}, b, fmt.Errorf("metadata: %w", err)
	}
	return recordAt(b, Event{Tag: tag, Time: t}, countOnly)
}

func timeAndRecord(b []byte, tag string, countOnly bool) (Event, []byte, error) {
	t, b, err := eventTime(b)
	if err != nil {
		return Event{}, b, err
	}
	return recordAt(b, Event{Tag: tag, Time: t}, countOnly)
}

// eventTime decodes EventTime (ext type 0 with big-endian uint32 seconds and
// nanoseconds, as fixext 8 or ext 8) or integer seconds.
func eventTime(b []byte) (time.Time, []byte, error) {
	switch msgp.NextType(b) {
	case msgp.IntType, msgp.UintType:
		sec, rest, err := msgp.ReadInt64Bytes(b)
		if err != nil {
			return time.Time{}, b, fmt.Errorf("time: %w", err)
		}
		return time.Unix(sec, 0).UTC(), rest, nil
	case msgp.ExtensionType:
		// By hand: msgp's extension readers allocate, and CountOnly must not.
		var start int
		switch {
		case len(b) >= 2 && b[0] == 0xd7 && b[1] == 0: // fixext 8
			start = 2
		case len(b) >= 3 && b[0] == 0xc7 && b[1] == 8 && b[2] == 0: // ext 8 of length 8
			start = 3
		default:
			return time.Time{}, b, fmt.Errorf("EventTime: want 8 bytes of extension type 0, got % x", b[:min(len(b), 3)])
		}
		if len(b) < start+8 {
			return time.Time{}, b, fmt.Errorf("EventTime: %w", msgp.ErrShortBytes)
		}
		sec := binary.BigEndian.Uint32(b[start:])
		nsec := binary.BigEndian.Uint32(b[start+4:])
		if nsec > 999_999_999 {
			return time.Time{}, b, fmt.Errorf("EventTime with %d nanoseconds", nsec)
		}
		return time.Unix(int64(sec), int64(nsec)).UTC(), b[start+8:], nil
	}
	return time.Time{}, b, fmt.Errorf("time is %v, want EventTime or an integer", msgp.NextType(b))
}

// recordAt decodes the record map into ev. Keys must be strings and unique.
func recordAt(b []byte, ev Event, countOnly bool) (Event, []byte, error) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return ev, b, fmt.Errorf("record: %w", err)
	}
	if !countOnly {
		ev.Record = make(map[string]string, n)
	}
	for range n {
		var key, val []byte
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return ev, b, fmt.Errorf("record key: %w", err)
		}
		if countOnly {
			if b, err = msgp.Skip(b); err != nil {
				return ev, b, fmt.Errorf("record value of %q: %w", key, err)
			}
			continue
		}
		if _, dup := ev.Record[string(key)]; dup {
			return ev, b, fmt.Errorf("record: duplicate key %q", key)
		}
		switch msgp.NextType(b) {
		case msgp.StrType:
			val, b, err = msgp.ReadStringZC(b)
		case msgp.BinType:
			val, b, err = msgp.ReadBytesZC(b)
		default:
			var v any
			if v, b, err = msgp.ReadIntfBytes(b); err == nil {
				val = fmt.Appendf(nil, "%v", v)
				ev.NonString = append(ev.NonString, string(key))
			}
		}
		if err != nil {
			return ev, b, fmt.Errorf("record value of %q: %w", key, err)
		}
		ev.Record[string(key)] = string(val)
	}
	return ev, b, nil
}

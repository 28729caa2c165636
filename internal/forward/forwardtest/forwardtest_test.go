package forwardtest

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

const waitTimeout = 10 * time.Second

var (
	t1 = time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	t2 = time.Date(2024, 5, 1, 10, 0, 1, 999999999, time.UTC)
)

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Unix()))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

func appendRecord(dst []byte, kv ...string) []byte {
	dst = msgp.AppendMapHeader(dst, uint32(len(kv)/2))
	for _, s := range kv {
		dst = msgp.AppendString(dst, s)
	}
	return dst
}

func appendEntry(dst []byte, t time.Time, kv ...string) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	return appendRecord(appendTime(dst, t), kv...)
}

func options(dst []byte, kv ...any) []byte {
	dst = msgp.AppendMapHeader(dst, uint32(len(kv)/2))
	for i := 0; i < len(kv); i += 2 {
		dst = msgp.AppendString(dst, kv[i].(string))
		switch v := kv[i+1].(type) {
		case string:
			dst = msgp.AppendString(dst, v)
		case int:
			dst = msgp.AppendInt(dst, v)
		}
	}
	return dst
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ackFor(chunk string) []byte {
	b := msgp.AppendMapHeader(nil, 1)
	b = msgp.AppendString(b, "ack")
	return msgp.AppendString(b, chunk)
}

func dial(t *testing.T, r *Receiver) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func write(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
}

// readAck reads exactly len(want) bytes and compares them.
func readAck(t *testing.T, conn net.Conn, want []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(waitTimeout))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("read ack: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("ack: got %x want %x", got, want)
	}
}

func TestModes(t *testing.T) {
	packed := appendEntry(nil, t1, "welf", "a=1", "a", "1")
	packed = appendEntry(packed, t2, "welf", "b=2")
	ev1 := Event{Tag: "app", Time: t1, Record: map[string]string{"welf": "a=1", "a": "1"}}
	ev2 := Event{Tag: "app", Time: t2, Record: map[string]string{"welf": "b=2"}}

	message := func(elems ...[]byte) []byte {
		b := msgp.AppendArrayHeader(nil, uint32(len(elems)+1))
		b = msgp.AppendString(b, "app")
		for _, e := range elems {
			b = append(b, e...)
		}
		return b
	}
	intTimeRecord := msgp.AppendMapHeader(nil, 2)
	intTimeRecord = msgp.AppendString(intTimeRecord, "pri")
	intTimeRecord = msgp.AppendInt(intTimeRecord, 5)
	intTimeRecord = msgp.AppendString(intTimeRecord, "raw")
	intTimeRecord = msgp.AppendBytes(intTimeRecord, []byte{0xff, 'x'})

	// Fluent Bit's [[time, metadata], record] next to a plain entry.
	fluentBitEntry := msgp.AppendArrayHeader(nil, 2)
	fluentBitEntry = msgp.AppendArrayHeader(fluentBitEntry, 2)
	fluentBitEntry = appendTime(fluentBitEntry, t2)
	fluentBitEntry = appendRecord(fluentBitEntry, "meta", "data")
	fluentBitEntry = appendRecord(fluentBitEntry, "welf", "b=2")
	forwardEntries := msgp.AppendArrayHeader(nil, 2)
	forwardEntries = appendEntry(forwardEntries, t1, "welf", "a=1", "a", "1")
	forwardEntries = append(forwardEntries, fluentBitEntry...)

	for _, tt := range []struct {
		name    string
		msg     []byte
		wantMsg Message
		want    []Event
	}{{
		name:    "message with EventTime and ack",
		msg:     message(appendTime(nil, t1), appendRecord(nil, "welf", "a=1", "a", "1"), options(nil, "chunk", "c1")),
		wantMsg: Message{Mode: ModeMessage, Tag: "app", Events: 1, Chunk: "c1", Acked: true},
		want:    []Event{ev1},
	}, {
		name:    "message with integer time and non-string values",
		msg:     message(msgp.AppendInt(nil, int(t1.Unix())), intTimeRecord),
		wantMsg: Message{Mode: ModeMessage, Tag: "app", Events: 1},
		want: []Event{{Tag: "app", Time: time.Unix(t1.Unix(), 0).UTC(),
			Record: map[string]string{"pri": "5", "raw": "\xffx"}, NonString: []string{"pri"}}},
	}, {
		name:    "forward",
		msg:     message(forwardEntries, options(nil, "size", 2, "chunk", "c2")),
		wantMsg: Message{Mode: ModeForward, Tag: "app", Events: 2, Chunk: "c2", Acked: true},
		want:    []Event{ev1, ev2},
	}, {
		name:    "packed forward as bin",
		msg:     message(msgp.AppendBytes(nil, packed), options(nil, "size", 2, "chunk", "c3")),
		wantMsg: Message{Mode: ModePackedForward, Tag: "app", Events: 2, EntriesSize: len(packed), Chunk: "c3", Acked: true},
		want:    []Event{ev1, ev2},
	}, {
		name:    "packed forward as str without option",
		msg:     message(msgp.AppendStringFromBytes(nil, packed)),
		wantMsg: Message{Mode: ModePackedForward, Tag: "app", Events: 2, EntriesSize: len(packed)},
		want:    []Event{ev1, ev2},
	}, {
		name:    "compressed packed forward",
		msg:     message(msgp.AppendBytes(nil, gzipped(t, packed)), options(nil, "size", 2, "compressed", "gzip", "chunk", "c4")),
		wantMsg: Message{Mode: ModeCompressedPackedForward, Tag: "app", Events: 2, EntriesSize: len(packed), Chunk: "c4", Acked: true},
		want:    []Event{ev1, ev2},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			r := Start(t, Options{})
			conn := dial(t, r)
			write(t, conn, tt.msg)
			if tt.wantMsg.Chunk != "" {
				readAck(t, conn, ackFor(tt.wantMsg.Chunk))
			}
			got := r.WaitEvents(len(tt.want), waitTimeout)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\ngot  %+v\nwant %+v", got, tt.want)
			}
			if msgs := r.Messages(); !reflect.DeepEqual(msgs, []Message{tt.wantMsg}) {
				t.Errorf("messages: got %+v want %+v", msgs, tt.wantMsg)
			}
			if n := r.EventCount(); n != len(tt.want) {
				t.Errorf("EventCount: got %d want %d", n, len(tt.want))
			}
		})
	}
}

func TestCountOnly(t *testing.T) {
	r := Start(t, Options{CountOnly: true})
	packed := appendEntry(nil, t1, "welf", "a=1")
	packed = appendEntry(packed, t2, "welf", "b=2")
	msg := msgp.AppendArrayHeader(nil, 3)
	msg = msgp.AppendString(msg, "app")
	msg = msgp.AppendBytes(msg, packed)
	msg = options(msg, "size", 2)
	write(t, dial(t, r), msg)
	r.WaitMessages(1, waitTimeout)
	if n, evs := r.EventCount(), r.Events(); n != 2 || len(evs) != 0 {
		t.Errorf("got EventCount %d and %d events, want 2 and none kept", n, len(evs))
	}
}

func TestProtocolErrors(t *testing.T) {
	header := func(n uint32) []byte {
		return msgp.AppendString(msgp.AppendArrayHeader(nil, n), "app")
	}
	for _, tt := range []struct {
		name string
		msg  []byte
		want string
	}{{
		name: "not an array",
		msg:  msgp.AppendString(nil, "app"),
		want: `message: msgp: attempted to decode type "str" with method for "array"`,
	}, {
		name: "five elements",
		msg:  append(msgp.AppendArrayHeader(nil, 5), 0xc0, 0xc0, 0xc0, 0xc0, 0xc0),
		want: "message: array of 5 elements, want 2 to 4",
	}, {
		name: "size option disagrees",
		msg:  options(msgp.AppendBytes(header(3), appendEntry(nil, t1, "welf", "a=1")), "size", 2),
		want: "PackedForward: option size 2, but 1 events",
	}, {
		name: "duplicate record key",
		msg:  msgp.AppendBytes(header(2), appendEntry(nil, t1, "welf", "a=1", "welf", "b=2")),
		want: `PackedForward: event 0: record: duplicate key "welf"`,
	}, {
		name: "time as a float",
		msg:  appendRecord(msgp.AppendFloat64(header(3), 1.5), "welf", "a=1"),
		want: `message: unknown mode: second element is float64`,
	}, {
		name: "truncated entries",
		msg:  msgp.AppendBytes(header(2), appendEntry(nil, t1, "welf", "a=1")[:10]),
		want: "PackedForward: event 0: EventTime: msgp: too few bytes left to read object",
	}, {
		name: "time of another extension type",
		msg:  msgp.AppendBytes(header(2), append([]byte{0x92, 0xd7, 0x01}, make([]byte, 9)...)),
		want: "PackedForward: event 0: EventTime: want 8 bytes of extension type 0, got d7 01 00",
	}, {
		name: "unknown compression",
		msg:  options(msgp.AppendBytes(header(3), nil), "compressed", "zstd"),
		want: `packed forward mode: unknown compression "zstd"`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			r := Start(t, Options{AllowProtocolErrors: true})
			conn := dial(t, r)
			write(t, conn, tt.msg)
			// The receiver closes the connection on a protocol error.
			conn.SetReadDeadline(time.Now().Add(waitTimeout))
			if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("read after the error: got %d bytes, %v; want EOF", n, err)
			}
			errs := r.Errors()
			if len(errs) != 1 || errs[0].Error() != tt.want {
				t.Errorf("errors: got %q want [%s]", errs, tt.want)
			}
		})
	}
}

func TestHooks(t *testing.T) {
	r := Start(t, Options{})
	msg := func(chunk string) []byte {
		b := msgp.AppendArrayHeader(nil, 3)
		b = msgp.AppendString(b, "app")
		b = msgp.AppendBytes(b, appendEntry(nil, t1, "welf", chunk))
		return options(b, "chunk", chunk)
	}
	conn := dial(t, r)

	r.DropAckAfter(1)
	write(t, conn, msg("m0"))
	readAck(t, conn, ackFor("m0"))
	write(t, conn, msg("m1")) // no ack
	r.WaitMessages(2, waitTimeout)
	r.CorruptNextAck()
	write(t, conn, msg("m2"))
	readAck(t, conn, ackFor("xm2"))
	r.CloseAfterNextMessage()
	write(t, conn, msg("m3"))
	readAck(t, conn, ackFor("m3"))
	r.WaitClosed(1, waitTimeout)
	if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after CloseAfterNextMessage: got %d bytes, %v; want EOF", n, err)
	}

	var acked []string
	for _, m := range r.Messages() {
		acked = append(acked, fmt.Sprintf("%s:%v", m.Chunk, m.Acked))
	}
	if want := []string{"m0:true", "m1:false", "m2:true", "m3:true"}; !reflect.DeepEqual(acked, want) {
		t.Errorf("got %q want %q", acked, want)
	}
}

func TestStopRestartAndRaw(t *testing.T) {
	r := Start(t, Options{KeepRaw: true})
	msg := msgp.AppendArrayHeader(nil, 2)
	msg = msgp.AppendString(msg, "app")
	msg = msgp.AppendBytes(msg, appendEntry(nil, t1, "welf", "a=1"))

	write(t, dial(t, r), msg)
	r.WaitEvents(1, waitTimeout)
	r.Stop()
	if _, err := net.Dial("tcp", r.Addr()); err == nil {
		t.Fatal("dial after Stop succeeded")
	}
	r.Restart()
	write(t, dial(t, r), msg)
	r.WaitEvents(2, waitTimeout)
	if raw := r.Raw(); !reflect.DeepEqual(raw, [][]byte{msg, msg}) {
		t.Errorf("raw: got %x want two times %x", raw, msg)
	}
}

func TestTLS(t *testing.T) {
	certs := NewCerts(t)
	r := Start(t, Options{TLS: certs.ServerConfig()})
	conn, err := tls.Dial("tcp", r.Addr(), certs.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := msgp.AppendArrayHeader(nil, 2)
	msg = msgp.AppendString(msg, "app")
	msg = msgp.AppendBytes(msg, appendEntry(nil, t1, "welf", "a=1"))
	write(t, conn, msg)
	got := r.WaitEvents(1, waitTimeout)
	want := []Event{{Tag: "app", Time: t1, Record: map[string]string{"welf": "a=1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v want %+v", got, want)
	}
}

package forward

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// unhex decodes hex written in readable pieces: spaces and line breaks
// are ignored.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	smallLine = `id=a time="2024-05-01 10:00:00" fw=b pri=5`
	smallTime = time.Date(2024, 5, 1, 10, 0, 0, 500_000_000, time.UTC)
	// smallEntry is [EventTime, record] for smallLine at smallTime, by hand.
	smallEntry = `
		92                                  # array of 2
		d7 00 663212a0 1dcd6500             # EventTime 1714557600 s, 500000000 ns
		85                                  # map of 5
		a4 77656c66                         # "welf"
		d9 2a 69643d612074696d653d22323032342d30352d30312031303a30303a3030222066773d62207072693d35
		a2 6964 a1 61                       # "id": "a"
		a4 74696d65                         # "time"
		b3 323032342d30352d30312031303a30303a3030
		a2 6677 a1 62                       # "fw": "b"
		a3 707269 a1 35                     # "pri": "5", a string like every value
	`
)

// stripComments removes "# ..." comments from hex written with them.
func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "#")
		b.WriteString(line)
		b.WriteString(" ")
	}
	return b.String()
}

func TestAppendEntryBytes(t *testing.T) {
	got := appendEntry(nil, &sink.Record{Time: smallTime, Line: []byte(smallLine)}, time.Time{})
	if want := unhex(t, stripComments(smallEntry)); !bytes.Equal(got, want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
}

func TestAppendMessageBytes(t *testing.T) {
	recs := []sink.Record{{Time: smallTime, Line: []byte(smallLine)}}
	entry := stripComments(smallEntry)
	for _, tt := range []struct {
		name  string
		chunk []byte
		want  string
	}{{
		name: "without ack",
		want: `93 a1 74 c6 00000066` + entry + `81 a4 73697a65 01`,
	}, {
		name:  "with ack",
		chunk: []byte("Y2h1bms="),
		want:  `93 a1 74 c6 00000066` + entry + `82 a4 73697a65 01 a5 6368756e6b a8 59326831626d733d`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			got, n := appendMessage(nil, "t", recs, time.Time{}, tt.chunk, maxEntriesSize, nil)
			if want := unhex(t, tt.want); n != 1 || !bytes.Equal(got, want) {
				t.Errorf("got %d records in\n%x\nwant 1 in\n%x", n, got, want)
			}
		})
	}
}

// With gzip the entries are one gzip member, and the option says so; the
// gzipper is reused from message to message.
func TestAppendMessageGzip(t *testing.T) {
	recs := []sink.Record{{Time: smallTime, Line: []byte(smallLine)}}
	entry := unhex(t, stripComments(smallEntry))
	gz := newGzipper()
	for i := range 2 {
		msg, n := appendMessage(nil, "t", recs, time.Time{}, []byte("Y2h1bms="), maxEntriesSize, gz)
		prefix := []byte{0x93, 0xa1, 't', 0xc6}
		option := unhex(t, `83 a4 73697a65 01 a5 6368756e6b a8 59326831626d733d aa 636f6d70726573736564 a4 677a6970`)
		if n != 1 || !bytes.HasPrefix(msg, prefix) || !bytes.HasSuffix(msg, option) {
			t.Fatalf("message %d: got %d records in %x", i, n, msg)
		}
		payload := msg[len(prefix)+4 : len(msg)-len(option)]
		if size := binary.BigEndian.Uint32(msg[len(prefix):]); int(size) != len(payload) {
			t.Fatalf("message %d: bin length %d, payload %d bytes", i, size, len(payload))
		}
		zr, err := gzip.NewReader(bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, entry) {
			t.Errorf("message %d: gunzipped %x (%v), want %x", i, got, err, entry)
		}
	}
}

func TestAppendMessageSplits(t *testing.T) {
	recs := []sink.Record{
		{Time: smallTime, Line: []byte(smallLine)},
		{Time: smallTime, Line: []byte(smallLine)},
		{Time: smallTime, Line: []byte(smallLine)},
	}
	entrySize := len(appendEntry(nil, &recs[0], time.Time{}))
	for _, tt := range []struct {
		name       string
		maxEntries int
		want       int
	}{
		{"all fit", 3 * entrySize, 3},
		{"two fit exactly", 3*entrySize - 1, 2},
		{"one fits", 2*entrySize - 1, 1},
		{"a record larger than the bound goes alone", entrySize - 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, n := appendMessage(nil, "t", recs, time.Time{}, nil, tt.maxEntries, nil)
			if n != tt.want {
				t.Fatalf("got %d records, want %d", n, tt.want)
			}
			// [tag, bin 32 of n entries, {"size": n}]
			header := []byte{0x93, 0xa1, 't', 0xc6, 0, 0, byte(n * entrySize >> 8), byte(n * entrySize)}
			option := []byte{0x81, 0xa4, 's', 'i', 'z', 'e', byte(n)}
			if wantLen := len(header) + n*entrySize + len(option); len(msg) != wantLen ||
				!bytes.HasPrefix(msg, header) || !bytes.HasSuffix(msg, option) {
				t.Errorf("got %x\nwant %x, %d entries, %x", msg, header, n, option)
			}
		})
	}
}

func TestAppendEventTime(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, tt := range []struct {
		name string
		t    time.Time
		want string
	}{
		{"nanoseconds exact", time.Date(2024, 5, 1, 10, 0, 0, 999_999_999, time.FixedZone("CEST", 7200)), "d7 00 6631f680 3b9ac9ff"},
		{"epoch", time.Unix(0, 0), "d7 00 00000000 00000000"},
		{"zero time is the send time", time.Time{}, "d7 00 67760225 00000006"},
		{"before the epoch", time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC), "d7 00 00000000 00000000"},
		{"last second before Fluent Bit's group markers", time.Unix(0xFFFFFFFD, 7), "d7 00 fffffffd 00000007"},
		{"group start marker second", time.Unix(0xFFFFFFFF, 7), "d7 00 fffffffd 3b9ac9ff"},
		{"far future", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "d7 00 fffffffd 3b9ac9ff"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := appendEventTime(nil, tt.t, now), unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("got %x want %x", got, want)
			}
		})
	}
}

func TestChunkIDs(t *testing.T) {
	ids := chunkIDs{raw: [16]byte{0, 1, 2, 3, 4, 5, 6, 7}}
	for _, want := range []string{"AAECAwQFBgcAAAAAAAAAAQ==", "AAECAwQFBgcAAAAAAAAAAg=="} {
		if got := string(ids.next()); got != want {
			t.Errorf("got %q want %q", got, want)
		}
	}
	a, b := newChunkIDs(), newChunkIDs()
	if idA, idB := string(a.next()), string(b.next()); idA == idB {
		t.Errorf("two clients start with the same chunk id %q", idA)
	}
}

func TestReadAck(t *testing.T) {
	ack := "81 a3 61636b a2 6964" // {"ack": "id"}
	for _, tt := range []struct {
		name    string
		reply   string // hex
		want    string // the acked chunk id
		wantErr string
	}{
		{name: "ack", reply: ack, want: "id"},
		{name: "other keys are ignored", reply: "82 a1 78 01 a3 61636b a2 6964", want: "id"},
		{name: "ack as bin is not an ack", reply: "81 a3 61636b c4 02 6964",
			wantErr: `malformed ack: msgp: attempted to decode type "bin" with method for "str"`},
		{name: "no ack key", reply: "81 a1 78 01", wantErr: `reply without "ack"`},
		{name: "not a map", reply: "91 01", wantErr: `reply is not an ack map: msgp: attempted to decode type "array" with method for "map"`},
		{name: "bytes after the ack", reply: ack + "c0", wantErr: "1 unexpected bytes after the reply"},
		{name: "closed mid-reply", reply: "81 a3 61", wantErr: "connection closed by the receiver"},
		{name: "closed before replying", reply: "", wantErr: "connection closed by the receiver"},
		{name: "too long", reply: "da 0100" + strings.Repeat("61", 256), wantErr: "reply longer than 256 bytes"},
		{name: "invalid msgpack", reply: "c1", wantErr: "malformed reply: msgp: unrecognized type prefix 0xc1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reply := unhex(t, tt.reply)
			client, server := net.Pipe()
			defer client.Close()
			go func() {
				server.Write(reply) // fails once the client gave up; the test checks what the client saw
				server.Close()
			}()
			var buf [maxReplySize]byte
			got, err := readReply(client, buf[:])
			var id []byte
			if err == nil {
				id, err = ackedChunk(got)
			}
			switch {
			case tt.wantErr == "" && (err != nil || string(id) != tt.want):
				t.Errorf("got %q, %v; want %q", id, err, tt.want)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("got %q, %v; want error %s", id, err, tt.wantErr)
			}
		})
	}
}

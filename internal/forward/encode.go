package forward

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// maxEntriesSize bounds the packed entries of one message: a receiver
// buffers a whole message before it stores it, and Fluent Bit's in_forward
// drops the connection when a message exceeds its Buffer_Max_Size (6 MB by
// default). A single larger event is still sent, alone.
const maxEntriesSize = 1 << 20

// lineKey is the record key of the WELF line itself.
const lineKey = "welf"

// maxEventSeconds is the latest EventTime second a record may carry: the two
// above it mark group starts and ends inside Fluent Bit.
const maxEventSeconds = 0xFFFFFFFD

// Prefix bytes of the msgpack types written by hand.
const (
	msgpackBin32    = 0xc6 // bin 32: 4-byte big-endian length, then the bytes
	msgpackFixext8  = 0xd7 // fixext 8: type byte, then 8 data bytes
	eventTimeExtTyp = 0x00 // the forward protocol's EventTime extension
)

// appendMessage appends the PackedForward message [tag, entries, option]
// for the longest prefix of recs whose entries fit into maxEntries bytes,
// but at least one record, and returns it with the number of records it
// carries. The option holds "size", the number of events, "chunk" when
// chunk is not nil, which asks the receiver for an ack, and "compressed"
// when gz is not nil, which then compresses the entries
// (CompressedPackedForward). maxEntries bounds them before compression:
// in_forward bounds what it decompresses too.
func appendMessage(dst []byte, tag string, recs []sink.Record, now time.Time, chunk []byte, maxEntries int, gz *gzipper) ([]byte, int) {
	dst = msgp.AppendArrayHeader(dst, 3)
	dst = msgp.AppendString(dst, tag)
	// The entries are appended in place behind a bin 32 header whose length
	// is filled in afterwards, which saves copying a megabyte per message.
	header := len(dst)
	dst = append(dst, msgpackBin32, 0, 0, 0, 0)
	start := len(dst)
	n := 0
	for n < len(recs) {
		end := len(dst)
		dst = appendEntry(dst, &recs[n], now)
		if n > 0 && len(dst)-start > maxEntries {
			dst = dst[:end]
			break
		}
		n++
	}
	if gz != nil {
		dst = append(dst[:start], gz.compress(dst[start:])...)
	}
	binary.BigEndian.PutUint32(dst[header+1:], uint32(len(dst)-start))
	options := uint32(1)
	if chunk != nil {
		options++
	}
	if gz != nil {
		options++
	}
	dst = msgp.AppendMapHeader(dst, options)
	dst = msgp.AppendString(dst, "size")
	dst = msgp.AppendInt(dst, n)
	if chunk != nil {
		dst = msgp.AppendString(dst, "chunk")
		dst = msgp.AppendStringFromBytes(dst, chunk)
	}
	if gz != nil {
		dst = msgp.AppendString(dst, "compressed")
		dst = msgp.AppendString(dst, "gzip")
	}
	return dst, n
}

// gzipper compresses the entries of one message after another, reusing its
// writer and buffer.
type gzipper struct {
	w   *gzip.Writer
	out bytes.Buffer
}

// newGzipper compresses at gzip's fastest level: WELF text shrinks to a
// fraction even so, and the CPU is the Fluent Bit host's.
func newGzipper() *gzipper {
	gz := &gzipper{}
	gz.w, _ = gzip.NewWriterLevel(&gz.out, gzip.BestSpeed) // a valid level cannot fail
	return gz
}

// compress returns the gzip member of b; it is valid until the next call.
func (gz *gzipper) compress(b []byte) []byte {
	gz.out.Reset()
	gz.w.Reset(&gz.out)
	gz.w.Write(b) // writes into a bytes.Buffer cannot fail
	gz.w.Close()
	return gz.out.Bytes()
}

// appendEntry appends the event [EventTime, record] for rec, where record
// maps "welf" to the line and each decoded WELF field to its value.
func appendEntry(dst []byte, rec *sink.Record, now time.Time) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = appendEventTime(dst, rec.Time, now)
	// A line that is not WELF cannot come from the encoder; sending it
	// without fields still delivers every byte of it.
	fields, err := welf.Decode(rec.Line)
	if err != nil {
		fields = nil
	}
	size := 1
	for i := range fields {
		if fields[i].Key != lineKey {
			size++
		}
	}
	dst = msgp.AppendMapHeader(dst, uint32(size))
	dst = msgp.AppendString(dst, lineKey)
	dst = msgp.AppendStringFromBytes(dst, rec.Line)
	for i := range fields {
		if fields[i].Key == lineKey {
			continue // the line carries it; a second "welf" key would be ambiguous
		}
		dst = msgp.AppendString(dst, fields[i].Key)
		dst = msgp.AppendString(dst, fields[i].Value)
	}
	return dst
}

// appendEventTime appends t as EventTime: fixext 8 of type 0 holding the
// seconds and nanoseconds since the Unix epoch as big-endian uint32s. The
// zero t becomes now; a t outside what the seconds can hold is clamped.
func appendEventTime(dst []byte, t, now time.Time) []byte {
	if t.IsZero() {
		t = now
	}
	var sec, nsec uint32
	switch s := t.Unix(); {
	case s < 0:
		sec, nsec = 0, 0
	case s > maxEventSeconds:
		sec, nsec = maxEventSeconds, 999_999_999
	default:
		sec, nsec = uint32(s), uint32(t.Nanosecond())
	}
	dst = append(dst, msgpackFixext8, eventTimeExtTyp)
	dst = binary.BigEndian.AppendUint32(dst, sec)
	return binary.BigEndian.AppendUint32(dst, nsec)
}

// chunkIDs generates the "chunk" ids of one client: base64 of a random
// 64-bit prefix and a counter, 16 bytes like out_forward's random ids. Ids
// need to be unique only among the messages of one connection, so that an
// ack cannot be taken for another message's; the random prefix also keeps
// them apart across clients and restarts in a receiver's logs.
type chunkIDs struct {
	raw     [16]byte
	encoded [24]byte
	count   uint64
}

func newChunkIDs() chunkIDs {
	var ids chunkIDs
	binary.BigEndian.PutUint64(ids.raw[:8], rand.Uint64())
	return ids
}

// next returns the next id; it is valid until the following call.
func (ids *chunkIDs) next() []byte {
	ids.count++
	binary.BigEndian.PutUint64(ids.raw[8:], ids.count)
	base64.StdEncoding.Encode(ids.encoded[:], ids.raw[:])
	return ids.encoded[:]
}

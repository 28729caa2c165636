package event

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// Group marker seconds: Fluent Bit brackets OpenTelemetry groups with V2
// events carrying these EventTime seconds (src/flb_log_event_decoder.c).
const (
	groupStartSeconds = 0xFFFFFFFF
	groupEndSeconds   = 0xFFFFFFFE
)

// Event is one log event of a chunk.
type Event struct {
	Time time.Time // UTC
	Meta Map       // empty Map for legacy events
	Body Map
}

// Decoder reads the events of one chunk in place. The zero Decoder holds an
// empty chunk; Reset gives it another one.
type Decoder struct {
	chunk []byte
	off   int // offset of the next object
	index int // index of the next object
}

// Reset makes d decode chunk from its start. d keeps no reference to the
// previous chunk.
func (d *Decoder) Reset(chunk []byte) {
	*d = Decoder{chunk: chunk}
}

// Next decodes the next event into ev. It returns io.EOF at the end of the
// chunk.
//
// A well-formed msgpack object that is not a valid event (wrong shape or
// types) returns an *Error and the decoder has already moved past it: the
// caller counts it and calls Next again. Bytes that are not valid msgpack
// (truncated, corrupt) return an *Error with Fatal set; the decoder then stops
// (the next call returns io.EOF) because object boundaries are lost.
//
// ev is left unchanged when Next returns an error.
func (d *Decoder) Next(ev *Event) error {
	for d.off < len(d.chunk) {
		start, index := d.off, d.index
		n, tooDeep, err := objectLen(d.chunk[start:])
		if err != nil {
			d.off = len(d.chunk)
			return &Error{
				Offset:    start,
				Index:     index,
				Reason:    corruptReason(err, start+n),
				Fatal:     true,
				Remaining: len(d.chunk) - start,
			}
		}
		d.off += n
		d.index++
		if tooDeep {
			return &Error{Offset: start, Index: index, Reason: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
		}
		group, reason := decodeEvent(d.chunk[start:d.off], ev)
		switch {
		case reason != "":
			return &Error{Offset: start, Index: index, Reason: reason}
		case !group: // a group marker is skipped
			return nil
		}
	}
	return io.EOF
}

// decodeEvent checks the shape of the validated object obj and stores it in
// ev, unless it is a group marker. reason is set if obj is not an event.
func decodeEvent(obj []byte, ev *Event) (group bool, reason string) {
	if lead := leadByte(obj); kindOf(lead) != KindArray {
		return false, fmt.Sprintf("event is not an array (got %s)", wireType(lead))
	}
	n, rest, _ := msgp.ReadArrayHeaderBytes(obj)
	if n != 2 {
		return false, fmt.Sprintf("event array has %d elements, want 2", n)
	}

	var (
		t    time.Time
		meta Map
	)
	if kindOf(leadByte(rest)) == KindArray { // V2: [[timestamp, {metadata}], {record}]
		n, header, _ := msgp.ReadArrayHeaderBytes(rest)
		if n != 2 {
			return false, fmt.Sprintf("event header has %d elements, want 2", n)
		}
		var marker bool
		t, marker, header, reason = readTime(header)
		if reason != "" {
			return false, reason
		}
		if marker {
			return true, ""
		}
		if meta, reason = readMap(header, "metadata"); reason != "" {
			return false, reason
		}
		rest, _ = skipObject(rest)
	} else { // legacy: [timestamp, {record}]
		if t, _, rest, reason = readTime(rest); reason != "" {
			return false, reason
		}
	}

	body, reason := readMap(rest, "record")
	if reason != "" {
		return false, reason
	}
	*ev = Event{Time: t, Meta: meta, Body: body}
	return false, ""
}

// readTime reads the timestamp at the start of b: an EventTime (ext type 0,
// 8 bytes: uint32 seconds, uint32 nanoseconds, big-endian) or non-negative
// integer or float seconds. groupMarker reports an EventTime with group
// marker seconds.
func readTime(b []byte) (t time.Time, groupMarker bool, rest []byte, reason string) {
	lead := leadByte(b)
	switch kindOf(lead) {
	case KindExt:
		typ, data, _ := readExt(b)
		if typ != 0 || len(data) != 8 {
			return t, false, b, fmt.Sprintf("timestamp is ext type %d with %d bytes, want EventTime (type 0, 8 bytes)", typ, len(data))
		}
		sec := binary.BigEndian.Uint32(data)
		nsec := binary.BigEndian.Uint32(data[4:])
		rest, _ = skipObject(b)
		marker := sec == groupStartSeconds || sec == groupEndSeconds
		return time.Unix(int64(sec), int64(nsec)).UTC(), marker, rest, ""
	case KindInt:
		sec, rest, _ := msgp.ReadInt64Bytes(b)
		if sec < 0 {
			return t, false, b, fmt.Sprintf("timestamp is negative (%d)", sec)
		}
		return time.Unix(sec, 0).UTC(), false, rest, ""
	case KindUint:
		sec, rest, _ := msgp.ReadUint64Bytes(b)
		if sec > math.MaxInt64 {
			return t, false, b, fmt.Sprintf("timestamp out of range (%d)", sec)
		}
		return time.Unix(int64(sec), 0).UTC(), false, rest, ""
	case KindFloat:
		f, rest, _ := msgp.ReadFloat64Bytes(b)
		if !(f >= 0 && f < math.MaxInt64) { // also rejects NaN
			return t, false, b, fmt.Sprintf("timestamp out of range (%g)", f)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), false, rest, ""
	default:
		return t, false, b, fmt.Sprintf("timestamp has type %s", wireType(lead))
	}
}

// readMap reads the map at the start of b; what names it in the reason.
func readMap(b []byte, what string) (Map, string) {
	if lead := leadByte(b); kindOf(lead) != KindMap {
		return Map{}, fmt.Sprintf("%s is not a map (got %s)", what, wireType(lead))
	}
	n, entries, _ := msgp.ReadMapHeaderBytes(b)
	return Map{entries: entries, n: int(n)}, ""
}

// leadByte returns the type byte of the object at the start of b, or the
// never-used 0xc1 if b is empty.
func leadByte(b []byte) byte {
	if len(b) == 0 {
		return 0xc1
	}
	return b[0]
}

// Error describes an object of a chunk that is not a valid event.
type Error struct {
	Offset    int    // byte offset of the bad object in the chunk
	Index     int    // 0-based index of the object in the chunk
	Reason    string // e.g. "record is not a map (got array)"
	Fatal     bool   // the rest of the chunk could not be decoded
	Remaining int    // bytes abandoned when Fatal, from Offset to the end of the chunk
}

func (e *Error) Error() string {
	if e.Fatal {
		return fmt.Sprintf("event #%d at offset %d: %s (%d bytes abandoned)", e.Index, e.Offset, e.Reason, e.Remaining)
	}
	return fmt.Sprintf("event #%d at offset %d: %s", e.Index, e.Offset, e.Reason)
}

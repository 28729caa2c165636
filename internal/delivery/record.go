package delivery

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/welfbridge/welfbridge/internal/durable"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// A frame is one record as the engine stores it, in memory and in the spool
// alike, so a batch goes to a segment exactly as it is queued: a
// [durable] frame. The layout is in the package documentation; without a
// spool the CRC field is left 0.
const (
	frameHeaderLen = durable.FrameHeaderLen
	minBodyLen     = 8 + 1 + 1 // time, severity, an empty host's length
)

// maxBodyLen bounds one record. It keeps lengths far from the 32-bit limit
// of the length field; Fluent Bit chunks, and so records, are megabytes at most.
const maxBodyLen = 1 << 30

// zeroTime stands for the zero time.Time, which has no unix nanosecond value.
const zeroTime = math.MinInt64

// frame is a decoded frame body. host and line point into the decoded bytes.
type frame struct {
	nanos    int64
	severity uint8
	host     []byte
	line     []byte
}

func (f *frame) time() time.Time {
	if f.nanos == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, f.nanos)
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

// bodyLen is the length of the body of r's frame.
func bodyLen(r *sink.Record) int {
	return minBodyLen - 1 + uvarintLen(uint64(len(r.Host))) + len(r.Host) + len(r.Line)
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// encodeBatch copies recs as frames into arena, which it reuses if large
// enough. With sum set the frames carry their checksum (the arena goes to
// the spool).
func encodeBatch(arena []byte, recs []sink.Record, sum bool) ([]byte, error) {
	size := 0
	for i := range recs {
		n := bodyLen(&recs[i])
		if n > maxBodyLen {
			return nil, fmt.Errorf("record %d: %d bytes, more than the %d a record may have", i, n, maxBodyLen)
		}
		size += frameHeaderLen + n
	}
	if cap(arena) > 2*size {
		arena = nil // a small batch must not hold on to a large arena
	}
	arena = slices.Grow(arena[:0], size)
	for i := range recs {
		r := &recs[i]
		arena = appendFrame(arena, unixNanos(r.Time), uint8(r.Severity), r.Host, r.Line, sum)
	}
	return arena, nil
}

// appendFrame appends one record as a frame to dst.
func appendFrame(dst []byte, nanos int64, severity uint8, host string, line []byte, sum bool) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // header, filled in below
	dst = binary.BigEndian.AppendUint64(dst, uint64(nanos))
	dst = append(dst, severity)
	dst = binary.AppendUvarint(dst, uint64(len(host)))
	dst = append(dst, host...)
	dst = append(dst, line...)
	durable.FinishFrame(dst[start:], sum)
	return dst
}

// parseBody decodes a frame body. It accepts only what appendFrame writes,
// so a body that parses re-encodes to the same bytes.
func parseBody(body []byte) (frame, bool) {
	if len(body) < minBodyLen {
		return frame{}, false
	}
	hostLen, n := binary.Uvarint(body[9:])
	if n <= 0 || n != uvarintLen(hostLen) || hostLen > uint64(len(body)-9-n) {
		return frame{}, false
	}
	hostEnd := 9 + n + int(hostLen)
	return frame{
		nanos:    int64(binary.BigEndian.Uint64(body)),
		severity: body[8],
		host:     body[9+n : hostEnd],
		line:     body[hostEnd:],
	}, true
}

// nextFrame decodes the frame at the start of b, trusting its length but
// checking it against b: b holds frames the engine encoded itself.
func nextFrame(b []byte) (f frame, size int, ok bool) {
	if len(b) < frameHeaderLen {
		return frame{}, 0, false
	}
	n, _ := durable.ParseFrameHeader(b)
	if n > int64(len(b)-frameHeaderLen) {
		return frame{}, 0, false
	}
	size = frameHeaderLen + int(n)
	f, ok = parseBody(b[frameHeaderLen:size])
	return f, size, ok
}

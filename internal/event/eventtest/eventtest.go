// Package eventtest builds Fluent Bit msgpack chunks for tests.
package eventtest

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// EventTime seconds Fluent Bit uses to mark the start and end of a group.
const (
	groupStartSeconds = 0xFFFFFFFF
	groupEndSeconds   = 0xFFFFFFFE
)

// AppendV2 appends one Fluent Bit V2 event [[EventTime, {}], record] to dst.
//
// Record values may be string, []byte (written as bin), int, int64, uint64,
// float64, bool, nil, map[string]any and []any, nested freely. Map keys are
// written in sorted order so the output is deterministic. Any other value
// type is a bug in the calling test and panics.
func AppendV2(dst []byte, t time.Time, record map[string]any) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = appendEventTime(dst, uint32(t.Unix()), uint32(t.Nanosecond()))
	dst = msgp.AppendMapHeader(dst, 0)
	return appendValue(dst, record)
}

// AppendLegacy appends one legacy event [EventTime, record] to dst. Record
// values are as for AppendV2.
func AppendLegacy(dst []byte, t time.Time, record map[string]any) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = appendEventTime(dst, uint32(t.Unix()), uint32(t.Nanosecond()))
	return appendValue(dst, record)
}

// AppendGroupStart appends a group start marker [[EventTime(0xFFFFFFFF, 0), {}], {}].
func AppendGroupStart(dst []byte) []byte {
	return appendGroupMarker(dst, groupStartSeconds)
}

// AppendGroupEnd appends a group end marker [[EventTime(0xFFFFFFFE, 0), {}], {}].
func AppendGroupEnd(dst []byte) []byte {
	return appendGroupMarker(dst, groupEndSeconds)
}

func appendGroupMarker(dst []byte, sec uint32) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = appendEventTime(dst, sec, 0)
	dst = msgp.AppendMapHeader(dst, 0)
	return msgp.AppendMapHeader(dst, 0)
}

// appendEventTime appends a Fluent Bit EventTime: fixext8 of ext type 0 with
// big-endian seconds and nanoseconds.
func appendEventTime(dst []byte, sec, nsec uint32) []byte {
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, sec)
	return binary.BigEndian.AppendUint32(dst, nsec)
}

func appendValue(dst []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return msgp.AppendString(dst, v)
	case []byte:
		return msgp.AppendBytes(dst, v)
	case int:
		return msgp.AppendInt(dst, v)
	case int64:
		return msgp.AppendInt64(dst, v)
	case uint64:
		return msgp.AppendUint64(dst, v)
	case float64:
		return msgp.AppendFloat64(dst, v)
	case bool:
		return msgp.AppendBool(dst, v)
	case nil:
		return msgp.AppendNil(dst)
	case map[string]any:
		dst = msgp.AppendMapHeader(dst, uint32(len(v)))
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			dst = msgp.AppendString(dst, k)
			dst = appendValue(dst, v[k])
		}
		return dst
	case []any:
		dst = msgp.AppendArrayHeader(dst, uint32(len(v)))
		for _, e := range v {
			dst = appendValue(dst, e)
		}
		return dst
	default:
		panic(fmt.Sprintf("eventtest: unsupported record value type %T", v))
	}
}

package event_test

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/event"
)

// Builders for hand-made msgpack, so that tests can produce shapes
// eventtest deliberately cannot.

func eventTime(sec, nsec uint32) []byte {
	b := []byte{0xd7, 0x00}
	b = binary.BigEndian.AppendUint32(b, sec)
	return binary.BigEndian.AppendUint32(b, nsec)
}

func arr(elems ...[]byte) []byte {
	return cat(append([][]byte{msgp.AppendArrayHeader(nil, uint32(len(elems)))}, elems...)...)
}

// mp builds a map from alternating keys and values.
func mp(kv ...[]byte) []byte {
	return cat(append([][]byte{msgp.AppendMapHeader(nil, uint32(len(kv)/2))}, kv...)...)
}

func str(s string) []byte { return msgp.AppendString(nil, s) }
func bin(s string) []byte { return msgp.AppendBytes(nil, []byte(s)) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// decodeAll decodes chunk to the end and renders every event and error, one
// string each, so that tests can compare the whole outcome at once.
func decodeAll(t *testing.T, chunk []byte) (out []string) {
	t.Helper()
	var d event.Decoder
	d.Reset(chunk)
	var ev event.Event
	for range len(chunk) + 1 { // every Next consumes at least one byte
		err := d.Next(&ev)
		var evErr *event.Error
		switch {
		case err == io.EOF:
			return out
		case errors.As(err, &evErr) && evErr.Fatal:
			out = append(out, "fatal: "+err.Error())
		case err != nil:
			out = append(out, "error: "+err.Error())
		default:
			out = append(out, renderEvent(ev))
		}
	}
	t.Fatalf("decoder did not reach io.EOF after %d calls", len(chunk)+1)
	return nil
}

// get returns the value of the first entry of m whose key is key.
func get(m event.Map, key string) (event.Value, bool) {
	for it := m.Iter(); it.Next(); {
		if string(it.Key()) == key {
			return it.Value(), true
		}
	}
	return event.Value{}, false
}

func renderEvent(ev event.Event) string {
	return ev.Time.Format(time.RFC3339Nano) + " meta" + renderMap(ev.Meta) + " body" + renderMap(ev.Body)
}

// renderMap renders m as {key=kind:text, ...}.
func renderMap(m event.Map) string {
	var sb strings.Builder
	sb.WriteByte('{')
	it := m.Iter()
	for i := 0; it.Next(); i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		v := it.Value()
		sb.Write(it.Key())
		sb.WriteString("=" + v.Kind().String() + ":")
		sb.Write(v.AppendText(nil))
	}
	sb.WriteByte('}')
	return sb.String()
}

package event_test

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
)

// number is a decoded number in decimal, so that both decoders' integer and
// float types compare equal when their values do.
type number string

// decoded is one record in a form both decoders can be compared in.
type decoded struct {
	time time.Time
	body map[string]any
}

// TestMatchesFluentBitGo decodes a chunk of mixed events with ours and
// fluent-bit-go's decoder and requires the same records. fluent-bit-go drops
// metadata, returns group markers as records and rejects float timestamps,
// so the chunk has no float timestamps and its group markers are filtered
// from fluent-bit-go's output.
func TestMatchesFluentBitGo(t *testing.T) {
	t0 := time.Date(2024, 3, 5, 8, 12, 44, 318000000, time.UTC)
	record := map[string]any{
		"log":    `{"log_id":"WR-SG-SUMMARY","http_status":"200"}`,
		"bin":    []byte("raw \xff bytes"),
		"int":    -42,
		"big":    int64(1) << 40,
		"uint":   uint64(1) << 63,
		"float":  2.5,
		"bool":   true,
		"nil":    nil,
		"nested": map[string]any{"a": []any{"x", int64(1), map[string]any{"b": []byte("c")}}, "e": []any{}},
	}
	var chunk []byte
	chunk = eventtest.AppendGroupStart(chunk)
	for i := range 5 {
		chunk = eventtest.AppendV2(chunk, t0.Add(time.Duration(i)*time.Millisecond), record)
	}
	chunk = eventtest.AppendGroupEnd(chunk)
	chunk = eventtest.AppendLegacy(chunk, t0, map[string]any{"legacy": "EventTime"})
	chunk = append(chunk, arr(msgp.AppendUint32(nil, uint32(t0.Unix())), mp(str("legacy"), str("uint")))...)
	chunk = eventtest.AppendV2(chunk, t0, map[string]any{})
	meta := mp(str("m"), str("dropped by fluent-bit-go"))
	chunk = append(chunk, arr(arr(eventTime(uint32(t0.Unix()), 5), meta), mp(str("k"), str("v")))...)

	ours := decodeOurs(t, chunk)
	theirs := decodeFluentBitGo(t, chunk)
	if len(ours) != 9 {
		t.Fatalf("decoded %d records, want 9", len(ours))
	}
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("records differ:\nours   %v\ntheirs %v", ours, theirs)
	}
}

func decodeOurs(t *testing.T, chunk []byte) []decoded {
	t.Helper()
	var (
		d   event.Decoder
		ev  event.Event
		out []decoded
	)
	d.Reset(chunk)
	for {
		err := d.Next(&ev)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, decoded{time: ev.Time, body: ourMap(ev.Body)})
	}
}

func ourMap(m event.Map) map[string]any {
	out := make(map[string]any)
	for it := m.Iter(); it.Next(); {
		out[string(it.Key())] = ourValue(it.Value())
	}
	return out
}

func ourValue(v event.Value) any {
	switch v.Kind() {
	case event.KindNil:
		return nil
	case event.KindBool:
		return v.Bool()
	case event.KindString:
		return string(v.Bytes())
	case event.KindMap:
		return ourMap(v.Map())
	case event.KindArray:
		out := []any{}
		for it := v.Array().Iter(); it.Next(); {
			out = append(out, ourValue(it.Value()))
		}
		return out
	default: // numbers; the chunk has no ext values
		return number(v.AppendText(nil))
	}
}

func decodeFluentBitGo(t *testing.T, chunk []byte) []decoded {
	t.Helper()
	dec := output.NewDecoder(unsafe.Pointer(&chunk[0]), len(chunk))
	var out []decoded
	for {
		ret, ts, rec := output.GetRecord(dec)
		if ret != 0 {
			return out
		}
		var tm time.Time
		switch ts := ts.(type) {
		case output.FLBTime:
			tm = ts.UTC()
		case uint64:
			tm = time.Unix(int64(ts), 0).UTC()
		default:
			t.Fatalf("fluent-bit-go timestamp has type %T", ts)
		}
		if s := tm.Unix(); s == 0xFFFFFFFF || s == 0xFFFFFFFE {
			continue // group marker
		}
		out = append(out, decoded{time: tm, body: theirValue(t, rec).(map[string]any)})
	}
}

func theirValue(t *testing.T, v any) any {
	switch v := v.(type) {
	case nil, bool:
		return v
	case []byte:
		return string(v)
	case int64:
		return number(strconv.FormatInt(v, 10))
	case uint64:
		return number(strconv.FormatUint(v, 10))
	case float64:
		return number(strconv.FormatFloat(v, 'g', -1, 64))
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = theirValue(t, e)
		}
		return out
	case []any:
		out := []any{}
		for _, e := range v {
			out = append(out, theirValue(t, e))
		}
		return out
	default:
		t.Fatalf("fluent-bit-go value has unexpected type %T", v)
		return nil
	}
}

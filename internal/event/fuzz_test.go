package event_test

import (
	"errors"
	"io"
	"testing"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
)

func FuzzDecoder(f *testing.F) {
	f.Add([]byte{})
	f.Add(good)
	f.Add(cat(eventtest.AppendGroupStart(nil), good, eventtest.AppendGroupEnd(nil), eventtest.AppendLegacy(nil, ts, map[string]any{"a": []any{1.5, nil}})))
	f.Add(cat(good, good[:len(good)-1]))
	f.Add(nested(70))
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		var (
			d  event.Decoder
			ev event.Event
		)
		d.Reset(chunk)
		for calls := 0; ; calls++ {
			if calls > len(chunk) { // every Next consumes at least one byte
				t.Fatalf("no io.EOF after %d calls", calls)
			}
			err := d.Next(&ev)
			if err == io.EOF {
				return
			}
			var evErr *event.Error
			if err != nil && !errors.As(err, &evErr) {
				t.Fatalf("Next returned %T %v, want *event.Error", err, err)
			}
			switch {
			case evErr == nil:
				checkMap(t, ev.Meta)
				checkMap(t, ev.Body)
			case evErr.Offset < 0 || evErr.Offset >= len(chunk) || evErr.Index > evErr.Offset: // every object takes at least one byte
				t.Fatalf("error position out of range: %+v", *evErr)
			case evErr.Fatal:
				if evErr.Remaining != len(chunk)-evErr.Offset {
					t.Fatalf("Remaining = %d, want %d", evErr.Remaining, len(chunk)-evErr.Offset)
				}
				if err := d.Next(&ev); err != io.EOF {
					t.Fatalf("Next after a fatal error = %v, want io.EOF", err)
				}
				return
			}
		}
	})
}

// checkMap iterates m in full, as a consumer would, and checks that it holds
// as many entries as it claims.
func checkMap(t *testing.T, m event.Map) {
	t.Helper()
	n := 0
	for it := m.Iter(); it.Next(); n++ {
		it.Key()
		checkValue(t, it.Value())
	}
	if n != event.MapLen(m) {
		t.Fatalf("map iterated %d entries, header says %d", n, event.MapLen(m))
	}
}

func checkValue(t *testing.T, v event.Value) {
	t.Helper()
	v.AppendText(nil)
	switch v.Kind() {
	case event.KindMap:
		checkMap(t, v.Map())
	case event.KindArray:
		a := v.Array()
		n := 0
		for it := a.Iter(); it.Next(); n++ {
			checkValue(t, it.Value())
		}
		if n != event.ArrayLen(a) {
			t.Fatalf("array iterated %d elements, header says %d", n, event.ArrayLen(a))
		}
	}
}

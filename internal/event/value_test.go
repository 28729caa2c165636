package event_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
)

// decodeOne decodes a chunk holding one event.
func decodeOne(t *testing.T, chunk []byte) event.Event {
	t.Helper()
	var d event.Decoder
	d.Reset(chunk)
	var ev event.Event
	if err := d.Next(&ev); err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

// valueOf returns the msgpack object raw as decoded from a record.
func valueOf(t *testing.T, raw []byte) event.Value {
	t.Helper()
	v, ok := get(decodeOne(t, arr(emptyV2Hdr, mp(str("v"), raw))).Body, "v")
	if !ok {
		t.Fatal(`Get("v") found nothing`)
	}
	return v
}

func TestValueAccessors(t *testing.T) {
	tests := []struct {
		name           string
		raw            []byte
		kind           event.Kind
		bytes          string
		isNilBytes     bool
		int            int64
		float          float64
		bool           bool
		mapLen, arrLen int
	}{
		{name: "nil", raw: msgp.AppendNil(nil), kind: event.KindNil, isNilBytes: true},
		{name: "true", raw: msgp.AppendBool(nil, true), kind: event.KindBool, isNilBytes: true, bool: true},
		{name: "false", raw: msgp.AppendBool(nil, false), kind: event.KindBool, isNilBytes: true},
		{name: "negative fixint", raw: msgp.AppendInt64(nil, -5), kind: event.KindInt, isNilBytes: true, int: -5, float: -5},
		{name: "int64", raw: msgp.AppendInt64(nil, math.MinInt64), kind: event.KindInt, isNilBytes: true, int: math.MinInt64, float: math.MinInt64},
		{name: "uint8", raw: msgp.AppendUint8(nil, 200), kind: event.KindUint, isNilBytes: true, int: 200, float: 200},
		{name: "uint64 saturates", raw: msgp.AppendUint64(nil, math.MaxUint64), kind: event.KindUint, isNilBytes: true, int: math.MaxInt64, float: math.MaxUint64},
		{name: "float32", raw: msgp.AppendFloat32(nil, 0.5), kind: event.KindFloat, isNilBytes: true, float: 0.5},
		{name: "float64", raw: msgp.AppendFloat64(nil, -2.25), kind: event.KindFloat, isNilBytes: true, float: -2.25},
		{name: "str", raw: str("héllo"), kind: event.KindString, bytes: "héllo"},
		{name: "str8", raw: str(string(make([]byte, 40))), kind: event.KindString, bytes: string(make([]byte, 40))},
		{name: "bin", raw: bin("\x00\xff"), kind: event.KindString, bytes: "\x00\xff"},
		{name: "empty str", raw: str(""), kind: event.KindString},
		{name: "map", raw: mp(str("a"), str("b"), str("c"), str("d")), kind: event.KindMap, isNilBytes: true, mapLen: 2},
		{name: "array", raw: arr(str("a"), arr(), mp()), kind: event.KindArray, isNilBytes: true, arrLen: 3},
		{name: "ext", raw: []byte{0xc7, 0x03, 0x09, 1, 2, 3}, kind: event.KindExt, isNilBytes: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := valueOf(t, tt.raw)
			if v.Kind() != tt.kind {
				t.Errorf("Kind() = %v, want %v", v.Kind(), tt.kind)
			}
			if b := v.Bytes(); string(b) != tt.bytes || (b == nil) != tt.isNilBytes {
				t.Errorf("Bytes() = %q (nil %t), want %q (nil %t)", b, b == nil, tt.bytes, tt.isNilBytes)
			}
			if v.Int() != tt.int {
				t.Errorf("Int() = %d, want %d", v.Int(), tt.int)
			}
			if v.Float() != tt.float {
				t.Errorf("Float() = %g, want %g", v.Float(), tt.float)
			}
			if v.Bool() != tt.bool {
				t.Errorf("Bool() = %t, want %t", v.Bool(), tt.bool)
			}
			if n := event.MapLen(v.Map()); n != tt.mapLen {
				t.Errorf("Map() has %d entries, want %d", n, tt.mapLen)
			}
			if n := event.ArrayLen(v.Array()); n != tt.arrLen {
				t.Errorf("Array() has %d elements, want %d", n, tt.arrLen)
			}
		})
	}
}

func TestAppendText(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"nil", msgp.AppendNil(nil), ""},
		{"bool", msgp.AppendBool(nil, false), "false"},
		{"int", msgp.AppendInt64(nil, -1234567), "-1234567"},
		{"uint", msgp.AppendUint64(nil, math.MaxUint64), "18446744073709551615"},
		{"float64", msgp.AppendFloat64(nil, 1e21), "1e+21"},
		{"float32 keeps its digits", msgp.AppendFloat32(nil, 3.14), "3.14"},
		{"infinity", msgp.AppendFloat64(nil, math.Inf(-1)), "-Inf"},
		{"str is raw", str("a \"quoted\"\n"), "a \"quoted\"\n"},
		{"bin is raw", bin("\x00\x01"), "\x00\x01"},
		{"fixext8", []byte{0xd7, 0x00, 0x65, 0xe6, 0xd3, 0xfc, 0, 0, 0, 1}, "65e6d3fc00000001"},
		{"empty ext8", []byte{0xc7, 0x00, 0x01}, ""},
		{"empty map", mp(), "{}"},
		{"array of every kind", arr(
			msgp.AppendNil(nil), msgp.AppendBool(nil, true), msgp.AppendInt64(nil, -1), msgp.AppendUint64(nil, 255),
			msgp.AppendFloat64(nil, 0.5), msgp.AppendFloat64(nil, math.NaN()), str("s"), bin("b"),
			[]byte{0xd4, 0x00, 0x7f}, arr(), mp(msgp.AppendBool(nil, false), msgp.AppendNil(nil)),
		), `[null,true,-1,255,0.5,null,"s","b","7f",[],{"false":null}]`},
		{"JSON escaping", arr(str("q\" b\\ \t\r\n \x00\x1f \x7f ü \u2028 \xc3\x28 end")),
			`["q\" b\\ \t\r\n \u0000\u001f ` + "\x7f ü \u2028" + ` \ufffd( end"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix:")
			if got := string(valueOf(t, tt.raw).AppendText(prefix)); got != "prefix:"+tt.want {
				t.Errorf("AppendText = %q, want %q", got, "prefix:"+tt.want)
			}
		})
	}
}

// TestMapKeys checks that keys come in encoded order, duplicates included,
// str and bin keys as they are and other keys in their text form.
func TestMapKeys(t *testing.T) {
	body := decodeOne(t, arr(emptyV2Hdr, mp(
		str("log_id"), str("WR-SG-SUMMARY"),
		msgp.AppendInt(nil, 7), str("seven"),
		bin("bin"), str("key"),
		str("log_id"), str("duplicate"),
		str(""), str("empty key"),
	))).Body
	var got []string
	for it := body.Iter(); it.Next(); {
		got = append(got, string(it.Key())+"="+string(it.Value().Bytes()))
	}
	want := []string{"log_id=WR-SG-SUMMARY", "7=seven", "bin=key", "log_id=duplicate", "=empty key"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
}

func TestIteratorsStopAtEnd(t *testing.T) {
	ev := decodeOne(t, arr(emptyV2Hdr, mp(str("a"), arr(str("x")), str("b"), str("y"))))
	it := ev.Body.Iter()
	var keys []string
	for it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if it.Next() {
		t.Error("MapIter.Next() = true after the end")
	}
	if len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Errorf("keys = %q, want [a b]", keys)
	}

	a, _ := get(ev.Body, "a")
	ai := a.Array().Iter()
	if !ai.Next() || string(ai.Value().Bytes()) != "x" || ai.Next() || ai.Next() {
		t.Error(`Array iteration did not yield exactly "x"`)
	}

	var zero event.Map
	zi := zero.Iter()
	if event.MapLen(zero) != 0 || zi.Next() {
		t.Error("zero Map is not empty")
	}
	var zeroArr event.Array
	zai := zeroArr.Iter()
	if event.ArrayLen(zeroArr) != 0 || zai.Next() {
		t.Error("zero Array is not empty")
	}
	var zeroValue event.Value
	if zeroValue.Kind() != event.KindNil || zeroValue.AppendText(nil) != nil {
		t.Error("zero Value is not nil")
	}
}

func TestKindString(t *testing.T) {
	want := []string{"nil", "bool", "int", "uint", "float", "string", "map", "array", "ext", "Kind(9)"}
	for k := range event.Kind(len(want)) {
		if got := k.String(); got != want[k] {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want[k])
		}
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	chunk := cat(good, eventtest.AppendGroupStart(nil), arr(emptyV2Hdr, mp(str("log"), str("x"), str("n"), arr(bin("y"), mp()))))
	var (
		d   event.Decoder
		ev  event.Event
		buf = make([]byte, 0, 64)
	)
	allocs := testing.AllocsPerRun(100, func() {
		d.Reset(chunk)
		for d.Next(&ev) == nil {
			for it := ev.Body.Iter(); it.Next(); {
				buf = it.Value().AppendText(append(buf[:0], it.Key()...))
			}
			if _, ok := get(ev.Body, "log"); !ok {
				t.Fatal(`Get("log") found nothing`)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("decoding allocated %v times per chunk, want 0", allocs)
	}
}

func TestMapAppendJSON(t *testing.T) {
	chunk := eventtest.AppendV2(nil, time.Unix(0, 0), map[string]any{"a": "x\"y", "n": 1, "m": map[string]any{"k": []any{true, nil}}})
	var d event.Decoder
	d.Reset(chunk)
	var ev event.Event
	if err := d.Next(&ev); err != nil {
		t.Fatal(err)
	}
	if got, want := string(ev.Body.AppendJSON([]byte("> "))), `> {"a":"x\"y","m":{"k":[true,null]},"n":1}`; got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

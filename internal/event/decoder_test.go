package event_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
)

var (
	ts = time.Date(2024, 3, 5, 8, 12, 44, 318000000, time.UTC)
	// good is a 21-byte V2 event that follows bad objects to show that decoding goes on.
	good       = eventtest.AppendV2(nil, ts, map[string]any{"log": "ok"})
	goodText   = "2024-03-05T08:12:44.318Z meta{} body{log=string:ok}"
	tsSeconds  = uint32(ts.Unix())
	emptyV2Hdr = arr(eventTime(tsSeconds, 0), mp())
)

// nested returns depth arrays nested in each other around a nil.
func nested(depth int) []byte {
	return append(bytes.Repeat([]byte{0x91}, depth), 0xc0)
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		name  string
		chunk []byte
		want  []string
	}{
		{name: "empty chunk"},
		{
			name: "V2 with metadata",
			chunk: arr(
				arr(eventTime(tsSeconds, 318000000), mp(str("otlp"), mp(str("severity"), str("INFO")))),
				mp(str("log"), str("hello"), str("stream"), str("stdout")),
			),
			want: []string{`2024-03-05T08:12:44.318Z meta{otlp=map:{"severity":"INFO"}} body{log=string:hello, stream=string:stdout}`},
		},
		{
			name:  "V2 with EventTime as ext8",
			chunk: arr(arr(cat([]byte{0xc7, 0x08, 0x00}, eventTime(tsSeconds, 7)[2:]), mp()), mp(str("a"), str("b"))),
			want:  []string{"2024-03-05T08:12:44.000000007Z meta{} body{a=string:b}"},
		},
		{
			name:  "legacy EventTime",
			chunk: eventtest.AppendLegacy(nil, ts, map[string]any{"log": "ok"}),
			want:  []string{goodText},
		},
		{
			name:  "legacy int seconds",
			chunk: arr(msgp.AppendInt64(nil, int64(tsSeconds)), mp(str("log"), str("ok"))),
			want:  []string{"2024-03-05T08:12:44Z meta{} body{log=string:ok}"},
		},
		{
			name:  "legacy uint seconds",
			chunk: arr(msgp.AppendUint32(nil, tsSeconds), mp(str("log"), str("ok"))),
			want:  []string{"2024-03-05T08:12:44Z meta{} body{log=string:ok}"},
		},
		{
			name:  "legacy float seconds",
			chunk: arr(msgp.AppendFloat64(nil, float64(tsSeconds)+0.25), mp(str("log"), str("ok"))),
			want:  []string{"2024-03-05T08:12:44.25Z meta{} body{log=string:ok}"},
		},
		{
			name:  "int seconds in a V2 header",
			chunk: arr(arr(msgp.AppendInt64(nil, 0), mp()), mp()),
			want:  []string{"1970-01-01T00:00:00Z meta{} body{}"},
		},
		{
			name:  "group markers skipped",
			chunk: cat(eventtest.AppendGroupStart(nil), good, eventtest.AppendGroupEnd(nil), eventtest.AppendGroupStart(nil), good),
			want:  []string{goodText, goodText},
		},
		{
			name:  "group marker seconds in a legacy event are an ordinary time",
			chunk: arr(eventTime(0xFFFFFFFF, 0), mp()),
			want:  []string{"2106-02-07T06:28:15Z meta{} body{}"},
		},
		{
			name:  "str and bin keys and values",
			chunk: arr(emptyV2Hdr, mp(str("s"), str("text"), str("b"), bin("bytes"), bin("binkey"), str("v"), str("empty"), bin(""))),
			want:  []string{"2024-03-05T08:12:44Z meta{} body{s=string:text, b=string:bytes, binkey=string:v, empty=string:}"},
		},
		{
			name: "scalar values",
			chunk: arr(emptyV2Hdr, mp(
				str("nil"), msgp.AppendNil(nil),
				str("true"), msgp.AppendBool(nil, true),
				str("false"), msgp.AppendBool(nil, false),
				str("int"), msgp.AppendInt64(nil, -300),
				str("fixint"), msgp.AppendInt64(nil, 7),
				str("uint"), msgp.AppendUint64(nil, math.MaxUint64),
				str("float64"), msgp.AppendFloat64(nil, 1.5e-7),
				str("float32"), msgp.AppendFloat32(nil, 0.1),
				str("nan"), msgp.AppendFloat64(nil, math.NaN()),
				str("ext"), []byte{0xd5, 0x05, 0xbe, 0xef},
			)),
			want: []string{"2024-03-05T08:12:44Z meta{} body{" +
				"nil=nil:, true=bool:true, false=bool:false, int=int:-300, fixint=int:7, " +
				"uint=uint:18446744073709551615, float64=float:1.5e-07, float32=float:0.1, nan=float:NaN, ext=ext:beef}"},
		},
		{
			name: "nested maps and arrays as JSON",
			chunk: arr(emptyV2Hdr, mp(
				str("m"), mp(
					str("a"), arr(msgp.AppendInt(nil, 1), str("x\"y\n\x01é"), msgp.AppendNil(nil), msgp.AppendBool(nil, true),
						msgp.AppendFloat64(nil, 1.5), mp(str("b"), bin("c\xff"))),
					str("e"), mp(),
					msgp.AppendInt(nil, 12), arr(msgp.AppendFloat64(nil, math.Inf(1)), []byte{0xd4, 0x01, 0x2a}),
				),
				str("l"), arr(),
			)),
			want: []string{`2024-03-05T08:12:44Z meta{} body{` +
				`m=map:{"a":[1,"x\"y\n\u0001é",null,true,1.5,{"b":"c\ufffd"}],"e":{},"12":[null,"2a"]}, l=array:[]}`},
		},
		{
			name: "non-string keys",
			chunk: arr(emptyV2Hdr, mp(
				msgp.AppendInt(nil, 12), str("a"),
				msgp.AppendBool(nil, true), str("b"),
				msgp.AppendFloat64(nil, 2.5), str("c"),
				msgp.AppendNil(nil), str("d"),
				arr(str("k")), str("e"),
				msgp.AppendUint64(nil, 300), str("f"),
			)),
			want: []string{`2024-03-05T08:12:44Z meta{} body{12=string:a, true=string:b, 2.5=string:c, =string:d, ["k"]=string:e, 300=string:f}`},
		},
		{
			name: "invalid shapes are skipped",
			chunk: cat(
				mp(), good,
				str("x"), good,
				arr(eventTime(tsSeconds, 0), mp(), mp()), good,
				arr(arr(eventTime(tsSeconds, 0)), mp()), good,
				arr(arr(eventTime(tsSeconds, 0), mp(), mp()), mp()), good,
				arr(str("2024-03-05"), mp()), good,
				arr(arr(bin("x"), mp()), mp()), good,
				arr(arr(msgp.AppendNil(nil), mp()), mp()), good,
				arr(arr(mp(), mp()), mp()), good,
				arr(arr([]byte{0xd7, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}, mp()), mp()), good,
				arr([]byte{0xd6, 0x00, 0, 0, 0, 0}, mp()), good,
				arr(msgp.AppendInt64(nil, -1), mp()), good,
				arr(msgp.AppendUint64(nil, math.MaxUint64), mp()), good,
				arr(msgp.AppendFloat64(nil, math.NaN()), mp()), good,
				arr(msgp.AppendFloat64(nil, -1.5), mp()), good,
				arr(arr(eventTime(tsSeconds, 0), arr()), mp()), good,
				arr(emptyV2Hdr, arr(str("log"), str("x"))), good,
				arr(emptyV2Hdr, msgp.AppendNil(nil)), good,
				arr(eventTime(tsSeconds, 0), str("log")), good,
			),
			want: []string{
				"error: event #0 at offset 0: event is not an array (got map)", goodText,
				"error: event #2 at offset 22: event is not an array (got str)", goodText,
				"error: event #4 at offset 45: event array has 3 elements, want 2", goodText,
				"error: event #6 at offset 79: event header has 1 elements, want 2", goodText,
				"error: event #8 at offset 113: event header has 3 elements, want 2", goodText,
				"error: event #10 at offset 149: timestamp has type str", goodText,
				"error: event #12 at offset 183: timestamp has type bin", goodText,
				"error: event #14 at offset 211: timestamp has type nil", goodText,
				"error: event #16 at offset 237: timestamp has type map", goodText,
				"error: event #18 at offset 263: timestamp is ext type 5 with 8 bytes, want EventTime (type 0, 8 bytes)", goodText,
				"error: event #20 at offset 298: timestamp is ext type 0 with 4 bytes, want EventTime (type 0, 8 bytes)", goodText,
				"error: event #22 at offset 327: timestamp is negative (-1)", goodText,
				"error: event #24 at offset 351: timestamp out of range (18446744073709551615)", goodText,
				"error: event #26 at offset 383: timestamp out of range (NaN)", goodText,
				"error: event #28 at offset 415: timestamp out of range (-1.5)", goodText,
				"error: event #30 at offset 447: metadata is not a map (got array)", goodText,
				"error: event #32 at offset 482: record is not a map (got array)", goodText,
				"error: event #34 at offset 523: record is not a map (got nil)", goodText,
				"error: event #36 at offset 558: record is not a map (got str)", goodText,
			},
		},
		{
			name:  "error offset and index count group markers",
			chunk: cat(good, eventtest.AppendGroupStart(nil), arr(emptyV2Hdr, arr()), good),
			want:  []string{goodText, "error: event #2 at offset 35: record is not a map (got array)", goodText},
		},
		{
			name:  "truncated tail is fatal",
			chunk: cat(good, good[:len(good)-3]),
			want:  []string{goodText, "fatal: event #1 at offset 21: truncated msgpack object at offset 39 (18 bytes abandoned)"},
		},
		{
			name:  "invalid type byte is fatal and abandons later events",
			chunk: cat(good, []byte{0x92, 0xc1, 0x80}, good),
			want:  []string{goodText, "fatal: event #1 at offset 21: invalid msgpack type byte 0xc1 at offset 22 (24 bytes abandoned)"},
		},
		{
			name:  "map header claiming more entries than bytes",
			chunk: []byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0},
			want:  []string{"fatal: event #0 at offset 0: truncated msgpack object at offset 6 (6 bytes abandoned)"},
		},
		{
			name:  "string longer than the chunk",
			chunk: []byte{0xa5, 'a'},
			want:  []string{"fatal: event #0 at offset 0: truncated msgpack object at offset 0 (2 bytes abandoned)"},
		},
		{
			name:  "nesting at the limit",
			chunk: arr(emptyV2Hdr, mp(str("d"), nested(62))),
			want:  []string{"2024-03-05T08:12:44Z meta{} body{d=array:" + strings.Repeat("[", 62) + "null" + strings.Repeat("]", 62) + "}"},
		},
		{
			name:  "nesting over the limit is skipped",
			chunk: cat(arr(emptyV2Hdr, mp(str("d"), nested(63))), good),
			want:  []string{"error: event #0 at offset 0: nesting deeper than 64 levels", goodText},
		},
		{
			name:  "hostile nesting with a known end is skipped",
			chunk: cat(nested(100000), good),
			want:  []string{"error: event #0 at offset 0: nesting deeper than 64 levels", goodText},
		},
		{
			name:  "hostile nesting without an end is fatal",
			chunk: bytes.Repeat([]byte{0x91}, 100000),
			want:  []string{"fatal: event #0 at offset 0: truncated msgpack object at offset 100000 (100000 bytes abandoned)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAll(t, tt.chunk)
			if !slices.Equal(got, tt.want) {
				t.Errorf("events:\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDecoderErrorFields(t *testing.T) {
	chunk := cat(good, arr(emptyV2Hdr, arr()), good[:5])
	var d event.Decoder
	d.Reset(chunk)
	ev := event.Event{Time: ts}

	if err := d.Next(&ev); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	want := []event.Error{
		{Offset: 21, Index: 1, Reason: "record is not a map (got array)"},
		{Offset: 35, Index: 2, Reason: "truncated msgpack object at offset 37", Fatal: true, Remaining: 5},
	}
	for _, w := range want {
		before := ev
		var got *event.Error
		if err := d.Next(&ev); !errors.As(err, &got) {
			t.Fatalf("Next = %v, want *event.Error %+v", err, w)
		}
		if *got != w {
			t.Errorf("Next error = %+v, want %+v", *got, w)
		}
		if renderEvent(ev) != renderEvent(before) {
			t.Errorf("Next changed ev on error: %s", renderEvent(ev))
		}
	}
	for range 2 {
		if err := d.Next(&ev); err != io.EOF {
			t.Fatalf("Next after fatal error = %v, want io.EOF", err)
		}
	}

	d.Reset(good)
	if err := d.Next(&ev); err != nil {
		t.Fatalf("Next after Reset: %v", err)
	}
	if got := renderEvent(ev); got != goodText {
		t.Errorf("event after Reset = %s, want %s", got, goodText)
	}
}

func TestZeroDecoder(t *testing.T) {
	var d event.Decoder
	var ev event.Event
	if err := d.Next(&ev); err != io.EOF {
		t.Errorf("Next = %v, want io.EOF", err)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  event.Error
		want string
	}{
		{
			err:  event.Error{Offset: 1234, Index: 3, Reason: "record is not a map (got array)"},
			want: "event #3 at offset 1234: record is not a map (got array)",
		},
		{
			err:  event.Error{Offset: 10, Index: 1, Reason: "truncated msgpack object at offset 12", Fatal: true, Remaining: 7},
			want: "event #1 at offset 10: truncated msgpack object at offset 12 (7 bytes abandoned)",
		},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

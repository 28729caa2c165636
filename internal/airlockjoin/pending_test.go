package airlockjoin

import (
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

// TestPendingRoundTrip: a record's kept fields come back as they were.
func TestPendingRoundTrip(t *testing.T) {
	var rec airlock.Record
	if err := airlock.ParseLine(fixture(t, "blocked_block"), &rec); err != nil {
		t.Fatal(err)
	}
	rec.Set([]byte("x_long"), make([]byte, 300)) // a length of two bytes
	at := time.Date(2024, 3, 5, 8, 13, 2, 907_000_000, time.UTC)
	p := newPending(appendComponent(nil, &rec, airlock.KindBlock, at), airlock.KindBlock, 0)
	if err := validate(p, requestKinds, requestKinds); err != nil {
		t.Fatal(err)
	}
	r := p.componentReader()
	c, ok := r.next()
	if !ok || c.kind != airlock.KindBlock || !c.eventTime().Equal(at) {
		t.Fatalf("component %v %v at %v", ok, c.kind, c.eventTime())
	}
	var got airlock.Record
	fr := fieldReader{b: c.fields}
	for {
		id, key, val, ok := fr.next()
		if !ok {
			break
		}
		if id == extraID {
			got.Set(key, val)
		} else {
			got.Set([]byte(airlock.Field(id).Name()), val)
		}
	}
	for f := range airlock.NumFields {
		want := rec.Get(f)
		if !keeps(f, airlock.KindBlock) {
			want = nil
		}
		if string(got.Get(f)) != string(want) {
			t.Errorf("%s = %q, want %q", f.Name(), got.Get(f), want)
		}
	}
	if len(got.Extra()) != 1 || len(got.Extra()[0].Value) != 300 {
		t.Errorf("unknown fields %q", got.Extra())
	}
	if _, ok := r.next(); ok || r.bad || fr.bad {
		t.Errorf("after the component: ok %v, bad %v %v", ok, r.bad, fr.bad)
	}
}

func TestValidate(t *testing.T) {
	var empty airlock.Record
	conntrace := appendComponent(nil, &empty, airlock.KindConntrace, base)
	summary := appendComponent(nil, &empty, airlock.KindSummary, base)
	valid := newPending(conntrace, airlock.KindConntrace, 0)
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"valid", valid, ""},
		{"ready", pending{flagReady, 2, 0}.with(conntrace, airlock.KindConntrace, 0), ""},
		{"short", []byte{0, 2}, "malformed pending value: length 2"},
		{"unknown flag", append(pending{4, 2, 0}, conntrace...), "malformed pending value: flags 0x4"},
		{"export flag without the field", append(pending{flagExport, 2, 0}, conntrace...), "malformed pending value: flags 0x2 do not match the fields"},
		{"kinds disagree", append(pending{0, 6, 0}, conntrace...), "malformed pending value: components of kinds 0x2, header says 0x6"},
		{"kind twice", append(append(pending{0, 2, 0}, conntrace...), conntrace...), "malformed pending value: component kind 1 twice"},
		{"session kind", append(pending{0, 0x20, 0}, appendComponent(nil, &empty, airlock.KindSessionStart, base)...), "malformed pending value: component kind 5"},
		{"kind out of range", append(pending{0, 2, 0}, append([]byte{0x11}, conntrace[1:]...)...), "malformed pending value: component kind 17"},
		{"no component", pending{0, 0, 0}, "malformed pending value: no component of kinds 0x19e"},
		{"cut component", valid[:len(valid)-1], "malformed pending value: bad component"},
		// Time 0, then a field id past airlock.NumFields.
		{"bad field id", append(pending{0, 4, 0}, byte(airlock.KindSummary), 0, 0, 0, 3, 0, 0xF0, 0),
			"malformed pending value: component kind 2: bad field"},
		{"summary and conntrace", append(append(pending{0, 6, 0}, summary...), conntrace...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errText(validate(tt.b, requestKinds, requestKinds)); got != tt.want {
				t.Errorf("validate = %q, want %q", got, tt.want)
			}
		})
	}
}

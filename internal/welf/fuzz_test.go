package welf

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// encodeFuzz writes a record with the three fuzzed values: msg and agent as
// text, arg as a structured field. It returns the fields Decode must give
// back without truncation and the length of the record without text fields.
func encodeFuzz(t *testing.T, b *Builder, msg, agent, arg []byte) (rec []byte, want []Field, floor int) {
	t.Helper()
	b.Begin(testHeader())
	b.Str("src", "10.0.0.1")
	b.TextBytes("msg", msg)
	b.Bytes("arg", arg)
	b.TextBytes("agent", agent)
	b.Int("result", 200)
	rec, err := b.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want = withHeader(Field{"src", "10.0.0.1"})
	floor = len(testPrefix) + len(" src=10.0.0.1") + len(" result=200")
	if len(msg) > 0 {
		want = append(want, Field{"msg", string(msg)})
	}
	if len(arg) > 0 {
		want = append(want, Field{"arg", string(arg)})
		escaped, spaced := appendEscaped(nil, arg)
		floor += len(" arg=") + len(escaped)
		if needsQuotes(arg, spaced) {
			floor += 2
		}
	}
	if len(agent) > 0 {
		want = append(want, Field{"agent", string(agent)})
	}
	return rec, append(want, Field{"result", "200"}), floor
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("request blocked"), []byte("Mozilla/5.0 (X11; Linux x86_64)"), []byte("/a?b=c"), uint16(0))
	f.Add([]byte(`x" src=6.6.6.6 user=admin`), []byte(`a\" pri=0`), []byte("'q' x"), uint16(100))
	f.Add([]byte("l1\r\nl2\x00\xff\xc3"), []byte("aé€😀"), []byte(`\x22`), uint16(90))
	f.Add([]byte{}, []byte(" "), []byte("\x7f"), uint16(1))
	f.Add([]byte("nel\u0085 ls\u2028 ps\u2029"), []byte("\u202eevil\u2066"), []byte("\u009b\xc2"), uint16(70))
	b := NewBuilder(Options{Location: time.UTC})
	f.Fuzz(func(t *testing.T, msg, agent, arg []byte, maxSize uint16) {
		rec, want, floor := encodeFuzz(t, b, msg, agent, arg)
		if err := checkNoRawControls(rec); err != nil {
			t.Fatalf("%v\nrecord %q", err, rec)
		}
		got, err := Decode(rec)
		if err != nil {
			t.Fatalf("Decode: %v\nrecord %q", err, rec)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
		checkLire(t, rec, want)

		if maxSize == 0 {
			return
		}
		capped := NewBuilder(Options{Location: time.UTC, MaxSize: int(maxSize)})
		rec, _, _ = encodeFuzz(t, capped, msg, agent, arg)
		switch {
		case floor <= int(maxSize) && len(rec) > int(maxSize):
			t.Fatalf("len %d > MaxSize %d, fixed part %d: %q", len(rec), maxSize, floor, rec)
		case floor > int(maxSize) && len(rec) != floor:
			t.Fatalf("len %d, want the fixed part alone, %d: %q", len(rec), floor, rec)
		}
		got, err = Decode(rec)
		if err != nil {
			t.Fatalf("Decode: %v\nrecord %q", err, rec)
		}
		checkShortened(t, got, want, map[string]bool{"msg": true, "agent": true})
		checkLire(t, rec, got)
		if err := checkNoRawControls(rec); err != nil {
			t.Fatalf("truncated: %v\nrecord %q", err, rec)
		}
	})
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives a re-encoding unchanged.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(testPrefix + ` src=10.0.0.1 msg="a b" k=\x22\\`))
	f.Add([]byte(testPrefix + ` k="say \"hi\" now"`))
	f.Add([]byte(testPrefix + "  k=\xc3"))
	f.Add([]byte(`id=firewall time="2024-02-30 07:08:09" fw=gw1 pri=6`))
	b := NewBuilder(Options{Location: time.UTC})
	f.Fuzz(func(t *testing.T, rec []byte) {
		fields, err := Decode(rec)
		if err != nil {
			return
		}
		ts, err := time.Parse(time.DateTime, fields[1].Value)
		if err != nil {
			t.Fatalf("Decode accepted time %q: %v", fields[1].Value, err)
		}
		pri, err := strconv.Atoi(fields[3].Value)
		if err != nil {
			t.Fatalf("Decode accepted pri %q: %v", fields[3].Value, err)
		}
		b.Begin(Header{ID: fields[0].Value, Time: ts, FW: fields[2].Value, Pri: pri})
		for _, fl := range fields[4:] {
			b.Str(fl.Key, fl.Value)
		}
		again, err := b.Finish()
		if err != nil {
			t.Fatalf("re-encoding %q: %v", fields, err)
		}
		got, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of re-encoded %q: %v", again, err)
		}
		if !slices.Equal(got, fields) {
			t.Fatalf("re-encoded\ngot  %q\nwant %q", got, fields)
		}
	})
}

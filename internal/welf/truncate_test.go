package welf

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkShortened fails unless got is want with only text fields (keys in
// text) shortened to a prefix of their value or removed; all other fields
// must be present, intact and in order.
func checkShortened(t testing.TB, got, want []Field, text map[string]bool) {
	t.Helper()
	i := 0
	for _, w := range want {
		if i < len(got) && got[i].Key == w.Key {
			g := got[i]
			i++
			if g.Value == w.Value || text[w.Key] && g.Value != "" && strings.HasPrefix(w.Value, g.Value) {
				continue
			}
			t.Fatalf("field %s = %q, want %q", w.Key, g.Value, w.Value)
		}
		if !text[w.Key] {
			t.Fatalf("field %s missing: got %q", w.Key, got)
		}
	}
	if i != len(got) {
		t.Fatalf("unexpected fields %q", got[i:])
	}
}

func TestTruncate(t *testing.T) {
	// testPrefix is 51 bytes long; each cap is chosen to land on the boundary
	// the case names.
	tests := []struct {
		name      string
		maxSize   int
		write     func(b *Builder)
		want      string // after testPrefix
		truncated bool
	}{
		{"fits exactly", 64, func(b *Builder) { b.Text("msg", "abc\ndef") }, ` msg=abc\ndef`, false},
		{"escape at the cut", 63, func(b *Builder) { b.Text("msg", "abc\ndef") }, ` msg=abc\nde`, true},
		{"inside an escape", 60, func(b *Builder) { b.Text("msg", "abc\ndef") }, ` msg=abc`, true},
		{"inside a hex escape", 61, func(b *Builder) { b.Text("msg", "ab\x01cd") }, ` msg=ab`, true},
		{"after a hex escape", 62, func(b *Builder) { b.Text("msg", "ab\x01cd") }, ` msg=ab\x01`, true},
		{"inside an escaped backslash", 58, func(b *Builder) { b.Text("msg", `a\b`) }, ` msg=a`, true},
		// "aé€😀" is 1+2+3+4 bytes.
		{"inside a 4-byte character", 65, func(b *Builder) { b.Text("msg", "aé€😀") }, ` msg=aé€`, true},
		{"inside a 3-byte character", 61, func(b *Builder) { b.Text("msg", "aé€😀") }, ` msg=aé`, true},
		{"inside a 2-byte character", 58, func(b *Builder) { b.Text("msg", "aé€😀") }, ` msg=a`, true},
		{"quoted keeps closing quote", 67, func(b *Builder) { b.Text("msg", "hello big world") }, ` msg="hello big"`, true},
		{"quoted to one byte", 59, func(b *Builder) { b.Text("msg", "hello big world") }, ` msg="h"`, true},
		{"removed with its space", 58, func(b *Builder) { b.Text("msg", "hello big world") }, ``, true},
		{"msg first", 82, func(b *Builder) {
			b.Text("msg", "first to go")
			b.Text("agent", "curl/8.0 x")
		}, ` msg="first" agent="curl/8.0 x"`, true},
		{"msg removed then agent shortened", 95, func(b *Builder) {
			b.Str("src", "10.0.0.1")
			b.Text("agent", "Mozilla/5.0 (X11; Linux x86_64)")
			b.Str("user", "alice")
			b.Text("msg", "request blocked")
		}, ` src=10.0.0.1 agent="Mozilla/5.0" user=alice`, true},
		{"last text field before earlier ones", 91, func(b *Builder) {
			b.Text("ref", "https://example.com/")
			b.Text("agent", "curl/8.0 (x86_64)")
		}, ` ref=https://example.com/ agent="curl/8"`, true},
		{"last removed, then earlier shortened", 69, func(b *Builder) {
			b.Text("ref", "https://example.com/")
			b.Text("agent", "curl/8.0 (x86_64)")
		}, ` ref=https://examp`, true},
		{"structured msg untouched", 60, func(b *Builder) {
			b.Str("msg", "structured message")
			b.Text("agent", "curl/8.0")
		}, ` msg="structured message"`, true},
		{"does not fit", 55, func(b *Builder) {
			b.Str("arg", "/long/path")
			b.Text("msg", "text")
			b.Str("cat", "a,b")
			b.Int("sent", 12345)
		}, ` arg=/long/path cat=a,b sent=12345`, true},
		{"header alone too long", 10, func(b *Builder) { b.Text("msg", "text") }, ``, true},
		{"no cap", 0, func(b *Builder) { b.Text("msg", strings.Repeat("x", 5000)) }, ` msg=` + strings.Repeat("x", 5000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder(Options{Location: time.UTC, MaxSize: tc.maxSize})
			b.Begin(testHeader())
			tc.write(b)
			want := testPrefix + tc.want
			if got := finish(t, b); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if b.Truncated() != tc.truncated {
				t.Errorf("Truncated() = %v, want %v", b.Truncated(), tc.truncated)
			}
		})
	}
}

// TestTruncateKeepsState checks Has and a repeated Finish after truncation.
func TestTruncateKeepsState(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC, MaxSize: 73})
	b.Begin(testHeader())
	b.Text("msg", "a long message text")
	b.Text("agent", "curl")
	b.Str("user", "alice")
	first := finish(t, b)
	if want := testPrefix + ` agent=curl user=alice`; first != want {
		t.Fatalf("got  %s\nwant %s", first, want)
	}
	if b.Has("msg") || !b.Has("agent") || !b.Has("user") {
		t.Errorf("Has after truncation: msg %v agent %v user %v, want false true true", b.Has("msg"), b.Has("agent"), b.Has("user"))
	}
	if again := finish(t, b); again != first {
		t.Errorf("second Finish %s, want %s", again, first)
	}
}

// randomValue returns a value built from pieces that stress escaping, UTF-8
// and quoting, possibly empty.
func randomValue(r *rand.Rand) string {
	pieces := []string{"a", "bc", " ", "\"", "\\", "\n", "\x00", "\x7f", "é", "€", "😀", "\xff", "\xe2\x82", "'", "=", "x=1"}
	var s strings.Builder
	for range r.IntN(40) {
		s.WriteString(pieces[r.IntN(len(pieces))])
	}
	return s.String()
}

// TestTruncateProperties checks, for random records and caps, that the cap
// is met whenever the fields that may not be shortened fit, that otherwise
// the record shrinks to exactly those fields, and that the result still
// decodes with everything but text intact.
func TestTruncateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := map[string]bool{"msg": true, "agent": true, "ref": true}
	for range 3000 {
		vals := make([]string, 6)
		for i := range vals {
			vals[i] = randomValue(r)
		}
		write := func(b *Builder, withText bool) []Field {
			b.Begin(testHeader())
			want := slices.Clone(headerFields)
			add := func(key, v string, isText bool) {
				switch {
				case isText && !withText:
				case isText:
					b.Text(key, v)
				default:
					b.Str(key, v)
				}
				if v != "" && (withText || !isText) {
					want = append(want, Field{key, v})
				}
			}
			add("src", vals[0], false)
			add("ref", vals[1], true)
			add("arg", vals[2], false)
			add("msg", vals[3], true)
			add("agent", vals[4], true)
			add("user", vals[5], false)
			return want
		}
		minimal := NewBuilder(Options{Location: time.UTC})
		write(minimal, false)
		floor := len(finish(t, minimal))

		maxSize := 1 + r.IntN(400)
		b := NewBuilder(Options{Location: time.UTC, MaxSize: maxSize})
		want := write(b, true)
		rec, err := b.Finish()
		if err != nil {
			t.Fatalf("Finish: %v", err)
		}
		switch {
		case floor <= maxSize && len(rec) > maxSize:
			t.Fatalf("len %d > MaxSize %d although the fixed part is %d bytes: %q", len(rec), maxSize, floor, rec)
		case floor > maxSize && len(rec) != floor:
			t.Fatalf("len %d, want the fixed part alone, %d bytes: %q", len(rec), floor, rec)
		}
		got, err := Decode(rec)
		if err != nil {
			t.Fatalf("Decode: %v\nrecord %q", err, rec)
		}
		checkShortened(t, got, want, text)
		checkLire(t, rec, got)
	}
}

// TestTruncateMinimal checks that a single text field loses no more than the
// escape sequence or character that straddles the cap.
func TestTruncateMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		msg := randomValue(r) + randomValue(r)
		full := NewBuilder(Options{Location: time.UTC})
		full.Begin(testHeader())
		full.Text("msg", msg)
		n := len(finish(t, full))
		maxSize := 62 + r.IntN(max(n-62, 1))
		b := NewBuilder(Options{Location: time.UTC, MaxSize: maxSize})
		b.Begin(testHeader())
		b.Text("msg", msg)
		rec := finish(t, b)
		if len(rec) > maxSize || n > maxSize && b.Has("msg") && maxSize-len(rec) > 3 {
			t.Fatalf("MaxSize %d: %d bytes: %q", maxSize, len(rec), rec)
		}
	}
}

func TestSetMaxSizeAppliesToNextRecord(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC})
	rec := func() string {
		b.Begin(Header{ID: "firewall", Time: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), FW: "gw", Pri: 6})
		b.Text("msg", "0123456789")
		out, err := b.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got, want := rec(), `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 msg=0123456789`; got != want {
		t.Errorf("no cap: got %s", got)
	}
	b.SetMaxSize(60)
	if got, want := rec(), `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 msg=01234`; got != want {
		t.Errorf("cap 60: got %s want %s", got, want)
	}
}

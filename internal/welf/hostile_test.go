package welf

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// hostileValues try to forge, drop or change other fields.
func hostileValues() []string {
	return []string{
		`x" src=6.6.6.6 user=admin`,
		`a\" pri=0`,
		`x"pri=0`,
		`say \"hi\" x=1 now`,
		`" src=6.6.6.6`,
		`"`,
		`\`,
		`a b\`,
		`\x22 rule=1`,
		`'q' user=admin`,
		`' user=admin '`,
		` user=admin`,
		`user=admin`,
		`=`,
		"l1\r\nl2 pri=0",
		"x\r\nid=evil time=\"2000-01-01 00:00:00\" fw=evil pri=0",
		"\x00 nul user=admin",
		"\xff\xfe invalid \xc3 src=6.6.6.6",
		"\xc3\" src=6.6.6.6",
		"tab\tsrc=6.6.6.6",
		"\u2028 user=admin\u0085",
		strings.Repeat(`x" y=1 \"`, 100*1024/9+1)[:100*1024],
	}
}

type placement struct {
	name  string
	key   string
	text  bool
	write func(b *Builder, v string)
}

var placements = []placement{
	{"agent text", "agent", true, func(b *Builder, v string) { b.Text("agent", v) }},
	{"msg text", "msg", true, func(b *Builder, v string) { b.TextBytes("msg", []byte(v)) }},
	{"arg structured", "arg", false, func(b *Builder, v string) { b.Str("arg", v) }},
	{"fw header", "fw", false, nil},
	{"id header", "id", false, nil},
}

// writeHostile writes a record with v at p and plain fields around it, and
// returns the fields Decode must return.
func writeHostile(b *Builder, p placement, v string) []Field {
	h := testHeader()
	switch p.key {
	case "fw":
		h.FW = v
	case "id":
		h.ID = v
	}
	b.Begin(h)
	want := []Field{{"id", h.ID}, {"time", "2024-03-05 07:08:09"}, {"fw", h.FW}, {"pri", "6"}}
	b.Str("src", "10.0.0.1")
	b.Str("user", "alice")
	want = append(want, Field{"src", "10.0.0.1"}, Field{"user", "alice"})
	if p.write != nil {
		p.write(b, v)
		if p.key == "cat" {
			want = append(want, Field{p.key, v + ",news"})
		} else {
			want = append(want, Field{p.key, v})
		}
	}
	b.Text("ref", "https://example.com/a b")
	b.Int("result", 200)
	b.Str("rule", "7")
	return append(want, Field{"ref", "https://example.com/a b"}, Field{"result", "200"}, Field{"rule", "7"})
}

// TestHostileValues checks that no value can create, drop or change another
// field, for our Decode and for Lire, with and without truncation.
func TestHostileValues(t *testing.T) {
	for _, maxSize := range []int{0, 120, 160, 300, 2000} {
		b := NewBuilder(Options{Location: time.UTC, MaxSize: maxSize})
		for _, p := range placements {
			for i, v := range hostileValues() {
				t.Run(fmt.Sprintf("max %d/%s/%d", maxSize, p.name, i), func(t *testing.T) {
					want := writeHostile(b, p, v)
					rec, err := b.Finish()
					if err != nil {
						t.Fatalf("Finish: %v", err)
					}
					got, err := Decode(rec)
					if err != nil {
						t.Fatalf("Decode: %v\nrecord %q", err, rec)
					}
					checkShortened(t, got, want, map[string]bool{"agent": true, "msg": true, "ref": true})
					if !b.Truncated() && !slices.Equal(got, want) {
						t.Fatalf("not truncated, got  %q\nwant %q", got, want)
					}
					checkLire(t, rec, got)
				})
			}
		}
	}
}

// lineBreakingValues are values with characters a consumer may take as a line
// end or use to disguise text: every one must come out escaped.
func lineBreakingValues() []string {
	return []string{
		"a\x7fb", "nel\u0085id=evil pri=0", "csi\u009b31m", "c1 \u0080 \u009f",
		"ls\u2028id=evil", "ps\u2029pri=0", "\u202eevil\u202c", "\u2066x\u2069 \u2067y\u2068",
		"\u202a\u202b\u202d", "mixed \x7f\u0085\u2028\u202e\xc2", "marks \u200e\u200f\u061c",
	}
}

// TestNoRawLineBreakers checks the escaping property on every placement:
// the record holds no raw control character, separator or bidi control,
// and decodes to the exact values.
func TestNoRawLineBreakers(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC})
	for _, p := range placements {
		for i, v := range lineBreakingValues() {
			want := writeHostile(b, p, v)
			rec, err := b.Finish()
			if err != nil {
				t.Fatalf("%s/%d: Finish: %v", p.name, i, err)
			}
			if err := checkNoRawControls(rec); err != nil {
				t.Fatalf("%s/%d: %v\nrecord %q", p.name, i, err, rec)
			}
			got, err := Decode(rec)
			if err != nil {
				t.Fatalf("%s/%d: Decode: %v", p.name, i, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s/%d: got  %q\nwant %q", p.name, i, got, want)
			}
		}
	}
}

// checkNoRawControls fails on any character a consumer could split lines on
// or that reorders displayed text: C0 and C1 controls, DEL, U+2028, U+2029
// and Unicode's Bidi_Control characters. It decodes the record
// independently of the encoder's own tables.
func checkNoRawControls(rec []byte) error {
	for i := 0; i < len(rec); {
		r, size := utf8.DecodeRune(rec[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("raw invalid UTF-8 byte 0x%02x at offset %d", rec[i], i)
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029, unicode.Is(unicode.Bidi_Control, r):
			return fmt.Errorf("raw %U at offset %d", r, i)
		}
		i += size
	}
	return nil
}

func TestLongKeys(t *testing.T) {
	long := strings.Repeat("k", 300)
	tests := []struct{ key, want string }{
		{"a.b", "a_b"},
		{"", "_"},
		{strings.Repeat("x", MaxKeyLen), strings.Repeat("x", MaxKeyLen)},
		{long, strings.Repeat("k", MaxKeyLen-9) + "_" + fmt.Sprintf("%08x", fnv32a([]byte(long)))},
		{long + "2", strings.Repeat("k", MaxKeyLen-9) + "_" + fmt.Sprintf("%08x", fnv32a([]byte(long+"2")))},
		{strings.Repeat("é", 100), strings.Repeat("_", MaxKeyLen-9) + "_" + fmt.Sprintf("%08x", fnv32a([]byte(strings.Repeat("é", 100))))},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := string(AppendSanitizedKey(nil, []byte(tc.key)))
		if got != tc.want {
			t.Errorf("AppendSanitizedKey(%.20q…) = %q, want %q", tc.key, got, tc.want)
		}
		if !ValidKey(got) {
			t.Errorf("AppendSanitizedKey(%.20q…) = %q is not a valid key", tc.key, got)
		}
		if other, ok := seen[got]; ok && other != tc.key {
			t.Errorf("%.20q… and %.20q… both became %q", other, tc.key, got)
		}
		seen[got] = tc.key
	}
	if ValidKey(strings.Repeat("x", MaxKeyLen+1)) {
		t.Error("ValidKey accepts a key longer than MaxKeyLen")
	}
	for _, tc := range []struct {
		base string
		n    int
		want string
	}{
		{"a_b", 2, "a_b_2"},
		{"a_b", 10, "a_b_10"},
		{strings.Repeat("x", MaxKeyLen), 2, strings.Repeat("x", MaxKeyLen-2) + "_2"},
		{strings.Repeat("x", MaxKeyLen-1), 123, strings.Repeat("x", MaxKeyLen-4) + "_123"},
	} {
		if got := string(AppendNumberedKey(nil, tc.base, tc.n)); got != tc.want || !ValidKey(got) {
			t.Errorf("AppendNumberedKey(%.20q…, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
	}
}

package welf

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
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
	{"cat list", "cat", false, func(b *Builder, v string) { b.List("cat", v, "news") }},
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
					if p.key == "cat" && strings.Contains(v, ",") {
						t.Skip("List rejects elements with ','")
					}
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

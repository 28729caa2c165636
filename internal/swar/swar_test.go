package swar

import (
	"strings"
	"testing"
)

// TestIndex2 (and Contains3) puts every byte value at every offset of texts long enough to
// use words and a tail, and checks Index2 against a byte loop, for strings
// and byte slices. The fillers include the bytes next to '"' (0x22) and '\\'
// (0x5c) and their high-bit twins, which a faulty word-at-a-time test would
// take for a match.
func TestIndex2(t *testing.T) {
	for _, filler := range []string{"a", "\x21", "\x23", "\x5b", "\x5d", "\xa2", "\xdc", "\x00", "\x01", "\xff"} {
		testIndex2(t, filler)
	}
}

func testIndex2(t *testing.T, filler string) {
	for n := 0; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := range 256 {
				b := []byte(strings.Repeat(filler, n))
				b[at] = byte(c)
				if at+1 < n {
					b[at+1] = '"' // a match right above: borrows must not hide b[at]
				}
				for from := 0; from <= n; from += 3 {
					want := from
					for want < n && b[want] != '"' && b[want] != '\\' {
						want++
					}
					if got := Index2(b, from, '"', '\\'); got != want {
						t.Fatalf("Index2(%q, %d) = %d, want %d", b, from, got, want)
					}
					if got := Index2(string(b), from, '"', '\\'); got != want {
						t.Fatalf("Index2(string %q, %d) = %d, want %d", b, from, got, want)
					}
					if from == 0 {
						want3 := strings.ContainsAny(string(b), "\"\\") || strings.IndexByte(string(b), 0xef) >= 0
						if got := Contains3(b, '"', '\\', 0xef); got != want3 {
							t.Fatalf("Contains3(%q) = %v, want %v", b, got, want3)
						}
					}
				}
			}
		}
	}
}

// TestMasks checks each mask against its definition for every byte value
// at every position of a word whose other bytes are every other value in
// turn, reading only the lowest flagged byte as the package says.
func TestMasks(t *testing.T) {
	masks := []struct {
		name  string
		mask  func(uint64) uint64
		match func(byte) bool
	}{
		{"Zero", Zero, func(c byte) bool { return c == 0 }},
		{"Eq('@')", func(x uint64) uint64 { return Eq(x, '@') }, func(c byte) bool { return c == '@' }},
		{"Less(0x20)", func(x uint64) uint64 { return Less(x, 0x20) }, func(c byte) bool { return c < 0x20 }},
		{"Less(0x80)", func(x uint64) uint64 { return Less(x, 0x80) }, func(c byte) bool { return c < 0x80 }},
		{"High", High, func(c byte) bool { return c >= 0x80 }},
	}
	for _, m := range masks {
		for pos := range 8 {
			for c := range 256 {
				for other := 0; other < 256; other += 5 {
					var w [8]byte
					for i := range w {
						w[i] = byte(other)
					}
					w[pos] = byte(c)
					want := -1
					for i, b := range w {
						if m.match(b) {
							want = i
							break
						}
					}
					got := -1
					if x := m.mask(Load(w[:], 0)); x != 0 {
						got = First(x)
					}
					if got != want {
						t.Fatalf("%s(% x): first match %d, want %d", m.name, w, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkIndex2(b *testing.B) {
	v := []byte(strings.Repeat("abcdefgh", 8) + `"`)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if Index2(v, 0, '"', '\\') != len(v)-1 {
			b.Fatal("wrong index")
		}
	}
}

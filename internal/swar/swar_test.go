package swar

import "testing"

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

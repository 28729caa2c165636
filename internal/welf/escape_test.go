package welf

import (
	"bytes"
	"strings"
	"testing"
)

// TestPlainEnd puts every byte value at every offset of values long enough
// to use words and a tail, with a byte that needs a look or a space right
// above it, and checks plainEnd against the byte rule, for strings and byte
// slices: where it stops, and whether a space comes before (a space in the
// eight bytes after may be reported too).
func TestPlainEnd(t *testing.T) {
	needsLook := func(c byte) bool { return c < ' ' || c >= 0x7f || c == '"' || c == '\\' }
	for n := 1; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := range 256 {
				for _, above := range []byte{0x7f, ' '} {
					v := []byte(strings.Repeat("a", n))
					v[at] = byte(c)
					if at+1 < n {
						v[at+1] = above
					}
					for from := 0; from <= n; from += 2 {
						end, spaced := from, false
						for end < n && !needsLook(v[end]) {
							spaced = spaced || v[end] == ' '
							end++
						}
						spaceAfter := bytes.IndexByte(v[end:min(end+8, n)], ' ') >= 0
						for _, got := range [][2]int{pair(plainEnd(v, from)), pair(plainEnd(string(v), from))} {
							if got[0] != end || got[1] == 1 && !spaced && !spaceAfter || got[1] == 0 && spaced {
								t.Fatalf("plainEnd(%q, %d) = %d, spaces %v; want %d, %v", v, from, got[0], got[1] == 1, end, spaced)
							}
						}
					}
				}
			}
		}
	}
}

func pair(end int, spaces uint64) [2]int { return [2]int{end, int(min(spaces, 1))} }

// TestNeedsQuotes: a space anywhere, or an apostrophe first.
func TestNeedsQuotes(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"", false}, {"a", false}, {" ", true}, {"'a", true}, {"a'", false},
		{"abcdefgh", false}, {"abcdefg ", true}, {"abcdefgh ", true}, {"abcdefghijklmnop\t", false},
		{"\x00 ", true}, {"abcdefg\x01 \x7f", true}, {"\xe2\x80\xa8 x", true},
	} {
		_, spaced := appendEscaped(nil, tt.v)
		if got := needsQuotes(tt.v, spaced); got != tt.want {
			t.Errorf("needsQuotes(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

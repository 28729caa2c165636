package welf

import (
	"strings"
	"testing"
)

// TestPlainEnd puts every byte value at every offset of values long enough
// to use words and a tail, with a byte that needs a look right above it, and
// checks plainEnd against the byte rule, for strings and byte slices.
func TestPlainEnd(t *testing.T) {
	needsLook := func(c byte) bool { return c < ' ' || c >= 0x7f || c == '"' || c == '\\' }
	for n := 1; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := range 256 {
				v := []byte(strings.Repeat("a", n))
				v[at] = byte(c)
				if at+1 < n {
					v[at+1] = 0x7f
				}
				for from := 0; from <= n; from += 2 {
					want := from
					for want < n && !needsLook(v[want]) {
						want++
					}
					if got := plainEnd(v, from); got != want {
						t.Fatalf("plainEnd(%q, %d) = %d, want %d", v, from, got, want)
					}
					if got := plainEnd(string(v), from); got != want {
						t.Fatalf("plainEnd(string %q, %d) = %d, want %d", v, from, got, want)
					}
				}
			}
		}
	}
}

// TestNeedsQuotes: a space anywhere, or an apostrophe first.
func TestNeedsQuotes(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"", false}, {"a", false}, {" ", true}, {"'a", true}, {"a'", false},
		{"abcdefgh", false}, {"abcdefg ", true}, {"abcdefgh ", true}, {"abcdefghijklmnop\t", false},
	} {
		if got := needsQuotes(tt.v); got != tt.want {
			t.Errorf("needsQuotes(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

package ascii

import "testing"

func TestEqualFold(t *testing.T) {
	tests := []struct {
		b, lower string
		want     bool
	}{
		{"Content-Length", "content-length", true},
		{"HOST", "host", true},
		{"host", "host", true},
		{"", "", true},
		{"hos", "host", false},
		{"hostx", "host", false},
		{"\u212aeep-alive", "keep-alive", false}, // Kelvin sign: Unicode folds it to 'k'
		{"ho\u017ft", "host", false},             // long s: Unicode folds it to 's'
		{"@", "`", false},                        // only letters fold: '@'|0x20 is '`'
		{"[", "{", false},
		{"A", "A", false}, // lower must be lower case
	}
	for _, tt := range tests {
		if got := EqualFold([]byte(tt.b), tt.lower); got != tt.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tt.b, tt.lower, got, tt.want)
		}
	}
}

func TestLower(t *testing.T) {
	for c := range 256 {
		want := byte(c)
		if c >= 'A' && c <= 'Z' {
			want = byte(c - 'A' + 'a')
		}
		if got := Lower(byte(c)); got != want {
			t.Errorf("Lower(%#x) = %#x, want %#x", c, got, want)
		}
	}
}

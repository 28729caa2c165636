package mwg

import "testing"

func TestSplitAddr(t *testing.T) {
	tests := []struct{ in, host, port string }{
		{"192.0.2.1:80", "192.0.2.1", "80"},
		{"192.0.2.1", "192.0.2.1", ""},
		{"[2001:db8::1]:443", "2001:db8::1", "443"},
		{"[2001:db8::1]", "[2001:db8::1]", ""},
		{"2001:db8::1", "2001:db8::1", ""},
		{"", "", ""},
		{":", "", ""},
		{"[:", "[:", ""},
	}
	for _, tt := range tests {
		if h, p := SplitAddr(tt.in); h != tt.host || p != tt.port {
			t.Errorf("SplitAddr(%q) = %q, %q, want %q, %q", tt.in, h, p, tt.host, tt.port)
		}
	}
}

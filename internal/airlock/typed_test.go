package airlock

import (
	"net/netip"
	"testing"
)

// TestValidIPv4 holds the dotted-decimal fast path to netip.ParseAddr's
// verdict, table and fuzz.
func TestValidIPv4(t *testing.T) {
	for _, s := range []string{
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5",
		"1..3.4", ".1.2.3", "1.2.3.", "1.2.3.4 ", "1a.2.3.4", "1000.1.1.1", "", "10.0.0.1", "192.168.001.1",
	} {
		_, err := netip.ParseAddr(s)
		if got, want := validIPv4([]byte(s)), err == nil; got != want {
			t.Errorf("validIPv4(%q) = %v, netip says %v", s, got, want)
		}
	}
}

func FuzzValidIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "256.0.0.1", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			if s[i] == ':' {
				return // IPv6: netip itself
			}
		}
		_, err := netip.ParseAddr(s)
		if got, want := validIPv4([]byte(s)), err == nil; got != want {
			t.Fatalf("validIPv4(%q) = %v, netip says %v", s, got, want)
		}
	})
}

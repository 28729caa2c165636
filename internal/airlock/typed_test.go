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

// FuzzValidIPv4 holds validIPv4 to netip's verdict on IPv4 text, and
// validAddr on any text: netip accepts it, without a zone.
func FuzzValidIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "256.0.0.1", "1.2.3", "::1", "fe80::1%eth0", "::ffff:1.2.3.4", "1::2::3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := netip.ParseAddr(s)
		if got, want := validAddr([]byte(s)), err == nil && addr.Zone() == ""; got != want {
			t.Fatalf("validAddr(%q) = %v, netip says %v (zone %q)", s, got, err == nil, addr.Zone())
		}
		for i := 0; i < len(s); i++ {
			if s[i] == ':' {
				return // IPv6: netip itself
			}
		}
		if got, want := validIPv4([]byte(s)), err == nil; got != want {
			t.Fatalf("validIPv4(%q) = %v, netip says %v", s, got, want)
		}
	})
}

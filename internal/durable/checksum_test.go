package durable

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestChecksum(t *testing.T) {
	// The CRC-32C check value (RFC 3720, B.4).
	if got := Checksum([]byte("123456789")); got != 0xe3069283 {
		t.Errorf("Checksum = %08x, want e3069283", got)
	}
	if got := Update(Checksum([]byte("1234")), []byte("56789")); got != 0xe3069283 {
		t.Errorf("Update = %08x, want e3069283", got)
	}
}

func TestSeal(t *testing.T) {
	rec := Seal([]byte("prefix|123456789"), len("prefix|"))
	if got, want := fmt.Sprintf("%x", rec[len("prefix|"):]), "313233343536373839"+"e3069283"; got != want {
		t.Errorf("sealed record %s, want %s", got, want)
	}
	contents, ok := Unseal(rec[len("prefix|"):])
	if !ok || string(contents) != "123456789" {
		t.Errorf("Unseal = %q, %v", contents, ok)
	}
	for i := range len(rec) - len("prefix|") {
		if _, ok := Unseal(flipped(rec[len("prefix|"):], i)); ok {
			t.Errorf("Unseal accepted a flipped byte at %d", i)
		}
	}
	if _, ok := Unseal([]byte{0, 0, 0}); ok {
		t.Error("Unseal accepted 3 bytes")
	}
}

func TestScanSealed(t *testing.T) {
	var log []byte
	for _, r := range []string{"aaaa", "bbbb", "cccc"} {
		log = Seal(append(log, r...), len(log))
	}
	const size = 8
	tests := []struct {
		name    string
		data    []byte
		reject  string // contents yield rejects
		want    string
		wantEnd int
		wantErr error
	}{
		{"intact", log, "", "aaaa bbbb cccc", 24, nil},
		{"empty", nil, "", "", 0, nil},
		{"torn last record", log[:23], "", "aaaa bbbb", 16, ErrTruncated},
		{"torn first record", log[:1], "", "", 0, ErrTruncated},
		{"flipped byte in the second record", flipped(log, 9), "", "aaaa", 8, ErrCorrupt},
		{"flipped byte in the last checksum", flipped(log, 23), "", "aaaa bbbb", 16, ErrCorrupt},
		{"contents rejected", log, "bbbb", "aaaa", 8, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			end, err := ScanSealed(tt.data, size, func(c []byte) bool {
				if string(c) == tt.reject {
					return false
				}
				got = append(got, string(c))
				return true
			})
			if fmt.Sprint(got) != fmt.Sprint(strings.Fields(tt.want)) || end != tt.wantEnd || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("ScanSealed = %q, %d, %v; want %q, %d, %v", got, end, err, tt.want, tt.wantEnd, tt.wantErr)
			}
		})
	}
}

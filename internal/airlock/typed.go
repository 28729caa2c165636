package airlock

import (
	"bytes"
	"math"
	"net/netip"
	"unsafe"
)

// A typed standard field is one a SIEM parses into a number or an address:
// src, dst, srcport, dstport, result, sent, rcvd, duration. Airlock logs
// some of these from what the client sent (client_ip is the X-Forwarded-For
// address), so a value is written under its standard key only if it is
// valid for the type; anything else goes to unvalidatedPrefix + key, which
// keeps the evidence without letting it pose as a typed value.
const unvalidatedPrefix = "unvalidated_"

type valueType uint8

const (
	typeAddr     valueType = iota // IPv4 or IPv6 address, no zone
	typePort                      // 0..65535
	typeCount                     // non-negative integer within int64: sizes
	typeStatus                    // HTTP status 100..999
	typeDuration                  // non-negative decimal seconds, fraction allowed
)

// writeTyped writes val under key if it is valid for t, else under
// "unvalidated_" + key.
func writeTyped(w *redactor, key string, t valueType, val []byte) {
	switch {
	case val == nil:
	case validTyped(t, val):
		w.w.Bytes(key, val) // an address or a number holds no userinfo
	default:
		w.Bytes(unvalidatedKey(key), val)
	}
}

// unvalidatedKey returns "unvalidated_" + key for the typed keys, as
// constants: concatenating would allocate.
func unvalidatedKey(key string) string {
	switch key {
	case "src":
		return unvalidatedPrefix + "src"
	case "srcport":
		return unvalidatedPrefix + "srcport"
	case "dst":
		return unvalidatedPrefix + "dst"
	case "dstport":
		return unvalidatedPrefix + "dstport"
	case "result":
		return unvalidatedPrefix + "result"
	case "sent":
		return unvalidatedPrefix + "sent"
	case "rcvd":
		return unvalidatedPrefix + "rcvd"
	case "duration":
		return unvalidatedPrefix + "duration"
	}
	return unvalidatedPrefix + key
}

func validTyped(t valueType, v []byte) bool {
	switch t {
	case typeAddr:
		return validAddr(v)
	case typePort:
		n, ok := decimal(v, 5)
		return ok && n <= 65535
	case typeCount:
		_, ok := decimal(v, 19)
		return ok
	case typeStatus:
		n, ok := decimal(v, 3)
		return ok && n >= 100
	case typeDuration:
		intPart := v
		if i := bytes.IndexByte(v, '.'); i >= 0 {
			intPart = v[:i]
			if frac := v[i+1:]; len(frac) == 0 || len(frac) > 9 || !allDigits(frac) {
				return false
			}
		}
		_, ok := decimal(intPart, 19)
		return ok
	}
	return false
}

// decimal parses a canonical non-negative decimal integer of at most
// maxDigits (at most 19) digits: digits only, no sign, no leading zero,
// within int64.
func decimal(v []byte, maxDigits int) (int64, bool) {
	if len(v) == 0 || len(v) > maxDigits || len(v) > 1 && v[0] == '0' {
		return 0, false
	}
	var n uint64 // 19 digits fit
	for _, c := range v {
		if c-'0' > 9 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return int64(n), n <= math.MaxInt64
}

func allDigits(v []byte) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validAddr reports whether v is an IPv4 address in dotted decimal or an
// IPv6 address, without zone: the form a SIEM types as an address.
func validAddr(v []byte) bool {
	if validIPv4(v) {
		return true // most addresses: no netip parse on the hot path
	}
	if len(v) > len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") || bytes.IndexByte(v, ':') < 0 {
		return false
	}
	for _, c := range v {
		// netip would take a zone ("%eth0"): a SIEM's address type does not.
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	// The string shares v's bytes; it does not outlive this call (the
	// error, the only thing that could keep it, is discarded).
	_, err := netip.ParseAddr(unsafe.String(&v[0], len(v)))
	return err == nil
}

// validIPv4 reports whether v is an IPv4 address in dotted decimal as
// netip.ParseAddr accepts it: four fields of 0 to 255, no leading zeros.
func validIPv4(v []byte) bool {
	i := 0
	for field := range 4 {
		if field > 0 {
			if i >= len(v) || v[i] != '.' {
				return false
			}
			i++
		}
		if i >= len(v) || v[i]-'0' > 9 {
			return false
		}
		n := int(v[i] - '0')
		i++
		if n == 0 {
			continue // a lone 0: no leading zeros
		}
		for range 2 {
			if i < len(v) && v[i]-'0' <= 9 {
				n = n*10 + int(v[i]-'0')
				i++
			}
		}
		if n > 255 {
			return false
		}
	}
	return i == len(v)
}

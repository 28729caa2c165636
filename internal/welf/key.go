package welf

import "strconv"

// MaxKeyLen is the longest key Builder writes. syslog-ng's kv-parser drops
// keys of 254 bytes and more without a word; 128 leaves room below every
// consumer limit known.
const MaxKeyLen = 128

// hashedKeyLen is the length of the "_hhhhhhhh" tail a shortened key ends in.
const hashedKeyLen = 9

// ValidKey reports whether key can be written as a WELF key: one to
// MaxKeyLen of A-Z, a-z, 0-9 and '_'. Wider key alphabets are cut short by
// some parsers (Lire stops at '.' and '-').
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !isKeyByte(key[i]) {
			return false
		}
	}
	return true
}

// AppendSanitizedKey appends key to dst with every byte outside
// [A-Za-z0-9_] replaced by '_', so that foreign keys can be passed through.
// An empty key becomes "_". A key longer than MaxKeyLen keeps its first
// MaxKeyLen-9 bytes followed by '_' and eight hex digits of a hash of the
// whole original key, so that long keys differing only at the end stay
// apart. Distinct keys may still map to the same result: callers that must
// not lose a value resolve that with AppendNumberedKey.
func AppendSanitizedKey(dst, key []byte) []byte {
	if len(key) == 0 {
		return append(dst, '_')
	}
	keep := key
	if len(key) > MaxKeyLen {
		keep = key[:MaxKeyLen-hashedKeyLen]
	}
	for _, c := range keep {
		if !isKeyByte(c) {
			c = '_'
		}
		dst = append(dst, c)
	}
	if len(keep) < len(key) {
		dst = append(dst, '_')
		h := fnv32a(key)
		for shift := 28; shift >= 0; shift -= 4 {
			dst = append(dst, lowerHex[h>>uint(shift)&0xf])
		}
	}
	return dst
}

// AppendNumberedKey appends the n-th alternative of the valid key base:
// base, '_' and n in decimal, with base shortened so that the result stays
// within MaxKeyLen. Trying n = 2, 3, … until a key is free gives a value
// whose key is taken a key of its own.
func AppendNumberedKey(dst []byte, base string, n int) []byte {
	var num [20]byte
	suffix := strconv.AppendInt(append(num[:0], '_'), int64(n), 10)
	if len(base)+len(suffix) > MaxKeyLen {
		base = base[:MaxKeyLen-len(suffix)]
	}
	return append(append(dst, base...), suffix...)
}

// fnv32a is the 32-bit FNV-1a hash.
func fnv32a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// Package swar finds bytes eight at a time in a 64-bit word (SIMD within a
// register). The values welf scans — JSON strings, WELF values — are mostly
// a few dozen bytes: too short for the assembly of package bytes to pay off
// over its call, long enough for a word at a time to beat a byte loop.
//
// A mask has the high bit of a byte set where that byte matches. Only the
// lowest set byte of a mask is exact: a borrow can flag a byte above a match
// that does not match itself. So masks may be ORed, and only their lowest
// byte (First) is read.
package swar

import "math/bits"

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Bytes is the text a function scans: a string or a byte slice, without
// converting one into the other.
type Bytes interface{ ~string | ~[]byte }

// Load returns the eight bytes of v from i on, little-endian: v[i] is the
// lowest byte. The compiler merges the byte loads into one, and drops their
// bounds checks in a loop written as Index's: i from 0 up, i <= len(v)-8.
func Load[T Bytes](v T, i int) uint64 {
	return uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
		uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
}

// Zero masks the bytes of x that are zero.
func Zero(x uint64) uint64 { return (x - ones) &^ x & highs }

// Eq masks the bytes of x equal to c.
func Eq(x uint64, c byte) uint64 { return Zero(x ^ ones*uint64(c)) }

// Less masks the bytes of x below n, for n <= 0x80.
func Less(x uint64, n byte) uint64 { return (x - ones*uint64(n)) &^ x & highs }

// High masks the bytes of x from 0x80 up.
func High(x uint64) uint64 { return x & highs }

// First returns the index of the lowest byte set in the non-zero mask m.
func First(m uint64) int { return bits.TrailingZeros64(m) / 8 }

// Index returns the index of the first c in v at or after i, or len(v).
func Index[T Bytes](v T, i int, c byte) int {
	i = max(i, 0)
	wc := ones * uint64(c)
	for ; i <= len(v)-8; i += 8 {
		if m := Zero(Load(v, i) ^ wc); m != 0 {
			return i + First(m)
		}
	}
	for ; i < len(v); i++ {
		if v[i] == c {
			return i
		}
	}
	return len(v)
}

// Index2 returns the index of the first a or b in v at or after i, or len(v).
func Index2[T Bytes](v T, i int, a, b byte) int {
	i = max(i, 0)
	wa, wb := ones*uint64(a), ones*uint64(b)
	for ; i <= len(v)-8; i += 8 {
		x := Load(v, i)
		if m := Zero(x^wa) | Zero(x^wb); m != 0 {
			return i + First(m)
		}
	}
	for ; i < len(v); i++ {
		if v[i] == a || v[i] == b {
			return i
		}
	}
	return len(v)
}

// Contains3 reports whether v holds a, b or c. From eight bytes on, the
// last word overlaps the one before rather than ending in a byte loop.
func Contains3[T Bytes](v T, a, b, c byte) bool {
	n := len(v)
	if n < 8 {
		for i := range n {
			if e := v[i]; e == a || e == b || e == c {
				return true
			}
		}
		return false
	}
	wa, wb, wc := ones*uint64(a), ones*uint64(b), ones*uint64(c)
	for i := 0; i < n-8; i += 8 {
		if x := Load(v, i); Zero(x^wa)|Zero(x^wb)|Zero(x^wc) != 0 {
			return true
		}
	}
	x := Load(v, n-8)
	return Zero(x^wa)|Zero(x^wb)|Zero(x^wc) != 0
}

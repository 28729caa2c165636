// Package swar finds bytes eight at a time in a 64-bit word (SIMD within a
// register). The values welf scans — JSON strings, WELF values — are mostly
// a few dozen bytes: too short for the assembly of package bytes to pay off
// over its call, long enough for a word at a time to beat a byte loop.
//
// A mask has the high bit of a byte set where that byte matches. Only the
// lowest set byte of a mask is exact: a borrow can flag a byte above a match
// that does not match itself. So masks may be ORed, and only their lowest
// byte (First) is read, or whether any is set. Callers write their scanning
// loops with these inlined primitives and constant bytes: the masks then
// fold to constants, which a function taking the bytes as arguments loses.
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
// bounds checks in a loop that runs i from 0 up while i <= len(v)-8.
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

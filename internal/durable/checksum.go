package durable

import (
	"encoding/binary"
	"hash/crc32"
)

// ChecksumLen is the length of a checksum as records store it.
const ChecksumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C (Castagnoli) of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Update returns the CRC-32C of the bytes summed into sum followed by b.
func Update(sum uint32, b []byte) uint32 { return crc32.Update(sum, castagnoli, b) }

// Seal appends the checksum of dst[start:], big-endian, to dst: the bytes
// from start become a sealed record.
func Seal(dst []byte, start int) []byte {
	return binary.BigEndian.AppendUint32(dst, Checksum(dst[start:]))
}

// Unseal returns the bytes of the sealed record rec before its checksum,
// and whether the checksum matches them.
func Unseal(rec []byte) ([]byte, bool) {
	if len(rec) < ChecksumLen {
		return nil, false
	}
	at := len(rec) - ChecksumLen
	return rec[:at], binary.BigEndian.Uint32(rec[at:]) == Checksum(rec[:at])
}

// ScanSealed calls yield with the contents of each sealed record of size
// bytes in b, in order, until one is not intact or yield returns false
// (a record whose contents its reader rejects: it counts as corrupt). It
// returns the length of the intact records, and nil if they fill b,
// ErrTruncated if b ends inside a record, ErrCorrupt otherwise.
func ScanSealed(b []byte, size int, yield func(contents []byte) bool) (int, error) {
	off := 0
	for ; off < len(b); off += size {
		if len(b)-off < size {
			return off, ErrTruncated
		}
		contents, ok := Unseal(b[off : off+size])
		if !ok || !yield(contents) {
			return off, ErrCorrupt
		}
	}
	return off, nil
}

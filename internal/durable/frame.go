package durable

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

// A frame is a header followed by a body, integers big-endian:
//
//	length  body length                     4 bytes
//	crc     CRC-32C (Castagnoli) of the body 4 bytes
//	body    length bytes
const FrameHeaderLen = 8

// FinishFrame fills in the header of frame, which holds FrameHeaderLen
// bytes of room for it followed by the body: the body length, and its
// checksum if sum is set. A frame that never reaches a file may skip the
// checksum; its crc field stays as it was.
func FinishFrame(frame []byte, sum bool) {
	body := frame[FrameHeaderLen:]
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	if sum {
		binary.BigEndian.PutUint32(frame[4:], Checksum(body))
	}
}

// ParseFrameHeader returns the body length and checksum in a frame header.
func ParseFrameHeader(h []byte) (n int64, sum uint32) {
	return int64(binary.BigEndian.Uint32(h)), binary.BigEndian.Uint32(h[4:])
}

// NextFrame returns the body of the intact frame at the start of b and the
// bytes after it; ErrTruncated if b ends inside the frame, ErrCorrupt if
// its checksum does not match.
func NextFrame(b []byte) (body, rest []byte, err error) {
	if len(b) < FrameHeaderLen {
		return nil, b, ErrTruncated
	}
	n, sum := ParseFrameHeader(b)
	if n > int64(len(b)-FrameHeaderLen) {
		return nil, b, ErrTruncated
	}
	end := FrameHeaderLen + int(n)
	body = b[FrameHeaderLen:end]
	if Checksum(body) != sum {
		return nil, b, ErrCorrupt
	}
	return body, b[end:], nil
}

// FrameReader reads the frames stored between two offsets of a file.
type FrameReader struct {
	R   *bufio.Reader // positioned at Off
	Off int64         // where the next frame starts
	End int64         // where the frames end

	// MinBody and MaxBody bound a body's length: a length outside them
	// is corrupt. MaxBody 0 means no more than the length field holds.
	MinBody, MaxBody int64
	// Check, if set, vets an intact body: one it rejects is corrupt.
	Check func(body []byte) bool
}

// Peek returns the body length of the next frame without reading it, and
// io.EOF when the frames end exactly at End.
func (fr *FrameReader) Peek() (int64, error) {
	if fr.Off >= fr.End {
		return 0, io.EOF
	}
	if fr.End-fr.Off < FrameHeaderLen {
		return 0, ErrTruncated
	}
	h, err := fr.R.Peek(FrameHeaderLen)
	if err != nil {
		return 0, readError(err)
	}
	n, _ := ParseFrameHeader(h)
	switch {
	case n < fr.MinBody || fr.MaxBody > 0 && n > fr.MaxBody:
		return 0, ErrCorrupt
	case n > fr.End-fr.Off-FrameHeaderLen:
		return 0, ErrTruncated
	}
	return n, nil
}

// Next reads the next frame and appends its body to buf. On an error buf
// is returned as it was and Off stays at the frame that is not intact.
func (fr *FrameReader) Next(buf []byte) ([]byte, error) {
	n, err := fr.Peek()
	if err != nil {
		return buf, err
	}
	var h [FrameHeaderLen]byte
	if _, err := io.ReadFull(fr.R, h[:]); err != nil {
		return buf, readError(err)
	}
	_, sum := ParseFrameHeader(h[:])
	start := len(buf)
	buf = slices.Grow(buf, int(n))[:start+int(n)]
	body := buf[start:]
	if _, err := io.ReadFull(fr.R, body); err != nil {
		return buf[:start], readError(err)
	}
	if Checksum(body) != sum || fr.Check != nil && !fr.Check(body) {
		return buf[:start], ErrCorrupt
	}
	fr.Off += FrameHeaderLen + n
	return buf, nil
}

// readError maps running out of file (it shrank since its size was taken)
// to a truncated record.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}

package durable

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// frames returns the bodies as frames back to back.
func frames(bodies ...string) []byte {
	var b []byte
	for _, body := range bodies {
		start := len(b)
		b = append(b, make([]byte, FrameHeaderLen)...)
		b = append(b, body...)
		FinishFrame(b[start:], true)
	}
	return b
}

func TestFinishFrame(t *testing.T) {
	// length 9, CRC-32C of the body, the body
	if got, want := fmt.Sprintf("%x", frames("123456789")), "00000009"+"e3069283"+"313233343536373839"; got != want {
		t.Errorf("frame %s, want %s", got, want)
	}
	unsummed := append(make([]byte, FrameHeaderLen), "123456789"...)
	FinishFrame(unsummed, false)
	if n, sum := ParseFrameHeader(unsummed); n != 9 || sum != 0 {
		t.Errorf("frame without a checksum: length %d, checksum %08x; want 9, 0", n, sum)
	}
}

// The frames of the tests: bodies of 5, 3 and 4 bytes.
var (
	sample    = frames("first", "two", "last")
	secondAt  = FrameHeaderLen + 5
	thirdAt   = secondAt + FrameHeaderLen + 3
	sampleEnd = thirdAt + FrameHeaderLen + 4
)

// corruptions are damaged copies of sample: where the intact frames end,
// and why reading stops there.
var corruptions = []struct {
	name    string
	data    []byte
	wantEnd int
	wantErr error
}{
	{"intact", sample, sampleEnd, io.EOF},
	{"empty", nil, 0, io.EOF},
	{"cut inside a header", sample[:secondAt+3], secondAt, ErrTruncated},
	{"cut after a header", sample[:thirdAt+FrameHeaderLen], thirdAt, ErrTruncated},
	{"cut inside a body", sample[:sampleEnd-1], thirdAt, ErrTruncated},
	{"flipped byte in a body", flipped(sample, secondAt+FrameHeaderLen+1), secondAt, ErrCorrupt},
	{"flipped byte in a checksum", flipped(sample, secondAt+5), secondAt, ErrCorrupt},
	{"length too long for the file", flipped(sample, thirdAt+3), thirdAt, ErrTruncated},
	{"length of a shorter body", withByte(sample, secondAt+3, 2), secondAt, ErrCorrupt},
}

func withByte(b []byte, i int, v byte) []byte {
	b = bytes.Clone(b)
	b[i] = v
	return b
}

func TestNextFrame(t *testing.T) {
	for _, tt := range corruptions {
		t.Run(tt.name, func(t *testing.T) {
			var bodies []string
			b := tt.data
			var err error
			for len(b) > 0 {
				var body []byte
				if body, b, err = NextFrame(b); err != nil {
					break
				}
				bodies = append(bodies, string(body))
			}
			end := len(tt.data) - len(b)
			if err == nil {
				err = io.EOF
			}
			if end != tt.wantEnd || err != tt.wantErr {
				t.Errorf("frames end at %d with %v; want %d, %v", end, err, tt.wantEnd, tt.wantErr)
			}
			if want := strings.Fields("first two last"); fmt.Sprint(bodies) != fmt.Sprint(want[:len(bodies)]) {
				t.Errorf("bodies %q", bodies)
			}
		})
	}
}

func TestFrameReader(t *testing.T) {
	for _, tt := range corruptions {
		t.Run(tt.name, func(t *testing.T) {
			fr := FrameReader{R: bufio.NewReaderSize(bytes.NewReader(tt.data), 16), End: int64(len(tt.data))}
			bodies, err := readAll(&fr)
			if fr.Off != int64(tt.wantEnd) || err != tt.wantErr {
				t.Errorf("frames end at %d with %v; want %d, %v", fr.Off, err, tt.wantEnd, tt.wantErr)
			}
			if want := strings.Fields("first two last"); fmt.Sprint(bodies) != fmt.Sprint(want[:len(bodies)]) {
				t.Errorf("bodies %q", bodies)
			}
		})
	}
}

// TestFrameReaderBounds: lengths out of bounds and bodies Check rejects
// are corrupt; a file shorter than End is truncated.
func TestFrameReaderBounds(t *testing.T) {
	tests := []struct {
		name    string
		fr      FrameReader
		want    string
		wantErr error
	}{
		{"within bounds", FrameReader{MinBody: 3, MaxBody: 5}, "first two last", io.EOF},
		{"body too short", FrameReader{MinBody: 4}, "first", ErrCorrupt},
		{"body too long", FrameReader{MaxBody: 4}, "", ErrCorrupt},
		{"rejected body", FrameReader{Check: func(b []byte) bool { return string(b) != "last" }}, "first two", ErrCorrupt},
		{"file shorter than End", FrameReader{End: int64(len(sample)) + 20}, "first two last", ErrTruncated},
		{"from an offset", FrameReader{Off: int64(secondAt)}, "two last", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := tt.fr
			fr.R = bufio.NewReader(bytes.NewReader(sample[fr.Off:]))
			if fr.End == 0 {
				fr.End = int64(len(sample))
			}
			bodies, err := readAll(&fr)
			if strings.Join(bodies, " ") != tt.want || err != tt.wantErr {
				t.Errorf("read %q, %v; want %q, %v", bodies, err, tt.want, tt.wantErr)
			}
		})
	}
}

func readAll(fr *FrameReader) ([]string, error) {
	var bodies []string
	var buf []byte
	for {
		var err error
		if buf, err = fr.Next(buf[:0]); err != nil {
			return bodies, err
		}
		bodies = append(bodies, string(buf))
	}
}

// FuzzFrames reads arbitrary bytes as frames: the reader and NextFrame
// agree on where the intact frames end and why, and what they accept
// re-encodes to the same bytes.
func FuzzFrames(f *testing.F) {
	for _, c := range corruptions {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := FrameReader{R: bufio.NewReaderSize(bytes.NewReader(data), 16), End: int64(len(data))}
		bodies, err := readAll(&fr)
		if err != io.EOF && err != ErrTruncated && err != ErrCorrupt {
			t.Fatalf("error %v", err)
		}
		if (err == io.EOF) != (fr.Off == int64(len(data))) {
			t.Fatalf("%v at offset %d of %d", err, fr.Off, len(data))
		}
		if again := frames(bodies...); !bytes.Equal(again, data[:fr.Off]) {
			t.Fatalf("accepted %x, re-encoded %x", data[:fr.Off], again)
		}
		b := data
		var nerr error
		for len(b) > 0 && nerr == nil {
			_, b, nerr = NextFrame(b)
		}
		if nerr == nil {
			nerr = io.EOF
		}
		if int64(len(data)-len(b)) != fr.Off || !errors.Is(nerr, err) {
			t.Fatalf("NextFrame stops at %d with %v, the reader at %d with %v", len(data)-len(b), nerr, fr.Off, err)
		}
	})
}

package delivery

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/welfbridge/welfbridge/internal/durable"
)

// FuzzScanFrames reads arbitrary bytes as the frames of a segment. Reading
// must stop cleanly at any damage, and what it accepts must be exactly what
// the engine would have written for those records.
func FuzzScanFrames(f *testing.F) {
	frames, err := encodeBatch(nil, testRecords(0, 3), true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frames)
	f.Add(frames[:len(frames)-1])
	f.Add(frames[:5])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(bufio.NewReaderSize(bytes.NewReader(data), 16), 0, int64(len(data)))
		var again, buf []byte
		var err error
		for {
			var fm frame
			buf, fm, err = fr.next(buf[:0])
			if err != nil {
				break
			}
			again = appendFrame(again, fm.nanos, fm.severity, string(fm.host), fm.line, true)
		}
		if err != io.EOF && err != durable.ErrTruncated && err != durable.ErrCorrupt {
			t.Fatalf("error %v", err)
		}
		if (err == io.EOF) != (fr.Off == int64(len(data))) {
			t.Fatalf("%v at offset %d of %d", err, fr.Off, len(data))
		}
		if !bytes.Equal(again, data[:fr.Off]) {
			t.Fatalf("accepted %x, re-encoded %x", data[:fr.Off], again)
		}
	})
}

// FuzzParseBody decodes arbitrary bytes as a frame and as a frame body:
// no panic, and whatever decodes re-encodes to the same bytes.
func FuzzParseBody(f *testing.F) {
	frames, err := encodeBatch(nil, testRecords(0, 2), false)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frames)
	f.Add(frames[frameHeaderLen:recFrameLen])
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x06\x80\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if fm, ok := parseBody(data); ok {
			again := appendFrame(nil, fm.nanos, fm.severity, string(fm.host), fm.line, false)
			if !bytes.Equal(again[frameHeaderLen:], data) {
				t.Fatalf("body %x re-encoded as %x", data, again[frameHeaderLen:])
			}
		}
		if fm, size, ok := nextFrame(data); ok {
			again := appendFrame(nil, fm.nanos, fm.severity, string(fm.host), fm.line, false)
			if !bytes.Equal(again[frameHeaderLen:], data[frameHeaderLen:size]) || !bytes.Equal(again[:4], data[:4]) {
				t.Fatalf("frame %x re-encoded as %x", data[:size], again)
			}
		}
	})
}

// FuzzCheckFrames: a batch read back from the spool is taken only when it
// holds exactly the frames it was written with: checkFrames accepts data
// as n frames exactly when a segment reader would read n intact frames
// from it and end there.
func FuzzCheckFrames(f *testing.F) {
	frames, err := encodeBatch(nil, testRecords(0, 3), true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frames, uint8(3))
	f.Add(frames, uint8(2))
	f.Add(frames[:len(frames)-1], uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		got := checkFrames(data, int(n)) == nil
		fr := newFrameReader(bufio.NewReaderSize(bytes.NewReader(data), 16), 0, int64(len(data)))
		count := 0
		var buf []byte
		for {
			var err error
			if buf, _, err = fr.next(buf[:0]); err != nil {
				break
			}
			count++
		}
		want := count == int(n) && fr.Off == int64(len(data))
		if got != want {
			t.Fatalf("checkFrames(%d frames) = %v, reader read %d frames to offset %d of %d", n, got, count, fr.Off, len(data))
		}
	})
}

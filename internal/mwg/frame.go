package mwg

import "bytes"

// frameMode is where a framed body stands.
type frameMode uint8

const (
	frameOff       frameMode = iota
	frameLength              // Content-Length body
	frameChunkSize           // chunked: a chunk-size line is next
	frameChunkData           // chunked: inside chunk data
	frameChunkEnd            // chunked: the CRLF after chunk data is next
	frameTrailer             // chunked: trailer fields until an empty line
)

// framing counts a body whose end is known from its framing. Lines arrive
// without their LF (and usually without their CR), so every line counts as
// its length plus one; a line that runs past the frame ends it, and what
// follows the frame on that line belongs to the next message.
type framing struct {
	mode  frameMode
	rem   int64 // bytes of the current frame still expected
	seen  int64 // bytes of the current frame seen so far
	slack int64 // lines of the current frame that came without CR
	size  int64 // declared size of the current frame
	ieof  bool  // ICAP: the last chunk carried the ieof extension
}

// claim tells the tokenizer whether the next line belongs to the frame
// whatever it looks like. A frame that has not started yet claims nothing:
// its data may come in a later chunk, after the peer's reply (100-continue).
// Once each line may have lost a CR to tail, the bytes still expected may
// be those CRs: then a marker or start line ends the frame.
func (f *framing) claim() claim {
	if (f.mode != frameLength && f.mode != frameChunkData) || f.seen == 0 {
		return claimNone
	}
	if f.rem > f.slack {
		return claimBytes
	}
	return claimBytesEnd
}

// bodyClaim is the claim of a body of direction d that f frames, started
// when a line of it has been read: a request body of which nothing has
// been seen leaves room for markers, since the answer may come before it
// (100 Continue, an early 407).
func (f *framing) bodyClaim(d dir, started bool) claim {
	if d == dirRequest && !started {
		return claimNone
	}
	if c := f.claim(); c != claimNone {
		return c
	}
	return claimBody
}

// take consumes one body line. It returns the bytes that belong to the
// body, the part of the line after the body (nil if none) and whether the
// body is complete; bad reports a malformed chunk-size line.
func (f *framing) take(line []byte) (n int64, rest []byte, done, bad bool) {
	body := trimCR(line)
	w := wireLen(line)
	switch f.mode {
	case frameLength:
		return f.data(line, w)
	case frameChunkData:
		if f.seen > 0 && f.rem <= f.slack && isChunkSize(body) {
			// The bytes still expected were CRs removed by tail; this is
			// already the next chunk-size line.
			n := f.rem
			f.rem, f.mode = 0, frameChunkSize
			return n, line, false, false
		}
		return f.data(line, w)
	case frameChunkSize:
		size, ieof, ok := parseChunkSize(body)
		if !ok {
			return w, nil, false, true
		}
		if size == 0 {
			f.mode, f.ieof = frameTrailer, ieof
			return w, nil, false, false
		}
		*f = framing{mode: frameChunkData, rem: size, size: size}
		return w, nil, false, false
	case frameChunkEnd:
		f.mode = frameChunkSize
		if len(body) == 0 {
			return w, nil, false, false
		}
		return 0, line, false, false // CRLF missing: this is the next chunk size
	case frameTrailer:
		if len(body) == 0 {
			f.mode = frameOff
			return w, nil, true, false
		}
		return w, nil, false, false
	}
	return 0, line, true, false
}

// data consumes a line of frame data.
func (f *framing) data(line []byte, w int64) (int64, []byte, bool, bool) {
	if w <= f.rem {
		f.rem -= w
		f.seen += w
		if len(line) == 0 || line[len(line)-1] != '\r' {
			f.slack++
		}
		if f.rem > 0 {
			return w, nil, false, false
		}
		if f.mode == frameChunkData {
			f.mode = frameChunkEnd
			return w, nil, false, false
		}
		f.mode = frameOff
		return w, nil, true, false
	}
	// The frame ends inside this line.
	n := f.rem
	tail := line[n:]
	f.seen += n
	f.rem = 0
	if f.mode == frameChunkData {
		f.mode = frameChunkSize
		if len(trimCR(tail)) == 0 { // the CRLF that closes the chunk
			return n + wireLen(tail), nil, false, false
		}
		return n, tail, false, false
	}
	f.mode = frameOff
	if len(trimCR(tail)) == 0 { // just the line end, written after the body
		return n, nil, true, false
	}
	return n, tail, true, false
}

// finish ends the current frame where it stands, crediting the bytes still
// expected as CRs lost to tail. It reports the bytes credited and whether
// the body is complete.
func (f *framing) finish() (int64, bool) {
	n := f.rem
	f.rem = 0
	switch f.mode {
	case frameLength:
		f.mode = frameOff
		return n, true
	case frameChunkData:
		f.mode = frameChunkSize
		return n, false
	}
	return 0, false
}

// parseChunkSize parses "hex [; extensions]".
func parseChunkSize(b []byte) (size int64, ieof, ok bool) {
	i := 0
	for i < len(b) && b[i] != ';' && !isWSP(b[i]) {
		i++
	}
	if size, ok = parseHex(b[:i]); !ok {
		return 0, false, false
	}
	ext := trimWSP(b[i:])
	if len(ext) > 0 && ext[0] != ';' {
		return 0, false, false
	}
	return size, bytes.Contains(ext, []byte("ieof")), true
}

func isChunkSize(b []byte) bool {
	_, _, ok := parseChunkSize(b)
	return ok
}

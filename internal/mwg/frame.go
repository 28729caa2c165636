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
	rem   int64 // bytes of the current frame still expected
	seen  int64 // bytes of the current frame seen so far
	slack int64 // lines of the current frame, each of which may have lost a CR
	size  int64 // declared size of the current frame

	// Marker lines of the frame's own direction taken before its first
	// byte (see ownMarker): MWG writes them there, but so may the body.
	early  int64 // their bytes: how much sooner the frame ends if they are data
	lastW  int64 // bytes of the last of them (the smallest such shift)
	earlyN int64 // how many of them (each may have lost a CR)
	blank  int64 // bytes of the blank lines that end what the frame has seen
	gave   int64 // bytes credited by ending early (endsEarly, cut): an ambiguous region
	fork   int64 // chunk data bytes still expected when a chunk-size line cut it short

	// The small fields together: a Stream holds several framings.
	mode  frameMode
	ieof  bool // ICAP: the last chunk carried the ieof extension
	short bool // chunked: a chunk was ended early by a chunk-size line
	exact bool // lines lost no CRs: the other reading of a cut (see Stream.shadow)
}

// claim tells the tokenizer whether the next line belongs to the frame
// whatever it looks like. A frame that has not started yet claims nothing:
// its data may come in a later chunk, after the peer's reply (100-continue).
// Once each line may have lost a CR to tail, the bytes still expected may
// be those CRs: then a marker or start line ends the frame; so it does
// where the frame may end sooner (endsEarly).
func (f *framing) claim() claim {
	if f.mode != frameLength && f.mode != frameChunkData {
		return claimNone
	}
	if f.endsEarly() {
		return claimBytesEnd
	}
	if f.seen == 0 {
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
	c := f.claim()
	if d == dirRequest && !started && c != claimBytesEnd {
		return claimNone
	}
	if c != claimNone {
		return c
	}
	return claimBody
}

// ownMarker records a marker line of the frame's own direction, of w
// bytes, taken before the frame's first byte. MWG writes one there between
// reads, but the body may as well start with that very line: read so, the
// frame ends w bytes sooner (more, for several such lines; fewer, for the
// later ones). Bytes framing gives a body must never start a message, so
// where that sooner end meets a line that starts one, the frame may end
// there (endsEarly, endInside), and the bytes it gives up are an ambiguous
// region. It reports whether the frame had not started, i.e. whether the
// line may be data.
func (f *framing) ownMarker(w int64) bool {
	if (f.mode != frameLength && f.mode != frameChunkData) || f.seen > 0 {
		return false
	}
	f.early += w
	f.lastW = w
	f.earlyN++
	return true
}

// endsEarly reports whether the next line may be the first after the
// frame, read with the own-direction marker lines before it as its first
// bytes: the frame then ends between lastW and early bytes (plus one per
// line that may have lost its CR) before its declared end, or a little
// sooner if the lines since were blank or it ended inside the last line's
// line break.
func (f *framing) endsEarly() bool {
	return f.early > 0 && f.rem >= f.lastW-2-f.blank && f.rem <= f.early+f.slack+f.earlyN
}

// endInside returns the offset inside line (0: none) where the frame may
// end other than where its declared length says, because opens says that
// a marker or start line begins there: what follows a body need not start
// on a line of its own. The offsets are those that the CRs tail may have
// removed (one per line so far) or the own-direction marker lines before
// the frame (see ownMarker) allow. opens also reports whether it looked
// closer than at the first bytes; at most maxInsideTries such offsets of a
// line are tried, which bounds the work on a hostile line.
func (f *framing) endInside(line []byte, opens func([]byte) (ok, tried bool)) int64 {
	if f.mode != frameLength || f.slack == 0 && f.early == 0 {
		return 0
	}
	n := int64(len(trimCR(line)))
	lo, hi := n, int64(0)
	if f.slack > 0 {
		lo, hi = f.rem-f.slack, f.rem-1
	}
	if f.early > 0 {
		lo, hi = min(lo, f.rem-f.early-f.slack-f.earlyN), max(hi, f.rem-f.lastW)
	}
	tries := 0
	for k := max(lo, 1); k <= min(hi, n-1) && tries < maxInsideTries; k++ {
		ok, tried := opens(line[k:])
		if ok {
			return k
		}
		if tried {
			tries++
		}
	}
	return 0
}

const maxInsideTries = 32

// cut makes the frame end k bytes into the next line, crediting the bytes
// it still expected beyond them (gave).
func (f *framing) cut(k int64) {
	f.gave, f.rem = f.rem-k, k
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
			f.rem, f.mode, f.short, f.fork = 0, frameChunkSize, true, n
			return n, line, false, false
		}
		if f.endsEarly() && isChunkSize(body) {
			// Read with the marker lines before it as data, the chunk is
			// over and this is what follows it: the bytes it still
			// expected are credited (gave), for the caller to flag.
			n := f.rem
			*f = framing{mode: frameChunkEnd, gave: n, short: true}
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
		*f = framing{mode: frameChunkData, rem: size, size: size, short: f.short, exact: f.exact}
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
		if isBlank(trimCR(line)) {
			f.blank += w
		} else {
			f.blank = 0
		}
		// Tail removes one CR at the end of a line, if any: a line that
		// still ends in one came with two, so every line may have lost one.
		if !f.exact {
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
	n += f.gave // cut: the rest is credited
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

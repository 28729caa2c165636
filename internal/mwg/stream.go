package mwg

import (
	"bytes"
	"strings"
	"time"
	"unsafe"

	"github.com/welfbridge/welfbridge/internal/userinfo"
)

// claim is how strongly the message in progress holds on to the next line.
type claim uint8

const (
	claimNone claim = iota // the next line may be a marker or start any message
	// claimBody: the next bytes of this direction belong to the message in
	// progress (a header block, a body before its first byte or between
	// chunks, a body read until the connection closes, a multi-line FTP
	// reply). Start lines are its data; a marker line is one only if it
	// continues the current chunk's layer and direction (a later read of
	// the same message), any other marker line is data too.
	claimBody
	// claimLayer: the rest of the layer belongs to the message in progress
	// (a connection switched to another protocol: WebSocket, HTTP/2).
	// Marker lines of its layer are markers, those of the other layer data.
	claimLayer
	claimBytes    // framed data is still expected: markers and start lines are data
	claimBytesEnd // framed data may be complete: a marker or start line ends the frame
)

// decoder is a protocol parser behind a Stream. It keeps one message state
// per layer and direction and records transactions through the Stream.
type decoder interface {
	// startLine classifies a line (CR removed) as the start of a request
	// or response of the protocol.
	startLine(body []byte) (dir, bool)
	claim(l layer, d dir) claim
	// endFrame ends the framed data in progress (see claimBytesEnd) and
	// returns the bytes it still expected, credited as CRs lost to tail.
	endFrame(l layer, d dir) int64
	// deferred returns the size of a Content-Length request body of which
	// nothing has been seen yet (the answer may come first), else 0.
	deferred(l layer, d dir) int64
	// ownMarker tells a length-framed body of which nothing has been seen
	// that a marker line of its own direction, of w bytes, was taken
	// before it (see framing.ownMarker); it reports whether there was
	// such a body.
	ownMarker(l layer, d dir, w int64) bool
	// noteBody adds a notice to the message in progress.
	noteBody(l layer, d dir, msg string)
	// feed consumes one payload line as delivered (CR kept if present).
	// When a framed body ends inside the line, it returns the rest of the
	// line, which the tokenizer reads as a line of its own.
	feed(l layer, d dir, line []byte) (rest []byte)
	// tlsData is called before each line of the decrypted layer.
	tlsData()
	// flush ends every message in progress, noting what is missing in
	// the pending transactions, and resets the decoder.
	flush(reason FlushReason)
	// retained is the number of string bytes the decoder keeps itself.
	retained() int
}

// pending is a transaction being assembled.
type pending struct {
	tx       Transaction
	id       uint64
	layer    layer
	reqDone  bool
	respDone bool
	held     bool   // tunnel or undecoded run: stays open until released
	noResp   bool   // takes no response
	silent   bool   // dropped instead of emitted (FTP commands that are no transaction)
	broken   bool   // a message ended abnormally: not Complete
	suspect  bool   // took bytes of an ambiguous region
	doubt    bool   // took bytes while the shadow reading was unresolved: held until it is
	missing  string // for Flush: what the decoder was still waiting for
	retained int    // string bytes held by tx
}

const pendingSize = int(unsafe.Sizeof(pending{}))

// Stream decodes the lines of one trace file into transactions. It is not
// safe for concurrent use; use one Stream per file.
type Stream struct {
	name  Name
	opts  Options
	emit  func(Transaction)
	dec   decoder
	proto string // Name.Proto in lower case, for undecoded data

	// Tokenizer.
	marked     bool // a marker line was seen: the preamble is over
	layer      layer
	cur        dir
	mark       mark
	orient     orientation
	chunkNew   bool    // the current chunk has had no non-blank payload line yet
	answered   [2]bool // per layer: a response started in a chunk of the response side, so the layer is not region-style
	chunkRem   int64   // bytes announced by marker metadata still expected
	chunkSlack int64

	// Ambiguous region (see "Framing" in the package documentation):
	// bytes that one reading of the trace gives to a body and another to
	// new messages.
	amb      int64 // bytes of the region still ahead; > 0 while it is open
	ambChunk bool  // the current chunk is ambiguous as a whole (see marker)
	inAmb    bool  // the token being read lies in the region
	// The other reading of a chunk that a chunk-size line cut short (its
	// lines may have lost CRs): with bare LF lines, that line was chunk
	// data and the body goes on, for as many chunks as its data says.
	// Once the body has ended the first way, what is read while this
	// reading still holds is ambiguous.
	shadow     framing
	shadowOf   uint64 // the transaction whose body the shadow reads
	shadowLive bool   // that body has ended the first way
	shadowSure bool   // the shadow reading passed a chunk boundary: it holds

	// Clock and addresses from metadata.
	now        time.Time
	date       [3]int // year, month, day of the last date seen
	tod        time.Duration
	hasTOD     bool
	src, dst   string
	undecoding uint64 // the open undecoded run, 0 if none

	// Pending transactions, oldest first; ids are consecutive from qFirst.
	q       []pending
	qFirst  uint64
	seq     int
	orphans [2]int // per layer: evicted requests whose responses are still to come
	strs    int    // string bytes retained by q
	fixed   int    // Size of an empty stream
}

// NewStream returns a Stream for the file name. emit receives each
// transaction as soon as it is complete (and the rest from Flush); it must
// not call back into the Stream.
//
// The decoder follows name.Proto: FTP control (side ending in C: CC, SC),
// FTP data (any other FTP side: CL, SD), ICAP, and HTTP for everything else.
func NewStream(name Name, opts Options, emit func(Transaction)) *Stream {
	s := &Stream{name: name, opts: opts.withDefaults(), emit: emit, proto: strings.ToLower(name.Proto), qFirst: 1, date: [3]int{1, 1, 1}}
	if s.emit == nil {
		s.emit = func(Transaction) {}
	}
	var decSize uintptr
	switch {
	case name.Proto == "FTP" && strings.HasSuffix(name.Side, "C"):
		d := &ftpDecoder{s: s}
		s.dec, decSize = d, unsafe.Sizeof(*d)
	case name.Proto == "FTP":
		d := &ftpData{s: s}
		s.dec, decSize = d, unsafe.Sizeof(*d)
	case name.Proto == "ICAP":
		d := &icapDecoder{s: s}
		s.dec, decSize = d, unsafe.Sizeof(*d)
	default:
		d := &httpDecoder{s: s}
		s.dec, decSize = d, unsafe.Sizeof(*d)
	}
	s.fixed = int(unsafe.Sizeof(*s) + decSize)
	s.resetTokenizer()
	return s
}

func (s *Stream) resetTokenizer() {
	s.marked, s.layer, s.cur, s.mark = false, layerPlain, dirRequest, markNone
	s.orient = orientUnknown
	if s.opts.MarkerMode == MarkerDirection {
		s.orient = orientNormal
	}
	s.chunkNew, s.chunkRem, s.chunkSlack, s.answered = false, 0, 0, [2]bool{}
	s.amb, s.ambChunk, s.inAmb = 0, false, false
	s.shadow, s.shadowOf, s.shadowLive, s.shadowSure = framing{}, 0, false, false
}

// Size reports the bytes the Stream retains: its own structures, the
// pending transactions and every string copied out of the lines. It never
// exceeds Options.MaxHeaderBytes.
func (s *Stream) Size() int {
	return s.fixed + cap(s.q)*pendingSize + s.strs + len(s.src) + len(s.dst) + s.dec.retained()
}

// Feed consumes one record of the tail input: a line without its LF, or
// several lines joined by LF (so "a\n" is "a" and an empty line). A
// trailing CR is kept for byte counting and ignored for recognition.
func (s *Stream) Feed(record []byte) {
	for {
		i := bytes.IndexByte(record, '\n')
		if i < 0 {
			s.line(record)
			return
		}
		s.line(record[:i])
		record = record[i+1:]
	}
}

// Flush emits every pending transaction, incomplete ones with
// Complete=false and a Msg saying what is missing, and resets the protocol
// state: the next line starts afresh.
func (s *Stream) Flush(reason FlushReason) {
	s.dec.flush(reason)
	s.endShadow(s.shadowLive) // a file that ends inside its body: unresolved, so ambiguous
	s.undecoding = 0
	for len(s.q) > 0 {
		s.finish(&s.q[0], reason)
		s.pop()
	}
	s.q = nil // an idle file shrinks back to an empty stream
	s.orphans = [2]int{}
	s.chunkRem, s.chunkSlack, s.amb, s.ambChunk = 0, 0, 0, false
	if reason == FlushTruncated {
		s.resetTokenizer()
		s.now, s.date, s.tod, s.hasTOD, s.src, s.dst = time.Time{}, [3]int{1, 1, 1}, 0, false, "", ""
	}
}

func (s *Stream) line(line []byte) {
	if s.shadow.mode != frameOff {
		s.shadowLine(line)
	}
	tok, cont := line, false
	for tok != nil {
		s.inAmb = s.amb > 0 || s.ambChunk || s.shadowLive && s.shadowSure
		rest := s.token(tok, cont)
		if s.amb > 0 {
			s.consume(tok, rest)
		}
		tok, cont = rest, true
	}
	s.inAmb = false
}

// token reads one line, or with cont the rest of one, and returns the rest
// of it when a framed body ended inside it.
func (s *Stream) token(line []byte, cont bool) []byte {
	if ml, ok := parseMarkerLine(line, s.opts.TimestampPrefix); ok && s.chunkRem <= s.chunkSlack {
		switch c := s.dec.claim(s.layer, s.cur); {
		case c == claimBody && !s.continues(&ml), c == claimLayer && !s.sameLayer(&ml):
			// Inside a message that HTTP framing (or FTP) says goes on: a
			// marker of another direction or layer is its data.
			s.dec.noteBody(s.layer, s.cur, "marker line inside a message read as its data")
		case c != claimBytes:
			if c == claimNone && !s.continues(&ml) {
				// A request body may wait for the answer, but it may also
				// start with this very line.
				if n := s.dec.deferred(s.layer, s.cur); n > 0 {
					s.ambiguous(n)
					c = claimBody // it may be data: its metadata is not taken
				}
			}
			if c != claimBytesEnd && s.continues(&ml) {
				// A later read of the same message, or the first line of
				// its body: the body may end this many bytes sooner.
				w := int64(len(line))
				if ml.hasPayload {
					w -= int64(len(ml.payload))
				} else {
					w++
				}
				if s.dec.ownMarker(s.layer, s.cur, w) {
					c = claimBody // it may be data: its metadata is not taken
				}
			}
			// Right behind a body on the same line, a marker of the
			// other side may be real (the writer added no line break) or
			// bytes the body's sender wrote after it.
			return s.marker(&ml, c, cont && !s.continues(&ml))
		}
	}
	if !s.marked {
		s.preamble(trimCR(line))
		return nil
	}
	return s.payload(line, cont)
}

// chunkDir is the direction of the current chunk's marker.
func (s *Stream) chunkDir() dir {
	d := s.mark.dir()
	if s.orient == orientMirrored {
		d ^= 1
	}
	return d
}

// continues reports whether a marker line goes on with the layer and
// direction of the current chunk: a later read of the same data.
func (s *Stream) continues(ml *markerLine) bool {
	if !s.sameLayer(ml) {
		return false
	}
	if s.opts.MarkerMode == MarkerRegion {
		return true
	}
	d := ml.mark.dir()
	if s.orient == orientMirrored {
		d ^= 1
	}
	return d == s.cur
}

// sameLayer reports whether a marker line stays in the current layer.
func (s *Stream) sameLayer(ml *markerLine) bool {
	if !s.marked {
		return false
	}
	if s.opts.MarkerMode == MarkerRegion {
		return (ml.mark == markOpen) == (s.layer == layerTLS)
	}
	return ml.mark.layer() == s.layer
}

// ambiguous opens an ambiguous region of n bytes at the start of the token
// being read: read as the body before it (its lines may have been LF-only,
// or the body may start with this very line), the region is body data;
// read as the trace goes on, it holds new messages. Content controls
// which reading fits, so every transaction that takes bytes from the
// region says so and is not complete.
func (s *Stream) ambiguous(n int64) {
	if n > s.amb {
		s.amb = n
	}
	s.inAmb = s.amb > 0
}

// consume counts the token tok (rest is what token returned of it) against
// the ambiguous region.
func (s *Stream) consume(tok, rest []byte) {
	n := wireLen(tok)
	if rest != nil {
		n = int64(len(tok) - len(rest))
	}
	s.amb = max(s.amb-n, 0)
}

// gaveUp flags, after a line of the frame of transaction id's direction d,
// what its early end leaves in doubt: the bytes it credited by ending
// early (framing.gave), an ambiguous region from where the rest of the line
// starts, and for a chunked body that ended after a chunk cut short, the
// rest of the chunk.
func (s *Stream) gaveUp(f *framing, id uint64, d dir, line, rest []byte) {
	if f.fork > 0 {
		// Read the other way from this line on (see shadow).
		s.endShadow(false)
		s.shadow = framing{mode: frameChunkData, rem: f.fork, seen: 1, exact: true}
		s.shadowOf, f.fork = id, 0
		s.shadowLine(line)
	}
	if f.short && f.mode == frameOff {
		// A chunked body ended after a chunk that a chunk-size line cut
		// short (its lines may have lost CRs): read with bare LF lines,
		// that line was chunk data and the body goes on.
		f.short = false
		s.ambChunk, s.inAmb = true, true
		if s.shadowOf == id && s.shadow.mode != frameOff {
			s.shadowLive = true
			s.inAmb = s.inAmb || s.shadowSure
		}
	}
	if f.gave == 0 {
		return
	}
	n := f.gave
	if rest != nil {
		n += int64(len(line) - len(rest))
	}
	f.gave = 0
	s.endedEarly(id, d, f.mode != frameOff)
	s.ambiguous(n)
}

// shadowLine reads a line the other way (see shadow). That reading holds
// once it passes a chunk boundary (a chunk-size line where its chunk
// ends) and fails when its framing does; until then, what the first
// reading makes of the bytes after the body is held (doubt).
func (s *Stream) shadowLine(line []byte) {
	for line != nil && s.shadow.mode != frameOff {
		before := s.shadow.mode
		_, rest, done, bad := s.shadow.take(line)
		s.shadow.fork, s.shadow.gave = 0, 0
		switch {
		case bad:
			s.endShadow(false)
			return
		case done || before == frameChunkSize && s.shadow.mode != frameChunkSize:
			s.shadowSure = true
			s.resolveDoubt(true)
			if done {
				s.endShadow(true)
				return
			}
		}
		line = rest
	}
}

// endShadow ends the shadow reading; holds says whether it held, which
// makes what it left in doubt ambiguous.
func (s *Stream) endShadow(holds bool) {
	s.resolveDoubt(holds && s.shadowLive)
	s.shadow, s.shadowOf, s.shadowLive, s.shadowSure = framing{}, 0, false, false
}

// resolveDoubt releases the transactions held in doubt (see shadowLine),
// ambiguous if ambiguous is set.
func (s *Stream) resolveDoubt(ambiguous bool) {
	held := false
	for i := range s.q {
		if p := &s.q[i]; p.doubt {
			p.doubt, held = false, true
			if ambiguous {
				s.suspect(p)
			}
		}
	}
	if held {
		s.drain()
	}
}

// inDoubt marks p when the bytes it takes are read after a body that the
// shadow reading, not yet resolved, would continue.
func (s *Stream) inDoubt(p *pending) {
	if s.shadowLive && !s.shadowSure && s.shadow.mode != frameOff {
		p.doubt = true
	}
}

// endedEarly notes that a body (chunked: chunk data) of transaction id's
// direction d ended before its declared length, by one reading of an
// ambiguous trace. A request's answer is the next response in both
// readings only if the other reading's bytes hold no answer of their own:
// its transaction is ambiguous too. Read the other way, a chunked body
// goes on for as many chunks as its data says: the rest of the chunk is
// ambiguous.
func (s *Stream) endedEarly(id uint64, d dir, chunked bool) {
	if p := s.get(id); p != nil && d == dirRequest {
		s.suspect(p)
	}
	if chunked {
		s.ambChunk, s.inAmb = true, true
	}
}

// opens reports whether b begins a marker line or a start line, and
// whether it took more than a look at b's first and last bytes to tell.
func (s *Stream) opens(b []byte) (ok, tried bool) {
	body := trimCR(b)
	if len(body) < 3 {
		return false, false
	}
	if c := body[0]; c == '<' || c == '>' || c == '[' || c == ']' || isDigit(c) {
		if _, ok := parseMarkerLine(b, s.opts.TimestampPrefix); ok {
			return true, true
		}
		tried = true
	}
	// A status line starts with the protocol, a request line ends with it.
	n := len(body)
	if !bytes.HasPrefix(body, []byte("HTTP/")) && !bytes.HasPrefix(body, []byte("ICAP/")) &&
		!(n > 9 && body[n-9] == ' ' && body[n-4] == '/' && body[n-2] == '.') {
		return false, tried
	}
	_, ok = s.dec.startLine(body)
	return ok, true
}

// suspect marks a transaction that took bytes of an ambiguous region.
func (s *Stream) suspect(p *pending) {
	if !p.suspect {
		p.suspect, p.broken = true, true
		s.note(p, "ambiguous: may be body data of an earlier message")
	}
}

// preamble takes what metadata it finds in a line before the first marker
// and ignores the rest: before a marker no data can be placed in a message
// (this is also where tail lands when it starts in the middle of a file).
func (s *Stream) preamble(body []byte) {
	m := meta{count: -1}
	for i := 0; i < len(body); {
		if isWSP(body[i]) {
			i++
			continue
		}
		n := metaToken(body, i, &m)
		if n == 0 {
			for i < len(body) && !isWSP(body[i]) {
				i++
			}
		}
		i += n
	}
	s.applyMeta(&m, dirRequest)
}

// marker opens a chunk.
// glued says the marker stands right behind a body on the same line and
// switches side: its chunk is ambiguous.
func (s *Stream) marker(ml *markerLine, c claim, glued bool) []byte {
	s.ambChunk = glued
	if c == claimBytesEnd {
		s.ambiguous(s.dec.endFrame(s.layer, s.cur))
	}
	s.inAmb = s.inAmb || s.ambChunk
	s.marked, s.mark = true, ml.mark
	d := ml.mark.dir()
	switch s.opts.MarkerMode {
	case MarkerRegion:
		// Openers and closers delimit layers; outside "[[[ … ]]]" is plain.
		s.layer = layerPlain
		if ml.mark == markOpen {
			s.layer = layerTLS
		}
	default:
		if s.orient == orientMirrored {
			d ^= 1
		}
		s.layer, s.cur = ml.mark.layer(), d
	}
	s.chunkNew = true
	s.chunkRem, s.chunkSlack = 0, 0
	if c != claimBody && c != claimLayer {
		// Inside a message the marker may as well be its data: its
		// metadata (a byte count, times, addresses) is not taken.
		s.chunkRem = max(ml.meta.count, 0)
		s.applyMeta(&ml.meta, d)
	}
	if ml.hasPayload {
		if s.dec.claim(s.layer, s.cur) == claimBytesEnd {
			// The frame may end right before the payload (see
			// framing.endsEarly): if that is a marker line, it is read
			// as one, right behind the body.
			if _, ok := parseMarkerLine(ml.payload, s.opts.TimestampPrefix); ok {
				return ml.payload
			}
		}
		return s.payload(ml.payload, false)
	}
	return nil
}

// payload routes one payload line to a direction and feeds it. cont says
// the line is the rest of one already counted against chunkRem.
func (s *Stream) payload(line []byte, cont bool) []byte {
	body := trimCR(line)
	if s.chunkRem > 0 && !cont {
		s.chunkRem -= wireLen(line)
		s.chunkSlack++ // see framing.data
	}
	blank := isBlank(body)
	first := s.chunkNew && !blank
	if first {
		s.chunkNew = false
	}
	if s.layer == layerTLS {
		s.dec.tlsData()
	}
	d := s.cur
	if c := s.dec.claim(s.layer, d); (c == claimNone || c == claimBytesEnd) && !blank {
		if k, ok := s.dec.startLine(body); ok {
			s.closeUndecoded()
			if c == claimBytesEnd {
				s.ambiguous(s.dec.endFrame(s.layer, d))
			}
			if s.opts.MarkerMode != MarkerDirection {
				if k != d && c == claimNone {
					// Like a marker of the other side: a request body not
					// seen yet may as well start with this line.
					s.ambiguous(s.dec.deferred(s.layer, d))
				}
				if first && s.opts.MarkerMode == MarkerAuto && s.orient == orientUnknown {
					s.orient = orientNormal
					if s.mark.dir() != k {
						s.orient = orientMirrored
					}
				}
				if s.opts.MarkerMode == MarkerAuto && k != s.chunkDir() && (k == dirRequest || s.answered[s.layer]) {
					// A start line of the other side: bytes the server
					// (or client) wrote beyond its message (a "body" after
					// HEAD, 204 or 304, more than Content-Length, a status
					// line behind a request), unless the file wraps both
					// sides in one region, which puts them behind ">>>" or
					// "[[[" and nothing behind "<<<" or "]]]". The rest of
					// the chunk is ambiguous.
					s.ambChunk, s.inAmb = true, true
				}
				s.answered[s.layer] = s.answered[s.layer] || k == dirResponse && s.chunkDir() == dirResponse
				d = k
			}
		}
	}
	s.cur = d
	return s.dec.feed(s.layer, d, line)
}

// applyMeta takes times and addresses from marker metadata. d is the
// direction of the chunk the marker opens.
func (s *Stream) applyMeta(m *meta, d dir) {
	s.clock(&m.stamp)
	switch m.naddr {
	case 0:
		return
	case 1:
		// A lone address is the peer: the client on client-facing sides.
		if s.name.clientSide() {
			s.setAddr(&s.src, m.addrs[0])
		} else {
			s.setAddr(&s.dst, m.addrs[0])
		}
		return
	}
	from, to := m.addrs[0], m.addrs[1]
	if m.reverse {
		from, to = to, from
	}
	if d == dirResponse {
		from, to = to, from
	}
	s.setAddr(&s.src, from)
	s.setAddr(&s.dst, to)
}

func (s *Stream) setAddr(a *string, b []byte) {
	if string(b) != *a && len(b)-len(*a) <= s.room() {
		*a = string(b)
	}
}

// clock advances the stream's time from a stamp. A time of day without a
// date takes the last date seen (year 1 if none) and rolls over to the next
// day when it goes back by more than 12 hours.
func (s *Stream) clock(st *stamp) {
	if !st.date && !st.clock {
		return
	}
	if st.date {
		s.date = [3]int{st.year, st.month, st.day}
	}
	if !st.clock {
		s.now = time.Date(s.date[0], time.Month(s.date[1]), s.date[2], 0, 0, 0, 0, s.opts.Location)
		return
	}
	tod := time.Duration(st.hour)*time.Hour + time.Duration(st.min)*time.Minute + time.Duration(st.sec)*time.Second + time.Duration(st.nsec)
	if !st.date && s.hasTOD && tod < s.tod-12*time.Hour {
		next := time.Date(s.date[0], time.Month(s.date[1]), s.date[2]+1, 0, 0, 0, 0, time.UTC)
		s.date = [3]int{next.Year(), int(next.Month()), next.Day()}
	}
	s.tod, s.hasTOD = tod, true
	loc := s.opts.Location
	if st.zone {
		loc = time.UTC
	}
	s.now = time.Date(s.date[0], time.Month(s.date[1]), s.date[2], st.hour, st.min, st.sec, st.nsec, loc)
	if st.zone {
		s.now = s.now.Add(-time.Duration(st.offset) * time.Second)
	}
}

// get returns the pending transaction id, or nil when it is gone.
func (s *Stream) get(id uint64) *pending {
	if id < s.qFirst || id-s.qFirst >= uint64(len(s.q)) {
		return nil
	}
	return &s.q[id-s.qFirst]
}

// open appends a pending transaction of layer l and returns its id. When
// the queue cannot grow within MaxHeaderBytes the oldest one is evicted.
func (s *Stream) open(l layer) uint64 {
	if len(s.q) == cap(s.q) {
		grow := max(2, cap(s.q))
		if s.Size()+grow*pendingSize+reserve <= s.opts.MaxHeaderBytes || len(s.q) == 0 {
			q := make([]pending, len(s.q), cap(s.q)+grow)
			copy(q, s.q)
			s.q = q
		} else {
			s.evict()
		}
	}
	id := s.qFirst + uint64(len(s.q))
	s.q = append(s.q, pending{id: id, layer: l})
	p := &s.q[len(s.q)-1]
	if s.inAmb {
		s.suspect(p)
	}
	s.inDoubt(p)
	p.tx.Start, p.tx.End = s.now, s.now
	p.tx.SrcAddr, p.tx.DstAddr = s.share(p, s.src), s.share(p, s.dst)
	if l == layerTLS {
		p.tx.TLS = TLSInspected
	}
	return id
}

// reserve is kept free of strings so that the queue can always grow by
// one step of two entries.
const reserve = 2 * pendingSize

// evict emits the oldest pending transaction as incomplete to make room.
func (s *Stream) evict() {
	p := &s.q[0]
	if !p.respDone && !p.noResp {
		s.orphans[p.layer]++
	}
	if p.id == s.undecoding {
		s.undecoding = 0
	}
	p.tx.Complete = false
	s.note(p, "evicted: header cap reached")
	s.pop()
}

// answer returns the pending transaction the next response of layer l
// belongs to, opening one without request if there is none.
func (s *Stream) answer(l layer, proto string) uint64 {
	if s.orphans[l] > 0 {
		s.orphans[l]--
		return 0
	}
	for i := range s.q {
		p := &s.q[i]
		if p.layer == l && !p.respDone && !p.noResp {
			if p.tx.SrcAddr == "" && p.tx.DstAddr == "" {
				p.tx.SrcAddr, p.tx.DstAddr = s.share(p, s.src), s.share(p, s.dst)
			}
			return p.id
		}
	}
	id := s.open(l)
	if p := s.get(id); p != nil {
		p.reqDone, p.broken, p.tx.Proto = true, true, proto
		s.note(p, "response without request")
	}
	return id
}

// startRequest opens the transaction of a request line of w bytes (ok: well
// formed) on layer l, for protocol proto with its default port.
func (s *Stream) startRequest(l layer, w int64, ok bool, proto string, port int) (uint64, *pending) {
	id := s.open(l)
	p := s.get(id)
	if p != nil {
		p.tx.Proto, p.tx.Port, p.tx.ReqBytes = proto, port, w
		if !ok {
			p.broken = true // garbage, not a message: never a clean record
			s.note(p, "malformed request line")
		}
	}
	return id, p
}

// startResponse pairs a status line of w bytes (ok: well formed) with the
// oldest request of layer l waiting for one and counts it; proto is for a
// response without request.
func (s *Stream) startResponse(l layer, w int64, ok bool, proto string) (uint64, *pending) {
	id := s.answer(l, proto)
	p := s.get(id)
	if p != nil {
		s.add(id, dirResponse, w)
		if !ok {
			p.broken = true // garbage, not an answer: never a clean record
			s.note(p, "malformed status line")
		}
		if s.inAmb {
			// If this answer is not one, the requests waiting behind
			// its request get the wrong ones.
			for i := range s.q {
				if q := &s.q[i]; q.id > id && q.layer == l && !q.respDone && !q.noResp {
					s.suspect(q)
				}
			}
		}
	}
	return id, p
}

// add counts n bytes of direction d for transaction id.
func (s *Stream) add(id uint64, d dir, n int64) {
	p := s.get(id)
	if p == nil {
		return
	}
	if d == dirRequest {
		p.tx.ReqBytes += n
	} else {
		p.tx.RespBytes += n
	}
	p.tx.End = s.now
	if s.inAmb {
		s.suspect(p)
	}
	s.inDoubt(p)
}

// done marks one direction of transaction id complete and emits what can be.
func (s *Stream) done(id uint64, d dir) {
	if p := s.get(id); p != nil {
		p.markDone(d)
	}
	s.drain()
}

// markDone marks direction d of p complete.
func (p *pending) markDone(d dir) {
	if d == dirRequest {
		p.reqDone = true
	} else {
		p.respDone = true
	}
}

// fail marks transaction id broken with a notice.
func (s *Stream) fail(id uint64, msg string) {
	if p := s.get(id); p != nil {
		p.broken = true
		s.note(p, msg)
	}
}

// interim records an informational status.
func (s *Stream) interim(p *pending, status int) {
	const size = maxInterim * int(unsafe.Sizeof(0))
	if p.tx.Interim == nil {
		if s.room() < size {
			return
		}
		p.tx.Interim = make([]int, 0, maxInterim)
		p.retained += size
		s.strs += size
	}
	if len(p.tx.Interim) < maxInterim {
		p.tx.Interim = append(p.tx.Interim, status)
	}
}

// undecoded counts a line that no decoder understands (binary data outside
// any message) into the open undecoded run, which lasts until the next
// start line.
func (s *Stream) undecoded(l layer, d dir, n int64) {
	p := s.get(s.undecoding)
	if p == nil {
		s.undecoding = s.open(l)
		if p = s.get(s.undecoding); p == nil {
			return
		}
		p.held, p.noResp, p.reqDone, p.respDone, p.broken = true, true, true, true, true
		p.tx.Proto = s.proto
		s.note(p, "binary data not decoded")
	}
	s.add(p.id, d, n)
}

func (s *Stream) closeUndecoded() {
	p := s.get(s.undecoding)
	s.undecoding = 0
	if p != nil {
		p.held = false
		s.drain()
	}
}

// drain emits the complete transactions at the head of the queue.
func (s *Stream) drain() {
	for len(s.q) > 0 {
		p := &s.q[0]
		if !p.reqDone || !p.respDone || p.held || p.doubt {
			return
		}
		p.tx.Complete = !p.broken
		s.pop()
	}
}

// finish completes the head transaction for Flush.
func (s *Stream) finish(p *pending, reason FlushReason) {
	if p.reqDone && p.respDone {
		p.tx.Complete = !p.broken
		if p.missing == "" {
			return
		}
	}
	p.tx.Complete = false
	detail := p.missing
	if detail == "" {
		detail = "no response"
		if !p.reqDone {
			detail = "request truncated"
		}
	}
	s.note(p, "incomplete ("+reason.String()+"): "+detail)
}

// pop emits (unless silent) and removes the head transaction.
func (s *Stream) pop() {
	p := &s.q[0]
	if !p.silent {
		tx := p.tx
		tx.Conn, tx.Seq = s.name, s.seq
		s.seq++
		s.emit(tx)
	}
	s.strs -= p.retained
	n := copy(s.q, s.q[1:])
	s.q[n] = pending{}
	s.q = s.q[:n]
	s.qFirst++
}

// note appends a notice to the transaction's Msg (once), unless that would
// exceed MaxHeaderBytes.
func (s *Stream) note(p *pending, msg string) {
	old := p.tx.Msg
	switch {
	case old == "":
	case strings.Contains(old, msg):
		return
	default:
		msg = old + "; " + msg
	}
	grow := len(msg) - len(old)
	if s.Size()+grow > s.opts.MaxHeaderBytes {
		return
	}
	p.tx.Msg = msg
	p.retained += grow
	s.strs += grow
}

// room is how many more string bytes may be retained.
func (s *Stream) room() int {
	return s.opts.MaxHeaderBytes - reserve - s.Size()
}

// share gives transaction p a string the Stream keeps as well (metadata
// addresses, the FTP session), counting it for p too, since it outlives
// the Stream's copy when that changes.
func (s *Stream) share(p *pending, str string) string {
	if len(str) > s.room() {
		return ""
	}
	p.retained += len(str)
	s.strs += len(str)
	return str
}

// keep copies b for transaction p within MaxHeaderBytes, without any
// password (see userinfo.Redact), truncating it (with a notice) when there is not
// enough room.
func (s *Stream) keep(p *pending, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if userinfo.MayHold(b) {
		var buf [256]byte
		b = userinfo.Redact(buf[:0], b)
	}
	if room := s.room(); len(b) > room {
		s.note(p, "header cap reached")
		b = b[:max(room, 0)]
	}
	str := string(b)
	p.retained += len(str)
	s.strs += len(str)
	return str
}

// setHost takes a Host header value for p's request: its host and port,
// after any userinfo a broken or hostile client put there. A value that is
// no valid host is not used.
func (s *Stream) setHost(p *pending, v []byte) {
	hp := authorityHost(trimWSP(v))
	if !validHostPort(hp) {
		s.note(p, "malformed Host header")
		return
	}
	host, port := splitHostPort(s.keep(p, hp))
	p.tx.Host = host
	if port != 0 {
		p.tx.Port = port
	}
}

// method returns the method name, without allocating for common ones.
func (s *Stream) method(p *pending, b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "HEAD":
		return "HEAD"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	case "CONNECT":
		return "CONNECT"
	case "PATCH":
		return "PATCH"
	case "TRACE":
		return "TRACE"
	case "PRI":
		return "PRI"
	case "REQMOD":
		return "REQMOD"
	case "RESPMOD":
		return "RESPMOD"
	}
	return s.keep(p, b)
}

// setTarget records a request target: Target and Path, and Host and Port
// when the target names them (absolute URL, CONNECT authority).
func (s *Stream) setTarget(p *pending, raw []byte, connect bool) {
	t := s.target(p, raw, connect, p.tx.Port)
	p.tx.Target, p.tx.Path = t.text, t.path
	if t.host != "" {
		p.tx.Host = t.host
	}
	if t.port != 0 {
		p.tx.Port = t.port
	}
}

// target copies a request target without passwords and locates its parts.
func (s *Stream) target(p *pending, raw []byte, connect bool, defPort int) target {
	t := target{text: s.keep(p, raw)}
	if !t.locate(connect, defPort) {
		s.note(p, "malformed host in URL")
	}
	return t
}

func dirName(d dir) string {
	if d == dirRequest {
		return "request"
	}
	return "response"
}

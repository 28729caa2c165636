package mwg

import (
	"bytes"
	"encoding/base64"

	"github.com/welfbridge/welfbridge/internal/userinfo"
)

// section is an entry of the ICAP Encapsulated header (RFC 3507 §4.4.1).
type section uint8

const (
	secNone section = iota
	secReqHdr
	secResHdr
	secReqBody
	secResBody
	secOptBody
	secNullBody
)

// sectionNames holds the name of each section.
var sectionNames = [...]string{
	secReqHdr:   "req-hdr",
	secResHdr:   "res-hdr",
	secReqBody:  "req-body",
	secResBody:  "res-body",
	secOptBody:  "opt-body",
	secNullBody: "null-body",
}

func sectionOf(b []byte) section { return section(indexFold(b, sectionNames[:])) }

func (sec section) isBody() bool { return sec >= secReqBody }

// maxSections is the most entries a valid Encapsulated header has
// (req-hdr, res-hdr and one body).
const maxSections = 3

// parseEncapsulated parses "req-hdr=0, res-hdr=137, res-body=296": known
// names, offsets starting at 0 and never decreasing, at most one body entry
// and only at the end.
func parseEncapsulated(v []byte) (secs [maxSections]section, n int, ok bool) {
	last := int64(0)
	for len(v) > 0 {
		var e []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			e, v = v[:i], v[i+1:]
		} else {
			e, v = v, nil
		}
		e = trimWSP(e)
		eq := bytes.IndexByte(e, '=')
		if eq < 0 || n == maxSections || (n > 0 && secs[n-1].isBody()) {
			return secs, 0, false
		}
		sec := sectionOf(trimWSP(e[:eq]))
		off, okOff := parseDec(trimWSP(e[eq+1:]))
		if sec == secNone || !okOff || off < last || (n == 0 && off != 0) {
			return secs, 0, false
		}
		secs[n], last = sec, off
		n++
	}
	return secs, n, n > 0
}

// icapState is where one direction of an ICAP connection stands.
type icapState uint8

const (
	icapIdle     icapState = iota
	icapHeaders            // the ICAP header block
	icapEmbedded           // an encapsulated HTTP header block
	icapBody               // the chunked encapsulated body
	icapPreview            // request: preview sent, the rest may follow a 100 Continue
	icapDrain              // framing lost: the rest of the connection is counted, not parsed
)

type icapHalf struct {
	state    icapState
	id       uint64
	hdr      int64
	status   int
	secs     [maxSections]section
	nsec     int
	next     int     // index of the next section in secs
	sec      section // section being read
	embFirst bool    // the next line starts the encapsulated header block
	preview  bool
	started  bool // a line of the body has been read
	lax      bool // request: the request line was malformed, garbage rather than a message
	f        framing
}

// icapDecoder decodes ICAP/1.0 (RFC 3507): the ICAP message, the
// encapsulated HTTP request or response line and the chunked body, which is
// counted.
type icapDecoder struct {
	s    *Stream
	half [2][2]icapHalf
}

func (c *icapDecoder) startLine(b []byte) (dir, bool) { return startOf("ICAP", b) }

func (c *icapDecoder) isStart(d dir, b []byte) bool { return isStartOf("ICAP", d, b) }

// claim is httpDecoder.claim for ICAP: header blocks, encapsulated header
// blocks and started bodies belong to their message.
func (c *icapDecoder) claim(l layer, d dir) claim {
	m := &c.half[l][d]
	switch m.state {
	case icapHeaders:
		if m.lax {
			return claimNone
		}
		return claimBody
	case icapEmbedded, icapDrain:
		return claimBody
	case icapBody:
		return m.f.bodyClaim(d, m.started)
	}
	return claimNone
}

func (c *icapDecoder) endFrame(l layer, d dir) int64 {
	m := &c.half[l][d]
	if m.state != icapBody {
		return 0
	}
	n, _ := m.f.finish() // chunk data: the body goes on with the next chunk size
	c.s.add(m.id, d, n)
	if n > 0 {
		c.s.endedEarly(m.id, d, true)
	}
	return n
}

// deferred: ICAP bodies are chunked, and no marker line is a chunk size.
func (c *icapDecoder) deferred(layer, dir) int64 { return 0 }

func (c *icapDecoder) ownMarker(l layer, d dir, w int64) bool {
	m := &c.half[l][d]
	return m.state == icapBody && m.f.ownMarker(w)
}

func (c *icapDecoder) noteBody(l layer, d dir, msg string) { c.s.fail(c.half[l][d].id, msg) }

func (c *icapDecoder) tlsData() {}

func (c *icapDecoder) retained() int { return 0 }

// feed is httpDecoder.feed for ICAP; a line after a preview is read again
// as the start of the next message or as the rest of the body.
func (c *icapDecoder) feed(l layer, d dir, line []byte) (rest []byte) {
	s := c.s
	m := &c.half[l][d]
	body := trimCR(line)
	w := wireLen(line)
	switch m.state {
	case icapIdle:
		switch {
		case isBlank(body):
		case isBinary(body) && !c.isStart(d, body):
			s.undecoded(l, d, w)
		case d == dirRequest:
			c.request(l, m, body, w)
		default:
			c.response(l, m, body, w)
		}
	case icapHeaders, icapEmbedded:
		if m.lax && m.state == icapHeaders && c.isStart(d, body) { // garbage before a real message
			s.fail(m.id, dirName(d)+" headers truncated")
			c.done(l, d, m)
			return c.feed(l, d, line)
		}
		s.add(m.id, d, w)
		m.hdr += w
		switch {
		case m.state == icapEmbedded && m.embFirst:
			m.embFirst = false
			c.embeddedStart(m, body)
		case len(body) == 0:
			if m.state == icapHeaders {
				c.endHeaders(l, d, m)
			} else {
				c.nextSection(l, d, m)
			}
		case m.hdr > int64(s.opts.MaxHeaderBytes):
			s.fail(m.id, "header block too large: rest of the connection not decoded")
			m.state = icapDrain
		case isWSP(body[0]):
		default:
			if name, value, ok := splitHeader(body); ok {
				c.header(d, m, name, value)
			}
		}
	case icapBody:
		m.started = true
		if k := m.f.endInside(line, s.opens); k > 0 {
			m.f.cut(k)
		}
		n, rest, done, bad := m.f.take(line)
		s.add(m.id, d, n)
		s.gaveUp(&m.f, m.id, d, line, rest)
		switch {
		case bad:
			s.fail(m.id, "malformed chunk size: rest of the connection not decoded")
			m.state = icapDrain
		case done:
			c.bodyDone(l, d, m)
		}
		return rest
	case icapPreview:
		switch {
		case isBlank(body):
		case c.isStart(d, body):
			*m = icapHalf{}
			return c.feed(l, d, line)
		default:
			// The rest of the body, after the server's 100 Continue.
			if p := s.get(m.id); p != nil {
				p.reqDone = false
			}
			m.state, m.preview, m.f = icapBody, false, framing{mode: frameChunkSize}
			return c.feed(l, d, line)
		}
	case icapDrain:
		s.add(m.id, d, w)
	}
	return nil
}

func (c *icapDecoder) request(l layer, m *icapHalf, body []byte, w int64) {
	s := c.s
	rl, ok := parseRequestLine(body, "ICAP")
	id, p := s.startRequest(l, w, ok, "icap", defaultPort("icap"))
	*m = icapHalf{state: icapHeaders, id: id, hdr: w, lax: !ok}
	if p == nil || !ok {
		return
	}
	p.tx.Method = s.method(p, rl.method)
	s.setTarget(p, rl.target, false)
}

func (c *icapDecoder) response(l layer, m *icapHalf, body []byte, w int64) {
	status, ok := parseStatusLine(body, "ICAP")
	id, p := c.s.startResponse(l, w, ok, "icap")
	*m = icapHalf{state: icapHeaders, id: id, hdr: w, status: status}
	switch {
	case p == nil || !ok:
	case status < 200:
		c.s.interim(p, status)
	default:
		p.tx.Status = status
	}
}

func (c *icapDecoder) header(d dir, m *icapHalf, name, value []byte) {
	s := c.s
	p := s.get(m.id)
	if m.state == icapEmbedded {
		if p != nil && m.sec == secReqHdr && p.tx.HTTP.Host == "" && fieldOf(name) == fieldHost {
			if hp := authorityHost(value); validHostPort(hp) {
				p.tx.HTTP.Host, _ = splitHostPort(s.keep(p, hp))
			}
		}
		return
	}
	f := fieldOf(name)
	if (f == fieldXClientIP || f == fieldXAuthenticatedUser) && userinfo.MayHold(value) {
		var buf [512]byte
		value = userinfo.Redact(buf[:0], value)
	}
	switch {
	case f == fieldEncapsulated:
		secs, n, ok := parseEncapsulated(value)
		if !ok {
			s.fail(m.id, "malformed Encapsulated header")
			return
		}
		m.secs, m.nsec = secs, n
	case f == fieldPreview:
		m.preview = d == dirRequest
	case p == nil || d == dirResponse:
	case f == fieldHost && p.tx.Host == "":
		s.setHost(p, value)
	case f == fieldXClientIP && p.tx.ClientAddr == "":
		p.tx.ClientAddr = s.keep(p, value)
	case f == fieldXAuthenticatedUser && p.tx.User == "":
		var buf [256]byte
		p.tx.User = s.keep(p, authenticatedUser(value, buf[:]))
		clear(buf[:]) // it may have held a password
	}
}

// authenticatedUser decodes X-Authenticated-User: base64 of
// "scheme://user" (e.g. "WinNT://CORP/alice") or, if not base64, the value
// itself; the scheme is dropped, and so is a ":password" part a client or
// a hostile header put behind the user, as in Basic credentials.
func authenticatedUser(v, buf []byte) []byte {
	if base64.StdEncoding.DecodedLen(len(v)) <= len(buf) {
		if n, err := base64.StdEncoding.Decode(buf, v); err == nil && !isBinary(buf[:n]) {
			v = buf[:n]
		}
	}
	if i := bytes.Index(v, []byte("://")); i >= 0 {
		v = v[i+3:]
	}
	if i := bytes.IndexByte(v, ':'); i >= 0 {
		v = v[:i]
	}
	return v
}

// embeddedStart reads the first line of an encapsulated header block.
func (c *icapDecoder) embeddedStart(m *icapHalf, body []byte) {
	s := c.s
	p := s.get(m.id)
	if p == nil {
		return
	}
	if m.sec == secResHdr {
		if status, ok := parseStatusLine(body, "HTTP"); ok {
			p.tx.HTTP.Status = status
		} else {
			s.note(p, "malformed encapsulated status line")
		}
		return
	}
	rl, ok := parseRequestLine(body, "HTTP")
	if !ok {
		s.note(p, "malformed encapsulated request line")
		return
	}
	if p.tx.HTTP.Method != "" { // an adapted request from the ICAP server: keep the original
		return
	}
	p.tx.HTTP.Method = s.method(p, rl.method)
	t := s.target(p, rl.target, p.tx.HTTP.Method == "CONNECT", 0)
	p.tx.HTTP.Target, p.tx.HTTP.Host = t.text, t.host
}

func (c *icapDecoder) endHeaders(l layer, d dir, m *icapHalf) {
	if d == dirResponse && m.status == 100 {
		*m = icapHalf{} // interim: the request waits for the final response
		return
	}
	m.next = 0
	c.nextSection(l, d, m)
}

// nextSection moves on to the next Encapsulated entry.
func (c *icapDecoder) nextSection(l layer, d dir, m *icapHalf) {
	if m.next >= m.nsec {
		c.done(l, d, m)
		return
	}
	m.sec = m.secs[m.next]
	m.next++
	switch m.sec {
	case secReqHdr, secResHdr:
		m.state, m.embFirst, m.hdr = icapEmbedded, true, 0
	case secNullBody:
		c.done(l, d, m)
	default:
		m.state, m.f = icapBody, framing{mode: frameChunkSize}
	}
}

func (c *icapDecoder) bodyDone(l layer, d dir, m *icapHalf) {
	if d == dirRequest && m.preview && !m.f.ieof {
		// Preview sent: the server answers, or sends 100 Continue and the
		// rest of the body follows. Until then the request counts as done.
		id := m.id
		m.state = icapPreview
		c.s.done(id, dirRequest)
		return
	}
	c.done(l, d, m)
}

func (c *icapDecoder) done(l layer, d dir, m *icapHalf) {
	id := m.id
	*m = icapHalf{}
	c.s.done(id, d)
}

func (c *icapDecoder) flush(FlushReason) {
	for l := range c.half {
		for d := range c.half[l] {
			m := &c.half[l][d]
			if p := c.s.get(m.id); p != nil {
				name := dirName(dir(d))
				switch m.state {
				case icapHeaders, icapEmbedded:
					p.missing = name + " headers truncated"
				case icapBody:
					p.missing = name + " body truncated"
				case icapDrain:
					p.markDone(dir(d))
				}
			}
			*m = icapHalf{}
		}
	}
}

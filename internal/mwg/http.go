package mwg

import (
	"fmt"

	"github.com/welfbridge/welfbridge/internal/ascii"
	"github.com/welfbridge/welfbridge/internal/userinfo"
)

// field names the header fields the decoders keep or act on.
type field uint8

const (
	fieldOther field = iota
	fieldHost
	fieldUserAgent
	fieldReferer
	fieldContentLength
	fieldTransferEncoding
	fieldProxyAuthorization
	fieldXForwardedFor
	fieldForwarded
	fieldUpgrade
	fieldEncapsulated
	fieldPreview
	fieldXClientIP
	fieldXAuthenticatedUser
	fieldExpect
)

// fieldNames holds the lower-case name of each field.
var fieldNames = [...]string{
	fieldHost:               "host",
	fieldUserAgent:          "user-agent",
	fieldReferer:            "referer",
	fieldContentLength:      "content-length",
	fieldTransferEncoding:   "transfer-encoding",
	fieldProxyAuthorization: "proxy-authorization",
	fieldXForwardedFor:      "x-forwarded-for",
	fieldForwarded:          "forwarded",
	fieldUpgrade:            "upgrade",
	fieldEncapsulated:       "encapsulated",
	fieldPreview:            "preview",
	fieldXClientIP:          "x-client-ip",
	fieldXAuthenticatedUser: "x-authenticated-user",
	fieldExpect:             "expect",
}

func fieldOf(name []byte) field { return field(indexFold(name, fieldNames[:])) }

// msgState is where one direction of an HTTP connection stands.
type msgState uint8

const (
	msgIdle       msgState = iota // between messages
	msgHeaders                    // inside a header block
	msgBody                       // inside a framed body
	msgUntilClose                 // a body read until the end of the connection: no framing, or lost framing
	msgTunnel                     // after CONNECT, Upgrade or the HTTP/2 preface: counted, not parsed
)

// httpHalf is one direction of one layer of an HTTP connection.
type httpHalf struct {
	state   msgState
	id      uint64 // pending transaction the message belongs to (0: none)
	hdr     int64  // header block bytes so far
	f       framing
	length  int64 // Content-Length, -1 when absent
	chunked bool
	started bool  // a line of the body has been read
	lax     bool  // request: the request line was malformed, garbage rather than a message
	expect  bool  // request: Expect: 100-continue
	doubt   bool  // request: a marker came before the body, which may have started with it
	connect bool  // tunnel: opened by CONNECT, the decrypted layer follows
	lastHdr field // the field of the header line before, which a read may have cut
	status  int
}

// httpDecoder decodes HTTP/1.x in both layers. Requests and responses of a
// layer pair in FIFO order, which covers keep-alive and pipelining.
type httpDecoder struct {
	s    *Stream
	half [2][2]httpHalf
	// tunnel is, per layer, the CONNECT whose tunnel carries the decrypted
	// layer; it stays open (counting handshake bytes) until decrypted data
	// arrives.
	tunnel [2]uint64
}

func httpProto(l layer) string {
	if l == layerTLS {
		return "https"
	}
	return "http"
}

func httpPort(l layer) int {
	if l == layerTLS {
		return 443
	}
	return 80
}

func (h *httpDecoder) startLine(b []byte) (dir, bool) { return startOf("HTTP", b) }

func (h *httpDecoder) isStart(d dir, b []byte) bool { return isStartOf("HTTP", d, b) }

// claim: a header block and a body belong to their message, but for a
// request body of which nothing has been seen (framing.bodyClaim).
func (h *httpDecoder) claim(l layer, d dir) claim {
	m := &h.half[l][d]
	switch m.state {
	case msgHeaders:
		if m.lax { // garbage, not a message: content may still route
			return claimNone
		}
		return claimBody
	case msgUntilClose:
		return claimBody
	case msgTunnel:
		if m.connect {
			return claimNone
		}
		return claimLayer
	case msgBody:
		return m.f.bodyClaim(d, m.started)
	}
	return claimNone
}

func (h *httpDecoder) endFrame(l layer, d dir) int64 {
	m := &h.half[l][d]
	if m.state != msgBody {
		return 0
	}
	n, done := m.f.finish()
	h.s.add(m.id, d, n)
	if n > 0 {
		h.s.endedEarly(m.id, d, !done)
	}
	if done {
		h.done(l, d, m)
	}
	return n
}

// deferred: a request announcing "Expect: 100-continue" waits for the
// answer by protocol (RFC 9110 §10.1.1), so a marker before its body is
// one; any other request body may start with a marker line.
func (h *httpDecoder) deferred(l layer, d dir) int64 {
	if m := &h.half[l][d]; d == dirRequest && m.state == msgBody && !m.started && !m.expect && m.f.mode == frameLength {
		m.doubt = true
		return m.f.rem
	}
	return 0
}

func (h *httpDecoder) ownMarker(l layer, d dir, w int64) bool {
	m := &h.half[l][d]
	return m.state == msgBody && m.f.ownMarker(w)
}

func (h *httpDecoder) noteBody(l layer, d dir, msg string) { h.s.fail(h.half[l][d].id, msg) }

// lostFraming ends the parsing of a direction whose framing is lost: the
// rest of the connection is counted into the message, since any of it may
// be its body.
func (h *httpDecoder) lostFraming(m *httpHalf, msg string) {
	h.s.fail(m.id, msg+": rest of the connection not decoded")
	m.state = msgUntilClose
}

func (h *httpDecoder) tlsData() {
	id := h.tunnel[layerPlain]
	if id == 0 {
		return
	}
	h.tunnel[layerPlain] = 0
	if p := h.s.get(id); p != nil {
		p.held = false
		h.s.drain()
	}
}

func (h *httpDecoder) retained() int { return 0 }

// feed consumes line and returns the rest of the line after a framed body.
// A line that ends the message it came in (a start line after garbage, a
// request body never sent) is read again by the idle state.
func (h *httpDecoder) feed(l layer, d dir, line []byte) (rest []byte) {
	s := h.s
	m := &h.half[l][d]
	body := trimCR(line)
	w := wireLen(line)
	switch m.state {
	case msgIdle:
		switch {
		case isBlank(body): // blank lines between messages are tolerated and not counted
		case isBinary(body) && !h.isStart(d, body):
			s.undecoded(l, d, w)
		case d == dirRequest:
			h.request(l, m, body, w)
		default:
			h.response(l, m, body, w)
		}
	case msgHeaders:
		if m.lax && h.isStart(d, body) { // garbage before a real message
			s.fail(m.id, dirName(d)+" headers truncated")
			h.done(l, d, m)
			return h.feed(l, d, line)
		}
		s.add(m.id, d, w)
		m.hdr += w
		switch {
		case len(body) == 0:
			h.endHeaders(l, d, m)
		case m.hdr > int64(s.opts.MaxHeaderBytes):
			h.lostFraming(m, "header block too large")
		case isWSP(body[0]): // obs-fold continuation of a field we do not keep whole
		default:
			if name, value, ok := splitHeader(body); ok {
				h.header(d, m, name, value)
			} else {
				h.cutHeader(m)
			}
		}
	case msgBody:
		if p := s.get(m.id); d == dirRequest && !m.started && p != nil && p.respDone && h.isStart(d, body) {
			// Answered with a final status before any of the body came
			// (a 407 to "Expect: 100-continue"): the client sent none.
			s.note(p, "request body not sent")
			h.done(l, d, m)
			return h.feed(l, d, line)
		}
		if p := s.get(m.id); p != nil && !m.started && m.doubt {
			// Its body may as well have been the marker line's bytes:
			// then these are not its.
			s.suspect(p)
		}
		m.started = true
		if k := m.f.endInside(line, s.opens); k > 0 {
			m.f.cut(k)
		}
		n, rest, done, bad := m.f.take(line)
		s.add(m.id, d, n)
		s.gaveUp(&m.f, m.id, d, line, rest)
		switch {
		case bad:
			h.lostFraming(m, "malformed chunk size")
		case done:
			h.done(l, d, m)
		}
		return rest
	case msgUntilClose, msgTunnel:
		s.add(m.id, d, w)
	}
	return nil
}

// request starts a request message.
func (h *httpDecoder) request(l layer, m *httpHalf, body []byte, w int64) {
	s := h.s
	rl, ok := parseRequestLine(body, "HTTP")
	id, p := s.startRequest(l, w, ok, httpProto(l), httpPort(l))
	*m = httpHalf{state: msgHeaders, id: id, hdr: w, length: -1, lax: !ok}
	if p == nil || !ok {
		return
	}
	p.tx.Method = s.method(p, rl.method)
	s.setTarget(p, rl.target, p.tx.Method == "CONNECT")
	if p.tx.Method == "PRI" && rl.major == 2 {
		// HTTP/2 connection preface: the rest of the layer is binary frames.
		p.broken = true
		s.note(p, "http2 not decoded")
		h.openTunnel(l, id, false)
	}
}

// response starts a response message, paired with the oldest request of
// the layer still waiting for one.
func (h *httpDecoder) response(l layer, m *httpHalf, body []byte, w int64) {
	status, ok := parseStatusLine(body, "HTTP")
	id, p := h.s.startResponse(l, w, ok, httpProto(l))
	*m = httpHalf{state: msgHeaders, id: id, hdr: w, length: -1, status: status}
	switch {
	case p == nil || !ok:
	case status < 200 && status != 101:
		h.s.interim(p, status)
	default:
		p.tx.Status = status
	}
}

func (h *httpDecoder) header(d dir, m *httpHalf, name, value []byte) {
	s := h.s
	f := fieldOf(name)
	m.lastHdr = f
	switch f {
	case fieldContentLength:
		n, ok := parseDec(value)
		switch {
		case !ok:
			s.fail(m.id, "malformed Content-Length")
		case m.length >= 0 && m.length != n:
			s.fail(m.id, "conflicting Content-Length")
		default:
			m.length = n
		}
		return
	case fieldTransferEncoding:
		m.chunked = ascii.EqualFold(lastToken(value), "chunked")
		return
	case fieldExpect:
		m.expect = ascii.EqualFold(value, "100-continue")
		return
	}
	p := s.get(m.id)
	if p == nil {
		return
	}
	if d == dirResponse {
		if f == fieldUpgrade && m.status == 101 {
			if userinfo.MayHold(value) { // no protocol name
				s.note(p, "upgraded")
			} else {
				s.note(p, "upgraded to "+string(value))
			}
		}
		return
	}
	if f != fieldOther && userinfo.MayHold(value) {
		// Redacted before it is split: a list separator in a password
		// must not leave part of it behind.
		var buf [512]byte
		value = userinfo.Redact(buf[:0], value)
	}
	switch f {
	case fieldHost:
		if p.tx.Host == "" {
			s.setHost(p, value)
		}
	case fieldUserAgent:
		if p.tx.UserAgent == "" {
			p.tx.UserAgent = s.keep(p, value)
		}
	case fieldReferer:
		if p.tx.Referer == "" {
			p.tx.Referer = s.keep(p, value)
		}
	case fieldProxyAuthorization:
		var user [256]byte
		if n := basicUser(value, user[:]); n > 0 && p.tx.User == "" {
			p.tx.User = s.keep(p, user[:n])
		}
	case fieldXForwardedFor:
		if p.tx.ClientAddr == "" {
			p.tx.ClientAddr = s.keep(p, firstToken(value))
		}
	case fieldForwarded:
		if p.tx.ClientAddr == "" {
			p.tx.ClientAddr = s.keep(p, forwardedFor(value))
		}
	}
}

// cutHeader: a line in a header block that is no header line may be the
// rest of the line before, cut by a read ("Referer: http://bob:s3" +
// "cret@h/"). The free-text field that line gave loses its last segment
// (cutTail); the record says so.
func (h *httpDecoder) cutHeader(m *httpHalf) {
	f := m.lastHdr
	m.lastHdr = fieldOther
	p := h.s.get(m.id)
	if p == nil {
		return
	}
	var v *string
	switch f {
	case fieldReferer:
		v = &p.tx.Referer
	case fieldUserAgent:
		v = &p.tx.UserAgent
	case fieldXForwardedFor, fieldForwarded:
		v = &p.tx.ClientAddr
	default:
		return
	}
	h.s.note(p, "a line in the header block that is no header may be the rest of the one before")
	*v = cutTail(*v)
}

func (h *httpDecoder) endHeaders(l layer, d dir, m *httpHalf) {
	p := h.s.get(m.id)
	method := ""
	if p != nil {
		method = p.tx.Method
	}
	if d == dirRequest {
		if method == "CONNECT" || !m.startBody() {
			h.done(l, d, m)
		}
		return
	}
	st := m.status
	switch {
	case st >= 100 && st < 200 && st != 101:
		// Interim: the request still waits for its final response.
		*m = httpHalf{}
	case st == 101 || method == "CONNECT" && st >= 200 && st < 300:
		h.openTunnel(l, m.id, method == "CONNECT")
	case method == "HEAD" || st == 204 || st == 304 || m.length == 0:
		h.done(l, d, m)
	default:
		if !m.startBody() {
			m.state = msgUntilClose // no framing: the body lasts until the end of the connection
		}
	}
}

// startBody starts reading the body the headers frame, chunked or by
// Content-Length; it reports false when they frame none.
func (m *httpHalf) startBody() bool {
	switch {
	case m.chunked:
		m.state, m.f = msgBody, framing{mode: frameChunkSize}
	case m.length > 0:
		m.state, m.f = msgBody, framing{mode: frameLength, rem: m.length, size: m.length}
	default:
		return false
	}
	return true
}

// openTunnel switches both directions of layer l to counting into
// transaction id, which stays open until Flush or, for a CONNECT, until
// decrypted data arrives.
func (h *httpDecoder) openTunnel(l layer, id uint64, connect bool) {
	if p := h.s.get(id); p != nil {
		p.held, p.reqDone, p.respDone, p.noResp = true, true, true, true
	}
	h.half[l] = [2]httpHalf{{state: msgTunnel, id: id, connect: connect}, {state: msgTunnel, id: id, connect: connect}}
	if connect {
		h.tunnel[l] = id
	}
}

// done ends the message in m.
func (h *httpDecoder) done(l layer, d dir, m *httpHalf) {
	id := m.id
	*m = httpHalf{}
	h.s.done(id, d)
}

func (h *httpDecoder) flush(FlushReason) {
	for l := range h.half {
		for d := range h.half[l] {
			m := &h.half[l][d]
			if p := h.s.get(m.id); p != nil {
				name := dirName(dir(d))
				switch m.state {
				case msgHeaders:
					p.missing = name + " headers truncated"
				case msgBody:
					switch {
					case m.f.claim() == claimBytesEnd && m.f.mode == frameLength:
						// Short only by the CRs tail may have removed.
						h.endFrame(layer(l), dir(d))
					case m.f.mode == frameLength:
						p.missing = fmt.Sprintf("%s body %d of %d bytes", name, m.f.size-m.f.rem, m.f.size)
					default:
						p.missing = name + " body truncated"
					}
				case msgUntilClose:
					p.markDone(dir(d)) // the end of the connection ends these
				}
			}
			*m = httpHalf{}
		}
	}
	h.tunnel = [2]uint64{}
}

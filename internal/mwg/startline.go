package mwg

import (
	"bytes"
	"strings"
)

// Start lines and request targets shared by the HTTP and ICAP decoders.

// requestLine is a parsed "METHOD SP target SP PROTO/major.minor" line.
type requestLine struct {
	method, target []byte
	major, minor   int
}

// parseRequestLine parses a request line of the given protocol ("HTTP" or
// "ICAP"). The target is everything between the first and the last space,
// so that a target with stray spaces still parses.
func parseRequestLine(b []byte, proto string) (requestLine, bool) {
	sp := bytes.IndexByte(b, ' ')
	last := bytes.LastIndexByte(b, ' ')
	if sp <= 0 || last <= sp+1 || !isToken(b[:sp]) {
		return requestLine{}, false
	}
	major, minor, ok := parseVersion(b[last+1:], proto)
	if !ok {
		return requestLine{}, false
	}
	target := b[sp+1 : last]
	if isBinary(target) {
		return requestLine{}, false
	}
	return requestLine{method: b[:sp], target: target, major: major, minor: minor}, true
}

// parseVersion parses "PROTO/d.d".
func parseVersion(b []byte, proto string) (major, minor int, ok bool) {
	if len(b) != len(proto)+4 || string(b[:len(proto)]) != proto || b[len(proto)] != '/' || b[len(proto)+2] != '.' {
		return 0, 0, false
	}
	ma, mi := b[len(proto)+1], b[len(proto)+3]
	if !isDigit(ma) || !isDigit(mi) {
		return 0, 0, false
	}
	return int(ma - '0'), int(mi - '0'), true
}

// parseStatusLine parses "PROTO/d.d SP ddd [SP reason]" and returns the
// status code.
func parseStatusLine(b []byte, proto string) (status int, ok bool) {
	n := len(proto) + 4
	if len(b) < n+4 || b[n] != ' ' {
		return 0, false
	}
	if _, _, ok := parseVersion(b[:n], proto); !ok {
		return 0, false
	}
	code, ok := digitsAt(b, n+1, 3)
	if !ok || code < 100 || (len(b) > n+4 && b[n+4] != ' ') {
		return 0, false
	}
	return code, true
}

// defaultPort is the port a URL scheme implies.
func defaultPort(scheme string) int {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	case "icap":
		return 1344
	case "icaps":
		return 11344
	}
	return 0
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port"; port is
// 0 when absent or not a number.
func splitHostPort(a string) (host string, port int) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return a, 0
		}
		host, a = a[1:end], a[end+1:]
		if p, ok := strings.CutPrefix(a, ":"); ok {
			port = atoiPort(p)
		}
		return host, port
	}
	i := strings.LastIndexByte(a, ':')
	if i < 0 || strings.IndexByte(a[:i], ':') >= 0 { // bare IPv6 has several colons
		return a, 0
	}
	return a[:i], atoiPort(a[i+1:])
}

func atoiPort(s string) int {
	if len(s) == 0 || len(s) > 5 {
		return 0
	}
	p := 0
	for i := range len(s) {
		if !isDigit(s[i]) {
			return 0
		}
		p = p*10 + int(s[i]-'0')
	}
	if p > 65535 {
		return 0
	}
	return p
}

// target is a request target copied out of the line, credentials removed,
// with its parts located. All strings share the memory of text.
type target struct {
	text string // as seen, minus any user:password@
	host string // absolute and authority forms only
	port int
	path string // origin-form path and query ("/" for an absolute URL without one)
}

// authorityEnd returns the index where the authority that starts at b[0]
// ends (first '/', '?' or '#').
func authorityEnd(b []byte) int {
	for i, c := range b {
		if c == '/' || c == '?' || c == '#' {
			return i
		}
	}
	return len(b)
}

// withoutUserinfo returns the request target with the userinfo of an
// absolute URL or authority removed, as one or two pieces to concatenate.
// It reports where the authority starts in the result and whether the
// target is in absolute form.
func withoutUserinfo(t []byte, connect bool) (head, tail []byte, authStart int, absolute bool) {
	if !connect {
		i := bytes.Index(t, []byte("://"))
		if i <= 0 || !isScheme(t[:i]) {
			return t, nil, 0, false
		}
		authStart, absolute = i+3, true
	}
	auth := t[authStart:]
	auth = auth[:authorityEnd(auth)]
	at := bytes.LastIndexByte(auth, '@')
	if at < 0 {
		return t, nil, authStart, absolute
	}
	return t[:authStart], t[authStart+at+1:], authStart, absolute
}

func isScheme(b []byte) bool {
	if len(b) == 0 || !isAlpha(b[0]) {
		return false
	}
	for _, c := range b {
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// locate fills the parts of a target whose text (credentials already
// removed) is t.text.
func (t *target) locate(authStart int, absolute, connect bool, defPort int) {
	s := t.text
	switch {
	case connect:
		t.host, t.port = splitHostPort(s)
	case absolute:
		rest := s[authStart:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		t.host, t.port = splitHostPort(rest[:end])
		if t.port == 0 {
			t.port = defaultPort(s[:authStart-3])
		}
		t.path = rest[end:]
		if t.path == "" {
			t.path = "/"
		}
	default:
		t.path = s
		t.port = defPort
	}
}

// startOf reports whether b is the start line of a message of proto
// ("HTTP", "ICAP"), and its direction: a status line is a response, a
// request line a request.
func startOf(proto string, b []byte) (dir, bool) {
	if isStartOf(proto, dirResponse, b) {
		return dirResponse, true
	}
	if isStartOf(proto, dirRequest, b) {
		return dirRequest, true
	}
	return 0, false
}

// isStartOf reports whether b is the start line of a message of proto in
// direction d.
func isStartOf(proto string, d dir, b []byte) bool {
	if d == dirResponse {
		_, ok := parseStatusLine(b, proto)
		return ok
	}
	_, ok := parseRequestLine(b, proto)
	return ok
}

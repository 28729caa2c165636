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
	text string // as seen, without passwords (see userinfo.Redact)
	host string // absolute and authority forms only
	port int
	path string // origin-form path and query ("/" for an absolute URL without one)
}

func isScheme(b string) bool {
	if len(b) == 0 || !isAlpha(b[0]) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// locate fills the parts of a target whose text (passwords already
// removed) is t.text: an absolute URL ("scheme://authority/path"), an
// authority (CONNECT) or anything else, taken as origin form. It reports
// false when the URL or authority names no valid host; then the target
// gives no host.
func (t *target) locate(connect bool, defPort int) bool {
	s := t.text
	if connect {
		hp := authorityHost(s)
		if !validHostPort(hp) {
			return false
		}
		t.host, t.port = splitHostPort(s[len(s)-len(hp):])
		return true
	}
	i := strings.Index(s, "://")
	if i <= 0 || !isScheme(s[:i]) {
		t.path, t.port = s, defPort
		return true
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	t.path = rest[end:]
	if t.path == "" {
		t.path = "/"
	}
	t.port = defaultPort(s[:i])
	hp := authorityHost(rest[:end])
	if !validHostPort(hp) {
		return false
	}
	var port int
	t.host, port = splitHostPort(rest[end-len(hp) : end])
	if port != 0 {
		t.port = port
	}
	return true
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

package mwg

import (
	"bytes"
	"strings"
)

// Passwords in URLs. Every string the decoders copy out of a trace passes
// through redact, so no source (request target, Host, Referer, User-Agent,
// ICAP and FTP fields, notices) is forgotten. The rule is deliberately
// wider than any URL parser: browsers and servers accept many spellings
// (WHATWG URL parsing takes backslashes for slashes, missing slashes,
// any scheme case; servers percent-decode), so whatever looks like
// userinfo with a password loses the password, URL or not.
//
// The text is cut into segments at '/', '?' and '#', which end an authority
// for every parser. In a segment holding an '@' (or "%40", "%2540"), the
// part before the last one is the userinfo candidate; a special scheme
// ("http:", "HTTPS:" …) at the start of the text and backslashes are
// skipped, and from the first ':' (or "%3A", "%253A") of the rest up to
// that '@' everything is removed. The user before the ':' stays: "http:\\u:p@host/" becomes "http:\\u@host/",
// "r:p@host" becomes "r@host".

// mayHoldUserinfo reports whether b contains an '@' in any spelling; only
// then can redact change it.
func mayHoldUserinfo(b []byte) bool {
	if bytes.IndexByte(b, '@') >= 0 {
		return true
	}
	for i := bytes.IndexByte(b, '%'); i >= 0; {
		if encodedAt(b, i, "40") > 0 {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// redact appends b to dst without the passwords of anything that looks like
// userinfo.
func redact(dst, b []byte) []byte {
	for first := true; len(b) > 0; first = false {
		end := bytes.IndexAny(b, "/?#")
		if end < 0 {
			end = len(b)
		}
		dst = redactSegment(dst, b[:end], first)
		if end == len(b) {
			break
		}
		dst = append(dst, b[end])
		b = b[end+1:]
	}
	return dst
}

// redactSegment appends one segment (no '/', '?' or '#'), its password
// removed. Only the first segment of a string can start with a scheme:
// after a slash, "http:" is a user name ("http://http:pw@host/").
func redactSegment(dst, seg []byte, first bool) []byte {
	at := lastAt(seg)
	if at < 0 {
		return append(dst, seg...)
	}
	user := 0
	if first {
		user = specialSchemeLen(seg[:at])
	}
	for user < at && seg[user] == '\\' {
		user++
	}
	colon := firstColon(seg[user:at])
	if colon < 0 {
		return append(dst, seg...)
	}
	dst = append(dst, seg[:user+colon]...)
	return append(dst, seg[at:]...)
}

// lastAt returns the index of the last '@' in b, in any spelling ("%40",
// "%2540"), or -1.
func lastAt[T string | []byte](b T) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '@' || encodedAt(b, i, "40") > 0 {
			return i
		}
	}
	return -1
}

// encodedAt returns the length of a percent-encoding of the byte with the
// lower-case hex digits hex at b[i:], once or twice encoded ("%40",
// "%2540": a server may decode twice), or 0.
func encodedAt[T string | []byte](b T, i int, hex string) int {
	switch {
	case i+5 <= len(b) && b[i] == '%' && b[i+1] == '2' && b[i+2] == '5' && lower(b[i+3]) == hex[0] && lower(b[i+4]) == hex[1]:
		return 5
	case i+3 <= len(b) && b[i] == '%' && lower(b[i+1]) == hex[0] && lower(b[i+2]) == hex[1]:
		return 3
	}
	return 0
}

// firstColon returns the index of the first ':' in b, in any spelling
// ("%3A", "%253A"), or -1.
func firstColon(b []byte) int {
	for i, c := range b {
		if c == ':' || encodedAt(b, i, "3a") > 0 {
			return i
		}
	}
	return -1
}

// specialSchemeLen returns the length of "scheme:" when b starts with one
// of the WHATWG special schemes (or ICAP's), any case, else 0.
func specialSchemeLen(b []byte) int {
	i := bytes.IndexByte(b, ':')
	if i < 2 || i > 5 {
		return 0
	}
	for _, scheme := range [...]string{"http", "https", "ws", "wss", "ftp", "file", "icap", "icaps"} {
		if equalFold(b[:i], scheme) {
			return i + 1
		}
	}
	return 0
}

// authorityHost returns the host[:port] of an authority: what follows its
// last '@' (in any spelling).
func authorityHost[T string | []byte](auth T) T {
	at := lastAt(auth)
	switch {
	case at < 0:
		return auth
	case auth[at] == '@':
		return auth[at+1:]
	}
	return auth[at+encodedAt(auth, at, "40"):]
}

// validHostPort reports whether h is a host name, an IPv4 address or an
// IPv6 address (bracketed, or bare as some clients send it in Host),
// optionally followed by ":port": what a URL parser accepts as a host. A
// host holding anything else ("host]" left of "[u:p@host]") is not used.
func validHostPort[T string | []byte](h T) bool {
	if len(h) == 0 {
		return false
	}
	colons := 0
	for i := range len(h) {
		if h[i] == ':' {
			colons++
		}
	}
	switch {
	case h[0] == '[':
		end := 1
		for end < len(h) && h[end] != ']' {
			if !isV6(h[end]) {
				return false
			}
			end++
		}
		if end == 1 || end == len(h) {
			return false
		}
		return end+1 == len(h) || h[end+1] == ':' && validPort(h[end+2:])
	case colons > 1:
		for i := range len(h) {
			if !isV6(h[i]) {
				return false
			}
		}
		return true
	}
	end := len(h)
	for i := range len(h) {
		if h[i] == ':' {
			if !validPort(h[i+1:]) {
				return false
			}
			end = i
			break
		}
	}
	if end == 0 {
		return false
	}
	for i := range end {
		c := h[i]
		if c < 0x80 && !isAlpha(c) && !isDigit(c) && strings.IndexByte("-._~%!$&'()*+,;=", c) < 0 {
			return false
		}
	}
	return true
}

func isV6(c byte) bool {
	return isDigit(c) || lower(c) >= 'a' && lower(c) <= 'f' || c == ':' || c == '.' || c == '%'
}

func validPort[T string | []byte](p T) bool {
	if len(p) > 5 {
		return false
	}
	for i := range len(p) {
		if !isDigit(p[i]) {
			return false
		}
	}
	return true
}

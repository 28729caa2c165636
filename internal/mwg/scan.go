package mwg

import (
	"bytes"
	"encoding/base64"

	"github.com/welfbridge/welfbridge/internal/ascii"
)

// Byte-level helpers. Trace content is bytes of unknown encoding: nothing
// here assumes UTF-8, and everything is bounds-checked.

// trimCR drops one trailing CR, the remnant of a CRLF line end.
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// wireLen is the number of bytes a line occupied in the file: the line as
// delivered (with its CR, if tail kept it) plus the LF tail removed.
func wireLen(line []byte) int64 { return int64(len(line)) + 1 }

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isBlank reports whether b holds nothing but spaces and tabs.
func isBlank(b []byte) bool {
	for _, c := range b {
		if !isWSP(c) {
			return false
		}
	}
	return true
}

// isBinary reports whether b contains control bytes other than TAB, i.e.
// cannot be a protocol text line (TLS records, compressed bodies, HTTP/2).
func isBinary(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// isTchar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTchar(c) {
			return false
		}
	}
	return true
}

func trimWSP(b []byte) []byte {
	for len(b) > 0 && isWSP(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isWSP(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// indexFold returns the index of the name in names that b equals,
// ignoring ASCII case, or 0 (the index that names no value).
func indexFold(b []byte, names []string) int {
	for i, name := range names[1:] {
		if ascii.EqualFold(b, name) {
			return i + 1
		}
	}
	return 0
}

// hasPrefixFold is ascii.EqualFold for a prefix.
func hasPrefixFold(b []byte, s string) bool {
	return len(b) >= len(s) && ascii.EqualFold(b[:len(s)], s)
}

// maxDigits keeps parsed numbers far from int64 overflow.
const maxDigits = 18

// parseDec parses a non-empty run of decimal digits.
func parseDec(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseHex parses a non-empty run of hexadecimal digits (an HTTP chunk size).
func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var v byte
		switch {
		case isDigit(c):
			v = c - '0'
		case ascii.Lower(c) >= 'a' && ascii.Lower(c) <= 'f':
			v = ascii.Lower(c) - 'a' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(v)
	}
	return n, true
}

// digitsAt parses exactly n decimal digits at b[i:].
func digitsAt(b []byte, i, n int) (int, bool) {
	if i < 0 || i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// splitHeader splits a "Name: value" field line. The name must be a token,
// which is also why no request or status line ever passes for a header.
func splitHeader(b []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(b, ':')
	if i <= 0 || !isToken(b[:i]) {
		return nil, nil, false
	}
	return b[:i], trimWSP(b[i+1:]), true
}

// lastToken returns the last element of a comma-separated list, trimmed.
func lastToken(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ','); i >= 0 {
		b = b[i+1:]
	}
	return trimWSP(b)
}

// firstToken returns the first element of a comma-separated list, trimmed.
func firstToken(b []byte) []byte {
	if i := bytes.IndexByte(b, ','); i >= 0 {
		b = b[:i]
	}
	return trimWSP(b)
}

// basicUser extracts the user name from the value of a Proxy-Authorization
// header using the Basic scheme. The password is decoded into a stack
// buffer that is wiped before returning; it is never copied anywhere else.
// Other schemes (NTLM, Negotiate, Digest …) yield no user.
func basicUser(value []byte, user []byte) int {
	if !hasPrefixFold(value, "basic ") {
		return 0
	}
	cred := trimWSP(value[len("basic "):])
	cred = bytes.TrimRight(cred, "=")
	var buf [512]byte
	defer clear(buf[:])
	if base64.RawStdEncoding.DecodedLen(len(cred)) > len(buf) {
		return 0
	}
	n, err := base64.RawStdEncoding.Decode(buf[:], cred)
	if err != nil {
		return 0
	}
	i := bytes.IndexByte(buf[:n], ':')
	if i < 0 {
		return 0
	}
	return copy(user, buf[:i])
}

// forwardedFor returns the address of the first "for=" parameter of a
// Forwarded header (RFC 7239), without quotes.
func forwardedFor(value []byte) []byte {
	elem := firstToken(value)
	for len(elem) > 0 {
		var pair []byte
		if i := bytes.IndexByte(elem, ';'); i >= 0 {
			pair, elem = elem[:i], elem[i+1:]
		} else {
			pair, elem = elem, nil
		}
		pair = trimWSP(pair)
		if hasPrefixFold(pair, "for=") {
			v := pair[len("for="):]
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v
		}
	}
	return nil
}

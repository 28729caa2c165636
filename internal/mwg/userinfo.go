package mwg

import (
	"strings"

	"github.com/welfbridge/welfbridge/internal/ascii"
	"github.com/welfbridge/welfbridge/internal/userinfo"
)

// authorityHost returns the host[:port] of an authority: what follows its
// last '@' (in any spelling).
func authorityHost[T string | []byte](auth T) T {
	at := userinfo.LastAt(auth)
	if at < 0 {
		return auth
	}
	return auth[at+userinfo.AtLen(auth, at):]
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
	return isDigit(c) || ascii.Lower(c) >= 'a' && ascii.Lower(c) <= 'f' || c == ':' || c == '.' || c == '%'
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

// cutTail drops what follows the last '/' or '\' of v, unless that is
// userinfo followed by a host (an '@' in any spelling, then host[:port]): a
// value that a read may have cut can end in the first part of a password
// whose '@' is in the next line, in any spelling of the ':' before it
// ("http://u%3APw9S", "http://u@v:Pw9S").
func cutTail(v string) string {
	i := strings.LastIndexAny(v, `/\`)
	seg := v[i+1:]
	if at := userinfo.LastAt(seg); at >= 0 {
		if host := seg[at+userinfo.AtLen(seg, at):]; validHostPort(host) && strings.IndexByte(host, '%') < 0 {
			return v
		}
	}
	return v[:i+1]
}

// Package userinfo removes passwords from anything that looks like URL
// userinfo.
//
// The rule is deliberately wider than any URL parser: browsers and servers
// accept many spellings of a URL (WHATWG URL parsing takes backslashes for
// slashes, missing slashes, any scheme case; servers percent-decode, some
// twice), and a log value may hold a URL anywhere, so whatever looks like
// userinfo with a password loses the password, URL or not. Being wider only
// costs text that merely looks like userinfo ("mailto:a:b@c" becomes
// "mailto@c"); being narrower would leak.
//
// The text is cut into segments at '/', '?' and '#', which end an authority
// for every parser. In a segment holding an '@' (or "%40", "%2540"), the
// part before the last one is the userinfo candidate; a special scheme
// ("http:", "HTTPS:" …) at the start of the text and backslashes are
// skipped, and from the first ':' (or "%3A", "%253A") of the rest up to
// that '@' everything is removed. The user before the ':' stays:
// "http:\\u:p@host/" becomes "http:\\u@host/", "r:p@host" becomes
// "r@host".
//
// Free text (a message, an unknown field, a line that did not decode) is
// cut the same way only when it looks like it holds a URL (MayHoldURL), so
// that "value 'x': a@b" stays as it is.
package userinfo

import (
	"bytes"

	"github.com/welfbridge/welfbridge/internal/ascii"
)

// MayHold reports whether b contains an '@' in any spelling; only then can
// Redact change it.
func MayHold(b []byte) bool {
	if bytes.IndexByte(b, '@') >= 0 {
		return true
	}
	return encodedAtIndex(b) >= 0 || compatAtIndex(b) >= 0
}

// compatAtIndex returns the index of the first compatibility form of '@'
// in b (see compatLen), or -1.
func compatAtIndex(b []byte) int {
	for i := bytes.IndexByte(b, 0xef); i >= 0; {
		if compatLen(b, i, compatAts[:]) > 0 {
			return i
		}
		j := bytes.IndexByte(b[i+1:], 0xef)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return -1
}

// MayHoldURL reports whether free text b may hold a URL with userinfo: an
// '@' in any spelling, and a sign of a URL: "//", a backslash, a special
// scheme followed by ':' ("http:", "WSS:" …, anywhere, any case), or a
// percent-encoded '@'. Text without '@' and '%' costs two byte scans.
func MayHoldURL(b []byte) bool {
	at := bytes.IndexByte(b, '@') >= 0
	if !at && bytes.IndexByte(b, '%') < 0 && bytes.IndexByte(b, 0xef) < 0 {
		return false
	}
	if encodedAtIndex(b) >= 0 || compatAtIndex(b) >= 0 {
		return true
	}
	if !at {
		return false
	}
	if bytes.Contains(b, []byte("//")) || bytes.IndexByte(b, '\\') >= 0 {
		return true
	}
	for i := bytes.IndexByte(b, ':'); i >= 0; {
		if hasSpecialSchemeBefore(b, i) {
			return true
		}
		j := bytes.IndexByte(b[i+1:], ':')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// encodedAtIndex returns the index of the first percent-encoded '@' in b,
// or -1.
func encodedAtIndex(b []byte) int {
	for i := bytes.IndexByte(b, '%'); i >= 0; {
		if AtLen(b, i) > 0 {
			return i
		}
		j := bytes.IndexByte(b[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return -1
}

// hasSpecialSchemeBefore reports whether the colon at b[colon] ends a
// special scheme name, any case.
func hasSpecialSchemeBefore(b []byte, colon int) bool {
	for _, scheme := range specialSchemes {
		if colon >= len(scheme) && ascii.EqualFold(b[colon-len(scheme):colon], scheme) {
			return true
		}
	}
	return false
}

// specialSchemes are the WHATWG special schemes and ICAP's.
var specialSchemes = [...]string{"http", "https", "ws", "wss", "ftp", "file", "icap", "icaps"}

// Redact appends b to dst without the passwords of anything that looks like
// userinfo.
func Redact(dst, b []byte) []byte {
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

// RedactAuthority is Redact for text that can only be an authority, never
// a URL (a host name in a log header): there "http:pw@host" is the user
// "http" with a password, not a scheme, so in the first segment everything
// from the first ':' (any spelling) to the last '@' goes too.
func RedactAuthority(dst, b []byte) []byte {
	start := len(dst)
	dst = Redact(dst, b)
	out := dst[start:]
	end := bytes.IndexAny(out, "/?#")
	if end < 0 {
		end = len(out)
	}
	at := LastAt(out[:end])
	if at < 0 {
		return dst
	}
	colon := firstColon(out[:at])
	if colon < 0 {
		return dst
	}
	n := copy(out[colon:], out[at:])
	return dst[:start+colon+n]
}

// redactSegment appends one segment (no '/', '?' or '#'), its password
// removed. Only the first segment of a string can start with a scheme:
// after a slash, "http:" is a user name ("http://http:pw@host/").
func redactSegment(dst, seg []byte, first bool) []byte {
	at := LastAt(seg)
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

// LastAt returns the index of the last '@' in b, in any spelling ("%40",
// "%2540"), or -1.
func LastAt[T string | []byte](b T) int {
	for i := len(b) - 1; i >= 0; i-- {
		if AtLen(b, i) > 0 {
			return i
		}
	}
	return -1
}

// AtLen returns the length of the '@' at b[i:] in any spelling: 1 for
// '@', 3 for "%40", 5 for "%2540" or 9 for "%25%34%30" (a server may
// decode twice), 3 for a compatibility form ("＠"), 0 for none.
func AtLen[T string | []byte](b T, i int) int {
	if b[i] == '@' {
		return 1
	}
	if n := compatLen(b, i, compatAts[:]); n > 0 {
		return n
	}
	return encodedLen(b, i, "40")
}

// Compatibility forms that Unicode normalization (NFKC, IDNA mapping)
// turns into '@' or ':': fullwidth and small forms, as UTF-8. Browsers
// reject them in a host, but software that normalizes a URL first reads
// them as delimiters.
var (
	compatAts    = [...]string{"\uff20", "\ufe6b"}
	compatColons = [...]string{"\uff1a", "\ufe55", "\ufe13"}
)

// compatLen returns the length of the form in forms at b[i:], or 0.
func compatLen[T string | []byte](b T, i int, forms []string) int {
	if b[i] != 0xef || i+3 > len(b) {
		return 0
	}
	for _, f := range forms {
		if string(b[i:i+3]) == f {
			return 3
		}
	}
	return 0
}

// encodedLen returns the length of a percent-encoding of the byte with the
// lower-case hex digits hex at b[i:], once or twice encoded: the '%' may
// itself be "%25" and each digit "%3X", "%4X" or "%6X" ("%2540",
// "%25%34%30", "%%34%30" all decode to "@" in two passes), with tabs and
// line breaks, which URL parsers remove, anywhere inside; or 0.
func encodedLen[T string | []byte](b T, i int, hex string) int {
	if b[i] != '%' {
		return 0
	}
	// Read as "%" + digits, then as "%25" + digits.
	if j := encodedDigits(b, i+1, hex); j > 0 {
		return j - i
	}
	if j := encodedDigits(b, i+1, "25"); j > 0 {
		if j := encodedDigits(b, j, hex); j > 0 {
			return j - i
		}
	}
	return 0
}

// encodedDigits returns the index after the hex digits hex at b[i:], each
// as itself or percent-encoded, tabs and line breaks skipped, or 0.
func encodedDigits[T string | []byte](b T, i int, hex string) int {
	for k := range len(hex) {
		i = skipInvisible(b, i)
		if i >= len(b) {
			return 0
		}
		if ascii.Lower(b[i]) == hex[k] {
			i++
			continue
		}
		// The digit percent-encoded: '0'-'9' are 0x30-0x39, 'a'-'f'
		// 0x61-0x66 and 'A'-'F' 0x41-0x46.
		if b[i] != '%' {
			return 0
		}
		hi := skipInvisible(b, i+1)
		lo := skipInvisible(b, hi+1)
		if lo >= len(b) || !encodesDigit(b[hi], ascii.Lower(b[lo]), hex[k]) {
			return 0
		}
		i = lo + 1
	}
	return i
}

// encodesDigit reports whether the hex digits hi lo are the code of the
// hex digit d, in either case.
func encodesDigit(hi, lo, d byte) bool {
	switch {
	case d >= '0' && d <= '9':
		return hi == '3' && lo == d
	case hi == '4' || hi == '6':
		return lo == '1'+(d-'a')
	}
	return false
}

// skipInvisible returns the index of the first byte at or after i that is
// no tab, CR or LF (which WHATWG URL parsing removes anywhere).
func skipInvisible[T string | []byte](b T, i int) int {
	for i < len(b) && (b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// firstColon returns the index of the first ':' in b, in any spelling
// ("%3A", "%253A", "：" …), or -1.
func firstColon(b []byte) int {
	for i, c := range b {
		if c == ':' || encodedLen(b, i, "3a") > 0 || compatLen(b, i, compatColons[:]) > 0 {
			return i
		}
	}
	return -1
}

// specialSchemeLen returns the length of "scheme:" when b starts with a
// special scheme, any case, else 0.
func specialSchemeLen(b []byte) int {
	i := bytes.IndexByte(b, ':')
	if i < 2 || i > 5 {
		return 0
	}
	for _, scheme := range specialSchemes {
		if ascii.EqualFold(b[:i], scheme) {
			return i + 1
		}
	}
	return 0
}

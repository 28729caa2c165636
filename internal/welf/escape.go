package welf

import "github.com/welfbridge/welfbridge/internal/swar"

// byteSeq lets the escaping code serve string and []byte values without
// converting (and so copying) one into the other.
type byteSeq interface{ ~string | ~[]byte }

const lowerHex = "0123456789abcdef"

// needsQuotes reports whether a value must be written between double
// quotes: it contains a space (the only rule WELF states; appendEscaped
// reports it), or it starts with an apostrophe, which syslog-ng kv-parser
// and Logstash kv take as an opening quote. Escaping never produces a space,
// so testing the raw value is enough.
func needsQuotes[T byteSeq](v T, spaced bool) bool {
	return spaced || len(v) > 0 && v[0] == '\''
}

// appendEscaped appends v to dst escaped as described in the package
// documentation, copying runs of bytes that need no escaping in one go, and
// reports whether v holds a space: the same pass serves needsQuotes.
func appendEscaped[T byteSeq](dst []byte, v T) ([]byte, bool) {
	run, spaces := 0, uint64(0)
	for i := 0; ; {
		var sp uint64
		if i, sp = plainEnd(v, i); sp != 0 {
			spaces = sp
		}
		if i == len(v) {
			break
		}
		n := 1 // bytes to escape at i
		if v[i] >= 0x80 {
			if n = validRuneLen(v, i); n > 0 && !isEscapedRune(v, i) {
				i += n
				continue
			}
			n = max(n, 1)
		}
		dst = append(dst, v[run:i]...)
		for end := i + n; i < end; i++ {
			dst = appendEscapedByte(dst, v[i])
		}
		run = i
	}
	return append(dst, v[run:]...), spaces != 0
}

// plainEnd returns the index of the first byte of v at or after i that
// appendEscaped must look at — a control, DEL, '"', '\\' or a byte of a
// non-ASCII sequence — or len(v), and a non-zero mask if a space comes
// before it (a space in the eight bytes after it may be reported too:
// appendEscaped reads on anyway). Nearly every value is plain ASCII, so it tests eight bytes at
// a time.
func plainEnd[T byteSeq](v T, i int) (int, uint64) {
	var spaces uint64 // a mask only ever wrong above a real space: exact for "any"
	for i = max(i, 0); i <= len(v)-8; i += 8 {
		x := swar.Load(v, i)
		spaces |= swar.Eq(x, ' ')
		if m := swar.Less(x, ' ') | swar.High(x) | swar.Eq(x, 0x7f) | swar.Eq(x, '"') | swar.Eq(x, '\\'); m != 0 {
			return i + swar.First(m), spaces
		}
	}
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ':
			spaces = 1
		case c < ' ' || c >= 0x7f || c == '"' || c == '\\':
			return i, spaces
		}
	}
	return len(v), spaces
}

// isEscapedRune reports whether the valid UTF-8 sequence at v[i] is one that
// is written as \xNN per byte although it is valid: a C1 control
// (U+0080-U+009F), the line and paragraph separators U+2028 and U+2029,
// which JavaScript, JSON stacks and Python's splitlines take as line ends,
// or a bidi control (Unicode's Bidi_Control: U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069), which can make a viewer show the text of
// one field as if it belonged to another ("Trojan Source", CVE-2021-42574).
func isEscapedRune[T byteSeq](v T, i int) bool {
	switch v[i] {
	case 0xc2: // U+0080..U+00BF
		return v[i+1] <= 0x9f
	case 0xd8: // U+0600..U+063F
		return v[i+1] == 0x9c
	case 0xe2: // U+2000..U+2FFF
		switch v[i+1] {
		case 0x80: // U+2000..U+203F
			c := v[i+2]
			return c == 0x8e || c == 0x8f || c >= 0xa8 && c <= 0xae
		case 0x81: // U+2040..U+207F
			return v[i+2] >= 0xa6 && v[i+2] <= 0xa9
		}
	}
	return false
}

// The bytes escaped as a backslash and a letter, and their letters in the
// same order, for writing and reading; every other byte that needs escaping
// is written as \xNN.
const (
	letterEscaped = "\\\b\f\n\r\t"
	escapeLetters = "\\bfnrt"
)

// escapeLetter is the letter of each byte in letterEscaped, 0 for the
// others: a lookup per escaped byte on the encoding hot path.
var escapeLetter = func() (t [256]byte) {
	for i := range len(letterEscaped) {
		t[letterEscaped[i]] = escapeLetters[i]
	}
	return t
}()

func appendEscapedByte(dst []byte, c byte) []byte {
	if l := escapeLetter[c]; l != 0 {
		return append(dst, '\\', l)
	}
	return append(dst, '\\', 'x', lowerHex[c>>4], lowerHex[c&0x0f])
}

// validRuneLen returns the length of the well-formed UTF-8 sequence that
// starts at v[i] (a byte >= 0x80), or 0 if there is none. It accepts exactly
// what unicode/utf8 accepts: no overlong forms, no surrogates, nothing above
// U+10FFFF.
func validRuneLen[T byteSeq](v T, i int) int {
	c := v[i]
	rest := len(v) - i
	var n int
	switch {
	case 0xc2 <= c && c <= 0xdf:
		n = 2
	case 0xe0 <= c && c <= 0xef:
		n = 3
	case 0xf0 <= c && c <= 0xf4:
		n = 4
	default:
		return 0
	}
	lo, hi := byte(0x80), byte(0xbf) // allowed range of the second byte
	switch c {
	case 0xe0: // no overlong 3-byte forms
		lo = 0xa0
	case 0xed: // no surrogates
		hi = 0x9f
	case 0xf0: // no overlong 4-byte forms
		lo = 0x90
	case 0xf4: // nothing above U+10FFFF
		hi = 0x8f
	}
	if rest < n || v[i+1] < lo || v[i+1] > hi {
		return 0
	}
	for j := i + 2; j < i+n; j++ {
		if v[j] < 0x80 || v[j] > 0xbf {
			return 0
		}
	}
	return n
}

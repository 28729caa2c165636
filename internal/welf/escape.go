package welf

// byteSeq lets the escaping code serve string and []byte values without
// converting (and so copying) one into the other.
type byteSeq interface{ ~string | ~[]byte }

const lowerHex = "0123456789abcdef"

// needsQuotes reports whether v must be written between double quotes: it
// contains a space (the only rule WELF states), or it starts with an apostrophe,
// which syslog-ng kv-parser and Logstash kv take as an opening quote. Escaping
// never produces a space, so testing the raw value is enough.
func needsQuotes[T byteSeq](v T) bool {
	if len(v) > 0 && v[0] == '\'' {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			return true
		}
	}
	return false
}

// appendEscaped appends v to dst escaped as described in the package
// documentation. It copies runs of bytes that need no escaping in one go.
func appendEscaped[T byteSeq](dst []byte, v T, escapeDEL bool) []byte {
	run := 0
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c >= ' ' && c < 0x7f && c != '"' && c != '\\':
			i++
			continue
		case c == 0x7f && !escapeDEL:
			i++
			continue
		case c >= 0x80:
			if n := validRuneLen(v, i); n > 0 {
				i += n
				continue
			}
		}
		dst = append(dst, v[run:i]...)
		dst = appendEscapedByte(dst, c)
		i++
		run = i
	}
	return append(dst, v[run:]...)
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
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
	lo, hi := byte(0x80), byte(0xbf) // allowed range of the second byte
	var n int
	switch {
	case 0xc2 <= c && c <= 0xdf:
		n = 2
	case 0xe0 <= c && c <= 0xef:
		n = 3
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
	case 0xf0 <= c && c <= 0xf4:
		n = 4
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
	default:
		return 0
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

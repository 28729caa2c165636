package mwg

import "github.com/welfbridge/welfbridge/internal/ascii"

// Marker lines and their metadata; see "Marker lines" in the package
// documentation for the grammar implemented here.

// mark is one of the four marker tokens.
type mark uint8

const (
	markNone  mark = iota
	markGT         // ">>>"
	markLT         // "<<<"
	markOpen       // "[[["
	markClose      // "]]]"
)

// layer is the protocol layer a chunk belongs to.
type layer uint8

const (
	layerPlain layer = iota // on the wire in clear: arrows
	layerTLS                // decrypted TLS application data: brackets
)

// dir is the direction of a message.
type dir uint8

const (
	dirRequest  dir = iota // client to server
	dirResponse            // server to client
)

func (m mark) layer() layer {
	if m == markOpen || m == markClose {
		return layerTLS
	}
	return layerPlain
}

// dir is the direction the marker stands for in the normal orientation.
func (m mark) dir() dir {
	if m == markLT || m == markClose {
		return dirResponse
	}
	return dirRequest
}

func markAt(b []byte, i int) mark {
	if i < 0 || i+3 > len(b) {
		return markNone
	}
	c := b[i]
	if b[i+1] != c || b[i+2] != c {
		return markNone
	}
	switch c {
	case '>':
		return markGT
	case '<':
		return markLT
	case '[':
		return markOpen
	case ']':
		return markClose
	}
	return markNone
}

// stamp collects the parts of a timestamp found on a marker line.
type stamp struct {
	date             bool
	year, month, day int
	clock            bool
	hour, min, sec   int
	nsec             int
	zone             bool
	offset           int // seconds east of UTC
}

// meta is the metadata of a marker line.
type meta struct {
	stamp   stamp
	count   int64 // announced chunk size in bytes; -1 when none
	addrs   [2][]byte
	naddr   int
	reverse bool // "A <- B": data flows from the second address to the first
}

// markerLine is a recognised marker line.
type markerLine struct {
	mark       mark
	meta       meta
	payload    []byte // data sharing the marker line (CR kept)
	hasPayload bool
}

// parseMarkerLine recognises a marker line. line is the line as delivered
// (a trailing CR, if present, is ignored for recognition but kept in the
// payload). prefix enables timestamp and sequence prefixes.
func parseMarkerLine(line []byte, prefix bool) (markerLine, bool) {
	body := trimCR(line)
	ml := markerLine{meta: meta{count: -1}}
	if len(body) < 3 {
		return ml, false
	}
	i := 0
	if ml.mark = markAt(body, 0); ml.mark == markNone {
		if !prefix || !(isDigit(body[0]) || body[0] == '[') {
			return ml, false
		}
		var ok bool
		if i, ok = parsePrefix(body, &ml.meta.stamp); !ok {
			return ml, false
		}
		ml.mark = markAt(body, i)
	}
	j := i + 3
	if j == len(body) {
		return ml, true
	}
	if !isWSP(body[j]) {
		return ml, false // ">>>>" and ">>>x" are data
	}
	rest := body[j+1:]
	if isBlank(rest) {
		return ml, true
	}
	if parseMeta(rest, &ml.meta) {
		return ml, true
	}
	// Not metadata: the rest is the first payload line. Only the one
	// separator after the marker is dropped.
	ml.meta = meta{count: -1, stamp: ml.meta.stamp}
	ml.payload, ml.hasPayload = line[j+1:], true
	return ml, true
}

// maxPrefixTokens bounds the stamp tokens accepted before a marker.
const maxPrefixTokens = 3

// parsePrefix parses up to three stamp tokens, each followed by blanks, and
// returns the index of the marker that must follow them.
func parsePrefix(b []byte, st *stamp) (int, bool) {
	i := 0
	for range maxPrefixTokens {
		n, ok := parseStampToken(b[i:], st)
		if !ok {
			return 0, false
		}
		i += n
		if i >= len(b) || !isWSP(b[i]) {
			return 0, false
		}
		for i < len(b) && isWSP(b[i]) {
			i++
		}
		if markAt(b, i) != markNone {
			return i, true
		}
	}
	return 0, false
}

// tokenEnd reports whether position i of b ends a token.
func tokenEnd(b []byte, i int) bool { return i == len(b) || isWSP(b[i]) }

// parseStampToken parses one stamp token at the start of b: a date, a
// clock time, a date-time, "[digits]" (a sequence number) or any of the
// time forms in square brackets. It returns the token length.
func parseStampToken(b []byte, st *stamp) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if b[0] != '[' {
		n, ok := parseBareStamp(b, st)
		if !ok || !tokenEnd(b, n) {
			return 0, false
		}
		return n, true
	}
	end := -1
	for i := 1; i < len(b); i++ {
		if b[i] == ']' {
			end = i
			break
		}
	}
	if end < 2 || !tokenEnd(b, end+1) {
		return 0, false
	}
	inner := b[1:end]
	if _, ok := parseDec(inner); ok {
		return end + 1, true // sequence number: no time
	}
	// One or two bare stamps ("date time") inside the brackets.
	tmp := *st
	i := 0
	for k := 0; k < 2 && i < len(inner); k++ {
		n, ok := parseBareStamp(inner[i:], &tmp)
		if !ok {
			return 0, false
		}
		i += n
		if i < len(inner) {
			if inner[i] != ' ' {
				return 0, false
			}
			i++
		}
	}
	if i != len(inner) {
		return 0, false
	}
	*st = tmp
	return end + 1, true
}

// parseBareStamp parses "YYYY-MM-DD", "YYYY/MM/DD", "HH:MM:SS[.frac]" or
// "YYYY-MM-DDTHH:MM:SS[.frac]", each time optionally followed by "Z" or a
// "±HH:MM" / "±HHMM" offset, and returns the length parsed.
func parseBareStamp(b []byte, st *stamp) (int, bool) {
	if y, m, d, ok := parseDate(b); ok {
		st.date, st.year, st.month, st.day = true, y, m, d
		if len(b) > 10 && b[10] == 'T' {
			n, ok := parseClock(b[11:], st)
			if !ok {
				return 0, false
			}
			return 11 + n, true
		}
		return 10, true
	}
	return parseClock(b, st)
}

func parseDate(b []byte) (y, m, d int, ok bool) {
	if len(b) < 10 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] {
		return 0, 0, 0, false
	}
	y, ok1 := digitsAt(b, 0, 4)
	m, ok2 := digitsAt(b, 5, 2)
	d, ok3 := digitsAt(b, 8, 2)
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func parseClock(b []byte, st *stamp) (int, bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	h, ok1 := digitsAt(b, 0, 2)
	mi, ok2 := digitsAt(b, 3, 2)
	s, ok3 := digitsAt(b, 6, 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	i, nsec := 8, 0
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		j := i + 1
		scale := 100_000_000
		for j < len(b) && isDigit(b[j]) && j-i <= 9 {
			nsec += int(b[j]-'0') * scale
			scale /= 10
			j++
		}
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	st.clock, st.hour, st.min, st.sec, st.nsec = true, h, mi, s, nsec
	if i < len(b) {
		switch b[i] {
		case 'Z':
			st.zone, st.offset = true, 0
			i++
		case '+', '-':
			oh, ok1 := digitsAt(b, i+1, 2)
			k := i + 3
			if k < len(b) && b[k] == ':' {
				k++
			}
			om, ok2 := digitsAt(b, k, 2)
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return 0, false
			}
			st.zone, st.offset = true, oh*3600+om*60
			if b[i] == '-' {
				st.offset = -st.offset
			}
			i = k + 2
		}
	}
	return i, true
}

// parseMeta classifies the rest of a marker line. It succeeds only when
// every token is metadata: a stamp token, an address ("a.b.c.d:port",
// "[v6]:port"), an arrow ("->", "<-") or a byte count ("(N)", "(N bytes)",
// "N bytes", "N byte"). Anything else makes the rest payload.
func parseMeta(b []byte, m *meta) bool {
	i := 0
	for i < len(b) {
		if isWSP(b[i]) {
			i++
			continue
		}
		n := metaToken(b, i, m)
		if n == 0 {
			return false
		}
		i += n
	}
	return true
}

// metaToken parses one metadata token at b[i:] and returns its length, or
// 0 when there is none.
func metaToken(b []byte, i int, m *meta) int {
	t := b[i:]
	switch {
	case len(t) >= 2 && (t[0] == '-' && t[1] == '>' || t[0] == '<' && t[1] == '-') && tokenEnd(t, 2):
		m.reverse = t[0] == '<'
		return 2
	case t[0] == '(':
		return countToken(t, m)
	}
	if n, ok := parseAddr(t); ok && tokenEnd(t, n) {
		if m.naddr < len(m.addrs) {
			m.addrs[m.naddr] = t[:n]
			m.naddr++
		}
		return n
	}
	if n, ok := parseStampToken(t, &m.stamp); ok {
		return n
	}
	if isDigit(t[0]) {
		return countToken(t, m)
	}
	return 0
}

// countToken parses "(N)", "(N bytes)", "(N byte)", "N bytes" or "N byte".
func countToken(t []byte, m *meta) int {
	i := 0
	paren := t[0] == '('
	if paren {
		i++
	}
	j := i
	for j < len(t) && isDigit(t[j]) {
		j++
	}
	n, ok := parseDec(t[i:j])
	if !ok {
		return 0
	}
	k := j
	if k < len(t) && t[k] == ' ' {
		if w := unitLen(t[k+1:]); w > 0 {
			k += 1 + w
		}
	}
	switch {
	case paren && k < len(t) && t[k] == ')' && tokenEnd(t, k+1):
		k++
	case !paren && k > j && tokenEnd(t, k):
	default:
		return 0
	}
	m.count = n
	return k
}

func unitLen(b []byte) int {
	switch {
	case hasPrefixFold(b, "bytes"):
		return 5
	case hasPrefixFold(b, "byte"):
		return 4
	}
	return 0
}

// parseAddr parses "a.b.c.d:port" or "[v6]:port" and returns its length.
func parseAddr(b []byte) (int, bool) {
	i := 0
	if len(b) > 0 && b[0] == '[' {
		j := 1
		for j < len(b) && (isDigit(b[j]) || ascii.Lower(b[j]) >= 'a' && ascii.Lower(b[j]) <= 'f' || b[j] == ':' || b[j] == '.') {
			j++
		}
		if j == 1 || j >= len(b) || b[j] != ']' {
			return 0, false
		}
		i = j + 1
	} else {
		for part := range 4 {
			j := i
			for j < len(b) && j-i < 3 && isDigit(b[j]) {
				j++
			}
			v, ok := digitsAt(b, i, j-i)
			if j == i || !ok || v > 255 {
				return 0, false
			}
			i = j
			if part < 3 {
				if i >= len(b) || b[i] != '.' {
					return 0, false
				}
				i++
			}
		}
	}
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	j := i + 1
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if p, ok := parseDec(b[i+1 : j]); !ok || p > 65535 {
		return 0, false
	}
	return j, true
}

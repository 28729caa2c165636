package airlock

import (
	"bytes"
	"fmt"
)

// LineReader reads the records of one raw line. A line is normally one JSON
// object, perhaps behind a transport header (see ParseLine), but nothing
// may vanish from a line that is not: every object of the line is decoded,
// one after the other, and any text that is neither a header nor part of a
// decoded object is reported by Stray, so that the caller can forward the
// line as not decoded.
//
// The grammar: an optional header, then objects separated by white space
// and at most one comma, then optional white space. The header is the text
// before the first '{' when it ends in white space and starts like a syslog
// header ("<PRI>"), an RFC 5424 or ISO timestamp (a digit) or a BSD syslog
// date ("Mar  5 …"), perhaps after a byte order mark; Airlock repeats time and host inside the JSON, so a
// header carries nothing that is needed. After stray text or an object that
// does not decode, reading stops: where the next object would start is then
// a guess, and a guess could turn a fragment into a record.
type LineReader struct {
	line  []byte
	pos   int // where the next object starts
	next  bool
	stray string
}

// Reset starts reading line.
func (l *LineReader) Reset(line []byte) {
	*l = LineReader{line: line}
	start := bytes.IndexByte(line, '{')
	if start < 0 {
		l.stray = "no JSON object in line"
		return
	}
	if !isHeader(line[:start]) {
		l.stray = fmt.Sprintf("text before the JSON object at offset %d is not a syslog or time header", start)
	}
	l.pos, l.next = start, true
}

// Next decodes the next object of the line into r, which is reset first,
// and reports whether there was one. A Kibana export document yields its
// _source (see ParseLine). Values may point into the line.
func (l *LineReader) Next(r *Record) bool {
	if !l.next {
		return false
	}
	l.next = false
	r.Reset()
	p := newParser(l.line, l.pos, r)
	err := p.object(true)
	if err != nil {
		r.clearFields()
		l.addStray(err.Error())
		return false
	}
	i := skipSpace(l.line, p.pos)
	if i < len(l.line) && l.line[i] == ',' {
		i = skipSpace(l.line, i+1)
		if i == len(l.line) || l.line[i] != '{' {
			l.addStray(fmt.Sprintf("text after the JSON object at offset %d", p.pos))
			return true
		}
	}
	switch {
	case i == len(l.line):
	case l.line[i] == '{':
		l.pos, l.next = i, true
	default:
		l.addStray(fmt.Sprintf("text after the JSON object at offset %d", p.pos))
	}
	return true
}

// Stray returns why part of the line is in no record Next returned: text
// that is neither a header nor an object, or an object that does not
// decode. It is "" when the whole line was read into records.
func (l *LineReader) Stray() string { return l.stray }

func (l *LineReader) addStray(reason string) {
	if l.stray != "" {
		reason = l.stray + "; " + reason
	}
	l.stray = reason
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// isHeader reports whether the text before a line's first object is a
// transport header (see LineReader) or only white space. A UTF-8 byte order
// mark in front, as on the first line of files written on Windows, is
// ignored.
func isHeader(prefix []byte) bool {
	prefix = bytes.TrimPrefix(prefix, []byte("\xef\xbb\xbf"))
	if skipSpace(prefix, 0) == len(prefix) {
		return true
	}
	if !isSpace(prefix[len(prefix)-1]) {
		return false
	}
	switch c := prefix[0]; {
	case c == '<':
		i := 1
		for i < len(prefix) && i <= 3 && prefix[i] >= '0' && prefix[i] <= '9' {
			i++
		}
		return i > 1 && i < len(prefix) && prefix[i] == '>'
	case c >= '0' && c <= '9':
		return true
	}
	if len(prefix) < 4 || prefix[3] != ' ' {
		return false
	}
	switch string(prefix[:3]) {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

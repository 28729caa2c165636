package airlock

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/welfbridge/welfbridge/internal/swar"
)

// ParseLine decodes one raw Airlock line into r, which is reset first.
//
// Everything before the first '{' is ignored: a syslog header such as
// "<134>Mar  5 09:12:44 gw01 SG_child[20417]: ", an RFC 5424 header, or the
// "<ISO time> <host> " prefix of forwarded lines. Airlock puts its own time
// and host inside the JSON, so the prefix carries nothing that is needed.
// Everything after the object's closing brace is ignored too (line ends,
// syslog trailers).
//
// A Kibana/Elasticsearch export document ({"_index":..., "_source":{...},
// "fields":{...}}) yields the fields of _source; the rest of the document
// is read (it must be valid JSON), and its members other than
// Elasticsearch's own (isExportMeta) are kept as unknown fields.
// LineReader reads every object of a line and reports text that is in
// none.
//
// Values are slices of line where the JSON text can be used as is; strings
// with escapes and other values are stored in r's arena, as the text the map
// Fluent Bit's json parser makes of the line would give (see number and
// nested): the WELF of a raw line and of the parsed map agree. null, like
// "<n/a>", means absent. On error r holds no fields.
func ParseLine(line []byte, r *Record) error {
	r.Reset()
	start := bytes.IndexByte(line, '{')
	if start < 0 {
		return errors.New("no JSON object in line")
	}
	p := newParser(line, start, r)
	err := p.object(true)
	if err != nil {
		r.clearFields()
	}
	return err
}

// setSource reads the JSON text of a Kibana export's _source into r; what r
// held becomes envelope (see keepEnvelope). On error r is as it was.
func (r *Record) setSource(text []byte) error {
	start := 0
	for start < len(text) && isSpace(text[start]) {
		start++
	}
	if start == len(text) || text[start] != '{' {
		return errors.New("JSON value is not an object")
	}
	// Kept for an error: exports are rare in a map, and broken ones rarer.
	values, extra, dropped := r.values, slices.Clone(r.extra), r.dropped
	r.keepEnvelope()
	p := newParser(text, start, r)
	if err := p.object(false); err != nil {
		clear(r.extra)
		r.values, r.extra, r.dropped = values, extra, dropped
		return err
	}
	r.fromSource = true
	return nil
}

// keepEnvelope turns the fields r holds, the members of a Kibana export
// before its _source, into unknown fields, but for Elasticsearch's own
// (isExportMeta): the exported document alone makes the record, and no
// other value is lost.
func (r *Record) keepEnvelope() {
	kept := r.extra[:0]
	for _, kv := range r.extra {
		if !isExportMeta(kv.Key) {
			kept = append(kept, kv)
		}
	}
	clear(r.extra[len(kept):])
	r.extra = kept
	for f, v := range r.values {
		if v != nil {
			r.setExtra([]byte(fieldNames[f]), v)
		}
	}
	r.values = [NumFields][]byte{}
}

// isExportMeta reports whether key is a member Elasticsearch adds to a
// document it exports (or a second _source): dropped, as it says nothing
// about the request.
func isExportMeta(key []byte) bool {
	switch string(key) {
	case "_index", "_id", "_type", "_version", "_score", "_seq_no", "_primary_term", "_routing",
		"_ignored", "_source", "_shard", "_node", "_explanation", "fields", "sort", "highlight",
		"matched_queries", "inner_hits", "ignored_field_values":
		return true
	}
	return false
}

// parser reads one JSON object without allocating: keys and plain strings
// are slices of the source, everything else goes to the record's arena.
// (A general JSON library, json-iterator included, would return each key
// as a new string, one allocation per field on the hot path, reject
// numbers such as 1e400 that this parser keeps as text, and render nested
// numbers its own way rather than as Fluent Bit's json parser does, so that
// raw lines and parsed maps would give different output.)
type parser struct {
	src []byte
	pos int
	rec *Record
	// envelope is set once a Kibana export's _source has been read: the
	// export's other members are skipped.
	envelope bool
}

const endOfInput = -1

func newParser(src []byte, start int, r *Record) parser {
	// Unescaped strings are never longer than their source text, so this is
	// the arena a parse needs, unless it renders numbers or nested values
	// longer than written (1e5 as 100000), when reserve starts a new one.
	r.reserve(len(src) - start)
	return parser{src: src, pos: start, rec: r}
}

// object reads the object starting at p.pos into the record. At top level,
// a _source member holding an object replaces the record's content and ends
// the parse (Kibana export).
func (p *parser) object(top bool) error {
	p.pos++ // '{'
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return nil
	}
	for {
		if c := p.peek(); c != '"' {
			return p.unexpected(c, "expected string key")
		}
		key, err := p.readString()
		if err != nil {
			return err
		}
		p.skipSpace()
		if c := p.peek(); c != ':' {
			return p.unexpected(c, "expected ':' after key")
		}
		p.pos++
		p.skipSpace()

		if top && !p.envelope && string(key) == "_source" {
			if p.peek() != '{' {
				return fmt.Errorf("invalid Kibana export at offset %d: _source: JSON value is not an object", p.pos)
			}
			p.rec.keepEnvelope()
			if err := p.object(false); err != nil {
				return err
			}
			// The rest of the export document is read, so that the line
			// goes on after it; what is not Elasticsearch's own is kept.
			p.envelope = true
		} else {
			val, err := p.value()
			if err != nil {
				return err
			}
			switch {
			case !(top && p.envelope):
				p.rec.set(key, val)
			case !isExportMeta(key):
				p.rec.SetExtra(key, val)
			}
		}

		p.skipSpace()
		switch c := p.peek(); c {
		case ',':
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			return nil
		default:
			return p.unexpected(c, "expected ',' or '}' after value")
		}
	}
}

// value reads any JSON value. null yields nil.
func (p *parser) value() ([]byte, error) {
	switch c := p.peek(); {
	case c == '"':
		return p.readString()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n':
		return p.nested()
	default:
		return nil, p.unexpected(c, "expected a value")
	}
}

// number reads the number at p.pos and returns its text as Fluent Bit's
// json parser would render it, so that a raw line and the map Fluent Bit
// made of the same line give the same value: an integer within int64 or
// uint64 as written ("-0" as "0"), any other number as the shortest text of
// its float64 value ("1.5e3" becomes "1500"). A number no float64 can hold
// ("1e400") keeps its text: it cannot be cast, and dropping the record for
// it would lose the rest.
func (p *parser) number() ([]byte, error) {
	start := p.pos
	end, integer, ok := scanNumber(p.src, start)
	if !ok {
		return nil, fmt.Errorf("invalid JSON at offset %d: invalid number", start)
	}
	p.pos = end
	text := p.src[start:end:end]
	var buf [32]byte
	out := appendNumber(buf[:0], text, integer)
	if string(out) == string(text) {
		return text, nil
	}
	p.rec.reserve(len(out))
	arena := p.rec.arena
	at := len(arena)
	p.rec.arena = append(arena, out...)
	return p.rec.arena[at:len(p.rec.arena):len(p.rec.arena)], nil
}

// appendNumber appends the number text (valid JSON; integer if it has no
// fraction or exponent) as number renders it.
func appendNumber(dst, text []byte, integer bool) []byte {
	// The string shares text's bytes and does not outlive this call.
	s := unsafe.String(&text[0], len(text))
	if integer {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			if s == "-0" {
				return append(dst, '0')
			}
			return append(dst, text...)
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return append(dst, text...)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return append(dst, text...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// scanNumber returns the end of the RFC 8259 number at src[i] and whether
// it is an integer (no fraction, no exponent).
func scanNumber(src []byte, i int) (end int, integer, ok bool) {
	digits := func(i int) int {
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i >= len(src) || src[i] < '0' || src[i] > '9':
		return i, false, false
	case src[i] == '0':
		i++
	default:
		i = digits(i)
	}
	integer = true
	if i < len(src) && src[i] == '.' {
		integer = false
		j := digits(i + 1)
		if j == i+1 {
			return j, false, false
		}
		i = j
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		integer = false
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, false, false
		}
		i = j
	}
	return i, integer, true
}

// readString reads the string starting at p.pos ('"').
func (p *parser) readString() ([]byte, error) {
	open := p.pos
	start := open + 1
	end := quoteOrBackslash(p.src, start)
	if end == len(p.src) {
		return nil, fmt.Errorf("invalid JSON at offset %d: unterminated string", open)
	}
	if p.src[end] == '\\' {
		return p.readEscapedString(open)
	}
	p.pos = end + 1
	return p.src[start:end:end], nil
}

// quoteOrBackslash returns the index of the first '"' or '\\' in b at or
// after i, or len(b): eight bytes at a time, with masks the compiler folds
// to constants (strings are most of an Airlock line, and most are too short
// for bytes.IndexByte to pay off).
func quoteOrBackslash(b []byte, i int) int {
	for i = max(i, 0); i <= len(b)-8; i += 8 {
		x := swar.Load(b, i)
		if m := swar.Eq(x, '"') | swar.Eq(x, '\\'); m != 0 {
			return i + swar.First(m)
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return len(b)
}

// readEscapedString decodes the string starting at open ('"') into the
// arena. Like encoding/json it turns invalid UTF-16 surrogates into U+FFFD;
// raw control characters are accepted.
func (p *parser) readEscapedString(open int) ([]byte, error) {
	src := p.src
	arena := p.rec.arena
	start := len(arena)
	i := open + 1
	for {
		plain := i
		i = quoteOrBackslash(src, i)
		arena = append(arena, src[plain:i]...)
		if i >= len(src) || i+1 >= len(src) && src[i] == '\\' {
			return nil, fmt.Errorf("invalid JSON at offset %d: unterminated string", open)
		}
		if src[i] == '"' {
			p.pos = i + 1
			p.rec.arena = arena
			return arena[start:len(arena):len(arena)], nil
		}
		width := 2 // of the escape sequence
		switch esc := src[i+1]; esc {
		case '"', '\\', '/':
			arena = append(arena, esc)
		case 'b':
			arena = append(arena, '\b')
		case 'f':
			arena = append(arena, '\f')
		case 'n':
			arena = append(arena, '\n')
		case 'r':
			arena = append(arena, '\r')
		case 't':
			arena = append(arena, '\t')
		case 'u':
			r, ok := hex4(src[i+2:])
			if !ok {
				return nil, fmt.Errorf(`invalid JSON at offset %d: invalid \u escape`, i)
			}
			width = 6
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by an escaped low one makes a
				// rune; otherwise the next escape is decoded on its own.
				high := r
				r = utf8.RuneError
				if i+12 <= len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
					if low, ok := hex4(src[i+8:]); ok {
						if pair := utf16.DecodeRune(high, low); pair != utf8.RuneError {
							r, width = pair, 12
						}
					}
				}
			}
			arena = utf8.AppendRune(arena, r)
		default:
			return nil, fmt.Errorf("invalid JSON at offset %d: invalid escape character %q after backslash", i, esc)
		}
		i += width
	}
}

// hex4 parses four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (p *parser) peek() int {
	if p.pos >= len(p.src) {
		return endOfInput
	}
	return int(p.src[p.pos])
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// unexpected reports the byte c (or the end of input) at p.pos.
func (p *parser) unexpected(c int, expected string) error {
	if c == endOfInput {
		return fmt.Errorf("invalid JSON at offset %d: unexpected end of input", p.pos)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s, found %q", p.pos, expected, byte(c))
}

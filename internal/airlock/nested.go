package airlock

import (
	"fmt"

	"github.com/welfbridge/welfbridge/internal/event"
)

// maxNesting bounds the depth of nested objects and arrays, as Fluent
// Bit's json parser does (256 levels with the record's own object).
const maxNesting = 255

// nested reads the object, array or literal at p.pos and returns its text as
// the map path renders the value Fluent Bit's json parser made of the same
// JSON (event.Value.AppendText): compact, strings decoded and escaped again
// by event.AppendJSONString, numbers as number renders them. A raw line and
// a parsed map thus give the same WELF value. null yields nil.
func (p *parser) nested() ([]byte, error) {
	r := p.rec
	r.canon = r.canon[:0]
	if err := p.canonValue(0); err != nil {
		return nil, err
	}
	if string(r.canon) == "null" {
		return nil, nil
	}
	r.reserve(len(r.canon))
	at := len(r.arena)
	r.arena = append(r.arena, r.canon...)
	return r.arena[at:len(r.arena):len(r.arena)], nil
}

// canonValue appends the canonical form of the value at p.pos to p.rec.canon.
func (p *parser) canonValue(depth int) error {
	r := p.rec
	p.skipSpace()
	switch c := p.peek(); {
	case c == '{' || c == '[':
		if depth >= maxNesting {
			return fmt.Errorf("invalid JSON at offset %d: nested more than %d levels deep", p.pos, maxNesting)
		}
		return p.canonContainer(byte(c), depth)
	case c == '"':
		s, err := p.readString()
		if err != nil {
			return err
		}
		r.canon = event.AppendJSONString(r.canon, s)
		return nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.pos
		end, integer, ok := scanNumber(p.src, start)
		if !ok {
			return fmt.Errorf("invalid JSON at offset %d: invalid number", start)
		}
		p.pos = end
		r.canon = appendNumber(r.canon, p.src[start:end], integer)
		return nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.src)-p.pos >= len(lit) && string(p.src[p.pos:p.pos+len(lit)]) == lit {
				p.pos += len(lit)
				r.canon = append(r.canon, lit...)
				return nil
			}
		}
		return fmt.Errorf("invalid JSON at offset %d: invalid literal", p.pos)
	default:
		return p.unexpected(c, "expected a value")
	}
}

// canonContainer appends the object or array at p.pos (open is '{' or '[').
func (p *parser) canonContainer(open byte, depth int) error {
	r := p.rec
	end := byte('}')
	if open == '[' {
		end = ']'
	}
	r.canon = append(r.canon, open)
	p.pos++
	p.skipSpace()
	if p.peek() == int(end) {
		p.pos++
		r.canon = append(r.canon, end)
		return nil
	}
	for {
		if open == '{' {
			p.skipSpace()
			if c := p.peek(); c != '"' {
				return p.unexpected(c, "expected string key")
			}
			if err := p.canonValue(depth + 1); err != nil {
				return err
			}
			p.skipSpace()
			if c := p.peek(); c != ':' {
				return p.unexpected(c, "expected ':' after key")
			}
			p.pos++
			r.canon = append(r.canon, ':')
		}
		if err := p.canonValue(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		switch c := p.peek(); c {
		case ',':
			p.pos++
			r.canon = append(r.canon, ',')
		case int(end):
			p.pos++
			r.canon = append(r.canon, end)
			return nil
		default:
			return p.unexpected(c, "expected ',' or '"+string(end)+"'")
		}
	}
}

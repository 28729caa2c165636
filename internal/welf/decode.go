package welf

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Field is one decoded key=value pair.
type Field struct{ Key, Value string }

// headerKeys are the keys every record starts with, in this order.
var headerKeys = [...]string{"id", "time", "fw", "pri"}

// Decode parses one record (without terminator) strictly by the grammar
// Builder writes and returns its fields in order, header included, with
// values unescaped to their original bytes (which may be invalid UTF-8).
// Anything Builder would not produce is an error naming the byte offset,
// except that quotes are accepted around any value and \" is accepted as
// syslog-ng writes it. Raw control characters (C0, DEL, C1), U+2028, U+2029
// and bidi controls are errors, as Builder escapes them.
func Decode(record []byte) ([]Field, error) {
	// Keys and values without escapes are substrings of one copy of the
	// record, which saves an allocation per field.
	d := decoder{rec: record, str: string(record)}
	fields := make([]Field, 0, 32) // room for a typical record
	// seen replaces a linear scan for duplicates once a record has many
	// fields, so that hostile input cannot make Decode quadratic.
	var seen map[string]struct{}
	for {
		f, err := d.field(len(fields))
		if err != nil {
			return nil, err
		}
		if isDuplicate(fields, seen, f.Key) {
			return nil, d.errorf(d.keyStart, "duplicate key %q", f.Key)
		}
		fields = append(fields, f)
		if seen != nil {
			seen[f.Key] = struct{}{}
		} else if len(fields) == manyFields {
			seen = make(map[string]struct{}, 2*manyFields)
			for _, f := range fields {
				seen[f.Key] = struct{}{}
			}
		}
		if d.pos == len(d.rec) {
			break
		}
		// d.field stopped on a space: exactly one, then the next key.
		d.pos++
		if d.pos == len(d.rec) || !isKeyByte(d.rec[d.pos]) {
			return nil, d.errorf(d.pos, "expected a key after the single space separating fields")
		}
	}
	if len(fields) < len(headerKeys) {
		return nil, d.errorf(len(d.rec), "missing header field %q", headerKeys[len(fields)])
	}
	return fields, nil
}

// manyFields is the field count from which Decode tracks keys in a map.
const manyFields = 32

func isDuplicate(fields []Field, seen map[string]struct{}, key string) bool {
	if seen != nil {
		_, ok := seen[key]
		return ok
	}
	for _, f := range fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

type decoder struct {
	rec      []byte
	str      string // rec as a string
	pos      int
	keyStart int
	buf      []byte // unescaped value under construction
}

func (d *decoder) errorf(offset int, format string, args ...any) error {
	return fmt.Errorf("welf: decode at offset %d: %s", offset, fmt.Sprintf(format, args...))
}

// field parses the field starting at d.pos, the n-th of the record, and
// leaves d.pos on the byte after its value.
func (d *decoder) field(n int) (Field, error) {
	d.keyStart = d.pos
	for d.pos < len(d.rec) && isKeyByte(d.rec[d.pos]) {
		d.pos++
	}
	key := d.str[d.keyStart:d.pos]
	switch {
	case key == "":
		return Field{}, d.errorf(d.pos, "expected a key of A-Z a-z 0-9 _")
	case len(key) > MaxKeyLen:
		return Field{}, d.errorf(d.keyStart, "key of %d bytes: at most %d", len(key), MaxKeyLen)
	case d.pos == len(d.rec) || d.rec[d.pos] != '=':
		return Field{}, d.errorf(d.pos, "expected '=' after key %q", key)
	case n < len(headerKeys) && key != headerKeys[n]:
		return Field{}, d.errorf(d.keyStart, "field %d must be %q, found %q", n+1, headerKeys[n], key)
	}
	d.pos++
	valStart := d.pos
	quoted := d.pos < len(d.rec) && d.rec[d.pos] == '"'
	val, err := d.value(quoted)
	if err != nil {
		return Field{}, err
	}
	switch n {
	case 1:
		err = checkTime(quoted, val)
	case 3:
		if quoted || len(val) != 1 || val[0] < '0' || val[0] > '7' {
			err = errors.New("must be one unquoted digit 0-7")
		}
	}
	if err != nil {
		return Field{}, d.errorf(valStart, "header field %s: %v", key, err)
	}
	return Field{Key: key, Value: val}, nil
}

// value parses a quoted or bare value at d.pos and returns it unescaped.
func (d *decoder) value(quoted bool) (string, error) {
	start := d.pos
	if quoted {
		d.pos++
	} else if d.pos < len(d.rec) && d.rec[d.pos] == '\'' {
		return "", d.errorf(d.pos, "an unquoted value must not start with '")
	}
	contentStart := d.pos
	d.buf = d.buf[:0]
	escaped := false
	for d.pos < len(d.rec) {
		c := d.rec[d.pos]
		switch {
		case c == '"' && quoted:
			if d.pos == contentStart {
				return "", d.errorf(start, "empty quoted value")
			}
			end := d.pos
			d.pos++
			if d.pos < len(d.rec) && d.rec[d.pos] != ' ' {
				return "", d.errorf(d.pos, "expected a space or the end after a closing quote")
			}
			return d.result(contentStart, end, escaped), nil
		case c == '"':
			return "", d.errorf(d.pos, "raw '\"' in an unquoted value")
		case c == ' ' && !quoted:
			return d.finishBare(contentStart, escaped)
		case c == '\\':
			b, size, err := d.escape()
			if err != nil {
				return "", err
			}
			if !escaped {
				d.buf = append(d.buf, d.rec[contentStart:d.pos]...)
				escaped = true
			}
			d.buf = append(d.buf, b)
			d.pos += size
			continue
		case c < ' ' || c == 0x7f:
			return "", d.errorf(d.pos, "raw control byte 0x%02x", c)
		case c >= 0x80:
			size := validRuneLen(d.rec, d.pos)
			if size == 0 {
				return "", d.errorf(d.pos, "raw invalid UTF-8 byte 0x%02x", c)
			}
			if isEscapedRune(d.rec, d.pos) {
				return "", d.errorf(d.pos, "raw control or separator %q", d.rec[d.pos:d.pos+size])
			}
			if escaped {
				d.buf = append(d.buf, d.rec[d.pos:d.pos+size]...)
			}
			d.pos += size
			continue
		}
		if escaped {
			d.buf = append(d.buf, c)
		}
		d.pos++
	}
	if quoted {
		return "", d.errorf(start, "quoted value not closed")
	}
	return d.finishBare(contentStart, escaped)
}

func (d *decoder) finishBare(contentStart int, escaped bool) (string, error) {
	if d.pos == contentStart {
		return "", d.errorf(d.pos, "empty value")
	}
	return d.result(contentStart, d.pos, escaped), nil
}

// result returns the unescaped value: d.buf if an escape was seen, otherwise
// the raw content between start and end, which then needed no unescaping.
func (d *decoder) result(start, end int, escaped bool) string {
	if escaped {
		return string(d.buf)
	}
	return d.str[start:end]
}

// escape decodes the escape sequence at d.pos and returns the byte it stands
// for and its length.
func (d *decoder) escape() (byte, int, error) {
	if d.pos+1 >= len(d.rec) {
		return 0, 0, d.errorf(d.pos, "incomplete escape sequence")
	}
	c := d.rec[d.pos+1]
	if i := strings.IndexByte(escapeLetters, c); i >= 0 {
		return letterEscaped[i], 2, nil
	}
	switch c {
	case '"':
		return '"', 2, nil
	case 'x':
		if d.pos+3 < len(d.rec) {
			hi, okHi := lowerHexValue(d.rec[d.pos+2])
			lo, okLo := lowerHexValue(d.rec[d.pos+3])
			if okHi && okLo {
				return hi<<4 | lo, 4, nil
			}
		}
		return 0, 0, d.errorf(d.pos, `\x must be followed by two lower-case hex digits`)
	}
	return 0, 0, d.errorf(d.pos, "unknown escape sequence \\%c", d.rec[d.pos+1])
}

func lowerHexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// checkTime validates the header time: quoted, exactly "YYYY-MM-DD hh:mm:ss"
// with zero-padded fields, and a real date and time of day.
func checkTime(quoted bool, v string) error {
	const shape = "dddd-dd-dd dd:dd:dd"
	ok := quoted && len(v) == len(shape)
	for i := 0; ok && i < len(shape); i++ {
		if shape[i] == 'd' {
			ok = '0' <= v[i] && v[i] <= '9'
		} else {
			ok = v[i] == shape[i]
		}
	}
	if !ok {
		return errors.New(`must be "YYYY-MM-DD hh:mm:ss", quoted`)
	}
	if _, err := time.Parse(time.DateTime, v); err != nil {
		return fmt.Errorf("invalid date or time: %w", err)
	}
	return nil
}

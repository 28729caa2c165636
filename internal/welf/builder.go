package welf

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Header holds the four fields every WELF record starts with.
type Header struct {
	ID   string    // record identifier ("firewall" by default at config level); required
	Time time.Time // rendered in Options.Location as time="YYYY-MM-DD hh:mm:ss" (zero-padded, 24h, always quoted)
	FW   string    // firewall/gateway name or address; required, escaped/quoted like any value
	Pri  int       // syslog severity; values outside 0..7 are clamped into 0..7
}

// The Header.Pri values welfbridge gives records that carry no severity of
// their own.
const (
	PriWarning = 4 // blocked, incomplete or not decoded
	PriInfo    = 6 // everything else
)

// Options configure a Builder.
type Options struct {
	Location *time.Location // nil = time.Local
	MaxSize  int            // cap in bytes on the encoded record (no terminator); 0 = no cap
}

// timeLayoutLen is the length of "YYYY-MM-DD hh:mm:ss".
const timeLayoutLen = 19

// Builder encodes one record at a time into a reused buffer: 0 allocations
// per record in steady state.
//
// A record is Begin, any number of field calls, then Finish. Field calls do
// not report errors themselves; the first problem (invalid or repeated key,
// empty header id or fw, time outside the years 0000-9999) is kept and returned by Finish, and the record must then be
// discarded. A Builder is not safe for concurrent use.
type Builder struct {
	opt    Options
	loc    *time.Location
	buf    []byte
	fields []field
	// keys has every key written since Begin, so Has (run for every field,
	// to refuse duplicates) scans only when a key may repeat.
	keys keySet
	err  error
	// truncated is set by Finish when the record exceeded MaxSize.
	truncated bool

	// The rendered time of the last record: records of one chunk mostly
	// share their second.
	timeSec   int64
	timeText  [timeLayoutLen]byte
	timeValid bool
}

// field locates one written field in Builder.buf; keys are compared in
// place rather than kept as separate strings.
type field struct {
	start  int // first byte, the separating space included
	key    int // first byte of the key
	keyEnd int // the '=' after the key
	val    int // first byte of the value, after an opening quote
	end    int // end of the value, before a closing quote; end == val only once truncate removed the field
	quoted bool
	text   bool // free text: Finish may shorten it to meet MaxSize
}

// NewBuilder returns a Builder that encodes records with opt.
func NewBuilder(opt Options) *Builder {
	loc := opt.Location
	if loc == nil {
		loc = time.Local
	}
	return &Builder{
		opt:    opt,
		loc:    loc,
		buf:    make([]byte, 0, 1024),
		fields: make([]field, 0, 32),
	}
}

// SetMaxSize changes the size cap from the next Finish on. Carriers whose
// own header length varies per record (syslog) use it to give each record
// exactly the room that is left.
func (b *Builder) SetMaxSize(n int) { b.opt.MaxSize = n }

// Begin discards the previous record and starts a new one with the header
// fields id, time, fw and pri. The time is rendered in Options.Location.
func (b *Builder) Begin(h Header) {
	b.buf = b.buf[:0]
	b.fields = b.fields[:0]
	b.keys = keySet{}
	b.err = nil
	b.truncated = false
	switch {
	case h.ID == "":
		b.err = errors.New("welf: header id is empty")
		return
	case h.FW == "":
		b.err = errors.New("welf: header fw is empty")
		return
	}
	ts, err := b.renderTime(h.Time)
	if err != nil {
		b.err = err
		return
	}
	writeValue(b, "id", h.ID, false)

	f := b.openField("time")
	b.keys.add('t', 'e', len("time"))
	b.buf = append(b.buf, '"')
	f.val, f.quoted = len(b.buf), true
	b.buf = append(b.buf, ts...)
	f.end = len(b.buf)
	b.buf = append(b.buf, '"')
	b.fields = append(b.fields, f)

	writeValue(b, "fw", h.FW, false)
	b.Int("pri", int64(min(max(h.Pri, 0), 7)))
}

// Str writes a structured field. An empty value writes nothing.
func (b *Builder) Str(key, val string) { addValue(b, key, val, false) }

// Bytes is Str with the value as bytes.
func (b *Builder) Bytes(key string, val []byte) { addValue(b, key, val, false) }

// Text writes a free-text field that Finish may shorten, or drop, to keep
// the record within Options.MaxSize. An empty value writes nothing.
func (b *Builder) Text(key, val string) { addValue(b, key, val, true) }

// TextBytes is Text with the value as bytes.
func (b *Builder) TextBytes(key string, val []byte) { addValue(b, key, val, true) }

// Int writes a decimal integer field.
func (b *Builder) Int(key string, v int64) {
	if !b.usable(key) || b.isDuplicate(key) {
		return
	}
	f := b.openField(key)
	b.keys.add(key[0], key[len(key)-1], len(key))
	f.val = len(b.buf)
	b.buf = strconv.AppendInt(b.buf, v, 10)
	f.end = len(b.buf)
	b.fields = append(b.fields, f)
}

// Has reports whether key was already written in this record, header keys
// included.
func (b *Builder) Has(key string) bool {
	return key != "" && b.keys.mayHave(key[0], key[len(key)-1], len(key)) && b.written(key)
}

// written reports whether a field with key was written: a scan, for the
// few keys the filter cannot tell apart.
func (b *Builder) written(key string) bool {
	for i := range b.fields {
		f := &b.fields[i]
		if string(b.buf[f.key:f.keyEnd]) == key {
			return true
		}
	}
	return false
}

// Finish returns the record without terminator. If the record is longer
// than Options.MaxSize, text fields are shortened first (see Truncated). The
// bytes are valid until the next Begin. If any field call failed, Finish
// returns that first error and the record must not be used.
func (b *Builder) Finish() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.fields) == 0 {
		return nil, errors.New("welf: Finish called before Begin")
	}
	if b.opt.MaxSize > 0 && len(b.buf) > b.opt.MaxSize {
		b.truncated = true
		b.truncate(len(b.buf) - b.opt.MaxSize)
	}
	return b.buf, nil
}

// Truncated reports whether the last Finish found the record longer than
// Options.MaxSize and shortened its text fields. The result is still longer
// than MaxSize only if the fields that may not be shortened alone exceed it.
func (b *Builder) Truncated() bool { return b.truncated }

// addValue writes key with an escaped, possibly quoted value, unless the
// value is empty or the key unusable.
func addValue[T byteSeq](b *Builder, key string, val T, text bool) {
	if !b.usable(key) || len(val) == 0 || b.isDuplicate(key) {
		return
	}
	writeValue(b, key, val, text)
}

// writeValue writes key with the non-empty val, escaped and quoted as needed.
func writeValue[T byteSeq](b *Builder, key string, val T, text bool) {
	f := b.openField(key)
	b.keys.add(key[0], key[len(key)-1], len(key))
	f.val, f.text = len(b.buf), text
	var spaced bool
	b.buf, spaced = appendEscaped(b.buf, val)
	if needsQuotes(val, spaced) {
		// Known only once the value is written: shift it for the quote.
		b.buf = append(b.buf, 0)
		copy(b.buf[f.val+1:], b.buf[f.val:])
		b.buf[f.val] = '"'
		f.val, f.quoted = f.val+1, true
	}
	b.closeField(f)
}

// usable reports whether a field with key may be written, recording why not.
func (b *Builder) usable(key string) bool {
	switch {
	case b.err != nil:
		return false
	case len(b.fields) == 0:
		b.err = fmt.Errorf("welf: field %q written before Begin", key)
		return false
	case !ValidKey(key):
		b.err = fmt.Errorf("welf: invalid key %q: allowed are 1 to %d of A-Z a-z 0-9 _", key, MaxKeyLen)
		return false
	}
	return true
}

func (b *Builder) isDuplicate(key string) bool {
	if b.Has(key) {
		b.err = fmt.Errorf("welf: duplicate key %q", key)
		return true
	}
	return false
}

// openField writes the separating space (unless this is the first field),
// the key and '='. The caller enters the key in b.keys (here it would cost
// openField its inlining).
func (b *Builder) openField(key string) field {
	f := field{start: len(b.buf)}
	if len(b.buf) > 0 {
		b.buf = append(b.buf, ' ')
	}
	f.key = len(b.buf)
	b.buf = append(b.buf, key...)
	f.keyEnd = len(b.buf)
	b.buf = append(b.buf, '=')
	return f
}

// closeField ends the value that started at f.val and records the field.
func (b *Builder) closeField(f field) {
	f.end = len(b.buf)
	if f.quoted {
		b.buf = append(b.buf, '"')
	}
	b.fields = append(b.fields, f)
}

// renderTime returns t in the builder's location as "YYYY-MM-DD hh:mm:ss",
// from the cache when t falls in the same second as the previous record.
func (b *Builder) renderTime(t time.Time) ([]byte, error) {
	sec := t.Unix()
	if b.timeValid && sec == b.timeSec {
		return b.timeText[:], nil
	}
	t = t.In(b.loc)
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return nil, fmt.Errorf("welf: header time %s: year outside 0000..9999", t.Format(time.RFC3339))
	}
	hour, minute, second := t.Clock()
	p := &b.timeText
	putDigits(p[0:4], year)
	p[4] = '-'
	putDigits(p[5:7], int(month))
	p[7] = '-'
	putDigits(p[8:10], day)
	p[10] = ' '
	putDigits(p[11:13], hour)
	p[13] = ':'
	putDigits(p[14:16], minute)
	p[16] = ':'
	putDigits(p[17:19], second)
	b.timeSec, b.timeValid = sec, true
	return p[:], nil
}

// putDigits fills dst with the last len(dst) decimal digits of the
// non-negative v, zero-padded.
func putDigits(dst []byte, v int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// keySet is a one-hash Bloom filter of 1024 bits over a key's first and
// last byte and its length. With the 30 or so keys of a record, one lookup
// in thirty goes on to scan the fields (with 64 bits, one in ten).
type keySet [16]uint64

// keySlot is Fibonacci hashing: the top 10 bits of a multiplicative hash.
func keySlot(first, last byte, n int) uint32 {
	return (uint32(first)<<16 | uint32(last)<<8 | uint32(n)&0xff) * 0x9e3779b1 >> 22
}

func (s *keySet) add(first, last byte, n int) {
	h := keySlot(first, last, n)
	s[h>>6] |= 1 << (h & 63)
}

func (s *keySet) mayHave(first, last byte, n int) bool {
	h := keySlot(first, last, n)
	return s[h>>6]&(1<<(h&63)) != 0
}

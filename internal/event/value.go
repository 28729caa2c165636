package event

import (
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// Kind is the type of a Value.
type Kind uint8

// Kinds of Value. msgpack str and bin are both KindString.
const (
	KindNil Kind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindString
	KindMap
	KindArray
	KindExt
)

var kindNames = [...]string{
	KindNil:    "nil",
	KindBool:   "bool",
	KindInt:    "int",
	KindUint:   "uint",
	KindFloat:  "float",
	KindString: "string",
	KindMap:    "map",
	KindArray:  "array",
	KindExt:    "ext",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one msgpack object inside a chunk. The zero Value is nil.
type Value struct {
	raw []byte // the whole encoded object
}

// Kind reports the type of v.
func (v Value) Kind() Kind {
	if len(v.raw) == 0 {
		return KindNil
	}
	return kindOf(v.raw[0])
}

// Bytes returns the contents of a str or bin value, pointing into the chunk.
// It returns nil for any other kind.
func (v Value) Bytes() []byte {
	if v.Kind() != KindString {
		return nil
	}
	if isBin(v.raw[0]) {
		b, _, _ := msgp.ReadBytesZC(v.raw)
		return b
	}
	b, _, _ := msgp.ReadStringZC(v.raw)
	return b
}

// Int returns the value of an integer. Unsigned values above math.MaxInt64
// saturate. It returns 0 for any other kind.
func (v Value) Int() int64 {
	switch v.Kind() {
	case KindInt:
		i, _, _ := msgp.ReadInt64Bytes(v.raw)
		return i
	case KindUint:
		return int64(min(v.uint(), math.MaxInt64))
	default:
		return 0
	}
}

// Float returns the value of a float, or of an integer converted to float64.
// It returns 0 for any other kind.
func (v Value) Float() float64 {
	switch v.Kind() {
	case KindInt:
		return float64(v.Int())
	case KindUint:
		return float64(v.uint())
	case KindFloat:
		f, _, _ := msgp.ReadFloat64Bytes(v.raw)
		return f
	default:
		return 0
	}
}

// uint returns the value of an unsigned integer; Int, Float and AppendText
// convert it each their own way.
func (v Value) uint() uint64 {
	u, _, _ := msgp.ReadUint64Bytes(v.raw)
	return u
}

// Bool reports whether v is the boolean true.
func (v Value) Bool() bool {
	return len(v.raw) > 0 && v.raw[0] == 0xc3
}

// Map returns the map v holds, or an empty Map if v is not a map.
func (v Value) Map() Map {
	if v.Kind() != KindMap {
		return Map{}
	}
	n, entries, _ := msgp.ReadMapHeaderBytes(v.raw)
	return Map{entries: entries, n: int(n)}
}

// Array returns the array v holds, or an empty Array if v is not an array.
func (v Value) Array() Array {
	if v.Kind() != KindArray {
		return Array{}
	}
	n, elems, _ := msgp.ReadArrayHeaderBytes(v.raw)
	return Array{elems: elems, n: int(n)}
}

// AppendText appends a text form of v to dst: strings raw, numbers in
// decimal (floats as strconv 'g' with the shortest precision), booleans as
// true or false, nil as nothing, maps and arrays as compact JSON and ext
// values as the hex of their payload.
func (v Value) AppendText(dst []byte) []byte {
	switch v.Kind() {
	case KindString:
		return append(dst, v.Bytes()...)
	case KindMap, KindArray:
		return v.appendJSON(dst)
	case KindNil:
		return dst
	default:
		return v.appendScalar(dst)
	}
}

// appendScalar appends the text of a bool, number or ext value.
func (v Value) appendScalar(dst []byte) []byte {
	switch v.Kind() {
	case KindBool:
		return strconv.AppendBool(dst, v.Bool())
	case KindInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case KindUint:
		return strconv.AppendUint(dst, v.uint(), 10)
	case KindFloat:
		bits := 64
		if v.raw[0] == 0xca { // float32: print the digits it was written with
			bits = 32
		}
		return strconv.AppendFloat(dst, v.Float(), 'g', -1, bits)
	case KindExt:
		_, data, _ := readExt(v.raw)
		return hex.AppendEncode(dst, data)
	default:
		return dst
	}
}

// appendJSON appends v as compact JSON. Recursion is bounded by the nesting
// limit Decoder.Next enforces.
func (v Value) appendJSON(dst []byte) []byte {
	switch v.Kind() {
	case KindNil:
		return append(dst, "null"...)
	case KindString:
		return appendJSONString(dst, v.Bytes())
	case KindExt:
		dst = append(dst, '"')
		dst = v.appendScalar(dst)
		return append(dst, '"')
	case KindFloat:
		// JSON has no NaN or infinity.
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...)
		}
		return v.appendScalar(dst)
	case KindMap:
		return v.Map().AppendJSON(dst)
	case KindArray:
		dst = append(dst, '[')
		it := v.Array().Iter()
		for i := 0; it.Next(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = it.Value().appendJSON(dst)
		}
		return append(dst, ']')
	default:
		return v.appendScalar(dst)
	}
}

// AppendJSONString appends s as a JSON string, as AppendText writes the
// strings inside maps and arrays. Invalid UTF-8 becomes U+FFFD.
func AppendJSONString(dst, s []byte) []byte { return appendJSONString(dst, s) }

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does, so that the output is always valid JSON.
func appendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			dst = append(dst, `\u00`...)
			dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Map is a msgpack map inside a chunk, validated by Decoder.Next.
// The zero Map is empty.
type Map struct {
	entries []byte // starts at the first key; may run past the map's end
	n       int
}

// Iter returns an iterator over the entries of m, in encoded order.
func (m Map) Iter() MapIter {
	return MapIter{objs: objects{rest: m.entries, left: 2 * m.n}}
}

// AppendJSON appends m as a compact JSON object, like Value.AppendText does
// for a nested map.
func (m Map) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	it := m.Iter()
	for i := 0; it.Next(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, it.Key())
		dst = append(dst, ':')
		dst = it.Value().appendJSON(dst)
	}
	return append(dst, '}')
}

// MapIter iterates over the entries of a Map:
//
//	it := m.Iter()
//	for it.Next() {
//		use(it.Key(), it.Value())
//	}
type MapIter struct {
	objs       objects // keys and values in turn
	key, value []byte
	keyText    []byte // rendering of a key that is not str or bin
}

// Next advances to the next entry and reports whether there is one.
func (it *MapIter) Next() bool {
	// A pair per call, each object skipped here rather than through
	// objects.next: a call level less on the hottest loop of decoding.
	o := &it.objs
	if o.left < 2 {
		return false
	}
	valueStart, ok := skipObject(o.rest)
	if !ok {
		o.left = 0
		return false
	}
	end, ok := skipObject(valueStart)
	if !ok {
		o.left = 0
		return false
	}
	it.key = o.rest[:len(o.rest)-len(valueStart)]
	it.value = valueStart[:len(valueStart)-len(end)]
	o.rest, o.left = end, o.left-2
	return true
}

// Key returns the current entry's key. str and bin keys point into the chunk;
// other keys are rendered as by Value.AppendText into a buffer owned by the
// iterator (allocated on first use) and overwritten by the next call.
func (it *MapIter) Key() []byte {
	k := Value{raw: it.key}
	if k.Kind() == KindString {
		return k.Bytes()
	}
	it.keyText = k.AppendText(it.keyText[:0])
	return it.keyText
}

// KeyKind returns the kind of the current entry's key: Key of any other
// kind than KindString is overwritten by the next call.
func (it *MapIter) KeyKind() Kind { return Value{raw: it.key}.Kind() }

// Value returns the current entry's value.
func (it *MapIter) Value() Value { return Value{raw: it.value} }

// Array is a msgpack array inside a chunk, validated by Decoder.Next.
// The zero Array is empty.
type Array struct {
	elems []byte // starts at the first element; may run past the array's end
	n     int
}

// Iter returns an iterator over the elements of a.
func (a Array) Iter() ArrayIter {
	return ArrayIter{objs: objects{rest: a.elems, left: a.n}}
}

// ArrayIter iterates over the elements of an Array.
type ArrayIter struct {
	objs  objects
	value []byte
}

// Next advances to the next element and reports whether there is one.
func (it *ArrayIter) Next() bool {
	value, ok := it.objs.next()
	if ok {
		it.value = value
	}
	return ok
}

// Value returns the current element.
func (it *ArrayIter) Value() Value { return Value{raw: it.value} }

// objects walks the left msgpack objects at the start of rest, which
// Decoder.Next has validated.
type objects struct {
	rest []byte
	left int
}

// next returns the next object, or false after the last one (and for bytes
// that are not an object, which validation rules out).
func (o *objects) next() ([]byte, bool) {
	if o.left <= 0 {
		return nil, false
	}
	end, ok := skipObject(o.rest)
	if !ok {
		o.left = 0
		return nil, false
	}
	obj := o.rest[:len(o.rest)-len(end)]
	o.rest, o.left = end, o.left-1
	return obj, true
}

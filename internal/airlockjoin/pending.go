package airlockjoin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

// pending is a pending request or session in compact form: the fields of
// the records received so far, copied out of the caller's buffers into one
// allocation.
//
//	flags       1 byte: flagReady, flagExport
//	kinds       2 bytes, little endian: the kindSet of the components
//	components  in arrival order, each:
//	  kind      1 byte (an airlock.Kind, or kindUser)
//	  length    4 bytes, big endian: the bytes of the component after it
//	  time      varint: the record's event time, unix nanoseconds
//	  fields    known field: id (airlock.Field) 1 byte, uvarint length, value
//	            unknown field: 0xFF, uvarint key length, key, uvarint length, value
//
// Only the fields an output can show are kept: not the logger's envelope
// (program, pid, facility, log_cat, rcpt_id), not a log_id its kind implies,
// and not the fixed message texts: a message is kept only for blocks, block
// details, back-end errors and session ends, the only ones an output uses.
type pending []byte

const (
	flagReady  = 1 << 0 // the request or session is complete and waits to be emitted (Joiner.emitReady)
	flagExport = 1 << 1 // a component has an unknown field "_source" (see setExtra)

	headerLen = 3
	extraID   = 0xFF

	// maxPendingValue bounds one pending value. Airlock records keep a few
	// hundred bytes; a record that would make its request larger than this
	// is not joined but emitted alone, so that no value comes near the
	// snapshot's 1 MiB limit on a value.
	maxPendingValue = 64 << 10

	// valueHeader is what the table's entry holds for a value beyond the one
	// word correlate.EntryOverhead assumes: the rest of the slice header.
	valueHeader = 16
)

// kindUser is the component kind of a session's user learned from a later
// record: it holds one audit_token and stands for no record.
const kindUser airlock.Kind = 15

// kindSet is a set of component kinds, one bit per airlock.Kind.
type kindSet uint16

func bit(k airlock.Kind) kindSet { return 1 << (k & 15) }

func (s kindSet) has(k airlock.Kind) bool { return s&bit(k) != 0 }

// The kinds joined by req_id, and those of a session context.
const (
	requestKinds = kindSet(1<<airlock.KindConntrace | 1<<airlock.KindSummary | 1<<airlock.KindBlock |
		1<<airlock.KindBlockDetail | 1<<airlock.KindBackend | 1<<airlock.KindTLSSessionStart)
	sessionKinds = kindSet(1<<airlock.KindSessionStart | 1<<kindUser | 1<<airlock.KindSessionEnd)
	// blockingKinds make a request's WELF pri 4.
	blockingKinds = kindSet(1<<airlock.KindBlock | 1<<airlock.KindBlockDetail | 1<<airlock.KindBackend)
)

// Size reports the bytes the value retains: its array, allocated with
// slices.Grow so that its capacity is the allocator's size class, plus the
// part of the slice header the table's EntryOverhead does not cover.
func (p pending) Size() int { return cap(p) + valueHeader }

func (p pending) flags() byte {
	if len(p) < headerLen {
		return 0
	}
	return p[0]
}

func (p pending) ready() bool { return p.flags()&flagReady != 0 }

func (p pending) kinds() kindSet {
	if len(p) < headerLen {
		return 0
	}
	return kindSet(binary.LittleEndian.Uint16(p[1:3]))
}

// newPending returns a value holding one component of kind, with flags.
func newPending(component []byte, kind airlock.Kind, flags byte) pending {
	p := pending(slices.Grow([]byte(nil), headerLen+len(component)))
	p = append(p, 0, 0, 0)
	return p.with(component, kind, flags)
}

// with appends a component of kind and adds flags, growing p if needed: the
// result may not share p's array.
func (p pending) with(component []byte, kind airlock.Kind, flags byte) pending {
	p = slices.Grow(p, len(component))
	p = append(p, component...)
	p[0] |= flags
	binary.LittleEndian.PutUint16(p[1:3], uint16(p.kinds()|bit(kind)))
	return p
}

// sourceFlag returns flagExport if rec has an unknown field "_source".
func exportFlag(rec *airlock.Record) byte {
	for _, kv := range rec.Extra() {
		if string(kv.Key) == exportKey {
			return flagExport
		}
	}
	return 0
}

// exportKey is the key airlock.Record.Set takes for a Kibana export's
// document; see Joiner.setExtra.
const exportKey = "_source"

// fixedLogID returns the log_id a kind implies, for the kinds that are
// recognised by one exact log_id; "" for the others.
func fixedLogID(k airlock.Kind) string {
	switch k {
	case airlock.KindConntrace:
		return "WR-SG-CONNTRACE"
	case airlock.KindSummary:
		return "WR-SG-SUMMARY"
	case airlock.KindSessionStart:
		return "WR-SG-SESS-004"
	case airlock.KindTLSSessionStart:
		return "WR-SG-TLS-SESS-START"
	}
	return ""
}

// keeps reports whether field f of a record of kind is stored.
func keeps(f airlock.Field, kind airlock.Kind) bool {
	switch f {
	case airlock.FieldProgram, airlock.FieldPid, airlock.FieldFacility, airlock.FieldLogCat, airlock.FieldRcptID:
		return false
	case airlock.FieldMessage:
		return kind == airlock.KindBlock || kind == airlock.KindBlockDetail || kind == airlock.KindBackend ||
			kind == airlock.KindSessionEnd
	case airlock.FieldLogID:
		return fixedLogID(kind) == ""
	}
	return true
}

// appendComponent appends the component encoding of rec, a record of kind
// received at evTime.
func appendComponent(dst []byte, rec *airlock.Record, kind airlock.Kind, evTime time.Time) []byte {
	dst = append(dst, byte(kind), 0, 0, 0, 0)
	start := len(dst)
	dst = binary.AppendVarint(dst, unixNanos(evTime))
	for f := airlock.Field(0); f < airlock.NumFields; f++ {
		if v := rec.Get(f); v != nil && keeps(f, kind) {
			dst = append(dst, byte(f))
			dst = binary.AppendUvarint(dst, uint64(len(v)))
			dst = append(dst, v...)
		}
	}
	for _, kv := range rec.Extra() {
		dst = append(dst, extraID)
		dst = binary.AppendUvarint(dst, uint64(len(kv.Key)))
		dst = append(dst, kv.Key...)
		dst = binary.AppendUvarint(dst, uint64(len(kv.Value)))
		dst = append(dst, kv.Value...)
	}
	// A record too large for the length is too large to be kept anyway.
	binary.BigEndian.PutUint32(dst[start-4:start], uint32(min(len(dst)-start, math.MaxUint32)))
	return dst
}

// appendUserComponent appends a kindUser component holding user.
func appendUserComponent(dst []byte, user []byte, evTime time.Time) []byte {
	dst = append(dst, byte(kindUser), 0, 0, 0, 0)
	start := len(dst)
	dst = binary.AppendVarint(dst, unixNanos(evTime))
	dst = append(dst, byte(airlock.FieldAuditToken))
	dst = binary.AppendUvarint(dst, uint64(len(user)))
	dst = append(dst, user...)
	binary.BigEndian.PutUint32(dst[start-4:start], uint32(min(len(dst)-start, math.MaxUint32)))
	return dst
}

// component is one decoded component. fields is its encoded field list.
type component struct {
	kind   airlock.Kind
	time   int64
	fields []byte
}

// records returns how many input records the component stands for.
func (c component) records() int {
	if c.kind == kindUser {
		return 0
	}
	return 1
}

// eventTime returns the component's event time, the zero time if none was
// known.
func (c component) eventTime() time.Time {
	if c.time == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, c.time).UTC()
}

// field returns the value of f in the component, or nil.
func (c component) field(f airlock.Field) []byte {
	r := fieldReader{b: c.fields}
	for {
		id, _, val, ok := r.next()
		if !ok {
			return nil
		}
		if id == byte(f) {
			return val
		}
	}
}

// latestTime returns the latest event time of p's components in unix
// nanoseconds, math.MinInt64 if none is known.
func latestTime(p pending) int64 {
	latest := int64(math.MinInt64)
	r := p.componentReader()
	for c, ok := r.next(); ok; c, ok = r.next() {
		latest = max(latest, c.time)
	}
	return latest
}

// componentReader reads the components of a value.
type componentReader struct {
	b   []byte
	bad bool // the value was malformed, which only a damaged snapshot could make it
}

func (p pending) componentReader() componentReader {
	if len(p) < headerLen {
		return componentReader{bad: true}
	}
	return componentReader{b: p[headerLen:]}
}

// next returns the next component. ok is false at the end or on malformed
// input (then r.bad is set).
func (r *componentReader) next() (c component, ok bool) {
	if len(r.b) == 0 {
		return component{}, false
	}
	if len(r.b) < 5 || uint64(binary.BigEndian.Uint32(r.b[1:5])) > uint64(len(r.b)-5) {
		r.bad, r.b = true, nil
		return component{}, false
	}
	c.kind = airlock.Kind(r.b[0])
	end := 5 + int(binary.BigEndian.Uint32(r.b[1:5]))
	body := r.b[5:end]
	var n int
	if c.time, n = binary.Varint(body); n <= 0 {
		r.bad, r.b = true, nil
		return component{}, false
	}
	c.fields = body[n:]
	r.b = r.b[end:]
	return c, true
}

// fieldReader reads the fields of a component.
type fieldReader struct {
	b   []byte
	bad bool // the fields were malformed
}

// next returns the next field: a known field's id and value, or extraID
// and an unknown field's key and value. ok is false at the end or on
// malformed input (then r.bad is set).
func (r *fieldReader) next() (id byte, key, val []byte, ok bool) {
	if len(r.b) == 0 {
		return 0, nil, nil, false
	}
	id = r.b[0]
	rest := r.b[1:]
	if id == extraID {
		key, rest, ok = lengthPrefixed(rest)
	} else {
		ok = airlock.Field(id) < airlock.NumFields
	}
	if ok {
		val, rest, ok = lengthPrefixed(rest)
	}
	if !ok {
		r.bad, r.b = true, nil
		return 0, nil, nil, false
	}
	r.b = rest
	return id, key, val, true
}

// lengthPrefixed splits b after a uvarint length and that many bytes.
func lengthPrefixed(b []byte) (val, rest []byte, ok bool) {
	if len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
		// Most values are shorter than 128 bytes: one byte of length.
		end := 1 + int(b[0])
		return b[1:end:end], b[end:], true
	}
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return nil, nil, false
	}
	end := n + int(size)
	return b[n:end:end], b[end:], true
}

// errMalformed is the error of validate.
var errMalformed = errors.New("malformed pending value")

// validate checks that b is a well-formed value whose components are of
// the kinds allowed, each at most once, with the header matching them and
// at least one of the kinds required.
func validate(b []byte, allowed, required kindSet) error {
	p := pending(b)
	if len(p) < headerLen || len(p) > headerLen+maxPendingValue {
		return fmt.Errorf("%w: length %d", errMalformed, len(p))
	}
	if p[0]&^(flagExport|flagReady) != 0 {
		return fmt.Errorf("%w: flags %#x", errMalformed, p[0])
	}
	var seen kindSet
	var source byte
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		switch {
		case c.kind > 15 || !allowed.has(c.kind):
			return fmt.Errorf("%w: component kind %d", errMalformed, c.kind)
		case seen.has(c.kind):
			return fmt.Errorf("%w: component kind %d twice", errMalformed, c.kind)
		}
		seen |= bit(c.kind)
		fr := fieldReader{b: c.fields}
		for {
			id, key, _, ok := fr.next()
			if !ok {
				break
			}
			// An empty key is valid JSON, and a record keeps it.
			if id == extraID && string(key) == exportKey {
				source = flagExport
			}
		}
		if fr.bad {
			return fmt.Errorf("%w: component kind %d: bad field", errMalformed, c.kind)
		}
	}
	switch {
	case r.bad:
		return fmt.Errorf("%w: bad component", errMalformed)
	case seen != p.kinds():
		return fmt.Errorf("%w: components of kinds %#x, header says %#x", errMalformed, seen, p.kinds())
	case seen&required == 0:
		return fmt.Errorf("%w: no component of kinds %#x", errMalformed, required)
	case p[0]&flagExport != source:
		return fmt.Errorf("%w: flags %#x do not match the fields", errMalformed, p[0])
	}
	return nil
}

// own returns a copy of b in an allocation of its own, for a value decoded
// from a buffer that is about to be reused.
func own(b []byte) pending {
	return append(pending(slices.Grow([]byte(nil), len(b))), b...)
}

// unixNanos is t in unix nanoseconds; the zero time, and times outside the
// int64 range, map to MinInt64 ("unknown") or are saturated.
func unixNanos(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Before(minNanosTime):
		return math.MinInt64
	case t.After(maxNanosTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanosTime = time.Unix(0, math.MinInt64+1)
	maxNanosTime = time.Unix(0, math.MaxInt64)
)

package airlock

import (
	"bytes"
	"time"
)

const (
	// MaxExtra bounds the unknown fields a Record keeps. Airlock messages have
	// none or few; the bound keeps hostile input from making Set quadratic and
	// the WELF record unbounded. Further unknown fields are counted, not kept.
	MaxExtra = 64

	// maxKeptArena is the largest arena (or scratch buffer) Reset keeps for
	// reuse, so that one huge message does not pin its memory for the life
	// of the Record.
	maxKeptArena = 64 << 10
	// minArena is the smallest arena started.
	minArena = 256
)

// KV is an unknown field: its JSON key and its value.
type KV struct{ Key, Value []byte }

// Record is the decoded field set of one Airlock message. The zero value is an empty record ready to use.
//
// A Record is not safe for concurrent use. Reuse it (Reset, or ParseLine
// which resets) rather than allocating one per message.
type Record struct {
	values  [NumFields][]byte
	extra   []KV
	dropped int // unknown fields not kept because MaxExtra was reached

	// fromSource is set once the _source document of a Kibana export has
	// been read: the remaining envelope keys are no fields of it.
	fromSource bool

	// arena holds the bytes the record owns: unescaped strings and captured
	// non-string values. Values are slices of it. It is never written below
	// its length, so those slices stay intact; when it is too small a new
	// one is started and the old array lives on for as long as values point
	// into it.
	arena []byte

	scratch  []byte   // WriteWELF's reused buffer for composed values
	redactor redactor // WriteWELF writes through it
	canon    []byte   // the parser's buffer for a nested value's canonical text
	keys     []string // sanitized unknown keys already converted to strings

	// The last non-UTC zone Time built, reused while the offset repeats.
	zone       *time.Location
	zoneOffset int

	// Time's last result and the @timestamp text it is for.
	timeText   []byte
	timeValue  time.Time
	timeOK     bool
	timeCached bool
}

// Reset empties the record, keeping its buffers for reuse.
func (r *Record) Reset() {
	r.values = [NumFields][]byte{}
	clear(r.extra) // do not let stale entries keep the caller's buffers alive
	r.extra = r.extra[:0]
	r.dropped = 0
	r.fromSource = false
	if cap(r.arena) > maxKeptArena {
		r.arena = nil
	} else {
		r.arena = r.arena[:0]
	}
	if cap(r.scratch) > maxKeptArena {
		r.scratch = nil
	}
	if cap(r.redactor.buf) > maxKeptArena {
		r.redactor.buf = nil
	}
	if cap(r.canon) > maxKeptArena {
		r.canon = nil
	}
}

// Set stores one field as it came from a decoded map. The value is kept by
// reference, not copied. "<n/a>", "-" and the empty value mean absent: they
// set nothing and remove nothing. Unknown keys are kept in Extra in arrival
// order.
//
// No value is lost to a key that repeats (JSON allows it, and Fluent Bit's
// json parser keeps both members): for a known field the last value is the
// field's and each earlier, different value is kept in Extra under the same
// key; an unknown key that repeats with another value is kept again. A pair
// repeated with the same value is one field.
//
// The key "_source" marks a Kibana export: the fields of its value, the
// JSON text of the exported document, make the record; the other members
// of the export, before and after it, are kept as unknown fields, but for
// Elasticsearch's own (_index, _id, fields …, see isExportMeta). If that
// text is not a valid JSON object, the record keeps it as the unknown
// field "_source" instead, so that the failure shows downstream rather
// than vanishing.
func (r *Record) Set(key, val []byte) {
	if r.fromSource {
		if !isExportMeta(key) {
			r.SetExtra(key, val)
		}
		return
	}
	if string(key) == "_source" {
		if err := r.setSource(val); err == nil {
			return
		}
	}
	r.set(key, val)
}

// SetExtra stores an unknown field as it is, even under the key of a known
// field: for a joiner that copies a record's Extra (an earlier value of a
// repeated key, see Set) into another record. Like Set it ignores an absent
// value and a pair the record already has.
func (r *Record) SetExtra(key, val []byte) {
	if !isAbsent(val) {
		r.setExtra(key[:len(key):len(key)], val[:len(val):len(val)])
	}
}

// set stores one field without the export handling of Set.
func (r *Record) set(key, val []byte) {
	if isAbsent(val) {
		return
	}
	val = val[:len(val):len(val)] // appending to a Get result must not clobber its neighbours
	key = key[:len(key):len(key)]
	if f, ok := LookupField(key); ok {
		if old := r.values[f]; old != nil && !bytes.Equal(old, val) {
			r.setExtra(key, old)
		}
		r.values[f] = val
		return
	}
	r.setExtra(key, val)
}

// setExtra appends an unknown field unless the record has the same pair.
func (r *Record) setExtra(key, val []byte) {
	for i := range r.extra {
		if bytes.Equal(r.extra[i].Key, key) && bytes.Equal(r.extra[i].Value, val) {
			return
		}
	}
	if len(r.extra) >= MaxExtra {
		r.dropped++
		return
	}
	r.extra = append(r.extra, KV{Key: key, Value: val})
}

func isAbsent(val []byte) bool {
	switch string(val) {
	case "", "<n/a>", "-":
		return true
	}
	return false
}

// Get returns the value of f, or nil when it is absent. The bytes must not
// be modified: they belong to the record or to the caller's buffer.
func (r *Record) Get(f Field) []byte {
	if f >= NumFields {
		return nil
	}
	return r.values[f]
}

// Has reports whether f is present.
func (r *Record) Has(f Field) bool { return r.Get(f) != nil }

// parseInt parses a decimal integer that fits an int64 (ports, sizes,
// status, pid, lifetime, error_code, rcpt_id).
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case !neg && n <= 1<<63-1:
		return int64(n), true
	case neg && n <= 1<<63:
		return -int64(n-1) - 1, true
	}
	return 0, false
}

// Extra returns the unknown fields in arrival order. The slice is the
// record's own and valid until the next change to the record.
func (r *Record) Extra() []KV { return r.extra }

// Kind classifies the record by its log_id.
func (r *Record) Kind() Kind { return kindOf(r.values[FieldLogID]) }

// Severity maps priority, a syslog level name (or a digit 0-7), to the
// syslog severity 0 (emerg) .. 7 (debug). ok is false when priority is
// absent or unknown.
func (r *Record) Severity() (sev int, ok bool) {
	v := r.values[FieldPriority]
	if len(v) == 1 && v[0] >= '0' && v[0] <= '7' {
		return int(v[0] - '0'), true
	}
	var lower [len("warning")]byte
	if len(v) > len(lower) {
		return 0, false
	}
	for i, c := range v {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	switch string(lower[:len(v)]) {
	case "emerg", "panic":
		return 0, true
	case "alert":
		return 1, true
	case "crit":
		return 2, true
	case "err", "error":
		return 3, true
	case "warning", "warn":
		return 4, true
	case "notice":
		return 5, true
	case "info":
		return 6, true
	case "debug":
		return 7, true
	}
	return 0, false
}

// reserve makes room for n more arena bytes. A full arena is not copied:
// values keep pointing into the old array, which stays valid and unchanged,
// and new bytes go to a new one.
func (r *Record) reserve(n int) {
	if cap(r.arena)-len(r.arena) >= n {
		return
	}
	r.arena = make([]byte, 0, max(2*cap(r.arena), n, minArena))
}

// clearFields drops every field. Unlike Reset it keeps the arena as it is:
// the parser calling it has already reserved room there for what follows.
func (r *Record) clearFields() {
	r.values = [NumFields][]byte{}
	clear(r.extra)
	r.extra = r.extra[:0]
	r.dropped = 0
}

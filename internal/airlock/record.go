package airlock

import (
	"bytes"
	"slices"
	"time"
	"unsafe"
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
	// minArena is the smallest arena started for copies (Merge, Own).
	minArena = 256
)

// KV is an unknown field: its JSON key and its value.
type KV struct{ Key, Value []byte }

// Record is the decoded field set of one Airlock message, or of several
// messages merged into one. The zero value is an empty record ready to use.
//
// A Record is not safe for concurrent use. Reuse it (Reset, or ParseLine
// which resets) rather than allocating one per message.
type Record struct {
	values  [NumFields][]byte
	extra   []KV
	dropped int // unknown fields not kept because MaxExtra was reached

	// fromSource is set once the _source document of a Kibana export has
	// been read: the remaining envelope keys must not be mixed into it.
	fromSource bool

	// arena holds the bytes the record owns: unescaped strings, captured
	// non-string values, and everything Own, Merge copy. Values are slices of
	// it. It is never written below its length, so those slices stay intact;
	// when it is too small a new one is started and the old array lives on
	// for as long as values point into it (counted in oldArenas).
	arena     []byte
	oldArenas int

	scratch  []byte   // WriteWELF's reused buffer for composed values
	redactor redactor // WriteWELF writes through it
	canon    []byte   // the parser's buffer for a nested value's canonical text
	keys     []string // sanitized unknown keys already converted to strings

	// The last non-UTC zone Time built, reused while the offset repeats.
	zone       *time.Location
	zoneOffset int
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
	r.oldArenas = 0
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
// reference, not copied. "<n/a>", "-" and the empty value mean absent. A key
// that is set again replaces the earlier value (last wins); setting it absent
// removes it. Unknown keys are kept in Extra in arrival order.
//
// The key "_source" marks a Kibana export: its value, the JSON text of the
// exported document, replaces everything set so far, and Set ignores every
// later key of the export envelope. If that text is not a valid JSON object,
// the record keeps it as the unknown field "_source" instead (the keys set
// before are gone all the same), so that the failure shows downstream
// rather than vanishing.
func (r *Record) Set(key, val []byte) {
	if r.fromSource {
		return
	}
	if string(key) == "_source" {
		if err := r.setSource(val); err == nil {
			return
		}
	}
	r.set(key, val)
}

// set stores one field without the export handling of Set.
func (r *Record) set(key, val []byte) {
	if isAbsent(val) {
		val = nil
	} else {
		val = val[:len(val):len(val)] // appending to a Get result must not clobber its neighbours
	}
	if f, ok := LookupField(key); ok {
		r.values[f] = val
		return
	}
	r.setExtra(key[:len(key):len(key)], val)
}

func (r *Record) setExtra(key, val []byte) {
	for i := range r.extra {
		if bytes.Equal(r.extra[i].Key, key) {
			if val == nil {
				r.extra = slices.Delete(r.extra, i, i+1)
			} else {
				r.extra[i].Value = val
			}
			return
		}
	}
	if val == nil {
		return
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

// Int returns the value of f as a decimal integer (ports, sizes, status, pid,
// lifetime, error_code, rcpt_id). ok is false when f is absent or its value
// is not an integer that fits an int64.
func (r *Record) Int(f Field) (n int64, ok bool) {
	return parseInt(r.Get(f))
}

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

// ExtraDropped returns how many unknown fields were not kept because the
// record already held MaxExtra of them.
func (r *Record) ExtraDropped() int { return r.dropped }

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

// Merge copies into r every field that is present in other and absent in r,
// unknown fields included. The copied bytes go to r's arena, so r never
// refers to other's memory: merging a record that points into a chunk into
// an owned one keeps the latter self-contained.
func (r *Record) Merge(other *Record) {
	if other == nil || other == r {
		return
	}
	for f, v := range other.values {
		if v != nil && r.values[f] == nil {
			r.values[f] = r.keep(v)
		}
	}
	for _, kv := range other.extra {
		if r.extraIndex(kv.Key) >= 0 {
			continue
		}
		if len(r.extra) >= MaxExtra {
			r.dropped++
			continue
		}
		r.extra = append(r.extra, KV{Key: r.keep(kv.Key), Value: r.keep(kv.Value)})
	}
	r.dropped += other.dropped
}

func (r *Record) extraIndex(key []byte) int {
	for i := range r.extra {
		if bytes.Equal(r.extra[i].Key, key) {
			return i
		}
	}
	return -1
}

// Own copies every value the record refers to into its own arena, so that
// it stays valid after the caller's buffers (chunk, line) are reused. Use it
// before keeping a record beyond the current chunk.
func (r *Record) Own() {
	need := 0
	for _, v := range r.values {
		need += len(v)
	}
	for _, kv := range r.extra {
		need += len(kv.Key) + len(kv.Value)
	}
	if cap(r.arena)-len(r.arena) < need {
		// Everything is copied below, so exactly need bytes suffice and the
		// old arenas become garbage once the values point here.
		r.arena = make([]byte, 0, need)
	}
	for f, v := range r.values {
		if v != nil {
			r.values[f] = r.keep(v)
		}
	}
	for i, kv := range r.extra {
		r.extra[i] = KV{Key: r.keep(kv.Key), Value: r.keep(kv.Value)}
	}
	r.oldArenas = 0
}

// recordOverhead is the fixed size of a Record.
const recordOverhead = int(unsafe.Sizeof(Record{}))

// Size approximates the bytes the record retains, for memory accounting:
// the record itself, its arenas, its unknown-field table and scratch buffers.
// Caller memory that values point to before Own is not counted.
func (r *Record) Size() int {
	return recordOverhead + cap(r.arena) + r.oldArenas +
		cap(r.extra)*int(unsafe.Sizeof(KV{})) + cap(r.scratch) + cap(r.canon) + cap(r.redactor.buf)
}

// keep copies b into the arena and returns the copy (nil for nil).
func (r *Record) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	r.reserve(len(b))
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return r.arena[start:len(r.arena):len(r.arena)]
}

// reserve makes room for n more arena bytes. A full arena is not copied:
// values keep pointing into the old array, which stays valid and unchanged,
// and new bytes go to a new one.
func (r *Record) reserve(n int) {
	if cap(r.arena)-len(r.arena) >= n {
		return
	}
	if len(r.arena) > 0 {
		r.oldArenas += cap(r.arena)
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

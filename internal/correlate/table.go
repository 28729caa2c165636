package correlate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Value is what a pending entry holds; the domain layer defines it.
type Value interface {
	// Size returns the approximate number of bytes the value retains. The
	// table adds its own per-entry cost (EntryOverhead plus the key length).
	// Size must be safe to call on every value passed to the table.
	Size() int
}

// EntryOverhead is the number of bytes the table charges each entry, on top
// of its key length and its value's Size, for its own bookkeeping: the map
// slot, the entry record with its list links, size and update time, and the
// rounding of the key's allocation. It is the average BenchmarkEntryMemory
// measures; the real figure moves between about 85 and 125 bytes with the
// map's load factor.
const EntryOverhead = 104

// Reason says why an entry was evicted rather than completed.
type Reason uint8

// The eviction reasons; String gives the text used in partial=<reason>.
const (
	ReasonTimeout Reason = iota + 1
	ReasonPressure
	ReasonShutdown
)

func (r Reason) String() string {
	switch r {
	case ReasonTimeout:
		return "timeout"
	case ReasonPressure:
		return "pressure"
	case ReasonShutdown:
		return "shutdown"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Config bounds a Table. All fields must be positive.
type Config struct {
	Timeout    time.Duration // evict an entry not updated for longer than this
	MaxEntries int           // most entries pending at once
	MaxBytes   int64         // most bytes pending at once: the sum of Size, key lengths and EntryOverhead
}

func (c Config) validate() error {
	switch {
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %v is not positive", c.Timeout)
	case c.MaxEntries <= 0:
		return fmt.Errorf("max entries %d is not positive", c.MaxEntries)
	case c.MaxBytes <= 0:
		return fmt.Errorf("max bytes %d is not positive", c.MaxBytes)
	}
	return nil
}

// NonNegative returns an error naming setting if v is negative. The
// joiners' configs, from which they build a Config, take 0 for a default
// and refuse less.
func NonNegative[T ~int | ~int64](setting string, v T) error {
	if v < 0 {
		return fmt.Errorf("%s %v is negative", setting, v)
	}
	return nil
}

// entry is one pending value. Entries form an intrusive doubly linked list
// ordered by update time, oldest first.
type entry[V Value] struct {
	key        string
	value      V
	prev, next *entry[V]
	updated    int64 // unix nanoseconds; smaller than time.Time, and totally ordered
	size       int64 // bytes charged to the table for this entry
}

// Table is a keyed set of pending entries, kept in order of last update and
// bounded by a Config. It is not safe for concurrent use.
type Table[V Value] struct {
	cfg     Config
	evict   func(key string, v V, why Reason)
	entries map[string]*entry[V]
	root    entry[V] // list sentinel: root.next is the oldest entry, root.prev the newest
	bytes   int64
	latest  int64 // latest time seen, unix nanoseconds
	evicted [ReasonShutdown + 1]uint64
}

// NewTable returns an empty table bounded by cfg. The table calls evict for
// every entry it removes other than through Delete; by the time evict runs,
// the entry is no longer in the table.
func NewTable[V Value](cfg Config, evict func(key string, v V, why Reason)) (*Table[V], error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("correlate: invalid config: %w", err)
	}
	if evict == nil {
		return nil, errors.New("correlate: nil evict callback")
	}
	t := &Table[V]{
		cfg:     cfg,
		evict:   evict,
		entries: make(map[string]*entry[V]),
		latest:  math.MinInt64,
	}
	t.root.prev, t.root.next = &t.root, &t.root
	return t, nil
}

// Get returns the value pending under key.
func (t *Table[V]) Get(key []byte) (V, bool) {
	e, ok := t.entries[string(key)] // the compiler does not allocate for this conversion
	if !ok {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put stores v under key at time now, replacing any value pending there
// (without evicting it) and making the entry the most recently updated. If
// the table then exceeds its caps, Put evicts the oldest entries with
// ReasonPressure until it does not: this never evicts the entry just put
// unless it alone exceeds MaxBytes, in which case it is evicted too.
func (t *Table[V]) Put(key []byte, v V, now time.Time) {
	e, ok := t.entries[string(key)]
	if !ok {
		e = &entry[V]{key: string(key)}
		t.entries[e.key] = e
		t.pushBack(e)
	}
	e.value = v
	t.touch(e, now)
	t.relieve()
}

// Update records that the caller changed the value under key in place at time
// now: the entry's size is recounted and it becomes the most recently
// updated. Like Put, it then evicts for pressure if needed. Update reports
// whether key was pending.
func (t *Table[V]) Update(key []byte, now time.Time) bool {
	e, ok := t.entries[string(key)]
	if !ok {
		return false
	}
	t.touch(e, now)
	t.relieve()
	return true
}

// Delete removes the value under key without evicting it: the caller has
// completed it.
func (t *Table[V]) Delete(key []byte) (V, bool) {
	e, ok := t.entries[string(key)]
	if !ok {
		var zero V
		return zero, false
	}
	t.remove(e)
	return e.value, true
}

// Advance evicts, oldest first and with ReasonTimeout, every entry not
// updated for longer than the timeout at time now. Its cost is proportional
// to the number of entries evicted.
func (t *Table[V]) Advance(now time.Time) {
	ts := t.observe(now)
	cutoff := ts - int64(t.cfg.Timeout)
	if cutoff > ts { // ts - Timeout wrapped around below math.MinInt64
		return
	}
	for e := t.root.next; e != &t.root && e.updated < cutoff; e = t.root.next {
		t.evictEntry(e, ReasonTimeout)
	}
}

// Drain evicts every entry, oldest first, with reason why; at shutdown that
// is ReasonShutdown.
func (t *Table[V]) Drain(why Reason) {
	// Bounded by the entries present now, in case evict breaks the rule and
	// puts new ones.
	for n := len(t.entries); n > 0 && t.root.next != &t.root; n-- {
		t.evictEntry(t.root.next, why)
	}
}

// Len returns the number of pending entries.
func (t *Table[V]) Len() int { return len(t.entries) }

// Bytes returns the bytes charged for the pending entries.
func (t *Table[V]) Bytes() int64 { return t.bytes }

// Evicted returns how many entries the table has evicted with reason why.
func (t *Table[V]) Evicted(why Reason) uint64 {
	if int(why) >= len(t.evicted) {
		return 0
	}
	return t.evicted[why]
}

// Range calls fn for each pending entry, oldest first, until fn returns
// false. fn must not modify the table.
func (t *Table[V]) Range(fn func(key string, v V, updated time.Time) bool) {
	for e := t.root.next; e != &t.root; e = e.next {
		if !fn(e.key, e.value, time.Unix(0, e.updated)) {
			return
		}
	}
}

// observe folds now into the latest time seen and returns the time to use,
// which is never earlier than any seen before.
func (t *Table[V]) observe(now time.Time) int64 {
	if ts := unixNanos(now); ts > t.latest {
		t.latest = ts
	}
	return t.latest
}

// touch stamps e with now, moves it to the back of the list and recounts its
// size.
func (t *Table[V]) touch(e *entry[V], now time.Time) {
	e.updated = t.observe(now)
	if t.root.prev != e {
		t.unlink(e)
		t.pushBack(e)
	}
	size := int64(EntryOverhead) + int64(len(e.key))
	if s := e.value.Size(); s > 0 {
		size += int64(s)
	}
	t.bytes += size - e.size
	e.size = size
}

// relieve evicts the oldest entries while the table exceeds a cap.
func (t *Table[V]) relieve() {
	for (len(t.entries) > t.cfg.MaxEntries || t.bytes > t.cfg.MaxBytes) && t.root.next != &t.root {
		t.evictEntry(t.root.next, ReasonPressure)
	}
}

func (t *Table[V]) evictEntry(e *entry[V], why Reason) {
	t.remove(e)
	if int(why) < len(t.evicted) {
		t.evicted[why]++
	}
	t.evict(e.key, e.value, why)
}

func (t *Table[V]) remove(e *entry[V]) {
	delete(t.entries, e.key)
	t.unlink(e)
	t.bytes -= e.size
}

func (t *Table[V]) pushBack(e *entry[V]) {
	last := t.root.prev
	e.prev, e.next = last, &t.root
	last.next = e
	t.root.prev = e
}

func (t *Table[V]) unlink(e *entry[V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

// The range of times whose unix nanoseconds fit in an int64.
var (
	minNanosTime = time.Unix(0, math.MinInt64)
	maxNanosTime = time.Unix(0, math.MaxInt64)
)

// unixNanos is t.UnixNano saturated at the int64 limits, so that a wild
// event time (year 1 or 9999) cannot wrap around and reorder entries.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanosTime):
		return math.MinInt64
	case t.After(maxNanosTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

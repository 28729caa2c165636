package airlockjoin

import (
	"hash/maphash"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

// emitted remembers the IDs of the most recently emitted requests (or
// sessions), each with the kinds of records it was emitted with, so that a
// record coming again can be told from one arriving late. It holds at most
// a fixed number of IDs: adding one more forgets the oldest.
//
// It does what correlate.Recent does, but keeps one entry per ID with its
// kinds as a bit set instead of one entry per (ID, kind), and keeps a
// 64-bit hash of the ID instead of the ID: about 26 bytes per ID instead
// of 90, and no string to allocate or to compare. Two of the remembered
// IDs share a hash with a probability below 10^-9 at 100,000 IDs; the
// cost of it would be a record taken for a duplicate or an orphan.
//
// For each (ID, kind) it also keeps a hash of the record's kept fields, so
// that only the same record coming again is a duplicate: a different one
// with a reused or colliding ID is not hidden (about 20 bytes per record).
type emitted struct {
	seed     maphash.Seed
	capacity int
	ring     []uint64 // hashes in the order added, growing up to capacity
	next     int      // once ring is full, the index of the oldest
	kinds    map[uint64]kindSet
	records  map[uint64]uint64 // recordKey(ID hash, kind) → hash of the fields
}

// newEmitted returns an empty set. Its memory grows with use, not up front:
// most Joiners never see capacity requests.
func newEmitted(capacity int) *emitted {
	return &emitted{seed: maphash.MakeSeed(), capacity: capacity, kinds: make(map[uint64]kindSet), records: make(map[uint64]uint64)}
}

// lookup returns the kinds id was emitted with, if it is remembered.
func (e *emitted) lookup(id []byte) (kindSet, bool) {
	k, ok := e.kinds[maphash.Bytes(e.seed, id)]
	return k, ok
}

// add records that id was emitted with kinds, in addition to those it
// already was emitted with.
func (e *emitted) add(id []byte, kinds kindSet) {
	h := maphash.Bytes(e.seed, id)
	if old, ok := e.kinds[h]; ok {
		e.kinds[h] = old | kinds
		return
	}
	e.insert(h, kinds)
}

func (e *emitted) insert(h uint64, kinds kindSet) {
	if e.capacity <= 0 {
		return
	}
	if len(e.ring) < e.capacity {
		e.ring = append(e.ring, h)
	} else {
		old := e.ring[e.next]
		for k, kinds := airlock.Kind(0), e.kinds[old]; kinds != 0; k, kinds = k+1, kinds>>1 {
			if kinds&1 != 0 {
				delete(e.records, recordKey(old, k))
			}
		}
		delete(e.kinds, old)
		e.ring[e.next] = h
		e.next = (e.next + 1) % len(e.ring)
	}
	e.kinds[h] = kinds
}

// recordKey is the key of the record of kind of the ID hashed to h.
func recordKey(h uint64, kind airlock.Kind) uint64 {
	return h ^ (uint64(kind)+1)*0x9e3779b97f4a7c15
}

// noteRecord remembers the kept fields of the record of kind that id, which
// is remembered, was emitted with; the first such record stays.
func (e *emitted) noteRecord(id []byte, kind airlock.Kind, fields []byte) {
	e.noteRecordHash(maphash.Bytes(e.seed, id), kind, fields)
}

func (e *emitted) noteRecordHash(h uint64, kind airlock.Kind, fields []byte) {
	if _, ok := e.kinds[h]; !ok {
		return // not remembered (capacity 0)
	}
	key := recordKey(h, kind)
	if _, ok := e.records[key]; !ok {
		e.records[key] = maphash.Bytes(e.seed, fields)
	}
}

// sameRecord reports whether id was emitted with a record of kind whose
// kept fields are fields.
func (e *emitted) sameRecord(id []byte, kind airlock.Kind, fields []byte) bool {
	sum, ok := e.records[recordKey(maphash.Bytes(e.seed, id), kind)]
	return ok && sum == maphash.Bytes(e.seed, fields)
}

// insertNewOutput records that id, which is not remembered, was emitted
// with the records of p.
func (e *emitted) insertNewOutput(id string, kinds kindSet, p pending) {
	h := maphash.String(e.seed, id)
	e.insert(h, kinds)
	for r := p.componentReader(); ; {
		c, ok := r.next()
		if !ok {
			return
		}
		if c.kind != kindUser && kinds.has(c.kind) { // forgotten with the kinds of id
			e.noteRecordHash(h, c.kind, c.fields)
		}
	}
}

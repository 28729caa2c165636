package airlockjoin

import "hash/maphash"

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
type emitted struct {
	seed     maphash.Seed
	capacity int
	ring     []uint64 // hashes in the order added, growing up to capacity
	next     int      // once ring is full, the index of the oldest
	kinds    map[uint64]kindSet
}

// newEmitted returns an empty set. Its memory grows with use, not up front:
// most Joiners never see capacity requests.
func newEmitted(capacity int) *emitted {
	return &emitted{seed: maphash.MakeSeed(), capacity: capacity, kinds: make(map[uint64]kindSet)}
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

// insertNew records that id, which is not remembered, was emitted with
// kinds. It spares add's lookup where the caller knows: a request or
// session is pending only while its ID is not remembered.
func (e *emitted) insertNew(id string, kinds kindSet) {
	e.insert(maphash.String(e.seed, id), kinds)
}

func (e *emitted) insert(h uint64, kinds kindSet) {
	if e.capacity <= 0 {
		return
	}
	if len(e.ring) < e.capacity {
		e.ring = append(e.ring, h)
	} else {
		delete(e.kinds, e.ring[e.next])
		e.ring[e.next] = h
		e.next = (e.next + 1) % len(e.ring)
	}
	e.kinds[h] = kinds
}

package correlate

// Recent is a set of the most recently added keys, holding at most a fixed
// number: adding one more forgets the oldest. It is not safe for concurrent
// use.
type Recent struct {
	ring []string // keys in the order added; fixed capacity
	next int      // once ring is full, the index of the oldest key
	set  map[string]struct{}
}

// NewRecent returns an empty set that remembers up to capacity keys. A
// capacity of zero or less remembers nothing.
func NewRecent(capacity int) *Recent {
	capacity = max(capacity, 0)
	return &Recent{
		ring: make([]string, 0, capacity),
		set:  make(map[string]struct{}, capacity),
	}
}

// Add remembers key, forgetting the oldest key if the set is full. Adding a
// key already remembered changes nothing, not even its age: a key is
// forgotten capacity additions after it was first added.
func (r *Recent) Add(key []byte) {
	if cap(r.ring) == 0 {
		return
	}
	if _, ok := r.set[string(key)]; ok {
		return
	}
	k := string(key)
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, k)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % len(r.ring)
	}
	r.set[k] = struct{}{}
}

// Contains reports whether key is remembered.
func (r *Recent) Contains(key []byte) bool {
	_, ok := r.set[string(key)]
	return ok
}

package event

// MapLen and ArrayLen are the entry counts of the msgpack headers, for
// tests that check iteration yields all of them.
func MapLen(m Map) int     { return m.n }
func ArrayLen(a Array) int { return a.n }

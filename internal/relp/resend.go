package relp

import (
	"encoding/binary"
	"hash/maphash"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// pending is a record of a failed Send that the server did not acknowledge.
type pending struct {
	hash    uint64
	written bool // written whole into the connection at least once
}

// resendLog remembers the unacknowledged records of failed Sends, so that
// the next Send can tell which of its records are resent and which of those
// the server may already hold. It keeps hashes, not records: Send must not
// retain them.
type resendLog struct {
	seed    maphash.Seed
	pending []pending // in batch order
	next    []pending // the list being built by update; swapped with pending
	hashes  []uint64  // of the records matched by the current Send
}

func newResendLog() resendLog {
	return resendLog{seed: maphash.MakeSeed()}
}

// match returns how many leading records of recs are, in order, the
// records remembered from failed Sends. It costs nothing while there are
// none.
func (l *resendLog) match(recs []sink.Record) int {
	l.hashes = l.hashes[:0]
	for i := 0; i < len(recs) && i < len(l.pending); i++ {
		h := l.hash(&recs[i])
		if h != l.pending[i].hash {
			break
		}
		l.hashes = append(l.hashes, h)
	}
	return len(l.hashes)
}

// update records the outcome of a Send of recs whose first matched records
// were resends (see match): the first acked were acknowledged and the first
// written were written whole. It returns how many resends were written and
// how many of those had been written whole before, which the server may
// therefore hold twice.
func (l *resendLog) update(recs []sink.Record, matched, acked, written int) (resent, duplicates int) {
	resent = min(written, matched)
	for i := range resent {
		if l.pending[i].written {
			duplicates++
		}
	}
	next := l.next[:0]
	for i := acked; i < len(recs); i++ {
		p := pending{written: i < written}
		if i < matched {
			p.hash = l.hashes[i]
			p.written = p.written || l.pending[i].written
		} else {
			p.hash = l.hash(&recs[i])
		}
		next = append(next, p)
	}
	// A Send made only of resent records may be the first part of a
	// longer failed batch; the rest is still to come.
	if matched == len(recs) {
		next = append(next, l.pending[matched:]...)
	}
	l.pending, l.next = next, l.pending[:0]
	return resent, duplicates
}

// hash identifies a record by everything that goes into its message.
func (l *resendLog) hash(rec *sink.Record) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	// Fixed-size fields and the length of Host first, so that no two
	// different records feed the hash the same bytes.
	var fixed [28]byte
	binary.LittleEndian.PutUint64(fixed[0:], uint64(rec.Time.Unix()))
	binary.LittleEndian.PutUint32(fixed[8:], uint32(rec.Time.Nanosecond()))
	binary.LittleEndian.PutUint64(fixed[12:], uint64(rec.Severity))
	binary.LittleEndian.PutUint64(fixed[20:], uint64(len(rec.Host)))
	h.Write(fixed[:])
	h.WriteString(rec.Host)
	h.Write(rec.Line)
	return h.Sum64()
}

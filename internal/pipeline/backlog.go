package pipeline

import (
	"sync"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// backlog holds records of chunks already acknowledged to Fluent Bit that
// the destination refused: correlation has consumed those chunks, so they
// cannot be processed again. Flush sends the backlog first and, while that
// still fails, returns ErrBusy before touching any state, so later chunks
// wait in Fluent Bit.
type backlog struct {
	mu   sync.Mutex
	recs []sink.Record
	buf  []byte // the records' lines, back to back
}

// keep copies recs, whose lines belong to the caller, into the backlog and
// reports whether it was empty before.
func (b *backlog) keep(recs []sink.Record) (wasEmpty bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasEmpty = len(b.recs) == 0
	start := len(b.recs)
	for _, r := range recs {
		b.buf = append(b.buf, r.Line...)
		r.Line = nil
		b.recs = append(b.recs, r)
	}
	// Lines are sliced out of buf only now that it has stopped growing.
	off := len(b.buf)
	for i := len(b.recs) - 1; i >= start; i-- {
		n := len(recs[i-start].Line)
		b.recs[i].Line = b.buf[off-n : off : off]
		off -= n
	}
	return wasEmpty
}

// send hands the backlog, if any, to s. It returns how many records s
// took and whether the backlog is empty now.
func (b *backlog) send(s sink.Sink) (sent int, empty bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.recs) == 0 {
		return 0, true
	}
	if err := s.Send(b.recs); err != nil {
		return 0, false
	}
	sent = len(b.recs)
	b.recs, b.buf = b.recs[:0], b.buf[:0]
	return sent, true
}

// drop empties the backlog and returns how many records it held.
func (b *backlog) drop() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.recs)
	b.recs, b.buf = b.recs[:0], b.buf[:0]
	return n
}

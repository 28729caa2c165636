package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/welfbridge/welfbridge/internal/flblog"
)

// joiner is what both correlators, airlockjoin.Joiner and mwgjoin.Joiner,
// do besides taking records (each takes its own kind): emit through emit
// what has completed or timed out (Tick), or everything still pending
// (Drain). Neither is safe for concurrent use; locked serialises them.
type joiner[E any] interface {
	Tick(emit E)
	Drain(emit E)
}

// locked is a joiner shared by all flushes of an instance, with the mutex
// that serialises them. A flush takes the lock either per call (lock,
// tick, drain) or, with hold, from its first record to the end of its
// chunk (release), so that a chunk's lines are not interleaved with
// another flush's and the lock is taken once per chunk, not per line.
type locked[J joiner[E], E any] struct {
	j  J
	mu sync.Mutex

	// concurrent, if set, is logged once when two flushes hold or await
	// the lock for their chunks at the same time: Fluent Bit runs several
	// workers for the output, which matters to a joiner that needs a
	// file's lines in order.
	concurrent string
	log        *flblog.Logger
	holders    atomic.Int32 // flushes holding or awaiting the lock for their chunk
	warned     atomic.Bool
}

func newLocked[J joiner[E], E any](j J, log *flblog.Logger, concurrent string) *locked[J, E] {
	return &locked[J, E]{j: j, log: log, concurrent: concurrent}
}

func (l *locked[J, E]) lock()   { l.mu.Lock() }
func (l *locked[J, E]) unlock() { l.mu.Unlock() }

// tick emits what has completed or timed out.
func (l *locked[J, E]) tick(emit E) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.j.Tick(emit)
}

// drain emits everything still pending.
func (l *locked[J, E]) drain(emit E) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.j.Drain(emit)
}

// hold takes the lock for the rest of a flush's chunk, unless *held says
// the flush has it already, and sets *held.
func (l *locked[J, E]) hold(held *bool) {
	if *held {
		return
	}
	if l.holders.Add(1) > 1 && l.concurrent != "" && !l.warned.Swap(true) {
		l.log.Warnf("%s", l.concurrent)
	}
	l.mu.Lock()
	*held = true
}

// release lets go of the lock if *held says the flush has it. It is safe
// to call more than once, and is deferred by Flush so that a panic (which
// the plugin recovers) does not leave the lock held for every later flush.
func (l *locked[J, E]) release(held *bool) {
	if *held {
		*held = false
		l.mu.Unlock()
		l.holders.Add(-1)
	}
}

// startTicking emits, once a second until the returned stop is called,
// what correlation completes or times out between chunks (wall clock), and
// what Airlock correlation holds for late records once the chunks pause.
// stop returns once the last tick is done.
func (p *Pipeline) startTicking() (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		t := time.NewTicker(tickInterval)
		defer close(done)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.emitOutside(p.tickJoiners)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// tickJoiners lets each joiner emit, through w, what has completed or
// timed out.
func (p *Pipeline) tickJoiners(w *worker) {
	if p.mwgJoin != nil {
		p.mwgJoin.tick(w.mwgEmit)
	}
	if p.airlockJoin != nil {
		p.airlockJoin.tick(w.joinEmit)
	}
}

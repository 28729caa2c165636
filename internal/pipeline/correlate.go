package pipeline

import (
	"syscall"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/flblog"
)

func newAirlockJoiner(cfg *config.Config, log *flblog.Logger) (*airlockjoin.Joiner, error) {
	c := cfg.Correlation
	j, err := airlockjoin.New(c.Join)
	if err != nil {
		return nil, err
	}
	if c.StateFile != "" {
		n, err := j.Load(c.StateFile)
		switch {
		case err != nil:
			log.Warnf("%s %s: %v; correlation starts without the saved state", config.KeyStateFile, c.StateFile, err)
		case n > 0:
			log.Infof("%s %s: restored %d pending requests and sessions", config.KeyStateFile, c.StateFile, n)
		}
	}
	return j, nil
}

// joinAirlock hands one decoded Airlock record to the joiner, which emits
// through w what it completes. The record-time clock runs on the record's
// own @timestamp: Fluent Bit's event time is when tail read the line, which
// says nothing about the request when an old log is replayed.
func (w *worker) joinAirlock(rec *airlock.Record, evTime time.Time) {
	if t, ok := rec.Time(); ok {
		evTime = t
	}
	l := w.p.airlockJoin
	l.lock()
	defer l.unlock() // a panic must not leave the lock held
	l.j.Add(rec, evTime, w.joinEmit)
}

// emitJoined encodes one correlated Airlock record: a joined request, a
// session, or a partial or orphan record (with partial=<why>).
func (w *worker) emitJoined(o *airlockjoin.Output) {
	w.acct.joinOut++
	t, ok := o.Rec.Time()
	if !ok {
		t = o.Time
	}
	host := w.fw(o.Rec.Get(airlock.FieldHost))
	w.begin(t, o.Pri, host)
	o.Rec.WriteWELF(w.welf)
	if o.Partial != "" {
		w.welf.Str("partial", o.Partial)
	}
	w.finish(t, o.Pri, host)
}

// closeJoiner ends Airlock correlation: with State_File the pending state
// is saved for the next start, otherwise (or if saving fails) it is emitted
// as partial records.
func (p *Pipeline) closeJoiner() {
	l := p.airlockJoin
	p.emitOutside(func(w *worker) {
		l.lock()
		defer l.unlock()
		if path := p.cfg.Correlation.StateFile; path != "" {
			l.j.Release(w.joinEmit)
			requests, sessions, _ := l.j.Pending()
			if err := l.j.Save(path); err != nil {
				p.log.Errorf("%s %s: %v; emitting the pending state as partial records instead", config.KeyStateFile, path, err)
			} else {
				c := l.j.Counters()
				p.balance.saved.Store(c.In - c.Joined - c.Partial - c.Duplicate - c.Orphan)
				p.log.Infof("%s %s: saved %d pending requests and %d sessions for the next start", config.KeyStateFile, path, requests, sessions)
				return
			}
		}
		l.j.Drain(w.joinEmit)
	})
	if c := l.j.Counters(); c.In > 0 {
		p.log.Infof("correlation: %s", c)
	}
}

// beginJoin tells the joiner that a flush begins; what the flush completes
// is emitted only after it ends (Joiner.End). It returns 0 without a
// joiner.
func (p *Pipeline) beginJoin() uint64 {
	l := p.airlockJoin
	if l == nil {
		return 0
	}
	// Fluent Bit's workers flush on threads of their own; the joiner tells
	// them apart by the thread's id (a Go call from C stays on its thread).
	thread := syscall.Gettid()
	l.lock()
	defer l.unlock()
	return l.j.Begin(thread)
}

// endJoin ends the flush token: what is due goes to w.
func (p *Pipeline) endJoin(token *uint64, w *worker) {
	l := p.airlockJoin
	l.lock()
	defer l.unlock()
	t := *token
	*token = 0
	l.j.End(t, w.joinEmit)
}

// abandonJoin ends the flush *token if a panic left it in progress; its
// completed requests are emitted by the next flush.
func (p *Pipeline) abandonJoin(token *uint64) {
	if *token == 0 {
		return
	}
	l := p.airlockJoin
	l.lock()
	defer l.unlock()
	l.j.Abandon(*token)
}

// refusedToJoin tells the joiner that a chunk goes back to Fluent Bit: it
// comes back later, after later chunks.
func (p *Pipeline) refusedToJoin() {
	l := p.airlockJoin
	if l == nil {
		return
	}
	l.lock()
	defer l.unlock()
	l.j.Refused()
}

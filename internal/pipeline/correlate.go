package pipeline

import (
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/flblog"
)

func newAirlockJoiner(cfg *config.Config, log *flblog.Logger) (*airlockjoin.Joiner, error) {
	c := cfg.Correlation
	j, err := airlockjoin.New(airlockjoin.Config{
		Timeout: c.Timeout, SessionTimeout: c.SessionTimeout, MaxPending: c.MaxPending,
		MaxPendingBytes: c.MaxPendingBytes, Conntrace: c.Conntrace, WallClock: c.WallClock, Linger: c.Linger,
	})
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
	l.j.Add(rec, evTime, w.joinEmit)
	l.unlock()
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

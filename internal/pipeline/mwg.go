package pipeline

import (
	"bytes"
	"errors"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/mwg"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
)

// tickInterval is how often correlation state on the wall clock is
// advanced when no chunk arrives to do it.
const tickInterval = time.Second

func newMWGJoiner(cfg *config.Config) (*mwgjoin.Joiner, error) {
	m := cfg.MWG
	opts := mwg.DefaultOptions()
	opts.MarkerMode = m.MarkerMode
	opts.MaxHeaderBytes = m.MaxHeaderBytes
	opts.Location = cfg.Location
	return mwgjoin.New(mwgjoin.Config{
		Stream: opts, IdleTimeout: m.IdleTimeout, MaxConnections: m.MaxConnections,
		MaxBytes: m.MaxBytes, RecordTime: m.RecordTime,
	})
}

// tracePath returns the trace file path of a record that is an MWG trace
// line: with Source mwg, any record with a Path_Key string; with auto, one
// whose path ends in ".txt" (the joiner then checks the name).
func (w *worker) tracePath(body event.Map) ([]byte, bool) {
	v, ok := body.Get(w.p.cfg.MWG.PathKey)
	if !ok || v.Kind() != event.KindString {
		return nil, false
	}
	path := v.Bytes()
	return path, w.p.cfg.Source == config.SourceMWG || bytes.HasSuffix(path, []byte(".txt"))
}

// processMWG feeds one trace record to the joiner. It returns false when
// the path is not a trace file name and the record should be decoded as
// something else (Source auto).
func (w *worker) processMWG(ev *event.Event, path []byte) bool {
	var line []byte
	offset := int64(-1)
	host := []byte(nil)
	for it := ev.Body.Iter(); it.Next(); {
		switch key, val := it.Key(), it.Value(); {
		case string(key) == w.p.cfg.LogKey && val.Kind() == event.KindString:
			line = val.Bytes()
		case w.p.cfg.MWG.OffsetKey != "" && string(key) == w.p.cfg.MWG.OffsetKey && (val.Kind() == event.KindInt || val.Kind() == event.KindUint):
			offset = val.Int()
		case string(key) == "host" || string(key) == "hostname":
			if val.Kind() == event.KindString {
				host = val.Bytes()
			}
		}
	}
	w.mwgHost = host
	p := w.p
	p.mwgMu.Lock()
	err := p.mwg.Add(path, offset, line, ev.Time, w.mwgEmit)
	p.mwgMu.Unlock()
	w.mwgHost = nil
	var bad *mwgjoin.NameError
	if errors.As(err, &bad) {
		if p.cfg.Source != config.SourceMWG {
			return false
		}
		w.res.Unparsed++
		if bad.First { // one report per file, not per line
			w.report("trace file not decoded: %v", bad)
		}
	}
	return true
}

// emitMWG encodes one joined MWG transaction.
func (w *worker) emitMWG(o *mwgjoin.Output) {
	t, pri := o.Time(), o.Pri()
	host := w.fw(w.mwgHost)
	w.begin(t, pri, host)
	o.WriteWELF(w.welf)
	if o.Partial != "" {
		w.welf.Str("partial", o.Partial)
	}
	w.finish(t, pri, host)
}

// tickLoop emits, once a second until tickStop closes, what correlation
// completes or times out between chunks (wall clock).
func (p *Pipeline) tickLoop() {
	defer close(p.tickDone)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-p.tickStop:
			return
		case <-t.C:
			p.emitOutside(func(w *worker) {
				if p.mwg != nil {
					p.mwgMu.Lock()
					p.mwg.Tick(w.mwgEmit)
					p.mwgMu.Unlock()
				}
				if p.join != nil {
					p.joinMu.Lock()
					p.join.Tick(w.joinEmit)
					p.joinMu.Unlock()
				}
			})
		}
	}
}

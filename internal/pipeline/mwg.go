package pipeline

import (
	"bytes"
	"errors"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
)

// tickInterval is how often correlation state on the wall clock is
// advanced when no chunk arrives to do it.
const tickInterval = time.Second

func newMWGJoiner(cfg *config.Config) (*mwgjoin.Joiner, error) {
	return mwgjoin.New(cfg.MWG.Join)
}

// traceRecord is what a trace line record carries.
type traceRecord struct {
	path, line, host []byte
	offset           int64 // -1 without Offset_Key
}

// traceFields reads, in one pass, the fields of a record that is an MWG
// trace line: with Source mwg, any record with a Path_Key string; with
// auto, one whose path ends in ".txt" (the joiner then checks the name).
func (w *worker) traceFields(body event.Map) (traceRecord, bool) {
	cfg := w.p.cfg
	tr := traceRecord{offset: -1}
	for it := body.Iter(); it.Next(); {
		key, val := it.Key(), it.Value()
		switch {
		case string(key) == cfg.MWG.PathKey:
			if val.Kind() == event.KindString {
				tr.path = val.Bytes()
			}
		case string(key) == cfg.LogKey:
			if val.Kind() == event.KindString {
				tr.line = val.Bytes()
			}
		case cfg.MWG.OffsetKey != "" && string(key) == cfg.MWG.OffsetKey:
			if k := val.Kind(); k == event.KindInt || k == event.KindUint {
				tr.offset = val.Int()
			}
		case string(key) == "host" || string(key) == "hostname":
			if val.Kind() == event.KindString {
				tr.host = val.Bytes()
			}
		}
	}
	if tr.path == nil {
		return tr, false
	}
	return tr, cfg.Source == config.SourceMWG || bytes.HasSuffix(tr.path, []byte(".txt"))
}

// processMWG feeds one trace record to the joiner. It returns false when
// the path is not a trace file name and the record should be decoded as
// something else (Source auto). The joiner's lock is held from the first
// trace record of a chunk to its end (see unlockMWG): one lock per chunk,
// not per line.
func (w *worker) processMWG(ev *event.Event, tr traceRecord) bool {
	p := w.p
	w.lockMWG()
	w.mwgHost = tr.host
	err := p.mwg.Add(tr.path, tr.offset, tr.line, ev.Time, w.mwgEmit)
	w.mwgHost = nil
	if err == nil {
		w.acct.mwgIn++
	}
	var bad *mwgjoin.NameError
	if errors.As(err, &bad) {
		if p.cfg.Source != config.SourceMWG {
			return false
		}
		w.res.Unparsed++
		w.acct.unparsedDropped++
		if bad.First { // one report per file, not per line
			w.report("trace file not decoded: %v", bad)
		}
	}
	return true
}

// lockMWG takes the joiner's lock for the rest of w's chunk, unless w
// holds it already. Another flush with trace lines holding or awaiting it
// means Fluent Bit runs several workers for this output, which can hand a
// file's lines over out of order: that is warned about once.
func (w *worker) lockMWG() {
	if w.mwgLocked {
		return
	}
	p := w.p
	if p.mwgFlushes.Add(1) > 1 && !p.mwgConcurrent.Swap(true) {
		p.log.Warnf("MWG trace lines arrive in concurrent flushes (workers > 1 on this output): Fluent Bit can then hand a file's lines over out of order, which splits and garbles transactions; set workers 1")
	}
	p.mwgMu.Lock()
	w.mwgLocked = true
}

// unlockMWG releases the joiner's lock if this worker holds it.
func (w *worker) unlockMWG() {
	if w.mwgLocked {
		w.mwgLocked = false
		w.p.mwgMu.Unlock()
		w.p.mwgFlushes.Add(-1)
	}
}

// emitMWG encodes one joined MWG transaction.
func (w *worker) emitMWG(o *mwgjoin.Output) {
	w.acct.mwgOut++
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
// completes or times out between chunks (wall clock), and what Airlock
// correlation holds for late records once the chunks pause.
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

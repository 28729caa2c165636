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
// trace record of a chunk to its end (see locked.hold): one lock per
// chunk, not per line.
func (w *worker) processMWG(ev *event.Event, tr traceRecord) bool {
	p := w.p
	p.mwgJoin.hold(&w.mwgHeld)
	w.mwgHost = tr.host
	err := p.mwgJoin.j.Add(tr.path, tr.offset, tr.line, ev.Time, w.mwgEmit)
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

// concurrentTraces is logged once trace lines arrive in overlapping
// flushes: Fluent Bit runs several workers for the output.
const concurrentTraces = "MWG trace lines arrive in concurrent flushes (workers > 1 on this output): " +
	"Fluent Bit can then hand a file's lines over out of order, which splits and garbles transactions; set workers 1"

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

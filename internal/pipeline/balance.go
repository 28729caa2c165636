package pipeline

import (
	"fmt"
	"sync/atomic"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/event"
)

// Every record that enters an instance leaves it in exactly one way, and
// Close checks that the books balance:
//
//	in = written + unparsed_dropped + blank + failed + joined + saved
//
// in counts the records the events held (an event may hold several: a raw
// line with two JSON objects, or an object and stray text), plus the
// records State_File restored; written those handed to the destination
// (not-decoded records forwarded with raw= included); unparsed_dropped the
// not-decoded records Unparsed_Records drop (or an MWG trace path that is
// not a trace file name) left out; blank the blank lines; failed the
// records that could not be encoded or were still refused by the
// destination at exit; joined the records correlation merged into another
// record (or recognised as a replayed duplicate); saved those State_File
// keeps for the next start.
type balance struct {
	split, restored, unparsedDropped, blank, failed, lost, saved atomic.Uint64
	// Records into and outputs out of the correlators: the difference is
	// what they merged away.
	joinIn, joinOut, mwgIn, mwgOut atomic.Uint64
}

// workerBalance is one flush's share of the books, added to the
// pipeline's at the end of the flush.
type workerBalance struct {
	split, unparsedDropped, blank, failed, joinIn, joinOut, mwgIn, mwgOut uint64
}

func (b *balance) add(w *workerBalance) {
	b.split.Add(w.split)
	b.unparsedDropped.Add(w.unparsedDropped)
	b.blank.Add(w.blank)
	b.failed.Add(w.failed)
	b.joinIn.Add(w.joinIn)
	b.joinOut.Add(w.joinOut)
	b.mwgIn.Add(w.mwgIn)
	b.mwgOut.Add(w.mwgOut)
	*w = workerBalance{}
}

// Balance is the record accounting of an instance (see balance).
type Balance struct {
	In, Written, UnparsedDropped, Blank, Failed, Joined, Saved uint64
}

func (b Balance) String() string {
	return fmt.Sprintf("in=%d written=%d unparsed_dropped=%d blank=%d failed=%d joined=%d saved=%d",
		b.In, b.Written, b.UnparsedDropped, b.Blank, b.Failed, b.Joined, b.Saved)
}

// Check returns an error unless every record that came in is accounted for.
func (b Balance) Check() error {
	if out := b.Written + b.UnparsedDropped + b.Blank + b.Failed + b.Joined + b.Saved; out != b.In {
		return fmt.Errorf("records do not add up: in=%d, but the outcomes sum to %d (%s)", b.In, out, b)
	}
	return nil
}

// Balance returns the accounting so far. It balances once nothing is
// pending in correlation, i.e. after Close.
func (p *Pipeline) Balance() Balance {
	b := &p.balance
	in := p.counts.events.Load() + b.split.Load() + b.restored.Load()
	return Balance{
		In: in, Written: p.counts.written.Load(), UnparsedDropped: b.unparsedDropped.Load(),
		Blank: b.blank.Load(), Failed: b.failed.Load() + b.lost.Load(), Saved: b.saved.Load(),
		Joined: b.joinIn.Load() + b.restored.Load() + b.mwgIn.Load() - b.joinOut.Load() - b.mwgOut.Load() - b.saved.Load(),
	}
}

// logBalance reports the accounting at exit, as an error if it does not add up.
func (p *Pipeline) logBalance() {
	b := p.Balance()
	if err := b.Check(); err != nil {
		p.log.Errorf("%v", err)
		return
	}
	p.log.Infof("records: %s", b)
}

// processLine decodes the records of one raw line: every JSON object is an
// Airlock record, and a line with anything else in it (text that is no
// header, an object without log_id, an object that does not decode) is also
// forwarded whole as not decoded, so that nothing in it vanishes. The
// fields next to the line in its map (w.siblings) are passed through into
// each record, and go with the line if it is forwarded as not decoded.
func (w *worker) processLine(ev *event.Event, line []byte) {
	lr := &w.lineReader
	lr.Reset(line)
	records := 0
	notAirlock := false
	for lr.Next(&w.rec) {
		if !w.rec.Has(airlock.FieldLogID) {
			notAirlock = true
			continue
		}
		if records > 0 {
			w.acct.split++
		}
		records++
		for _, kv := range w.siblings {
			w.rec.SetExtra(kv.Key, kv.Value)
		}
		w.airlockRecord(&w.rec, ev.Time)
	}
	reason := lr.Stray()
	if notAirlock {
		const why = "JSON object has no log_id: not an Airlock log record"
		if reason == "" {
			reason = why
		} else {
			reason = why + "; " + reason
		}
	}
	if reason != "" {
		if records > 0 {
			w.acct.split++
		}
		if len(w.siblings) > 0 {
			line = nil // the whole map, the fields next to the line too
		}
		w.unparsedRecord(ev, line, reason)
	}
}

package airlockjoin

import (
	"bytes"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// emitOrphan emits a record of a joined kind that could not be joined.
func (j *Joiner) emitOrphan(rec *airlock.Record, kind airlock.Kind, evTime time.Time, emit Emit) {
	j.counters.Orphan++
	j.emitAlone(rec, kind, evTime, "orphan", emit)
}

// emitAlone emits rec as it is.
func (j *Joiner) emitAlone(rec *airlock.Record, kind airlock.Kind, evTime time.Time, partial string, emit Emit) {
	j.output = Output{Rec: rec, Pri: priority(rec, bit(kind)), Partial: partial, Records: 1, Time: evTime}
	emit(&j.output)
	j.output = Output{}
}

// priority returns the WELF pri of an output made of records of kinds.
func priority(rec *airlock.Record, kinds kindSet) int {
	if kinds&blockingKinds != 0 {
		return welf.PriWarning
	}
	if sev, ok := rec.Severity(); ok {
		return sev
	}
	return welf.PriInfo
}

// emitRequest emits the request key: complete if why is 0, else partial
// for that reason.
func (j *Joiner) emitRequest(key string, p pending, why correlate.Reason, emit Emit) {
	// Index the components by kind; a value has each kind at most once.
	var byKind [airlock.KindTLSSessionStart + 1]component
	var kinds kindSet
	records := 0
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		if int(c.kind) < len(byKind) && !kinds.has(c.kind) {
			byKind[c.kind] = c
			kinds |= bit(c.kind)
			records += c.records()
		}
	}
	// The summary's values win, then the conntrace's, and so on.
	var merged [6]*component
	n := 0
	for _, k := range [...]airlock.Kind{airlock.KindSummary, airlock.KindConntrace, airlock.KindBlock,
		airlock.KindBlockDetail, airlock.KindBackend, airlock.KindTLSSessionStart} {
		if kinds.has(k) {
			merged[n] = &byKind[k]
			n++
		}
	}

	out := &j.out
	out.Reset()
	if p.flags()&flagExport != 0 {
		j.setExportFirst(merged[:n])
	}
	for _, c := range merged[:n] {
		j.merge(c, true)
	}
	// Only blocks, block details and back-end errors store a log_id, and
	// merge took the first of them; else the summary's, else the first
	// component's.
	if !out.Has(airlock.FieldLogID) && n > 0 {
		out.Set(j.keys[airlock.FieldLogID], j.logIDs[merged[0].kind])
	}
	for _, k := range [...]airlock.Kind{airlock.KindBlockDetail, airlock.KindBlock, airlock.KindBackend} {
		if !kinds.has(k) {
			continue
		}
		if msg := byKind[k].field(airlock.FieldMessage); msg != nil {
			out.Set(j.keys[airlock.FieldMessage], msg)
			break
		}
	}
	j.withSession(out)

	j.output = Output{Rec: out, Pri: priority(out, kinds), Records: records}
	if n > 0 {
		j.output.Time = merged[0].eventTime()
	}
	j.count(&j.output, why)
	emit(&j.output)
	j.output = Output{}
	j.doneRequests.insertNewOutput(key, kinds, p)
}

// count adds an output to the counters and sets its Partial.
func (j *Joiner) count(o *Output, why correlate.Reason) {
	if why == 0 {
		j.counters.Joined += uint64(o.Records)
		return
	}
	o.Partial = why.String()
	j.counters.AddPartial(why, uint64(o.Records))
}

// merge sets the fields of c that the output does not have yet. Messages
// of requests are chosen by emitRequest instead.
func (j *Joiner) merge(c *component, request bool) {
	out := &j.out
	r := fieldReader{b: c.fields}
	for {
		id, key, val, ok := r.next()
		switch {
		case !ok:
			return
		case id == extraID:
			j.setExtra(key, val)
		case request && airlock.Field(id) == airlock.FieldMessage:
		case !out.Has(airlock.Field(id)):
			out.Set(j.keys[id], val)
		case airlock.Field(id) != airlock.FieldTimestamp && airlock.Field(id) != airlock.FieldPriority &&
			airlock.Field(id) != airlock.FieldLogID && !bytes.Equal(out.Get(airlock.Field(id)), val):
			// Another component's value (another gateway or client under
			// the same id) is kept beside the first, not lost. Each record
			// has its own time, priority and log_id: the output's are
			// derived.
			j.setExtra(j.keys[id], val)
		}
	}
}

// setExtra sets an unknown field unless the output has the same pair: the
// same key with another value (from another component, or an earlier value
// of a key repeated in one record) is kept too, so that no value is lost.
// It goes in as an unknown field even under a known field's key.
//
// The unknown field "_source" needs care: Record.Set takes that key for a
// Kibana export's document and clears the record before it finds that the
// value is not one. It is therefore set first, on the empty output (see
// setExportFirst), and never again.
func (j *Joiner) setExtra(key, val []byte) {
	if string(key) != exportKey {
		j.out.SetExtra(key, val)
	}
}

// setExportFirst sets the first unknown field "_source" of cs on the
// empty output.
func (j *Joiner) setExportFirst(cs []*component) {
	for _, c := range cs {
		r := fieldReader{b: c.fields}
		for {
			id, key, val, ok := r.next()
			if !ok {
				break
			}
			if id == extraID && string(key) == exportKey {
				j.out.Set(key, val)
				return
			}
		}
	}
}

package airlockjoin

import (
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
)

// startSession keeps a WR-SG-SESS-004 as its session's context.
func (j *Joiner) startSession(rec *airlock.Record, evTime, now time.Time, emit Emit) {
	const kind = airlock.KindSessionStart
	id := rec.Get(airlock.FieldSessID)
	if len(id) > maxIDLen || id == nil {
		j.emitOrphan(rec, kind, evTime, emit)
		return
	}
	j.scratch = appendComponent(j.scratch[:0], rec, kind, evTime)
	if p, ok := j.sessions.Get(id); ok {
		// Contexts are made by session starts only, so p has one.
		j.repeated(p, rec, kind, evTime, emit)
		return
	}
	if done, ok := j.doneSessions.lookup(id); ok {
		j.late(j.doneSessions, id, done, rec, kind, evTime, emit)
		return
	}
	if len(j.scratch) > maxPendingValue {
		j.emitOrphan(rec, kind, evTime, emit)
		return
	}
	j.sessions.Put(id, newPending(j.scratch, kind, exportFlag(rec)), now)
}

// endSession emits the session record of a WR-SG-SESS-005 and frees the
// session's context.
func (j *Joiner) endSession(rec *airlock.Record, evTime time.Time, emit Emit) {
	const kind = airlock.KindSessionEnd
	id := rec.Get(airlock.FieldSessID)
	if len(id) > maxIDLen || id == nil {
		j.emitOrphan(rec, kind, evTime, emit)
		return
	}
	if p, ok := j.sessions.Delete(id); ok {
		j.emitSession(string(id), p, rec, evTime, 0, emit)
		return
	}
	if done, ok := j.doneSessions.lookup(id); ok {
		j.late(j.doneSessions, id, done, rec, kind, evTime, emit)
		return
	}
	// The start was never seen (it came before Init, or never came): the
	// end alone is the session record.
	j.doneSessions.add(id, bit(kind))
	j.counters.Joined++
	j.emitAlone(rec, kind, evTime, "", emit)
}

// touchSession keeps the session of a request summary alive and learns
// its user from the summary if it has none yet.
func (j *Joiner) touchSession(rec *airlock.Record, now time.Time) {
	id := rec.Get(airlock.FieldSessID)
	if id == nil {
		return
	}
	p, ok := j.sessions.Get(id)
	if !ok {
		return
	}
	if token := rec.Get(airlock.FieldAuditToken); token != nil && sessionUser(p) == nil {
		j.user = appendUserComponent(j.user[:0], token, now)
		if len(p)+len(j.user) <= maxPendingValue {
			j.sessions.Put(id, p.with(j.user, kindUser, 0), now)
			return
		}
	}
	j.sessions.Update(id, now)
}

// withSession gives the output the user of its session if it has none.
func (j *Joiner) withSession(out *airlock.Record) {
	if out.Has(airlock.FieldAuditToken) {
		return
	}
	if id := out.Get(airlock.FieldSessID); id != nil {
		if p, ok := j.sessions.Get(id); ok {
			if user := sessionUser(p); user != nil {
				out.Set(j.keys[airlock.FieldAuditToken], user)
			}
		}
	}
}

// sessionUser returns the session's user: the first audit_token seen, on
// its session start or on a later record.
func sessionUser(p pending) []byte {
	var user []byte
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			return user
		}
		if u := c.field(airlock.FieldAuditToken); u != nil && (user == nil || c.kind == airlock.KindSessionStart) {
			user = u
		}
	}
}

// emitSession emits the session key with context p: ended by end (a
// WR-SG-SESS-005 received at endTime), or, if end is nil, evicted for why.
func (j *Joiner) emitSession(key string, p pending, end *airlock.Record, endTime time.Time, why correlate.Reason, emit Emit) {
	out := &j.out
	out.Reset()
	kinds := p.kinds()
	j.output = Output{Rec: out}
	if end != nil {
		kinds |= bit(airlock.KindSessionEnd)
		j.output.Records, j.output.Time = 1, endTime
		j.copyRecord(end)
	}
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		if c.kind != airlock.KindSessionStart {
			continue
		}
		j.output.Records++
		if end == nil {
			j.output.Time = c.eventTime()
			if p.flags()&flagExport != 0 {
				j.setExportFirst([]*component{&c})
			}
			out.Set(j.keys[airlock.FieldLogID], j.logIDs[c.kind])
		}
		j.merge(&c, false)
	}
	if user := sessionUser(p); user != nil {
		out.Set(j.keys[airlock.FieldAuditToken], user)
	}
	j.output.Pri = priority(out, 0)
	j.count(&j.output, why)
	emit(&j.output)
	j.output = Output{}
	j.doneSessions.insertNew(key, kinds)
}

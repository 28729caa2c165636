package airlockjoin

import (
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
)

// addToSession joins a WR-SG-SESS-004 (start) or WR-SG-SESS-005 (end) to
// its session's context, which is complete once it has both.
func (j *Joiner) addToSession(rec *airlock.Record, kind airlock.Kind, evTime, now time.Time, emit Emit) {
	id := rec.Get(airlock.FieldSessID)
	if len(id) > maxIDLen || id == nil {
		j.emitOrphan(rec, kind, evTime, emit)
		return
	}
	j.scratch = appendComponent(j.scratch[:0], rec, kind, evTime)
	p, found, ok := j.join(j.sessions, j.doneSessions, id, rec, kind, evTime, emit)
	switch {
	case !ok:
	case found:
		// The other one came first and waits: the session is complete.
		p[0] |= flagReady
		j.sessions.Put(id, p, now)
		j.readySessions = j.schedule(j.readySessions, id, p)
	case kind == airlock.KindSessionEnd:
		// Its start may be in a chunk not processed yet (workers, a
		// retry), or may never come (it was written before welf started):
		// wait for it as long as a summary waits for its conntrace.
		j.sessions.Put(id, p, now)
		j.waitingEnds = j.schedule(j.waitingEnds, id, p)
	default:
		j.sessions.Put(id, p, now)
	}
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
// its session start or on a later record. A session end's own
// audit_token is not the session's user: it is written in the session
// record only if the session has none.
func sessionUser(p pending) []byte {
	var user []byte
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			return user
		}
		if c.kind == airlock.KindSessionEnd {
			continue
		}
		if u := c.field(airlock.FieldAuditToken); u != nil && (user == nil || c.kind == airlock.KindSessionStart) {
			user = u
		}
	}
}

// emitSession emits the session key with context p: complete if why is 0
// (its end and start), else partial for that reason (a start without its
// end, or an end without its start). The end's fields come first, then the
// start's; the user is the session's.
func (j *Joiner) emitSession(key string, p pending, why correlate.Reason, emit Emit) {
	var start, end component
	kinds := p.kinds()
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		switch c.kind {
		case airlock.KindSessionStart:
			start = c
		case airlock.KindSessionEnd:
			end = c
		}
	}
	var merged [2]*component
	n := 0
	if kinds.has(airlock.KindSessionEnd) {
		merged[n] = &end
		n++
	}
	if kinds.has(airlock.KindSessionStart) {
		merged[n] = &start
		n++
	}

	out := &j.out
	out.Reset()
	j.output = Output{Rec: out, Records: n}
	if n > 0 {
		j.output.Time = merged[0].eventTime()
	}
	if p.flags()&flagExport != 0 {
		j.setExportFirst(merged[:n])
	}
	if n > 0 && merged[0].kind == airlock.KindSessionStart {
		out.Set(j.keys[airlock.FieldLogID], j.logIDs[airlock.KindSessionStart])
	}
	// The session's user first: merge sets only the fields still absent, so
	// that a component's own audit_token does not replace it.
	if user := sessionUser(p); user != nil {
		out.Set(j.keys[airlock.FieldAuditToken], user)
	}
	for _, c := range merged[:n] {
		j.merge(c, false)
	}
	j.output.Pri = priority(out, 0)
	j.count(&j.output, why)
	emit(&j.output)
	j.output = Output{}
	j.doneSessions.insertNewOutput(key, kinds, p)
}

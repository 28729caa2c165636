package airlockjoin

import (
	"bytes"
	"fmt"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
)

// Defaults of the Config fields left zero.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultSessionTimeout  = time.Hour
	DefaultMaxPending      = 100_000
	DefaultMaxPendingBytes = 64 << 20
)

// maxIDLen bounds a req_id or sess_id the Joiner keys by (real ones have 27
// and 32 characters). A record with a longer one is not joined.
const maxIDLen = 256

// Config configures a Joiner. A zero field takes its default.
type Config struct {
	Timeout         time.Duration // Correlation_Timeout, default 30s: a request idle this long is emitted partial=timeout
	SessionTimeout  time.Duration // default 1h: a session context idle this long is emitted as a session record partial=timeout
	MaxPending      int           // Max_Pending, default 100000: pending requests, and separately pending sessions
	MaxPendingBytes int64         // Max_Pending_Bytes, default 64 MiB: requests (3/4) and sessions (1/4) together
	Conntrace       ConntraceMode
	WallClock       bool // time out on wall time instead of record time
	// Linger (Correlation_Linger, default 0) holds a completed request this
	// long on the correlation clock before it is emitted, so that its block
	// or back-end records still join when they arrive in a later chunk than
	// its summary and conntrace (several inputs, workers). With 0 a request
	// is emitted at the end of the chunk that completed it.
	Linger         time.Duration
	RecentCapacity int // emitted req_ids (and sess_ids) remembered for duplicate detection, default MaxPending
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Timeout < 0:
		return c, fmt.Errorf("correlation timeout %v is negative", c.Timeout)
	case c.SessionTimeout < 0:
		return c, fmt.Errorf("session timeout %v is negative", c.SessionTimeout)
	case c.MaxPending < 0:
		return c, fmt.Errorf("max pending %d is negative", c.MaxPending)
	case c.MaxPendingBytes < 0:
		return c, fmt.Errorf("max pending bytes %d is negative", c.MaxPendingBytes)
	case c.RecentCapacity < 0:
		return c, fmt.Errorf("recent capacity %d is negative", c.RecentCapacity)
	case c.Linger < 0:
		return c, fmt.Errorf("linger %v is negative", c.Linger)
	case c.Conntrace > ConntraceOff:
		return c, fmt.Errorf("conntrace mode %d is unknown", c.Conntrace)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxPendingBytes == 0 {
		c.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if c.RecentCapacity == 0 {
		c.RecentCapacity = c.MaxPending
	}
	return c, nil
}

// tableConfigs splits the caps between the request and the session table.
func (c Config) tableConfigs() (requests, sessions correlate.Config) {
	sessionBytes := max(c.MaxPendingBytes/4, 1)
	return correlate.Config{Timeout: c.Timeout, MaxEntries: c.MaxPending, MaxBytes: max(c.MaxPendingBytes-sessionBytes, 1)},
		correlate.Config{Timeout: c.SessionTimeout, MaxEntries: c.MaxPending, MaxBytes: sessionBytes}
}

// Output is one record to encode. Rec and everything it references are
// valid only during the emit call.
type Output struct {
	// Rec is the merged field set: feed it to WriteWELF; the header takes
	// Rec.Time(), Rec.Get(airlock.FieldHost) and Pri.
	Rec *airlock.Record
	// Pri is the WELF pri the join rules decide: 4 for blocks and back-end
	// errors, else from priority, else 6.
	Pri int
	// Partial is "" for a complete output; "timeout", "pressure" or
	// "shutdown" for an evicted request or session; "orphan" for a record
	// that could not be joined (see the package documentation).
	Partial string
	// Records is how many input records the output stands for.
	Records int
	// Time is the event time passed to Add with the record whose
	// @timestamp Rec carries: the header's time when Rec.Time() fails.
	Time time.Time
}

// Emit receives the outputs of a Joiner, one at a time.
type Emit func(*Output)

// orDiscard returns emit, or for nil a function that drops outputs: a
// caller's mistake must not crash the host process.
func orDiscard(emit Emit) Emit {
	if emit == nil {
		return func(*Output) {}
	}
	return emit
}

// Joiner joins the Airlock records of a request, and those of a session,
// into one output each. It is not safe for concurrent use: the caller
// serialises calls.
type Joiner struct {
	cfg      Config
	clock    *correlate.Clock
	requests *correlate.Table[pending] // by req_id
	sessions *correlate.Table[pending] // by sess_id
	sources  *conntraceSources         // (host, mapping) pairs seen writing conntraces (Conntrace auto)

	doneRequests, doneSessions *emitted

	// ready lists the requests completed and not yet emitted, in order of
	// completion; they stay in the table, flagged ready, until Tick emits
	// them (after Linger).
	ready []readyRequest

	// Evictions are collected by the tables' callbacks and emitted once the
	// table operation is over.
	evictedRequests, evictedSessions []eviction

	counters correlate.Counters

	// keys and logIDs hold the []byte forms of field names and of implied
	// log_ids, so that building an output does not convert strings.
	keys   [airlock.NumFields][]byte
	logIDs [16][]byte

	out     airlock.Record // the output being built
	output  Output
	scratch []byte // the encoding of the record being added
	user    []byte // the encoding of a session user component
}

type eviction struct {
	key   string
	value pending
	why   correlate.Reason
}

// New returns a Joiner configured by cfg.
func New(cfg Config) (*Joiner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("airlockjoin: invalid config: %w", err)
	}
	j := &Joiner{
		cfg:          cfg,
		clock:        &correlate.Clock{},
		sources:      newConntraceSources(),
		doneRequests: newEmitted(cfg.RecentCapacity),
		doneSessions: newEmitted(cfg.RecentCapacity),
	}
	if cfg.WallClock {
		j.clock = correlate.NewWallClock()
	}
	if j.requests, j.sessions, err = j.newTables(); err != nil {
		return nil, err
	}
	for f := range j.keys {
		j.keys[f] = []byte(airlock.Field(f).Name())
	}
	for k := range j.logIDs {
		if id := fixedLogID(airlock.Kind(k)); id != "" {
			j.logIDs[k] = []byte(id)
		}
	}
	return j, nil
}

// newTables returns empty request and session tables whose evictions go
// to the Joiner.
func (j *Joiner) newTables() (requests, sessions *correlate.Table[pending], err error) {
	reqCfg, sessCfg := j.cfg.tableConfigs()
	requests, err = correlate.NewTable(reqCfg, func(key string, v pending, why correlate.Reason) {
		j.evictedRequests = append(j.evictedRequests, eviction{key, v, why})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("airlockjoin: %w", err)
	}
	sessions, err = correlate.NewTable(sessCfg, func(key string, v pending, why correlate.Reason) {
		j.evictedSessions = append(j.evictedSessions, eviction{key, v, why})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("airlockjoin: %w", err)
	}
	return requests, sessions, nil
}

// Add takes one record. rec is borrowed: what the Joiner keeps it copies.
// evTime is the record's event time (Fluent Bit's timestamp); if it is
// zero, rec's @timestamp is used. emit receives the outputs Add produces:
// records that are not joined, orphans, and the requests and sessions
// evicted for timeout or pressure. Requests that rec completes are emitted
// by the next Tick.
func (j *Joiner) Add(rec *airlock.Record, evTime time.Time, emit Emit) {
	if rec == nil {
		return
	}
	emit = orDiscard(emit)
	j.counters.In++
	if evTime.IsZero() {
		evTime, _ = rec.Time()
	}
	now := j.clock.Observe(evTime)
	j.requests.Advance(now)
	j.sessions.Advance(now)
	j.emitEvictions(emit)

	switch kind := rec.Kind(); {
	case requestKinds.has(kind):
		j.addToRequest(rec, kind, evTime, now, emit)
	case kind == airlock.KindSessionStart:
		j.startSession(rec, evTime, now, emit)
	case kind == airlock.KindSessionEnd:
		j.endSession(rec, evTime, emit)
	default:
		// Nothing to join it with: it is complete as it is.
		j.counters.Joined++
		j.emitAlone(rec, kind, evTime, "", emit)
	}
	j.emitEvictions(emit)
	if len(j.ready) > j.cfg.MaxPending {
		// Tick is overdue; do not let the list grow without bound.
		j.emitReady(emit, true)
	}
}

// Tick emits the requests completed since the last Tick. Call it at the end
// of every flush, after the chunk's last Add: records of one request that
// arrive in one chunk are then joined whatever their order. With WallClock
// it also times out what has been idle too long by time.Now.
func (j *Joiner) Tick(emit Emit) {
	emit = orDiscard(emit)
	j.emitEvictions(emit)
	j.emitReady(emit, false)
	if j.cfg.WallClock {
		now := j.clock.Now()
		j.requests.Advance(now)
		j.sessions.Advance(now)
		j.emitEvictions(emit)
	}
}

// Drain emits everything pending, for a shutdown without State_File:
// completed requests as complete, the others and the sessions with
// partial=shutdown.
func (j *Joiner) Drain(emit Emit) {
	emit = orDiscard(emit)
	j.emitEvictions(emit)
	j.emitReady(emit, true)
	// Requests first, so that they still find their session's user.
	j.requests.Drain(correlate.ReasonShutdown)
	j.emitEvictions(emit)
	j.sessions.Drain(correlate.ReasonShutdown)
	j.emitEvictions(emit)
}

// Counters returns the record counters. Restored records count as
// received (see Load), so Check holds whenever nothing is pending.
func (j *Joiner) Counters() correlate.Counters { return j.counters }

// Pending returns the pending requests and sessions and the bytes charged
// for them.
func (j *Joiner) Pending() (requests, sessions int, bytes int64) {
	return j.requests.Len(), j.sessions.Len(), j.requests.Bytes() + j.sessions.Bytes()
}

// addToRequest joins a record of one of the requestKinds.
func (j *Joiner) addToRequest(rec *airlock.Record, kind airlock.Kind, evTime, now time.Time, emit Emit) {
	id := rec.Get(airlock.FieldReqID)
	if len(id) > maxIDLen || id == nil {
		j.emitOrphan(rec, kind, evTime, emit)
		return
	}
	switch kind {
	case airlock.KindConntrace:
		j.sources.learn(rec.Get(airlock.FieldHost), rec.Get(airlock.FieldMapping))
	case airlock.KindSummary:
		j.touchSession(rec, now)
	}
	j.scratch = appendComponent(j.scratch[:0], rec, kind, evTime)

	p, ok := j.requests.Get(id)
	switch {
	case ok && p.kinds().has(kind):
		j.repeated(p, rec, kind, evTime, emit)
		return
	case ok && len(p)+len(j.scratch) > maxPendingValue:
		j.emitOrphan(rec, kind, evTime, emit)
		return
	case ok:
		p = p.with(j.scratch, kind, exportFlag(rec))
	default:
		if done, ok := j.doneRequests.lookup(id); ok {
			j.late(j.doneRequests, id, done, rec, kind, evTime, emit)
			return
		}
		if len(j.scratch) > maxPendingValue {
			j.emitOrphan(rec, kind, evTime, emit)
			return
		}
		p = newPending(j.scratch, kind, exportFlag(rec))
	}
	if !p.ready() && j.completes(p, kind, rec) {
		p[0] |= flagReady
		j.ready = append(j.ready, readyRequest{key: string(id), at: now})
	}
	j.requests.Put(id, p, now)
}

// completes reports whether p, which rec of kind just joined, is complete:
// it has its summary, and its conntrace unless none is to be expected.
func (j *Joiner) completes(p pending, kind airlock.Kind, rec *airlock.Record) bool {
	kinds := p.kinds()
	switch {
	case !kinds.has(airlock.KindSummary):
		return false
	case kinds.has(airlock.KindConntrace) || j.cfg.Conntrace == ConntraceOff:
		return true
	case j.cfg.Conntrace == ConntraceOn:
		return false
	}
	// Auto: the summary's gateway and mapping decide, when the summary
	// arrives. Pairs are only ever learned, so the answer for an incomplete
	// request that has its summary stays no until its conntrace comes.
	return kind == airlock.KindSummary && !j.sources.has(rec.Get(airlock.FieldHost), rec.Get(airlock.FieldMapping))
}

// repeated handles rec, a record of a kind p already has: a record seen
// before (a retried chunk) is a duplicate; a different record of the same
// kind (a second block detail) is emitted on its own.
func (j *Joiner) repeated(p pending, rec *airlock.Record, kind airlock.Kind, evTime time.Time, emit Emit) {
	fresh := componentReader{b: j.scratch}
	added, _ := fresh.next()
	r := p.componentReader()
	for {
		c, ok := r.next()
		if !ok {
			break
		}
		if c.kind == kind && bytes.Equal(c.fields, added.fields) {
			j.counters.Duplicate++
			return
		}
	}
	j.emitOrphan(rec, kind, evTime, emit)
}

// late handles rec, a record of kind whose request or session (id) was
// emitted with the kinds done: a duplicate if its kind was part of it, an
// orphan otherwise.
func (j *Joiner) late(set *emitted, id []byte, done kindSet, rec *airlock.Record, kind airlock.Kind, evTime time.Time, emit Emit) {
	if done.has(kind) {
		j.counters.Duplicate++
		return
	}
	set.add(id, bit(kind))
	j.emitOrphan(rec, kind, evTime, emit)
}

// readyRequest is a completed request waiting to be emitted.
type readyRequest struct {
	key string
	at  time.Time // completion, on the correlation clock
}

// emitReady emits the completed requests whose Linger has passed, or all of
// them when force is set.
func (j *Joiner) emitReady(emit Emit, force bool) {
	now := j.clock.Now()
	i := 0
	for ; i < len(j.ready); i++ {
		r := j.ready[i]
		if !force && j.cfg.Linger > 0 && now.Sub(r.at) < j.cfg.Linger {
			break // later ones completed later still
		}
		// A request evicted meanwhile has been emitted already.
		if p, ok := j.requests.Get([]byte(r.key)); ok && p.ready() {
			j.requests.Delete([]byte(r.key))
			j.emitRequest(r.key, p, 0, emit)
		}
	}
	n := copy(j.ready, j.ready[i:])
	clear(j.ready[n:])
	j.ready = j.ready[:n]
}

// emitEvictions emits what the tables evicted.
func (j *Joiner) emitEvictions(emit Emit) {
	if len(j.evictedRequests) > 0 {
		for _, e := range j.evictedRequests {
			why := e.why
			if e.value.ready() {
				// Complete, only waiting for the end of the flush.
				why = 0
			}
			j.emitRequest(e.key, e.value, why, emit)
		}
		clear(j.evictedRequests)
		j.evictedRequests = j.evictedRequests[:0]
	}
	if len(j.evictedSessions) > 0 {
		for _, e := range j.evictedSessions {
			j.emitSession(e.key, e.value, nil, time.Time{}, e.why, emit)
		}
		clear(j.evictedSessions)
		j.evictedSessions = j.evictedSessions[:0]
	}
}

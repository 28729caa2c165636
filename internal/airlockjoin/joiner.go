package airlockjoin

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
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
	Clock           correlate.ClockMode // Correlation_Clock; record time unless ClockWall
	// Linger (Correlation_Linger, default 0) is how late, on the
	// correlation clock, a record may arrive after newer ones and still
	// join: completed requests and ended sessions are held, and timeouts
	// run, this much behind the clock (or as much as records were seen
	// arriving late, if more; see "Records out of order" in the package
	// documentation). With 0 and records in order, a request is emitted at
	// the end of the chunk that completed it.
	Linger         time.Duration
	RecentCapacity int // emitted req_ids (and sess_ids) remembered for duplicate detection, default MaxPending
}

// DefaultConfig returns the settings a Joiner runs with when none is given.
func DefaultConfig() Config {
	return Config{Timeout: DefaultTimeout, SessionTimeout: DefaultSessionTimeout, MaxPending: DefaultMaxPending, MaxPendingBytes: DefaultMaxPendingBytes}
}

// WallTime reports whether timeouts run on wall time rather than on the
// records' own times.
func (c Config) WallTime() bool { return c.Clock == correlate.ClockWall }

func (c Config) withDefaults() (Config, error) {
	// cmp.Or gives the first negative setting's error.
	if err := cmp.Or(
		correlate.NonNegative("correlation timeout", c.Timeout),
		correlate.NonNegative("session timeout", c.SessionTimeout),
		correlate.NonNegative("max pending", c.MaxPending),
		correlate.NonNegative("max pending bytes", c.MaxPendingBytes),
		correlate.NonNegative("recent capacity", c.RecentCapacity),
		correlate.NonNegative("linger", c.Linger),
	); err != nil {
		return c, err
	}
	if c.Conntrace > ConntraceOff {
		return c, fmt.Errorf("conntrace mode %d is unknown", c.Conntrace)
	}
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.SessionTimeout = cmp.Or(c.SessionTimeout, DefaultSessionTimeout)
	c.MaxPending = cmp.Or(c.MaxPending, DefaultMaxPending)
	c.MaxPendingBytes = cmp.Or(c.MaxPendingBytes, DefaultMaxPendingBytes)
	c.RecentCapacity = cmp.Or(c.RecentCapacity, c.MaxPending)
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
	// them (see release). readySessions lists the sessions ended with
	// their start likewise; waitingEnds the session ends that wait for
	// their start, in order of arrival.
	ready, readySessions, waitingEnds []readyRequest

	// Flushes in progress (Begin, End): what one completes is emitted only
	// once it and every flush begun before it have ended.
	begun  uint64
	active []uint64

	// Lateness: how far behind the clock records arrive. lateness holds the
	// largest of each of the last lateWindow flushes, lateNow that of the
	// current one; lag is the largest of them all.
	lateness [lateWindow]time.Duration
	lateAt   int
	lateNow  time.Duration
	lag      time.Duration
	// tickClock is the correlation clock at the last Tick; activity the
	// wall time of the last Begin or End.
	tickClock time.Time
	activity  time.Time
	// concurrentUntil is the flush until which records may come out of
	// order by up to Timeout: flushes were last seen overlapping or on
	// different threads (workers), or a chunk was refused (Refused). Until
	// then, lag is at least Timeout. thread is the thread of the last
	// flush.
	concurrentUntil uint64
	thread          int

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
		// The first chunks of a backlog read by workers arrive out of
		// order before any sign of workers could show: assume them.
		concurrentUntil: assumeWorkers,
	}
	if cfg.WallTime() {
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
	j.observeLateness(evTime)
	j.clock.Observe(evTime)
	now := j.release()
	j.requests.Advance(now)
	j.sessions.Advance(now)
	j.emitEvictions(emit)

	switch kind := rec.Kind(); {
	case requestKinds.has(kind):
		j.addToRequest(rec, kind, evTime, now, emit)
	case kind == airlock.KindSessionStart, kind == airlock.KindSessionEnd:
		j.addToSession(rec, kind, evTime, now, emit)
	default:
		// Nothing to join it with: it is complete as it is.
		j.counters.Joined++
		j.emitAlone(rec, kind, evTime, "", emit)
	}
	j.emitEvictions(emit)
	if j.overdue() {
		// Tick is overdue; do not let the lists grow without bound.
		j.emitReady(emit, true)
	}
}

// overdue reports whether a list of what waits to be emitted holds more
// than MaxPending entries that are still waiting; entries evicted
// meanwhile are dropped first.
func (j *Joiner) overdue() bool {
	limit := j.cfg.MaxPending
	if len(j.ready) <= limit && len(j.readySessions) <= limit && len(j.waitingEnds) <= limit {
		return false
	}
	waiting := func(t *correlate.Table[pending], ready bool) func(readyRequest) bool {
		return func(r readyRequest) bool {
			p, ok := t.Get([]byte(r.key))
			return !ok || p.ready() != ready
		}
	}
	j.ready = slices.DeleteFunc(j.ready, waiting(j.requests, true))
	j.readySessions = slices.DeleteFunc(j.readySessions, waiting(j.sessions, true))
	j.waitingEnds = slices.DeleteFunc(j.waitingEnds, waiting(j.sessions, false))
	return len(j.ready) > limit || len(j.readySessions) > limit || len(j.waitingEnds) > limit
}

// Begin tells the Joiner that a flush (a chunk) begins on the thread
// numbered thread, and returns its token for End. Between Begin and End,
// nothing the flush completes is emitted, whatever other flushes end
// meanwhile. Flushes on more than one thread, or overlapping, are Fluent
// Bit's workers, which finish chunks in any order.
func (j *Joiner) Begin(thread int) uint64 {
	j.activity = time.Now()
	if len(j.active) > 0 || j.begun > 0 && thread != j.thread {
		j.concurrentUntil = j.begun + lateWindow
		j.lag = max(j.lag, j.cfg.Timeout)
	}
	j.thread = thread
	j.begun++
	j.active = append(j.active, j.begun)
	return j.begun
}

// Refused tells the Joiner that the caller gave a chunk back to Fluent
// Bit without looking at it (FLB_RETRY): it comes back later, after later
// chunks, so records may arrive up to Config.Timeout late for the next
// flushes, as with workers.
func (j *Joiner) Refused() {
	j.concurrentUntil = max(j.concurrentUntil, j.begun+lateWindow)
	j.lag = max(j.lag, j.cfg.Timeout)
}

// End tells the Joiner that the flush of token has ended, after its last
// Add, and does what Tick does. A token ended twice, or never begun, is
// only a Tick.
func (j *Joiner) End(token uint64, emit Emit) {
	j.Abandon(token)
	j.Tick(emit)
}

// Abandon ends the flush of token, which a panic interrupted, without
// emitting anything: what is due goes out with the next Tick.
func (j *Joiner) Abandon(token uint64) {
	if i := slices.Index(j.active, token); i >= 0 {
		j.active = slices.Delete(j.active, i, i+1)
	}
	j.activity = time.Now()
}

// Tick emits what is due: the requests and sessions completed whose
// flushes have ended and whose time to wait for late records has passed,
// and the session ends whose start did not come in time. Call it (or End)
// at the end of every flush, after the chunk's last Add: records of one
// request that arrive in one chunk are then joined whatever their order.
// With wall time it also times out what has been idle too long by
// time.Now.
func (j *Joiner) Tick(emit Emit) {
	emit = orDiscard(emit)
	j.rotateLateness()
	j.emitEvictions(emit)
	if j.idle() {
		// Nothing comes that could still join: no need to wait.
		j.emitReadyRequests(emit, true)
		j.emitReadySessions(emit, true)
	}
	j.emitReady(emit, false)
	if j.cfg.WallTime() {
		now := j.release()
		j.requests.Advance(now)
		j.sessions.Advance(now)
		j.emitEvictions(emit)
	}
}

// Release emits, without waiting, the requests and sessions that are
// complete: at a shutdown nothing can come that would still join them, so
// a State_File need not carry them.
func (j *Joiner) Release(emit Emit) {
	emit = orDiscard(emit)
	j.emitEvictions(emit)
	j.emitReadyRequests(emit, true)
	j.emitReadySessions(emit, true)
}

// Drain emits everything pending, for a shutdown without State_File:
// completed requests as complete, the others and the sessions with
// partial=shutdown.
func (j *Joiner) Drain(emit Emit) {
	emit = orDiscard(emit)
	j.emitEvictions(emit)
	j.emitReadyRequests(emit, true)
	// Requests first, so that they still find their session's user.
	j.requests.Drain(correlate.ReasonShutdown)
	j.emitEvictions(emit)
	j.emitReadySessions(emit, true)
	// The session ends still waiting for their start go with the rest.
	clear(j.waitingEnds)
	j.waitingEnds = j.waitingEnds[:0]
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
	p, _, ok := j.join(j.requests, j.doneRequests, id, rec, kind, evTime, emit)
	if !ok {
		return
	}
	if !p.ready() && j.completes(p, kind, rec) {
		p[0] |= flagReady
		j.ready = j.schedule(j.ready, id, p)
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

// join joins rec, of kind, whose component j.scratch holds, to the entry
// of id in t, or starts one; done remembers the ids of t's entries already
// emitted. It returns the entry for the caller to put back, and whether id was
// pending. If rec cannot join, it is handled here and ok is false: a kind
// the entry already has is repeated, a kind an emitted id had is late, and
// a record that would make an entry too big is an orphan.
func (j *Joiner) join(t *correlate.Table[pending], done *emitted, id []byte, rec *airlock.Record, kind airlock.Kind, evTime time.Time, emit Emit) (p pending, found, ok bool) {
	p, found = t.Get(id)
	switch {
	case found && p.kinds().has(kind):
		j.repeated(p, rec, kind, evTime, emit)
	case found && len(p)+len(j.scratch) > maxPendingValue:
		j.emitOrphan(rec, kind, evTime, emit)
	case found:
		return p.with(j.scratch, kind, exportFlag(rec)), true, true
	default:
		if kinds, emitted := done.lookup(id); emitted {
			j.late(done, id, kinds, rec, kind, evTime, emit)
		} else if len(j.scratch) > maxPendingValue {
			j.emitOrphan(rec, kind, evTime, emit)
		} else {
			return newPending(j.scratch, kind, exportFlag(rec)), false, true
		}
	}
	return nil, found, false
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
// emitted with the kinds done: a duplicate if the same record (same kept
// fields, which j.scratch holds) was part of it, an orphan otherwise (a
// different record under a reused or colliding id is not hidden).
func (j *Joiner) late(set *emitted, id []byte, done kindSet, rec *airlock.Record, kind airlock.Kind, evTime time.Time, emit Emit) {
	fresh := componentReader{b: j.scratch}
	c, _ := fresh.next()
	if done.has(kind) && set.sameRecord(id, kind, c.fields) {
		j.counters.Duplicate++
		return
	}
	set.add(id, bit(kind))
	set.noteRecord(id, kind, c.fields)
	j.emitOrphan(rec, kind, evTime, emit)
}

// readyRequest is a completed request or session, or a session end
// waiting for its start.
type readyRequest struct {
	key string
	at  int64  // the latest event time of its records, unix nanoseconds
	gen uint64 // the last flush begun when it completed
}

// schedule adds key, with value p just completed, to list, which is kept
// in order of at: a request is then emitted before the session it
// belongs to (which ends later), and gets its user. Records come mostly in
// order, so the place is found from the end in a step or two.
func (j *Joiner) schedule(list []readyRequest, key []byte, p pending) []readyRequest {
	at := latestTime(p)
	if at == math.MinInt64 || j.cfg.WallTime() {
		// On wall time, records' times say nothing about when to emit.
		at = unixNanos(j.clock.Now())
	}
	r := readyRequest{key: string(key), at: at, gen: j.begun}
	i := len(list)
	for i > 0 && list[i-1].at > at {
		i--
	}
	return slices.Insert(list, i, r)
}

// emitReady emits what is due (see Tick), or all of it when force is set:
// the requests, then the sessions, so that requests still find their
// session's user.
func (j *Joiner) emitReady(emit Emit, force bool) {
	j.emitReadyRequests(emit, force)
	j.emitReadySessions(emit, force)
	j.waitingEnds = j.emitDue(j.waitingEnds, j.cfg.Timeout, force, func(key string) {
		// Its start may have come meanwhile (then it is a ready session).
		if p, ok := j.sessions.Get([]byte(key)); ok && !p.kinds().has(airlock.KindSessionStart) {
			j.sessions.Delete([]byte(key))
			j.emitSession(key, p, correlate.ReasonTimeout, emit)
		}
	})
}

func (j *Joiner) emitReadySessions(emit Emit, force bool) {
	j.readySessions = j.emitDue(j.readySessions, 0, force, func(key string) {
		// A session evicted meanwhile has been emitted already.
		if p, ok := j.sessions.Get([]byte(key)); ok && p.ready() {
			j.sessions.Delete([]byte(key))
			j.emitSession(key, p, 0, emit)
		}
	})
}

func (j *Joiner) emitReadyRequests(emit Emit, force bool) {
	j.ready = j.emitDue(j.ready, 0, force, func(key string) {
		// A request evicted meanwhile has been emitted already.
		if p, ok := j.requests.Get([]byte(key)); ok && p.ready() {
			j.requests.Delete([]byte(key))
			j.emitRequest(key, p, 0, emit)
		}
	})
}

// emitDue calls due for the entries of list that are due, wait after
// their time, or for all of them if force is set, and returns the rest.
// An entry is due once the flushes begun before it completed have ended
// and the release clock has passed its time plus wait; the list is in
// order of time, so the first entry not due ends the walk.
func (j *Joiner) emitDue(list []readyRequest, wait time.Duration, force bool, due func(key string)) []readyRequest {
	release := unixNanos(j.release())
	oldest := j.oldestActive()
	i := 0
	for ; i < len(list); i++ {
		r := list[i]
		if !force && (r.gen >= oldest || release < r.at || uint64(release-r.at) < uint64(wait)) {
			break
		}
		due(r.key)
	}
	n := copy(list, list[i:])
	clear(list[n:])
	return list[:n]
}

// oldestActive returns the token of the oldest flush in progress, or the
// largest token if none is.
func (j *Joiner) oldestActive() uint64 {
	if len(j.active) == 0 {
		return math.MaxUint64
	}
	return slices.Min(j.active)
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
			why := e.why
			if e.value.ready() {
				why = 0 // ended with its start, only held for late records
			}
			j.emitSession(e.key, e.value, why, emit)
		}
		clear(j.evictedSessions)
		j.evictedSessions = j.evictedSessions[:0]
	}
}

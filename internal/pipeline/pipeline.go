// Package pipeline is what one welf output instance does with a chunk:
// decode its events in place, decode each record (an Airlock JSON record,
// as a parsed map or a raw line, or an MWG connection-trace line), let the
// joiners correlate them, encode what they emit as WELF and hand the batch
// to the destination.
//
// Where a chunk goes (Pipeline.Flush):
//
//  1. With a spool, a chunk processed before a restart is recognised by its
//     digest (delivery.ChunkLog) and acknowledged without processing.
//  2. admission asks the destination for room (it may wait up to
//     Flush_Wait), and the backlog of records refused earlier goes out
//     first; if either fails, the chunk goes back to Fluent Bit untouched
//     (ErrBusy).
//  3. A worker (per-flush scratch space) decodes each event (package
//     event) and its record: a trace line goes to the MWG joiner
//     (mwg.go), an Airlock record (package airlock) to the Airlock joiner
//     (correlate.go) or straight to WELF, anything else is forwarded as
//     not decoded.
//  4. At the end of the chunk the joiners emit what it completed; what
//     they emit is encoded as WELF by the decoder packages' mappings
//     (airlock.Record.WriteWELF, mwg.Exchange.WriteWELF) under the header
//     the worker writes.
//  5. The batch goes to the destination; what it refuses waits in the
//     backlog. The counters and the record balance (balance.go) are
//     updated.
//
// Between chunks, ticks on the wall clock let the joiners time out
// (joiner.go); Close drains or saves them; a hot reload parks the
// whole pipeline (handoff.go).
//
// Flush may run concurrently for one instance (Fluent Bit's "workers"), so
// all per-chunk scratch space lives in a worker taken from a pool; each
// joiner is serialised by its lock (locked); counters and sink are safe
// for concurrent use.
//
// A chunk is handed back to Fluent Bit (ErrBusy, FLB_RETRY) only before any
// of it was processed, after the destination's admission check waited for
// room in vain: the joiners consume records, so processing a chunk twice
// would lose or duplicate output. For the same reason, with a spool, a
// chunk processed before a restart that Fluent Bit flushes again is
// recognised by its digest and acknowledged without processing. Records
// the destination refuses after processing wait in a backlog instead, and
// hold back later chunks.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/destination"
	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// reportsPerChunk bounds how many bad records of one chunk are logged one by
// one; the rest are summed up in one line, so a broken input cannot flood the
// host's log.
const reportsPerChunk = 5

// Counters are the totals of an instance since Init.
type Counters struct {
	Events    uint64 // events decoded from chunks
	Written   uint64 // WELF records handed to the destination
	Unparsed  uint64 // records that were not decoded (written or dropped per Unparsed_Records)
	Malformed uint64 // events that could not be decoded at all
	Truncated uint64 // WELF records shortened to Max_Size
}

func (c Counters) String() string {
	return fmt.Sprintf("events=%d written=%d unparsed=%d malformed=%d truncated=%d",
		c.Events, c.Written, c.Unparsed, c.Malformed, c.Truncated)
}

// Pipeline processes the chunks of one output instance.
type Pipeline struct {
	cfg       *config.Config
	log       *flblog.Logger
	sink      sink.Sink
	overhead  func(*sink.Record) int // the destination's header bytes per record; nil = none
	admission admission
	// receiverStats reads the per-receiver counters of a destination of
	// several receivers (nil otherwise) into receivers, Snapshot's room.
	receiverStats func(*failover.Stats)
	receivers     failover.Stats
	// chunks remembers the chunks processed, with the spool, so that one
	// Fluent Bit flushes again after a restart is not processed twice;
	// nil without a spool.
	chunks  *delivery.ChunkLog
	backlog backlog

	// Correlation, shared by all flushes; stopTicking, if set, stops the
	// wall-clock ticks that time state out between chunks.
	airlockJoin *locked[*airlockjoin.Joiner, airlockjoin.Emit] // Airlock requests and sessions; nil with Correlate off
	mwgJoin     *locked[*mwgjoin.Joiner, mwgjoin.Emit]         // MWG connections; nil with Source airlock
	stopTicking func()

	workers sync.Pool
	counts  counters
	balance balance
}

// New returns a Pipeline that writes to dest. It owns dest from now on.
func New(cfg *config.Config, dest *destination.Destination, log *flblog.Logger) (*Pipeline, error) {
	if cfg == nil || dest == nil || dest.Sink == nil {
		return nil, errors.New("pipeline: missing configuration or destination")
	}
	p := &Pipeline{
		cfg: cfg, log: log, sink: dest.Sink, overhead: dest.Overhead,
		admission:     admission{check: dest.Admit, cfg: cfg, log: log},
		receiverStats: dest.ReceiverStats,
	}
	if e, ok := dest.Sink.(*delivery.Engine); ok {
		p.chunks = e.Chunks()
	}
	p.workers.New = func() any { return p.newWorker() }
	if cfg.Source != config.SourceAirlock {
		j, err := newMWGJoiner(cfg)
		if err != nil {
			return nil, err
		}
		p.mwgJoin = newLocked(j, log, concurrentTraces)
	}
	if cfg.Source != config.SourceMWG && cfg.Correlation.Enabled {
		j, err := newAirlockJoiner(cfg, log)
		if err != nil {
			return nil, err
		}
		// Concurrent flushes are fine here: records join by id, in any order.
		p.airlockJoin = newLocked(j, log, "")
		p.balance.restored.Store(j.Counters().In) // State_File
	}
	// Airlock on record time ticks too: what is complete but held for late
	// records goes out once the flushes pause (airlockjoin.Joiner.Tick).
	if p.mwgJoin != nil && cfg.MWG.Join.WallTime() || p.airlockJoin != nil {
		p.stopTicking = p.startTicking()
	}
	return p, nil
}

// counters are the totals behind Counters.
type counters struct {
	events, written, unparsed, malformed, truncated atomic.Uint64
}

// add counts a chunk's events and records.
func (c *counters) add(r *Result) {
	c.events.Add(uint64(r.Events))
	c.unparsed.Add(uint64(r.Unparsed))
	c.malformed.Add(uint64(r.Malformed))
}

// Counters returns the totals so far.
func (p *Pipeline) Counters() Counters {
	c := &p.counts
	return Counters{
		Events: c.events.Load(), Written: c.written.Load(), Unparsed: c.unparsed.Load(),
		Malformed: c.malformed.Load(), Truncated: c.truncated.Load(),
	}
}

// Result is what one Flush did.
type Result struct {
	Events, Written, Unparsed, Malformed int
}

// ErrBusy says the destination's outbound buffer is full: the chunk was not
// looked at, and Fluent Bit should keep it and retry later.
var ErrBusy = errors.New("destination busy: outbound buffer full")

// Flush processes one chunk. chunk is only read, and only during the call.
// A bad record is counted and reported and the rest of the chunk goes on.
// The only error is ErrBusy: the chunk was not looked at, and Fluent Bit
// should retry it later.
func (p *Pipeline) Flush(chunk []byte, tag string) (Result, error) {
	digest, again := p.processedBefore(chunk, tag)
	if again {
		return Result{}, nil
	}
	if !p.admission.admit() || !p.sendBacklog() {
		p.refusedToJoin()
		return Result{}, ErrBusy
	}
	w := p.workers.Get().(*worker)
	defer p.workers.Put(w)
	defer w.releaseJoiners() // a panic (the plugin recovers it) must not leave a joiner locked
	w.reset(tag)
	// A panic must not leave the flush in progress for the joiner: it
	// would hold back every completed request from then on.
	w.joinFlush = p.beginJoin()
	defer p.abandonJoin(&w.joinFlush)
	w.processChunk(chunk)
	w.endChunk()
	p.counts.add(&w.res)
	w.res.Written = p.send(w)
	p.chunks.Add(digest)
	return w.res, nil
}

// processedBefore reports, with a spool, whether the chunk was processed
// before a restart and Fluent Bit flushes it again; it returns the chunk's
// digest to record once the chunk is processed.
func (p *Pipeline) processedBefore(chunk []byte, tag string) (delivery.Digest, bool) {
	if p.chunks == nil {
		return delivery.Digest{}, false
	}
	digest := delivery.ChunkDigest(chunk, tag)
	if p.chunks.Before(digest) {
		p.log.Infof("chunk (tag %q, %d bytes) was processed before the restart and is flushed again by Fluent Bit: acknowledged without processing it twice", tag, len(chunk))
		return digest, true
	}
	return digest, false
}

// send hands the records w encoded to the destination and returns how many
// it took. A refusal after the chunk was processed keeps the records in the
// backlog: the chunk is done for Fluent Bit, and a retry of it would only
// meet records correlation has already consumed.
func (p *Pipeline) send(w *worker) int {
	c := &p.counts
	c.truncated.Add(uint64(w.truncated))
	p.balance.add(&w.acct)
	if len(w.spans) == 0 {
		return 0
	}
	batch := w.batch()
	if err := p.sink.Send(batch); err != nil {
		if p.backlog.keep(batch) {
			p.log.Warnf("destination %s: %v; records are kept in memory and new chunks wait (FLB_RETRY) until it takes them", p.cfg.Destination, err)
		}
		return 0
	}
	c.written.Add(uint64(len(batch)))
	return len(batch)
}

// sendBacklog sends the backlog, if any, and reports whether it is empty.
func (p *Pipeline) sendBacklog() bool {
	n, empty := p.backlog.send(p.sink)
	if n > 0 {
		p.counts.written.Add(uint64(n))
		p.log.Infof("destination %s takes records again: %d kept records written", p.cfg.Destination, n)
	}
	return empty
}

// emitOutside runs fn, which emits correlated records through the worker it
// is given, outside any Flush, and sends what it emitted.
func (p *Pipeline) emitOutside(fn func(w *worker)) {
	w := p.workers.Get().(*worker)
	defer p.workers.Put(w)
	w.reset("")
	fn(w)
	p.send(w)
}

// Close ends correlation — pending state is saved (State_File) or emitted as
// partial records — and then releases the destination, which delivers what
// it can within its own bound.
func (p *Pipeline) Close() error {
	if p.stopTicking != nil {
		p.stopTicking()
	}
	if p.mwgJoin != nil {
		p.emitOutside(func(w *worker) { p.mwgJoin.drain(w.mwgEmit) })
		if c := p.mwgJoin.j.Counters(); c.Records > 0 {
			p.log.Infof("mwg: %s", c)
		}
	}
	if p.airlockJoin != nil {
		p.closeJoiner()
	}
	if !p.sendBacklog() {
		n := p.backlog.drop()
		p.log.Errorf("destination %s: %d records could not be written before exit and are lost", p.cfg.Destination, n)
		p.balance.lost.Add(uint64(n))
	}
	p.logBalance()
	return p.sink.Close()
}

// worker holds the scratch space of one Flush; it is reused across chunks.
type worker struct {
	p   *Pipeline
	tag string
	res Result

	dec     event.Decoder
	rec     airlock.Record
	welf    *welf.Builder
	scratch []byte // text forms of non-string values of the current record

	lineReader airlock.LineReader // the objects of a raw line
	siblings   []airlock.KV       // the fields next to the raw line in its map
	acct       workerBalance      // this flush's share of the record accounting

	lines      []byte // encoded records of this chunk, back to back
	spans      []span
	out        []sink.Record
	truncated  int
	reported   int
	suppressed int

	mwgEmit  mwgjoin.Emit     // w.emitMWG, made once: a method value allocates
	joinEmit airlockjoin.Emit // w.emitJoined, likewise
	mwgHost  []byte           // host of the trace record being added, for fw
	mwgHeld  bool             // this worker holds p.mwgJoin's lock, from its first trace record to the end of the chunk
	// joinFlush is this flush's token from the Airlock joiner's Begin,
	// 0 once ended (or without the joiner).
	joinFlush uint64

	// The last gateway host seen, so a run of records from one host does not
	// allocate a string per record.
	hostBytes []byte
	hostStr   string
}

type span struct {
	start, end int
	time       time.Time
	pri        int
	host       string
}

func (p *Pipeline) newWorker() *worker {
	w := &worker{p: p, welf: welf.NewBuilder(welf.Options{Location: p.cfg.Location, MaxSize: p.cfg.MaxSize})}
	w.mwgEmit = w.emitMWG
	w.joinEmit = w.emitJoined
	return w
}

func (w *worker) reset(tag string) {
	w.tag = tag
	w.res = Result{}
	w.lines = w.lines[:0]
	w.spans = w.spans[:0]
	w.truncated, w.reported, w.suppressed = 0, 0, 0
}

func (w *worker) report(format string, args ...any) {
	if w.reported >= reportsPerChunk {
		w.suppressed++
		return
	}
	w.reported++
	w.p.log.Warnf(format, args...)
}

// processChunk decodes the chunk's events and processes each. A malformed
// event is counted, reported and skipped; one that leaves the decoder lost
// ends the chunk.
func (w *worker) processChunk(chunk []byte) {
	w.dec.Reset(chunk)
	var ev event.Event
	for {
		err := w.dec.Next(&ev)
		if err == nil {
			w.res.Events++
			w.process(&ev)
			continue
		}
		if err == io.EOF {
			return
		}
		w.res.Malformed++
		bad, ok := err.(*event.Error) // the decoder returns only io.EOF and *event.Error
		if !ok || bad.Fatal {
			w.report("chunk decoding stopped, rest of the chunk lost: %v", err)
			return
		}
		w.report("malformed event dropped: %v", bad)
	}
}

// endChunk lets the joiners emit what the chunk completed, releases them,
// and sums up the bad records not reported one by one.
func (w *worker) endChunk() {
	p := w.p
	if p.airlockJoin != nil {
		// Completed requests wait for the end of the chunk (and of the
		// flushes before it), so a block record after its summary in the
		// same chunk still joins.
		p.endJoin(&w.joinFlush, w)
	}
	if w.mwgHeld {
		// Idle connections time out here on record time, which only trace
		// lines advance (on wall time the ticks also do it between chunks).
		p.mwgJoin.j.Tick(w.mwgEmit)
	}
	w.releaseJoiners()
	if w.suppressed > 0 {
		p.log.Warnf("%d more bad records in this chunk (tag %q) not reported one by one", w.suppressed, w.tag)
	}
}

// releaseJoiners lets go of the joiner locks w holds for its chunk.
func (w *worker) releaseJoiners() {
	if w.p.mwgJoin != nil {
		w.p.mwgJoin.release(&w.mwgHeld)
	}
}

// process decodes one event's record and encodes what it yields.
func (w *worker) process(ev *event.Event) {
	if w.p.mwgJoin != nil {
		if tr, ok := w.traceFields(ev.Body); ok && w.processMWG(ev, tr) {
			return
		}
		if w.p.cfg.Source == config.SourceMWG {
			w.unparsedRecord(ev, nil, "no trace file path under "+w.p.cfg.MWG.PathKey)
			return
		}
	}
	line, reason := w.decode(ev.Body)
	switch {
	case reason == reasonBlank:
		w.acct.blank++
	case reason != "":
		w.unparsedRecord(ev, line, reason)
	case line != nil:
		w.processLine(ev, line)
	default:
		w.airlockRecord(&w.rec, ev.Time)
	}
}

// airlockRecord hands one decoded Airlock record to correlation or encodes
// it at once.
func (w *worker) airlockRecord(rec *airlock.Record, evTime time.Time) {
	if w.p.airlockJoin != nil {
		w.acct.joinIn++
		w.joinAirlock(rec, evTime)
		return
	}
	w.encodeAirlock(rec, evTime)
}

// reasonBlank marks a blank raw line: tail hands empty lines over (its
// Skip_Empty_Lines is off by default), and they carry nothing to report.
const reasonBlank = "blank line"

// decode reads an event body. A body is an Airlock record either as a map
// of its fields (Fluent Bit's json parser ran), which decode leaves in
// w.rec, or as a raw line under Log_Key (or "message", when that holds a
// JSON object), which it returns for processLine, or as a Kibana export
// with the record under "_source". On failure it returns the raw line, if
// there was one, and the reason.
func (w *worker) decode(body event.Map) (line []byte, reason string) {
	rec := &w.rec
	rec.Reset()
	w.scratch = w.scratch[:0]
	w.siblings = w.siblings[:0]
	var message []byte
	logKey := w.p.cfg.LogKey
	lines, fields := 0, 0
	for it := body.Iter(); it.Next(); {
		key, val := it.Key(), it.Value()
		if it.KeyKind() != event.KindString {
			// A key rendered as text lives in the iterator until the next
			// key: the record keeps a copy.
			start := len(w.scratch)
			w.scratch = append(w.scratch, key...)
			key = w.scratch[start:]
		}
		if string(key) == logKey && val.Kind() == event.KindString {
			if line != nil {
				rec.Set(key, line) // kept, should the record be one without lines
			}
			line, lines = val.Bytes(), lines+1
			continue // a raw line is decoded below, never passed through as a field
		}
		var text []byte
		if val.Kind() == event.KindString {
			text = val.Bytes()
		} else {
			start := len(w.scratch)
			w.scratch = val.AppendText(w.scratch)
			text = w.scratch[start:]
		}
		if string(key) == "message" {
			message = text
		}
		rec.Set(key, text)
		fields++
	}
	if rec.Has(airlock.FieldLogID) {
		if line != nil {
			// A parser that kept the raw line (Preserve_Key): it is not
			// decoded again, but not dropped either.
			rec.Set([]byte(logKey), line)
		}
		return nil, ""
	}
	if lines > 1 {
		// Decoding one would lose the other.
		return nil, fmt.Sprintf("%d %q lines in one record", lines, logKey)
	}
	fromMessage := false
	if line == nil && len(message) > 0 && bytes.HasPrefix(bytes.TrimSpace(message), []byte("{")) {
		line, fromMessage = message, true
		fields--
	}
	if line == nil {
		return nil, fmt.Sprintf("no Airlock log_id and no %q line in record", logKey)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, reasonBlank
	}
	if fields > 0 {
		w.collectSiblings(body, fromMessage)
	}
	return line, ""
}

// collectSiblings keeps in w.siblings the fields of body next to its raw
// line (the other members of a JSON line with a Log_Key member, a
// filter's): processLine passes them through into every record of the
// line, so that none is lost. The file name and offset tail adds under
// the configured Path_Key and Offset_Key say where the line was read, not
// what it says: they are not passed. fromMessage says that the line is the
// "message" field.
func (w *worker) collectSiblings(body event.Map, fromMessage bool) {
	cfg := w.p.cfg
	for it := body.Iter(); it.Next(); {
		key, val := it.Key(), it.Value()
		if it.KeyKind() != event.KindString {
			start := len(w.scratch)
			w.scratch = append(w.scratch, key...)
			key = w.scratch[start:]
		}
		switch {
		case string(key) == cfg.LogKey && val.Kind() == event.KindString, fromMessage && string(key) == "message",
			cfg.MWG.PathKey != "" && string(key) == cfg.MWG.PathKey, cfg.MWG.OffsetKey != "" && string(key) == cfg.MWG.OffsetKey:
			continue
		}
		text := val.Bytes()
		if val.Kind() != event.KindString {
			start := len(w.scratch)
			w.scratch = val.AppendText(w.scratch)
			text = w.scratch[start:]
		}
		w.siblings = append(w.siblings, airlock.KV{Key: key, Value: text})
	}
}

// encodeAirlock encodes one Airlock record as WELF.
func (w *worker) encodeAirlock(rec *airlock.Record, evTime time.Time) {
	t, ok := rec.Time()
	if !ok {
		t = evTime
	}
	pri, ok := rec.Severity()
	if !ok {
		pri = welf.PriInfo
	}
	host := w.fw(rec.Get(airlock.FieldHost))
	w.begin(t, pri, host)
	rec.WriteWELF(w.welf)
	w.finish(t, pri, host)
}

// unparsedRecord reports a record that is not an Airlock record and, unless
// configured to drop it, forwards it as a WELF record that carries the
// reason and the raw text, so no evidence is lost silently.
func (w *worker) unparsedRecord(ev *event.Event, line []byte, reason string) {
	w.res.Unparsed++
	if line == nil {
		start := len(w.scratch)
		w.scratch = ev.Body.AppendJSON(w.scratch)
		line = w.scratch[start:]
	}
	if userinfo.MayHoldURL(line) { // where a URL password would otherwise leak, to the log too
		start := len(w.scratch)
		w.scratch = userinfo.Redact(w.scratch, line)
		line = w.scratch[start:]
	}
	if bytes.IndexByte(line, '"') >= 0 { // JSON members such as "password":…, likewise
		start := len(w.scratch)
		w.scratch = airlock.AppendRedactedSecrets(w.scratch, line)
		line = w.scratch[start:]
	}
	if bytes.IndexByte(line, '=') >= 0 || bytes.IndexByte(line, ':') >= 0 { // and "password=…", "Authorization: …"
		start := len(w.scratch)
		w.scratch = airlock.AppendRedactedSecretPairs(w.scratch, line)
		line = w.scratch[start:]
	}
	w.report("record not decoded (%s): %s", reason, preview(line))
	if w.p.cfg.Unparsed == config.UnparsedDrop {
		w.acct.unparsedDropped++
		return
	}
	host := w.fw(nil)
	w.begin(ev.Time, welf.PriWarning, host)
	w.welf.Str("tag", w.tag)
	w.welf.Text("msg", "welfbridge: record not decoded: "+reason)
	w.welf.TextBytes("raw", line)
	w.finish(ev.Time, welf.PriWarning, host)
}

// begin starts a WELF record. On carriers with a header of their own
// (syslog), Max_Size caps the whole message, so the WELF record gets what
// this record's header leaves.
func (w *worker) begin(t time.Time, pri int, host string) {
	if w.p.overhead != nil && w.p.cfg.MaxSize > 0 {
		room := w.p.cfg.MaxSize - w.p.overhead(&sink.Record{Time: t, Severity: pri, Host: host})
		w.welf.SetMaxSize(max(room, 1))
	}
	w.welf.Begin(welf.Header{ID: w.p.cfg.WELFID, Time: t, FW: host, Pri: pri})
}

// fw picks the WELF fw value: the configured FW, else the record's gateway
// host without URL passwords, else this machine's name.
func (w *worker) fw(recordHost []byte) string {
	switch {
	case w.p.cfg.FW != "":
		return w.p.cfg.FW
	case len(recordHost) == 0:
		return w.p.cfg.Hostname
	case !bytes.Equal(recordHost, w.hostBytes):
		w.hostBytes = append(w.hostBytes[:0], recordHost...)
		if userinfo.MayHold(recordHost) { // a host is where "u:p@h" is userinfo
			recordHost = userinfo.RedactAuthority(nil, recordHost)
		}
		w.hostStr = string(recordHost)
	}
	return w.hostStr
}

// finish completes the record in the builder and queues it for the batch.
func (w *worker) finish(t time.Time, pri int, host string) {
	rec, err := w.welf.Finish()
	if err != nil {
		w.res.Unparsed++
		w.acct.failed++
		w.report("record not encoded: %v", err)
		return
	}
	if w.p.overhead != nil && w.p.cfg.MaxSize > 0 {
		if n := len(rec) + w.p.overhead(&sink.Record{Time: t, Severity: pri, Host: host}); n > w.p.cfg.MaxSize {
			// Its structured fields alone exceed Max_Size, the receiver's
			// limit: rsyslog would cut it and read the rest as a message
			// of its own (a forged record), a UDP datagram or a RELP
			// frame could not carry it and it would hold up every record
			// behind it.
			w.res.Unparsed++
			w.acct.failed++
			w.report("record not written: %d bytes with its syslog header, more than Max_Size %d (its structured fields alone exceed it)", n, w.p.cfg.MaxSize)
			return
		}
	}
	if w.welf.Truncated() {
		w.truncated++
	}
	start := len(w.lines)
	w.lines = append(w.lines, rec...)
	w.spans = append(w.spans, span{start: start, end: len(w.lines), time: t, pri: pri, host: host})
}

// batch turns the queued spans into sink records over w.lines (which no
// longer grows, so the slices stay valid).
func (w *worker) batch() []sink.Record {
	w.out = w.out[:0]
	for _, s := range w.spans {
		w.out = append(w.out, sink.Record{Time: s.time, Severity: s.pri, Host: s.host, Line: w.lines[s.start:s.end]})
	}
	return w.out
}

// preview shortens a raw line for a log message.
func preview(line []byte) string {
	const max = 200
	if len(line) > max {
		return fmt.Sprintf("%q…", line[:max])
	}
	return fmt.Sprintf("%q", line)
}

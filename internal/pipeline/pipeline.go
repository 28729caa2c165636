// Package pipeline is what one welf output instance does with a chunk:
// decode its events in place, decode each record (an Airlock JSON record,
// as a parsed map or a raw line, or an MWG connection-trace line), let the
// joiners correlate them, encode what they emit as WELF and hand the batch
// to the destination.
//
// Flush may run concurrently for one instance (Fluent Bit's "workers"), so
// all per-chunk scratch space lives in a worker taken from a pool; the
// joiners are serialised by a mutex each; counters and sink are safe for
// concurrent use.
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
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"github.com/welfbridge/welfbridge/internal/sink"
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
	cfg      *config.Config
	sink     sink.Sink
	overhead func(*sink.Record) int // the destination's header bytes per record; nil = none
	admit    func() bool            // the destination's admission check, which may wait; nil = always
	log      *flblog.Logger
	busy     atomic.Bool // the last admission check said no
	// chunks remembers the chunks processed, with the spool, so that one
	// Fluent Bit flushes again after a restart is not processed twice;
	// nil without a spool.
	chunks *delivery.ChunkLog

	// Correlation: the joiners are shared by all flushes, so a mutex
	// serialises each; tickLoop flushes what times out between chunks.
	join   *airlockjoin.Joiner // Airlock requests and sessions; nil with Correlate off
	joinMu sync.Mutex
	mwg    *mwgjoin.Joiner // MWG connections; nil with Source airlock
	mwgMu  sync.Mutex
	// mwgFlushes counts the flushes holding or awaiting mwgMu for their
	// trace lines; mwgConcurrent is set once two of them overlapped.
	mwgFlushes    atomic.Int32
	mwgConcurrent atomic.Bool
	tickStop      chan struct{}
	tickDone      chan struct{}

	// backlog holds records of chunks already acknowledged to Fluent Bit
	// that the destination refused: correlation has consumed those chunks,
	// so they cannot be processed again. The next Flush sends the backlog
	// first and returns ErrBusy, before touching any state, while that
	// still fails.
	backlogMu  sync.Mutex
	backlog    []sink.Record
	backlogBuf []byte

	workers sync.Pool

	events, written, unparsed, malformed, truncated atomic.Uint64
	balance                                         balance
}

// New returns a Pipeline that writes to dest. It owns dest from now on.
func New(cfg *config.Config, dest *destination.Destination, log *flblog.Logger) (*Pipeline, error) {
	if cfg == nil || dest == nil || dest.Sink == nil {
		return nil, errors.New("pipeline: missing configuration or destination")
	}
	p := &Pipeline{cfg: cfg, sink: dest.Sink, overhead: dest.Overhead, admit: dest.Admit, log: log}
	if e, ok := dest.Sink.(*delivery.Engine); ok {
		p.chunks = e.Chunks()
	}
	p.workers.New = func() any { return p.newWorker() }
	if cfg.Source != config.SourceAirlock {
		j, err := newMWGJoiner(cfg)
		if err != nil {
			return nil, err
		}
		p.mwg = j
	}
	if cfg.Source != config.SourceMWG && cfg.Correlation.Enabled {
		j, err := newAirlockJoiner(cfg, log)
		if err != nil {
			return nil, err
		}
		p.join = j
		p.balance.restored.Store(j.Counters().In) // State_File
	}
	if p.mwg != nil && !cfg.MWG.RecordTime || p.join != nil && cfg.Correlation.WallClock {
		p.tickStop, p.tickDone = make(chan struct{}), make(chan struct{})
		go p.tickLoop()
	}
	return p, nil
}

// Counters returns the totals so far.
func (p *Pipeline) Counters() Counters {
	return Counters{
		Events: p.events.Load(), Written: p.written.Load(), Unparsed: p.unparsed.Load(),
		Malformed: p.malformed.Load(), Truncated: p.truncated.Load(),
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
	var digest delivery.Digest
	if p.chunks != nil {
		digest = delivery.ChunkDigest(chunk, tag)
		if p.chunks.Before(digest) {
			p.log.Infof("chunk (tag %q, %d bytes) was processed before the restart and is flushed again by Fluent Bit: acknowledged without processing it twice", tag, len(chunk))
			return Result{}, nil
		}
	}
	if p.admit != nil {
		if !p.admit() {
			if !p.busy.Swap(true) {
				p.log.Warnf("destination %s is not keeping up: no room within %s (%s), chunks go back to Fluent Bit with FLB_RETRY; "+
					"Fluent Bit drops a chunk after Retry_Limit retries (default 1, \"chunk ... cannot be retried\"): "+
					"set Retry_Limit no_limits on this output, or raise %s, %s or %s",
					p.cfg.Destination, config.KeyFlushWait, p.cfg.Delivery.FlushWait, config.KeyFlushWait, config.KeySpoolMaxBytes, config.KeyQueueMaxBytes)
			}
			return Result{}, ErrBusy
		}
		if p.busy.Swap(false) {
			p.log.Infof("destination %s takes chunks again", p.cfg.Destination)
		}
	}
	if !p.sendBacklog() {
		return Result{}, ErrBusy
	}
	w := p.workers.Get().(*worker)
	defer p.workers.Put(w)
	// Even if a panic ends this flush (the plugin recovers it), the
	// joiner's lock must not stay held: every later flush would block.
	defer w.unlockMWG()
	w.reset(tag)

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
			break
		}
		w.res.Malformed++
		bad, ok := err.(*event.Error) // the decoder returns only io.EOF and *event.Error
		if !ok || bad.Fatal {
			w.report("chunk decoding stopped, rest of the chunk lost: %v", err)
			break
		}
		w.report("malformed event dropped: %v", bad)
	}
	if p.join != nil {
		// Completed requests wait for the end of the chunk, so a block
		// record after its summary in the same chunk still joins.
		p.joinMu.Lock()
		p.join.Tick(w.joinEmit)
		p.joinMu.Unlock()
	}
	if w.mwgLocked {
		// Idle connections time out here on record time, which only trace
		// lines advance (on wall time the tick loop also does it between
		// chunks).
		p.mwg.Tick(w.mwgEmit)
		w.unlockMWG()
	}
	if w.suppressed > 0 {
		p.log.Warnf("%d more bad records in this chunk (tag %q) not reported one by one", w.suppressed, tag)
	}

	p.events.Add(uint64(w.res.Events))
	p.unparsed.Add(uint64(w.res.Unparsed))
	p.malformed.Add(uint64(w.res.Malformed))
	w.res.Written = p.send(w)
	p.chunks.Add(digest)
	return w.res, nil
}

// send hands the records w encoded to the destination and returns how many
// it took. A refusal after the chunk was processed keeps the records in the
// backlog: the chunk is done for Fluent Bit, and a retry of it would only
// meet records correlation has already consumed.
func (p *Pipeline) send(w *worker) int {
	p.truncated.Add(uint64(w.truncated))
	p.balance.add(&w.acct)
	if len(w.spans) == 0 {
		return 0
	}
	batch := w.batch()
	if err := p.sink.Send(batch); err != nil {
		p.keepBacklog(batch, err)
		return 0
	}
	p.written.Add(uint64(len(batch)))
	return len(batch)
}

// keepBacklog copies records the destination refused into the backlog.
func (p *Pipeline) keepBacklog(recs []sink.Record, err error) {
	p.backlogMu.Lock()
	defer p.backlogMu.Unlock()
	if len(p.backlog) == 0 {
		p.log.Warnf("destination %s: %v; records are kept in memory and new chunks wait (FLB_RETRY) until it takes them", p.cfg.Destination, err)
	}
	start := len(p.backlog)
	for _, r := range recs {
		p.backlogBuf = append(p.backlogBuf, r.Line...)
		r.Line = nil
		p.backlog = append(p.backlog, r)
	}
	// Lines are sliced out of backlogBuf only now that it has stopped growing.
	off := len(p.backlogBuf)
	for i := len(p.backlog) - 1; i >= start; i-- {
		n := len(recs[i-start].Line)
		p.backlog[i].Line = p.backlogBuf[off-n : off : off]
		off -= n
	}
}

// sendBacklog sends the backlog, if any, and reports whether it is empty.
func (p *Pipeline) sendBacklog() bool {
	p.backlogMu.Lock()
	defer p.backlogMu.Unlock()
	if len(p.backlog) == 0 {
		return true
	}
	if err := p.sink.Send(p.backlog); err != nil {
		return false
	}
	p.written.Add(uint64(len(p.backlog)))
	p.log.Infof("destination %s takes records again: %d kept records written", p.cfg.Destination, len(p.backlog))
	p.backlog, p.backlogBuf = p.backlog[:0], p.backlogBuf[:0]
	return true
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
	if p.tickStop != nil {
		close(p.tickStop)
		<-p.tickDone
	}
	if p.mwg != nil {
		p.emitOutside(func(w *worker) {
			p.mwgMu.Lock()
			defer p.mwgMu.Unlock()
			p.mwg.Drain(w.mwgEmit)
		})
		if c := p.mwg.Counters(); c.Records > 0 {
			p.log.Infof("mwg: %s", c)
		}
	}
	if p.join != nil {
		p.closeJoiner()
	}
	if !p.sendBacklog() {
		p.backlogMu.Lock()
		p.log.Errorf("destination %s: %d records could not be written before exit and are lost", p.cfg.Destination, len(p.backlog))
		p.balance.lost.Add(uint64(len(p.backlog)))
		p.backlogMu.Unlock()
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
	acct       workerBalance      // this flush's share of the record accounting

	lines      []byte // encoded records of this chunk, back to back
	spans      []span
	out        []sink.Record
	truncated  int
	reported   int
	suppressed int

	mwgEmit   mwgjoin.Emit     // w.emitMWG, made once: a method value allocates
	joinEmit  airlockjoin.Emit // w.emitJoined, likewise
	mwgHost   []byte           // host of the trace record being added, for fw
	mwgLocked bool             // this worker holds p.mwgMu, from its first trace record to the end of the chunk

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

// process decodes one event's record and encodes what it yields.
func (w *worker) process(ev *event.Event) {
	if w.p.mwg != nil {
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
	if w.p.join != nil {
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
	var message []byte
	logKey := w.p.cfg.LogKey
	for it := body.Iter(); it.Next(); {
		key, val := it.Key(), it.Value()
		if string(key) == logKey && val.Kind() == event.KindString {
			line = val.Bytes()
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
	}
	if rec.Has(airlock.FieldLogID) {
		if line != nil {
			// A parser that kept the raw line (Preserve_Key): it is not
			// decoded again, but not dropped either.
			rec.Set([]byte(logKey), line)
		}
		return nil, ""
	}
	if line == nil && len(message) > 0 && bytes.HasPrefix(bytes.TrimSpace(message), []byte("{")) {
		line = message
	}
	if line == nil {
		return nil, fmt.Sprintf("no Airlock log_id and no %q line in record", logKey)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, reasonBlank
	}
	return line, ""
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
// host, else this machine's name.
func (w *worker) fw(recordHost []byte) string {
	switch {
	case w.p.cfg.FW != "":
		return w.p.cfg.FW
	case len(recordHost) == 0:
		return w.p.cfg.Hostname
	case !bytes.Equal(recordHost, w.hostBytes):
		w.hostBytes = append(w.hostBytes[:0], recordHost...)
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

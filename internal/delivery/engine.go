package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// Logger receives the engine's messages. internal/flblog.Logger satisfies it.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Fsync is when spool writes are synced to disk.
type Fsync uint8

const (
	// FsyncInterval syncs at most once per second: a power failure loses at
	// most the last second of accepted records. The default.
	FsyncInterval Fsync = iota
	// FsyncAlways syncs before Send returns.
	FsyncAlways
	// FsyncOff leaves writing back to the operating system: records survive
	// a crash of the process, not of the machine.
	FsyncOff
)

func (f Fsync) String() string {
	switch f {
	case FsyncAlways:
		return "always"
	case FsyncOff:
		return "off"
	}
	return "interval"
}

// ParseFsync parses "always", "interval" or "off", in any case.
func ParseFsync(s string) (Fsync, error) {
	for _, f := range []Fsync{FsyncInterval, FsyncAlways, FsyncOff} {
		if strings.EqualFold(s, f.String()) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("invalid fsync policy %q: want always, interval or off", s)
}

// Defaults for the zero fields of Options.
const (
	DefaultQueueMaxBytes   = 16 << 20
	DefaultSpoolMaxBytes   = 256 << 20
	DefaultSegmentBytes    = 8 << 20
	DefaultBatchRecords    = 500
	DefaultBatchBytes      = 1 << 20
	DefaultBackoffMin      = 100 * time.Millisecond
	DefaultBackoffMax      = 30 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
	DefaultStatsInterval   = 60 * time.Second
	DefaultAdmitWait       = 30 * time.Second
)

// Options configure an engine. A zero or negative field takes its default,
// except StatsInterval, where a negative value turns periodic stats off.
type Options struct {
	// QueueMaxBytes bounds the bytes accepted by Send and not yet confirmed
	// that are kept in memory. Without a spool it is the admission limit;
	// with one, batches beyond it are kept on disk only and read back when
	// their turn comes. A record takes its line, its host and about 18 bytes.
	QueueMaxBytes int64
	// SpoolDir is the spool directory; "" means no spool.
	SpoolDir string
	// SpoolMaxBytes is the admission limit on unconfirmed bytes in the spool.
	SpoolMaxBytes int64
	// AdmitWait is how long Admit waits for room before it says no; 0 (not
	// a default) says no at once.
	AdmitWait  time.Duration
	SpoolFsync Fsync
	// SegmentBytes is the size at which a segment file is sealed and the
	// next one started.
	SegmentBytes int64
	// BatchRecords and BatchBytes bound one carrier Send. BatchBytes counts
	// a record as its line, its host and about 10 bytes; a record larger
	// than BatchBytes goes alone.
	BatchRecords int
	BatchBytes   int
	// BackoffMin and BackoffMax bound the wait before a retry: it doubles
	// from BackoffMin with every failure in a row up to BackoffMax, and the
	// actual wait is drawn between half of that and all of it.
	BackoffMin, BackoffMax time.Duration
	// ShutdownTimeout bounds how long Close lets the sender drain.
	ShutdownTimeout time.Duration
	// StatsInterval is how often the counters are logged.
	StatsInterval time.Duration
	// Log receives warnings and stats; nil discards them.
	Log Logger
}

// DefaultOptions returns the settings an engine runs with when none is
// given, AdmitWait included.
func DefaultOptions() Options {
	return Options{
		QueueMaxBytes: DefaultQueueMaxBytes, SpoolMaxBytes: DefaultSpoolMaxBytes, ShutdownTimeout: DefaultShutdownTimeout,
		StatsInterval: DefaultStatsInterval, AdmitWait: DefaultAdmitWait,
	}
}

func (o Options) withDefaults() Options {
	o.QueueMaxBytes = orDefault(o.QueueMaxBytes, DefaultQueueMaxBytes)
	o.SpoolMaxBytes = orDefault(o.SpoolMaxBytes, DefaultSpoolMaxBytes)
	o.SegmentBytes = orDefault(o.SegmentBytes, DefaultSegmentBytes)
	o.BatchRecords = orDefault(o.BatchRecords, DefaultBatchRecords)
	o.BatchBytes = orDefault(o.BatchBytes, DefaultBatchBytes)
	o.BackoffMin = orDefault(o.BackoffMin, DefaultBackoffMin)
	o.BackoffMax = max(orDefault(o.BackoffMax, DefaultBackoffMax), o.BackoffMin)
	o.ShutdownTimeout = orDefault(o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.StatsInterval == 0 {
		o.StatsInterval = DefaultStatsInterval
	}
	if o.Log == nil {
		o.Log = discard{}
	}
	return o
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// backoffBase is the wait before the attempt-th retry in a row, before jitter.
func (o *Options) backoffBase(attempt int) time.Duration {
	d := o.BackoffMin
	for i := 1; i < attempt && d < o.BackoffMax; i++ {
		if d > o.BackoffMax/2 {
			d = o.BackoffMax
		} else {
			d *= 2
		}
	}
	return min(d, o.BackoffMax)
}

// backoff adds jitter, so engines that failed together do not retry together.
func (o *Options) backoff(attempt int) time.Duration {
	d := o.backoffBase(attempt)
	return d/2 + rand.N(d/2+1)
}

type discard struct{}

func (discard) Infof(string, ...any)  {}
func (discard) Warnf(string, ...any)  {}
func (discard) Errorf(string, ...any) {}

// Counters describe what an engine did with its records. Totals count since
// New; levels are the current state. In every snapshot
//
//	Accepted + Replayed == Sent + Dropped + Queued + Spooled
type Counters struct {
	Accepted uint64 // total: records accepted by Send
	Replayed uint64 // total: records found in the spool by New, left by an earlier run
	Sent     uint64 // total: records the carrier confirmed (a nil error, or a PartialError's Sent)
	// Retried is a total: records sent again after a failed carrier Send;
	// a record sent three times counts two.
	Retried uint64
	// Reconnects is a total: failed carrier Sends that were followed by another try.
	Reconnects uint64
	// Dropped is a total: records given up; each drop is logged with its
	// reason. Only Close without a spool drops (shutdown timeout), and
	// replay drops what it cannot read back.
	Dropped uint64
	// Queued is a level: records accepted (in memory, or in the spool only
	// when memory was full) or read back from the spool, not yet confirmed.
	// Records being sent count here.
	Queued uint64
	// Spooled is a level: records only on disk, left by an earlier run and
	// not yet read back. After Close: the records kept for the next start.
	Spooled uint64
	// QueuedBytes is a level: the bytes that Admit holds against
	// QueueMaxBytes (batches accepted by Send, until all their records are confirmed).
	QueuedBytes int64
	// SpoolBytes is a level: the bytes of unconfirmed records in the spool,
	// held against SpoolMaxBytes.
	SpoolBytes int64
}

func (c Counters) String() string {
	return fmt.Sprintf("sent=%d queued=%d spooled=%d retried=%d reconnects=%d dropped=%d accepted=%d replayed=%d queued_bytes=%d spool_bytes=%d",
		c.Sent, c.Queued, c.Spooled, c.Retried, c.Reconnects, c.Dropped, c.Accepted, c.Replayed, c.QueuedBytes, c.SpoolBytes)
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("delivery engine closed")

// Engine delivers records to a carrier from its own goroutine. See the
// package documentation.
type Engine struct {
	carrier sink.Sink
	opt     Options
	log     Logger
	spool   *spool    // nil without a spool
	chunks  *ChunkLog // nil without a spool

	queuedBytes atomic.Int64 // Counters.QueuedBytes
	closing     atomic.Bool  // set first thing in Close, for Admit

	// room is closed, and cleared, when bytes are confirmed or Close
	// begins, to wake the flushes waiting in Admit; nil while none waits.
	roomMu sync.Mutex
	room   chan struct{}

	// batches holds confirmed batches for reuse: a fresh arena per Send
	// costs more than copying the records into it.
	batches sync.Pool

	mu     sync.Mutex // guards the fields below and the spool's writer
	closed bool
	queue  []*batch // accepted, not yet taken by the sender
	count  Counters // the record counts; the byte levels live in atomics

	// ackMu orders the sender's confirmations before the end of Close,
	// and guards the spool's ack log.
	ackMu     sync.Mutex
	abandoned bool // Close is done with the sender: it must change nothing more

	// sendMu makes "stop before the carrier is closed" and "Send the
	// carrier" exclusive, so Close knows whether a Send is running.
	sendMu  sync.Mutex
	sending bool

	wake       chan struct{} // work for the sender, or Close; buffered
	stop       chan struct{} // closed to stop the sender and the keeper
	senderDone chan struct{}
	keeperDone chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// batch is the records of one Send, as frames in one arena.
type batch struct {
	frames  []byte
	records int
	at      position // where frames starts in the spool
	// onDisk marks a batch kept only in the spool (the memory queue was
	// full): frames is nil until the sender reads its size bytes back.
	onDisk bool
	size   int

	// The sender's progress, in records and bytes of frames.
	taken, confirmed, next int
}

// New starts an engine delivering to carrier, which it owns from now on
// (Close closes it). With a spool directory it first replays what an earlier
// run left there. It fails only when the directory cannot be used.
func New(carrier sink.Sink, opt Options) (*Engine, error) {
	if carrier == nil {
		return nil, errors.New("delivery: nil carrier")
	}
	opt = opt.withDefaults()
	e := &Engine{
		carrier:    carrier,
		opt:        opt,
		log:        opt.Log,
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		senderDone: make(chan struct{}),
		keeperDone: make(chan struct{}),
	}
	s := &sender{e: e}
	if opt.SpoolDir != "" {
		sp, replay, err := openSpool(opt.SpoolDir, opt.SpoolFsync, opt.SegmentBytes, e.log)
		if err != nil {
			return nil, err
		}
		chunks, err := openChunkLog(opt.SpoolDir, opt.SpoolFsync, e.log)
		if err != nil {
			sp.lock.Close()
			return nil, fmt.Errorf("spool dir %s: %w", opt.SpoolDir, err)
		}
		e.spool, e.chunks, s.replay = sp, chunks, replay
		for _, rs := range replay {
			e.count.Replayed += rs.records
		}
		e.count.Spooled = e.count.Replayed
		if n := e.count.Replayed; n > 0 {
			e.log.Infof("spool: replaying %d records (%d bytes) from %s", n, sp.pending.Load(), opt.SpoolDir)
		}
	}
	go s.run()
	go e.keep()
	return e, nil
}

// Admit reports whether the engine takes another chunk, waiting up to
// AdmitWait for room: the flush path calls it before decoding anything and
// returns FLB_RETRY on false, so Fluent Bit keeps the chunk. Waiting here is
// how back-pressure reaches Fluent Bit: its flush (and, without workers,
// its engine thread, inputs included) waits, as on a native output's
// socket. The limits are soft: Admit says yes while the bytes are below
// them, and Send then accepts whatever batch it gets, so they are exceeded
// by at most one chunk per concurrent flush. With a spool only
// SpoolMaxBytes limits admission; QueueMaxBytes then bounds memory.
func (e *Engine) Admit() bool {
	if e.hasRoom() {
		return true
	}
	if e.opt.AdmitWait <= 0 || e.closing.Load() {
		return false
	}
	t := time.NewTimer(e.opt.AdmitWait)
	defer t.Stop()
	for {
		e.roomMu.Lock()
		if e.room == nil {
			e.room = make(chan struct{})
		}
		room := e.room
		e.roomMu.Unlock()
		// Checked after taking the channel, so room made in between wakes us.
		if e.hasRoom() {
			return true
		}
		if e.closing.Load() {
			return false
		}
		select {
		case <-room:
		case <-t.C:
			return e.hasRoom()
		}
	}
}

func (e *Engine) hasRoom() bool {
	if e.closing.Load() {
		return false
	}
	if e.spool != nil {
		return e.spool.pending.Load() < e.opt.SpoolMaxBytes
	}
	return e.queuedBytes.Load() < e.opt.QueueMaxBytes
}

// roomMade wakes the flushes waiting in Admit.
func (e *Engine) roomMade() {
	e.roomMu.Lock()
	if e.room != nil {
		close(e.room)
		e.room = nil
	}
	e.roomMu.Unlock()
}

// Send copies recs into the engine and returns without waiting for the
// network. With a spool the batch is in the spool (synced, with
// FsyncAlways) before Send returns. It fails only after Close or when the
// spool cannot be written; then nothing of recs was accepted.
func (e *Engine) Send(recs []sink.Record) error {
	if e.closing.Load() {
		return ErrClosed
	}
	if len(recs) == 0 {
		return nil
	}
	b, _ := e.batches.Get().(*batch)
	if b == nil {
		b = new(batch)
	}
	frames, err := encodeBatch(b.frames, recs, e.spool != nil)
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	*b = batch{frames: frames, records: len(recs)}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.spool != nil {
		if b.at, err = e.spool.append(frames); err != nil {
			return err
		}
		if q := e.queuedBytes.Load(); q > 0 && q+int64(len(frames)) > e.opt.QueueMaxBytes {
			// Memory is full: the batch waits in the spool only.
			disk := &batch{records: len(recs), at: b.at, onDisk: true, size: len(frames)}
			e.batches.Put(b)
			b = disk
		}
	}
	e.queue = append(e.queue, b)
	if !b.onDisk {
		e.queuedBytes.Add(int64(len(frames)))
	}
	e.count.Accepted += uint64(len(recs))
	e.count.Queued += uint64(len(recs))
	e.signal()
	return nil
}

// signal wakes the sender if it waits.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Chunks returns the log of processed chunks kept with the spool, or nil
// without a spool.
func (e *Engine) Chunks() *ChunkLog { return e.chunks }

// Counters returns a consistent snapshot of the counters.
func (e *Engine) Counters() Counters {
	e.mu.Lock()
	c := e.count
	e.mu.Unlock()
	c.QueuedBytes = e.queuedBytes.Load()
	if e.spool != nil {
		c.SpoolBytes = e.spool.pending.Load()
	}
	return c
}

// Close stops accepting records and lets the sender drain for up to
// ShutdownTimeout. Then it stops the sender and closes the carrier, which
// also aborts a Send that hangs; it waits for that at most another
// min(ShutdownTimeout, 1s). What is left stays in the spool for the next
// start, or without a spool is dropped, and logged either way.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.shutdown() })
	return e.closeErr
}

func (e *Engine) shutdown() error {
	e.closing.Store(true)
	e.roomMade()
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.signal()

	drain := time.NewTimer(e.opt.ShutdownTimeout)
	defer drain.Stop()
	select {
	case <-e.senderDone:
	case <-drain.C:
	}

	grace, cancel := context.WithTimeout(context.Background(), min(e.opt.ShutdownTimeout, time.Second))
	defer cancel()
	e.sendMu.Lock()
	close(e.stop)
	sending := e.sending
	e.sendMu.Unlock()
	if !sending {
		// Between Sends the sender stops at once (an ack log write at
		// most), and then the carrier closes without a Send running.
		select {
		case <-e.senderDone:
		case <-grace.Done():
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- e.carrier.Close() }()
	var errs []error
	select {
	case err := <-closed:
		if err != nil {
			errs = append(errs, fmt.Errorf("delivery: close carrier: %w", err))
		}
	case <-grace.Done():
		errs = append(errs, errors.New("delivery: the carrier did not close in time"))
	}
	if sending {
		select {
		case <-e.senderDone:
		case <-grace.Done():
		}
	}
	<-e.keeperDone
	if err := e.finish(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// finish settles the records the sender did not deliver and logs the totals.
func (e *Engine) finish() error {
	e.ackMu.Lock()
	defer e.ackMu.Unlock()
	e.abandoned = true

	e.mu.Lock()
	left := e.count.Queued + e.count.Spooled
	e.count.Queued = 0
	var err error
	if e.spool != nil {
		e.count.Spooled = left
		err = e.spool.seal()
	} else {
		e.count.Dropped += left
	}
	e.mu.Unlock()
	e.queuedBytes.Store(0)

	if sp := e.spool; sp != nil {
		e.persist(true)
		for _, f := range []func() error{sp.acks.close, e.chunks.close, sp.lock.Close} {
			if cerr := f(); err == nil && cerr != nil {
				err = fmt.Errorf("spool: %w", cerr)
			}
		}
		if left > 0 {
			e.log.Infof("spool: spooled %d records for the next start", left)
		}
	} else if left > 0 {
		e.log.Errorf("delivery: dropped %d records: shutdown timeout (%s) reached before they were delivered", left, e.opt.ShutdownTimeout)
	}
	e.log.Infof("delivery stats: %s", e.Counters())
	return err
}

// persist appends the checkpoint to the ack log and removes the segments it
// makes obsolete. The caller holds ackMu. With FsyncInterval the ack log is
// synced at most once per second, and at the end.
func (e *Engine) persist(final bool) {
	sp := e.spool
	sync := sp.fsync == FsyncAlways ||
		sp.fsync == FsyncInterval && (final || time.Since(sp.lastSync) >= syncEvery)
	if !sp.saveAck(sync) {
		return
	}
	e.mu.Lock()
	paths := sp.confirmed(sp.ack)
	e.mu.Unlock()
	for _, p := range paths {
		sp.remove(p)
	}
}

// keep logs the counters every StatsInterval and, with FsyncInterval,
// syncs the spool once per second.
func (e *Engine) keep() {
	defer close(e.keeperDone)
	var stats, sync <-chan time.Time
	if e.opt.StatsInterval > 0 {
		t := time.NewTicker(e.opt.StatsInterval)
		defer t.Stop()
		stats = t.C
	}
	if e.spool != nil && e.spool.fsync == FsyncInterval {
		t := time.NewTicker(syncEvery)
		defer t.Stop()
		sync = t.C
	}
	for {
		select {
		case <-e.stop:
			return
		case <-stats:
			e.log.Infof("delivery stats: %s", e.Counters())
		case <-sync:
			e.syncSpool()
			e.chunks.sync()
		}
	}
}

// syncSpool syncs the active segment if it was written to since the last
// sync. The sync runs outside the lock, so Send does not wait for it.
func (e *Engine) syncSpool() {
	e.mu.Lock()
	f, dirty := e.spool.f, e.spool.dirty
	e.spool.dirty = false
	e.mu.Unlock()
	if !dirty || f == nil {
		return
	}
	// A segment sealed meanwhile was synced by seal: ErrClosed is fine.
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		e.log.Errorf("spool: %v", err)
		e.mu.Lock()
		e.spool.dirty = true
		e.mu.Unlock()
	}
}

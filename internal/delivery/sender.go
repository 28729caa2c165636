package delivery

import (
	"bufio"
	"errors"
	"io"
	"os"
	"time"

	"github.com/welfbridge/welfbridge/internal/durable"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// errChanged reports a replay segment whose records no longer match what
// New found in it: something else wrote to the spool.
var errChanged = errors.New("segment changed since the engine started")

// sender is the engine's goroutine. It hands records to the carrier in
// order: first what an earlier run left in the spool, then the queue.
type sender struct {
	e *Engine

	window []*batch // batches taken from the queue, oldest first, until all their records are confirmed

	replay []replaySegment // left by an earlier run, oldest first
	rf     *os.File        // the replay segment being read
	rr     frameReader
	rbuf   []byte   // bodies of the records read back into cur
	spare  []byte   // the arena of the last batch read back from the spool, for the next one
	seg    *os.File // the segment batches kept on disk only are read from
	segSeq uint64

	cur       []sink.Record // the carrier batch
	marks     []mark        // with a spool: where each record of cur ends in the log
	done      int           // records of cur confirmed
	fromSpool bool          // cur was read back from the spool, not taken from window
	host      string        // the last host, reused while records repeat it
	attempt   int           // failed Sends of cur in a row
}

// mark locates a record of cur in the spool.
type mark struct {
	end  position // where its frame ends
	size int64    // its frame's size
}

func (s *sender) run() {
	defer close(s.e.senderDone)
	defer s.closeReplay()
	defer s.closeSegment()
	for {
		if s.done == len(s.cur) {
			if !s.fill() {
				return
			}
			if len(s.cur) == 0 {
				select {
				case <-s.e.wake:
				case <-s.e.stop:
					return
				}
				continue
			}
		}
		if !s.send() {
			return
		}
	}
}

// fill starts the next carrier batch. It reports false when the sender is
// done: the engine is closed and nothing is left, or Close gave up on it.
func (s *sender) fill() bool {
	clear(s.cur) // no references to delivered lines
	s.cur, s.marks, s.done = s.cur[:0], s.marks[:0], 0
	if len(s.replay) > 0 {
		if !s.fillFromSpool() {
			return false
		}
		if len(s.cur) > 0 {
			return true
		}
	}
	return s.fillFromQueue()
}

func (s *sender) fillFromQueue() bool {
	e := s.e
	e.mu.Lock()
	s.window = append(s.window, e.queue...)
	clear(e.queue)
	e.queue = e.queue[:0]
	closed := e.closed
	e.mu.Unlock()

	s.fromSpool = false
	bytes := 0
	for _, b := range s.window {
		if b.onDisk && b.frames == nil && b.taken < b.records && !s.load(b) {
			if !s.update(func(c *Counters) { c.Queued -= uint64(b.records); c.Dropped += uint64(b.records) }) {
				return false
			}
			b.records = 0
			continue
		}
		for b.taken < b.records {
			if len(s.cur) == e.opt.BatchRecords {
				return true
			}
			f, size, ok := nextFrame(b.frames[b.next:])
			if !ok {
				// Cannot happen: encodeBatch wrote these frames. Giving up
				// the rest of the batch beats spinning on it.
				n := uint64(b.records - b.taken)
				b.records = b.taken
				e.log.Errorf("delivery: dropped %d records: undecodable frame in memory", n)
				if !s.update(func(c *Counters) { c.Queued -= n; c.Dropped += n }) {
					return false
				}
				break
			}
			body := size - frameHeaderLen
			if len(s.cur) > 0 && bytes+body > e.opt.BatchBytes {
				return true
			}
			bytes += body
			b.next += size
			b.taken++
			s.add(f, mark{end: position{seq: b.at.seq, off: b.at.off + int64(b.next)}, size: int64(size)})
		}
	}
	if len(s.cur) == 0 {
		e.queuedBytes.Add(-s.release(0)) // only after a dropped frame
	}
	return len(s.cur) > 0 || !closed
}

// load reads the frames of a batch kept only in the spool back into
// memory. On failure it logs the loss and gives the batch's room back.
func (s *sender) load(b *batch) bool {
	buf := s.spare
	s.spare = nil
	if cap(buf) < b.size {
		buf = make([]byte, b.size)
	}
	buf = buf[:b.size]
	err := s.readAt(b.at.seq, buf, b.at.off)
	if err == nil {
		err = checkFrames(buf, b.records)
	}
	if err != nil {
		s.e.log.Errorf("delivery: dropped %d records: spool segment %s unreadable at offset %d: %v", b.records, s.e.spool.segmentPath(b.at.seq), b.at.off, err)
		s.e.spool.pending.Add(-int64(b.size))
		s.e.roomMade()
		return false
	}
	b.frames = buf
	return true
}

// readAt fills buf from segment seq, from offset off. The segment stays
// open for the next batch, which is most likely in it too.
func (s *sender) readAt(seq uint64, buf []byte, off int64) error {
	if s.seg == nil || s.segSeq != seq {
		s.closeSegment()
		f, err := os.Open(s.e.spool.segmentPath(seq))
		if err != nil {
			return err
		}
		s.seg, s.segSeq = f, seq
	}
	_, err := s.seg.ReadAt(buf, off)
	return err
}

func (s *sender) closeSegment() {
	if s.seg != nil {
		s.seg.Close() // read-only: nothing to lose
		s.seg = nil
	}
}

// checkFrames verifies that b holds exactly n intact frames.
func checkFrames(b []byte, n int) error {
	for ; n > 0; n-- {
		body, rest, err := durable.NextFrame(b)
		if err != nil {
			return err
		}
		if _, ok := parseBody(body); !ok {
			return durable.ErrCorrupt
		}
		b = rest
	}
	if len(b) != 0 {
		return durable.ErrCorrupt
	}
	return nil
}

func (s *sender) fillFromSpool() bool {
	s.fromSpool = true
	s.rbuf = s.rbuf[:0]
	var bytes int64
	for len(s.replay) > 0 && len(s.cur) < s.e.opt.BatchRecords {
		seg := &s.replay[0]
		if s.rf == nil {
			if err := s.openReplay(seg); err != nil {
				if !s.dropReplay(err) {
					return false
				}
				continue
			}
		}
		n, err := s.rr.Peek()
		if err == nil && seg.records == 0 || err == io.EOF && seg.records > 0 {
			err = errChanged
		}
		if err == nil && len(s.cur) > 0 && bytes+n > int64(s.e.opt.BatchBytes) {
			break
		}
		var f frame
		if err == nil {
			s.rbuf, f, err = s.rr.next(s.rbuf)
		}
		switch {
		case err == io.EOF:
			s.closeReplay()
			s.replay = s.replay[1:]
		case err != nil:
			if !s.dropReplay(err) {
				return false
			}
		default:
			bytes += n
			seg.records--
			s.add(f, mark{end: position{seq: seg.seq, off: s.rr.Off}, size: frameHeaderLen + n})
		}
	}
	k := uint64(len(s.cur))
	return s.update(func(c *Counters) { c.Spooled -= k; c.Queued += k })
}

func (s *sender) openReplay(seg *replaySegment) error {
	s.rr.Off, s.rr.End = seg.start, seg.end
	f, err := os.Open(seg.path)
	if err != nil {
		return err
	}
	if _, err := f.Seek(seg.start, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	if s.rr.R == nil {
		s.rr = newFrameReader(bufio.NewReaderSize(f, 64<<10), seg.start, seg.end)
	} else {
		s.rr.R.Reset(f)
	}
	s.rf = f
	return nil
}

func (s *sender) closeReplay() {
	if s.rf != nil {
		s.rf.Close() // read-only: nothing to lose
		s.rf = nil
	}
}

// dropReplay gives up the rest of the replay segment being read.
func (s *sender) dropReplay(err error) bool {
	seg := s.replay[0]
	s.closeReplay()
	s.replay = s.replay[1:]
	s.e.spool.pending.Add(-(seg.end - s.rr.Off))
	if seg.records == 0 {
		return true
	}
	s.e.log.Errorf("delivery: dropped %d records: spool segment %s unreadable at offset %d: %v", seg.records, seg.path, s.rr.Off, err)
	return s.update(func(c *Counters) { c.Spooled -= seg.records; c.Dropped += seg.records })
}

// add appends a decoded record to cur. Its Line points into the frame.
func (s *sender) add(f frame, m mark) {
	if string(f.host) != s.host { // compares without allocating
		s.host = string(f.host)
	}
	s.cur = append(s.cur, sink.Record{Time: f.time(), Severity: int(f.severity), Host: s.host, Line: f.line})
	if s.e.spool != nil {
		s.marks = append(s.marks, m)
	}
}

// send hands the unconfirmed records of cur to the carrier once, after the
// backoff if the last try failed. It reports false when the sender must stop.
func (s *sender) send() bool {
	e := s.e
	pending := s.cur[s.done:]
	if s.attempt > 0 {
		if !s.wait() {
			return false
		}
		n := uint64(len(pending))
		if !s.update(func(c *Counters) { c.Retried += n; c.Reconnects++ }) {
			return false
		}
	}
	e.sendMu.Lock()
	select {
	case <-e.stop:
		e.sendMu.Unlock()
		return false
	default:
	}
	e.sending = true
	e.sendMu.Unlock()

	err := e.carrier.Send(pending)

	e.sendMu.Lock()
	e.sending = false
	e.sendMu.Unlock()
	n := len(pending)
	if err != nil {
		n = sentBefore(err, n)
	}
	if n > 0 && !s.confirm(n) {
		return false
	}
	if n == len(pending) {
		if s.attempt > 0 {
			e.log.Infof("delivery: sending works again (failed attempts: %d)", s.attempt)
		}
		s.attempt = 0
		return true
	}
	select {
	case <-e.stop: // Close aborted the Send: nothing to report
		return false
	default:
	}
	s.attempt++
	e.log.Warnf("delivery: send failed, retrying %d records (attempt %d): %v", len(pending)-n, s.attempt, err)
	return true
}

// sentBefore is how many records a failed Send of n records delivered.
func sentBefore(err error, n int) int {
	var pe *sink.PartialError
	if errors.As(err, &pe) && pe != nil {
		return min(max(pe.Sent, 0), n)
	}
	return 0
}

// wait sleeps for the backoff unless the engine stops first.
func (s *sender) wait() bool {
	t := time.NewTimer(s.e.opt.backoff(s.attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.e.stop:
		return false
	}
}

// confirm records that the carrier delivered the next k records of cur:
// counters, memory, and with a spool the checkpoint.
func (s *sender) confirm(k int) bool {
	e := s.e
	e.ackMu.Lock()
	defer e.ackMu.Unlock()
	if e.abandoned {
		return false
	}
	var released int64
	if !s.fromSpool {
		released = s.release(k)
	}
	e.mu.Lock()
	e.count.Sent += uint64(k)
	e.count.Queued -= uint64(k)
	e.mu.Unlock()
	e.queuedBytes.Add(-released)
	if sp := e.spool; sp != nil {
		var size int64
		for _, m := range s.marks[s.done : s.done+k] {
			size += m.size
		}
		sp.pending.Add(-size)
		sp.ack = s.marks[s.done+k-1].end
		e.persist(false)
	}
	e.roomMade()
	s.done += k
	return true
}

// release counts k more records of window as confirmed and lets go of the
// batches that are done, returning their size.
func (s *sender) release(k int) int64 {
	var bytes int64
	for len(s.window) > 0 {
		b := s.window[0]
		c := min(k, b.taken-b.confirmed)
		b.confirmed += c
		k -= c
		if b.confirmed < b.records {
			break
		}
		s.window[0] = nil
		s.window = s.window[1:]
		// The carrier is done with its lines: the arena is reused.
		if b.onDisk {
			if cap(b.frames) > cap(s.spare) {
				s.spare = b.frames[:0]
			}
			b.frames = nil
		} else {
			bytes += int64(len(b.frames))
			s.e.batches.Put(b)
		}
	}
	return bytes
}

// update changes the counters unless Close has settled them already.
func (s *sender) update(change func(*Counters)) bool {
	e := s.e
	e.ackMu.Lock()
	defer e.ackMu.Unlock()
	if e.abandoned {
		return false
	}
	e.mu.Lock()
	change(&e.count)
	e.mu.Unlock()
	return true
}

package delivery

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/welfbridge/welfbridge/internal/durable"
)

// Segment files: a header, then frames (see record.go) back to back.
const (
	segmentMagic   = "WBSPOOL"
	segmentVersion = 1
	segmentHeader  = segmentMagic + "\x01" // the magic and the version
	segmentHdrLen  = len(segmentHeader)
	segmentSuffix  = ".seg"
)

// lockName is the file whose lock keeps two engines out of one directory.
const lockName = "LOCK"

// syncEvery is how often FsyncInterval syncs.
const syncEvery = time.Second

// position is a place in the log: a segment and a byte offset in it.
type position struct {
	seq uint64
	off int64
}

// segment is a live segment file.
type segment struct {
	seq    uint64
	end    int64 // where its last readable frame ends
	sealed bool  // nothing more is appended
}

// replaySegment is the part of a segment left from a previous run.
type replaySegment struct {
	seq        uint64
	path       string
	start, end int64
	records    uint64
}

// spool is the write-ahead log of one engine.
type spool struct {
	dir   string
	fsync Fsync
	// segmentBytes is the size at which the active segment is sealed.
	segmentBytes int64
	lock         *os.File
	log          Logger

	// pending is the size of the frames in the log not yet confirmed.
	pending atomic.Int64

	// Guarded by Engine.mu: the writer.
	f       *os.File // the active segment; nil before the first append and after a failure
	size    int64    // its size
	nextSeq uint64
	segs    []segment // live segments, oldest first; the active one is last
	dirty   bool      // written since the last sync

	// Guarded by Engine.ackMu: the sender's progress.
	ack        position  // end of the last confirmed record
	acks       ackLog    // where ack is kept
	lastSync   time.Time // when the ack log was last synced
	ackFailing bool      // the last ack log write failed (logged once)
}

func (sp *spool) segmentPath(seq uint64) string {
	return filepath.Join(sp.dir, fmt.Sprintf("%016x%s", seq, segmentSuffix))
}

// parseSegmentName returns the sequence number of a segment file name, as
// segmentPath writes it.
func parseSegmentName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil && fmt.Sprintf("%016x", seq) == hex
}

// openSpool locks dir, reads the ack log and scans the segments left by a
// previous run. It fails only when dir cannot be used at all; damage in the
// files is logged and skipped.
func openSpool(dir string, fsync Fsync, segmentBytes int64, log Logger) (*spool, []replaySegment, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("spool dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("spool dir %s: %w", dir, err)
	}
	sp := &spool{dir: dir, fsync: fsync, segmentBytes: segmentBytes, lock: lock, log: log}
	replay, err := sp.recover()
	if err == nil {
		// Starting the ack log afresh proves the directory writable.
		err = sp.acks.reset(sp.ack, fsync != FsyncOff)
	}
	if err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("spool dir %s: %w", dir, err)
	}
	return sp, replay, nil
}

// recover reads the checkpoint from the ack log, removes confirmed segments
// and returns what remains to be sent, oldest first.
func (sp *spool) recover() ([]replaySegment, error) {
	sp.acks.path = filepath.Join(sp.dir, ackLogName)
	ack, err := readAckLog(sp.acks.path, sp.log)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		sp.log.Warnf("spool: ack log %s unreadable, replaying every segment: %v", sp.acks.path, err)
	}
	sp.ack = ack
	entries, err := os.ReadDir(sp.dir)
	if err != nil {
		return nil, err
	}
	last := ack.seq
	var replay []replaySegment
	for _, entry := range entries { // sorted by name: by sequence number
		seq, ok := parseSegmentName(entry.Name())
		if !ok {
			continue
		}
		last = max(last, seq)
		if rs, ok := sp.scan(seq); ok {
			replay = append(replay, rs)
			sp.segs = append(sp.segs, segment{seq: seq, end: rs.end, sealed: true})
			sp.pending.Add(rs.end - rs.start)
		}
	}
	sp.nextSeq = last + 1
	return replay, nil
}

// scan checks one segment left by a previous run and reports the records
// after the checkpoint. Segments it cannot read (another format, a newer
// version) stay untouched; segments with nothing left to send are removed.
func (sp *spool) scan(seq uint64) (replaySegment, bool) {
	path := sp.segmentPath(seq)
	f, err := os.Open(path)
	if err != nil {
		sp.log.Warnf("spool: %s skipped: %v", path, err)
		return replaySegment{}, false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		sp.log.Warnf("spool: %s skipped: %v", path, err)
		return replaySegment{}, false
	}
	size := info.Size()
	var hdr [segmentHdrLen]byte
	n, _ := io.ReadFull(f, hdr[:])
	torn := n < segmentHdrLen && strings.HasPrefix(segmentHeader, string(hdr[:n]))
	switch {
	case torn:
	case string(hdr[:len(segmentMagic)]) != segmentMagic:
		sp.log.Warnf("spool: %s is not a spool segment, left in place", path)
		return replaySegment{}, false
	case hdr[len(segmentMagic)] != segmentVersion:
		sp.log.Warnf("spool: %s has segment version %d, this build reads version %d: left in place",
			path, hdr[len(segmentMagic)], segmentVersion)
		return replaySegment{}, false
	}
	if seq < sp.ack.seq {
		sp.remove(path) // every record confirmed
		return replaySegment{}, false
	}
	if torn {
		sp.log.Warnf("spool: %s: incomplete segment header, skipped %d bytes", path, size)
		sp.remove(path)
		return replaySegment{}, false
	}
	start := int64(segmentHdrLen)
	if seq == sp.ack.seq {
		start = max(start, sp.ack.off)
	}
	rs := replaySegment{seq: seq, path: path, start: start, end: start}
	if start < size {
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			sp.log.Warnf("spool: %s skipped: %v", path, err)
			return replaySegment{}, false
		}
		fr := newFrameReader(bufio.NewReaderSize(f, 64<<10), start, size)
		var buf []byte
		for {
			buf, err = fr.Next(buf[:0])
			if err != nil {
				break
			}
			rs.records++
		}
		rs.end = fr.Off
		if err != io.EOF {
			sp.log.Warnf("spool: %s: %v at offset %d, skipped %d bytes", path, err, fr.Off, size-fr.Off)
		}
	}
	if rs.records == 0 {
		sp.remove(path)
		return replaySegment{}, false
	}
	return rs, true
}

func (sp *spool) remove(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		sp.log.Warnf("spool: %v", err)
	}
}

// append writes a batch of frames to the active segment and returns where it
// starts. On failure nothing of the batch remains in the log.
func (sp *spool) append(frames []byte) (position, error) {
	if sp.f == nil || sp.size >= sp.segmentBytes {
		if err := sp.roll(); err != nil {
			return position{}, err
		}
	}
	at := position{seq: sp.segs[len(sp.segs)-1].seq, off: sp.size}
	_, err := sp.f.WriteAt(frames, at.off)
	if err == nil && sp.fsync == FsyncAlways {
		err = sp.f.Sync()
	}
	if err != nil {
		// A partial write must not stay: the next batch would follow it
		// and replay would stop at the damage. If it cannot be cut off,
		// later batches go to a new segment.
		if terr := sp.f.Truncate(at.off); terr != nil {
			sp.seal() // its error adds nothing to err
		}
		return position{}, fmt.Errorf("spool: %w", err)
	}
	sp.dirty = sp.fsync == FsyncInterval
	sp.size += int64(len(frames))
	sp.segs[len(sp.segs)-1].end = sp.size
	sp.pending.Add(int64(len(frames)))
	return at, nil
}

// roll seals the active segment and starts the next one. A failure to
// seal concerns batches already accepted, not the one being appended: it
// is logged, and the roll goes on.
func (sp *spool) roll() error {
	if err := sp.seal(); err != nil {
		sp.log.Errorf("%v", err)
	}
	seq := sp.nextSeq
	path := sp.segmentPath(seq)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = f.WriteString(segmentHeader)
	if err == nil && sp.fsync == FsyncAlways {
		err = durable.SyncDir(sp.dir) // the new file's name must survive a crash too
	}
	if err != nil {
		f.Close()
		os.Remove(path) // a header-only file holds nothing; if it stays, replay removes it
		return fmt.Errorf("spool: %w", err)
	}
	sp.nextSeq++
	sp.f, sp.size = f, int64(segmentHdrLen)
	sp.segs = append(sp.segs, segment{seq: seq, end: sp.size})
	return nil
}

// seal closes the active segment, syncing it unless fsync is off.
func (sp *spool) seal() error {
	if sp.f == nil {
		return nil
	}
	f := sp.f
	sp.f = nil
	sp.segs[len(sp.segs)-1].sealed = true
	var err error
	if sp.fsync != FsyncOff {
		err = f.Sync()
	}
	sp.dirty = false
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// confirmed takes the segments whose every record is confirmed off the list
// and returns their paths.
func (sp *spool) confirmed(ack position) []string {
	var paths []string
	for len(sp.segs) > 0 {
		s := sp.segs[0]
		if !(s.seq < ack.seq || s.seq == ack.seq && s.sealed && ack.off >= s.end) {
			break
		}
		paths = append(paths, sp.segmentPath(s.seq))
		sp.segs = slices.Delete(sp.segs, 0, 1)
	}
	return paths
}

// saveAck records the confirmed position. A failed write is logged once
// until one succeeds again: delivery goes on, and a restart may then repeat
// more records.
func (sp *spool) saveAck(sync bool) bool {
	if err := sp.acks.append(sp.ack, sync); err != nil {
		if !sp.ackFailing {
			sp.log.Errorf("%v; a restart may send confirmed records again", err)
		}
		sp.ackFailing = true
		return false
	}
	if sp.ackFailing {
		sp.log.Infof("spool: ack log written again")
		sp.ackFailing = false
	}
	if sync {
		sp.lastSync = time.Now()
	}
	return true
}

// frameReader reads the frames of a segment file: durable frames whose
// bodies are records.
type frameReader struct{ durable.FrameReader }

func newFrameReader(r *bufio.Reader, off, end int64) frameReader {
	return frameReader{durable.FrameReader{R: r, Off: off, End: end, MinBody: minBodyLen, MaxBody: maxBodyLen,
		Check: func(body []byte) bool { _, ok := parseBody(body); return ok }}}
}

// next reads the next frame, appending its body to buf.
func (fr *frameReader) next(buf []byte) ([]byte, frame, error) {
	start := len(buf)
	buf, err := fr.Next(buf)
	if err != nil {
		return buf, frame{}, err
	}
	f, _ := parseBody(buf[start:]) // Check passed it
	return buf, f, nil
}

package delivery

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/welfbridge/welfbridge/internal/durable"
)

// The ack log keeps the spool's checkpoint: a header, then one sealed
// [durable] record per confirmation, the last intact one being the
// checkpoint. Appending 20 bytes is far cheaper than replacing a file per
// confirmation (which, on ext4, costs a forced writeback each time), and a
// record torn by a crash only falls back to the one before it. The log is started afresh, through
// a temporary file and a rename, by New and whenever it reaches ackLogMax.
//
//	header   "WBACKS" and version 1              7 bytes
//	records:
//	  segment  sequence number                   8 bytes, big-endian
//	  offset   end of the last confirmed record  8 bytes, big-endian
//	  crc      CRC-32C of the 16 bytes before    4 bytes, big-endian
const (
	ackLogName    = "acks"
	ackLogMagic   = "WBACKS"
	ackLogVersion = 1
	ackLogHeader  = ackLogMagic + "\x01"
	ackRecordLen  = 20
	ackLogMax     = 64 << 10
)

// ackLog appends checkpoints. The sender and Close use it under Engine.ackMu.
type ackLog struct {
	path string
	f    *os.File // nil after a failed write: the next one starts afresh
	size int64
}

func encodeAck(dst []byte, p position) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, p.seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(p.off))
	return durable.Seal(dst, start)
}

// readAckLog returns the last intact checkpoint in the ack log at path.
func readAckLog(path string, log Logger) (position, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return position{}, err
	}
	switch {
	case len(b) < len(ackLogHeader) || string(b[:len(ackLogMagic)]) != ackLogMagic:
		return position{}, errors.New("not an ack log")
	case b[len(ackLogMagic)] != ackLogVersion:
		return position{}, fmt.Errorf("ack log version %d, this build reads version %d", b[len(ackLogMagic)], ackLogVersion)
	}
	var last position
	found := false
	n, err := durable.ScanSealed(b[len(ackLogHeader):], ackRecordLen, func(r []byte) bool {
		p := position{seq: binary.BigEndian.Uint64(r), off: int64(binary.BigEndian.Uint64(r[8:]))}
		if p.off < 0 {
			return false
		}
		last, found = p, true
		return true
	})
	if err != nil {
		off := len(ackLogHeader) + n
		log.Warnf("spool: %s: %v at offset %d, skipped %d bytes", path, err, off, len(b)-off)
	}
	if !found {
		return position{}, errors.New("no intact record")
	}
	return last, nil
}

// append adds p to the log, syncing it if sync is set.
func (a *ackLog) append(p position, sync bool) error {
	if a.f == nil || a.size+ackRecordLen > ackLogMax {
		return a.reset(p, sync)
	}
	var buf [ackRecordLen]byte
	_, err := a.f.WriteAt(encodeAck(buf[:0], p), a.size)
	if err == nil && sync {
		err = a.f.Sync()
	}
	if err != nil {
		// A torn record would hide every later one: start afresh next time.
		a.f.Close()
		a.f = nil
		return fmt.Errorf("spool ack log: %w", err)
	}
	a.size += ackRecordLen
	return nil
}

// reset replaces the log with one holding only p. A crash leaves either the
// old log or the new one.
func (a *ackLog) reset(p position, sync bool) error {
	b := encodeAck([]byte(ackLogHeader), p)
	f, err := durable.Replace(a.path, b, 0o640, sync)
	if err != nil {
		return fmt.Errorf("spool ack log: %w", err)
	}
	a.close()
	a.f, a.size = f, int64(len(b))
	return nil
}

// close closes the log file; its records are already written.
func (a *ackLog) close() error {
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

package delivery

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/welfbridge/welfbridge/internal/durable"
)

// The chunk log keeps, with the spool, the SHA-256 digests of the chunks
// processed recently. Fluent Bit with storage.type filesystem flushes a
// chunk again after a restart when it did not see that chunk's flush end
// before it stopped, although the plugin took it: the records are already
// in the spool, and correlation has consumed them. The digests of the run
// before let the flush path recognise such a chunk and acknowledge it
// without processing it again. Only the previous runs' digests are
// checked: within one run Fluent Bit never flushes an acknowledged chunk
// again, so identical chunks of one run are all processed.
//
//	header   "WBCHUNK" and version 1               8 bytes
//	records: SHA-256 of the chunk (32 bytes), CRC-32C of those (4 bytes)
//
// The records are sealed [durable] records. The log is started afresh at
// open with the last chunkLogKeep digests it held, and again whenever it
// reaches twice that.
const (
	chunkLogName    = "chunks"
	chunkLogHeader  = "WBCHUNK\x01"
	chunkRecordLen  = sha256.Size + 4
	chunkLogKeep    = 4096
	chunkLogRecords = 2 * chunkLogKeep
)

// Digest identifies a chunk by its content.
type Digest [sha256.Size]byte

// ChunkDigest returns the digest of a chunk and its tag.
func ChunkDigest(chunk []byte, tag string) Digest {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(tag)))
	h.Write(n[:])
	h.Write([]byte(tag))
	h.Write(chunk)
	var d Digest
	h.Sum(d[:0])
	return d
}

// ChunkLog remembers processed chunks across a restart. Its methods are
// safe for concurrent use.
type ChunkLog struct {
	path  string
	fsync Fsync
	log   Logger

	before map[Digest]struct{} // processed by an earlier run; read-only after open

	mu     sync.Mutex
	f      *os.File // nil after a failed write: the next one starts afresh
	recent []Digest // the digests in the file, oldest first
	dirty  bool
	closed bool
}

// openChunkLog reads the digests an earlier run left in dir and starts the
// log afresh with them.
func openChunkLog(dir string, fsync Fsync, log Logger) (*ChunkLog, error) {
	c := &ChunkLog{path: filepath.Join(dir, chunkLogName), fsync: fsync, log: log, before: map[Digest]struct{}{}}
	b, err := os.ReadFile(c.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("chunk log: %w", err)
	case !bytes.HasPrefix(b, []byte(chunkLogHeader)):
		log.Warnf("spool: %s is not a chunk log of this version: chunks flushed again after this restart are processed again", c.path)
	default:
		n, err := durable.ScanSealed(b[len(chunkLogHeader):], chunkRecordLen, func(d []byte) bool {
			c.recent = append(c.recent, Digest(d))
			return true
		})
		if err != nil {
			off := len(chunkLogHeader) + n
			log.Warnf("spool: %s: %v at offset %d, skipped %d bytes", c.path, err, off, len(b)-off)
		}
	}
	if len(c.recent) > chunkLogKeep {
		c.recent = c.recent[len(c.recent)-chunkLogKeep:]
	}
	for _, d := range c.recent {
		c.before[d] = struct{}{}
	}
	if err := c.reset(); err != nil {
		return nil, err
	}
	return c, nil
}

// Before reports whether an earlier run processed the chunk.
func (c *ChunkLog) Before(d Digest) bool {
	if c == nil {
		return false
	}
	_, ok := c.before[d]
	return ok
}

// Add records that the chunk was processed. A failed write is logged: a
// restart may then process that chunk again.
func (c *ChunkLog) Add(d Digest) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.recent = append(c.recent, d)
	var err error
	if c.f == nil || len(c.recent) >= chunkLogRecords {
		if len(c.recent) > chunkLogKeep {
			c.recent = append(c.recent[:0], c.recent[len(c.recent)-chunkLogKeep:]...)
		}
		err = c.reset()
	} else {
		_, err = c.f.Write(appendChunkRecord(nil, d))
		if err == nil && c.fsync == FsyncAlways {
			err = c.f.Sync()
		}
		c.dirty = c.fsync == FsyncInterval
	}
	if err != nil {
		if c.f != nil {
			c.f.Close()
			c.f = nil
		}
		c.log.Errorf("spool: chunk log: %v; a restart may process this chunk again", err)
	}
}

func appendChunkRecord(dst []byte, d Digest) []byte {
	return durable.Seal(append(dst, d[:]...), len(dst))
}

// reset rewrites the log with the recent digests: a temporary file and a
// rename, so a crash leaves the old log or the new one. The caller holds mu
// or is the opener.
func (c *ChunkLog) reset() error {
	b := []byte(chunkLogHeader)
	for _, d := range c.recent {
		b = appendChunkRecord(b, d)
	}
	f, err := durable.Replace(c.path, b, 0o640, c.fsync != FsyncOff)
	if err != nil {
		return fmt.Errorf("chunk log: %w", err)
	}
	if c.f != nil {
		c.f.Close()
	}
	c.f, c.dirty = f, false
	return nil
}

// sync syncs what was appended since the last sync (FsyncInterval).
func (c *ChunkLog) sync() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil || !c.dirty {
		return
	}
	c.dirty = false
	if err := c.f.Sync(); err != nil {
		c.log.Errorf("spool: chunk log: %v", err)
	}
}

// close syncs and closes the log.
func (c *ChunkLog) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.f == nil {
		return nil
	}
	var err error
	if c.fsync != FsyncOff {
		err = c.f.Sync()
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f = nil
	return err
}

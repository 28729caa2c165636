package correlate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/welfbridge/welfbridge/internal/durable"
)

const (
	snapshotMagic   = "WBSNAP"
	snapshotVersion = 1

	// Limits on one entry. Real keys are request, session or connection IDs
	// and real values a few hundred bytes; the limits keep a corrupt length
	// from costing more than that much memory.
	maxSnapshotKey   = 4 << 10
	maxSnapshotValue = 1 << 20
)

// Errors ReadSnapshot wraps, to tell a damaged snapshot from one written by a
// newer program.
var (
	ErrSnapshotTruncated = errors.New("correlate: snapshot truncated")
	ErrSnapshotCorrupt   = errors.New("correlate: snapshot corrupt")
	ErrSnapshotVersion   = errors.New("correlate: unsupported snapshot version")
)

// WriteSnapshot writes the entries pending in t to w, oldest first, in the
// format described in the package documentation. enc appends the encoding of
// v to dst and returns the extended slice.
func WriteSnapshot[V Value](w io.Writer, t *Table[V], enc func(dst []byte, v V) []byte) error {
	var sum uint32
	bw := bufio.NewWriter(w)
	write := func(b []byte) {
		sum = durable.Update(sum, b)
		bw.Write(b) // a failure sticks in bw and is reported by Flush
	}

	buf := make([]byte, 0, 256)
	buf = append(buf, snapshotMagic...)
	buf = append(buf, snapshotVersion)
	buf = binary.AppendUvarint(buf, uint64(t.Len()))
	write(buf)

	var value []byte
	i := 0
	for e := t.root.next; e != &t.root; e = e.next {
		i++
		if len(e.key) > maxSnapshotKey {
			return fmt.Errorf("correlate: writing snapshot: entry %d: key length %d exceeds limit %d", i, len(e.key), maxSnapshotKey)
		}
		value = enc(value[:0], e.value)
		if len(value) > maxSnapshotValue {
			return fmt.Errorf("correlate: writing snapshot: entry %d: value length %d exceeds limit %d", i, len(value), maxSnapshotValue)
		}
		buf = binary.AppendUvarint(buf[:0], uint64(len(e.key)))
		buf = append(buf, e.key...)
		buf = binary.BigEndian.AppendUint64(buf, uint64(e.updated))
		buf = binary.AppendUvarint(buf, uint64(len(value)))
		write(buf)
		write(value)
	}

	bw.Write(binary.BigEndian.AppendUint32(buf[:0], sum))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("correlate: writing snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot reads a snapshot written by WriteSnapshot from r and puts its
// entries into t, oldest first with their original update times; it is meant
// for a new, empty table. dec decodes one value; b is valid only during the
// call. ReadSnapshot returns the number of entries read.
//
// The snapshot is checked whole before anything is put: if it is truncated,
// corrupt or of another version (errors wrapping ErrSnapshotTruncated,
// ErrSnapshotCorrupt and ErrSnapshotVersion), or dec fails, the table is left
// untouched. Putting entries may evict for pressure if t's caps are smaller
// than the snapshot.
func ReadSnapshot[V Value](r io.Reader, t *Table[V], dec func(b []byte) (V, error)) (int, error) {
	sr := &summingReader{r: bufio.NewReader(r)}

	var header [len(snapshotMagic) + 1]byte
	if _, err := io.ReadFull(sr, header[:]); err != nil {
		return 0, sr.fail("header", err)
	}
	if magic := header[:len(snapshotMagic)]; string(magic) != snapshotMagic {
		return 0, fmt.Errorf("%w: bad magic %q", ErrSnapshotCorrupt, magic)
	}
	if v := header[len(snapshotMagic)]; v != snapshotVersion {
		return 0, fmt.Errorf("%w %d (want %d)", ErrSnapshotVersion, v, snapshotVersion)
	}
	count, err := binary.ReadUvarint(sr)
	if err != nil {
		return 0, sr.fail("entry count", err)
	}

	// Keys and values go into one buffer, which grows only as bytes actually
	// arrive, so a corrupt count or length cannot make it large.
	type span struct {
		start, keyEnd, end int
		updated            int64
	}
	var (
		data  []byte
		spans []span
	)
	for i := uint64(0); i < count; i++ {
		s := span{start: len(data)}
		if data, err = readEntry(sr, data, &s.keyEnd, &s.updated); err != nil {
			return 0, sr.fail(fmt.Sprintf("entry %d of %d", i+1, count), err)
		}
		s.end = len(data)
		spans = append(spans, s)
	}

	sum := sr.sum
	var stored [durable.ChecksumLen]byte
	if _, err := io.ReadFull(sr.r, stored[:]); err != nil {
		return 0, sr.fail("checksum", err)
	}
	if binary.BigEndian.Uint32(stored[:]) != sum {
		return 0, fmt.Errorf("%w: checksum mismatch", ErrSnapshotCorrupt)
	}
	switch _, err := sr.r.ReadByte(); {
	case err == nil:
		return 0, fmt.Errorf("%w: trailing data after checksum", ErrSnapshotCorrupt)
	case err != io.EOF:
		return 0, fmt.Errorf("correlate: reading snapshot: %w", err)
	}

	values := make([]V, len(spans))
	for i, s := range spans {
		v, err := dec(data[s.keyEnd:s.end])
		if err != nil {
			return 0, fmt.Errorf("correlate: snapshot entry %d (key %q): decoding value: %w", i+1, data[s.start:s.keyEnd], err)
		}
		values[i] = v
	}
	for i, s := range spans {
		t.Put(data[s.start:s.keyEnd], values[i], time.Unix(0, s.updated))
	}
	return len(spans), nil
}

// readEntry appends one entry's key and value to data, setting keyEnd to the
// end of the key in data and updated to the entry's update time.
func readEntry(sr *summingReader, data []byte, keyEnd *int, updated *int64) ([]byte, error) {
	data, err := readField(sr, data, "key", maxSnapshotKey)
	if err != nil {
		return data, err
	}
	*keyEnd = len(data)
	var ts [8]byte
	if _, err := io.ReadFull(sr, ts[:]); err != nil {
		return data, err
	}
	*updated = int64(binary.BigEndian.Uint64(ts[:]))
	return readField(sr, data, "value", maxSnapshotValue)
}

// readField appends a length-prefixed field of at most limit bytes to data.
func readField(sr *summingReader, data []byte, name string, limit uint64) ([]byte, error) {
	n, err := binary.ReadUvarint(sr)
	if err != nil {
		return data, err
	}
	if n > limit {
		return data, fmt.Errorf("%s length %d exceeds limit %d", name, n, limit)
	}
	// Read in chunks so that memory follows the bytes present, not the
	// length claimed.
	const chunk = 64 << 10
	for left := int(n); left > 0; {
		m := min(left, chunk)
		start := len(data)
		data = append(data, make([]byte, m)...)
		if _, err := io.ReadFull(sr, data[start:]); err != nil {
			return data[:start], err
		}
		left -= m
	}
	return data, nil
}

// summingReader feeds the bytes read through it to a checksum and remembers
// whether the underlying reader failed, so that errors can be classified.
type summingReader struct {
	r     *bufio.Reader
	sum   uint32 // CRC-32C of the bytes read so far
	one   [1]byte
	ioErr error
}

func (s *summingReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.sum = durable.Update(s.sum, p[:n])
	if err != nil && err != io.EOF {
		s.ioErr = err
	}
	return n, err
}

func (s *summingReader) ReadByte() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		if err != io.EOF {
			s.ioErr = err
		}
		return b, err
	}
	s.one[0] = b
	s.sum = durable.Update(s.sum, s.one[:])
	return b, nil
}

// fail classifies an error met while reading part what of a snapshot.
func (s *summingReader) fail(what string, err error) error {
	switch {
	case s.ioErr != nil:
		return fmt.Errorf("correlate: reading snapshot: %s: %w", what, s.ioErr)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s: %w", ErrSnapshotTruncated, what, err)
	}
	// A varint overflow or a length over its limit.
	return fmt.Errorf("%w: %s: %w", ErrSnapshotCorrupt, what, err)
}

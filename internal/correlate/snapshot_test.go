package correlate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// encodeItem and decodeItem are a value codec for tests: the size as a
// signed varint, then the name.
func encodeItem(dst []byte, v *item) []byte {
	dst = binary.AppendVarint(dst, int64(v.size))
	return append(dst, v.name...)
}

func decodeItem(b []byte) (*item, error) {
	size, n := binary.Varint(b)
	if n <= 0 {
		return nil, errors.New("bad size")
	}
	return &item{name: string(b[n:]), size: int(size)}, nil
}

// pending is one entry as Range shows it.
type pending struct {
	key     string
	name    string
	size    int
	updated int64
}

func entriesOf(tb *Table[*item]) []pending {
	var out []pending
	tb.Range(func(key string, v *item, updated time.Time) bool {
		out = append(out, pending{key, v.name, v.size, updated.UnixNano()})
		return true
	})
	return out
}

var bigConfig = Config{Timeout: time.Minute, MaxEntries: 100_000, MaxBytes: 1 << 30}

func TestWriteSnapshotFormat(t *testing.T) {
	tests := []struct {
		name string
		fill func(tb *Table[*item])
		want string // hex
	}{
		{
			name: "empty",
			fill: func(*Table[*item]) {},
			// magic, version 1, count 0, CRC-32C
			want: "5742534e415001" + "00" + "08d51b41",
		},
		{
			name: "one entry",
			fill: func(tb *Table[*item]) { tb.Put([]byte("a"), &item{name: "x", size: 5}, at(0)) },
			// magic, version 1, count 1, key "a", time 2023-12-06T15:19:35Z, value (size 5, "x"), CRC-32C
			want: "5742534e415001" + "01" + "0161" + "179e472eada58600" + "020a78" + "2aa334a2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log evictLog
			tb := newTable(t, bigConfig, &log)
			tt.fill(tb)
			var buf bytes.Buffer
			if err := WriteSnapshot(&buf, tb, encodeItem); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", buf.Bytes()); got != tt.want {
				t.Errorf("snapshot = %s, want %s", got, tt.want)
			}
		})
	}
}

// manyEntries fills a table with n entries of varied keys, values and times,
// some sharing a time.
func manyEntries(t testing.TB, n int) *Table[*item] {
	var log evictLog
	tb := newTable(t, bigConfig, &log)
	for i := range n {
		key := fmt.Sprintf("X4asK6znLjlW-3ZhEhrC%07d", i)
		v := &item{name: strings.Repeat("v", i%300), size: i%1000 - 10}
		tb.Put([]byte(key), v, base.Add(time.Duration(i/3)*time.Millisecond+time.Duration(i%7)))
	}
	tb.Put([]byte(""), &item{name: "empty key"}, at(100)) // the empty key is a key too
	return tb
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 10_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := manyEntries(t, n)
			var buf bytes.Buffer
			if err := WriteSnapshot(&buf, src, encodeItem); err != nil {
				t.Fatal(err)
			}
			var log evictLog
			dst := newTable(t, bigConfig, &log)
			got, err := ReadSnapshot(&buf, dst, decodeItem)
			if err != nil {
				t.Fatal(err)
			}
			if got != n+1 {
				t.Errorf("ReadSnapshot() = %d entries, want %d", got, n+1)
			}
			if want, have := entriesOf(src), entriesOf(dst); !reflect.DeepEqual(have, want) {
				t.Errorf("restored entries differ: %d entries, want %d", len(have), len(want))
			}
			if dst.Bytes() != src.Bytes() || dst.Len() != src.Len() {
				t.Errorf("restored Bytes() = %d, Len() = %d; want %d and %d", dst.Bytes(), dst.Len(), src.Bytes(), src.Len())
			}
			if len(log) != 0 {
				t.Errorf("restore evicted %q", log)
			}
		})
	}
}

func TestReadSnapshotIntoSmallerTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, manyEntries(t, 5), encodeItem); err != nil {
		t.Fatal(err)
	}
	var log evictLog
	tb := newTable(t, Config{Timeout: time.Minute, MaxEntries: 3, MaxBytes: 1 << 20}, &log)
	n, err := ReadSnapshot(&buf, tb, decodeItem)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("ReadSnapshot() = %d entries, want 6", n)
	}
	// What does not fit is emitted, not lost.
	if got, want := strings.Join(log, " "), "X4asK6znLjlW-3ZhEhrC0000000//pressure X4asK6znLjlW-3ZhEhrC0000001/v/pressure X4asK6znLjlW-3ZhEhrC0000002/vv/pressure"; got != want {
		t.Errorf("evicted %q, want %q", got, want)
	}
	if got, want := dump(tb), "X4asK6znLjlW-3ZhEhrC0000003=vvv@0 X4asK6znLjlW-3ZhEhrC0000004=vvvv@0 =empty key@100"; got != want {
		t.Errorf("entries = %q, want %q", got, want)
	}
}

// validSnapshot returns a snapshot of three entries: "a" (value "x", size
// 5), "bb" ("yy", 6) and "ccc" ("zzz", 7).
func validSnapshot(t testing.TB) []byte {
	var log evictLog
	tb := newTable(t, bigConfig, &log)
	tb.Put([]byte("a"), &item{name: "x", size: 5}, at(0))
	tb.Put([]byte("bb"), &item{name: "yy", size: 6}, at(1))
	tb.Put([]byte("ccc"), &item{name: "zzz", size: 7}, at(2))
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, tb, encodeItem); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Offsets in validSnapshot: header 7, count 1, then entries of
// 1+len(key)+8+1+value bytes, then the CRC.
const (
	entry1At   = 8
	entry2At   = entry1At + 1 + 1 + 8 + 1 + 2
	entry3At   = entry2At + 1 + 2 + 8 + 1 + 3
	checksumAt = entry3At + 1 + 3 + 8 + 1 + 4
)

func TestReadSnapshotErrors(t *testing.T) {
	valid := validSnapshot(t)
	if len(valid) != checksumAt+4 {
		t.Fatalf("valid snapshot is %d bytes, want %d", len(valid), checksumAt+4)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	header := []byte("WBSNAP\x01")
	failingDecode := func(b []byte) (*item, error) {
		if string(b[1:]) == "zzz" {
			return nil, errors.New("unknown value layout")
		}
		return decodeItem(b)
	}
	tests := []struct {
		name   string
		input  io.Reader
		dec    func([]byte) (*item, error)
		want   string
		wantIs error
	}{
		{
			name:   "flipped byte in a value",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[entry2At+1+2+8+1+1] ^= 0x20; return b })),
			want:   "correlate: snapshot corrupt: checksum mismatch",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "flipped byte in a time",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[entry1At+2] ^= 0x01; return b })),
			want:   "correlate: snapshot corrupt: checksum mismatch",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "flipped byte in the checksum",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[checksumAt+3] ^= 0xff; return b })),
			want:   "correlate: snapshot corrupt: checksum mismatch",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "empty",
			input:  bytes.NewReader(nil),
			want:   "correlate: snapshot truncated: header: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated in the magic",
			input:  bytes.NewReader(valid[:3]),
			want:   "correlate: snapshot truncated: header: unexpected EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated before the count",
			input:  bytes.NewReader(valid[:7]),
			want:   "correlate: snapshot truncated: entry count: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated between entries",
			input:  bytes.NewReader(valid[:entry3At]),
			want:   "correlate: snapshot truncated: entry 3 of 3: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated in a key",
			input:  bytes.NewReader(valid[:entry2At+2]),
			want:   "correlate: snapshot truncated: entry 2 of 3: unexpected EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated in a time",
			input:  bytes.NewReader(valid[:entry2At+5]),
			want:   "correlate: snapshot truncated: entry 2 of 3: unexpected EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated before the checksum",
			input:  bytes.NewReader(valid[:checksumAt]),
			want:   "correlate: snapshot truncated: checksum: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "truncated in the checksum",
			input:  bytes.NewReader(valid[:checksumAt+2]),
			want:   "correlate: snapshot truncated: checksum: unexpected EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "trailing data",
			input:  bytes.NewReader(append(bytes.Clone(valid), 0)),
			want:   "correlate: snapshot corrupt: trailing data after checksum",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "wrong magic",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[5] = 'Q'; return b })),
			want:   `correlate: snapshot corrupt: bad magic "WBSNAQ"`,
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "not a snapshot",
			input:  strings.NewReader(`{"log_id":"WR-SG-SUMMARY"}`),
			want:   `correlate: snapshot corrupt: bad magic "{\"log_"`,
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "future version",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[6] = 2; return b })),
			want:   "correlate: unsupported snapshot version 2 (want 1)",
			wantIs: ErrSnapshotVersion,
		},
		{
			name:   "version zero",
			input:  bytes.NewReader(mutate(func(b []byte) []byte { b[6] = 0; return b })),
			want:   "correlate: unsupported snapshot version 0 (want 1)",
			wantIs: ErrSnapshotVersion,
		},
		{
			name:   "count overflows",
			input:  bytes.NewReader(append(bytes.Clone(header), bytes.Repeat([]byte{0xff}, 11)...)),
			want:   "correlate: snapshot corrupt: entry count: binary: varint overflows a 64-bit integer",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name:   "huge count",
			input:  bytes.NewReader(binary.AppendUvarint(bytes.Clone(header), 1<<62)),
			want:   "correlate: snapshot truncated: entry 1 of 4611686018427387904: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:   "key over the limit",
			input:  bytes.NewReader(binary.AppendUvarint(append(bytes.Clone(header), 1), 4097)),
			want:   "correlate: snapshot corrupt: entry 1 of 1: key length 4097 exceeds limit 4096",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name: "value over the limit",
			input: bytes.NewReader(binary.AppendUvarint(
				append(bytes.Clone(header), 1, 1, 'k', 0, 0, 0, 0, 0, 0, 0, 0), 1<<20+1)),
			want:   "correlate: snapshot corrupt: entry 1 of 1: value length 1048577 exceeds limit 1048576",
			wantIs: ErrSnapshotCorrupt,
		},
		{
			name: "value claims more than present",
			input: bytes.NewReader(binary.AppendUvarint(
				append(bytes.Clone(header), 1, 1, 'k', 0, 0, 0, 0, 0, 0, 0, 0), 1<<20)),
			want:   "correlate: snapshot truncated: entry 1 of 1: EOF",
			wantIs: ErrSnapshotTruncated,
		},
		{
			name:  "read error",
			input: io.MultiReader(bytes.NewReader(valid[:10]), failingReader{}),
			want:  "correlate: reading snapshot: entry 1 of 3: disk on fire",
		},
		{
			name:  "value the decoder rejects",
			input: bytes.NewReader(valid),
			dec:   failingDecode,
			want:  `correlate: snapshot entry 3 (key "ccc"): decoding value: unknown value layout`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := tt.dec
			if dec == nil {
				dec = decodeItem
			}
			var log evictLog
			tb := newTable(t, bigConfig, &log)
			n, err := ReadSnapshot(tt.input, tb, dec)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ReadSnapshot() error = %v, want %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %q", err, tt.wantIs)
			}
			if n != 0 || tb.Len() != 0 || len(log) != 0 {
				t.Errorf("failed restore left n=%d, Len()=%d, evicted %q; want nothing", n, tb.Len(), log)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestReadSnapshotAllOrNothing damages a valid snapshot in every way a
// single byte can be damaged (flipped, cut off) and checks that none of
// them restores anything.
func TestReadSnapshotAllOrNothing(t *testing.T) {
	valid := validSnapshot(t)
	check := func(t *testing.T, what string, input []byte) {
		t.Helper()
		var log evictLog
		tb := newTable(t, bigConfig, &log)
		n, err := ReadSnapshot(bytes.NewReader(input), tb, decodeItem)
		if err == nil {
			t.Fatalf("%s: ReadSnapshot() succeeded", what)
		}
		if !errors.Is(err, ErrSnapshotCorrupt) && !errors.Is(err, ErrSnapshotTruncated) && !errors.Is(err, ErrSnapshotVersion) {
			t.Errorf("%s: error %q is none of the snapshot errors", what, err)
		}
		if n != 0 || tb.Len() != 0 || len(log) != 0 {
			t.Errorf("%s: n=%d, Len()=%d, evicted %q; want nothing", what, n, tb.Len(), log)
		}
	}
	for i := range valid {
		for _, bit := range []byte{0x01, 0x80} {
			b := bytes.Clone(valid)
			b[i] ^= bit
			check(t, fmt.Sprintf("byte %d ^ %#x", i, bit), b)
		}
		check(t, fmt.Sprintf("first %d bytes", i), valid[:i])
	}
}

func TestWriteSnapshotKeyLimit(t *testing.T) {
	var log evictLog
	tb := newTable(t, bigConfig, &log)
	tb.Put(bytes.Repeat([]byte("k"), 4097), &item{}, at(0))
	err := WriteSnapshot(io.Discard, tb, encodeItem)
	want := "correlate: writing snapshot: entry 1: key length 4097 exceeds limit 4096"
	if err == nil || err.Error() != want {
		t.Errorf("WriteSnapshot() error = %v, want %q", err, want)
	}
}

func TestWriteSnapshotWriteError(t *testing.T) {
	err := WriteSnapshot(failingWriter{}, manyEntries(t, 10), encodeItem)
	want := "correlate: writing snapshot: disk full"
	if err == nil || err.Error() != want {
		t.Errorf("WriteSnapshot() error = %v, want %q", err, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func FuzzReadSnapshot(f *testing.F) {
	f.Add(validSnapshot(f))
	f.Add([]byte("WBSNAP\x01\x00\x08\xd5\x1bA"))
	f.Add([]byte("WBSNAP\x02"))
	f.Add([]byte("WBSNAP\x01\x01\xff\xff\xff\x0f"))
	f.Add([]byte{})
	dec := func(b []byte) (*item, error) { return &item{name: string(b), size: len(b)}, nil }
	enc := func(dst []byte, v *item) []byte { return append(dst, v.name...) }
	cfg := Config{Timeout: time.Minute, MaxEntries: 1000, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		var log evictLog
		tb := newTable(t, cfg, &log)
		n, err := ReadSnapshot(bytes.NewReader(data), tb, dec)
		if err != nil {
			if !errors.Is(err, ErrSnapshotCorrupt) && !errors.Is(err, ErrSnapshotTruncated) && !errors.Is(err, ErrSnapshotVersion) {
				t.Fatalf("error %q is none of the snapshot errors", err)
			}
			if n != 0 || tb.Len() != 0 || len(log) != 0 {
				t.Fatalf("failed restore left n=%d, Len()=%d, %d evictions", n, tb.Len(), len(log))
			}
			return
		}
		if tb.Len() > n || tb.Len() > cfg.MaxEntries || tb.Bytes() > cfg.MaxBytes {
			t.Fatalf("n=%d but Len()=%d, Bytes()=%d", n, tb.Len(), tb.Bytes())
		}
		// Whatever was restored survives another round trip unchanged.
		var buf bytes.Buffer
		if err := WriteSnapshot(&buf, tb, enc); err != nil {
			t.Fatal(err)
		}
		again := newTable(t, cfg, &log)
		if _, err := ReadSnapshot(&buf, again, dec); err != nil {
			t.Fatal(err)
		}
		if want, have := entriesOf(tb), entriesOf(again); !reflect.DeepEqual(have, want) {
			t.Fatalf("second round trip changed the entries: %v, want %v", have, want)
		}
	})
}

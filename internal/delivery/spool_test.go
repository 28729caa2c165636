package delivery

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func spoolOptions(dir string, log Logger) Options {
	opt := testOptions(log)
	opt.SpoolDir = dir
	return opt
}

// TestReplay starts an engine on spool directories as a crash or an earlier
// version could leave them, sends two more records, and checks what is
// delivered, what is logged and what stays on disk.
func TestReplay(t *testing.T) {
	const full = segmentHdrLen + 10*recFrameLen // a segment of 10 test records: 298 bytes
	for _, tt := range []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    []string // delivered from the spool
		logs    []string // before the final stats line; DIR is the spool dir
		left    []string // files after Close
	}{{
		name:    "intact",
		prepare: func(t *testing.T, dir string) { writeSegment(t, dir, 1, testRecords(0, 10)) },
		want:    want(0, 10),
		logs:    []string{"info: spool: replaying 10 records (290 bytes) from DIR"},
	}, {
		name: "tail cut short by a crash",
		prepare: func(t *testing.T, dir string) {
			path := writeSegment(t, dir, 1, testRecords(0, 10))
			truncate(t, path, segmentHdrLen+3*recFrameLen+10)
		},
		want: want(0, 3),
		logs: []string{
			"warn: spool: DIR/0000000000000001.seg: truncated record at offset 95, skipped 10 bytes",
			"info: spool: replaying 3 records (87 bytes) from DIR",
		},
	}, {
		name: "cut inside a frame header",
		prepare: func(t *testing.T, dir string) {
			path := writeSegment(t, dir, 1, testRecords(0, 10))
			truncate(t, path, segmentHdrLen+3*recFrameLen+5)
		},
		want: want(0, 3),
		logs: []string{
			"warn: spool: DIR/0000000000000001.seg: truncated record at offset 95, skipped 5 bytes",
			"info: spool: replaying 3 records (87 bytes) from DIR",
		},
	}, {
		name: "flipped byte in the fifth record",
		prepare: func(t *testing.T, dir string) {
			path := writeSegment(t, dir, 1, testRecords(0, 10))
			flip(t, path, segmentHdrLen+4*recFrameLen+25)
		},
		want: want(0, 4),
		logs: []string{
			fmt.Sprintf("warn: spool: DIR/0000000000000001.seg: corrupt record at offset 124, skipped %d bytes", full-124),
			"info: spool: replaying 4 records (116 bytes) from DIR",
		},
	}, {
		name: "corrupt length",
		prepare: func(t *testing.T, dir string) {
			path := writeSegment(t, dir, 1, testRecords(0, 10))
			flip(t, path, segmentHdrLen) // the first frame's length: 2^31 more
		},
		logs: []string{fmt.Sprintf("warn: spool: DIR/0000000000000001.seg: corrupt record at offset 8, skipped %d bytes", full-8)},
	}, {
		name: "damaged first segment, intact second",
		prepare: func(t *testing.T, dir string) {
			path := writeSegment(t, dir, 1, testRecords(0, 10))
			truncate(t, path, full-1)
			writeSegment(t, dir, 2, testRecords(10, 5))
		},
		want: append(want(0, 9), want(10, 5)...),
		logs: []string{
			"warn: spool: DIR/0000000000000001.seg: truncated record at offset 269, skipped 28 bytes",
			"info: spool: replaying 14 records (406 bytes) from DIR",
		},
	}, {
		name: "segment of a future version",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			path := writeSegment(t, dir, 2, testRecords(5, 5))
			setByte(t, path, segmentHdrLen-1, 2)
		},
		want: want(0, 5),
		logs: []string{
			"warn: spool: DIR/0000000000000002.seg has segment version 2, this build reads version 1: left in place",
			"info: spool: replaying 5 records (145 bytes) from DIR",
		},
		left: []string{segName(2)},
	}, {
		name: "not a segment",
		prepare: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, segName(1)), "hello, world")
		},
		logs: []string{"warn: spool: DIR/0000000000000001.seg is not a spool segment, left in place"},
		left: []string{segName(1)},
	}, {
		name: "header cut short",
		prepare: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, segName(1)), "WBSP")
		},
		logs: []string{"warn: spool: DIR/0000000000000001.seg: incomplete segment header, skipped 4 bytes"},
	}, {
		name: "other files are ignored",
		prepare: func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "notes.txt"), "x")
			write(t, filepath.Join(dir, "1.seg"), "x")
		},
		left: []string{"1.seg", "notes.txt"},
	}, {
		name: "checkpoint in the middle of a segment",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			checkpoint(t, dir, position{seq: 1, off: int64(segmentHdrLen + 2*recFrameLen)})
		},
		want: want(2, 3),
		logs: []string{"info: spool: replaying 3 records (87 bytes) from DIR"},
	}, {
		name: "checkpoint past the first segment",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			writeSegment(t, dir, 2, testRecords(5, 5))
			checkpoint(t, dir, position{seq: 2, off: int64(segmentHdrLen)})
		},
		want: want(5, 5),
		logs: []string{"info: spool: replaying 5 records (145 bytes) from DIR"},
	}, {
		name: "checkpoint at the end",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			checkpoint(t, dir, position{seq: 1, off: int64(segmentHdrLen + 5*recFrameLen)})
		},
	}, {
		name: "ack log unreadable",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			write(t, filepath.Join(dir, ackLogName), "garbage")
		},
		want: want(0, 5),
		logs: []string{
			"warn: spool: ack log DIR/acks unreadable, replaying every segment: not an ack log",
			"info: spool: replaying 5 records (145 bytes) from DIR",
		},
	}, {
		name: "ack log with a torn last record",
		prepare: func(t *testing.T, dir string) {
			writeSegment(t, dir, 1, testRecords(0, 5))
			checkpoint(t, dir, position{seq: 1, off: int64(segmentHdrLen + 1*recFrameLen)}, position{seq: 1, off: int64(segmentHdrLen + 3*recFrameLen)})
			path := filepath.Join(dir, ackLogName)
			truncate(t, path, len(read(t, path))-1)
		},
		want: want(1, 4),
		logs: []string{
			"warn: spool: DIR/acks: truncated record at offset 27, skipped 19 bytes",
			"info: spool: replaying 4 records (116 bytes) from DIR",
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.prepare(t, dir)
			log := &logRecorder{}
			c := &fakeCarrier{}
			e := newEngine(t, c, spoolOptions(dir, log))
			send(t, e, testRecords(100, 2))
			closeEngine(t, e)

			got, _ := c.result()
			equal(t, "delivered", got, append(tt.want, want(100, 2)...))
			count := Counters{Replayed: uint64(len(tt.want)), Accepted: 2, Sent: uint64(len(tt.want)) + 2}
			if got := e.Counters(); got != count {
				t.Errorf("counters:\ngot  %s\nwant %s", got, count)
			}
			equal(t, "log", log.all(), append(lines(dir, tt.logs...), stats(count)))
			left := append([]string{"LOCK", "acks", "chunks"}, tt.left...)
			slices.Sort(left)
			equal(t, "files left", listDir(t, dir), left)
		})
	}
}

// TestReplayFutureSegmentUntouched checks that a segment this build cannot
// read survives, byte for byte, and that new segments do not reuse its name.
func TestReplayFutureSegmentUntouched(t *testing.T) {
	dir := t.TempDir()
	path := writeSegment(t, dir, 7, testRecords(0, 5))
	setByte(t, path, segmentHdrLen-1, 9)
	before := read(t, path)
	c, entered, release := blockingCarrier(t)
	e := newEngine(t, c, spoolOptions(dir, nil))
	send(t, e, testRecords(10, 3))
	receive(t, entered, "the carrier Send")
	equal(t, "spool dir while sending", listDir(t, dir), []string{segName(7), segName(8), "LOCK", "acks", "chunks"})
	release()
	closeEngine(t, e)
	if got := read(t, path); got != before {
		t.Error("the unreadable segment was changed")
	}
}

// TestCrashRestart copies the spool directory while the carrier is stuck,
// as a crash would leave it, and starts a second engine on the copy.
func TestCrashRestart(t *testing.T) {
	dir := t.TempDir()
	c := newHangingCarrier(t, 2, true)
	opt := spoolOptions(dir, nil)
	opt.ShutdownTimeout = 100 * time.Millisecond
	e := newEngine(t, c, opt)
	defer e.Close()
	send(t, e, testRecords(0, 25))
	receive(t, c.entered, "the second carrier Send")
	// The first Send is confirmed and checkpointed before the second starts.
	crashed := t.TempDir()
	for _, name := range []string{segName(1), ackLogName} {
		write(t, filepath.Join(crashed, name), read(t, filepath.Join(dir, name)))
	}
	if got, err := readAckLog(filepath.Join(crashed, ackLogName), discard{}); err != nil || got != (position{seq: 1, off: int64(segmentHdrLen + 10*recFrameLen)}) {
		t.Fatalf("checkpoint %+v, %v", got, err)
	}

	log := &logRecorder{}
	c2 := &fakeCarrier{}
	e2 := newEngine(t, c2, spoolOptions(crashed, log))
	closeEngine(t, e2)
	got1, _ := c.result()
	got2, _ := c2.result()
	equal(t, "delivered across the crash", append(got1, got2...), want(0, 25))
	equal(t, "log", log.all(), []string{
		"info: spool: replaying 15 records (435 bytes) from " + crashed,
		stats(Counters{Replayed: 15, Sent: 15}),
	})
}

// TestRestartAfterPartialReplay restarts while records from the spool are
// being replayed: the checkpoint then lies inside a replayed segment.
func TestRestartAfterPartialReplay(t *testing.T) {
	dir := t.TempDir()
	writeSegment(t, dir, 1, testRecords(0, 25))
	writeSegment(t, dir, 2, testRecords(25, 10))
	c := newHangingCarrier(t, 2, true)
	opt := spoolOptions(dir, nil)
	opt.ShutdownTimeout = 100 * time.Millisecond
	e := newEngine(t, c, opt)
	send(t, e, testRecords(100, 5))
	receive(t, c.entered, "the second carrier Send")
	closeEngine(t, e)
	if got := e.Counters(); got != (Counters{Replayed: 35, Accepted: 5, Sent: 10, Spooled: 30, SpoolBytes: 30 * recFrameLen}) {
		t.Errorf("counters: %s", got)
	}

	c2 := &fakeCarrier{}
	e2 := newEngine(t, c2, opt)
	closeEngine(t, e2)
	got1, _ := c.result()
	got2, _ := c2.result()
	equal(t, "delivered", append(got1, got2...), append(want(0, 35), want(100, 5)...))
	equal(t, "spool dir", listDir(t, dir), []string{"LOCK", "acks", "chunks"})
}

func TestSegmentsRollAndGo(t *testing.T) {
	dir := t.TempDir()
	c, entered, release := blockingCarrier(t)
	opt := spoolOptions(dir, nil)
	opt.SegmentBytes = 100 // a batch of two test records takes 58
	e := newEngine(t, c, opt)
	for i := range 5 {
		send(t, e, testRecords(i*2, 2))
		if i == 0 {
			receive(t, entered, "the carrier Send")
		}
	}
	equal(t, "spool dir while sending", listDir(t, dir), []string{segName(1), segName(2), segName(3), "LOCK", "acks", "chunks"})
	release()
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, want(0, 10))
	equal(t, "spool dir after Close", listDir(t, dir), []string{"LOCK", "acks", "chunks"})
	if got, err := readAckLog(filepath.Join(dir, ackLogName), discard{}); err != nil || got != (position{seq: 3, off: int64(segmentHdrLen + 2*recFrameLen)}) {
		t.Errorf("checkpoint %+v, %v", got, err)
	}
}

func TestSpoolMaxBytes(t *testing.T) {
	dir := t.TempDir()
	c := newHangingCarrier(t, 1, true)
	opt := spoolOptions(dir, nil)
	opt.SpoolMaxBytes = 600 // a batch of 10 test records takes 290
	opt.ShutdownTimeout = 100 * time.Millisecond
	e := newEngine(t, c, opt)
	var admits []bool
	for i := range 3 {
		send(t, e, testRecords(i*10, 10))
		if i == 0 {
			receive(t, c.entered, "the carrier Send")
		}
		admits = append(admits, e.Admit())
	}
	equal(t, "Admit after each Send", admits, []bool{true, true, false})
	send(t, e, testRecords(30, 10)) // accepted all the same
	closeEngine(t, e)
	if got, want := e.Counters(), (Counters{Accepted: 40, Spooled: 40, SpoolBytes: 40 * recFrameLen}); got != want {
		t.Errorf("counters:\ngot  %s\nwant %s", got, want)
	}

	// A backlog over the limit holds admission until it is sent.
	c2, entered, release := blockingCarrier(t)
	c2.delivered = make(chan string, 100)
	e2 := newEngine(t, c2, opt)
	if e2.Admit() {
		t.Error("Admit true with 1160 bytes in the spool")
	}
	receive(t, entered, "the carrier Send")
	release()
	for range 40 {
		receive(t, c2.delivered, "delivery")
	}
	send(t, e2, testRecords(40, 1))
	receive(t, c2.delivered, "the sentinel")
	if !e2.Admit() {
		t.Errorf("Admit false after the backlog was sent: %s", e2.Counters())
	}
	closeEngine(t, e2)
	got, _ := c2.result()
	equal(t, "delivered", got, want(0, 41))
}

func TestSendFailsWhenSpoolWriteFails(t *testing.T) {
	dir := t.TempDir()
	c := &fakeCarrier{}
	e := newEngine(t, c, spoolOptions(dir, nil))
	send(t, e, testRecords(0, 3))
	e.mu.Lock()
	e.spool.f.Close() // the next write fails
	e.mu.Unlock()
	err := e.Send(testRecords(3, 3))
	if want := "spool: write " + filepath.Join(dir, segName(1)) + ": file already closed"; err == nil || err.Error() != want {
		t.Fatalf("Send: %v, want %s", err, want)
	}
	send(t, e, testRecords(6, 3)) // in a new segment
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, append(want(0, 3), want(6, 3)...))
	if got, want := e.Counters(), (Counters{Accepted: 6, Sent: 6}); got != want {
		t.Errorf("counters:\ngot  %s\nwant %s", got, want)
	}
}

func TestFsyncPolicies(t *testing.T) {
	for _, f := range []Fsync{FsyncAlways, FsyncInterval, FsyncOff} {
		t.Run(f.String(), func(t *testing.T) {
			dir := t.TempDir()
			c := newHangingCarrier(t, 2, true)
			opt := spoolOptions(dir, nil)
			opt.SpoolFsync = f
			opt.ShutdownTimeout = 100 * time.Millisecond
			e := newEngine(t, c, opt)
			send(t, e, testRecords(0, 15))
			receive(t, c.entered, "the second carrier Send")
			closeEngine(t, e)

			c2 := &fakeCarrier{}
			e2 := newEngine(t, c2, opt)
			closeEngine(t, e2)
			got1, _ := c.result()
			got2, _ := c2.result()
			equal(t, "delivered", append(got1, got2...), want(0, 15))
		})
	}
}

func TestSpoolDirErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	write(t, file, "")
	_, err := New(&fakeCarrier{}, Options{SpoolDir: filepath.Join(file, "spool")})
	if want := fmt.Sprintf("spool dir %s/spool: mkdir %s: not a directory", file, file); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}

	dir := filepath.Join(tmp, "spool")
	e := newEngine(t, &fakeCarrier{}, spoolOptions(dir, nil))
	_, err = New(&fakeCarrier{}, spoolOptions(dir, nil))
	if want := "spool dir " + dir + ": in use by another engine (another output instance with the same Spool_Dir?)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	closeEngine(t, e)
	// Close releases the directory.
	closeEngine(t, newEngine(t, &fakeCarrier{}, spoolOptions(dir, nil)))
}

func TestAckLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ackLogName)
	a := ackLog{path: path}
	defer a.close()
	var last position
	perFile := (ackLogMax - len(ackLogHeader)) / ackRecordLen
	for i := range 3*perFile + 7 { // three full logs, then one of 7 records
		last = position{seq: uint64(i) << 40, off: int64(i)}
		if err := a.append(last, false); err != nil {
			t.Fatal(err)
		}
	}
	size := int64(len(read(t, path)))
	if want := int64(len(ackLogHeader) + 7*ackRecordLen); size != want {
		t.Errorf("size %d, want %d", size, want)
	}
	if got, err := readAckLog(path, discard{}); err != nil || got != last {
		t.Fatalf("read back %+v, %v; want %+v", got, err, last)
	}

	good := read(t, path)
	for _, tt := range []struct {
		name, content, err string
	}{
		{"empty", "", "not an ack log"},
		{"magic", "X" + good[1:], "not an ack log"},
		{"version", ackLogMagic + "\x02" + good[len(ackLogHeader):], "ack log version 2, this build reads version 1"},
		{"no records", ackLogHeader, "no intact record"},
		{"negative offset", string(encodeAck([]byte(ackLogHeader), position{seq: 1, off: -1})), "no intact record"},
	} {
		write(t, path, tt.content)
		if _, err := readAckLog(path, discard{}); err == nil || err.Error() != tt.err {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.err)
		}
	}
}

func truncate(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.Truncate(path, int64(size)); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, off int) {
	t.Helper()
	b := []byte(read(t, path))
	setByte(t, path, off, b[off]^0x80)
}

func setByte(t *testing.T, path string, off int, v byte) {
	t.Helper()
	b := []byte(read(t, path))
	b[off] = v
	write(t, path, string(b))
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

// checkpoint writes an ack log holding ps.
func checkpoint(t *testing.T, dir string, ps ...position) {
	t.Helper()
	a := ackLog{path: filepath.Join(dir, ackLogName)}
	defer a.close()
	for _, p := range ps {
		if err := a.append(p, false); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFilesOfVersion1 starts an engine on a spool directory as the version
// before package durable left it (bytes it wrote): the segment's records
// after the checkpoint are delivered and the chunk digest is recognised, so
// an upgrade loses nothing and repeats nothing.
func TestFilesOfVersion1(t *testing.T) {
	const (
		// testRecords(0, 3)
		segment = "574253504f4f4c01" +
			"000000155158e68117b9d35aaefac00000036777307265633d30303030" +
			"00000015ef32efd217b9d35b0862ef0001036777317265633d30303031" +
			"00000015ed7db11717b9d35b61cb1e0002036777327265633d30303032"
		// checkpoints after the first and the second record
		acks = "574241434b5301" +
			"00000000000000010000000000000025a302d660" +
			"00000000000000010000000000000042160e21e9"
		// ChunkDigest("chunk one", "airlock")
		chunks = "57424348554e4b01" +
			"fb8ec81ab1955bc7f3a528ad3c8ee736a9d98f7a6fd2c687248ae55d20dbb97d55d68999"
	)
	dir := t.TempDir()
	for name, content := range map[string]string{"0000000000000001.seg": segment, ackLogName: acks, chunkLogName: chunks} {
		b, err := hex.DecodeString(content)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name), string(b))
	}
	c := &fakeCarrier{}
	e := newEngine(t, c, spoolOptions(dir, discard{}))
	if !e.Chunks().Before(ChunkDigest([]byte("chunk one"), "airlock")) {
		t.Error("the chunk of the earlier run is not recognised")
	}
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, want(2, 1))
}

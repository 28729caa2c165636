package delivery

import (
	"errors"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// blockedCarrier holds every Send until release is closed.
func blockedCarrier(release <-chan struct{}) *fakeCarrier {
	return &fakeCarrier{hook: func(_ int, recs []sink.Record) (int, error) {
		<-release
		return len(recs), nil
	}}
}

// TestAdmitWaitsForRoom: with the queue full, Admit waits until the sender
// confirms records, and says no only once AdmitWait has passed.
func TestAdmitWaitsForRoom(t *testing.T) {
	for _, spooled := range []bool{false, true} {
		name := "memory"
		if spooled {
			name = "spool"
		}
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			opt := testOptions(nil)
			opt.QueueMaxBytes, opt.SpoolMaxBytes = 1, 1
			opt.AdmitWait = waitLimit
			if spooled {
				opt.SpoolDir = t.TempDir()
			}
			c := blockedCarrier(release)
			e := newEngine(t, c, opt)
			send(t, e, testRecords(0, 3))
			admitted := make(chan bool)
			go func() { admitted <- e.Admit() }()
			select {
			case <-admitted:
				t.Fatal("Admit did not wait with the queue full")
			case <-time.After(50 * time.Millisecond):
			}
			close(release)
			if !receive(t, admitted, "Admit") {
				t.Fatal("Admit said no after the queue emptied")
			}
			closeEngine(t, e)
			got, _ := c.result()
			equal(t, "delivered", got, want(0, 3))
		})
	}
}

// TestAdmitGivesUp: AdmitWait bounds the wait; 0 says no at once; Close
// ends a wait at once.
func TestAdmitGivesUp(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	opt := testOptions(nil)
	opt.QueueMaxBytes = 1
	opt.AdmitWait = 30 * time.Millisecond
	e := newEngine(t, blockedCarrier(release), opt)
	send(t, e, testRecords(0, 1))
	if e.Admit() {
		t.Error("Admit said yes with the queue full")
	}
	e.opt.AdmitWait = time.Hour
	admitted := make(chan bool)
	go func() { admitted <- e.Admit() }()
	time.Sleep(20 * time.Millisecond)
	go e.Close()
	if receive(t, admitted, "Admit after Close") {
		t.Error("Admit said yes after Close")
	}
}

// TestSpoolAddsRoom: with a spool, batches beyond Queue_Max_Bytes wait on
// disk only: memory stays bounded by one batch while the spool takes them
// all, and every record is delivered once, in order.
func TestSpoolAddsRoom(t *testing.T) {
	release := make(chan struct{})
	opt := spoolOptions(t.TempDir(), nil)
	opt.QueueMaxBytes = 100 // three test records
	c := blockedCarrier(release)
	e := newEngine(t, c, opt)
	const batches, per = 20, 5
	for i := 0; i < batches; i++ {
		if !e.Admit() {
			t.Fatalf("batch %d refused: the spool has room", i)
		}
		send(t, e, testRecords(i*per, per))
	}
	cnt := e.Counters()
	if cnt.QueuedBytes > 5*recFrameLen || cnt.SpoolBytes != batches*per*recFrameLen {
		t.Errorf("memory must hold at most the first batch, the spool all: %s", cnt)
	}
	close(release)
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, want(0, batches*per))
	checkBalance(t, e.Counters())
}

// TestSpoolOnlyBatchesSurviveRestart: batches kept on disk only are
// delivered by the next engine when the first one stops before sending them.
func TestSpoolOnlyBatchesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	opt := spoolOptions(dir, nil)
	opt.QueueMaxBytes = 1
	opt.ShutdownTimeout = 50 * time.Millisecond
	c1 := &fakeCarrier{hook: func(call int, recs []sink.Record) (int, error) {
		if call == 1 {
			return len(recs), nil
		}
		<-release
		return 0, errors.New("receiver gone")
	}}
	e1 := newEngine(t, c1, opt)
	for i := 0; i < 4; i++ {
		send(t, e1, testRecords(i*5, 5))
	}
	time.Sleep(20 * time.Millisecond)
	go func() { time.Sleep(100 * time.Millisecond); close(release) }()
	e1.Close()
	got1, _ := c1.result()

	c2 := &fakeCarrier{}
	e2 := newEngine(t, c2, spoolOptions(dir, nil))
	closeEngine(t, e2)
	got2, _ := c2.result()
	equal(t, "delivered across both runs", append(got1, got2...), want(0, 20))
}

// TestChunkLog: digests of one run are recognised by the next, not by the
// run that wrote them, and a damaged tail is skipped with a warning.
func TestChunkLog(t *testing.T) {
	dir := t.TempDir()
	log := &logRecorder{}
	a, b := ChunkDigest([]byte("chunk a"), "t"), ChunkDigest([]byte("chunk a"), "u")
	if a == b {
		t.Fatal("the tag must count")
	}
	c1, err := openChunkLog(dir, FsyncOff, log)
	if err != nil {
		t.Fatal(err)
	}
	c1.Add(a)
	if c1.Before(a) {
		t.Error("a chunk of this run counted as an earlier run's")
	}
	c1.close()
	c2, err := openChunkLog(dir, FsyncOff, log)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.Before(a) || c2.Before(b) {
		t.Errorf("after restart: a %v (want true), b %v (want false)", c2.Before(a), c2.Before(b))
	}
	for i := 0; i < chunkLogRecords+10; i++ { // rolls over, keeping the newest
		c2.Add(ChunkDigest([]byte{byte(i), byte(i >> 8)}, "t"))
	}
	c2.close()
	c3, err := openChunkLog(dir, FsyncOff, log)
	if err != nil {
		t.Fatal(err)
	}
	n := chunkLogRecords + 9
	last := ChunkDigest([]byte{byte(n), byte(n >> 8)}, "t")
	if !c3.Before(last) || c3.Before(a) || len(c3.before) != chunkLogKeep {
		t.Errorf("after roll-over: newest %v, oldest %v, kept %d", c3.Before(last), c3.Before(a), len(c3.before))
	}
	c3.close()
	if len(log.all()) != 0 {
		t.Errorf("log: %q", log.all())
	}
	var nilLog *ChunkLog
	if nilLog.Before(a) {
		t.Error("no spool, no chunk log")
	}
	nilLog.Add(a)
}

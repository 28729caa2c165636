package delivery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

func repeat[T any](v []T, n int) []T {
	var out []T
	for range n {
		out = append(out, v...)
	}
	return out
}

// TestRetriesKeepOrder sends one batch of 100 records, so the carrier
// batches and therefore every counter and log line are deterministic.
func TestRetriesKeepOrder(t *testing.T) {
	reset := errors.New("connection reset")
	broken := errors.New("broken pipe")
	// sink.PartialError words its own message.
	partial := func(sent int, err error) string { return (&sink.PartialError{Sent: sent, Err: err}).Error() }
	recovered := "info: delivery: sending works again (failed attempts: 1)"
	for _, tt := range []struct {
		name  string
		hook  func(call int, recs []sink.Record) (int, error)
		sizes []int
		count Counters
		logs  []string
	}{{
		name: "every third Send fails",
		hook: func(call int, recs []sink.Record) (int, error) {
			if call%3 == 0 {
				return 0, reset
			}
			return len(recs), nil
		},
		sizes: repeat([]int{10}, 14),
		count: Counters{Accepted: 100, Sent: 100, Retried: 40, Reconnects: 4},
		logs:  repeat([]string{"warn: delivery: send failed, retrying 10 records (attempt 1): connection reset", recovered}, 4),
	}, {
		name: "every second Send delivers half",
		hook: func(call int, recs []sink.Record) (int, error) {
			if call%2 == 0 {
				return len(recs) / 2, &sink.PartialError{Sent: len(recs) / 2, Err: broken}
			}
			return len(recs), nil
		},
		sizes: append([]int{10}, repeat([]int{10, 5}, 9)...),
		count: Counters{Accepted: 100, Sent: 100, Retried: 45, Reconnects: 9},
		logs:  repeat([]string{"warn: delivery: send failed, retrying 5 records (attempt 1): " + partial(5, broken), recovered}, 9),
	}, {
		name: "wrapped partial errors twice in a row",
		hook: func(call int, recs []sink.Record) (int, error) {
			if call == 2 || call == 3 {
				return 3, fmt.Errorf("tcp: %w", &sink.PartialError{Sent: 3, Err: broken})
			}
			return len(recs), nil
		},
		sizes: append([]int{10, 10, 7, 4}, repeat([]int{10}, 8)...),
		count: Counters{Accepted: 100, Sent: 100, Retried: 11, Reconnects: 2},
		logs: []string{
			"warn: delivery: send failed, retrying 7 records (attempt 1): tcp: " + partial(3, broken),
			"warn: delivery: send failed, retrying 4 records (attempt 2): tcp: " + partial(3, broken),
			"info: delivery: sending works again (failed attempts: 2)",
		},
	}, {
		name: "partial counts out of range",
		hook: func(call int, recs []sink.Record) (int, error) {
			switch call {
			case 2:
				return 0, &sink.PartialError{Sent: -4, Err: reset}
			case 3: // claims more than it got: all delivered
				return len(recs), &sink.PartialError{Sent: 99, Err: reset}
			}
			return len(recs), nil
		},
		sizes: repeat([]int{10}, 11),
		count: Counters{Accepted: 100, Sent: 100, Retried: 10, Reconnects: 1},
		logs:  []string{"warn: delivery: send failed, retrying 10 records (attempt 1): " + partial(-4, reset), recovered},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			log := &logRecorder{}
			c := &fakeCarrier{hook: tt.hook}
			e := newEngine(t, c, testOptions(log))
			send(t, e, testRecords(0, 100))
			closeEngine(t, e)

			got, sizes := c.result()
			equal(t, "delivered", got, want(0, 100))
			equal(t, "records per carrier Send", sizes, tt.sizes)
			if got := e.Counters(); got != tt.count {
				t.Errorf("counters:\ngot  %s\nwant %s", got, tt.count)
			}
			equal(t, "log", log.all(), append(tt.logs, stats(tt.count)))
			if !c.closed {
				t.Error("carrier not closed")
			}
		})
	}
}

// TestManySendsKeepOrder interleaves Sends with a carrier that fails in
// every way; only the order and the totals are deterministic.
func TestManySendsKeepOrder(t *testing.T) {
	c := &fakeCarrier{hook: func(call int, recs []sink.Record) (int, error) {
		switch call % 5 {
		case 1:
			return 0, errors.New("refused")
		case 3:
			n := len(recs) / 2
			return n, &sink.PartialError{Sent: n, Err: errors.New("reset")}
		}
		return len(recs), nil
	}}
	e := newEngine(t, c, testOptions(nil))
	first := 0
	for n := 1; n <= 30; n++ {
		send(t, e, testRecords(first, n))
		first += n
	}
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, want(0, first))
	cnt := e.Counters()
	if cnt.Sent != uint64(first) || cnt.Accepted != uint64(first) || cnt.Dropped != 0 || cnt.Reconnects == 0 || cnt.Retried == 0 {
		t.Errorf("counters: %s", cnt)
	}
	checkBalance(t, cnt)
}

func TestBatchBytes(t *testing.T) {
	for _, tt := range []struct {
		batchBytes int
		sizes      []int
	}{
		{batchBytes: 21 * 10, sizes: []int{10}},       // bodies are 21 bytes
		{batchBytes: 50, sizes: []int{2, 2, 2, 2, 2}}, // 42 fits, 63 does not
		{batchBytes: 63, sizes: []int{3, 3, 3, 1}},
		{batchBytes: 1, sizes: repeat([]int{1}, 10)}, // a larger record goes alone
	} {
		c := &fakeCarrier{}
		opt := testOptions(nil)
		opt.BatchRecords = 100
		opt.BatchBytes = tt.batchBytes
		e := newEngine(t, c, opt)
		send(t, e, testRecords(0, 10))
		closeEngine(t, e)
		got, sizes := c.result()
		equal(t, "delivered", got, want(0, 10))
		equal(t, fmt.Sprintf("BatchBytes %d: records per Send", tt.batchBytes), sizes, tt.sizes)
	}
}

// blockingCarrier is a fakeCarrier whose first Send reports on entered and
// then waits for release to be closed.
func blockingCarrier(t *testing.T) (c *fakeCarrier, entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 1)
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	c = &fakeCarrier{hook: func(call int, recs []sink.Record) (int, error) {
		if call == 1 {
			in <- struct{}{}
			<-gate
		}
		return len(recs), nil
	}}
	return c, in, release
}

func TestAdmission(t *testing.T) {
	c, entered, release := blockingCarrier(t)
	c.delivered = make(chan string, 100)
	opt := testOptions(nil)
	opt.QueueMaxBytes = 1000 // a batch of 10 test records takes 290
	e := newEngine(t, c, opt)
	if !e.Admit() {
		t.Fatal("a new engine does not admit")
	}
	var admits []bool
	for i := range 4 {
		send(t, e, testRecords(i*10, 10))
		if i == 0 {
			receive(t, entered, "the first carrier Send")
		}
		admits = append(admits, e.Admit())
	}
	equal(t, "Admit after each Send", admits, []bool{true, true, true, false})
	// Over the limit Send still accepts: Fluent Bit's chunk is not dropped.
	send(t, e, testRecords(40, 10))
	if e.Admit() {
		t.Error("Admit true over the limit")
	}
	if got := e.Counters(); got.QueuedBytes != 50*recFrameLen || got.Accepted != 50 {
		t.Errorf("counters: %s", got)
	}

	release()
	for range 50 {
		receive(t, c.delivered, "delivery")
	}
	// The carrier gets the sentinel only after every earlier Send returned
	// and was confirmed.
	send(t, e, testRecords(50, 1))
	if d := receive(t, c.delivered, "the sentinel"); d != want(50, 1)[0] {
		t.Fatalf("delivered %q, want the sentinel", d)
	}
	if !e.Admit() {
		t.Errorf("Admit false after the queue drained: %s", e.Counters())
	}
	closeEngine(t, e)
	got, _ := c.result()
	equal(t, "delivered", got, want(0, 51))
	if got, want := e.Counters(), (Counters{Accepted: 51, Sent: 51}); got != want {
		t.Errorf("counters:\ngot  %s\nwant %s", got, want)
	}
	if e.Admit() {
		t.Error("Admit true after Close")
	}
	if err := e.Send(testRecords(0, 1)); err != ErrClosed {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

func TestCloseDrains(t *testing.T) {
	c, entered, release := blockingCarrier(t)
	log := &logRecorder{}
	e := newEngine(t, c, testOptions(log))
	send(t, e, testRecords(0, 10))
	receive(t, entered, "the first carrier Send")
	send(t, e, testRecords(10, 10))
	send(t, e, testRecords(20, 5))
	closed := make(chan error)
	go func() { closed <- e.Close() }()
	release()
	if err := receive(t, closed, "Close"); err != nil {
		t.Fatal(err)
	}
	got, _ := c.result()
	equal(t, "delivered", got, want(0, 25))
	count := Counters{Accepted: 25, Sent: 25}
	if got := e.Counters(); got != count {
		t.Errorf("counters:\ngot  %s\nwant %s", got, count)
	}
	equal(t, "log", log.all(), []string{stats(count)})
}

// hangingCarrier reports its first Send on entered and never returns from
// it, unless abortOnClose is set and Close is called. Test cleanup lets it go.
type hangingCarrier struct {
	fakeCarrier
	abortOnClose bool
	entered      chan struct{}
	release      chan struct{}
	closed       chan struct{}
	closeOnce    sync.Once
}

func newHangingCarrier(t *testing.T, hangOnCall int, abortOnClose bool) *hangingCarrier {
	c := &hangingCarrier{
		abortOnClose: abortOnClose,
		entered:      make(chan struct{}, 1),
		release:      make(chan struct{}),
		closed:       make(chan struct{}),
	}
	c.hook = func(call int, recs []sink.Record) (int, error) {
		if call != hangOnCall {
			return len(recs), nil
		}
		c.entered <- struct{}{}
		if abortOnClose {
			select {
			case <-c.release:
			case <-c.closed:
				return 0, errors.New("use of closed network connection")
			}
		}
		<-c.release
		return len(recs), nil
	}
	t.Cleanup(func() { close(c.release) })
	return c
}

func (c *hangingCarrier) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.fakeCarrier.Close()
}

func TestCloseTimeoutDropsWithoutSpool(t *testing.T) {
	for _, abort := range []bool{false, true} {
		t.Run(fmt.Sprintf("abortOnClose=%v", abort), func(t *testing.T) {
			c := newHangingCarrier(t, 1, abort)
			log := &logRecorder{}
			opt := testOptions(log)
			opt.ShutdownTimeout = 200 * time.Millisecond
			e := newEngine(t, c, opt)
			send(t, e, testRecords(0, 25))
			receive(t, c.entered, "the carrier Send")
			closeEngine(t, e)

			count := Counters{Accepted: 25, Dropped: 25}
			if got := e.Counters(); got != count {
				t.Errorf("counters:\ngot  %s\nwant %s", got, count)
			}
			equal(t, "log", log.all(), []string{
				"error: delivery: dropped 25 records: shutdown timeout (200ms) reached before they were delivered",
				stats(count),
			})
		})
	}
}

func TestCloseTimeoutKeepsSpoolForNextStart(t *testing.T) {
	dir := t.TempDir()
	c := newHangingCarrier(t, 3, false) // delivers 2 batches of 10, hangs on the third
	log := &logRecorder{}
	opt := testOptions(log)
	opt.SpoolDir = dir
	opt.ShutdownTimeout = 200 * time.Millisecond
	e := newEngine(t, c, opt)
	send(t, e, testRecords(0, 25))
	receive(t, c.entered, "the third carrier Send")
	closeEngine(t, e)

	got1, _ := c.result()
	equal(t, "delivered by the first engine", got1, want(0, 20))
	count := Counters{Accepted: 25, Sent: 20, Spooled: 5, SpoolBytes: 5 * recFrameLen}
	if got := e.Counters(); got != count {
		t.Errorf("counters:\ngot  %s\nwant %s", got, count)
	}
	equal(t, "log", log.all(), []string{"info: spool: spooled 5 records for the next start", stats(count)})

	// The next start delivers the rest, and only the rest.
	c2 := &fakeCarrier{}
	log2 := &logRecorder{}
	opt.Log = log2
	e2 := newEngine(t, c2, opt)
	closeEngine(t, e2)
	got2, _ := c2.result()
	equal(t, "delivered across both runs", append(got1, got2...), want(0, 25))
	count2 := Counters{Replayed: 5, Sent: 5}
	if got := e2.Counters(); got != count2 {
		t.Errorf("counters of the second engine:\ngot  %s\nwant %s", got, count2)
	}
	equal(t, "log of the second engine", log2.all(), []string{
		fmt.Sprintf("info: spool: replaying 5 records (145 bytes) from %s", dir),
		stats(count2),
	})
	equal(t, "spool dir", listDir(t, dir), []string{"LOCK", "acks", "chunks"})
}

func TestStatsInterval(t *testing.T) {
	log := &logRecorder{added: make(chan string, 100)}
	opt := testOptions(log)
	opt.StatsInterval = time.Millisecond
	e := newEngine(t, &fakeCarrier{}, opt)
	defer e.Close()
	line := receive(t, log.added, "the stats line")
	if line != stats(Counters{}) {
		t.Errorf("got %q", line)
	}
}

func TestEmptySend(t *testing.T) {
	c := &fakeCarrier{}
	e := newEngine(t, c, testOptions(nil))
	send(t, e, nil)
	closeEngine(t, e)
	if _, sizes := c.result(); len(sizes) != 0 {
		t.Errorf("carrier called %d times", len(sizes))
	}
	if got := e.Counters(); got != (Counters{}) {
		t.Errorf("counters: %s", got)
	}
}

func TestNewNilCarrier(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil || err.Error() != "delivery: nil carrier" {
		t.Errorf("got %v", err)
	}
}

func TestParseFsync(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Fsync
		err  string
	}{
		{in: "always", want: FsyncAlways},
		{in: "Interval", want: FsyncInterval},
		{in: "OFF", want: FsyncOff},
		{in: "", err: `invalid fsync policy "": want always, interval or off`},
		{in: "sometimes", err: `invalid fsync policy "sometimes": want always, interval or off`},
	} {
		got, err := ParseFsync(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: got error %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != strings.ToLower(tt.in) {
			t.Errorf("%q: got %v (%v)", tt.in, got, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	got := Options{BackoffMin: time.Minute, StatsInterval: -1}.withDefaults()
	got.Log = nil
	want := Options{
		QueueMaxBytes:   16 << 20,
		SpoolMaxBytes:   256 << 20,
		SegmentBytes:    8 << 20,
		BatchRecords:    500,
		BatchBytes:      1 << 20,
		BackoffMin:      time.Minute,
		BackoffMax:      time.Minute, // never below BackoffMin
		ShutdownTimeout: 5 * time.Second,
		StatsInterval:   -1,
	}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got := (Options{}).withDefaults().StatsInterval; got != time.Minute {
		t.Errorf("default StatsInterval %s", got)
	}
}

func TestBackoff(t *testing.T) {
	opt := Options{}.withDefaults()
	var bases []time.Duration
	for attempt := 1; attempt <= 11; attempt++ {
		bases = append(bases, opt.backoffBase(attempt))
	}
	ms := time.Millisecond
	equal(t, "backoff", bases, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms,
		6400 * ms, 12800 * ms, 25600 * ms, 30 * time.Second, 30 * time.Second})
	if got := opt.backoffBase(1 << 40); got != 30*time.Second {
		t.Errorf("attempt 2^40: %s", got)
	}
	huge := Options{BackoffMin: time.Second, BackoffMax: 1<<63 - 1}.withDefaults()
	if got := huge.backoffBase(200); got != 1<<63-1 {
		t.Errorf("no overflow: got %s", got)
	}
	// Jitter keeps the wait between half the base and the base.
	seen := map[bool]bool{}
	for range 1000 {
		d := opt.backoff(3)
		if d < 200*ms || d > 400*ms {
			t.Fatalf("backoff(3) = %s, outside [200ms, 400ms]", d)
		}
		seen[d < 300*ms] = true
	}
	if !seen[true] || !seen[false] {
		t.Error("no jitter")
	}
}

func TestCountersString(t *testing.T) {
	c := Counters{Accepted: 1, Replayed: 2, Sent: 3, Retried: 4, Reconnects: 5, Dropped: 6, Queued: 7, Spooled: 8, QueuedBytes: 9, SpoolBytes: 10}
	want := "sent=3 queued=7 spooled=8 retried=4 reconnects=5 dropped=6 accepted=1 replayed=2 queued_bytes=9 spool_bytes=10"
	if got := c.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestConcurrentSends is for the race detector: Fluent Bit workers flush
// concurrently.
func TestConcurrentSends(t *testing.T) {
	c := &fakeCarrier{}
	opt := testOptions(nil)
	opt.SpoolDir = t.TempDir()
	e := newEngine(t, c, opt)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				e.Admit()
				send(t, e, testRecords(w*1000+i*4, 4))
				e.Counters()
			}
		})
	}
	wg.Wait()
	closeEngine(t, e)
	got, _ := c.result()
	// Each worker's records arrive in its own order.
	for w := range 4 {
		var mine []string
		for _, d := range got {
			if slices.Contains(want(w*1000, 100), d) {
				mine = append(mine, d)
			}
		}
		equal(t, fmt.Sprintf("worker %d", w), mine, want(w*1000, 100))
	}
	if cnt := e.Counters(); cnt.Sent != 400 || len(got) != 400 {
		t.Errorf("sent %d, delivered %d", cnt.Sent, len(got))
	}
}

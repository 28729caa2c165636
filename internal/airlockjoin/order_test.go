package airlockjoin

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/correlate"
)

// TestEveryChunkOrder feeds the records of the bundled sample — a session
// start and end, a complete request, a blocked request without its
// conntrace and a lone back-end error — each in a flush of its own, in
// every order, on two threads as Fluent Bit's workers do: the outputs are
// always those of the records in order (the order of the outputs may
// differ, their content not), and so are the counters. The records span
// 49 minutes, so the correlation window must too.
func TestEveryChunkOrder(t *testing.T) {
	records := []string{"request_conntrace", "session_start", "request_summary", "blocked_block", "blocked_summary", "backend_error", "session_end"}
	cfg := Config{Conntrace: ConntraceOn, Timeout: time.Hour, SessionTimeout: 2 * time.Hour}
	feed := func(order []string) ([]string, string) {
		j := newJoiner(t, cfg)
		c := newCollector()
		f := &feeder{t: t}
		for i, name := range order {
			token := j.Begin(i % 2)
			f.add(j, c, name)
			j.End(token, c.emit)
		}
		j.Drain(c.emit)
		if err := j.Counters().Check(); err != nil {
			t.Fatal(err)
		}
		got := c.take()
		slices.Sort(got)
		return got, j.Counters().String()
	}
	want, wantCounters := feed(records)
	if len(want) != 4 || wantCounters != "in=7 joined=4 partial=3 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=3" {
		t.Fatalf("in order: %s\n%q", wantCounters, want)
	}
	for _, order := range permutations(records) {
		got, counters := feed(order)
		if !slices.Equal(got, want) || counters != wantCounters {
			t.Fatalf("order %v:\n%s\n\t%s\nwant\n%s\n\t%s", order, counters, joinLines(got), wantCounters, joinLines(want))
		}
	}
}

// TestOverlappingFlushes: a request completed in one flush is not emitted
// when another flush ends, but only when its own has: its block, later in
// the same chunk, still joins.
func TestOverlappingFlushes(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn})
	c := newCollector()
	f := &feeder{t: t}
	a := j.Begin(1)
	b := j.Begin(2)
	f.add(j, c, "blocked_conntrace")
	f.add(j, c, "blocked_summary") // complete
	j.End(b, c.emit)               // another flush ends
	f.add(j, c, "blocked_block")
	f.add(j, c, "blocked_blockdet")
	j.End(a, c.emit)
	j.Release(c.emit)
	diffLines(t, "outputs", c.take(), []string{lineBlocked})
	checkCounters(t, j, "in=4 joined=4 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
}

// TestWorkersHoldForLateRecords: with flushes on two threads, a complete
// request waits until the clock is Correlation_Timeout past it, so that a
// block in a chunk another worker finishes later still joins; without
// workers it is emitted at the end of its chunk.
func TestWorkersHoldForLateRecords(t *testing.T) {
	for _, threads := range []int{1, 2} {
		j := newJoiner(t, Config{Conntrace: ConntraceOn, Timeout: 30 * time.Second})
		c := newCollector()
		f := &feeder{t: t}
		// Past the first chunks, which are held anyway.
		for range assumeWorkers {
			j.End(j.Begin(0), c.emit)
		}
		token := j.Begin(threads - 1)
		f.add(j, c, "blocked_conntrace")
		f.add(j, c, "blocked_summary")
		j.End(token, c.emit)
		emitted := len(c.lines)
		token = j.Begin(0)
		f.add(j, c, "blocked_block")
		f.add(j, c, "blocked_blockdet")
		j.End(token, c.emit)
		j.Drain(c.emit)
		got := c.take()
		switch threads {
		case 1:
			if emitted != 1 {
				t.Errorf("one thread: %d outputs after the first chunk, want 1", emitted)
			}
		case 2:
			if emitted != 0 || len(got) != 1 || got[0] != lineBlocked {
				t.Errorf("two threads: %d outputs after the first chunk, then:\n\t%s\nwant\n\t%s", emitted, joinLines(got), lineBlocked)
			}
		}
	}
}

func joinLines(l []string) string { return strings.Join(l, "\n\t") }

// TestIdleRelease: what waits for late records goes out once no flush has
// begun or ended for a second, without waiting for the next record.
func TestIdleRelease(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn})
	c := newCollector()
	f := &feeder{t: t}
	token := j.Begin(0)
	f.add(j, c, "request_conntrace")
	f.add(j, c, "request_summary")
	j.End(token, c.emit)
	j.Tick(c.emit)
	if got := c.take(); len(got) != 0 {
		t.Fatalf("emitted at once, in the first chunks (held as the workers'): %q", got)
	}
	j.activity = j.activity.Add(-idleRelease)
	j.Tick(c.emit)
	diffLines(t, "after a second without flushes", c.take(), []string{lineRequest})
}

// TestWallClockDoesNotHoldOnRecordTime: on wall time, a complete request is
// emitted at the end of its chunk even if its records' times are in the
// future.
func TestWallClockDoesNotHoldOnRecordTime(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn, Clock: correlate.ClockWall})
	c := newCollector()
	f := &feeder{t: t}
	future := time.Now().Add(time.Hour)
	token := j.Begin(0)
	f.addAt(j, c, "request_conntrace", future)
	f.addAt(j, c, "request_summary", future)
	j.End(token, c.emit)
	diffLines(t, "outputs", c.take(), []string{lineRequest})
}

// orderStream returns the records of n sessions in time order, as field
// lists, with their event times: each session a start, a request
// (conntrace, summary), a blocked request (conntrace, block, block
// detail, summary) and, 3 s later, its end; sessions start a second apart,
// so that all of it lies within a Correlation_Timeout of 30 s.
func orderStream(n int) (records [][]string, times []time.Time) {
	type rec struct {
		at     time.Duration
		fields []string
	}
	var all []rec
	for i := range n {
		at := time.Duration(i) * time.Second
		sess := fmt.Sprintf("%032x", i+1)
		a, b := fmt.Sprintf("A%026d", i), fmt.Sprintf("B%026d", i)
		common := func(logID, req string) []string {
			return []string{"host", "gw01", "log_id", logID, "req_id", req, "sess_id", sess, "mapping", "shop"}
		}
		all = append(all,
			rec{at, append(common("WR-SG-SESS-004", a), "audit_token", fmt.Sprintf("u%d@example.com", i), "client_ip", "198.51.100.1")},
			rec{at + time.Millisecond, append(common("WR-SG-CONNTRACE", a), "front_src_ip", "198.51.100.1", "front_src_port", "40000", "back_dst_ip", "10.0.0.1", "back_dst_port", "80")},
			rec{at + 9*time.Millisecond, append(common("WR-SG-SUMMARY", a), "http_method", "GET", "http_status", "200")},
			rec{at + 500*time.Millisecond, append(common("WR-SG-CONNTRACE", b), "front_src_ip", "198.51.100.1", "front_src_port", "40001", "back_dst_ip", "10.0.0.1", "back_dst_port", "80")},
			rec{at + 505*time.Millisecond, append(common("WR-SG-BLOCK-110-01", b), "block_type", "deny rule", "message", "blocked")},
			rec{at + 506*time.Millisecond, append(common("WR-SG-BLOCKDET-110-01", b), "message", fmt.Sprintf("blocked: s=%d", i))},
			rec{at + 509*time.Millisecond, append(common("WR-SG-SUMMARY", b), "http_method", "GET", "http_status", "400")},
			rec{at + 3*time.Second, []string{"host", "gw01", "log_id", "WR-SG-SESS-005", "sess_id", sess, "audit_token", "x", "lifetime", "3", "reason", "logout"}},
		)
	}
	slices.SortStableFunc(all, func(x, y rec) int { return int(x.at - y.at) })
	for _, r := range all {
		records = append(records, r.fields)
		times = append(times, base.Add(r.at))
	}
	return records, times
}

// feedChunks feeds the records in chunks of size, in the order of the
// chunk numbers given, each a flush on thread chunk%2, and returns the
// sorted outputs and the counters after a Drain.
func feedChunks(t *testing.T, records [][]string, times []time.Time, size int, order []int) ([]string, string) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn, Timeout: 30 * time.Second})
	c := newCollector()
	f := &feeder{t: t}
	for _, k := range order {
		token := j.Begin(k % 2)
		for i := k * size; i < min((k+1)*size, len(records)); i++ {
			f.addFields(j, c, times[i], records[i]...)
		}
		j.End(token, c.emit)
	}
	j.Drain(c.emit)
	if err := j.Counters().Check(); err != nil {
		t.Fatal(err)
	}
	got := c.take()
	slices.Sort(got)
	return got, j.Counters().String()
}

// FuzzChunkOrder: chunks of a stream of sessions, flushed in any order on
// two threads (Fluent Bit's workers), within the correlation window, give
// exactly the outputs of the chunks in order. The fuzzer picks the order.
func FuzzChunkOrder(f *testing.F) {
	const sessions, size = 6, 3
	records, times := orderStream(sessions)
	chunks := (len(records) + size - 1) / size
	inOrder := make([]int, chunks)
	for i := range inOrder {
		inOrder[i] = i
	}
	var want []string
	var wantCounters string
	f.Add([]byte{})
	f.Add([]byte{0xff, 0, 0x80, 7, 3})
	f.Add([]byte("reverse every chunk of the stream"))
	f.Fuzz(func(t *testing.T, shuffle []byte) {
		if want == nil {
			want, wantCounters = feedChunks(t, records, times, size, inOrder)
			if len(want) != 3*sessions || strings.Contains(strings.Join(want, ""), "partial=") {
				t.Fatalf("in order: %s\n\t%s", wantCounters, joinLines(want))
			}
		}
		order := slices.Clone(inOrder)
		for i := len(order) - 1; i > 0 && len(shuffle) > 0; i-- {
			k := int(shuffle[0]) % (i + 1)
			shuffle = shuffle[1:]
			order[i], order[k] = order[k], order[i]
		}
		got, counters := feedChunks(t, records, times, size, order)
		if !slices.Equal(got, want) || counters != wantCounters {
			t.Fatalf("chunk order %v:\n%s\n\t%s\nwant\n%s\n\t%s", order, counters, joinLines(got), wantCounters, joinLines(want))
		}
	})
}

// TestRefusedChunkHolds: after a chunk was given back to Fluent Bit for a
// retry, a complete request waits for late records, as with workers: the
// retried chunk comes back after later ones.
func TestRefusedChunkHolds(t *testing.T) {
	j := newJoiner(t, Config{Conntrace: ConntraceOn})
	c := newCollector()
	f := &feeder{t: t}
	for range assumeWorkers {
		j.End(j.Begin(0), c.emit)
	}
	j.Refused()
	token := j.Begin(0)
	f.add(j, c, "blocked_conntrace")
	f.add(j, c, "blocked_summary")
	j.End(token, c.emit)
	if got := c.take(); len(got) != 0 {
		t.Fatalf("emitted at once after a refused chunk: %q", got)
	}
	token = j.Begin(0) // the retried chunk
	f.add(j, c, "blocked_block")
	f.add(j, c, "blocked_blockdet")
	j.End(token, c.emit)
	j.Release(c.emit)
	diffLines(t, "outputs", c.take(), []string{lineBlocked})
}

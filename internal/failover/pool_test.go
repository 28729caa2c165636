package failover

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
	"github.com/welfbridge/welfbridge/internal/relp"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// These tests deliver to real receivers started by the tests: rsyslogd
// with imtcp or imrelp (package rsyslogtest) and the forward receiver of
// package forwardtest.

const waitTimeout = 15 * time.Second

// logs collects what a Pool logs.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Infof(format string, args ...any) { l.add("info", format, args) }
func (l *logs) Warnf(format string, args ...any) { l.add("warn", format, args) }

func (l *logs) add(level, format string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(format, args...))
}

// has reports whether a line starts with prefix.
func (l *logs) has(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.lines, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// quickOptions probe often, so that the tests take seconds.
func quickOptions(policy Policy, failback time.Duration, log *logs) Options {
	return Options{Policy: policy, FailbackInterval: failback, ProbeMin: 20 * time.Millisecond, ProbeMax: 200 * time.Millisecond, Log: log}
}

func newPool(t *testing.T, receivers []Receiver, opt Options) *Pool {
	t.Helper()
	p, err := New(receivers, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func tcpReceiver(t *testing.T, addr string) Receiver {
	t.Helper()
	c, err := transport.New(transport.Config{Network: "tcp", Address: addr, Syslog: syslog.Options{Format: syslog.FormatRFC5424, Facility: syslog.DefaultFacility}})
	if err != nil {
		t.Fatal(err)
	}
	return Receiver{Name: addr, Carrier: c}
}

func relpReceiver(t *testing.T, addr string) Receiver {
	t.Helper()
	c, err := relp.New(relp.Config{Address: addr, Syslog: syslog.Options{Format: syslog.FormatRFC5424, Facility: syslog.DefaultFacility}, AckTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return Receiver{Name: addr, Carrier: c}
}

func forwardReceiver(t *testing.T, addr string) Receiver {
	t.Helper()
	c, err := forward.New(forward.Config{Address: addr, RequireAck: true, AckTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return Receiver{Name: addr, Carrier: c}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// sendAll sends recs in batches of size, each batch until it is
// delivered, as the delivery engine does: a failed Send is retried from its
// first record not delivered.
func sendAll(t *testing.T, p *Pool, recs []sink.Record, size int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for len(recs) > 0 {
		batch := recs[:min(size, len(recs))]
		err := p.Send(batch)
		n := len(batch)
		if err != nil {
			n = 0
			if pe, ok := err.(*sink.PartialError); ok {
				n = pe.Sent
			}
			if time.Now().After(deadline) {
				t.Fatalf("still failing: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		recs = recs[n:]
	}
}

func state(p *Pool, i int) State { return p.Stats().Receivers[i].State }

func waitState(t *testing.T, p *Pool, i int, want State) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for state(p, i) != want {
		if time.Now().After(deadline) {
			t.Fatalf("receiver %d: state %v, want %v", i, state(p, i), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d lines, want %d\n got %q\nwant %q", what, len(got), len(want), got, want)
	}
}

// checkOnceEach checks that every line of want arrived at a or b, each
// receiver's lines in the order of want, and returns how many arrived at
// both.
func checkOnceEach(t *testing.T, a, b, want []string) (duplicates int) {
	t.Helper()
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[w] = i
	}
	seen := make(map[string]int)
	for name, lines := range map[string][]string{"first receiver": a, "second receiver": b} {
		last := -1
		for _, l := range lines {
			i, ok := index[l]
			switch {
			case !ok:
				t.Errorf("%s: unexpected line %q", name, l)
			case i <= last:
				t.Errorf("%s: line %d after line %d", name, i, last)
			}
			last = i
			seen[l]++
		}
	}
	for _, w := range want {
		switch seen[w] {
		case 0:
			t.Errorf("lost: %q", w)
		case 1:
		default:
			duplicates += seen[w] - 1
		}
	}
	return duplicates
}

// TestFailoverAndFailBackTCP: the first receiver is down at the start, so
// everything goes to the second, once; when the first comes back it takes
// records again only after Failback_Interval.
func TestFailoverAndFailBackTCP(t *testing.T) {
	a := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	b := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	a.Stop()
	log := &logs{}
	const failback = time.Second
	p := newPool(t, []Receiver{tcpReceiver(t, a.TCPAddr), tcpReceiver(t, b.TCPAddr)}, quickOptions(Failover, failback, log))

	first := sinktest.Records("first", 100)
	for i := 0; i < len(first); i += 25 {
		if err := p.Send(first[i : i+25]); err != nil {
			t.Fatalf("Send with the second receiver up: %v", err)
		}
	}
	equal(t, "second receiver", b.WaitLines(100, waitTimeout), sinktest.Lines(first))
	want := fmt.Sprintf("warn failover: switching from %s to %s: syslog tcp://%s: connect: connection refused", a.TCPAddr, b.TCPAddr, a.TCPAddr)
	if !log.has(want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}

	a.Start()
	waitState(t, p, 0, Recovering)
	early := sinktest.Records("early", 10) // within the fail-back interval: still the second
	if err := p.Send(early); err != nil {
		t.Fatal(err)
	}
	waitState(t, p, 0, Up)
	back := sinktest.Records("back", 10)
	if err := p.Send(back); err != nil {
		t.Fatal(err)
	}
	equal(t, "first receiver after fail-back", a.WaitLines(10, waitTimeout), sinktest.Lines(back))
	equal(t, "second receiver", b.WaitLines(110, waitTimeout), append(sinktest.Lines(first), sinktest.Lines(early)...))
	want = fmt.Sprintf("warn failover: switching from %s to %s: %s has been reachable again for %v", b.TCPAddr, a.TCPAddr, a.TCPAddr, failback)
	if !log.has(want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	st := p.Stats()
	if r := st.Receivers; r[0].Sent != 10 || r[0].Failures == 0 || r[0].State != Up || r[1].Sent != 110 || r[1].Failures != 0 || st.Switches != 2 {
		t.Errorf("stats: %s", st)
	}
}

// TestRELPReceiverKilledMidStream kills the active RELP receiver while
// records flow: nothing is lost, what it had not acknowledged goes to the
// second receiver, and the records both hold are no more than the
// possible duplicates counted.
func TestRELPReceiverKilledMidStream(t *testing.T) {
	// Direct: rsyslog acknowledges a message only once it has written it.
	a := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true, Direct: true})
	b := rsyslogtest.Start(t, rsyslogtest.Config{RELP: true, Direct: true})
	log := &logs{}
	p := newPool(t, []Receiver{relpReceiver(t, a.RELPAddr), relpReceiver(t, b.RELPAddr)}, quickOptions(Failover, time.Hour, log))

	recs := sinktest.Records("relp", 6000)
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for len(a.Lines()) < 1000 {
			time.Sleep(time.Millisecond)
		}
		a.Kill()
	}()
	sendAll(t, p, recs, 200)
	<-killed

	got := b.WaitLines(1, waitTimeout)
	deadline := time.Now().Add(waitTimeout)
	for len(a.Lines())+len(got) < len(recs) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got = b.Lines()
	}
	duplicates := checkOnceEach(t, a.Lines(), got, sinktest.Lines(recs))
	st := p.Stats()
	t.Logf("first receiver %d, second %d, duplicates %d; %s", len(a.Lines()), len(got), duplicates, st)
	if uint64(duplicates) > st.PossibleDuplicates {
		t.Errorf("%d records at both receivers, but only %d possible duplicates counted", duplicates, st.PossibleDuplicates)
	}
	if r := st.Receivers; r[0].Sent+r[1].Sent != uint64(len(recs)) || r[0].State != Down || st.Switches != 1 {
		t.Errorf("stats: %s", st)
	}
	if want := fmt.Sprintf("warn failover: switching from %s to %s: ", a.RELPAddr, b.RELPAddr); !log.has(want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
}

// eventLines returns the WELF lines of what a forward receiver got.
func eventLines(r *forwardtest.Receiver) []string {
	var out []string
	for _, ev := range r.Events() {
		out = append(out, ev.Record["welf"])
	}
	return out
}

// TestForwardMissingAckGoesToNext: the first receiver stores a message but
// never acknowledges it; the message goes to the second, and its records
// are counted as possible duplicates, exactly.
func TestForwardMissingAckGoesToNext(t *testing.T) {
	a := forwardtest.Start(t, forwardtest.Options{})
	b := forwardtest.Start(t, forwardtest.Options{})
	log := &logs{}
	p := newPool(t, []Receiver{forwardReceiver(t, a.Addr()), forwardReceiver(t, b.Addr())}, quickOptions(Failover, time.Hour, log))

	a.DropAckAfter(2)
	recs := sinktest.Records("fwd", 50)
	for i := 0; i < len(recs); i += 10 {
		if err := p.Send(recs[i : i+10]); err != nil {
			t.Fatalf("Send with the second receiver up: %v", err)
		}
	}
	want := sinktest.Lines(recs)
	equal(t, "first receiver", eventLines(a), want[:30])
	equal(t, "second receiver", eventLines(b), want[20:])
	if d := checkOnceEach(t, eventLines(a), eventLines(b), want); d != 10 {
		t.Errorf("%d duplicates, want 10", d)
	}
	st := p.Stats()
	if r := st.Receivers; r[0].Sent != 20 || r[1].Sent != 30 || st.PossibleDuplicates != 10 || st.Switches != 1 {
		t.Errorf("stats: %s", st)
	}
	if want := fmt.Sprintf("warn failover: switching from %s to %s: forward tcp://%s: wait for ack: i/o timeout", a.Addr(), b.Addr(), a.Addr()); !log.has(want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
}

// TestRoundRobinSpreads spreads whole batches over the receivers that are
// up, skipping one that is down: the sum is exact, each receiver's share in
// order.
func TestRoundRobinSpreads(t *testing.T) {
	a := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	b := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	dead := closedPort(t)
	log := &logs{}
	p := newPool(t, []Receiver{tcpReceiver(t, a.TCPAddr), tcpReceiver(t, dead), tcpReceiver(t, b.TCPAddr)}, quickOptions(RoundRobin, time.Hour, log))

	recs := sinktest.Records("rr", 200)
	for i := 0; i < len(recs); i += 10 {
		if err := p.Send(recs[i : i+10]); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	st := p.Stats()
	sa, sb := int(st.Receivers[0].Sent), int(st.Receivers[2].Sent)
	if sa+sb != len(recs) || st.Receivers[1].Sent != 0 || st.Receivers[1].State != Down || sa < 80 || sb < 80 {
		t.Errorf("stats: %s", st)
	}
	got := [2][]string{a.WaitLines(sa, waitTimeout), b.WaitLines(sb, waitTimeout)}
	time.Sleep(200 * time.Millisecond) // nothing more arrives
	got = [2][]string{a.Lines(), b.Lines()}
	if len(got[0]) != sa || len(got[1]) != sb {
		t.Errorf("receivers got %d and %d records, stats say %d and %d", len(got[0]), len(got[1]), sa, sb)
	}
	if d := checkOnceEach(t, got[0], got[1], sinktest.Lines(recs)); d != 0 {
		t.Errorf("%d duplicates", d)
	}
	// Whole batches: every receiver's share is made of runs of 10.
	for i, lines := range got {
		if len(lines)%10 != 0 {
			t.Errorf("receiver %d got %d records: not whole batches", i, len(lines))
		}
	}
}

// TestAllReceiversDown: with every receiver down, Send fails and delivers
// nothing; once one comes back, everything arrives there, once.
func TestAllReceiversDown(t *testing.T) {
	a := forwardtest.Start(t, forwardtest.Options{})
	b := forwardtest.Start(t, forwardtest.Options{})
	a.Stop()
	b.Stop()
	log := &logs{}
	p := newPool(t, []Receiver{forwardReceiver(t, a.Addr()), forwardReceiver(t, b.Addr())}, quickOptions(Failover, time.Hour, log))

	recs := sinktest.Records("down", 20)
	for range 3 {
		err := p.Send(recs)
		if err == nil || !strings.Contains(err.Error(), "no receiver took the records: forward tcp://"+a.Addr()+": connect: connection refused; forward tcp://"+b.Addr()) {
			t.Fatalf("Send with every receiver down: %v", err)
		}
	}
	if st := p.Stats(); st.Receivers[0].State != Down || st.Receivers[1].State != Down {
		t.Errorf("stats: %s", st)
	}
	b.Restart()
	sendAll(t, p, recs, len(recs))
	equal(t, "second receiver", eventLines(b), sinktest.Lines(recs))
	if n := a.EventCount(); n != 0 {
		t.Errorf("first receiver, down, got %d events", n)
	}
}

// TestForwardReceiverStoppedMidStream stops the active forward receiver
// (its connections closed) while records flow with acknowledgements:
// nothing is lost, and what both receivers hold is no more than the
// possible duplicates counted.
func TestForwardReceiverStoppedMidStream(t *testing.T) {
	a := forwardtest.Start(t, forwardtest.Options{})
	b := forwardtest.Start(t, forwardtest.Options{})
	log := &logs{}
	p := newPool(t, []Receiver{forwardReceiver(t, a.Addr()), forwardReceiver(t, b.Addr())}, quickOptions(Failover, time.Hour, log))

	recs := sinktest.Records("fwd", 5000)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for a.EventCount() < 1000 {
			time.Sleep(time.Millisecond)
		}
		a.Stop()
	}()
	sendAll(t, p, recs, 100)
	<-stopped

	atA, atB := eventLines(a), eventLines(b)
	duplicates := checkOnceEach(t, atA, atB, sinktest.Lines(recs))
	st := p.Stats()
	t.Logf("first receiver %d, second %d, duplicates %d; %s", len(atA), len(atB), duplicates, st)
	if uint64(duplicates) > st.PossibleDuplicates {
		t.Errorf("%d records at both receivers, but only %d possible duplicates counted", duplicates, st.PossibleDuplicates)
	}
	if r := st.Receivers; r[0].Sent+r[1].Sent != uint64(len(recs)) || r[0].State != Down || r[1].Sent == 0 || st.Switches != 1 {
		t.Errorf("stats: %s", st)
	}
}

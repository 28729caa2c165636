package failover

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// Logger is what a Pool reports through.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

// Policy says which receiver takes a batch.
type Policy uint8

const (
	Failover   Policy = iota // the first receiver in list order that is up
	RoundRobin               // the receivers that are up, in turn
)

func (p Policy) String() string {
	if p == RoundRobin {
		return "round-robin"
	}
	return "failover"
}

// ParsePolicy parses "failover" or "round-robin", in any case.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range []Policy{Failover, RoundRobin} {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return Failover, fmt.Errorf("unknown policy %q", s)
}

// DefaultFailbackInterval is how long a receiver that failed must stay
// reachable before records fail back to it (Failback_Interval).
const DefaultFailbackInterval = 60 * time.Second

// Carrier is the carrier of one receiver.
type Carrier interface {
	sink.Sink
	// Connect connects, unless the receiver holds the connection there is
	// open, and sends no record: the probe of a down receiver. It is never
	// called concurrently with Send.
	Connect() error
}

// Doubter is implemented by carriers with acknowledgements.
type Doubter interface {
	// InDoubt returns how many records after the delivered ones the last
	// failed Send wrote whole without getting their acknowledgement: the
	// receiver may hold them.
	InDoubt() int
}

// Receiver is one receiver of a Pool.
type Receiver struct {
	Name    string // host:port, in log lines and stats
	Carrier Carrier
}

// Defaults for the zero fields of Options: those of the delivery engine's
// retry backoff.
const (
	DefaultProbeMin = 100 * time.Millisecond
	DefaultProbeMax = 30 * time.Second
)

// Options configure a Pool.
type Options struct {
	Policy Policy
	// FailbackInterval is how long a receiver that failed must stay
	// reachable before it takes records again while another one is up.
	FailbackInterval time.Duration
	// ProbeMin and ProbeMax bound the wait before the next probe of a down
	// receiver: it doubles from ProbeMin with every failure in a row up to
	// ProbeMax, and the actual wait is drawn between half of that and all
	// of it. Zero means the default.
	ProbeMin, ProbeMax time.Duration
	// StatsInterval is how often Stats are logged; zero or negative means
	// only when the Pool closes.
	StatsInterval time.Duration
	Log           Logger
}

// State is the health of a receiver.
type State uint8

const (
	Up         State = iota // takes records
	Down                    // failed; probed with backoff
	Recovering              // probed fine; takes records once reachable for FailbackInterval
)

func (s State) String() string {
	switch s {
	case Down:
		return "down"
	case Recovering:
		return "recovering"
	}
	return "up"
}

// ReceiverStats are the counters of one receiver.
type ReceiverStats struct {
	Name     string
	State    State
	Sent     uint64 // records the carrier delivered
	Failures uint64 // failed Sends and probes
}

// Stats are a Pool's counters.
type Stats struct {
	Receivers []ReceiverStats // in list order
	// Switches counts the times records went to another receiver than the
	// one before, RoundRobin's rotation aside.
	Switches uint64
	// PossibleDuplicates counts the records delivered after a receiver got
	// them whole without acknowledging them (see Doubter): both may hold
	// them. Resends to the same receiver are counted too.
	PossibleDuplicates uint64
}

func (s Stats) String() string {
	var b strings.Builder
	for _, r := range s.Receivers {
		fmt.Fprintf(&b, "%s %s sent=%d failures=%d; ", r.Name, r.State, r.Sent, r.Failures)
	}
	fmt.Fprintf(&b, "switches=%d possible_duplicates=%d", s.Switches, s.PossibleDuplicates)
	return b.String()
}

// Pool is a sink.Sink over several receivers. Send is not safe for
// concurrent use; Close and Stats may be called concurrently with Send.
type Pool struct {
	opt  Options
	recv []*receiver

	mu         sync.Mutex // guards the fields below and the receivers' state
	last       *receiver  // the receiver that took records last
	next       int        // RoundRobin: where the search for the next batch starts
	doubt      []int      // for each leading record still to send, how many receivers may hold it
	switches   uint64
	duplicates uint64

	wake      chan struct{} // a receiver went down: the prober recomputes its schedule
	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the prober has returned
	closeOnce sync.Once
}

type receiver struct {
	Receiver
	index int
	mu    sync.Mutex // one carrier call at a time: Send or Connect

	// Guarded by Pool.mu.
	state          State
	since          time.Time // when it last became Recovering
	lastErr        error
	failedInRow    int // failures in a row, for the probe backoff
	nextProbe      time.Time
	sent, failures uint64
}

var _ sink.Sink = (*Pool)(nil)

// New returns a Pool over receivers, in list order, and starts its prober.
// Every receiver is taken to be up until a Send or probe fails on it.
func New(receivers []Receiver, opt Options) (*Pool, error) {
	if len(receivers) == 0 {
		return nil, errors.New("failover: no receivers")
	}
	if opt.ProbeMin <= 0 {
		opt.ProbeMin = DefaultProbeMin
	}
	if opt.ProbeMax <= 0 {
		opt.ProbeMax = DefaultProbeMax
	}
	opt.ProbeMax = max(opt.ProbeMax, opt.ProbeMin)
	opt.FailbackInterval = max(opt.FailbackInterval, 0)
	if opt.Log == nil {
		opt.Log = discard{}
	}
	p := &Pool{
		opt:  opt,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i, r := range receivers {
		if r.Carrier == nil {
			return nil, fmt.Errorf("failover: receiver %s has no carrier", r.Name)
		}
		p.recv = append(p.recv, &receiver{Receiver: r, index: i})
	}
	p.last = p.recv[0]
	go p.watch()
	return p, nil
}

// Send delivers recs, in order, to the receiver the policy picks, and what
// one receiver did not deliver to the next, until all are delivered or
// every receiver has failed in this Send. The error then joins the
// receivers' errors; it is a *sink.PartialError when some records were
// delivered.
func (p *Pool) Send(recs []sink.Record) error {
	if len(recs) == 0 {
		return nil
	}
	tried := make([]bool, len(p.recv))
	var errs []string
	sent := 0
	for sent < len(recs) && !p.closed() {
		r := p.pick(tried)
		if r == nil {
			break
		}
		n, doubt, err := r.send(recs[sent:])
		p.settle(r, n, doubt, err)
		sent += n
		if err != nil {
			tried[r.index] = true
			errs = append(errs, err.Error())
		}
	}
	if sent == len(recs) {
		return nil
	}
	if len(errs) == 0 {
		errs = append(errs, "the pool is closed")
	}
	return sink.Partial(sent, fmt.Errorf("no receiver took the records: %s", strings.Join(errs, "; ")))
}

func (p *Pool) closed() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// send hands recs to r's carrier and returns how many it delivered and how
// many after those it may hold without having acknowledged them.
func (r *receiver) send(recs []sink.Record) (n, doubt int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err = r.Carrier.Send(recs)
	if err == nil {
		return len(recs), 0, nil
	}
	var pe *sink.PartialError
	if errors.As(err, &pe) && pe != nil {
		n = min(max(pe.Sent, 0), len(recs))
	}
	if d, ok := r.Carrier.(Doubter); ok {
		doubt = min(max(d.InDoubt(), 0), len(recs)-n)
	}
	return n, doubt, err
}

// pick returns the receiver for the next records: by policy among those up,
// else among those recovering, else among those down; nil when every one
// has been tried.
func (p *Pool) pick(tried []bool) *receiver {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for _, r := range p.recv {
		p.promote(r, now)
	}
	start := 0
	if p.opt.Policy == RoundRobin {
		start = p.next
	}
	for _, want := range [...]State{Up, Recovering, Down} {
		for i := range p.recv {
			k := (start + i) % len(p.recv)
			if r := p.recv[k]; !tried[k] && r.state == want {
				p.next = (k + 1) % len(p.recv)
				return r
			}
		}
	}
	return nil
}

// settle records the outcome of a Send on r: n records delivered, doubt
// after them possibly held, err.
func (p *Pool) settle(r *receiver, n, doubt int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > 0 {
		r.sent += uint64(n)
		k := min(n, len(p.doubt))
		for _, copies := range p.doubt[:k] {
			p.duplicates += uint64(copies)
		}
		p.doubt = append(p.doubt[:0], p.doubt[k:]...)
		if r != p.last {
			p.switched(p.last, r)
			p.last = r
		}
	}
	if err == nil {
		if r.state != Up {
			p.opt.Log.Infof("failover: %s takes records again", r.Name)
		}
		r.state, r.failedInRow = Up, 0
		return
	}
	for i := range doubt { // what r may hold leads what is left
		if i < len(p.doubt) {
			p.doubt[i]++
		} else {
			p.doubt = append(p.doubt, 1)
		}
	}
	r.failures++
	r.lastErr = err
	r.failedInRow++
	if r.state != Down {
		r.state = Down
		r.nextProbe = time.Now().Add(p.backoff(r.failedInRow))
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// switched logs that records went to to after from, unless that is
// RoundRobin's rotation.
func (p *Pool) switched(from, to *receiver) {
	var reason string
	switch {
	case from.state == Down && from.lastErr != nil:
		reason = from.lastErr.Error()
	case p.opt.Policy == RoundRobin:
		return
	case to.index < from.index:
		reason = fmt.Sprintf("%s has been reachable again for %v", to.Name, p.opt.FailbackInterval)
	default:
		reason = fmt.Sprintf("%s is %s", from.Name, from.state)
	}
	p.switches++
	p.opt.Log.Warnf("failover: switching from %s to %s: %s", from.Name, to.Name, reason)
}

// promote makes a receiver that has recovered for FailbackInterval up.
func (p *Pool) promote(r *receiver, now time.Time) bool {
	if r.state != Recovering || now.Sub(r.since) < p.opt.FailbackInterval {
		return false
	}
	r.state, r.failedInRow = Up, 0
	p.opt.Log.Infof("failover: %s is up again: reachable for %v", r.Name, now.Sub(r.since).Round(time.Millisecond))
	return true
}

// watch probes the receivers that are down or recovering when they are due,
// and logs the stats, until Close.
func (p *Pool) watch() {
	defer close(p.done)
	var tick <-chan time.Time
	if p.opt.StatsInterval > 0 {
		t := time.NewTicker(p.opt.StatsInterval)
		defer t.Stop()
		tick = t.C
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, wait := p.due(time.Now())
		for _, r := range due {
			p.probe(r)
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-p.stop:
			return
		case <-p.wake:
		case <-timer.C:
		case <-tick:
			p.opt.Log.Infof("failover stats: %s", p.Stats())
		}
	}
}

// due returns the receivers to probe now and how long until the next one
// is due.
func (p *Pool) due(now time.Time) (due []*receiver, wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wait = time.Hour
	for _, r := range p.recv {
		if r.state == Up {
			continue
		}
		if d := r.nextProbe.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		due = append(due, r)
	}
	return due, wait
}

// probe connects to r, unless a Send is using it, and updates its state.
func (p *Pool) probe(r *receiver) {
	if !r.mu.TryLock() {
		p.mu.Lock()
		r.nextProbe = time.Now().Add(p.opt.ProbeMin) // the Send settles it
		p.mu.Unlock()
		return
	}
	err := r.Carrier.Connect()
	r.mu.Unlock()

	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	switch {
	case r.state == Up: // a Send found it working meanwhile
	case err != nil:
		if r.state == Recovering {
			p.opt.Log.Warnf("failover: %s failed again while recovering: %v", r.Name, err)
		}
		r.state = Down
		r.failures++
		r.lastErr = err
		r.failedInRow++
		r.nextProbe = now.Add(p.backoff(r.failedInRow))
	case r.state == Down:
		r.state, r.since, r.failedInRow = Recovering, now, 0
		p.opt.Log.Infof("failover: %s is reachable again; it takes records once reachable for %v", r.Name, p.opt.FailbackInterval)
		r.nextProbe = p.recheck(r, now)
	default:
		if !p.promote(r, now) {
			r.nextProbe = p.recheck(r, now)
		}
	}
}

// recheck is when a recovering receiver is probed next: often enough to
// notice it failing again, and when its FailbackInterval is over.
func (p *Pool) recheck(r *receiver, now time.Time) time.Time {
	every := max(p.opt.ProbeMin, min(p.opt.FailbackInterval/4, p.opt.ProbeMax))
	next := now.Add(every)
	if end := r.since.Add(p.opt.FailbackInterval); end.Before(next) {
		next = end
	}
	return next
}

// backoff is the wait before the next probe after failures in a row, with
// jitter so that receivers that failed together are not probed together.
func (p *Pool) backoff(failures int) time.Duration {
	d := p.opt.ProbeMin
	for i := 1; i < failures && d < p.opt.ProbeMax; i++ {
		d *= 2
	}
	d = min(d, p.opt.ProbeMax)
	return d/2 + rand.N(d/2+1)
}

// Stats returns the counters so far.
func (p *Pool) Stats() Stats {
	var s Stats
	p.ReadStats(&s)
	return s
}

// ReadStats sets s to the counters so far, reusing s.Receivers' room, so
// that reading them on every chunk (for the metrics) costs no garbage.
func (p *Pool) ReadStats(s *Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.Switches, s.PossibleDuplicates = p.switches, p.duplicates
	s.Receivers = s.Receivers[:0]
	for _, r := range p.recv {
		s.Receivers = append(s.Receivers, ReceiverStats{Name: r.Name, State: r.state, Sent: r.sent, Failures: r.failures})
	}
}

// Close closes every carrier, which ends a Send or probe under way, stops
// the prober and logs the stats.
func (p *Pool) Close() error {
	var errs []error
	p.closeOnce.Do(func() {
		close(p.stop)
		for _, r := range p.recv {
			if err := r.Carrier.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		<-p.done
		p.opt.Log.Infof("failover stats: %s", p.Stats())
	})
	return errors.Join(errs...)
}

type discard struct{}

func (discard) Infof(string, ...any) {}
func (discard) Warnf(string, ...any) {}

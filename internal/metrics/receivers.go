package metrics

import (
	"fmt"

	"github.com/welfbridge/welfbridge/internal/failover"
)

// ReceiverDesc is a metric family of a destination of several receivers.
// Its series are made when the Publisher is created, from the receivers of
// the first snapshot: they are fixed at Init.
type ReceiverDesc struct {
	Desc
	// Receiver reads the series of one receiver, labelled "receiver"
	// (host:port, as in the log); nil for a family with one series per
	// instance (Desc.Series).
	Receiver func(*failover.ReceiverStats) float64
}

// ReceiverDescs are the metrics of a destination of several receivers
// (Snapshot.HasReceivers), registered after Descs. They are the counters of
// the "failover stats:" log line.
var ReceiverDescs = []ReceiverDesc{
	{Desc: Desc{Name: Prefix + "receiver_sent_records_total", Kind: Counter, Labels: []string{"receiver"},
		Help: "Records the receiver's carrier delivered."},
		Receiver: func(r *failover.ReceiverStats) float64 { return u(r.Sent) }},
	{Desc: Desc{Name: Prefix + "receiver_failures_total", Kind: Counter, Labels: []string{"receiver"},
		Help: "Failed sends and probes of the receiver."},
		Receiver: func(r *failover.ReceiverStats) float64 { return u(r.Failures) }},
	// A gauge that is 1 or 0, like Prometheus' own "up", rather than a
	// "state" label: one series per receiver that never disappears, and
	// sum() counts the receivers taking records. Recovering is 0: such a
	// receiver takes records only when none is up.
	{Desc: Desc{Name: Prefix + "receiver_up", Kind: Gauge, Labels: []string{"receiver"},
		Help: "1 while the receiver takes records, 0 while it is down or recovering (reachable, waiting for Failback_Interval)."},
		Receiver: func(r *failover.ReceiverStats) float64 {
			if r.State == failover.Up {
				return 1
			}
			return 0
		}},
	{Desc: Desc{Name: Prefix + "failover_switches_total", Kind: Counter,
		Help:   "Times records went to another receiver than the one before (round-robin's rotation aside).",
		Series: one(func(s *Snapshot) float64 { return u(s.Receivers.Switches) })}},
	{Desc: Desc{Name: Prefix + "failover_possible_duplicates_total", Kind: Counter,
		Help:   "Records delivered after a receiver got them whole without acknowledging them: both may hold them.",
		Series: one(func(s *Snapshot) float64 { return u(s.Receivers.PossibleDuplicates) })}},
}

// addReceivers registers ReceiverDescs in r, with one series per receiver
// of first where a family has them.
func (p *Publisher) addReceivers(r Registry, instance string, first *Snapshot) error {
	for i := range ReceiverDescs {
		d := &ReceiverDescs[i]
		series := d.Series
		if d.Receiver != nil {
			series = receiverSeries(first.Receivers.Receivers, d.Receiver)
		}
		fam, err := r.Register(&d.Desc)
		if err != nil {
			return fmt.Errorf("metric %s: %w", d.FullName(), err)
		}
		for _, s := range series {
			set, err := fam.With(append([]string{instance}, s.Values...))
			if err != nil {
				return fmt.Errorf("metric %s: %w", d.FullName(), err)
			}
			p.series = append(p.series, published{value: s.Value, set: set})
		}
	}
	return nil
}

// receiverSeries makes one series per receiver, read by its place in the
// list, which does not change.
func receiverSeries(receivers []failover.ReceiverStats, get func(*failover.ReceiverStats) float64) []Series {
	out := make([]Series, len(receivers))
	for i, rs := range receivers {
		out[i] = Series{Values: []string{rs.Name}, Value: func(s *Snapshot) float64 {
			if i >= len(s.Receivers.Receivers) {
				return 0 // not a pool's snapshot: cannot happen, but never panic
			}
			return get(&s.Receivers.Receivers[i])
		}}
	}
	return out
}

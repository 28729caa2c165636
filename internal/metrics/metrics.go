// Package metrics names welfbridge's counters and gauges for Fluent Bit's
// metrics registry and maps a Snapshot of an instance's counters onto them.
//
// Every metric is named like Fluent Bit's own per-output metrics,
// fluentbit_output_welf_<what>{name="<instance>"}, and is published by
// setting it to the current total, so the cost is per Update (end of a
// chunk, stats tick, exit), never per record. The registry itself (Fluent
// Bit's cmetrics context) is reached by the plugin, which implements
// [Registry].
package metrics

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
)

// Namespace and Subsystem are Fluent Bit's for output metrics; every
// metric name starts with Prefix after them.
const (
	Namespace = "fluentbit"
	Subsystem = "output"
	Prefix    = "welf_"
)

// Records are the pipeline's totals.
type Records struct {
	Events, Written, Unparsed, Malformed, Truncated uint64
}

// Airlock is the state of Airlock correlation.
type Airlock struct {
	Counters                         correlate.Counters
	PendingRequests, PendingSessions int
}

// Snapshot is every counter of one instance at one moment. The Has fields
// say which parts the instance has (correlation on, an MWG source, a
// network destination); only those are registered.
type Snapshot struct {
	Records Records

	HasAirlock bool
	Airlock    Airlock

	HasMWG bool
	MWG    mwgjoin.Counters

	HasDelivery bool
	Delivery    delivery.Counters

	// HasReceivers: the destination lists several receivers (see
	// ReceiverDescs).
	HasReceivers bool
	Receivers    failover.Stats
}

// Kind is a metric type.
type Kind uint8

const (
	Counter Kind = iota + 1 // a total that only grows
	Gauge                   // a level
)

// Part is the part of a Snapshot a metric is read from.
type Part uint8

const (
	PartRecords Part = iota
	PartAirlock
	PartMWG
	PartDelivery
)

// Desc describes one metric family: its name (without namespace and
// subsystem), help text, kind, and the labels beyond "name".
type Desc struct {
	Name   string
	Help   string
	Kind   Kind
	Part   Part
	Labels []string
	Series []Series
}

// Series is one label set of a family and how its value is read.
type Series struct {
	Values []string // the values of Desc.Labels
	Value  func(*Snapshot) float64
}

// FullName is the name Prometheus shows.
func (d *Desc) FullName() string { return Namespace + "_" + Subsystem + "_" + d.Name }

func one(v func(*Snapshot) float64) []Series { return []Series{{Value: v}} }

func u(v uint64) float64 { return float64(v) }

// byReason lists the partial-output reasons of correlate.Reason.
var reasons = []string{"timeout", "pressure", "shutdown"}

// Descs are all of welfbridge's metrics, in the order they are registered.
var Descs = []Desc{
	{Name: Prefix + "records_written_total", Kind: Counter, Part: PartRecords,
		Help:   "WELF records handed to the destination.",
		Series: one(func(s *Snapshot) float64 { return u(s.Records.Written) })},
	{Name: Prefix + "records_unparsed_total", Kind: Counter, Part: PartRecords,
		Help:   "Records that were not decoded or encoded (forwarded with the reason, or dropped per Unparsed_Records).",
		Series: one(func(s *Snapshot) float64 { return u(s.Records.Unparsed) })},
	{Name: Prefix + "records_malformed_total", Kind: Counter, Part: PartRecords,
		Help:   "Events of a chunk that could not be decoded at all.",
		Series: one(func(s *Snapshot) float64 { return u(s.Records.Malformed) })},
	{Name: Prefix + "records_truncated_total", Kind: Counter, Part: PartRecords,
		Help:   "WELF records shortened to Max_Size.",
		Series: one(func(s *Snapshot) float64 { return u(s.Records.Truncated) })},

	{Name: Prefix + "airlock_records_total", Kind: Counter, Part: PartAirlock,
		Help:   "Airlock records taken by correlation.",
		Series: one(func(s *Snapshot) float64 { return u(s.Airlock.Counters.In) })},
	{Name: Prefix + "airlock_joined_records_total", Kind: Counter, Part: PartAirlock,
		Help:   "Airlock records written as part of a complete request or session.",
		Series: one(func(s *Snapshot) float64 { return u(s.Airlock.Counters.Joined) })},
	{Name: Prefix + "airlock_partial_records_total", Kind: Counter, Part: PartAirlock, Labels: []string{"reason"},
		Help: "Airlock records written as part of an incomplete request or session (partial=<reason>), by reason.",
		Series: partialSeries(func(s *Snapshot) [3]uint64 {
			c := &s.Airlock.Counters
			return [3]uint64{c.PartialTimeout, c.PartialPressure, c.PartialShutdown}
		})},
	{Name: Prefix + "airlock_duplicate_records_total", Kind: Counter, Part: PartAirlock,
		Help:   "Airlock records dropped because the request they belong to was already written.",
		Series: one(func(s *Snapshot) float64 { return u(s.Airlock.Counters.Duplicate) })},
	{Name: Prefix + "airlock_orphan_records_total", Kind: Counter, Part: PartAirlock,
		Help:   "Airlock records written on their own because they carry no usable request or session id.",
		Series: one(func(s *Snapshot) float64 { return u(s.Airlock.Counters.Orphan) })},
	{Name: Prefix + "airlock_pending_requests", Kind: Gauge, Part: PartAirlock,
		Help:   "Airlock requests waiting for more records.",
		Series: one(func(s *Snapshot) float64 { return float64(s.Airlock.PendingRequests) })},
	{Name: Prefix + "airlock_pending_sessions", Kind: Gauge, Part: PartAirlock,
		Help:   "Airlock sessions open (waiting for their end).",
		Series: one(func(s *Snapshot) float64 { return float64(s.Airlock.PendingSessions) })},

	{Name: Prefix + "mwg_transactions_total", Kind: Counter, Part: PartMWG,
		Help:   "MWG transactions read from connection traces, each side counted.",
		Series: one(func(s *Snapshot) float64 { return u(s.MWG.Transactions) })},
	{Name: Prefix + "mwg_joined_total", Kind: Counter, Part: PartMWG,
		Help:   "MWG records joining a client-side and a server-side transaction.",
		Series: one(func(s *Snapshot) float64 { return u(s.MWG.Joined) })},
	{Name: Prefix + "mwg_partial_total", Kind: Counter, Part: PartMWG, Labels: []string{"reason"},
		Help: "MWG records written before their connection completed (partial=<reason>), by reason.",
		Series: partialSeries(func(s *Snapshot) [3]uint64 {
			return [3]uint64{s.MWG.PartialTimeout, s.MWG.PartialPressure, s.MWG.PartialShutdown}
		})},
	{Name: Prefix + "mwg_incomplete_total", Kind: Counter, Part: PartMWG,
		Help:   "MWG records holding an incomplete transaction.",
		Series: one(func(s *Snapshot) float64 { return u(s.MWG.Incomplete) })},
	{Name: Prefix + "mwg_pending_connections", Kind: Gauge, Part: PartMWG,
		Help:   "MWG connections open (trace files waiting for more lines).",
		Series: one(func(s *Snapshot) float64 { return float64(s.MWG.ConnsOpen) })},
	{Name: Prefix + "mwg_pending_bytes", Kind: Gauge, Part: PartMWG,
		Help:   "Bytes retained by the open MWG connections.",
		Series: one(func(s *Snapshot) float64 { return float64(s.MWG.PendingBytes) })},

	{Name: Prefix + "delivery_sent_records_total", Kind: Counter, Part: PartDelivery,
		Help:   "Records the destination confirmed.",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Sent) })},
	{Name: Prefix + "delivery_retried_records_total", Kind: Counter, Part: PartDelivery,
		Help:   "Records sent again after a failed send.",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Retried) })},
	{Name: Prefix + "delivery_reconnects_total", Kind: Counter, Part: PartDelivery,
		Help:   "Failed sends that were followed by another try (a new connection).",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Reconnects) })},
	{Name: Prefix + "delivery_dropped_records_total", Kind: Counter, Part: PartDelivery,
		Help:   "Records given up (each drop is logged with its reason).",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Dropped) })},
	{Name: Prefix + "delivery_queued_records", Kind: Gauge, Part: PartDelivery,
		Help:   "Records in memory not yet confirmed.",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Queued) })},
	{Name: Prefix + "delivery_queued_bytes", Kind: Gauge, Part: PartDelivery,
		Help:   "Bytes held against Queue_Max_Bytes.",
		Series: one(func(s *Snapshot) float64 { return float64(s.Delivery.QueuedBytes) })},
	{Name: Prefix + "delivery_spooled_records", Kind: Gauge, Part: PartDelivery,
		Help:   "Records only in the spool, not yet read back.",
		Series: one(func(s *Snapshot) float64 { return u(s.Delivery.Spooled) })},
	{Name: Prefix + "delivery_spool_bytes", Kind: Gauge, Part: PartDelivery,
		Help:   "Bytes of unconfirmed records in the spool, held against Spool_Max_Bytes.",
		Series: one(func(s *Snapshot) float64 { return float64(s.Delivery.SpoolBytes) })},
}

func partialSeries(get func(*Snapshot) [3]uint64) []Series {
	out := make([]Series, len(reasons))
	for i, r := range reasons {
		out[i] = Series{Values: []string{r}, Value: func(s *Snapshot) float64 { return u(get(s)[i]) }}
	}
	return out
}

// has reports whether s has the part p.
func (s *Snapshot) has(p Part) bool {
	switch p {
	case PartAirlock:
		return s.HasAirlock
	case PartMWG:
		return s.HasMWG
	case PartDelivery:
		return s.HasDelivery
	}
	return true
}

// Registry is where an instance's metrics are registered: in the plugin,
// the instance's cmetrics context.
type Registry interface {
	// Register creates the family d with the label keys "name" and
	// d.Labels.
	Register(d *Desc) (Family, error)
}

// Family is a registered metric family.
type Family interface {
	// With returns the series with these label values ("name" first).
	With(labelValues []string) (Setter, error)
}

// Setter sets one series. Counters are only ever set to a total that
// does not decrease.
type Setter interface {
	Set(value float64)
}

// Publisher keeps an instance's metrics up to date from its snapshots.
type Publisher struct {
	mu       sync.Mutex
	snapshot func() Snapshot
	series   []published
	last     Snapshot // the latest snapshot; a field, so that Update does not allocate
	stopped  atomic.Bool
}

type published struct {
	value func(*Snapshot) float64
	set   Setter
}

// NewPublisher registers in r the metrics that apply to the instance named
// instance, as its first snapshot shows, and sets them to their values.
// snapshot is read on every Update.
func NewPublisher(r Registry, instance string, snapshot func() Snapshot) (*Publisher, error) {
	p := &Publisher{snapshot: snapshot, last: snapshot()}
	first := &p.last
	for i := range Descs {
		d := &Descs[i]
		if !first.has(d.Part) {
			continue
		}
		fam, err := r.Register(d)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", d.FullName(), err)
		}
		for _, s := range d.Series {
			set, err := fam.With(append([]string{instance}, s.Values...))
			if err != nil {
				return nil, fmt.Errorf("metric %s: %w", d.FullName(), err)
			}
			p.series = append(p.series, published{value: s.Value, set: set})
		}
	}
	if first.HasReceivers {
		if err := p.addReceivers(r, instance, first); err != nil {
			return nil, err
		}
	}
	p.publish(first)
	return p, nil
}

// Update sets every metric from a fresh snapshot. Concurrent Updates are
// serialised, so a counter never goes back to an older total.
func (p *Publisher) Update() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = p.snapshot()
	if p.stopped.Load() {
		return // the snapshot may have waited on a lock long enough for Stop
	}
	p.publish(&p.last)
}

// Stop makes every later Update do nothing: the registry may be gone. It
// does not wait for an Update in progress.
func (p *Publisher) Stop() {
	if p != nil {
		p.stopped.Store(true)
	}
}

func (p *Publisher) publish(s *Snapshot) {
	for _, m := range p.series {
		m.set.Set(m.value(s))
	}
}

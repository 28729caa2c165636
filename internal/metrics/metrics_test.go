package metrics

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
)

// registry records families and series values as Prometheus would show them.
type registry struct {
	values map[string]float64
	kinds  map[string]Kind
}

type family struct {
	r    *registry
	d    *Desc
	keys []string
}

type setter struct {
	r   *registry
	key string
}

func (r *registry) Register(d *Desc) (Family, error) {
	if _, dup := r.kinds[d.FullName()]; dup {
		return nil, fmt.Errorf("%s twice", d.FullName())
	}
	r.kinds[d.FullName()] = d.Kind
	return &family{r: r, d: d, keys: append([]string{"name"}, d.Labels...)}, nil
}

func (f *family) With(vals []string) (Setter, error) {
	if len(vals) != len(f.keys) {
		return nil, fmt.Errorf("%d values for %d keys", len(vals), len(f.keys))
	}
	var pairs []string
	for i, k := range f.keys {
		pairs = append(pairs, k+"="+vals[i])
	}
	return setter{f.r, f.d.FullName() + "{" + strings.Join(pairs, ",") + "}"}, nil
}

func (s setter) Set(v float64) {
	if old, ok := s.r.values[s.key]; ok && v < old && s.r.kinds[s.key[:strings.IndexByte(s.key, '{')]] == Counter {
		panic(fmt.Sprintf("counter %s went back from %v to %v", s.key, old, v))
	}
	s.r.values[s.key] = v
}

func newRegistry() *registry {
	return &registry{values: map[string]float64{}, kinds: map[string]Kind{}}
}

func (r *registry) names() []string {
	var out []string
	for k := range r.kinds {
		out = append(out, strings.TrimPrefix(k, "fluentbit_output_welf_"))
	}
	sort.Strings(out)
	return out
}

// TestPublisherParts: only the parts an instance has are registered, and
// every series is set from the snapshot at registration and on Update.
func TestPublisherParts(t *testing.T) {
	snap := Snapshot{Records: Records{Written: 3, Unparsed: 1, Truncated: 2}}
	r := newRegistry()
	p, err := NewPublisher(r, "welf.1", func() Snapshot { return snap })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(r.names(), " "), "records_malformed_total records_truncated_total records_unparsed_total records_written_total"; got != want {
		t.Errorf("registered %s, want %s", got, want)
	}
	if got := r.values[`fluentbit_output_welf_records_written_total{name=welf.1}`]; got != 3 {
		t.Errorf("written = %v at registration, want 3", got)
	}
	snap.Records.Written = 10
	p.Update()
	if got := r.values[`fluentbit_output_welf_records_written_total{name=welf.1}`]; got != 10 {
		t.Errorf("written = %v after Update, want 10", got)
	}
	p.Stop()
	snap.Records.Written = 11
	p.Update()
	if got := r.values[`fluentbit_output_welf_records_written_total{name=welf.1}`]; got != 10 {
		t.Errorf("written = %v after Stop and Update, want 10", got)
	}
}

// TestPublisherValues: every field of a full snapshot reaches its series.
func TestPublisherValues(t *testing.T) {
	snap := Snapshot{
		Records:    Records{Written: 1, Unparsed: 2, Malformed: 3, Truncated: 4},
		HasAirlock: true,
		Airlock: Airlock{Counters: correlate.Counters{In: 5, Joined: 6, Duplicate: 7, Orphan: 8, PartialTimeout: 9, PartialPressure: 10, PartialShutdown: 11},
			PendingRequests: 12, PendingSessions: 13},
		HasMWG:      true,
		MWG:         mwgjoin.Counters{Transactions: 14, Joined: 15, Incomplete: 16, PartialTimeout: 17, PartialPressure: 18, PartialShutdown: 19, ConnsOpen: 20, PendingBytes: 21},
		HasDelivery: true,
		Delivery:    delivery.Counters{Sent: 22, Retried: 23, Reconnects: 24, Dropped: 25, Queued: 26, QueuedBytes: 27, Spooled: 28, SpoolBytes: 29},
	}
	r := newRegistry()
	if _, err := NewPublisher(r, "w", func() Snapshot { return snap }); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"records_written_total{name=w}": 1, "records_unparsed_total{name=w}": 2, "records_malformed_total{name=w}": 3, "records_truncated_total{name=w}": 4,
		"airlock_records_total{name=w}": 5, "airlock_joined_records_total{name=w}": 6, "airlock_duplicate_records_total{name=w}": 7, "airlock_orphan_records_total{name=w}": 8,
		"airlock_partial_records_total{name=w,reason=timeout}": 9, "airlock_partial_records_total{name=w,reason=pressure}": 10, "airlock_partial_records_total{name=w,reason=shutdown}": 11,
		"airlock_pending_requests{name=w}": 12, "airlock_pending_sessions{name=w}": 13,
		"mwg_transactions_total{name=w}": 14, "mwg_joined_total{name=w}": 15, "mwg_incomplete_total{name=w}": 16,
		"mwg_partial_total{name=w,reason=timeout}": 17, "mwg_partial_total{name=w,reason=pressure}": 18, "mwg_partial_total{name=w,reason=shutdown}": 19,
		"mwg_pending_connections{name=w}": 20, "mwg_pending_bytes{name=w}": 21,
		"delivery_sent_records_total{name=w}": 22, "delivery_retried_records_total{name=w}": 23, "delivery_reconnects_total{name=w}": 24, "delivery_dropped_records_total{name=w}": 25,
		"delivery_queued_records{name=w}": 26, "delivery_queued_bytes{name=w}": 27, "delivery_spooled_records{name=w}": 28, "delivery_spool_bytes{name=w}": 29,
	}
	if len(r.values) != len(want) {
		t.Errorf("%d series, want %d: %v", len(r.values), len(want), r.values)
	}
	for k, v := range want {
		if got, ok := r.values["fluentbit_output_welf_"+k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, d := range Descs {
		if d.Kind == Counter != strings.HasSuffix(d.Name, "_total") {
			t.Errorf("%s: counters and only counters end in _total", d.Name)
		}
	}
}

// TestUpdateDoesNotAllocate: an Update per chunk must cost no garbage.
func TestUpdateDoesNotAllocate(t *testing.T) {
	snap := Snapshot{HasAirlock: true, HasMWG: true, HasDelivery: true}
	p, err := NewPublisher(nopRegistry{}, "w", func() Snapshot { return snap })
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, p.Update); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}
}

type nopRegistry struct{}

func (nopRegistry) Register(*Desc) (Family, error) { return nopRegistry{}, nil }
func (nopRegistry) With([]string) (Setter, error)  { return nopRegistry{}, nil }
func (nopRegistry) Set(float64)                    {}

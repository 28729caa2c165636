package metrics

import (
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/failover"
)

// TestPublisherReceivers: a destination of several receivers gets one
// series per receiver and family, labelled with the receiver's name, set
// from the pool's stats at registration and on Update; without several
// receivers none is registered.
func TestPublisherReceivers(t *testing.T) {
	snap := Snapshot{HasDelivery: true, HasReceivers: true, Receivers: failover.Stats{
		Receivers: []failover.ReceiverStats{
			{Name: "siem-a:6514", State: failover.Down, Sent: 1, Failures: 2},
			{Name: "siem-b:6514", State: failover.Up, Sent: 3, Failures: 4},
			{Name: "siem-c:6514", State: failover.Recovering, Sent: 5, Failures: 6},
		},
		Switches: 7, PossibleDuplicates: 8,
	}}
	r := newRegistry()
	p, err := NewPublisher(r, "w", func() Snapshot { return snap })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"receiver_sent_records_total{name=w,receiver=siem-a:6514}": 1, "receiver_failures_total{name=w,receiver=siem-a:6514}": 2, "receiver_up{name=w,receiver=siem-a:6514}": 0,
		"receiver_sent_records_total{name=w,receiver=siem-b:6514}": 3, "receiver_failures_total{name=w,receiver=siem-b:6514}": 4, "receiver_up{name=w,receiver=siem-b:6514}": 1,
		"receiver_sent_records_total{name=w,receiver=siem-c:6514}": 5, "receiver_failures_total{name=w,receiver=siem-c:6514}": 6, "receiver_up{name=w,receiver=siem-c:6514}": 0,
		"failover_switches_total{name=w}": 7, "failover_possible_duplicates_total{name=w}": 8,
	}
	check := func(when string) {
		t.Helper()
		n := 0
		for k, v := range r.values {
			k = strings.TrimPrefix(k, "fluentbit_output_welf_")
			if !strings.HasPrefix(k, "receiver_") && !strings.HasPrefix(k, "failover_") {
				continue
			}
			n++
			if w, ok := want[k]; !ok || v != w {
				t.Errorf("%s: %s = %v, want %v (expected %v)", when, k, v, w, ok)
			}
		}
		if n != len(want) {
			t.Errorf("%s: %d receiver series, want %d: %v", when, n, len(want), r.values)
		}
	}
	check("at registration")

	snap.Receivers.Receivers[0].State, snap.Receivers.Receivers[0].Failures = failover.Up, 9
	snap.Receivers.Receivers[1].Sent = 10
	snap.Receivers.Switches = 11
	want["receiver_up{name=w,receiver=siem-a:6514}"], want["receiver_failures_total{name=w,receiver=siem-a:6514}"] = 1, 9
	want["receiver_sent_records_total{name=w,receiver=siem-b:6514}"] = 10
	want["failover_switches_total{name=w}"] = 11
	p.Update()
	check("after Update")
	if n := testing.AllocsPerRun(100, p.Update); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}

	for _, d := range ReceiverDescs {
		if d.Kind == Counter != strings.HasSuffix(d.Name, "_total") {
			t.Errorf("%s: counters and only counters end in _total", d.Name)
		}
		if (d.Receiver == nil) == (d.Series == nil) {
			t.Errorf("%s: series per receiver or per instance, exactly one", d.Name)
		}
	}

	r = newRegistry()
	snap.HasReceivers = false
	if _, err := NewPublisher(r, "w", func() Snapshot { return snap }); err != nil {
		t.Fatal(err)
	}
	for _, n := range r.names() {
		if strings.HasPrefix(n, "receiver_") || strings.HasPrefix(n, "failover_") {
			t.Errorf("%s registered for one receiver", n)
		}
	}
}

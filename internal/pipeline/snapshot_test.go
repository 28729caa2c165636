package pipeline

import (
	"bytes"
	"testing"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/failover"
)

// TestSnapshot: the snapshot holds the pipeline's and the joiners' counters
// and costs no garbage, since the plugin takes one per chunk.
func TestSnapshot(t *testing.T) {
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) {
		c.Correlation.Enabled = true
		c.Correlation.Join.MaxPending = 100
	}), &out, &logs)
	defer p.Close()
	if _, err := p.Flush(eventtest.AppendV2(nil, evTime, map[string]any{"log": summaryLine}), "airlock"); err != nil {
		t.Fatal(err)
	}
	s := p.Snapshot()
	if s.Records.Events != 1 || !s.HasAirlock || s.Airlock.Counters.In != 1 || !s.HasMWG || s.HasDelivery {
		t.Errorf("snapshot %+v", s)
	}
	if n := testing.AllocsPerRun(100, func() { p.Snapshot() }); n != 0 {
		t.Errorf("Snapshot allocates %v times", n)
	}
}

// TestSnapshotReceivers: with several receivers the snapshot holds their
// counters, read into room the pipeline keeps, so still without garbage.
func TestSnapshotReceivers(t *testing.T) {
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(), &out, &logs)
	defer p.Close()
	if p.Snapshot().HasReceivers {
		t.Error("receivers in the snapshot of one destination")
	}
	p.receiverStats = func(s *failover.Stats) {
		s.Receivers = append(s.Receivers[:0], failover.ReceiverStats{Name: "a:514", Sent: 3}, failover.ReceiverStats{Name: "b:514", State: failover.Down, Failures: 1})
		s.Switches = 1
	}
	s := p.Snapshot()
	if !s.HasReceivers || len(s.Receivers.Receivers) != 2 || s.Receivers.Receivers[0].Sent != 3 || s.Receivers.Receivers[1].Failures != 1 || s.Receivers.Switches != 1 {
		t.Errorf("snapshot receivers %+v", s.Receivers)
	}
	if n := testing.AllocsPerRun(100, func() { p.Snapshot() }); n != 0 {
		t.Errorf("Snapshot allocates %v times", n)
	}
}

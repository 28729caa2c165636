package pipeline

import (
	"bytes"
	"testing"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
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

package pipeline

import (
	"bytes"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
)

func TestFingerprint(t *testing.T) {
	a := map[string]string{"destination": "tcp://siem:514", "state_file": ""}
	same := map[string]string{"state_file": "", "destination": "tcp://siem:514"}
	for _, tt := range []struct {
		name string
		b    map[string]string
		want bool
	}{
		{"same properties in another order", same, true},
		{"another value", map[string]string{"destination": "tcp://siem:515", "state_file": ""}, false},
		{"a property more", map[string]string{"destination": "tcp://siem:514", "state_file": "", "fw": ""}, false},
		// A value cannot run into the next key.
		{"boundary shifted", map[string]string{"destination": "tcp://siem:514state_file", "": ""}, false},
	} {
		if got := Fingerprint(a) == Fingerprint(tt.b); got != tt.want {
			t.Errorf("%s: equal fingerprints %t, want %t", tt.name, got, tt.want)
		}
	}
}

// handoffTest parks pipelines and records which were closed.
type handoffTest struct {
	t      *testing.T
	h      *Handoff
	closed []*Pipeline
}

func (ht *handoffTest) park(key string, cfg *config.Config) *Pipeline {
	var out, logs bytes.Buffer
	p := newTest(ht.t, cfg, &out, &logs)
	ht.h.Park(key, p, func() {
		ht.closed = append(ht.closed, p)
		p.Close()
	})
	return p
}

func TestHandoffTakeAndRelease(t *testing.T) {
	ht := &handoffTest{t: t, h: NewHandoff(time.Hour, nil)}
	cfg := testConfig()
	first := ht.park("a", cfg)
	second := ht.park("a", cfg)
	other := ht.park("b", cfg)

	// Instances with the same configuration take their pipelines in exit
	// order; a miss takes nothing.
	if got := ht.h.Take("a", cfg); got != first {
		t.Errorf("first Take got %p, want the first parked %p", got, first)
	}
	if got := ht.h.Take("a", cfg); got != second {
		t.Errorf("second Take got %p, want %p", got, second)
	}
	if got := ht.h.Take("a", cfg); got != nil {
		t.Errorf("third Take got %p, want nil", got)
	}
	if len(ht.closed) != 0 {
		t.Fatalf("%d closed before Release", len(ht.closed))
	}
	// What no instance took is closed by Release, once.
	if n := ht.h.Release(); n != 1 || len(ht.closed) != 1 || ht.closed[0] != other {
		t.Errorf("Release closed %d (reported %d), want only the pipeline nobody took", len(ht.closed), n)
	}
	if n := ht.h.Release(); n != 0 || len(ht.closed) != 1 {
		t.Errorf("a second Release closed %d more", n)
	}
	first.Close()
	second.Close()
}

// TestHandoffMissClosesSharedFiles: an instance whose configuration
// changed but which uses the same State_File, Spool_Dir or output file as
// a parked pipeline gets those files only after the parked pipeline has
// closed (saved its state, let go of its spool); the others stay parked.
func TestHandoffMissClosesSharedFiles(t *testing.T) {
	for _, tt := range []struct {
		name   string
		shared func(*config.Config)
	}{
		{"state file", func(c *config.Config) { c.Correlation.StateFile = "/var/lib/welf/state" }},
		{"spool", func(c *config.Config) { c.Delivery.SpoolDir = "/var/lib/welf/spool" }},
		{"output file", func(c *config.Config) {
			c.Destination = config.DestinationURL{Scheme: "file", Path: "/var/log/out.welf"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ht := &handoffTest{t: t, h: NewHandoff(time.Hour, nil)}
			shared := ht.park("old", testConfig(tt.shared))
			ht.park("unrelated", testConfig())
			if got := ht.h.Take("new", testConfig(tt.shared)); got != nil {
				t.Fatalf("Take with another fingerprint got a pipeline")
			}
			if len(ht.closed) != 1 || ht.closed[0] != shared {
				t.Fatalf("closed %d pipelines, want the one sharing the %s", len(ht.closed), tt.name)
			}
			if n := ht.h.Release(); n != 2 {
				t.Errorf("Release reported %d without successor, want 2 (one closed by Take)", n)
			}
		})
	}
}

// TestHandoffTimeout: when no new instance comes, what is parked is
// closed after the wait, and onRelease is told.
func TestHandoffTimeout(t *testing.T) {
	released := make(chan int, 1)
	ht := &handoffTest{t: t}
	ht.h = NewHandoff(50*time.Millisecond, func(n int) { released <- n })
	ht.park("a", testConfig())
	select {
	case n := <-released:
		if n != 1 || len(ht.closed) != 1 {
			t.Errorf("timeout closed %d (reported %d), want 1", len(ht.closed), n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("parked pipeline not closed after the wait")
	}
}

// TestHandoffTakenStopsTimer: once everything parked is taken over, no
// wait is left to close anything.
func TestHandoffTakenStopsTimer(t *testing.T) {
	ht := &handoffTest{t: t, h: NewHandoff(time.Hour, nil)}
	p := ht.park("a", testConfig())
	if ht.h.Take("a", testConfig()) != p {
		t.Fatal("Take missed")
	}
	ht.h.mu.Lock()
	timer := ht.h.timer
	ht.h.mu.Unlock()
	if timer != nil {
		t.Error("the wait is still running after everything was taken")
	}
	p.Close()
}

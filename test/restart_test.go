package test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestartAfterBackedUpStop (issue 9, condition 2): Fluent Bit stops
// while the receiver is down and the plugin is backed up, with Spool_Dir
// and storage.type filesystem; the stop comes during a flush that Fluent
// Bit never sees end, so the next start flushes that chunk again although
// its records are in the spool. It is recognised by its digest and
// acknowledged without processing: every record arrives exactly once.
func TestRestartAfterBackedUpStop(t *testing.T) {
	tests := []struct {
		name       string
		correlated bool
		props      []string
	}{
		{name: "single records engine thread"},
		{name: "single records workers 2", props: []string{"workers 2"}},
		{name: "correlated requests", correlated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var in string
			var ids []string
			props := append([]string{"Time_Zone UTC", "Spool_Dir " + filepath.Join(dir, "spool"), "Shutdown_Timeout 1s"}, tt.props...)
			if tt.correlated {
				in, ids = requests(t, dir, 0, 100)
				props = append(props, "Conntrace on", "State_File "+filepath.Join(dir, "state"))
			} else {
				in, ids = singleRecords(t, dir, 400)
				props = append(props, single)
			}
			rcv := newSyslogReceiver(t, 0, 0) // down during the first run
			conf := "[SERVICE]\n    Grace 1\n    storage.path " + filepath.Join(dir, "storage") + "\n" +
				tailInput("a", in, "DB "+filepath.Join(dir, "tail.db"), "storage.type filesystem") +
				welfOutput("*", append(props, "Destination tcp://"+rcv.addr)...)

			r1 := mustRun(t, conf, "--chunk-records", "20", "--stop-after-chunks", "5")
			if strings.Contains(r1.stderr, "stored_chunks=0") || !strings.Contains(r1.stderr, "spool: spooled ") {
				t.Fatalf("first run: want chunks left in storage and records in the spool:\n%s", r1.stderr)
			}
			rcv.listen()
			r2 := mustRun(t, conf, "--chunk-records", "20")
			rcv.waitTotal(len(ids), 10*time.Second)
			time.Sleep(200 * time.Millisecond) // a duplicate would have arrived by now
			figures := rcv.check(t, ids)
			if !strings.Contains(r2.stderr, "was processed before the restart and is flushed again by Fluent Bit: acknowledged without processing it twice") {
				t.Errorf("second run: the re-flushed chunk was not recognised:\n%s", r2.stderr)
			}
			if tt.correlated {
				if got := correlationCounters(t, r2.stderr); !strings.Contains(got, "partial=0 duplicate=0 orphan=0") {
					t.Errorf("second run: %s", got)
				}
			}
			t.Logf("condition 2 (%s): %s", tt.name, figures)
			if t.Failed() {
				t.Logf("first run:\n%s\nsecond run:\n%s", r1.stderr, r2.stderr)
			}
		})
	}
}

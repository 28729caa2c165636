package test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// failoverStatsLine matches the pool's exit line for two receivers.
var failoverStatsLine = regexp.MustCompile(`\[output:welf:welf\.0\] failover stats: (\S+) (up|down|recovering) sent=(\d+) failures=(\d+); (\S+) (up|down|recovering) sent=(\d+) failures=(\d+); switches=(\d+) possible_duplicates=(\d+)\n`)

// TestMetricsFailover: two TCP receivers, the first down at start: every
// per-receiver and failover metric has the value of the "failover stats:"
// exit line (the first down with at least one failure, the second up with
// all 7 records, one switch), next to the record and delivery metrics.
func TestMetricsFailover(t *testing.T) {
	a, b := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true}), rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	a.Stop()
	metricsFile := filepath.Join(t.TempDir(), "metrics.prom")
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination tcp://"+a.TCPAddr+",tcp://"+b.TCPAddr, "Time_Zone UTC", single, "Source airlock"),
		"--metrics", metricsFile)
	b.WaitLines(7, 20*time.Second)
	m := failoverStatsLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no failover stats line:\n%s", r.stderr)
	}
	num := func(i int) float64 {
		n, err := strconv.ParseFloat(m[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	up := func(state string) float64 {
		if state == "up" {
			return 1
		}
		return 0
	}
	if m[1] != a.TCPAddr || m[2] != "down" || num(4) < 1 || m[5] != b.TCPAddr || m[6] != "up" || num(7) != 7 || num(9) != 1 {
		t.Fatalf("not the run this test expects: %s", m[0])
	}
	lines := stderrLines(r.stderr)
	exit, d := counterLine(t, lines, "exit: "), counterLine(t, lines, "delivery stats: ")
	rcv := func(name, addr string) string { return series(name, "receiver", addr) }
	checkMetrics(t, promMetrics(t, metricsFile), merge(recordMetrics(exit), map[string]float64{
		series("delivery_sent_records_total"):    d["sent"],
		series("delivery_retried_records_total"): d["retried"],
		series("delivery_reconnects_total"):      d["reconnects"],
		series("delivery_dropped_records_total"): d["dropped"],
		series("delivery_queued_records"):        d["queued"],
		series("delivery_queued_bytes"):          d["queued_bytes"],
		series("delivery_spooled_records"):       d["spooled"],
		series("delivery_spool_bytes"):           d["spool_bytes"],

		rcv("receiver_sent_records_total", m[1]):     num(3),
		rcv("receiver_failures_total", m[1]):         num(4),
		rcv("receiver_up", m[1]):                     up(m[2]),
		rcv("receiver_sent_records_total", m[5]):     num(7),
		rcv("receiver_failures_total", m[5]):         num(8),
		rcv("receiver_up", m[5]):                     up(m[6]),
		series("failover_switches_total"):            num(9),
		series("failover_possible_duplicates_total"): num(10),
	}))
	noRefusedUpdates(t, r.stderr)
}

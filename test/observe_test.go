package test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// logFileLines returns the lines of a Fluent Bit log file without their
// timestamps; it fails unless every line has Fluent Bit's
// "[YYYY/MM/DD hh:mm:ss.mmm] " prefix.
func logFileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}\] `)
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		loc := stamp.FindStringIndex(l)
		if loc == nil {
			t.Fatalf("log line without Fluent Bit's timestamp: %q", l)
		}
		out = append(out, l[loc[1]:])
	}
	return out
}

// serviceLog is a [SERVICE] section with a log file and a level.
func serviceLog(logFile, level string) string {
	s := "[SERVICE]\n    Log_File " + logFile + "\n"
	if level != "" {
		s += "    Log_Level " + level + "\n"
	}
	return s
}

// TestLogFileAndLevels: the plugin's lines go through Fluent Bit's logger:
// into [SERVICE] Log_File (none on stderr), cut by the service's Log_Level
// and by the instance's own log_level, which wins; at debug, a summary per
// chunk. Lines the plugin logs on its own goroutines (the correlation
// counters at exit) land in the file too.
func TestLogFileAndLevels(t *testing.T) {
	const (
		initLine = "[ info] [output:welf:welf.0] destination=file://OUT source=airlock log_key=log welf_id=firewall time_zone=UTC"
		chunk    = `[debug] [output:welf:welf.0] chunk (tag "airlock"): events=7 written=7 unparsed=5 malformed=0`
		records  = "[ info] [output:welf:welf.0] records: in=7 written=7 unparsed_dropped=0 blank=0 failed=0 joined=0 saved=0"
		exit     = "[ info] [output:welf:welf.0] exit: events=7 written=7 unparsed=5 malformed=0 truncated=0"
	)
	warns := []string{
		`[ warn] [output:welf:welf.0] record not decoded (no JSON object in line): "not json at all"`,
		`[ warn] [output:welf:welf.0] record not decoded (JSON object has no log_id: not an Airlock log record): "{\"foo\":\"bar\"}"`,
		`[ warn] [output:welf:welf.0] record not decoded (invalid JSON at offset 35: unexpected end of input): "{\"log_id\":\"WR-SG-SUMMARY\",\"req_id\":"`,
		`[ warn] [output:welf:welf.0] record not decoded (no JSON object in line): "<14>Mar  5 09:13:02 gw01 SG_child[1]: no json here"`,
		`[ warn] [output:welf:welf.0] record not decoded (no JSON object in line): "[1,2,3]"`,
	}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name, service, instance string
		want                    []string
	}{
		{"defaults", "", "", cat([]string{initLine}, warns, []string{records, exit})},
		{"service error", "error", "", nil},
		{"service warn", "warn", "", warns},
		{"service debug", "debug", "", cat([]string{initLine}, warns, []string{chunk, records, exit})},
		{"instance off", "info", "off", nil},
		{"instance debug under service error", "error", "debug", cat([]string{initLine}, warns, []string{chunk, records, exit})},
		{"instance warn under service debug", "debug", "warn", warns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, logFile := filepath.Join(dir, "out.welf"), filepath.Join(dir, "fluent-bit.log")
			props := []string{"Destination file://" + out, "Time_Zone UTC", single, "Line_Ending lf", "FW gw-test", "Source airlock"}
			if tt.instance != "" {
				props = append(props, "Log_Level "+tt.instance)
			}
			r := mustRun(t, serviceLog(logFile, tt.service)+tailInput("airlock", fixture("airlock/bad.log"))+welfOutput("airlock", props...))
			var want []string
			for _, l := range tt.want {
				want = append(want, strings.Replace(l, "OUT", out, 1))
			}
			equalLines(t, "log file", logFileLines(t, logFile), want)
			if strings.Contains(r.stderr, "[output:welf") {
				t.Errorf("plugin lines on stderr:\n%s", r.stderr)
			}
		})
	}

	// Correlation on: the counters line comes from the goroutine that
	// closes the pipeline, and still reaches the file, before the exit line.
	dir := t.TempDir()
	out, logFile := filepath.Join(dir, "out.welf"), filepath.Join(dir, "fluent-bit.log")
	r := mustRun(t, serviceLog(logFile, "")+tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", "Source airlock"))
	equalLines(t, "log file", logFileLines(t, logFile), []string{
		"[ info] [output:welf:welf.0] destination=file://" + out + " source=airlock log_key=log welf_id=firewall time_zone=UTC",
		"[ info] [output:welf:welf.0] correlation: in=7 joined=4 partial=3 duplicate=0 orphan=0 partial_timeout=2 partial_pressure=0 partial_shutdown=1",
		"[ info] [output:welf:welf.0] records: in=7 written=4 unparsed_dropped=0 blank=0 failed=0 joined=3 saved=0",
		"[ info] [output:welf:welf.0] exit: events=7 written=4 unparsed=0 malformed=0 truncated=0",
	})
	if strings.Contains(r.stderr, "[output:welf") {
		t.Errorf("plugin lines on stderr:\n%s", r.stderr)
	}
}

// TestLogWithoutHostAPI: where the API table has no log_print, the lines go
// to stderr in Fluent Bit's format, at the plugin's default level (info),
// and none reach Log_File.
func TestLogWithoutHostAPI(t *testing.T) {
	dir := t.TempDir()
	out, logFile := filepath.Join(dir, "out.welf"), filepath.Join(dir, "fluent-bit.log")
	r := mustRun(t, serviceLog(logFile, "error")+tailInput("airlock", fixture("airlock/bad.log"))+
		welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", single, "Source airlock"), "--no-log-api")
	stamp := regexp.MustCompile(`(?m)^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\] \[ info\] \[output:welf:welf.0\] exit: events=7 written=7 unparsed=5 malformed=0 truncated=0$`)
	if !stamp.MatchString(r.stderr) {
		t.Errorf("no exit line on stderr:\n%s", r.stderr)
	}
	if n := strings.Count(r.stderr, "[ warn] [output:welf:welf.0] record not decoded"); n != 5 {
		t.Errorf("%d warnings on stderr, want 5:\n%s", n, r.stderr)
	}
	if lines := logFileLines(t, logFile); len(lines) != 0 {
		t.Errorf("lines in Log_File: %q", lines)
	}
}

// promMetrics reads a Prometheus text file: series (name and labels as
// printed) to value. HELP and TYPE lines must precede each family.
func promMetrics(t *testing.T, path string) map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("bad metric line %q", line)
		}
		if _, dup := m[line[:i]]; dup {
			t.Fatalf("series %s twice", line[:i])
		}
		m[line[:i]] = v
	}
	return m
}

// counterLine returns the key=value pairs of the plugin's log line that
// follows marker ("exit: ", "correlation: ", "mwg: ", "delivery stats: ").
func counterLine(t *testing.T, lines []string, marker string) map[string]float64 {
	t.Helper()
	for _, l := range lines {
		i := strings.Index(l, "] "+marker)
		if i < 0 || !strings.Contains(l, "[output:welf") {
			continue
		}
		kv := map[string]float64{}
		for _, f := range strings.Fields(l[i+2+len(marker):]) {
			k, v, ok := strings.Cut(f, "=")
			n, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				t.Fatalf("bad counter %q in %q", f, l)
			}
			kv[k] = n
		}
		return kv
	}
	t.Fatalf("no %q line in:\n%s", marker, strings.Join(lines, "\n"))
	return nil
}

// series names one series of instance welf.0.
func series(name string, labels ...string) string {
	s := `fluentbit_output_welf_` + name + `{name="welf.0"`
	for i := 0; i+1 < len(labels); i += 2 {
		s += "," + labels[i] + `="` + labels[i+1] + `"`
	}
	return s + "}"
}

// checkMetrics compares the metrics with want, value by value, and fails
// if a welf metric is published that want does not list.
func checkMetrics(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s missing", k)
		} else if g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && strings.HasPrefix(k, "fluentbit_output_welf_") {
			t.Errorf("%s published but not checked", k)
		}
	}
}

// recordMetrics are the record counters of an exit line.
func recordMetrics(exit map[string]float64) map[string]float64 {
	return map[string]float64{
		series("records_written_total"):   exit["written"],
		series("records_unparsed_total"):  exit["unparsed"],
		series("records_malformed_total"): exit["malformed"],
		series("records_truncated_total"): exit["truncated"],
	}
}

func merge(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestMetricsAirlock: after the correlated sample (and bad records with a
// tiny Max_Size, for unparsed and truncated), every record and correlation
// metric in the instance's metrics context has the value of the exit lines.
func TestMetricsAirlock(t *testing.T) {
	dir := t.TempDir()
	input := writeLines(t, dir, "in.log", append(readLines(t, fixture("airlock/sample.log")), readLines(t, fixture("airlock/bad.log"))...)...)
	metricsFile := filepath.Join(dir, "metrics.prom")
	r := mustRun(t, tailInput("airlock", input)+
		welfOutput("airlock", "Destination file://"+filepath.Join(dir, "out.welf"), "Time_Zone UTC", "Source airlock", "Max_Size 200"),
		"--metrics", metricsFile)
	lines := stderrLines(r.stderr)
	exit, corr := counterLine(t, lines, "exit: "), counterLine(t, lines, "correlation: ")
	if exit["written"] == 0 || exit["unparsed"] != 5 || exit["truncated"] == 0 || corr["joined"] == 0 || corr["partial_timeout"] == 0 || corr["partial_shutdown"] == 0 {
		t.Fatalf("not the run this test expects: exit %v, correlation %v", exit, corr)
	}
	checkMetrics(t, promMetrics(t, metricsFile), merge(recordMetrics(exit), map[string]float64{
		series("airlock_records_total"):                               corr["in"],
		series("airlock_joined_records_total"):                        corr["joined"],
		series("airlock_partial_records_total", "reason", "timeout"):  corr["partial_timeout"],
		series("airlock_partial_records_total", "reason", "pressure"): corr["partial_pressure"],
		series("airlock_partial_records_total", "reason", "shutdown"): corr["partial_shutdown"],
		series("airlock_duplicate_records_total"):                     corr["duplicate"],
		series("airlock_orphan_records_total"):                        corr["orphan"],
		series("airlock_pending_requests"):                            0,
		series("airlock_pending_sessions"):                            0,
	}))
	noRefusedUpdates(t, r.stderr)
}

// noRefusedUpdates fails if the harness's cmetrics refused an update (a
// counter set below its value, a wrong label count).
func noRefusedUpdates(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "[cmetrics]") {
		t.Errorf("cmetrics refused an update:\n%s", stderr)
	}
}

// readLines returns the LF-terminated lines of a file.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestMetricsMWG: after the MWG trace fixtures, every record and MWG metric
// has the value of the exit lines.
func TestMetricsMWG(t *testing.T) {
	traces := t.TempDir()
	copyTraces(t, traces)
	dir := t.TempDir()
	metricsFile := filepath.Join(dir, "metrics.prom")
	r := mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(filepath.Join(dir, "mwg.welf"), "Source mwg"),
		"--metrics", metricsFile)
	lines := stderrLines(r.stderr)
	exit, mwg := counterLine(t, lines, "exit: "), counterLine(t, lines, "mwg: ")
	if mwg["transactions"] != 61 || mwg["joined"] != 10 || mwg["partial_shutdown"] != 29 {
		t.Fatalf("not the run this test expects: mwg %v", mwg)
	}
	checkMetrics(t, promMetrics(t, metricsFile), merge(recordMetrics(exit), map[string]float64{
		series("mwg_transactions_total"):                  mwg["transactions"],
		series("mwg_joined_total"):                        mwg["joined"],
		series("mwg_partial_total", "reason", "timeout"):  mwg["partial_timeout"],
		series("mwg_partial_total", "reason", "pressure"): mwg["partial_pressure"],
		series("mwg_partial_total", "reason", "shutdown"): mwg["partial_shutdown"],
		series("mwg_incomplete_total"):                    mwg["incomplete"],
		series("mwg_pending_connections"):                 0,
		series("mwg_pending_bytes"):                       0,
	}))
	noRefusedUpdates(t, r.stderr)
}

// TestMetricsDelivery: a TCP receiver that is down when the plugin starts
// and comes up a second later: delivery retries, and every delivery metric
// has the value of the engine's counters at exit (all 7 records sent, at
// least one reconnect and retried records, none dropped or left queued).
func TestMetricsDelivery(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
	s.Stop()
	dir := t.TempDir()
	metricsFile := filepath.Join(dir, "metrics.prom")
	wait := startHarness(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination tcp://"+s.TCPAddr, "Time_Zone UTC", single, "Source airlock", "Shutdown_Timeout 30s"),
		"--metrics", metricsFile)
	time.Sleep(time.Second) // the plugin has tried and failed to connect by now
	s.Start()
	r := wait()
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
	}
	s.WaitLines(7, 10*time.Second)
	lines := stderrLines(r.stderr)
	exit, d := counterLine(t, lines, "exit: "), counterLine(t, lines, "delivery stats: ")
	if d["sent"] != 7 || d["reconnects"] < 1 || d["retried"] < 1 || d["dropped"] != 0 || d["queued"] != 0 {
		t.Fatalf("not the run this test expects: delivery %v", d)
	}
	checkMetrics(t, promMetrics(t, metricsFile), merge(recordMetrics(exit), map[string]float64{
		series("delivery_sent_records_total"):    d["sent"],
		series("delivery_retried_records_total"): d["retried"],
		series("delivery_reconnects_total"):      d["reconnects"],
		series("delivery_dropped_records_total"): d["dropped"],
		series("delivery_queued_records"):        d["queued"],
		series("delivery_queued_bytes"):          d["queued_bytes"],
		series("delivery_spooled_records"):       d["spooled"],
		series("delivery_spool_bytes"):           d["spool_bytes"],
	}))
	noRefusedUpdates(t, r.stderr)
}

// TestMetricsOff: in a host that exports no cmetrics functions, and in one
// whose instances have no metrics context (a Fluent Bit built without
// metrics), the plugin loads and works, and says once, for two instances,
// that metrics are off.
func TestMetricsOff(t *testing.T) {
	for _, tt := range []struct {
		name, harness string
		args          []string
		why           string
	}{
		{"no cmetrics functions", filepath.Join(root, "build", "flbhost-nocmt"), nil, "Fluent Bit exports no cmt_counter_create"},
		{"no metrics context", harness, []string{"--no-metrics"}, "the output instance has no metrics context (Fluent Bit built without metrics)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out0, out1 := filepath.Join(dir, "out0.welf"), filepath.Join(dir, "out1.welf")
			conf := filepath.Join(dir, "fluent-bit.conf")
			if err := os.WriteFile(conf, []byte(tailInput("airlock", fixture("airlock/sample.log"))+
				welfOutput("airlock", "Destination file://"+out0, "Time_Zone UTC", single)+
				welfOutput("airlock", "Destination file://"+out1, "Time_Zone UTC", single)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tt.harness, append([]string{"--time", harnessTime, "-e", plugin, "-c", conf}, tt.args...)...)
			cmd.Dir = dir
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v:\n%s", err, b)
			}
			want := "[ info] [output:welf:welf.0] metrics are off: " + tt.why + "; the counters are in the exit line only"
			var off []string
			for _, l := range stderrLines(string(b)) {
				if strings.Contains(l, "metrics are off") {
					off = append(off, l)
				}
			}
			equalLines(t, "metrics-off lines", off, []string{want})
			for _, out := range []string{out0, out1} {
				if readOutput(t, out) != readOutput(t, fixture("golden/airlock_sample.welf")) {
					t.Errorf("%s differs from golden/airlock_sample.welf", out)
				}
			}
		})
	}
}

// TestMetricsAcrossHotReload: a pipeline taken over at a hot reload is
// published in the new instance's metrics context (the old one is freed
// with its instance), with totals that go on from where they were.
func TestMetricsAcrossHotReload(t *testing.T) {
	dir := t.TempDir()
	input := writeLines(t, dir, "in.log", readLines(t, fixture("airlock/sample.log"))...)
	metricsFile := filepath.Join(dir, "metrics.prom")
	r := mustRun(t, tailInput("airlock", input)+
		welfOutput("airlock", "Destination file://"+filepath.Join(dir, "out.welf"), "Time_Zone UTC", "Source airlock"),
		"--metrics", metricsFile, "--chunk-records", "3", "--reload-every-chunks", "1")
	lines := stderrLines(r.stderr)
	if !strings.Contains(r.stderr, "hot reload: took over") {
		t.Fatalf("no hot reload took a pipeline over:\n%s", r.stderr)
	}
	exit, corr := counterLine(t, lines, "exit: "), counterLine(t, lines, "correlation: ")
	checkMetrics(t, promMetrics(t, metricsFile), merge(recordMetrics(exit), map[string]float64{
		series("airlock_records_total"):                               corr["in"],
		series("airlock_joined_records_total"):                        corr["joined"],
		series("airlock_partial_records_total", "reason", "timeout"):  corr["partial_timeout"],
		series("airlock_partial_records_total", "reason", "pressure"): corr["partial_pressure"],
		series("airlock_partial_records_total", "reason", "shutdown"): corr["partial_shutdown"],
		series("airlock_duplicate_records_total"):                     corr["duplicate"],
		series("airlock_orphan_records_total"):                        corr["orphan"],
		series("airlock_pending_requests"):                            0,
		series("airlock_pending_sessions"):                            0,
	}))
	noRefusedUpdates(t, r.stderr)
}

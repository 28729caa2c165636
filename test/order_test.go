package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests make the harness finish chunks out of order, as Fluent Bit
// does with `workers` while it reads a backlog and when it retries a chunk
// (reference §8), and check that correlation writes exactly what it writes
// for the chunks in order.

// sortedLines returns the lines of out, sorted: with workers the order of
// the outputs follows the order of the chunks, their content must not.
func sortedLines(out string) []string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	slices.Sort(lines)
	return lines
}

// diffSorted reports the lines only in got and only in want.
func diffSorted(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	count := map[string]int{}
	for _, l := range got {
		count[l]++
	}
	for _, l := range want {
		count[l]--
	}
	var extra, missing []string
	for l, n := range count {
		for ; n > 0; n-- {
			extra = append(extra, l)
		}
		for ; n < 0; n++ {
			missing = append(missing, l)
		}
	}
	slices.Sort(extra)
	slices.Sort(missing)
	const show = 5
	t.Errorf("%s: %d lines, want %d; %d unexpected, %d missing; first unexpected:\n%s\nfirst missing:\n%s", what,
		len(got), len(want), len(extra), len(missing),
		strings.Join(extra[:min(show, len(extra))], "\n"), strings.Join(missing[:min(show, len(missing))], "\n"))
}

// orderProps are the settings of the any-order runs of the sample: its
// records span 49 minutes, so the correlation window must too; Conntrace
// on, because auto learns from the order it sees (README).
var orderProps = []string{"Time_Zone UTC", "Line_Ending lf", "Conntrace on", "Correlation_Timeout 1h"}

// TestSampleShuffledChunks: the bundled sample, one record per chunk,
// four workers finishing the chunks in a random order: every order gives
// exactly the same records, sessions included (a session end processed
// before its start waits for it).
func TestSampleShuffledChunks(t *testing.T) {
	want := sortedLines(string(mustReadFile(t, fixture("golden/airlock_correlated_any_order.welf"))))
	for seed := 1; seed <= 12; seed++ {
		out := filepath.Join(t.TempDir(), "out.welf")
		r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
			welfOutput("airlock", append([]string{"Destination file://" + out, "workers 4"}, orderProps...)...),
			"--chunk-records", "1", "--shuffle-seed", fmt.Sprint(seed))
		diffSorted(t, fmt.Sprintf("seed %d", seed), sortedLines(readOutput(t, out)), want)
		if got, want := correlationCounters(t, r.stderr), "in=7 joined=4 partial=3 duplicate=0 orphan=0"; got != want {
			t.Errorf("seed %d: counters %s, want %s", seed, got, want)
		}
	}
}

// TestSampleInOrderAnyOrderGolden: the any-order golden file is what the
// sample gives in file order with the same settings.
func TestSampleInOrderAnyOrderGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.welf")
	mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", append([]string{"Destination file://" + out}, orderProps...)...))
	golden(t, "airlock_correlated_any_order.welf", readOutput(t, out))
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// backlog writes an Airlock log of n sessions, in time order as a gateway
// writes it: each session a start, two requests (conntrace, summary; the
// second blocked: conntrace, block, block detail, summary) and, 3 seconds
// later, its end; a session starts every 20 ms, so about 150 are open at
// once and a chunk of 50 records spans about 150 ms.
func backlog(t *testing.T, dir string, n int) string {
	type line struct {
		at   time.Duration
		text string
	}
	base := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	var lines []line
	add := func(at time.Duration, format string, args ...any) {
		ts := base.Add(at).Format("2006-01-02T15:04:05.000Z07:00")
		lines = append(lines, line{at, fmt.Sprintf(`{"@timestamp":"%s","host":"gw01",`, ts) + fmt.Sprintf(format, args...) + "}"})
	}
	for i := range n {
		at := time.Duration(i) * 20 * time.Millisecond
		sess := fmt.Sprintf("%032x", i+1)
		a, b := fmt.Sprintf("A%026d", i), fmt.Sprintf("B%026d", i)
		add(at, `"log_id":"WR-SG-SESS-004","req_id":"%s","sess_id":"%s","mapping":"shop","client_ip":"198.51.100.%d","audit_token":"u%d@example.com","http_user_agent":"ua"`, a, sess, i%250+1, i)
		for k, req := range []string{a, b} {
			off := at + time.Duration(k)*500*time.Millisecond
			add(off+1*time.Millisecond, `"log_id":"WR-SG-CONNTRACE","req_id":"%s","sess_id":"%s","mapping":"shop","client_ip":"198.51.100.%d","front_src_ip":"198.51.100.%d","front_src_port":"%d","back_dst_ip":"10.20.1.17","back_dst_port":"8080"`, req, sess, i%250+1, i%250+1, 40000+i%20000)
			if k == 1 {
				add(off+5*time.Millisecond, `"log_id":"WR-SG-BLOCK-110-01","req_id":"%s","sess_id":"%s","mapping":"shop","block_type":"deny rule","attack_type":"SQL injection","message":"Blocked parameter"`, req, sess)
				add(off+6*time.Millisecond, `"log_id":"WR-SG-BLOCKDET-110-01","req_id":"%s","sess_id":"%s","mapping":"shop","message":"Blocked parameter: s=%d"`, req, sess, i)
			}
			add(off+9*time.Millisecond, `"log_id":"WR-SG-SUMMARY","req_id":"%s","sess_id":"%s","mapping":"shop","client_ip":"198.51.100.%d","vhost":"shop.example.com","http_method":"GET","entry_path":"/p%d","http_status":"%d","req_size":"100","resp_size":"%d"`, req, sess, i%250+1, k, 200+200*k, i)
		}
		add(at+3*time.Second, `"log_id":"WR-SG-SESS-005","sess_id":"%s","audit_token":"u%d@example.com","lifetime":"3","reason":"logout"`, sess, i)
	}
	slices.SortStableFunc(lines, func(x, y line) int { return int(x.at - y.at) })
	texts := make([]string, len(lines))
	for i, l := range lines {
		texts[i] = l.text
	}
	return writeLines(t, dir, "backlog.log", texts...)
}

// partials counts the outputs by their partial= marker and log_id.
func partials(out string) map[string]int {
	n := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		if m := regexp.MustCompile(`log_id=(\S+).* partial=(\w+)`).FindStringSubmatch(l); m != nil {
			n[m[2]+" "+m[1]]++
		}
	}
	return n
}

// TestShuffledBacklog: a backlog of 1000 sessions read with 4 workers that
// finish chunks of 50 records in a random order (up to about 128 chunks,
// some 20 s of the records' time, apart) writes exactly what the same
// backlog gives in order: one record per request and per session, no
// orphan, no partial, every request with its session's user. With
// Conntrace on a request completes with its summary and conntrace; with
// off, with its summary alone, so a block in a chunk finished later must
// still find it.
func TestShuffledBacklog(t *testing.T) {
	const sessions = 1000
	dir := t.TempDir()
	in := backlog(t, dir, sessions)
	for _, mode := range []string{"on", "off"} {
		props := []string{"Time_Zone UTC", "Line_Ending lf", "Conntrace " + mode}
		ordered := filepath.Join(dir, "ordered-"+mode+".welf")
		r := mustRun(t, tailInput("a", in)+welfOutput("*", append([]string{"Destination file://" + ordered}, props...)...),
			"--chunk-records", "50")
		want := readOutput(t, ordered)
		wantCounters := fmt.Sprintf("in=%d joined=%d partial=0 duplicate=0 orphan=0", sessions*8, sessions*8)
		if got := correlationCounters(t, r.stderr); got != wantCounters {
			t.Fatalf("Conntrace %s, in order: counters %s, want %s", mode, got, wantCounters)
		}
		if n := strings.Count(want, "\n"); n != sessions*3 {
			t.Fatalf("Conntrace %s, in order: %d records, want %d", mode, n, sessions*3)
		}
		for _, seed := range []int{1, 2, 3} {
			out := filepath.Join(dir, fmt.Sprintf("shuffled-%s-%d.welf", mode, seed))
			r := mustRun(t, tailInput("a", in)+welfOutput("*", append([]string{"Destination file://" + out, "workers 4"}, props...)...),
				"--chunk-records", "50", "--shuffle-seed", fmt.Sprint(seed))
			got := readOutput(t, out)
			what := fmt.Sprintf("Conntrace %s, seed %d", mode, seed)
			t.Logf("%s: %s, %d records, partial %v", what, correlationCounters(t, r.stderr), strings.Count(got, "\n"), partials(got))
			diffSorted(t, what, sortedLines(got), sortedLines(want))
			if got := correlationCounters(t, r.stderr); got != wantCounters {
				t.Errorf("%s: counters %s, want %s", what, got, wantCounters)
			}
		}
	}
}
